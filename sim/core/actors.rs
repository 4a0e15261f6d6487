//! Actors: the clients from outside the twin in a live session (a red team's laptop, a
//! scanner, a student's pymodbus), each keyed by its source address. An actors file names
//! them and places each in a zone of the scenario as a host, so that segmentation, the DPI
//! and the IDS see their traffic as any host's; an address no file names is an actor too,
//! named by its address, in the default zone. What each actor did is read from the traffic
//! the devices saw, in MITRE ATT&CK for ICS terms, never from what the actor says.
//!
//! ```ron
//! Actors(
//!     zone: Some("enterprise"),   // where an address the file does not name is placed
//!     actors: [
//!         (name: "red-team laptop", source: "127.0.0.2", zone: "enterprise"),
//!         (name: "blue-team scanner", source: "127.0.0.3", zone: "supervisory", address: Some("10.10.1.66")),
//!     ],
//! )
//! ```

use crate::modbus::Request;
use crate::plc::ConnId;
use crate::scenario::{Problem, ScenarioError};
use crate::time::{Micros, US_PER_S};
use core::net::{IpAddr, Ipv4Addr};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// An actors file (`faultline live … --actors FILE`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename = "Actors")]
pub struct ActorsSpec {
    /// The zone an address the file does not name is placed in (default: the first zone
    /// of the scenario's network, the enterprise zone on the shipped plants; `plant` on a
    /// flat network).
    #[serde(default)]
    pub zone: Option<String>,
    /// The actors the session expects, each at its source address.
    #[serde(default)]
    pub actors: Vec<ActorSpec>,
}

/// One named actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActorSpec {
    /// The actor's name in the reports (unique).
    pub name: String,
    /// The address its connections come from, as the live endpoints see it (an IPv4 or
    /// IPv6 address; on one machine, a loopback address such as 127.0.0.2).
    pub source: String,
    /// The zone of the scenario's network it sits in, as a host.
    pub zone: String,
    /// Its address inside the plant's network (what rule sets match), default a free
    /// address in the zone's first /24.
    #[serde(default)]
    pub address: Option<String>,
}

impl ActorsSpec {
    /// Parse an actors file's text; syntax errors at file:line:col.
    pub fn parse(text: &str, origin: &str) -> Result<ActorsSpec, ScenarioError> {
        crate::scenario::from_ron(text, origin)
    }

    /// What is wrong with the file against a scenario's network (zones, and the hosts'
    /// addresses), each at its field.
    pub fn problems(&self, zones: &[String], taken: &[Ipv4Addr]) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut fail = |field: String, message: String| out.push(Problem { field, message });
        if let Some(z) = &self.zone
            && !zones.contains(z)
        {
            fail(
                "zone".into(),
                format!("no zone named \"{z}\"; known: {}", zones.join(", ")),
            );
        }
        for (i, a) in self.actors.iter().enumerate() {
            let at = |f: &str| format!("actors[{i}].{f}");
            if a.name.trim().is_empty() {
                fail(at("name"), "must not be empty".into());
            }
            if let Some(j) = self.actors[..i].iter().position(|b| b.name == a.name) {
                fail(
                    at("name"),
                    format!("\"{}\" is already actors[{j}]'s name", a.name),
                );
            }
            match a.source.parse::<IpAddr>() {
                Err(_) => fail(
                    at("source"),
                    format!("\"{}\" is not an IP address (hint: 127.0.0.2)", a.source),
                ),
                Ok(src) => {
                    if let Some(j) = self.actors[..i]
                        .iter()
                        .position(|b| b.source.parse::<IpAddr>().ok() == Some(src))
                    {
                        fail(
                            at("source"),
                            format!(
                                "{src} is already actors[{j}]'s source: one address, one actor"
                            ),
                        );
                    }
                }
            }
            if !zones.contains(&a.zone) {
                fail(
                    at("zone"),
                    format!("no zone named \"{}\"; known: {}", a.zone, zones.join(", ")),
                );
            }
            if let Some(addr) = &a.address {
                match addr.parse::<Ipv4Addr>() {
                    Err(_) => fail(at("address"), format!("\"{addr}\" is not an IPv4 address")),
                    Ok(ip) if taken.contains(&ip) => fail(
                        at("address"),
                        format!("{ip} is a host's of the scenario already"),
                    ),
                    Ok(ip) => {
                        if let Some(j) = self.actors[..i].iter().position(|b| {
                            b.address.as_deref().and_then(|x| x.parse().ok()) == Some(ip)
                        }) {
                            fail(
                                at("address"),
                                format!("{ip} is already actors[{j}]'s address"),
                            );
                        }
                    }
                }
            }
        }
        out
    }
}

/// What an actor's traffic did, in ATT&CK for ICS terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Technique {
    /// Service probes (bytes that are not Modbus) and enumerating a PLC's tables.
    RemoteSystemDiscovery,
    /// Report Server ID, Read Device Identification.
    RemoteSystemInformationDiscovery,
    /// Reading process values.
    MonitorProcessState,
    /// Writing a setpoint or parameter (holding registers), through T0855.
    ModifyParameter,
    /// Writing a coil (a run command, a reset), through T0855.
    ManipulationOfControl,
    /// STOP or RUN (the mode register), listen-only mode.
    ChangeOperatingMode,
    /// More requests than a device serves: a flood.
    DenialOfService,
    /// Modbus that none of the above describes (its function codes are counted).
    Unclassified,
}

impl Technique {
    /// (ATT&CK id, name); "—" for unclassified Modbus.
    pub fn id(self) -> (&'static str, &'static str) {
        match self {
            Technique::RemoteSystemDiscovery => ("T0846", "Remote System Discovery"),
            Technique::RemoteSystemInformationDiscovery => {
                ("T0888", "Remote System Information Discovery")
            }
            Technique::MonitorProcessState => ("T0801", "Monitor Process State"),
            Technique::ModifyParameter => ("T0836", "Modify Parameter"),
            Technique::ManipulationOfControl => ("T0831", "Manipulation of Control"),
            Technique::ChangeOperatingMode => ("T0858", "Change Operating Mode"),
            Technique::DenialOfService => ("T0814", "Denial of Service"),
            Technique::Unclassified => ("—", "unclassified Modbus"),
        }
    }

    /// Techniques realised along with it (a command message nobody authorised).
    pub fn also(self) -> &'static [&'static str] {
        match self {
            Technique::ModifyParameter
            | Technique::ManipulationOfControl
            | Technique::ChangeOperatingMode => &["T0855 Unauthorized Command Message"],
            _ => &[],
        }
    }
}

/// The mode register (holding 9000: 1 RUN, 0 STOP).
const MODE_REGISTER: u16 = 9000;
/// Requests from one actor to one PLC within one simulated second beyond which the
/// traffic is a flood (the legacy profile serves 2 a scan, 10 a second).
pub const FLOOD_PER_S: u32 = 100;

/// What a request is, as a technique (one request, one technique).
pub fn classify(r: &Request) -> Technique {
    use Request as R;
    match r {
        R::ReadCoils { .. }
        | R::ReadDiscreteInputs { .. }
        | R::ReadHoldingRegisters { .. }
        | R::ReadInputRegisters { .. } => Technique::MonitorProcessState,
        R::WriteSingleCoil { .. } | R::WriteMultipleCoils { .. } => {
            Technique::ManipulationOfControl
        }
        R::WriteSingleRegister { address, .. } if *address == MODE_REGISTER => {
            Technique::ChangeOperatingMode
        }
        R::WriteMultipleRegisters { address, values }
            if (*address..address.saturating_add(values.len() as u16)).contains(&MODE_REGISTER) =>
        {
            Technique::ChangeOperatingMode
        }
        R::WriteSingleRegister { .. }
        | R::WriteMultipleRegisters { .. }
        | R::ReadWriteMultipleRegisters { .. } => Technique::ModifyParameter,
        R::Diagnostics { sub_function, .. } if *sub_function == 4 => Technique::ChangeOperatingMode,
        R::ReportServerId | R::ReadDeviceIdentification { .. } => {
            Technique::RemoteSystemInformationDiscovery
        }
        _ => Technique::Unclassified,
    }
}

/// The table a read looks at (0 coils, 1 discrete inputs, 2 holding, 3 input registers).
fn table_read(r: &Request) -> Option<u8> {
    match r {
        Request::ReadCoils { .. } => Some(0),
        Request::ReadDiscreteInputs { .. } => Some(1),
        Request::ReadHoldingRegisters { .. } | Request::ReadWriteMultipleRegisters { .. } => {
            Some(2)
        }
        Request::ReadInputRegisters { .. } => Some(3),
        _ => None,
    }
}

/// A technique's use by one actor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Use {
    pub count: u64,
    pub first: Micros,
    pub last: Micros,
}

/// Everything an actor did, as the twin saw it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub first: Option<Micros>,
    pub last: Micros,
    /// Connections opened, and refused (by a firewall, a containment or a full device).
    pub connections: u64,
    pub refused: u64,
    /// Requests by function code; bytes that were not Modbus or frames that did not decode
    /// (service probes).
    pub by_function: BTreeMap<u8, u64>,
    pub not_modbus: u64,
    pub plcs: BTreeSet<usize>,
    /// Exception replies the actor received.
    pub exceptions: u64,
    /// Connections and requests a control stopped.
    pub blocked: u64,
    /// When a control first flagged its traffic.
    pub detected_at: Option<Micros>,
    pub techniques: BTreeMap<Technique, Use>,
    /// Function codes of the requests no technique describes.
    pub unclassified: BTreeMap<u8, u64>,
    /// Per PLC: the tables read (for enumeration), and the flood window (second, requests).
    tables: BTreeMap<usize, BTreeSet<u8>>,
    window: BTreeMap<usize, (u64, u32)>,
}

impl Record {
    fn seen(&mut self, t: Micros) {
        if self.first.is_none() {
            self.first = Some(t);
        }
        self.last = self.last.max(t);
    }

    /// Book one use of a technique; true the first time the actor uses it.
    pub fn used(&mut self, tech: Technique, t: Micros) -> bool {
        self.seen(t);
        let u = self.techniques.entry(tech).or_insert(Use {
            count: 0,
            first: t,
            last: t,
        });
        u.count += 1;
        u.last = t;
        u.count == 1
    }

    /// A request reaching (or stopped on its way to) PLC `plc`: its function, and the
    /// techniques it realises (a read that completes the PLC's tables is enumeration; the
    /// request past the flood threshold in a second is a flood). The techniques used for
    /// the first time.
    pub fn request(
        &mut self,
        plc: usize,
        function: u8,
        req: Option<&Request>,
        t: Micros,
    ) -> Vec<Technique> {
        self.seen(t);
        self.plcs.insert(plc);
        *self.by_function.entry(function).or_default() += 1;
        let mut new = Vec::new();
        let tech = req.map_or(Technique::Unclassified, classify);
        if tech == Technique::Unclassified {
            *self.unclassified.entry(function).or_default() += 1;
        }
        if self.used(tech, t) {
            new.push(tech);
        }
        if let Some(table) = req.and_then(table_read) {
            let seen = self.tables.entry(plc).or_default();
            if seen.insert(table)
                && seen.len() == 3
                && self.used(Technique::RemoteSystemDiscovery, t)
            {
                new.push(Technique::RemoteSystemDiscovery);
            }
        }
        let second = t / US_PER_S;
        let w = self.window.entry(plc).or_insert((second, 0));
        if w.0 != second {
            *w = (second, 0);
        }
        w.1 += 1;
        if w.1 == FLOOD_PER_S && self.used(Technique::DenialOfService, t) {
            new.push(Technique::DenialOfService);
        }
        new
    }

    /// Bytes that are not Modbus (a service probe).
    pub fn probe(&mut self, plc: usize, t: Micros) -> bool {
        self.plcs.insert(plc);
        self.not_modbus += 1;
        self.used(Technique::RemoteSystemDiscovery, t)
    }

    pub fn detected(&mut self, t: Micros) {
        if self.detected_at.is_none_or(|d| d > t) {
            self.detected_at = Some(t);
        }
    }
}

/// One actor of the session.
#[derive(Clone, Debug, PartialEq)]
pub struct Actor {
    pub name: String,
    pub source: IpAddr,
    /// Named in the actors file (else named by its address).
    pub named: bool,
    /// Its host in the network (placed in its zone).
    pub host: usize,
    pub record: Record,
}

/// The World's part: the session's actors and the connections that are theirs.
#[derive(Clone, Debug, Default)]
pub struct Actors {
    pub spec: ActorsSpec,
    pub list: Vec<Actor>,
    /// The zone an unnamed address is placed in, by name.
    pub default_zone: String,
    by_conn: BTreeMap<ConnId, usize>,
}

impl Actors {
    pub fn new(spec: ActorsSpec, default_zone: String) -> Actors {
        Actors {
            spec,
            default_zone,
            ..Actors::default()
        }
    }

    /// The actor whose source is `source`, if known.
    pub fn by_source(&self, source: IpAddr) -> Option<usize> {
        self.list.iter().position(|a| a.source == source)
    }

    /// The actor a connection belongs to.
    pub fn of_conn(&self, conn: ConnId) -> Option<usize> {
        self.by_conn.get(&conn).copied()
    }

    pub fn bind(&mut self, conn: ConnId, actor: usize) {
        self.by_conn.insert(conn, actor);
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// A control flagged traffic from host `host` at `t` (an IDS alert): its actor, if it
    /// is one, is detected.
    pub fn detected_host(&mut self, host: usize, t: Micros) {
        if let Some(a) = self.list.iter_mut().find(|x| x.host == host) {
            a.record.detected(t);
        }
    }

    /// A device monitor alerted on PLC `plc` at `t`: the actors whose traffic reached it in
    /// the last minute are detected.
    pub fn detected_at_plc(&mut self, plc: usize, t: Micros) {
        for a in &mut self.list {
            if a.record.plcs.contains(&plc) && a.record.last + crate::time::US_PER_MIN >= t {
                a.record.detected(t);
            }
        }
    }

    /// A reply on its way to an outside client: an exception is booked to its actor.
    pub fn reply(&mut self, conn: ConnId, adu: &[u8]) {
        if adu.get(7).is_some_and(|f| f & 0x80 != 0)
            && let Some(a) = self.of_conn(conn)
        {
            self.list[a].record.exceptions += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_is_the_technique_its_function_and_address_make_it() {
        use Request as R;
        let cases = [
            (
                R::ReadInputRegisters {
                    address: 0,
                    quantity: 1,
                },
                "T0801",
            ),
            (
                R::WriteSingleCoil {
                    address: 0,
                    value: false,
                },
                "T0831",
            ),
            (
                R::WriteMultipleCoils {
                    address: 0,
                    values: vec![true],
                },
                "T0831",
            ),
            (
                R::WriteSingleRegister {
                    address: 2,
                    value: 560,
                },
                "T0836",
            ),
            (
                R::WriteSingleRegister {
                    address: 9000,
                    value: 0,
                },
                "T0858",
            ),
            (
                R::WriteMultipleRegisters {
                    address: 8999,
                    values: vec![1, 0],
                },
                "T0858",
            ),
            (
                R::WriteMultipleRegisters {
                    address: 0,
                    values: vec![1, 0],
                },
                "T0836",
            ),
            (
                R::Diagnostics {
                    sub_function: 4,
                    data: vec![0, 0],
                },
                "T0858",
            ),
            (
                R::Diagnostics {
                    sub_function: 0,
                    data: vec![1, 2],
                },
                "—",
            ),
            (R::ReportServerId, "T0888"),
            (
                R::ReadDeviceIdentification {
                    read_code: 1,
                    object_id: 0,
                },
                "T0888",
            ),
        ];
        for (r, id) in cases {
            assert_eq!(classify(&r).id().0, id, "{r:?}");
        }
    }

    #[test]
    fn a_hundred_requests_to_one_plc_in_a_second_is_a_flood_and_three_tables_an_enumeration() {
        let mut rec = Record::default();
        let read = Request::ReadHoldingRegisters {
            address: 0,
            quantity: 1,
        };
        // 99 in one second: not yet; the 100th is.
        for k in 0..99 {
            assert!(
                !rec.request(0, 3, Some(&read), 5_000_000 + k * 1000)
                    .contains(&Technique::DenialOfService)
            );
        }
        assert_eq!(
            rec.request(0, 3, Some(&read), 5_999_000),
            vec![Technique::DenialOfService]
        );
        // A new second starts again from zero; another PLC has its own window.
        let mut other = Record::default();
        for k in 0..150 {
            let t = 1_000_000 * (k / 60);
            other.request(k as usize % 2, 3, Some(&read), t);
        }
        assert!(!other.techniques.contains_key(&Technique::DenialOfService));
        // Reading a third table of one PLC is enumerating it (once).
        let mut e = Record::default();
        e.request(
            1,
            1,
            Some(&Request::ReadCoils {
                address: 0,
                quantity: 1,
            }),
            0,
        );
        e.request(
            2,
            2,
            Some(&Request::ReadDiscreteInputs {
                address: 0,
                quantity: 1,
            }),
            0,
        );
        e.request(
            1,
            4,
            Some(&Request::ReadInputRegisters {
                address: 0,
                quantity: 1,
            }),
            0,
        );
        assert!(!e.techniques.contains_key(&Technique::RemoteSystemDiscovery));
        let new = e.request(1, 3, Some(&read), 7);
        assert_eq!(new, vec![Technique::RemoteSystemDiscovery]);
        assert!(
            e.request(
                1,
                2,
                Some(&Request::ReadDiscreteInputs {
                    address: 0,
                    quantity: 1
                }),
                8
            )
            .is_empty()
        );
        assert_eq!(e.techniques[&Technique::MonitorProcessState].count, 5);
        // An unknown function is counted by its code.
        e.request(1, 0x5A, None, 9);
        assert_eq!(e.unclassified.get(&0x5A), Some(&1));
    }
}

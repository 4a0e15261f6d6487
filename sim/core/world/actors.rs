//! The World's side of the actors: an outside client's connection is placed as its actor's
//! host and passes the network (segmentation, a containment) as any host's; its requests
//! pass the gate chain; what it does is booked to it, and what it costs is owed to it.

use super::World;
use crate::actors::{Actor, ActorsSpec, Record, Technique};
use crate::loss::Cause;
use crate::metrics::EventKind;
use crate::network::Verdict;
use crate::plc::{Admission, ConnId};
use crate::scenario::Problem;
use crate::time::Micros;
use core::net::{IpAddr, Ipv4Addr};

impl World {
    /// Place the session's actors: a live session's actors file, or the one its input log
    /// recorded. Problems at their fields, the world unchanged.
    pub fn place_actors(&mut self, spec: ActorsSpec) -> Result<(), Vec<Problem>> {
        let taken: Vec<Ipv4Addr> = self.net.network.hosts.iter().map(|h| h.address).collect();
        let problems = spec.problems(&self.net.network.zones, &taken);
        if !problems.is_empty() {
            return Err(problems);
        }
        let zone = spec
            .zone
            .clone()
            .unwrap_or_else(|| self.net.network.zones[0].clone());
        self.actors = crate::actors::Actors::new(spec, zone);
        Ok(())
    }

    /// The actor of a source address: the one known, or a new one (named in the actors
    /// file, or by its address), placed as a host in its zone.
    pub(crate) fn actor_of(&mut self, source: IpAddr) -> usize {
        if let Some(a) = self.actors.by_source(source) {
            return a;
        }
        let named = self
            .actors
            .spec
            .actors
            .iter()
            .find(|a| a.source.parse::<IpAddr>().ok() == Some(source))
            .cloned();
        let (name, zone_name, address) = match &named {
            Some(a) => (
                a.name.clone(),
                a.zone.clone(),
                a.address.as_deref().and_then(|x| x.parse().ok()),
            ),
            None => (source.to_string(), self.actors.default_zone.clone(), None),
        };
        let net = &mut self.net.network;
        // The actors file's zones were checked against the network when it was placed.
        let zone = net
            .zones
            .iter()
            .position(|z| *z == zone_name)
            .expect("an actor's zone is checked when the actors are placed");
        let address = address.unwrap_or_else(|| net.free_address(zone));
        let host = net.place(&name, zone, address);
        self.actors.list.push(Actor {
            name,
            source,
            named: named.is_some(),
            host,
            record: Record::default(),
        });
        // Blame is worked out from now on: a stopped station may be this actor's doing.
        self.ledger.track_blame = true;
        self.actors.list.len() - 1
    }

    /// An outside client connects to PLC `plc` from `source`: the network decides as for
    /// any host of the actor's zone (unless the kernel already did, in a namespace lab).
    /// `Some(Refused)` where it is refused.
    pub(crate) fn actor_connects(
        &mut self,
        plc: usize,
        conn: ConnId,
        source: IpAddr,
        t: Micros,
    ) -> Option<Admission> {
        let a = self.actor_of(source);
        self.actors.bind(conn, a);
        let (host, to) = (self.actors.list[a].host, self.net.network.plc_host(plc));
        let first = self.actors.list[a].record.first.is_none();
        let rec = &mut self.actors.list[a].record;
        rec.connections += 1;
        rec.plcs.insert(plc);
        rec.last = rec.last.max(t);
        if first {
            rec.first = Some(t);
            let (name, zone) = (
                self.actors.list[a].name.clone(),
                self.net.network.zones[self.net.network.hosts[host].zone].clone(),
            );
            self.ledger.metrics.event(
                t,
                EventKind::ActorConnected,
                &name,
                format!("{source}, as a host of zone {zone}"),
            );
        }
        // A host the incident response contained is refused; else the firewalls decide,
        // unless the kernel already has (a namespace lab).
        let contained = self.contained(host, t);
        let carried = self.net.bus.carried();
        let refused = contained
            || (!carried
                && !matches!(
                    self.net
                        .network
                        .decide(host, to, crate::modbus::PORT)
                        .verdict,
                    Verdict::Allow(_)
                ));
        if refused {
            let rec = &mut self.actors.list[a].record;
            rec.refused += 1;
            rec.blocked += 1;
            if !contained {
                self.note_flow(host, to, crate::modbus::PORT, false, t);
            }
            return Some(Admission::Refused);
        }
        if !carried {
            self.note_passed(host, to, crate::modbus::PORT, false);
        }
        None
    }

    /// A whole frame from an outside client: booked to its actor (functions, techniques),
    /// then through the gate chain. False: a gate stopped it.
    pub(crate) fn actor_frame(&mut self, plc: usize, conn: ConnId, adu: &[u8], t: Micros) -> bool {
        let Some(a) = self.actors.of_conn(conn) else {
            return true;
        };
        let req = crate::modbus::parse_adu(adu)
            .ok()
            .and_then(|(_, pdu)| crate::modbus::Request::decode_pdu(pdu).ok());
        let function = adu.get(7).copied().unwrap_or(0);
        let new = self.actors.list[a]
            .record
            .request(plc, function, req.as_ref(), t);
        self.new_techniques(a, plc, &new, t);
        if self.contained(self.actors.list[a].host, t) {
            self.actors.list[a].record.blocked += 1;
            self.close_external(plc, conn);
            return false;
        }
        self.pass_gates_from(plc, super::Client::Outside { conn, actor: a }, adu, true, t)
    }

    /// Bytes that are not Modbus from an outside client (a service probe).
    pub(crate) fn actor_probe(&mut self, plc: usize, conn: ConnId, t: Micros) -> bool {
        let Some(a) = self.actors.of_conn(conn) else {
            return true;
        };
        if self.actors.list[a].record.probe(plc, t) {
            self.new_techniques(a, plc, &[Technique::RemoteSystemDiscovery], t);
        }
        self.pass_gates_from(
            plc,
            super::Client::Outside { conn, actor: a },
            &[],
            false,
            t,
        )
    }

    pub(crate) fn new_techniques(&mut self, a: usize, plc: usize, new: &[Technique], t: Micros) {
        for tech in new {
            let (id, name) = tech.id();
            self.ledger.metrics.event(
                t,
                EventKind::ActorTechnique,
                &self.actors.list[a].name.clone(),
                format!("{id} {name} on {}", self.devices.plcs[plc].name),
            );
        }
    }

    /// Who is behind a connection that wrote a register, stopped a PLC or faulted it: an
    /// attack step's link, or an outside client's actor.
    pub(crate) fn culprit(&self, conn: Option<ConnId>) -> Option<Cause> {
        let c = conn?;
        if let Some(k) = self.attack_of(Some(c)) {
            return Some(Cause::Attack(k));
        }
        self.actors.of_conn(c).map(Cause::Actor)
    }
}

//! The World owns all state and advances it by one fixed tick per `step()`. No I/O, no
//! wall clock, no threads: the clock, sockets, windows and files are adapters around it.

use crate::attack::AttackRun;
use crate::bus::{Bus, Owner};
pub use crate::controls::deployed::{AuditRecord, DeviceStats, DpiStats, IdsStats, VendorStats};
use crate::hmi::{Hmi, HmiEvent, Task};
use crate::metrics::Metrics;
use crate::modbus::Framer;

use crate::network::{Network, Verdict};
use crate::plant::{Plant, PlantEvent};
use crate::plc::{Admission, ConnId, Plc};
use crate::scenario::{Action, Scenario};
use crate::time::{Micros, US_PER_H, US_PER_MIN, US_PER_MS, from_secs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What to keep beyond the summary counters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Recording {
    /// One sample per simulated minute.
    pub timeline: bool,
    /// The event log.
    pub events: bool,
    /// Every Modbus frame on the bus (for pcap).
    pub frames: bool,
}

impl Recording {
    pub fn all() -> Self {
        Recording {
            timeline: true,
            events: true,
            frames: true,
        }
    }
}

/// Controls switched off at run time (viewer), with their state, to switch back on.
#[derive(Default)]
pub(crate) struct Parked {
    pub ids: Option<crate::controls::ids::Ids>,
    pub response: Option<crate::scenario::ResponseSpec>,
    pub devices: Option<crate::scenario::DeviceMonitoringSpec>,
}

/// Connection ids from here up belong to clients outside the World (live sockets).
pub const EXTERNAL_CONN: ConnId = 1 << 24;

/// Something from outside the World, applied at the start of a tick in arrival order.
/// Live sessions log every input with its tick, so `run --replay` reproduces them exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// A client opened a TCP connection to a PLC.
    Connect {
        plc: usize,
        conn: ConnId,
    },
    Disconnect {
        plc: usize,
        conn: ConnId,
    },
    /// A whole Modbus/TCP ADU from a client.
    Frame {
        plc: usize,
        conn: ConnId,
        adu: Vec<u8>,
    },
    /// A frame that does not parse as a Modbus request (wrong length, bad byte count…).
    Malformed {
        plc: usize,
        conn: ConnId,
    },
    /// Bytes that are not Modbus/TCP at all (a service scan's probe): the stream is dropped.
    Garbage {
        plc: usize,
        conn: ConnId,
    },
    /// A read answered from the PLC's published image without waiting for a scan
    /// (profiles with no per-scan limit); counted here so replays count it too.
    Read {
        plc: usize,
    },
    /// A facilitator's command from the viewer (launch an attack step, switch a control,
    /// fail a station), logged like any input so the session replays.
    Viewer {
        command: crate::view::Command,
    },
}

pub struct World {
    pub scenario: Scenario,
    pub seed: u64,
    pub now: Micros,
    pub tick: Micros,
    pub end: Micros,
    pub plant: Plant,
    pub plcs: Vec<Plc>,
    pub hmi: Hmi,
    pub bus: Bus,
    pub metrics: Metrics,
    /// Stations' PLC index, for labels.
    pub(crate) station_plc: Vec<usize>,
    pub(crate) schedule: Vec<(Micros, Action)>,
    pub(crate) next_action: usize,
    /// Production is planned (the schedule has the line on).
    pub planned: bool,
    pub target_per_h: f64,
    /// Replies to external connections, for the live adapter to send.
    pub external_replies: Vec<(ConnId, Vec<u8>)>,
    /// External connections the device closed (evicted when full, or after garbage).
    pub closed_by_device: Vec<ConnId>,
    /// When each HMI link may try to reconnect (by link id; others never).
    pub(crate) reconnect_at: Vec<Micros>,
    pub network: Network,
    pub attacks: Vec<AttackRun>,
    /// Servers' framers for links that carry arbitrary bytes.
    pub(crate) framers: BTreeMap<ConnId, Framer>,
    /// Connections the network refused: (from host, to host, port) → (attempts, legitimate).
    pub blocked_flows: BTreeMap<(usize, usize, u16), (u64, bool)>,
    /// Per station: what is to blame for it being stopped, this tick.
    pub(crate) blame: Vec<Option<crate::metrics::Blame>>,
    /// Whether blame needs working out (attacks or controls in the scenario).
    pub(crate) track_blame: bool,
    pub dpi: Option<crate::controls::dpi::Dpi>,
    pub dpi_stats: DpiStats,
    pub ids: Option<crate::controls::ids::Ids>,
    pub ids_stats: IdsStats,
    /// The HMI's workstation is encrypted until then: no polling, no operator at the screen.
    pub(crate) hmi_down_until: Micros,
    /// The MES is down until then.
    pub(crate) mes_down_until: Micros,
    /// Management holds the line stopped until then.
    pub(crate) hold_until: Micros,
    /// The line is held stopped by the consequences of an attack (MES lost, shutdown order).
    pub(crate) line_held: bool,
    /// The attack step whose consequences hold the line.
    pub(crate) held_by: Option<usize>,
    pub vendor_stats: VendorStats,
    /// Remote access refused (an exercise decision): repairs that need the vendor wait
    /// this long for an engineer on site, and nothing comes in over the vendor's access.
    pub(crate) vendor_refused: Option<Micros>,
    /// The gateway's append-only audit log.
    pub audit: Vec<AuditRecord>,
    /// Hosts isolated by the incident response, and from when.
    pub contained: BTreeMap<usize, Micros>,
    pub device_stats: DeviceStats,
    /// Per PLC: requests dropped at the last look, and whether it was alerting.
    pub(crate) device_seen: Vec<(u64, bool)>,
    /// Controls a facilitator switched off from the viewer, kept to switch back on.
    pub(crate) parked: Parked,
    pub(crate) response_rng: crate::rng::Stream,
    pub(crate) vendor_rng: crate::rng::Stream,
    /// Requests the DPI answered for (link, transaction id), for the attack records.
    pub(crate) dpi_blocked: std::collections::BTreeSet<(ConnId, u16)>,
}

impl World {
    pub fn new(scenario: &Scenario, seed: u64) -> World {
        World::with_recording(scenario, seed, Recording::default())
    }

    pub fn with_recording(scenario: &Scenario, seed: u64, rec: Recording) -> World {
        let s = scenario;
        let profiles = s.all_profiles();
        let plant = Plant::new(s, seed);
        let plcs: Vec<Plc> = s
            .plcs
            .iter()
            .map(|p| {
                let profile = profiles
                    .iter()
                    .find(|q| q.name == p.profile)
                    .expect("validated scenario");
                Plc::new(p, s, profile)
            })
            .collect();
        let mut bus = Bus {
            capture: rec.frames.then(Vec::new),
            ..Bus::default()
        };
        let mut plcs = plcs;
        let network = Network::new(s);
        let verdicts: Vec<Verdict> = (0..plcs.len())
            .map(|p| network.connect(network.hmi(), network.plc_host(p), 502))
            .collect();
        let dpi = s.dpi.as_ref().map(crate::controls::dpi::Dpi::new);
        let dpi_latency = dpi.as_ref().map(|d| d.latency).unwrap_or(0);
        let latency: Vec<Micros> = verdicts
            .iter()
            .map(|v| {
                if let Verdict::Allow(l) = v {
                    *l + dpi_latency
                } else {
                    0
                }
            })
            .collect();
        let hmi = Hmi::new(s, &plcs, &mut bus, seed, &latency);
        let mut blocked_flows = BTreeMap::new();
        for (link, p) in hmi.links() {
            if !matches!(verdicts[p], Verdict::Allow(_)) {
                // A flow the plant needs that the network does not carry.
                bus.close(link);
                blocked_flows.insert((network.hmi(), network.plc_host(p), 502), (1, true));
            } else if plcs[p].connect(link) == Admission::Refused {
                bus.close(link);
            }
        }
        let mut attacks: Vec<AttackRun> = s
            .attacks
            .iter()
            .map(|a| AttackRun::new(a, network.host(&a.from).unwrap_or(0)))
            .collect();
        if let Some(a) = &s.attacker {
            attacks.extend(crate::attack::campaign(a, &network, seed));
        }
        let track_blame = !attacks.is_empty() || s.segmentation.is_some() || s.dpi.is_some();
        let ids = s
            .ids
            .as_ref()
            .map(|spec| crate::controls::ids::Ids::new(spec, seed));
        let mut station_plc = vec![0; s.stations.len()];
        for (p, plc) in plcs.iter().enumerate() {
            for st in plc.stations() {
                station_plc[st] = p;
            }
        }
        let (bottleneck, capacity_per_h) = bottleneck(s);
        let mut schedule: Vec<(Micros, Action)> = s
            .schedule
            .iter()
            .map(|e| (from_secs(e.at_h * 3600.0), e.action.clone()))
            .collect();
        schedule.sort_by_key(|(t, _)| *t); // stable: entries at the same time keep file order
        let n_links = bus.links.len();
        World {
            seed,
            now: 0,
            tick: u64::from(s.tick_ms) * US_PER_MS,
            end: from_secs(s.duration_h * 3600.0),
            metrics: Metrics::new(
                s.stations.len(),
                bottleneck,
                rec.timeline,
                rec.events,
                attacks.len(),
            ),
            plant,
            plcs,
            hmi,
            bus,
            station_plc,
            schedule,
            next_action: 0,
            planned: false,
            target_per_h: s.line.target_per_h.unwrap_or(capacity_per_h),
            external_replies: Vec::new(),
            closed_by_device: Vec::new(),
            reconnect_at: vec![0; n_links],
            network,
            attacks,
            framers: BTreeMap::new(),
            blocked_flows,
            blame: vec![None; s.stations.len()],
            track_blame,
            dpi,
            dpi_stats: DpiStats::default(),
            ids,
            ids_stats: IdsStats::default(),
            hmi_down_until: 0,
            mes_down_until: 0,
            vendor_refused: None,
            hold_until: 0,
            line_held: false,
            held_by: None,
            vendor_stats: VendorStats {
                access: match s.vendor.as_ref().map(|v| &v.access) {
                    None => String::new(),
                    Some(crate::scenario::VendorAccess::AlwaysOnVpn) => "always-on VPN".into(),
                    Some(crate::scenario::VendorAccess::Gateway { .. }) => {
                        "remote-access gateway".into()
                    }
                },
                ..VendorStats::default()
            },
            audit: Vec::new(),
            contained: BTreeMap::new(),
            device_stats: DeviceStats::default(),
            device_seen: vec![(0, false); s.plcs.len()],
            parked: Parked::default(),
            response_rng: crate::rng::stream(seed, "response"),
            vendor_rng: crate::rng::stream(seed, "vendor"),
            dpi_blocked: std::collections::BTreeSet::new(),
            scenario: s.clone(),
        }
    }

    pub fn done(&self) -> bool {
        self.now >= self.end
    }

    /// Run to the end of the scenario.
    pub fn run(&mut self) {
        while !self.done() {
            self.step();
        }
    }

    /// Run until simulated time `t` (or the end).
    pub fn run_until(&mut self, t: Micros) {
        while self.now < t.min(self.end) {
            self.step();
        }
    }

    /// Advance one tick.
    pub fn step(&mut self) {
        let t = self.now;
        let dt = self.tick;
        // Replies that reached the HMI.
        for l in 0..self.bus.links.len() as u32 {
            while let Some(adu) = self.bus.arrivals_at_client(l, t) {
                match self.bus.links[l as usize].owner {
                    Owner::Hmi if t < self.hmi_down_until => {}
                    Owner::Hmi => {
                        let adu = if self.attacks.is_empty() {
                            adu
                        } else {
                            self.intercept_for_hmi(self.bus.links[l as usize].plc, adu)
                        };
                        self.hmi.receive(l, &adu, t)
                    }
                    Owner::Attack(i) => self.attack_receive(i, l, &adu),
                }
            }
        }
        // The operating schedule.
        while let Some((at, action)) = self.schedule.get(self.next_action)
            && *at <= t
        {
            let action = action.clone();
            self.next_action += 1;
            self.apply(t, &action);
        }
        // The HMI polls, writes, and its operator acts (unless its workstation is encrypted).
        if t >= self.hmi_down_until {
            self.hmi.tick(t, &mut self.bus);
        }
        if !self.attacks.is_empty() {
            self.hold_line(t);
        }
        self.reconnect_hmi(t);
        if !self.attacks.is_empty() {
            self.run_attacks(t);
        }
        if self.ids.is_some() {
            self.ids_alerts(t);
        }
        if self.scenario.response.is_some() && !self.attacks.is_empty() {
            self.respond(t);
        }
        if let Some(d) = &self.scenario.device_monitoring
            && t.is_multiple_of(from_secs(d.poll_s).max(self.tick))
        {
            self.watch_devices(t, d.shed);
        }
        for (at, task) in std::mem::take(&mut self.hmi.local_actions) {
            if let Task::ResetPlc(p) = task {
                let plc = &mut self.plcs[p];
                if plc.fault.is_none() && !plc.is_listen_only() {
                    // Nothing wrong at the cabinet: the PLC runs but the HMI cannot reach
                    // it. The operator starts its stations at the local panel.
                    if self.hmi.line_should_run && plc.local_start() {
                        self.metrics.event(
                            at,
                            "local_start",
                            &plc.name,
                            "the HMI cannot reach this PLC: stations started at the local panel"
                                .into(),
                        );
                    }
                } else if plc.fault.is_none() && plc.is_listen_only() {
                    // A restart at the cabinet ends listen-only mode.
                    plc.restart_communications();
                    self.metrics.event(
                        at,
                        "plc_reset",
                        &plc.name,
                        "operator restarted the PLC's communications".into(),
                    );
                } else if plc.fault.is_some() {
                    if plc.reset_fault(at) {
                        self.metrics.event(
                            at,
                            "plc_reset",
                            &plc.name,
                            "operator reset at the cabinet".into(),
                        );
                    } else if let Some(f) = &plc.fault {
                        // The operator waits at the cabinet until the device has recovered.
                        self.hmi.retry_at(f.recovered_at, task);
                    }
                }
            }
        }
        // Requests that reached the PLCs, then the scans that are due.
        for l in 0..self.bus.links.len() as u32 {
            let p = self.bus.links[l as usize].plc;
            while let Some(bytes) = self.bus.arrivals_at_server(l, t) {
                if self.bus.links[l as usize].raw {
                    self.serve_raw(p, l, &bytes, t);
                } else {
                    self.ids_observe(p, l, &bytes, t);
                    if self.dpi_passes(p, l, &bytes, t) {
                        self.plcs[p].receive(l, bytes);
                    }
                }
            }
        }
        for plc in &mut self.plcs {
            if plc.scan_due(t) {
                plc.scan(t, &mut self.plant);
            }
            while plc.outbox.front().is_some_and(|o| o.ready_at <= t) {
                if let Some(o) = plc.outbox.pop_front() {
                    if o.conn >= EXTERNAL_CONN {
                        self.external_replies.push((o.conn, o.adu));
                    } else {
                        self.bus.send_to_client(o.conn, o.ready_at, o.adu);
                    }
                }
            }
        }
        // The plant moves.
        self.plant.advance(t, dt);
        if !self.plant.vendor_calls.is_empty() {
            self.route_vendor_calls();
        }
        if self.track_blame {
            self.work_out_blame();
        }
        self.metrics
            .account(&self.plant, self.planned, dt, &self.blame);
        self.collect_events();
        self.now = t + dt;
        if self.now.is_multiple_of(US_PER_MIN) {
            self.metrics
                .sample_minute(self.now / US_PER_MIN, &self.plant, self.planned);
            if self.now.is_multiple_of(US_PER_H) {
                self.metrics.close_hour(&self.plant);
            }
        }
    }

    /// Apply an input from outside, now (the adapter calls this before `step()`). For a
    /// connection, returns what the device did with it.
    pub fn apply_input(&mut self, input: &Input) -> Option<Admission> {
        let t = self.now;
        let valid = |p: usize| p < self.plcs.len();
        match *input {
            Input::Connect { plc, conn } if valid(plc) => {
                let a = self.plcs[plc].connect(conn);
                match a {
                    Admission::AcceptedClosing(old) => self.close_external(plc, old),
                    Admission::Refused => self.metrics.event(
                        t,
                        "connection_refused",
                        &self.plcs[plc].name.clone(),
                        format!("connection {conn}: all taken"),
                    ),
                    Admission::Accepted => {}
                }
                Some(a)
            }
            Input::Disconnect { plc, conn } if valid(plc) => {
                self.plcs[plc].disconnect(conn);
                None
            }
            Input::Frame { plc, conn, ref adu } if valid(plc) => {
                // Only on a connection the device holds (not one it refused or closed).
                if self.plcs[plc].has_connection(conn) {
                    self.plcs[plc].receive(conn, adu.clone());
                }
                None
            }
            Input::Malformed { plc, conn } if valid(plc) => {
                self.plcs[plc].malformed(t);
                let _ = conn;
                None
            }
            Input::Garbage { plc, conn } if valid(plc) => {
                if self.plcs[plc].garbage(t) {
                    self.close_external(plc, conn);
                }
                None
            }
            Input::Read { plc } if valid(plc) => {
                self.plcs[plc].stats.requests += 1;
                None
            }
            Input::Viewer { ref command } => {
                crate::view::apply(self, command);
                None
            }
            _ => None,
        }
    }

    /// A SCADA reconnects a connection the device closed (or refused), every 5 s.
    fn reconnect_hmi(&mut self, t: Micros) {
        const RETRY: Micros = 5_000_000;
        for l in 0..self.bus.links.len() {
            let link = l as ConnId;
            if self.bus.is_open(link) || t < self.reconnect_at[l] {
                continue;
            }
            let p = self.bus.links[l].plc;
            if self.bus.links[l].owner != Owner::Hmi {
                continue;
            }
            let (from, to) = (self.network.hmi(), self.network.plc_host(p));
            if !matches!(self.network.connect(from, to, 502), Verdict::Allow(_)) {
                self.note_flow(from, to, 502, true, t);
                self.reconnect_at[l] = t + RETRY;
                continue;
            }
            match self.plcs[p].connect(link) {
                Admission::Refused => self.reconnect_at[l] = t + RETRY,
                a => {
                    if let Admission::AcceptedClosing(old) = a {
                        self.close_external(p, old);
                    }
                    self.bus.reopen(link);
                    self.metrics.event(
                        t,
                        "hmi_reconnect",
                        &self.plcs[p].name.clone(),
                        "HMI connection re-established".into(),
                    );
                }
            }
        }
    }

    /// A connection the network refused.
    pub(crate) fn note_flow(
        &mut self,
        from: usize,
        to: usize,
        port: u16,
        legitimate: bool,
        t: Micros,
    ) {
        let e = self
            .blocked_flows
            .entry((from, to, port))
            .or_insert((0, legitimate));
        e.0 += 1;
        if e.0 == 1 {
            let (a, b) = (
                self.network.hosts[from].name.clone(),
                self.network.hosts[to].name.clone(),
            );
            self.metrics.event(
                t,
                "flow_blocked",
                &a,
                format!(
                    "to {b}:{port} ({})",
                    if legitimate {
                        "a flow the plant needs"
                    } else {
                        "attack traffic"
                    }
                ),
            );
        }
    }

    /// Bytes on a raw link reach the server's framer: whole frames are requests; bytes
    /// that are not Modbus are what they are to the device (and the connection ends).
    fn serve_raw(&mut self, p: usize, l: ConnId, bytes: &[u8], t: Micros) {
        let f = self.framers.entry(l).or_default();
        f.push(bytes);
        let mut frames = Vec::new();
        let mut garbage = false;
        while let Some(r) = f.next_frame() {
            match r {
                Ok(adu) => frames.push(adu),
                Err(_) => {
                    garbage = true;
                    break;
                }
            }
        }
        for adu in frames {
            self.ids_observe(p, l, &adu, t);
            if self.dpi_passes(p, l, &adu, t) {
                self.plcs[p].receive(l, adu);
            }
        }
        if garbage && !self.dpi_passes(p, l, bytes, t) {
            // The DPI does not forward what it cannot parse: the device never sees it.
            self.framers.remove(&l);
            return;
        }
        if garbage {
            self.framers.remove(&l);
            self.plcs[p].set_current_conn(Some(l));
            if self.plcs[p].garbage(t) {
                self.close_external(p, l);
            }
            self.plcs[p].set_current_conn(None);
        }
    }

    /// The attack step behind a connection, if it is an attacker's.
    fn attack_of(&self, conn: Option<ConnId>) -> Option<usize> {
        match conn
            .and_then(|c| self.bus.links.get(c as usize))
            .map(|l| l.owner)
        {
            Some(Owner::Attack(i)) => Some(i),
            _ => None,
        }
    }

    /// Who is to blame for each stopped station: an attacker's command or traffic, or a
    /// control that keeps the HMI's commands from the PLC.
    fn work_out_blame(&mut self) {
        use crate::metrics::Blame;
        for st in 0..self.blame.len() {
            let p = self.station_plc[st];
            let plc = &self.plcs[p];
            let slot = plc.stations().position(|s| s == st).unwrap_or(0);
            let attack = if self.line_held && !plc.run_coil(slot) {
                Some(self.held_by)
            } else if let Some(f) = &plc.fault {
                self.attack_of(f.source).map(Some)
            } else if !plc.mode_is_run() {
                self.attack_of(plc.mode_writer()).map(Some)
            } else if !plc.run_coil(slot) {
                self.attack_of(plc.run_writer(slot)).map(Some)
            } else {
                None
            };
            let hmi_link = self.hmi.links().find(|(_, q)| *q == p).map(|(l, _)| l);
            let cut_off = hmi_link.is_some_and(|l| {
                !self.bus.is_open(l)
                    && self.blocked_flows.contains_key(&(
                        self.network.hmi(),
                        self.network.plc_host(p),
                        502,
                    ))
            });
            // Cut off from the HMI by a control: a station it cannot start, or a failure
            // nobody called maintenance for (the alarm never reached the screen).
            let station = &self.plant.stations[st];
            let unseen_failure =
                station.state() == crate::plant::State::Failed && !station.repair_in_progress();
            self.blame[st] = if let Some(step) = attack {
                Some(Blame::Attack(step))
            } else if cut_off && (!plc.run_coil(slot) || unseen_failure) {
                Some(Blame::Control)
            } else {
                None
            };
        }
    }

    pub(crate) fn close_external(&mut self, plc: usize, conn: ConnId) {
        self.plcs[plc].disconnect(conn);
        if conn >= EXTERNAL_CONN {
            self.closed_by_device.push(conn);
        } else if self
            .bus
            .links
            .get(conn as usize)
            .is_some_and(|l| l.owner != Owner::Hmi)
        {
            self.bus.close(conn);
        } else {
            self.bus.close(conn);
            self.reconnect_at[conn as usize] = self.now + 5_000_000;
            self.metrics.event(
                self.now,
                "hmi_disconnected",
                &self.plcs[plc].name.clone(),
                "the device closed the HMI's connection".into(),
            );
        }
    }

    fn apply(&mut self, t: Micros, action: &Action) {
        match action {
            Action::StartLine => {
                self.planned = true;
                self.hmi.start_line();
                self.metrics
                    .event(t, "schedule", "schedule", "start line".into());
            }
            Action::StopLine => {
                self.planned = false;
                self.hmi.stop_line();
                self.metrics
                    .event(t, "schedule", "schedule", "stop line (planned)".into());
            }
            Action::Changeover { product, setpoints } => {
                let s = &self.scenario;
                self.hmi
                    .changeover(*product, setpoints, |n| s.station_index(n));
                self.metrics.event(
                    t,
                    "schedule",
                    "schedule",
                    format!("changeover to product {product}: {setpoints:?}"),
                );
            }
        }
    }

    fn collect_events(&mut self) {
        let recording = self.metrics.events.is_some();
        if !recording {
            // Nothing to log: keep the buffers (and their capacity) for the next tick.
            self.plant.events.clear();
            self.hmi.events.clear();
        }
        for (t, e) in std::mem::take(&mut self.plant.events) {
            let name = |i: &usize| self.plant.stations[*i].name.clone();
            let (kind, source, detail) = match &e {
                PlantEvent::Failure { station } => {
                    ("failure", name(station), "machine failure".to_string())
                }
                PlantEvent::RepairStarted { station, by_floor } => (
                    "repair_started",
                    name(station),
                    if *by_floor {
                        "noticed on the floor (no maintenance call)".into()
                    } else {
                        "maintenance called".into()
                    },
                ),
                PlantEvent::Repaired { station } => {
                    ("repaired", name(station), "repair done".into())
                }
                PlantEvent::Trip { station, temp_c } => (
                    "safety_trip",
                    name(station),
                    format!("temperature above {temp_c} °C"),
                ),
                PlantEvent::TripReady { station } => (
                    "trip_reset_ready",
                    name(station),
                    "cooled and inspected".into(),
                ),
                PlantEvent::TripReset { station } => {
                    ("trip_reset", name(station), "operator reset".into())
                }
                PlantEvent::HealthAlert { station } => (
                    "health_alert",
                    name(station),
                    "degradation seen: maintenance planned".into(),
                ),
                PlantEvent::PlannedStop { station } => (
                    "planned_stop",
                    name(station),
                    "stopped for planned maintenance".into(),
                ),
            };
            self.metrics.event(t, kind, &source, detail);
        }
        for p in 0..self.plcs.len() {
            if self.plcs[p].new_faults.is_empty() {
                continue;
            }
            for (t, cause) in std::mem::take(&mut self.plcs[p].new_faults) {
                let name = self.plcs[p].name.clone();
                self.metrics
                    .event(t, "plc_fault", &name, format!("{cause:?}"));
            }
        }
        for (t, e) in std::mem::take(&mut self.hmi.events) {
            let st = |i: &usize| self.plant.stations[*i].name.clone();
            let plc = |i: &usize| self.plcs[*i].name.clone();
            let (kind, source, detail) = match &e {
                HmiEvent::AlarmSeen { station, state } => {
                    ("alarm", st(station), format!("HMI shows {state}"))
                }
                HmiEvent::OperatorAction(task) => {
                    let (what, who) = match task {
                        Task::CallMaintenance(s) => ("call maintenance", st(s)),
                        Task::ResetTrip(s) => ("reset safety trip", st(s)),
                        Task::RestartStation(s) => ("restart station", st(s)),
                        Task::SetPlcRun(p) => ("set PLC to RUN", plc(p)),
                        Task::ResetPlc(p) => ("go to the cabinet to reset the PLC", plc(p)),
                        Task::RestoreSetpoint(s) => {
                            ("restore the recipe's temperature setpoint", st(s))
                        }
                    };
                    ("operator", who, what.to_string())
                }
                HmiEvent::CommLoss { plc: p } => {
                    ("comm_loss", plc(p), "3 polls without reply".into())
                }
                HmiEvent::CommRestored { plc: p } => {
                    ("comm_restored", plc(p), "replies again".into())
                }
                HmiEvent::WriteFailed { plc: p, function } => {
                    ("write_failed", plc(p), format!("FC {function:02X}"))
                }
            };
            self.metrics.event(t, kind, &source, detail);
        }
    }

    /// PLC index controlling a station.
    pub fn plc_of(&self, station: usize) -> usize {
        self.station_plc[station]
    }

    pub fn hours(&self) -> f64 {
        self.now as f64 / US_PER_H as f64
    }
}

/// The station the line's downtime is measured at, and the line's nominal capacity per
/// hour. Default: the stage (a station with its parallel peers: same feeders, same
/// destinations) with the least capacity.
pub fn bottleneck(s: &Scenario) -> (usize, f64) {
    let n = s.stations.len();
    let feeders = |i: usize| -> Vec<usize> {
        (0..n)
            .filter(|&j| s.stations[j].feeds.iter().any(|f| *f == s.stations[i].name))
            .collect()
    };
    let capacity = |i: usize| -> f64 {
        let (up, down) = (feeders(i), &s.stations[i].feeds);
        let peers: Vec<usize> = (0..n)
            .filter(|&j| feeders(j) == up && &s.stations[j].feeds == down)
            .collect();
        peers.iter().map(|&j| 3600.0 / s.stations[j].cycle_s).sum()
    };
    let chosen = match s
        .line
        .bottleneck
        .as_deref()
        .and_then(|b| s.station_index(b))
    {
        Some(i) => i,
        None => (0..n).fold(0, |best, i| {
            if capacity(i) < capacity(best) {
                i
            } else {
                best
            }
        }),
    };
    (chosen, capacity(chosen))
}

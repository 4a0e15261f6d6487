//! The World owns all state and advances it by one fixed tick per `step()`. No I/O, no
//! wall clock, no threads: the clock, sockets, windows and files are adapters around it.

use crate::attack::AttackRun;
use crate::bus::{Bus, Owner};
pub use crate::controls::stats::{AuditRecord, DeviceStats, DpiStats, IdsStats, VendorStats};
use crate::hmi::{Hmi, Task};
use crate::metrics::Metrics;
use crate::modbus::Framer;

use crate::network::{Network, Verdict};
use crate::plant::Plant;
use crate::plc::{Admission, ConnId, Plc};
use crate::scenario::{Action, Scenario};
use crate::time::{Micros, US_PER_H, US_PER_MIN, US_PER_MS, from_secs};
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

pub mod acts;
pub mod blame;
pub mod campaign;
pub mod controls;
pub mod events;
pub mod input;
pub mod links;

pub use input::{Command, EXTERNAL_CONN, Input};

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

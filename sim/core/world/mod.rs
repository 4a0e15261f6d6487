//! The World owns all state and advances it by one fixed tick per `step()`. No I/O, no
//! wall clock, no threads: the clock, sockets, windows and files are adapters around it.

use crate::attack::{AttackRun, Campaign};
use crate::bus::{Bus, Owner};
use crate::controls::Controls;
pub use crate::controls::stats::{AuditRecord, DeviceStats, DpiStats, IdsStats, VendorStats};
use crate::hmi::{Hmi, Task};
use crate::metrics::{EventKind, Ledger, Metrics};
use crate::network::{FlowKey, Net, Network, Refused, Verdict};
use crate::plan::Plan;
use crate::plant::Plant;
use crate::plc::{Admission, Devices, Plc};
use crate::scenario::Scenario;
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

pub mod actors;
pub mod acts;
pub mod blame;
pub mod campaign;
pub mod carried;
pub mod certificates;
pub mod controls;
pub mod events;
pub mod input;
pub mod links;
pub mod playbook;

pub use input::{Command, EXTERNAL_CONN, Input};

/// The twin: the parts below, owned here and called in [`World::step`] in a fixed order.
/// No part names the World; the glue in this module's files (campaign, controls, playbook, certificates, acts,
/// input, links, blame, events) is the World's own.
#[derive(Clone)]
pub struct World {
    /// The scenario as loaded: configuration, never changed during a run (what a
    /// facilitator or an exercise switches lives in the parts' run-time state).
    pub scenario: Scenario,
    pub seed: u64,
    pub now: Micros,
    pub tick: Micros,
    pub end: Micros,
    pub plant: Plant,
    /// The PLCs and their connection tables.
    pub devices: Devices,
    /// The network, the bus that carries its Modbus bytes, and the flow ledger.
    pub net: Net,
    /// The SCADA/HMI and its operator.
    pub hmi: Hmi,
    /// The operating schedule.
    pub plan: Plan,
    pub controls: Controls,
    pub campaign: Campaign,
    pub ledger: Ledger,
    /// A live session's clients from outside the twin (none in a fast run).
    pub actors: crate::actors::Actors,
}

/// Who a request on the request path comes from: one of the World's own links (the HMI's,
/// an attack step's), or an outside client's connection, which belongs to an actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Client {
    Link(crate::plc::ConnId),
    Outside {
        conn: crate::plc::ConnId,
        actor: usize,
    },
}

impl Client {
    pub(crate) fn conn(self) -> crate::plc::ConnId {
        match self {
            Client::Link(l) => l,
            Client::Outside { conn, .. } => conn,
        }
    }
}

impl World {
    pub fn new(scenario: &Scenario, seed: u64) -> World {
        World::with_recording(scenario, seed, Recording::default())
    }

    pub fn with_recording(scenario: &Scenario, seed: u64, rec: Recording) -> World {
        let s = scenario;
        let profiles = s.all_profiles();
        let plant = Plant::new(s, seed);
        let mut plcs: Vec<Plc> = s
            .plcs
            .iter()
            .map(|p| {
                let profile = profiles
                    .iter()
                    .find(|q| q.name == p.profile)
                    .expect("validated scenario");
                Plc::new(p, s, profile, seed)
            })
            .collect();
        let mut bus = Bus::new(rec.frames);
        let network = Network::new(s, s.segmentation.as_ref());
        let verdicts: Vec<Verdict> = (0..plcs.len())
            .map(|p| network.connect(network.hmi(), network.plc_host(p), crate::modbus::PORT))
            .collect();
        let dpi = s.dpi.as_ref().map(crate::controls::dpi::Dpi::new);
        let dpi_latency = dpi.as_ref().map(|d| d.latency).unwrap_or(0);
        let end = from_secs(s.duration_h * 3600.0);
        let tls = s
            .modbus_security
            .as_ref()
            .map(|m| crate::controls::tls::Tls::new(m, s, seed, end));
        let latency = request_latency(&verdicts, dpi_latency, tls.as_ref());
        let hmi = Hmi::new(s, &plcs, &mut bus, seed, &latency);
        let (blocked_flows, passed_flows) =
            admit_hmi_links(&hmi, &network, &verdicts, &mut plcs, &mut bus);
        let mut attacks: Vec<AttackRun> = s
            .attacks
            .iter()
            .map(|a| AttackRun::new(a, &network))
            .collect();
        if let Some(a) = &s.attacker {
            attacks.extend(crate::attack::campaign(a, &network, seed));
        }
        let track_blame = !attacks.is_empty()
            || s.segmentation.is_some()
            || s.modbus_security.is_some()
            || s.authentication.is_some()
            || s.dpi.is_some()
            || s.vendor.is_some();
        let mut station_plc = vec![0; s.stations.len()];
        let mut station_slot = vec![0; s.stations.len()];
        for (p, plc) in plcs.iter().enumerate() {
            for (slot, st) in plc.stations().enumerate() {
                station_plc[st] = p;
                station_slot[st] = slot;
            }
        }
        let (bottleneck, capacity_per_h) = bottleneck(s);
        let mut metrics = Metrics::new(s.stations.len(), bottleneck, rec.timeline, rec.events);
        metrics.loss = crate::loss::LossBook::new(&plant, bottleneck, capacity_per_h);
        let n_links = bus.links.len();
        let mut w = World {
            seed,
            now: 0,
            tick: u64::from(s.tick_ms) * US_PER_MS,
            end,
            ledger: Ledger {
                metrics,
                blame: vec![None; s.stations.len()],
                track_blame,
                causes: vec![crate::loss::StationCauses::default(); s.stations.len()],
                causes_seen: vec![(u64::MAX, 0, None, None, 0); s.stations.len()],
                excursions: crate::excursion::Excursions::new(&plant),
            },
            plant,
            devices: Devices {
                plcs,
                station_plc,
                station_slot,
                external_replies: Vec::new(),
                closed_by_device: Vec::new(),
            },
            hmi,
            plan: Plan::new(s, capacity_per_h),
            net: Net {
                network,
                bus,
                framers: BTreeMap::new(),
                blocked_flows,
                passed_flows,
                reconnect_at: vec![0; n_links],
                kernel: None,
                probes: BTreeMap::new(),
                next_probe: 0,
            },
            campaign: Campaign::new(attacks),
            controls: Controls::new(s, seed, dpi),
            actors: crate::actors::Actors::default(),
            scenario: s.clone(),
        };
        w.actors.default_zone = w.net.network.zones[0].clone();
        w.controls.tls = tls;
        // The HMI's first connections to the PLCs it reaches over TLS: full handshakes.
        for (link, p) in w.hmi.links().collect::<Vec<_>>() {
            if w.net.bus.is_open(link) {
                w.hmi_handshake(link, p, 0);
            }
        }
        w.commission_ids();
        w
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

    /// Advance one tick: everything a tick does, in order.
    pub fn step(&mut self) {
        let t = self.now;
        self.deliver_replies(t);
        while let Some(action) = self.plan.due(t) {
            self.apply(t, &action);
        }
        // The units made so far belong to the plan and causes they were made under: a
        // change of either at this tick opens a new segment of the loss tree's book.
        self.ledger
            .metrics
            .loss
            .book_units(&self.plant, self.plan.planned, &self.ledger.causes);
        // The HMI polls, writes, and its operator acts (unless its workstation is encrypted).
        if t >= self.campaign.hmi_down_until {
            self.hmi.tick(t, &mut self.net.bus);
        }
        if !self.campaign.attacks.is_empty() {
            self.hold_line(t);
        }
        self.reconnect_hmi(t);
        if !self.campaign.attacks.is_empty() {
            self.run_attacks(t);
        }
        self.run_desks(t);
        self.operator_at_the_cabinet();
        self.deliver_requests(t);
        self.scan_devices(t);
        self.plant.advance(t, self.tick);
        if !self.plant.vendor_calls.is_empty() {
            self.route_vendor_calls();
        }
        self.account(t);
    }

    /// The minute's sample gains what the PLCs hold and the HMI displays for each thermal
    /// station (the process trends: truth beside the operator's view).
    fn sample_process_view(&mut self) {
        let Some(sample) = self
            .ledger
            .metrics
            .timeline
            .as_mut()
            .and_then(|tl| tl.last_mut())
        else {
            return;
        };
        let tenths = |v: u16| f64::from(v as i16) / 10.0;
        for (i, st) in self.plant.stations.iter().enumerate() {
            if st.thermal.is_none() {
                continue;
            }
            let plc = &self.devices.plcs[self.devices.station_plc[i]];
            sample.setpoints_c.push(plc.setpoint_c(i));
            let shown = &self.hmi.views[i];
            sample
                .shown_temps_c
                .push(shown.temp_c.map(|c| (c * 100.0).round() / 100.0));
            sample.shown_setpoints_c.push(shown.setpoint.map(tenths));
        }
    }

    /// Replies that reached their clients: the HMI (through an adversary in the middle,
    /// if one sits there) and the attackers' own connections.
    fn deliver_replies(&mut self, t: Micros) {
        if !self.net.bus.due(false, t) {
            return;
        }
        let (mut at, end) = (None, self.net.bus.link_end());
        while let Some((k, l)) = self.net.bus.next_watched(at, end) {
            at = Some((k, l));
            while let Some(adu) = self.net.bus.arrivals_at_client(l, t) {
                match self.net.bus.links[l as usize].owner {
                    Owner::Hmi if t < self.campaign.hmi_down_until => {}
                    Owner::Hmi => {
                        let adu = if self.campaign.attacks.is_empty() {
                            adu
                        } else {
                            self.intercept_for_hmi(self.net.bus.links[l as usize].plc, adu)
                        };
                        self.hmi.receive(l, &adu, t);
                        self.net.bus.recycle(adu);
                    }
                    Owner::Attack(i) => self.attack_receive(i, l, &adu),
                }
            }
        }
        self.net.bus.settle(false);
    }

    /// The controls that watch rather than sit on the request path: the IDS's analyst, the
    /// incident response and device health monitoring.
    fn run_desks(&mut self, t: Micros) {
        if self.controls.ids.is_some() {
            self.ids_alerts(t);
        }
        if self.controls.response.is_some() && !self.campaign.attacks.is_empty() {
            self.respond(t);
        }
        if self.controls.tls.is_some() {
            self.run_tls(t);
        }
        if !self.controls.isolated_zones.is_empty() || !self.controls.restoring.is_empty() {
            self.carry_out_playbooks(t);
        }
        if let Some(d) = &self.controls.device_monitoring
            && t.is_multiple_of(from_secs(d.poll_s).max(self.tick))
        {
            self.watch_devices(t, d.shed);
        }
    }

    /// What the operator does at a PLC's cabinet when the HMI cannot reach it.
    fn operator_at_the_cabinet(&mut self) {
        for (at, task) in std::mem::take(&mut self.hmi.local_actions) {
            let Task::ResetPlc(p) = task else { continue };
            let plc = &mut self.devices.plcs[p];
            if plc.fault.is_none() && !plc.is_listen_only() {
                // Nothing wrong at the cabinet: the PLC runs but the HMI cannot reach
                // it. The operator starts its stations at the local panel.
                if self.hmi.may_run() && plc.local_start() {
                    self.ledger.metrics.event(
                        at,
                        EventKind::LocalStart,
                        &plc.name,
                        "the HMI cannot reach this PLC: stations started at the local panel".into(),
                    );
                }
            } else if plc.fault.is_none() && plc.is_listen_only() {
                // A restart at the cabinet ends listen-only mode.
                plc.restart_communications();
                self.ledger.metrics.event(
                    at,
                    EventKind::PlcReset,
                    &plc.name,
                    "operator restarted the PLC's communications".into(),
                );
            } else if plc.fault.is_some() {
                if plc.reset_fault(at) {
                    self.ledger.metrics.event(
                        at,
                        EventKind::PlcReset,
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

    /// Requests that reached the PLCs pass the gates on the request path (the IDS sees
    /// them, the DPI decides) into the devices' queues.
    fn deliver_requests(&mut self, t: Micros) {
        if !self.net.bus.due(true, t) {
            return;
        }
        let (mut at, end) = (None, self.net.bus.link_end());
        while let Some((k, l)) = self.net.bus.next_watched(at, end) {
            at = Some((k, l));
            let p = self.net.bus.links[l as usize].plc;
            while let Some(bytes) = self.net.bus.arrivals_at_server(l, t) {
                if self.net.bus.links[l as usize].raw {
                    self.serve_raw(p, l, &bytes, t);
                } else {
                    if self.pass_gates(p, l, &bytes, true, t) {
                        self.devices.plcs[p].receive(l, bytes);
                    }
                }
            }
        }
        self.net.bus.settle(true);
    }

    /// The scans that are due, and the replies that are ready, onto the bus (or out to the
    /// live adapter for external clients).
    fn scan_devices(&mut self, t: Micros) {
        for plc in &mut self.devices.plcs {
            if plc.scan_due(t) {
                plc.scan(t, &mut self.plant);
            }
            while plc.outbox.front().is_some_and(|o| o.ready_at <= t) {
                if let Some(o) = plc.outbox.pop_front() {
                    if o.conn >= EXTERNAL_CONN {
                        self.actors.reply(o.conn, &o.adu);
                        self.devices.external_replies.push((o.conn, o.adu));
                    } else {
                        self.net.bus.send_to_client(o.conn, o.ready_at, o.adu);
                    }
                }
            }
        }
    }

    /// The ledger books the tick: blame for stopped stations, downtime and output, the
    /// events, and the minute's and hour's samples. Then the clock moves on.
    fn account(&mut self, t: Micros) {
        let dt = self.tick;
        if self.ledger.track_blame {
            self.work_out_blame();
        }
        self.ledger.metrics.account(
            &self.plant,
            self.plan.planned,
            dt,
            &self.ledger.blame,
            &self.ledger.causes,
            &self.plan.speed_pct,
        );
        self.look_at_excursions(t);
        self.collect_events();
        self.now = t + dt;
        if self.now.is_multiple_of(US_PER_MIN) {
            self.ledger.metrics.sample_minute(
                self.now / US_PER_MIN,
                &self.plant,
                self.plan.planned,
            );
            self.sample_process_view();
            if self.now.is_multiple_of(US_PER_H) {
                self.ledger.metrics.close_hour(&self.plant);
            }
        }
    }

    /// The thermal stations' excursions out of their band, and whether the plant sees
    /// each: the HMI shows a reading out of the band or has lost the station from its
    /// sight, or a monitoring control has flagged an attack step on the station's PLC (the
    /// alert sends someone to look at the process).
    fn look_at_excursions(&mut self, t: Micros) {
        let (hmi, plant) = (&self.hmi, &self.plant);
        let hmi_down = t < self.campaign.hmi_down_until;
        let (station_plc, plcs) = (&self.devices.station_plc, &self.scenario.plcs);
        let attacks = &self.campaign.attacks;
        self.ledger.excursions.look(t, plant, &self.ledger.causes, |i| {
            let band = plant.stations[i].thermal.as_ref().map(|th| th.band_c);
            let plc = station_plc[i];
            hmi_down
                || !hmi.comm_ok(plc)
                || matches!((hmi.views[i].temp_c, band), (Some(c), Some((lo, hi))) if c < lo || c > hi)
                || attacks.iter().any(|a| {
                    a.detected_at.is_some_and(|d| d <= t)
                        && a.spec.step.target() == Some(plcs[plc].name.as_str())
                })
        });
    }

    /// PLC index controlling a station.
    pub fn plc_of(&self, station: usize) -> usize {
        self.devices.station_plc[station]
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
    // Each station's feeders (in station order), found once through a name index: a
    // fleet of 10,000 stations is as quick to size as a line of eight.
    let index: BTreeMap<&str, usize> = s
        .stations
        .iter()
        .enumerate()
        .map(|(i, st)| (st.name.as_str(), i))
        .collect();
    let mut feeders: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (j, st) in s.stations.iter().enumerate() {
        for f in &st.feeds {
            if let Some(&i) = index.get(f.as_str())
                && feeders[i].last() != Some(&j)
            {
                feeders[i].push(j);
            }
        }
    }
    // Parallel machines share their feeders and what they feed: a stage's capacity is the
    // sum of its machines' rates.
    let mut stages: BTreeMap<(&[usize], &[String]), f64> = BTreeMap::new();
    for (i, st) in s.stations.iter().enumerate() {
        *stages
            .entry((feeders[i].as_slice(), st.feeds.as_slice()))
            .or_insert(0.0) += 3600.0 / st.cycle_s;
    }
    let capacity = |i: usize| stages[&(feeders[i].as_slice(), s.stations[i].feeds.as_slice())];
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

/// Each PLC's request latency from the HMI: the network path's, plus the DPI's and (where
/// the PLC is secured) TLS and the role check's; 0 where the network does not carry it.
fn request_latency(
    verdicts: &[Verdict],
    dpi_latency: Micros,
    tls: Option<&crate::controls::tls::Tls>,
) -> Vec<Micros> {
    verdicts
        .iter()
        .enumerate()
        .map(|(p, v)| {
            if let Verdict::Allow(l) = v {
                // TLS and the role check add their time to every request.
                let tls_latency = tls.filter(|t| t.secured[p]).map_or(0, |t| t.per_request);
                *l + dpi_latency + tls_latency
            } else {
                0
            }
        })
        .collect()
}

/// The HMI's links at the start: a flow the network carries is booked as passed, one it
/// does not is closed and booked as blocked, and a PLC that refuses the connection closes
/// it. Returns the blocked and the passed flows.
fn admit_hmi_links(
    hmi: &Hmi,
    network: &Network,
    verdicts: &[Verdict],
    plcs: &mut [Plc],
    bus: &mut Bus,
) -> (BTreeMap<FlowKey, Refused>, crate::network::FlowLedger) {
    let mut blocked_flows = BTreeMap::new();
    let mut passed_flows: crate::network::FlowLedger = BTreeMap::new();
    for (link, p) in hmi.links() {
        if matches!(verdicts[p], Verdict::Allow(_)) {
            passed_flows
                .entry(FlowKey {
                    from: network.hmi(),
                    to: network.plc_host(p),
                    port: crate::modbus::PORT,
                })
                .or_insert(Refused {
                    attempts: 0,
                    legitimate: true,
                })
                .attempts += 1;
        }
        if !matches!(verdicts[p], Verdict::Allow(_)) {
            // A flow the plant needs that the network does not carry.
            bus.close(link);
            blocked_flows.insert(
                FlowKey {
                    from: network.hmi(),
                    to: network.plc_host(p),
                    port: crate::modbus::PORT,
                },
                Refused {
                    attempts: 1,
                    legitimate: true,
                },
            );
        } else if plcs[p].connect(link) == Admission::Refused {
            bus.close(link);
        }
    }
    (blocked_flows, passed_flows)
}

//! The physical line: stations joined by buffers into a directed acyclic graph.
//!
//! Each station is an event machine advanced tick by tick, but its events (a unit done,
//! a failure, a push downstream) keep their exact times inside the tick, so throughput
//! does not depend on the tick length. Stations are advanced in flow order (upstream
//! first), so a unit pushed at 12.34 s is available downstream at 12.34 s.

pub mod thermal;

use crate::dist::{Dist, standard_normal};
use crate::rng::{Stream, stream};
use crate::scenario::{Scenario, StationKind};
use crate::time::{Micros, US_PER_MIN, from_secs};
use rand::RngExt;
use serde::Serialize;
pub use thermal::Thermal;

/// Why a station is stopped by its PLC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StopReason {
    /// The run command is off.
    Command,
    /// The PLC's program is not running (mode STOP).
    PlcStop,
    /// The PLC has faulted (watchdog).
    PlcFault,
}

/// What a station is doing, as its PLC and the HMI see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum State {
    Running,
    Starved,
    Blocked,
    Failed,
    Tripped,
    Stopped(StopReason),
}

impl State {
    /// The state code in the PLC's input register map.
    pub fn code(self) -> u16 {
        match self {
            State::Stopped(StopReason::Command) => 0,
            State::Running => 1,
            State::Starved => 2,
            State::Blocked => 3,
            State::Failed => 4,
            State::Tripped => 5,
            State::Stopped(StopReason::PlcStop) => 6,
            State::Stopped(StopReason::PlcFault) => 7,
        }
    }

    pub fn from_code(code: u16) -> Option<State> {
        Some(match code {
            0 => State::Stopped(StopReason::Command),
            1 => State::Running,
            2 => State::Starved,
            3 => State::Blocked,
            4 => State::Failed,
            5 => State::Tripped,
            6 => State::Stopped(StopReason::PlcStop),
            7 => State::Stopped(StopReason::PlcFault),
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Running => "running",
            State::Starved => "starved",
            State::Blocked => "blocked",
            State::Failed => "failed",
            State::Tripped => "tripped",
            State::Stopped(StopReason::Command) => "stopped",
            State::Stopped(StopReason::PlcStop) => "plc-stop",
            State::Stopped(StopReason::PlcFault) => "plc-fault",
        }
    }
}

/// Something that happened on the plant floor, for the event log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum PlantEvent {
    Failure {
        station: usize,
    },
    RepairStarted {
        station: usize,
        by_floor: bool,
    },
    Repaired {
        station: usize,
    },
    Trip {
        station: usize,
        temp_c: f64,
    },
    TripReady {
        station: usize,
    },
    TripReset {
        station: usize,
    },
    /// Condition monitoring saw degradation: a planned stop is scheduled.
    HealthAlert {
        station: usize,
    },
    PlannedStop {
        station: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// No unit in the machine.
    Idle,
    /// Processing a unit: done at `done_at` unless suspended.
    Working { started: Micros, done_at: Micros },
    /// A finished unit waits for room downstream since `since`.
    Holding { since: Micros },
}

#[derive(Clone, Debug)]
struct Failure {
    since: Micros,
    repair_done_at: Option<Micros>,
    /// The repair waits for the vendor's remote session.
    vendor_called: bool,
    /// A planned stop on a health alert, not a failure.
    planned: bool,
}

/// Condition monitoring of a station (from `HealthSpec`, times in microseconds).
#[derive(Clone, Debug)]
struct Health {
    pf_interval: Micros,
    detect_probability: f64,
    lead: Micros,
    planned_stop: Micros,
    /// This failure's degradation was looked at (seen or missed).
    looked: bool,
    planned_at: Option<Micros>,
    rng: Stream,
}

#[derive(Clone, Debug)]
struct Trip {
    cooled_at: Option<Micros>,
    ready: bool,
}

/// Input buffer of a station.
#[derive(Clone, Debug, Default)]
pub struct Buffer {
    pub level: u32,
    pub capacity: u32,
    /// When it last went from empty to non-empty.
    avail_at: Micros,
    /// When it last went from full to not full.
    space_at: Micros,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct StationCounters {
    pub units_in: u64,
    pub units_out: u64,
    pub scrap_quality: u64,
    pub scrap_temperature: u64,
    pub failures: u64,
    pub trips: u64,
    /// Planned stops on health alerts (failures avoided).
    pub planned_stops: u64,
    pub health_alerts: u64,
}

#[derive(Clone, Debug)]
pub struct Station {
    pub name: String,
    pub cycle: Micros,
    pub jitter_cv: f64,
    pub yield_fraction: f64,
    pub upstream: Vec<usize>,
    pub downstream: Vec<usize>,
    pub thermal: Option<Thermal>,
    pub counters: StationCounters,
    failures: Option<(Dist, Dist)>,
    phase: Phase,
    /// Operating time left before the next failure.
    ttf_left: Micros,
    failure: Option<Failure>,
    trip: Option<Trip>,
    /// Output of the PLC: run enable, and why not.
    enabled: bool,
    stop_reason: StopReason,
    /// Speed in percent of nominal, from the PLC.
    pub speed_pct: u16,
    /// Time from which the station's own events may be placed.
    cursor: Micros,
    /// Separate streams for cycle jitter, failures and repairs, and quality, so that a
    /// stop in one run does not shift the failures of the next hours (common random
    /// numbers between a baseline and its variants).
    rng_cycle: Stream,
    health: Option<Health>,
    rng_failure: Stream,
    rng_quality: Stream,
}

impl Station {
    pub fn state(&self) -> State {
        if self.failure.is_some() {
            State::Failed
        } else if self.trip.is_some() {
            State::Tripped
        } else if !self.enabled {
            State::Stopped(self.stop_reason)
        } else {
            match self.phase {
                Phase::Idle => State::Starved,
                Phase::Working { .. } => State::Running,
                Phase::Holding { .. } => State::Blocked,
            }
        }
    }

    fn suspended(&self) -> bool {
        self.failure.is_some() || self.trip.is_some() || !self.enabled
    }

    pub fn is_source(&self) -> bool {
        self.upstream.is_empty()
    }

    pub fn is_sink(&self) -> bool {
        self.downstream.is_empty()
    }

    /// Maintenance is on its way or working.
    /// Stopped for maintenance planned on a health alert.
    pub fn in_planned_stop(&self) -> bool {
        self.failure.as_ref().is_some_and(|f| f.planned)
    }

    pub fn repair_in_progress(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| f.repair_done_at.is_some() || f.vendor_called)
    }

    /// Tripped, cooled and inspected: waiting for an operator's reset.
    pub fn trip_ready(&self) -> bool {
        self.trip.as_ref().is_some_and(|t| t.ready)
    }

    fn draw_cycle(&mut self) -> Micros {
        let nominal = self.cycle as f64 * 100.0 / f64::from(self.speed_pct.max(1));
        let z = if self.jitter_cv > 0.0 {
            standard_normal(&mut self.rng_cycle).clamp(-3.0, 3.0)
        } else {
            0.0
        };
        (nominal * (1.0 + self.jitter_cv * z)).max(1.0) as Micros
    }

    fn draw_ttf(&mut self) -> Micros {
        match &self.failures {
            Some((between_h, _)) => {
                let d = between_h.clone();
                from_secs(d.sample(&mut self.rng_failure) * 3600.0).max(1)
            }
            None => Micros::MAX,
        }
    }

    fn suspend(&mut self, t: Micros) {
        if let Phase::Working { started, done_at } = self.phase
            && started != Micros::MAX
        {
            // Remember the remaining work as a segment starting at t.
            let worked = t.saturating_sub(started);
            self.ttf_left = self.ttf_left.saturating_sub(worked);
            self.phase = Phase::Working {
                started: Micros::MAX,
                done_at: done_at.saturating_sub(t),
            };
        }
    }

    fn resume(&mut self, t: Micros) {
        if let Phase::Working {
            started: Micros::MAX,
            done_at: remaining,
        } = self.phase
        {
            self.phase = Phase::Working {
                started: t,
                done_at: t + remaining,
            };
        }
        self.cursor = self.cursor.max(t);
    }
}

/// The whole line.
#[derive(Clone, Debug)]
pub struct Plant {
    pub stations: Vec<Station>,
    pub buffers: Vec<Buffer>,
    /// Stations in flow order (every station after all that feed it).
    pub order: Vec<usize>,
    floor_notice: Micros,
    pub events: Vec<(Micros, PlantEvent)>,
    /// Stations whose repairs need the vendor.
    vendor_needed: Vec<bool>,
    /// Calls for the vendor, for the world to route through the remote access.
    pub vendor_calls: Vec<(usize, Micros)>,
}

impl Plant {
    pub fn new(s: &Scenario, seed: u64) -> Plant {
        let tick = u64::from(s.tick_ms) * 1000;
        let n = s.stations.len();
        let idx = |name: &str| s.station_index(name).expect("validated scenario");
        let mut upstream = vec![Vec::new(); n];
        for (i, st) in s.stations.iter().enumerate() {
            for f in &st.feeds {
                upstream[idx(f)].push(i);
            }
        }
        let mut stations: Vec<Station> = s
            .stations
            .iter()
            .enumerate()
            .map(|(i, st)| Station {
                name: st.name.clone(),
                cycle: from_secs(st.cycle_s).max(1),
                jitter_cv: st.jitter_cv,
                yield_fraction: st.yield_fraction,
                upstream: upstream[i].clone(),
                downstream: st.feeds.iter().map(|f| idx(f)).collect(),
                thermal: match &st.kind {
                    StationKind::Thermal(spec) => Some(Thermal::new(spec, tick)),
                    StationKind::Machine => None,
                },
                counters: StationCounters::default(),
                failures: st
                    .failures
                    .as_ref()
                    .map(|f| (f.between_h.clone(), f.repair_min.clone())),
                phase: Phase::Idle,
                ttf_left: Micros::MAX,
                failure: None,
                trip: None,
                enabled: false,
                stop_reason: StopReason::Command,
                speed_pct: 100,
                cursor: 0,
                rng_cycle: stream(seed, &format!("station:{}:cycle", st.name)),
                health: s
                    .health
                    .iter()
                    .find(|h| h.station == st.name)
                    .map(|h| Health {
                        pf_interval: from_secs(h.pf_interval_h * 3600.0),
                        detect_probability: h.detect_probability,
                        lead: from_secs(h.lead_min * 60.0),
                        planned_stop: from_secs(h.planned_stop_min * 60.0),
                        looked: false,
                        planned_at: None,
                        rng: stream(seed, &format!("station:{}:health", st.name)),
                    }),
                rng_failure: stream(seed, &format!("station:{}:failure", st.name)),
                rng_quality: stream(seed, &format!("station:{}:quality", st.name)),
            })
            .collect();
        for st in &mut stations {
            st.ttf_left = st.draw_ttf();
        }
        let buffers = s
            .stations
            .iter()
            .zip(&stations)
            .map(|(spec, st)| Buffer {
                capacity: if st.is_source() { 0 } else { spec.buffer },
                ..Buffer::default()
            })
            .collect();
        Plant {
            order: flow_order(&stations),
            stations,
            buffers,
            floor_notice: from_secs(s.operator.floor_notice_min * 60.0),
            events: Vec::new(),
            vendor_needed: s
                .stations
                .iter()
                .map(|st| {
                    s.vendor
                        .as_ref()
                        .is_some_and(|v| v.stations.contains(&st.name))
                })
                .collect(),
            vendor_calls: Vec::new(),
        }
    }

    /// The PLC's outputs to a station, applied at `t` (the start of a tick).
    pub fn command(
        &mut self,
        i: usize,
        t: Micros,
        enable: bool,
        reason: StopReason,
        speed_pct: u16,
    ) {
        let st = &mut self.stations[i];
        st.speed_pct = speed_pct;
        if enable != st.enabled {
            let was_suspended = st.suspended();
            st.enabled = enable;
            match (was_suspended, st.suspended()) {
                (false, true) => st.suspend(t),
                (true, false) => st.resume(t),
                _ => {}
            }
        }
        if !enable {
            st.stop_reason = reason;
        }
    }

    /// A maintenance call for a failed station: the repair starts now.
    /// A scripted failure (viewer demonstrations, tests): the station fails at `now` if it
    /// is working, else as soon as it starts its next unit. Repair follows the usual path.
    pub fn force_failure(&mut self, i: usize, now: Micros) {
        let st = &mut self.stations[i];
        st.ttf_left = match st.phase {
            Phase::Working { started, .. } if started != Micros::MAX => now.saturating_sub(started),
            _ => 0,
        };
    }

    pub fn call_maintenance(&mut self, i: usize, t: Micros) {
        self.start_repair(i, t, false);
    }

    fn start_repair(&mut self, i: usize, t: Micros, by_floor: bool) {
        if self.vendor_needed[i] {
            // The vendor must connect first: the world routes the call through the
            // remote access and starts the repair when the session opens.
            if let Some(f) = &mut self.stations[i].failure
                && f.repair_done_at.is_none()
                && !f.vendor_called
            {
                f.vendor_called = true;
                self.vendor_calls.push((i, t));
            }
            return;
        }
        self.begin_repair(i, t, by_floor);
    }

    /// The vendor's session opened at `t`: the repair starts.
    pub fn vendor_repair(&mut self, i: usize, t: Micros) {
        self.begin_repair(i, t, false);
    }

    fn begin_repair(&mut self, i: usize, t: Micros, by_floor: bool) {
        let st = &mut self.stations[i];
        let Some((_, repair)) = st.failures.clone() else {
            return;
        };
        if let Some(f) = &mut st.failure
            && f.repair_done_at.is_none()
        {
            let d = from_secs(repair.sample(&mut st.rng_failure) * 60.0);
            f.repair_done_at = Some(t + d);
            self.events.push((
                t,
                PlantEvent::RepairStarted {
                    station: i,
                    by_floor,
                },
            ));
        }
    }

    /// An operator's reset of a tripped station: taken only once it is cooled and inspected.
    pub fn reset_trip(&mut self, i: usize, t: Micros) -> bool {
        let st = &mut self.stations[i];
        if st.trip_ready() {
            st.trip = None;
            if let Some(th) = &mut st.thermal {
                th.interlock = false;
            }
            if !st.suspended() {
                st.resume(t);
            }
            self.events.push((t, PlantEvent::TripReset { station: i }));
            true
        } else {
            false
        }
    }

    /// Advance every station over the tick [t0, t0 + dt).
    pub fn advance(&mut self, t0: Micros, dt: Micros) {
        let t_end = t0 + dt;
        for k in 0..self.order.len() {
            let i = self.order[k];
            self.advance_station(i, t0, t_end);
        }
    }

    /// Condition monitoring: see degradation coming, and stop for maintenance before the
    /// failure.
    fn watch_health(&mut self, i: usize, t0: Micros) {
        let st = &mut self.stations[i];
        let Some(h) = &mut st.health else { return };
        if st.failure.is_some() {
            return;
        }
        if let Some(at) = h.planned_at
            && at <= t0
        {
            h.planned_at = None;
            let stop = h.planned_stop;
            if !st.suspended() {
                st.suspend(t0);
            }
            st.failure = Some(Failure {
                since: t0,
                repair_done_at: Some(t0 + stop),
                vendor_called: false,
                planned: true,
            });
            st.counters.planned_stops += 1;
            self.events
                .push((t0, PlantEvent::PlannedStop { station: i }));
            return;
        }
        if h.looked {
            return;
        }
        let worked = match st.phase {
            Phase::Working { started, .. } if started != Micros::MAX => t0.saturating_sub(started),
            _ => 0,
        };
        if st.ttf_left.saturating_sub(worked) <= h.pf_interval {
            h.looked = true;
            if h.rng.random::<f64>() < h.detect_probability {
                h.planned_at = Some(t0 + h.lead);
                st.counters.health_alerts += 1;
                self.events
                    .push((t0, PlantEvent::HealthAlert { station: i }));
            }
        }
    }

    fn advance_station(&mut self, i: usize, t0: Micros, t_end: Micros) {
        if self.stations[i].health.is_some() {
            self.watch_health(i, t0);
        }
        // The thermal process first: its trip instant bounds this tick's events.
        let mut trip_at = None;
        {
            let st = &mut self.stations[i];
            let loaded = st.state() == State::Running;
            if let Some(th) = &mut st.thermal {
                trip_at = th.advance(t0, loaded);
                if let Some(tr) = &mut st.trip {
                    if tr.cooled_at.is_none() && th.temp_c < th.reset_below_c {
                        tr.cooled_at = Some(t_end);
                    }
                    if let Some(c) = tr.cooled_at
                        && !tr.ready
                        && c + th.inspection <= t_end
                    {
                        tr.ready = true;
                        self.events
                            .push((t_end, PlantEvent::TripReady { station: i }));
                    }
                }
            }
        }
        let horizon = trip_at.unwrap_or(t_end);
        self.run_events(i, horizon);
        if let Some(t) = trip_at {
            let st = &mut self.stations[i];
            let was_suspended = st.suspended();
            if !was_suspended {
                st.suspend(t);
            }
            st.trip = Some(Trip {
                cooled_at: None,
                ready: false,
            });
            st.counters.trips += 1;
            let temp_c = st.thermal.as_ref().map(|th| th.trip_above_c).unwrap_or(0.0);
            if let Some(th) = &mut st.thermal {
                th.interlock = true;
            }
            self.events
                .push((t, PlantEvent::Trip { station: i, temp_c }));
        }
        // A failed machine that nobody called maintenance for is noticed on the floor.
        let st = &self.stations[i];
        if let Some(f) = &st.failure
            && f.repair_done_at.is_none()
            && !f.vendor_called
            && f.since + self.floor_notice <= t_end
        {
            let at = f.since + self.floor_notice;
            self.start_repair(i, at, true);
            self.run_events(i, t_end);
        }
    }

    fn run_events(&mut self, i: usize, t_end: Micros) {
        loop {
            let st = &mut self.stations[i];
            if let Some(f) = &st.failure {
                match f.repair_done_at {
                    Some(done) if done <= t_end => {
                        st.failure = None;
                        st.ttf_left = st.draw_ttf();
                        if let Some(h) = &mut st.health {
                            h.looked = false;
                            h.planned_at = None;
                        }
                        self.events
                            .push((done, PlantEvent::Repaired { station: i }));
                        if !st.suspended() {
                            st.resume(done);
                        }
                        continue;
                    }
                    _ => return,
                }
            }
            if st.suspended() {
                return;
            }
            match st.phase {
                Phase::Idle => {
                    let start = if st.is_source() {
                        st.cursor
                    } else {
                        let b = &mut self.buffers[i];
                        if b.level == 0 {
                            return;
                        }
                        let start = st.cursor.max(b.avail_at);
                        if b.level == b.capacity {
                            b.space_at = start;
                        }
                        b.level -= 1;
                        start
                    };
                    if start > t_end {
                        // Cannot happen: avail_at and cursor never lie past the tick.
                        return;
                    }
                    let cycle = st.draw_cycle();
                    st.counters.units_in += 1;
                    st.phase = Phase::Working {
                        started: start,
                        done_at: start + cycle,
                    };
                    st.cursor = start;
                }
                Phase::Working { started, done_at } => {
                    let fail_at = started.saturating_add(st.ttf_left);
                    if fail_at < done_at && fail_at <= t_end {
                        st.suspend(fail_at);
                        st.failure = Some(Failure {
                            since: fail_at,
                            repair_done_at: None,
                            vendor_called: false,
                            planned: false,
                        });
                        st.counters.failures += 1;
                        st.cursor = fail_at;
                        self.events
                            .push((fail_at, PlantEvent::Failure { station: i }));
                        continue;
                    }
                    if done_at > t_end {
                        return;
                    }
                    st.ttf_left = st.ttf_left.saturating_sub(done_at - started);
                    st.cursor = done_at;
                    let good = match &st.thermal {
                        Some(th) if !th.in_band_at(done_at) => {
                            st.counters.scrap_temperature += 1;
                            false
                        }
                        _ if st.yield_fraction < 1.0
                            && st.rng_quality.random::<f64>() >= st.yield_fraction =>
                        {
                            st.counters.scrap_quality += 1;
                            false
                        }
                        _ => true,
                    };
                    st.phase = if good {
                        Phase::Holding { since: done_at }
                    } else {
                        Phase::Idle
                    };
                }
                Phase::Holding { since } => {
                    if st.is_sink() {
                        st.counters.units_out += 1;
                        st.phase = Phase::Idle;
                        continue;
                    }
                    // Split: the downstream buffer with the most room; ties to the first.
                    let mut best: Option<(usize, u32)> = None;
                    for &j in &st.downstream {
                        let b = &self.buffers[j];
                        let room = b.capacity - b.level;
                        if room > 0 && best.is_none_or(|(_, r)| room > r) {
                            best = Some((j, room));
                        }
                    }
                    let Some((j, _)) = best else { return };
                    let b = &mut self.buffers[j];
                    let at = since.max(st.cursor).max(b.space_at);
                    if b.level == 0 {
                        b.avail_at = at;
                    }
                    b.level += 1;
                    st.counters.units_out += 1;
                    st.cursor = at;
                    st.phase = Phase::Idle;
                }
            }
        }
    }

    /// Units that left the line good.
    pub fn line_output(&self) -> u64 {
        self.stations
            .iter()
            .filter(|s| s.is_sink())
            .map(|s| s.counters.units_out)
            .sum()
    }

    pub fn scrap(&self) -> u64 {
        self.stations
            .iter()
            .map(|s| s.counters.scrap_quality + s.counters.scrap_temperature)
            .sum()
    }

    /// The floor-notice delay in minutes, for reports.
    pub fn floor_notice_min(&self) -> f64 {
        self.floor_notice as f64 / US_PER_MIN as f64
    }
}

/// Topological order, stable: among ready stations the one listed first goes first.
fn flow_order(stations: &[Station]) -> Vec<usize> {
    let n = stations.len();
    let mut indeg: Vec<usize> = stations.iter().map(|s| s.upstream.len()).collect();
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while order.len() < n {
        let Some(i) = (0..n).find(|&i| !done[i] && indeg[i] == 0) else {
            break;
        };
        done[i] = true;
        order.push(i);
        for &j in &stations[i].downstream {
            indeg[j] -= 1;
        }
    }
    order
}

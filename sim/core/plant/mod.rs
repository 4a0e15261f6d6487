//! The physical line: stations joined by buffers into a directed acyclic graph.
//!
//! Each station is an event machine advanced tick by tick, but its events (a unit done,
//! a failure, a push downstream) keep their exact times inside the tick, so throughput
//! does not depend on the tick length. Stations are advanced in flow order (upstream
//! first), so a unit pushed at 12.34 s is available downstream at 12.34 s.

mod flow;
use flow::flow_order;
mod station;
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

impl Station {}

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
                failures: st.failures.as_ref().map(|f| (f.between_h, f.repair_min)),
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
    /// The vendor's repair of station i begins at t; returns how long it will take.
    pub fn vendor_repair(&mut self, i: usize, t: Micros) -> Option<Micros> {
        self.begin_repair(i, t, false);
        let f = self.stations[i].failure.as_ref()?;
        f.repair_done_at.map(|d| d.saturating_sub(t))
    }

    /// A repair under way takes `by` longer (its work was interrupted).
    pub fn delay_repair(&mut self, i: usize, by: Micros) {
        if let Some(f) = &mut self.stations[i].failure
            && let Some(d) = &mut f.repair_done_at
        {
            *d += by;
        }
    }
    fn begin_repair(&mut self, i: usize, t: Micros, by_floor: bool) {
        let st = &mut self.stations[i];
        let Some((_, repair)) = st.failures else {
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
    /// A changeover: the product now made, whose recipe's temperature band applies.
    pub fn set_product(&mut self, product: u16) {
        for st in &mut self.stations {
            if let Some(th) = &mut st.thermal {
                th.set_product(product);
            }
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

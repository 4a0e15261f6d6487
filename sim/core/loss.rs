//! The loss tree: every unit of output the line fell short of what its recipes allow,
//! booked once, to one category (ISO 22400 / the TPM "six big losses", and the twin's own:
//! communication loss, holds) and one cause (normal operation, an attack step, a live
//! session's actor, a control, the schedule, a decision).
//!
//! It is measured at the bottleneck stage. Its reference is the rate the recipe in force
//! asks of the stage at each moment, `r(t) = c · recipe speed(t)` (`c` the stage's nominal
//! units per hour at 100 % speed): a recipe slower than nameplate is not a loss, a recipe
//! faster than nameplate raises what is expected. Over planned production time `P`:
//!
//! ```text
//! ideal + made outside P = ∫_P r dt + units the stage made outside planned time
//!   = good
//!   + r · (time the bottleneck did not run)      by category and cause of its root stop
//!   + r · (running time lost to a speed below the recipe's)   speed loss, by who set it
//!   + units scrapped at or after the bottleneck  quality loss, by cause
//!   + (∫_run r − made − scrapped − speed loss)   speed loss: normal variation
//!   + units inside the line after the bottleneck at the end   work in process
//! ```
//!
//! Every line is non-negative but the normal variation, which is small (cycle-time noise:
//! under 0.1 % of the ideal, `tests/integration/loss_tree.rs`). The plan's target is not
//! in the tree: production against target is its own figure.

use crate::controls::ControlId;
use crate::plant::Plant;
use crate::time::{Micros, US_PER_H};
use serde::Serialize;
use std::collections::BTreeMap;

/// What kind of loss: where the lost output went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossCategory {
    /// Machine failures and safety trips.
    Breakdown,
    /// Planned maintenance stops (condition monitoring).
    PlannedStop,
    /// Starved or blocked with the neighbours working: flow losses and minor stops.
    MinorStops,
    /// Stopped by a command or a PLC in STOP during planned production.
    Stopped,
    /// A PLC fault or the HMI cut off from a PLC.
    CommunicationOrPlcFault,
    /// The line held stopped by a decision (a shutdown order, no MES without island mode).
    HeldByDecision,
    /// Running below the nominal rate.
    SpeedLoss,
    /// Units scrapped at or after the bottleneck.
    QualityLoss,
    /// Units made but still inside the line after the bottleneck at the end.
    WorkInProcess,
}

impl LossCategory {
    /// The categories of time the bottleneck stood (the rest are speed, quality and work
    /// in process).
    pub const TIME: [LossCategory; 6] = [
        LossCategory::Breakdown,
        LossCategory::PlannedStop,
        LossCategory::MinorStops,
        LossCategory::Stopped,
        LossCategory::CommunicationOrPlcFault,
        LossCategory::HeldByDecision,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LossCategory::Breakdown => "breakdown",
            LossCategory::PlannedStop => "planned stop",
            LossCategory::MinorStops => "starved/blocked and minor stops",
            LossCategory::Stopped => "stopped",
            LossCategory::CommunicationOrPlcFault => "communication loss or PLC fault",
            LossCategory::HeldByDecision => "held by decision",
            LossCategory::SpeedLoss => "speed loss",
            LossCategory::QualityLoss => "quality loss",
            LossCategory::WorkInProcess => "work in process",
        }
    }
}

/// Who or what a loss is owed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// Normal operation: failures, variation, process noise.
    Normal,
    /// Attack step k (index into the World's attacks).
    Attack(usize),
    /// Actor k of a live session (a client from outside the twin: index into the World's
    /// actors).
    Actor(usize),
    /// A control.
    Control(ControlId),
    /// The production plan (recipes, the target).
    Schedule,
    /// A decision: a shutdown order, a hold.
    Decision,
}

/// The causes the World works out for each station, each tick (with blame).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StationCauses {
    /// Whoever keeps the station's speed below the recipe's.
    pub speed: Cause,
    /// Whoever put the station's temperature where it is (thermal stations).
    pub temperature: Cause,
    /// Whoever keeps a failed station waiting for its repair (the vendor's access).
    pub breakdown: Cause,
}

impl Default for StationCauses {
    fn default() -> Self {
        StationCauses {
            speed: Cause::Normal,
            temperature: Cause::Normal,
            breakdown: Cause::Normal,
        }
    }
}

/// A stop's key in the book: its category, its cause and its root station.
pub type TimeKey = (LossCategory, Cause, usize);

/// The running book, kept by the ledger each tick.
#[derive(Clone, Debug, Default)]
pub struct LossBook {
    /// The bottleneck stage (the bottleneck and its parallel peers).
    pub stage: Vec<usize>,
    /// Stations after the stage (reachable downstream from it).
    pub after: Vec<bool>,
    /// The stage's nominal units per µs at 100 % speed.
    per_us: f64,
    /// Time the stage did not run, by category, cause and root station (few keys: a
    /// list, searched): the time, and the units the recipe in force asked meanwhile.
    pub time: Vec<(TimeKey, (Micros, f64))>,
    /// Units lost to a speed below the recipe's, by cause.
    pub speed: Vec<(Cause, f64)>,
    /// Units the recipes in force asked of the stage over planned time, and over the
    /// planned time it ran.
    pub ideal: f64,
    pub running_ideal: f64,
    /// Scrap by category position and cause: (at or after the stage, cause) → units.
    pub scrap: BTreeMap<Cause, u64>,
    /// Scrap of every station (before the stage too) by cause: the materials the ledger
    /// charges to each cause.
    pub scrap_all: BTreeMap<Cause, u64>,
    /// Good units the stage made during planned production, and outside it.
    pub made_planned: u64,
    pub made_unplanned: u64,
    /// Units the stage scrapped during planned production, and outside it (in `scrap`).
    pub stage_scrap_planned: u64,
    pub stage_scrap_unplanned: u64,
    /// Counters at the last look, per station: (units out, quality scrap, temperature scrap).
    last: Vec<(u64, u64, u64)>,
    /// Per station: in the bottleneck stage.
    in_stage: Vec<bool>,
    /// Thermal stations (whose temperature scrap is booked by cause).
    thermal: Vec<usize>,
    /// The open segment: planned production or not, and each station's temperature cause.
    seg_planned: bool,
    seg_temperature: Vec<Cause>,
}

/// Add `v` under `k` in a short list of (key, sum).
fn add<K: PartialEq + Copy, V: std::ops::AddAssign + Copy>(list: &mut Vec<(K, V)>, k: K, v: V) {
    match list.iter_mut().find(|(key, _)| *key == k) {
        Some((_, sum)) => *sum += v,
        None => list.push((k, v)),
    }
}

impl LossBook {
    pub fn new(plant: &Plant, bottleneck: usize, nominal_per_h: f64) -> LossBook {
        let st = &plant.stations;
        let stage: Vec<usize> = (0..st.len())
            .filter(|&j| {
                st[j].upstream == st[bottleneck].upstream
                    && st[j].downstream == st[bottleneck].downstream
            })
            .collect();
        let mut after = vec![false; st.len()];
        let mut todo: Vec<usize> = stage
            .iter()
            .flat_map(|&i| st[i].downstream.clone())
            .collect();
        while let Some(j) = todo.pop() {
            if !after[j] && !stage.contains(&j) {
                after[j] = true;
                todo.extend(st[j].downstream.iter().copied());
            }
        }
        let in_stage: Vec<bool> = (0..st.len()).map(|i| stage.contains(&i)).collect();
        let thermal = (0..st.len()).filter(|&i| st[i].thermal.is_some()).collect();
        LossBook {
            per_us: nominal_per_h / US_PER_H as f64,
            stage,
            after,
            in_stage,
            thermal,
            seg_planned: false,
            seg_temperature: vec![Cause::Normal; st.len()],
            last: vec![(0, 0, 0); st.len()],
            ..LossBook::default()
        }
    }

    /// Book the stage's output and the scrap by cause. Counting is done in segments:
    /// only when planned production starts or stops, or a thermal station's temperature
    /// cause changes, are the units since the last change booked (to the state that held
    /// until then); `closed` books the open segment at the end.
    pub fn book_units(&mut self, plant: &Plant, planned: bool, causes: &[StationCauses]) {
        let changed = planned != self.seg_planned
            || self
                .thermal
                .iter()
                .any(|&i| causes[i].temperature != self.seg_temperature[i]);
        if !changed {
            return;
        }
        self.close_segment(plant);
        self.seg_planned = planned;
        for &i in &self.thermal {
            self.seg_temperature[i] = causes[i].temperature;
        }
    }

    /// The book with its open segment booked: what the tree is made from.
    pub fn closed(&self, plant: &Plant) -> LossBook {
        let mut b = self.clone();
        b.close_segment(plant);
        b
    }

    fn close_segment(&mut self, plant: &Plant) {
        let planned = self.seg_planned;
        for (i, st) in plant.stations.iter().enumerate() {
            let c = &st.counters;
            let now = (c.units_out, c.scrap_quality, c.scrap_temperature);
            let last = self.last[i];
            if now == last {
                continue;
            }
            self.last[i] = now;
            let in_stage = self.in_stage[i];
            let (q, t) = (now.1 - last.1, now.2 - last.2);
            if q > 0 {
                *self.scrap_all.entry(Cause::Normal).or_default() += q;
            }
            if t > 0 {
                *self.scrap_all.entry(self.seg_temperature[i]).or_default() += t;
            }
            if in_stage {
                if planned {
                    self.made_planned += now.0 - last.0;
                } else {
                    self.made_unplanned += now.0 - last.0;
                }
            }
            if in_stage || self.after[i] {
                if q > 0 {
                    *self.scrap.entry(Cause::Normal).or_default() += q;
                }
                if t > 0 {
                    *self.scrap.entry(self.seg_temperature[i]).or_default() += t;
                }
                if in_stage && planned {
                    self.stage_scrap_planned += q + t;
                } else if in_stage {
                    self.stage_scrap_unplanned += q + t;
                }
            }
        }
    }

    /// Units the recipe at `recipe_pct` asks of the stage in `dt`.
    #[inline]
    fn ask(&self, dt: Micros, recipe_pct: u16) -> f64 {
        dt as f64 * self.per_us * f64::from(recipe_pct) / 100.0
    }

    /// A planned tick: what the recipe asked, and what of it the stage ran.
    #[inline]
    pub fn book_planned(&mut self, dt: Micros, recipe_pct: u16, running: bool) {
        let u = self.ask(dt, recipe_pct);
        self.ideal += u;
        if running {
            self.running_ideal += u;
        }
    }

    /// Time the stage stood, by category, cause and root station.
    #[inline]
    pub fn book_time(&mut self, key: (LossCategory, Cause, usize), dt: Micros, recipe_pct: u16) {
        let u = self.ask(dt, recipe_pct);
        match self.time.iter_mut().find(|(k, _)| *k == key) {
            Some((_, (t, units))) => {
                *t += dt;
                *units += u;
            }
            None => self.time.push((key, (dt, u))),
        }
    }

    /// Running time of the stage's bottleneck below the recipe's speed.
    pub fn book_speed(&mut self, dt: Micros, recipe_pct: u16, speed_pct: u16, cause: Cause) {
        if speed_pct < recipe_pct {
            let u = self.ask(dt, recipe_pct - speed_pct);
            add(&mut self.speed, cause, u);
        }
    }

    /// The tree at the end of a run (`plant` as it ended, `good` the line's good output).
    pub fn tree(&self, plant: &Plant, good: u64) -> Tree {
        // The open segment's units are booked first: the tree is always of the whole run.
        let book = self.closed(plant);
        let this = &book;
        let mut out: BTreeMap<(LossCategory, Cause), f64> = BTreeMap::new();
        let mut add = |k: (LossCategory, Cause), units: f64| {
            *out.entry(k).or_insert(0.0) += units;
        };
        for &((cat, cause, _), (_, u)) in &this.time {
            add((cat, cause), u);
        }
        let mut speed = 0.0;
        for &(c, u) in &this.speed {
            speed += u;
            add((LossCategory::SpeedLoss, c), u);
        }
        for (&c, &n) in &this.scrap {
            add((LossCategory::QualityLoss, c), n as f64);
        }
        let variation =
            this.running_ideal - this.made_planned as f64 - this.stage_scrap_planned as f64 - speed;
        add((LossCategory::SpeedLoss, Cause::Normal), variation);
        // Units inside the line after the stage: what the stage passed on, less what
        // became good and what the stations after it scrapped.
        let scrap_after: u64 = this.scrap.values().sum::<u64>()
            - this.stage_scrap_planned
            - this.stage_scrap_unplanned;
        let made = this.made_planned + this.made_unplanned;
        let wip = made as f64 - good as f64 - scrap_after as f64;
        add((LossCategory::WorkInProcess, Cause::Normal), wip);
        Tree {
            ideal: this.ideal,
            // What the stage processed outside planned time: good and scrapped.
            made_outside_planned: (this.made_unplanned + this.stage_scrap_unplanned) as f64,
            lines: out
                .into_iter()
                .filter(|(_, u)| u.abs() >= 1e-9)
                .map(|((cat, cause), u)| (cat, cause, u))
                .collect(),
        }
    }

    /// Hours the stage stood, by kind of cause (what the scorecard's downtime reads).
    pub fn hours_where(&self, pick: impl Fn(LossCategory, Cause) -> bool) -> f64 {
        self.time
            .iter()
            .filter(|((cat, cause, _), _)| pick(*cat, *cause))
            .map(|(_, (t, _))| *t as f64 / US_PER_H as f64)
            .sum()
    }
}

/// A run's loss tree: `ideal + made_outside_planned = good + Σ lines`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tree {
    /// Units the recipes in force asked of the bottleneck stage over planned time.
    pub ideal: f64,
    /// Units the stage processed outside planned production time (good or scrapped: they
    /// are in good output and the quality loss too).
    pub made_outside_planned: f64,
    /// (category, cause, units).
    pub lines: Vec<(LossCategory, Cause, f64)>,
}

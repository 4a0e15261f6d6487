//! The loss tree: every unit of output the line fell short of its target, booked once, to
//! one category (ISO 22400 / the TPM "six big losses", and the twin's own: communication
//! loss, holds) and one cause (normal operation, an attack step, a control, the schedule, a
//! decision).
//!
//! It is measured at the bottleneck stage, against its nominal rate `c` (units per hour at
//! 100 % speed), over planned production time `P`:
//!
//! ```text
//! target − good = (target − c·P)                          target gap (the plan's rate vs the line's)
//!               + c · (time the bottleneck did not run)    by category and cause of its root stop
//!               + c · (running time lost to lower speed)   speed loss, by who set the speed
//!               + units the bottleneck scrapped            quality loss, by cause
//!               + (c·run − made − scrapped − speed loss)   speed loss: normal variation
//!               + units scrapped after the bottleneck      quality loss, by cause
//!               + (made − good − scrapped after)           work in process at the end
//! ```
//!
//! Each line is computed from its own counters; the two residual lines (normal speed
//! variation and work in process) are checked against what they should be in
//! `tests/integration/loss_tree.rs` (variation small where nothing slows the line; work in
//! process equal to the units inside the line after the bottleneck at the end).

use crate::controls::ControlId;
use crate::plant::Plant;
use crate::time::{Micros, US_PER_H};
use serde::Serialize;
use std::collections::BTreeMap;

/// What kind of loss: where the lost output went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LossCategory {
    /// The plan asks for more (or less) than the bottleneck's nominal rate.
    TargetGap,
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
    /// Units made but still inside the line at the end (a negative figure: units the
    /// bottleneck made outside planned production time).
    WorkInProcess,
}

impl LossCategory {
    pub fn label(self) -> &'static str {
        match self {
            LossCategory::TargetGap => "target gap",
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
    /// Whoever set the station's speed below 100 %.
    pub speed: Cause,
    /// Whoever put the station's temperature where it is (thermal stations).
    pub temperature: Cause,
    /// Whoever keeps a failed station waiting for its repair (the vendor's access).
    pub breakdown: Cause,
}

impl Default for StationCauses {
    fn default() -> Self {
        StationCauses {
            speed: Cause::Schedule,
            temperature: Cause::Normal,
            breakdown: Cause::Normal,
        }
    }
}

/// The running book, kept by the ledger each tick.
#[derive(Clone, Debug, Default)]
pub struct LossBook {
    /// The bottleneck stage (the bottleneck and its parallel peers).
    pub stage: Vec<usize>,
    /// Stations after the stage (reachable downstream from it).
    pub after: Vec<bool>,
    /// Time the stage did not run, by category and cause (few keys: a list, searched).
    pub time: Vec<((LossCategory, Cause), Micros)>,
    /// Running time lost to speed, by cause (µs × the fraction of speed missing).
    pub speed: Vec<(Cause, f64)>,
    /// Scrap by category position and cause: (at or after the stage, cause) → units.
    pub scrap: BTreeMap<Cause, u64>,
    /// Scrap of every station (before the stage too) by cause: the materials the ledger
    /// charges to each cause.
    pub scrap_all: BTreeMap<Cause, u64>,
    /// Good units the stage made during planned production, and outside it.
    pub made_planned: u64,
    pub made_unplanned: u64,
    /// Units the stage scrapped during planned production (already in `scrap`).
    pub stage_scrap_planned: u64,
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
    pub fn new(plant: &Plant, bottleneck: usize) -> LossBook {
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
                }
            }
        }
    }

    /// Time the stage stood, by category and cause.
    #[inline]
    pub fn book_time(&mut self, key: (LossCategory, Cause), dt: Micros) {
        add(&mut self.time, key, dt);
    }

    /// Running time of the stage's bottleneck at a lower speed.
    pub fn book_speed(&mut self, dt: Micros, speed_pct: u16, cause: Cause) {
        if speed_pct < 100 {
            let missing = f64::from(100 - speed_pct) / 100.0;
            add(&mut self.speed, cause, dt as f64 * missing);
        }
    }

    /// The tree at the end of a run (`plant` as it ended), as (category, cause, units):
    /// `nominal_per_h` is the stage's nominal rate, `target_per_h` the plan's, `planned` the planned production
    /// time, `good` the line's good output.
    pub fn tree(
        &self,
        plant: &Plant,
        nominal_per_h: f64,
        target_per_h: f64,
        planned: Micros,
        good: u64,
    ) -> Vec<(LossCategory, Cause, f64)> {
        // The open segment's units are booked first: the tree is always of the whole run.
        let book = self.closed(plant);
        let this = &book;
        let per_us = nominal_per_h / US_PER_H as f64;
        let p = planned as f64;
        let mut out: BTreeMap<(LossCategory, Cause), f64> = BTreeMap::new();
        let mut add = |k: (LossCategory, Cause), units: f64| {
            *out.entry(k).or_insert(0.0) += units;
        };
        add(
            (LossCategory::TargetGap, Cause::Schedule),
            (target_per_h - nominal_per_h) * p / US_PER_H as f64,
        );
        let mut down: Micros = 0;
        for &(k, t) in &this.time {
            down += t;
            add(k, t as f64 * per_us);
        }
        let mut speed = 0.0;
        for &(c, t) in &this.speed {
            speed += t * per_us;
            add((LossCategory::SpeedLoss, c), t * per_us);
        }
        for (&c, &n) in &this.scrap {
            add((LossCategory::QualityLoss, c), n as f64);
        }
        let run = (p - down as f64).max(0.0);
        let variation =
            run * per_us - this.made_planned as f64 - this.stage_scrap_planned as f64 - speed;
        add((LossCategory::SpeedLoss, Cause::Normal), variation);
        let scrap_after: u64 = this.scrap.values().sum::<u64>() - this.stage_scrap_planned;
        let made = this.made_planned + this.made_unplanned;
        let wip = made as f64 - good as f64 - scrap_after as f64 - this.made_unplanned as f64;
        add((LossCategory::WorkInProcess, Cause::Normal), wip);
        out.into_iter()
            .filter(|(_, u)| u.abs() >= 1e-9)
            .map(|((cat, cause), u)| (cat, cause, u))
            .collect()
    }
}

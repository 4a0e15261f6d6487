//! The operating schedule: when the line is planned to run, changeovers, and the output
//! target that production is measured against.

use crate::scenario::{Action, Scenario};
use crate::time::{Micros, from_secs};

#[derive(Clone)]
pub struct Plan {
    /// The schedule's actions in time order (entries at the same time keep file order).
    pub schedule: Vec<(Micros, Action)>,
    pub next_action: usize,
    /// Production is planned (the schedule has the line on).
    pub planned: bool,
    pub target_per_h: f64,
    /// Per station: the speed the recipe in force asks, percent of nominal (100 until a
    /// changeover sets another): the loss tree's reference rate.
    pub speed_pct: Vec<u16>,
}

impl Plan {
    pub fn new(s: &Scenario, capacity_per_h: f64) -> Plan {
        let mut schedule: Vec<(Micros, Action)> = s
            .schedule
            .iter()
            .map(|e| (from_secs(e.at_h * 3600.0), e.action.clone()))
            .collect();
        schedule.sort_by_key(|(t, _)| *t); // stable: entries at the same time keep file order
        Plan {
            schedule,
            next_action: 0,
            planned: false,
            target_per_h: s.line.target_per_h.unwrap_or(capacity_per_h),
            speed_pct: vec![100; s.stations.len()],
        }
    }

    /// The next action due at or before `t`, if any (each is given once).
    pub fn due(&mut self, t: Micros) -> Option<Action> {
        let (at, action) = self.schedule.get(self.next_action)?;
        if *at > t {
            return None;
        }
        let action = action.clone();
        self.next_action += 1;
        Some(action)
    }
}

//! The line moves: each station, in flow order, through its cycles, failures, repairs, planned stops and trips within a tick.

use super::*;

impl Plant {
    /// Advance every station over the tick [t0, t0 + dt).
    pub fn advance(&mut self, t0: Micros, dt: Micros) {
        let t_end = t0 + dt;
        for k in 0..self.order.len() {
            let i = self.order[k];
            self.advance_station(i, t0, t_end);
        }
        // A station that found the buffer downstream full may have seen it freed later in
        // the tick by the station downstream, which moves after it in flow order: let the
        // blocked ones (and what they feed) move again until nothing moves, so the tick
        // ends in the states the line is really in. Their event times are exact either way;
        // without this, a blocked bottleneck's last tick of each stop was booked as lost
        // while it was producing (a negative speed loss in the loss tree).
        // Only a holding station with room downstream can move (and so free or fill a
        // buffer another station waits on): without one, a pass would move nothing.
        while self.some_holding_station_has_room() {
            let mut moved = false;
            for k in 0..self.order.len() {
                let i = self.order[k];
                let before = (
                    self.stations[i].counters.units_in,
                    self.stations[i].counters.units_out,
                );
                self.run_events(i, t_end);
                let st = &self.stations[i];
                moved |= (st.counters.units_in, st.counters.units_out) != before;
            }
            if !moved {
                break;
            }
        }
    }

    /// A station holding a finished unit (not failed, not stopped) whose downstream has a
    /// free place: the only station a pass over the line at the same instant can move.
    fn some_holding_station_has_room(&self) -> bool {
        self.stations.iter().any(|st| {
            matches!(st.phase, Phase::Holding { .. })
                && (st.is_sink()
                    || st
                        .downstream
                        .iter()
                        .any(|&j| self.buffers[j].level < self.buffers[j].capacity))
        })
    }

    /// Condition monitoring: see degradation coming, and stop for maintenance before the
    /// failure.
    pub(super) fn watch_health(&mut self, i: usize, t0: Micros) {
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

    pub(super) fn advance_station(&mut self, i: usize, t0: Micros, t_end: Micros) {
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

    pub(super) fn run_events(&mut self, i: usize, t_end: Micros) {
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
                    let good = st.finished_good(done_at);
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
}

/// Topological order, stable: among ready stations the one listed first goes first.
pub(super) fn flow_order(stations: &[Station]) -> Vec<usize> {
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

//! A station's own state: what it shows, its draws of cycle times and times to failure, and suspending its clocks while it is stopped.

use super::*;

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

    pub(super) fn suspended(&self) -> bool {
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

    pub(super) fn draw_cycle(&mut self) -> Micros {
        let nominal = self.cycle as f64 * 100.0 / f64::from(self.speed_pct.max(1));
        let z = if self.jitter_cv > 0.0 {
            standard_normal(&mut self.rng_cycle).clamp(-3.0, 3.0)
        } else {
            0.0
        };
        (nominal * (1.0 + self.jitter_cv * z)).max(1.0) as Micros
    }

    pub(super) fn draw_ttf(&mut self) -> Micros {
        match &self.failures {
            Some((between_h, _)) => {
                let d = *between_h;
                from_secs(d.sample(&mut self.rng_failure) * 3600.0).max(1)
            }
            None => Micros::MAX,
        }
    }

    pub(super) fn suspend(&mut self, t: Micros) {
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

    pub(super) fn resume(&mut self, t: Micros) {
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

    /// Whether the unit finished at `done_at` is good: in the thermal band, and not one of
    /// the station's quality rejects. Counts the scrap by its reason.
    #[inline]
    pub(super) fn finished_good(&mut self, done_at: Micros) -> bool {
        match &self.thermal {
            Some(th) if !th.in_band_at(done_at) => {
                self.counters.scrap_temperature += 1;
                false
            }
            _ if self.yield_fraction < 1.0
                && self.rng_quality.random::<f64>() >= self.yield_fraction =>
            {
                self.counters.scrap_quality += 1;
                false
            }
            _ => true,
        }
    }
}

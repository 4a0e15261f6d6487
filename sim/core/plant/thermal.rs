//! The thermal process of a tunnel pasteurizer zone: first-order dynamics
//! `τ·dT/dt = T_ss − T`, with `T_ss = ambient + gain·u − load·[product flowing]`, where `u`
//! is the heater output in [0, 1] set by the PLC's PID loop. Integrated exactly over each
//! tick (u and load held for the tick), so the step response is the analytic curve.
//!
//! The safety function is separate from the PLC (an independent trip, as a SIS is): it
//! watches the temperature continuously and trips at the exact moment it crosses the limit.

use crate::scenario::ThermalSpec;
use crate::time::{Micros, from_secs};

#[derive(Clone, Debug)]
pub struct Thermal {
    pub ambient_c: f64,
    pub tau_s: f64,
    pub gain_c: f64,
    pub load_c: f64,
    /// The band of the product now in the zone.
    pub band_c: (f64, f64),
    /// The band of product 1 and of products without their own.
    default_band: (f64, f64),
    /// Products with a band of their own.
    product_bands: Vec<(u16, (f64, f64))>,
    pub trip_above_c: f64,
    pub reset_below_c: f64,
    pub inspection: Micros,
    /// Current temperature.
    pub temp_c: f64,
    /// Heater output commanded by the PLC, 0..1.
    pub heater: f64,
    /// True while the safety function holds the heater off (after a trip, until reset).
    pub interlock: bool,
    // The current tick's segment, for the temperature at any instant inside it.
    seg_t0: Micros,
    seg_from_c: f64,
    seg_target_c: f64,
    decay_per_tick: f64,
    tick: Micros,
    // Statistics.
    pub max_c: f64,
    pub min_c: f64,
    pub out_of_band: Micros,
    pub excursions: u32,
    in_band: bool,
}

impl Thermal {
    pub fn new(spec: &ThermalSpec, tick: Micros) -> Self {
        let t = spec.initial_c.unwrap_or(spec.ambient_c);
        let in_band = t >= spec.band_c.0 && t <= spec.band_c.1;
        Thermal {
            ambient_c: spec.ambient_c,
            tau_s: spec.tau_s,
            gain_c: spec.gain_c,
            load_c: spec.load_c,
            band_c: spec.band_c,
            default_band: spec.band_c,
            product_bands: spec.product_bands.clone(),
            trip_above_c: spec.trip_above_c,
            reset_below_c: spec.reset_below_c,
            inspection: from_secs(spec.inspection_min * 60.0),
            temp_c: t,
            heater: 0.0,
            interlock: false,
            seg_t0: 0,
            seg_from_c: t,
            seg_target_c: t,
            decay_per_tick: (-(tick as f64 / 1e6) / spec.tau_s).exp(),
            tick,
            max_c: t,
            min_c: t,
            out_of_band: 0,
            excursions: 0,
            in_band,
        }
    }

    /// The product in the zone changes (a changeover): its recipe's band applies.
    pub fn set_product(&mut self, product: u16) {
        self.band_c = self
            .product_bands
            .iter()
            .find(|(p, _)| *p == product)
            .map_or(self.default_band, |(_, b)| *b);
    }

    /// Steady-state temperature for the given heater output and load.
    pub fn steady_state(&self, heater: f64, loaded: bool) -> f64 {
        self.ambient_c + self.gain_c * heater - if loaded { self.load_c } else { 0.0 }
    }

    /// Advance one tick from `t0`. Returns the instant the temperature crosses the trip
    /// limit upward inside this tick, if it does.
    pub fn advance(&mut self, t0: Micros, loaded: bool) -> Option<Micros> {
        let u = if self.interlock {
            0.0
        } else {
            self.heater.clamp(0.0, 1.0)
        };
        let target = self.steady_state(u, loaded);
        let from = self.temp_c;
        self.seg_t0 = t0;
        self.seg_from_c = from;
        self.seg_target_c = target;
        let to = target + (from - target) * self.decay_per_tick;
        self.temp_c = to;
        self.max_c = self.max_c.max(to);
        self.min_c = self.min_c.min(to);
        let in_band = to >= self.band_c.0 && to <= self.band_c.1;
        if !in_band {
            self.out_of_band += self.tick;
            if self.in_band {
                self.excursions += 1;
            }
        }
        self.in_band = in_band;
        let limit = self.trip_above_c;
        if from <= limit && to > limit && !self.interlock {
            // T(t) = target + (from − target)·e^(−t/τ) reaches the limit at
            // t = τ·ln((from − target)/(limit − target)); target > limit here.
            let dt_s = self.tau_s * ((from - target) / (limit - target)).ln();
            let dt = from_secs(dt_s).min(self.tick);
            // Rounded to the microsecond; never before the tick begins.
            Some(t0 + dt.max(if from == limit { 0 } else { 1 }).min(self.tick))
        } else {
            None
        }
    }

    /// The temperature at instant `t` inside the last advanced tick.
    pub fn temp_at(&self, t: Micros) -> f64 {
        let dt = t.saturating_sub(self.seg_t0) as f64 / 1e6;
        self.seg_target_c + (self.seg_from_c - self.seg_target_c) * (-dt / self.tau_s).exp()
    }

    /// Whether the temperature at the end of the last advanced tick is in the band.
    pub fn in_band(&self) -> bool {
        self.in_band
    }

    pub fn in_band_at(&self, t: Micros) -> bool {
        let c = self.temp_at(t);
        c >= self.band_c.0 && c <= self.band_c.1
    }
}

//! A passive Modbus IDS on the control network: it learns what normal looks like for a
//! while (who talks to which PLC, with which function codes, what values get written,
//! how fast), then raises an alert after a detection delay when traffic falls outside:
//! a new talker, an unusual function code, a write outside the learned baseline, a
//! request-rate spike. False alarms arrive as a Poisson process at the configured rate.

use crate::dist::Dist;
use crate::modbus::{Request, parse_adu};
use crate::rng::{Stream, stream};
use crate::time::{Micros, US_PER_H, from_secs};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub use crate::scenario::controls::IdsSpec;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum AlertKind {
    NewTalker,
    UnusualFunction(u8),
    WriteOutsideBaseline { address: u16, value: u16 },
    RateSpike,
    FalseAlarm,
}

#[derive(Clone, Debug, Serialize)]
pub struct Alert {
    pub at: Micros,
    pub source: usize,
    pub plc: usize,
    pub kind: AlertKind,
}

const WINDOW: Micros = 10_000_000;

#[derive(Clone, Debug)]
pub struct Ids {
    pub spec: IdsSpec,
    learn_until: Micros,
    talkers: BTreeSet<(usize, usize)>,
    functions: BTreeSet<(usize, usize, u8)>,
    /// (source, PLC, address) → learned (min, max) written value.
    writes: BTreeMap<(usize, usize, u16), (u16, u16)>,
    /// (source, PLC) → (current window start, count, learned peak).
    rates: BTreeMap<(usize, usize), (Micros, u32, u32)>,
    /// Alerts already raised (one per source, PLC and kind).
    raised: BTreeSet<(usize, usize, AlertKind)>,
    /// The detection delays of real alerts, and the false alarms' gaps: two streams, so
    /// that what a campaign sets off never moves an ordinary day's false alarms (common
    /// random numbers between a seed's campaign day and its ordinary day).
    rng_detection: Stream,
    rng_false_alarms: Stream,
    next_false_alarm: Micros,
    /// Alerts waiting out the detection delay.
    pending: Vec<Alert>,
}

impl Ids {
    pub fn new(spec: &IdsSpec, seed: u64) -> Ids {
        let mut rng_false_alarms = stream(seed, "ids:false-alarms");
        let next_false_alarm = Self::draw_gap(spec, &mut rng_false_alarms, 0);
        Ids {
            spec: spec.clone(),
            learn_until: from_secs(spec.learn_h * 3600.0),
            talkers: BTreeSet::new(),
            functions: BTreeSet::new(),
            writes: BTreeMap::new(),
            rates: BTreeMap::new(),
            raised: BTreeSet::new(),
            rng_detection: stream(seed, "ids:detection"),
            rng_false_alarms,
            next_false_alarm,
            pending: Vec::new(),
        }
    }

    fn draw_gap(spec: &IdsSpec, rng: &mut Stream, from: Micros) -> Micros {
        if spec.false_alarms_per_day <= 0.0 {
            return Micros::MAX;
        }
        let mean_h = 24.0 / spec.false_alarms_per_day;
        from + (Dist::Exponential(mean_h).sample(rng) * US_PER_H as f64) as Micros
    }

    fn raise(&mut self, t: Micros, source: usize, plc: usize, kind: AlertKind) {
        if self.raised.insert((source, plc, kind.clone())) {
            let delay = from_secs(self.spec.detection_delay_s.sample(&mut self.rng_detection));
            self.pending.push(Alert {
                at: t + delay,
                source,
                plc,
                kind,
            });
        }
    }

    /// What commissioning taught it: `source` talks to `plc` with these function codes
    /// and writes these (address, lowest, highest) values.
    pub fn commission(
        &mut self,
        source: usize,
        plc: usize,
        functions: &[u8],
        writes: &[(u16, u16, u16)],
    ) {
        self.talkers.insert((source, plc));
        for &f in functions {
            self.functions.insert((source, plc, f));
        }
        for &(a, lo, hi) in writes {
            let e = self.writes.entry((source, plc, a)).or_insert((lo, hi));
            *e = (e.0.min(lo), e.1.max(hi));
        }
    }

    /// A request from host `source` to PLC `plc` crossed the wire at `t`.
    pub fn observe(&mut self, t: Micros, source: usize, plc: usize, adu: &[u8]) {
        let learning = t < self.learn_until;
        let Ok((_, pdu)) = parse_adu(adu) else {
            if !learning {
                self.raise(t, source, plc, AlertKind::UnusualFunction(0));
            }
            return;
        };
        let function = pdu.first().copied().unwrap_or(0);
        let window = self.rates.entry((source, plc)).or_insert((t, 0, 0));
        if t >= window.0 + WINDOW {
            if learning {
                window.2 = window.2.max(window.1);
            }
            *window = (t - (t - window.0) % WINDOW, 0, window.2);
        }
        window.1 += 1;
        let (count, peak) = (window.1, window.2);
        let writes: Vec<(u16, u16)> = match Request::decode_pdu(pdu) {
            Ok(Request::WriteSingleRegister { address, value }) => vec![(address, value)],
            Ok(Request::WriteSingleCoil { address, value }) => vec![(address, u16::from(value))],
            Ok(Request::WriteMultipleRegisters { address, values }) => values
                .iter()
                .enumerate()
                .map(|(k, v)| (address.wrapping_add(k as u16), *v))
                .collect(),
            _ => Vec::new(),
        };
        if learning {
            self.talkers.insert((source, plc));
            self.functions.insert((source, plc, function));
            for (a, v) in writes {
                let e = self.writes.entry((source, plc, a)).or_insert((v, v));
                *e = (e.0.min(v), e.1.max(v));
            }
            return;
        }
        if !self.talkers.contains(&(source, plc)) {
            self.raise(t, source, plc, AlertKind::NewTalker);
        } else if !self.functions.contains(&(source, plc, function)) {
            self.raise(t, source, plc, AlertKind::UnusualFunction(function));
        }
        for (address, value) in writes {
            match self.writes.get(&(source, plc, address)) {
                Some(&(lo, hi)) if (lo..=hi).contains(&value) => {}
                _ => self.raise(
                    t,
                    source,
                    plc,
                    AlertKind::WriteOutsideBaseline { address, value },
                ),
            }
        }
        if peak > 0 && f64::from(count) > self.spec.rate_spike_factor * f64::from(peak) {
            self.raise(t, source, plc, AlertKind::RateSpike);
        }
    }

    /// Alerts that reach the analyst by `t` (false alarms included).
    pub fn due(&mut self, t: Micros) -> Vec<Alert> {
        let mut out = Vec::new();
        while self.next_false_alarm <= t {
            out.push(Alert {
                at: self.next_false_alarm,
                source: usize::MAX,
                plc: usize::MAX,
                kind: AlertKind::FalseAlarm,
            });
            self.next_false_alarm = Self::draw_gap(
                &self.spec,
                &mut self.rng_false_alarms,
                self.next_false_alarm,
            );
        }
        if !self.pending.is_empty() {
            let (ready, wait): (Vec<Alert>, Vec<Alert>) = std::mem::take(&mut self.pending)
                .into_iter()
                .partition(|a| a.at <= t);
            self.pending = wait;
            out.extend(ready);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The false alarms alone, over many days: a Poisson count at the configured rate
    /// (the twin's days only wire it in: tests/integration/corrections.rs).
    #[test]
    fn false_alarms_arrive_as_a_poisson_process_at_the_configured_rate() {
        for (rate, seed) in [(2.0, 1), (0.5, 2), (12.0, 3)] {
            let spec = IdsSpec {
                learn_h: 1.0,
                detection_delay_s: Dist::Fixed(45.0),
                false_alarms_per_day: rate,
                rate_spike_factor: 5.0,
                commissioned: true,
            };
            let mut ids = Ids::new(&spec, seed);
            let days = 5_000;
            let mut count = 0u64;
            let mut last = 0;
            for day in 1..=days {
                for a in ids.due(day * 24 * US_PER_H) {
                    assert_eq!(a.kind, AlertKind::FalseAlarm);
                    assert!(a.at >= last && a.at <= day * 24 * US_PER_H);
                    last = a.at;
                    count += 1;
                }
            }
            let expected = rate * days as f64;
            assert!(
                (count as f64 - expected).abs() <= 1.96 * expected.sqrt(),
                "{count} false alarms in {days} days at {rate}/day"
            );
        }
        // None configured, none raised.
        let spec = IdsSpec {
            learn_h: 1.0,
            detection_delay_s: Dist::Fixed(45.0),
            false_alarms_per_day: 0.0,
            rate_spike_factor: 5.0,
            commissioned: true,
        };
        assert!(Ids::new(&spec, 1).due(Micros::MAX - 1).is_empty());
    }
}

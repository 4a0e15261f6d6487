//! Simulated time. The core never reads a wall clock: time is an integer count of
//! microseconds since the start of the run, advanced by `World::step()`.

/// Simulated time or duration in microseconds.
pub type Micros = u64;

pub const US_PER_MS: Micros = 1_000;
pub const US_PER_S: Micros = 1_000_000;
pub const US_PER_MIN: Micros = 60 * US_PER_S;
pub const US_PER_H: Micros = 60 * US_PER_MIN;

/// Seconds (as written in scenarios) to microseconds, rounded to the nearest microsecond.
/// Negative and non-finite inputs map to 0; validation rejects them before they get here.
pub fn from_secs(s: f64) -> Micros {
    if s.is_finite() && s > 0.0 {
        (s * US_PER_S as f64).round() as Micros
    } else {
        0
    }
}

pub fn to_secs(t: Micros) -> f64 {
    t as f64 / US_PER_S as f64
}

pub fn to_hours(t: Micros) -> f64 {
    t as f64 / US_PER_H as f64
}

/// `hh:mm:ss.mmm` since the start of the run, for logs and reports.
pub fn clock(t: Micros) -> String {
    let ms = t / US_PER_MS;
    let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rem) = (rem / 60_000, rem % 60_000);
    format!("{h:02}:{m:02}:{:02}.{:03}", rem / 1000, rem % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_trip() {
        assert_eq!(from_secs(1.5), 1_500_000);
        assert_eq!(from_secs(-3.0), 0);
        assert_eq!(from_secs(f64::NAN), 0);
        assert_eq!(to_secs(2_500_000), 2.5);
        assert_eq!(clock(3_723_004_000), "01:02:03.004");
    }
}

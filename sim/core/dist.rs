//! Random durations used by the plant and the operators, as written in scenarios.

use crate::rng::Stream;
use rand::RngExt;
use rand_distr::{Distribution, Exp, LogNormal, Normal, Pert, Weibull};
use serde::{Deserialize, Serialize};

/// A distribution of non-negative durations or quantities, in the unit the field names.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Exponential with this mean (memoryless: random failures, arrivals).
    Exponential(f64),
    /// Weibull with this mean and shape (shape > 1: wear-out, < 1: infant mortality).
    Weibull {
        /// The mean.
        mean: f64,
        /// The shape (> 1: wear-out, < 1: infant mortality, 1: exponential).
        shape: f64,
    },
    /// Log-normal with this mean and coefficient of variation (repair and response times).
    LogNormal {
        /// The mean.
        mean: f64,
        /// The coefficient of variation (standard deviation / mean).
        cv: f64,
    },
    /// Uniform between the two bounds.
    Uniform(f64, f64),
    /// PERT (a beta between `min` and `max` peaking at `likely`): an estimate given as
    /// minimum, most likely and maximum, as Open FAIR analyses elicit them.
    Pert {
        /// The smallest value.
        min: f64,
        /// The most likely value.
        likely: f64,
        /// The largest value.
        max: f64,
    },
}

impl Dist {
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) | Dist::Exponential(v) => v,
            Dist::Weibull { mean, .. } | Dist::LogNormal { mean, .. } => mean,
            Dist::Uniform(a, b) => (a + b) / 2.0,
            Dist::Pert { min, likely, max } => (min + 4.0 * likely + max) / 6.0,
        }
    }

    /// Problems with the parameters, for scenario validation (`None` when valid).
    pub fn check(&self) -> Option<String> {
        let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
        match *self {
            Dist::Fixed(v) if !finite_nonneg(v) => {
                Some(format!("Fixed({v}): must be a number ≥ 0"))
            }
            Dist::Exponential(m) if !(m.is_finite() && m > 0.0) => {
                Some(format!("Exponential({m}): the mean must be > 0"))
            }
            Dist::Weibull { mean, shape }
                if !(mean.is_finite() && mean > 0.0 && shape.is_finite() && shape > 0.0) =>
            {
                Some(format!(
                    "Weibull(mean: {mean}, shape: {shape}): mean and shape must be > 0"
                ))
            }
            Dist::LogNormal { mean, cv }
                if !(mean.is_finite() && mean > 0.0 && finite_nonneg(cv)) =>
            {
                Some(format!(
                    "LogNormal(mean: {mean}, cv: {cv}): mean must be > 0 and cv ≥ 0"
                ))
            }
            Dist::Uniform(a, b) if !(finite_nonneg(a) && finite_nonneg(b) && a <= b) => Some(
                format!("Uniform({a}, {b}): bounds must be ≥ 0 and in order"),
            ),
            Dist::Pert { min, likely, max }
                if !(finite_nonneg(min)
                    && likely.is_finite()
                    && max.is_finite()
                    && min <= likely
                    && likely <= max) =>
            {
                Some(format!(
                    "Pert(min: {min}, likely: {likely}, max: {max}): must be ≥ 0 and min ≤ likely ≤ max"
                ))
            }
            _ => None,
        }
    }

    /// Draw one value. Parameters are validated at load; a degenerate one yields the mean.
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        let v = match *self {
            Dist::Fixed(v) => v,
            Dist::Exponential(m) => Exp::new(1.0 / m).map(|d| d.sample(rng)).unwrap_or(m),
            Dist::Weibull { mean, shape } => {
                // mean = scale · Γ(1 + 1/k)
                let scale = mean / gamma(1.0 + 1.0 / shape);
                Weibull::new(scale, shape)
                    .map(|d| d.sample(rng))
                    .unwrap_or(mean)
            }
            Dist::LogNormal { mean, cv } => {
                if cv == 0.0 {
                    mean
                } else {
                    let sigma2 = (1.0 + cv * cv).ln();
                    let mu = mean.ln() - sigma2 / 2.0;
                    LogNormal::new(mu, sigma2.sqrt())
                        .map(|d| d.sample(rng))
                        .unwrap_or(mean)
                }
            }
            Dist::Uniform(a, b) => {
                if a == b {
                    a
                } else {
                    a + (b - a) * rng.random::<f64>()
                }
            }
            Dist::Pert { min, likely, max } => {
                if min == max {
                    min
                } else {
                    Pert::new(min, max)
                        .with_mode(likely)
                        .map(|d| d.sample(rng))
                        .unwrap_or(likely)
                }
            }
        };
        v.max(0.0)
    }
}

/// Standard normal draw, for cycle-time jitter.
pub fn standard_normal(rng: &mut Stream) -> f64 {
    Normal::new(0.0, 1.0).map(|d| d.sample(rng)).unwrap_or(0.0)
}

/// Lanczos approximation of Γ(x) for x > 0 (|error| < 1e-13 over the range used here).
pub fn gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma(1.0 - x))
    } else {
        let x = x - 1.0;
        let mut a = C[0];
        let t = x + G + 0.5;
        for (i, c) in C.iter().enumerate().skip(1) {
            a += c / (x + i as f64);
        }
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * a
    }
}

/// A quantity written as a number (always that value: `8.0`) or as a distribution drawn
/// once per occurrence (`LogNormal(mean: 8.0, cv: 0.5)`), in the unit the field names.
#[derive(Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Quantity {
    /// Always this value.
    Value(f64),
    /// Drawn per occurrence from the run's seed.
    Drawn(Dist),
}

impl Default for Quantity {
    /// Nothing: the number 0 (a price not written).
    fn default() -> Self {
        Quantity::Value(0.0)
    }
}

/// As it is written in a scenario: `8.0` or `LogNormal { … }` (an attack step's event
/// detail prints its spec this way).
impl std::fmt::Debug for Quantity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quantity::Value(v) => write!(f, "{v:?}"),
            Quantity::Drawn(d) => write!(f, "{d:?}"),
        }
    }
}

impl Quantity {
    /// The value, or one draw (a number draws nothing from `rng`).
    pub fn sample(&self, rng: &mut Stream) -> f64 {
        match self {
            Quantity::Value(v) => *v,
            Quantity::Drawn(d) => d.sample(rng),
        }
    }

    pub fn mean(&self) -> f64 {
        match self {
            Quantity::Value(v) => *v,
            Quantity::Drawn(d) => d.mean(),
        }
    }

    /// What is wrong with it, if anything, where 0 is allowed: a number must be ≥ 0.
    pub fn check_non_negative(&self) -> Option<String> {
        match self {
            Quantity::Value(v) if !(v.is_finite() && *v >= 0.0) => {
                Some(format!("{v} must be a number ≥ 0"))
            }
            Quantity::Value(_) => None,
            Quantity::Drawn(d) => d.check(),
        }
    }

    /// Whether it is a distribution (drawn), not a number.
    pub fn is_drawn(&self) -> bool {
        matches!(self, Quantity::Drawn(_))
    }

    /// What is wrong with it, if anything: a number must be > 0, a distribution valid.
    pub fn check(&self) -> Option<String> {
        match self {
            Quantity::Value(v) if !(v.is_finite() && *v > 0.0) => {
                Some(format!("{v} must be a number > 0"))
            }
            Quantity::Value(_) => None,
            Quantity::Drawn(d) => d.check(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn gamma_matches_known_values() {
        assert!((gamma(1.0) - 1.0).abs() < 1e-12);
        assert!((gamma(5.0) - 24.0).abs() < 1e-9);
        assert!((gamma(1.5) - 0.886_226_925_452_758).abs() < 1e-12);
    }

    #[test]
    fn sample_means_converge() {
        let mut rng = stream(1, "dist");
        for d in [
            Dist::Exponential(10.0),
            Dist::Weibull {
                mean: 10.0,
                shape: 2.0,
            },
            Dist::LogNormal {
                mean: 10.0,
                cv: 0.5,
            },
            Dist::Uniform(5.0, 15.0),
            // (2 + 4·9.5 + 20) / 6 = 10
            Dist::Pert {
                min: 2.0,
                likely: 9.5,
                max: 20.0,
            },
        ] {
            let n = 200_000;
            let m: f64 = (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!((m - 10.0).abs() < 0.15, "{d:?}: mean {m}");
        }
    }

    #[test]
    fn bad_parameters_are_named() {
        assert!(Dist::Exponential(0.0).check().is_some());
        assert!(Dist::Uniform(3.0, 1.0).check().is_some());
        assert!(Dist::LogNormal { mean: 1.0, cv: 0.2 }.check().is_none());
        assert!(
            Dist::Pert {
                min: 1.0,
                likely: 3.0,
                max: 2.0
            }
            .check()
            .is_some()
        );
    }
}

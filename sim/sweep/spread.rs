//! The spread of the yearly figures: percentiles over simulated years, a distribution's
//! quantiles, each control's break-even frequency and the sensitivity (tornado) table.

use crate::dist::Dist;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF, Normal};

/// Percentiles of a yearly figure over the simulated years (each year draws the campaign
/// frequency, then a Poisson number of campaigns, each one seed's loss).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub p5: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
}

impl Percentiles {
    /// From values sorted in increasing order.
    pub fn of(sorted: &[f64]) -> Percentiles {
        let q = |p| super::round(quantile(sorted, p), 2);
        Percentiles {
            p5: q(0.05),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
        }
    }
}

/// The q-quantile of sorted values (nearest rank).
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[k]
}

/// The q-quantile of a scenario's distribution (its inverse CDF).
pub fn dist_quantile(d: &Dist, q: f64) -> f64 {
    let q = q.clamp(0.0, 1.0);
    let v = match *d {
        Dist::Fixed(v) => v,
        Dist::Exponential(m) => -m * (1.0 - q).ln(),
        Dist::Weibull { mean, shape } => {
            let scale = mean / crate::dist::gamma(1.0 + 1.0 / shape);
            scale * (-(1.0 - q).ln()).powf(1.0 / shape)
        }
        Dist::LogNormal { mean, cv } => {
            let sigma2 = (1.0 + cv * cv).ln();
            let mu = mean.ln() - sigma2 / 2.0;
            let z = Normal::new(0.0, 1.0).map_or(0.0, |n| n.inverse_cdf(q));
            (mu + sigma2.sqrt() * z).exp()
        }
        Dist::Uniform(a, b) => a + q * (b - a),
        Dist::Pert { min, likely, max } => {
            if max <= min {
                min
            } else {
                // PERT's beta: α = 1 + 4(mode − min)/(max − min), β = 1 + 4(max − mode)/(max − min).
                let alpha = 1.0 + 4.0 * (likely - min) / (max - min);
                let beta = 1.0 + 4.0 * (max - likely) / (max - min);
                let x = Beta::new(alpha, beta).map_or(0.5, |b| b.inverse_cdf(q));
                min + (max - min) * x
            }
        }
    };
    v.max(0.0)
}

/// The campaign frequency at which a control's expected net benefit per year is zero:
/// `λ·ΔLM + fixed = 0`, with ΔLM the mean loss of one campaign it avoids and `fixed` the
/// rest of its yearly net (other losses avoided − its added cost). `Some(0)` when it pays
/// without any attack; `None` when it never pays (it avoids no campaign loss and costs more).
pub fn break_even(avoided_per_campaign: f64, fixed: f64) -> Option<f64> {
    if fixed >= 0.0 {
        Some(0.0)
    } else if avoided_per_campaign > 0.0 {
        Some(super::round(-fixed / avoided_per_campaign, 4))
    } else {
        None
    }
}

/// One row of the sensitivity table: an uncertain input moved over its P10–P90, every
/// other input at its median, and the expected net benefit per year at each end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Swing {
    pub input: String,
    /// The input at its 10th and 90th percentile.
    pub low: f64,
    pub high: f64,
    /// The expected net benefit per year with the input there.
    pub net_at_low: f64,
    pub net_at_high: f64,
}

impl Swing {
    pub fn width(&self) -> f64 {
        (self.net_at_high - self.net_at_low).abs()
    }
}

/// A price the tornado moves: a control's purchase or running cost written as a
/// distribution, and how one unit of it moves the variant's added ownership cost per year
/// (1 / life for a purchase, 1 for a running cost; negative where the baseline owns it).
#[derive(Clone, Debug)]
pub(crate) struct PriceSwing {
    pub input: String,
    pub quantity: crate::dist::Quantity,
    pub weight: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_the_distributions_match_their_closed_forms() {
        assert_eq!(dist_quantile(&Dist::Fixed(3.0), 0.9), 3.0);
        assert!((dist_quantile(&Dist::Uniform(1.0, 3.0), 0.25) - 1.5).abs() < 1e-12);
        // Exponential: median = mean · ln 2.
        assert!((dist_quantile(&Dist::Exponential(2.0), 0.5) - 2.0 * 2f64.ln()).abs() < 1e-9);
        // Weibull with shape 1 is the exponential.
        let w = Dist::Weibull {
            mean: 2.0,
            shape: 1.0,
        };
        assert!((dist_quantile(&w, 0.5) - 2.0 * 2f64.ln()).abs() < 1e-9);
        // A symmetric PERT's median is its mode; Pert(0, 0.5, 1) is Beta(3, 3).
        let p = Dist::Pert {
            min: 0.0,
            likely: 0.5,
            max: 1.0,
        };
        assert!((dist_quantile(&p, 0.5) - 0.5).abs() < 1e-6);
        // Beta(3, 3)'s CDF at 0.2 is 0.05792: its 5.792 % quantile is 0.2.
        assert!((dist_quantile(&p, 0.05792) - 0.2).abs() < 1e-3);
        // Log-normal: the median is exp(μ) = mean / sqrt(1 + cv²).
        let l = Dist::LogNormal { mean: 4.0, cv: 0.5 };
        assert!((dist_quantile(&l, 0.5) - 4.0 / 1.25f64.sqrt()).abs() < 1e-6);
    }

    #[test]
    fn the_break_even_frequency_solves_the_expected_net() {
        // Avoids 50k per campaign, costs 16k a year more: pays from 0.32 campaigns a year.
        assert_eq!(break_even(50_000.0, -16_000.0), Some(0.32));
        assert_eq!(break_even(50_000.0, 1_000.0), Some(0.0));
        assert_eq!(break_even(0.0, -1.0), None);
        assert_eq!(break_even(-5.0, -1.0), None);
    }
}

//! Risk and return per year (Open FAIR: threat event frequency × loss magnitude; ENISA's
//! return on security investment), from a sweep's paired runs.
//!
//! Each seed runs every variant twice: the scenario's day (its attack campaign) and the
//! same seed without the campaign (an ordinary day). Per variant v and seed i:
//!
//! ```text
//! loss magnitude of a campaign  LM(v,i) = cost of the campaign day − cost of the ordinary day
//! a year                        Y(v)    = Σ over N campaigns of LM(v, i_k)      (N ~ Poisson(λ), λ ~ the frequency)
//!                                       + D × ordinary day(v)                  (D operating days)
//!                                       + owning the controls(v)               (purchase / life + running)
//! ```
//!
//! The annualized loss exposure is E[λ]·mean LM with its 95 % interval over seeds; its
//! 90th and 99th percentiles and the loss exceedance curve come from simulated years
//! (common random numbers: every variant sees the same years, campaigns and seeds).
//! Against the baseline, per seed i, the net benefit per year is
//!
//! ```text
//! E[λ]·(LM(b,i) − LM(v,i))                           attack losses avoided
//! + D·(other(b,i) − other(v,i))                        other operating losses avoided
//! − [D·(friction(v,i) − friction(b,i)) + own(v) − own(b)]   the controls' added cost
//! ```
//!
//! (other = the ordinary day's cost not owed to controls; friction = the part owed to them),
//! and its mean and Student-t interval are over seeds; ROSI is the net over the added cost.

use super::days::{Day, acc};
pub use super::days::{DrawnPrice, RiskInputs, YEARS};
use super::spread::{Percentiles, dist_quantile};
pub use super::years::AnnualDelta;
use super::*;

/// A scenario's ordinary day: the same scenario without its attack campaign.
pub fn ordinary(s: &Scenario) -> Scenario {
    let mut t = s.clone();
    t.attacks.clear();
    t.attacker = None;
    t
}

/// A variant's year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annual {
    pub name: String,
    /// One campaign's loss: the campaign day's cost less the ordinary day's (per seed).
    pub loss_magnitude: Stat,
    /// Annualized loss exposure: the mean frequency × the loss magnitude, with the 95 %
    /// interval on the mean (over seeds), not the spread of years.
    pub ale: Stat,
    /// Percentiles of a simulated year's attack losses: each year draws the frequency,
    /// then a Poisson number of campaigns (the spread the mean's interval leaves out).
    pub annual_loss: Percentiles,
    /// Owning the controls for a year: amortized purchase + running.
    pub ownership: f64,
    /// The controls' measured friction on an ordinary day × operating days.
    pub friction: Stat,
    /// The controls' annual cost: ownership + friction.
    pub control_cost: Stat,
    /// Every other operating loss of a year (ordinary days, not owed to controls).
    pub other_losses: Stat,
    /// Against the baseline (none for the baseline itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vs_baseline: Option<AnnualDelta>,
    /// The loss exceedance curve: (yearly attack loss x, P(loss > x)).
    pub exceedance: Vec<(f64, f64)>,
    /// The band around it: (x, P(loss > x) with the frequency fixed at its 10th
    /// percentile, at its 90th).
    pub exceedance_band: Vec<(f64, f64, f64)>,
}

/// The simulated years: each year's campaigns as seed indices (the same for every variant).
fn years(risk: &RiskInputs, seeds: usize, first_seed: u64) -> Vec<Vec<usize>> {
    let f = &risk.campaigns_per_year;
    years_with(|rng| f.sample(rng), seeds, first_seed, "risk:years")
}

/// Years whose frequency is drawn by `lambda`, from the named stream.
fn years_with(
    mut lambda: impl FnMut(&mut crate::rng::Stream) -> f64,
    seeds: usize,
    first_seed: u64,
    stream: &str,
) -> Vec<Vec<usize>> {
    use rand::RngExt;
    use rand_distr::{Distribution, Poisson};
    let mut rng = crate::rng::stream(first_seed, stream);
    (0..YEARS)
        .map(|_| {
            let lambda = lambda(&mut rng);
            let n = if lambda > 0.0 {
                Poisson::new(lambda).map_or(0.0, |p| p.sample(&mut rng)) as usize
            } else {
                0
            };
            (0..n).map(|_| rng.random_range(0..seeds.max(1))).collect()
        })
        .collect()
}

/// P(loss > x) at 41 points from 0 to the largest simulated year.
fn exceedance(sorted: &[f64]) -> Vec<(f64, f64)> {
    let max = sorted.last().copied().unwrap_or(0.0);
    let n = sorted.len().max(1) as f64;
    (0..=40)
        .map(|k| {
            let x = max * k as f64 / 40.0;
            let above = sorted.len() - sorted.partition_point(|&v| v <= x);
            (round(x, 2), round(above as f64 / n, 4))
        })
        .collect()
}

/// Every variant's year, from each variant's days (one per seed, seeds in order).
pub(crate) fn annual(
    risk: &RiskInputs,
    names: &[(String, String)],
    days: &[Vec<Day>],
    first_seed: u64,
) -> Vec<Annual> {
    let seeds = days.first().map_or(0, Vec::len);
    let freq = &risk.campaigns_per_year;
    let lambda = freq.mean();
    let d = risk.operating_days;
    let years = years(risk, seeds, first_seed);
    // The band: the same model with the frequency held at its 10th and 90th percentile.
    let (lo, hi) = (dist_quantile(freq, 0.1), dist_quantile(freq, 0.9));
    let years_lo = years_with(|_| lo, seeds, first_seed, "risk:years:p10");
    let years_hi = years_with(|_| hi, seeds, first_seed, "risk:years:p90");
    let model = super::years::Years {
        risk,
        days,
        drawn_lines: super::prices::line_years(risk, first_seed),
        fees: super::prices::fee_years(risk, first_seed),
        own_years: super::prices::ownership_years(risk, names.len(), first_seed),
    };
    let base_years = model.yearly(&years, 0, true);
    let own = &risk.ownership_per_year;
    (0..names.len())
        .map(|v| {
            let day = &days[v];
            let losses = model.yearly(&years, v, true);
            let friction = acc(day.iter().map(|x| d * x.friction));
            let control_cost = acc(day.iter().map(|x| own[v] + d * x.friction));
            let vs_baseline = (v > 0).then(|| model.delta(v, &losses, &base_years));
            let sorted = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v
            };
            let losses = sorted(losses);
            let curve = exceedance(&losses);
            let at = |sorted: &[f64], x: f64| {
                let above = sorted.len() - sorted.partition_point(|&v| v <= x);
                round(above as f64 / sorted.len().max(1) as f64, 4)
            };
            let (l, h) = (
                sorted(model.yearly(&years_lo, v, false)),
                sorted(model.yearly(&years_hi, v, false)),
            );
            Annual {
                name: names[v].0.clone(),
                loss_magnitude: acc(day.iter().map(|x| x.loss_magnitude)).stat(),
                ale: acc(day.iter().map(|x| lambda * x.loss_magnitude)).stat(),
                annual_loss: Percentiles::of(&losses),
                ownership: own[v],
                friction: friction.stat(),
                control_cost: control_cost.stat(),
                other_losses: acc(day.iter().map(|x| d * x.other)).stat(),
                vs_baseline,
                exceedance_band: curve
                    .iter()
                    .map(|&(x, _)| (x, at(&l, x), at(&h, x)))
                    .collect(),
                exceedance: curve,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    fn inputs(lambda: f64) -> RiskInputs {
        RiskInputs {
            campaigns_per_year: Dist::Fixed(lambda),
            operating_days: 300.0,
            ownership_per_year: vec![0.0, 10_000.0],
            drawn_prices: Vec::new(),
            line_prices: Vec::new(),
            incident_fees: None,
        }
    }

    fn names() -> Vec<(String, String)> {
        vec![
            ("none".into(), String::new()),
            ("dpi".into(), String::new()),
        ]
    }

    #[test]
    fn a_run_leaves_49_figures_and_the_year_model_24_numbers_192_bytes() {
        // As the README says of a sweep's memory.
        assert_eq!(METRICS.len(), 49);
        assert_eq!(std::mem::size_of::<Day>(), 192);
    }

    #[test]
    fn the_year_is_frequency_times_magnitude_plus_days_plus_ownership() {
        // Baseline: a campaign costs 100k, an ordinary day 1k. The control halves the
        // campaign, adds 20 a day of friction and costs 10k a year to own.
        let base = vec![
            Day {
                loss_magnitude: 100_000.0,
                friction: 0.0,
                other: 1_000.0,
                fees: 0.0,
                ..Day::default()
            };
            8
        ];
        let dpi = vec![
            Day {
                loss_magnitude: 50_000.0,
                friction: 20.0,
                other: 1_000.0,
                fees: 0.0,
                ..Day::default()
            };
            8
        ];
        let a = annual(&inputs(0.5), &names(), &[base, dpi], 1);
        assert_eq!(a[0].ale.mean, 50_000.0);
        assert_eq!(a[1].ale.mean, 25_000.0);
        let d = a[1].vs_baseline.as_ref().unwrap();
        assert_eq!(d.attack_losses_avoided, 25_000.0);
        assert_eq!(d.other_losses_avoided, 0.0);
        assert_eq!(d.control_cost_added, 16_000.0);
        assert_eq!(d.net_benefit_mean.mean, 9_000.0);
        assert_eq!(d.rosi.as_ref().unwrap().mean, 0.5625);
        // Break-even: 0.5·50k avoided a campaign against 16k a year: 16k / 50k = 0.32.
        assert_eq!(d.break_even_frequency, Some(0.32));
        // A year's net is 50k·N − 16k, N ~ Poisson(0.5): P(N ≤ 0, 1, 2, 3) = 0.607, 0.910,
        // 0.986, 0.998, so P5 = P50 = −16k, P90 = 34k, P95 = 84k, P99 = 134k.
        let n = d.net_benefit;
        assert_eq!((n.p5, n.p50), (-16_000.0, -16_000.0), "{n:?}");
        assert_eq!(
            (n.p90, n.p95, n.p99),
            (34_000.0, 84_000.0, 134_000.0),
            "{n:?}"
        );
        // The years' spread is wider than the interval on the mean (zero here: every seed
        // is the same).
        assert!(n.p95 - n.p5 > d.net_benefit_mean.ci95.1 - d.net_benefit_mean.ci95.0);
        // Parts add up to the net.
        assert!(
            (d.attack_losses_avoided + d.other_losses_avoided
                - d.control_cost_added
                - d.net_benefit_mean.mean)
                .abs()
                < 0.005
        );
        // Years with no campaign lose 16k net: P(net > 0) is the share of years with
        // at least one campaign, 1 − e^-0.5 ≈ 0.393.
        assert!((d.p_net_positive - 0.3935).abs() < 0.02, "{d:?}");
        // The curve starts at P(loss > 0) and falls.
        let c = &a[0].exceedance;
        assert!((c[0].1 - 0.3935).abs() < 0.02);
        assert!(c.windows(2).all(|w| w[1].1 <= w[0].1));
        assert_eq!(c.last().unwrap().1, 0.0);
    }

    fn constant(loss: f64) -> Vec<Day> {
        vec![
            Day {
                loss_magnitude: loss,
                ..Day::default()
            };
            4
        ]
    }

    #[test]
    fn a_years_loss_follows_the_compound_poisson_closed_form() {
        // One campaign a year on average, each 1,000: a year loses 1,000·N, N ~ Poisson(1),
        // P(N ≤ 0..4) = 0.368, 0.736, 0.920, 0.981, 0.996.
        let a = annual(
            &inputs(1.0),
            &names(),
            &[constant(1_000.0), constant(0.0)],
            3,
        );
        let p = a[0].annual_loss;
        assert_eq!(
            (p.p5, p.p50, p.p90, p.p95, p.p99),
            (0.0, 1_000.0, 2_000.0, 3_000.0, 4_000.0)
        );
        // Held at a fixed frequency, the band is the curve itself.
        let c = &a[0];
        assert!(
            c.exceedance.iter().zip(&c.exceedance_band).all(|(e, b)| {
                e.0 == b.0 && (e.1 - b.1).abs() < 0.02 && (e.1 - b.2).abs() < 0.02
            })
        );
    }

    #[test]
    fn the_frequencys_own_uncertainty_is_in_the_years() {
        // λ ~ Uniform(0, 2): P(no campaign) = (1 − e^−2)/2 = 0.432, where a fixed λ = 1
        // (the same mean) gives e^−1 = 0.368. The band holds λ at its P10 = 0.2 and
        // P90 = 1.8: P(loss > 0) = 1 − e^−0.2 = 0.181 and 1 − e^−1.8 = 0.835.
        let mut r = inputs(1.0);
        r.campaigns_per_year = Dist::Uniform(0.0, 2.0);
        let a = annual(&r, &names(), &[constant(1_000.0), constant(0.0)], 5);
        let (e, b) = (&a[0].exceedance[0], &a[0].exceedance_band[0]);
        assert!((e.1 - (1.0 - 0.4323)).abs() < 0.02, "{e:?}");
        assert!(
            (b.1 - 0.1813).abs() < 0.02 && (b.2 - 0.8347).abs() < 0.02,
            "{b:?}"
        );
        // The mean is the same as at λ = 1 ...
        assert_eq!(a[0].ale.mean, 1_000.0);
        // ... the control that removes every loss breaks even at 10k / 1k = 10 a year, and
        // the sensitivity table puts the frequency first.
        let d = a[1].vs_baseline.as_ref().unwrap();
        assert_eq!(d.break_even_frequency, Some(10.0));
        assert_eq!(d.sensitivity[0].input, "campaigns per year");
        assert!((d.sensitivity[0].net_at_low - (200.0 - 10_000.0)).abs() < 0.01);
        assert!((d.sensitivity[0].net_at_high - (1_800.0 - 10_000.0)).abs() < 0.01);
    }

    #[test]
    fn a_price_written_as_a_distribution_is_drawn_each_year() {
        // No campaign ever: a year's net is minus the DPI's ownership. Its purchase is
        // Uniform(10k, 30k) over a 2-year life, running 1k: a year costs U/2 + 1k, so the
        // net's P5 / P50 / P95 are −(5k + 0.95·10k) − 1k = −15.5k, −11k and −6.5k, the mean
        // −11k; the tornado moves the net by the purchase's P10–P90 (12k–28k) / 2.
        let price = |purchase: crate::dist::Quantity| crate::scenario::ControlPrice {
            control: "dpi".into(),
            purchase,
            life_years: 2.0,
            running_per_year: crate::dist::Quantity::Value(1_000.0),
        };
        let mut r = inputs(0.0);
        let drawn = price(crate::dist::Quantity::Drawn(Dist::Uniform(
            10_000.0, 30_000.0,
        )));
        r.ownership_per_year = vec![0.0, drawn.per_year()];
        r.drawn_prices = vec![DrawnPrice {
            price: drawn,
            owned: vec![false, true],
        }];
        let a = annual(&r, &names(), &[constant(0.0), constant(0.0)], 11);
        let d = a[1].vs_baseline.as_ref().unwrap();
        assert_eq!(d.net_benefit_mean.mean, -11_000.0);
        let n = d.net_benefit;
        assert!((n.p5 - -15_500.0).abs() < 150.0, "{n:?}");
        assert!((n.p50 - -11_000.0).abs() < 150.0, "{n:?}");
        assert!((n.p95 - -6_500.0).abs() < 150.0, "{n:?}");
        assert_eq!(d.p_net_positive, 0.0);
        let s = d
            .sensitivity
            .iter()
            .find(|s| s.input == "price: dpi purchase")
            .expect("the purchase in the tornado");
        assert_eq!((s.low, s.high), (12_000.0, 28_000.0));
        assert_eq!((s.net_at_low, s.net_at_high), (-7_000.0, -15_000.0));
        // The same price as a number: every year the same, and no tornado row.
        let mut fixed = inputs(0.0);
        fixed.ownership_per_year = vec![0.0, 11_000.0];
        let a = annual(&fixed, &names(), &[constant(0.0), constant(0.0)], 11);
        let d = a[1].vs_baseline.as_ref().unwrap();
        assert_eq!(
            (d.net_benefit.p5, d.net_benefit.p95),
            (-11_000.0, -11_000.0)
        );
        assert!(d.sensitivity.iter().all(|s| !s.input.starts_with("price")));
    }

    #[test]
    fn the_simulated_years_follow_the_frequency() {
        let base = [Day::default(); 4];
        let y = years(&inputs(2.0), base.len(), 9);
        let mean = y.iter().map(Vec::len).sum::<usize>() as f64 / y.len() as f64;
        assert!((mean - 2.0).abs() < 0.06, "{mean}");
        // Same first seed, same years.
        assert_eq!(y, years(&inputs(2.0), base.len(), 9));
    }
}

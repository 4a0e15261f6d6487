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

use super::*;
use crate::dist::Dist;

/// Years simulated for percentiles, the exceedance curve and P(net > 0).
pub const YEARS: usize = 10_000;

/// What the sweep needs from the scenario's `risk` section, per variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskInputs {
    pub campaigns_per_year: Dist,
    pub operating_days: f64,
    /// Per variant: owning its controls for a year (amortized purchase + running).
    pub ownership_per_year: Vec<f64>,
}

impl RiskInputs {
    /// From the variants' scenarios; `None` when the baseline has no `risk` section.
    pub fn of(variants: &[Variant]) -> Option<RiskInputs> {
        let r = variants.first()?.scenario.risk.as_ref()?;
        let ownership_per_year = variants
            .iter()
            .map(|v| {
                r.controls
                    .iter()
                    .filter(|p| {
                        ControlId::from_name(&p.control).is_some_and(|c| present(&v.scenario, c))
                    })
                    .map(|p| p.per_year())
                    .sum::<f64>()
            })
            .map(|x| round(x, 2))
            .collect();
        Some(RiskInputs {
            campaigns_per_year: r.campaigns_per_year.clone(),
            operating_days: r.operating_days,
            ownership_per_year,
        })
    }
}

/// A scenario's ordinary day: the same scenario without its attack campaign.
pub fn ordinary(s: &Scenario) -> Scenario {
    let mut t = s.clone();
    t.attacks.clear();
    t.attacker = None;
    t
}

/// One seed of one variant, as the year model needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Day {
    /// Cost of the campaign day less the ordinary day.
    pub loss_magnitude: f64,
    /// The ordinary day's cost owed to controls.
    pub friction: f64,
    /// The rest of the ordinary day's cost.
    pub other: f64,
}

impl Day {
    pub(crate) fn of(figures: &[f64]) -> Day {
        let total = figures[metric("cost_total")];
        let day = figures[metric("ordinary_cost")];
        let friction = figures[metric("ordinary_controls")];
        Day {
            loss_magnitude: total - day,
            friction,
            other: day - friction,
        }
    }
}

/// A variant's year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Annual {
    pub name: String,
    /// One campaign's loss: the campaign day's cost less the ordinary day's (per seed).
    pub loss_magnitude: Stat,
    /// Annualized loss exposure: E[campaigns per year] × the loss magnitude.
    pub ale: Stat,
    /// Percentiles of the attack losses of a simulated year.
    pub ale_p90: f64,
    pub ale_p99: f64,
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
}

/// A variant against the baseline, per year. `attack_losses_avoided +
/// other_losses_avoided − control_cost_added = net_benefit` (means, to the cent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnnualDelta {
    pub attack_losses_avoided: f64,
    pub other_losses_avoided: f64,
    pub control_cost_added: f64,
    pub net_benefit: Stat,
    /// Return on security investment: net benefit / control cost added (with the net's
    /// interval over the same cost); none when the variant costs no more to run.
    pub rosi: Option<Stat>,
    /// Share of simulated years in which the variant came out ahead.
    pub p_net_positive: f64,
}

/// The simulated years: each year's campaigns as seed indices (the same for every variant).
fn years(risk: &RiskInputs, seeds: usize, first_seed: u64) -> Vec<Vec<usize>> {
    use rand::RngExt;
    use rand_distr::{Distribution, Poisson};
    let mut rng = crate::rng::stream(first_seed, "risk:years");
    (0..YEARS)
        .map(|_| {
            let lambda = risk.campaigns_per_year.sample(&mut rng);
            let n = if lambda > 0.0 {
                Poisson::new(lambda).map_or(0.0, |p| p.sample(&mut rng)) as usize
            } else {
                0
            };
            (0..n).map(|_| rng.random_range(0..seeds.max(1))).collect()
        })
        .collect()
}

/// The q-quantile of sorted values (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[k]
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

fn acc(values: impl Iterator<Item = f64>) -> Acc {
    let mut a = Acc::default();
    for v in values {
        a.push(v);
    }
    a
}

/// Every variant's year, from each variant's days (one per seed, seeds in order).
pub(crate) fn annual(
    risk: &RiskInputs,
    names: &[(String, String)],
    days: &[Vec<Day>],
    first_seed: u64,
) -> Vec<Annual> {
    let seeds = days.first().map_or(0, Vec::len);
    let lambda = risk.campaigns_per_year.mean();
    let d = risk.operating_days;
    let years = years(risk, seeds, first_seed);
    let yearly = |v: usize| -> Vec<f64> {
        years
            .iter()
            .map(|y| y.iter().map(|&i| days[v][i].loss_magnitude).sum())
            .collect()
    };
    let base = &days[0];
    let own = &risk.ownership_per_year;
    (0..names.len())
        .map(|v| {
            let day = &days[v];
            let mut losses = yearly(v);
            let friction = acc(day.iter().map(|x| d * x.friction));
            let control_cost = acc(day.iter().map(|x| own[v] + d * x.friction));
            let vs_baseline = (v > 0).then(|| {
                let cost = acc(day
                    .iter()
                    .zip(base)
                    .map(|(x, b)| d * (x.friction - b.friction) + own[v] - own[0]));
                let net = acc(day.iter().zip(base).map(|(x, b)| {
                    lambda * (b.loss_magnitude - x.loss_magnitude) + d * (b.other - x.other)
                        - d * (x.friction - b.friction)
                        - (own[v] - own[0])
                }));
                let attack = round(
                    lambda * (mean(base, |x| x.loss_magnitude) - mean(day, |x| x.loss_magnitude)),
                    2,
                );
                let other = round(d * (mean(base, |x| x.other) - mean(day, |x| x.other)), 2);
                let added = round(cost.stat().mean, 2);
                let net_stat = net.stat();
                let base_years = yearly(0);
                let day_part = d
                    * (mean(base, |x| x.other + x.friction) - mean(day, |x| x.other + x.friction))
                    - (own[v] - own[0]);
                let ahead = base_years
                    .iter()
                    .zip(&losses)
                    .filter(|(b, x)| *b - *x + day_part > 0.0)
                    .count();
                AnnualDelta {
                    attack_losses_avoided: attack,
                    other_losses_avoided: other,
                    // The rest of the net, so the parts add up to it to the cent.
                    control_cost_added: round(attack + other - round(net_stat.mean, 2), 2),
                    rosi: (added > 0.0).then(|| Stat {
                        n: net_stat.n,
                        mean: round(net_stat.mean / added, 4),
                        sd: round(net_stat.sd / added, 4),
                        ci95: (
                            round(net_stat.ci95.0 / added, 4),
                            round(net_stat.ci95.1 / added, 4),
                        ),
                    }),
                    net_benefit: net_stat,
                    p_net_positive: round(ahead as f64 / years.len().max(1) as f64, 4),
                }
            });
            losses.sort_by(f64::total_cmp);
            Annual {
                name: names[v].0.clone(),
                loss_magnitude: acc(day.iter().map(|x| x.loss_magnitude)).stat(),
                ale: acc(day.iter().map(|x| lambda * x.loss_magnitude)).stat(),
                ale_p90: round(quantile(&losses, 0.90), 2),
                ale_p99: round(quantile(&losses, 0.99), 2),
                ownership: own[v],
                friction: friction.stat(),
                control_cost: control_cost.stat(),
                other_losses: acc(day.iter().map(|x| d * x.other)).stat(),
                vs_baseline,
                exceedance: exceedance(&losses),
            }
        })
        .collect()
}

fn mean(days: &[Day], f: impl Fn(&Day) -> f64) -> f64 {
    if days.is_empty() {
        return 0.0;
    }
    days.iter().map(f).sum::<f64>() / days.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(lambda: f64) -> RiskInputs {
        RiskInputs {
            campaigns_per_year: Dist::Fixed(lambda),
            operating_days: 300.0,
            ownership_per_year: vec![0.0, 10_000.0],
        }
    }

    fn names() -> Vec<(String, String)> {
        vec![
            ("none".into(), String::new()),
            ("dpi".into(), String::new()),
        ]
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
            };
            8
        ];
        let dpi = vec![
            Day {
                loss_magnitude: 50_000.0,
                friction: 20.0,
                other: 1_000.0,
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
        assert_eq!(d.net_benefit.mean, 9_000.0);
        assert_eq!(d.rosi.as_ref().unwrap().mean, 0.5625);
        // Parts add up to the net.
        assert!(
            (d.attack_losses_avoided + d.other_losses_avoided
                - d.control_cost_added
                - d.net_benefit.mean)
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

//! The year model's shared part: a sweep's simulated years with the prices each drew,
//! each variant's campaign losses in them, and a variant against the baseline (see
//! super::risk for the model).

use super::days::{Day, RiskInputs, acc, mean};
use super::spread::{Percentiles, Swing, break_even};
use super::tornado::tornado;
use super::{LINE_COUNT, Stat, round};
use serde::{Deserialize, Serialize};

/// A variant against the baseline, per year. `attack_losses_avoided +
/// other_losses_avoided − control_cost_added = net_benefit_mean` (means, to the cent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnnualDelta {
    pub attack_losses_avoided: f64,
    /// Of the attack losses avoided: the production effect and the response fees.
    pub attack_production_avoided: f64,
    pub attack_fees_avoided: f64,
    pub other_losses_avoided: f64,
    pub control_cost_added: f64,
    /// The mean net benefit per year at the mean frequency, with the 95 % interval on
    /// the mean (over seeds): how well the mean is known, not how a year may turn out.
    pub net_benefit_mean: Stat,
    /// Percentiles of the net benefit of a simulated year (frequency and campaigns drawn).
    pub net_benefit: Percentiles,
    /// Return on security investment: net benefit / control cost added (with the net's
    /// interval over the same cost); none when the variant costs no more to run.
    pub rosi: Option<Stat>,
    /// Share of simulated years in which the variant came out ahead.
    pub p_net_positive: f64,
    /// The campaigns a year at which the expected net benefit is zero (0: it pays without
    /// any attack; none: it never pays).
    pub break_even_frequency: Option<f64>,
    /// Each uncertain input over its P10–P90, the rest at their medians, widest first.
    pub sensitivity: Vec<Swing>,
}

/// What every variant's simulated years share: the days, and the prices each year drew.
pub(super) struct Years<'a> {
    pub risk: &'a RiskInputs,
    pub days: &'a [Vec<Day>],
    /// Each drawn price's year over its mean, by its line (super::prices).
    pub drawn_lines: Vec<(usize, Vec<f64>)>,
    /// Each incident fee's draw less its mean, a year (super::prices).
    pub fees: Option<Vec<[f64; 4]>>,
    /// A year's ownership per variant where the controls' prices are drawn.
    pub own_years: Option<Vec<Vec<f64>>>,
}

impl Years<'_> {
    /// The lines of a cost re-priced at year `y`'s draws, less their cost at the means.
    fn repriced(&self, y: usize, lines: &[f64; LINE_COUNT]) -> f64 {
        self.drawn_lines
            .iter()
            .map(|(k, m)| (m[y] - 1.0) * lines[*k])
            .sum()
    }

    /// The fees of a campaign at year `y`'s draws, less their cost at the means.
    fn fee_delta(&self, y: usize, x: &Day) -> f64 {
        self.fees.as_ref().map_or(0.0, |f| {
            f[y].iter()
                .zip(&x.fee_steps)
                .map(|(d, n)| d * n)
                .sum::<f64>()
        })
    }

    /// Variant `v`'s campaign losses in each of `years` (at each year's prices, or at
    /// the means where not `priced`).
    pub(super) fn yearly(&self, years: &[Vec<usize>], v: usize, priced: bool) -> Vec<f64> {
        years
            .iter()
            .enumerate()
            .map(|(y, campaigns)| {
                campaigns
                    .iter()
                    .map(|&i| {
                        let x = &self.days[v][i];
                        match priced {
                            true => {
                                x.loss_magnitude + self.repriced(y, &x.lines) + self.fee_delta(y, x)
                            }
                            false => x.loss_magnitude,
                        }
                    })
                    .sum()
            })
            .collect()
    }

    /// Variant `v` against the baseline: the mean net benefit and its parts over seeds,
    /// the simulated years' nets (from each year's campaign losses of both), the
    /// break-even frequency and the tornado.
    pub(super) fn delta(&self, v: usize, losses: &[f64], base_years: &[f64]) -> AnnualDelta {
        let (risk, d) = (self.risk, self.risk.operating_days);
        let freq = &risk.campaigns_per_year;
        let lambda = freq.mean();
        let (day, base) = (&self.days[v], &self.days[0]);
        let own = &risk.ownership_per_year;
        let cost = acc(day
            .iter()
            .zip(base)
            .map(|(x, b)| d * (x.friction - b.friction) + own[v] - own[0]));
        let net = acc(day.iter().zip(base).map(|(x, b)| {
            lambda * (b.loss_magnitude - x.loss_magnitude) + d * (b.other - x.other)
                - d * (x.friction - b.friction)
                - (own[v] - own[0])
        }));
        let avoided_per_campaign =
            mean(base, |x| x.loss_magnitude) - mean(day, |x| x.loss_magnitude);
        let attack = round(lambda * avoided_per_campaign, 2);
        let fees = round(lambda * (mean(base, |x| x.fees) - mean(day, |x| x.fees)), 2);
        let other = round(d * (mean(base, |x| x.other) - mean(day, |x| x.other)), 2);
        let added = round(cost.stat().mean, 2);
        let net_stat = net.stat();
        // The part of a year's net that does not depend on its campaigns.
        let day_part = d
            * (mean(base, |x| x.other + x.friction) - mean(day, |x| x.other + x.friction))
            - (own[v] - own[0]);
        // Its priced lines, which a year's drawn prices scale.
        let day_lines: [f64; LINE_COUNT] = std::array::from_fn(|k| {
            d * (mean(base, |x| x.lines_ordinary[k]) - mean(day, |x| x.lines_ordinary[k]))
        });
        // A year's ownership: the mean's, or the year's drawn prices.
        let added_in = |y: usize| match &self.own_years {
            Some(o) => o[y][v] - o[y][0],
            None => own[v] - own[0],
        };
        let mut nets: Vec<f64> = base_years
            .iter()
            .zip(losses)
            .enumerate()
            .map(|(y, (b, x))| {
                b - x + day_part + self.repriced(y, &day_lines) + (own[v] - own[0]) - added_in(y)
            })
            .collect();
        let ahead = nets.iter().filter(|n| **n > 0.0).count();
        nets.sort_by(f64::total_cmp);
        AnnualDelta {
            attack_losses_avoided: attack,
            attack_production_avoided: round(attack - fees, 2),
            attack_fees_avoided: fees,
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
            net_benefit_mean: net_stat,
            net_benefit: Percentiles::of(&nets),
            p_net_positive: round(ahead as f64 / losses.len().max(1) as f64, 4),
            break_even_frequency: break_even(avoided_per_campaign, day_part),
            sensitivity: tornado(
                freq,
                d,
                own[v] - own[0],
                day,
                base,
                &super::tornado::Drawn {
                    prices: &super::prices::price_swings(risk, v),
                    lines: &risk.line_prices,
                    fees: risk.incident_fees.as_ref(),
                },
            ),
        }
    }
}

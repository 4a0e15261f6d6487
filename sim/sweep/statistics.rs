//! The statistics of a sweep (pure): running accumulators, paired differences with Student-t intervals, the ranking and the stopping rule.

use super::days::Day;
use super::*;

/// Running mean and variance (Welford), skipping values that are not finite (a metric
/// with no value on that run, such as time to detect when nothing was detected).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Acc {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Acc {
    pub(crate) fn push(&mut self, x: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Half the width of the 95 % confidence interval of the mean (infinite below 2 runs).
    fn half_width(&self) -> f64 {
        if self.n < 2 {
            return f64::INFINITY;
        }
        let n = self.n as f64;
        let t = StudentsT::new(0.0, 1.0, n - 1.0)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN);
        t * (self.m2 / (n - 1.0)).sqrt() / n.sqrt()
    }

    pub(crate) fn stat(&self) -> Stat {
        let n = self.n as f64;
        let sd = if self.n > 1 {
            (self.m2 / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let half = if self.n > 1 {
            let t = StudentsT::new(0.0, 1.0, n - 1.0)
                .map(|d| d.inverse_cdf(0.975))
                .unwrap_or(f64::NAN);
            t * sd / n.sqrt()
        } else {
            0.0
        };
        Stat {
            n: self.n,
            mean: round(self.mean, 4),
            sd: round(sd, 4),
            ci95: (round(self.mean - half, 4), round(self.mean + half, 4)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Runs with a value.
    pub n: u64,
    pub mean: f64,
    pub sd: f64,
    /// 95 % confidence interval of the mean (Student's t).
    pub ci95: (f64, f64),
}

impl Stat {
    /// "mean [low, high]", whole numbers: how the reports print a figure over seeds.
    pub fn interval(&self) -> String {
        format!("{:.0} [{:.0}, {:.0}]", self.mean, self.ci95.0, self.ci95.1)
    }

    /// "+mean [+low, +high]": a paired difference, signs shown.
    pub fn delta(&self) -> String {
        format!(
            "{:+.0} [{:+.0}, {:+.0}]",
            self.mean, self.ci95.0, self.ci95.1
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantSummary {
    pub name: String,
    pub description: String,
    /// Per metric, in `METRICS` order.
    pub metrics: Vec<(String, Stat)>,
    /// Paired differences against the baseline (this minus baseline), per metric.
    pub vs_baseline: Vec<(String, Stat)>,
    /// Share of seeds on which this variant cost less than the baseline.
    pub p_saves_money: f64,
    /// Good units per simulated hour, mean over seeds.
    pub throughput_per_h: Vec<f64>,
    /// Attack steps on the first seed's run.
    pub markers: Vec<Marker>,
}

/// A variant's expected net saving against the baseline: attack losses avoided minus the
/// friction the controls add (and any other change in cost), per run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rank {
    pub name: String,
    /// The net saving's parts, per run: attack downtime and response avoided, minus the
    /// control friction added, plus every other change of cost (normal operation's
    /// failures and scrap on the same seeds). They add up to the net saving's mean.
    pub attack_losses_avoided: f64,
    pub control_friction_added: f64,
    pub other_costs_avoided: f64,
    pub net_saving: Stat,
    pub p_saves_money: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepSummary {
    pub scenario: String,
    pub runs: u64,
    /// The stopping rule, when the sweep had one (`--precision`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping: Option<Stopping>,
    pub first_seed: u64,
    pub duration_h: f64,
    /// Column names and labels of the metrics, in order.
    pub metric_labels: Vec<(String, String)>,
    pub variants: Vec<VariantSummary>,
    /// Variants by expected net saving against the baseline, best first (the baseline
    /// itself is not ranked).
    pub ranking: Vec<Rank>,
    /// The scenario's risk section as the sweep used it, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskInputs>,
    /// Risk and return per year, per variant (baseline first), when the scenario has a
    /// risk section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual: Option<Vec<Annual>>,
    /// The currency every cost is in (the scenario's).
    #[serde(default = "super::files::usd")]
    pub currency: String,
    /// The variants as portfolios ranked within a yearly budget (`--budget`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
}

/// A sweep that stops once its answer is precise enough: after each chunk of seeds, when
/// the 95 % confidence interval of every variant's net saving against the baseline (of
/// the baseline's cost, when it runs alone) is no wider than ± `precision`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stopping {
    /// The half-width asked for, in the scenario's currency.
    pub precision: f64,
    /// The seeds asked for at most (`--runs`).
    pub max_runs: u64,
    /// Whether the precision was reached (else every seed asked for was run).
    pub reached: bool,
    /// The widest half-width at the end (none with fewer than 2 seeds).
    pub widest: Option<f64>,
}

impl Stopping {
    /// One line for the reports.
    pub fn describe(&self, runs: u64, currency: &str) -> String {
        let widest = self
            .widest
            .map(|w| format!("±{w:.0} {currency}"))
            .unwrap_or_else(|| "not known yet (fewer than 2 seeds)".into());
        if self.reached && runs == self.max_runs {
            format!(
                "every variant's net saving is known to {widest} after all {runs} seeds (asked for ±{:.0} {currency}, 95 %)",
                self.precision
            )
        } else if self.reached {
            format!(
                "stopped at {runs} of at most {} seeds: every variant's net saving is known to {widest} (asked for ±{:.0} {currency}, 95 %)",
                self.max_runs, self.precision
            )
        } else {
            format!(
                "ran all {runs} seeds without reaching ±{:.0} {currency}: the widest 95 % interval of a net saving is {widest}",
                self.precision
            )
        }
    }
}

/// Add good units per hour into running sums (integers: exact in any order).
pub(crate) fn add_hours(sums: &mut Vec<u64>, hours: &[u64]) {
    if sums.len() < hours.len() {
        sums.resize(hours.len(), 0);
    }
    for (a, b) in sums.iter_mut().zip(hours) {
        *a += b;
    }
}

/// Folds runs, one seed (all variants) at a time and in seed order, into the statistics.
pub struct Aggregator {
    names: Vec<(String, String)>,
    per: Vec<Vec<Acc>>,
    diff: Vec<Vec<Acc>>,
    cheaper: Vec<u64>,
    hourly: Vec<Vec<u64>>,
    markers: Vec<Vec<Marker>>,
    seeds: u64,
    risk: Option<RiskInputs>,
    /// Per variant, one day per seed (only when the sweep annualizes: 192 bytes a run).
    days: Vec<Vec<Day>>,
}

impl Aggregator {
    /// For variants given as (name, description), baseline first; `risk` when the sweep
    /// annualizes.
    pub fn new(names: Vec<(String, String)>, risk: Option<RiskInputs>) -> Self {
        let nv = names.len();
        Aggregator {
            names,
            per: vec![vec![Acc::default(); METRICS.len()]; nv],
            diff: vec![vec![Acc::default(); METRICS.len()]; nv],
            cheaper: vec![0; nv],
            hourly: vec![Vec::new(); nv],
            markers: vec![Vec::new(); nv],
            seeds: 0,
            risk,
            days: vec![Vec::new(); nv],
        }
    }

    /// The figures of one seed, variants in order.
    pub fn push_seed(&mut self, figures: &[&[f64]]) {
        let cost = metric("cost_total");
        let base = figures[0];
        for (v, f) in figures.iter().enumerate() {
            for (k, x) in f.iter().enumerate() {
                self.per[v][k].push(*x);
                self.diff[v][k].push(x - base[k]);
            }
            if f[cost] < base[cost] {
                self.cheaper[v] += 1;
            }
            if self.risk.is_some() {
                self.days[v].push(Day::of(f));
            }
        }
        self.seeds += 1;
    }

    /// The widest 95 % half-width of the figure a stopping rule watches: every variant's
    /// paired difference in total cost, or the baseline's cost when it runs alone.
    pub fn widest_half_width(&self) -> f64 {
        let cost = metric("cost_total");
        if self.names.len() == 1 {
            return self.per[0][cost].half_width();
        }
        self.diff[1..]
            .iter()
            .map(|d| d[cost].half_width())
            .fold(0.0, f64::max)
    }

    /// Add good units per hour (sums of integers: exact in any order).
    pub fn add_hourly(&mut self, v: usize, hours: &[u64]) {
        add_hours(&mut self.hourly[v], hours);
    }

    pub fn set_markers(&mut self, v: usize, m: Vec<Marker>) {
        self.markers[v] = m;
    }

    /// Fold a chunk of records (whole seeds, in order).
    pub fn push_records(&mut self, records: &[RunRecord]) {
        let nv = self.names.len();
        for seed in records.chunks(nv) {
            let figs: Vec<&[f64]> = seed.iter().map(|r| r.figures.as_slice()).collect();
            self.push_seed(&figs);
            for r in seed {
                self.add_hourly(r.variant, &r.hourly_good);
                if let Some(m) = &r.markers {
                    self.set_markers(r.variant, m.clone());
                }
            }
        }
    }

    pub fn finish(self, scenario: &str, first_seed: u64, duration_h: f64) -> SweepSummary {
        let n = self.seeds.max(1) as f64;
        let (cost, attacks, controls) = (
            metric("cost_total"),
            metric("cost_attacks"),
            metric("cost_controls"),
        );
        let variants: Vec<VariantSummary> = (0..self.names.len())
            .map(|v| VariantSummary {
                name: self.names[v].0.clone(),
                description: self.names[v].1.clone(),
                metrics: METRICS
                    .iter()
                    .zip(&self.per[v])
                    .map(|(d, a)| (d.name.to_string(), a.stat()))
                    .collect(),
                vs_baseline: METRICS
                    .iter()
                    .zip(&self.diff[v])
                    .map(|(d, a)| (d.name.to_string(), a.stat()))
                    .collect(),
                p_saves_money: round(self.cheaper[v] as f64 / n, 4),
                throughput_per_h: self.hourly[v]
                    .iter()
                    .map(|g| round(*g as f64 / n, 2))
                    .collect(),
                markers: self.markers[v].clone(),
            })
            .collect();
        // The baseline is what the others are ranked against: it is not in the ranking.
        let mut ranking: Vec<Rank> = variants
            .iter()
            .enumerate()
            .skip(1)
            .map(|(v, s)| {
                let d = &self.diff[v];
                let saving = Acc {
                    n: d[cost].n,
                    mean: -d[cost].mean,
                    m2: d[cost].m2,
                };
                let (avoided, friction) = (round(-d[attacks].mean, 2), round(d[controls].mean, 2));
                let net = saving.stat();
                Rank {
                    name: s.name.clone(),
                    attack_losses_avoided: avoided,
                    control_friction_added: friction,
                    // The rest of the net, so the parts add up to it exactly.
                    other_costs_avoided: round(net.mean - avoided + friction, 2),
                    net_saving: net,
                    p_saves_money: s.p_saves_money,
                }
            })
            .collect();
        ranking.sort_by(|a, b| {
            b.net_saving
                .mean
                .total_cmp(&a.net_saving.mean)
                .then_with(|| a.name.cmp(&b.name))
        });
        SweepSummary {
            scenario: scenario.to_string(),
            runs: self.seeds,
            stopping: None,
            first_seed,
            duration_h,
            metric_labels: METRICS
                .iter()
                .map(|d| (d.name.to_string(), d.label.to_string()))
                .collect(),
            annual: self
                .risk
                .as_ref()
                .map(|r| annual(r, &self.names, &self.days, first_seed)),
            risk: self.risk,
            currency: super::files::usd(),
            budget: None,
            variants,
            ranking,
        }
    }
}

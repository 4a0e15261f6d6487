//! Monte Carlo sweeps: N seeds × each variant of a scenario, run in parallel (rayon, one
//! World per run), summarized with paired statistics. Seed i is shared by every variant
//! (common random numbers), so differences against the baseline are paired. Results do
//! not depend on the thread count: runs are collected in (seed, variant) order.
//!
//! This is the first part of the sweep issue: the HTML report, sharding and merging are
//! still to come.

use crate::report::{Summary, round};
use crate::scenario::{Scenario, VendorAccess};
use crate::world::World;
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A scenario with a set of controls on or off.
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    pub scenario: Scenario,
}

/// Controls `--toggle` knows, and how each is switched off.
pub const TOGGLES: &[&str] = &[
    "segmentation",
    "dpi",
    "ids",
    "gateway",
    "health",
    "devices",
    "response",
];

fn switch_off(s: &mut Scenario, control: &str) {
    match control {
        "segmentation" => s.segmentation = None,
        "dpi" => s.dpi = None,
        "ids" => s.ids = None,
        "gateway" => {
            if let Some(v) = &mut s.vendor {
                v.access = VendorAccess::AlwaysOnVpn;
            }
        }
        "health" => s.health.clear(),
        "devices" => s.device_monitoring = None,
        "response" => s.response = None,
        _ => {}
    }
}

fn present(s: &Scenario, control: &str) -> bool {
    match control {
        "segmentation" => s.segmentation.is_some(),
        "dpi" => s.dpi.is_some(),
        "ids" => s.ids.is_some(),
        "gateway" => s
            .vendor
            .as_ref()
            .is_some_and(|v| matches!(v.access, VendorAccess::Gateway { .. })),
        "health" => !s.health.is_empty(),
        "devices" => s.device_monitoring.is_some(),
        "response" => s.response.is_some(),
        _ => false,
    }
}

/// Every combination of the toggled controls on and off; the first (all off) is the
/// baseline the others are compared with. Each control must be deployed in the scenario.
pub fn toggle_variants(base: &Scenario, toggles: &[String]) -> Result<Vec<Variant>, String> {
    for t in toggles {
        if !TOGGLES.contains(&t.as_str()) {
            return Err(format!(
                "--toggle {t}: unknown control; known: {}",
                TOGGLES.join(", ")
            ));
        }
        if !present(base, t) {
            return Err(format!(
                "--toggle {t}: the scenario does not deploy it (nothing to switch)"
            ));
        }
    }
    let n = toggles.len();
    Ok((0..1usize << n)
        .map(|mask| {
            let mut s = base.clone();
            let mut on = Vec::new();
            for (k, t) in toggles.iter().enumerate() {
                if mask & (1 << k) == 0 {
                    switch_off(&mut s, t);
                } else {
                    on.push(t.as_str());
                }
            }
            let name = if on.is_empty() {
                "none".to_string()
            } else {
                on.join("+")
            };
            Variant { name, scenario: s }
        })
        .collect())
}

/// The figures kept per run.
pub const METRICS: &[&str] = &[
    "good_units",
    "scrap_units",
    "downtime_h",
    "attack_downtime_h",
    "control_downtime_h",
    "oee",
    "safety_trips",
    "steps_succeeded",
    "steps_blocked",
    "steps_detected",
    "cost_total",
];

fn figures(s: &Summary) -> Vec<f64> {
    vec![
        s.line.good_units as f64,
        s.line.scrap_units as f64,
        s.line.downtime_h,
        s.scorecard.ot.downtime_from_attacks_h,
        s.scorecard.ot.downtime_from_controls_h,
        s.line.oee.oee,
        s.line.safety_trips as f64,
        s.security.steps_succeeded as f64,
        s.security.steps_blocked as f64,
        s.security.steps_detected as f64,
        s.cost.total,
    ]
}

#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub variant: String,
    pub seed: u64,
    pub figures: Vec<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Stat {
    pub mean: f64,
    pub sd: f64,
    /// 95 % confidence interval of the mean (Student's t).
    pub ci95: (f64, f64),
}

#[derive(Clone, Debug, Serialize)]
pub struct VariantSummary {
    pub name: String,
    /// Per metric, in `METRICS` order.
    pub metrics: Vec<(String, Stat)>,
    /// Paired differences against the baseline (this minus baseline), per metric.
    pub vs_baseline: Vec<(String, Stat)>,
    /// Share of seeds on which this variant cost less than the baseline.
    pub p_saves_money: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SweepSummary {
    pub scenario: String,
    pub runs: usize,
    pub first_seed: u64,
    pub variants: Vec<VariantSummary>,
    /// Variants by expected total cost, cheapest first.
    pub ranking: Vec<(String, f64)>,
}

fn stat(xs: &[f64]) -> Stat {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n.max(1.0);
    let sd = if xs.len() > 1 {
        (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let half = if xs.len() > 1 {
        let t = StudentsT::new(0.0, 1.0, n - 1.0)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN);
        t * sd / n.sqrt()
    } else {
        0.0
    };
    Stat {
        mean: round(mean, 4),
        sd: round(sd, 4),
        ci95: (round(mean - half, 4), round(mean + half, 4)),
    }
}

/// Run `runs` seeds (from `first_seed`) × every variant on `threads` threads.
pub fn run(
    variants: &[Variant],
    runs: usize,
    first_seed: u64,
    threads: usize,
) -> Result<Vec<RunRow>, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let jobs: Vec<(u64, usize)> = (0..runs as u64)
        .flat_map(|i| (0..variants.len()).map(move |v| (first_seed + i, v)))
        .collect();
    Ok(pool.install(|| {
        jobs.par_iter()
            .map(|&(seed, v)| {
                let mut w = World::new(&variants[v].scenario, seed);
                w.run();
                RunRow {
                    variant: variants[v].name.clone(),
                    seed,
                    figures: figures(&Summary::from_world(&w)),
                }
            })
            .collect()
    }))
}

/// Statistics over the runs of a sweep (rows in (seed, variant) order).
pub fn summarize(
    scenario: &str,
    variants: &[Variant],
    rows: &[RunRow],
    first_seed: u64,
) -> SweepSummary {
    let nv = variants.len();
    let runs = rows.len() / nv.max(1);
    let column = |v: usize, m: usize| -> Vec<f64> {
        (0..runs).map(|i| rows[i * nv + v].figures[m]).collect()
    };
    let cost = METRICS.len() - 1;
    let summaries: Vec<VariantSummary> = (0..nv)
        .map(|v| {
            let metrics = METRICS
                .iter()
                .enumerate()
                .map(|(m, name)| (name.to_string(), stat(&column(v, m))))
                .collect();
            let vs_baseline = METRICS
                .iter()
                .enumerate()
                .map(|(m, name)| {
                    let (a, b) = (column(v, m), column(0, m));
                    let d: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
                    (name.to_string(), stat(&d))
                })
                .collect();
            let (a, b) = (column(v, cost), column(0, cost));
            let cheaper = a.iter().zip(&b).filter(|(x, y)| x < y).count();
            VariantSummary {
                name: variants[v].name.clone(),
                metrics,
                vs_baseline,
                p_saves_money: round(cheaper as f64 / runs.max(1) as f64, 4),
            }
        })
        .collect();
    let mut ranking: Vec<(String, f64)> = summaries
        .iter()
        .map(|s| (s.name.clone(), s.metrics[cost].1.mean))
        .collect();
    ranking.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    SweepSummary {
        scenario: scenario.to_string(),
        runs,
        first_seed,
        variants: summaries,
        ranking,
    }
}

/// One row per run and variant.
pub fn runs_csv(rows: &[RunRow]) -> String {
    let mut out = format!("variant,seed,{}\n", METRICS.join(","));
    for r in rows {
        let figs: Vec<String> = r.figures.iter().map(|f| format!("{f}")).collect();
        out.push_str(&format!("{},{},{}\n", r.variant, r.seed, figs.join(",")));
    }
    out
}

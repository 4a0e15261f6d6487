//! Monte Carlo sweeps: N seeds × each variant of a scenario, run in parallel (rayon, one
//! World per run), summarized with paired statistics.
//!
//! - Common random numbers: seed i is shared by every variant, so differences against the
//!   baseline (the first variant) are paired.
//! - Streaming: runs are executed in chunks of seeds and folded, in (seed, variant) order,
//!   into running accumulators (Welford), so memory does not grow with N and results do not
//!   depend on the thread count.
//! - Sharding: shard k of n takes a contiguous block of seeds (all variants of a seed stay
//!   together) and writes a partial result; [`merge`] folds the partials' rows in the same
//!   order, so the merged `summary.json` is byte-identical to the unsharded one.

use crate::metrics::Condition;
use crate::report::{Summary, round};
use crate::scenario::{Problem, Scenario, ScenarioError, VendorAccess};
use crate::world::World;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::io::{BufRead, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A scenario with a set of controls on or off (or parameters changed).
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    /// What makes it this variant, for the report.
    pub description: String,
    pub scenario: Scenario,
}

/// Controls `--toggle` and a variants file's `off` know, and how each is switched off.
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

/// Why a control cannot be switched off in `s` (unknown, or not deployed).
fn check_control(s: &Scenario, control: &str) -> Option<String> {
    if !TOGGLES.contains(&control) {
        return Some(format!(
            "unknown control \"{control}\"; known: {}",
            TOGGLES.join(", ")
        ));
    }
    (!present(s, control))
        .then(|| format!("the scenario does not deploy \"{control}\" (nothing to switch off)"))
}

/// Every combination of the toggled controls on and off; the first (all off) is the
/// baseline the others are compared with. Each control must be deployed in the scenario.
pub fn toggle_variants(base: &Scenario, toggles: &[String]) -> Result<Vec<Variant>, String> {
    for t in toggles {
        if let Some(m) = check_control(base, t) {
            return Err(format!("--toggle {t}: {m}"));
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
            let description = if on.is_empty() {
                format!("{} without {}", base.name, toggles.join(", "))
            } else {
                format!("{} with {} on", base.name, on.join(", "))
            };
            Variant {
                name,
                description,
                scenario: s,
            }
        })
        .collect())
}

/// A variants file (RON): the first entry is the baseline.
///
/// ```ron
/// Variants(variants: [
///     (name: "no controls", off: ["dpi", "segmentation"]),
///     (name: "DPI only", off: ["segmentation"]),
///     (name: "DPI in monitor mode", scenario: "dpi-monitor.ron", off: ["segmentation"]),
/// ])
/// ```
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Variants")]
struct VariantsFile {
    variants: Vec<VariantEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariantEntry {
    name: String,
    /// Another scenario or overlay file (relative to the variants file) instead of the
    /// sweep's scenario: how parameters are changed.
    #[serde(default)]
    scenario: String,
    /// Controls switched off (names as for `--toggle`).
    #[serde(default)]
    off: Vec<String>,
}

/// Load a variants file against the sweep's scenario. Every run of every variant uses the
/// sweep's seeds and duration (common random numbers need them equal).
pub fn load_variants(path: &Path, base: &Scenario) -> Result<Vec<Variant>, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io {
        path: shown.clone(),
        error,
    })?;
    let file: VariantsFile = crate::scenario::from_ron(&text, &shown)?;
    let mut problems = Vec::new();
    let mut fail = |field: String, message: String| problems.push(Problem { field, message });
    if file.variants.is_empty() {
        fail(
            "variants".into(),
            "needs at least one variant (the baseline)".into(),
        );
    }
    let mut out = Vec::new();
    for (i, e) in file.variants.iter().enumerate() {
        if e.name.trim().is_empty() {
            fail(format!("variants[{i}].name"), "must not be empty".into());
        }
        if e.name.contains([',', '"', '\n']) {
            fail(
                format!("variants[{i}].name"),
                "must not contain commas, quotes or line breaks (it is a runs.csv field)".into(),
            );
        }
        if let Some(j) = file.variants[..i].iter().position(|o| o.name == e.name) {
            fail(
                format!("variants[{i}].name"),
                format!("\"{}\" is already the name of variants[{j}]", e.name),
            );
        }
        let mut s = if e.scenario.is_empty() {
            base.clone()
        } else {
            let p = path.parent().unwrap_or(Path::new(".")).join(&e.scenario);
            crate::scenario::load(&p)?
        };
        s.seed = base.seed;
        s.duration_h = base.duration_h;
        for (k, c) in e.off.iter().enumerate() {
            match check_control(&s, c) {
                Some(m) => fail(format!("variants[{i}].off[{k}]"), m),
                None => switch_off(&mut s, c),
            }
        }
        let mut description = if e.scenario.is_empty() {
            base.name.clone()
        } else {
            s.name.clone()
        };
        if !e.off.is_empty() {
            description += &format!(" without {}", e.off.join(", "));
        }
        out.push(Variant {
            name: e.name.clone(),
            description,
            scenario: s,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioError::Invalid {
            path: shown,
            problems,
        })
    }
}

/// A figure kept per run: its column name in runs.csv and summary.json, and a label.
pub struct MetricDef {
    pub name: &'static str,
    pub label: &'static str,
}

const fn m(name: &'static str, label: &'static str) -> MetricDef {
    MetricDef { name, label }
}

/// The figures kept per run, in runs.csv column order. The `down_*` columns split line
/// downtime by root cause.
pub const METRICS: &[MetricDef] = &[
    m("good_units", "good units"),
    m("scrap_units", "scrap units"),
    m("production_pct", "production vs target (%)"),
    m("downtime_h", "unplanned downtime (h)"),
    m("attack_downtime_h", "downtime from attacks (h)"),
    m("control_downtime_h", "downtime from controls (h)"),
    m("oee", "OEE"),
    m("safety_trips", "safety trips"),
    m("attack_steps", "attack steps"),
    m("steps_succeeded", "steps succeeded"),
    m("steps_blocked", "steps blocked"),
    m("steps_detected", "steps detected"),
    m("time_to_detect_s", "mean time to detect (s)"),
    m("legit_flows_blocked", "legitimate flows blocked"),
    m("false_positives", "false positives"),
    m("cost_attacks", "attack losses ($)"),
    m("cost_controls", "control friction ($)"),
    m("cost_total", "total cost ($)"),
    m("down_starved_h", "starved"),
    m("down_blocked_h", "blocked"),
    m("down_failure_h", "failure"),
    m("down_safety_trip_h", "safety trip"),
    m("down_stopped_h", "stopped"),
    m("down_plc_stop_h", "PLC in STOP"),
    m("down_plc_fault_h", "PLC fault"),
    m("down_attack_h", "attack"),
    m("down_control_h", "blocked by control"),
    m("down_maintenance_h", "planned maintenance"),
];

/// Index of a metric by name.
pub fn metric(name: &str) -> usize {
    METRICS
        .iter()
        .position(|d| d.name == name)
        .unwrap_or_else(|| unreachable!("unknown metric {name}"))
}

/// The downtime causes, in `down_*` column order (`Condition::ALL` order).
fn causes() -> impl Iterator<Item = Condition> {
    Condition::ALL.into_iter().filter(|c| c.is_loss())
}

/// The first `down_*` column.
pub fn first_cause() -> usize {
    metric("down_starved_h")
}

fn figures(w: &World, s: &Summary) -> Vec<f64> {
    let c = &s.cost;
    let mut f = vec![
        s.line.good_units as f64,
        s.line.scrap_units as f64,
        s.scorecard.ot.production_vs_target_pct,
        s.line.downtime_h,
        s.scorecard.ot.downtime_from_attacks_h,
        s.scorecard.ot.downtime_from_controls_h,
        s.line.oee.oee,
        s.line.safety_trips as f64,
        s.security.steps_attempted as f64,
        s.security.steps_succeeded as f64,
        s.security.steps_blocked as f64,
        s.security.steps_detected as f64,
        s.security.mean_time_to_detect_s.unwrap_or(f64::NAN),
        s.scorecard.it.legitimate_flows_blocked as f64,
        s.scorecard.it.false_positives as f64,
        round(c.downtime_attacks + c.incident_response, 2),
        round(
            c.downtime_controls + c.false_positives + c.control_friction,
            2,
        ),
        c.total,
    ];
    for cause in causes() {
        let t: u64 = w
            .ledger
            .metrics
            .line_loss
            .iter()
            .map(|r| r[cause as usize])
            .sum();
        f.push(round(crate::time::to_hours(t), 4));
    }
    debug_assert_eq!(f.len(), METRICS.len());
    f
}

/// An attack step on the first seed's run of a variant: a marker on the throughput chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Marker {
    pub t_h: f64,
    pub technique: String,
    pub name: String,
    pub outcome: String,
    pub detected: bool,
}

/// What one run leaves behind.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub seed: u64,
    pub variant: usize,
    pub figures: Vec<f64>,
    pub hourly_good: Vec<u64>,
    /// Only on the sweep's first seed.
    pub markers: Option<Vec<Marker>>,
}

fn markers(w: &World) -> Vec<Marker> {
    w.campaign
        .attacks
        .iter()
        .filter(|r| r.started)
        .map(|r| {
            let (id, name) = r.spec.step.technique();
            Marker {
                t_h: round(crate::time::to_hours(r.at), 4),
                technique: id.into(),
                name: name.into(),
                outcome: match r.outcome {
                    Some(crate::attack::Outcome::Succeeded) => "succeeded",
                    Some(crate::attack::Outcome::Blocked) => "blocked",
                    Some(crate::attack::Outcome::Failed) => "failed",
                    None => "in progress",
                }
                .into(),
                detected: r.detected_at.is_some(),
            }
        })
        .collect()
}

/// One run: a World for (variant, seed), to the end.
pub fn run_one(variant: &Variant, v: usize, seed: u64, first_seed: u64) -> RunRecord {
    let mut w = World::new(&variant.scenario, seed);
    w.run();
    let summary = Summary::from_world(&w);
    RunRecord {
        seed,
        variant: v,
        figures: figures(&w, &summary),
        hourly_good: w.ledger.metrics.hourly_good.clone(),
        markers: (seed == first_seed).then(|| markers(&w)),
    }
}

/// Seeds per chunk: big enough to keep every thread busy, small enough that memory stays
/// flat however many runs there are.
const CHUNK_SEEDS: u64 = 64;

/// Run `seeds` × every variant on `threads` threads; `sink` receives the records of each
/// chunk in (seed, variant) order, whatever the thread count, and answers whether to go
/// on (a stopping rule looks only at whole chunks, so it stops at the same seed on any
/// thread count). `tick` is called after each run (from worker threads) for progress.
pub fn execute(
    variants: &[Variant],
    seeds: Range<u64>,
    first_seed: u64,
    threads: usize,
    tick: &(dyn Fn() + Sync),
    mut sink: impl FnMut(Vec<RunRecord>) -> Result<bool, String>,
) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let nv = variants.len();
    let mut start = seeds.start;
    while start < seeds.end {
        let end = (start + CHUNK_SEEDS).min(seeds.end);
        let jobs: Vec<(u64, usize)> = (start..end)
            .flat_map(|s| (0..nv).map(move |v| (s, v)))
            .collect();
        let records: Vec<RunRecord> = pool.install(|| {
            jobs.par_iter()
                .map(|&(seed, v)| {
                    let r = run_one(&variants[v], v, seed, first_seed);
                    tick();
                    r
                })
                .collect()
        });
        if !sink(records)? {
            break;
        }
        start = end;
    }
    Ok(())
}

/// Running mean and variance (Welford), skipping values that are not finite (a metric
/// with no value on that run, such as time to detect when nothing was detected).
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Acc {
    fn push(&mut self, x: f64) {
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

    fn stat(&self) -> Stat {
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
    pub attack_losses_avoided: f64,
    pub control_friction_added: f64,
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
    /// Variants by expected net saving against the baseline, best first.
    pub ranking: Vec<Rank>,
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
    pub fn describe(&self, runs: u64) -> String {
        let widest = self
            .widest
            .map(|w| format!("±${w:.0}"))
            .unwrap_or_else(|| "not known yet (fewer than 2 seeds)".into());
        if self.reached && runs == self.max_runs {
            format!(
                "every variant's net saving is known to {widest} after all {runs} seeds (asked for ±${:.0}, 95 %)",
                self.precision
            )
        } else if self.reached {
            format!(
                "stopped at {runs} of at most {} seeds: every variant's net saving is known to {widest} (asked for ±${:.0}, 95 %)",
                self.max_runs, self.precision
            )
        } else {
            format!(
                "ran all {runs} seeds without reaching ±${:.0}: the widest 95 % interval of a net saving is {widest}",
                self.precision
            )
        }
    }
}

/// Add good units per hour into running sums (integers: exact in any order).
fn add_hours(sums: &mut Vec<u64>, hours: &[u64]) {
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
}

impl Aggregator {
    /// For variants given as (name, description), baseline first.
    pub fn new(names: Vec<(String, String)>) -> Self {
        let nv = names.len();
        Aggregator {
            names,
            per: vec![vec![Acc::default(); METRICS.len()]; nv],
            diff: vec![vec![Acc::default(); METRICS.len()]; nv],
            cheaper: vec![0; nv],
            hourly: vec![Vec::new(); nv],
            markers: vec![Vec::new(); nv],
            seeds: 0,
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
        let mut ranking: Vec<Rank> = variants
            .iter()
            .enumerate()
            .map(|(v, s)| {
                let d = &self.diff[v];
                let saving = Acc {
                    n: d[cost].n,
                    mean: -d[cost].mean,
                    m2: d[cost].m2,
                };
                Rank {
                    name: s.name.clone(),
                    attack_losses_avoided: round(-d[attacks].mean, 2),
                    control_friction_added: round(d[controls].mean, 2),
                    net_saving: saving.stat(),
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
            variants,
            ranking,
        }
    }
}

/// The header of runs.csv.
pub fn csv_header() -> String {
    let names: Vec<&str> = METRICS.iter().map(|d| d.name).collect();
    format!("variant,seed,{}\n", names.join(","))
}

/// One runs.csv row. Figures are written in Rust's shortest round-trip form (so a merge
/// reads back the very same numbers); a metric without a value is left empty.
pub fn csv_row(variant: &str, r: &RunRecord) -> String {
    let mut out = format!("{variant},{}", r.seed);
    for f in &r.figures {
        out.push(',');
        if f.is_finite() {
            out.push_str(&format!("{f}"));
        }
    }
    out.push('\n');
    out
}

fn parse_row(line: &str, names: &[String]) -> Result<(usize, u64, Vec<f64>), String> {
    let mut it = line.split(',');
    let name = it.next().unwrap_or("");
    let v = names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| format!("unknown variant \"{name}\""))?;
    let seed = it
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("bad seed column")?;
    let figures = it
        .map(|x| {
            if x.is_empty() {
                Ok(f64::NAN)
            } else {
                x.parse::<f64>().map_err(|_| format!("bad number \"{x}\""))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if figures.len() != METRICS.len() {
        return Err(format!(
            "{} figures, expected {}",
            figures.len(),
            METRICS.len()
        ));
    }
    Ok((v, seed, figures))
}

/// Which slice of a sweep this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `K/N` with K in 0..N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s}: expected K/N, e.g. 0/4"))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s}: K must be a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("--shard {s}: N must be a number"))?;
        Shard::new(index, count).map_err(|e| format!("--shard {s}: {e}"))
    }

    pub fn new(index: u64, count: u64) -> Result<Shard, String> {
        if count == 0 {
            return Err("the shard count must be at least 1".into());
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is out of range: shards are numbered 0..{}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// The shard from a cluster scheduler's environment: a Slurm job array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN) or a Kubernetes
    /// Indexed Job (JOB_COMPLETION_INDEX, with the shard count from `shards`, e.g.
    /// `--shards` or FAULTLINE_SHARDS). `None` when neither is set.
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        shards: Option<u64>,
    ) -> Result<Option<(Shard, &'static str)>, String> {
        let num = |k: &str| -> Result<Option<u64>, String> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("{k}={v} is not a number"))
                })
                .transpose()
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = match num("SLURM_ARRAY_TASK_COUNT")? {
                Some(c) => c,
                None => shards.ok_or(
                    "SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: pass --shards N",
                )?,
            };
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or(format!(
                "SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"
            ))?;
            return Shard::new(index, count).map(|s| Some((s, "Slurm job array")));
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = match shards {
                Some(c) => c,
                None => num("FAULTLINE_SHARDS")?.ok_or(
                    "JOB_COMPLETION_INDEX is set: give the shard count with --shards N or FAULTLINE_SHARDS (the Job's completions)",
                )?,
            };
            return Shard::new(index, count).map(|s| Some((s, "Kubernetes Indexed Job")));
        }
        Ok(None)
    }

    /// The block of seeds (offsets from the first seed) this shard runs.
    pub fn seeds(&self, runs: u64) -> Range<u64> {
        (self.index * runs / self.count)..((self.index + 1) * runs / self.count)
    }
}

/// A stable fingerprint of the variants' scenarios (SHA-256 of their JSON): partials from
/// different inputs must not be merged.
pub fn fingerprint(variants: &[Variant]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for v in variants {
        h.update(v.name.as_bytes());
        h.update([0]);
        h.update(
            serde_json::to_string(&v.scenario)
                .unwrap_or_default()
                .as_bytes(),
        );
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a shard leaves beside its runs.csv.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    pub format: String,
    pub scenario: String,
    pub fingerprint: String,
    pub variants: Vec<(String, String)>,
    pub runs: u64,
    pub first_seed: u64,
    pub duration_h: f64,
    pub shard: Shard,
    /// Seeds run (absolute), end exclusive.
    pub seeds: (u64, u64),
    /// Per variant: good units per hour summed over this shard's seeds.
    pub hourly_sums: Vec<Vec<u64>>,
    /// Per variant: attack markers, from the shard holding the first seed.
    pub markers: Option<Vec<Vec<Marker>>>,
}

pub const PARTIAL_FORMAT: &str = "faultline-sweep-partial/1";

/// Writes runs.csv as records arrive, to a temporary name moved into place at the end.
pub struct CsvSink {
    tmp: PathBuf,
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl CsvSink {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let tmp = path.with_extension("csv.tmp");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        out.write_all(csv_header().as_bytes())?;
        Ok(CsvSink {
            tmp,
            path: path.to_path_buf(),
            out,
        })
    }

    pub fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.out.write_all(line.as_bytes())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.path)
    }
}

/// The directories holding partials: each argument is a partial, or a folder of them
/// (e.g. the `--out` every shard of a job array shared).
pub fn partial_dirs(args: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for a in args {
        if a.join("partial.json").is_file() {
            out.push(a.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(a)
            .map_err(|e| format!("{}: {e}", a.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("partial.json").is_file())
            .collect();
        if found.is_empty() {
            return Err(format!(
                "{}: no partial.json here or in its subfolders (is it the --out of `faultline sweep --shard`?)",
                a.display()
            ));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Merge partial results: check they are the shards of one sweep, all present once, then
/// fold their rows in shard order. Writes the merged runs.csv to `csv` and returns the
/// summary, identical to the unsharded sweep's.
pub fn merge(dirs: &[PathBuf], csv: &Path) -> Result<SweepSummary, String> {
    let mut parts: Vec<(Partial, PathBuf)> = Vec::new();
    for d in dirs {
        let p = d.join("partial.json");
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let part: Partial =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        if part.format != PARTIAL_FORMAT {
            return Err(format!(
                "{}: format \"{}\", expected \"{PARTIAL_FORMAT}\"",
                p.display(),
                part.format
            ));
        }
        parts.push((part, d.clone()));
    }
    let Some((first, first_dir)) = parts.first().cloned() else {
        return Err("nothing to merge".into());
    };
    for (p, d) in &parts {
        let same = p.fingerprint == first.fingerprint
            && p.runs == first.runs
            && p.first_seed == first.first_seed
            && p.shard.count == first.shard.count
            && p.variants == first.variants;
        if !same {
            return Err(format!(
                "{} and {} are not shards of the same sweep (scenario, variants, runs, first seed or shard count differ)",
                first_dir.display(),
                d.display()
            ));
        }
    }
    parts.sort_by_key(|(p, _)| p.shard.index);
    for w in parts.windows(2) {
        if w[0].0.shard.index == w[1].0.shard.index {
            return Err(format!(
                "shard {} appears twice: {} and {}",
                w[0].0.shard.index,
                w[0].1.display(),
                w[1].1.display()
            ));
        }
    }
    let have: Vec<u64> = parts.iter().map(|(p, _)| p.shard.index).collect();
    let missing: Vec<String> = (0..first.shard.count)
        .filter(|k| !have.contains(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing shard(s) {} of {}",
            missing.join(", "),
            first.shard.count
        ));
    }
    let names: Vec<String> = first.variants.iter().map(|v| v.0.clone()).collect();
    let nv = names.len();
    let mut agg = Aggregator::new(first.variants.clone());
    let mut sink = CsvSink::create(csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    for (p, d) in &parts {
        let path = d.join("runs.csv");
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let header = lines.next().transpose().map_err(|e| e.to_string())?;
        if header.as_deref() != Some(csv_header().trim_end()) {
            return Err(format!(
                "{}:1: unexpected header (written by another version of faultline?)",
                path.display()
            ));
        }
        let mut seed_rows: Vec<Vec<f64>> = Vec::with_capacity(nv);
        let mut expect_seed = p.seeds.0;
        for (i, line) in lines.enumerate() {
            let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
            let at = format!("{}:{}", path.display(), i + 2);
            let (v, seed, figs) = parse_row(&line, &names).map_err(|e| format!("{at}: {e}"))?;
            if v != seed_rows.len() || seed != expect_seed {
                return Err(format!(
                    "{at}: expected variant \"{}\" of seed {expect_seed}, found \"{}\" of seed {seed}",
                    names[seed_rows.len()],
                    names[v]
                ));
            }
            sink.line(&line).map_err(|e| e.to_string())?;
            sink.line("\n").map_err(|e| e.to_string())?;
            seed_rows.push(figs);
            if seed_rows.len() == nv {
                let refs: Vec<&[f64]> = seed_rows.iter().map(|r| r.as_slice()).collect();
                agg.push_seed(&refs);
                seed_rows.clear();
                expect_seed += 1;
            }
        }
        if expect_seed != p.seeds.1 || !seed_rows.is_empty() {
            return Err(format!(
                "{}: rows stop at seed {expect_seed}, but the shard ran seeds {}..{} (an unfinished shard?)",
                path.display(),
                p.seeds.0,
                p.seeds.1
            ));
        }
        for (v, h) in p.hourly_sums.iter().enumerate() {
            agg.add_hourly(v, h);
        }
        if let Some(ms) = &p.markers {
            for (v, m) in ms.iter().enumerate() {
                agg.set_markers(v, m.clone());
            }
        }
    }
    sink.finish()
        .map_err(|e| format!("{}: {e}", csv.display()))?;
    Ok(agg.finish(&first.scenario, first.first_seed, first.duration_h))
}

/// Names and descriptions of variants, for an [`Aggregator`] or a partial.
pub fn names(variants: &[Variant]) -> Vec<(String, String)> {
    variants
        .iter()
        .map(|v| (v.name.clone(), v.description.clone()))
        .collect()
}

/// Hourly sums and markers of a shard, for its partial.json.
pub struct ShardExtras {
    pub hourly_sums: Vec<Vec<u64>>,
    pub markers: Option<Vec<Vec<Marker>>>,
}

impl ShardExtras {
    pub fn new(nv: usize) -> Self {
        ShardExtras {
            hourly_sums: vec![Vec::new(); nv],
            markers: None,
        }
    }

    pub fn push(&mut self, r: &RunRecord, nv: usize) {
        add_hours(&mut self.hourly_sums[r.variant], &r.hourly_good);
        if let Some(m) = &r.markers {
            self.markers.get_or_insert_with(|| vec![Vec::new(); nv])[r.variant] = m.clone();
        }
    }
}

/// Run a whole sweep: every seed × every variant, folded as it goes; runs.csv is streamed
/// to `csv` when given. With `precision` (a stopping rule), stop after the first whole
/// chunk of seeds at which every variant's net saving is known to ± `precision` (95 %).
pub fn run_sweep(
    variants: &[Variant],
    runs: u64,
    first_seed: u64,
    threads: usize,
    tick: &(dyn Fn() + Sync),
    csv: Option<&Path>,
    precision: Option<f64>,
) -> Result<SweepSummary, String> {
    let mut agg = Aggregator::new(names(variants));
    let mut sink = match csv {
        Some(p) => Some(CsvSink::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => None,
    };
    execute(
        variants,
        first_seed..first_seed + runs,
        first_seed,
        threads,
        tick,
        |records| {
            if let Some(s) = &mut sink {
                for r in &records {
                    s.line(&csv_row(&variants[r.variant].name, r))
                        .map_err(|e| e.to_string())?;
                }
            }
            agg.push_records(&records);
            Ok(precision.is_none_or(|p| agg.widest_half_width() > p))
        },
    )?;
    if let Some(s) = sink {
        s.finish().map_err(|e| e.to_string())?;
    }
    let base = &variants[0].scenario;
    let stopping = precision.map(|p| {
        let widest = agg.widest_half_width();
        Stopping {
            precision: p,
            max_runs: runs,
            reached: widest <= p,
            widest: widest.is_finite().then(|| round(widest, 2)),
        }
    });
    Ok(SweepSummary {
        stopping,
        ..agg.finish(&base.name, first_seed, base.duration_h)
    })
}

/// The folder a shard writes into, under the sweep's `--out`.
pub fn shard_dir(out: &Path, shard: Shard) -> PathBuf {
    out.join(format!("shard-{:04}-of-{:04}", shard.index, shard.count))
}

/// Run one shard and write its partial result (runs.csv, then partial.json, which marks
/// the shard complete) into `dir`.
pub fn run_shard(
    variants: &[Variant],
    runs: u64,
    first_seed: u64,
    threads: usize,
    shard: Shard,
    tick: &(dyn Fn() + Sync),
    dir: &Path,
) -> Result<Partial, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let part = dir.join("partial.json");
    if part.exists() {
        // A rerun replaces the shard: drop the completion mark first.
        std::fs::remove_file(&part).map_err(|e| format!("{}: {e}", part.display()))?;
    }
    let nv = variants.len();
    let range = shard.seeds(runs);
    let seeds = first_seed + range.start..first_seed + range.end;
    let csv = dir.join("runs.csv");
    let mut sink = CsvSink::create(&csv).map_err(|e| format!("{}: {e}", csv.display()))?;
    let mut extras = ShardExtras::new(nv);
    execute(
        variants,
        seeds.clone(),
        first_seed,
        threads,
        tick,
        |records| {
            for r in &records {
                sink.line(&csv_row(&variants[r.variant].name, r))
                    .map_err(|e| e.to_string())?;
                extras.push(r, nv);
            }
            Ok(true)
        },
    )?;
    sink.finish().map_err(|e| e.to_string())?;
    let base = &variants[0].scenario;
    let partial = Partial {
        format: PARTIAL_FORMAT.into(),
        scenario: base.name.clone(),
        fingerprint: fingerprint(variants),
        variants: names(variants),
        runs,
        first_seed,
        duration_h: base.duration_h,
        shard,
        seeds: (seeds.start, seeds.end),
        hourly_sums: extras.hourly_sums,
        markers: extras.markers,
    };
    let json = serde_json::to_string_pretty(&partial).map_err(|e| e.to_string())? + "\n";
    crate::report::write_atomic(&part, &json).map_err(|e| format!("{}: {e}", part.display()))?;
    Ok(partial)
}

/// summary.json's text.
pub fn summary_json(s: &SweepSummary) -> String {
    serde_json::to_string_pretty(s).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_down_columns_follow_the_loss_conditions() {
        let labels: Vec<&str> = METRICS[first_cause()..].iter().map(|d| d.label).collect();
        let conditions: Vec<&str> = causes().map(|c| c.label()).collect();
        assert_eq!(labels, conditions);
    }
}

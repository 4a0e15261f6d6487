//! What a sweep measures of each run: the metrics, read from a finished World.

use super::*;

/// A figure kept per run: its column name in runs.csv and summary.json, and a label.
pub struct MetricDef {
    pub name: &'static str,
    pub label: &'static str,
}

pub(crate) const fn m(name: &'static str, label: &'static str) -> MetricDef {
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
    m("cost_attacks", "attack losses"),
    m("cost_controls", "control friction"),
    m("cost_operations", "operations' losses"),
    m("cost_total", "total cost"),
    m("cost_production", "of it production effect"),
    m(
        "cost_fees",
        "of it fees: incident response, false-positive review",
    ),
    m("ordinary_cost", "ordinary day's cost"),
    m("ordinary_controls", "ordinary day's control friction"),
    // Each priced line of the day's cost and of the ordinary day's (super::lines, in its
    // order): a sweep whose price of a line is a distribution re-prices it each simulated
    // year.
    m("cost_lost_output", "of the cost: lost output"),
    m("ordinary_lost_output", "ordinary day's lost output"),
    m("cost_scrap_materials", "of the cost: scrap materials"),
    m("ordinary_scrap_materials", "ordinary day's scrap materials"),
    m(
        "cost_false_positive_review",
        "of the cost: false-positive review",
    ),
    m(
        "ordinary_false_positive_review",
        "ordinary day's false-positive review",
    ),
    m("cost_lot_tests", "of the cost: held lots' tests"),
    m("ordinary_lot_tests", "ordinary day's held lots' tests"),
    m("cost_recall_handling", "of the cost: recalled units"),
    m("ordinary_recall_handling", "ordinary day's recalled units"),
    m("cost_recall_fixed", "of the cost: recalls' fixed costs"),
    m(
        "ordinary_recall_fixed",
        "ordinary day's recalls' fixed costs",
    ),
    m("cost_regulatory", "of the cost: regulatory"),
    m("ordinary_regulatory", "ordinary day's regulatory"),
    m("cost_rework", "of the cost: held units reworked"),
    m("ordinary_rework", "ordinary day's held units reworked"),
    // The steps charged each incident fee (succeeded with an effect, without, detected,
    // blocked): a sweep whose fees are distributions re-prices them each simulated year.
    m(
        "fee_steps_with_effect",
        "steps charged the fee with an effect",
    ),
    m(
        "fee_steps_without_effect",
        "steps charged the fee without an effect",
    ),
    m("fee_steps_detected", "steps charged the detected fee"),
    m("fee_steps_blocked", "steps charged the blocked fee"),
    m("down_breakdown_h", "breakdown"),
    m("down_planned_stop_h", "planned stop"),
    m("down_minor_stops_h", "starved/blocked and minor stops"),
    m("down_stopped_h", "stopped"),
    m("down_communication_h", "communication loss or PLC fault"),
    m("down_held_h", "held by decision"),
];

/// Index of a metric by name.
pub fn metric(name: &str) -> usize {
    METRICS
        .iter()
        .position(|d| d.name == name)
        .unwrap_or_else(|| unreachable!("unknown metric {name}"))
}

/// The loss tree's time categories, in `down_*` column order.
pub(crate) fn causes() -> impl Iterator<Item = LossCategory> {
    LossCategory::TIME.into_iter()
}

/// The first `down_*` column.
pub fn first_cause() -> usize {
    metric("down_breakdown_h")
}

/// What the year model needs of a seed's ordinary day (the day without the campaign):
/// its cost, the part owed to controls, and its priced lines (super::lines).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ordinary {
    pub cost: f64,
    pub controls: f64,
    pub lines: [f64; LINE_COUNT],
}

impl Ordinary {
    pub(crate) fn of(c: &crate::report::CostSummary) -> Ordinary {
        Ordinary {
            cost: c.total,
            controls: c.controls,
            lines: super::lines::Line::costs(c),
        }
    }
}

/// The figures of a run; `ordinary` is the same seed's day without the attack campaign,
/// when the sweep annualizes.
pub(crate) fn figures(w: &World, s: &Summary, ordinary: Option<Ordinary>) -> Vec<f64> {
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
        // The ledger's total by who is owed it: attacks + controls + operations = total.
        c.attacks,
        c.controls,
        c.operations,
        c.total,
        // The same total in two: production (lost output, scrap, secondary loss) + fees.
        c.production_effect(),
        c.fees(),
        ordinary.map_or(f64::NAN, |o| o.cost),
        ordinary.map_or(f64::NAN, |o| o.controls),
    ];
    for (k, line) in super::lines::Line::costs(c).into_iter().enumerate() {
        f.push(line);
        f.push(ordinary.map_or(f64::NAN, |o| o.lines[k]));
    }
    f.extend(fee_steps(s));
    for cat in causes() {
        let h = w.ledger.metrics.loss.hours_where(|c, _| c == cat);
        f.push(round(h, 4));
    }
    debug_assert_eq!(f.len(), METRICS.len());
    f
}

/// The steps charged each incident fee, in the order of `IncidentFees::all`.
fn fee_steps(s: &Summary) -> [f64; 4] {
    use crate::report::StepOutcome as O;
    let mut n = [0.0; 4];
    for st in &s.security.steps {
        let k = match st.fee_for {
            Some(O::SucceededWithEffect) => 0,
            Some(O::SucceededWithoutEffect) => 1,
            Some(O::Detected) => 2,
            Some(O::Blocked) => 3,
            None => continue,
        };
        n[k] += 1.0;
    }
    n
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

pub(crate) fn markers(w: &World) -> Vec<Marker> {
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
    let s = &variant.scenario;
    let ordinary = s.risk.as_ref().map(|_| {
        if s.attacks.is_empty() && s.attacker.is_none() {
            Ordinary::of(&summary.cost)
        } else {
            let mut o = World::new(&ordinary(s), seed);
            o.run();
            Ordinary::of(&Summary::from_world(&o).cost)
        }
    });
    RunRecord {
        seed,
        variant: v,
        figures: figures(&w, &summary, ordinary),
        hourly_good: w.ledger.metrics.hourly_good.clone(),
        markers: (seed == first_seed).then(|| markers(&w)),
    }
}

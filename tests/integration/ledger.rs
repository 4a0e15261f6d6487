//! The cost ledger against a hand calculation from the report's own figures: each line is
//! its quantity times its price, every line is owed to one cause, and the parts add up to
//! the total three ways (by line, by cause, by kind of cause).

use faultline::report::Summary;
use faultline::{World, load};
use std::path::Path;

fn cents(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.011 + 1e-9 * b.abs()
}

/// The sums every ledger must satisfy.
fn closes(r: &Summary) {
    let c = &r.cost;
    let ctx = format!("{} seed {}: {c:#?}", r.scenario, r.seed);
    assert!(
        cents(
            c.total,
            c.lost_output
                + c.scrap_materials
                + c.incident_response
                + c.false_positive_review
                + c.secondary_loss
        ),
        "lines ≠ total: {ctx}"
    );
    assert!(
        cents(c.total, c.attacks + c.controls + c.operations),
        "kinds ≠ total: {ctx}"
    );
    let rows: f64 = c.by_cause.iter().map(|x| x.total).sum();
    assert!(cents(c.total, rows), "causes ≠ total: {ctx}");
    for row in &c.by_cause {
        assert!(
            cents(
                row.total,
                row.lost_output
                    + row.scrap_materials
                    + row.incident_response
                    + row.false_positive_review
                    + row.secondary_loss
            ),
            "{row:?}"
        );
    }
    // Lost output is the loss tree's priced lines, and nothing else.
    let tree: f64 = r.loss_tree.losses.iter().map(|l| l.cost).sum();
    assert!(cents(c.lost_output, tree), "tree {tree}: {ctx}");
    // Each attack step's cost is its row in the ledger.
    let steps: f64 = r.security.steps.iter().map(|s| s.cost).sum();
    assert!(cents(c.attacks, steps), "steps {steps}: {ctx}");
}

/// Whether step `k` (0-based) had an effect on the plant, read from the report alone: at
/// least a unit of priced loss owed to it in the loss tree, scrap materials owed to it, or
/// ransomware (it encrypts hosts).
fn felt(r: &Summary, k: usize) -> bool {
    let name = format!("step {}:", k + 1);
    let units: f64 = r
        .loss_tree
        .losses
        .iter()
        .filter(|l| {
            l.cause.starts_with(&name)
                && !matches!(l.category, faultline::loss::LossCategory::WorkInProcess)
        })
        .map(|l| l.units)
        .sum();
    let scrap = r
        .cost
        .by_cause
        .iter()
        .find(|x| x.cause.starts_with(&name))
        .is_some_and(|x| x.scrap_materials > 0.0);
    units >= 1.0 || scrap || r.security.steps[k].technique == "T0828"
}

/// Step `k`'s incident fee by its outcome, at the scenario's fees (the older two-price
/// form, or the defaults: 5,000 with an effect, 800 for every other step seen).
fn fee(r: &Summary, p: &faultline::scenario::CostModel, k: usize) -> f64 {
    let st = &r.security.steps[k];
    let (with, without, detected, blocked) = match (
        p.incident,
        p.incident_recovery_per_step,
        p.incident_triage_per_step,
    ) {
        (Some(f), _, _) => (
            f.succeeded_with_effect.mean(),
            f.succeeded_without_effect.mean(),
            f.detected.mean(),
            f.blocked.mean(),
        ),
        (None, None, None) => (5_000.0, 800.0, 800.0, 800.0),
        (None, rec, tri) => {
            let (rec, tri) = (rec.unwrap_or(5_000.0), tri.unwrap_or(800.0));
            (rec, rec, tri, tri)
        }
    };
    if st.outcome == "succeeded" {
        if felt(r, k) { with } else { without }
    } else if st.outcome == "blocked" {
        blocked
    } else if st.detected_after_s.is_some() {
        detected
    } else {
        0.0
    }
}

/// Every line of the ledger recomputed from the run's counters and the scenario's prices:
/// lost output from the loss tree at the unit value, scrap materials from every station's
/// scrap counters, incident response from each step's outcome, false positives from the
/// controls' own counts; each cause's row from its lines.
fn recomputed(w: &World, r: &Summary) {
    let (c, p) = (&r.cost, &w.scenario.cost);
    let ctx = format!("{} seed {}", r.scenario, r.seed);
    let (_, nominal) = faultline::world::bottleneck(&w.scenario);
    assert!(
        cents(c.unit_value, p.downtime_per_h.mean() / nominal),
        "unit value: {ctx}"
    );
    // Lost output: every priced unit of the tree at the unit value, by cause.
    let priced = |l: &faultline::report::LossLine| {
        !matches!(l.category, faultline::loss::LossCategory::WorkInProcess)
    };
    let mut lost_by_cause: std::collections::BTreeMap<&str, f64> = Default::default();
    for l in r.loss_tree.losses.iter().filter(|l| priced(l)) {
        *lost_by_cause.entry(l.cause.as_str()).or_default() += l.units * c.unit_value;
    }
    for (cause, want) in &lost_by_cause {
        let got = c
            .by_cause
            .iter()
            .find(|x| x.cause == *cause)
            .map_or(0.0, |x| x.lost_output);
        assert!(
            (got - want).abs() <= 0.0005 * c.unit_value * 10.0 + 0.02,
            "lost output owed to {cause}: {got}, the tree gives {want}: {ctx}"
        );
    }
    // Scrap materials: every unit any station scrapped, at its price.
    let scrapped: u64 = w
        .plant
        .stations
        .iter()
        .map(|s| s.counters.scrap_quality + s.counters.scrap_temperature)
        .sum();
    assert!(
        cents(c.scrap_materials, scrapped as f64 * p.scrap_per_unit.mean()),
        "scrap materials {} for {scrapped} units: {ctx}",
        c.scrap_materials
    );
    // Incident response: each step's row, from its outcome and its effect on the plant.
    for (k, st) in r.security.steps.iter().enumerate() {
        let want = fee(r, p, k);
        let got = c
            .by_cause
            .iter()
            .find(|x| x.cause.starts_with(&format!("step {}:", k + 1)))
            .map_or(0.0, |x| x.incident_response);
        assert!(
            cents(got, want),
            "step {} ({}): incident response {got}, want {want}: {ctx}",
            k + 1,
            st.outcome
        );
    }
    // False positives: the DPI's blocks of legitimate requests and the IDS's alarms with
    // no attack behind them, each owed to its control.
    let dpi = r.security.dpi.as_ref().map_or(0, |d| d.false_positives);
    let ids = r
        .security
        .ids
        .as_ref()
        .map_or(0, |i| i.false_alarms + i.alerts_on_legitimate_traffic);
    let owed = |name: &str| {
        c.by_cause
            .iter()
            .find(|x| x.cause == name)
            .map_or(0.0, |x| x.false_positive_review)
    };
    assert!(
        cents(
            owed("control: dpi"),
            dpi as f64 * p.per_false_positive.mean()
        ),
        "{ctx}"
    );
    assert!(
        cents(
            owed("control: ids"),
            ids as f64 * p.per_false_positive.mean()
        ),
        "{ctx}"
    );
    assert!(
        cents(
            c.false_positive_review,
            (dpi + ids) as f64 * p.per_false_positive.mean()
        ),
        "{ctx}"
    );
    // Each kind of cause is the sum of its rows, recomputed from the lines above.
    let kind = |k: &str| -> f64 {
        c.by_cause
            .iter()
            .filter(|x| {
                let name = x.cause.as_str();
                match k {
                    "attack" => name.starts_with("step ") || name.contains("attacker"),
                    "control" => name.starts_with("control: "),
                    _ => {
                        !name.starts_with("step ")
                            && !name.contains("attacker")
                            && !name.starts_with("control: ")
                    }
                }
            })
            .map(|x| {
                x.lost_output
                    + x.scrap_materials
                    + x.incident_response
                    + x.false_positive_review
                    + x.secondary_loss
            })
            .sum()
    };
    assert!(
        cents(c.attacks, kind("attack")),
        "attacks {}: {ctx}",
        c.attacks
    );
    assert!(
        cents(c.controls, kind("control")),
        "controls {}: {ctx}",
        c.controls
    );
    assert!(
        cents(c.operations, kind("operations")),
        "operations {}: {ctx}",
        c.operations
    );
}

#[test]
fn each_cost_is_its_quantity_times_its_price_and_the_parts_sum_to_the_total() {
    let s = load(Path::new("scenarios/all-controls.ron")).unwrap();
    // The first seed from 42 whose day has a false positive (a commissioned IDS raises about
    // two a day, the DPI none here), so that every line of the ledger is exercised.
    let fp = |r: &Summary| {
        r.security.dpi.as_ref().map_or(0, |d| d.false_positives)
            + r.security
                .ids
                .as_ref()
                .map_or(0, |i| i.false_alarms + i.alerts_on_legitimate_traffic)
    };
    let r = (42..52)
        .map(|seed| {
            let mut w = World::new(&s, seed);
            w.run();
            Summary::from_world(&w)
        })
        .find(|r| fp(r) > 0)
        .expect("no false positive in ten days");
    let (c, p) = (&r.cost, &s.cost);
    closes(&r);

    // Lost output: every priced unit of the tree at the unit value (units to 3 decimals).
    assert!(cents(
        c.unit_value,
        p.downtime_per_h.mean() / r.loss_tree.nominal_per_h
    ));
    for l in &r.loss_tree.losses {
        let priced = !matches!(l.category, faultline::loss::LossCategory::WorkInProcess);
        let want = if priced { l.units * c.unit_value } else { 0.0 };
        assert!(
            (l.cost - want).abs() <= 0.0005 * c.unit_value + 0.01,
            "{l:?}"
        );
    }
    // Scrap materials: every scrapped unit at its price.
    assert!(
        cents(
            c.scrap_materials,
            r.line.scrap_units as f64 * p.scrap_per_unit.mean()
        ),
        "{c:?}"
    );
    // Incident response: the assumed default fees (all-controls writes none), 5,000 for a
    // step that succeeded with an effect on the plant, 800 for any other step seen.
    assert!(c.incident_fees_assumed && p.incident.is_none());
    let (mut recover, mut triage) = (0.0, 0.0);
    for (k, st) in r.security.steps.iter().enumerate() {
        if st.outcome == "succeeded" && felt(&r, k) {
            recover += 1.0;
        } else if st.outcome == "succeeded"
            || st.outcome == "blocked"
            || st.detected_after_s.is_some()
        {
            triage += 1.0;
        }
    }
    assert!(recover + triage > 0.0);
    assert!(
        cents(c.incident_response, recover * 5_000.0 + triage * 800.0),
        "{c:?}"
    );
    // False positives: the DPI's blocks of legitimate requests and the IDS's alarms with
    // no attack behind them, each owed to its control.
    let dpi = r.security.dpi.as_ref().map_or(0, |d| d.false_positives);
    let ids = r
        .security
        .ids
        .as_ref()
        .map_or(0, |i| i.false_alarms + i.alerts_on_legitimate_traffic);
    assert!(dpi + ids > 0);
    assert!(
        cents(
            c.false_positive_review,
            (dpi + ids) as f64 * p.per_false_positive.mean()
        ),
        "{c:?}"
    );
    let owed = |name: &str| {
        c.by_cause
            .iter()
            .find(|x| x.cause == name)
            .map_or(0.0, |x| x.false_positive_review)
    };
    assert!(cents(
        owed("control: dpi"),
        dpi as f64 * p.per_false_positive.mean()
    ));
    assert!(cents(
        owed("control: ids"),
        ids as f64 * p.per_false_positive.mean()
    ));
}

#[test]
fn every_shipped_ledger_closes_and_each_line_is_its_counters_times_its_price() {
    let jobs: Vec<(std::path::PathBuf, u64)> = crate::shipped_scenarios()
        .into_iter()
        .flat_map(|p| {
            [7, 42]
                .into_iter()
                .take(crate::test_seeds(2) as usize)
                .map(move |seed| (p.clone(), seed))
        })
        .collect();
    crate::on_two_threads(&jobs, |(path, seed)| {
        let run = crate::shipped_run(path, *seed);
        closes(&run.summary);
        recomputed(&run.world, &run.summary);
    });
}

#[test]
fn each_stations_time_account_is_its_conditions_by_name_and_fills_the_day() {
    // The names summary.json's station rows are keyed by (the reference's "hours" table);
    // a row's hours are the station's whole run, each condition once.
    const NAMES: [&str; 12] = [
        "running",
        "starved",
        "blocked",
        "failure",
        "safety trip",
        "stopped",
        "PLC in STOP",
        "PLC fault",
        "attack",
        "blocked by control",
        "planned maintenance",
        "planned",
    ];
    for (file, seed) in [
        ("scenarios/bottling-line.ron", 42),
        ("scenarios/attack-it-scan.ron", 7),
    ] {
        let s = load(Path::new(file)).unwrap();
        let mut w = World::new(&s, seed);
        w.run();
        let r = Summary::from_world(&w);
        let mut seen = std::collections::BTreeSet::new();
        for st in &r.stations {
            let mut keys: Vec<&str> = st.hours.iter().map(|h| h.0.as_str()).collect();
            assert!(
                keys.iter().all(|k| NAMES.contains(k)),
                "{file} {}: {keys:?}",
                st.name
            );
            let n = keys.len();
            keys.dedup();
            assert_eq!(keys.len(), n, "{file} {}: a condition twice", st.name);
            let total: f64 = st.hours.iter().map(|h| h.1).sum();
            assert!(
                (total - s.duration_h).abs() < 0.01,
                "{file} {}: {total} h",
                st.name
            );
            seen.extend(keys.iter().map(|k| k.to_string()));
        }
        assert!(seen.contains("running"), "{file}: {seen:?}");
        if file.contains("it-scan") {
            // The scan faults the legacy PLCs: their stations spend time in PLC fault.
            assert!(seen.contains("PLC fault"), "{file}: {seen:?}");
        }
    }
}

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
            c.lost_output + c.scrap_materials + c.incident_response + c.false_positive_review
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
        p.downtime_per_h / r.loss_tree.nominal_per_h
    ));
    for l in &r.loss_tree.losses {
        let priced = !matches!(
            l.category,
            faultline::loss::LossCategory::TargetGap | faultline::loss::LossCategory::WorkInProcess
        );
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
            r.line.scrap_units as f64 * p.scrap_per_unit
        ),
        "{c:?}"
    );
    // Incident response: recovery for a succeeded step, triage for one detected or blocked.
    let (mut recover, mut triage) = (0.0, 0.0);
    for st in &r.security.steps {
        if st.outcome == "succeeded" {
            recover += 1.0;
        } else if st.outcome == "blocked" || st.detected_after_s.is_some() {
            triage += 1.0;
        }
    }
    assert!(recover + triage > 0.0);
    assert!(p.incident_triage_per_step < p.incident_recovery_per_step);
    assert!(
        cents(
            c.incident_response,
            recover * p.incident_recovery_per_step + triage * p.incident_triage_per_step
        ),
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
            (dpi + ids) as f64 * p.per_false_positive
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
        dpi as f64 * p.per_false_positive
    ));
    assert!(cents(
        owed("control: ids"),
        ids as f64 * p.per_false_positive
    ));
}

#[test]
fn every_shipped_ledger_closes_by_line_by_cause_and_by_kind() {
    for path in crate::shipped_scenarios() {
        let s = load(&path).unwrap();
        for seed in [7, 42] {
            let mut w = World::new(&s, seed);
            w.run();
            closes(&Summary::from_world(&w));
        }
    }
}

//! One OEE and one downtime account: the text report, summary.json, report.html and the
//! scorecard print the same OEE (ISO 22400: availability × performance × quality, never
//! capped), and the scorecard's and downtime-by-cause's hours are the loss tree's, for every
//! shipped scenario and every exercise's default road.

use faultline::exercise::{self, Defaults, play};
use faultline::report::Summary;
use faultline::world::Recording;
use faultline::{World, load};

/// The hours of the downtime rows owed to attacks and actors, and to controls.
fn owed_hours(s: &Summary) -> (f64, f64) {
    let rows = &s.line.downtime_by_cause;
    let sum = |f: &dyn Fn(&str) -> bool| -> f64 {
        rows.iter().filter(|r| f(&r.owed_to)).map(|r| r.hours).sum()
    };
    (
        sum(&|o| o.starts_with("step ") || o.starts_with("actor")),
        sum(&|o| o.starts_with("control: ")),
    )
}

/// Everything that must agree in one run's outputs; the problems found, placed.
fn check(w: &World, s: &Summary, place: &str) -> Vec<String> {
    let mut out = Vec::new();
    let o = &s.line.oee;
    // The product of the rounded factors is within rounding of the rounded OEE.
    if (o.availability * o.performance * o.quality - o.oee).abs() > 2e-4 {
        out.push(format!("{place}: OEE {o:?} is not A × P × Q"));
    }
    if s.scorecard.ot.oee != o.oee {
        out.push(format!(
            "{place}: scorecard OEE {} vs line OEE {}",
            s.scorecard.ot.oee, o.oee
        ));
    }
    let json: serde_json::Value = serde_json::to_value(s).unwrap();
    if json["line"]["oee"]["oee"].as_f64() != Some(o.oee)
        || json["scorecard"]["ot"]["oee"].as_f64() != Some(o.oee)
    {
        out.push(format!("{place}: summary.json's OEE is not {}", o.oee));
    }
    let pct = format!("{:.1} %", o.oee * 100.0);
    let text = faultline::report::render_text(s);
    let line = format!(
        "line OEE    {pct} = availability {:.1} % × performance {:.1} % × quality {:.1} %",
        o.availability * 100.0,
        o.performance * 100.0,
        o.quality * 100.0
    );
    if !text.contains(&line) {
        out.push(format!("{place}: the text report has no `{line}`"));
    }
    if text.contains("· safety trips") && !text.contains(&format!("OEE {pct} · safety trips")) {
        out.push(format!("{place}: the text scorecard's OEE is not {pct}"));
    }
    let html = faultline::report::html::run_page(w, s);
    if !html.contains(&format!("<td>{pct} = ")) {
        out.push(format!("{place}: report.html's OEE is not {pct}"));
    }
    // Downtime: the rows add up to the line's hours, and the scorecard's hours owed to
    // attacks and controls are the rows'.
    let rows: f64 = s.line.downtime_by_cause.iter().map(|r| r.hours).sum();
    let tol = 1e-4 * (s.line.downtime_by_cause.len() + 1) as f64;
    if (rows - s.line.downtime_h).abs() > tol {
        out.push(format!(
            "{place}: downtime rows add up to {rows} h, the line says {} h",
            s.line.downtime_h
        ));
    }
    if (s.scorecard.ot.unplanned_downtime_h - s.line.downtime_h).abs() > 1e-9 {
        out.push(format!("{place}: scorecard downtime is not the line's"));
    }
    let (attacks, controls) = owed_hours(s);
    if (attacks - s.scorecard.ot.downtime_from_attacks_h).abs() > tol
        || (controls - s.scorecard.ot.downtime_from_controls_h).abs() > tol
    {
        out.push(format!(
            "{place}: rows owe {attacks:.4} h to attacks and {controls:.4} h to controls; the scorecard {} and {}",
            s.scorecard.ot.downtime_from_attacks_h, s.scorecard.ot.downtime_from_controls_h
        ));
    }
    // The tree's time lines are the downtime rows at the line's rate: each category and
    // cause's units are its hours × what the recipes allowed per hour, within a recipe's
    // range (no row without a line, no line without a row).
    for r in &s.line.downtime_by_cause {
        let line = s.loss_tree.losses.iter().any(|l| {
            l.cause == r.owed_to
                && faultline::loss::LossCategory::TIME
                    .iter()
                    .any(|c| c.label() == r.cause && *c == l.category)
        });
        if !line && r.hours > 1e-3 {
            out.push(format!(
                "{place}: downtime row {r:?} has no line in the loss tree"
            ));
        }
    }
    out
}

#[test]
fn text_json_html_and_scorecard_print_one_oee_and_the_trees_downtime_for_every_shipped_scenario() {
    let mut problems = Vec::new();
    for p in crate::shipped_scenarios() {
        let run = crate::shipped_run(&p, 42);
        problems.extend(check(&run.world, &run.summary, &p.display().to_string()));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_exercise_road_prints_one_oee_and_the_trees_downtime() {
    let mut problems = Vec::new();
    for name in crate::EXERCISES {
        let ex = exercise::load(std::path::Path::new(&format!(
            "scenarios/exercises/{name}.ron"
        )))
        .unwrap();
        let played = play(&ex, ex.scenario.seed, Recording::default(), &mut Defaults).unwrap();
        problems.extend(check(&played.world, &played.summary, name));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_vendor_gateways_hours_on_the_scorecard_are_the_trees() {
    let s = load(std::path::Path::new("scenarios/vendor-gateway.ron")).unwrap();
    let (_, r) = crate::run_with_events(&s, 42);
    let gateway: f64 = r
        .line
        .downtime_by_cause
        .iter()
        .filter(|c| c.owed_to == "control: gateway")
        .map(|c| c.hours)
        .sum();
    assert!(
        gateway > 0.1,
        "the gateway's approval waits cost hours: {gateway}"
    );
    assert!(
        (r.scorecard.ot.downtime_from_controls_h - gateway).abs() < 1e-3,
        "scorecard {} h from controls, the tree's gateway rows {gateway} h",
        r.scorecard.ot.downtime_from_controls_h
    );
    // And the tree's units for the gateway are those hours at the filler's recipe rate:
    // nameplate (3,600/h) before the 08:15 changeover, 95 % of it after.
    let units: f64 = r
        .loss_tree
        .losses
        .iter()
        .filter(|l| l.cause == "control: gateway")
        .map(|l| l.units)
        .sum();
    let at = gateway * r.loss_tree.nominal_per_h;
    assert!(
        units >= 0.95 * at - 1.0 && units <= at + 1.0,
        "{units} units for {gateway} h at {}/h",
        r.loss_tree.nominal_per_h
    );
}

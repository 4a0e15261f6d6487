//! The cost model against a hand calculation from the report's own figures: each part is
//! its quantity times its price, and the parts add up to the total.

use faultline::report::Summary;
use faultline::{World, load};
use std::path::Path;

#[test]
fn each_cost_is_its_quantity_times_its_price_and_the_parts_sum_to_the_total() {
    let s = load(Path::new("scenarios/all-controls.ron")).unwrap();
    let mut w = World::new(&s, 42);
    w.run();
    let r = Summary::from_world(&w);
    let (c, p) = (&r.cost, &s.cost);
    let cents = |a: f64, b: f64| (a - b).abs() < 0.01 + 1e-9 * b.abs();

    // Downtime: every hour the line stood, at the hourly rate; its rows add up to it.
    let hours: f64 = r.line.downtime_by_cause.iter().map(|x| x.hours).sum();
    assert!(
        (hours - r.line.downtime_h).abs() < 1e-3,
        "{hours} vs {}",
        r.line.downtime_h
    );
    // (The report gives hours to 4 decimals: within half of 0.0001 h at the rate.)
    assert!(
        (c.downtime - r.line.downtime_h * p.downtime_per_h).abs()
            <= 0.00005 * p.downtime_per_h + 0.01,
        "{c:?}"
    );
    let rows: f64 = r.line.downtime_by_cause.iter().map(|x| x.cost).sum();
    assert!(
        (rows - c.downtime).abs() <= 0.005 * r.line.downtime_by_cause.len() as f64 + 0.01,
        "rows {rows} vs {}",
        c.downtime
    );
    // Scrap: every scrapped unit at its price.
    assert!(
        cents(c.scrap, r.line.scrap_units as f64 * p.scrap_per_unit),
        "{c:?}"
    );
    // Incident response: every step that succeeded or was detected.
    let incidents = r
        .security
        .steps
        .iter()
        .filter(|x| x.outcome == "succeeded" || x.detected_after_s.is_some())
        .count() as f64;
    assert!(incidents > 0.0);
    assert!(
        cents(
            c.incident_response,
            incidents * p.incident_response_per_step
        ),
        "{c:?}"
    );
    // False positives: the DPI's blocks of legitimate requests and the IDS's alarms with
    // no attack behind them.
    let dpi = r
        .security
        .dpi
        .as_ref()
        .map(|d| d.false_positives)
        .unwrap_or(0);
    let ids = r
        .security
        .ids
        .as_ref()
        .map(|i| i.false_alarms + i.alerts_on_legitimate_traffic)
        .unwrap_or(0);
    assert!(dpi + ids > 0);
    assert!(
        cents(c.false_positives, (dpi + ids) as f64 * p.per_false_positive),
        "{c:?}"
    );
    // The whole.
    assert!(
        cents(
            c.total,
            c.downtime + c.scrap + c.incident_response + c.false_positives
        ),
        "{c:?}"
    );
}

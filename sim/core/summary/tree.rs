//! The loss tree in the report model, and what reads it: the line's downtime by cause and
//! root station, the OEE (ISO 22400: availability × performance × quality, performance
//! against the rate the recipe allows), and the hours owed to each kind of cause.

use super::{CauseRow, LossLine, LossTree, Oee, cause_name, cost, ratio, round};
use crate::loss::{Cause, LossCategory, Tree};
use crate::metrics::Condition;
use crate::time::to_hours;
use crate::world::World;

/// The run's raw loss tree (causes as the World knows them), and the tree with its causes
/// named and its lines priced.
pub(super) fn loss_tree(w: &World) -> (Tree, LossTree) {
    let m = &w.ledger.metrics;
    let nominal_per_h = crate::world::bottleneck(&w.scenario).1;
    let good = w.plant.line_output();
    let unit_value = w.scenario.cost.downtime_per_h.mean() / nominal_per_h;
    let raw = m.loss.tree(&w.plant, good);
    let losses: Vec<LossLine> = raw
        .lines
        .iter()
        .map(|&(category, cause, units)| {
            cost::line(category, cause_name(w, cause), units, unit_value)
        })
        .collect();
    let tree = LossTree {
        nominal_per_h: round(nominal_per_h, 3),
        target_per_h: round(w.plan.target_per_h, 2),
        target_units: round(w.plan.target_per_h * to_hours(m.planned_production), 3),
        ideal_units: round(raw.ideal, 3),
        made_outside_planned: round(raw.made_outside_planned, 3),
        good_units: good,
        unit_value: round(unit_value, 4),
        losses,
    };
    (raw, tree)
}

/// The line's downtime at the bottleneck, one row per (category, cause, root station),
/// longest first, read from the loss tree's book; and the total hours.
pub(super) fn downtime_rows(w: &World) -> (Vec<CauseRow>, f64) {
    let book = &w.ledger.metrics.loss;
    let mut rows: Vec<CauseRow> = book
        .time
        .iter()
        .filter(|(_, (t, _))| *t > 0)
        .map(|&((cat, cause, root), (t, _))| CauseRow {
            cause: cat.label().to_string(),
            owed_to: cause_name(w, cause),
            station: w.plant.stations[root].name.clone(),
            hours: round(to_hours(t), 4),
        })
        .collect();
    rows.sort_by(|a, b| {
        b.hours
            .total_cmp(&a.hours)
            .then_with(|| a.station.cmp(&b.station))
            .then_with(|| a.cause.cmp(&b.cause))
            .then_with(|| a.owed_to.cmp(&b.owed_to))
    });
    (rows, book.hours_where(|_, _| true))
}

/// Hours of downtime at the bottleneck owed to causes of one kind.
pub(super) fn hours_owed(w: &World, kind: cost::CauseKind) -> f64 {
    w.ledger
        .metrics
        .loss
        .hours_where(|_, c| cost::CauseKind::of(c) == kind)
}

/// Hours of downtime at the bottleneck owed to one cause.
pub(super) fn hours_of(w: &World, cause: Cause) -> f64 {
    w.ledger.metrics.loss.hours_where(|_, c| c == cause)
}

/// The line's OEE at the bottleneck stage (ISO 22400): availability = running time over
/// planned time; performance = units the stage made (good and scrapped) over what the
/// recipes in force allow in that running time; quality = good units over good units and
/// the units scrapped at or after the bottleneck. Nothing capped: a line running faster
/// than its recipe shows a performance above 1.
pub(super) fn line_oee(w: &World, raw: &Tree) -> Oee {
    let m = &w.ledger.metrics;
    let book = m.loss.closed(&w.plant);
    let b = m.bottleneck;
    let a = ratio(
        m.station_time[b][Condition::Running as usize] as f64,
        m.planned_production as f64,
    );
    let made = (book.made_planned + book.stage_scrap_planned) as f64;
    let p = ratio(made, book.running_ideal);
    let good = w.plant.line_output() as f64;
    let scrapped: f64 = raw
        .lines
        .iter()
        .filter(|l| l.0 == LossCategory::QualityLoss)
        .map(|l| l.2)
        .sum();
    let q = ratio(good, good + scrapped);
    Oee {
        availability: round(a, 4),
        performance: round(p, 4),
        quality: round(q, 4),
        oee: round(a * p * q, 4),
    }
}

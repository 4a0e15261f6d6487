//! The run's time axis: its planned stops (shaded on the throughput chart), the response's and
//! the operators' actions (marked on it beside the attack steps and detections), and the event
//! log as a table whose rows can be filtered by kind (by CSS alone: the page has no script).
//! Repeats are folded: events of one kind from one source less than five minutes apart are
//! one row (a flood's thousands of blocked requests, an operator retrying a write).

use super::*;
use crate::metrics::{Event, EventKind};
use crate::time::{Micros, US_PER_S, clock, to_hours};

/// Events of one kind and source this close together are one row.
const FOLD_US: Micros = 300 * US_PER_S;

/// At most this many rows in the page; the rest are in events.jsonl.
pub(crate) const MAX_ROWS: usize = 400;

/// Events of one kind from one source, each less than [`FOLD_US`] after the one before.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fold {
    pub first: Micros,
    pub last: Micros,
    pub kind: EventKind,
    pub source: String,
    /// The first event's detail, and how many of the others said something else.
    pub detail: String,
    pub others: usize,
    pub count: usize,
}

/// The event log folded, in the order of each fold's first event.
pub(crate) fn fold(events: &[Event]) -> Vec<Fold> {
    let mut out: Vec<Fold> = Vec::new();
    let mut open: std::collections::BTreeMap<(EventKind, &str), usize> = Default::default();
    for e in events {
        let key = (e.kind, e.source.as_str());
        match open.get(&key) {
            Some(&i) if e.t_us.saturating_sub(out[i].last) < FOLD_US => {
                let f = &mut out[i];
                f.last = e.t_us;
                f.count += 1;
                if e.detail != f.detail {
                    f.others += 1;
                }
            }
            _ => {
                open.insert(key, out.len());
                out.push(Fold {
                    first: e.t_us,
                    last: e.t_us,
                    kind: e.kind,
                    source: e.source.clone(),
                    detail: e.detail.clone(),
                    others: 0,
                    count: 1,
                });
            }
        }
    }
    // The World books a few events when they are decided, ahead of their time (a response's
    // action when the detection that brings it is made): in time order, as events.jsonl.
    out.sort_by_key(|f| f.first);
    out
}

/// The plan's stops (time outside planned production), in hours, from the minute samples.
pub(crate) fn planned_stops(w: &World) -> Vec<(f64, f64)> {
    let Some(tl) = &w.ledger.metrics.timeline else {
        return Vec::new();
    };
    let mut out: Vec<(f64, f64)> = Vec::new();
    for s in tl.iter().filter(|s| !s.planned) {
        let (a, b) = (s.minute as f64 / 60.0, (s.minute + 1) as f64 / 60.0);
        match out.last_mut() {
            Some(last) if (last.1 - a).abs() < 1e-9 => last.1 = b,
            _ => out.push((a, b)),
        }
    }
    out
}

/// The response's and the operators' actions, one mark per fold.
pub(crate) fn action_markers(folds: &[Fold]) -> Vec<ChartMarker> {
    folds
        .iter()
        .filter_map(|f| {
            let kind = match f.kind {
                EventKind::Response | EventKind::Contained => MarkerKind::Response,
                EventKind::Operator
                | EventKind::TripReset
                | EventKind::PlcReset
                | EventKind::LocalStart
                | EventKind::LocalStop => MarkerKind::Operator,
                _ => return None,
            };
            Some(ChartMarker {
                t_h: to_hours(f.first),
                label: match kind {
                    MarkerKind::Response => f.kind.as_str().to_string(),
                    _ => String::new(),
                },
                kind,
            })
        })
        .collect()
}

/// `hh:mm:ss` since the start of the run.
fn hms(t: Micros) -> String {
    let c = clock(t);
    c[..c.len() - 4].to_string()
}

/// The event log's section: a filter per kind (a checkbox; unticked, its rows are hidden by
/// the section's own style rules) and the folded events (`folds`, of `events` in all), at
/// most [`MAX_ROWS`].
pub(crate) fn events_section(events: usize, folds: &[Fold]) -> (String, String, String) {
    let mut kinds: std::collections::BTreeMap<EventKind, (usize, usize)> = Default::default();
    for f in folds {
        let k = kinds.entry(f.kind).or_default();
        k.0 += 1;
        k.1 += f.count;
    }
    let mut html = String::from("<style>");
    for k in kinds.keys() {
        let k = k.as_str();
        html.push_str(&format!(
            "#events:has(#f-{k}:not(:checked)) tr.k-{k}{{display:none}}"
        ));
    }
    html.push_str("</style><p class=\"filters\">Show: ");
    for (k, (rows, n)) in &kinds {
        let k = k.as_str();
        html.push_str(&format!(
            "<label><input type=\"checkbox\" id=\"f-{k}\" checked> {k} ({n} in {rows} row{})</label> ",
            if *rows == 1 { "" } else { "s" }
        ));
    }
    html.push_str("</p><div class=\"scroll\"><table id=\"event-log\"><thead><tr><th>from</th><th>to</th><th>kind</th><th>source</th><th>events</th><th>detail</th></tr></thead><tbody>");
    for f in folds.iter().take(MAX_ROWS) {
        let detail = match f.others {
            0 => f.detail.clone(),
            n => format!("{} (and {n} other details)", f.detail),
        };
        html.push_str(&format!(
            "<tr class=\"k-{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            f.kind.as_str(),
            hms(f.first),
            if f.count > 1 { hms(f.last) } else { String::new() },
            f.kind.as_str(),
            esc(&f.source),
            f.count,
            esc(&detail)
        ));
    }
    html.push_str("</tbody></table></div>");
    if folds.len() > MAX_ROWS {
        html.push_str(&format!(
            "<p>{} more rows (from {}): every event is in events.jsonl.</p>",
            folds.len() - MAX_ROWS,
            hms(folds[MAX_ROWS].first)
        ));
    }
    (
        "events".into(),
        format!(
            "Events: {events} in {} rows (one kind from one source less than five minutes apart is one row)",
            folds.len()
        ),
        html,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(t_s: u64, kind: EventKind, source: &str, detail: &str) -> Event {
        Event {
            t_us: t_s * US_PER_S,
            kind,
            source: source.into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn repeats_of_a_kind_from_a_source_fold_while_less_than_five_minutes_apart() {
        let log = [
            e(0, EventKind::DpiBlock, "eng-ws", "rate limit"),
            e(10, EventKind::Operator, "hmi", "reset trip"),
            e(30, EventKind::DpiBlock, "eng-ws", "rate limit"),
            e(40, EventKind::DpiBlock, "historian", "rate limit"),
            e(329, EventKind::DpiBlock, "eng-ws", "write outside the rule"),
            // Five minutes after the last one: a new row.
            e(629, EventKind::DpiBlock, "eng-ws", "rate limit"),
        ];
        let f = fold(&log);
        let rows: Vec<(u64, u64, &str, usize, usize)> = f
            .iter()
            .map(|f| {
                (
                    f.first / US_PER_S,
                    f.last / US_PER_S,
                    f.source.as_str(),
                    f.count,
                    f.others,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (0, 329, "eng-ws", 3, 1),
                (10, 10, "hmi", 1, 0),
                (40, 40, "historian", 1, 0),
                (629, 629, "eng-ws", 1, 0),
            ]
        );
        assert_eq!(f.iter().map(|f| f.count).sum::<usize>(), log.len());
    }
}

//! File formats: summary.json, timeline.csv, events.jsonl. Each returns the whole text;
//! [`write_atomic`] puts it in place.

use super::Summary;
use crate::time::clock;
use crate::world::World;
use std::fmt::Write;

pub fn summary_json(s: &Summary) -> String {
    let mut out =
        serde_json::to_string_pretty(s).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

/// One row per simulated minute: production, rate, each station's state code and each
/// thermal station's temperature.
pub fn timeline_csv(w: &World) -> String {
    let mut out = String::from("minute,planned,good_total,scrap_total,rate_per_h");
    for st in &w.plant.stations {
        let _ = write!(out, ",state_{}", st.name);
    }
    for st in w.plant.stations.iter().filter(|s| s.thermal.is_some()) {
        let _ = write!(out, ",temp_c_{}", st.name);
    }
    out.push('\n');
    for r in w.ledger.metrics.timeline.iter().flatten() {
        let _ = write!(
            out,
            "{},{},{},{},{}",
            r.minute,
            u8::from(r.planned),
            r.good_total,
            r.scrap_total,
            r.rate_per_h
        );
        for s in &r.states {
            let _ = write!(out, ",{s}");
        }
        for t in &r.temps_c {
            let _ = write!(out, ",{t:.2}");
        }
        out.push('\n');
    }
    out
}

/// The event log, one JSON object per line, in time order.
pub fn events_jsonl(w: &World) -> String {
    let mut events: Vec<&crate::metrics::Event> =
        w.ledger.metrics.events.iter().flatten().collect();
    events.sort_by_key(|e| e.t_us); // stable: same-time events keep the order they were logged
    let mut out = String::new();
    for e in events {
        let line = serde_json::json!({
            "t": clock(e.t_us),
            "t_s": e.t_us as f64 / 1e6,
            "kind": e.kind,
            "source": e.source,
            "detail": e.detail,
        });
        let _ = writeln!(out, "{line}");
    }
    out
}

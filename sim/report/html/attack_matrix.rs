//! The run on the MITRE ATT&CK for ICS matrix: every technique the run's attack steps and
//! live actors realised, under each of its tactics, marked by what became of it: tried,
//! succeeded, blocked (or failed), detected. Each cell names its steps (time, host) and links
//! to the steps' table. Tactics and their techniques as in ATT&CK for ICS (docs/sources.md).

use super::esc;
use crate::report::Summary;
use std::collections::BTreeMap;

/// ATT&CK for ICS's tactics, in the matrix's order.
pub const TACTICS: [&str; 12] = [
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Evasion",
    "Discovery",
    "Lateral Movement",
    "Collection",
    "Command and Control",
    "Inhibit Response Function",
    "Impair Process Control",
    "Impact",
];

/// The tactics a technique serves in ATT&CK for ICS (the techniques the twin realises;
/// an unknown one is listed under none and shown in a row of its own).
pub fn tactics_of(id: &str) -> &'static [&'static str] {
    match id {
        "T0801" => &["Collection"],
        "T0814" => &["Inhibit Response Function"],
        "T0822" => &["Initial Access"],
        "T0828" => &["Impact"],
        "T0830" => &["Collection"],
        "T0831" => &["Impact"],
        "T0832" => &["Impact"],
        "T0836" => &["Impair Process Control"],
        "T0846" => &["Discovery"],
        "T0855" => &["Impair Process Control"],
        "T0856" => &["Evasion", "Impair Process Control"],
        "T0858" => &["Execution", "Evasion"],
        "T0859" => &["Persistence", "Lateral Movement"],
        "T0888" => &["Discovery"],
        _ => &[],
    }
}

/// What became of a technique's uses in the run.
#[derive(Default)]
struct Cell {
    name: String,
    succeeded: usize,
    blocked: usize,
    tried: usize,
    detected: usize,
    /// "04:00 eng-ws (succeeded, detected)", one per use.
    uses: Vec<String>,
}

impl Cell {
    fn class(&self) -> &'static str {
        if self.succeeded > 0 {
            "succeeded"
        } else if self.blocked > 0 {
            "blocked"
        } else {
            "tried"
        }
    }
}

fn cells(s: &Summary) -> BTreeMap<String, Cell> {
    let mut out: BTreeMap<String, Cell> = BTreeMap::new();
    for st in &s.security.steps {
        for t in &st.techniques {
            let (id, name) = t.split_once(' ').unwrap_or((t.as_str(), ""));
            let c = out.entry(id.to_string()).or_default();
            c.name = name.to_string();
            match st.outcome.as_str() {
                "succeeded" => c.succeeded += 1,
                "blocked" | "failed" => c.blocked += 1,
                _ => c.tried += 1,
            }
            let detected = st.detected_after_s.is_some();
            c.detected += usize::from(detected);
            c.uses.push(format!(
                "{} {} ({}{})",
                st.at.get(..5).unwrap_or(&st.at),
                st.from,
                st.outcome,
                if detected { ", detected" } else { "" }
            ));
        }
    }
    if let Some(a) = &s.actors {
        for actor in &a.actors {
            for t in &actor.techniques {
                if t.id == "—" {
                    continue;
                }
                let c = out.entry(t.id.to_string()).or_default();
                c.name = t.name.to_string();
                c.tried += 1;
                let detected = actor.detected_after_s.is_some();
                c.detected += usize::from(detected);
                c.uses.push(format!(
                    "live {} ×{} ({}{})",
                    actor.name,
                    t.count,
                    if actor.blocked > 0 {
                        "some blocked"
                    } else {
                        "not blocked"
                    },
                    if detected { ", detected" } else { "" }
                ));
            }
        }
    }
    out
}

/// The matrix as an HTML table (none when the run had no attack and no actor).
pub(crate) fn matrix(s: &Summary) -> Option<String> {
    let cells = cells(s);
    if cells.is_empty() {
        return None;
    }
    let columns: Vec<(&str, Vec<&String>)> = TACTICS
        .iter()
        .map(|tac| {
            (
                *tac,
                cells
                    .keys()
                    .filter(|id| tactics_of(id).contains(tac))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, ids)| !ids.is_empty())
        .collect();
    let unmapped: Vec<&String> = cells
        .keys()
        .filter(|id| tactics_of(id).is_empty())
        .collect();
    let mut out = String::from(
        "<div class=\"legend\"><span><i class=\"sw att-succeeded\"></i>succeeded</span>\
         <span><i class=\"sw att-blocked\"></i>blocked or failed</span>\
         <span><i class=\"sw att-tried\"></i>tried (no outcome of its own)</span>\
         <span><i class=\"sw att-detected\"></i>detected (outlined)</span></div>",
    );
    out.push_str("<table id=\"attack-matrix\" class=\"matrix\"><thead><tr>");
    for (tac, _) in &columns {
        out.push_str(&format!("<th>{}</th>", esc(tac)));
    }
    if !unmapped.is_empty() {
        out.push_str("<th>other</th>");
    }
    out.push_str("</tr></thead><tbody>");
    let rows = columns
        .iter()
        .map(|c| c.1.len())
        .chain([unmapped.len()])
        .max()
        .unwrap_or(0);
    let cell_html = |id: &str| {
        let c = &cells[id];
        let det = if c.detected > 0 { " att-detected" } else { "" };
        format!(
            "<td class=\"att att-{}{det}\"><a href=\"#table-0\"><b>{}</b> {}</a><br><small>{}</small></td>",
            c.class(),
            esc(id),
            esc(&c.name),
            esc(&c.uses.join("; "))
        )
    };
    for r in 0..rows {
        out.push_str("<tr>");
        for (_, ids) in &columns {
            match ids.get(r) {
                Some(id) => out.push_str(&cell_html(id)),
                None => out.push_str("<td></td>"),
            }
        }
        if !unmapped.is_empty() {
            match unmapped.get(r) {
                Some(id) => out.push_str(&cell_html(id)),
                None => out.push_str("<td></td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    Some(out)
}

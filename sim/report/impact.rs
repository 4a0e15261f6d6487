//! The impact table, as text, HTML and JSON: per attack step and per control what it did
//! to the plant (the run with it minus the same seed without it), the interaction remainder
//! and the total, which the parts and the remainder add up to.

use crate::impact::{Impact, ImpactRow};
use crate::report::Summary;
use crate::sweep::Stat;
use std::fmt::Write;

fn figure(s: &Stat, decimals: usize) -> String {
    if s.n > 1 {
        format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            s.mean,
            s.ci95.0,
            s.ci95.1,
            d = decimals
        )
    } else {
        format!("{:.d$}", s.mean, d = decimals)
    }
}

fn rows(i: &Impact) -> impl Iterator<Item = &ImpactRow> {
    i.factors
        .iter()
        .chain(std::iter::once(&i.interaction))
        .chain(std::iter::once(&i.total))
}

/// The table as text, for the terminal.
pub fn impact_text(i: &Impact, currency: &str) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "impact      each factor: the run with it minus the same seed without it ({})",
        if i.seeds > 1 {
            format!(
                "mean [95 % interval] over {} seeds from {}",
                i.seeds, i.first_seed
            )
        } else {
            format!("seed {}", i.first_seed)
        }
    );
    let _ = writeln!(
        o,
        "  {:<58} {:>22} {:>20} {:>20} {:>26} {:>26} {:>26}",
        "factor",
        "Δ good units",
        "Δ scrap",
        "Δ downtime (h)",
        format!("Δ production ({currency})"),
        format!("Δ fees ({currency})"),
        format!("= Δ cost ({currency})")
    );
    for r in rows(i) {
        let _ = writeln!(
            o,
            "  {:<58} {:>22} {:>20} {:>20} {:>26} {:>26} {:>26}{}",
            r.name,
            figure(&r.good_units, 0),
            figure(&r.scrap_units, 0),
            figure(&r.downtime_h, 2),
            figure(&r.production_cost, 0),
            figure(&r.fees, 0),
            figure(&r.cost, 0),
            if r.within_noise {
                "  (within the noise)"
            } else {
                ""
            }
        );
    }
    if i.seeds == 1 {
        let _ = writeln!(
            o,
            "  one seed is one day's anecdote: a line can make an outage up later; --impact-seeds 32 gives intervals"
        );
    }
    let _ = writeln!(
        o,
        "  the factors plus the interaction add up to the total; production (lost output, scrap materials) plus fees (incident response, false-positive review) is the cost"
    );
    o
}

/// The table for report.html, leading the page.
pub fn impact_table(i: &Impact) -> (String, Vec<String>, Vec<Vec<String>>) {
    let title = if i.seeds > 1 {
        format!(
            "Impact by counterfactual: mean [95 % interval] over {} seeds",
            i.seeds
        )
    } else {
        format!("Impact by counterfactual: seed {}", i.first_seed)
    };
    let head = [
        "factor",
        "Δ good units",
        "Δ scrap",
        "Δ downtime (h)",
        "Δ production",
        "Δ fees",
        "= Δ cost",
        "",
    ]
    .map(String::from)
    .to_vec();
    let body = rows(i)
        .map(|r| {
            vec![
                r.name.clone(),
                figure(&r.good_units, 0),
                figure(&r.scrap_units, 0),
                figure(&r.downtime_h, 2),
                figure(&r.production_cost, 0),
                figure(&r.fees, 0),
                figure(&r.cost, 0),
                if r.within_noise {
                    "within the noise".into()
                } else {
                    String::new()
                },
            ]
        })
        .collect();
    (title, head, body)
}

/// summary.json with the impact table under `impact` (the summary's fields first, in
/// their order).
pub fn summary_with_impact_json(s: &Summary, i: &Impact) -> String {
    #[derive(serde::Serialize)]
    struct With<'a> {
        #[serde(flatten)]
        summary: &'a Summary,
        impact: &'a Impact,
    }
    let mut out = serde_json::to_string_pretty(&With {
        summary: s,
        impact: i,
    })
    .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}

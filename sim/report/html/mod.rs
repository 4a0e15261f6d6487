//! `report.html`: one self-contained page (inline CSS, charts as inline SVG drawn with
//! plotters, no script, nothing fetched) for a single run or a sweep. The look follows the
//! HMI convention the plant knows: grey for normal, colour only where something is wrong
//! (red for attacks, blue for what the controls did).
//!
//! Both pages are built from one [`Page`] model: a scorecard table, throughput over time
//! with attack and control markers, downtime by cause as stacked bars, cost as bars (with
//! 95 % intervals for a sweep), and detail tables.

use super::Summary;
use crate::sweep::{SweepSummary, metric};
use crate::world::World;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

mod attack_matrix;
pub use attack_matrix::{TACTICS, tactics_of};
mod charts;
mod control_tables;
mod decision_charts;
mod process_chart;
mod run_page;
mod sweep_page;
mod timeline;

use charts::*;
pub use decision_charts::*;
pub use run_page::*;
pub use sweep_page::*;

/// A point in time worth marking on the throughput chart.
#[derive(Clone, Debug)]
pub struct ChartMarker {
    pub t_h: f64,
    pub label: String,
    pub kind: MarkerKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    /// An attack step that got through.
    Attack,
    /// A step a control blocked, or one that failed.
    Stopped,
    /// A monitoring control flagged a step.
    Detection,
    /// The incident response acted (contained a host, isolated a zone, stopped safely).
    Response,
    /// An operator acted (at the HMI, a local panel or the cabinet): a tick at the foot.
    Operator,
}

/// A cost bar: name, value, and its 95 % interval when there is one.
pub type CostBar = (String, f64, Option<(f64, f64)>);

/// One column of the scorecard (a run, or a variant of a sweep).
pub struct Column {
    pub name: String,
    /// Per scorecard row, the text of the cell.
    pub cells: Vec<String>,
}

/// Everything a page shows.
pub struct Page {
    pub title: String,
    pub subtitle: String,
    pub currency: String,
    /// (label, side) per scorecard row; side is "IT", "OT" or "cost".
    pub rows: Vec<(String, &'static str)>,
    pub columns: Vec<Column>,
    pub series: Vec<(String, Vec<(f64, f64)>)>,
    pub duration_h: f64,
    pub target_per_h: Option<f64>,
    pub markers: Vec<ChartMarker>,
    /// The plan's stops (from, to), in hours: shaded on the throughput chart.
    pub shaded: Vec<(f64, f64)>,
    /// The event log's section after the throughput chart: (section id, heading, HTML).
    pub timeline: Option<(String, String, String)>,
    /// (bar name, [(cause, hours)]).
    pub downtime: Vec<(String, Vec<(String, f64)>)>,
    pub downtime_title: String,
    /// (bar name, value, 95 % interval).
    pub cost: Vec<CostBar>,
    pub cost_title: String,
    /// Further tables: (heading, header, rows), cells as text.
    pub tables: Vec<(String, Vec<String>, Vec<Vec<String>>)>,
    /// Tables that lead the page, before the scorecard (the impact table).
    pub lead: Vec<(String, Vec<String>, Vec<Vec<String>>)>,
    /// Further charts after the cost: (section id, heading, SVG).
    pub figures: Vec<(String, String, String)>,
}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

type ChartResult = Result<(), Box<dyn std::error::Error>>;

pub fn table(head: &[String], rows: &[Vec<String>], id: Option<&str>) -> String {
    table_rows(head, rows, id, &[])
}

/// A table whose rows may carry an id (an anchor to link to), in order.
pub fn table_with_row_ids(head: &[String], rows: &[Vec<String>], ids: &[Option<String>]) -> String {
    table_rows(head, rows, None, ids)
}

fn table_rows(
    head: &[String],
    rows: &[Vec<String>],
    id: Option<&str>,
    row_ids: &[Option<String>],
) -> String {
    let mut out = match id {
        Some(id) => format!("<table id=\"{id}\">"),
        None => "<table>".to_string(),
    };
    out.push_str("<thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for (k, r) in rows.iter().enumerate() {
        match row_ids.get(k).and_then(Option::as_deref) {
            Some(id) => out.push_str(&format!("<tr id=\"{}\">", esc(id))),
            None => out.push_str("<tr>"),
        }
        for (i, c) in r.iter().enumerate() {
            if i == 0 {
                out.push_str(&format!("<th scope=\"row\">{}</th>", esc(c)));
            } else {
                out.push_str(&format!("<td>{}</td>", esc(c)));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// The stylesheet of every page (run, sweep, exercise pack, after-action): assets/report.css,
/// embedded at build time.
const CSS: &str = include_str!("../../../assets/report.css");

/// A whole HTML document around `body` (sections), self-contained.
pub fn document(title: &str, subtitle: &str, body: &str) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str(&format!("<title>{}</title>", esc(title)));
    out.push_str(&format!("<style>\n{CSS}</style></head><body>\n"));
    out.push_str(&format!(
        "<header><h1>{}</h1><p>{}</p></header><main>\n",
        esc(title),
        esc(subtitle)
    ));
    out.push_str(body);
    out.push_str("<footer><p>faultline — generated from the run's own figures; same inputs, same page.</p></footer>");
    out.push_str("</main></body></html>\n");
    out
}

/// The page, as one HTML document.
pub fn render(p: &Page) -> String {
    document(&p.title, &p.subtitle, &sections(p))
}

/// The page's sections (scorecard, charts, tables), for embedding in another page.
pub fn sections(p: &Page) -> String {
    let mut out = String::new();
    for (i, (h, head, rows)) in p.lead.iter().enumerate() {
        out.push_str(&format!(
            "<section id=\"lead-{i}\"><h2>{}</h2>{}</section>\n",
            esc(h),
            table(head, rows, None)
        ));
    }
    // The scorecard first: IT's and OT's figures side by side.
    out.push_str("<section id=\"scorecard-section\"><h2>IT/OT scorecard</h2>");
    out.push_str("<table id=\"scorecard\"><thead><tr><th>side</th><th>figure</th>");
    for c in &p.columns {
        out.push_str(&format!("<th>{}</th>", esc(&c.name)));
    }
    out.push_str("</tr></thead><tbody>");
    for (r, (label, side)) in p.rows.iter().enumerate() {
        let class = if *side == "IT" { "it" } else { "ot" };
        out.push_str(&format!(
            "<tr><td class=\"side {class}\">{side}</td><th scope=\"row\">{}</th>",
            esc(label)
        ));
        for c in &p.columns {
            out.push_str(&format!(
                "<td>{}</td>",
                esc(c.cells.get(r).map(String::as_str).unwrap_or(""))
            ));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></section>\n");
    out.push_str(&format!(
        "<section id=\"throughput\"><h2>Throughput over time</h2><div class=\"legend\">\
         <span><i class=\"sw\" style=\"background:#c81e1e\"></i>attack step that got through</span>\
         <span><i class=\"sw\" style=\"background:#1e5ac8\"></i>step blocked or failed / detection / response</span>\
         <span><i class=\"sw\" style=\"background:#3c3c3c\"></i>operator action (tick at the foot)</span>\
         <span><i class=\"sw\" style=\"background:#e6e6e6;border:1px solid #bbb\"></i>planned stop</span></div>{}</section>\n",
        throughput_chart(p)
    ));
    if let Some((id, h, html)) = &p.timeline {
        out.push_str(&format!(
            "<section id=\"{}\"><h2>{}</h2>{html}</section>\n",
            esc(id),
            esc(h)
        ));
    }
    out.push_str(&format!(
        "<section id=\"downtime\"><h2>{}</h2>{}</section>\n",
        esc(&p.downtime_title),
        downtime_chart(p)
    ));
    out.push_str(&format!(
        "<section id=\"cost\"><h2>{}</h2>{}</section>\n",
        esc(&p.cost_title),
        cost_chart(p)
    ));
    for (id, h, svg) in &p.figures {
        out.push_str(&format!(
            "<section id=\"{}\"><h2>{}</h2>{svg}</section>\n",
            esc(id),
            esc(h)
        ));
    }
    for (i, (h, head, rows)) in p.tables.iter().enumerate() {
        out.push_str(&format!(
            "<section id=\"table-{i}\"><h2>{}</h2>{}</section>\n",
            esc(h),
            table(head, rows, None)
        ));
    }
    out
}

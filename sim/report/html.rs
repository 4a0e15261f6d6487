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
    /// (bar name, [(cause, hours)]).
    pub downtime: Vec<(String, Vec<(String, f64)>)>,
    pub downtime_title: String,
    /// (bar name, value, 95 % interval).
    pub cost: Vec<CostBar>,
    pub cost_title: String,
    /// Further tables: (heading, header, rows), cells as text.
    pub tables: Vec<(String, Vec<String>, Vec<Vec<String>>)>,
}

/// Grey for normal; the series of a sweep in calm, distinguishable tones.
const SERIES: [RGBColor; 6] = [
    RGBColor(90, 90, 90),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];
const ATTACK: RGBColor = RGBColor(200, 30, 30);
const CONTROL: RGBColor = RGBColor(30, 90, 200);
const MUTED: RGBColor = RGBColor(150, 150, 150);

/// Colours of the downtime causes: normal losses in greys, the abnormal ones in colour.
fn cause_colour(cause: &str) -> RGBColor {
    match cause {
        "starved" => RGBColor(200, 200, 200),
        "blocked" => RGBColor(170, 170, 170),
        "failure" => RGBColor(120, 120, 120),
        "planned maintenance" => RGBColor(90, 90, 90),
        "stopped" => RGBColor(230, 190, 80),
        "safety trip" => RGBColor(240, 140, 0),
        "PLC in STOP" => RGBColor(160, 40, 120),
        "PLC fault" => RGBColor(120, 60, 160),
        "attack" => ATTACK,
        "blocked by control" => CONTROL,
        _ => RGBColor(60, 60, 60),
    }
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

/// Draw into an SVG string; a failure becomes a note in the page, not a panic.
fn svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>) -> ChartResult,
) -> String {
    let mut out = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        let r = root
            .fill(&WHITE)
            .map_err(|e| e.into())
            .and_then(|_| draw(&root));
        r.and_then(|_| root.present().map_err(|e| e.into()))
    };
    match result {
        Ok(()) => out,
        Err(e) => format!(
            "<p class=\"err\">chart not drawn: {}</p>",
            esc(&e.to_string())
        ),
    }
}

fn nice_max(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * mag >= v * 1.05 {
            return m * mag;
        }
    }
    10.0 * mag
}

fn throughput_chart(p: &Page) -> String {
    let ymax = nice_max(
        p.series
            .iter()
            .flat_map(|(_, s)| s.iter().map(|x| x.1))
            .chain(p.target_per_h)
            .fold(0.0, f64::max),
    );
    let xmax = p.duration_h.max(1e-3);
    svg((960, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..xmax, 0f64..ymax)?;
        chart
            .configure_mesh()
            .x_desc("simulated hour")
            .y_desc("good units per hour")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        if let Some(t) = p.target_per_h {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, t), (xmax, t)],
                    MUTED.stroke_width(1),
                )))?
                .label("target")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], MUTED.stroke_width(1))
                });
        }
        for m in &p.markers {
            let (c, top) = match m.kind {
                MarkerKind::Attack => (ATTACK, 1.0),
                MarkerKind::Stopped => (CONTROL, 1.0),
                MarkerKind::Detection => (CONTROL, 0.92),
            };
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(m.t_h, 0.0), (m.t_h, ymax * top)],
                c.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                m.label.clone(),
                (m.t_h, ymax * top),
                ("sans-serif", 12).into_font().color(&c),
            )))?;
        }
        for (i, (name, pts)) in p.series.iter().enumerate() {
            let c = SERIES[i % SERIES.len()];
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()?;
        Ok(())
    })
}

fn downtime_chart(p: &Page) -> String {
    let n = p.downtime.len().max(1);
    let ymax = nice_max(
        p.downtime
            .iter()
            .map(|(_, c)| c.iter().map(|x| x.1).sum::<f64>())
            .fold(0.0, f64::max),
    );
    let mut causes: Vec<&str> = Vec::new();
    for (_, c) in &p.downtime {
        for (k, _) in c {
            if !causes.contains(&k.as_str()) {
                causes.push(k);
            }
        }
    }
    let names: Vec<String> = p.downtime.iter().map(|d| d.0.clone()).collect();
    svg((960, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("hours of line downtime")
            .y_label_formatter(&|v| format!("{v:.1}"))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        for cause in &causes {
            let c = cause_colour(cause);
            let bars = p.downtime.iter().enumerate().filter_map(|(i, (_, parts))| {
                let below: f64 = parts
                    .iter()
                    .take_while(|(k, _)| k != cause)
                    .map(|x| x.1)
                    .sum();
                let h = parts.iter().find(|(k, _)| k == cause)?.1;
                (h > 0.0).then(|| {
                    let mut r = Rectangle::new(
                        [
                            (SegmentValue::Exact(i), below),
                            (SegmentValue::Exact(i + 1), below + h),
                        ],
                        c.filled(),
                    );
                    r.set_margin(0, 0, 18, 18);
                    r
                })
            });
            chart
                .draw_series(bars)?
                .label(cause.to_string())
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()?;
        Ok(())
    })
}

fn cost_chart(p: &Page) -> String {
    let n = p.cost.len().max(1);
    let ymax = nice_max(
        p.cost
            .iter()
            .map(|(_, v, ci)| ci.map(|c| c.1).unwrap_or(*v).max(*v))
            .fold(0.0, f64::max),
    );
    let ymin = p
        .cost
        .iter()
        .map(|(_, v, ci)| ci.map(|c| c.0).unwrap_or(*v).min(*v))
        .fold(0.0, f64::min);
    let ymin = if ymin < 0.0 { -nice_max(-ymin) } else { 0.0 };
    let names: Vec<String> = p.cost.iter().map(|d| d.0.clone()).collect();
    let currency = p.currency.clone();
    svg((960, 340), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d((0..n - 1).into_segmented(), ymin..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc(format!("{currency} per run"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        chart.draw_series(p.cost.iter().enumerate().map(|(i, (_, v, _))| {
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), *v),
                ],
                SERIES[0].mix(0.55).filled(),
            );
            r.set_margin(0, 0, 24, 24);
            r
        }))?;
        chart.draw_series(p.cost.iter().enumerate().filter_map(|(i, (_, v, ci))| {
            let (lo, hi) = (*ci)?;
            Some(ErrorBar::new_vertical(
                SegmentValue::CenterOf(i),
                lo,
                *v,
                hi,
                BLACK.stroke_width(2),
                16,
            ))
        }))?;
        Ok(())
    })
}

pub fn table(head: &[String], rows: &[Vec<String>], id: Option<&str>) -> String {
    let mut out = match id {
        Some(id) => format!("<table id=\"{id}\">"),
        None => "<table>".to_string(),
    };
    out.push_str("<thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
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

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0;background:#e9e9e9;color:#222}
header{background:#444;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;color:#ddd}
main{padding:12px 24px;max-width:1040px}
section{background:#fff;border:1px solid #ccc;margin:12px 0;padding:10px 16px}
h2{font-size:17px;margin:6px 0 10px;color:#333}
table{border-collapse:collapse;font-size:14px;margin:6px 0}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
thead th{background:#d6d6d6}
tbody th{text-align:left;font-weight:normal;background:#f4f4f4}
td.side,th.side{text-align:center;font-weight:bold}
.it{color:#1e5ac8}.ot{color:#444}
.legend span{display:inline-block;margin-right:14px;font-size:13px}
.sw{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.err{color:#c81e1e}
textarea{width:100%;min-height:3em}
";

/// A whole HTML document around `body` (sections), self-contained.
pub fn document(title: &str, subtitle: &str, body: &str) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str(&format!("<title>{}</title>", esc(title)));
    out.push_str(&format!("<style>{CSS}</style></head><body>\n"));
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
         <span><i class=\"sw\" style=\"background:#1e5ac8\"></i>step blocked or failed / detection</span></div>{}</section>\n",
        throughput_chart(p)
    ));
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
    for (i, (h, head, rows)) in p.tables.iter().enumerate() {
        out.push_str(&format!(
            "<section id=\"table-{i}\"><h2>{}</h2>{}</section>\n",
            esc(h),
            table(head, rows, None)
        ));
    }
    out
}

/// The scorecard rows, in order.
const SCORE_ROWS: &[(&str, &str, &str)] = &[
    ("attack_steps", "attack steps", "IT"),
    ("steps_blocked", "blocked", "IT"),
    ("steps_detected", "detected", "IT"),
    ("steps_succeeded", "succeeded", "IT"),
    ("time_to_detect_s", "mean time to detect (s)", "IT"),
    ("legit_flows_blocked", "legitimate flows blocked", "IT"),
    ("false_positives", "false positives", "IT"),
    ("production_pct", "production vs target (%)", "OT"),
    ("downtime_h", "unplanned downtime (h)", "OT"),
    ("attack_downtime_h", "downtime from attacks (h)", "OT"),
    ("control_downtime_h", "downtime from controls (h)", "OT"),
    ("oee", "OEE", "OT"),
    ("safety_trips", "safety trips", "OT"),
    ("scrap_units", "scrap units", "OT"),
    ("cost_total", "total cost", "cost"),
];

fn fmt(v: f64) -> String {
    if (v == v.trunc() && v.abs() < 1e15) || v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// The page of a single run (`faultline run --out`).
pub fn run_page(w: &World, s: &Summary) -> String {
    render(&run_model(w, s))
}

/// The page model of a single run.
pub fn run_model(w: &World, s: &Summary) -> Page {
    let sc = &s.scorecard;
    let opt = |v: Option<f64>| v.map(fmt).unwrap_or_else(|| "–".into());
    let cells = vec![
        sc.it.attack_steps.to_string(),
        sc.it.blocked.to_string(),
        sc.it.detected.to_string(),
        sc.it.succeeded.to_string(),
        opt(sc.it.mean_time_to_detect_s),
        sc.it.legitimate_flows_blocked.to_string(),
        sc.it.false_positives.to_string(),
        fmt(sc.ot.production_vs_target_pct),
        fmt(sc.ot.unplanned_downtime_h),
        fmt(sc.ot.downtime_from_attacks_h),
        fmt(sc.ot.downtime_from_controls_h),
        fmt(sc.ot.oee),
        sc.ot.safety_trips.to_string(),
        sc.ot.scrap_units.to_string(),
        format!("{} {:.0}", s.cost.currency, s.cost.total),
    ];
    // Ten-minute means of the per-minute rate.
    let mut pts = Vec::new();
    if let Some(tl) = &w.ledger.metrics.timeline {
        for chunk in tl.chunks(10) {
            let mean = chunk.iter().map(|x| x.rate_per_h as f64).sum::<f64>() / chunk.len() as f64;
            let t = chunk.last().map(|x| x.minute as f64 / 60.0).unwrap_or(0.0);
            pts.push((t, mean));
        }
    }
    let mut markers = Vec::new();
    for r in w.campaign.attacks.iter().filter(|r| r.started) {
        let (id, _) = r.spec.step.technique();
        let t = crate::time::to_hours(r.at);
        let kind = match r.outcome {
            Some(crate::attack::Outcome::Succeeded) => MarkerKind::Attack,
            _ => MarkerKind::Stopped,
        };
        markers.push(ChartMarker {
            t_h: t,
            label: id.to_string(),
            kind,
        });
        if let Some(d) = r.detected_at {
            markers.push(ChartMarker {
                t_h: crate::time::to_hours(d),
                label: "detected".into(),
                kind: MarkerKind::Detection,
            });
        }
    }
    // Downtime by root-cause station, stacked by cause.
    let mut downtime: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for c in &s.line.downtime_by_cause {
        match downtime.iter_mut().find(|d| d.0 == c.station) {
            Some(d) => d.1.push((c.cause.clone(), c.hours)),
            None => downtime.push((c.station.clone(), vec![(c.cause.clone(), c.hours)])),
        }
    }
    let cost = &s.cost;
    let ledger = vec![
        ("downtime".to_string(), cost.downtime, None),
        ("of it: attacks".to_string(), cost.downtime_attacks, None),
        ("of it: controls".to_string(), cost.downtime_controls, None),
        ("scrap".to_string(), cost.scrap, None),
        (
            "incident response".to_string(),
            cost.incident_response,
            None,
        ),
        ("false positives".to_string(), cost.false_positives, None),
        ("total".to_string(), cost.total, None),
    ];
    let steps: Vec<Vec<String>> = s
        .security
        .steps
        .iter()
        .map(|st| {
            vec![
                st.at.clone(),
                format!("{} {}", st.technique, st.name),
                st.from.clone(),
                st.target.clone(),
                st.outcome.clone(),
                st.detected_after_s.map(fmt).unwrap_or_else(|| "–".into()),
                fmt(st.downtime_h),
            ]
        })
        .collect();
    let mut tables = Vec::new();
    if !steps.is_empty() {
        tables.push((
            "Attack steps".to_string(),
            [
                "at",
                "technique",
                "from",
                "target",
                "outcome",
                "detected after (s)",
                "downtime (h)",
            ]
            .map(String::from)
            .to_vec(),
            steps,
        ));
    }
    tables.push((
        "Stations".to_string(),
        [
            "station", "PLC", "good out", "scrap", "failures", "trips", "OEE",
        ]
        .map(String::from)
        .to_vec(),
        s.stations
            .iter()
            .map(|st| {
                vec![
                    st.name.clone(),
                    st.plc.clone(),
                    st.units_out.to_string(),
                    st.scrap.to_string(),
                    st.failures.to_string(),
                    st.trips.to_string(),
                    fmt(st.oee.oee),
                ]
            })
            .collect(),
    ));
    Page {
        title: format!("faultline — {}", s.scenario),
        subtitle: format!(
            "one run: seed {}, {} h simulated, {} good units ({:.1} % of target)",
            s.seed, s.duration_h, s.line.good_units, s.line.attainment_pct
        ),
        currency: s.cost.currency.clone(),
        rows: SCORE_ROWS
            .iter()
            .map(|r| (r.1.to_string(), side(r.2)))
            .collect(),
        columns: vec![Column {
            name: format!("seed {}", s.seed),
            cells,
        }],
        series: vec![("good units per hour (10-min mean)".into(), pts)],
        duration_h: s.duration_h,
        target_per_h: Some(s.line.target_per_h),
        markers,
        downtime,
        downtime_title: "Line downtime by root-cause station and cause".into(),
        cost: ledger,
        cost_title: format!("Cost of the run ({})", s.cost.currency),
        tables,
    }
}

fn side(s: &str) -> &'static str {
    match s {
        "IT" => "IT",
        "OT" => "OT",
        _ => "cost",
    }
}

/// The page of a sweep: one scorecard column per variant, means with 95 % intervals.
pub fn sweep_page(s: &SweepSummary) -> String {
    let columns = s
        .variants
        .iter()
        .map(|v| Column {
            name: v.name.clone(),
            cells: SCORE_ROWS
                .iter()
                .map(|(m, _, _)| {
                    let st = &v.metrics[metric(m)].1;
                    if st.n == 0 {
                        "–".into()
                    } else if st.n > 1 && st.sd > 0.0 {
                        format!("{} [{}, {}]", fmt(st.mean), fmt(st.ci95.0), fmt(st.ci95.1))
                    } else {
                        fmt(st.mean)
                    }
                })
                .collect(),
        })
        .collect();
    let series = s
        .variants
        .iter()
        .map(|v| {
            let pts = v
                .throughput_per_h
                .iter()
                .enumerate()
                .map(|(h, g)| (h as f64 + 0.5, *g))
                .collect();
            (v.name.clone(), pts)
        })
        .collect();
    // Markers from the baseline's first seed; the variants' outcomes are in the table.
    let mut markers = Vec::new();
    if let Some(b) = s.variants.first() {
        for m in &b.markers {
            markers.push(ChartMarker {
                t_h: m.t_h,
                label: m.technique.clone(),
                kind: if m.outcome == "succeeded" {
                    MarkerKind::Attack
                } else {
                    MarkerKind::Stopped
                },
            });
        }
    }
    let first = crate::sweep::first_cause();
    let downtime = s
        .variants
        .iter()
        .map(|v| {
            let parts = crate::sweep::METRICS[first..]
                .iter()
                .enumerate()
                .map(|(k, d)| (d.label.to_string(), v.metrics[first + k].1.mean))
                .filter(|x| x.1 > 0.0)
                .collect();
            (v.name.clone(), parts)
        })
        .collect();
    let cost_m = metric("cost_total");
    let cost = s
        .variants
        .iter()
        .map(|v| {
            let st = &v.metrics[cost_m].1;
            (v.name.clone(), st.mean, Some(st.ci95))
        })
        .collect();
    let ranking = s
        .ranking
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                format!("{}. {}", i + 1, r.name),
                fmt(r.net_saving.mean),
                format!(
                    "[{}, {}]",
                    fmt(r.net_saving.ci95.0),
                    fmt(r.net_saving.ci95.1)
                ),
                fmt(r.attack_losses_avoided),
                fmt(r.control_friction_added),
                format!("{:.0} %", r.p_saves_money * 100.0),
            ]
        })
        .collect();
    let steps = s
        .variants
        .iter()
        .map(|v| {
            let list: Vec<String> = v
                .markers
                .iter()
                .map(|m| {
                    format!(
                        "{} at {:.2} h: {}{}",
                        m.technique,
                        m.t_h,
                        m.outcome,
                        if m.detected { ", detected" } else { "" }
                    )
                })
                .collect();
            vec![
                v.name.clone(),
                v.description.clone(),
                if list.is_empty() {
                    "–".into()
                } else {
                    list.join("; ")
                },
            ]
        })
        .collect();
    render(&Page {
        title: format!("faultline sweep — {}", s.scenario),
        subtitle: format!(
            "{} seed(s) from {} × {} variant(s), {} h each; baseline \"{}\"; intervals are 95 % (Student's t), differences paired by seed",
            s.runs,
            s.first_seed,
            s.variants.len(),
            s.duration_h,
            s.variants.first().map(|v| v.name.as_str()).unwrap_or("-")
        ) + &s
            .stopping
            .as_ref()
            .map(|st| format!("; {}", st.describe(s.runs)))
            .unwrap_or_default(),
        currency: "$".into(),
        rows: SCORE_ROWS
            .iter()
            .map(|r| (r.1.to_string(), side(r.2)))
            .collect(),
        columns,
        series,
        duration_h: s.duration_h,
        target_per_h: None,
        markers,
        downtime,
        downtime_title: "Mean line downtime by cause, per variant (hours per run)".into(),
        cost,
        cost_title: "Mean total cost per run, per variant, with 95 % intervals".into(),
        tables: vec![
            (
                "Ranking by expected net saving against the baseline".into(),
                [
                    "variant",
                    "net saving per run",
                    "95 % interval",
                    "attack losses avoided",
                    "control friction added",
                    "P(saves money)",
                ]
                .map(String::from)
                .to_vec(),
                ranking,
            ),
            (
                "Variants and attack steps on the first seed".into(),
                ["variant", "what it is", "attack steps"]
                    .map(String::from)
                    .to_vec(),
                steps,
            ),
        ],
    })
}

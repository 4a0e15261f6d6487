//! The charts a budget meeting reads: the waterfall from what the recipes allowed to good
//! units by loss
//! category and cause (a run), and the loss exceedance curve of each variant (a sweep).

use super::*;

/// A step of the waterfall: its label, its lost units (negative: units made up), and
/// whether an attack or a control owns it (for its colour).
pub struct WaterfallStep {
    pub label: String,
    pub units: f64,
    pub owner: Owner,
    /// The loss tree's line the bar is (its index in `loss_tree.losses`), which the bar
    /// links to; none for the folded rest.
    pub line: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Attack,
    Control,
    Operations,
}

/// The run's loss tree as waterfall steps: the largest `keep` lines by size, the rest
/// folded into one step, so the ideal − Σ steps = good exactly as the tree closes.
pub fn waterfall_steps(s: &Summary, keep: usize) -> Vec<WaterfallStep> {
    let mut lines: Vec<(usize, &crate::report::LossLine)> = s
        .loss_tree
        .losses
        .iter()
        .enumerate()
        .filter(|(_, l)| l.units.abs() >= 0.5)
        .collect();
    lines.sort_by(|a, b| b.1.units.abs().total_cmp(&a.1.units.abs()));
    let owner = |cause: &str| {
        if cause.starts_with("step ") || cause.starts_with("actor: ") {
            Owner::Attack
        } else if cause.starts_with("control: ") {
            Owner::Control
        } else {
            Owner::Operations
        }
    };
    let mut steps: Vec<WaterfallStep> = lines
        .iter()
        .take(keep)
        .map(|&(k, l)| WaterfallStep {
            label: format!("{} — {}", l.category.label(), short(&l.cause)),
            units: l.units,
            owner: owner(&l.cause),
            line: Some(k),
        })
        .collect();
    let shown: f64 = steps.iter().map(|x| x.units).sum();
    let all: f64 = s.loss_tree.losses.iter().map(|l| l.units).sum();
    let rest = all - shown;
    if rest.abs() >= 0.5 {
        steps.push(WaterfallStep {
            label: "everything else".into(),
            units: rest,
            owner: Owner::Operations,
            line: None,
        });
    }
    steps
}

fn short(cause: &str) -> String {
    let c: String = cause.chars().take(44).collect();
    if c.len() < cause.len() { c + "…" } else { c }
}

fn colour(o: Owner) -> RGBColor {
    match o {
        Owner::Attack => ATTACK,
        Owner::Control => CONTROL,
        Owner::Operations => RGBColor(150, 150, 150),
    }
}

/// From what the recipes allowed (top bar) down through each loss to good units (bottom bar).
pub fn waterfall_chart(target: f64, good: f64, steps: &[WaterfallStep]) -> String {
    let n = steps.len() + 2;
    let mut level = target;
    let mut bars: Vec<(String, f64, f64, RGBColor)> = vec![(
        "the recipes allowed".into(),
        0.0,
        target,
        RGBColor(60, 60, 60),
    )];
    for st in steps {
        let next = level - st.units;
        bars.push((
            format!("{} ({:+.0})", st.label, -st.units),
            next.min(level),
            next.max(level),
            colour(st.owner),
        ));
        level = next;
    }
    bars.push(("good units".into(), 0.0, good, RGBColor(60, 60, 60)));
    let xmax = nice_max(bars.iter().map(|b| b.2).fold(0.0, f64::max));
    let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
    // Where each bar leads: a loss to its line of the loss tree's table, the totals and the
    // folded rest to the table.
    let links: Vec<(String, String)> = std::iter::once(None)
        .chain(steps.iter().map(|st| st.line))
        .chain(std::iter::once(None))
        .zip(&labels)
        .map(|(line, label)| {
            let to = line.map_or("loss-tree".to_string(), |k| format!("loss-{k}"));
            (to, label.clone())
        })
        .collect();
    let chart = svg((960, 40 + 26 * n as u32), |root| {
        // Room on the right for half of the last x label, centred on the axis's end.
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(32)
            .x_label_area_size(36)
            .y_label_area_size(380)
            .build_cartesian_2d(0f64..xmax, (0..n - 1).into_segmented())?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("units")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| match v {
                // Top to bottom: row 0 is drawn last (highest).
                SegmentValue::CenterOf(i) => labels.get(n - 1 - *i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_labels(n)
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(k, (_, lo, hi, c))| {
            let row = n - 1 - k;
            let mut r = Rectangle::new(
                [
                    (*lo, SegmentValue::Exact(row)),
                    (hi.max(lo + xmax * 0.001), SegmentValue::Exact(row + 1)),
                ],
                c.filled(),
            );
            r.set_margin(4, 4, 0, 0);
            r
        }))?;
        Ok(())
    });
    linked(&chart, &links)
}

/// The SVG with its last `links.len()` rectangles (the bars, drawn last and in order) each
/// inside a link to its `#id`, titled with its label.
fn linked(svg: &str, links: &[(String, String)]) -> String {
    let rects: Vec<usize> = svg.match_indices("<rect").map(|(k, _)| k).collect();
    if rects.len() < links.len() {
        return svg.to_string();
    }
    let mut out = String::with_capacity(svg.len() + 80 * links.len());
    let mut from = 0;
    for (&at, (to, label)) in rects[rects.len() - links.len()..].iter().zip(links) {
        let Some(end) = svg[at..].find("/>").map(|e| at + e + 2) else {
            return svg.to_string();
        };
        out.push_str(&svg[from..at]);
        out.push_str(&format!(
            "<a href=\"#{to}\"><title>{}</title>{}</a>",
            esc(label),
            &svg[at..end]
        ));
        from = end;
    }
    out.push_str(&svg[from..]);
    out
}

/// Each variant's loss exceedance curve: P(a year's attack losses > x).
/// A variant's loss exceedance curve and its band: (x, P(loss > x)) and (x, P at the
/// frequency's P10, at its P90).
pub type Exceedance = (String, Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

/// The loss exceedance curves, each with its band shaded (the frequency held at its P10
/// and P90).
pub fn exceedance_chart(curves: &[Exceedance], currency: &str) -> String {
    let xmax = nice_max(
        curves
            .iter()
            .flat_map(|c| c.1.iter().map(|p| p.0))
            .fold(0.0, f64::max),
    );
    svg((960, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..xmax, 0f64..1f64)?;
        chart
            .configure_mesh()
            .x_desc(format!("a year's attack losses ({currency})"))
            .y_desc("probability of exceeding")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{:.0} %", v * 100.0))
            .light_line_style(RGBColor(240, 240, 240))
            .draw()?;
        for (i, (_, _, band)) in curves.iter().enumerate() {
            let c = SERIES[i % SERIES.len()];
            let outline: Vec<(f64, f64)> = band
                .iter()
                .map(|b| (b.0, b.1))
                .chain(band.iter().rev().map(|b| (b.0, b.2)))
                .collect();
            chart.draw_series(std::iter::once(Polygon::new(outline, c.mix(0.12).filled())))?;
        }
        for (i, (name, pts, _)) in curves.iter().enumerate() {
            let c = SERIES[i % SERIES.len()];
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], c.stroke_width(2)));
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

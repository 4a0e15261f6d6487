//! The report's SVG charts (plotters): throughput over time with its planned stops shaded and
//! attack, detection, response and operator markers; downtime by cause; cost with error bars.

use super::*;

/// Grey for normal; the series of a sweep in calm, distinguishable tones.
pub(crate) const SERIES: [RGBColor; 6] = [
    RGBColor(90, 90, 90),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(23, 190, 207),
];

pub(crate) const ATTACK: RGBColor = RGBColor(200, 30, 30);

pub(crate) const CONTROL: RGBColor = RGBColor(30, 90, 200);

/// An operator's action: a tick at the chart's foot.
pub(crate) const OPERATOR: RGBColor = RGBColor(60, 60, 60);

pub(crate) const MUTED: RGBColor = RGBColor(150, 150, 150);

/// Colours of the downtime causes: normal losses in greys, the abnormal ones in colour.
pub(crate) fn cause_colour(cause: &str) -> RGBColor {
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

/// Draw into an SVG string; a failure becomes a note in the page, not a panic.
pub(crate) fn svg(
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

pub(crate) fn nice_max(v: f64) -> f64 {
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

pub(crate) fn throughput_chart(p: &Page) -> String {
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
        for &(a, b) in &p.shaded {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(a, 0.0), (b.min(xmax), ymax)],
                RGBColor(230, 230, 230).filled(),
            )))?;
        }
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
                MarkerKind::Response => (CONTROL, 0.84),
                MarkerKind::Operator => (OPERATOR, 0.05),
            };
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(m.t_h, 0.0), (m.t_h, ymax * top)],
                c.stroke_width(2),
            )))?;
            if m.label.is_empty() {
                continue;
            }
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

pub(crate) fn downtime_chart(p: &Page) -> String {
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

pub(crate) fn cost_chart(p: &Page) -> String {
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

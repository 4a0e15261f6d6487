//! The process trends of a run: for each thermal station, its temperature beside the band
//! of the product in the zone, the trip limit and the setpoint its PLC holds, and what the
//! HMI displayed where that is not the truth (an adversary in the middle replaying a normal
//! status, a poll that stopped answering).

use super::*;
use crate::world::World;

/// One thermal station's minute series.
pub(crate) struct Trend {
    pub station: String,
    pub trip_c: f64,
    /// One point a minute.
    pub points: Vec<TrendPoint>,
}

#[derive(Clone, Copy)]
pub(crate) struct TrendPoint {
    pub t_h: f64,
    pub temp_c: f64,
    pub setpoint_c: Option<f64>,
    pub shown_c: Option<f64>,
    pub shown_setpoint_c: Option<f64>,
    pub band_c: (f64, f64),
}

/// The trends of every thermal station, from the per-minute timeline (none without one).
pub(crate) fn trends(w: &World) -> Vec<Trend> {
    let Some(tl) = &w.ledger.metrics.timeline else {
        return Vec::new();
    };
    w.plant
        .stations
        .iter()
        .filter_map(|st| {
            st.thermal
                .as_ref()
                .map(|th| (st.name.clone(), th.trip_above_c))
        })
        .enumerate()
        .map(|(k, (station, trip_c))| Trend {
            station,
            trip_c,
            points: tl
                .iter()
                .filter_map(|s| {
                    Some(TrendPoint {
                        t_h: s.minute as f64 / 60.0,
                        temp_c: *s.temps_c.get(k)?,
                        setpoint_c: s.setpoints_c.get(k).copied().flatten(),
                        shown_c: s.shown_temps_c.get(k).copied().flatten(),
                        shown_setpoint_c: s.shown_setpoints_c.get(k).copied().flatten(),
                        band_c: *s.bands_c.get(k)?,
                    })
                })
                .collect(),
        })
        .collect()
}

/// Whether the HMI showed something other than the truth at a point: a temperature more
/// than half a degree off, or a setpoint not the PLC's.
fn differs(p: &TrendPoint) -> bool {
    let temp = p.shown_c.is_some_and(|s| (s - p.temp_c).abs() > 0.5);
    let sp = match (p.shown_setpoint_c, p.setpoint_c) {
        (Some(a), Some(b)) => (a - b).abs() > 0.05,
        _ => false,
    };
    temp || sp
}

/// Minutes the HMI's view of the station differed from the truth.
pub(crate) fn minutes_misled(t: &Trend) -> usize {
    t.points.iter().filter(|p| differs(p)).count()
}

/// The series of `pick` split into runs of consecutive points where `keep` holds.
fn runs(
    pts: &[TrendPoint],
    keep: impl Fn(&TrendPoint) -> bool,
    pick: impl Fn(&TrendPoint) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut open = false;
    for p in pts {
        match pick(p).filter(|_| keep(p)) {
            Some(v) => {
                if !open {
                    out.push(Vec::new());
                    open = true;
                }
                if let Some(r) = out.last_mut() {
                    r.push((p.t_h, v));
                }
            }
            None => open = false,
        }
    }
    out
}

const TRUTH: RGBColor = RGBColor(30, 30, 30);
const SETPOINT: RGBColor = RGBColor(31, 119, 180);
const SHOWN: RGBColor = RGBColor(230, 120, 0);
const BAND: RGBColor = RGBColor(44, 160, 44);

/// One station's chart: the band shaded, the trip limit, the PLC's setpoint, the true
/// temperature, and the HMI's displayed temperature and setpoint where they differ from it.
pub(crate) fn trend_chart(t: &Trend, duration_h: f64) -> String {
    let pts = &t.points;
    let lo = pts
        .iter()
        .flat_map(|p| [p.temp_c, p.band_c.0, p.shown_c.unwrap_or(p.temp_c)])
        .chain(pts.iter().filter_map(|p| p.setpoint_c))
        .fold(f64::INFINITY, f64::min);
    let hi = pts
        .iter()
        .flat_map(|p| [p.temp_c, p.band_c.1, p.shown_c.unwrap_or(p.temp_c)])
        .chain(pts.iter().filter_map(|p| p.setpoint_c))
        .fold(t.trip_c, f64::max);
    let (ymin, ymax) = if lo.is_finite() {
        ((lo - 3.0).floor(), (hi + 3.0).ceil())
    } else {
        (0.0, t.trip_c + 5.0)
    };
    let xmax = duration_h.max(1e-3);
    svg((960, 300), |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0f64..xmax, ymin..ymax)?;
        chart
            .configure_mesh()
            .x_desc("simulated hour")
            .y_desc("°C")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(240, 240, 240))
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        // The band of the product in the zone, as it changes with the recipe.
        let mut band: Vec<(f64, f64)> = pts.iter().map(|p| (p.t_h, p.band_c.1)).collect();
        band.extend(pts.iter().rev().map(|p| (p.t_h, p.band_c.0)));
        if !band.is_empty() {
            chart
                .draw_series(std::iter::once(Polygon::new(band, BAND.mix(0.15).filled())))?
                .label("band of the product in the zone")
                .legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], BAND.mix(0.3).filled())
                });
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, t.trip_c), (xmax, t.trip_c)],
                ATTACK.stroke_width(1),
            )))?
            .label("trip limit")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], ATTACK.stroke_width(1)));
        let at_plc = runs(pts, |_| true, |p| p.setpoint_c);
        dashed(
            &mut chart,
            at_plc,
            (6, 4),
            SETPOINT.stroke_width(2),
            "setpoint at the PLC",
        )?;
        chart
            .draw_series(LineSeries::new(
                pts.iter().map(|p| (p.t_h, p.temp_c)),
                TRUTH.stroke_width(2),
            ))?
            .label("temperature (true)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], TRUTH.stroke_width(2)));
        let (shown, shown_sp) = (SHOWN.stroke_width(3), SHOWN.stroke_width(1));
        let label = "temperature the HMI showed (where not true)";
        dashed(
            &mut chart,
            runs(pts, differs, |p| p.shown_c),
            (3, 3),
            shown,
            label,
        )?;
        let label = "setpoint the HMI showed (where not true)";
        dashed(
            &mut chart,
            runs(pts, differs, |p| p.shown_setpoint_c),
            (8, 3),
            shown_sp,
            label,
        )?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .draw()?;
        Ok(())
    })
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Runs of a series as dashed lines (`dash`: length and gap), labelled once in the legend.
fn dashed(
    chart: &mut Chart,
    runs: Vec<Vec<(f64, f64)>>,
    dash: (u32, u32),
    style: ShapeStyle,
    label: &str,
) -> ChartResult {
    for (k, r) in runs.into_iter().enumerate() {
        let s = chart.draw_series(DashedLineSeries::new(r, dash.0, dash.1, style))?;
        if k == 0 {
            s.label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
        }
    }
    Ok(())
}

/// The figures of the process trends: one per thermal station, its heading saying how
/// long the HMI's view was not the truth.
pub(crate) fn trend_figures(w: &World, duration_h: f64) -> Vec<(String, String, String)> {
    trends(w)
        .iter()
        .map(|t| {
            let misled = minutes_misled(t);
            let note = if misled == 0 {
                "the HMI showed the truth throughout".to_string()
            } else {
                format!(
                    "the HMI's view was not the truth for {} (orange)",
                    hours_minutes(misled)
                )
            };
            (
                format!("process-{}", t.station),
                format!(
                    "Process trend — {}: temperature, setpoint, band and trip limit; {note}",
                    t.station
                ),
                trend_chart(t, duration_h),
            )
        })
        .collect()
}

/// Minutes as "3 h 05 min" (or "45 min").
fn hours_minutes(m: usize) -> String {
    if m < 60 {
        format!("{m} min")
    } else {
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

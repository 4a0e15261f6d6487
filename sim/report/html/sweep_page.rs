//! The page of a sweep: the scorecard per variant with intervals, the ranking and the charts.

use super::*;

/// The page of a sweep: one scorecard column per variant, means with 95 % intervals.
pub fn sweep_page(s: &SweepSummary) -> String {
    let columns = score_columns(s);
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
    let ranking = ranking_rows(s);
    let steps = step_rows(s);
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
        lead: Vec::new(),
        figures: s
            .annual
            .as_ref()
            .map(|a| {
                let curves: Vec<(String, Vec<(f64, f64)>)> = a
                    .iter()
                    .map(|v| (v.name.clone(), v.exceedance.clone()))
                    .collect();
                vec![(
                    "exceedance".to_string(),
                    "Loss exceedance: the chance that a year's attack losses exceed each amount, per variant".to_string(),
                    exceedance_chart(&curves, "$"),
                )]
            })
            .unwrap_or_default(),
        tables: annual_tables(s)
            .into_iter()
            .chain(vec![
            (
                "Ranking by expected net saving against the baseline".into(),
                [
                    "variant",
                    "net saving per run",
                    "95 % interval",
                    "attack losses avoided",
                    "control friction added",
                    "other costs avoided",
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
        ])
            .collect(),
    })
}

/// Risk and return per year, when the scenario has a risk section.
fn annual_tables(s: &SweepSummary) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
    let (Some(annual), Some(r)) = (&s.annual, &s.risk) else {
        return Vec::new();
    };
    let ci = |st: &crate::sweep::Stat| st.interval();
    let rows = annual
        .iter()
        .map(|a| {
            let d = a.vs_baseline.as_ref();
            vec![
                a.name.clone(),
                ci(&a.ale),
                format!("{:.0}", a.ale_p90),
                format!("{:.0}", a.ale_p99),
                format!("{:.0}", a.ownership),
                ci(&a.friction),
                d.map_or("baseline".into(), |d| ci(&d.net_benefit)),
                d.map_or(String::new(), |d| {
                    format!(
                        "{:.0} + {:.0} − {:.0}",
                        d.attack_losses_avoided, d.other_losses_avoided, d.control_cost_added
                    )
                }),
                d.and_then(|d| d.rosi.as_ref()).map_or(String::new(), |x| {
                    format!("{:.2} [{:.2}, {:.2}]", x.mean, x.ci95.0, x.ci95.1)
                }),
                d.map_or(String::new(), |d| format!("{:.2}", d.p_net_positive)),
            ]
        })
        .collect();
    vec![(
        format!(
            "Per year: {:.2} campaigns a year on average, {:.0} operating days ({} simulated years)",
            r.campaigns_per_year.mean(),
            r.operating_days,
            crate::sweep::YEARS
        ),
        [
            "variant",
            "annualized loss exposure (95 % CI)",
            "P90",
            "P99",
            "owning the controls /yr",
            "friction /yr (95 % CI)",
            "net benefit /yr (95 % CI)",
            "= attack losses avoided + other losses avoided − control cost added",
            "ROSI (95 % CI)",
            "P(net > 0)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    )]
}

/// The scorecard: one column per variant, means with 95 % intervals.
fn score_columns(s: &SweepSummary) -> Vec<Column> {
    s.variants
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
        .collect()
}

/// The ranking by expected net saving against the baseline.
fn ranking_rows(s: &SweepSummary) -> Vec<Vec<String>> {
    s.ranking
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
                fmt(r.other_costs_avoided),
                format!("{:.0} %", r.p_saves_money * 100.0),
            ]
        })
        .collect()
}

/// Each variant's attack steps on the first seed.
fn step_rows(s: &SweepSummary) -> Vec<Vec<String>> {
    s.variants
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
        .collect()
}

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
    let (markers, downtime, cost) = (markers(s), downtime_bars(s), cost_bars(s));
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
            .map(|st| format!("; {}", st.describe(s.runs, &s.currency)))
            .unwrap_or_default(),
        currency: s.currency.clone(),
        rows: SCORE_ROWS
            .iter()
            .map(|r| (r.1.to_string(), side(r.2)))
            .collect(),
        columns,
        series,
        duration_h: s.duration_h,
        target_per_h: None,
        markers,
        shaded: Vec::new(),
        timeline: None,
        downtime,
        downtime_title: "Mean line downtime by cause, per variant (hours per run)".into(),
        cost,
        cost_title: "Mean total cost per run, per variant, with 95 % intervals".into(),
        lead: Vec::new(),
        figures: s
            .annual
            .as_ref()
            .map(|a| {
                let curves: Vec<_> = a
                    .iter()
                    .map(|v| (v.name.clone(), v.exceedance.clone(), v.exceedance_band.clone()))
                    .collect();
                vec![(
                    "exceedance".to_string(),
                    "Loss exceedance: the chance that a year's attack losses exceed each amount, per variant; the shaded band holds the campaign frequency at its 10th and 90th percentile".to_string(),
                    exceedance_chart(&curves, &s.currency),
                )]
            })
            .unwrap_or_default(),
        tables: annual_tables(s)
            .into_iter()
            .chain(budget_table(s))
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

/// The baseline's first seed's attack steps, as chart markers (the variants' outcomes are
/// in the table).
fn markers(s: &SweepSummary) -> Vec<ChartMarker> {
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
    markers
}

/// Each variant's mean line downtime by cause (hours per run), causes with any.
fn downtime_bars(s: &SweepSummary) -> Vec<(String, Vec<(String, f64)>)> {
    let first = crate::sweep::first_cause();
    s.variants
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
        .collect()
}

/// Each variant's mean total cost per run, with its 95 % interval.
fn cost_bars(s: &SweepSummary) -> Vec<CostBar> {
    let cost_m = metric("cost_total");
    s.variants
        .iter()
        .map(|v| {
            let st = &v.metrics[cost_m].1;
            (v.name.clone(), st.mean, Some(st.ci95))
        })
        .collect()
}

/// Risk and return per year, when the scenario has a risk section: each variant's year,
/// each control against the baseline, and what moves the answer most.
fn annual_tables(s: &SweepSummary) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
    let (Some(annual), Some(r)) = (&s.annual, &s.risk) else {
        return Vec::new();
    };
    let cur = &s.currency;
    let ci = |st: &crate::sweep::Stat| st.interval();
    let pct = |p: &crate::sweep::Percentiles| vec![fmt(p.p5), fmt(p.p50), fmt(p.p95), fmt(p.p99)];
    let heads = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let years = annual
        .iter()
        .map(|a| {
            let mut row = vec![a.name.clone(), ci(&a.ale)];
            row.extend(pct(&a.annual_loss));
            row.extend([fmt(a.ownership), ci(&a.friction)]);
            row
        })
        .collect();
    let deltas: Vec<_> = annual
        .iter()
        .filter_map(|a| a.vs_baseline.as_ref().map(|d| (a, d)))
        .collect();
    let nets = deltas
        .iter()
        .map(|(a, d)| {
            let mut row = vec![a.name.clone(), ci(&d.net_benefit_mean)];
            row.extend(pct(&d.net_benefit));
            row.extend([
                format!("{:.2}", d.p_net_positive),
                d.break_even_frequency
                    .map_or("never".into(), |f| format!("{f:.3}")),
                format!(
                    "{} + {} + {} − {}",
                    fmt(d.attack_production_avoided),
                    fmt(d.attack_fees_avoided),
                    fmt(d.other_losses_avoided),
                    fmt(d.control_cost_added)
                ),
                d.rosi.as_ref().map_or(String::new(), |x| {
                    format!("{:.2} [{:.2}, {:.2}]", x.mean, x.ci95.0, x.ci95.1)
                }),
            ]);
            row
        })
        .collect();
    let swings = deltas
        .iter()
        .flat_map(|(a, d)| {
            d.sensitivity.iter().map(|w| {
                vec![
                    a.name.clone(),
                    w.input.clone(),
                    format!("{} – {}", fmt(w.low), fmt(w.high)),
                    fmt(w.net_at_low),
                    fmt(w.net_at_high),
                    fmt(w.width()),
                ]
            })
        })
        .collect();
    vec![
        (
            format!(
                "Per year ({cur}): {:.2} campaigns a year on average, {:.0} operating days; percentiles over {} simulated years, each drawing {}",
                r.campaigns_per_year.mean(),
                r.operating_days,
                crate::sweep::YEARS,
                r.drawn()
            ),
            heads(&[
                "variant",
                "annualized loss exposure, mean [95 % interval on the mean]",
                "a year's attack losses P5",
                "P50",
                "P95",
                "P99",
                "owning the controls /yr",
                "friction /yr (95 % CI)",
            ]),
            years,
        ),
        (
            format!("Net benefit per year against the baseline ({cur})"),
            heads(&[
                "variant",
                "mean [95 % interval on the mean]",
                "a year's net P5",
                "P50",
                "P95",
                "P99",
                "P(net > 0)",
                "break-even campaigns /yr",
                "mean = production avoided + fees avoided + other losses avoided − control cost added",
                "ROSI (95 % CI)",
            ]),
            nets,
        ),
        (
            format!(
                "What moves the net benefit most: each input over its P10–P90, the others at their medians ({cur}/yr)"
            ),
            heads(&[
                "variant",
                "input",
                "P10 – P90",
                "net at P10",
                "net at P90",
                "swing",
            ]),
            swings,
        ),
    ]
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

/// What to buy first, when the sweep had `--budget`.
fn budget_table(s: &SweepSummary) -> Option<(String, Vec<String>, Vec<Vec<String>>)> {
    let b = s.budget.as_ref()?;
    let cur = &s.currency;
    let row = |rank: String, p: &crate::sweep::Portfolio| {
        vec![
            rank,
            p.name.clone(),
            fmt(p.ownership_added),
            fmt(p.friction_added),
            fmt(p.net_benefit_mean),
            p.p_net_positive.map_or("–".into(), |x| format!("{x:.2}")),
            fmt(p.annual_loss_p90),
        ]
    };
    let rows = b
        .within
        .iter()
        .enumerate()
        .map(|(i, p)| row(format!("{}", i + 1), p))
        .chain(b.over.iter().map(|p| row("over budget".into(), p)))
        .collect();
    Some((
        format!(
            "What to buy first within {} {cur} a year of ownership, by expected net benefit per year",
            fmt(b.amount)
        ),
        [
            "rank",
            "portfolio",
            "owning /yr",
            "friction /yr",
            "net benefit /yr (mean)",
            "P(net > 0)",
            "a year's attack losses P90",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    ))
}

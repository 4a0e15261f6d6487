//! The page of one run: scorecard, charts, cost ledger, attack steps and stations.

use super::*;

/// The scorecard rows, in order.
pub(crate) const SCORE_ROWS: &[(&str, &str, &str)] = &[
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
    ("oee", "OEE = availability × performance × quality", "OT"),
    ("safety_trips", "safety trips", "OT"),
    ("scrap_units", "scrap units", "OT"),
    ("cost_total", "total cost", "cost"),
    ("cost_attacks", "of it owed to attacks", "cost"),
    ("cost_controls", "of it owed to controls", "cost"),
];

pub(crate) fn fmt(v: f64) -> String {
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
    run_page_with(w, s, None)
}

/// The page of one run, led by its impact table when there is one.
pub fn run_page_with(w: &World, s: &Summary, impact: Option<&crate::impact::Impact>) -> String {
    let mut page = run_model(w, s);
    if let Some(i) = impact {
        page.lead.push(crate::report::impact::impact_table(i));
    }
    render(&page)
}

/// The page model of a single run.
pub fn run_model(w: &World, s: &Summary) -> Page {
    let mut tables: Vec<Table> = Vec::new();
    tables.extend(steps_table(s));
    if let Some(a) = &s.actors {
        tables.push(actors_table(s, a));
    }
    tables.extend(out_of_band_table(s));
    if let Some(fw) = &s.security.firewall {
        tables.extend(super::control_tables::firewall_tables(s, fw));
    }
    tables.extend(super::control_tables::control_tables(s));
    tables.push(stations_table(s));
    // The event log folded once: its marks on the chart and its table.
    let folds = w
        .ledger
        .metrics
        .events
        .as_deref()
        .map(super::timeline::fold)
        .unwrap_or_default();
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
            cells: score_cells(s),
        }],
        series: vec![("good units per hour (10-min mean)".into(), throughput(w))],
        duration_h: s.duration_h,
        target_per_h: Some(s.line.target_per_h),
        markers: attack_markers(w)
            .into_iter()
            .chain(super::timeline::action_markers(&folds))
            .collect(),
        shaded: super::timeline::planned_stops(w),
        timeline: w
            .ledger
            .metrics
            .events
            .as_ref()
            .map(|e| super::timeline::events_section(e.len(), &folds)),
        downtime: downtime_stacks(s),
        downtime_title: "Line downtime by root-cause station and cause".into(),
        cost: cost_bars(s),
        cost_title: format!("Cost of the run ({})", s.cost.currency),
        tables,
        lead: Vec::new(),
        figures: figures(w, s),
    }
}

/// The figures after the cost: each thermal station's process trend, the run on the
/// ATT&CK for ICS matrix, the loss tree's waterfall.
fn figures(w: &World, s: &Summary) -> Vec<(String, String, String)> {
    let mut out = super::process_chart::trend_figures(w, s.duration_h);
    if let Some(m) = super::attack_matrix::matrix(s) {
        out.push((
            "attack-matrix".into(),
            "ATT&CK for ICS: the techniques of this run by tactic, and what became of them".into(),
            m,
        ));
    }
    out.push((
        "waterfall".into(),
        "From what the recipes allowed to good units: every loss by category and cause (red: attacks, blue: controls)".into(),
        waterfall_chart(
            s.loss_tree.ideal_units + s.loss_tree.made_outside_planned,
            s.line.good_units as f64,
            &waterfall_steps(s, 12),
        ),
    ));
    let (h, head, rows) = loss_tree_table(s);
    // Each loss's row is the anchor its waterfall bar links to.
    let ids: Vec<Option<String>> = std::iter::once(None)
        .chain((s.loss_tree.made_outside_planned > 0.0).then_some(None))
        .chain((0..s.loss_tree.losses.len()).map(|k| Some(format!("loss-{k}"))))
        .chain(std::iter::once(None))
        .collect();
    out.push((
        "loss-tree".into(),
        h,
        table_with_row_ids(&head, &rows, &ids),
    ));
    out
}

/// A table of the page: its title, its header, its rows.
pub(crate) type Table = (String, Vec<String>, Vec<Vec<String>>);

pub(crate) fn heads(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Ten-minute means of the per-minute rate of good units.
fn throughput(w: &World) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    if let Some(tl) = &w.ledger.metrics.timeline {
        for chunk in tl.chunks(10) {
            let mean = chunk.iter().map(|x| x.rate_per_h as f64).sum::<f64>() / chunk.len() as f64;
            let t = chunk.last().map(|x| x.minute as f64 / 60.0).unwrap_or(0.0);
            pts.push((t, mean));
        }
    }
    pts
}

/// Downtime by root-cause station, stacked by cause.
fn downtime_stacks(s: &Summary) -> Vec<(String, Vec<(String, f64)>)> {
    let mut downtime: Vec<(String, Vec<(String, f64)>)> = Vec::new();
    for c in &s.line.downtime_by_cause {
        match downtime.iter_mut().find(|d| d.0 == c.station) {
            Some(d) => d.1.push((c.cause.clone(), c.hours)),
            None => downtime.push((c.station.clone(), vec![(c.cause.clone(), c.hours)])),
        }
    }
    downtime
}

/// The attack steps, with what each cost (none without steps).
fn steps_table(s: &Summary) -> Option<Table> {
    let steps: Vec<Vec<String>> = s
        .security
        .steps
        .iter()
        .map(|st| {
            vec![
                st.at.clone(),
                st.techniques.join(" · "),
                st.from.clone(),
                st.target.clone(),
                st.outcome.clone(),
                st.detected_after_s.map(fmt).unwrap_or_else(|| "–".into()),
                fmt(st.downtime_h),
                format!("{:.0}", st.production_effect),
                match st.fee_for {
                    Some(f) => format!("{:.0} ({})", st.response_fee, fee_for(f)),
                    None => "0".into(),
                },
            ]
        })
        .collect();
    if steps.is_empty() {
        return None;
    }
    let mut head = heads(&[
        "at",
        "technique",
        "from",
        "target",
        "outcome",
        "detected after (s)",
        "downtime (h)",
    ]);
    head.push(format!("production effect ({})", s.cost.currency));
    head.push(format!("response fee ({})", s.cost.currency));
    Some((
        match crate::report::text::fees_line(s) {
            Some(f) => format!("Attack steps — {f}"),
            None => "Attack steps".to_string(),
        },
        head,
        steps,
    ))
}

/// Product made out of a thermal station's band, held or shipped (none without any).
fn out_of_band_table(s: &Summary) -> Option<Table> {
    let b = &s.cost.out_of_band;
    if b.units == 0 {
        return None;
    }
    let title = if b.priced {
        // Held product released or reworked: its rework and the credit for what came back.
        let fate = match b.disposition {
            crate::scenario::Disposition::Destroy => String::new(),
            _ => format!(
                ", rework {:.0}, {} units recovered −{:.0}",
                b.rework,
                b.recovered,
                b.recovered_output + b.recovered_materials
            ),
        };
        format!(
            "Product made out of band: {} held, {} shipped — secondary loss {} {:.0} (tests {:.0}, recall handling {:.0}, recalls {:.0}, regulatory {:.0}{fate})",
            b.held,
            b.shipped,
            s.cost.currency,
            b.total,
            b.tests,
            b.recall_handling,
            b.recall_fixed,
            b.regulatory
        )
    } else {
        format!(
            "Product made out of band: {} held, {} never seen (not priced: the scenario has no cost.out_of_band)",
            b.held, b.shipped
        )
    };
    let rows = b
        .excursions
        .iter()
        .map(|e| {
            vec![
                e.station.clone(),
                fmt(e.start_h),
                e.end_h.map_or("the end".into(), fmt),
                e.seen_at_h.map_or("never".into(), fmt),
                e.held.to_string(),
                e.shipped.to_string(),
                e.by_cause
                    .iter()
                    .map(|c| c.cause.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ]
        })
        .collect();
    Some((
        title,
        heads(&[
            "station",
            "from (h)",
            "until (h)",
            "seen at (h)",
            "held",
            "shipped",
            "owed to",
        ]),
        rows,
    ))
}

fn stations_table(s: &Summary) -> Table {
    (
        "Stations".to_string(),
        heads(&[
            "station", "PLC", "good out", "scrap", "failures", "trips", "OEE",
        ]),
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
    )
}

/// The live session's actors: who, where, what their traffic did, what the controls made of
/// it, what it cost.
fn actors_table(
    s: &Summary,
    a: &faultline_core::summary::actors::ActorsSection,
) -> (String, Vec<String>, Vec<Vec<String>>) {
    let rows = a
        .actors
        .iter()
        .map(|x| {
            let techniques: Vec<String> = x
                .techniques
                .iter()
                .map(|t| format!("{} {} ×{}", t.id, t.name, t.count))
                .collect();
            vec![
                x.name.clone(),
                format!("{} ({} as {})", x.zone, x.source, x.address),
                techniques.join(" · "),
                x.requests.to_string(),
                x.probes.to_string(),
                x.blocked.to_string(),
                x.detected_after_s.map(fmt).unwrap_or_else(|| "–".into()),
                fmt(x.units_owed),
                fmt(x.cost_owed),
            ]
        })
        .collect();
    (
        format!(
            "Actors: the clients from outside the twin (a source no actors file names sits in zone {})",
            a.default_zone
        ),
        [
            "actor".to_string(),
            "zone (source as address)".into(),
            "ATT&CK for ICS".into(),
            "requests".into(),
            "probes".into(),
            "blocked".into(),
            "detected after (s)".into(),
            "units owed".into(),
            format!("cost owed ({})", s.cost.currency),
        ]
        .to_vec(),
        rows,
    )
}

/// What a response fee was charged for, in words.
fn fee_for(f: faultline_core::summary::StepOutcome) -> &'static str {
    use faultline_core::summary::StepOutcome as O;
    match f {
        O::SucceededWithEffect => "succeeded, with an effect",
        O::SucceededWithoutEffect => "succeeded, no effect",
        O::Detected => "detected",
        O::Blocked => "blocked",
    }
}

pub(crate) fn side(s: &str) -> &'static str {
    match s {
        "IT" => "IT",
        "OT" => "OT",
        _ => "cost",
    }
}

/// The scorecard's cells for this run.
fn score_cells(s: &Summary) -> Vec<String> {
    let sc = &s.scorecard;
    let opt = |v: Option<f64>| v.map(fmt).unwrap_or_else(|| "–".into());
    vec![
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
        // The line's OEE as the text report prints it, with its three factors.
        format!(
            "{:.1} % = {:.1} % × {:.1} % × {:.1} %",
            sc.ot.oee * 100.0,
            s.line.oee.availability * 100.0,
            s.line.oee.performance * 100.0,
            s.line.oee.quality * 100.0
        ),
        sc.ot.safety_trips.to_string(),
        sc.ot.scrap_units.to_string(),
        format!("{} {:.0}", s.cost.currency, s.cost.total),
        format!("{} {:.0}", s.cost.currency, s.cost.attacks),
        format!("{} {:.0}", s.cost.currency, s.cost.controls),
    ]
}

/// The cost ledger as bars: each part of the cost.
fn cost_bars(s: &Summary) -> Vec<CostBar> {
    let cost = &s.cost;
    vec![
        ("lost output".to_string(), cost.lost_output, None),
        ("scrap materials".to_string(), cost.scrap_materials, None),
        (
            "incident response".to_string(),
            cost.incident_response,
            None,
        ),
        (
            "false-positive review".to_string(),
            cost.false_positive_review,
            None,
        ),
        (
            "secondary loss (held lots, recalls)".to_string(),
            cost.secondary_loss,
            None,
        ),
        ("total".to_string(), cost.total, None),
        ("of it: attacks".to_string(), cost.attacks, None),
        ("of it: controls".to_string(), cost.controls, None),
        ("of it: operations".to_string(), cost.operations, None),
    ]
}

/// Each attack step on the throughput chart (succeeded or stopped), and its detection.
fn attack_markers(w: &World) -> Vec<ChartMarker> {
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
    markers
}

/// The loss tree as a table: what the recipes allowed (and what was made outside planned
/// time), every loss with its category and cause, good units; the target beside it.
fn loss_tree_table(s: &Summary) -> (String, Vec<String>, Vec<Vec<String>>) {
    let t = &s.loss_tree;
    let mut rows = vec![vec![
        format!(
            "what the recipes allowed (nominal {}/h)",
            fmt(t.nominal_per_h)
        ),
        String::new(),
        fmt(t.ideal_units),
        String::new(),
    ]];
    if t.made_outside_planned > 0.0 {
        rows.push(vec![
            "made outside planned time".to_string(),
            String::new(),
            fmt(t.made_outside_planned),
            String::new(),
        ]);
    }
    for l in &t.losses {
        rows.push(vec![
            l.category.label().to_string(),
            l.cause.clone(),
            fmt(-l.units),
            fmt(-l.cost),
        ]);
    }
    rows.push(vec![
        "good units".to_string(),
        String::new(),
        t.good_units.to_string(),
        String::new(),
    ]);
    (
        format!(
            "Loss tree: from what the recipes allowed to good units (a unit short costs {} {}); target {} units at {}/h, production {}% of it",
            fmt(t.unit_value),
            s.cost.currency,
            fmt(t.target_units),
            fmt(t.target_per_h),
            fmt(100.0 * t.good_units as f64 / t.target_units.max(1e-9))
        ),
        vec![
            "loss".to_string(),
            "cause".to_string(),
            "units".to_string(),
            format!("cost ({})", s.cost.currency),
        ],
        rows,
    )
}

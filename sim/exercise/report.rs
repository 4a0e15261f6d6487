//! `after-action.html`: the session's timeline of injects and decisions, the consequences
//! in both columns of the scorecard, the road not taken at each decision point, the
//! discussion questions with room for notes, and the input log that replays the session.

use super::{DecisionLog, Loaded, Played, PointComparison, Side};
use crate::report::html::{document, esc, run_model, sections, table};
use std::fmt::Write as _;

/// Hours into the run as a wall-clock time, HH:MM.
pub(super) fn clock_hm(at_h: f64) -> String {
    let min = (at_h * 60.0).round() as u64;
    format!("{:02}:{:02}", min / 60, min % 60)
}

/// The objectives side by side, IT's and OT's, numbered.
pub(super) fn objectives_table(e: &super::Exercise) -> String {
    let list = |v: &[String]| {
        v.iter().fold(String::new(), |mut acc, o| {
            let _ = write!(acc, "<li>{}</li>", esc(o));
            acc
        })
    };
    format!(
        "<table id=\"objectives\"><thead><tr><th>for IT staff</th><th>for OT staff</th></tr></thead><tbody><tr><td style=\"text-align:left\"><ol>{}</ol></td><td style=\"text-align:left\"><ol>{}</ol></td></tr></tbody></table>",
        list(&e.objectives.it),
        list(&e.objectives.ot)
    )
}

/// A side's short name, as the pages print it.
pub(super) fn side_name(s: Side) -> &'static str {
    match s {
        Side::IT => "IT",
        Side::OT => "OT",
        Side::All => "all",
    }
}

fn causes(o: &super::Consequences) -> String {
    let mut c: Vec<String> = o
        .downtime_by_cause
        .iter()
        .filter(|x| x.1 >= 0.005)
        .map(|(k, h)| format!("{k} {h:.2} h"))
        .collect();
    if c.is_empty() {
        c.push("–".into());
    }
    c.join(", ")
}

/// The after-action page. `compare` is empty when `--compare` was not asked for.
pub fn after_action(
    ex: &Loaded,
    p: &Played,
    log: &DecisionLog,
    compare: &[PointComparison],
) -> String {
    let e = &ex.exercise;
    let mut body = String::new();
    briefing(e, &mut body);
    timeline(e, p, &mut body);
    situations(e, p, &mut body);
    body.push_str("</section>\n");

    road_not_taken(compare, &ex.scenario.cost.currency, &mut body);
    aar_ip(ex, p, compare, &mut body);
    questions(e, &mut body);

    // The consequences of the table's path: the run report's scorecard and charts.
    body.push_str("<h2 style=\"margin-top:24px\">Consequences of the table's decisions</h2>");
    body.push_str(&sections(&run_model(&p.world, &p.summary)));

    // The input log.
    let json = serde_json::to_string_pretty(log).unwrap_or_default();
    body.push_str(&format!(
        "<section id=\"input-log\"><h2>Input log</h2><p>Saved as <code>decisions.json</code> beside this page; \
         <code>faultline exercise {} --decisions decisions.json</code> replays the session exactly.</p><pre>{}</pre></section>\n",
        esc(&ex.path.display().to_string()),
        esc(&json)
    ));
    document(
        &format!("After-action report — {}", e.name),
        &format!(
            "seed {}, {} h simulated, {} inject(s), {} decision point(s)",
            log.seed,
            ex.scenario.duration_h,
            p.decisions.len(),
            p.decisions.iter().filter(|t| !t.key.is_empty()).count()
        ),
        &body,
    )
}

/// The timeline: every inject; at decision points who was asked, the choice, the time.
fn timeline(e: &super::Exercise, p: &Played, body: &mut String) {
    let mut rows = Vec::new();
    for (i, j) in e.injects.iter().enumerate() {
        let (asked, chose, took) = match (&j.decision, p.decisions.iter().find(|t| t.inject == i)) {
            (Some(d), Some(t)) => {
                let label = d
                    .options
                    .iter()
                    .find(|o| o.key == t.key)
                    .map(|o| format!("{} ({})", o.label, o.key))
                    .unwrap_or_else(|| t.key.clone());
                (d.asked.clone(), label, format!("{:.0} s", t.deliberation_s))
            }
            (_, Some(t)) if t.skipped => (
                "–".into(),
                "not shown: its condition did not hold".into(),
                "–".into(),
            ),
            (None, Some(t)) => (
                "–".into(),
                "discussion".into(),
                format!("{:.0} s", t.deliberation_s),
            ),
            _ => ("–".into(), "–".into(), "–".into()),
        };
        let applied: Vec<String> = p
            .applied
            .iter()
            .filter(|(x, _)| *x == i)
            .map(|(_, t)| t.clone())
            .collect();
        rows.push(vec![
            crate::time::clock(crate::time::from_secs(j.at_h * 3600.0)),
            format!("{:?}", j.kind),
            j.title.clone(),
            if j.to.is_empty() {
                "whole table".into()
            } else {
                j.to.join(", ")
            },
            asked,
            chose,
            took,
            if applied.is_empty() {
                "–".into()
            } else {
                applied.join("; ")
            },
        ]);
    }
    body.push_str("<section id=\"timeline\"><h2>Timeline of injects and decisions</h2>");
    body.push_str(&table(
        &[
            "at",
            "kind",
            "inject",
            "handed to",
            "asked",
            "choice",
            "time taken",
            "what it did in the twin",
        ]
        .map(String::from),
        &rows,
        Some("timeline-table"),
    ));
}

/// The situation each side saw at each inject.
fn situations(e: &super::Exercise, p: &Played, body: &mut String) {
    for (t, sit) in p.decisions.iter().zip(&p.situations) {
        let j = &e.injects[t.inject];
        let what = if j.decision.is_some() {
            "decision"
        } else {
            "discussion"
        };
        body.push_str(&format!(
            "<h3>Inject {} at {} — {} ({what}, {:.0} s)</h3><p>{}</p><table><thead><tr><th colspan=\"2\">OT saw</th><th colspan=\"2\">IT saw</th></tr></thead><tbody>",
            t.inject + 1,
            esc(&sit.at),
            esc(&j.title),
            t.deliberation_s,
            esc(&sit.text)
        ));
        for r in 0..sit.ot.len().max(sit.it.len()) {
            let cell = |v: &Vec<(String, String)>| {
                v.get(r)
                    .map(|(a, b)| {
                        format!(
                            "<th scope=\"row\">{}</th><td style=\"text-align:left\">{}</td>",
                            esc(a),
                            esc(b)
                        )
                    })
                    .unwrap_or_else(|| "<td></td><td></td>".into())
            };
            body.push_str(&format!("<tr>{}{}</tr>", cell(&sit.ot), cell(&sit.it)));
        }
        body.push_str("</tbody></table>");
    }
}

/// Briefing, roles and learning objectives.
fn briefing(e: &super::Exercise, body: &mut String) {
    // Briefing, roles, objectives.
    body.push_str(&format!(
        "<section id=\"briefing\"><h2>Briefing</h2><p>{}</p>",
        esc(&e.briefing)
    ));
    let roles: Vec<Vec<String>> = e
        .roles
        .iter()
        .map(|r| vec![r.name.clone(), side_name(r.side).into(), r.brief.clone()])
        .collect();
    body.push_str(&table(
        &["role", "side", "brief"].map(String::from),
        &roles,
        Some("roles"),
    ));
    body.push_str("<h2>Learning objectives</h2>");
    body.push_str(&objectives_table(e));
    body.push_str("</section>\n");
}

/// Every option of every decision point, run to the end: the road not taken.
fn road_not_taken(compare: &[PointComparison], cur: &str, body: &mut String) {
    // The road not taken.
    if !compare.is_empty() {
        body.push_str("<section id=\"compare\"><h2>The road not taken</h2><p>From each decision point, every option run to the end of the exercise; the table's other choices kept. The columns per option are the session's seed; the last four are over many seeds (the session's first, every option on the same seeds): the mean cost with its 95 % interval, the cost and good units against the table's choice seed by seed, and how often the option was the cheapest. ★ the table's choice; best and worst are marked only where the intervals of the cost differences separate the option from every other — otherwise there is no clear winner. The cost is the run's ledger: what it owes to the attacks, to the controls and to operations adds up to it.</p>");
        for c in compare {
            let rows: Vec<Vec<String>> = c
                .options
                .iter()
                .zip(&c.stats)
                .map(|((key, label, o), st)| {
                    let mut mark = String::new();
                    if *key == c.chosen {
                        mark.push_str("★ ");
                    }
                    if *key == c.best {
                        mark.push_str("best ");
                    }
                    if *key == c.worst {
                        mark.push_str("worst");
                    }
                    vec![
                        format!("{label} ({key})"),
                        mark.trim().to_string(),
                        format!("{:.0}", o.production_lost),
                        format!("{:.2}", o.downtime_h),
                        causes(o),
                        o.safety_trips.to_string(),
                        o.scrap_units.to_string(),
                        o.steps_succeeded.to_string(),
                        o.steps_blocked.to_string(),
                        o.steps_detected.to_string(),
                        format!("{:.0}", o.cost_attacks),
                        format!("{:.0}", o.cost_controls),
                        format!("{:.0}", o.cost_operations),
                        format!("{:.0}", o.cost),
                        st.cost.interval(),
                        st.delta_cost.delta(),
                        st.delta_good_units.delta(),
                        format!("{:.0} %", st.cheapest_share * 100.0),
                    ]
                })
                .collect();
            body.push_str(&format!(
                "<h3>{} — asked: {}</h3><p>{}</p>",
                esc(&c.title),
                esc(&c.asked),
                esc(&c.verdict())
            ));
            body.push_str(&table(
                &[
                    "option",
                    "",
                    "OT: production lost (units)",
                    "OT: downtime (h)",
                    "OT: downtime by cause",
                    "OT: safety trips",
                    "OT: scrap",
                    "IT: steps succeeded",
                    "IT: steps blocked",
                    "IT: steps detected",
                    &format!("owed to attacks ({cur})"),
                    &format!("owed to controls ({cur})"),
                    &format!("owed to operations ({cur})"),
                    &format!("cost ({cur})"),
                    &format!("mean cost over the seeds ({cur}) [95 % CI]"),
                    &format!("Δ cost vs the table's choice ({cur}) [95 % CI]"),
                    "Δ good units vs the table's choice [95 % CI]",
                    "cheapest on",
                ]
                .map(|h| h.to_string()),
                &rows,
                None,
            ));
        }
        body.push_str("</section>\n");
    }
}

/// The discussion questions, each with room for notes.
fn questions(e: &super::Exercise, body: &mut String) {
    // Discussion questions, with room for notes.
    body.push_str("<section id=\"questions\"><h2>Discussion questions</h2>");
    for j in &e.injects {
        if j.questions.is_empty() {
            continue;
        }
        body.push_str(&format!("<h3>{}</h3>", esc(&j.title)));
        for q in &j.questions {
            body.push_str(&format!(
                "<p><b>{}</b> {}</p><textarea aria-label=\"notes\"></textarea>",
                side_name(q.side),
                esc(&q.text)
            ));
        }
    }
    body.push_str("</section>\n");
}

/// The road not taken as markdown, for a facilitator guide: per decision point, each
/// option's mean cost and production over the seeds against the table's choice, with
/// 95 % intervals, how often it was the cheapest, and the verdict. `faultline exercise
/// FILE --choose default --compare --seeds N --out DIR` writes it as DIR/compare.md; the
/// guides under docs/exercises/ hold it between `<!-- compare -->` markers, and a test
/// holds them equal.
pub fn compare_markdown(ex: &Loaded, compare: &[PointComparison]) -> String {
    let mut out = String::new();
    let cur = &ex.scenario.cost.currency;
    for c in compare {
        out.push_str(&format!(
            "**{} — {}** (inject {}, {} decides; {} seeds)\n\n",
            clock_hm(ex.exercise.injects[c.inject].at_h),
            c.title,
            c.inject,
            c.asked,
            c.seeds
        ));
        out.push_str(&format!(
            "| option | cost {cur}, mean [95 % CI] | Δ cost {cur} vs ★ [95 % CI] | Δ good units vs ★ [95 % CI] | cheapest on |\n|---|---|---|---|---|\n",
        ));
        for ((key, label, _), st) in c.options.iter().zip(&c.stats) {
            let mut mark = String::new();
            if *key == c.chosen {
                mark.push_str(" ★");
            }
            if *key == c.best {
                mark.push_str(" best");
            }
            if *key == c.worst {
                mark.push_str(" worst");
            }
            out.push_str(&format!(
                "| `{key}`{mark} — {label} | {} | {} | {} | {:.0} % |\n",
                st.cost.interval(),
                st.delta_cost.delta(),
                st.delta_good_units.delta(),
                st.cheapest_share * 100.0
            ));
        }
        out.push_str(&format!("\n{}.\n\n", c.verdict()));
    }
    out
}

/// A judgement of one decision the table took, from the road not taken.
enum Finding {
    Strength(String),
    Area { text: String, action: String },
}

/// What the comparison says about the table's choice at one point.
fn judge_choice(ex: &Loaded, c: &PointComparison) -> Finding {
    let e = &ex.exercise;
    let cur = &ex.scenario.cost.currency;
    let j = &e.injects[c.inject];
    let label = |key: &str| {
        j.decision
            .as_ref()
            .and_then(|d| d.options.iter().find(|o| o.key == key))
            .map(|o| o.label.clone())
            .unwrap_or_else(|| key.to_string())
    };
    let at = format!("{} ({})", clock_hm(j.at_h), j.title);
    let asked = &c.asked;
    let chose = label(&c.chosen);
    // Options cheaper than the table's choice with the paired interval clear of zero.
    let mut cheaper: Vec<&super::OptionStats> = c
        .stats
        .iter()
        .filter(|s| s.key != c.chosen && s.delta_cost.ci95.1 < 0.0)
        .collect();
    cheaper.sort_by(|a, b| a.delta_cost.mean.total_cmp(&b.delta_cost.mean));
    if let Some(b) = cheaper.first() {
        Finding::Area {
            text: format!(
                "At {at} the {asked} chose \u{201c}{chose}\u{201d}; \u{201c}{}\u{201d} would have cost {cur} {:.0} less [{:.0}, {:.0}] and made {:+.0} good units [{:+.0}, {:+.0}], over {} seeds.",
                label(&b.key),
                -b.delta_cost.mean,
                -b.delta_cost.ci95.1,
                -b.delta_cost.ci95.0,
                b.delta_good_units.mean,
                b.delta_good_units.ci95.0,
                b.delta_good_units.ci95.1,
                c.seeds
            ),
            action: format!(
                "Write \u{201c}{}\u{201d} into the procedure for this situation ({}), and rehearse it.",
                label(&b.key),
                j.title
            ),
        }
    } else if c.best == c.chosen {
        Finding::Strength(format!(
            "At {at} the {asked} chose \u{201c}{chose}\u{201d}: the cheapest option over {} seeds, every other option's cost difference clear of zero.",
            c.seeds
        ))
    } else {
        Finding::Strength(format!(
            "At {at} the {asked} chose \u{201c}{chose}\u{201d}: no option was cheaper with intervals apart over {} seeds.",
            c.seeds
        ))
    }
}

/// The after-action report and improvement plan in the HSEEP shape: per objective, the
/// strengths and areas for improvement, each with the computed consequences of the table's
/// choices; then an improvement plan (action, owner, dates) for the facilitator to fill.
fn aar_ip(ex: &Loaded, p: &Played, compare: &[PointComparison], body: &mut String) {
    let e = &ex.exercise;
    let side_of = |role: &str| {
        e.roles
            .iter()
            .find(|r| r.name == role)
            .map(|r| r.side)
            .unwrap_or(Side::All)
    };
    let o = super::Consequences::of(&p.summary);
    if compare.is_empty() {
        body.push_str(
            "<section id=\"aar\"><h2>After-action report: objectives and the decisions taken</h2>",
        );
        body.push_str("<p>No decision is judged here: judging one needs the roads not taken, run over the same seeds. Run the session (or replay its decisions) with <code>--compare</code> for strengths and areas for improvement; below, each objective with the decisions that bear on it and the consequences of the table's road.</p>");
    } else {
        body.push_str("<section id=\"aar\"><h2>After-action report: objectives, strengths and areas for improvement</h2>");
        body.push_str("<p>Each decision is judged against the roads not taken over the same seeds: an area for improvement where another option was cheaper with the 95 % interval of the paired difference clear of zero, a strength otherwise. A decision counts for the objectives of the side of the role that took it (a role of all sides counts for both). The twin judges by cost over this exercise's hours only: what a choice leaves open afterwards (a credential that still works, an attacker not yet removed) is for the table to weigh.</p>");
    }
    let mut plan: Vec<(String, String, String)> = Vec::new();
    for (sd, objectives) in [(Side::IT, &e.objectives.it), (Side::OT, &e.objectives.ot)] {
        let road = table_road(sd, &o, &ex.scenario.cost.currency);
        for (k, objective) in objectives.iter().enumerate() {
            let mut strengths = Vec::new();
            let mut areas = Vec::new();
            // Decisions with no road not taken to weigh them against: listed, not judged.
            let mut taken = Vec::new();
            for t in p.decisions.iter().filter(|t| !t.key.is_empty()) {
                let Some(d) = &e.injects[t.inject].decision else {
                    continue;
                };
                let s = side_of(&d.asked);
                if s != sd && s != Side::All {
                    continue;
                }
                match compare.iter().find(|c| c.inject == t.inject) {
                    Some(c) => match judge_choice(ex, c) {
                        Finding::Strength(x) => strengths.push(x),
                        Finding::Area { text, action } => {
                            let who = format!("{} {}: {objective}", side_name(sd), k + 1);
                            match plan.iter_mut().find(|r| r.1 == text) {
                                Some(row) => row.0 = format!("{}; {who}", row.0),
                                None => plan.push((who, text.clone(), action)),
                            }
                            areas.push(text)
                        }
                    },
                    None => taken.push(format!(
                        "{}: the {} chose \u{201c}{}\u{201d}.",
                        e.injects[t.inject].title,
                        d.asked,
                        d.options
                            .iter()
                            .find(|o| o.key == t.key)
                            .map_or(t.key.as_str(), |o| o.label.as_str())
                    )),
                }
            }
            let list = |v: &[String]| {
                if v.is_empty() {
                    "<li>none observed in the twin</li>".to_string()
                } else {
                    v.iter().fold(String::new(), |mut acc, x| {
                        let _ = write!(acc, "<li>{}</li>", esc(x));
                        acc
                    })
                }
            };
            let _ = write!(
                body,
                "<div class=\"objective\"><h3>{} objective {}: {}</h3><p>{}</p>",
                side_name(sd),
                k + 1,
                esc(objective),
                esc(&road)
            );
            if !compare.is_empty() {
                let _ = write!(
                    body,
                    "<p><b>Strengths</b> (the cheapest option, or as cheap as any the twin can tell apart)</p><ul>{}</ul><p><b>Areas for improvement</b></p><ul>{}</ul>",
                    list(&strengths),
                    list(&areas)
                );
            }
            if compare.is_empty() || !taken.is_empty() {
                let _ = write!(
                    body,
                    "<p><b>Decisions taken</b> (not judged: no road not taken was run for them)</p><ul>{}</ul>",
                    if taken.is_empty() {
                        "<li>none that bear on this objective</li>".to_string()
                    } else {
                        list(&taken)
                    }
                );
            }
            body.push_str("</div>");
        }
    }
    improvement_plan(plan, body);
    body.push_str("</section>\n");
}

/// What the table's road came to, as each side counts it.
fn table_road(sd: Side, o: &super::Consequences, cur: &str) -> String {
    match sd {
        Side::IT => format!(
            "On the table's road: {} attack step(s) succeeded, {} blocked, {} detected; {cur} {:.0} of the cost owed to the attacks, {cur} {:.0} to the controls.",
            o.steps_succeeded, o.steps_blocked, o.steps_detected, o.cost_attacks, o.cost_controls
        ),
        _ => format!(
            "On the table's road: {} good units ({:.0} short of target), {:.2} h downtime ({}), {} safety trip(s), {} scrapped; cost {cur} {:.0}.",
            o.good_units,
            o.production_lost,
            o.downtime_h,
            causes(o),
            o.safety_trips,
            o.scrap_units,
            o.cost
        ),
    }
}

/// The improvement plan: one row per area for improvement (objective, area, the twin's
/// suggested action), and blank rows for what the table raised that the twin does not model.
fn improvement_plan(plan: Vec<(String, String, String)>, body: &mut String) {
    body.push_str("<h2>Improvement plan</h2><p>One row per area for improvement, with the twin's suggestion; the owner and dates are the facilitator's to fill with the plant.</p>");
    let mut rows: Vec<Vec<String>> = plan
        .into_iter()
        .map(|(objective, area, action)| {
            vec![
                objective,
                area,
                action,
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    // Room for what the table raised that the twin does not model.
    for _ in 0..3 {
        rows.push(vec![String::new(); 6]);
    }
    body.push_str(&table(
        &[
            "objective",
            "area for improvement",
            "corrective action",
            "owner",
            "start",
            "completion",
        ]
        .map(String::from),
        &rows,
        Some("improvement-plan"),
    ));
}

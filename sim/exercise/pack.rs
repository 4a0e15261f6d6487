//! `faultline exercise FILE --pack DIR`: the printed material a facilitator runs a session
//! from, in the shape of CISA's tabletop packages (CTEP): a situation manual, role cards,
//! inject cards one per page, a controller/evaluator handbook and a participant feedback
//! form. Each is one self-contained HTML page (inline CSS and SVG, no script, nothing
//! fetched) with a print stylesheet: A4, one card per sheet.
//!
//! Inject text is a template filled from the twin at the inject; the cards show it filled
//! from the default road (`--choose default`), and say so, because the figures on the day
//! depend on the table's choices.

use super::report::{clock_hm as clock, objectives_table, side_name};
use super::{Decision, Exercise, Inject, Loaded, Played, PointComparison, Side, When};
use crate::report::html::{document, esc, table};
use drawings::{line_svg, network_svg};

mod drawings;

/// Minutes of the session given to each part (the agenda's module timings).
const BRIEFING_MIN: u32 = 15;
const DECISION_MIN: u32 = 15;
const DISCUSSION_MIN: u32 = 8;
const ROAD_NOT_TAKEN_MIN: u32 = 20;
const HOT_WASH_MIN: u32 = 15;

/// Who a page is printed for: the players (nothing the exercise is built to reveal) or the
/// controller and evaluators (everything).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Audience {
    Participants,
    Controller,
}

/// The pack's files, by path under the pack's folder: (path, HTML), the top index first,
/// then `participants/` (handed out: the situation manual with only what the table knows at
/// the start, role cards without the injects and decisions to come, the feedback form) and
/// `controller/` (the facilitator's: the briefing as designed, the full role cards, the
/// inject cards with their conditions and notes, the handbook with the master scenario
/// events list and the evaluator's questions).
pub fn pack(
    ex: &Loaded,
    default_road: &Played,
    compare: &[PointComparison],
) -> Vec<(String, String)> {
    use Audience::*;
    let e = &ex.exercise;
    let packs = [
        (
            "participants",
            "Participants' pack — hand out; it gives away nothing the opening does not",
            vec![
                (
                    "situation-manual.html",
                    "Situation manual",
                    situation_manual(ex, default_road, Participants),
                ),
                ("role-cards.html", "Role cards", role_cards(e, Participants)),
                (
                    "feedback-form.html",
                    "Participant feedback form",
                    feedback_form(e),
                ),
            ],
        ),
        (
            "controller",
            "Controller's pack — for the facilitator and evaluators only",
            vec![
                (
                    "situation-manual.html",
                    "Situation manual (the controller's copy, with the briefing as designed)",
                    situation_manual(ex, default_road, Controller),
                ),
                (
                    "role-cards.html",
                    "Role cards (the controller's copy, with the injects and decisions each role gets)",
                    role_cards(e, Controller),
                ),
                (
                    "inject-cards.html",
                    "Inject cards",
                    inject_cards(e, default_road),
                ),
                (
                    "handbook.html",
                    "Controller and evaluator handbook",
                    handbook(ex, default_road, compare),
                ),
            ],
        ),
    ];
    let doc =
        |title: &str, body: &str| document(&format!("{title} — {}", e.name), &scope_line(ex), body);
    let mut top = String::from(
        "<section id=\"contents\"><h2>Contents</h2><p>Two packs: print the participants' for the table and keep the controller's. Print each document double-sided on A4; the cards print one per sheet.</p><ul>",
    );
    let mut out = Vec::new();
    for (dir, title, files) in packs {
        top.push_str(&format!(
            "<li><a href=\"{dir}/index.html\">{}</a><ul>",
            esc(title)
        ));
        let mut index = format!(
            "<section id=\"contents\"><h2>Contents</h2><p>{}</p><ul>",
            esc(title)
        );
        for (file, t, _) in &files {
            top.push_str(&format!("<li><a href=\"{dir}/{file}\">{}</a></li>", esc(t)));
            index.push_str(&format!("<li><a href=\"{file}\">{}</a></li>", esc(t)));
        }
        top.push_str("</ul></li>");
        index.push_str("</ul></section>");
        out.push((format!("{dir}/index.html"), doc(title, &index)));
        out.extend(
            files
                .into_iter()
                .map(|(f, t, body)| (format!("{dir}/{f}"), doc(t, &body))),
        );
    }
    top.push_str("</ul></section>");
    out.insert(0, ("index.html".to_string(), doc("Exercise pack", &top)));
    out
}

/// Hosts an attack starts from that the opening does not name: left off the participants'
/// network drawing (the table would read the answer off it).
fn attack_hosts_not_in_the_opening(ex: &Loaded) -> Vec<String> {
    let s = &ex.scenario;
    let opening = ex.exercise.opening.as_deref().unwrap_or("");
    s.attacks
        .iter()
        .map(|a| a.from.clone())
        .chain(s.attacker.iter().map(|a| a.from.clone()))
        .filter(|h| !names_word(opening, h))
        .collect()
}

/// Whether `text` holds `word` as a word of its own (not inside a longer one).
pub fn names_word(text: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    text.match_indices(word).any(|(k, _)| {
        let before = text[..k].chars().next_back();
        let after = text[k + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

fn scope_line(ex: &Loaded) -> String {
    format!(
        "on the twin \"{}\", seed {}, {} h simulated; {} injects, {} decision points",
        ex.scenario.name,
        ex.scenario.seed,
        ex.scenario.duration_h,
        ex.exercise.injects.len(),
        ex.points().len()
    )
}

/// A condition in words.
fn when_text(w: &When, e: &Exercise) -> String {
    let option = |i: usize, key: &str| -> String {
        let j = &e.injects[i];
        let label = j
            .decision
            .as_ref()
            .and_then(|d| d.options.iter().find(|o| o.key == key))
            .map(|o| o.label.as_str())
            .unwrap_or(key);
        format!("\u{201c}{label}\u{201d} at inject {} ({})", i + 1, j.title)
    };
    match w {
        When::Chose(i, k) => format!("the table chose {}", option(*i, k)),
        When::NotChose(i, k) => format!("the table did not choose {}", option(*i, k)),
        When::Is(f, v) => format!("the twin's {{{f}}} reads {v}"),
        When::All(all) => all
            .iter()
            .map(|c| when_text(c, e))
            .collect::<Vec<_>>()
            .join(", and "),
    }
}

/// Whether the inject was shown on the default road.
fn shown(p: &Played, i: usize) -> bool {
    p.decisions.iter().any(|t| t.inject == i && !t.skipped)
}

/// The agenda: (start minute, minutes, module), and the total on the default road.
fn agenda(e: &Exercise, p: &Played, audience: Audience) -> (Vec<(u32, u32, String)>, u32) {
    let mut rows = Vec::new();
    let mut at = 0;
    rows.push((
        at,
        BRIEFING_MIN,
        "Welcome, ground rules, briefing and roles".to_string(),
    ));
    at += BRIEFING_MIN;
    for (i, j) in e.injects.iter().enumerate() {
        let min = if j.decision.is_some() {
            DECISION_MIN
        } else {
            DISCUSSION_MIN
        };
        let what = if j.decision.is_some() {
            "decision"
        } else {
            "discussion"
        };
        let cond = match &j.when {
            Some(w) => format!(" — only if {}", when_text(w, e)),
            None => String::new(),
        };
        if audience == Audience::Participants {
            // The players see the modules they will sit, not what each one brings.
            if shown(p, i) {
                let k = rows.len();
                rows.push((at, min, format!("Module {k}: an inject, then {what}")));
                at += min;
            }
            continue;
        }
        rows.push((
            at,
            min,
            format!(
                "Inject {} ({} in the twin): {} — {what}{cond}",
                i + 1,
                clock(j.at_h),
                j.title
            ),
        ));
        if shown(p, i) {
            at += min;
        }
    }
    rows.push((
        at,
        ROAD_NOT_TAKEN_MIN,
        "The road not taken: the twin's consequences of each option".to_string(),
    ));
    at += ROAD_NOT_TAKEN_MIN;
    rows.push((
        at,
        HOT_WASH_MIN,
        "Hot wash: strengths, areas for improvement; feedback forms".to_string(),
    ));
    at += HOT_WASH_MIN;
    (rows, at)
}

fn situation_manual(ex: &Loaded, p: &Played, audience: Audience) -> String {
    let e = &ex.exercise;
    let s = &ex.scenario;
    let players = audience == Audience::Participants;
    let mut b = String::new();
    b.push_str(&format!(
        "<section id=\"scope\"><h2>Scope</h2><p>A discussion-based exercise for a mixed IT and OT table on <b>{}</b>: {} stations, {} PLCs, {} simulated hours from 00:00. The twin (faultline) runs the line between injects; every figure the table is given is the twin's own at that moment, and every decision's consequence is computed, not argued.</p><p>{}</p></section>",
        esc(&s.name),
        s.stations.len(),
        s.plcs.len(),
        s.duration_h,
        esc(&s.description)
    ));
    b.push_str(&format!(
        "<section id=\"objectives-section\"><h2>Objectives</h2>{}</section>",
        objectives_table(e)
    ));
    b.push_str(&match (players, &e.opening) {
        (false, _) => format!(
            "<section id=\"situation\"><h2>The briefing as designed (controller only)</h2><p>{}</p></section>",
            esc(&e.briefing)
        ),
        (true, Some(o)) => format!(
            "<section id=\"situation\"><h2>The situation</h2><p>{}</p></section>",
            esc(o)
        ),
        (true, None) => "<section id=\"situation\"><h2>The situation</h2><p>The facilitator opens the exercise with the situation as you would know it at the start.</p></section>".into(),
    });
    b.push_str(&format!(
        "<section id=\"line\"><h2>The line</h2><p>Stations in flow order, each with the PLC that runs it; the number under a station is its input buffer (units).</p>{}</section>",
        line_svg(s)
    ));
    b.push_str(&format!(
        "<section id=\"network\"><h2>The network</h2><p>Zones, the hosts in them and the conduits between them{}.</p>{}</section>",
        if s.segmentation.is_some() {
            " (zone firewalls on the conduits)"
        } else {
            ""
        },
        network_svg(
            s,
            &if players {
                attack_hosts_not_in_the_opening(ex)
            } else {
                Vec::new()
            }
        )
    ));
    let roles: Vec<Vec<String>> = e
        .roles
        .iter()
        .map(|r| vec![r.name.clone(), side_name(r.side).into(), r.brief.clone()])
        .collect();
    b.push_str("<section id=\"roles\"><h2>Roles</h2>");
    b.push_str(&table(
        &["role", "side", "brief"].map(String::from),
        &roles,
        None,
    ));
    b.push_str("</section>");
    b.push_str(
        "<section id=\"ground-rules\"><h2>Ground rules</h2><ul>\
         <li>No-fault: this is a discussion of the plant's process, not a test of anyone.</li>\
         <li>Answer from your role and your current knowledge; say what you would do, who you would call and what you would need.</li>\
         <li>The twin's figures are the situation: do not fight the scenario; ask what would change it.</li>\
         <li>Decisions are taken by the role asked, after the table has spoken; the facilitator keeps time.</li>\
         <li>IT and OT hear each other's screens only when they ask for them.</li>\
         <li>Notes are welcome; what is said stays at the table unless it becomes an improvement action.</li>\
         </ul></section>",
    );
    let (rows, total) = agenda(e, p, audience);
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|(at, min, what)| vec![format!("+{at} min"), format!("{min} min"), what])
        .collect();
    b.push_str(&format!(
        "<section id=\"agenda\"><h2>Agenda</h2><p>About {total} minutes{}.</p>",
        if players {
            ""
        } else {
            " on the default road (modules whose condition does not hold are skipped; their time is not counted)"
        }
    ));
    b.push_str(&table(
        &["starts", "for", "module"].map(String::from),
        &rows,
        Some("agenda-table"),
    ));
    b.push_str("</section>");
    b
}

fn role_cards(e: &Exercise, audience: Audience) -> String {
    let mut b = String::new();
    for r in &e.roles {
        let objectives: Vec<&String> = match r.side {
            Side::IT => e.objectives.it.iter().collect(),
            Side::OT => e.objectives.ot.iter().collect(),
            Side::All => e.objectives.it.iter().chain(&e.objectives.ot).collect(),
        };
        b.push_str(&format!(
            "<section class=\"card role-card\"><h2>{}</h2><p class=\"side\">Side: {}</p><p>{}</p><h3>What your side practises</h3><ul>",
            esc(&r.name),
            side_name(r.side),
            esc(&r.brief)
        ));
        for o in objectives {
            b.push_str(&format!("<li>{}</li>", esc(o)));
        }
        if audience == Audience::Participants {
            // What comes, and when, is the controller's to reveal.
            b.push_str("</ul></section>");
            continue;
        }
        b.push_str("</ul><h3>Injects handed to you</h3><ul>");
        for (i, j) in e.injects.iter().enumerate() {
            if j.to.is_empty() || j.to.contains(&r.name) {
                b.push_str(&format!(
                    "<li>{} — inject {}: {}</li>",
                    clock(j.at_h),
                    i + 1,
                    esc(&j.title)
                ));
            }
        }
        b.push_str("</ul>");
        let asked: Vec<(usize, &Inject, &Decision)> = e
            .injects
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.decision.as_ref().map(|d| (i, j, d)))
            .filter(|(_, _, d)| d.asked == r.name)
            .collect();
        if !asked.is_empty() {
            b.push_str("<h3>Decisions that are yours</h3><ul>");
            for (i, j, d) in asked {
                b.push_str(&format!(
                    "<li>{} — inject {}: {}</li>",
                    clock(j.at_h),
                    i + 1,
                    esc(&d.prompt)
                ));
            }
            b.push_str("</ul>");
        }
        b.push_str("</section>");
    }
    b
}

fn inject_cards(e: &Exercise, p: &Played) -> String {
    let mut b = String::new();
    for (i, j) in e.injects.iter().enumerate() {
        let text = match p.situations.get(i) {
            Some(sit) if shown(p, i) && j.text.contains('{') => format!(
                "<p class=\"inject-text\">{}</p><p class=\"note\">Figures as the twin has them on the default road; on another road read them from the screen.</p>",
                esc(&sit.text)
            ),
            _ if !j.text.contains('{') => {
                format!("<p class=\"inject-text\">{}</p>", esc(&j.text))
            }
            _ => format!(
                "<p class=\"inject-text\">{}</p><p class=\"note\">Fields in braces are filled from the twin when the inject is shown.</p>",
                esc(&j.text)
            ),
        };
        b.push_str(&format!(
            "<section class=\"card inject-card\"><h2>Inject {} — {}</h2><p class=\"meta\">{} in the twin · {:?} · handed to: {}</p>{}{text}",
            i + 1,
            esc(&j.title),
            clock(j.at_h),
            j.kind,
            if j.to.is_empty() {
                "the whole table".to_string()
            } else {
                esc(&j.to.join(", "))
            },
            match &j.when {
                Some(w) => format!(
                    "<p class=\"when\">Only if {}.</p>",
                    esc(&when_text(w, e))
                ),
                None => String::new(),
            }
        ));
        if !j.questions.is_empty() {
            b.push_str("<h3>Questions</h3><ul>");
            for q in &j.questions {
                b.push_str(&format!(
                    "<li><b>{}</b>: {}</li>",
                    side_name(q.side),
                    esc(&q.text)
                ));
            }
            b.push_str("</ul>");
        }
        if let Some(d) = &j.decision {
            b.push_str(&format!(
                "<h3>Decision — {} decides</h3><p>{}</p><ol>",
                esc(&d.asked),
                esc(&d.prompt)
            ));
            for o in &d.options {
                b.push_str(&format!(
                    "<li>{} <span class=\"key\">({})</span></li>",
                    esc(&o.label),
                    esc(&o.key)
                ));
            }
            b.push_str("</ol>");
        }
        b.push_str("</section>");
    }
    b
}

fn handbook(ex: &Loaded, p: &Played, compare: &[PointComparison]) -> String {
    let e = &ex.exercise;
    let mut b = String::new();
    let (agenda, total) = agenda(e, p, Audience::Controller);
    b.push_str(&format!(
        "<section id=\"controller\"><h2>For the controller: the master scenario events list</h2><p>Run the twin with <code>faultline exercise {} --out DIR</code> (add <code>--side it</code> or <code>--side ot</code> on a second screen for each side). It stops at every inject; read the card, let the table talk, enter the decision. About {total} minutes on the default road.</p>",
        esc(&ex.path.display().to_string())
    ));
    let rows: Vec<Vec<String>> = e
        .injects
        .iter()
        .enumerate()
        .map(|(i, j)| {
            vec![
                format!("+{} min", agenda[i + 1].0),
                clock(j.at_h),
                format!("{} — {}", i + 1, j.title),
                j.when
                    .as_ref()
                    .map(|w| format!("only if {}", when_text(w, e)))
                    .unwrap_or_else(|| "always".into()),
                match &j.decision {
                    Some(d) => format!("{} decides", d.asked),
                    None => "discussion".into(),
                },
            ]
        })
        .collect();
    b.push_str(&table(
        &[
            "session time",
            "twin time",
            "inject",
            "shown",
            "what the table does",
        ]
        .map(String::from),
        &rows,
        Some("timed-injects"),
    ));
    b.push_str("</section>");
    expected_actions(ex, compare, &mut b);
    // What to watch for, per objective: the questions that serve it and room to observe.
    b.push_str(
        "<section id=\"evaluator\"><h2>For the evaluator: what to watch for, per objective</h2>",
    );
    for (side, objectives) in [(Side::IT, &e.objectives.it), (Side::OT, &e.objectives.ot)] {
        for (k, o) in objectives.iter().enumerate() {
            b.push_str(&format!(
                "<div class=\"objective\"><h3>{} objective {}: {}</h3><p>Listen for the answers to:</p><ul>",
                side_name(side),
                k + 1,
                esc(o)
            ));
            for j in &e.injects {
                for q in j.questions.iter().filter(|q| q.serves(side, k)) {
                    b.push_str(&format!(
                        "<li>{} ({}): {}</li>",
                        esc(&j.title),
                        clock(j.at_h),
                        esc(&q.text)
                    ));
                }
            }
            b.push_str("</ul><p>Observed — strengths:</p><div class=\"lines\"></div><p>Observed — areas for improvement:</p><div class=\"lines\"></div></div>");
        }
    }
    b.push_str("</section>");
    b
}

/// Each decision's options, what they do in the twin and (with --compare) their consequences.
fn expected_actions(ex: &Loaded, compare: &[PointComparison], b: &mut String) {
    let e = &ex.exercise;
    b.push_str("<section id=\"expected\"><h2>Expected actions and their consequences</h2>");
    if compare.is_empty() {
        b.push_str("<p>Each option and what it does in the twin. For the computed consequences over many seeds, build the pack with <code>--compare</code> (or see the facilitator guide).</p>");
    } else {
        b.push_str("<p>Each option, what it does in the twin and, from <code>--compare</code>, its mean cost and production against the default choice over the seeds, with 95 % intervals.</p>");
    }
    for (i, d) in ex.points() {
        let j = &e.injects[i];
        b.push_str(&format!(
            "<h3>Inject {} at {} — {} ({} decides; default: {})</h3>",
            i + 1,
            clock(j.at_h),
            esc(&j.title),
            esc(&d.asked),
            esc(&d.default)
        ));
        let c = compare.iter().find(|c| c.inject == i);
        let rows: Vec<Vec<String>> = d
            .options
            .iter()
            .map(|o| {
                let mut row = vec![
                    format!("{} ({})", o.label, o.key),
                    o.actions
                        .iter()
                        .map(|a| format!("{a:?}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                ];
                if let Some(c) = c {
                    let st = c.stats.iter().find(|s| s.key == o.key);
                    row.push(st.map_or("–".into(), |st| st.delta_cost.delta()));
                    row.push(st.map_or("–".into(), |st| st.delta_good_units.delta()));
                }
                row
            })
            .collect();
        let mut head = vec!["option".to_string(), "in the twin".to_string()];
        if let Some(c) = c {
            head.push(format!(
                "Δ cost vs {} ({}) [95 % CI]",
                c.chosen, ex.scenario.cost.currency
            ));
            head.push(format!("Δ good units vs {} [95 % CI]", c.chosen));
        }
        b.push_str(&table(&head, &rows, None));
        if let Some(c) = c {
            b.push_str(&format!("<p>{}.</p>", esc(&c.verdict())));
        }
    }
    b.push_str("</section>");
}

fn feedback_form(e: &Exercise) -> String {
    let mut b = String::from(
        "<section id=\"feedback\"><h2>Participant feedback</h2><p>Your role: ____________________ &nbsp; Side: ☐ IT ☐ OT ☐ other</p><p>Rate each statement from 1 (disagree) to 5 (agree).</p>",
    );
    let mut statements = vec![
        "The scenario was realistic for our plant.".to_string(),
        "The twin's figures helped the table decide.".to_string(),
        "I understand what the other side needs after this exercise.".to_string(),
        "I know what I would do differently on a real night like this.".to_string(),
    ];
    for o in e.objectives.it.iter().chain(&e.objectives.ot) {
        statements.push(format!("The exercise met this objective: {o}"));
    }
    let rows: Vec<Vec<String>> = statements
        .into_iter()
        .map(|s| {
            let mut r = vec![s];
            r.extend((1..=5).map(|_| "☐".to_string()));
            r
        })
        .collect();
    b.push_str(&table(
        &["statement", "1", "2", "3", "4", "5"].map(String::from),
        &rows,
        Some("ratings"),
    ));
    for q in [
        "What was the most useful thing you learned?",
        "Which decision would you take differently, and why?",
        "What should the plant change first (a control, a procedure, a contact list)?",
        "What would make this exercise better?",
    ] {
        b.push_str(&format!(
            "<p><b>{}</b></p><div class=\"lines\"></div>",
            esc(q)
        ));
    }
    b.push_str("</section>");
    b
}

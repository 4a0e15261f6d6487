//! What the facilitator prints and hands out: the exercise pack and the after-action report.

use super::*;

/// `faultline exercise NAME --pack DIR`, which must succeed.
fn write_pack(name: &str, dir: &Path) {
    let (code, _, err) = crate::cli(&[
        "exercise",
        &format!("scenarios/exercises/{name}.ron"),
        "--pack",
        &dir.display().to_string(),
    ]);
    assert_eq!(code, 0, "{name}: {err}");
}

#[test]
fn the_pack_has_a_situation_manual_with_the_line_and_network_drawn_and_a_card_per_inject_and_role()
{
    let tmp = std::env::temp_dir().join(format!("faultline-pack-{}", std::process::id()));
    for name in crate::EXERCISES {
        let ex = load(name);
        let dir = tmp.join(name);
        write_pack(name, &dir);
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let count = |page: &str, what: &str| page.matches(what).count();
        let manual = read("controller/situation-manual.html");
        for part in [
            "id=\"scope\"",
            "id=\"objectives\"",
            "id=\"roles\"",
            "id=\"ground-rules\"",
            "id=\"agenda-table\"",
        ] {
            assert!(
                manual.contains(part),
                "{name}: the situation manual lacks {part}"
            );
        }
        // The line: one box per station; the network: every PLC and host with its address.
        assert_eq!(
            count(&manual, "<g class=\"station\">"),
            ex.scenario.stations.len(),
            "{name}"
        );
        for p in &ex.scenario.plcs {
            assert!(
                manual.contains(&format!(
                    "{} <tspan fill=\"#555\">{}</tspan>",
                    p.name, p.address
                )),
                "{name}: {}",
                p.name
            );
        }
        for h in ex.scenario.network.iter().flat_map(|n| &n.hosts) {
            assert!(
                manual.contains(&format!(">{} <tspan", h.name)),
                "{name}: {}",
                h.name
            );
        }
        // One inject card per inject, one role card per role.
        let cards = read("controller/inject-cards.html");
        assert_eq!(
            count(&cards, "class=\"card inject-card\""),
            ex.exercise.injects.len(),
            "{name}"
        );
        assert!(!cards.contains("{time}") || ex.exercise.injects.iter().any(|j| j.when.is_some()));
        let roles = read("controller/role-cards.html");
        assert_eq!(
            count(&roles, "class=\"card role-card\""),
            ex.exercise.roles.len(),
            "{name}"
        );
        // The handbook times every inject and lists every decision's options.
        let handbook = read("controller/handbook.html");
        assert_eq!(
            count(&handbook, "class=\"objective\""),
            ex.exercise.objectives.it.len() + ex.exercise.objectives.ot.len()
        );
        for (_, d) in ex.points() {
            for o in &d.options {
                assert!(
                    handbook.contains(&format!("({})</th>", o.key)),
                    "{name}: {}",
                    o.key
                );
            }
        }
        assert!(read("participants/feedback-form.html").contains("id=\"ratings\""));
        assert!(read("index.html").contains("href=\"controller/inject-cards.html\""));
        assert!(read("controller/index.html").contains("href=\"inject-cards.html\""));
        assert!(read("participants/index.html").contains("href=\"role-cards.html\""));
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A page's words: its text without tags, split where a name could not go on.
fn words(html: &str) -> Vec<String> {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_end_matches(':').to_string())
        .collect()
}

#[test]
fn the_participants_pack_gives_away_nothing_the_opening_does_not_and_the_controllers_holds_it_all()
{
    let tmp = std::env::temp_dir().join(format!("faultline-packs-{}", std::process::id()));
    for name in crate::EXERCISES {
        let ex = load(name);
        let dir = tmp.join(name);
        write_pack(name, &dir);
        let opening = ex
            .exercise
            .opening
            .clone()
            .expect("a shipped exercise has an opening");
        let given = words(&opening);
        let s = &ex.scenario;
        let hosts: Vec<&String> = s
            .attacks
            .iter()
            .map(|a| &a.from)
            .chain(s.attacker.iter().map(|a| &a.from))
            .collect();
        let times: Vec<String> = ex
            .exercise
            .injects
            .iter()
            .map(|j| {
                let m = (j.at_h * 60.0).round() as u32;
                format!("{:02}:{:02}", m / 60, m % 60)
            })
            .collect();
        let mut pages = 0;
        for e in std::fs::read_dir(dir.join("participants")).unwrap() {
            let path = e.unwrap().path();
            let html = std::fs::read_to_string(&path).unwrap();
            let page = format!("{name}: {}", path.display());
            let w = words(&html);
            for x in &w {
                let technique = x.len() == 5
                    && x.starts_with("T0")
                    && x[2..].chars().all(|c| c.is_ascii_digit());
                assert!(!technique, "{page} names the technique {x}");
                assert!(!x.to_lowercase().contains("spoof"), "{page}: {x}");
            }
            for h in &hosts {
                if !given.contains(h) {
                    assert!(!w.contains(h), "{page} names the attack's host {h}");
                }
            }
            for t in &times {
                if !given.contains(t) {
                    assert!(!w.contains(t), "{page} gives the inject time {t}");
                }
            }
            for j in &ex.exercise.injects {
                assert!(
                    !html.contains(&esc(&j.title)),
                    "{page}: inject {:?}",
                    j.title
                );
                if let Some(d) = &j.decision {
                    assert!(!html.contains(&esc(&d.prompt)), "{page}: {:?}", d.prompt);
                }
            }
            assert!(
                !html.contains(&esc(&ex.exercise.briefing)),
                "{page}: the briefing"
            );
            pages += 1;
        }
        assert_eq!(
            pages, 4,
            "{name}: index, situation manual, role cards, feedback form"
        );
        let manual =
            std::fs::read_to_string(dir.join("participants/situation-manual.html")).unwrap();
        assert!(manual.contains(&esc(&opening)), "{name}: the opening");
        // The controller's pack holds what the participants' leaves out.
        let controller: String = ["situation-manual", "inject-cards", "handbook", "role-cards"]
            .iter()
            .map(|f| std::fs::read_to_string(dir.join(format!("controller/{f}.html"))).unwrap())
            .collect();
        assert!(controller.contains(&esc(&ex.exercise.briefing)), "{name}");
        for h in &hosts {
            assert!(words(&controller).contains(h), "{name}: {h}");
        }
        if name == "quiet-setpoint" {
            for x in ["T0856", "spoof", "eng-ws"] {
                assert!(controller.contains(x), "the controller's pack lacks {x}");
            }
        }
    }
    std::fs::remove_dir_all(&tmp).unwrap();
}

fn esc(s: &str) -> String {
    faultline::report::html::esc(s)
}

#[test]
fn the_after_action_report_scores_each_objective_and_plans_the_improvements() {
    // quiet-setpoint's default road trusts the HMI at 05:00: the twin finds cheaper options
    // with intervals apart, so that decision is an area for improvement of the OT side, with
    // its figures, and a row of the improvement plan.
    let (shared, points) = compared("quiet-setpoint", 4);
    let (ex, table) = (&shared.ex, &shared.table);
    let seed = ex.scenario.seed;
    let log = exercise::DecisionLog {
        exercise: ex.exercise.name.clone(),
        seed,
        decisions: table.decisions.clone(),
    };
    let page = exercise::report::after_action(ex, table, &log, &points);
    let aar = &page[page.find("id=\"aar\"").unwrap()..];
    let aar = &aar[..aar.find("</section>").unwrap()];
    let first = &points[0];
    assert_eq!(first.chosen, "trust-hmi");
    let cheaper = first
        .stats
        .iter()
        .filter(|s| s.delta_cost.ci95.1 < 0.0)
        .min_by(|a, b| a.delta_cost.mean.total_cmp(&b.delta_cost.mean))
        .unwrap();
    let label = &ex.exercise.injects[0]
        .decision
        .as_ref()
        .unwrap()
        .options
        .iter()
        .find(|o| o.key == cheaper.key)
        .unwrap()
        .label;
    let area = format!(
        "would have cost USD {:.0} less [{:.0}, {:.0}]",
        -cheaper.delta_cost.mean, -cheaper.delta_cost.ci95.1, -cheaper.delta_cost.ci95.0
    );
    assert!(aar.contains(&area), "{aar}");
    assert!(
        aar.contains(&faultline::report::html::esc(label)),
        "{label}"
    );
    // Every objective has its strengths and areas.
    let objectives = ex.exercise.objectives.it.len() + ex.exercise.objectives.ot.len();
    assert_eq!(aar.matches("<b>Strengths</b>").count(), objectives);
    assert_eq!(
        aar.matches("<b>Areas for improvement</b>").count(),
        objectives
    );
    // The improvement plan has the area once, with its corrective action and blank owner.
    let plan = &aar[aar.find("id=\"improvement-plan\"").unwrap()..];
    assert_eq!(plan.matches(&area).count(), 1, "{plan}");
    assert!(plan.contains("into the procedure for this situation"));
}

#[test]
fn without_compare_the_after_action_lists_each_decision_taken_and_judges_none() {
    // The bar of an honest after-action: no strength or area verdict that no road not
    // taken was run for; each decision the table took listed under the objectives of its
    // side.
    let (shared, _) = compared("quiet-setpoint", 4);
    let (ex, table) = (&shared.ex, &shared.table);
    let log = exercise::DecisionLog {
        exercise: ex.exercise.name.clone(),
        seed: ex.scenario.seed,
        decisions: table.decisions.clone(),
    };
    let page = exercise::report::after_action(ex, table, &log, &[]);
    let aar = &page[page.find("id=\"aar\"").unwrap()..];
    let aar = &aar[..aar.find("</section>").unwrap()];
    for verdict in ["<b>Strengths</b>", "<b>Areas for improvement</b>"] {
        assert!(!aar.contains(verdict), "{verdict} in:\n{aar}");
    }
    let objectives = ex.exercise.objectives.it.len() + ex.exercise.objectives.ot.len();
    assert_eq!(aar.matches("<b>Decisions taken</b>").count(), objectives);
    // Each decision taken is there with its option's label, under some objective.
    for t in table.decisions.iter().filter(|t| !t.key.is_empty()) {
        let d = ex.exercise.injects[t.inject].decision.as_ref().unwrap();
        let label = &d.options.iter().find(|o| o.key == t.key).unwrap().label;
        let line = format!(
            "the {} chose \u{201c}{}\u{201d}",
            d.asked,
            faultline::report::html::esc(label)
        );
        assert!(aar.contains(&line), "{line} not in:\n{aar}");
    }
    // The improvement plan is left for the table to fill: no row the twin judged.
    let plan = &aar[aar.find("id=\"improvement-plan\"").unwrap()..];
    let body = &plan[plan.find("<tbody>").unwrap()..];
    assert_eq!(
        body.matches("<tr>").count(),
        body.matches("<tr><th scope=\"row\"></th><td></td>").count(),
        "{plan}"
    );
    assert!(!aar.contains("would have cost"), "{aar}");
}

#[test]
fn every_money_column_of_the_pack_the_after_action_and_compare_md_names_the_scenarios_currency() {
    // A plant that counts in euros: no dollar sign and no bare money column anywhere a
    // facilitator prints.
    let (shared, points) = compared("quiet-setpoint", 4);
    let mut ex = shared.ex.clone();
    ex.scenario.cost.currency = "EUR".into();
    // The table's road played again in euros (the roads not taken are the shared ones:
    // the currency names the money, it changes no figure).
    let table = &play(&ex, ex.scenario.seed, Recording::default(), &mut Defaults).unwrap();
    let log = exercise::DecisionLog {
        exercise: ex.exercise.name.clone(),
        seed: ex.scenario.seed,
        decisions: table.decisions.clone(),
    };
    let mut pages = vec![(
        "after-action.html".to_string(),
        exercise::report::after_action(&ex, table, &log, &points),
    )];
    pages.extend(exercise::pack::pack(&ex, table, &points));
    let md = exercise::report::compare_markdown(&ex, &points);
    // A money column: a cost, or what is owed to attacks, controls or operations (a bare
    // "owed to" column names a cause, not an amount).
    let money = |cell: &str| {
        cell.contains("cost") || (cell.contains("owed to ") && cell.trim() != "owed to")
    };
    let mut bare = Vec::new();
    for (name, html) in &pages {
        assert!(!html.contains('$'), "{name} holds a $");
        for head in html.split("<thead>").skip(1) {
            let head = &head[..head.find("</thead>").unwrap()];
            for cell in head.split("<th").skip(1) {
                let text = &cell[cell.find('>').unwrap() + 1..cell.find("</th>").unwrap()];
                if money(text) && !text.contains("EUR") {
                    bare.push(format!("{name}: {text}"));
                }
            }
        }
    }
    assert!(!md.contains('$'), "compare.md holds a $");
    for line in md.lines().filter(|l| l.starts_with("| option")) {
        for cell in line.split('|').filter(|c| money(c) && !c.contains("EUR")) {
            bare.push(format!("compare.md: {cell}"));
        }
    }
    assert!(
        bare.is_empty(),
        "money columns without the currency:\n{}",
        bare.join("\n")
    );
    // The after-action's sentences name it too.
    assert!(
        pages[0].1.contains("would have cost EUR "),
        "an area names its currency"
    );
}

#[test]
fn the_evaluator_listens_for_different_answers_under_each_objective() {
    let tmp = std::env::temp_dir().join(format!("faultline-listen-{}", std::process::id()));
    for name in crate::EXERCISES {
        let dir = tmp.join(name);
        write_pack(name, &dir);
        let handbook = std::fs::read_to_string(dir.join("controller/handbook.html")).unwrap();
        // Each objective's "listen for" list, by its heading.
        let lists: Vec<(String, String)> = handbook
            .split("<div class=\"objective\"><h3>")
            .skip(1)
            .map(|d| {
                let (head, rest) = d.split_once("</h3>").unwrap();
                let list = rest
                    .split_once("<ul>")
                    .unwrap()
                    .1
                    .split_once("</ul>")
                    .unwrap()
                    .0;
                (head.to_string(), list.to_string())
            })
            .collect();
        assert!(lists.len() >= 4, "{name}: {} objectives", lists.len());
        for (head, list) in &lists {
            assert!(
                list.contains("<li>"),
                "{name}: nothing to listen for under {head}"
            );
        }
        for (k, (a, la)) in lists.iter().enumerate() {
            for (b, lb) in &lists[k + 1..] {
                let same_side = a.split(' ').next() == b.split(' ').next();
                assert!(
                    !(same_side && la == lb),
                    "{name}: {a} and {b} listen for the same answers"
                );
            }
        }
    }
    std::fs::remove_dir_all(&tmp).unwrap();
    // A question that names an objective the exercise does not have is placed.
    let text = movable("quiet-setpoint").replacen("serves: [\"OT 1\"]", "serves: [\"OT 3\"]", 1);
    let file = std::env::temp_dir().join(format!("faultline-serves-{}.ron", std::process::id()));
    std::fs::write(&file, text).unwrap();
    let err = exercise::load(&file).unwrap_err().to_string();
    std::fs::remove_file(&file).unwrap();
    assert!(
        err.contains("injects[0].questions[0].serves[0]: \"OT 3\": the OT side has 2 objective(s)"),
        "{err}"
    );
}

//! A run's story on its page: each thermal station's process trend (the truth beside what
//! the HMI displayed) and the run on the ATT&CK for ICS matrix.

use faultline::{Recording, World, load};
use std::path::Path;

fn page(name: &str) -> (World, String) {
    let s = load(Path::new(&format!("scenarios/{name}.ron"))).unwrap();
    let rec = Recording {
        timeline: true,
        events: true,
        ..Default::default()
    };
    let mut w = World::with_recording(&s, s.seed, rec);
    w.run();
    let r = faultline::report::Summary::from_world(&w);
    let html = faultline::report::html::run_page(&w, &r);
    (w, html)
}

/// The `<section id="ID">…</section>` of a page.
fn section<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let start = html.find(&format!("<section id=\"{id}\">"))?;
    let end = html[start..].find("</section>")?;
    Some(&html[start..start + end])
}

/// The matrix cell of a technique: its class attribute.
fn cell_class<'a>(matrix: &'a str, id: &str) -> Option<&'a str> {
    let at = matrix.find(&format!("<b>{id}</b>"))?;
    let open = matrix[..at].rfind("<td class=\"")?;
    let class = &matrix[open + 11..at];
    Some(&class[..class.find('"')?])
}

#[test]
fn the_hidden_setpoint_run_shows_the_true_temperature_beside_the_hmis_and_its_techniques_on_the_matrix()
 {
    let (w, html) = page("attack-setpoint-hidden");
    // The samples the chart draws: at 05:00 the PLC holds the attacker's 56.0 °C and the
    // zone has followed it, while the HMI is shown a zone in band (the spoof forges the
    // status block; its slow poll reads the setpoint as the PLC holds it).
    let tl = w.ledger.metrics.timeline.as_ref().unwrap();
    let at5 = tl.iter().find(|x| x.minute == 300).unwrap();
    assert_eq!(at5.setpoints_c, [Some(56.0)]);
    assert_eq!(at5.shown_setpoints_c, [Some(56.0)]);
    assert!(at5.temps_c[0] < 58.0, "{:?}", at5.temps_c);
    let shown = at5.shown_temps_c[0].unwrap();
    assert!((60.0..=65.0).contains(&shown), "the HMI showed {shown}");
    // Before the attack the HMI tells the truth.
    let at3 = tl.iter().find(|x| x.minute == 180).unwrap();
    assert_eq!(at3.setpoints_c, at3.shown_setpoints_c);
    assert!((at3.temps_c[0] - at3.shown_temps_c[0].unwrap()).abs() < 0.5);
    let trend = section(&html, "process-pasteurizer").expect("a process trend");
    for series in [
        "temperature (true)",
        "temperature the HMI showed (where not true)",
        "setpoint at the PLC",
        "trip limit",
        "band of the product in the zone",
    ] {
        assert!(trend.contains(series), "no {series:?} in the trend");
    }
    // The spoof lasts 15,000 s (250 min) from 03:59:24: the heading's minutes are the
    // timeline's minutes where the view and the truth part.
    let misled = tl
        .iter()
        .filter(|x| (x.temps_c[0] - x.shown_temps_c[0].unwrap_or(x.temps_c[0])).abs() > 0.5)
        .count();
    assert!((240..=251).contains(&misled), "{misled} minutes");
    let said = format!("not the truth for {} h {:02} min", misled / 60, misled % 60);
    assert!(trend.contains(&said), "{said}: {}", &trend[..300]);

    let matrix = section(&html, "attack-matrix").expect("an ATT&CK matrix");
    for id in ["T0836", "T0856"] {
        assert_eq!(
            cell_class(matrix, id),
            Some("att att-succeeded"),
            "{id} in {matrix}"
        );
    }
    for tactic in ["Evasion", "Impair Process Control"] {
        assert!(matrix.contains(&format!("<th>{tactic}</th>")), "{tactic}");
    }
}

#[test]
fn a_blocked_step_is_blue_on_the_matrix_and_a_quiet_day_has_no_matrix_and_a_truthful_hmi() {
    // The DPI refuses both writes: the techniques were tried and blocked, and detected.
    let (_, html) = page("attack-setpoint-dpi");
    let matrix = section(&html, "attack-matrix").unwrap();
    assert_eq!(
        cell_class(matrix, "T0836"),
        Some("att att-blocked att-detected")
    );
    assert!(
        !matrix.contains("<td class=\"att att-succeeded"),
        "{matrix}"
    );
    let trend = section(&html, "process-pasteurizer").unwrap();
    assert!(trend.contains("the HMI showed the truth throughout"));

    let (_, html) = page("bottling-line");
    assert!(section(&html, "attack-matrix").is_none());
    assert!(
        section(&html, "process-pasteurizer")
            .unwrap()
            .contains("the HMI showed the truth throughout")
    );
}

#[test]
fn every_technique_the_core_names_sits_under_a_tactic_of_the_matrix() {
    // Every `"T0…"` written in the core: a step's, a live actor's.
    let mut ids = std::collections::BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from("sim/core")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for (k, _) in text.match_indices("\"T0") {
                    let id = &text[k + 1..(k + 6).min(text.len())];
                    if id[1..].chars().all(|c| c.is_ascii_digit()) {
                        ids.insert(id.to_string());
                    }
                }
            }
        }
    }
    assert!(ids.len() >= 10, "{ids:?}");
    for id in &ids {
        let tactics = faultline::report::html::tactics_of(id);
        assert!(!tactics.is_empty(), "{id} has no tactic in the matrix");
        assert!(
            tactics
                .iter()
                .all(|t| faultline::report::html::TACTICS.contains(t))
        );
    }
}

#[test]
fn the_throughput_chart_shades_the_planned_stops_and_marks_what_the_response_and_the_operators_did()
{
    use faultline::metrics::EventKind;
    let (w, html) = page("response-isolate-zone");
    let chart = section(&html, "throughput").unwrap();
    // One shaded band per run of minutes outside planned production.
    let tl = w.ledger.metrics.timeline.as_ref().unwrap();
    let stops = tl
        .windows(2)
        .filter(|p| p[0].planned && !p[1].planned)
        .count()
        + usize::from(!tl[0].planned);
    assert!(stops >= 1, "the schedule has no stop");
    assert_eq!(chart.matches("fill=\"#E6E6E6\"").count(), stops);
    // The zone's isolation is marked and named; the operators' actions are ticks at the
    // foot, no more than they took.
    let events = w.ledger.metrics.events.as_ref().unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::Response));
    assert!(chart.contains(">\nresponse\n</text>"), "no response mark");
    let acted = events
        .iter()
        .filter(|e| e.kind == EventKind::Operator || e.kind == EventKind::PlcReset)
        .count();
    let ticks = chart.matches("stroke=\"#3C3C3C\"").count();
    assert!(
        ticks >= 1 && ticks <= acted,
        "{ticks} ticks for {acted} actions"
    );

    // The event log beside it: every event in one row or another, the rows in time
    // order, a filter for every kind.
    let log = section(&html, "events").expect("an event log");
    let mut per_kind: std::collections::BTreeMap<String, usize> = Default::default();
    let mut last = String::new();
    for row in log.split("<tr class=\"k-").skip(1) {
        let kind = &row[..row.find('"').unwrap()];
        let cells: Vec<&str> = row
            .split("<td>")
            .skip(1)
            .map(|c| &c[..c.find("</td>").unwrap()])
            .collect();
        assert_eq!(cells.len(), 6, "{row}");
        assert_eq!(cells[2], kind);
        assert!(cells[0] >= last.as_str(), "{} after {last}", cells[0]);
        last = cells[0].to_string();
        *per_kind.entry(kind.to_string()).or_default() += cells[4].parse::<usize>().unwrap();
    }
    assert!(log.contains(&format!("Events: {} in", events.len())));
    let mut want: std::collections::BTreeMap<String, usize> = Default::default();
    for e in events {
        *want.entry(e.kind.as_str().to_string()).or_default() += 1;
    }
    assert_eq!(per_kind, want);
    for k in want.keys() {
        assert!(
            log.contains(&format!("<input type=\"checkbox\" id=\"f-{k}\" checked>")),
            "no filter for {k}"
        );
        assert!(log.contains(&format!(
            "#events:has(#f-{k}:not(:checked)) tr.k-{k}{{display:none}}"
        )));
    }
}

#[test]
fn a_flood_of_blocked_requests_folds_into_rows_and_the_controls_findings_are_on_the_page() {
    let (w, html) = page("all-controls");
    let events = w.ledger.metrics.events.as_ref().unwrap();
    assert!(events.len() > 100_000, "{} events", events.len());
    let log = section(&html, "events").unwrap();
    let rows = log.matches("<tr class=\"k-").count();
    assert!(rows <= 400, "{rows} rows");
    // The flood's blocked requests are a handful of rows, not 280,000.
    let blocked = log.matches("<tr class=\"k-dpi_block\"").count();
    assert!((1..=20).contains(&blocked), "{blocked} rows of dpi_block");

    // The controls' findings beside it: the DPI's and the IDS's, each as the summary has it.
    let r = faultline::report::Summary::from_world(&w);
    let row = |table: &str, label: &str| -> u64 {
        let at = table
            .find(&format!("<th scope=\"row\">{label}</th><td>"))
            .unwrap_or_else(|| panic!("no row {label:?}"));
        let cell = &table[at..];
        let cell = &cell[cell.find("<td>").unwrap() + 4..];
        cell[..cell.find("</td>").unwrap()].parse().unwrap()
    };
    let dpi = r.security.dpi.as_ref().unwrap();
    let findings = &html[html
        .find("The DPI&#39;s findings")
        .expect("the DPI's findings")..];
    assert_eq!(row(findings, "requests inspected"), dpi.inspected);
    assert_eq!(row(findings, "blocked"), dpi.blocked);
    assert!(dpi.blocked > 100_000);
    for (kind, n) in &dpi.by_kind {
        assert_eq!(row(findings, &format!("outside the policy: {kind}")), *n);
    }
    // The parts the table lists add up to their whole.
    let kinds: u64 = dpi.by_kind.iter().map(|(_, n)| n).sum();
    assert_eq!(kinds, row(findings, "outside the policy"));
    let ids = r.security.ids.as_ref().unwrap();
    let findings = &html[html
        .find("The IDS&#39;s findings")
        .expect("the IDS's findings")..];
    assert_eq!(row(findings, "alerts"), ids.alerts);
    assert_eq!(row(findings, "on attack traffic"), ids.true_alerts);
    assert_eq!(
        row(findings, "with nothing behind them (false alarms)"),
        ids.false_alarms
    );
    assert_eq!(
        row(findings, "on attack traffic")
            + row(findings, "on the plant&#39;s own traffic")
            + row(findings, "with nothing behind them (false alarms)"),
        row(findings, "alerts")
    );
    let kinds: u64 = ids.by_kind.iter().map(|(_, n)| n).sum();
    assert_eq!(kinds, ids.alerts);
}

#[test]
fn each_bar_of_the_waterfall_links_to_its_line_of_the_loss_tree() {
    let (w, html) = page("attack-setpoint-hidden");
    let r = faultline::report::Summary::from_world(&w);
    let waterfall = section(&html, "waterfall").expect("a waterfall");
    let table = section(&html, "loss-tree").expect("the loss tree's table");
    let links: Vec<&str> = waterfall
        .split("<a href=\"#")
        .skip(1)
        .map(|a| &a[..a.find('"').unwrap()])
        .collect();
    // The two totals, the shown losses and the rest: every bar is a link.
    let steps = faultline::report::html::waterfall_steps(&r, 12);
    assert_eq!(links.len(), steps.len() + 2, "{links:?}");
    assert_eq!(
        (links[0], *links.last().unwrap()),
        ("loss-tree", "loss-tree")
    );
    for (step, to) in steps.iter().zip(&links[1..]) {
        let Some(k) = step.line else {
            assert_eq!(*to, "loss-tree");
            continue;
        };
        assert_eq!(*to, format!("loss-{k}"));
        // The row it leads to is that loss: its category and its cause.
        let row = &table[table
            .find(&format!("<tr id=\"loss-{k}\">"))
            .unwrap_or_else(|| panic!("no row loss-{k}"))..];
        let row = &row[..row.find("</tr>").unwrap()];
        let line = &r.loss_tree.losses[k];
        assert!(row.contains(line.category.label()), "{row}");
        assert!(
            row.contains(&faultline::report::html::esc(&line.cause)),
            "{row}"
        );
    }
    // The attack's own loss is among the bars.
    assert!(
        steps.iter().any(|s| s.label.contains("step ")),
        "no attack bar"
    );
}

/// Every horizontal label of an SVG chart, centred on its x, lies inside the picture (DejaVu Sans's
/// widest character is under 0.7 em): the axis's last tick is centred on its end.
fn labels_inside(svg: &str, what: &str) {
    let width: f64 = svg
        .split("width=\"")
        .nth(1)
        .and_then(|w| w[..w.find('"')?].parse().ok())
        .expect("the picture's width");
    let mut n = 0;
    for t in svg.split("<text").skip(1) {
        let tag = &t[..t.find('>').unwrap()];
        let attr = |name: &str| -> Option<f64> {
            let v = tag.split(&format!(" {name}=\"")).nth(1)?;
            v[..v.find('"')?].parse().ok()
        };
        let (Some(x), Some(size)) = (attr("x"), attr("font-size")) else {
            continue;
        };
        let text = t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].trim();
        let half = text.chars().count() as f64 * 0.7 * size / 2.0;
        // Rotated labels (an axis's description) are not laid out along x.
        if tag.contains("text-anchor=\"middle\"") && !tag.contains("transform") {
            n += 1;
            assert!(
                x - half >= 0.0 && x + half <= width,
                "{what}: «{text}» at x {x} runs past the picture ({width} px)"
            );
        }
    }
    assert!(n > 3, "{what}: {n} centred labels");
}

#[test]
fn the_waterfalls_and_the_exceedance_charts_last_labels_lie_inside_them() {
    let (_, html) = page("attack-setpoint-hidden");
    let waterfall = section(&html, "waterfall").expect("a waterfall");
    let svg = &waterfall[waterfall.find("<svg").unwrap()..];
    labels_inside(&svg[..svg.find("</svg>").unwrap() + 6], "waterfall");
    // A curve out to millions: the widest labels the axis gives.
    let curve: Vec<(f64, f64)> = (0..=20)
        .map(|k| (k as f64 * 210_000.0, 1.0 - k as f64 / 20.0))
        .collect();
    let band: Vec<(f64, f64, f64)> = curve.iter().map(|&(x, p)| (x, p * 0.8, p)).collect();
    let svg =
        faultline::report::html::exceedance_chart(&[("all controls".into(), curve, band)], "USD");
    labels_inside(&svg, "exceedance");
}

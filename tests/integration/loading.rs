//! Scenario text comes into the core through `Sources` (the core reads no files): overlays
//! stack, and a base that leads back to itself is refused with its field named.

use faultline::scenario::{ScenarioError, load_with};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Files held in memory, as a caller of the core might hand them in.
fn sources(files: &[(&str, String)]) -> impl FnMut(&Path) -> std::io::Result<String> {
    let map: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.clone()))
        .collect();
    move |p: &Path| {
        // The loader joins a base to its overlay's folder (`runs/../longer.ron`); a file
        // system resolves the `..`, so does this.
        let mut norm = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::ParentDir => {
                    norm.pop();
                }
                c => norm.push(c),
            }
        }
        map.get(&norm)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not held"))
    }
}

fn minimal() -> String {
    std::fs::read_to_string("scenarios/minimal.ron").unwrap()
}

#[test]
fn overlays_stack_each_on_its_base() {
    let files = [
        ("plant/base.ron", minimal()),
        (
            "plant/longer.ron",
            r#"Overlay(base: "base.ron", name: "Longer", duration_h: Some(2.0))"#.into(),
        ),
        (
            "plant/runs/seeded.ron",
            r#"Overlay(base: "../longer.ron", name: "Longer, seeded", seed: Some(99))"#.into(),
        ),
    ];
    let mut read = sources(&files);
    let s = load_with(Path::new("plant/runs/seeded.ron"), &mut read).unwrap();
    // The top overlay's name and seed, the middle one's duration, the base's line.
    assert_eq!(s.seed, 99);
    assert_eq!(s.name, "Longer, seeded");
    assert_eq!(s.duration_h, 2.0);
    assert_eq!(s.stations.len(), 2);
    // The base alone is unchanged.
    let base = load_with(Path::new("plant/base.ron"), &mut read).unwrap();
    assert_eq!((base.seed, base.duration_h), (1, 1.0));
}

#[test]
fn an_overlay_cycle_is_refused_naming_the_base_field() {
    let files = [
        (
            "a.ron",
            r#"Overlay(base: "b.ron", name: "A", seed: Some(1))"#.to_string(),
        ),
        (
            "b.ron",
            r#"Overlay(base: "a.ron", name: "B", seed: Some(2))"#.to_string(),
        ),
    ];
    let err = load_with(Path::new("a.ron"), &mut sources(&files)).unwrap_err();
    match &err {
        ScenarioError::Invalid { problems, .. } => {
            assert_eq!(problems[0].field, "base");
            assert!(
                problems[0].message.contains("leads back to itself"),
                "{err}"
            );
        }
        other => panic!("expected a placed problem, got {other}"),
    }
}

#[test]
fn a_missing_base_names_the_base_field_and_the_file_it_looked_for() {
    let files = [(
        "top.ron",
        r#"Overlay(base: "gone.ron", name: "Top", seed: Some(1))"#.to_string(),
    )];
    let err = load_with(Path::new("top.ron"), &mut sources(&files)).unwrap_err();
    match &err {
        ScenarioError::Invalid { problems, .. } => {
            assert_eq!(problems[0].field, "base");
            assert!(problems[0].message.contains("gone.ron"), "{err}");
        }
        other => panic!("expected the base field named, got {other}"),
    }
}

#[test]
fn a_risk_section_is_checked_for_meaning_with_its_fields_named() {
    let files = [
        ("plant/base.ron", minimal()),
        (
            "plant/priced.ron",
            r#"Overlay(base: "base.ron", name: "Priced", risk: Some((
                campaigns_per_year: Pert(min: 2.0, likely: 1.0, max: 3.0),
                operating_days: 400.0,
                controls: [
                    (control: "firewall", purchase: 1.0, life_years: 0.0),
                    (control: "dpi", purchase: -5.0, life_years: 5.0),
                    (control: "dpi", purchase: 5.0, life_years: 5.0),
                ],
            )))"#
                .into(),
        ),
    ];
    let mut read = sources(&files);
    let err = load_with(Path::new("plant/priced.ron"), &mut read).unwrap_err();
    let text = err.to_string();
    for want in [
        "risk.campaigns_per_year: Pert(min: 2, likely: 1, max: 3)",
        "risk.operating_days: 400 must be > 0 and at most 366",
        "risk.controls[0].control: unknown control \"firewall\"; known: segmentation, dpi",
        "risk.controls[0].life_years",
        "risk.controls[1].purchase",
        "risk.controls",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert!(matches!(err, ScenarioError::Invalid { .. }), "{err:?}");
}

#[test]
fn an_overlay_can_remove_a_section_and_empty_a_list_and_names_what_it_cannot() {
    let base = std::fs::read_to_string("scenarios/attack-setpoint-dpi.ron").unwrap();
    let reference = std::fs::read_to_string("scenarios/bottling-line.ron").unwrap();
    let overlay =
        |body: &str| format!("Overlay(base: \"attack-setpoint-dpi.ron\", name: \"x\", {body})");
    let load = |body: &str| {
        let files = [
            ("s/bottling-line.ron", reference.clone()),
            ("s/attack-setpoint-dpi.ron", base.clone()),
            ("s/x.ron", overlay(body)),
        ];
        let mut src = sources(&files);
        load_with(Path::new("s/x.ron"), &mut src)
    };
    // As written, the base has a DPI and two attack steps.
    let s = load("").unwrap();
    assert!(s.dpi.is_some());
    assert_eq!(s.attacks.len(), 2);
    // `dpi: None` removes it; `clear: ["attacks"]` empties the list before adding.
    let s = load(r#"dpi: None, clear: ["attacks"], attacks: [(at_h: 1.0, from: "eng-ws", step: StopPlc(plc: "plc-filler"))]"#)
        .unwrap();
    assert!(s.dpi.is_none());
    assert_eq!(s.attacks.len(), 1);
    // A list it cannot empty is an error at its place, never ignored.
    let e = load(r#"clear: ["schedule"]"#).unwrap_err();
    match &e {
        ScenarioError::Invalid { problems, .. } => {
            assert_eq!(problems[0].field, "clear[0]", "{e}");
            assert!(problems[0].message.contains("attacks, health"), "{e}");
        }
        other => panic!("{other}"),
    }
    // `attacks: []` would keep the base's two steps: an error that says how to remove them.
    let e = load("attacks: []").unwrap_err();
    match &e {
        ScenarioError::Invalid { problems, .. } => {
            assert_eq!(problems[0].field, "attacks", "{e}");
            assert!(
                problems[0]
                    .message
                    .contains("the base's 2 attacks entries stay"),
                "{e}"
            );
            assert!(problems[0].message.contains(r#"clear: ["attacks"]"#), "{e}");
        }
        other => panic!("{other}"),
    }
    // With the list cleared first it is what it says: no attacks.
    assert!(
        load(r#"clear: ["attacks"], attacks: []"#)
            .unwrap()
            .attacks
            .is_empty()
    );
}

#[test]
fn run_switches_controls_off_for_one_run_with_the_sweeps_names() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args([
                "run",
                "scenarios/attack-setpoint-dpi.ron",
                "--hours",
                "12",
                "--json",
            ])
            .args(args)
            .output()
            .unwrap()
    };
    let off = run(&["--off", "dpi"]);
    assert!(
        off.status.success(),
        "{}",
        String::from_utf8_lossy(&off.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&off.stdout).unwrap();
    assert!(j["security"]["dpi"].is_null(), "{}", j["security"]);
    assert!(
        j["scenario"]
            .as_str()
            .unwrap()
            .contains("switched off: dpi")
    );
    // The steps the DPI blocked now get through.
    assert_eq!(j["security"]["steps_succeeded"], 2);
    let bad = run(&["--on", "ids"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("does not deploy \"ids\""));
    let bad = run(&["--off", "firewall"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown control \"firewall\""));
}

#[test]
fn syntax_errors_say_the_fix_in_the_scenarios_words() {
    let reference = std::fs::read_to_string("scenarios/bottling-line.ron").unwrap();
    // An optional field given a bare value.
    let text = reference.replace("target_per_h: Some(3600.0)", "target_per_h: 3600.0");
    let e = faultline::scenario::parse(&text, "x.ron")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hint: this field is optional: write Some(3600.0)"),
        "{e}"
    );
    // An enum value written as a string.
    let dpi = std::fs::read_to_string("scenarios/attack-setpoint-dpi.ron")
        .unwrap()
        .replace("preset: ReadOnly", "preset: \"ReadOnly\"");
    let files = [("s/bottling-line.ron", reference.clone()), ("s/x.ron", dpi)];
    let mut src = sources(&files);
    let e = load_with(Path::new("s/x.ron"), &mut src)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("hint: write ReadOnly without quotes (one of ReadOnly, ReadWrite, Programming)"),
        "{e}"
    );
    // A misspelt value in quotes: the choices come from the field's type.
    let dpi = std::fs::read_to_string("scenarios/attack-setpoint-dpi.ron")
        .unwrap()
        .replace("mode: Enforce", "mode: \"Enforcing\"");
    let files = [("s/bottling-line.ron", reference.clone()), ("s/x.ron", dpi)];
    let e = load_with(Path::new("s/x.ron"), &mut sources(&files))
        .unwrap_err()
        .to_string();
    assert!(e.contains("(one of Monitor, Enforce)"), "{e}");
}

/// The problems of the shipped file `name` with `edits` (from, to) applied, loaded with
/// the shipped bases.
fn problems_of(name: &str, edits: &[(&str, &str)]) -> Vec<String> {
    let path = format!("scenarios/{name}");
    let mut text = std::fs::read_to_string(&path).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from} not in {name}");
        text = text.replacen(from, to, 1);
    }
    let mut files = vec![(path.as_str(), text)];
    let base = std::fs::read_to_string("scenarios/bottling-line.ron").unwrap();
    if name != "bottling-line.ron" {
        files.push(("scenarios/bottling-line.ron", base));
    }
    match load_with(Path::new(&path), &mut sources(&files)) {
        Err(ScenarioError::Invalid { problems, .. }) => problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect(),
        other => panic!("expected problems, got {other:?}"),
    }
}

#[test]
fn absurd_values_empty_names_and_repeats_are_refused_with_their_unit_and_place() {
    let p = problems_of(
        "bottling-line.ron",
        &[
            (
                "repair_min: LogNormal(mean: 10.0,",
                "repair_min: LogNormal(mean: 1e20,",
            ),
            ("currency: \"USD\"", "currency: \"\""),
            ("(name: \"historian\",", "(name: \"\","),
        ],
    );
    let want = [
        "stations[0].failures.repair_min.mean: 1e20 min is out of range: allowed 0 to 527040 min",
        "cost.currency: must not be empty",
        "network.hosts[1].name: must not be empty",
    ];
    for w in want {
        assert!(p.iter().any(|x| x == w), "{w} not in {p:#?}");
    }
    let p = problems_of(
        "attack-it-scan.ron",
        &[("Scan(rate_per_s: 2.0)", "Scan(rate_per_s: 1e308)")],
    );
    assert!(
        p.iter()
            .any(|x| x.starts_with("attacks[0].step.rate_per_s: 1e308 per second is out of range")),
        "{p:#?}"
    );
    let dup_rule = "(from: Host(\"scada\"), to: Zone(\"control\"), preset: ReadWrite),";
    let dup_step = "(at_h: 10.0, from: \"eng-ws\", step: StopPlc(plc: \"plc-filler\")),";
    let p = problems_of(
        "attack-setpoint-dpi.ron",
        &[
            (dup_rule, &format!("{dup_rule}\n{dup_rule}")),
            (dup_step, &format!("{dup_step}\n{dup_step}")),
        ],
    );
    assert!(
        p.iter()
            .any(|x| x == "dpi.rules[2]: the same rule as dpi.rules[1]"),
        "{p:#?}"
    );
    assert!(
        p.iter()
            .any(|x| x == "attacks[2]: repeats attacks[1]: remove one of them"),
        "{p:#?}"
    );
}

#[test]
fn a_field_inside_an_attack_step_that_does_not_exist_is_an_error() {
    let text = std::fs::read_to_string("scenarios/ransomware-flat.ron").unwrap();
    let bad = text.replacen("precautionary_shutdown_h:", "precautionary_shutdown_hx:", 1);
    assert_ne!(bad, text);
    let files = [
        ("scenarios/ransomware-flat.ron", bad),
        (
            "scenarios/bottling-line.ron",
            std::fs::read_to_string("scenarios/bottling-line.ron").unwrap(),
        ),
    ];
    match load_with(
        Path::new("scenarios/ransomware-flat.ron"),
        &mut sources(&files),
    ) {
        Err(ScenarioError::Syntax { message, .. }) => {
            assert!(message.contains("precautionary_shutdown_hx"), "{message}")
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn the_second_plants_overlay_that_removes_its_controls_is_the_plant_without_them() {
    let without = faultline::load(Path::new("scenarios/snack-fryer-tamper.ron")).unwrap();
    let controlled =
        faultline::load(Path::new("scenarios/snack-fryer-tamper-controls.ron")).unwrap();
    let mut removed =
        faultline::load(Path::new("scenarios/snack-fryer-tamper-no-controls.ron")).unwrap();
    assert!(controlled.dpi.is_some() && controlled.segmentation.is_some());
    assert!(removed.dpi.is_none() && removed.segmentation.is_none());
    // Same inputs, same run: the overlay differs from the uncontrolled plant only by name.
    removed.name = without.name.clone();
    removed.description = without.description.clone();
    assert_eq!(removed, without);
}

#[test]
fn every_verb_gives_the_readmes_exit_codes() {
    // The README's table: 66 unreadable input, 65 invalid content, 74 output error, 2 usage
    // (69, the viewer without a display, is in tests/peers/test_viewer.py).
    let dir = std::env::temp_dir().join(format!("faultline-exits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.ron").display().to_string();
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(").unwrap();
    let bad = bad.display().to_string();
    let out = dir.join("out").display().to_string();
    let under_a_file = format!("{bad}/out");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["run", &missing], 66),
        (vec!["run", &bad], 65),
        (vec!["validate", &missing], 66),
        (vec!["sweep", &missing, "--runs", "1", "--out", &out], 66),
        (vec!["merge", &missing, "--out", &out], 66),
        (
            vec!["run", "scenarios/minimal.ron", "--replay", &missing],
            66,
        ),
        (
            vec!["proxy", "--upstream", "127.0.0.1:9", "--policy", &missing],
            66,
        ),
        (
            vec!["proxy", "--upstream", "127.0.0.1:9", "--policy", &bad],
            65,
        ),
        (vec!["exercise", &missing], 66),
        (vec!["map", &missing], 66),
        (vec!["export", "nftables", &missing], 66),
        (vec!["export", "proxy-policy", &missing, "--plc", "p"], 66),
        // A scenario with no segmentation has no rule set to export: invalid for the verb.
        (
            vec!["export", "nftables", "scenarios/bottling-line.ron"],
            65,
        ),
        (vec!["live", &missing, "--hours", "0.001"], 66),
        (vec!["view", &missing], 66),
        (vec!["pki", "init", &out, "--scenario", &missing], 66),
        (
            vec![
                "pki",
                "init",
                &under_a_file,
                "--scenario",
                "scenarios/bottling-line.ron",
            ],
            74,
        ),
        (vec!["schema", "no-such-section"], 2),
        // Output that cannot be written: 74 (the out folder would be inside a file).
        (
            vec!["run", "scenarios/minimal.ron", "--out", &under_a_file],
            74,
        ),
        (
            vec![
                "sweep",
                "scenarios/minimal.ron",
                "--runs",
                "1",
                "--hours",
                "1",
                "--out",
                &under_a_file,
            ],
            74,
        ),
        (
            vec![
                "exercise",
                "scenarios/exercises/scan-legacy.ron",
                "--choose",
                "default",
                "--out",
                &under_a_file,
            ],
            74,
        ),
        // Usage: 2.
        (vec!["run"], 2),
        (
            vec!["sweep", "scenarios/minimal.ron", "--toggle", "firewal"],
            2,
        ),
    ];
    for (args, want) in cases {
        let (code, _, err) = crate::cli(&args);
        assert_eq!(code, want, "faultline {}: {err}", args.join(" "));
        assert!(
            err.lines().any(|l| l.starts_with("error:")),
            "faultline {}: {err}",
            args.join(" ")
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_quantity_is_a_number_or_a_distribution_and_anything_else_gets_the_forms() {
    let dir = std::env::temp_dir().join(format!("faultline-quantity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/bottling-line.ron").unwrap();
    let write = |v: &str| {
        let p = dir.join("q.ron");
        std::fs::write(
            &p,
            format!(
                "Overlay(base: \"{}\", name: \"q\", attacks: [(at_h: 6.0, from: \"mes\", \
                 step: Ransomware(recovery_h: {v}, precautionary_shutdown_h: None))])",
                base.display()
            ),
        )
        .unwrap();
        faultline::load(&p)
    };
    assert!(write("8.0").is_ok());
    assert!(write("LogNormal(mean: 8.0, cv: 0.5)").is_ok());
    let e = write("\"8\"").unwrap_err().to_string();
    assert!(e.contains("q.ron:1:"), "{e}");
    assert!(e.contains("write a number (8.0) or a distribution"), "{e}");
    let e = write("LogNormal(mean: -8.0, cv: 0.5)")
        .unwrap_err()
        .to_string();
    assert!(e.contains("attacks[0].step.recovery_h: LogNormal"), "{e}");
    let e = write("0.0").unwrap_err().to_string();
    assert!(
        e.contains("attacks[0].step.recovery_h: 0 must be a number > 0"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

//! Every shipped scenario loads and runs; bad files give placed errors and exit codes.

use crate::cli;
use faultline::report::Summary;
use faultline::scenario::Action;
use faultline::{World, load};
use std::path::Path;

#[test]
fn every_shipped_scenario_validates_and_runs() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "ron") {
            let s = load(&path).unwrap_or_else(|e| panic!("{e}"));
            let run = crate::shipped_run(&path, s.seed);
            let sum = &run.summary;
            assert!(
                sum.line.good_units > 0,
                "{}: produced nothing",
                path.display()
            );
            n += 1;
        }
    }
    assert!(n >= 2);
}

#[test]
fn reference_scenario_is_believable() {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let mut w = World::new(&s, s.seed);
    w.run();
    let sum = Summary::from_world(&w);
    let l = &sum.line;
    // A real line reaches 60–90 % of nameplate over a day with failures.
    assert!(
        (60.0..95.0).contains(&l.attainment_pct),
        "attainment {}",
        l.attainment_pct
    );
    // Planned production time is what the schedule says: the hours between each start
    // and the next stop (or the end of the run).
    let mut planned = 0.0;
    let mut on_since = None;
    for e in &s.schedule {
        match e.action {
            Action::StartLine => on_since = on_since.or(Some(e.at_h)),
            Action::StopLine => planned += on_since.take().map_or(0.0, |t| e.at_h - t),
            Action::Changeover { .. } => {}
        }
    }
    planned += on_since.map_or(0.0, |t| s.duration_h - t);
    assert!(planned > 0.0);
    assert!(
        (l.planned_production_h - planned).abs() < 1e-6,
        "{} vs {planned}",
        l.planned_production_h
    );
    assert_eq!(l.bottleneck, "filler");
    assert!(l.failures > 5);
    // The HMI saw every alarm: maintenance was called over Modbus, no timeouts.
    assert!(sum.hmi.operator_actions > 0);
    assert_eq!(sum.hmi.timeouts, 0);
    // Units are conserved: everything that left a station either entered the next one or
    // waits in a buffer; everything that entered a station left it, was scrapped there, or
    // is inside it (at most one).
    let p = &w.plant;
    let out_upstream: u64 = p
        .stations
        .iter()
        .filter(|st| !st.is_sink())
        .map(|st| st.counters.units_out)
        .sum();
    let in_downstream: u64 = p
        .stations
        .iter()
        .filter(|st| !st.is_source())
        .map(|st| st.counters.units_in)
        .sum();
    let buffered: u64 = p.buffers.iter().map(|b| u64::from(b.level)).sum();
    assert_eq!(out_upstream, in_downstream + buffered);
    for st in &p.stations {
        let c = &st.counters;
        let inside = c.units_in - c.units_out - c.scrap_quality - c.scrap_temperature;
        assert!(inside <= 1, "{}: {c:?}", st.name);
    }
    let scrapped: u64 = p
        .stations
        .iter()
        .map(|st| st.counters.scrap_quality + st.counters.scrap_temperature)
        .sum();
    assert_eq!(l.scrap_units, scrapped);
}

#[test]
fn syntax_error_names_file_line_column_and_text() {
    let (code, _, err) = cli(&["validate", "tests/data/bad-syntax.ron"]);
    assert_eq!(code, 65);
    assert!(err.contains("tests/data/bad-syntax.ron:6:39"), "{err}");
    assert!(
        err.contains("(name: \"filler\", cycle_s: 1.0 feeds: []),"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
}

#[test]
fn unknown_field_is_rejected_with_its_place() {
    let (code, _, err) = cli(&["validate", "tests/data/bad-unknown-field.ron"]);
    assert_eq!(code, 65);
    assert!(err.contains("bad-unknown-field.ron:6:"), "{err}");
    assert!(err.contains("cycle_time"), "{err}");
}

#[test]
fn dangling_reference_names_field_path_and_known_names() {
    let (code, _, err) = cli(&["validate", "tests/data/bad-dangling.ron"]);
    assert_eq!(code, 65);
    assert!(
        err.contains(r#"stations[3].feeds[0]: no station named "capper2"; known: capper, filler, labeler, packer"#),
        "{err}"
    );
}

#[test]
fn negative_time_is_rejected() {
    let (code, _, err) = cli(&["validate", "tests/data/bad-negative.ron"]);
    assert_eq!(code, 65);
    assert!(
        err.contains("stations[1].cycle_s: -0.5 must be a number > 0"),
        "{err}"
    );
}

#[test]
fn missing_file_and_usage_errors_have_conventional_exit_codes() {
    assert_eq!(cli(&["validate", "no/such/file.ron"]).0, 66);
    assert_eq!(cli(&["run"]).0, 2);
    assert_eq!(cli(&["run", "scenarios/minimal.ron", "--hours", "-1"]).0, 2);
    let (code, out, _) = cli(&["validate", "scenarios/minimal.ron"]);
    assert_eq!(code, 0);
    assert!(out.contains("ok"));
}

#[test]
fn run_writes_its_outputs_and_prints_the_seed_first() {
    let dir = std::env::temp_dir().join(format!("faultline-test-{}", std::process::id()));
    let (code, out, err) = cli(&[
        "run",
        "scenarios/minimal.ron",
        "--seed",
        "77",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.starts_with("seed: 77"), "{err}");
    assert!(out.contains("production"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["seed"], 77);
    let timeline = std::fs::read_to_string(dir.join("timeline.csv")).unwrap();
    assert_eq!(
        timeline.lines().count(),
        61,
        "header + one row per minute of the hour"
    );
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    for line in events.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn map_prints_every_plc() {
    let (code, out, _) = cli(&["map", "scenarios/bottling-line.ron"]);
    assert_eq!(code, 0);
    for plc in ["plc-depal", "plc-pasteur", "plc-labelers"] {
        assert!(out.contains(plc), "{plc} missing");
    }
    assert!(out.contains("temp_sp"));
    assert!(out.contains("labeler_b (block 1, base address 100)"));
}

#[test]
fn register_map_doc_is_in_step_with_the_code() {
    let (code, out, _) = cli(&["map", "scenarios/bottling-line.ron", "--markdown"]);
    assert_eq!(code, 0);
    let doc = std::fs::read_to_string("docs/register-map.md").unwrap();
    assert!(
        doc == out,
        "docs/register-map.md is stale: regenerate with `faultline map scenarios/bottling-line.ron --markdown > docs/register-map.md`"
    );
}

#[test]
fn live_warns_when_bound_beyond_loopback_and_ends_with_the_report() {
    let (code, out, err) = cli(&[
        "live",
        "scenarios/minimal.ron",
        "--bind",
        "0.0.0.0",
        "--base-port",
        "0",
        "--speed",
        "200",
        "--hours",
        "0.01",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: binding 0.0.0.0, not loopback"),
        "{err}"
    );
    assert!(out.contains("plc1") && out.contains("production"), "{out}");
}

#[test]
fn live_binds_loopback_by_default_without_a_warning() {
    let (code, out, err) = cli(&[
        "live",
        "scenarios/minimal.ron",
        "--base-port",
        "0",
        "--speed",
        "200",
        "--hours",
        "0.01",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert!(out.contains("127.0.0.1:"), "{out}");
}

//! Tabletop exercises: every shipped exercise runs unattended and writes its after-action
//! report, the same decisions give the same bytes, each exercise's decisions matter in the
//! direction its facilitator guide claims, and bad exercise files get placed errors.

use faultline::exercise::{
    self, Consequences, Defaults, Loaded, Played, PointComparison, Recorded, Roads, Taken, compare,
    judged, play, roads,
};
use faultline::world::Recording;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

mod injects;
mod papers;

/// A shipped exercise's text with its scenario and guide paths made absolute, so that a
/// changed copy of it loads from another folder.
fn movable(name: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::read_to_string(format!("scenarios/exercises/{name}.ron"))
        .unwrap()
        .replace(
            "scenario: \"",
            &format!("scenario: \"{root}/scenarios/exercises/"),
        )
        .replace("guide: \"../../", &format!("guide: \"{root}/"))
}

fn load(name: &str) -> Loaded {
    exercise::load(Path::new(&format!("scenarios/exercises/{name}.ron"))).unwrap()
}

/// The seeds of the facilitator guides' compare blocks: the roads the tests here share.
const SHARED_SEEDS: u32 = 8;

/// An exercise's default road and every road not taken from it on [`SHARED_SEEDS`] seeds,
/// run once for all the tests of this binary that compare it (whichever asks first).
struct Compared {
    ex: Loaded,
    table: Played,
    roads: Roads,
}

fn shared(name: &str) -> Arc<Compared> {
    type Cells = BTreeMap<String, Arc<OnceLock<Arc<Compared>>>>;
    static RUNS: OnceLock<Mutex<Cells>> = OnceLock::new();
    let cell = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry(name.to_string())
        .or_default()
        .clone();
    cell.get_or_init(|| {
        let ex = load(name);
        let seed = ex.scenario.seed;
        let table = play(&ex, seed, Recording::default(), &mut Defaults).unwrap();
        let roads = roads(&ex, seed, &table.decisions, &[], SHARED_SEEDS).unwrap();
        Arc::new(Compared { ex, table, roads })
    })
    .clone()
}

/// `compare` of the exercise's default road on `seeds` seeds (at most [`SHARED_SEEDS`]),
/// from the shared roads: the first `seeds` of them are what `compare` on `seeds` runs.
fn compared(name: &str, seeds: u32) -> (Arc<Compared>, Vec<PointComparison>) {
    assert!(seeds <= SHARED_SEEDS);
    let c = shared(name);
    let points = judged(&c.ex, &c.table.decisions, &c.roads, seeds).unwrap();
    (c, points)
}

/// The outcome of each option at the exercise's first decision point, by key.
fn options(name: &str) -> Vec<(String, Consequences)> {
    let (_, c) = compared(name, 1);
    c[0].options
        .iter()
        .map(|(k, _, o)| (k.clone(), o.clone()))
        .collect()
}

fn get<'a>(o: &'a [(String, Consequences)], key: &str) -> &'a Consequences {
    &o.iter().find(|x| x.0 == key).unwrap().1
}

#[test]
fn every_shipped_exercise_runs_unattended_and_writes_the_same_bytes_twice() {
    let mut files: Vec<_> = std::fs::read_dir("scenarios/exercises")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "the curriculum has at least four exercises"
    );
    let tmp = std::env::temp_dir().join(format!("faultline-ex-{}", std::process::id()));
    for f in &files {
        let stem = f.file_stem().unwrap().to_string_lossy().to_string();
        let mut pages = Vec::new();
        for run in 0..2 {
            let out = tmp.join(format!("{stem}-{run}"));
            let r = Command::new(env!("CARGO_BIN_EXE_faultline"))
                .args(["exercise", &f.display().to_string(), "--choose", "default"])
                .args(["--out", &out.display().to_string()])
                .output()
                .unwrap();
            assert!(
                r.status.success(),
                "{stem}: {}",
                String::from_utf8_lossy(&r.stderr)
            );
            let page = std::fs::read_to_string(out.join("after-action.html")).unwrap();
            for part in [
                "id=\"timeline\"",
                "id=\"questions\"",
                "id=\"scorecard\"",
                "id=\"input-log\"",
                "id=\"aar\"",
                "id=\"improvement-plan\"",
                "<textarea",
            ] {
                assert!(
                    page.contains(part),
                    "{stem}: after-action.html lacks {part}"
                );
            }
            pages.push((page, std::fs::read(out.join("summary.json")).unwrap()));
        }
        assert!(
            pages[0] == pages[1],
            "{stem}: two sessions with the same decisions differ"
        );
        // The decisions file replays the session to the same report.
        let replay = tmp.join(format!("{stem}-replay"));
        let log = tmp.join(format!("{stem}-0/decisions.json"));
        let r = Command::new(env!("CARGO_BIN_EXE_faultline"))
            .args(["exercise", &f.display().to_string()])
            .args(["--decisions", &log.display().to_string()])
            .args(["--out", &replay.display().to_string()])
            .output()
            .unwrap();
        assert!(
            r.status.success(),
            "{stem}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert_eq!(
            std::fs::read(replay.join("summary.json")).unwrap(),
            pages[0].1
        );
        // Every inject is a moment: the input log holds one entry per inject, a choice
        // where the inject has a decision and none where it is discussion only.
        let ex = exercise::load(f).unwrap();
        let log: exercise::DecisionLog =
            serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
        assert_eq!(log.decisions.len(), ex.exercise.injects.len(), "{stem}");
        for (t, j) in log.decisions.iter().zip(&ex.exercise.injects) {
            assert_eq!(
                t.key.is_empty(),
                t.skipped || j.decision.is_none(),
                "{stem}: {}",
                j.title
            );
            // Only an inject with a condition is ever skipped.
            assert!(!t.skipped || j.when.is_some(), "{stem}: {}", j.title);
        }
        // At least three decision points, and the default road meets three of them.
        assert!(
            ex.points().len() >= 3,
            "{stem}: {} decision points",
            ex.points().len()
        );
        let decided = log.decisions.iter().filter(|t| !t.key.is_empty()).count();
        assert!(
            decided >= 3,
            "{stem}: the default road decides {decided} times"
        );
        // Injects follow the table's choices: some inject depends on an earlier choice.
        assert!(
            ex.exercise
                .injects
                .iter()
                .any(|j| format!("{:?}", j.when).contains("Chose(")),
            "{stem}: no inject follows the table's choices"
        );
    }
}

#[test]
fn a_log_from_before_every_inject_was_a_moment_still_replays() {
    let ex = load("vendor-2am");
    let seed = ex.scenario.seed;
    let table = play(&ex, seed, Recording::default(), &mut Defaults).unwrap();
    assert_eq!(table.decisions.len(), ex.exercise.injects.len());
    // Only the choices, as logs were written before.
    let choices: Vec<Taken> = table
        .decisions
        .iter()
        .filter(|t| !t.key.is_empty())
        .cloned()
        .collect();
    assert!(
        choices.len() < table.decisions.len(),
        "vendor-2am has a discussion inject"
    );
    let again = play(&ex, seed, Recording::default(), &mut Recorded(choices)).unwrap();
    assert_eq!(again.decisions, table.decisions);
    assert_eq!(again.summary.line.good_units, table.summary.line.good_units);
}

#[test]
fn without_a_terminal_the_exercise_asks_for_choose_or_decisions() {
    let r = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(["exercise", "scenarios/exercises/scan-legacy.ron"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--choose default"));
}

#[test]
fn scanning_in_production_costs_output_that_passive_monitoring_does_not() {
    let o = options("scan-legacy");
    let (now, window, passive) = (get(&o, "scan-now"), get(&o, "window"), get(&o, "passive"));
    assert!(
        now.good_units < passive.good_units,
        "{now:?} vs {passive:?}"
    );
    assert!(now.good_units < window.good_units, "{now:?} vs {window:?}");
    assert_eq!(passive.steps_succeeded, 0);
    assert!(passive.cost < now.cost);
}

#[test]
fn refusing_the_vendor_prevents_the_setpoint_attack_at_the_price_of_repair_time() {
    let o = options("vendor-2am");
    let (approve, gateway, refuse) = (get(&o, "approve"), get(&o, "gateway"), get(&o, "refuse"));
    // Both changes tonight and the return at 10:00 (the VPN stays open on the default road).
    assert_eq!(approve.steps_succeeded, 3, "{approve:?}");
    assert_eq!(refuse.steps_succeeded, 0, "{refuse:?}");
    assert_eq!(gateway.steps_succeeded, 0, "{gateway:?}");
    // Waiting for an engineer on site costs more downtime than the gateway's approval.
    assert!(
        refuse.downtime_h > gateway.downtime_h,
        "{refuse:?} vs {gateway:?}"
    );
    assert!(gateway.downtime_h > approve.downtime_h);
}

#[test]
fn island_mode_keeps_production_above_stopping_the_line() {
    let o = options("ransomware-monday");
    let (stop, island, wait) = (get(&o, "stop"), get(&o, "island"), get(&o, "wait"));
    assert!(
        island.good_units > stop.good_units,
        "{island:?} vs {stop:?}"
    );
    // Without island mode, losing the MES stops the line anyway.
    assert!(island.good_units > wait.good_units);
}

#[test]
fn restoring_the_plc_or_isolating_the_workstation_beats_trusting_the_hmi() {
    let o = options("quiet-setpoint");
    let trust = get(&o, "trust-hmi");
    for key in ["restore", "isolate", "both"] {
        let x = get(&o, key);
        assert!(x.cost < trust.cost, "{key}: {x:?} vs {trust:?}");
        assert!(x.good_units > trust.good_units, "{key}");
    }
}

#[test]
fn fixing_the_forgotten_rule_beats_keeping_the_broken_rule_set() {
    let o = options("segmentation-go-live");
    let (keep, rollback, fix) = (get(&o, "keep"), get(&o, "rollback"), get(&o, "fix"));
    assert!(fix.good_units > keep.good_units, "{fix:?} vs {keep:?}");
    assert!(fix.good_units >= rollback.good_units);
    assert!(
        keep.downtime_by_cause
            .iter()
            .any(|c| c.0.contains("control: segmentation") && c.1 > 0.0)
    );
}

#[test]
fn recorded_decisions_must_name_real_options() {
    let ex = load("ransomware-monday");
    let bad = vec![Taken {
        inject: 0,
        key: "panic".into(),
        deliberation_s: 0.0,
        skipped: false,
    }];
    let err = play(&ex, 1, Recording::default(), &mut Recorded(bad))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("no option \"panic\""), "{err}");
}

#[test]
fn a_bad_exercise_names_each_problem_at_its_place() {
    let dir = std::env::temp_dir().join(format!("faultline-badex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.ron");
    let base = std::fs::canonicalize("scenarios/attack-it-scan.ron").unwrap();
    std::fs::write(
        &f,
        format!(
            r#"Exercise(
    name: "bad",
    scenario: "{}",
    briefing: "",
    roles: [(name: "IT", side: IT)],
    objectives: (it: [], ot: []),
    injects: [
        (at_h: 2.0, title: "a", kind: Request, text: "", to: ["Boss"]),
        (at_h: 1.0, title: "b", kind: Request, text: "", decision: Some((
            asked: "OT", prompt: "", default: "x",
            options: [
                (key: "a", label: "", actions: [IsolateHost("nowhere")]),
                (key: "a", label: "", actions: [DpiEnforce(true)]),
            ],
        ))),
    ],
)
"#,
            base.display()
        ),
    )
    .unwrap();
    let err = exercise::load(&f).unwrap_err().to_string();
    for want in [
        "injects[0].to[0]",
        "injects[1].at_h",
        "injects[1].decision.asked",
        "injects[1].decision.default",
        "injects[1].decision.options[0].actions[0]: no host named \"nowhere\"",
        "injects[1].decision.options[1].key",
        "injects[1].decision.options[1].actions[0]: the scenario deploys no DPI",
    ] {
        assert!(err.contains(want), "missing {want} in:\n{err}");
    }
    std::fs::write(&f, "Exercise(\n  name: \"x\",\n  scenery: \"y\",\n)\n").unwrap();
    let err = exercise::load(&f).unwrap_err().to_string();
    assert!(err.contains("bad.ron:3:"), "{err}");
}

#[test]
fn every_option_owes_its_cost_to_attacks_controls_and_operations() {
    // Every option of every point each exercise's default road reaches.
    for name in crate::EXERCISES {
        for p in compared(name, 1).1 {
            for (key, _, o) in &p.options {
                let parts = o.cost_attacks + o.cost_controls + o.cost_operations;
                assert!(
                    (parts - o.cost).abs() < 0.01,
                    "{name}/{}/{key}: {o:?}",
                    p.title
                );
            }
        }
    }
    // The gateway's friction is the controls' share; leaving the VPN open is the attacks'.
    let o = options("vendor-2am");
    assert!(get(&o, "gateway").cost_controls > 0.0);
    assert!(get(&o, "approve").cost_attacks > 0.0);
}

#[test]
fn the_road_not_taken_is_judged_over_seeds_and_best_only_where_intervals_separate() {
    // One seed is an anecdote: nothing is stamped.
    for p in compared("vendor-2am", 1).1 {
        assert!(p.best.is_empty() && p.worst.is_empty(), "{}", p.title);
        assert!(p.verdict().starts_with("no clear winner"));
    }
    let points = compared("vendor-2am", 4).1;
    assert!(!points.is_empty());
    for p in &points {
        assert_eq!(p.seeds, 4);
        assert_eq!(p.stats.len(), p.options.len());
        let share: f64 = p.stats.iter().map(|s| s.cheapest_share).sum();
        assert!((share - 1.0).abs() < 1e-9, "cheapest shares sum to {share}");
        for (o, st) in p.options.iter().zip(&p.stats) {
            assert_eq!(o.0, st.key);
            assert_eq!(st.cost.n, 4);
            if o.0 == p.chosen {
                // Paired with itself: no difference on any seed.
                assert_eq!(st.delta_cost.mean, 0.0);
                assert_eq!(st.delta_cost.ci95, (0.0, 0.0));
            }
        }
        // "Best" only where the paired interval against the table's choice excludes zero
        // in its favour (and, when the best is the table's choice, every other option's
        // interval lies above it).
        if !p.best.is_empty() {
            let best = p.stats.iter().find(|s| s.key == p.best).unwrap();
            if p.best == p.chosen {
                for s in p.stats.iter().filter(|s| s.key != p.best) {
                    assert!(s.delta_cost.ci95.0 > 0.0, "{}: {:?}", s.key, s.delta_cost);
                }
            } else {
                assert!(best.delta_cost.ci95.1 < 0.0, "{:?}", best.delta_cost);
            }
        }
    }
}

#[test]
fn at_the_prompt_each_side_sees_its_own_screen_and_every_inject_waits_for_the_table() {
    // The prompt needs a terminal: `script` (util-linux's bsdutils, on every Debian) gives
    // it one. Without it the test fails, naming it: a skip would pass unseen.
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "this test needs `script` (util-linux) to give the prompt a terminal"
    );
    let out = std::env::temp_dir().join(format!("faultline-side-{}", std::process::id()));
    let cmd = format!(
        "{} exercise scenarios/exercises/scan-legacy.ron --side ot --out {}",
        env!("CARGO_BIN_EXE_faultline"),
        out.display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().unwrap();
        // Enter at each inject the default road shows: three decisions (the default) and
        // the discussion inject at 02:06 (the labelers stop), all four shown.
        stdin.write_all(b"\n\n\n\n").unwrap();
    }
    let r = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{text}");
    assert!(text.contains("-- OT sees"), "{text}");
    assert!(
        !text.contains("-- IT sees"),
        "the IT screen shown to OT:\n{text}"
    );
    assert!(
        text.contains("inject 2 of 4") && text.contains("inject 4 of 4"),
        "the discussion inject was not shown:\n{text}"
    );
    assert!(text.contains("discussion — Enter"), "{text}");
    let log: exercise::DecisionLog =
        serde_json::from_str(&std::fs::read_to_string(out.join("decisions.json")).unwrap())
            .unwrap();
    assert_eq!(log.decisions.len(), 4);
    assert_eq!(log.decisions.iter().filter(|t| t.skipped).count(), 0);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn injects_branch_on_the_tables_choices_and_on_the_twin() {
    // vendor-2am with its 02:30 inject split in two: one for a table that left the VPN
    // open, one for a table that did not, and a third shown only if the filler's PLC
    // reads STOP at 02:40.
    let mut ex = load("vendor-2am");
    // The 02:30 inject's own decision (the held product's fate) is left out: the test is
    // about which injects are shown.
    ex.exercise.injects[1].decision = None;
    let mut open = ex.exercise.injects[1].clone();
    open.title = "VPN left open".into();
    open.when = Some(exercise::When::Chose(0, "approve".into()));
    let mut closed = ex.exercise.injects[1].clone();
    closed.title = "VPN closed".into();
    closed.when = Some(exercise::When::NotChose(0, "approve".into()));
    let mut stopped = ex.exercise.injects[1].clone();
    stopped.at_h = 2.67;
    stopped.title = "Filler PLC in STOP".into();
    stopped.when = Some(exercise::When::Is(
        "plc.plc-filler.mode".into(),
        "STOP".into(),
    ));
    ex.exercise.injects = vec![ex.exercise.injects[0].clone(), open, closed, stopped];
    let seed = ex.scenario.seed;
    let shown = |p: &exercise::Played| -> Vec<usize> {
        p.decisions
            .iter()
            .filter(|t| !t.skipped)
            .map(|t| t.inject)
            .collect()
    };
    let approve = play(&ex, seed, Recording::default(), &mut Defaults).unwrap();
    assert_eq!(
        approve.decisions.len(),
        4,
        "one record per inject, shown or not"
    );
    let refuse = vec![Taken {
        inject: 0,
        key: "refuse".into(),
        deliberation_s: 0.0,
        skipped: false,
    }];
    let refused = play(&ex, seed, Recording::default(), &mut Recorded(refuse)).unwrap();
    assert!(shown(&approve).contains(&1) && !shown(&approve).contains(&2));
    assert!(shown(&refused).contains(&2) && !shown(&refused).contains(&1));
    // The twin decides the third: the operators put the filler back in RUN by 02:40.
    assert!(!shown(&approve).contains(&3) && !shown(&refused).contains(&3));
    let run = exercise::When::Is("plc.plc-filler.mode".into(), "RUN".into());
    let stop = exercise::When::Is("plc.plc-filler.mode".into(), "STOP".into());
    assert!(run.holds(&approve.decisions, &approve.world));
    assert!(!stop.holds(&approve.decisions, &approve.world));
    let both = exercise::When::All(vec![run, exercise::When::Chose(0, "approve".into())]);
    assert!(both.holds(&approve.decisions, &approve.world));
    assert!(!both.holds(&refused.decisions, &refused.world));
    // A condition on a later inject, or on an option that does not exist, is an error.
    let mut bad = ex.exercise.clone();
    bad.injects[1].when = Some(exercise::When::Chose(3, "x".into()));
    bad.injects[2].when = Some(exercise::When::Chose(0, "maybe".into()));
    let dir = std::env::temp_dir().join(format!("faultline-when-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = ron::ser::to_string(&bad).unwrap();
    text = text.replacen(
        "scenario:\"",
        &format!(
            "scenario:\"{}/scenarios/exercises/",
            env!("CARGO_MANIFEST_DIR")
        ),
        1,
    );
    let file = dir.join("x.ron");
    std::fs::write(&file, &text).unwrap();
    let err = exercise::load(&file).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        err.contains("injects[1].when: inject 3 is not an earlier inject"),
        "{err}"
    );
    assert!(
        err.contains("injects[2].when: inject 0 has no option \"maybe\""),
        "{err}"
    );
}

#[test]
fn a_road_not_taken_forked_at_its_point_equals_the_same_road_replayed_from_the_start() {
    // compare() plays the table's road once per seed and forks the twin at each point; a
    // road from the start with the same choices must come to the same figures, to the bit.
    use faultline::exercise::Alternative;
    for name in ["vendor-2am", "ransomware-monday"] {
        let (shared, points) = compared(name, 2);
        let (ex, table) = (&shared.ex, &shared.table);
        let seed = ex.scenario.seed;
        if name == "vendor-2am" {
            // The shared roads' first two seeds are what compare on two seeds runs.
            let direct = compare(ex, seed, &table.decisions, &[], 2).unwrap();
            assert_eq!(format!("{direct:?}"), format!("{points:?}"));
        }
        assert!(points.len() >= 3, "{name}: {} points reached", points.len());
        for p in &points {
            for (key, _, forked) in &p.options {
                let path: Vec<Taken> = table
                    .decisions
                    .iter()
                    .map(|t| Taken {
                        key: if t.inject == p.inject {
                            key.clone()
                        } else {
                            t.key.clone()
                        },
                        deliberation_s: 0.0,
                        skipped: false,
                        ..t.clone()
                    })
                    .collect();
                let replay = play(
                    ex,
                    seed,
                    Recording::default(),
                    &mut Alternative(Recorded(path)),
                )
                .unwrap();
                assert_eq!(
                    &Consequences::of(&replay.summary),
                    forked,
                    "{name}: {} → {key}",
                    p.title
                );
            }
        }
    }
}

#[test]
fn the_facilitator_guides_numbers_are_what_the_twin_computes() {
    // Each guide holds `--compare` figures between `<!-- compare: --seeds N -->` and
    // `<!-- /compare -->`: recompute them and hold the guide equal, to the character.
    for name in crate::EXERCISES {
        let guide = std::fs::read_to_string(format!("docs/exercises/{name}.md")).unwrap();
        let open = "<!-- compare: --seeds ";
        let a = guide
            .find(open)
            .unwrap_or_else(|| panic!("{name}: no compare block"));
        let rest = &guide[a + open.len()..];
        let (n, rest) = rest.split_once(" -->\n").unwrap();
        let seeds: u32 = n.parse().unwrap();
        let block = &rest[..rest.find("<!-- /compare -->").unwrap()];
        let (shared, points) = if seeds <= SHARED_SEEDS {
            compared(name, seeds)
        } else {
            let shared = shared(name);
            let (ex, table) = (&shared.ex, &shared.table);
            let seed = ex.scenario.seed;
            let points = compare(ex, seed, &table.decisions, &[], seeds).unwrap();
            (shared.clone(), points)
        };
        let now = exercise::report::compare_markdown(&shared.ex, &points);
        if block != now && std::env::var_os("FAULTLINE_BLESS").is_some() {
            let at = a + open.len() + n.len() + " -->\n".len();
            let blessed = format!("{}{}{}", &guide[..at], now, &guide[at + block.len()..]);
            std::fs::write(format!("docs/exercises/{name}.md"), blessed).unwrap();
            continue;
        }
        assert!(
            block == now,
            "docs/exercises/{name}.md: the compare block is stale; regenerate with \
             `faultline exercise scenarios/exercises/{name}.ron --choose default --compare \
             --seeds {seeds} --out DIR` (DIR/compare.md), or FAULTLINE_BLESS=1 cargo test --test \
             integration the_facilitator_guides. Now:\n{now}"
        );
    }
}

//! Golden snapshots of simulation output: what the shipped scenarios, exercises and a small
//! seeded sweep produce, checked in under tests/golden/ and compared byte for byte.
//!
//! The determinism tests compare two runs of the same build; these compare this build with
//! the numbers that were reviewed. A deterministic change of behaviour therefore shows here,
//! and in review as a diff of tests/golden/ (say why the numbers moved in the commit message).
//!
//! Every case runs the `faultline` binary as a user would. `summary.json` files are kept
//! whole (readable diffs); the larger outputs (timeline.csv, events.jsonl, report.html,
//! audit.jsonl, runs.csv, after-action.html, decisions.json and a one-hour pcap) are kept as
//! SHA-256 digests in tests/golden/digests.txt.
//!
//! Regenerate after an intended change with:
//!     FAULTLINE_BLESS=1 cargo test --test integration snapshots

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

const BLESS_COMMAND: &str = "FAULTLINE_BLESS=1 cargo test --test integration snapshots";
const SEEDS: [u64; 2] = [7, 42];

/// One invocation of the binary and the files of its output folder that are snapshotted.
struct Case {
    name: String,
    args: Vec<String>,
    /// Output files kept whole under tests/golden/ (as `<case>.<file>`).
    whole: Vec<&'static str>,
    /// Output files kept as digests.
    digested: Vec<&'static str>,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn shipped_scenarios() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for (dir, prefix) in [
        ("scenarios", ""),
        ("scenarios/exercises/twins", "twins-"),
        ("scenarios/sweeps", "sweeps-"),
    ] {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "ron"))
                .collect();
        files.sort();
        for p in files {
            let stem = p.file_stem().unwrap().to_string_lossy().to_string();
            // A variants file is not a scenario.
            if stem.ends_with("-variants") {
                continue;
            }
            out.push((format!("{prefix}{stem}"), p));
        }
    }
    out
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, path) in shipped_scenarios() {
        for seed in SEEDS {
            cases.push(Case {
                name: format!("run-{name}-seed{seed}"),
                args: vec![
                    "run".into(),
                    path.display().to_string(),
                    "--seed".into(),
                    seed.to_string(),
                ],
                whole: vec!["summary.json"],
                digested: vec!["timeline.csv", "events.jsonl", "report.html", "audit.jsonl"],
            });
        }
        // The capture: one simulated hour keeps the file small.
        cases.push(Case {
            name: format!("pcap-{name}-seed7-1h"),
            args: vec![
                "run".into(),
                path.display().to_string(),
                "--seed".into(),
                "7".into(),
                "--hours".into(),
                "1".into(),
                "--pcap".into(),
                "{out}/capture.pcap".into(),
            ],
            whole: vec![],
            digested: vec!["capture.pcap", "summary.json"],
        });
    }
    let root = ".";
    cases.push(Case {
        name: "sweep-all-controls-toggle".into(),
        args: [
            "sweep",
            &format!("{root}/scenarios/all-controls.ron"),
            "--runs",
            "3",
            "--toggle",
            "dpi,segmentation",
            "--hours",
            "2",
            "--threads",
            "2",
        ]
        .map(String::from)
        .to_vec(),
        whole: vec!["summary.json"],
        digested: vec!["runs.csv", "report.html"],
    });
    cases.push(Case {
        name: "sweep-all-controls-variants".into(),
        args: [
            "sweep",
            &format!("{root}/scenarios/all-controls.ron"),
            "--variants",
            &format!("{root}/scenarios/sweeps/all-controls-variants.ron"),
            "--runs",
            "2",
            "--hours",
            "3",
            "--threads",
            "2",
        ]
        .map(String::from)
        .to_vec(),
        whole: vec!["summary.json"],
        digested: vec!["runs.csv", "report.html"],
    });
    let mut exercises: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/exercises"))
            .unwrap()
            .map(|e| Path::new("scenarios/exercises").join(e.unwrap().file_name()))
            .filter(|p| p.extension().is_some_and(|e| e == "ron"))
            .collect();
    exercises.sort();
    for p in exercises {
        let stem = p.file_stem().unwrap().to_string_lossy().to_string();
        cases.push(Case {
            name: format!("exercise-{stem}"),
            args: vec![
                "exercise".into(),
                p.display().to_string(),
                "--choose".into(),
                "default".into(),
            ],
            whole: vec!["summary.json"],
            digested: vec!["after-action.html", "decisions.json"],
        });
    }
    cases
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What one case produced: files kept whole (name, bytes) and digest lines.
type Produced = (Vec<(String, Vec<u8>)>, Vec<String>);

/// Runs one case.
fn run_case(case: &Case, scratch: &Path) -> Produced {
    let out = scratch.join(&case.name);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mut args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{out}", &out.display().to_string()))
        .collect();
    args.push("--out".into());
    args.push(out.display().to_string());
    let result = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(&args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        result.status.success(),
        "faultline {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&result.stderr)
    );
    let mut whole = Vec::new();
    for f in &case.whole {
        let bytes =
            std::fs::read(out.join(f)).unwrap_or_else(|e| panic!("{}: no {f}: {e}", case.name));
        whole.push((format!("{}.{f}", case.name), bytes));
    }
    let mut digests = Vec::new();
    for f in &case.digested {
        // A file the case does not write (audit.jsonl without a gateway) is recorded as absent.
        let d = match std::fs::read(out.join(f)) {
            Ok(bytes) => sha256(&bytes),
            Err(_) => "absent".into(),
        };
        digests.push(format!("{} {f} {d}", case.name));
    }
    let _ = std::fs::remove_dir_all(&out);
    (whole, digests)
}

#[test]
fn snapshots_match_the_reviewed_numbers() {
    let cases = cases();
    let scratch = std::env::temp_dir().join(format!("faultline-snapshots-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(usize, Produced)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(case) = cases.get(i) else { break };
                    let (w, d) = run_case(case, &scratch);
                    results.lock().unwrap().push((i, (w, d)));
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&scratch);
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|r| r.0);

    let mut whole: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut digests = String::from(
        "# case file sha256 — regenerate with: FAULTLINE_BLESS=1 cargo test --test integration snapshots\n",
    );
    for (_, (w, d)) in results {
        whole.extend(w);
        for line in d {
            digests.push_str(&line);
            digests.push('\n');
        }
    }
    whole.insert("digests.txt".into(), digests.into_bytes());

    let dir = golden_dir();
    if std::env::var_os("FAULTLINE_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in &whole {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        return;
    }

    let mut problems = Vec::new();
    for (name, bytes) in &whole {
        match std::fs::read(dir.join(name)) {
            Ok(old) if old == *bytes => {}
            Ok(old) => problems.push(format!("{name} differs{}", first_difference(&old, bytes))),
            Err(_) => problems.push(format!("{name} is new (no golden file)")),
        }
    }
    let mut stale: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .filter(|n| !whole.contains_key(n))
                .collect()
        })
        .unwrap_or_default();
    stale.sort();
    for n in stale {
        problems.push(format!("{n} is in tests/golden/ but no case writes it"));
    }
    assert!(
        problems.is_empty(),
        "simulation output differs from the golden snapshots in tests/golden/:\n  {}\n\
         If the change of numbers is intended, regenerate them with\n    {BLESS_COMMAND}\n\
         and say in the commit message which numbers moved and why.",
        problems.join("\n  ")
    );
}

/// Where two texts first differ, as ": line N: golden «…» now «…»" (digests name the file).
fn first_difference(old: &[u8], new: &[u8]) -> String {
    let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
    for (i, (a, b)) in old.lines().zip(new.lines()).enumerate() {
        if a != b {
            return format!(": line {}: golden «{}» now «{}»", i + 1, a.trim(), b.trim());
        }
    }
    ": one is longer".into()
}

//! All integration tests in one binary (one link step, one process).

mod actors;
mod architecture;
mod assets;
mod authentication;
mod carried;
mod certificates;
mod closed_form;
mod codec_props;
mod corrections;
mod crn;
mod determinism;
mod exercises;
mod fees;
mod firewall;
mod golden;
mod impact;
mod ledger;
mod live;
mod loading;
mod loss_tree;
mod mutants;
mod mutation;
mod network;
mod one_oee;
mod out_of_band;
mod playbooks;
mod plc_profiles;
mod proxy;
mod readme;
mod reference;
mod replay;
mod scenarios;
mod security;
mod snapshots;
mod story;
mod sweep;
mod thermal;
mod ttf;
mod view;
mod yearly_prices;

use faultline::Scenario;

/// Parse a scenario written in a test; panics with the placed error if it is invalid.
pub fn scenario(text: &str) -> Scenario {
    match faultline::scenario::parse(text, "<test>") {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

/// A profile that answers every request in the scan it arrives (no per-scan limit), so
/// tests of the plant are not coloured by communication delays.
pub const INSTANT_PROFILE: &str = r#"(name: "instant", max_connections: 16, when_full: RefuseNew,
    requests_per_scan: 0, reply_latency_scans: 0, queue_limit: 1000,
    on_unsupported: Reject, on_malformed: Reject)"#;

/// Run the faultline binary: exit code, stdout, stderr.
pub fn cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// The shipped exercises (scenarios/exercises/NAME.ron), each with its facilitator guide.
pub const EXERCISES: [&str; 5] = [
    "vendor-2am",
    "ransomware-monday",
    "quiet-setpoint",
    "scan-legacy",
    "segmentation-go-live",
];

/// A run to the end with its event log, and its report.
pub fn run_with_events(s: &Scenario, seed: u64) -> (faultline::World, faultline::report::Summary) {
    let mut w = faultline::World::with_recording(
        s,
        seed,
        faultline::Recording {
            events: true,
            ..Default::default()
        },
    );
    w.run();
    let r = faultline::report::Summary::from_world(&w);
    (w, r)
}

/// A shipped scenario's run to the end, with its event log, its report and the loss tree
/// test's shadow account of its bottleneck ([`loss_tree::shadowed`]).
pub(crate) struct ShippedRun {
    pub world: faultline::World,
    pub summary: faultline::report::Summary,
    pub shadow: loss_tree::Shadow,
}

/// `path` run at `seed`: at the goldens' seeds (7 and 42) once for every test of this
/// binary that checks every shipped scenario there (the loss tree, the ledger, one OEE,
/// the scenarios' smoke test), whichever asks first; at other seeds run and not kept.
pub(crate) fn shipped_run(path: &std::path::Path, seed: u64) -> std::sync::Arc<ShippedRun> {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex, OnceLock};
    type Cells = BTreeMap<(std::path::PathBuf, u64), Arc<OnceLock<Arc<ShippedRun>>>>;
    static RUNS: OnceLock<Mutex<Cells>> = OnceLock::new();
    let run = || {
        let s = faultline::load(path).unwrap_or_else(|e| panic!("{e}"));
        // Only the shared runs (the goldens' seeds) keep their event log for other tests.
        let (world, summary, shadow) = loss_tree::shadowed(&s, seed, [7, 42].contains(&seed));
        Arc::new(ShippedRun {
            world,
            summary,
            shadow,
        })
    };
    if ![7, 42].contains(&seed) {
        return run();
    }
    let cell = RUNS
        .get_or_init(Default::default)
        .lock()
        .unwrap()
        .entry((path.to_path_buf(), seed))
        .or_default()
        .clone();
    cell.get_or_init(run).clone()
}

/// Lost units the loss tree owes to `cause` (its label: "control: tls", "step 1: …").
pub fn owed(r: &faultline::report::Summary, cause: &str) -> f64 {
    r.loss_tree
        .losses
        .iter()
        .filter(|l| l.cause == cause)
        .map(|l| l.units)
        .sum()
}

/// `f` over `jobs` on two threads (the machine's cores), results in the jobs' order.
pub fn on_two_threads<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out: Vec<std::sync::Mutex<Option<R>>> = jobs.iter().map(|_| Default::default()).collect();
    std::thread::scope(|sc| {
        for _ in 0..2 {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    *out[i].lock().unwrap() = Some(f(job));
                }
            });
        }
    });
    out.into_iter()
        .map(|m| m.into_inner().unwrap().unwrap())
        .collect()
}

/// How many seeds a test that sweeps seeds runs: `default`, or fewer where
/// FAULTLINE_TEST_SEEDS says so (scripts/mutants: a mutation run needs each mutant seen
/// failing, not the full statistics; the README's test command never sets it).
pub fn test_seeds(default: u64) -> u64 {
    std::env::var("FAULTLINE_TEST_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(default, |n: u64| n.clamp(1, default))
}

/// Every shipped scenario file: scenarios/, the exercises' twins and the sweeps' overlays
/// (not variants files), in order.
pub fn shipped_scenarios() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for dir in ["scenarios", "scenarios/exercises/twins", "scenarios/sweeps"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let n = p.file_name().unwrap().to_string_lossy().to_string();
            if n.ends_with(".ron") && !n.ends_with("-variants.ron") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

//! Sweep throughput: the same seeds × 4 variants on 1 and on 2 threads, in one run, and
//! the projected time of the 4,000-run sweep. Variants: the reference line with
//! all controls deployed (scenarios/all-controls.ron), DPI and segmentation toggled.
//!
//!   cargo bench --bench sweep -- [--runs N] [--hours H]
//!
//! Peak memory of a full sweep is measured on the CLI (README, "Sweeps"):
//!   /usr/bin/time -v target/release/faultline sweep scenarios/all-controls.ron \
//!       --runs 1000 --toggle dpi,segmentation --out /tmp/sweep

use faultline::sweep::{run_sweep, summary_json, toggle_variants};
use std::path::Path;
use std::time::Instant;

fn arg(name: &str) -> Option<String> {
    let a: Vec<String> = std::env::args().collect();
    a.iter()
        .position(|x| x == name)
        .and_then(|i| a.get(i + 1).cloned())
}

#[path = "common/bars.rs"]
mod bars;

fn main() {
    let test = !std::env::args().any(|a| a == "--bench");
    let mut s = faultline::load(Path::new("scenarios/all-controls.ron")).unwrap();
    let runs: u64 = arg("--runs")
        .and_then(|x| x.parse().ok())
        .unwrap_or(if test { 1 } else { 40 });
    let hours: f64 = arg("--hours")
        .and_then(|x| x.parse().ok())
        .unwrap_or(if test { 0.2 } else { s.duration_h });
    s.duration_h = hours;
    s.schedule.retain(|e| e.at_h <= hours);
    let toggles = ["dpi".to_string(), "segmentation".to_string()];
    let variants = toggle_variants(&s, &toggles).unwrap();
    let n = runs * variants.len() as u64;
    let mut walls = Vec::new();
    let mut outputs = Vec::new();
    for threads in [1usize, 2] {
        let t0 = Instant::now();
        let sum = run_sweep(&variants, runs, s.seed, threads, &|| {}, None, None).unwrap();
        let wall = t0.elapsed().as_secs_f64();
        outputs.push(summary_json(&sum));
        if !test {
            println!(
                "{threads} thread(s): {n} runs of {hours} h in {wall:.2} s = {:.2} runs/s ({:.0} ms per run per thread)",
                n as f64 / wall,
                wall * 1e3 * threads as f64 / n as f64
            );
        }
        walls.push(wall);
    }
    assert_eq!(outputs[0], outputs[1], "1 and 2 threads disagree");
    if !test {
        let speedup = walls[0] / walls[1];
        println!("speed-up 2 threads over 1: {speedup:.2}×; summary.json identical");
        let mut bars = bars::Bars::new();
        bars.at_least("sweep speed-up, 2 threads over 1", speedup, 1.7);
        bars.finish();
        let per_run_2 = walls[1] / n as f64;
        println!(
            "projected 1,000 seeds × 4 variants (4,000 runs of {hours} h) on 2 threads: {:.0} s (bar: 60 s)",
            per_run_2 * 4000.0
        );
    }
}

//! The road not taken over many seeds: `faultline exercise FILE --choose default --compare
//! --seeds 32` for every shipped exercise, timed on the machine's threads (rayon), beside
//! the same comparison on one seed in the same run (the ratio is the cost of judging over
//! seeds instead of stamping "best" on one).
//!
//!   cargo bench --bench exercise_compare -- [--seeds N]
//!
//! Bar (issue "Tabletop exercises…"): ≤ 60 s per exercise on 2 cores.

use faultline::exercise::{Defaults, compare, load, play};
use faultline::world::Recording;
use std::path::Path;
use std::time::Instant;

fn main() {
    let test = !std::env::args().any(|a| a == "--bench");
    let a: Vec<String> = std::env::args().collect();
    let seeds: u32 = a
        .iter()
        .position(|x| x == "--seeds")
        .and_then(|i| a.get(i + 1))
        .and_then(|x| x.parse().ok())
        .unwrap_or(if test { 2 } else { 32 });
    let mut files: Vec<_> = std::fs::read_dir("scenarios/exercises")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    if test {
        files.truncate(1);
    }
    println!(
        "{} thread(s); --compare over {seeds} seeds against 1 seed",
        rayon::current_num_threads()
    );
    let mut worst: f64 = 0.0;
    for f in &files {
        let mut ex = load(Path::new(f)).unwrap();
        if test {
            ex.scenario.duration_h = ex.scenario.duration_h.min(4.0);
        }
        let seed = ex.scenario.seed;
        let table = play(&ex, seed, Recording::default(), &mut Defaults).unwrap();
        let t0 = Instant::now();
        let one = compare(&ex, seed, &table.decisions, &[], 1).unwrap();
        let single = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let many = compare(&ex, seed, &table.decisions, &[], seeds).unwrap();
        let wall = t1.elapsed().as_secs_f64();
        worst = worst.max(wall);
        let options: usize = one.iter().map(|p| p.options.len()).sum();
        let stamped = many.iter().filter(|p| !p.best.is_empty()).count();
        println!(
            "{}: {options} option(s) × {seeds} seeds in {wall:.2} s (1 seed: {single:.2} s, ratio {:.1}×); best stamped at {stamped} of {} point(s)",
            Path::new(f).file_name().unwrap().to_string_lossy(),
            wall / single.max(1e-9),
            many.len()
        );
    }
    println!("slowest exercise: {worst:.2} s (bar: 60 s on 2 cores)");
}

//! Simulation speed of the reference scenario (issue: ≥ 100,000× real time, one thread).
//! Throughput is in simulated seconds per wall second, i.e. the real-time factor:
//! criterion's "Melem/s" × 10⁶ is the speed-up over real time.
//!
//! `cargo bench --bench run`

#[path = "common/bars.rs"]
mod bars;

use criterion::{Criterion, Throughput, criterion_group};
use faultline::{World, load};
use std::hint::black_box;
use std::path::Path;

fn reference(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulate");
    g.sample_size(20);
    for (name, path) in [
        ("bottling-line 24h", "scenarios/bottling-line.ron"),
        // The heaviest shipped scenario: every control and an attack campaign (issue bar:
        // at least half the baseline's speed, compared in this same run).
        ("all-controls 24h", "scenarios/all-controls.ron"),
        ("minimal 1h", "scenarios/minimal.ron"),
    ] {
        let s = load(Path::new(path)).unwrap();
        g.throughput(Throughput::Elements((s.duration_h * 3600.0) as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut w = World::new(&s, s.seed);
                w.run();
                black_box(w.plant.line_output())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, reference);

/// The best of `n` wall times of a whole 24 h run.
fn best_run(s: &faultline::Scenario, n: usize) -> f64 {
    (0..n)
        .map(|_| {
            let t = std::time::Instant::now();
            let mut w = World::new(s, s.seed);
            w.run();
            black_box(w.plant.line_output());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let mut bars = bars::Bars::new();
    if bars.measuring() {
        // Side by side in this run: the reference line's real-time factor, and the heaviest
        // scenario against it.
        let reference = load(Path::new("scenarios/bottling-line.ron")).unwrap();
        let heaviest = load(Path::new("scenarios/all-controls.ron")).unwrap();
        let (r, h) = (best_run(&reference, 5), best_run(&heaviest, 5));
        bars.at_least(
            "reference 24 h: real-time factor",
            reference.duration_h * 3600.0 / r,
            100_000.0,
        );
        bars.at_most("all-controls / reference wall time", h / r, 2.0);
    }
    bars.finish();
}

//! Simulation speed of the reference scenario (issue: ≥ 100,000× real time, one thread).
//! Throughput is in simulated seconds per wall second, i.e. the real-time factor:
//! criterion's "Melem/s" × 10⁶ is the speed-up over real time.
//!
//! `cargo bench --bench run`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
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
criterion_main!(benches);

//! Impact by counterfactual: each factor's row is the run with it minus the same seed
//! without it (checked here against twins run separately), and the factors plus the
//! interaction add up to the total, for every shipped scenario with attacks or controls.

use faultline::impact::{bare, factors, impact, without};
use faultline::report::Summary;
use faultline::{Scenario, World, load};
use std::path::Path;

fn cost(s: &Scenario, seed: u64) -> f64 {
    let mut w = World::new(s, seed);
    w.run();
    Summary::from_world(&w).cost.total
}

#[test]
fn parts_and_interaction_add_up_to_the_total_and_each_part_is_its_twin() {
    let mut checked = 0;
    for path in crate::shipped_scenarios() {
        let s = load(&path).unwrap();
        let fs = factors(&s);
        if fs.is_empty() {
            continue;
        }
        let i = impact(&s, 42, 1);
        assert_eq!(i.factors.len(), fs.len());
        let with = cost(&s, 42);
        // The total against the twin with no attack and no control, run here.
        let total = with - cost(&bare(&s), 42);
        assert!(
            (i.total.cost.mean - total).abs() < 0.01,
            "{}: total {} vs {total}",
            path.display(),
            i.total.cost.mean
        );
        let mut parts = 0.0;
        for (f, row) in fs.iter().zip(&i.factors) {
            let d = with - cost(&without(&s, *f), 42);
            assert!(
                (row.cost.mean - d).abs() < 0.01,
                "{}: {} {} vs {d}",
                path.display(),
                row.name,
                row.cost.mean
            );
            parts += row.cost.mean;
        }
        assert!(
            (parts + i.interaction.cost.mean - i.total.cost.mean).abs() < 1.0,
            "{}: parts {parts} + interaction {} ≠ total {}",
            path.display(),
            i.interaction.cost.mean,
            i.total.cost.mean
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "{checked} scenarios with attacks or controls"
    );
}

#[test]
fn over_seeds_a_scan_that_faults_legacy_plcs_costs_more_than_the_noise() {
    let s = load(Path::new("scenarios/attack-it-scan.ron")).unwrap();
    let i = impact(&s, 42, 8);
    let scan = &i.factors[0];
    assert!(scan.name.contains("T0846"), "{}", scan.name);
    assert_eq!(scan.cost.n, 8);
    assert!(scan.cost.ci95.0 > 0.0, "{:?}", scan.cost);
    assert!(!scan.within_noise);
    assert!(scan.good_units.ci95.1 < 0.0, "{:?}", scan.good_units);
}

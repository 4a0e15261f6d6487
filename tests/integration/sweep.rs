//! Sweeps: paired variants, and the same results on any number of threads.

use faultline::load;
use faultline::sweep::{METRICS, run, runs_csv, summarize, toggle_variants};
use std::path::Path;

#[test]
fn a_sweep_gives_the_same_bytes_on_one_and_two_threads() {
    let mut s = load(Path::new("scenarios/all-controls.ron")).unwrap();
    // Through the setpoint attack at 04:00.
    s.duration_h = 4.5;
    s.schedule.retain(|e| e.at_h <= 4.5);
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    assert_eq!(
        variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["none", "dpi"]
    );
    let one = run(&variants, 3, 7, 1).unwrap();
    let two = run(&variants, 3, 7, 2).unwrap();
    assert_eq!(runs_csv(&one), runs_csv(&two));
    let a = serde_json::to_string(&summarize(&s.name, &variants, &one, 7)).unwrap();
    let b = serde_json::to_string(&summarize(&s.name, &variants, &two, 7)).unwrap();
    assert_eq!(a, b);
    // Paired: the baseline against itself differs by exactly nothing.
    let sum = summarize(&s.name, &variants, &one, 7);
    let cost = METRICS.len() - 1;
    assert_eq!(sum.variants[0].vs_baseline[cost].1.mean, 0.0);
    // The DPI blocks the tampering and the STOP command: fewer steps succeed.
    let succeeded = METRICS
        .iter()
        .position(|m| *m == "steps_succeeded")
        .unwrap();
    assert!(sum.variants[1].vs_baseline[succeeded].1.mean < 0.0);
}

#[test]
fn toggling_a_control_the_scenario_does_not_deploy_is_an_error() {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let err = toggle_variants(&s, &["dpi".to_string()]).unwrap_err();
    assert!(err.contains("does not deploy"), "{err}");
    let err = toggle_variants(&s, &["firewall".to_string()]).unwrap_err();
    assert!(err.contains("known: segmentation"), "{err}");
}

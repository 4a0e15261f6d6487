//! The simulation against closed-form results.

use crate::{INSTANT_PROFILE, scenario};
use faultline::World;
use faultline::metrics::Condition;
use faultline::time::{US_PER_H, US_PER_S};

/// A serial line with no failures and no jitter produces exactly one unit per bottleneck
/// cycle once the first unit is out: output(T) = ⌊(T − fill) / cycle⌋ + 1.
#[test]
fn serial_line_output_is_exact() {
    let s = scenario(&format!(
        r#"Scenario(name: "serial", seed: 3, duration_h: 2.0,
        stations: [
            (name: "a", cycle_s: 1.0, feeds: ["b"]),
            (name: "b", cycle_s: 2.5, buffer: 10000, feeds: ["c"]),
            (name: "c", cycle_s: 0.7, buffer: 10000),
        ],
        plcs: [(name: "p", stations: ["a", "b", "c"], profile: "instant", address: "10.0.0.2")],
        profiles: [{INSTANT_PROFILE}],
        hmi: (address: "10.0.0.1", poll_ms: 1000, timeout_ms: 1000),
        schedule: [(at_h: 0.0, action: StartLine)])"#
    ));
    let mut w = World::new(&s, s.seed);
    // The source starts at the PLC scan that enables it, at the start of a tick: find it.
    let mut a_start = None;
    while !w.done() {
        let t = w.now;
        w.step();
        if a_start.is_none() && w.plant.stations[0].counters.units_in > 0 {
            a_start = Some(t);
        }
    }
    let a_start = a_start.expect("the source never started");
    // b and c were enabled before a (the HMI writes the run coils in line order, one
    // transaction at a time), so the first unit is out 1.0 + 2.5 + 0.7 s after a starts,
    // and from then on one unit per 2.5 s.
    let fill = a_start + 4_200_000;
    let expected = (w.end - fill) / 2_500_000 + 1;
    assert_eq!(w.plant.line_output(), expected, "fill at {fill} µs");
    assert!(
        a_start < 2 * US_PER_S,
        "the HMI took {a_start} µs to start the line"
    );
    assert_eq!(w.plant.scrap(), 0);
}

/// A single station with exponential failures converges to availability
/// MTBF / (MTBF + MTTR) within 1 %.
#[test]
fn availability_converges_to_mtbf_over_mtbf_plus_mttr() {
    let s = scenario(&format!(
        r#"Scenario(name: "availability", seed: 11, duration_h: 1500.0, tick_ms: 1000,
        stations: [(name: "m", cycle_s: 1.0,
            failures: Some((between_h: Exponential(1.0), repair_min: Exponential(6.0))))],
        plcs: [(name: "p", stations: ["m"], profile: "instant", address: "10.0.0.2", scan_ms: 1000)],
        profiles: [{INSTANT_PROFILE}],
        hmi: (address: "10.0.0.1", poll_ms: 1000, timeout_ms: 2000),
        operator: (response_s: Fixed(0.0), floor_notice_min: 1.0),
        schedule: [(at_h: 0.0, action: StartLine)])"#
    ));
    let mut w = World::new(&s, s.seed);
    w.run();
    let t = &w.ledger.metrics.station_time[0];
    let planned: u64 = t.iter().sum::<u64>() - t[Condition::Planned as usize];
    let up = t[Condition::Running as usize] as f64;
    let failed = t[Condition::Failed as usize] as f64;
    let a = up / (up + failed);
    let expected = 60.0 / 66.0;
    let failures = w.plant.stations[0].counters.failures;
    assert!(failures > 1_200, "only {failures} failures");
    assert!(
        (a - expected).abs() / expected < 0.01,
        "availability {a:.5}, expected {expected:.5} ({failures} failures)"
    );
    // Nothing else happened to the station: its time is running or failed.
    assert!((up + failed) / planned as f64 > 0.999);
}

/// With ample buffers, a two-station line's throughput approaches the slower station's
/// effective rate (nominal rate × availability).
#[test]
fn two_station_throughput_approaches_slower_effective_rate() {
    let hours = 300.0;
    let s = scenario(&format!(
        r#"Scenario(name: "two", seed: 5, duration_h: {hours}, tick_ms: 500,
        stations: [
            (name: "a", cycle_s: 1.0, feeds: ["b"],
             failures: Some((between_h: Exponential(0.25), repair_min: Exponential(5.0)))),
            (name: "b", cycle_s: 1.2, buffer: 20000),
        ],
        plcs: [(name: "p", stations: ["a", "b"], profile: "instant", address: "10.0.0.2", scan_ms: 500)],
        profiles: [{INSTANT_PROFILE}],
        hmi: (address: "10.0.0.1", poll_ms: 500, timeout_ms: 2000),
        operator: (response_s: Fixed(0.0), floor_notice_min: 1.0),
        schedule: [(at_h: 0.0, action: StartLine)])"#
    ));
    let mut w = World::new(&s, s.seed);
    w.run();
    // a: 3,600/h × 15/(15 + 5) = 2,700/h effective; b: 3,000/h. The slower is a.
    let rate = w.plant.line_output() as f64 / hours;
    assert!(
        (rate - 2700.0).abs() / 2700.0 < 0.02,
        "rate {rate:.1}/h, expected ≈ 2700/h"
    );
    assert_eq!(w.now, (hours * US_PER_H as f64) as u64);
}

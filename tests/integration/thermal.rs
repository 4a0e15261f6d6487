//! The thermal station against the first-order analytic curve, and the safety trip.

use crate::scenario;
use faultline::modbus::Request;
use faultline::plc::map;
use faultline::{Recording, World};

fn oven(trip: f64) -> faultline::Scenario {
    scenario(&format!(
        r#"Scenario(name: "oven", seed: 1, duration_h: 2.0,
        stations: [(name: "oven", cycle_s: 1.0, kind: Thermal((
            ambient_c: 20.0, tau_s: 300.0, gain_c: 80.0, load_c: 10.0,
            setpoint_c: 60.0, band_c: (55.0, 65.0), trip_above_c: {trip}, reset_below_c: 50.0,
            inspection_min: 5.0, pid: (kp: 5.0, ti_s: 200.0))))],
        plcs: [(name: "p", stations: ["oven"], profile: "modern", address: "10.0.0.2")],
        hmi: (address: "10.0.0.1", poll_ms: 1000, timeout_ms: 1000))"#
    ))
}

/// Put the heater in manual at `pct` percent, through the PLC's Modbus handler.
fn manual(w: &mut World, pct: u16) {
    let plc = &mut w.devices.plcs[0];
    plc.handle(&Request::WriteSingleCoil {
        address: map::C_HEATER_AUTO,
        value: false,
    })
    .unwrap();
    plc.handle(&Request::WriteSingleRegister {
        address: map::H_HEATER_MANUAL,
        value: pct * 10,
    })
    .unwrap();
}

#[test]
fn step_response_matches_first_order_curve() {
    let s = oven(200.0);
    let mut w = World::new(&s, 1);
    manual(&mut w, 50);
    // The first scan (t = 0) applies the output; from then T(t) = Tss + (T0 − Tss)·e^(−t/τ).
    let (t0, tss, tau) = (20.0, 20.0 + 80.0 * 0.5, 300.0);
    let mut worst: f64 = 0.0;
    for _ in 0..(3600 * 10) {
        w.step();
        let t = w.now as f64 / 1e6;
        let analytic = tss + (t0 - tss) * (-t / tau).exp();
        let temp = w.plant.stations[0].thermal.as_ref().unwrap().temp_c;
        worst = worst.max((temp - analytic).abs());
    }
    assert!(
        worst < 1e-9,
        "largest deviation from the analytic curve: {worst} °C"
    );
}

#[test]
fn safety_trip_fires_exactly_at_the_limit() {
    let limit = 70.0;
    let s = oven(limit);
    let mut w = World::with_recording(
        &s,
        1,
        Recording {
            events: true,
            ..Recording::default()
        },
    );
    manual(&mut w, 100);
    while w.plant.stations[0].counters.trips == 0 && !w.done() {
        w.step();
    }
    let trip = w
        .ledger
        .metrics
        .events
        .as_ref()
        .unwrap()
        .iter()
        .find(|e| e.kind == "safety_trip")
        .expect("no trip");
    // Analytic crossing: t* = τ·ln((T0 − Tss)/(limit − Tss)) with Tss = 100 °C.
    let expected_s = 300.0 * ((20.0f64 - 100.0) / (limit - 100.0)).ln();
    let got_s = trip.t_us as f64 / 1e6;
    assert!(
        (got_s - expected_s).abs() < 2e-6,
        "trip at {got_s} s, crossing at {expected_s} s"
    );
    // The station is tripped and the heater held off by the safety function.
    let st = &w.plant.stations[0];
    assert_eq!(st.counters.trips, 1);
    assert!(st.thermal.as_ref().unwrap().interlock);
    // Nothing trips while the temperature stays below the limit.
    let mut cold = World::with_recording(
        &oven(limit),
        1,
        Recording {
            events: true,
            ..Recording::default()
        },
    );
    manual(&mut cold, 60); // Tss = 68 °C < 70 °C
    cold.run();
    assert!(
        !cold
            .ledger
            .metrics
            .events
            .as_ref()
            .unwrap()
            .iter()
            .any(|e| e.kind == "safety_trip")
    );
}

#[test]
fn pid_holds_the_setpoint_under_load() {
    let s = scenario(&std::fs::read_to_string("scenarios/bottling-line.ron").unwrap());
    let mut w = World::new(&s, 7);
    w.run_until(4 * 3_600_000_000);
    let th = w
        .plant
        .stations
        .iter()
        .find_map(|s| s.thermal.as_ref())
        .unwrap();
    // Four hours into production, the loop keeps the zone in the product band.
    assert!(
        (60.0..=65.0).contains(&th.temp_c),
        "temperature {}",
        th.temp_c
    );
}

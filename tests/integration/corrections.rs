//! Model corrections: each test here failed on the model before its fix (behaviour that was
//! wrong, or certain by construction).

use faultline::scenario::AttackStep;
use faultline::{Scenario, World, load};
use std::path::Path;

fn hourly(s: &Scenario, seed: u64) -> Vec<u64> {
    let mut w = World::new(s, seed);
    w.run();
    w.ledger.metrics.hourly_good.clone()
}

fn ransomware(island: bool, shutdown_h: Option<f64>) -> Scenario {
    let mut s = load(Path::new("scenarios/ransomware-segmented-island.ron")).unwrap();
    s.line.island_mode = island;
    for a in &mut s.attacks {
        if let AttackStep::Ransomware {
            precautionary_shutdown_h,
            ..
        } = &mut a.step
        {
            *precautionary_shutdown_h = shutdown_h;
        }
    }
    s
}

#[test]
fn a_held_line_stays_held_until_the_hold_is_lifted() {
    // The MES lost at 06:00 for 8 h and no island mode: nothing is made until 14:00, though
    // the operator sees stopped stations all along.
    let h = hourly(&ransomware(false, None), 42);
    for hour in 7..14 {
        assert_eq!(h[hour], 0, "hour {hour}: {h:?}");
    }
    assert!(h[15] > 1000, "released at 14:00: {h:?}");
    // Island mode, but management orders a 4 h precautionary shutdown: held until 10:00.
    let h = hourly(&ransomware(true, Some(4.0)), 42);
    for hour in 7..10 {
        assert_eq!(h[hour], 0, "hour {hour}: {h:?}");
    }
    assert!(h[11] > 1000, "released at 10:00: {h:?}");
}

#[test]
fn the_gateways_time_box_ends_sessions_and_leftover_work_needs_a_new_request() {
    use faultline::scenario::VendorAccess;
    let mut s = load(Path::new("scenarios/vendor-gateway.ron")).unwrap();
    s.attacks.clear();
    let boxed = |s: &mut Scenario, h: f64| {
        if let Some(v) = &mut s.vendor
            && let VendorAccess::Gateway { session_h, .. } = &mut v.access
        {
            *session_h = h;
        }
    };
    // A 6-minute box: shorter than most of the filler's repairs.
    boxed(&mut s, 0.1);
    let mut w = World::new(&s, 42);
    w.run();
    let audit = &w.controls.audit;
    let mut opened = std::collections::BTreeMap::new();
    let mut closed = std::collections::BTreeMap::new();
    for r in audit {
        match r.event.as_str() {
            "opened" => {
                opened.insert(r.session, r.t_us);
            }
            "closed" => {
                closed.insert(r.session, (r.t_us, r.detail.clone()));
            }
            _ => {}
        }
    }
    assert!(!opened.is_empty());
    let mut expired = 0;
    for (k, open) in &opened {
        let (close, why) = &closed[k];
        assert!(
            close - open <= 360_000_000,
            "session {k} lasted {} s past its 6-minute box",
            (close - open) / 1_000_000
        );
        if why.starts_with("time box expired") {
            expired += 1;
            // The next session is a new request: approved and opened after this one closed.
            assert!(
                opened.get(&(k + 1)).is_some_and(|o| o > close),
                "{audit:#?}"
            );
        }
    }
    assert!(
        expired > 0,
        "no repair outlasted a 6-minute box: {audit:#?}"
    );
    // The extra waits are the gateway's: longer repairs than with a box nothing outlasts.
    let gateway_units = |s: &Scenario| {
        let mut w = World::new(s, 42);
        w.run();
        faultline::report::Summary::from_world(&w)
            .loss_tree
            .losses
            .iter()
            .filter(|l| l.cause == "control: gateway")
            .map(|l| l.units)
            .sum::<f64>()
    };
    let short = gateway_units(&s);
    boxed(&mut s, 24.0);
    assert!(short > gateway_units(&s), "{short}");
}

#[test]
fn ransomware_spares_hosts_the_plant_does_not_administer() {
    let s = load(Path::new("scenarios/ransomware-flat.ron")).unwrap();
    let mut w = World::new(&s, 42);
    w.run();
    let r = faultline::report::Summary::from_world(&w);
    let step = r
        .security
        .steps
        .iter()
        .find(|x| x.technique == "T0828")
        .expect("the ransomware step");
    assert!(step.detail.contains("mes"), "{}", step.detail);
    assert!(
        !step.detail.contains("vendor-laptop"),
        "the vendor's own laptop is not the plant's: {}",
        step.detail
    );
}

#[test]
fn containment_stops_what_comes_after_and_leaves_what_happened() {
    // The spoofing runs from 03:59 and rewrites the HMI's view; the workstation is isolated
    // at 05:00. The step had succeeded by then: it stays succeeded.
    let s = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let mut w = World::new(&s, 42);
    w.run_until(5 * 3_600_000_000);
    w.act(&faultline::act::Act::IsolateHost("eng-ws".into()));
    w.run();
    let r = faultline::report::Summary::from_world(&w);
    let spoof = r
        .security
        .steps
        .iter()
        .find(|x| x.technique == "T0856")
        .expect("the spoofing step");
    assert_eq!(spoof.outcome, "succeeded", "{spoof:?}");
    assert!(spoof.contained_after_s.is_some(), "{spoof:?}");
    assert!(
        spoof.detail.contains("before the host was isolated"),
        "{spoof:?}"
    );
}

#[test]
fn every_step_carries_every_technique_it_realises() {
    let techniques = |file: &str| -> Vec<Vec<String>> {
        let s = load(Path::new(file)).unwrap();
        let mut w = World::new(&s, 42);
        w.run();
        faultline::report::Summary::from_world(&w)
            .security
            .steps
            .into_iter()
            .map(|x| x.techniques)
            .collect()
    };
    // Stolen vendor credentials: every step came in through the vendor's remote access.
    let vpn = techniques("scenarios/vendor-vpn-stolen.ron");
    assert!(!vpn.is_empty());
    for t in &vpn {
        assert!(t.iter().any(|x| x.starts_with("T0822 ")), "{t:?}");
    }
    // The hidden setpoint: the spoofing manipulates the operator's view.
    let hidden = techniques("scenarios/attack-setpoint-hidden.ron");
    assert!(
        hidden
            .iter()
            .flatten()
            .any(|x| x == "T0832 Manipulation of View"),
        "{hidden:?}"
    );
    // And the report says so.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "run",
            "scenarios/attack-setpoint-hidden.ron",
            "--seed",
            "42",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("T0832 Manipulation of View"));
}

/// Runs of `s` on seeds `seeds`, two threads, summaries in seed order.
fn summaries(s: &Scenario, seeds: std::ops::Range<u64>) -> Vec<faultline::report::Summary> {
    let seeds: Vec<u64> = seeds.collect();
    let mut out: Vec<(u64, faultline::report::Summary)> = std::thread::scope(|sc| {
        let halves: Vec<_> = seeds
            .chunks(seeds.len().div_ceil(2))
            .map(|chunk| {
                sc.spawn(move || {
                    chunk
                        .iter()
                        .map(|&seed| {
                            let mut w = World::new(s, seed);
                            w.run();
                            (seed, faultline::report::Summary::from_world(&w))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|x| x.1).collect()
}

#[test]
fn the_ids_raises_false_alarms_at_its_configured_rate() {
    // The process's rate over 5,000 days is the IDS's own unit test
    // (sim/core/controls/ids.rs); ten of the twin's days show the World counts each alarm
    // it raises, and that the commissioned IDS takes none of the HMI's traffic for one.
    let mut s = load(Path::new("scenarios/monitoring-ids.ron")).unwrap();
    s.attacks.clear();
    let rate = s.ids.as_ref().unwrap().false_alarms_per_day;
    let runs = summaries(&s, 1..11);
    let days = runs.len() as f64 * s.duration_h / 24.0;
    let mut alarms = 0;
    for r in &runs {
        // Every alarm the IDS's own process draws in the run's ticks, and no other.
        let mut alone = faultline::controls::ids::Ids::new(s.ids.as_ref().unwrap(), r.seed);
        let last_tick = faultline::time::from_secs(s.duration_h * 3600.0)
            - u64::from(s.tick_ms) * faultline::time::US_PER_MS;
        assert_eq!(
            r.security.ids.as_ref().unwrap().false_alarms,
            alone.due(last_tick).len() as u64,
            "seed {}",
            r.seed
        );
        let ids = r.security.ids.as_ref().unwrap();
        // Commissioned on the plant's normal operation: the HMI's own commands, recipes and
        // the operator's answers to alarms are not anomalies.
        assert_eq!(
            ids.alerts_on_legitimate_traffic, 0,
            "seed {}: {ids:?}",
            r.seed
        );
        alarms += ids.false_alarms + ids.alerts_on_legitimate_traffic;
    }
    // A Poisson count over `days`: within its 95 % interval around the configured rate.
    let expected = rate * days;
    assert!(
        (alarms as f64 - expected).abs() <= 1.96 * expected.sqrt(),
        "{alarms} alarms in {days} days, configured {rate}/day"
    );
}

#[test]
fn with_nothing_wrong_the_operator_writes_only_for_the_schedule_and_real_alarms() {
    use faultline::scenario::Action;
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let n = s.stations.len() as u64;
    let schedule: u64 = s
        .schedule
        .iter()
        .map(|e| match &e.action {
            Action::Changeover { setpoints, .. } => {
                n + setpoints
                    .iter()
                    .filter(|x| matches!(x, faultline::scenario::Setpoint::Temperature(..)))
                    .count() as u64
            }
            _ => n,
        })
        .sum();
    for r in summaries(&s, 1..11) {
        // Every operator write answers an alarm the HMI showed (a failure, a trip, a stop).
        assert!(
            r.hmi.writes <= schedule + r.hmi.operator_actions,
            "seed {}: {} writes, {schedule} scheduled, {} operator actions",
            r.seed,
            r.hmi.writes,
            r.hmi.operator_actions
        );
        assert!(
            r.hmi.operator_actions <= r.line.failures + r.line.safety_trips + 2 * n,
            "seed {}: {} operator actions for {} failures and {} trips",
            r.seed,
            r.hmi.operator_actions,
            r.line.failures,
            r.line.safety_trips
        );
    }
}

#[test]
fn slow_running_raises_a_rate_alarm_and_the_operator_restores_the_speed() {
    let s = load(Path::new("scenarios/attack-speed-write.ron")).unwrap();
    let mut w = World::with_recording(
        &s,
        42,
        faultline::world::Recording {
            timeline: false,
            events: true,
            frames: false,
        },
    );
    w.run();
    let events = w.ledger.metrics.events.as_ref().unwrap();
    let alarm = events
        .iter()
        .find(|e| e.detail.contains("below the recipe's speed"))
        .expect("a rate alarm");
    let restore = events
        .iter()
        .find(|e| e.detail == "restore the recipe's speed")
        .expect("the operator restores the speed");
    assert_eq!(alarm.source, "filler");
    assert!(restore.t_us >= alarm.t_us && restore.t_us - alarm.t_us < 30 * 60 * 1_000_000);
}

fn reconnections(detail: &str) -> u32 {
    if detail.contains("reconnected once") {
        return 1;
    }
    detail
        .split("reconnected ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_shed_flood_comes_back_until_its_host_is_contained() {
    let mut s = load(Path::new("scenarios/device-monitoring.ron")).unwrap();
    s.duration_h = 3.0;
    s.schedule.retain(|e| e.at_h <= 3.0);
    let mut w = World::new(&s, 42);
    w.run();
    let run = &w.campaign.attacks[0];
    let shed = w.controls.device_stats.connections_shed;
    // Dropped every time it came back: 20 minutes of flood, a retry 5 s after each drop.
    assert!(reconnections(&run.detail) >= 50, "{}", run.detail);
    assert!(shed >= 50, "{shed}");
    // Isolating the laptop ends it: no reconnection after the containment.
    s.response = Some(faultline::scenario::ResponseSpec {
        contain_min: faultline::dist::Dist::Fixed(2.0),
        playbook: vec![faultline::scenario::Play::BlockHost],
    });
    let mut w = World::new(&s, 42);
    w.run();
    let run = &w.campaign.attacks[0];
    let n = reconnections(&run.detail);
    assert!((1..=30).contains(&n), "{}", run.detail);
    let ended = run.ended_at.unwrap();
    assert!(ended < run.at + 5 * 60 * 1_000_000, "{ended}");
}

#[test]
fn a_stochastic_attacker_step_that_can_never_work_is_refused_with_its_place() {
    let text = std::fs::read_to_string("scenarios/stochastic-attacker.ron")
        .unwrap()
        .replace(r#"from: "eng-ws","#, r#"from: "it-laptop","#);
    let dir = std::env::temp_dir().join(format!("faultline-infeasible-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("scenarios/bottling-line.ron", dir.join("bottling-line.ron")).unwrap();
    let path = dir.join("s.ron");
    std::fs::write(&path, text).unwrap();
    let e = load(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(e.contains("attacker.steps[1].step"), "{e}");
    assert!(e.contains("not on the path"), "{e}");
    // The shipped scenario's attacker starts where each of its steps can work.
    assert!(load(Path::new("scenarios/stochastic-attacker.ron")).is_ok());
}

#[test]
fn product_2_at_product_1s_temperature_is_scrapped() {
    use faultline::scenario::{Action, Setpoint};
    let base = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let mut wrong = base.clone();
    for e in &mut wrong.schedule {
        if let Action::Changeover { setpoints, .. } = &mut e.action {
            setpoints.retain(|s| !matches!(s, Setpoint::Temperature(..)));
        }
    }
    let scrap = |s: &Scenario| {
        let mut w = World::new(s, 42);
        w.run();
        faultline::report::Summary::from_world(&w).thermal[0].scrap_temperature
    };
    let (right, wrong) = (scrap(&base), scrap(&wrong));
    // Product 2 (from 08:15) at product 1's 62 °C is under its recipe's 63 °C: scrap.
    assert!(right < 100, "{right}");
    assert!(wrong > 20_000, "{wrong}");
}

#[test]
fn legacy_devices_fault_by_chance_and_recover_in_varying_time() {
    let s = load(Path::new("scenarios/attack-it-scan.ron")).unwrap();
    let runs = summaries(&s, 1..21);
    let downtime: Vec<f64> = runs
        .iter()
        .map(|r| r.scorecard.ot.downtime_from_attacks_h)
        .collect();
    let faulted: Vec<usize> = runs
        .iter()
        .map(|r| r.plcs.iter().filter(|p| !p.faults.is_empty()).count())
        .collect();
    let mut distinct = downtime.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert!(distinct.len() >= 10, "{downtime:?}");
    // Each legacy PLC hangs with 1 − 0.7³ ≈ 0.66 per scan (three probes at 0.3): some
    // seeds lose none, some all three.
    assert!(faulted.contains(&0), "{faulted:?}");
    assert!(faulted.contains(&3), "{faulted:?}");
    let mean = faulted.iter().sum::<usize>() as f64 / faulted.len() as f64;
    assert!((1.3..=2.7).contains(&mean), "{mean}");
    // The README's figures are these (tests/integration/readme.rs checks its other ones).
    let readme = std::fs::read_to_string("README.md").unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let none = faulted.iter().filter(|&&f| f == 0).count();
    let said = format!(
        "({mean:.1} over seeds 1–20, none on {} of them)",
        if none == 1 {
            "one".to_string()
        } else {
            none.to_string()
        }
    );
    assert!(readme.contains(&said), "the README should say {said}");
    // `faultline sweep scenarios/attack-it-scan.ron --runs 20`: seeds 42 to 61.
    let d: Vec<f64> = summaries(&s, 42..62)
        .iter()
        .map(|r| r.scorecard.ot.downtime_from_attacks_h)
        .collect();
    let said = format!(
        "{:.2} h on average over seeds 42–61 ({:.2} to {:.2} h",
        d.iter().sum::<f64>() / d.len() as f64,
        d.iter().copied().fold(f64::INFINITY, f64::min),
        d.iter().copied().fold(0.0, f64::max)
    );
    assert!(readme.contains(&said), "the README should say {said}");
}

#[test]
fn the_m218_refuses_a_new_connection_when_every_one_is_busy() {
    use faultline::modbus::{Request, request_adu};
    use faultline::plc::Admission;
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let mut w = World::new(&s, 1);
    let p = w
        .devices
        .plcs
        .iter()
        .position(|p| p.name == "plc-depal")
        .unwrap();
    let plc = &mut w.devices.plcs[p];
    let busy = |plc: &mut faultline::plc::Plc, c: u32| {
        plc.receive(
            c,
            request_adu(
                1,
                1,
                &Request::ReadHoldingRegisters {
                    address: 0,
                    quantity: 1,
                },
            ),
        );
    };
    // The HMI holds one; three more fill the table.
    for c in 100..103 {
        assert_eq!(plc.connect(c), Admission::Accepted);
    }
    // All four idle: the oldest idle one is closed for the newcomer.
    assert!(matches!(plc.connect(103), Admission::AcceptedClosing(_)));
    // Every connection with a request in progress: the newcomer is refused.
    for c in [100, 101, 102, 103] {
        if plc.has_connection(c) {
            busy(plc, c);
        }
    }
    let hmi_or_other: Vec<u32> = (0..200).filter(|c| plc.has_connection(*c)).collect();
    for c in hmi_or_other {
        busy(plc, c);
    }
    assert_eq!(plc.connect(104), Admission::Refused);
}

#[test]
fn the_profile_library_names_its_devices_and_keeps_the_aliases() {
    use faultline::scenario::ProfileSpec;
    let all = ProfileSpec::builtin();
    let names: Vec<&str> = all.iter().map(|p| p.name.as_str()).collect();
    for n in [
        "modern",
        "legacy",
        "m580-bmenor2200h",
        "m218",
        "momentum-m1e",
        "quantum-noe771",
        "micro850",
        "s7-1200",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let same = |a: &ProfileSpec, b: &ProfileSpec| {
        ProfileSpec {
            name: String::new(),
            ..a.clone()
        } == ProfileSpec {
            name: String::new(),
            ..b.clone()
        }
    };
    assert!(same(&ProfileSpec::legacy(), &ProfileSpec::m218()));
    assert!(same(&ProfileSpec::modern(), &ProfileSpec::m580()));
    // The sourced figures.
    assert_eq!(ProfileSpec::momentum_m1e().max_connections, 16);
    assert_eq!(ProfileSpec::momentum_m1e().requests_per_scan, 4);
    assert_eq!(ProfileSpec::quantum_noe771().requests_per_scan, 8);
    assert_eq!(ProfileSpec::micro850().max_connections, 16);
    assert_eq!(ProfileSpec::s7_1200().max_connections, 8);
    for p in &all {
        assert!(!p.modelled_on.is_empty(), "{}", p.name);
    }
}

#[test]
fn with_the_hmi_down_the_shift_sets_the_recipe_at_the_local_panels() {
    // Ransomware encrypts the HMI's workstation 06:00–14:00; in island mode the line runs,
    // and the 08:15 changeover to product 2 is made at the machines' panels: product 2 is
    // pasteurized at its own temperature, not scrapped below its band.
    let mut s = load(Path::new("scenarios/ransomware-flat.ron")).unwrap();
    s.line.island_mode = true;
    for a in &mut s.attacks {
        if let AttackStep::Ransomware {
            precautionary_shutdown_h,
            ..
        } = &mut a.step
        {
            *precautionary_shutdown_h = None;
        }
    }
    let mut w = faultline::World::with_recording(&s, 42, faultline::Recording::all());
    w.run();
    let r = faultline::report::Summary::from_world(&w);
    let events = w.ledger.metrics.events.as_ref().unwrap();
    assert!(
        events.iter().any(|e| e
            .detail
            .contains("recipe set at the machines' local panels")),
        "no changeover at the panels"
    );
    assert!(r.thermal[0].scrap_temperature < 500, "{:?}", r.thermal[0]);
}

/// A planned stop happens with the HMI or without it: when the HMI cannot command the PLCs
/// (its certificate expired at 03:00, renewed after 09:00 at seed 42), the shift stops the
/// line at the local panels for the 08:00 stop, sets the 08:15 changeover's recipe there and
/// starts the line again at 08:30. Before, the line ran on through the stop at the old
/// recipe, and the HMI's outage showed as output the plan did not ask for.
#[test]
fn a_planned_stop_and_a_changeover_reach_the_line_at_the_local_panels_when_the_hmi_cannot() {
    let s = load(Path::new("scenarios/tls-certificate-expiry.ron")).unwrap();
    let rec = faultline::world::Recording {
        events: true,
        ..Default::default()
    };
    let mut w = World::with_recording(&s, 42, rec);
    let h = |x: f64| faultline::time::from_secs(x * 3600.0);
    w.run_until(h(8.1));
    assert!(
        (0..s.plcs.len()).all(|p| !w.hmi.comm_ok(p)),
        "the HMI has lost every PLC"
    );
    for p in &w.devices.plcs {
        for slot in 0..p.stations().count() {
            assert!(
                !p.run_coil(slot),
                "{}: run command still on in the planned stop",
                p.name
            );
        }
    }
    let running = w
        .plant
        .stations
        .iter()
        .filter(|st| st.state() == faultline::plant::State::Running)
        .count();
    assert_eq!(running, 0, "no station runs in the planned stop");
    w.run_until(h(8.4));
    let filler = w.scenario.station_index("filler").unwrap();
    let p = w.devices.station_plc[filler];
    let slot = w.devices.plcs[p]
        .stations()
        .position(|x| x == filler)
        .unwrap();
    assert_eq!(
        w.devices.plcs[p].holding(slot, faultline::plc::map::H_SPEED),
        Some(95),
        "the changeover's filler speed, set at its panel"
    );
    w.run_until(h(9.0));
    let events = w.ledger.metrics.events.clone().unwrap_or_default();
    let at = |kind: &str, from: f64, to: f64| {
        events
            .iter()
            .filter(|e| e.kind.as_str() == kind && e.t_us >= h(from) && e.t_us < h(to))
            .count()
    };
    assert_eq!(
        at("local_stop", 8.0, 8.01),
        s.plcs.len(),
        "every PLC stopped at 08:00"
    );
    assert!(at("local_start", 8.5, 8.51) > 0, "started again at 08:30");
    assert!(
        w.plant
            .stations
            .iter()
            .any(|st| st.state() == faultline::plant::State::Running),
        "the line runs after the stop"
    );
}

#[test]
fn a_ransomware_restore_time_may_be_drawn_per_run() {
    // 8 h on every seed as a number; as LogNormal(mean 8 h, cv 0.5), one draw per step and
    // seed from its own stream: the HMI comes back at different times.
    let restored = |q: faultline::dist::Quantity, seed: u64| {
        let mut s = load(Path::new("scenarios/ransomware-flat.ron")).unwrap();
        for a in &mut s.attacks {
            if let AttackStep::Ransomware { recovery_h, .. } = &mut a.step {
                *recovery_h = q;
            }
        }
        let mut w = World::new(&s, seed);
        w.run();
        w.campaign.hmi_down_until as f64 / 3.6e9
    };
    let fixed: Vec<f64> = (1..7)
        .map(|k| restored(faultline::dist::Quantity::Value(8.0), k))
        .collect();
    let drawn: Vec<f64> = (1..7)
        .map(|k| {
            restored(
                faultline::dist::Quantity::Drawn(faultline::dist::Dist::LogNormal {
                    mean: 8.0,
                    cv: 0.5,
                }),
                k,
            )
        })
        .collect();
    // Encrypted at 06:00 and restored 8 h later on every seed.
    assert!(fixed.iter().all(|h| (h - 14.0).abs() < 0.01), "{fixed:?}");
    let mut distinct = drawn.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    assert_eq!(distinct.len(), drawn.len(), "{drawn:?}");
    assert!(drawn.iter().all(|h| *h > 6.0), "{drawn:?}");
    // The same seed draws the same restore.
    assert_eq!(
        drawn[0],
        restored(
            faultline::dist::Quantity::Drawn(faultline::dist::Dist::LogNormal {
                mean: 8.0,
                cv: 0.5
            }),
            1
        )
    );
}

//! Actors: every client from outside the twin is placed as a host of a zone, passes the
//! network and the gates as any host, has its traffic read as ATT&CK techniques, and owns
//! what it costs in the loss tree and the ledger; a session replays without any of them.
//! The sessions here are input logs written in the test (what the live adapter logs), so
//! they run without sockets; tests/peers/test_actors.py drives real tools.

use faultline::actors::ActorsSpec;
use faultline::live::{InputLog, InputLogWriter};
use faultline::modbus::{Request, request_adu};
use faultline::report::{Summary, summary_json};
use faultline::world::{EXTERNAL_CONN, Input};
use faultline::{World, load};
use std::path::Path;

const RED: &str = "127.0.0.2";
const BLUE: &str = "127.0.0.3";

fn spec() -> ActorsSpec {
    ActorsSpec::parse(
        r#"Actors(
            zone: Some("enterprise"),
            actors: [
                (name: "red team", source: "127.0.0.2", zone: "supervisory"),
                (name: "blue scanner", source: "127.0.0.3", zone: "enterprise", address: Some("10.20.0.77")),
            ],
        )"#,
        "<test>",
    )
    .unwrap()
}

fn plc(w: &World, name: &str) -> usize {
    w.devices.plcs.iter().position(|p| p.name == name).unwrap()
}

/// A session: (tick, input) in tick order, ending at `end_tick`.
struct Session {
    inputs: Vec<(u64, Input)>,
    next_conn: u32,
}

impl Session {
    fn new() -> Session {
        Session {
            inputs: Vec::new(),
            next_conn: EXTERNAL_CONN,
        }
    }

    fn connect(&mut self, tick: u64, plc: usize, from: &str) -> u32 {
        let conn = self.next_conn;
        self.next_conn += 1;
        self.inputs.push((
            tick,
            Input::Connect {
                plc,
                conn,
                from: Some(from.parse().unwrap()),
            },
        ));
        conn
    }

    fn send(&mut self, tick: u64, plc: usize, conn: u32, r: &Request) {
        self.inputs.push((
            tick,
            Input::Frame {
                plc,
                conn,
                adu: request_adu(tick as u16, 1, r),
            },
        ));
    }

    /// The session as the live adapter logs it, read back.
    fn log(mut self, scenario: &str, spec: &ActorsSpec, end_tick: u64) -> InputLog {
        self.inputs.sort_by_key(|(t, _)| *t);
        let s = load(Path::new(scenario)).unwrap();
        let mut w0 = World::new(&s, s.seed);
        w0.place_actors(spec.clone()).unwrap();
        let mut log = InputLogWriter::new(Vec::new(), &w0).unwrap();
        for (k, i) in &self.inputs {
            log.input(*k, i).unwrap();
        }
        let bytes = log.end(end_tick).unwrap();
        let path = std::env::temp_dir().join(format!(
            "faultline-actors-{}-{}.log",
            std::process::id(),
            self.next_conn
        ));
        std::fs::write(&path, bytes).unwrap();
        let l = InputLog::read(&path).unwrap();
        std::fs::remove_file(&path).ok();
        l
    }
}

fn replay(scenario: &str, log: &InputLog) -> (World, Summary) {
    let s = load(Path::new(scenario)).unwrap();
    let mut w = World::with_recording(
        &s,
        log.seed,
        faultline::Recording {
            events: true,
            ..Default::default()
        },
    );
    log.replay(&mut w).unwrap();
    let r = Summary::from_world(&w);
    (w, r)
}

fn tree_closes(r: &Summary) {
    let t = &r.loss_tree;
    let lost: f64 = t.losses.iter().map(|l| l.units).sum();
    let gap = t.ideal_units + t.made_outside_planned - t.good_units as f64 - lost;
    assert!(
        gap.abs() < 0.5,
        "ideal {} good {} lost {lost}",
        t.ideal_units,
        t.good_units
    );
    let causes: f64 = r.cost.by_cause.iter().map(|c| c.total).sum();
    assert!((causes - r.cost.total).abs() < 0.01);
}

/// 02:00 and on, ten ticks a second.
const T2H: u64 = 2 * 3600 * 10;

#[test]
fn an_actors_setpoint_and_run_command_writes_are_its_techniques_and_its_losses() {
    let scenario = "scenarios/bottling-line.ron";
    let s = load(Path::new(scenario)).unwrap();
    let w = World::new(&s, s.seed);
    let (pasteur, filler) = (plc(&w, "plc-pasteur"), plc(&w, "plc-filler"));
    let mut session = Session::new();
    // The red team lowers the pasteurizer's setpoint to 56.0 °C; the blue scanner reads
    // every table of the filler's PLC, then stops the filler with its run coil.
    let red = session.connect(T2H, pasteur, RED);
    session.send(
        T2H + 5,
        pasteur,
        red,
        &Request::WriteSingleRegister {
            address: 2,
            value: 560,
        },
    );
    let blue = session.connect(T2H + 100, filler, BLUE);
    for (k, r) in [
        Request::ReadCoils {
            address: 0,
            quantity: 4,
        },
        Request::ReadDiscreteInputs {
            address: 0,
            quantity: 8,
        },
        Request::ReadHoldingRegisters {
            address: 0,
            quantity: 2,
        },
        Request::ReadInputRegisters {
            address: 0,
            quantity: 12,
        },
        Request::ReportServerId,
        Request::WriteSingleCoil {
            address: 0,
            value: false,
        },
    ]
    .iter()
    .enumerate()
    {
        session.send(T2H + 110 + 10 * k as u64, filler, blue, r);
    }
    let log = session.log(scenario, &spec(), 4 * 3600 * 10);
    let (w, r) = replay(scenario, &log);
    let a = r.actors.as_ref().expect("an actors section");
    assert_eq!(a.default_zone, "enterprise");
    assert_eq!(a.actors.len(), 2);
    let red = &a.actors[0];
    assert_eq!(
        (red.name.as_str(), red.zone.as_str()),
        ("red team", "supervisory")
    );
    let ids = |x: &faultline::summary::actors::ActorSummary| -> Vec<&str> {
        x.techniques.iter().map(|t| t.id).collect()
    };
    assert_eq!(ids(red), ["T0836"]);
    assert!(
        red.techniques[0]
            .also
            .contains(&"T0855 Unauthorized Command Message")
    );
    let blue = &a.actors[1];
    assert_eq!(blue.address, "10.20.0.77");
    // Reading three of the PLC's tables is enumerating it: T0846, beside T0801 for the
    // reads themselves and T0888 for Report Server ID; the coil write is T0831.
    for want in ["T0846", "T0888", "T0801", "T0831"] {
        assert!(ids(blue).contains(&want), "{want} in {:?}", ids(blue));
    }
    assert_eq!(blue.requests, 6);
    // What it cost: the red team's setpoint scrapped beer, the blue scanner's coil write
    // stopped the bottleneck until the operator restarted it: both owed in the tree, the
    // ledger, and the actors' rows.
    let owed = |cause: &str| crate::owed(&r, cause);
    assert!(owed("actor: red team") > 10.0, "{:?}", r.loss_tree.losses);
    assert!(
        owed("actor: blue scanner") > 1.0,
        "{:?}",
        r.loss_tree.losses
    );
    assert!((red.units_owed - owed("actor: red team")).abs() < 0.01);
    assert!(red.cost_owed > 0.0 && blue.cost_owed > 0.0);
    assert!(
        r.loss_tree
            .losses
            .iter()
            .any(|l| l.cause == "actor: red team"
                && l.category == faultline::loss::LossCategory::QualityLoss)
    );
    assert!(r.cost.attacks >= red.cost_owed + blue.cost_owed - 0.01);
    tree_closes(&r);
    // Events name them.
    let events = faultline::report::events_jsonl(&w);
    assert!(events.contains("\"actor_technique\"") && events.contains("red team"));
}

#[test]
fn segmentation_refuses_a_placed_actor_and_the_ids_detects_one_it_lets_through() {
    // The allow list lets the supervisory zone reach the PLCs; the enterprise is refused.
    let scenario = "scenarios/attack-it-scan-segmented.ron";
    let s = load(Path::new(scenario)).unwrap();
    let w = World::new(&s, s.seed);
    let filler = plc(&w, "plc-filler");
    let mut session = Session::new();
    let blue = session.connect(T2H, filler, BLUE);
    session.send(
        T2H + 1,
        filler,
        blue,
        &Request::ReadInputRegisters {
            address: 0,
            quantity: 12,
        },
    );
    let red = session.connect(T2H + 10, filler, RED);
    session.send(
        T2H + 11,
        filler,
        red,
        &Request::ReadInputRegisters {
            address: 0,
            quantity: 12,
        },
    );
    let log = session.log(scenario, &spec(), T2H + 600);
    let (_, r) = replay(scenario, &log);
    let a = &r.actors.as_ref().unwrap().actors;
    let blue = a.iter().find(|x| x.name == "blue scanner").unwrap();
    assert_eq!(
        (blue.refused, blue.blocked, blue.requests),
        (1, 1, 0),
        "{blue:?}"
    );
    let flow = r
        .security
        .flows_blocked
        .iter()
        .find(|f| f.from == "blue scanner")
        .expect("the refused flow is in the report");
    assert!(!flow.legitimate);
    assert!(
        flow.rule
            .as_deref()
            .is_some_and(|x| x.contains("default deny")),
        "{flow:?}"
    );
    let red = a.iter().find(|x| x.name == "red team").unwrap();
    assert_eq!((red.refused, red.requests), (0, 1));

    // A passive IDS commissioned on the HMI's traffic flags the red team as a new talker.
    let scenario = "scenarios/monitoring-ids.ron";
    let mut session = Session::new();
    let red = session.connect(T2H, filler, RED);
    for k in 0..20 {
        session.send(
            T2H + 1 + 10 * k,
            filler,
            red,
            &Request::ReadInputRegisters {
                address: 0,
                quantity: 12,
            },
        );
    }
    let log = session.log(scenario, &spec(), T2H + 3000);
    let (_, r) = replay(scenario, &log);
    let red = &r.actors.as_ref().unwrap().actors[0];
    let after = red.detected_after_s.expect("the IDS flags the new talker");
    assert!(after > 0.0 && after < 300.0, "{after}");
}

#[test]
fn a_service_probe_that_hangs_a_legacy_plc_is_the_actors_discovery_and_its_downtime() {
    let scenario = "scenarios/bottling-line.ron";
    let s = load(Path::new(scenario)).unwrap();
    let w = World::new(&s, s.seed);
    let rinser = plc(&w, "plc-rinser");
    let mut session = Session::new();
    // nmap -sV's probes: bytes that are not Modbus, each on a new connection, until one
    // hangs the M218 (probability 0.3 each).
    for k in 0..20 {
        let c = session.connect(T2H + 20 * k, rinser, RED);
        session.inputs.push((
            T2H + 20 * k + 1,
            Input::Garbage {
                plc: rinser,
                conn: c,
            },
        ));
    }
    let log = session.log(scenario, &spec(), T2H + 3 * 36000);
    let (w, r) = replay(scenario, &log);
    assert!(
        !w.devices.plcs[rinser].stats.faults.is_empty(),
        "twenty probes hang an M218 with probability 1 - 0.7^20"
    );
    let red = &r.actors.as_ref().unwrap().actors[0];
    assert_eq!(red.techniques[0].id, "T0846");
    assert_eq!(red.probes, 20);
    assert!(
        r.loss_tree
            .losses
            .iter()
            .any(|l| l.cause == "actor: red team"
                && l.category == faultline::loss::LossCategory::CommunicationOrPlcFault),
        "{:?}",
        r.loss_tree.losses
    );
    tree_closes(&r);
}

#[test]
fn a_session_without_its_only_outside_client_is_the_run_of_the_same_hours() {
    let scenario = "scenarios/bottling-line.ron";
    let s = load(Path::new(scenario)).unwrap();
    let w = World::new(&s, s.seed);
    let pasteur = plc(&w, "plc-pasteur");
    let mut session = Session::new();
    let red = session.connect(T2H, pasteur, RED);
    session.send(
        T2H + 5,
        pasteur,
        red,
        &Request::WriteSingleRegister {
            address: 2,
            value: 560,
        },
    );
    let hours = 3.0;
    let log = session.log(scenario, &spec(), (hours * 36000.0) as u64);
    let (_, with) = replay(scenario, &log);
    assert!(crate::owed(&with, "actor: red team") > 0.0);
    let without = log.without(&["red team".into()]).unwrap();
    assert_eq!(without.inputs.len(), 0);
    let (_, alone) = replay(scenario, &without);
    let mut run = s.clone();
    run.duration_h = hours;
    let mut w = World::new(&run, s.seed);
    w.run();
    assert_eq!(summary_json(&alone), summary_json(&Summary::from_world(&w)));
    // By address too; and a name that is no actor of the session is an error that lists them.
    assert_eq!(log.without(&[RED.into()]).unwrap().inputs.len(), 0);
    let e = log.without(&["mallory".into()]).err().unwrap().to_string();
    assert!(e.contains("red team (127.0.0.2)"), "{e}");
}

#[test]
fn an_actors_file_that_does_not_fit_the_plant_is_refused_at_its_field() {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let mut w = World::new(&s, s.seed);
    let bad = ActorsSpec::parse(
        r#"Actors(zone: Some("moon"), actors: [
            (name: "a", source: "127.0.0.2", zone: "enterprise"),
            (name: "b", source: "127.0.0.2", zone: "plc-zone"),
            (name: "a", source: "nope", zone: "dmz", address: Some("10.10.1.10")),
        ])"#,
        "actors.ron",
    )
    .unwrap();
    let problems = w.place_actors(bad).unwrap_err();
    let text: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect();
    for want in [
        "zone: no zone named \"moon\"",
        "actors[1].source: 127.0.0.2 is already actors[0]'s source",
        "actors[1].zone: no zone named \"plc-zone\"",
        "actors[2].name: \"a\" is already actors[0]'s name",
        "actors[2].source: \"nope\" is not an IP address",
        "actors[2].address: 10.10.1.10 is a host's of the scenario already",
    ] {
        assert!(
            text.iter().any(|t| t.starts_with(want)),
            "{want} in {text:#?}"
        );
    }
    let e = ActorsSpec::parse(
        "Actors(actors: [(name: \"a\", sorce: \"x\")])",
        "actors.ron",
    )
    .unwrap_err();
    assert!(e.to_string().contains("actors.ron:1:"), "{e}");
}

#[test]
fn live_refuses_an_actors_file_at_its_field_before_it_listens() {
    let dir = std::env::temp_dir().join(format!("faultline-actors-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("actors.ron");
    std::fs::write(
        &bad,
        "Actors(actors: [(name: \"a\", source: \"127.0.0.2\", zone: \"moon\")])",
    )
    .unwrap();
    let (code, _, err) = crate::cli(&[
        "live",
        "scenarios/bottling-line.ron",
        "--base-port",
        "0",
        "--actors",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code, 65, "{err}");
    assert!(
        err.contains("actors[0].zone: no zone named \"moon\""),
        "{err}"
    );
    let (code, _, err) = crate::cli(&[
        "live",
        "scenarios/bottling-line.ron",
        "--actors",
        dir.join("nope.ron").to_str().unwrap(),
    ]);
    assert_eq!(code, 66, "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_dpi_rate_limit_holds_per_client_and_device_across_an_actors_connections() {
    // Burst 2, one a second: two reads on one connection pass, a third on a second
    // connection of the same client opened at once is refused (its connections share the
    // bucket, as at `faultline proxy`); another client has its own.
    let dir = std::env::temp_dir().join(format!("faultline-rate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/bottling-line.ron").unwrap();
    let path = dir.join("rate.ron");
    std::fs::write(
        &path,
        format!(
            r#"Overlay(base: "{}", name: "rate limit per source", dpi: Some((mode: Enforce, on_block: Exception, latency_ms: 0.05, rules: [
                (from: Host("scada"), to: Zone("control"), preset: ReadWrite),
                (from: Zone("supervisory"), to: Zone("control"), preset: ReadOnly, rate_limit: Some((1.0, 2.0))),
                (from: Zone("enterprise"), to: Zone("control"), preset: ReadOnly, rate_limit: Some((1.0, 2.0))),
            ])))"#,
            base.display()
        ),
    )
    .unwrap();
    let scenario = path.to_str().unwrap();
    let s = load(&path).unwrap();
    let w = World::new(&s, s.seed);
    let filler = plc(&w, "plc-filler");
    let read = Request::ReadInputRegisters {
        address: 0,
        quantity: 12,
    };
    let mut session = Session::new();
    let a = session.connect(T2H, filler, RED);
    session.send(T2H + 1, filler, a, &read);
    session.send(T2H + 1, filler, a, &read);
    let b = session.connect(T2H + 1, filler, RED);
    session.send(T2H + 1, filler, b, &read);
    let c = session.connect(T2H + 1, filler, BLUE);
    session.send(T2H + 1, filler, c, &read);
    // The same client at another PLC: a bucket of its own there (one per client and
    // device, as the proxy keeps one per client in front of its one device).
    let pasteur = plc(&w, "plc-pasteur");
    let d = session.connect(T2H + 1, pasteur, RED);
    session.send(T2H + 1, pasteur, d, &read);
    let log = session.log(scenario, &spec(), T2H + 600);
    let (_, r) = replay(scenario, &log);
    std::fs::remove_dir_all(&dir).ok();
    let actors = &r.actors.as_ref().unwrap().actors;
    let red = actors.iter().find(|x| x.name == "red team").unwrap();
    assert_eq!((red.requests, red.blocked), (4, 1), "{red:?}");
    let blue = actors.iter().find(|x| x.name == "blue scanner").unwrap();
    assert_eq!((blue.requests, blue.blocked), (1, 0), "{blue:?}");
}

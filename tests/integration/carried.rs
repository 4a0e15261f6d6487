//! Carried links (live `--netns`), without the kernel: the World's side of the protocol
//! with the live adapter. An in-process carrier answers each connection the World asks
//! for and delivers each frame at the next tick; a carrier that answers as the twin's own
//! evaluation of the network does must give the fast twin's attack outcomes and flow
//! ledger; one that refuses a flow the twin allows is on record as a disagreement. (The
//! real carrier, sockets in the namespace lab, is tested in tests/peers/test_live_netns.py.)

use faultline::bus::Carry;
use faultline::network::Verdict;
use faultline::report::Summary;
use faultline::world::{Input, World};

/// Run `w` to its end with links carried in process: `decide(from, to, port)` is the
/// network's answer to a connection; frames arrive at the far end one tick later.
fn run_carried(w: &mut World, decide: impl Fn(&World, usize, usize, u16) -> bool) {
    w.carry_links();
    let mut next: Vec<Input> = Vec::new();
    while !w.done() {
        for input in std::mem::take(&mut next) {
            w.apply_input(&input);
        }
        w.step();
        for c in w.net.bus.take_carried() {
            match c {
                Carry::Connect {
                    link,
                    from,
                    to,
                    port,
                    ..
                } => next.push(Input::LinkConnected {
                    link,
                    ok: decide(w, from, to, port),
                }),
                Carry::Frame {
                    link,
                    to_server,
                    bytes,
                } => next.push(Input::LinkBytes {
                    link,
                    to_server,
                    bytes,
                }),
                Carry::Probe {
                    probe,
                    from,
                    to,
                    port,
                } => next.push(Input::ProbeAnswered {
                    probe,
                    ok: decide(w, from, to, port),
                }),
                Carry::Close { .. } => {}
            }
        }
    }
}

fn as_the_twin(w: &World, from: usize, to: usize, port: u16) -> bool {
    matches!(w.net.network.connect(from, to, port), Verdict::Allow(_))
}

fn outcomes(s: &Summary) -> Vec<(String, String, String)> {
    s.security
        .steps
        .iter()
        .map(|r| (r.technique.clone(), r.from.clone(), r.outcome.clone()))
        .collect()
}

fn flows(s: &Summary) -> Vec<(String, String, u16, bool)> {
    s.security
        .flows_blocked
        .iter()
        .map(|f| (f.from.clone(), f.to.clone(), f.port, f.legitimate))
        .collect()
}

#[test]
fn links_carried_as_the_twin_decides_give_the_fast_twins_outcomes_and_flows() {
    for (path, seed) in [
        ("scenarios/segmentation-nftables.ron", 42),
        ("scenarios/segmentation-nftables-over-broad.ron", 42),
        ("scenarios/attack-it-scan-segmented.ron", 7),
        ("scenarios/attack-it-scan.ron", 7),
        ("scenarios/attack-flood-legacy.ron", 42),
        ("scenarios/attack-setpoint.ron", 42),
        ("scenarios/ransomware-flat.ron", 42),
        ("scenarios/ransomware-segmented-island.ron", 42),
        ("scenarios/auth-shared-account.ron", 42),
        ("scenarios/auth-personal-accounts.ron", 42),
    ] {
        let s = faultline::load(std::path::Path::new(path)).unwrap();
        let mut fast_world = World::new(&s, seed);
        fast_world.run();
        let fast = Summary::from_world(&fast_world);
        let mut carried = World::new(&s, seed);
        run_carried(&mut carried, as_the_twin);
        let encrypted: Vec<String> = carried
            .campaign
            .attacks
            .iter()
            .map(|a| a.detail.clone())
            .collect();
        let k = carried.net.kernel.clone().expect("carried");
        let carried = Summary::from_world(&carried);
        assert_eq!(outcomes(&carried), outcomes(&fast), "{path}");
        // What each step did, in its own words (the hosts encrypted, the PLCs found).
        let said: Vec<String> = fast_world
            .campaign
            .attacks
            .iter()
            .map(|a| a.detail.clone())
            .collect();
        assert_eq!(encrypted, said, "{path}");
        assert_eq!(flows(&carried), flows(&fast), "{path}");
        assert_eq!(k.disagreements, 0, "{path}");
        // Every HMI link and every attack connection was asked of the carrier.
        assert!(k.connected >= s.plcs.len() as u64, "{path}: {k:?}");
        let refused: u64 = carried
            .security
            .flows_blocked
            .iter()
            .map(|f| f.attempts)
            .sum();
        assert_eq!(
            k.refused, refused,
            "{path}: every refusal is in the flow ledger"
        );
        // The frames crossed one tick later than the fast twin's few milliseconds:
        // the line's output is the fast twin's within half a per cent.
        let (a, b) = (carried.line.good_units as f64, fast.line.good_units as f64);
        assert!((a - b).abs() <= 0.005 * b, "{path}: {a} against {b}");
    }
}

#[test]
fn a_flow_the_carrier_refuses_and_the_twin_allows_is_a_disagreement_and_a_blocked_flow() {
    let s = faultline::load(std::path::Path::new("scenarios/segmentation-nftables.ron")).unwrap();
    let rec = faultline::world::Recording {
        events: true,
        ..Default::default()
    };
    let mut w = World::with_recording(&s, 42, rec);
    let filler = w.net.network.host("plc-filler").unwrap();
    run_carried(&mut w, |w, from, to, port| {
        to != filler && as_the_twin(w, from, to, port)
    });
    let k = w.net.kernel.clone().unwrap();
    let r = Summary::from_world(&w);
    // The HMI retries every 5 s for the whole run: each refusal a disagreement.
    assert!(k.disagreements > 1000, "{k:?}");
    let legit: Vec<_> = flows(&r).into_iter().filter(|f| f.3).collect();
    assert_eq!(
        legit,
        vec![("scada".into(), "plc-filler".into(), 502, true)]
    );
    assert!(
        w.ledger
            .metrics
            .events
            .iter()
            .flatten()
            .any(|e| e.kind.as_str() == "kernel_disagrees" && e.detail.contains("plc-filler")),
        "a disagreement on record"
    );
    let mut fast = World::new(&s, 42);
    fast.run();
    assert!(r.line.good_units < Summary::from_world(&fast).line.good_units);
}

/// Carried links start closed and connect at the first tick: the HMI's first poll of each
/// PLC leaves before its connection is up and times out, and that is all the HMI sees
/// differently on a line whose attacks are all blocked.
#[test]
fn carried_links_cost_the_hmi_one_timeout_per_plc_at_the_start() {
    let s = faultline::load(std::path::Path::new("scenarios/segmentation-nftables.ron")).unwrap();
    let mut fast = World::new(&s, 42);
    fast.run();
    let mut carried = World::new(&s, 42);
    run_carried(&mut carried, as_the_twin);
    let (f, c) = (&fast.hmi.stats, &carried.hmi.stats);
    assert_eq!(
        c.timeouts,
        f.timeouts + s.plcs.len() as u64,
        "{c:?} against {f:?}"
    );
}

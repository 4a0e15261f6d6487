//! The network: hop latencies add up along the shortest path, zones without a conduit have
//! no route, firewalls refuse what no rule allows; and the HMI loses a PLC its device drops
//! and gets it back.

use faultline::network::{Network, Verdict};
use faultline::scenario::{AllowRule, Peer, SegmentationSpec};
use faultline::world::{EXTERNAL_CONN, Input};
use faultline::{World, load};
use std::path::Path;

#[test]
fn latency_is_the_zone_latency_plus_each_conduit_crossed() {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let n = Network::new(&s, None);
    let host = |name: &str| n.host(name).unwrap();
    let zone_ms = s.network.as_ref().unwrap().zone_latency_ms;
    let expect = |conduits_ms: &[f64]| {
        let ms = zone_ms + conduits_ms.iter().sum::<f64>();
        Verdict::Allow((ms * 1000.0).round() as u64)
    };
    // HMI (supervisory) → PLC (control): one conduit, 0.2 ms.
    assert_eq!(n.connect(n.hmi(), n.plc_host(0), 502), expect(&[0.2]));
    // MES (enterprise) → PLC: enterprise–dmz, dmz–supervisory, supervisory–control.
    assert_eq!(
        n.connect(host("mes"), n.plc_host(0), 502),
        expect(&[0.5, 0.3, 0.2])
    );
    // Vendor laptop → PLC: the VPN's 25 ms, then dmz → supervisory → control.
    assert_eq!(
        n.connect(host("vendor-laptop"), n.plc_host(1), 502),
        expect(&[25.0, 0.3, 0.2])
    );
    // Same zone: the zone latency alone.
    assert_eq!(
        n.connect(host("eng-ws"), n.hmi(), 502),
        Verdict::Allow((zone_ms * 1000.0).round() as u64)
    );
}

#[test]
fn zones_without_a_conduit_have_no_route_and_firewalls_refuse_what_no_rule_allows() {
    let mut s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    // Cut the vendor's VPN: the vendor zone is an island.
    s.network
        .as_mut()
        .unwrap()
        .conduits
        .retain(|c| c.between.0 != "vendor" && c.between.1 != "vendor");
    let n = Network::new(&s, None);
    let vendor = n.host("vendor-laptop").unwrap();
    assert_eq!(n.connect(vendor, n.plc_host(0), 502), Verdict::NoRoute);

    // Segmentation allowing only the HMI to the control zone, on 502.
    let seg = SegmentationSpec {
        enabled: true,
        allow: vec![AllowRule {
            from: Peer::Host(s.hmi.name.clone()),
            to: Peer::Zone("control".into()),
            port: Some(502),
        }],
        nftables: None,
        firewall_latency_ms: 0.1,
    };
    let n = Network::new(&s, Some(&seg));
    let zone_ms = s.network.as_ref().unwrap().zone_latency_ms;
    // Allowed, with the firewall's latency per conduit crossed.
    assert_eq!(
        n.connect(n.hmi(), n.plc_host(0), 502),
        Verdict::Allow(((zone_ms + 0.2 + 0.1) * 1000.0).round() as u64)
    );
    assert_eq!(n.connect(n.hmi(), n.plc_host(0), 80), Verdict::Blocked);
    let mes = n.host("mes").unwrap();
    assert_eq!(n.connect(mes, n.plc_host(0), 502), Verdict::Blocked);
    // Within a zone no firewall sits in the way.
    let eng = n.host("eng-ws").unwrap();
    assert!(matches!(n.connect(eng, n.hmi(), 502), Verdict::Allow(_)));
    // Switched off, the network is flat again.
    let off = SegmentationSpec {
        enabled: false,
        ..seg
    };
    let n = Network::new(&s, Some(&off));
    assert!(matches!(
        n.connect(mes, n.plc_host(0), 502),
        Verdict::Allow(_)
    ));
}

fn events(w: &World, kind: &str) -> Vec<(u64, String)> {
    w.ledger
        .metrics
        .events
        .iter()
        .flatten()
        .filter(|e| e.kind == kind)
        .map(|e| (e.t_us, e.source.clone()))
        .collect()
}

#[test]
fn the_hmi_loses_a_plc_whose_device_drops_it_and_reconnects_when_a_slot_frees() {
    // The filler's PLC holds two connections and closes the oldest when a third comes.
    let text = std::fs::read_to_string("scenarios/minimal.ron")
        .unwrap()
        .replace(
            "    hmi: (",
            r#"    profiles: [(name: "two", max_connections: 2, when_full: CloseOldest,
        requests_per_scan: 0, reply_latency_scans: 0, queue_limit: 100,
        on_unsupported: Reject, on_malformed: Reject)],
    hmi: ("#,
        )
        .replace(
            r#"profile: "modern", address: "10.0.0.11""#,
            r#"profile: "two", address: "10.0.0.11""#,
        );
    let s = crate::scenario(&text);
    let mut w = World::with_recording(&s, 1, faultline::Recording::all());
    w.run_until(60 * 1_000_000);
    assert!(events(&w, "hmi_disconnected").is_empty());
    // Two outside clients connect: the second evicts the HMI's connection (the oldest).
    let (a, b) = (EXTERNAL_CONN + 1, EXTERNAL_CONN + 2);
    w.apply_input(&Input::Connect {
        plc: 0,
        conn: a,
        from: None,
    });
    w.apply_input(&Input::Connect {
        plc: 0,
        conn: b,
        from: None,
    });
    w.run_until(90 * 1_000_000);
    let lost = events(&w, "hmi_disconnected");
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(lost[0].1, "plc1");
    // The HMI retries every 5 s; each retry takes a slot back by evicting the oldest.
    let back = events(&w, "hmi_reconnect");
    assert!(!back.is_empty(), "the HMI never reconnected");
    assert!(back[0].0 >= lost[0].0 + 5_000_000, "{back:?} {lost:?}");
    // Its polls get answers again: the HMI sees the filler running at the end.
    w.apply_input(&Input::Disconnect { plc: 0, conn: a });
    w.apply_input(&Input::Disconnect { plc: 0, conn: b });
    w.run_until(150 * 1_000_000);
    assert!(w.devices.plcs[0].connections() >= 1);
    let comm_loss = events(&w, "comm_loss");
    let restored = events(&w, "comm_restored");
    assert!(
        comm_loss.len() <= restored.len(),
        "comm loss {comm_loss:?} not followed by restore {restored:?}"
    );
}

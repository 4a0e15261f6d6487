//! What evaluating an nftables rule set costs a fast run, against the allow-list model of
//! the same policy, in this same run (issue bar: ≤ 10 %). Two pairs of one policy each:
//! the SCADA server's polls allowed, everything else between zones dropped (with an IT
//! scan and a setpoint write that both are refused), and the go-live with the labelers'
//! PLC forgotten (the HMI retries that flow every 5 s: 17,281 evaluations in 24 h). Each
//! run includes its summary (the rule set's report: counters, dead and over-broad rules).
//! And one connection's decision alone.
//!
//! `cargo bench --bench firewall`

#[path = "common/bars.rs"]
mod bars;

use criterion::{Criterion, criterion_group};
use faultline::network::Network;
use faultline::report::Summary;
use faultline::scenario::{AllowRule, Peer, SegmentationSpec};
use faultline::{Scenario, World, load};
use std::hint::black_box;
use std::path::Path;

/// The nftables scenario with its rule set replaced by the allow list of the same policy.
fn as_allow_list(s: &Scenario, allow: Vec<AllowRule>) -> Scenario {
    let mut a = s.clone();
    let seg = a.segmentation.as_ref().unwrap();
    a.segmentation = Some(SegmentationSpec {
        enabled: true,
        allow,
        nftables: None,
        firewall_latency_ms: seg.firewall_latency_ms,
    });
    a
}

fn scada_to(plcs: &[&str]) -> Vec<AllowRule> {
    plcs.iter()
        .map(|p| AllowRule {
            from: Peer::Host("scada".into()),
            to: Peer::Host((*p).into()),
            port: Some(502),
        })
        .collect()
}

fn runs(c: &mut Criterion) {
    let all = [
        "plc-depal",
        "plc-rinser",
        "plc-filler",
        "plc-capper",
        "plc-pasteur",
        "plc-labelers",
        "plc-packer",
    ];
    let forgotten: Vec<&str> = all
        .iter()
        .copied()
        .filter(|p| *p != "plc-labelers")
        .collect();
    let mut g = c.benchmark_group("firewall run 24h");
    g.sample_size(20);
    for (name, path, allow) in [
        (
            "scada polls",
            "scenarios/segmentation-nftables.ron",
            scada_to(&all),
        ),
        (
            "forgotten flow",
            "scenarios/segmentation-nftables-forgotten.ron",
            scada_to(&forgotten),
        ),
    ] {
        let nft = load(Path::new(path)).unwrap();
        let list = as_allow_list(&nft, allow);
        for (form, s) in [("allow list", &list), ("nftables", &nft)] {
            g.bench_function(format!("{name}: {form}"), |b| {
                b.iter(|| {
                    let mut w = World::new(s, s.seed);
                    w.run();
                    black_box(Summary::from_world(&w).line.good_units)
                })
            });
        }
    }
    g.finish();

    let nft = load(Path::new("scenarios/segmentation-nftables.ron")).unwrap();
    let list = as_allow_list(&nft, scada_to(&all));
    let mut g = c.benchmark_group("firewall one decision");
    for (form, s) in [("allow list", &list), ("nftables", &nft)] {
        let n = Network::new(s, s.segmentation.as_ref());
        let (from, to) = (n.host("it-laptop").unwrap(), n.plc_host(2));
        let hmi = n.hmi();
        g.bench_function(form, |b| {
            b.iter(|| black_box((n.decide(hmi, to, 502), n.decide(from, to, 502))))
        });
    }
    g.finish();
}

criterion_group!(benches, runs);

/// The best of `n` wall times of a whole run and its summary.
fn best_run(s: &Scenario, n: usize) -> f64 {
    (0..n)
        .map(|_| {
            let t = std::time::Instant::now();
            let mut w = World::new(s, s.seed);
            w.run();
            black_box(Summary::from_world(&w).line.good_units);
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let mut bars = bars::Bars::new();
    if bars.measuring() {
        let nft = load(Path::new("scenarios/segmentation-nftables.ron")).unwrap();
        let all = [
            "plc-depal",
            "plc-rinser",
            "plc-filler",
            "plc-capper",
            "plc-pasteur",
            "plc-labelers",
            "plc-packer",
        ];
        let list = as_allow_list(&nft, scada_to(&all));
        let (a, b) = (best_run(&list, 5), best_run(&nft, 5));
        bars.at_most(
            "24 h run, nftables rule set / allow list of the same policy",
            b / a,
            1.10,
        );
    }
    bars.finish();
}

//! The nftables segmentation: the twin's verdicts against the kernel's (in network
//! namespaces, as root; skipped with a visible message where namespaces cannot be made),
//! the export and its re-import, and the reports in the rule set's language.

#[allow(unused_imports)]
use crate::scenario;
use crate::shipped_scenarios;
use faultline::netns::{Lab, Probe, Seen};
use faultline::network::{FlowKey, Network, Verdict};
use faultline::nft::{CLIENT_PORT, Flow, Outcome, RuleSet};
use faultline::{Scenario, World, load};
use rand::{RngExt, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Duration;

mod export;
mod lab;
mod language;

/// The namespace tests need root, `ip` and `nft`; they are `#[ignore]`d with that reason so
/// that a plain `cargo test` elsewhere says so, and the README's test command runs them
/// (`--include-ignored`): there a missing piece fails the test, naming it.
fn require_namespaces(test: &str) {
    if let Err(why) = faultline::netns::available() {
        panic!("{test} needs network namespaces, and here {why}")
    }
}

/// The shipped scenarios whose segmentation filters (allow list or rule set).
fn segmented() -> Vec<(std::path::PathBuf, Scenario)> {
    shipped_scenarios()
        .into_iter()
        .filter_map(|p| {
            let s = load(&p).ok()?;
            s.segmentation.as_ref().filter(|g| g.enabled)?;
            s.network.as_ref()?;
            Some((p, s))
        })
        .collect()
}

/// Every flow the twin carried or refused in a run of `s`: (from, to, port).
fn flows_of(s: &Scenario) -> (Network, Vec<FlowKey>) {
    let mut w = World::new(s, s.seed);
    w.run();
    let keys: BTreeSet<FlowKey> = w
        .net
        .passed_flows
        .keys()
        .chain(w.net.blocked_flows.keys())
        .copied()
        .collect();
    (w.net.network.clone(), keys.into_iter().collect())
}

fn seen_of(o: Outcome) -> Seen {
    match o {
        Outcome::Connected => Seen::Connected,
        Outcome::Refused => Seen::Refused,
        Outcome::TimedOut => Seen::TimedOut,
    }
}

/// The twin's verdict on a carried flow, as the kernel would show it.
fn twin_seen(n: &Network, k: &FlowKey) -> Seen {
    let d = n.decide(k.from, k.to, k.port);
    match (d.verdict, d.nft) {
        (Verdict::Allow(_), _) => Seen::Connected,
        (_, Some(c)) => seen_of(c.outcome),
        // The allow list drops (its export's chain policy is drop); no route: dropped by
        // the lab's topology table.
        _ => Seen::TimedOut,
    }
}

/// The rule set the kernel holds in the lab's firewall, as `nft -j -a list ruleset` gives it.
fn kernel_json(lab: &Lab) -> String {
    let out = std::process::Command::new("ip")
        .args([
            "netns",
            "exec",
            &lab.firewall_ns,
            "nft",
            "-j",
            "-a",
            "list",
            "ruleset",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The rule set the kernel holds in the lab's firewall, read back by the twin's evaluator.
fn kernel_ruleset(lab: &Lab) -> RuleSet {
    RuleSet::from_json(&kernel_json(lab), "kernel", &BTreeMap::new())
        .unwrap_or_else(|e| panic!("the kernel's rule set does not read back: {e}"))
}

/// One match of a rule as the kernel lists it, read here from the JSON by this test alone
/// (not by the evaluator under test): the field it filters and the spans it names.
#[derive(Clone, Debug)]
struct Match {
    field: &'static str,
    negate: bool,
    spans: Vec<(u32, u32)>,
    names: Vec<String>,
}

fn addr_of(v: &serde_json::Value) -> Option<u32> {
    v.as_str()?.parse::<Ipv4Addr>().ok().map(u32::from)
}

/// The spans a match's right-hand side names: values, ranges, prefixes, sets (anonymous or
/// named, resolved from the rule set's `set` objects).
fn spans_of(
    v: &serde_json::Value,
    sets: &BTreeMap<String, serde_json::Value>,
    spans: &mut Vec<(u32, u32)>,
    names: &mut Vec<String>,
) {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            let n = n.as_u64().unwrap() as u32;
            spans.push((n, n));
        }
        Value::String(s) if s.starts_with('@') => {
            if let Some(elems) = sets.get(&s[1..]) {
                spans_of(elems, sets, spans, names);
            }
        }
        Value::String(s) => match addr_of(v) {
            Some(a) => spans.push((a, a)),
            None => names.push(s.clone()),
        },
        Value::Array(items) => {
            for i in items {
                spans_of(i, sets, spans, names);
            }
        }
        Value::Object(o) => {
            if let Some(s) = o.get("set") {
                spans_of(s, sets, spans, names);
            } else if let Some(r) = o.get("range") {
                let ends: Vec<u32> = r
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| addr_of(e).or_else(|| e.as_u64().map(|n| n as u32)).unwrap())
                    .collect();
                spans.push((ends[0], ends[1]));
            } else if let Some(p) = o.get("prefix") {
                let base = addr_of(&p["addr"]).unwrap();
                let len = p["len"].as_u64().unwrap() as u32;
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                spans.push((base & mask, (base & mask) | !mask));
            } else if let Some(e) = o.get("elem") {
                spans_of(&e["val"], sets, spans, names);
            }
        }
        _ => {}
    }
}

/// Each rule's matches on addresses, ports and interfaces, from the kernel's JSON.
fn rules_in(json: &str) -> Vec<Vec<Match>> {
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    let items = doc["nftables"].as_array().unwrap();
    let mut sets = BTreeMap::new();
    for i in items {
        if let Some(s) = i.get("set") {
            sets.insert(
                s["name"].as_str().unwrap().to_string(),
                s.get("elem").cloned().unwrap_or(serde_json::Value::Null),
            );
        }
    }
    let mut out = Vec::new();
    for i in items {
        let Some(r) = i.get("rule") else { continue };
        let mut matches = Vec::new();
        for e in r["expr"].as_array().unwrap() {
            let Some(m) = e.get("match") else { continue };
            let left = &m["left"];
            let field = if let Some(p) = left.get("payload") {
                match p["field"].as_str().unwrap() {
                    "saddr" if p["protocol"] == "ip" => "saddr",
                    "daddr" if p["protocol"] == "ip" => "daddr",
                    "sport" => "sport",
                    "dport" => "dport",
                    _ => continue,
                }
            } else if let Some(k) = left.get("meta") {
                match k["key"].as_str().unwrap() {
                    "iifname" => "iifname",
                    "oifname" => "oifname",
                    _ => continue,
                }
            } else {
                continue;
            };
            let (mut spans, mut names) = (Vec::new(), Vec::new());
            let op = m["op"].as_str().unwrap();
            let right = &m["right"];
            match (op, right.as_u64()) {
                ("<", Some(n)) if n > 0 => spans.push((0, n as u32 - 1)),
                ("<=", Some(n)) => spans.push((0, n as u32)),
                (">", Some(n)) => spans.push((n as u32 + 1, 65535)),
                (">=", Some(n)) => spans.push((n as u32, 65535)),
                _ => spans_of(right, &sets, &mut spans, &mut names),
            }
            matches.push(Match {
                field,
                negate: op == "!=",
                spans,
                names,
            });
        }
        out.push(matches);
    }
    out
}

/// Probes at the ends of every span a rule set names: for each rule, a flow that meets its
/// other matches where it can, with one field moved to each span's first and last value
/// and one past each (addresses only where the lab routes them: inside a zone's pool).
fn edge_probes(lab: &Lab, n: &Network, json: &str, first_client_port: u16) -> Vec<Probe> {
    let pool_of = |a: u32| -> Option<usize> {
        let ip = Ipv4Addr::from(a);
        let o = ip.octets();
        if o[3] == 0 || o[3] == 255 {
            return None;
        }
        (0..lab.pools.len()).find(|&z| lab.pools[z].iter().any(|(p, _)| p.octets()[..3] == o[..3]))
    };
    let zone_of_if = |name: &str| lab.interfaces.iter().position(|i| i == name);
    let first_host = |z: usize| {
        n.hosts
            .iter()
            .find(|h| h.zone == z)
            .map(|h| u32::from(h.address))
    };
    let mut out = Vec::new();
    let mut client_port = first_client_port;
    let mut used = BTreeSet::new();
    for rule in rules_in(json) {
        let want = |f: &str| rule.iter().find(|m| m.field == f && !m.negate);
        // The rule's base flow: zones from its interfaces, addresses inside its spans.
        let side = |addr: &str, ifname: &str| -> Option<(usize, u32)> {
            let by_if = want(ifname).and_then(|m| m.names.iter().find_map(|x| zone_of_if(x)));
            match want(addr) {
                Some(m) => m.spans.iter().find_map(|&(lo, hi)| {
                    (lo..=hi.min(lo.saturating_add(300))).find_map(|a| {
                        pool_of(a)
                            .filter(|z| by_if.is_none_or(|b| b == *z))
                            .map(|z| (z, a))
                    })
                }),
                None => {
                    let z = by_if
                        .or_else(|| (0..lab.pools.len()).find(|&z| !lab.pools[z].is_empty()))?;
                    Some((z, first_host(z)?))
                }
            }
        };
        let (Some((cz, client)), Some((sz, server))) =
            (side("saddr", "iifname"), side("daddr", "oifname"))
        else {
            continue;
        };
        let dport = want("dport")
            .and_then(|m| m.spans.first().map(|s| s.0))
            .unwrap_or(502);
        let base = (cz, client, sz, server, dport.clamp(1, 65535) as u16);
        let mut push = |(cz, client, sz, server, port): (usize, u32, usize, u32, u16),
                        sport: Option<u16>| {
            if cz == sz {
                return;
            }
            let cp = sport.unwrap_or_else(|| {
                client_port += 1;
                client_port
            });
            if !used.insert((client, cp)) {
                return;
            }
            out.push(Probe {
                client_zone: cz,
                client: Ipv4Addr::from(client),
                client_port: cp,
                server_zone: sz,
                server: Ipv4Addr::from(server),
                server_port: port,
            });
        };
        push(base, None);
        for m in &rule {
            for &(lo, hi) in &m.spans {
                let edges = [lo.checked_sub(1), Some(lo), Some(hi), hi.checked_add(1)];
                for e in edges.into_iter().flatten() {
                    let (cz, client, sz, server, port) = base;
                    match m.field {
                        "saddr" => {
                            if let Some(z) = pool_of(e) {
                                push((z, e, sz, server, port), None);
                            }
                        }
                        "daddr" => {
                            if let Some(z) = pool_of(e) {
                                push((cz, client, z, e, port), None);
                            }
                        }
                        "dport" if (1..=32767).contains(&e) => {
                            push((cz, client, sz, server, e as u16), None)
                        }
                        "sport" if (1024..=65535).contains(&e) => {
                            push((cz, client, sz, server, port), Some(e as u16))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    out
}

/// Random flows between the zones' address pools: a third entirely random (zones in any
/// direction, real host addresses or random ones in the zone's /24s, the plant's ports
/// and random ones), a third the plant's own flows from a fresh client port, a third the
/// plant's flows with one thing changed (the client or server address, the port, or the
/// direction).
fn generated(lab: &Lab, n: &Network, own: &[FlowKey], count: usize, seed: u64) -> Vec<Probe> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let zones: Vec<usize> = (0..n.zones.len())
        .filter(|&z| !lab.pools[z].is_empty())
        .collect();
    let addr = |z: usize, rng: &mut rand_chacha::ChaCha8Rng| -> Ipv4Addr {
        let hosts: Vec<Ipv4Addr> = n
            .hosts
            .iter()
            .filter(|h| h.zone == z)
            .map(|h| h.address)
            .collect();
        if rng.random_bool(0.5) && !hosts.is_empty() {
            hosts[rng.random_range(0..hosts.len())]
        } else {
            let (p, _) = lab.pools[z][rng.random_range(0..lab.pools[z].len())];
            let o = p.octets();
            Ipv4Addr::new(o[0], o[1], o[2], rng.random_range(1..=254))
        }
    };
    // Servers below the ephemeral range, clients in it (a listener and a client cannot
    // share a port in one namespace).
    let ports = [
        502u16, 445, 443, 22, 23, 102, 3389, 20000, 20005, 1911, 4840,
    ];
    let port = |rng: &mut rand_chacha::ChaCha8Rng| {
        if rng.random_bool(0.6) {
            ports[rng.random_range(0..ports.len())]
        } else {
            rng.random_range(1..=32767)
        }
    };
    let own: Vec<&FlowKey> = own
        .iter()
        .filter(|k| n.hosts[k.from].zone != n.hosts[k.to].zone)
        .collect();
    let mut used = BTreeSet::new();
    let mut out = Vec::new();
    while out.len() < count {
        let kind = if own.is_empty() {
            0
        } else {
            rng.random_range(0..3)
        };
        let (mut cz, mut client, mut sz, mut server, mut server_port) = if kind == 0 {
            let (cz, sz) = (
                zones[rng.random_range(0..zones.len())],
                zones[rng.random_range(0..zones.len())],
            );
            (
                cz,
                addr(cz, &mut rng),
                sz,
                addr(sz, &mut rng),
                port(&mut rng),
            )
        } else {
            let k = own[rng.random_range(0..own.len())];
            let (f, t) = (&n.hosts[k.from], &n.hosts[k.to]);
            (f.zone, f.address, t.zone, t.address, k.port)
        };
        if kind == 2 {
            match rng.random_range(0..4) {
                0 => client = addr(cz, &mut rng),
                1 => server = addr(sz, &mut rng),
                2 => server_port = port(&mut rng),
                _ => {
                    std::mem::swap(&mut cz, &mut sz);
                    std::mem::swap(&mut client, &mut server);
                }
            }
        }
        if cz == sz || lab.pools[cz].is_empty() || lab.pools[sz].is_empty() {
            continue;
        }
        let client_port = rng.random_range(32768..=60999);
        if !used.insert((client, client_port)) {
            continue;
        }
        out.push(Probe {
            client_zone: cz,
            client,
            client_port,
            server_zone: sz,
            server,
            server_port,
        });
    }
    out
}

/// Try `probes` in the kernel and judge each with the twin's evaluator on `set`: the
/// disagreements, each outcome's count added to `outcomes` (keyed `label outcome`).
fn judge(
    lab: &Lab,
    set: &RuleSet,
    interfaces: &[String],
    probes: &[Probe],
    label: &str,
    outcomes: &mut BTreeMap<String, usize>,
) -> Vec<String> {
    let seen = lab.probe(probes, Duration::from_millis(1500)).unwrap();
    let mut out = Vec::new();
    for (p, kernel) in probes.iter().zip(&seen) {
        let twin = seen_of(
            set.connect(&Flow {
                client_if: &interfaces[p.client_zone],
                server_if: &interfaces[p.server_zone],
                client: p.client,
                client_port: p.client_port,
                server: p.server,
                server_port: p.server_port,
            })
            .outcome,
        );
        *outcomes.entry(format!("{label} {twin:?}")).or_default() += 1;
        if twin != *kernel {
            out.push(format!("{label}: {p:?}: twin {twin:?}, kernel {kernel:?}"));
        }
    }
    out
}

fn no_namespace_left(prefix: &str) {
    let left = String::from_utf8(
        std::process::Command::new("ip")
            .args(["netns", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(!left.contains(prefix), "{left}");
}

#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn the_twin_and_the_kernel_agree_on_every_shipped_and_generated_flow() {
    require_namespaces("the_twin_and_the_kernel_agree_on_every_shipped_and_generated_flow");
    let (mut shipped_flows, mut generated_flows, mut edge_flows) = (0, 0, 0);
    let mut disagreements = Vec::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (k, (path, s)) in segmented().into_iter().enumerate() {
        let (network, keys) = flows_of(&s);
        let interfaces = faultline::export::interfaces(&s);
        let lab = Lab::build(&format!("fltd{k}"), &network, &interfaces).unwrap();
        faultline::export::load_into(&lab, &s).unwrap();
        // Every flow the twin carried or refused, from its host's address and the twin's
        // client port, against the twin's own verdict in the run.
        let probes: Vec<Probe> = keys
            .iter()
            .map(|f| Probe {
                client_zone: network.hosts[f.from].zone,
                client: network.hosts[f.from].address,
                client_port: CLIENT_PORT,
                server_zone: network.hosts[f.to].zone,
                server: network.hosts[f.to].address,
                server_port: f.port,
            })
            .collect();
        let seen = lab.probe(&probes, Duration::from_millis(1500)).unwrap();
        for ((f, p), kernel) in keys.iter().zip(&probes).zip(&seen) {
            let twin = twin_seen(&network, f);
            *outcomes.entry(format!("shipped {twin:?}")).or_default() += 1;
            if twin != *kernel {
                disagreements.push(format!(
                    "{}: {p:?}: twin {twin:?}, kernel {kernel:?}",
                    path.display()
                ));
            }
        }
        shipped_flows += probes.len();
        // Generated flows, judged by the twin's evaluator on the rule set the kernel holds
        // (read back from it): the scenario's own, or its allow list's export.
        let set = kernel_ruleset(&lab);
        let count = if s.segmentation.as_ref().unwrap().nftables.is_some() {
            400
        } else {
            150
        };
        let mut probes = generated(&lab, &network, &keys, count, 7 + k as u64);
        // And the ends of every span the rule set names, and one past each.
        let edges = edge_probes(&lab, &network, &kernel_json(&lab), 61000);
        edge_flows += edges.len();
        probes.extend(edges);
        let label = format!("{} (generated)", path.display());
        let mut by_file = BTreeMap::new();
        disagreements.extend(judge(
            &lab,
            &set,
            &interfaces,
            &probes,
            &label,
            &mut by_file,
        ));
        for (key, n) in by_file {
            *outcomes
                .entry(format!("generated {}", key.rsplit(' ').next().unwrap()))
                .or_default() += n;
        }
        generated_flows += probes.len();
    }
    no_namespace_left("fltd");
    eprintln!(
        "twin against kernel: {shipped_flows} shipped flows, {generated_flows} generated flows ({edge_flows} at the ends of spans), {} disagreements; outcomes {outcomes:?}",
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert!(generated_flows >= 2000, "{generated_flows} generated flows");
    assert!(edge_flows >= 100, "{edge_flows} flows at the ends of spans");
    // Both verdicts occur in each set: a test where everything passes, or nothing does,
    // proves little.
    for key in [
        "shipped Connected",
        "shipped TimedOut",
        "generated Connected",
        "generated TimedOut",
    ] {
        assert!(
            outcomes.get(key).copied().unwrap_or(0) > 30,
            "{key}: {outcomes:?}"
        );
    }
}

/// Every construct of the subset (named sets of addresses, ports and interfaces, ranges,
/// prefixes, negations, jump/goto/return/continue, base chains in priority order over
/// tables, an ip6 table that sees no IPv4, accept/drop/reject in each form, ct state
/// for the reply and the client's next packet) in the kernel and in the twin.
#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn every_construct_of_the_subset_decides_as_in_the_kernel() {
    require_namespaces("every_construct_of_the_subset_decides_as_in_the_kernel");
    let s = load(std::path::Path::new("scenarios/bottling-line.ron")).unwrap();
    let (network, keys) = flows_of(&s);
    let interfaces: Vec<String> = network.zones.clone();
    let lab = Lab::build("fltk", &network, &interfaces).unwrap();
    let text = std::fs::read_to_string("tests/data/nftables/kitchen-sink.nft").unwrap();
    lab.nft(&text).unwrap();
    let set = kernel_ruleset(&lab);
    // The text form read by the CLI's converter places each rule at its line.
    let path = std::path::Path::new("tests/data/nftables/kitchen-sink.nft");
    let json = faultline::netns::nft_to_json(path).unwrap();
    let lines = faultline::nft::text_lines(&text, "kitchen-sink.nft");
    let placed = RuleSet::from_json(&json, "kitchen-sink.nft", &lines).unwrap();
    let vendor = (0..placed.len())
        .map(|i| placed.rule(i))
        .find(|r| {
            r.comment
                .as_deref()
                .is_some_and(|c| c.starts_with("vendor to the filler"))
        })
        .unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("vendor to the filler"))
        .unwrap()
        + 1;
    assert_eq!(
        vendor.line.as_deref(),
        Some(format!("kitchen-sink.nft:{line}").as_str())
    );
    let mut outcomes = BTreeMap::new();
    let probes = generated(&lab, &network, &keys, 900, 99);
    // And flows aimed at the constructs: telnet (reset), SMB (reject), the vendor's
    // session whose ACK is dropped, the historian's to the packer (a later base chain).
    let host = |name: &str| network.hosts[network.host(name).unwrap()].clone();
    let aimed = [
        ("it-laptop", "historian", 23),
        ("it-laptop", "historian", 445),
        ("vendor-laptop", "plc-filler", 502),
        ("historian", "plc-packer", 502),
        ("historian", "plc-filler", 502),
        ("historian", "plc-labelers", 8080),
        ("it-laptop", "scada", 22),
        ("mes", "historian", 1911),
    ];
    let mut all = probes.clone();
    for (i, (from, to, port)) in aimed.iter().enumerate() {
        let (f, t) = (host(from), host(to));
        all.push(Probe {
            client_zone: f.zone,
            client: f.address,
            client_port: 61000 + i as u16,
            server_zone: t.zone,
            server: t.address,
            server_port: *port,
        });
    }
    // The ends of every range, prefix and set of the rule set, and one past each.
    let edges = edge_probes(&lab, &network, &kernel_json(&lab), 61100);
    assert!(
        edges.len() >= 60,
        "{} probes at the ends of spans",
        edges.len()
    );
    let edge_disagreements = judge(
        &lab,
        &set,
        &interfaces,
        &edges,
        "kitchen-sink edges",
        &mut outcomes,
    );
    let mut disagreements = judge(&lab, &set, &interfaces, &all, "kitchen-sink", &mut outcomes);
    disagreements.extend(edge_disagreements);
    drop(lab);
    no_namespace_left("fltk");
    eprintln!(
        "kitchen sink: {} flows, {} disagreements; outcomes {outcomes:?}",
        all.len(),
        disagreements.len()
    );
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    for o in ["Connected", "Refused", "TimedOut"] {
        assert!(
            outcomes
                .get(&format!("kitchen-sink {o}"))
                .copied()
                .unwrap_or(0)
                > 20,
            "{o}: {outcomes:?}"
        );
    }
}

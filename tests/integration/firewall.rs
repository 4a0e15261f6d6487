//! The nftables segmentation: the twin's verdicts against the kernel's (in network
//! namespaces, as root; skipped with a visible message where namespaces cannot be made),
//! the export and its re-import, and the reports in the rule set's language.

#[allow(unused_imports)]
use crate::scenario;
use crate::{cli, shipped_scenarios};
use faultline::netns::{Lab, Probe, Seen};
use faultline::network::{FlowKey, Network, Verdict};
use faultline::nft::{CLIENT_PORT, Flow, Outcome, RuleSet};
use faultline::{Scenario, World, load};
use rand::{RngExt, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::time::Duration;

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
        lab.load_scenario(&s).unwrap();
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

/// `export nftables` for every shipped segmented scenario: `nft -c` accepts it (where nft
/// is installed), and read back through nft (where namespaces can be made: the kernel's
/// own parse of it) it gives every flow of the run the scenario's own verdict.
#[test]
fn the_exported_allow_list_names_each_flow_in_a_comment() {
    for (path, s) in segmented() {
        let (code, text, err) = cli(&["export", "nftables", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        if s.segmentation.as_ref().unwrap().nftables.is_none() {
            assert_eq!(
                text.matches("accept comment \"").count(),
                s.segmentation.as_ref().unwrap().allow.len() + 1,
                "{text}"
            );
        }
    }
}

#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn the_exported_rule_set_passes_nft_check_and_re_imported_decides_every_flow_as_the_scenario() {
    require_namespaces(
        "the_exported_rule_set_passes_nft_check_and_re_imported_decides_every_flow_as_the_scenario",
    );
    let mut checked = 0;
    for (path, s) in segmented() {
        let (code, text, err) = cli(&["export", "nftables", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        let dir = std::env::temp_dir().join(format!("faultline-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ext = if text.trim_start().starts_with('{') {
            "json"
        } else {
            "nft"
        };
        let file = dir.join(format!(
            "{}.{ext}",
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&file, &text).unwrap();
        let mut check = std::process::Command::new("unshare");
        check.args(["--net", "--", "nft", "-c"]);
        if ext == "json" {
            check.arg("-j");
        }
        let out = check.arg("-f").arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{}: nft -c: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        // Re-import: the scenario with the export as its rule set.
        let json = if ext == "json" {
            text.clone()
        } else {
            faultline::netns::nft_to_json(&file).unwrap()
        };
        let set = RuleSet::from_json(&json, &file.display().to_string(), &BTreeMap::new()).unwrap();
        let (network, keys) = flows_of(&s);
        let interfaces = faultline::export::interfaces(&s);
        for k in &keys {
            let (f, t) = (&network.hosts[k.from], &network.hosts[k.to]);
            let again = if f.zone == t.zone {
                Seen::Connected
            } else if !network.zones_joined(f.zone, t.zone) {
                Seen::TimedOut
            } else {
                seen_of(
                    set.connect(&Flow {
                        client_if: &interfaces[f.zone],
                        server_if: &interfaces[t.zone],
                        client: f.address,
                        client_port: CLIENT_PORT,
                        server: t.address,
                        server_port: k.port,
                    })
                    .outcome,
                )
            };
            assert_eq!(
                again,
                twin_seen(&network, k),
                "{}: {} -> {}:{}",
                path.display(),
                f.name,
                t.name,
                k.port
            );
            checked += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(checked > 50, "{checked} flows checked");
}

/// `export proxy-policy`: for every shipped scenario with DPI and every PLC, the proxy
/// loads the exported policy, and the proxy's DPI decides every request from every host
/// of the scenario (known to the proxy by its address) as the twin's DPI does.
#[test]
fn the_exported_proxy_policy_decides_every_request_as_the_twins_dpi() {
    use faultline::controls::dpi::{Dpi, Flow as DpiFlow};
    use faultline::modbus::{Request, request_adu};
    let requests = [
        Request::ReadHoldingRegisters {
            address: 0,
            quantity: 4,
        },
        Request::ReadHoldingRegisters {
            address: 100,
            quantity: 2,
        },
        Request::ReadCoils {
            address: 0,
            quantity: 8,
        },
        Request::ReadInputRegisters {
            address: 0,
            quantity: 4,
        },
        Request::WriteSingleRegister {
            address: 2,
            value: 560,
        },
        Request::WriteSingleRegister {
            address: 2,
            value: 720,
        },
        Request::WriteSingleRegister {
            address: 0,
            value: 100,
        },
        Request::WriteSingleCoil {
            address: 0,
            value: true,
        },
        Request::WriteSingleCoil {
            address: 1,
            value: false,
        },
        Request::WriteMultipleRegisters {
            address: 0,
            values: vec![1, 2],
        },
        Request::Diagnostics {
            sub_function: 1,
            data: vec![0, 0],
        },
        Request::ReportServerId,
    ];
    let (mut compared, mut passed) = (0, 0);
    for path in shipped_scenarios() {
        let Ok(s) = load(&path) else { continue };
        let (Some(dpi), Some(net)) = (&s.dpi, &s.network) else {
            continue;
        };
        let mut hosts: Vec<(String, String, String)> = vec![(
            s.hmi.name.clone(),
            net.hmi_zone.clone(),
            s.hmi.address.clone(),
        )];
        hosts.extend(
            net.hosts
                .iter()
                .map(|h| (h.name.clone(), h.zone.clone(), h.address.clone())),
        );
        for plc in &s.plcs {
            let (code, text, err) = cli(&[
                "export",
                "proxy-policy",
                path.to_str().unwrap(),
                "--plc",
                &plc.name,
            ]);
            assert_eq!(code, 0, "{}: {err}", path.display());
            let file = std::env::temp_dir().join(format!(
                "faultline-policy-{}-{}.ron",
                std::process::id(),
                plc.name
            ));
            std::fs::write(&file, &text).unwrap();
            let exported = faultline::proxy::load_policy(&file).unwrap_or_else(|e| {
                panic!(
                    "{}: {}: the proxy refuses the export: {e:#}",
                    path.display(),
                    plc.name
                )
            });
            let _ = std::fs::remove_file(&file);
            for (name, zone, address) in &hosts {
                for (i, r) in requests.iter().enumerate() {
                    let adu = request_adu(1, plc.unit_id, r);
                    let (mut twin, mut proxy) = (Dpi::new(dpi), Dpi::new(&exported));
                    let a = twin.inspect(
                        DpiFlow {
                            from_host: name,
                            from_zone: zone,
                            to_host: &plc.name,
                            to_zone: &net.plc_zone,
                            conn: 1,
                        },
                        &adu,
                        i as u64,
                    );
                    let b = proxy.inspect(
                        DpiFlow {
                            from_host: address,
                            from_zone: "client",
                            to_host: "upstream",
                            to_zone: "upstream",
                            conn: 1,
                        },
                        &adu,
                        i as u64,
                    );
                    assert_eq!(
                        a,
                        b,
                        "{}: {name} ({address}) -> {}: {r:?}",
                        path.display(),
                        plc.name
                    );
                    compared += 1;
                    passed += a.is_ok() as usize;
                }
            }
        }
    }
    assert!(compared > 500, "{compared} requests compared");
    // Both verdicts occur.
    assert!(
        passed > 50 && compared - passed > 50,
        "{passed} of {compared} passed"
    );
}

fn summary_of(path: &str) -> serde_json::Value {
    let s = load(std::path::Path::new(path)).unwrap();
    let mut w = World::new(&s, s.seed);
    w.run();
    serde_json::to_value(faultline::report::Summary::from_world(&w)).unwrap()
}

/// The firewall's report adds up, for every shipped segmented scenario (the nftables
/// form and the allow list): every connection attempt between zones is decided by exactly
/// one rule or the policy (a chain's, the allow list's default deny); a rule that decided
/// an attempt matched it; a dead rule matched nothing.
#[test]
fn every_attempt_the_rule_set_decided_is_owned_by_one_rule_or_a_policy() {
    let all = segmented();
    assert!(all.len() >= 8, "{} segmented scenarios", all.len());
    let forms: std::collections::BTreeSet<bool> = all
        .iter()
        .map(|(_, s)| s.segmentation.as_ref().unwrap().nftables.is_some())
        .collect();
    assert_eq!(forms.len(), 2, "both forms among the shipped scenarios");
    for (path, _) in &all {
        let path = path.to_str().unwrap();
        let sum = summary_of(path);
        let fw = &sum["security"]["firewall"];
        let rules = fw["rules"].as_array().unwrap();
        let decided: u64 = rules.iter().map(|r| r["decided"].as_u64().unwrap()).sum();
        assert_eq!(
            decided + fw["decided_by_policy"].as_u64().unwrap(),
            fw["attempts"].as_u64().unwrap(),
            "{path}: {fw}"
        );
        for r in rules {
            assert!(
                r["matched"].as_u64() >= r["decided"].as_u64(),
                "{path}: {r}"
            );
        }
        let dead: Vec<&str> = fw["dead"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        for r in rules {
            assert_eq!(
                r["matched"] == 0,
                dead.contains(&r["rule"].as_str().unwrap()),
                "{path}: {r}"
            );
        }
        // The attempts the report counts are the flows' attempts, carried and refused.
        let s = load(std::path::Path::new(path)).unwrap();
        let mut w = World::new(&s, s.seed);
        w.run();
        let n = &w.net.network;
        let crossing: u64 = w
            .net
            .passed_flows
            .iter()
            .chain(&w.net.blocked_flows)
            .filter(|(k, _)| n.hosts[k.from].zone != n.hosts[k.to].zone)
            .map(|(_, r)| r.attempts)
            .sum();
        assert_eq!(fw["attempts"].as_u64().unwrap(), crossing, "{path}");
    }
}

/// The three shipped rule sets teach what their headers say, in the rule set's language.
#[test]
fn the_reports_name_the_dropping_rule_the_dead_rules_and_the_over_broad_rule_an_attacker_used() {
    // The good rule set: the scan and the write both dropped by the chain's policy; the
    // line as without attacks.
    let good = summary_of("scenarios/segmentation-nftables.ron");
    let base = summary_of("scenarios/bottling-line.ron");
    assert_eq!(good["line"]["good_units"], base["line"]["good_units"]);
    let sec = &good["security"];
    assert_eq!(sec["steps_succeeded"], 0, "{sec}");
    for f in sec["flows_blocked"].as_array().unwrap() {
        assert_eq!(
            f["rule"], "chain policy (drop of chain forward in table plant)",
            "{f}"
        );
        assert_eq!(f["legitimate"], false);
    }
    assert!(sec["firewall"]["dead"].as_array().unwrap().is_empty());
    assert!(sec["firewall"]["over_broad"].as_array().unwrap().is_empty());

    // The forgotten PLC: the HMI's flow to the labelers dropped by the policy, the line's
    // loss owed to the control; the decommissioned server's rule dead.
    let forgot = summary_of("scenarios/segmentation-nftables-forgotten.ron");
    let sec = &forgot["security"];
    let blocked = sec["flows_blocked"].as_array().unwrap();
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert_eq!(blocked[0]["to"], "plc-labelers");
    assert_eq!(blocked[0]["legitimate"], true);
    assert!(
        blocked[0]["rule"]
            .as_str()
            .unwrap()
            .starts_with("chain policy")
    );
    let dead = sec["firewall"]["dead"].as_array().unwrap();
    assert_eq!(dead.len(), 1);
    assert!(
        dead[0].as_str().unwrap().contains("old SCADA server"),
        "{dead:?}"
    );
    assert!(
        forgot["cost"]["controls"].as_f64().unwrap() > 1000.0,
        "{}",
        forgot["cost"]
    );
    assert!(
        forgot["cost"]["by_cause"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["cause"] == "control: segmentation"),
        "{}",
        forgot["cost"]
    );
    // The allow-list form of the same mistake costs the same.
    let listed = summary_of("scenarios/segmentation-forgotten-flow.ron");
    assert_eq!(listed["line"]["good_units"], forgot["line"]["good_units"]);

    // The over-broad rule: the attack went through it; it exists for the SCADA server's
    // polls; it lets through the IT laptop and the vendor's laptop too.
    let broad = summary_of("scenarios/segmentation-nftables-over-broad.ron");
    let sec = &broad["security"];
    assert_eq!(sec["steps_succeeded"], 1);
    let ob = sec["firewall"]["over_broad"].as_array().unwrap();
    assert_eq!(ob.len(), 1, "{ob:?}");
    assert!(
        ob[0]["rule"]
            .as_str()
            .unwrap()
            .contains("SCADA polls the PLCs")
    );
    assert!(
        ob[0]["admits"]
            .as_str()
            .unwrap()
            .starts_with("16777216 source addresses")
    );
    assert_eq!(
        ob[0]["used_by_attacks"][0],
        "it-laptop -> plc-pasteur:502 (1 attempts)"
    );
    assert_eq!(ob[0]["needed_for"].as_array().unwrap().len(), 7);
    let also: Vec<&str> = ob[0]["also_allows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        also.contains(&"vendor-laptop -> plc-filler:502"),
        "{also:?}"
    );
    assert!(!also.iter().any(|a| a.starts_with("scada ")), "{also:?}");
    // The same attack against the good rule set is dropped.
    let (code, out, _) = cli(&["run", "scenarios/segmentation-nftables-over-broad.ron"]);
    assert_eq!(code, 0);
    assert!(out.contains("over-broad rule: rule handle 3"), "{out}");
    assert!(
        out.contains("used by the attack: it-laptop -> plc-pasteur:502"),
        "{out}"
    );
}

/// A rule set the twin cannot evaluate exactly is refused at load, naming the rule (its
/// handle, chain and table; file:line for the text form) and the construct.
#[test]
fn a_rule_outside_the_subset_is_an_error_naming_the_rule() {
    let dir = std::env::temp_dir().join(format!("faultline-nft-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = std::fs::read_to_string("scenarios/nftables/bottling-line.json").unwrap();
    let bad = good.replacen(
        r#""right": 502"#,
        r#""right": 502
          }
        },
        {
          "match": {
            "op": "==",
            "left": { "meta": { "key": "mark" } },
            "right": 7"#,
        1,
    );
    assert_ne!(bad, good);
    std::fs::write(dir.join("bad.json"), &bad).unwrap();
    let base = std::fs::canonicalize("scenarios/bottling-line.ron").unwrap();
    let overlay = format!(
        "Overlay(base: {:?}, name: \"bad\", segmentation: Some((nftables: Some((ruleset: \"bad.json\")))))",
        base.display().to_string()
    );
    std::fs::write(dir.join("s.ron"), &overlay).unwrap();
    let (code, _, err) = cli(&["validate", dir.join("s.ron").to_str().unwrap()]);
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("segmentation.nftables.ruleset"), "{err}");
    assert!(
        err.contains("rule handle 4 in chain forward of table plant (\"SCADA polls the PLCs\")"),
        "{err}"
    );
    assert!(err.contains("meta mark"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    // A missing file and an unknown zone in the interface map, each at its field.
    std::fs::write(
        dir.join("s2.ron"),
        overlay.replace(
            "ruleset: \"bad.json\"",
            "ruleset: \"nope.json\", interfaces: {\"plant\": \"eth0\"}",
        ),
    )
    .unwrap();
    let (code, _, err) = cli(&["validate", dir.join("s2.ron").to_str().unwrap()]);
    assert_eq!(code, 65, "{err}");
    assert!(
        err.contains("cannot read") && err.contains("nope.json"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The text form is converted with nft, each rule placed at its line in the error.
#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn a_rule_outside_the_subset_in_the_text_form_is_an_error_at_its_line() {
    require_namespaces("a_rule_outside_the_subset_in_the_text_form_is_an_error_at_its_line");
    let dir = std::env::temp_dir().join(format!("faultline-nft-text-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let overlay = "Overlay(base: \"PLACEHOLDER\", name: \"x\", segmentation: Some((nftables: Some((ruleset: \"bad.nft\")))))";
    let base = std::fs::canonicalize("scenarios/bottling-line.ron").unwrap();
    let text = "table inet plant {\n  chain forward {\n    type filter hook forward priority filter; policy drop;\n    ct state established accept\n    meta mark 7 accept comment \"marked\"\n  }\n}\n";
    std::fs::write(dir.join("bad.nft"), text).unwrap();
    std::fs::write(
        dir.join("s3.ron"),
        overlay.replace("PLACEHOLDER", base.to_str().unwrap()),
    )
    .unwrap();
    let (code, _, err) = cli(&["validate", dir.join("s3.ron").to_str().unwrap()]);
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("bad.nft:5"), "{err}");
    assert!(err.contains("(\"marked\")"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A lab left by a run that crashed (its owner gone) is found and removed before a new
/// one is built; a lab whose owner still runs is refused, not taken over.
#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn a_lab_left_by_a_crashed_run_is_found_and_removed() {
    require_namespaces("a_lab_left_by_a_crashed_run_is_found_and_removed");
    let ip = |args: &[&str]| {
        assert!(
            std::process::Command::new("ip")
                .args(args)
                .status()
                .unwrap()
                .success()
        )
    };
    ip(&["netns", "add", "flstale-control"]);
    ip(&["netns", "add", "flstale-fw"]);
    ip(&[
        "-n",
        "flstale-fw",
        "link",
        "add",
        "control",
        "type",
        "veth",
        "peer",
        "name",
        "uplink",
        "netns",
        "flstale-control",
    ]);
    std::fs::create_dir_all("/run/faultline").unwrap();
    let owner = std::path::Path::new("/run/faultline/flstale.pid");
    // An owner that is still running: refused.
    let mut alive = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::write(owner, alive.id().to_string()).unwrap();
    let err = faultline::netns::remove_stale("flstale").unwrap_err();
    assert!(
        err.to_string().contains("owns the namespaces flstale-*"),
        "{err}"
    );
    alive.kill().unwrap();
    alive.wait().unwrap();
    // The owner gone: its namespaces (and the veth inside them) are removed.
    let mut removed = faultline::netns::remove_stale("flstale").unwrap();
    removed.sort();
    assert_eq!(removed, ["flstale-control", "flstale-fw"]);
    no_namespace_left("flstale");
    assert!(!owner.exists());
}

/// The allow-list form speaks the same language: a blocked flow names the default deny,
/// the rule for the historian (which the twin carries no traffic for) is dead, and the
/// zone-wide rule for the SCADA server's polls is over-broad — it also lets the
/// engineering workstation reach every PLC, where a rule naming the SCADA server would do.
#[test]
fn the_allow_list_report_names_the_default_deny_the_dead_rule_and_the_zone_wide_rule() {
    let sum = summary_of("scenarios/attack-it-scan-segmented.ron");
    let sec = &sum["security"];
    let fw = &sec["firewall"];
    assert_eq!(fw["allow_list"], true, "{fw}");
    for f in sec["flows_blocked"].as_array().unwrap() {
        assert_eq!(
            f["rule"], "the allow list's default deny (no allow rule matches)",
            "{f}"
        );
    }
    assert_eq!(
        fw["dead"],
        serde_json::json!(["allow[1]: historian -> zone control:502"])
    );
    let ob = fw["over_broad"].as_array().unwrap();
    assert_eq!(ob.len(), 1, "{fw}");
    assert_eq!(
        ob[0]["rule"],
        "allow[0]: zone supervisory -> zone control:502"
    );
    assert_eq!(ob[0]["needed_for"].as_array().unwrap().len(), 7);
    let also: Vec<&str> = ob[0]["also_allows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(also.len(), 7, "{also:?}");
    assert!(
        also.iter()
            .all(|f| f.starts_with("eng-ws -> plc-") && f.ends_with(":502"))
    );
    // A rule naming the host instead is not over-broad, and decides the same polls.
    let dir = std::env::temp_dir().join(format!("faultline-allow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/attack-it-scan-segmented.ron").unwrap();
    std::fs::write(
        dir.join("narrow.ron"),
        format!(
            "Overlay(base: {:?}, name: \"narrow\", segmentation: Some((allow: [(from: Host(\"scada\"), to: Zone(\"control\"), port: Some(502))])))",
            base.display().to_string()
        ),
    )
    .unwrap();
    let narrowed = load(&dir.join("narrow.ron")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut w = World::new(&narrowed, narrowed.seed);
    w.run();
    let r = serde_json::to_value(faultline::report::Summary::from_world(&w)).unwrap();
    let fw = &r["security"]["firewall"];
    assert_eq!(fw["over_broad"], serde_json::json!([]), "{fw}");
    assert_eq!(fw["rules"][0]["decided"], 7, "{fw}");
}

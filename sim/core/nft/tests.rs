use super::*;
use std::collections::BTreeMap;

fn set(json: &str) -> RuleSet {
    RuleSet::from_json(json, "test", &BTreeMap::new()).unwrap()
}

const SAMPLE: &str = r#"{"nftables": [
  {"table": {"family": "inet", "name": "plant", "handle": 1}},
  {"set": {"family": "inet", "name": "plcs", "table": "plant", "type": "ipv4_addr", "handle": 3,
           "flags": ["interval"], "elem": [{"range": ["10.10.2.11", "10.10.2.13"]}, {"prefix": {"addr": "10.10.2.16", "len": 30}}]}},
  {"chain": {"family": "inet", "table": "plant", "name": "forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
  {"chain": {"family": "inet", "table": "plant", "name": "from_it", "handle": 2}},
  {"rule": {"family": "inet", "table": "plant", "chain": "forward", "handle": 4, "expr": [
    {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}}, {"accept": null}]}},
  {"rule": {"family": "inet", "table": "plant", "chain": "forward", "handle": 6, "comment": "hmi polls", "expr": [
    {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "supervisory"}},
    {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@plcs"}},
    {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 502}},
    {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
  {"rule": {"family": "inet", "table": "plant", "chain": "forward", "handle": 8, "expr": [
    {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": {"set": ["dmz", "ent*"]}}}, {"jump": {"target": "from_it"}}]}},
  {"rule": {"family": "inet", "table": "plant", "chain": "forward", "handle": 10, "expr": [
    {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": {"set": [445, {"range": [1000, 2000]}]}}},
    {"reject": {"type": "icmpx", "expr": "port-unreachable"}}]}},
  {"rule": {"family": "inet", "table": "plant", "chain": "from_it", "handle": 13, "expr": [
    {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "10.20.0.10"}},
    {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 502}}, {"accept": null}]}},
  {"rule": {"family": "inet", "table": "plant", "chain": "from_it", "handle": 14, "expr": [{"return": null}]}}
]}"#;

fn flow<'a>(from_if: &'a str, to_if: &'a str, from: &str, to: &str, port: u16) -> Flow<'a> {
    Flow {
        client_if: from_if,
        server_if: to_if,
        client: from.parse().unwrap(),
        client_port: CLIENT_PORT,
        server: to.parse().unwrap(),
        server_port: port,
    }
}

#[test]
fn sets_jumps_returns_rejects_and_the_policy_decide_as_netfilter_does() {
    let r = set(SAMPLE);
    let c = r.connect(&flow(
        "supervisory",
        "control",
        "10.10.1.10",
        "10.10.2.12",
        502,
    ));
    assert_eq!(c.outcome, Outcome::Connected);
    assert_eq!(
        r.rule(match c.by {
            Decider::Rule(i) => i,
            _ => panic!(),
        })
        .handle,
        Some(6)
    );
    // The /30 of the named set covers .16-.19; .20 falls to the policy.
    let c = r.connect(&flow(
        "supervisory",
        "control",
        "10.10.1.10",
        "10.10.2.19",
        502,
    ));
    assert_eq!(c.outcome, Outcome::Connected);
    let c = r.connect(&flow(
        "supervisory",
        "control",
        "10.10.1.10",
        "10.10.2.20",
        502,
    ));
    assert_eq!(c.outcome, Outcome::TimedOut);
    assert!(
        r.describe(c.by)
            .starts_with("chain policy (drop of chain forward")
    );
    // Jump into from_it, accepted there.
    let c = r.connect(&flow(
        "enterprise",
        "control",
        "10.20.0.10",
        "10.10.2.13",
        502,
    ));
    assert_eq!(c.outcome, Outcome::Connected);
    // Jump, return, then the reject of 445.
    let c = r.connect(&flow(
        "enterprise",
        "control",
        "10.20.0.50",
        "10.10.2.13",
        445,
    ));
    assert_eq!(c.outcome, Outcome::Refused);
    assert_eq!(
        r.describe(c.by),
        "rule handle 10 in chain forward of table plant"
    );
    // The wildcard "ent*" does not cover "dmz2"... but "dmz" is exact.
    let c = r.connect(&flow("dmz2", "control", "10.20.0.10", "10.10.2.13", 502));
    assert_eq!(c.outcome, Outcome::TimedOut);
}

#[test]
fn without_an_established_rule_the_reply_is_dropped_and_the_client_times_out() {
    let no_return = SAMPLE.replace(r#"["established", "related"]"#, r#"["related"]"#);
    let r = set(&no_return);
    let c = r.connect(&flow(
        "supervisory",
        "control",
        "10.10.1.10",
        "10.10.2.12",
        502,
    ));
    assert_eq!(c.outcome, Outcome::TimedOut);
    assert!(matches!(c.by, Decider::Policy(_)));
}

#[test]
fn anything_outside_the_subset_is_an_error_naming_the_rule() {
    let nat = SAMPLE.replace(
        r#"{"return": null}"#,
        r#"{"match": {"op": "==", "left": {"meta": {"key": "mark"}}, "right": 1}}, {"accept": null}"#,
    );
    let e = RuleSet::from_json(&nat, "f.json", &BTreeMap::new()).unwrap_err();
    assert_eq!(e.place, "rule handle 14 in chain from_it of table plant");
    assert!(e.message.contains("meta mark"), "{e}");
    let bridge = SAMPLE.replacen(
        r#""family": "inet", "name": "plant""#,
        r#""family": "bridge", "name": "plant""#,
        1,
    );
    assert!(RuleSet::from_json(&bridge, "f.json", &BTreeMap::new()).is_err());
}

#[test]
fn text_lines_number_the_rules_of_each_chain() {
    let text = "table inet plant {\n  set s {\n    type ipv4_addr\n    elements = { 1.2.3.4 }\n  }\n  chain forward {\n    type filter hook forward priority filter; policy drop;\n    ct state established accept\n\n    # a comment\n    tcp dport 502 accept\n  }\n}\nadd rule inet plant forward drop\n";
    let l = text_lines(text, "p.nft");
    assert_eq!(l[&("plant".into(), "forward".into(), 1)], "p.nft:8");
    assert_eq!(l[&("plant".into(), "forward".into(), 2)], "p.nft:11");
    assert_eq!(l[&("plant".into(), "forward".into(), 3)], "p.nft:14");
    assert_eq!(l.len(), 3);
}

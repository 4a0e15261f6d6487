//! The firewall's report (an nftables rule set, or the twin's own allow list): which rule decided each flow, the rules that never matched
//! (dead rules), and accept rules broader than the flows they exist for (over-broad
//! rules), with what else they let through.

use crate::network::{FlowKey, FlowLedger, Network};
use crate::nft::{Decider, Outcome, RuleSet};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The nftables rule set against the flows of the run.
#[derive(Clone, Debug, Serialize)]
pub struct FirewallReport {
    /// The twin's own allow list (default deny), not an nftables rule set: its rules are
    /// `allow[k]`, its policy the default deny.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_list: bool,
    /// Connection attempts between zones the rule set decided (the HMI's, the attacks',
    /// everything crossing the firewall): the sum of every rule's `decided` and
    /// `decided_by_policy`.
    pub attempts: u64,
    /// Attempts a chain's policy decided (no rule did).
    pub decided_by_policy: u64,
    /// Every rule, in the order the rule set lists them, with the connection attempts
    /// whose packets it matched (what its counter would show, by connection) and those it
    /// decided (the verdict on the attempt's first packet, or on the packet it stopped).
    pub rules: Vec<RuleRow>,
    /// Rules no packet of the run matched.
    pub dead: Vec<String>,
    /// Accept rules that also let through flows among the plant's hosts that the plant
    /// does not need.
    pub over_broad: Vec<OverBroad>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleRow {
    pub rule: String,
    pub matched: u64,
    pub decided: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct OverBroad {
    pub rule: String,
    /// The addresses and ports the rule admits ("65536 sources, 256 destinations, 1 port").
    pub admits: String,
    /// The plant's flows that pass by this rule ("scada -> plc-filler:502").
    pub needed_for: Vec<String>,
    /// Attack flows of the run that passed by this rule, with their attempts.
    pub used_by_attacks: Vec<String>,
    /// Other flows among the scenario's hosts it would pass (to the ports the run used).
    pub also_allows: Vec<String>,
}

fn name(n: &Network, k: &FlowKey) -> String {
    format!(
        "{} -> {}:{}",
        n.hosts[k.from].name, n.hosts[k.to].name, k.port
    )
}

/// The firewall's rules as the report reads them: an nftables rule set, or the twin's
/// own allow list (default deny).
trait Rules {
    fn len(&self) -> usize;
    fn rule(&self, i: usize) -> String;
    /// For a connection the firewall decided: the rules its packets matched, and the
    /// rule that decided it (None: a chain's policy, the allow list's default deny).
    fn decide(&self, k: &FlowKey) -> Option<(Vec<usize>, Option<usize>)>;
    /// The accept rule that passed a connection.
    fn passed_by(&self, k: &FlowKey) -> Option<usize>;
    /// What rule `i` admits, in words.
    fn admits(&self, i: usize) -> String;
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

struct Nft<'a> {
    n: &'a Network,
    set: &'a RuleSet,
}

impl Rules for Nft<'_> {
    fn len(&self) -> usize {
        self.set.len()
    }
    fn rule(&self, i: usize) -> String {
        self.set.rule(i).to_string()
    }
    fn decide(&self, k: &FlowKey) -> Option<(Vec<usize>, Option<usize>)> {
        let c = self.n.decide(k.from, k.to, k.port).nft?;
        let by = match c.by {
            Decider::Rule(i) => Some(i),
            Decider::Policy(_) => None,
        };
        Some((c.hits, by))
    }
    fn passed_by(&self, k: &FlowKey) -> Option<usize> {
        let c = self.n.decide(k.from, k.to, k.port).nft?;
        match (c.outcome, c.by) {
            (Outcome::Connected, Decider::Rule(i)) if self.set.accepts(i) => Some(i),
            _ => None,
        }
    }
    fn admits(&self, i: usize) -> String {
        let (src, dst, port) = self.set.breadth(i);
        format!(
            "{}, {}, {}",
            plural(src, "source address", "source addresses"),
            plural(dst, "destination address", "destination addresses"),
            plural(port, "destination port", "destination ports")
        )
    }
}

struct AllowList<'a> {
    n: &'a Network,
    len: usize,
}

impl Rules for AllowList<'_> {
    fn len(&self) -> usize {
        self.len
    }
    fn rule(&self, i: usize) -> String {
        self.n.describe_allow(i)
    }
    fn decide(&self, k: &FlowKey) -> Option<(Vec<usize>, Option<usize>)> {
        if !self.n.filtered(k.from, k.to) {
            return None;
        }
        let hits = self.n.allow_hits(k.from, k.to, k.port);
        let by = hits.first().copied();
        Some((hits, by))
    }
    fn passed_by(&self, k: &FlowKey) -> Option<usize> {
        self.decide(k).and_then(|(_, by)| by)
    }
    fn admits(&self, i: usize) -> String {
        let (src, dst, port) = self.n.allow_breadth(i);
        format!(
            "{} of the scenario as sources, {} as destinations, {}",
            plural(src, "host", "hosts"),
            plural(dst, "host", "hosts"),
            plural(port, "destination port", "destination ports")
        )
    }
}

/// The firewall's report for the run: the nftables rule set's, or the allow list's.
pub fn report(n: &Network, passed: &FlowLedger, blocked: &FlowLedger) -> Option<FirewallReport> {
    if let Some(set) = n.ruleset() {
        return Some(report_on(&Nft { n, set }, n, passed, blocked, false));
    }
    let len = n.allow_list_len()?;
    Some(report_on(&AllowList { n, len }, n, passed, blocked, true))
}

fn report_on(
    set: &dyn Rules,
    n: &Network,
    passed: &FlowLedger,
    blocked: &FlowLedger,
    allow_list: bool,
) -> FirewallReport {
    let mut matched = vec![0u64; set.len()];
    let mut decided = vec![0u64; set.len()];
    let (mut attempts, mut decided_by_policy) = (0, 0);
    for (k, r) in passed.iter().chain(blocked) {
        if let Some((hits, by)) = set.decide(k) {
            attempts += r.attempts;
            match by {
                Some(i) => decided[i] += r.attempts,
                None => decided_by_policy += r.attempts,
            }
            let hit: BTreeSet<usize> = hits.into_iter().collect();
            for i in hit {
                matched[i] += r.attempts;
            }
        }
    }
    let rules = (0..set.len())
        .map(|i| RuleRow {
            rule: set.rule(i),
            matched: matched[i],
            decided: decided[i],
        })
        .collect();
    let dead = (0..set.len())
        .filter(|&i| matched[i] == 0)
        .map(|i| set.rule(i))
        .collect();
    // The flows the plant needs and the attack flows, by the rule that passed them.
    let mut needed: BTreeMap<usize, Vec<&FlowKey>> = BTreeMap::new();
    let mut attacks: BTreeMap<usize, Vec<(&FlowKey, u64)>> = BTreeMap::new();
    for (k, r) in passed {
        if let Some(i) = set.passed_by(k) {
            if r.legitimate {
                needed.entry(i).or_default().push(k);
            } else {
                attacks.entry(i).or_default().push((k, r.attempts));
            }
        }
    }
    let legit: BTreeSet<&FlowKey> = passed
        .iter()
        .chain(blocked)
        .filter(|(_, r)| r.legitimate)
        .map(|(k, _)| k)
        .collect();
    let ports: BTreeSet<u16> = passed
        .keys()
        .chain(blocked.keys())
        .map(|k| k.port)
        .chain([crate::modbus::PORT])
        .collect();
    let mut over_broad = Vec::new();
    for (&i, flows) in &needed {
        let mut also = Vec::new();
        for from in 0..n.hosts.len() {
            for to in 0..n.hosts.len() {
                for &port in &ports {
                    let k = FlowKey { from, to, port };
                    if from != to && !legit.contains(&k) && set.passed_by(&k) == Some(i) {
                        also.push(name(n, &k));
                    }
                }
            }
        }
        let used: Vec<String> = attacks
            .get(&i)
            .into_iter()
            .flatten()
            .map(|(k, a)| format!("{} ({a} attempts)", name(n, k)))
            .collect();
        if also.is_empty() && used.is_empty() {
            continue;
        }
        over_broad.push(OverBroad {
            rule: set.rule(i),
            admits: set.admits(i),
            needed_for: flows.iter().map(|k| name(n, k)).collect(),
            used_by_attacks: used,
            also_allows: also,
        });
    }
    FirewallReport {
        allow_list,
        attempts,
        decided_by_policy,
        rules,
        dead,
        over_broad,
    }
}

/// The rule that stopped a refused flow, in words (None without a rule set).
pub fn stopped_by(n: &Network, k: &FlowKey) -> Option<String> {
    if n.allow_list_len().is_some() {
        return n
            .filtered(k.from, k.to)
            .then(|| "the allow list's default deny (no allow rule matches)".to_string());
    }
    let set = n.ruleset()?;
    let c = n.decide(k.from, k.to, k.port).nft?;
    Some(set.describe(c.by))
}

//! The rule set's report: which rule decided each flow, the rules that never matched
//! (dead rules), and accept rules broader than the flows they exist for (over-broad
//! rules), with what else they let through.

use crate::network::{FlowKey, FlowLedger, Network};
use crate::nft::{Decider, Outcome, RuleSet};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The nftables rule set against the flows of the run.
#[derive(Clone, Debug, Serialize)]
pub struct FirewallReport {
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

/// The deciding rule of a flow the rule set passed (its first packet's accept).
fn passed_by(n: &Network, set: &RuleSet, k: &FlowKey) -> Option<usize> {
    let c = n.decide(k.from, k.to, k.port).nft?;
    match (c.outcome, c.by) {
        (Outcome::Connected, Decider::Rule(i)) if set.accepts(i) => Some(i),
        _ => None,
    }
}

pub fn report(n: &Network, passed: &FlowLedger, blocked: &FlowLedger) -> Option<FirewallReport> {
    let set = n.ruleset()?;
    let mut matched = vec![0u64; set.len()];
    let mut decided = vec![0u64; set.len()];
    let (mut attempts, mut decided_by_policy) = (0, 0);
    for (k, r) in passed.iter().chain(blocked) {
        if let Some(c) = n.decide(k.from, k.to, k.port).nft {
            attempts += r.attempts;
            match c.by {
                Decider::Rule(i) => decided[i] += r.attempts,
                Decider::Policy(_) => decided_by_policy += r.attempts,
            }
            let hit: BTreeSet<usize> = c.hits.into_iter().collect();
            for i in hit {
                matched[i] += r.attempts;
            }
        }
    }
    let rules = (0..set.len())
        .map(|i| RuleRow {
            rule: set.rule(i).to_string(),
            matched: matched[i],
            decided: decided[i],
        })
        .collect();
    let dead = (0..set.len())
        .filter(|&i| matched[i] == 0)
        .map(|i| set.rule(i).to_string())
        .collect();
    // The flows the plant needs and the attack flows, by the rule that passed them.
    let mut needed: BTreeMap<usize, Vec<&FlowKey>> = BTreeMap::new();
    let mut attacks: BTreeMap<usize, Vec<(&FlowKey, u64)>> = BTreeMap::new();
    for (k, r) in passed {
        if let Some(i) = passed_by(n, set, k) {
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
        .chain([502])
        .collect();
    let mut over_broad = Vec::new();
    for (&i, flows) in &needed {
        let mut also = Vec::new();
        for from in 0..n.hosts.len() {
            for to in 0..n.hosts.len() {
                for &port in &ports {
                    let k = FlowKey { from, to, port };
                    if from != to && !legit.contains(&k) && passed_by(n, set, &k) == Some(i) {
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
        let (src, dst, port) = set.breadth(i);
        over_broad.push(OverBroad {
            rule: set.rule(i).to_string(),
            admits: format!(
                "{src} source address{}, {dst} destination address{}, {port} destination port{}",
                if src == 1 { "" } else { "es" },
                if dst == 1 { "" } else { "es" },
                if port == 1 { "" } else { "s" }
            ),
            needed_for: flows.iter().map(|k| name(n, k)).collect(),
            used_by_attacks: used,
            also_allows: also,
        });
    }
    Some(FirewallReport {
        attempts,
        decided_by_policy,
        rules,
        dead,
        over_broad,
    })
}

/// The rule that stopped a refused flow, in words (None without a rule set).
pub fn stopped_by(n: &Network, k: &FlowKey) -> Option<String> {
    let set = n.ruleset()?;
    let c = n.decide(k.from, k.to, k.port).nft?;
    Some(set.describe(c.by))
}

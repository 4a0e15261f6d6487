//! Evaluating a rule set: a packet through the forward base chains, a connection's three
//! packets, a rule's breadth.

use super::build::Builder;
use super::*;
use nftables::schema::{NfCmd, NfObject, Nftables};
use std::collections::BTreeMap;

impl RuleSet {
    /// Read the JSON form: `{"nftables": [...]}` of list objects (as `nft -j list
    /// ruleset` writes) or `add`/`create` commands. `lines` gives, where the rule set was
    /// written as text, each rule's file:line by (table, chain, position).
    pub fn from_json(
        json: &str,
        origin: &str,
        lines: &BTreeMap<(String, String, usize), String>,
    ) -> Result<RuleSet, NftError> {
        let doc: Nftables = serde_json::from_str(json).map_err(|e| NftError {
            place: format!("{origin}:{}:{}", e.line(), e.column()),
            message: format!("not an nftables JSON document: {e}"),
        })?;
        let mut b = Builder::default();
        let objects: Vec<NfObject<'_>> = doc.objects.into_owned();
        for o in &objects {
            let obj = match o {
                NfObject::ListObject(l) => l,
                NfObject::CmdObject(NfCmd::Add(l) | NfCmd::Create(l)) => l,
                NfObject::CmdObject(c) => {
                    return Err(NftError {
                        place: origin.into(),
                        message: format!(
                            "the command {:?} is not read: write the rule set as list \
                             objects or add commands",
                            c
                        )
                        .chars()
                        .take(200)
                        .collect(),
                    });
                }
            };
            b.object(obj, origin)?;
        }
        b.finish(lines)
    }

    /// The rule with index `i`.
    pub fn rule(&self, i: usize) -> &RuleRef {
        &self.rules[i].at
    }

    /// How many rules the set has.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether the rule ends in an accept.
    pub fn accepts(&self, i: usize) -> bool {
        self.rules[i].action == Action::Accept
    }

    /// What decided, in words: the rule, or "the policy of chain forward".
    pub fn describe(&self, d: Decider) -> String {
        match d {
            Decider::Rule(i) => self.rules[i].at.to_string(),
            Decider::Policy(usize::MAX) => "no chain on the forward hook (accept)".into(),
            Decider::Policy(c) => format!(
                "chain policy ({} of chain {} in table {})",
                match self.chains[c].policy {
                    Some(Verdict::Drop) => "drop",
                    _ => "accept",
                },
                self.chains[c].name,
                self.chains[c].table
            ),
        }
    }

    /// The forward hook's verdict on one packet.
    pub fn evaluate(&self, p: &Packet<'_>) -> Evaluation {
        let mut hits = Vec::new();
        let mut by = None;
        for &base in &self.forward {
            let (verdict, decider) = self.run_chain(base, p, &mut hits);
            match verdict {
                Verdict::Accept => {
                    // An accept ends this base chain; the packet goes on to the next. The
                    // rule that accepted it is what passed it (a policy only where no
                    // rule did).
                    if by.is_none() || matches!(decider, Decider::Rule(_)) {
                        by = Some(decider);
                    }
                }
                v => {
                    return Evaluation {
                        verdict: v,
                        by: decider,
                        hits,
                    };
                }
            }
        }
        Evaluation {
            verdict: Verdict::Accept,
            by: by.unwrap_or(Decider::Policy(usize::MAX)),
            hits,
        }
    }

    fn run_chain(&self, base: usize, p: &Packet<'_>, hits: &mut Vec<usize>) -> (Verdict, Decider) {
        // (chain, next rule position) frames of the jump stack.
        let mut stack: Vec<(usize, usize)> = vec![(base, 0)];
        while let Some((chain, pos)) = stack.pop() {
            let rules = &self.chains[chain].rules;
            let mut next = pos;
            let mut descended = false;
            while next < rules.len() {
                let i = rules[next];
                next += 1;
                let r = &self.rules[i];
                if !r.conds.iter().all(|c| c.holds(p)) {
                    continue;
                }
                hits.push(i);
                match r.action {
                    Action::Accept => return (Verdict::Accept, Decider::Rule(i)),
                    Action::Drop => return (Verdict::Drop, Decider::Rule(i)),
                    Action::Reject => return (Verdict::Reject, Decider::Rule(i)),
                    Action::Continue => {}
                    Action::Return => {
                        next = rules.len();
                    }
                    Action::Jump(c) => {
                        stack.push((chain, next));
                        stack.push((c, 0));
                        descended = true;
                        break;
                    }
                    Action::Goto(c) => {
                        stack.push((c, 0));
                        descended = true;
                        break;
                    }
                }
            }
            if descended {
                continue;
            }
            if stack.is_empty() || chain == base {
                // The base chain ran out (or returned): its policy decides.
                let policy = self.chains[base].policy.unwrap_or(Verdict::Accept);
                return (policy, Decider::Policy(base));
            }
        }
        let policy = self.chains[base].policy.unwrap_or(Verdict::Accept);
        (policy, Decider::Policy(base))
    }

    /// A TCP connection's outcome: its first packet (new), the server's reply and the
    /// client's next packet (both established).
    pub fn connect(&self, f: &Flow<'_>) -> Connection {
        let forward = |state| Packet {
            iifname: f.client_if,
            oifname: f.server_if,
            saddr: f.client,
            daddr: f.server,
            l4proto: 6,
            sport: f.client_port,
            dport: f.server_port,
            state,
        };
        let reply = Packet {
            iifname: f.server_if,
            oifname: f.client_if,
            saddr: f.server,
            daddr: f.client,
            l4proto: 6,
            sport: f.server_port,
            dport: f.client_port,
            state: CtState::Established,
        };
        let first = self.evaluate(&forward(CtState::New));
        let mut hits = first.hits.clone();
        match first.verdict {
            Verdict::Drop => {
                return Connection {
                    outcome: Outcome::TimedOut,
                    by: first.by,
                    hits,
                };
            }
            Verdict::Reject => {
                return Connection {
                    outcome: Outcome::Refused,
                    by: first.by,
                    hits,
                };
            }
            Verdict::Accept => {}
        }
        for p in [reply, forward(CtState::Established)] {
            let e = self.evaluate(&p);
            hits.extend(&e.hits);
            if e.verdict != Verdict::Accept {
                return Connection {
                    outcome: Outcome::TimedOut,
                    by: e.by,
                    hits,
                };
            }
        }
        Connection {
            outcome: Outcome::Connected,
            by: first.by,
            hits,
        }
    }

    /// The addresses a rule's `ip saddr`/`ip daddr` conditions admit, as a count (the
    /// whole IPv4 space where the rule does not constrain it), and the ports its `dport`
    /// conditions admit: how broad the rule is.
    pub fn breadth(&self, i: usize) -> (u64, u64, u64) {
        let r = &self.rules[i];
        let count = |f: &Field, full: u64| {
            let mut n = full;
            for c in &r.conds {
                if let Cond::Is {
                    field,
                    values: Values::Numbers(spans),
                    negate,
                } = c
                    && std::mem::discriminant(field) == std::mem::discriminant(f)
                {
                    let inside: u64 = spans.iter().map(|(a, b)| (*b - *a) as u64 + 1).sum();
                    n = n.min(if *negate { full - inside } else { inside });
                }
            }
            n
        };
        (
            count(&Field::Saddr, 1 << 32),
            count(&Field::Daddr, 1 << 32),
            count(&Field::Dport(None), 1 << 16),
        )
    }
}

impl Cond {
    fn holds(&self, p: &Packet<'_>) -> bool {
        let Cond::Is {
            field,
            values,
            negate,
        } = self
        else {
            return false;
        };
        let number = |n: u32| match values {
            Values::Numbers(spans) => spans.iter().any(|&(a, b)| a <= n && n <= b),
            Values::Names(_) => false,
        };
        let name = |s: &str| match values {
            Values::Names(names) => names.iter().any(|m| match m.strip_suffix('*') {
                Some(prefix) if !m.ends_with("\\*") => s.starts_with(prefix),
                _ => m.replace("\\*", "*") == s,
            }),
            Values::Numbers(_) => false,
        };
        let has_ports = matches!(p.l4proto, 6 | 17 | 33 | 132 | 136);
        let (applies, inside) = match field {
            Field::Saddr => (true, number(u32::from(p.saddr))),
            Field::Daddr => (true, number(u32::from(p.daddr))),
            Field::Sport(proto) | Field::Dport(proto) => {
                let port = if matches!(field, Field::Sport(_)) {
                    p.sport
                } else {
                    p.dport
                };
                let applies = match proto {
                    Some(x) => *x == p.l4proto,
                    None => has_ports,
                };
                (applies, number(port as u32))
            }
            Field::L4proto => (true, number(p.l4proto as u32)),
            // NFPROTO_IPV4 is 2.
            Field::Nfproto => (true, number(2)),
            Field::Iifname => (true, name(p.iifname)),
            Field::Oifname => (true, name(p.oifname)),
            Field::CtState => (
                true,
                number(match p.state {
                    CtState::New => CT_NEW,
                    CtState::Established => CT_ESTABLISHED,
                }),
            ),
        };
        // A match on a header the packet does not have fails either way (the payload
        // dependency nft adds: `tcp dport != 22` does not match a UDP packet).
        applies && (inside != *negate)
    }
}

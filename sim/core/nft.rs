//! An nftables rule set as the segmentation control: its JSON form (`nft -j list ruleset`,
//! libnftables-json) read with the `nftables` crate's schema types, and evaluated for the
//! packets of every TCP connection the twin carries between zones, as the kernel's
//! netfilter does on the forward hook of the firewall between the zones.
//!
//! The subset (anything else is an error naming the rule, never a silent match or miss):
//! - tables of family `ip` and `inet` (an `ip6` table cannot see IPv4 traffic and is read
//!   but never consulted; `arp`, `bridge` and `netdev` tables are errors);
//! - base chains of type `filter` on the `forward` hook, run in priority order (an
//!   `accept` ends one base chain and the packet goes on to the next; a `drop` or `reject`
//!   is final), with their policy; base chains on `input` and `output` are read but never
//!   traversed by forwarded traffic, as in the kernel; `prerouting`, `postrouting`,
//!   `ingress`, `egress` and chains of type `nat` or `route` are errors;
//! - regular chains reached by `jump` (returning) and `goto` (not returning), `return`
//!   and `continue`;
//! - matches (`==`, `!=`, `in`, `<`, `>`, `<=`, `>=`) on `ip saddr`/`ip daddr`
//!   (addresses, prefixes, ranges, anonymous and named sets), `meta iifname`/`oifname`
//!   (names and trailing-`*` wildcards; the scenario maps each zone to the firewall's
//!   interface facing it), `meta l4proto`, `ip protocol`, `meta nfproto`, `tcp`/`udp`/`th`
//!   `sport`/`dport` (values, ranges, sets), `ct state` (new for a connection's first
//!   packet, established for every later one in either direction); `ip6` fields never
//!   match an IPv4 packet;
//! - the statements `counter` and `log` (no effect on the verdict) and the verdicts
//!   `accept`, `drop` and `reject` (any form).
//!
//! A connection is its first packet (`ct state new`, client to server), the server's reply
//! and the client's next packet (both `established`): it is made only if all three pass.
//! A rejected first packet fails at once (the client is refused); any other drop leaves
//! the client waiting for its timeout.

use core::net::Ipv4Addr;
use nftables::expr::{Expression, NamedExpression, Payload, SetItem};
use nftables::schema::{NfCmd, NfListObject, NfObject, Nftables};
use nftables::stmt::{Operator, Statement};
use nftables::types::{NfChainPolicy, NfChainType, NfFamily, NfHook};
use std::collections::BTreeMap;
use std::fmt;

/// The source port of the twin's client connections (the first port of the IANA
/// dynamic range): the twin does not model ephemeral port choice.
pub const CLIENT_PORT: u16 = 49152;

/// Where a rule came from, for the error messages and the reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleRef {
    pub table: String,
    pub chain: String,
    /// The kernel's handle (present in `nft -j list ruleset` output).
    pub handle: Option<u32>,
    /// Its position in its chain, from 1.
    pub position: usize,
    pub comment: Option<String>,
    /// file:line, where the rule set was written in the text form.
    pub line: Option<String>,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.handle {
            Some(h) => write!(f, "rule handle {h}")?,
            None => write!(f, "rule #{}", self.position)?,
        }
        write!(f, " in chain {} of table {}", self.chain, self.table)?;
        if let Some(c) = &self.comment {
            write!(f, " (\"{c}\")")?;
        }
        if let Some(l) = &self.line {
            write!(f, " at {l}")?;
        }
        Ok(())
    }
}

/// A rule set the twin cannot evaluate exactly, with the place and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NftError {
    /// What is at fault: a rule (`rule handle 6 in chain forward of table plant at
    /// plant.nft:12`), a chain, a table or the document.
    pub place: String,
    pub message: String,
}

impl fmt::Display for NftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (hint: the twin evaluates the subset documented in docs/nftables.md; \
             rewrite the rule with those matches or leave it out of the rule set)",
            self.place, self.message
        )
    }
}

impl std::error::Error for NftError {}

/// A closed interval of numbers (addresses as u32, ports, protocol numbers).
type Span = (u32, u32);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Field {
    Saddr,
    Daddr,
    /// A port; `Some(proto)` only matches packets of that L4 protocol (`tcp dport`),
    /// None any with ports (`th dport`).
    Sport(Option<u8>),
    Dport(Option<u8>),
    L4proto,
    Nfproto,
    Iifname,
    Oifname,
    CtState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Values {
    Numbers(Vec<Span>),
    Names(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Cond {
    /// `field == values` (or `!=` where `negate`).
    Is {
        field: Field,
        values: Values,
        negate: bool,
    },
    /// A match on an IPv6 field: never true for the twin's IPv4 packets.
    Never,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    Accept,
    Drop,
    Reject,
    Jump(usize),
    Goto(usize),
    Return,
    /// No verdict: the next rule.
    Continue,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    at: RuleRef,
    conds: Vec<Cond>,
    action: Action,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Chain {
    table: String,
    name: String,
    /// Rule indices into `RuleSet::rules`, in order.
    rules: Vec<usize>,
    /// Base chains: the policy (accept where not given).
    policy: Option<Verdict>,
}

/// What the firewall does with one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Drop,
    Reject,
}

/// What decided a packet's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decider {
    /// The rule with this index (see [`RuleSet::rule`]).
    Rule(usize),
    /// The policy of this base chain (index into the chains).
    Policy(usize),
}

/// A parsed rule set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleSet {
    chains: Vec<Chain>,
    /// The forward hook's base chains in the order the kernel runs them.
    forward: Vec<usize>,
    rules: Vec<Rule>,
}

/// Connection tracking state of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtState {
    New,
    Established,
}

/// One IPv4 packet as the firewall sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    pub iifname: &'a str,
    pub oifname: &'a str,
    pub saddr: Ipv4Addr,
    pub daddr: Ipv4Addr,
    /// IP protocol number (6 TCP).
    pub l4proto: u8,
    pub sport: u16,
    pub dport: u16,
    pub state: CtState,
}

/// One packet's evaluation: the verdict, what decided it, and every rule whose matches
/// all held on the way (the rules a counter would have counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub verdict: Verdict,
    pub by: Decider,
    pub hits: Vec<usize>,
}

/// How a TCP connection attempt ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Connected,
    /// The first packet was rejected: the client is refused at once.
    Refused,
    /// A packet was dropped (or a reply rejected): the client waits for its timeout.
    TimedOut,
}

/// A TCP connection through the firewall: the outcome, what decided it (the packet that
/// was stopped, or the first packet where the connection was made), and every rule hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub outcome: Outcome,
    pub by: Decider,
    pub hits: Vec<usize>,
}

/// One TCP connection's addressing, client to server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow<'a> {
    pub client_if: &'a str,
    pub server_if: &'a str,
    pub client: Ipv4Addr,
    pub client_port: u16,
    pub server: Ipv4Addr,
    pub server_port: u16,
}

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

// Conntrack states as numbers (their bits in the kernel's ct state).
const CT_INVALID: u32 = 1;
const CT_ESTABLISHED: u32 = 2;
const CT_RELATED: u32 = 4;
const CT_NEW: u32 = 8;
const CT_UNTRACKED: u32 = 64;

#[derive(Default)]
struct Builder<'a> {
    /// (family, table) -> kept (false for an ip6 table: read, never consulted).
    tables: BTreeMap<(String, String), bool>,
    chains: Vec<Chain>,
    /// Per chain: its base hook and priority where it is a forward base chain.
    hooks: Vec<Option<i32>>,
    /// (table, name) -> the set's element spans or names.
    sets: BTreeMap<(String, String), Values>,
    /// The rules as read, before jump targets are resolved.
    raw: Vec<(usize, RuleRef, Vec<Statement<'a>>)>,
}

fn family(f: &NfFamily) -> &'static str {
    match f {
        NfFamily::IP => "ip",
        NfFamily::IP6 => "ip6",
        NfFamily::INet => "inet",
        NfFamily::ARP => "arp",
        NfFamily::Bridge => "bridge",
        NfFamily::NetDev => "netdev",
    }
}

impl<'a> Builder<'a> {
    fn table_kept(&mut self, fam: &NfFamily, table: &str, place: &str) -> Result<bool, NftError> {
        let f = family(fam);
        if !matches!(f, "ip" | "inet" | "ip6") {
            return Err(NftError {
                place: place.into(),
                message: format!(
                    "table {f} {table}: only tables of family ip and inet filter the twin's \
                     routed IPv4 traffic"
                ),
            });
        }
        let kept = f != "ip6";
        self.tables.insert((f.into(), table.into()), kept);
        Ok(kept)
    }

    fn chain_index(&self, table: &str, name: &str) -> Option<usize> {
        self.chains
            .iter()
            .position(|c| c.table == table && c.name == name)
    }

    fn object(&mut self, obj: &NfListObject<'a>, origin: &str) -> Result<(), NftError> {
        match obj {
            NfListObject::MetainfoObject(_) => Ok(()),
            NfListObject::Table(t) => {
                self.table_kept(&t.family, &t.name, origin)?;
                Ok(())
            }
            NfListObject::Chain(c) => {
                let place = format!("chain {} of table {}", c.name, c.table);
                if !self.table_kept(&c.family, &c.table, &place)? {
                    return Ok(());
                }
                let mut policy = None;
                let mut hook = None;
                if let Some(h) = &c.hook {
                    if c._type.is_some_and(|t| t != NfChainType::Filter) {
                        return Err(NftError {
                            place,
                            message: "only chains of type filter are evaluated (nat and \
                                      route chains change packets, which the twin does not \
                                      model)"
                                .into(),
                        });
                    }
                    match h {
                        NfHook::Forward => hook = Some(c.prio.unwrap_or(0)),
                        NfHook::Input | NfHook::Output => {}
                        other => {
                            return Err(NftError {
                                place,
                                message: format!(
                                    "a base chain on the {other:?} hook: the twin evaluates \
                                     the forward hook (input and output chains are read but \
                                     never see routed traffic)"
                                )
                                .to_lowercase(),
                            });
                        }
                    }
                    policy = Some(match c.policy {
                        Some(NfChainPolicy::Drop) => Verdict::Drop,
                        _ => Verdict::Accept,
                    });
                }
                if self.chain_index(&c.table, &c.name).is_none() {
                    self.chains.push(Chain {
                        table: c.table.to_string(),
                        name: c.name.to_string(),
                        rules: Vec::new(),
                        policy,
                    });
                    self.hooks.push(hook);
                }
                Ok(())
            }
            NfListObject::Set(s) => {
                let place = format!("set {} of table {}", s.name, s.table);
                if !self.table_kept(&s.family, &s.table, &place)? {
                    return Ok(());
                }
                let elems: Vec<Expression<'_>> =
                    s.elem.as_ref().map(|e| e.to_vec()).unwrap_or_default();
                let values = set_values(&elems, &place)?;
                self.sets
                    .insert((s.table.to_string(), s.name.to_string()), values);
                Ok(())
            }
            NfListObject::Element(e) => {
                let place = format!("elements of set {} of table {}", e.name, e.table);
                if !self.table_kept(&e.family, &e.table, &place)? {
                    return Ok(());
                }
                let more = set_values(&e.elem, &place)?;
                let key = (e.table.to_string(), e.name.to_string());
                let Some(values) = self.sets.get_mut(&key) else {
                    return Err(NftError {
                        place,
                        message: "elements for a set that is not declared before them".into(),
                    });
                };
                match (values, more) {
                    (Values::Numbers(a), Values::Numbers(b)) => a.extend(b),
                    (Values::Names(a), Values::Names(b)) => a.extend(b),
                    _ => {
                        return Err(NftError {
                            place,
                            message: "elements of another type than the set's".into(),
                        });
                    }
                }
                Ok(())
            }
            NfListObject::Rule(r) => {
                let position = self
                    .raw
                    .iter()
                    .filter(|(_, at, _)| at.table == r.table && at.chain == r.chain)
                    .count()
                    + 1;
                let at = RuleRef {
                    table: r.table.to_string(),
                    chain: r.chain.to_string(),
                    handle: r.handle,
                    position,
                    comment: r.comment.as_ref().map(|c| c.to_string()),
                    line: None,
                };
                if !self.table_kept(&r.family, &r.table, &at.to_string())? {
                    return Ok(());
                }
                let Some(chain) = self.chain_index(&r.table, &r.chain) else {
                    return Err(NftError {
                        place: at.to_string(),
                        message: "a rule for a chain that is not declared before it".into(),
                    });
                };
                let stmts: Vec<Statement<'a>> = r.expr.to_vec();
                self.raw.push((chain, at, stmts));
                Ok(())
            }
            other => Err(NftError {
                place: origin.into(),
                message: format!(
                    "{} objects are outside the subset the twin evaluates",
                    serde_json::to_value(other)
                        .ok()
                        .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
                        .unwrap_or_else(|| "these".into())
                ),
            }),
        }
    }

    fn finish(
        mut self,
        lines: &BTreeMap<(String, String, usize), String>,
    ) -> Result<RuleSet, NftError> {
        let mut rules = Vec::new();
        for (chain, mut at, stmts) in std::mem::take(&mut self.raw) {
            at.line = lines
                .get(&(at.table.clone(), at.chain.clone(), at.position))
                .cloned();
            let table = at.table.clone();
            let (conds, action) = self.rule(&table, &stmts).map_err(|message| NftError {
                place: at.to_string(),
                message,
            })?;
            self.chains[chain].rules.push(rules.len());
            rules.push(Rule { at, conds, action });
        }
        // nft refuses a rule set whose jumps loop; so does the twin.
        for start in 0..self.chains.len() {
            let mut seen = vec![false; self.chains.len()];
            let mut todo = vec![start];
            while let Some(c) = todo.pop() {
                for &i in &self.chains[c].rules {
                    if let Action::Jump(t) | Action::Goto(t) = rules[i].action {
                        if t == start {
                            return Err(NftError {
                                place: RuleRef::to_string(&rules[i].at),
                                message: format!(
                                    "its jump leads back to chain {} (a loop)",
                                    self.chains[start].name
                                ),
                            });
                        }
                        if !seen[t] {
                            seen[t] = true;
                            todo.push(t);
                        }
                    }
                }
            }
        }
        let mut forward: Vec<usize> = (0..self.chains.len())
            .filter(|&c| self.hooks[c].is_some())
            .collect();
        // Priority order; ties in the order the chains were declared.
        forward.sort_by_key(|&c| (self.hooks[c], c));
        Ok(RuleSet {
            chains: self.chains,
            forward,
            rules,
        })
    }

    fn rule(&self, table: &str, stmts: &[Statement<'_>]) -> Result<(Vec<Cond>, Action), String> {
        let mut conds = Vec::new();
        let mut action = Action::Continue;
        for (k, s) in stmts.iter().enumerate() {
            if action != Action::Continue {
                return Err(format!(
                    "statement {} follows the rule's verdict (nothing after a verdict runs)",
                    k + 1
                ));
            }
            match s {
                Statement::Match(m) => conds.push(self.condition(table, &m.left, &m.right, &m.op)?),
                Statement::Counter(_) | Statement::Log(_) => {}
                Statement::Accept(_) => action = Action::Accept,
                Statement::Drop(_) => action = Action::Drop,
                Statement::Reject(_) => action = Action::Reject,
                Statement::Continue(_) => {}
                Statement::Return(_) => action = Action::Return,
                Statement::Jump(t) | Statement::Goto(t) => {
                    let Some(c) = self.chain_index(table, &t.target) else {
                        return Err(format!(
                            "it jumps to chain {}, which does not exist",
                            t.target
                        ));
                    };
                    action = if matches!(s, Statement::Jump(_)) {
                        Action::Jump(c)
                    } else {
                        Action::Goto(c)
                    };
                }
                other => {
                    let name = serde_json::to_value(other)
                        .ok()
                        .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
                        .unwrap_or_else(|| "?".into());
                    return Err(format!(
                        "the statement `{name}` is outside the subset the twin evaluates"
                    ));
                }
            }
        }
        Ok((conds, action))
    }

    fn condition(
        &self,
        table: &str,
        left: &Expression<'_>,
        right: &Expression<'_>,
        op: &Operator,
    ) -> Result<Cond, String> {
        let field = match left {
            Expression::Named(NamedExpression::Payload(Payload::PayloadField(p))) => {
                match (p.protocol.as_ref(), p.field.as_ref()) {
                    ("ip", "saddr") => Field::Saddr,
                    ("ip", "daddr") => Field::Daddr,
                    ("ip", "protocol") => Field::L4proto,
                    ("ip6", _) => return Ok(Cond::Never),
                    ("tcp", "sport") => Field::Sport(Some(6)),
                    ("tcp", "dport") => Field::Dport(Some(6)),
                    ("udp", "sport") => Field::Sport(Some(17)),
                    ("udp", "dport") => Field::Dport(Some(17)),
                    ("th", "sport") => Field::Sport(None),
                    ("th", "dport") => Field::Dport(None),
                    (proto, field) => {
                        return Err(format!(
                            "the match on `{proto} {field}` is outside the subset the twin evaluates"
                        ));
                    }
                }
            }
            Expression::Named(NamedExpression::Meta(m)) => {
                use nftables::expr::MetaKey;
                match m.key {
                    MetaKey::Iifname => Field::Iifname,
                    MetaKey::Oifname => Field::Oifname,
                    MetaKey::L4proto => Field::L4proto,
                    MetaKey::Nfproto => Field::Nfproto,
                    k => {
                        return Err(format!(
                            "the match on `meta {}` is outside the subset the twin evaluates",
                            format!("{k:?}").to_lowercase()
                        ));
                    }
                }
            }
            Expression::Named(NamedExpression::CT(ct)) if ct.key == "state" && ct.dir.is_none() => {
                Field::CtState
            }
            _ => {
                return Err(format!(
                    "the match on `{}` is outside the subset the twin evaluates",
                    serde_json::to_string(left).unwrap_or_default()
                ));
            }
        };
        let values = self.values(table, &field, right)?;
        // By the operator's symbol: the crate's variant names for "<" and ">" are swapped
        // (its `LT` is ">"), so the symbol is the truth.
        let symbol = serde_json::to_value(op)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let (values, negate) = match symbol.as_str() {
            "==" | "in" => (values, false),
            "!=" => (values, true),
            "<" | ">" | "<=" | ">=" => {
                let Values::Numbers(v) = &values else {
                    return Err("an ordering comparison on names".into());
                };
                let [(n, m)] = v.as_slice() else {
                    return Err("an ordering comparison against more than one value".into());
                };
                let max = match field {
                    Field::Saddr | Field::Daddr => u32::MAX,
                    Field::Sport(_) | Field::Dport(_) => u16::MAX as u32,
                    _ => u8::MAX as u32,
                };
                let span = match symbol.as_str() {
                    "<" if *n > 0 => (0, n - 1),
                    "<=" => (0, *m),
                    ">" if *m < max => (m + 1, max),
                    ">=" => (*n, max),
                    _ => return Ok(Cond::Never),
                };
                (Values::Numbers(vec![span]), false)
            }
            other => {
                return Err(format!(
                    "the operator `{other}` is outside the subset the twin evaluates"
                ));
            }
        };
        Ok(Cond::Is {
            field,
            values,
            negate,
        })
    }

    fn values(&self, table: &str, field: &Field, right: &Expression<'_>) -> Result<Values, String> {
        if let Expression::String(s) = right
            && let Some(name) = s.strip_prefix('@')
        {
            return self
                .sets
                .get(&(table.to_string(), name.to_string()))
                .cloned()
                .ok_or_else(|| format!("the set @{name} is not declared in table {table}"));
        }
        let items: Vec<&Expression<'_>> = match right {
            Expression::List(l) => l.iter().collect(),
            Expression::Named(NamedExpression::Set(items)) => {
                let mut v = Vec::new();
                for i in items {
                    match i {
                        SetItem::Element(e) => v.push(e),
                        _ => return Err("a map where a set of values belongs".into()),
                    }
                }
                v
            }
            e => vec![e],
        };
        let names = matches!(field, Field::Iifname | Field::Oifname);
        if names {
            let mut out = Vec::new();
            for e in items {
                match e {
                    Expression::String(s) => out.push(s.to_string()),
                    other => {
                        return Err(format!("an interface name expected, not {}", show(other)));
                    }
                }
            }
            return Ok(Values::Names(out));
        }
        let mut spans = Vec::new();
        for e in items {
            spans.push(span(field, e)?);
        }
        Ok(Values::Numbers(spans))
    }
}

fn show(e: &Expression<'_>) -> String {
    serde_json::to_string(e).unwrap_or_default()
}

/// A value of a match's right side as a span of numbers for `field`.
fn span(field: &Field, e: &Expression<'_>) -> Result<Span, String> {
    let one = |e: &Expression<'_>| -> Result<u32, String> {
        match (field, e) {
            (Field::Saddr | Field::Daddr, Expression::String(s)) => s
                .parse::<Ipv4Addr>()
                .map(u32::from)
                .map_err(|_| format!("`{s}` is not an IPv4 address")),
            (Field::Sport(_) | Field::Dport(_), Expression::Number(n)) if *n <= 65535 => Ok(*n),
            (Field::Sport(_) | Field::Dport(_), Expression::String(s)) => match s.as_ref() {
                "modbus" | "mbap" => Ok(502),
                "ssh" => Ok(22),
                "http" => Ok(80),
                "https" => Ok(443),
                "microsoft-ds" => Ok(445),
                other => Err(format!("the service name `{other}`: write the port number")),
            },
            (Field::L4proto, Expression::Number(n)) if *n <= 255 => Ok(*n),
            (Field::L4proto, Expression::String(s)) => match s.as_ref() {
                "tcp" => Ok(6),
                "udp" => Ok(17),
                "icmp" => Ok(1),
                "sctp" => Ok(132),
                other => Err(format!("the protocol `{other}`: write its number")),
            },
            (Field::Nfproto, Expression::String(s)) => match s.as_ref() {
                "ipv4" => Ok(2),
                "ipv6" => Ok(10),
                other => Err(format!("the nfproto `{other}`")),
            },
            (Field::CtState, Expression::String(s)) => match s.as_ref() {
                "new" => Ok(CT_NEW),
                "established" => Ok(CT_ESTABLISHED),
                "related" => Ok(CT_RELATED),
                "invalid" => Ok(CT_INVALID),
                "untracked" => Ok(CT_UNTRACKED),
                other => Err(format!("the ct state `{other}`")),
            },
            _ => Err(format!("the value {} does not fit the match", show(e))),
        }
    };
    match e {
        Expression::Named(NamedExpression::Prefix(p))
            if matches!(field, Field::Saddr | Field::Daddr) =>
        {
            let base = one(&p.addr)?;
            if p.len > 32 {
                return Err(format!("the prefix length {} is over 32", p.len));
            }
            let mask = if p.len == 0 {
                0
            } else {
                u32::MAX << (32 - p.len)
            };
            Ok((base & mask, (base & mask) | !mask))
        }
        Expression::Range(r) => {
            let (a, b) = (one(&r.range[0])?, one(&r.range[1])?);
            if a > b {
                return Err(format!("the range {} runs backwards", show(e)));
            }
            Ok((a, b))
        }
        Expression::Named(NamedExpression::Elem(el)) => span(field, &el.val),
        e => one(e).map(|n| (n, n)),
    }
}

/// A named set's elements: numbers or spans (addresses, prefixes, ranges, ports), or
/// interface names.
fn set_values(elems: &[Expression<'_>], place: &str) -> Result<Values, NftError> {
    let err = |message: String| NftError {
        place: place.into(),
        message,
    };
    let any_name = elems
        .iter()
        .any(|e| matches!(e, Expression::String(s) if s.parse::<Ipv4Addr>().is_err()));
    if any_name {
        let mut names = Vec::new();
        for e in elems {
            match e {
                Expression::String(s) => names.push(s.to_string()),
                other => return Err(err(format!("a name expected, not {}", show(other)))),
            }
        }
        return Ok(Values::Names(names));
    }
    let is_addr = elems.iter().any(|e| match e {
        Expression::String(_) | Expression::Named(NamedExpression::Prefix(_)) => true,
        Expression::Range(r) => matches!(r.range[0], Expression::String(_)),
        _ => false,
    });
    let field = if is_addr {
        Field::Saddr
    } else {
        Field::Dport(None)
    };
    let mut spans = Vec::new();
    for e in elems {
        spans.push(span(&field, e).map_err(err)?);
    }
    Ok(Values::Numbers(spans))
}

/// Each rule's line in an nft text file, by (table, chain, position in the chain): the
/// rules of a `chain NAME { … }` block in a `table FAMILY NAME { … }` block, in order, and
/// `add rule FAMILY TABLE CHAIN …` lines. `origin` names the file.
pub fn text_lines(text: &str, origin: &str) -> BTreeMap<(String, String, usize), String> {
    let mut out = BTreeMap::new();
    let mut table: Option<String> = None;
    let mut chain: Option<String> = None;
    let mut in_set = false;
    let mut depth = 0usize;
    let mut count: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut put = |t: &str, c: &str| {
            let k = count.entry((t.to_string(), c.to_string())).or_default();
            *k += 1;
            out.insert(
                (t.to_string(), c.to_string(), *k),
                format!("{origin}:{}", n + 1),
            );
        };
        if words.len() >= 5 && words[0] == "add" && words[1] == "rule" {
            put(words[3], words[4]);
            continue;
        }
        if line.ends_with('{') {
            depth += 1;
            match words.first().copied() {
                Some("table") if words.len() >= 3 => table = Some(words[words.len() - 2].into()),
                Some("table") => table = Some(words[1].into()),
                Some("chain") if words.len() >= 2 => chain = Some(words[1].into()),
                Some("set") | Some("map") => in_set = true,
                _ => {}
            }
            continue;
        }
        if line.starts_with('}') {
            depth = depth.saturating_sub(1);
            if in_set {
                in_set = false;
            } else if chain.is_some() {
                chain = None;
            } else {
                table = None;
            }
            continue;
        }
        if in_set || depth < 2 {
            continue;
        }
        if let (Some(t), Some(c)) = (&table, &chain) {
            if matches!(
                words.first().copied(),
                Some("type") | Some("policy") | Some("comment")
            ) {
                continue;
            }
            put(t, c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

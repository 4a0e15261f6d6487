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
use std::fmt;

mod build;
mod eval;
#[cfg(test)]
mod tests;

pub use build::text_lines;

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

// Conntrack states as numbers (their bits in the kernel's ct state).
const CT_INVALID: u32 = 1;
const CT_ESTABLISHED: u32 = 2;
const CT_RELATED: u32 = 4;
const CT_NEW: u32 = 8;
const CT_UNTRACKED: u32 = 64;

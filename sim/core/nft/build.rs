//! Reading a rule set: the JSON objects into tables, chains, sets and rules of the
//! subset, each problem an error naming its rule; and the text form's rule lines.

use super::*;
use core::net::Ipv4Addr;
use nftables::expr::{Expression, NamedExpression, Payload, SetItem};
use nftables::schema::{self, NfListObject};
use nftables::stmt::{Operator, Statement};
use nftables::types::{NfChainPolicy, NfChainType, NfFamily, NfHook};
use std::collections::BTreeMap;

#[derive(Default)]
pub(super) struct Builder<'a> {
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

    pub(super) fn object(&mut self, obj: &NfListObject<'a>, origin: &str) -> Result<(), NftError> {
        match obj {
            NfListObject::MetainfoObject(_) => Ok(()),
            NfListObject::Table(t) => {
                self.table_kept(&t.family, &t.name, origin)?;
                Ok(())
            }
            NfListObject::Chain(c) => self.chain(c),
            NfListObject::Set(s) => self.set(s),
            NfListObject::Element(e) => self.elements(e),
            NfListObject::Rule(r) => self.raw_rule(r),
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

    /// A chain: a base chain on the forward hook is evaluated, with its priority and policy.
    fn chain(&mut self, c: &schema::Chain<'a>) -> Result<(), NftError> {
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

    /// A named set and its elements.
    fn set(&mut self, s: &schema::Set<'a>) -> Result<(), NftError> {
        let place = format!("set {} of table {}", s.name, s.table);
        if !self.table_kept(&s.family, &s.table, &place)? {
            return Ok(());
        }
        let elems: Vec<Expression<'_>> = s.elem.as_ref().map(|e| e.to_vec()).unwrap_or_default();
        let values = set_values(&elems, &place)?;
        self.sets
            .insert((s.table.to_string(), s.name.to_string()), values);
        Ok(())
    }

    /// Elements added to a set declared before them.
    fn elements(&mut self, e: &schema::Element<'a>) -> Result<(), NftError> {
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

    /// A rule, kept raw with its place until every set is known.
    fn raw_rule(&mut self, r: &schema::Rule<'a>) -> Result<(), NftError> {
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

    pub(super) fn finish(
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
                "modbus" | "mbap" => Ok(u32::from(crate::modbus::PORT)),
                "ssh" => Ok(22),
                "http" => Ok(80),
                "https" => Ok(443),
                "microsoft-ds" => Ok(u32::from(crate::ports::SMB)),
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

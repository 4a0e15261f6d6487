//! Policy files: the proxy's DPI policy (a `DpiSpec` in RON) and the TLS roles' policy
//! share one reader (every syntax error placed at file:line:col with a hint) and one
//! check for meaning (the scenario's own checks of a `dpi` section and its ranges).

use crate::controls::dpi::DpiSpec;
use crate::scenario::Peer;
use anyhow::{Context, Result};
use std::net::IpAddr;

/// Load a policy file (RON, a `DpiSpec`); every error placed as for scenarios, and the
/// policy checked for meaning by the same checks as a scenario's `dpi` (one validation for
/// both). A proxy's client is `Host("<its IP address>")` or `Zone("client")`; the server
/// it protects is `Host("upstream")` or `Zone("upstream")`.
pub fn load_policy(path: &std::path::Path) -> Result<DpiSpec> {
    let spec: DpiSpec = read_policy_file(
        path,
        "the policy",
        "a policy is a DpiSpec, e.g. (mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly)])",
    )?;
    checked_policy(path, &spec, &proxy_peer, |f| f.to_string())?;
    Ok(spec)
}

/// A policy file's RON, every syntax error placed (file:line:col, the line, a hint).
pub(crate) fn read_policy_file<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
    hint: &str,
) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read {what}", path.display()))?;
    ron::Options::default().from_str(&text).map_err(|e| {
        let line = text
            .lines()
            .nth(e.span.start.line.saturating_sub(1))
            .unwrap_or("");
        anyhow::anyhow!(
            "{}:{}:{}: {}\n  | {line}\nhint: {hint}",
            path.display(),
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })
}

/// A policy checked by the scenario's own checks of a `dpi` section; each problem placed
/// at its field (named by `field`, for formats that call the rules otherwise).
pub(crate) fn checked_policy(
    path: &std::path::Path,
    spec: &DpiSpec,
    peer: &dyn Fn(&str, &Peer) -> Option<String>,
    field: impl Fn(&str) -> String,
) -> Result<()> {
    let mut problems = crate::scenario::policy_problems(spec, "", peer);
    problems.extend(policy_ranges(spec));
    if problems.is_empty() {
        return Ok(());
    }
    let mut msg = format!("{}: {} problem(s):", path.display(), problems.len());
    for p in &problems {
        msg.push_str(&format!("\n  {}: {}", field(&p.field), p.message));
    }
    anyhow::bail!(msg)
}

/// A policy's numbers against the ranges of the scenario's `dpi` (the same annotated
/// schema scenario validation reads: a rate limit of 0 to 100,000 requests a second, …).
fn policy_ranges(spec: &DpiSpec) -> Vec<crate::scenario::Problem> {
    use crate::scenario::schema::{annotated, value_problems};
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(|| annotated(schemars::schema_for!(DpiSpec)));
    match serde_json::to_value(spec) {
        Ok(v) => value_problems(&v, schema),
        Err(e) => vec![crate::scenario::Problem {
            field: String::new(),
            message: format!("cannot be checked against the policy's ranges: {e}"),
        }],
    }
}

/// What a proxy policy's rule ends may name.
fn proxy_peer(end: &str, p: &Peer) -> Option<String> {
    match (end, p) {
        ("from", Peer::Zone(z)) if z == "client" => None,
        ("from", Peer::Host(h)) if h.parse::<IpAddr>().is_ok() => None,
        ("from", Peer::Zone(z)) => Some(format!(
            "no zone named \"{z}\"; known: client (a proxy's clients)"
        )),
        ("from", Peer::Host(h)) => Some(format!(
            "no host named \"{h}\"; a proxy knows its clients by IP address (Host(\"10.10.1.20\")) or as Zone(\"client\")"
        )),
        (_, Peer::Zone(z)) if z == "upstream" => None,
        (_, Peer::Host(h)) if h == "upstream" => None,
        (_, Peer::Zone(z)) => Some(format!(
            "no zone named \"{z}\"; known: upstream (the server behind the proxy)"
        )),
        (_, Peer::Host(h)) => Some(format!(
            "no host named \"{h}\"; known: upstream (the server behind the proxy)"
        )),
    }
}

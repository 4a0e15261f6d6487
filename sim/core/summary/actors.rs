//! The actors of a live session in the report: who each is, where it sat, what its traffic
//! did in ATT&CK for ICS terms, what the controls made of it, and what it cost the plant
//! (its lines of the loss tree and the cost ledger).

use super::{CostSummary, round};
use crate::loss::{Cause, LossCategory};
use crate::time::Micros;
use crate::world::World;
use serde::Serialize;

/// The session's actors, and the zone an unnamed address is placed in.
#[derive(Clone, Debug, Serialize)]
pub struct ActorsSection {
    /// Where a source the actors file does not name sits (as the report states it).
    pub default_zone: String,
    pub actors: Vec<ActorSummary>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ActorSummary {
    pub name: String,
    /// The address its connections came from.
    pub source: String,
    /// Its address inside the plant, and its zone.
    pub address: String,
    pub zone: String,
    /// Named in the actors file (else named by its address).
    pub named: bool,
    pub first_s: Option<f64>,
    pub last_s: Option<f64>,
    pub connections: u64,
    /// Connections refused (a firewall, a containment).
    pub refused: u64,
    pub requests: u64,
    /// Requests by function code.
    pub functions: Vec<FunctionCount>,
    /// Bytes that were not Modbus, and frames that did not decode (service probes).
    pub probes: u64,
    pub plcs: Vec<String>,
    /// Exception replies it received.
    pub exceptions: u64,
    /// Connections and requests a control stopped.
    pub blocked: u64,
    /// Seconds from its first traffic to the first time a control flagged it.
    pub detected_after_s: Option<f64>,
    pub techniques: Vec<TechniqueUse>,
    /// Function codes of its requests that no technique describes.
    pub unclassified_functions: Vec<u8>,
    /// What its traffic cost the plant: lost units (the loss tree's priced lines owed to
    /// it), the bottleneck's time those stand for, and its total in the cost ledger.
    pub units_owed: f64,
    pub downtime_h: f64,
    pub cost_owed: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FunctionCount {
    pub function: u8,
    pub requests: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TechniqueUse {
    pub id: &'static str,
    pub name: &'static str,
    pub also: &'static [&'static str],
    pub count: u64,
    pub first_s: f64,
    pub last_s: f64,
}

fn s(t: Micros) -> f64 {
    round(t as f64 / 1e6, 3)
}

/// The actors section of a World's report; none without actors.
pub(super) fn section(
    w: &World,
    raw: &[(LossCategory, Cause, f64)],
    nominal_per_h: f64,
    cost: &CostSummary,
) -> Option<ActorsSection> {
    if w.actors.is_empty() {
        return None;
    }
    let net = &w.net.network;
    let actors = w
        .actors
        .list
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let r = &a.record;
            let cause = Cause::Actor(k);
            let owed = |time_only: bool| -> f64 {
                raw.iter()
                    .filter(|l| l.1 == cause && super::cost::priced(l.0))
                    .filter(|l| {
                        !time_only
                            || !matches!(l.0, LossCategory::SpeedLoss | LossCategory::QualityLoss)
                    })
                    .map(|l| l.2)
                    .sum()
            };
            let name = super::cause_name(w, cause);
            let h = &net.hosts[a.host];
            ActorSummary {
                name: a.name.clone(),
                source: a.source.to_string(),
                address: h.address.to_string(),
                zone: net.zones[h.zone].clone(),
                named: a.named,
                first_s: r.first.map(s),
                last_s: r.first.map(|_| s(r.last)),
                connections: r.connections,
                refused: r.refused,
                requests: r.by_function.values().sum(),
                functions: r
                    .by_function
                    .iter()
                    .map(|(&function, &requests)| FunctionCount { function, requests })
                    .collect(),
                probes: r.not_modbus,
                plcs: r
                    .plcs
                    .iter()
                    .map(|&p| w.devices.plcs[p].name.clone())
                    .collect(),
                exceptions: r.exceptions,
                blocked: r.blocked,
                detected_after_s: r
                    .detected_at
                    .map(|d| s(d.saturating_sub(r.first.unwrap_or(d)))),
                techniques: r
                    .techniques
                    .iter()
                    .map(|(t, u)| {
                        let (id, name) = t.id();
                        TechniqueUse {
                            id,
                            name,
                            also: t.also(),
                            count: u.count,
                            first_s: s(u.first),
                            last_s: s(u.last),
                        }
                    })
                    .collect(),
                unclassified_functions: r.unclassified.keys().copied().collect(),
                units_owed: round(owed(false), 3),
                downtime_h: round(owed(true) / nominal_per_h, 4),
                cost_owed: cost
                    .by_cause
                    .iter()
                    .find(|c| c.cause == name)
                    .map_or(0.0, |c| c.total),
            }
        })
        .collect();
    Some(ActorsSection {
        default_zone: w.actors.default_zone.clone(),
        actors,
    })
}

//! The cost ledger: every cost line once, each owed to one cause.
//!
//! ```text
//! total = lost output            Σ the loss tree's priced lines (units × unit value)
//!       + scrap materials        every scrapped unit × scrap_per_unit, to what scrapped it
//!       + incident response      a fee per step by its outcome: succeeded with an effect on the
//!                                plant, succeeded without, detected, blocked (scenario cost.incident)
//!       + false-positive review  per legitimate request a control blocked or flagged
//!       + secondary loss         held lots' tests, recalls of product shipped out of band
//!                                (scenario cost.out_of_band; summary/out_of_band.rs)
//!       = Σ by cause             = attacks + controls + operations
//! ```
//!
//! Work in process (units still inside the line) is in the loss tree so that it closes,
//! but it is not a loss anyone caused: it is not priced.

use super::{LossLine, LossTree, SecuritySummary, round};
use crate::controls::ControlId;
use crate::loss::{Cause, LossCategory};
use crate::world::World;
use serde::Serialize;
use std::collections::BTreeMap;

/// Who a cost is owed to, in three: attacks, controls, and the plant's own operation
/// (failures, variation, the schedule, decisions that are not an attack's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CauseKind {
    Attack,
    Control,
    Operations,
}

impl CauseKind {
    pub fn of(c: Cause) -> CauseKind {
        match c {
            // A live session's outside client: its traffic is an attacker's to the plant.
            Cause::Attack(_) | Cause::Actor(_) => CauseKind::Attack,
            Cause::Control(_) => CauseKind::Control,
            Cause::Normal | Cause::Schedule | Cause::Decision => CauseKind::Operations,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    pub currency: String,
    /// What a unit short of target costs: the downtime cost of an hour over the
    /// bottleneck's nominal rate.
    pub unit_value: f64,
    /// The loss tree's priced lines.
    pub lost_output: f64,
    /// Materials and disposal of every scrapped unit.
    pub scrap_materials: f64,
    /// Recovery of succeeded attack steps and triage of detected or blocked ones.
    pub incident_response: f64,
    /// Reviewing legitimate requests a control blocked or flagged.
    pub false_positive_review: f64,
    /// Open FAIR secondary loss: the held lots' tests and the recalls of product made out
    /// of a thermal station's band (`out_of_band` has the units and the lines).
    pub secondary_loss: f64,
    /// Product made out of band: held or shipped, and the secondary loss's lines.
    pub out_of_band: super::out_of_band::OutOfBand,
    /// The incident fees the response line used, by a step's outcome.
    pub incident_fees: crate::scenario::IncidentFees,
    /// Whether those fees are the model's assumed defaults (the scenario writes none):
    /// every report that uses them says so.
    pub incident_fees_assumed: bool,
    /// The five lines above; also the sum of `by_cause`, and of attacks + controls + operations.
    pub total: f64,
    /// Owed to attack steps.
    pub attacks: f64,
    /// Owed to controls: their friction (blocked flows, false positives and what they did
    /// to production, approval delays, maintenance stops).
    pub controls: f64,
    /// Owed to the plant's own operation.
    pub operations: f64,
    /// Each cause's lines, largest total first.
    pub by_cause: Vec<CauseCost>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct CauseCost {
    pub cause: String,
    pub kind: Option<CauseKind>,
    pub lost_output: f64,
    pub scrap_materials: f64,
    pub incident_response: f64,
    pub false_positive_review: f64,
    pub secondary_loss: f64,
    pub total: f64,
}

impl CostSummary {
    /// What the plant lost: lost output, scrap materials and secondary loss (the cost's
    /// part that is not a response or review fee).
    pub fn production_effect(&self) -> f64 {
        round(
            self.lost_output + self.scrap_materials + self.secondary_loss,
            2,
        )
    }

    /// The response and review fees: production effect + fees = total.
    pub fn fees(&self) -> f64 {
        round(self.incident_response + self.false_positive_review, 2)
    }
}

impl CauseCost {
    /// This cause's lost output, scrap materials and secondary loss.
    pub fn production_effect(&self) -> f64 {
        round(
            self.lost_output + self.scrap_materials + self.secondary_loss,
            2,
        )
    }
}

/// The tree's lines priced: work in process is not.
pub(super) fn priced(category: LossCategory) -> bool {
    category != LossCategory::WorkInProcess
}

/// The ledger of a finished World, from its raw loss tree (causes not yet named).
pub(super) fn ledger(
    w: &World,
    raw: &[(LossCategory, Cause, f64)],
    tree: &LossTree,
    security: &SecuritySummary,
) -> CostSummary {
    let c = &w.scenario.cost;
    let mut rows: BTreeMap<Cause, CauseCost> = BTreeMap::new();
    for ((_, cause, _), line) in raw.iter().zip(&tree.losses) {
        if line.cost != 0.0 {
            rows.entry(*cause).or_default().lost_output += line.cost;
        }
    }
    let book = w.ledger.metrics.loss.closed(&w.plant);
    for (&cause, &n) in &book.scrap_all {
        rows.entry(cause).or_default().scrap_materials += n as f64 * c.scrap_per_unit.mean();
    }
    let (fees, assumed) = c.fees();
    for (k, r) in w.campaign.attacks.iter().enumerate() {
        if !r.started {
            continue;
        }
        let units: f64 = raw
            .iter()
            .filter(|l| priced(l.0) && l.1 == Cause::Attack(k))
            .map(|l| l.2)
            .sum();
        let scrapped = book.scrap_all.get(&Cause::Attack(k)).copied().unwrap_or(0);
        let price = match outcome(w, k, units + scrapped as f64) {
            Some(StepOutcome::SucceededWithEffect) => fees.succeeded_with_effect.mean(),
            Some(StepOutcome::SucceededWithoutEffect) => fees.succeeded_without_effect.mean(),
            Some(StepOutcome::Detected) => fees.detected.mean(),
            Some(StepOutcome::Blocked) => fees.blocked.mean(),
            None => 0.0,
        };
        if price > 0.0 {
            rows.entry(Cause::Attack(k)).or_default().incident_response += price;
        }
    }
    let fp = [
        (
            ControlId::Dpi,
            security.dpi.as_ref().map_or(0, |d| d.false_positives),
        ),
        (
            ControlId::Ids,
            security
                .ids
                .as_ref()
                .map_or(0, |i| i.false_alarms + i.alerts_on_legitimate_traffic),
        ),
    ];
    for (control, n) in fp {
        if n > 0 {
            rows.entry(Cause::Control(control))
                .or_default()
                .false_positive_review += n as f64 * c.per_false_positive.mean();
        }
    }
    let (out_of_band, owed) = super::out_of_band::secondary(w);
    for (cause, v) in owed {
        rows.entry(cause).or_default().secondary_loss += v;
    }
    let mut by_cause: Vec<CauseCost> = rows
        .into_iter()
        .map(|(cause, mut r)| {
            r.cause = super::cause_name(w, cause);
            r.kind = Some(CauseKind::of(cause));
            r.lost_output = round(r.lost_output, 2);
            r.scrap_materials = round(r.scrap_materials, 2);
            r.incident_response = round(r.incident_response, 2);
            r.false_positive_review = round(r.false_positive_review, 2);
            r.secondary_loss = round(r.secondary_loss, 2);
            r.total = round(
                r.lost_output
                    + r.scrap_materials
                    + r.incident_response
                    + r.false_positive_review
                    + r.secondary_loss,
                2,
            );
            r
        })
        .collect();
    by_cause.sort_by(|a, b| b.total.total_cmp(&a.total).then(a.cause.cmp(&b.cause)));
    let sum = |f: &dyn Fn(&CauseCost) -> f64| round(by_cause.iter().map(f).sum(), 2);
    let kind = |k: CauseKind| sum(&|r: &CauseCost| if r.kind == Some(k) { r.total } else { 0.0 });
    CostSummary {
        currency: c.currency.clone(),
        unit_value: tree.unit_value,
        lost_output: sum(&|r| r.lost_output),
        scrap_materials: sum(&|r| r.scrap_materials),
        incident_response: sum(&|r| r.incident_response),
        false_positive_review: sum(&|r| r.false_positive_review),
        secondary_loss: sum(&|r| r.secondary_loss),
        out_of_band,
        incident_fees: fees,
        incident_fees_assumed: assumed,
        total: sum(&|r| r.total),
        attacks: kind(CauseKind::Attack),
        controls: kind(CauseKind::Control),
        operations: kind(CauseKind::Operations),
        by_cause,
    }
}

/// What a step came to, for its incident fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// It succeeded and the plant felt it: it owns at least a unit of lost output or a
    /// scrapped unit, or it encrypted hosts.
    SucceededWithEffect,
    /// It succeeded and nothing in the plant is owed to it.
    SucceededWithoutEffect,
    /// It did not succeed (or is still running) and was detected.
    Detected,
    /// A control blocked it (detected or not).
    Blocked,
}

/// Step `k`'s outcome for its fee, from its result and the units the plant lost to it
/// (lost output and scrap, in units); None for a step that neither succeeded nor was seen.
pub(super) fn outcome(w: &World, k: usize, units_owed: f64) -> Option<StepOutcome> {
    use crate::attack::Outcome;
    let r = &w.campaign.attacks[k];
    match r.outcome {
        Some(Outcome::Succeeded) => {
            let felt = units_owed >= 1.0
                || matches!(r.spec.step, crate::scenario::AttackStep::Ransomware { .. });
            Some(if felt {
                StepOutcome::SucceededWithEffect
            } else {
                StepOutcome::SucceededWithoutEffect
            })
        }
        Some(Outcome::Blocked) => Some(StepOutcome::Blocked),
        _ if r.detected_at.is_some() => Some(StepOutcome::Detected),
        _ => None,
    }
}

/// A loss line priced (or not).
pub(super) fn line(category: LossCategory, cause: String, units: f64, unit_value: f64) -> LossLine {
    LossLine {
        category,
        cause,
        units: round(units, 3),
        cost: if priced(category) {
            round(units * unit_value, 2)
        } else {
            0.0
        },
    }
}

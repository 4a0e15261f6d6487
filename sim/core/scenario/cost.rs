//! The cost model: what lost output, scrap, incident response and false positives cost.

use crate::dist::Quantity;
use serde::{Deserialize, Serialize};

/// The cost model: what lost output, scrap and incident response cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostModel {
    /// The currency every cost is in (a code such as USD or EUR).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Cost of an hour of unplanned line downtime. A unit of output lost (the loss tree)
    /// is priced at this rate spread over the bottleneck's nominal rate. May be a
    /// distribution (the plant's own range, e.g. `Pert(min: 20000.0, likely: 36000.0, max:
    /// 60000.0)`): a run prices lost output at its mean; a sweep's simulated years draw it,
    /// one value a year, and its tornado moves it over its P10–P90.
    pub downtime_per_h: crate::dist::Quantity,
    /// Materials and disposal of one scrapped unit. The output a scrapped unit stands for
    /// is already priced in the loss tree (quality loss): do not add it here. May be a
    /// distribution, as the downtime cost.
    pub scrap_per_unit: Quantity,
    /// What the response to one attack step costs, by its outcome. Not written, the
    /// defaults apply (5,000 for a step that succeeded with an effect on the plant, 800
    /// for any other step that succeeded, was detected or was blocked) and every report
    /// states them as assumptions: write your own.
    #[serde(default)]
    pub incident: Option<IncidentFees>,
    /// Older form: the response to a step that succeeded (with or without an effect).
    /// `incident` replaces it; where both are written, `incident` is used.
    #[serde(default, alias = "incident_response_per_step")]
    pub incident_recovery_per_step: Option<f64>,
    /// Older form: the response to a step that was detected or blocked. `incident`
    /// replaces it.
    #[serde(default)]
    pub incident_triage_per_step: Option<f64>,
    /// Engineer's time to review and release one blocked legitimate request (or to dismiss
    /// one false alarm). May be a distribution, as the downtime cost.
    #[serde(default = "default_false_positive")]
    pub per_false_positive: Quantity,
    /// What product made out of a thermal station's band costs beyond itself (Open FAIR
    /// secondary loss): the held lot's tests, and the recall of product that left the
    /// site before anyone saw the excursion. Not written, those units are still counted
    /// and reported, but not priced.
    #[serde(default)]
    pub out_of_band: Option<OutOfBandCosts>,
}

/// The fate of product made while a thermal station (a critical control point, such as a
/// pasteurizer) was out of its band. Product made during an excursion the plant saw (the
/// HMI showed a reading out of the band or lost the station from its sight, a gap in the
/// record being a deviation too, or a monitoring control flagged an attack step on the
/// station's PLC) within `ships_after_h` of its making is held and destroyed: the loss
/// tree and the scrap line already price it, and each held lot costs a laboratory test.
/// Product the plant had not seen out of band by then has shipped: it is recalled.
/// Each excursion is one lot; its costs are owed to whoever put the temperature out of
/// its band. Every price here may be a distribution, as the downtime cost (a run charges
/// the mean, a sweep's simulated years draw it); the delay is a number.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutOfBandCosts {
    /// Hours between a unit being made and its leaving the site: an excursion seen
    /// later than this after a unit was made is seen too late for that unit.
    pub ships_after_h: f64,
    /// Testing and paperwork of one held lot (an excursion with held product).
    #[serde(default)]
    pub test_per_lot: Quantity,
    /// Retrieval, logistics and destruction of one recalled unit (its output and
    /// materials are already in the loss tree and the scrap line).
    pub recall_per_unit: Quantity,
    /// Once per recall (an excursion with shipped product): notification, the recall's
    /// management, customer and retailer fees.
    pub recall_fixed: Quantity,
    /// Fines or regulatory costs, once per recall (0 where none are expected).
    #[serde(default)]
    pub regulatory: Quantity,
    /// What becomes of held product once its lot is tested: destroyed (the default),
    /// released in part, or reworked.
    #[serde(default)]
    pub held: Disposition,
}

/// The disposition of held product (after the lot's test). Product released or reworked
/// into sellable product is recovered: its output (at the loss tree's value of a unit)
/// and its materials (the scrap price) come back as a credit against the secondary loss,
/// owed to the causes whose units they were. The loss tree and OEE still count those
/// units as quality loss: they were not good at first pass (ISO 22400).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Disposition {
    /// Destroyed: output and materials lost (the loss tree and the scrap line price them).
    #[default]
    Destroy,
    /// Released after testing: the share `pass_rate` (0–1) of held units passes and is
    /// sold as made; the rest is destroyed.
    Release {
        /// The share of held units the tests release (0.9: nine in ten).
        pass_rate: f64,
    },
    /// Reworked (reprocessed): every held unit costs `per_unit`, and the share
    /// `yield_rate` (0–1) comes out sellable; the rest is destroyed.
    Rework {
        /// Reprocessing one held unit (a number or a distribution).
        per_unit: Quantity,
        /// The share of reworked units that comes out sellable.
        yield_rate: f64,
    },
}

impl Disposition {
    /// The share of held units recovered, and what reworking one costs (at its mean).
    pub fn recovery(&self) -> (f64, f64) {
        match self {
            Disposition::Destroy => (0.0, 0.0),
            Disposition::Release { pass_rate } => (*pass_rate, 0.0),
            Disposition::Rework {
                per_unit,
                yield_rate,
            } => (*yield_rate, per_unit.mean()),
        }
    }

    /// Why this disposition cannot be (a share outside 0–1, a negative price), if so:
    /// (the field under `held`, the message).
    pub fn check(&self) -> Option<(&'static str, String)> {
        let share = |field: &'static str, v: f64| {
            (!(0.0..=1.0).contains(&v)).then(|| {
                (
                    field,
                    format!("{v} must be a share from 0 to 1 (0.9: nine in ten units)"),
                )
            })
        };
        match self {
            Disposition::Destroy => None,
            Disposition::Release { pass_rate } => share("pass_rate", *pass_rate),
            Disposition::Rework {
                per_unit,
                yield_rate,
            } => share("yield_rate", *yield_rate)
                .or_else(|| per_unit.check_non_negative().map(|m| ("per_unit", m))),
        }
    }
}

/// What the response to one attack step costs, by the step's outcome: the people and
/// time of incident response, not the production loss (which the loss tree prices). Each
/// may be a distribution (`Pert(min: 2000.0, likely: 5000.0, max: 20000.0)`): a run charges
/// its mean; a sweep's simulated years draw it, one value a year, and its tornado moves it
/// over its P10–P90.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentFees {
    /// A step that succeeded and had an effect on the plant (it owns lost output or
    /// scrap in the loss tree, or encrypted hosts): recovery — restoring the device or
    /// host, forensics.
    pub succeeded_with_effect: Quantity,
    /// A step that succeeded without an effect on the plant (a write that changed
    /// nothing, a spoof no one acted on): investigation, no recovery.
    pub succeeded_without_effect: Quantity,
    /// A step that did not succeed but was detected: triage of the alert.
    pub detected: Quantity,
    /// A step a control blocked: triage of the firewall or DPI log.
    pub blocked: Quantity,
}

impl IncidentFees {
    /// The defaults: assumptions of this model with no published source behind them
    /// (5,000 for recovery after a step with an effect, 800 of triage for every other
    /// step seen), which is why every report that uses them says so.
    pub const DEFAULT: IncidentFees = IncidentFees {
        succeeded_with_effect: Quantity::Value(5_000.0),
        succeeded_without_effect: Quantity::Value(800.0),
        detected: Quantity::Value(800.0),
        blocked: Quantity::Value(800.0),
    };

    /// The four fees, in the order a step's outcome names them:
    /// succeeded with an effect, without, detected, blocked.
    pub fn all(&self) -> [Quantity; 4] {
        [
            self.succeeded_with_effect,
            self.succeeded_without_effect,
            self.detected,
            self.blocked,
        ]
    }
}

impl CostModel {
    /// The incident fees in force, and whether they are the model's assumed defaults (no
    /// fee written in the scenario).
    pub fn fees(&self) -> (IncidentFees, bool) {
        if let Some(f) = self.incident {
            return (f, false);
        }
        let d = IncidentFees::DEFAULT;
        match (
            self.incident_recovery_per_step,
            self.incident_triage_per_step,
        ) {
            (None, None) => (d, true),
            (recovery, triage) => {
                let succeeded = recovery.map_or(d.succeeded_with_effect, Quantity::Value);
                let triage = triage.map_or(d.detected, Quantity::Value);
                (
                    IncidentFees {
                        succeeded_with_effect: succeeded,
                        succeeded_without_effect: succeeded,
                        detected: triage,
                        blocked: triage,
                    },
                    false,
                )
            }
        }
    }
}

fn default_false_positive() -> Quantity {
    Quantity::Value(150.0)
}

fn default_currency() -> String {
    "USD".into()
}

impl Default for CostModel {
    /// $36k per hour: FMCG downtime, Siemens "True Cost of Downtime 2024" (Senseye 2022: $39k/h).
    /// $0.25 per scrapped bottle of beer (glass, liquid, label, cap): an assumption.
    fn default() -> Self {
        CostModel {
            currency: default_currency(),
            downtime_per_h: crate::dist::Quantity::Value(36_000.0),
            scrap_per_unit: Quantity::Value(0.25),
            incident: None,
            incident_recovery_per_step: None,
            incident_triage_per_step: None,
            per_false_positive: default_false_positive(),
            out_of_band: None,
        }
    }
}

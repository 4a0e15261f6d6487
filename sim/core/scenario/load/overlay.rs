//! Overlays: a file that names a base scenario and replaces parts of it.

use super::*;

/// A scenario made from another: the base file with these parts replaced.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Overlay {
    pub(crate) base: String,
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    duration_h: Option<f64>,
    #[serde(default)]
    operator: Option<crate::scenario::OperatorSpec>,
    #[serde(default)]
    cost: Option<crate::scenario::CostModel>,
    #[serde(default)]
    network: Option<crate::scenario::NetworkSpec>,
    #[serde(default)]
    segmentation: Option<crate::scenario::SegmentationSpec>,
    #[serde(default)]
    attacks: Vec<crate::scenario::AttackSpec>,
    #[serde(default)]
    dpi: Option<crate::scenario::controls::DpiSpec>,
    #[serde(default)]
    ids: Option<crate::scenario::controls::IdsSpec>,
    #[serde(default)]
    line: Option<crate::scenario::LineSpec>,
    #[serde(default)]
    vendor: Option<crate::scenario::VendorSpec>,
    #[serde(default)]
    health: Vec<crate::scenario::HealthSpec>,
    #[serde(default)]
    response: Option<crate::scenario::ResponseSpec>,
    #[serde(default)]
    attacker: Option<crate::scenario::AttackerSpec>,
    #[serde(default)]
    device_monitoring: Option<crate::scenario::DeviceMonitoringSpec>,
    #[serde(default)]
    risk: Option<crate::scenario::RiskSpec>,
}

impl Overlay {
    pub(crate) fn apply(self, mut s: Scenario) -> Scenario {
        s.name = self.name;
        s.description = self.description;
        if let Some(v) = self.seed {
            s.seed = v;
        }
        if let Some(v) = self.duration_h {
            s.duration_h = v;
        }
        if let Some(v) = self.operator {
            s.operator = v;
        }
        if let Some(v) = self.cost {
            s.cost = v;
        }
        if self.risk.is_some() {
            s.risk = self.risk;
        }
        if self.network.is_some() {
            s.network = self.network;
        }
        if self.segmentation.is_some() {
            s.segmentation = self.segmentation;
        }
        s.attacks.extend(self.attacks);
        if self.dpi.is_some() {
            s.dpi = self.dpi;
        }
        if self.ids.is_some() {
            s.ids = self.ids;
        }
        if let Some(line) = self.line {
            s.line = line;
        }
        if self.vendor.is_some() {
            s.vendor = self.vendor;
        }
        if !self.health.is_empty() {
            s.health = self.health;
        }
        if self.response.is_some() {
            s.response = self.response;
        }
        if self.attacker.is_some() {
            s.attacker = self.attacker;
        }
        if self.device_monitoring.is_some() {
            s.device_monitoring = self.device_monitoring;
        }
        s
    }
}

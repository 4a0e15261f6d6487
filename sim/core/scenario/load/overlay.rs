//! Overlays: a file that names a base scenario and replaces parts of it.

use super::*;

/// A field written in the overlay (`Some(Some(x))` for `dpi: Some(…)`, `Some(None)` for
/// `dpi: None`), or not written at all (`None`): an optional section an overlay can set,
/// replace or remove.
fn written<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// The lists an overlay can empty with `clear` before adding its own.
pub const CLEARABLE: [&str; 2] = ["attacks", "health"];

/// A scenario made from another: the base file with these parts replaced. An optional
/// section written as `None` removes the base's (`dpi: None`: no DPI); `attacks` are added
/// to the base's and `health` replaces it, after the lists named in `clear` are emptied.
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
    #[serde(default, deserialize_with = "written")]
    network: Option<Option<crate::scenario::NetworkSpec>>,
    #[serde(default, deserialize_with = "written")]
    segmentation: Option<Option<crate::scenario::SegmentationSpec>>,
    /// Lists of the base to empty first (`clear: ["attacks"]`).
    #[serde(default)]
    clear: Vec<String>,
    #[serde(default)]
    attacks: Vec<crate::scenario::AttackSpec>,
    #[serde(default, deserialize_with = "written")]
    dpi: Option<Option<crate::scenario::controls::DpiSpec>>,
    #[serde(default, deserialize_with = "written")]
    ids: Option<Option<crate::scenario::controls::IdsSpec>>,
    #[serde(default)]
    line: Option<crate::scenario::LineSpec>,
    #[serde(default, deserialize_with = "written")]
    vendor: Option<Option<crate::scenario::VendorSpec>>,
    #[serde(default)]
    health: Vec<crate::scenario::HealthSpec>,
    #[serde(default, deserialize_with = "written")]
    response: Option<Option<crate::scenario::ResponseSpec>>,
    #[serde(default, deserialize_with = "written")]
    attacker: Option<Option<crate::scenario::AttackerSpec>>,
    #[serde(default, deserialize_with = "written")]
    device_monitoring: Option<Option<crate::scenario::DeviceMonitoringSpec>>,
    #[serde(default, deserialize_with = "written")]
    risk: Option<Option<crate::scenario::RiskSpec>>,
}

impl Overlay {
    /// The base with the overlay applied, or the overlay's fields that cannot apply.
    pub(crate) fn apply(self, mut s: Scenario) -> Result<Scenario, Vec<Problem>> {
        let mut problems = Vec::new();
        for (i, list) in self.clear.iter().enumerate() {
            match list.as_str() {
                "attacks" => s.attacks.clear(),
                "health" => s.health.clear(),
                other => problems.push(Problem {
                    field: format!("clear[{i}]"),
                    message: format!(
                        "\"{other}\" is not a list an overlay can empty; known: {}",
                        CLEARABLE.join(", ")
                    ),
                }),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
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
        if let Some(v) = self.risk {
            s.risk = v;
        }
        if let Some(v) = self.network {
            s.network = v;
        }
        if let Some(v) = self.segmentation {
            s.segmentation = v;
        }
        s.attacks.extend(self.attacks);
        if let Some(v) = self.dpi {
            s.dpi = v;
        }
        if let Some(v) = self.ids {
            s.ids = v;
        }
        if let Some(line) = self.line {
            s.line = line;
        }
        if let Some(v) = self.vendor {
            s.vendor = v;
        }
        if !self.health.is_empty() {
            s.health = self.health;
        }
        if let Some(v) = self.response {
            s.response = v;
        }
        if let Some(v) = self.attacker {
            s.attacker = v;
        }
        if let Some(v) = self.device_monitoring {
            s.device_monitoring = v;
        }
        Ok(s)
    }
}

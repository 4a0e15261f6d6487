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
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Overlay {
    /// The scenario this overlay changes (a path relative to the overlay's folder; it may itself be an overlay).
    pub(crate) base: String,
    /// The new scenario's name.
    name: String,
    /// What the variant shows.
    #[serde(default)]
    description: String,
    /// Replaces the base's seed.
    #[serde(default)]
    seed: Option<u64>,
    /// Replaces the base's run length.
    #[serde(default)]
    duration_h: Option<f64>,
    /// Replaces the base's operators.
    #[serde(default)]
    operator: Option<crate::scenario::OperatorSpec>,
    /// Replaces the base's cost model.
    #[serde(default)]
    cost: Option<crate::scenario::CostModel>,
    /// Replaces the base's network (`None`: a flat network).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::NetworkSpec>")]
    network: Option<Option<crate::scenario::NetworkSpec>>,
    /// Replaces the base's zone firewalls (`None`: no segmentation).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::SegmentationSpec>")]
    segmentation: Option<Option<crate::scenario::SegmentationSpec>>,
    /// Lists of the base to empty first (`clear: ["attacks"]`).
    #[serde(default)]
    clear: Vec<String>,
    /// Attack steps added to the base's (after `clear`). An empty list is an error: it
    /// would keep the base's steps; `clear: ["attacks"]` removes them.
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Vec<crate::scenario::AttackSpec>")]
    attacks: Option<Vec<crate::scenario::AttackSpec>>,
    /// Replaces the base's DPI (`None`: no DPI).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::controls::DpiSpec>")]
    dpi: Option<Option<crate::scenario::controls::DpiSpec>>,
    /// Replaces the base's IDS (`None`: no IDS).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::controls::IdsSpec>")]
    ids: Option<Option<crate::scenario::controls::IdsSpec>>,
    /// Replaces the base's line settings.
    #[serde(default)]
    line: Option<crate::scenario::LineSpec>,
    /// Replaces the base's vendor access (`None`: no vendor).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::VendorSpec>")]
    vendor: Option<Option<crate::scenario::VendorSpec>>,
    /// Replaces the base's condition monitoring. An empty list is an error: it would keep
    /// the base's; `clear: ["health"]` removes it.
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Vec<crate::scenario::HealthSpec>")]
    health: Option<Vec<crate::scenario::HealthSpec>>,
    /// Replaces the base's incident response (`None`: none).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::ResponseSpec>")]
    response: Option<Option<crate::scenario::ResponseSpec>>,
    /// Replaces the base's stochastic attacker (`None`: none).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::AttackerSpec>")]
    attacker: Option<Option<crate::scenario::AttackerSpec>>,
    /// Replaces the base's device monitoring (`None`: none).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::DeviceMonitoringSpec>")]
    device_monitoring: Option<Option<crate::scenario::DeviceMonitoringSpec>>,
    /// Replaces the base's authentication (`None`: none).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::AuthenticationSpec>")]
    authentication: Option<Option<crate::scenario::AuthenticationSpec>>,
    /// Replaces the base's Modbus/TCP Security (`None`: none).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::ModbusSecuritySpec>")]
    modbus_security: Option<Option<crate::scenario::ModbusSecuritySpec>>,
    /// Replaces the base's per-year risk (`None`: none).
    #[serde(default, deserialize_with = "written")]
    #[schemars(with = "Option<crate::scenario::RiskSpec>")]
    risk: Option<Option<crate::scenario::RiskSpec>>,
}

impl Overlay {
    /// The segmentation section the overlay sets, if any.
    pub(crate) fn segmentation_mut(&mut self) -> Option<&mut crate::scenario::SegmentationSpec> {
        self.segmentation.as_mut().and_then(|s| s.as_mut())
    }

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
        for (list, written, base) in [
            (
                "attacks",
                self.attacks.as_ref().map(Vec::len),
                s.attacks.len(),
            ),
            ("health", self.health.as_ref().map(Vec::len), s.health.len()),
        ] {
            if written == Some(0) && base > 0 {
                problems.push(Problem {
                    field: list.into(),
                    message: format!(
                        "an empty list changes nothing: the base's {base} {list} entries stay; hint: to run without them write clear: [\"{list}\"]"
                    ),
                });
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
        if let Some(v) = self.authentication {
            s.authentication = v;
        }
        if let Some(v) = self.modbus_security {
            s.modbus_security = v;
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
        s.attacks.extend(self.attacks.unwrap_or_default());
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
        if let Some(h) = self.health.filter(|h| !h.is_empty()) {
            s.health = h;
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

/// The schema of an overlay file (for the reference and editors).
pub fn overlay_schema() -> serde_json::Value {
    crate::scenario::schema::annotated(schemars::schema_for!(Overlay))
}

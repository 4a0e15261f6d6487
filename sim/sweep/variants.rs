//! The variants of a sweep: controls toggled on and off, or a variants file.

use super::*;

/// A scenario with a set of controls on or off (or parameters changed).
#[derive(Clone, Debug)]
pub struct Variant {
    pub name: String,
    /// What makes it this variant, for the report.
    pub description: String,
    pub scenario: Scenario,
}

/// Controls `--toggle` and a variants file's `off` know.
pub fn toggles() -> Vec<&'static str> {
    ControlId::TOGGLED.iter().map(|c| c.name()).collect()
}

/// Switch a deployed control off in a scenario.
pub(crate) fn switch_off(s: &mut Scenario, control: ControlId) {
    match control {
        ControlId::Segmentation => s.segmentation = None,
        ControlId::Dpi => s.dpi = None,
        ControlId::Ids => s.ids = None,
        ControlId::Gateway => {
            if let Some(v) = &mut s.vendor {
                v.access = VendorAccess::AlwaysOnVpn;
            }
        }
        ControlId::ConditionMonitoring => s.health.clear(),
        ControlId::DeviceMonitoring => s.device_monitoring = None,
        ControlId::Response => s.response = None,
        ControlId::IslandMode => s.line.island_mode = false,
        ControlId::ModbusSecurity => s.modbus_security = None,
        ControlId::Authentication => s.authentication = None,
    }
}

/// Whether the scenario deploys a control.
pub(crate) fn present(s: &Scenario, control: ControlId) -> bool {
    match control {
        ControlId::Segmentation => s.segmentation.is_some(),
        ControlId::Dpi => s.dpi.is_some(),
        ControlId::Ids => s.ids.is_some(),
        ControlId::Gateway => s
            .vendor
            .as_ref()
            .is_some_and(|v| matches!(v.access, VendorAccess::Gateway { .. })),
        ControlId::ConditionMonitoring => !s.health.is_empty(),
        ControlId::DeviceMonitoring => s.device_monitoring.is_some(),
        ControlId::Response => s.response.is_some(),
        ControlId::IslandMode => s.line.island_mode,
        ControlId::ModbusSecurity => s.modbus_security.is_some(),
        ControlId::Authentication => matches!(
            s.authentication.as_ref().map(|a| &a.hmi),
            Some(faultline_core::scenario::HmiLogin::Personal { .. })
        ),
    }
}

/// The control a `--toggle` or `off` name stands for, or why it cannot be switched off in
/// `s` (unknown, or not deployed).
pub(crate) fn check_control(s: &Scenario, name: &str) -> Result<ControlId, String> {
    let control = toggled_control(name)?;
    if !present(s, control) {
        return Err(format!(
            "the scenario does not deploy \"{name}\" (nothing to switch off)"
        ));
    }
    Ok(control)
}

/// The control a `--toggle`, `--off` or `--on` name stands for.
fn toggled_control(name: &str) -> Result<ControlId, String> {
    ControlId::from_name(name)
        .filter(|c| ControlId::TOGGLED.contains(c))
        .ok_or_else(|| {
            format!(
                "unknown control \"{name}\"; known: {}",
                toggles().join(", ")
            )
        })
}

/// Switch controls for one run (`faultline run --off dpi,ids --on segmentation`), with the
/// names of `sweep --toggle`: each `off` control is removed, each `on` control must be
/// deployed (it is what the scenario has; naming it checks that). The scenario's name says
/// what was switched off.
pub fn switch_controls(s: &mut Scenario, off: &[String], on: &[String]) -> Result<(), String> {
    for name in on {
        if off.contains(name) {
            return Err(format!("\"{name}\" is both in --on and in --off"));
        }
        if !present(s, toggled_control(name)?) {
            return Err(format!(
                "the scenario does not deploy \"{name}\": it cannot be switched on from the command line (add it to the scenario, or an overlay)"
            ));
        }
    }
    let mut ids = Vec::new();
    for name in off {
        ids.push(check_control(s, name)?);
    }
    for c in ids {
        switch_off(s, c);
    }
    if !off.is_empty() {
        s.name = format!("{} (switched off: {})", s.name, off.join(", "));
    }
    Ok(())
}

/// Every combination of the toggled controls on and off; the first (all off) is the
/// baseline the others are compared with. Each control must be deployed in the scenario.
pub fn toggle_variants(base: &Scenario, toggles: &[String]) -> Result<Vec<Variant>, SweepError> {
    let mut controls = Vec::new();
    for t in toggles {
        controls.push(
            check_control(base, t).map_err(|m| SweepError::Usage(format!("--toggle {t}: {m}")))?,
        );
    }
    let n = toggles.len();
    Ok((0..1usize << n)
        .map(|mask| {
            let mut s = base.clone();
            let mut on = Vec::new();
            for (k, t) in toggles.iter().enumerate() {
                if mask & (1 << k) == 0 {
                    switch_off(&mut s, controls[k]);
                } else {
                    on.push(t.as_str());
                }
            }
            let name = if n == 0 {
                "as written".to_string()
            } else if on.is_empty() {
                "none".to_string()
            } else {
                on.join("+")
            };
            let description = if n == 0 {
                format!("{}, as written", base.name)
            } else if on.is_empty() {
                format!("{} without {}", base.name, toggles.join(", "))
            } else {
                format!("{} with {} on", base.name, on.join(", "))
            };
            Variant {
                name,
                description,
                scenario: s,
            }
        })
        .collect())
}

/// A variants file (RON): the first entry is the baseline.
///
/// ```ron
/// Variants(variants: [
///     (name: "no controls", off: ["dpi", "segmentation"]),
///     (name: "DPI only", off: ["segmentation"]),
///     (name: "DPI in monitor mode", scenario: "dpi-monitor.ron", off: ["segmentation"]),
/// ])
/// ```
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename = "Variants")]
pub(crate) struct VariantsFile {
    /// The variants, the baseline first.
    variants: Vec<VariantEntry>,
}

/// One variant of a sweep: the sweep's scenario (or another file) with controls off.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariantEntry {
    /// The variant's name in the comparison (unique).
    name: String,
    /// Another scenario or overlay file (relative to the variants file) instead of the
    /// sweep's scenario: how parameters are changed.
    #[serde(default)]
    scenario: String,
    /// Controls switched off (names as for `--toggle`).
    #[serde(default)]
    off: Vec<String>,
}

/// Load a variants file against the sweep's scenario. Every run of every variant uses the
/// sweep's seeds and duration (common random numbers need them equal).
pub fn load_variants(path: &Path, base: &Scenario) -> Result<Vec<Variant>, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io {
        path: shown.clone(),
        error,
    })?;
    let file: VariantsFile = crate::scenario::from_ron(&text, &shown)?;
    let mut problems = Vec::new();
    let mut fail = |field: String, message: String| problems.push(Problem { field, message });
    if file.variants.is_empty() {
        fail(
            "variants".into(),
            "needs at least one variant (the baseline)".into(),
        );
    }
    let mut out = Vec::new();
    for (i, e) in file.variants.iter().enumerate() {
        if e.name.trim().is_empty() {
            fail(format!("variants[{i}].name"), "must not be empty".into());
        }
        if e.name.contains([',', '"', '\n']) {
            fail(
                format!("variants[{i}].name"),
                "must not contain commas, quotes or line breaks (it is a runs.csv field)".into(),
            );
        }
        if let Some(j) = file.variants[..i].iter().position(|o| o.name == e.name) {
            fail(
                format!("variants[{i}].name"),
                format!("\"{}\" is already the name of variants[{j}]", e.name),
            );
        }
        let mut s = if e.scenario.is_empty() {
            base.clone()
        } else {
            let p = path.parent().unwrap_or(Path::new(".")).join(&e.scenario);
            crate::scenario::load(&p)?
        };
        s.seed = base.seed;
        s.duration_h = base.duration_h;
        for (k, c) in e.off.iter().enumerate() {
            match check_control(&s, c) {
                Err(m) => fail(format!("variants[{i}].off[{k}]"), m),
                Ok(control) => switch_off(&mut s, control),
            }
        }
        let mut description = if e.scenario.is_empty() {
            base.name.clone()
        } else {
            s.name.clone()
        };
        if !e.off.is_empty() {
            description += &format!(" without {}", e.off.join(", "));
        }
        out.push(Variant {
            name: e.name.clone(),
            description,
            scenario: s,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ScenarioError::Invalid {
            path: shown,
            problems,
        })
    }
}

/// The schema of a sweep's variants file (for the reference and editors).
pub fn variants_schema() -> serde_json::Value {
    faultline_core::scenario::schema::annotated(schemars::schema_for!(VariantsFile))
}

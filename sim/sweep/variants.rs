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

/// Controls `--toggle` and a variants file's `off` know, and how each is switched off.
pub const TOGGLES: &[&str] = &[
    "segmentation",
    "dpi",
    "ids",
    "gateway",
    "health",
    "devices",
    "response",
];

pub(crate) fn switch_off(s: &mut Scenario, control: &str) {
    match control {
        "segmentation" => s.segmentation = None,
        "dpi" => s.dpi = None,
        "ids" => s.ids = None,
        "gateway" => {
            if let Some(v) = &mut s.vendor {
                v.access = VendorAccess::AlwaysOnVpn;
            }
        }
        "health" => s.health.clear(),
        "devices" => s.device_monitoring = None,
        "response" => s.response = None,
        _ => {}
    }
}

pub(crate) fn present(s: &Scenario, control: &str) -> bool {
    match control {
        "segmentation" => s.segmentation.is_some(),
        "dpi" => s.dpi.is_some(),
        "ids" => s.ids.is_some(),
        "gateway" => s
            .vendor
            .as_ref()
            .is_some_and(|v| matches!(v.access, VendorAccess::Gateway { .. })),
        "health" => !s.health.is_empty(),
        "devices" => s.device_monitoring.is_some(),
        "response" => s.response.is_some(),
        _ => false,
    }
}

/// Why a control cannot be switched off in `s` (unknown, or not deployed).
pub(crate) fn check_control(s: &Scenario, control: &str) -> Option<String> {
    if !TOGGLES.contains(&control) {
        return Some(format!(
            "unknown control \"{control}\"; known: {}",
            TOGGLES.join(", ")
        ));
    }
    (!present(s, control))
        .then(|| format!("the scenario does not deploy \"{control}\" (nothing to switch off)"))
}

/// Every combination of the toggled controls on and off; the first (all off) is the
/// baseline the others are compared with. Each control must be deployed in the scenario.
pub fn toggle_variants(base: &Scenario, toggles: &[String]) -> Result<Vec<Variant>, String> {
    for t in toggles {
        if let Some(m) = check_control(base, t) {
            return Err(format!("--toggle {t}: {m}"));
        }
    }
    let n = toggles.len();
    Ok((0..1usize << n)
        .map(|mask| {
            let mut s = base.clone();
            let mut on = Vec::new();
            for (k, t) in toggles.iter().enumerate() {
                if mask & (1 << k) == 0 {
                    switch_off(&mut s, t);
                } else {
                    on.push(t.as_str());
                }
            }
            let name = if on.is_empty() {
                "none".to_string()
            } else {
                on.join("+")
            };
            let description = if on.is_empty() {
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "Variants")]
pub(crate) struct VariantsFile {
    variants: Vec<VariantEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariantEntry {
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
                Some(m) => fail(format!("variants[{i}].off[{k}]"), m),
                None => switch_off(&mut s, c),
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

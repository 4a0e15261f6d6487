//! The scenario model and its parser live in the core; this adds reading them from files.

pub use faultline_core::scenario::*;

use std::path::Path;

/// Read, parse and validate a scenario file (and the bases its overlays name) from disk.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &mut |p: &Path| std::fs::read_to_string(p))
}

//! The scenario model and its parser live in the core; this adds reading them from files
//! (and converting an nft text rule set to its JSON form with `nft`).

pub use faultline_core::scenario::*;

use std::path::Path;

/// Files from disk; an nft text rule set converted by `nft` in a throwaway namespace.
struct Disk;

impl Sources for Disk {
    fn read(&mut self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn nft_json(&mut self, path: &Path, _text: &str) -> Result<String, String> {
        crate::netns::nft_to_json(path)
    }
}

/// Read, parse and validate a scenario file (and the bases its overlays name) from disk.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &mut Disk)
}

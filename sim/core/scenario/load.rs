//! Parsing and validation. Syntax errors carry file:line:col and the offending line;
//! semantic errors carry the field path (`stations[3].feeds[0]`) and a hint.

use super::{Action, AttackStep, Peer, Scenario, Setpoint, StationKind};
use core::net::Ipv4Addr;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

mod error;
mod overlay;
mod validate;

pub use error::*;
pub use overlay::overlay_schema;
use overlay::*;
pub use validate::*;

/// Where scenario text comes from. The core never touches the file system: the caller
/// reads a scenario and the bases its overlays name, and hands the text in through this.
pub trait Sources {
    /// The text of the file at `path` (as the scenario names it, relative paths already
    /// joined to the folder of the file that names them).
    fn read(&mut self, path: &Path) -> std::io::Result<String>;

    /// The JSON form of an nftables rule set written as text (`path` ends in `.nft`).
    /// The core cannot convert it: the CLI's sources do, with `nft`.
    fn nft_json(&mut self, path: &Path, _text: &str) -> Result<String, String> {
        Err(format!(
            "{} is an nft text rule set, which needs the faultline CLI to convert (with \
             nft); or give the JSON form (`nft -j list ruleset`)",
            path.display()
        ))
    }
}

impl<F: FnMut(&Path) -> std::io::Result<String>> Sources for F {
    fn read(&mut self, path: &Path) -> std::io::Result<String> {
        self(path)
    }
}

/// Parse and validate a scenario read through `sources`. A file whose top level is
/// `Overlay(…)` names a `base` scenario (relative to its own folder) and replaces parts
/// of it.
pub fn load_with(path: &Path, sources: &mut dyn Sources) -> Result<Scenario, ScenarioError> {
    load_depth(path, sources, 0)
}

/// Overlays may stack (an overlay's base may itself be an overlay), up to this depth.
const MAX_OVERLAY_DEPTH: usize = 8;

fn read(path: &Path, sources: &mut dyn Sources) -> Result<String, ScenarioError> {
    sources.read(path).map_err(|error| ScenarioError::Io {
        path: path.display().to_string(),
        error,
    })
}

fn load_depth(
    path: &Path,
    sources: &mut dyn Sources,
    depth: usize,
) -> Result<Scenario, ScenarioError> {
    let shown = path.display().to_string();
    let text = read(path, sources)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    if !is_overlay(&text) {
        let mut s: Scenario = from_ron(&text, &shown)?;
        read_ruleset(s.segmentation.as_mut(), folder, sources, &shown)?;
        return checked(s, &shown);
    }
    let mut overlay: Overlay = from_ron(&text, &shown)?;
    read_ruleset(overlay.segmentation_mut(), folder, sources, &shown)?;
    if depth >= MAX_OVERLAY_DEPTH {
        return Err(ScenarioError::Invalid {
            path: shown,
            problems: vec![Problem {
                field: "base".into(),
                message: format!(
                    "overlays nest more than {MAX_OVERLAY_DEPTH} deep (a base that leads back to itself?)"
                ),
            }],
        });
    }
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&overlay.base);
    let base_text = sources
        .read(&base_path)
        .map_err(|error| ScenarioError::Invalid {
            path: shown.clone(),
            problems: vec![Problem {
                field: "base".into(),
                message: format!(
                    "cannot read the base scenario {}: {error} (a path relative to this file's folder)",
                    base_path.display()
                ),
            }],
        })?;
    let base: Scenario = if is_overlay(&base_text) {
        load_depth(&base_path, sources, depth + 1)?
    } else {
        let shown = base_path.display().to_string();
        let mut s: Scenario = from_ron(&base_text, &shown)?;
        let folder = base_path.parent().unwrap_or(Path::new("."));
        read_ruleset(s.segmentation.as_mut(), folder, sources, &shown)?;
        s
    };
    match overlay.apply(base) {
        Ok(s) => checked(s, &shown),
        Err(problems) => Err(ScenarioError::Invalid {
            path: shown,
            problems,
        }),
    }
}

/// Read the nftables rule set a segmentation section names (relative to `folder`, the
/// folder of the file that names it) and parse it.
fn read_ruleset(
    seg: Option<&mut super::SegmentationSpec>,
    folder: &Path,
    sources: &mut dyn Sources,
    shown: &str,
) -> Result<(), ScenarioError> {
    let Some(n) = seg.and_then(|g| g.nftables.as_mut()) else {
        return Ok(());
    };
    if n.loaded.is_some() {
        return Ok(());
    }
    let fail = |message: String| ScenarioError::Invalid {
        path: shown.to_string(),
        problems: vec![Problem {
            field: "segmentation.nftables.ruleset".into(),
            message,
        }],
    };
    let path = folder.join(&n.ruleset);
    let file = path.display().to_string();
    let text = sources.read(&path).map_err(|e| {
        fail(format!(
            "cannot read {file}: {e} (a path relative to this file's folder)"
        ))
    })?;
    let (json, lines) = if path.extension().is_some_and(|e| e == "nft") {
        let json = sources.nft_json(&path, &text).map_err(fail)?;
        (json, crate::nft::text_lines(&text, &file))
    } else {
        (text, BTreeMap::new())
    };
    let set =
        crate::nft::RuleSet::from_json(&json, &file, &lines).map_err(|e| fail(e.to_string()))?;
    n.loaded = Some(std::sync::Arc::new(set));
    n.source = Some(path);
    Ok(())
}

/// Parse and validate scenario text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
    checked(from_ron(text, origin)?, origin)
}

fn checked(scenario: Scenario, origin: &str) -> Result<Scenario, ScenarioError> {
    let problems = validate(&scenario);
    if problems.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError::Invalid {
            path: origin.to_string(),
            problems,
        })
    }
}

pub fn from_ron<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
) -> Result<T, ScenarioError> {
    ron::Options::default().from_str(text).map_err(|e| {
        let (line, col) = (e.span.start.line.max(1), e.span.start.col.max(1));
        let excerpt = text.lines().nth(line - 1).unwrap_or("").to_string();
        ScenarioError::Syntax {
            path: origin.to_string(),
            line,
            col,
            message: e.code.to_string(),
            excerpt,
        }
    })
}

/// Whether the first token of the file (after comments) is `Overlay`.
fn is_overlay(text: &str) -> bool {
    top_level(text) == "Overlay"
}

/// The first word of a RON file after comments: what the file holds (`Scenario`,
/// `Overlay`, `Exercise`, `Variants`; empty for an unnamed top level).
pub fn top_level(text: &str) -> &str {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map(|(_, r)| r).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map(|(_, r)| r).unwrap_or("");
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            return &rest[..end];
        }
    }
}

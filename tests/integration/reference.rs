//! The scenario reference is generated from the types and kept in step: every field of
//! every file format is documented, every field name a shipped file writes is in it, and
//! the ranges it states are the ones loading enforces.

use crate::cli;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[test]
fn the_reference_and_the_json_schemas_are_in_step_with_the_code() {
    let doc = std::fs::read_to_string("docs/scenario-reference.md").unwrap();
    assert!(
        doc == faultline::reference::markdown(),
        "docs/scenario-reference.md is stale: regenerate with `faultline schema --markdown > docs/scenario-reference.md`"
    );
    for key in ["scenario", "overlay", "variants", "exercise", "actors"] {
        let file = format!("docs/schema/{key}.json");
        let shipped = std::fs::read_to_string(&file).unwrap();
        assert!(
            Some(shipped) == faultline::reference::json(key),
            "{file} is stale: regenerate with `faultline schema {key} --json > {file}`"
        );
    }
}

#[test]
fn every_type_field_and_variant_has_a_description() {
    let missing = faultline::reference::undocumented();
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

/// Every `.ron` file under a folder.
fn ron_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            ron_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "ron") {
            out.push(p);
        }
    }
}

/// The field names a RON text writes (`name:` outside strings and comments; not `::`).
fn field_names(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    let mut i = 0;
    let mut word = String::new();
    while i < b.len() {
        let c = b[i] as char;
        if c == '"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            word.clear();
        } else if c == '/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            word.clear();
        } else if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else if c == ':' && b.get(i + 1) != Some(&b':') && !word.is_empty() {
            out.insert(std::mem::take(&mut word));
        } else if !c.is_whitespace() {
            word.clear();
        }
        i += 1;
    }
    out
}

#[test]
fn every_field_name_written_in_a_shipped_file_is_in_the_reference() {
    let doc = std::fs::read_to_string("docs/scenario-reference.md").unwrap();
    let mut files = Vec::new();
    ron_files(Path::new("scenarios"), &mut files);
    files.sort();
    assert!(files.len() >= 25, "{} files", files.len());
    let mut checked = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for name in field_names(&text) {
            checked += 1;
            assert!(
                doc.contains(&format!("| `{name}` |")),
                "{}: the field `{name}` is not in docs/scenario-reference.md",
                f.display()
            );
        }
    }
    assert!(checked > 200, "only {checked} field names found");
}

#[test]
fn the_field_name_scanner_skips_strings_comments_and_paths() {
    let names = field_names("(a: 1, // b: 2\n c: \"d: e\", f: X::Y, g:Some(h: 3))");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(names, ["a", "c", "f", "g", "h"]);
}

#[test]
fn schema_prints_one_section_and_names_the_sections_it_knows() {
    let (code, out, _) = cli(&["schema", "dpi"]);
    assert_eq!(code, 0);
    for want in [
        "### `DpiSpec`",
        "### `PolicyRule`",
        "`review_min`",
        "`rate_limit`",
    ] {
        assert!(out.contains(want), "{want} missing from:\n{out}");
    }
    let (code, out, _) = cli(&["schema", "Dist"]);
    assert_eq!(code, 0);
    assert!(out.contains("`Pert`"));
    let (code, _, err) = cli(&["schema", "firewal"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("segmentation") && err.contains("overlay"),
        "{err}"
    );
}

#[test]
fn the_reference_states_units_ranges_and_defaults() {
    let doc = faultline::reference::markdown();
    for want in [
        // A plain number with its unit and range.
        "| `cycle_s` | number | required | 0 to 31622400 s |",
        // An optional field, written Some(…).
        "| `target_per_h` | optional number | `None` | 0 to 10000000 units per hour |",
        // A default.
        "| `idle_timeout_s` | number | `120.0` |",
        // A distribution's unit applies to its values.
        "| `repair_min` | [`Dist`](#dist) | required | 0 to 527040 min |",
    ] {
        assert!(doc.contains(want), "missing: {want}");
    }
}

#[test]
fn new_writes_a_starting_scenario_that_validates_and_runs_and_keeps_what_exists() {
    let dir = std::env::temp_dir().join(format!("faultline-new-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("snack-line.ron");
    let _ = std::fs::remove_file(&file);
    let stem = dir.join("snack-line");
    let (code, out, err) = cli(&["new", stem.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("faultline validate"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("docs/scenario-reference.md"),
        "no pointer to the reference"
    );
    assert!(text.contains("name: \"snack-line\""));
    let (code, out, err) = cli(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 stations, 2 PLCs"), "{out}");
    let (code, out, err) = cli(&["run", file.to_str().unwrap(), "--hours", "1"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("good of"), "{out}");
    // An existing file is not overwritten without --force.
    std::fs::write(&file, "kept").unwrap();
    let (code, _, err) = cli(&["new", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kept");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn validate_checks_an_exercise_file_as_an_exercise() {
    let (code, out, err) = cli(&["validate", "scenarios/exercises/vendor-2am.ron"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ok — exercise \"The vendor at 2 a.m.\""),
        "{out}"
    );
    // A scenario it cannot read is named by its field.
    let dir = std::env::temp_dir().join(format!("faultline-ex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string("scenarios/exercises/vendor-2am.ron").unwrap();
    let bad = text.replacen("scenario: \"", "scenario: \"nowhere/", 1);
    let file = dir.join("vendor.ron");
    std::fs::write(&file, bad).unwrap();
    let (code, _, err) = cli(&["validate", file.to_str().unwrap()]);
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("scenario: cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_help_texts_name_every_control_the_toggles_know() {
    // `sweep --help` lists the controls from the list `--toggle` reads (it once left tls
    // and auth out), and an unknown name's error lists the same.
    let (code, out, _) = crate::cli(&["sweep", "--help"]);
    assert_eq!(code, 0);
    let help = out.split_whitespace().collect::<Vec<_>>().join(" ");
    for name in faultline::sweep::toggles() {
        assert!(
            help.contains(name),
            "sweep --help does not name {name}: {help}"
        );
    }
    let (code, _, err) = crate::cli(&["sweep", "scenarios/minimal.ron", "--toggle", "moat"]);
    assert_ne!(code, 0);
    assert!(
        err.contains(&faultline::sweep::toggles().join(", ")),
        "{err}"
    );
}

//! The core crate cannot reach the outside: no async runtime, window, thread pool, CLI,
//! progress bar or chart crate in its manifest, and no file, socket or tokio use in its
//! sources. (docs/architecture.md)

use std::path::{Path, PathBuf};

const FORBIDDEN_CRATES: [&str; 6] = ["tokio", "bevy", "rayon", "clap", "indicatif", "plotters"];
const FORBIDDEN_PATHS: [&str; 3] = ["std::fs", "std::net", "tokio"];

fn core_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/core")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_core_manifest_has_no_adapter_crates() {
    let manifest = std::fs::read_to_string(core_dir().join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("the core has a [dependencies] table");
    for line in deps.lines().take_while(|l| !l.starts_with('[')) {
        let name = line.split('=').next().unwrap_or("").trim();
        assert!(
            !FORBIDDEN_CRATES.contains(&name),
            "sim/core/Cargo.toml depends on {name}: the core must stay sans-IO"
        );
    }
}

#[test]
fn the_core_sources_do_no_io() {
    let mut files = Vec::new();
    sources(&core_dir(), &mut files);
    assert!(files.len() > 10, "the core's sources were not found");
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for bad in FORBIDDEN_PATHS {
                if code.contains(bad) {
                    found.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "I/O in the core:\n{}", found.join("\n"));
}

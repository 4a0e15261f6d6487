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

/// The core's modules (top level: `sim/core/NAME.rs` or `sim/core/NAME/`) and the other core
/// modules each one names (`crate::other`).
fn core_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut files = Vec::new();
    sources(&core_dir(), &mut files);
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for f in files {
        let rel = f.strip_prefix(core_dir()).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = graph.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                deps.insert(name);
            }
        }
    }
    graph
}

#[test]
fn no_import_cycle_between_the_cores_modules_and_no_part_names_the_world() {
    let graph = core_graph();
    assert!(graph.len() > 10, "{graph:?}");
    // Only the World's own files and the read models (the report model, the viewer's
    // snapshot) may name the World.
    for (m, deps) in &graph {
        if deps.contains("world") {
            assert!(
                ["summary", "view"].contains(&m.as_str()),
                "the part `{m}` names the World"
            );
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        m: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("import cycle: {} → {m}", path[at..].join(" → "));
        }
        path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = Default::default();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

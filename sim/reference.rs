//! The scenario reference, generated from the file formats' types and their doc comments:
//! docs/scenario-reference.md (`faultline schema --markdown`), one section of it
//! (`faultline schema dpi`), and the JSON Schemas in docs/schema/ (`faultline schema
//! --json scenario`). Units and ranges come from the annotated schema that loading
//! enforces; examples are values written in the shipped scenarios.

mod render;
use render::*;

use crate::scenario::schema::{View, scenario_schema, visit_fields};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

/// One file format the reference documents.
pub struct Part {
    /// Its key for `faultline schema --json KEY` (and the file docs/schema/KEY.json).
    pub key: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub schema: Value,
}

/// The file formats: scenario, overlay, sweep variants, exercise, actors.
pub fn parts() -> Vec<Part> {
    vec![
        Part {
            key: "scenario",
            title: "Scenario files",
            intro: "A scenario file (`scenarios/*.ron`) describes one run: the line, its PLCs \
                    and HMI, the network, the controls and the attacks. Its top level is \
                    `Scenario(…)`.",
            schema: scenario_schema().clone(),
        },
        Part {
            key: "overlay",
            title: "Overlay files",
            intro: "An overlay (`Overlay(base: \"bottling-line.ron\", …)`) is a scenario made \
                    from another: the base file with the fields written here replaced. An \
                    optional section written as `None` removes the base's (`dpi: None`: no \
                    DPI); `clear: [\"attacks\"]` empties a list of the base before the \
                    overlay's are added. A field an overlay cannot apply is an error.",
            schema: crate::scenario::overlay_schema(),
        },
        Part {
            key: "variants",
            title: "Sweep variants files",
            intro: "`faultline sweep SCENARIO --variants FILE` compares the variants of a \
                    variants file (`Variants(variants: [...])`), the first being the baseline.",
            schema: crate::sweep::variants_schema(),
        },
        Part {
            key: "exercise",
            title: "Exercise files",
            intro: "A tabletop exercise (`scenarios/exercises/*.ron`, top level \
                    `Exercise(…)`): a scenario, the roles at the table, the objectives and \
                    timed injects, some with a decision whose options act on the twin.",
            schema: crate::exercise::exercise_schema(),
        },
        Part {
            key: "actors",
            title: "Actors files",
            intro: "`faultline live SCENARIO --actors FILE` names the clients from outside the \
                    twin by their source address and places each in a zone of the scenario as a \
                    host (`Actors(zone: …, actors: [...])`): segmentation, the DPI and the IDS \
                    see its traffic as any host's, and the report books what it did and cost \
                    to it. A source the file does not name is an actor named by its address, \
                    in `zone` (or `--actor-zone`; default the network's first zone).",
            schema: faultline_core::scenario::schema::annotated(schemars::schema_for!(
                faultline_core::actors::ActorsSpec
            )),
        },
    ]
}

/// The shipped files the examples come from, by their path in the repository.
const SHIPPED: &[(&str, &str)] = &[
    (
        "scenarios/bottling-line.ron",
        include_str!("../scenarios/bottling-line.ron"),
    ),
    (
        "scenarios/minimal.ron",
        include_str!("../scenarios/minimal.ron"),
    ),
    (
        "scenarios/all-controls.ron",
        include_str!("../scenarios/all-controls.ron"),
    ),
    (
        "scenarios/attack-flood-legacy.ron",
        include_str!("../scenarios/attack-flood-legacy.ron"),
    ),
    (
        "scenarios/attack-setpoint-dpi.ron",
        include_str!("../scenarios/attack-setpoint-dpi.ron"),
    ),
    (
        "scenarios/ransomware-segmented-island.ron",
        include_str!("../scenarios/ransomware-segmented-island.ron"),
    ),
    (
        "scenarios/stochastic-attacker.ron",
        include_str!("../scenarios/stochastic-attacker.ron"),
    ),
    (
        "scenarios/vendor-gateway.ron",
        include_str!("../scenarios/vendor-gateway.ron"),
    ),
    (
        "scenarios/health-monitoring.ron",
        include_str!("../scenarios/health-monitoring.ron"),
    ),
    (
        "scenarios/device-monitoring.ron",
        include_str!("../scenarios/device-monitoring.ron"),
    ),
    (
        "scenarios/monitoring-ids.ron",
        include_str!("../scenarios/monitoring-ids.ron"),
    ),
    (
        "scenarios/exercises/vendor-2am.ron",
        include_str!("../scenarios/exercises/vendor-2am.ron"),
    ),
    (
        "scenarios/exercises/segmentation-go-live.ron",
        include_str!("../scenarios/exercises/segmentation-go-live.ron"),
    ),
    (
        "scenarios/exercises/ransomware-monday.ron",
        include_str!("../scenarios/exercises/ransomware-monday.ron"),
    ),
];

/// Examples of the formats whose files the shipped scenarios do not parse as values.
const WRITTEN: &[(&str, &str, &str)] = &[
    ("Overlay", "base", "\"bottling-line.ron\""),
    ("Overlay", "clear", "[\"attacks\"]"),
    ("VariantEntry", "name", "\"DPI only\""),
    ("VariantEntry", "scenario", "\"dpi-monitor.ron\""),
    ("VariantEntry", "off", "[\"segmentation\", \"ids\"]"),
    (
        "VariantsFile",
        "variants",
        "[(name: \"no controls\", off: [\"dpi\"]), (name: \"all\")]",
    ),
    ("Actors", "zone", "Some(\"enterprise\")"),
    (
        "Actors",
        "actors",
        "[(name: \"red-team laptop\", source: \"127.0.0.2\", zone: \"enterprise\")]",
    ),
    ("ActorSpec", "name", "\"red-team laptop\""),
    ("ActorSpec", "source", "\"127.0.0.2\""),
    ("ActorSpec", "zone", "\"enterprise\""),
    ("ActorSpec", "address", "Some(\"10.20.0.66\")"),
    ("IdentitySpec", "vendor", "\"Schneider Electric\""),
    ("IdentitySpec", "product_code", "\"BMENOR2200H\""),
    ("IdentitySpec", "revision", "\"(twin)\""),
    (
        "IdentitySpec",
        "product_name",
        "\"Modicon M580 BMENOR2200H (twin)\"",
    ),
    (
        "ProfileSpec",
        "identity",
        "Some((vendor: \"Siemens\", product_code: \"S7-1200\", revision: \"(twin)\", product_name: \"SIMATIC S7-1200 (twin)\"))",
    ),
];

fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn shipped(path: &Path) -> std::io::Result<String> {
    let key = normal(path);
    SHIPPED
        .iter()
        .find(|(p, _)| Path::new(p) == key)
        .map(|(_, t)| t.to_string())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not embedded"))
}

/// The first value written for each (type, field) in the shipped files.
fn examples() -> BTreeMap<(String, String), Value> {
    let mut out = BTreeMap::new();
    let mut keep = |schema: &Value, value: &Value| {
        visit_fields(value, schema, &mut |owner, field, v| {
            let slot = out
                .entry((owner.to_string(), field.to_string()))
                .or_insert(Value::Null);
            if blank(slot) && !blank(v) {
                *slot = v.clone();
            }
        });
    };
    for (path, text) in SHIPPED {
        if path.starts_with("scenarios/exercises/") {
            let parsed: Result<crate::exercise::Exercise, _> =
                crate::scenario::from_ron(text, path);
            if let Ok(e) = parsed.and_then(|e| {
                serde_json::to_value(e).map_err(|_| crate::scenario::ScenarioError::Io {
                    path: path.to_string(),
                    error: std::io::Error::other("serialize"),
                })
            }) {
                keep(&crate::exercise::exercise_schema(), &e);
            }
        } else if let Ok(s) = crate::scenario::load_with(Path::new(path), &mut shipped)
            && let Ok(v) = serde_json::to_value(&s)
        {
            keep(scenario_schema(), &v);
        }
    }
    out
}

/// Nothing worth showing as an example: `None`, `[]` or `""`.
fn blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(t) => t.is_empty(),
        _ => false,
    }
}

/// The reference as markdown: every part, every type reachable from it, every field.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    let ex = examples();
    // A type documented in an earlier part is linked, not repeated.
    let mut done = BTreeSet::new();
    for part in parts() {
        let _ = writeln!(out, "\n## {}\n\n{}\n", part.title, part.intro);
        render_types(
            &mut out,
            &part.schema,
            &root_name(&part.schema),
            &ex,
            &mut done,
        );
    }
    out
}

/// The reference of one section: a part (`overlay`), a top-level field of a scenario
/// (`dpi`) or a type (`DpiSpec`), with the types it uses.
pub fn section(name: &str) -> Option<String> {
    let ex = examples();
    let all = parts();
    if let Some(part) = all.iter().find(|p| p.key == name) {
        let mut out = format!("## {}\n\n{}\n\n", part.title, part.intro);
        render_types(
            &mut out,
            &part.schema,
            &root_name(&part.schema),
            &ex,
            &mut BTreeSet::new(),
        );
        return Some(out);
    }
    for part in &all {
        let start = if let Some(prop) = part.schema["properties"].get(name) {
            referenced(prop).into_iter().next().map(|t| (t, Some(name)))
        } else if part.schema["$defs"].get(name).is_some() {
            Some((name.to_string(), None))
        } else {
            None
        };
        if let Some((ty, field)) = start {
            let mut out = String::new();
            if let Some(f) = field {
                let prop = &part.schema["properties"][f];
                let _ = writeln!(
                    out,
                    "`{f}`: {} — {}\n",
                    type_of(prop),
                    one_line(prop.get("description"))
                );
            }
            render_types(&mut out, &part.schema, &ty, &ex, &mut BTreeSet::new());
            return Some(out);
        }
    }
    None
}

/// The names `faultline schema SECTION` accepts.
pub fn section_names() -> Vec<String> {
    let mut out: Vec<String> = parts().iter().map(|p| p.key.to_string()).collect();
    if let Some(props) = scenario_schema()["properties"].as_object() {
        out.extend(props.keys().cloned());
    }
    out
}

/// The JSON Schema of a part, pretty-printed (docs/schema/KEY.json).
pub fn json(key: &str) -> Option<String> {
    parts()
        .into_iter()
        .find(|p| p.key == key)
        .map(|p| serde_json::to_string_pretty(&p.schema).unwrap_or_default() + "\n")
}

/// Every type, field and enum variant without a description: `Type.field`.
pub fn undocumented() -> Vec<String> {
    let mut out = BTreeSet::new();
    for part in parts() {
        let root = root_name(&part.schema);
        let mut defs: Vec<(String, &Value)> = vec![(root, &part.schema)];
        if let Some(d) = part.schema["$defs"].as_object() {
            defs.extend(d.iter().map(|(k, v)| (k.clone(), v)));
        }
        for (name, def) in defs {
            if def.get("description").is_none() {
                out.insert(name.clone());
            }
            let view = View { root: &part.schema };
            for (field, prop) in fields(def) {
                if prop.get("description").is_none() {
                    out.insert(format!("{name}.{field}"));
                }
            }
            for (variant, b) in variants(view, def) {
                if b.get("description").is_none() {
                    out.insert(format!("{name}::{variant}"));
                }
                if let Some(inner) = b["properties"].get(&variant) {
                    for (field, prop) in fields(inner) {
                        if prop.get("description").is_none() {
                            out.insert(format!("{name}::{variant}.{field}"));
                        }
                    }
                }
            }
        }
    }
    out.into_iter().collect()
}

const HEADER: &str = "# Scenario reference

Generated from the file formats' types by `faultline schema --markdown` (do not edit:
`faultline schema --markdown > docs/scenario-reference.md`; a test fails when this file is
out of date). `faultline schema SECTION` prints one section (`faultline schema dpi`), and
docs/schema/*.json holds the same formats as JSON Schema for editors.

Reading the tables:

- Files are [RON](https://github.com/ron-rs/ron): a struct is `(field: value, …)`, a list
  `[a, b]`, a pair `(a, b)`, text in double quotes.
- An **optional** field is written `Some(value)` or `None` (`target_per_h: Some(3000.0)`);
  a field with a default may be left out.
- An enum value is written without quotes: `ReadOnly`, `Fixed(5.0)`,
  `LogNormal(mean: 10.0, cv: 0.5)`.
- **Range** is what loading accepts (with the unit): a number outside it is an error
  naming the field. Names may not be empty and no list may hold the same item twice.
- A **distribution** (`Dist`) field's unit and range apply to its values and means.
- **Example** is a value written in a shipped scenario where one writes the field.
";

fn root_name(schema: &Value) -> String {
    schema["title"].as_str().unwrap_or("root").to_string()
}

/// The top level in the order a scenario is usually written.
const SCENARIO_ORDER: &[&str] = &[
    "base",
    "name",
    "description",
    "seed",
    "duration_h",
    "tick_ms",
    "stations",
    "plcs",
    "profiles",
    "hmi",
    "operator",
    "schedule",
    "line",
    "cost",
    "network",
    "segmentation",
    "attacks",
    "dpi",
    "ids",
    "vendor",
    "health",
    "response",
    "attacker",
    "device_monitoring",
    "risk",
];

/// An enum's variants: (name, branch).
fn variants<'a>(view: View<'a>, def: &'a Value) -> Vec<(String, &'a Value)> {
    let Some(branches) = def["oneOf"].as_array() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for b in branches {
        let b = view.resolve(b).1;
        if let Some(names) = b["enum"].as_array() {
            out.extend(
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|n| (n.to_string(), b)),
            );
        } else if let Some(n) = b["const"].as_str() {
            out.push((n.to_string(), b));
        } else if let Some(props) = b["properties"].as_object() {
            out.extend(props.keys().map(|k| (k.clone(), b)));
        }
    }
    out
}

/// The definitions `s` names, directly or inside lists, options and pairs.
fn referenced(s: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = s["$ref"].as_str() {
        out.push(r.trim_start_matches("#/$defs/").to_string());
    }
    for key in ["anyOf", "oneOf", "prefixItems"] {
        if let Some(a) = s[key].as_array() {
            for x in a {
                out.extend(referenced(x));
            }
        }
    }
    if s.get("items").is_some() {
        out.extend(referenced(&s["items"]));
    }
    if let Some(props) = s["properties"].as_object() {
        for p in props.values() {
            out.extend(referenced(p));
        }
    }
    out
}

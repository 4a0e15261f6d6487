//! Rendering a schema's types as the reference's tables and RON examples.

use super::*;
use crate::scenario::schema::{View, number};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;

pub(super) fn def<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    if schema["title"].as_str() == Some(name) {
        Some(schema)
    } else {
        schema["$defs"].get(name)
    }
}

/// Properties of a struct schema: required first, then in the order written.
pub(super) fn fields(def: &Value) -> Vec<(String, &Value)> {
    let Some(props) = def["properties"].as_object() else {
        return Vec::new();
    };
    let required: BTreeSet<&str> = def["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let order = |k: &str| {
        SCENARIO_ORDER
            .iter()
            .position(|x| *x == k)
            .unwrap_or(usize::MAX)
    };
    let mut out: Vec<(String, &Value)> = props.iter().map(|(k, v)| (k.clone(), v)).collect();
    out.sort_by_key(|(k, _)| (!required.contains(k.as_str()), order(k), k.clone()));
    out
}

pub(super) fn anchor(name: &str) -> String {
    name.to_lowercase()
}

pub(super) fn type_of(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        let name = r.trim_start_matches("#/$defs/");
        return format!("[`{name}`](#{})", anchor(name));
    }
    if let Some(a) = s["anyOf"].as_array() {
        let inner: Vec<String> = a
            .iter()
            .filter(|b| b["type"] != "null")
            .map(type_of)
            .collect();
        return format!("optional {}", inner.join(" or "));
    }
    let types: Vec<&str> = match &s["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let optional = types.contains(&"null");
    let base = match types.iter().find(|t| **t != "null").copied() {
        Some("number") => "number".to_string(),
        Some("integer") => "integer".to_string(),
        Some("string") => "text".to_string(),
        Some("boolean") => "`true`/`false`".to_string(),
        Some("array") => {
            if let Some(each) = s.get("items") {
                format!("list of {}", type_of(each))
            } else if let Some(a) = s["prefixItems"].as_array() {
                let inner: Vec<String> = a.iter().map(type_of).collect();
                format!("({})", inner.join(", "))
            } else {
                "list".to_string()
            }
        }
        Some("object") => "struct".to_string(),
        _ => "value".to_string(),
    };
    if optional {
        format!("optional {base}")
    } else {
        base
    }
}

pub(super) fn range_of(s: &Value) -> String {
    let unit = s["x-unit"].as_str().unwrap_or("");
    let lo = s["minimum"].as_f64().or(s["x-minimum"].as_f64());
    let hi = s["maximum"].as_f64().or(s["x-maximum"].as_f64());
    let u = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    match (lo, hi) {
        (Some(lo), Some(hi)) => format!("{} to {}{u}", number(lo), number(hi)),
        (Some(lo), None) => format!("≥ {}{u}", number(lo)),
        _ if s["minLength"].as_u64().unwrap_or(0) > 0 => "not empty".to_string(),
        _ => unit.to_string(),
    }
}

pub(super) fn one_line(d: Option<&Value>) -> String {
    d.and_then(Value::as_str)
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A value written as RON, as a scenario would write it.
pub(super) fn ron(view: View, v: &Value, s: &Value) -> String {
    let s = view.resolve(s).1;
    if let Some(branches) = view.branches(s) {
        return match view.branch(v, branches) {
            Some(b) if !v.is_null() && branches.iter().any(|x| x["type"] == "null") => {
                format!("Some({})", ron(view, v, b))
            }
            Some(b) => ron(view, v, b),
            None => compact(v),
        };
    }
    let nullable = matches!(&s["type"], Value::Array(a) if a.iter().any(|t| t == "null"));
    let inner = match v {
        Value::Null => return "None".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            let float = matches!(&s["type"], Value::String(t) if t == "number")
                || matches!(&s["type"], Value::Array(a) if a.iter().any(|t| t == "number"));
            match n.as_f64() {
                Some(x) if float && x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.1}"),
                _ => n.to_string(),
            }
        }
        Value::String(t) => {
            if s.get("enum").is_some() || s.get("const").is_some() {
                t.clone()
            } else {
                format!("{t:?}")
            }
        }
        Value::Array(items) => {
            if let Some(each) = s.get("items") {
                let shown: Vec<String> = items.iter().take(2).map(|x| ron(view, x, each)).collect();
                let more = if items.len() > 2 { ", …" } else { "" };
                format!("[{}{more}]", shown.join(", "))
            } else {
                let subs = s["prefixItems"].as_array().cloned().unwrap_or_default();
                let shown: Vec<String> = items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| ron(view, x, subs.get(i).unwrap_or(&Value::Null)))
                    .collect();
                format!("({})", shown.join(", "))
            }
        }
        Value::Object(o) => {
            let props = &s["properties"];
            if view.is_variant(s) {
                let (k, inner) = o
                    .iter()
                    .next()
                    .map(|(k, x)| (k.as_str(), x))
                    .unwrap_or(("", v));
                let sub = view.resolve(&props[k]).1;
                match inner {
                    Value::Object(_) | Value::Array(_) => {
                        let body = ron(view, inner, sub);
                        let body = body
                            .strip_prefix('(')
                            .and_then(|b| b.strip_suffix(')'))
                            .map(str::to_string)
                            .unwrap_or(body);
                        format!("{k}({body})")
                    }
                    _ => format!("{k}({})", ron(view, inner, sub)),
                }
            } else {
                let shown: Vec<String> = fields(s)
                    .into_iter()
                    .filter_map(|(k, sub)| o.get(&k).map(|x| format!("{k}: {}", ron(view, x, sub))))
                    .collect();
                format!("({})", shown.join(", "))
            }
        }
    };
    if nullable {
        format!("Some({inner})")
    } else {
        inner
    }
}

pub(super) fn compact(v: &Value) -> String {
    v.to_string()
}

pub(super) fn cut(text: String, width: usize) -> String {
    if text.chars().count() <= width {
        text
    } else {
        let mut t: String = text.chars().take(width - 1).collect();
        t.push('…');
        t
    }
}

pub(super) fn render_types(
    out: &mut String,
    schema: &Value,
    start: &str,
    ex: &BTreeMap<(String, String), Value>,
    done: &mut BTreeSet<String>,
) {
    let view = View { root: schema };
    let mut queue = VecDeque::from([start.to_string()]);
    while let Some(name) = queue.pop_front() {
        if !done.insert(name.clone()) {
            continue;
        }
        let Some(d) = def(schema, &name) else {
            continue;
        };
        let _ = writeln!(
            out,
            "### `{name}`\n\n{}\n",
            d["description"].as_str().unwrap_or("").trim()
        );
        let fs = fields(d);
        if !fs.is_empty() {
            field_table(out, view, &name, &fs, ex);
            for (_, p) in &fs {
                queue.extend(referenced(p));
            }
        }
        let vs = variants(view, d);
        if !vs.is_empty() {
            out.push_str("One of:\n\n| Variant | Written | Description |\n|---|---|---|\n");
            for (v, b) in &vs {
                let inner = &b["properties"][v.as_str()];
                let written = if inner.is_null() {
                    format!("`{v}`")
                } else if inner["properties"].is_object() {
                    let names: Vec<String> = fields(inner)
                        .into_iter()
                        .map(|(k, _)| format!("{k}: …"))
                        .collect();
                    format!("`{v}({})`", names.join(", "))
                } else if let Some(a) = inner["prefixItems"].as_array() {
                    let names: Vec<String> =
                        a.iter().map(|x| type_of(x).replace('`', "")).collect();
                    format!("`{v}({})`", names.join(", "))
                } else {
                    format!("`{v}({})`", type_of(inner).replace('`', ""))
                };
                let range = range_of(inner);
                let range = if range.is_empty() {
                    String::new()
                } else {
                    format!(" ({range})")
                };
                let _ = writeln!(
                    out,
                    "| `{v}` | {written} | {}{range} |",
                    one_line(b.get("description"))
                );
            }
            out.push('\n');
            for (v, b) in &vs {
                let inner = &b["properties"][v.as_str()];
                let fs = fields(inner);
                if !fs.is_empty() {
                    let _ = writeln!(out, "Fields of `{name}::{v}`:\n");
                    field_table(out, view, &format!("{name}::{v}"), &fs, ex);
                }
                queue.extend(referenced(inner));
            }
        }
    }
}

pub(super) fn field_table(
    out: &mut String,
    view: View,
    owner: &str,
    fs: &[(String, &Value)],
    ex: &BTreeMap<(String, String), Value>,
) {
    out.push_str("| Field | Type | Default | Range | Description | Example |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for (k, p) in fs {
        let default = match p.get("default") {
            Some(d) => format!("`{}`", ron(view, d, p)),
            None => "required".to_string(),
        };
        let example = example(view, owner, k, p, ex);
        let _ = writeln!(
            out,
            "| `{k}` | {} | {default} | {} | {} | {example} |",
            type_of(p),
            range_of(p),
            one_line(p.get("description")),
        );
    }
    out.push('\n');
}

pub(super) fn example(
    view: View,
    owner: &str,
    field: &str,
    p: &Value,
    ex: &BTreeMap<(String, String), Value>,
) -> String {
    if let Some((_, _, w)) = WRITTEN.iter().find(|(o, f, _)| *o == owner && *f == field) {
        return format!("`{field}: {w}`");
    }
    let owners = [
        owner,
        if owner == "Overlay" {
            "Scenario"
        } else {
            owner
        },
    ];
    for o in owners {
        if let Some(v) = ex.get(&(o.to_string(), field.to_string())) {
            return format!("`{}`", cut(format!("{field}: {}", ron(view, v, p)), 90))
                .replace('|', "\\|");
        }
    }
    String::new()
}

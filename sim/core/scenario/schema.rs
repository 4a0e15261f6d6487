//! The scenario's schema: JSON Schema generated from the scenario types and their doc
//! comments, annotated with each number's unit and allowed range, every name's
//! non-emptiness and every list's uniqueness. The same annotated schema is shipped for
//! editors (docs/scenario.schema.json), rendered as the reference
//! (docs/scenario-reference.md) and enforced by validation ([`value_problems`]), so what
//! the reference promises is what loading checks.

use super::{Problem, Scenario};
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// One year in hours (a leap year): no duration in a scenario is longer.
const YEAR_H: f64 = 8_784.0;

/// The unit and the plausible range of a number, by the field that holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub label: &'static str,
    pub min: f64,
    pub max: f64,
}

const fn unit(label: &'static str, min: f64, max: f64) -> Unit {
    Unit { label, min, max }
}

/// Fields whose unit their name does not tell, by (type, field).
const NAMED: &[(&str, &str, Unit)] = &[
    (
        "CostModel",
        "downtime_per_h",
        unit("currency per hour", 0.0, 1e9),
    ),
    ("CostModel", "scrap_per_unit", unit("currency", 0.0, 1e9)),
    (
        "CostModel",
        "incident_recovery_per_step",
        unit("currency", 0.0, 1e9),
    ),
    (
        "CostModel",
        "incident_triage_per_step",
        unit("currency", 0.0, 1e9),
    ),
    (
        "CostModel",
        "per_false_positive",
        unit("currency", 0.0, 1e9),
    ),
    (
        "IncidentFees",
        "succeeded_with_effect",
        unit("currency", 0.0, 1e9),
    ),
    (
        "IncidentFees",
        "succeeded_without_effect",
        unit("currency", 0.0, 1e9),
    ),
    ("IncidentFees", "detected", unit("currency", 0.0, 1e9)),
    ("IncidentFees", "blocked", unit("currency", 0.0, 1e9)),
    ("OutOfBandCosts", "test_per_lot", unit("currency", 0.0, 1e9)),
    (
        "OutOfBandCosts",
        "recall_per_unit",
        unit("currency", 0.0, 1e9),
    ),
    (
        "OutOfBandCosts",
        "recall_fixed",
        unit("currency", 0.0, 1e10),
    ),
    ("OutOfBandCosts", "regulatory", unit("currency", 0.0, 1e10)),
    ("Disposition", "pass_rate", unit("fraction", 0.0, 1.0)),
    ("Disposition", "yield_rate", unit("fraction", 0.0, 1.0)),
    ("Disposition", "per_unit", unit("currency", 0.0, 1e9)),
    ("ControlPrice", "purchase", unit("currency", 0.0, 1e10)),
    (
        "ControlPrice",
        "running_per_year",
        unit("currency per year", 0.0, 1e10),
    ),
    (
        "RiskSpec",
        "campaigns_per_year",
        unit("campaigns per year", 0.0, 1_000.0),
    ),
    (
        "RiskSpec",
        "operating_days",
        unit("days per year", 0.0, 366.0),
    ),
    ("PidSpec", "kp", unit("% output per °C", 0.0, 10_000.0)),
    (
        "IdsSpec",
        "rate_spike_factor",
        unit("× the learned peak", 0.0, 1_000.0),
    ),
    ("StationSpec", "buffer", unit("units", 0.0, 1e6)),
    ("StationSpec", "yield", unit("fraction", 0.0, 1.0)),
    ("WatchdogSpec", "overload_scans", unit("scans", 0.0, 1e6)),
    ("HmiSpec", "slow_poll_every", unit("polls", 1.0, 1e6)),
    ("Scenario", "tick_ms", unit("ms", 1.0, 1_000.0)),
    ("LineSpec", "target_per_h", unit("units per hour", 0.0, 1e7)),
    ("ThermalSpec", "product_bands", unit("°C", -100.0, 1_000.0)),
    ("ThermalSpec", "gain_c", unit("°C", -1_000.0, 1_000.0)),
    ("ThermalSpec", "load_c", unit("°C", -1_000.0, 1_000.0)),
    (
        "PolicyRule",
        "rate_limit",
        unit("requests per second, burst", 0.0, 1e5),
    ),
    ("Setpoint", "Speed", unit("% of nominal speed", 0.0, 200.0)),
    ("Setpoint", "Temperature", unit("°C", -100.0, 1_000.0)),
    ("Dist", "shape", unit("", 0.0, 100.0)),
    ("Dist", "cv", unit("", 0.0, 10.0)),
    ("LogNormal", "cv", unit("", 0.0, 10.0)),
    ("Inject", "at_h", unit("h", 0.0, YEAR_H)),
    ("Exercise", "hours", unit("h", 0.0, YEAR_H)),
    ("Act", "StopLine", unit("h", 0.0, YEAR_H)),
    ("Act", "RefuseVendor", unit("h", 0.0, YEAR_H)),
    ("Act", "VendorGateway", unit("min", 0.0, YEAR_H * 60.0)),
    ("Act", "RescheduleSteps", unit("h", 0.0, YEAR_H)),
];

/// Units by the end of a field's name, longest first.
const SUFFIXES: &[(&str, Unit)] = &[
    ("_per_h", unit("per hour", 0.0, 1e7)),
    ("_per_s", unit("per second", 0.0, 1e5)),
    ("_per_day", unit("per day", 0.0, 1e5)),
    ("_probability", unit("probability", 0.0, 1.0)),
    ("_years", unit("years", 0.0, 100.0)),
    ("_cv", unit("coefficient of variation", 0.0, 10.0)),
    ("_ms", unit("ms", 0.0, 3_600_000.0)),
    ("_min", unit("min", 0.0, YEAR_H * 60.0)),
    ("_s", unit("s", 0.0, YEAR_H * 3_600.0)),
    ("_h", unit("h", 0.0, YEAR_H)),
    ("_c", unit("°C", -100.0, 1_000.0)),
];

/// Text fields that may be left empty.
const MAY_BE_EMPTY: &[&str] = &["description", "modelled_on", "guide"];

/// The unit of `field` in type `owner`, where it has one.
pub fn unit_of(owner: &str, field: &str) -> Option<Unit> {
    NAMED
        .iter()
        .find(|(o, f, _)| *o == owner && *f == field)
        .map(|(_, _, u)| *u)
        .or_else(|| {
            SUFFIXES
                .iter()
                .find(|(s, _)| field.ends_with(s))
                .map(|(_, u)| *u)
        })
}

/// The annotated schema of a scenario file.
pub fn scenario_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| annotated(schemars::schema_for!(Scenario)))
}

/// A generated schema with units, ranges, non-empty names and unique list items added.
pub fn annotated(schema: schemars::Schema) -> Value {
    let mut root = schema.to_value();
    let title = root
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    annotate(&mut root, &title);
    if let Some(Value::Object(defs)) = root.get_mut("$defs") {
        for (name, def) in defs.iter_mut() {
            annotate(def, name);
        }
    }
    root
}

fn annotate(node: &mut Value, owner: &str) {
    let Some(obj) = node.as_object_mut() else {
        return;
    };
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = obj.get_mut(key) {
            for b in branches {
                annotate(b, owner);
            }
        }
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (field, prop) in props.iter_mut() {
            annotate_field(prop, owner, field);
            // A struct variant's fields belong to the enum (`AttackStep`'s `rate_per_s`).
            annotate(prop, owner);
        }
    }
}

fn annotate_field(prop: &mut Value, owner: &str, field: &str) {
    let Some(p) = prop.as_object_mut() else {
        return;
    };
    if let Some(u) = unit_of(owner, field) {
        p.insert("x-unit".into(), u.label.into());
        p.insert("x-minimum".into(), u.min.into());
        p.insert("x-maximum".into(), u.max.into());
        if has_type(p, "number") || has_type(p, "integer") {
            let lo = p.get("minimum").and_then(Value::as_f64).unwrap_or(u.min);
            let hi = p.get("maximum").and_then(Value::as_f64).unwrap_or(u.max);
            p.insert("minimum".into(), lo.max(u.min).into());
            p.insert("maximum".into(), hi.min(u.max).into());
        }
    }
    if !MAY_BE_EMPTY.contains(&field) {
        non_empty_strings(p);
    }
    if has_type(p, "array") && p.contains_key("items") {
        p.insert("uniqueItems".into(), true.into());
    }
}

fn non_empty_strings(p: &mut Map<String, Value>) {
    if has_type(p, "string") {
        p.insert("minLength".into(), 1.into());
    }
    if let Some(Value::Object(items)) = p.get_mut("items") {
        non_empty_strings(items);
    }
    if let Some(Value::Array(items)) = p.get_mut("prefixItems") {
        for i in items {
            if let Some(o) = i.as_object_mut() {
                non_empty_strings(o);
            }
        }
    }
}

fn has_type(p: &Map<String, Value>, t: &str) -> bool {
    match p.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(a)) => a.iter().any(|x| x == t),
        _ => false,
    }
}

/// Every departure of `value` (a file's contents, as serde sees them) from the annotated
/// `schema`: numbers outside their range (with the unit), numbers that are not finite,
/// empty names, repeated list items. Each placed by its field path.
pub fn value_problems(value: &Value, schema: &Value) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen = |_: &str, _: &str, _: &Value| {};
    Walk {
        view: View { root: schema },
        out: &mut out,
        seen: &mut seen,
    }
    .walk(value, schema, "", title(schema), None);
    out
}

/// Calls `seen(type, field, value)` for every field written in `value`, with the name of
/// the type (the schema definition) that holds it: where the reference finds examples.
pub fn visit_fields(value: &Value, schema: &Value, seen: &mut dyn FnMut(&str, &str, &Value)) {
    let mut out = Vec::new();
    Walk {
        view: View { root: schema },
        out: &mut out,
        seen,
    }
    .walk(value, schema, "", title(schema), None);
}

fn title(schema: &Value) -> &str {
    schema.get("title").and_then(Value::as_str).unwrap_or("")
}

/// The scenario's departures from its schema.
pub(crate) fn scenario_problems(s: &Scenario) -> Vec<Problem> {
    match serde_json::to_value(s) {
        Ok(v) => value_problems(&v, scenario_schema()),
        Err(e) => vec![Problem {
            field: String::new(),
            message: format!("cannot be checked against the schema: {e}"),
        }],
    }
}

/// Reading a generated schema: its definitions and the branch of an enum a value takes.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub root: &'a Value,
}

impl<'a> View<'a> {
    /// The definition a `$ref` names (with its name), or the schema itself.
    pub fn resolve(&self, s: &'a Value) -> (Option<&'a str>, &'a Value) {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => match r
                .strip_prefix("#/$defs/")
                .and_then(|name| Some((name, self.root.get("$defs")?.get(name)?)))
            {
                Some((name, def)) => (Some(name), def),
                None => (None, s),
            },
            None => (None, s),
        }
    }

    /// The branches of an enum or an option (`oneOf`/`anyOf`), if `s` is one.
    pub fn branches(&self, s: &'a Value) -> Option<&'a [Value]> {
        s.get("oneOf")
            .or_else(|| s.get("anyOf"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
    }

    /// The branch of an enum or option that `v` takes.
    pub fn branch(&self, v: &Value, branches: &'a [Value]) -> Option<&'a Value> {
        let pick = |pred: &dyn Fn(&Value) -> bool| -> Option<&'a Value> {
            branches.iter().find(|b| pred(self.resolve(b).1))
        };
        match v {
            Value::Null => pick(&|b| has_type_value(b, "null")),
            Value::String(name) => pick(&|b| {
                b.get("const") == Some(v)
                    || b.get("enum")
                        .and_then(Value::as_array)
                        .is_some_and(|e| e.iter().any(|x| x.as_str() == Some(name)))
            })
            .or_else(|| pick(&|b| has_type_value(b, "string"))),
            Value::Object(o) if o.len() == 1 => {
                let key = o.keys().next().map(String::as_str).unwrap_or("");
                pick(&|b| b.get("properties").is_some_and(|p| p.get(key).is_some()))
                    .or_else(|| pick(&|b| !has_type_value(b, "null")))
            }
            _ => pick(&|b| !has_type_value(b, "null")),
        }
    }

    /// Whether `s` (resolved) is an enum variant object: `{"Flood": {…}}`.
    pub fn is_variant(&self, s: &Value) -> bool {
        let props = s.get("properties").and_then(Value::as_object);
        let required = s.get("required").and_then(Value::as_array);
        match (props, required) {
            (Some(p), Some(r)) => {
                p.len() == 1
                    && r.len() == 1
                    && p.keys()
                        .all(|k| k.starts_with(|c: char| c.is_ascii_uppercase()))
            }
            _ => false,
        }
    }
}

struct Walk<'a, 'f> {
    view: View<'a>,
    out: &'f mut Vec<Problem>,
    seen: &'f mut dyn FnMut(&str, &str, &Value),
}

/// Bounds an enclosing field puts on the numbers inside it (a distribution's parameters,
/// a tuple's members): unit, min, max.
type Bounds<'a> = Option<(&'a str, f64, f64)>;

impl<'a> Walk<'a, '_> {
    fn fail(&mut self, path: &str, message: String) {
        self.out.push(Problem {
            field: path.to_string(),
            message,
        });
    }

    fn walk(&mut self, v: &Value, s: &'a Value, path: &str, owner: &str, bounds: Bounds<'a>) {
        let bounds = match (
            s.get("x-minimum").and_then(Value::as_f64),
            s.get("x-maximum").and_then(Value::as_f64),
        ) {
            (Some(lo), Some(hi)) => Some((
                s.get("x-unit").and_then(Value::as_str).unwrap_or(""),
                lo,
                hi,
            )),
            _ => bounds,
        };
        let (name, s) = self.view.resolve(s);
        let owner = name.unwrap_or(owner);
        if let Some(branches) = self.view.branches(s) {
            if let Some(b) = self.view.branch(v, branches) {
                self.walk(v, b, path, owner, bounds);
            }
            return;
        }
        match v {
            Value::Null => {
                let nullable = s.get("type").is_none() || has_type_value(s, "null");
                if !nullable && (has_type_value(s, "number") || has_type_value(s, "integer")) {
                    self.fail(path, "must be a finite number".into());
                }
            }
            Value::Number(n) => self.number(n.as_f64().unwrap_or(f64::NAN), s, path, bounds),
            Value::String(text) => {
                if s.get("minLength").and_then(Value::as_u64).unwrap_or(0) > 0
                    && text.trim().is_empty()
                {
                    self.fail(path, "must not be empty".into());
                }
            }
            Value::Array(items) => {
                if let Some(each) = s.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item, each, &format!("{path}[{i}]"), owner, bounds);
                    }
                    if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                        // Each item's first place by its JSON text (equal values, equal
                        // text): one pass, for a list of 10,000 PLCs as for one of 8.
                        let mut first: std::collections::BTreeMap<String, usize> =
                            std::collections::BTreeMap::new();
                        for (i, item) in items.iter().enumerate() {
                            let j = *first.entry(item.to_string()).or_insert(i);
                            if j < i {
                                self.fail(
                                    &format!("{path}[{i}]"),
                                    format!("repeats {path}[{j}]: remove one of them"),
                                );
                            }
                        }
                    }
                } else if let Some(Value::Array(each)) = s.get("prefixItems") {
                    for (i, (item, sub)) in items.iter().zip(each).enumerate() {
                        self.walk(item, sub, &format!("{path}[{i}]"), owner, bounds);
                    }
                }
            }
            Value::Object(fields) => {
                let props = s.get("properties").and_then(Value::as_object);
                // An enum variant (`{"Flood": {…}}`) keeps its holder's path.
                let variant = self.view.is_variant(s);
                for (k, item) in fields {
                    let Some(sub) = props.and_then(|p| p.get(k)) else {
                        continue;
                    };
                    let sub_path = if variant {
                        path.to_string()
                    } else if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    (self.seen)(owner, k, item);
                    // A variant's fields are the variant's (`AttackStep::Flood`).
                    let inner = if variant {
                        format!("{owner}::{k}")
                    } else {
                        owner.to_string()
                    };
                    self.walk(item, sub, &sub_path, &inner, bounds);
                }
            }
            Value::Bool(_) => {}
        }
    }

    fn number(&mut self, x: f64, s: &Value, path: &str, bounds: Bounds<'_>) {
        let (unit, mut lo, mut hi) = bounds.unwrap_or(("", f64::MIN, f64::MAX));
        if let Some(m) = s.get("minimum").and_then(Value::as_f64) {
            lo = lo.max(m);
        }
        if let Some(m) = s.get("maximum").and_then(Value::as_f64) {
            hi = hi.min(m);
        }
        let unit = s.get("x-unit").and_then(Value::as_str).unwrap_or(unit);
        if !(x >= lo && x <= hi) {
            let u = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            self.fail(
                path,
                format!(
                    "{}{u} is out of range: allowed {} to {}{u}",
                    number(x),
                    number(lo),
                    number(hi)
                ),
            );
        }
    }
}

fn has_type_value(s: &Value, t: &str) -> bool {
    s.as_object().is_some_and(|o| has_type(o, t))
}

/// A number as a reader wants it: plain when it is, in exponent form when it is huge.
pub fn number(x: f64) -> String {
    if x.is_finite() && x.abs() >= 1e9 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

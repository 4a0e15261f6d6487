//! Scenario errors: syntax errors at file:line:col with the line and a hint, problems at their field path.

use super::*;

/// One semantic problem, placed by field path.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub enum ScenarioError {
    Io {
        path: String,
        error: std::io::Error,
    },
    Syntax {
        path: String,
        line: usize,
        col: usize,
        message: String,
        excerpt: String,
    },
    Invalid {
        path: String,
        problems: Vec<Problem>,
    },
}

impl std::error::Error for ScenarioError {}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioError::Io { path, error } => write!(f, "{path}: cannot read: {error}"),
            ScenarioError::Syntax {
                path,
                line,
                col,
                message,
                excerpt,
            } => {
                writeln!(f, "{path}:{line}:{col}: {message}")?;
                let gutter = format!("{line}").len();
                writeln!(f, "{:gutter$} |", "")?;
                writeln!(f, "{line} | {excerpt}")?;
                write!(f, "{:gutter$} | {:>col$}", "", "^")?;
                if let Some(hint) = syntax_hint_at(message, excerpt, *col) {
                    write!(f, "\nhint: {hint}")?;
                }
                Ok(())
            }
            ScenarioError::Invalid { path, problems } => {
                write!(
                    f,
                    "{path}: {} problem{}:",
                    problems.len(),
                    if problems.len() == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n  {}: {}", p.field, p.message)?;
                }
                Ok(())
            }
        }
    }
}

/// A hint in the scenario's words, using what stands at the error's column: an optional
/// field given a bare value, an enum value written as a string.
pub(crate) fn syntax_hint_at(message: &str, excerpt: &str, col: usize) -> Option<String> {
    let at: String = excerpt.chars().skip(col.saturating_sub(1)).collect();
    let value: String = at
        .trim_start()
        .chars()
        .take_while(|c| !matches!(c, ',' | ')' | ']') && !c.is_whitespace())
        .collect();
    if message.contains("Expected option") {
        let v = if value.is_empty() {
            "…"
        } else {
            value.as_str()
        };
        return Some(format!(
            "this field is optional: write Some({v}) (or None for none)"
        ));
    }
    if message.contains("Expected identifier")
        && let Some(quoted) = at.trim_start().strip_prefix('"')
        && let Some(name) = quoted.split('"').next()
    {
        let before: String = excerpt.chars().take(col.saturating_sub(1)).collect();
        let field = before
            .trim_end()
            .strip_suffix(':')
            .map(|b| {
                b.trim_end()
                    .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_default();
        let choices = match enum_choices(&field, name) {
            Some(v) => format!(" (one of {})", v.join(", ")),
            None => String::new(),
        };
        return Some(format!(
            "write {name} without quotes{choices}: a choice among named values (an enum) is a name, not a string"
        ));
    }
    syntax_hint(message).map(String::from)
}

/// The values of the enum a field takes (by the field's name), or of the enum that has a
/// value named `name`, from the scenario's schema.
fn enum_choices(field: &str, name: &str) -> Option<Vec<String>> {
    let schema = crate::scenario::schema::scenario_schema();
    let defs = schema.get("$defs")?.as_object()?;
    let values = |def: &serde_json::Value| -> Vec<String> {
        def.get("oneOf")
            .and_then(|b| b.as_array())
            .map(|branches| {
                branches
                    .iter()
                    .flat_map(|b| {
                        let mut names: Vec<String> = Vec::new();
                        if let Some(e) = b.get("enum").and_then(|e| e.as_array()) {
                            names.extend(e.iter().filter_map(|x| x.as_str().map(String::from)));
                        }
                        if let Some(c) = b.get("const").and_then(|c| c.as_str()) {
                            names.push(c.to_string());
                        }
                        if let Some(p) = b.get("properties").and_then(|p| p.as_object()) {
                            names.extend(p.keys().cloned());
                        }
                        names
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let by_field = defs.values().find_map(|d| {
        let r = d.get("properties")?.get(field)?.get("$ref")?.as_str()?;
        let v = values(defs.get(r.trim_start_matches("#/$defs/"))?);
        (!v.is_empty()).then_some(v)
    });
    by_field.or_else(|| {
        defs.values()
            .map(values)
            .find(|v| v.iter().any(|x| x == name))
    })
}

pub(crate) fn syntax_hint(message: &str) -> Option<&'static str> {
    if message.contains("untagged enum Quantity") {
        Some(
            "write a number (8.0) or a distribution: Fixed(v), Exponential(mean), \
             Weibull(mean: m, shape: k), LogNormal(mean: m, cv: c), Uniform(a, b) or \
             Pert(min: a, likely: m, max: b) (`faultline schema Dist`)",
        )
    } else if message.contains("Unexpected field")
        || message.contains("no such field")
        || message.contains("NoSuchStructField")
    {
        Some(
            "check the spelling against docs/scenario-reference.md (or `faultline schema SECTION`); unknown fields are rejected",
        )
    } else if message.contains("missing") || message.contains("Missing") {
        Some(
            "every required field must be present; see scenarios/minimal.ron for a complete example",
        )
    } else if message.contains("Expected") || message.contains("expected") {
        Some(
            "RON uses `name: value,` inside `( … )`, lists in `[ … ]` and strings in double quotes",
        )
    } else {
        None
    }
}

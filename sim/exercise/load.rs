//! Reading an exercise file and its scenario, every problem at its field.

use super::*;
use crate::scenario::{Problem, Scenario, ScenarioError};
use std::path::{Path, PathBuf};

/// An exercise with its scenario loaded.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub exercise: Exercise,
    pub scenario: Scenario,
}

impl Loaded {
    /// The decision points: (inject index, decision).
    pub fn points(&self) -> Vec<(usize, &Decision)> {
        self.exercise
            .injects
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.decision.as_ref().map(|d| (i, d)))
            .collect()
    }
}

/// Load and check an exercise: syntax errors at file:line:col, every other problem at its
/// field path, and the scenario's own errors at its own place.
pub fn load(path: &Path) -> Result<Loaded, ScenarioError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| ScenarioError::Io {
        path: shown.clone(),
        error,
    })?;
    let exercise: Exercise = crate::scenario::from_ron(&text, &shown)?;
    let scenario_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&exercise.scenario);
    let mut scenario = crate::scenario::load(&scenario_path).map_err(|e| match e {
        ScenarioError::Io { error, .. } => ScenarioError::Invalid {
            path: shown.clone(),
            problems: vec![Problem {
                field: "scenario".into(),
                message: format!(
                    "cannot read {}: {error} (a path relative to the exercise's folder)",
                    scenario_path.display()
                ),
            }],
        },
        other => other,
    })?;
    if let Some(seed) = exercise.seed {
        scenario.seed = seed;
    }
    if let Some(h) = exercise.hours {
        scenario.duration_h = h;
        scenario.schedule.retain(|e| e.at_h <= h);
    }
    let problems = validate(&exercise, &scenario, path);
    if !problems.is_empty() {
        return Err(ScenarioError::Invalid {
            path: shown,
            problems,
        });
    }
    Ok(Loaded {
        path: path.to_path_buf(),
        exercise,
        scenario,
    })
}

pub(super) fn validate(e: &Exercise, s: &Scenario, path: &Path) -> Vec<Problem> {
    let mut p = Vec::new();
    let mut fail = |field: String, message: String| p.push(Problem { field, message });
    if e.name.trim().is_empty() {
        fail("name".into(), "must not be empty".into());
    }
    if !e.guide.is_empty() {
        let g = path.parent().unwrap_or(Path::new(".")).join(&e.guide);
        if !g.is_file() {
            fail(
                "guide".into(),
                format!(
                    "{} does not exist (a path relative to the exercise)",
                    g.display()
                ),
            );
        }
    }
    if let Some(h) = e.hours
        && !(h.is_finite() && h > 0.0 && h <= 24.0 * 366.0)
    {
        fail("hours".into(), format!("{h} must be in (0, 8784]"));
    }
    if e.roles.is_empty() {
        fail(
            "roles".into(),
            "needs at least one role at the table".into(),
        );
    }
    let roles: Vec<&str> = e.roles.iter().map(|r| r.name.as_str()).collect();
    for (i, r) in e.roles.iter().enumerate() {
        if let Some(j) = roles[..i].iter().position(|n| *n == r.name) {
            fail(
                format!("roles[{i}].name"),
                format!("\"{}\" is already the name of roles[{j}]", r.name),
            );
        }
    }
    let known_role = |name: &str| roles.contains(&name);
    let mut last = 0.0;
    let mut points = 0;
    for (i, j) in e.injects.iter().enumerate() {
        let at = format!("injects[{i}]");
        for problem in template::check(&j.text, s) {
            fail(format!("{at}.text"), problem);
        }
        for (k, q) in j.questions.iter().enumerate() {
            for (n, tag) in q.serves.iter().enumerate() {
                if let Some(problem) = objective_problem(e, q.side, tag) {
                    fail(format!("{at}.questions[{k}].serves[{n}]"), problem);
                }
            }
        }
        if let Some(when) = &j.when {
            for problem in when.problems(i, e, s) {
                fail(format!("{at}.when"), problem);
            }
        }
        if !(j.at_h.is_finite() && j.at_h >= 0.0 && j.at_h < s.duration_h) {
            fail(
                format!("{at}.at_h"),
                format!(
                    "{} must be within the run (0 ≤ at_h < {} h)",
                    j.at_h, s.duration_h
                ),
            );
        }
        if j.at_h < last {
            fail(
                format!("{at}.at_h"),
                format!(
                    "{} is before the previous inject ({last} h): keep injects in time order",
                    j.at_h
                ),
            );
        }
        last = j.at_h;
        for (k, r) in j.to.iter().enumerate() {
            if !known_role(r) {
                fail(
                    format!("{at}.to[{k}]"),
                    format!("no role named \"{r}\"; roles: {}", roles.join(", ")),
                );
            }
        }
        let Some(d) = &j.decision else { continue };
        points += 1;
        check_decision(&at, d, &roles, s, &mut fail);
    }
    if points == 0 {
        fail(
            "injects".into(),
            "no inject has a decision: an exercise needs at least one decision point".into(),
        );
    }
    // Units, ranges, empty names and repeated items, as the reference states them (where
    // a check above has not placed the field already).
    let schema = serde_json::to_value(e)
        .map(|v| crate::scenario::schema::value_problems(&v, &exercise_schema()))
        .unwrap_or_default();
    for extra in schema {
        if !p.iter().any(|q| q.field == extra.field) {
            p.push(extra);
        }
    }
    p
}

/// A decision point: asked of a known role, at least two options with one-word keys of
/// their own and actions the scenario can carry out, and a default among them.
fn check_decision(
    at: &str,
    d: &Decision,
    roles: &[&str],
    s: &Scenario,
    fail: &mut impl FnMut(String, String),
) {
    if !roles.contains(&d.asked.as_str()) {
        fail(
            format!("{at}.decision.asked"),
            format!("no role named \"{}\"; roles: {}", d.asked, roles.join(", ")),
        );
    }
    if d.options.len() < 2 {
        fail(
            format!("{at}.decision.options"),
            "a decision needs at least two options".into(),
        );
    }
    let keys: Vec<&str> = d.options.iter().map(|o| o.key.as_str()).collect();
    for (k, o) in d.options.iter().enumerate() {
        let here = format!("{at}.decision.options[{k}]");
        if o.key.trim().is_empty() || o.key.contains(char::is_whitespace) {
            fail(
                format!("{here}.key"),
                "must be one word (it is typed at the prompt and kept in the log)".into(),
            );
        }
        if let Some(m) = keys[..k].iter().position(|x| *x == o.key) {
            fail(
                format!("{here}.key"),
                format!("\"{}\" is already the key of options[{m}]", o.key),
            );
        }
        for (a, act) in o.actions.iter().enumerate() {
            if let Some(m) = act.check(s) {
                fail(format!("{here}.actions[{a}]"), m);
            }
        }
    }
    if !keys.contains(&d.default.as_str()) {
        fail(
            format!("{at}.decision.default"),
            format!("no option \"{}\"; options: {}", d.default, keys.join(", ")),
        );
    }
}

/// Why `tag` names no objective a question put to `side` can serve (none when it does).
fn objective_problem(e: &Exercise, side: Side, tag: &str) -> Option<String> {
    let (name, n) = tag.split_once(' ').unwrap_or((tag, ""));
    let (of, list) = match name {
        "IT" => (Side::IT, &e.objectives.it),
        "OT" => (Side::OT, &e.objectives.ot),
        _ => {
            return Some(format!(
                "\"{tag}\" is not an objective: write \"IT 1\", \"OT 2\", … (the side and the objective's place)"
            ));
        }
    };
    if side != Side::All && side != of {
        return Some(format!(
            "\"{tag}\" is the {name} side's objective, and the question is put to {}",
            super::format::side_label(side)
        ));
    }
    match n.parse::<usize>() {
        Ok(k) if (1..=list.len()).contains(&k) => None,
        _ => Some(format!(
            "\"{tag}\": the {name} side has {} objective(s), numbered from 1",
            list.len()
        )),
    }
}

//! Tabletop exercises with computed consequences.
//!
//! An exercise file (RON, `scenarios/exercises/`) names a scenario, the roles at the table,
//! injects at simulated times and decision points whose options are actions in the twin.
//! [`play`] runs the twin to each inject, asks a [`Chooser`] at each decision, applies the
//! chosen actions and goes on; the decisions are the session's input log, so the same
//! decisions give the same bytes. [`compare`] runs, from each decision point, every option
//! to the end with the same seed: the road not taken.

pub use faultline_core::act;
pub mod pack;
pub mod prompt;
pub mod report;
pub mod template;

use crate::metrics::EventKind;
use crate::report::Summary;
use crate::scenario::{Problem, Scenario, ScenarioError};
use crate::world::{Recording, World};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub use act::Act;

/// What can stop an exercise from being played.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// Recorded decisions that do not fit the exercise (no choice for a point, an option
    /// it does not have).
    #[error("{0}")]
    Decisions(String),
    /// The terminal prompt could not be read, or was closed.
    #[error("the prompt: {0}")]
    Prompt(String),
}

/// Which side of the house a role, a question or an objective belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Side {
    /// Information technology: the network, the hosts, the SOC.
    IT,
    /// Operations technology: the line, the PLCs, the HMI, the shift.
    OT,
    /// Management, or everyone at the table.
    All,
}

/// A person at the table.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// The role's name (unique), as decisions and injects name it.
    pub name: String,
    /// The side the role sits on.
    pub side: Side,
    /// What this person knows and cares about, read out at the start.
    #[serde(default)]
    pub brief: String,
}

/// What each side should practise, as the after-action report scores it.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Objectives {
    /// IT's objectives.
    pub it: Vec<String>,
    /// OT's objectives.
    pub ot: Vec<String>,
}

/// What kind of inject it is (how the facilitator presents it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum InjectKind {
    /// An attack step the twin is about to run, or has run.
    AttackStep,
    /// An alert from the IDS or the DPI.
    IdsAlert,
    /// The OEM vendor calls.
    VendorCall,
    /// A ransom note appears.
    RansomNote,
    /// The safety function tripped a station.
    SafetyTrip,
    /// A plan or a request from inside the company (a scan, a go-live).
    Request,
    /// Anything else the table is told.
    Situation,
}

/// A discussion question for one side.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// The side it is put to.
    pub side: Side,
    /// The question.
    pub text: String,
}

/// One option of a decision and what it does in the twin.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// A short key the facilitator types (unique within the decision).
    pub key: String,
    /// The option as the table hears it.
    pub label: String,
    /// What choosing it does in the twin, at the decision's time.
    pub actions: Vec<Act>,
}

/// A decision point: the options put to one role.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// The role that decides.
    pub asked: String,
    /// The question put to the table.
    pub prompt: String,
    /// The option taken by `--choose default`.
    pub default: String,
    /// The options (at least two).
    pub options: Vec<Choice>,
}

/// An inject: what the table is told at a moment of the run.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// When, hours into the run.
    pub at_h: f64,
    /// A short title.
    pub title: String,
    /// What kind of inject it is.
    pub kind: InjectKind,
    /// What the table is told. `{…}` fields are filled from the twin at the inject:
    /// `{time}`, `{good}`, `{target_pct}`, `{downtime_h}`, `{alarms}`, `{steps_seen}`,
    /// `{steps_succeeded}`, `{station.NAME.state}`, `{station.NAME.temp_c}`,
    /// `{station.NAME.setpoint_c}`, `{plc.NAME.mode}`; a field it does not know is an error.
    pub text: String,
    /// Roles the inject is handed to (empty: the whole table).
    #[serde(default)]
    pub to: Vec<String>,
    /// Discussion questions, per side.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// A decision the table must take here (None: discussion only).
    #[serde(default)]
    pub decision: Option<Decision>,
    /// Show this inject only when the condition holds (None: always): on the table's
    /// earlier choices or on the twin's state at the inject, so injects branch.
    #[serde(default)]
    pub when: Option<When>,
}

/// When an inject is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum When {
    /// The table chose this option (key) at that earlier inject (its index in `injects`).
    Chose(usize, String),
    /// The table did not choose this option there (or was not asked).
    NotChose(usize, String),
    /// An inject-text field reads this value now: `Is("plc.plc-filler.mode", "STOP")`.
    Is(String, String),
    /// Every one of these holds.
    All(Vec<When>),
}

impl When {
    /// Whether it holds, given the choices so far and the twin now.
    pub fn holds(&self, taken: &[Taken], w: &World) -> bool {
        let chose = |i: usize, key: &str| taken.iter().any(|t| t.inject == i && t.key == key);
        match self {
            When::Chose(i, key) => chose(*i, key),
            When::NotChose(i, key) => !chose(*i, key),
            When::Is(field, value) => template::render(&format!("{{{field}}}"), w) == *value,
            When::All(all) => all.iter().all(|c| c.holds(taken, w)),
        }
    }

    /// Problems with the condition of inject `at` (empty when it is sound).
    fn problems(&self, at: usize, e: &Exercise, s: &Scenario) -> Vec<String> {
        let earlier = |i: usize, key: &str| -> Option<String> {
            let Some(j) = e.injects.get(i).filter(|_| i < at) else {
                return Some(format!("inject {i} is not an earlier inject"));
            };
            let Some(d) = &j.decision else {
                return Some(format!("inject {i} (\"{}\") has no decision", j.title));
            };
            (!d.options.iter().any(|o| o.key == key)).then(|| {
                format!(
                    "inject {i} has no option \"{key}\"; options: {}",
                    d.options
                        .iter()
                        .map(|o| o.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        };
        match self {
            When::Chose(i, key) | When::NotChose(i, key) => earlier(*i, key).into_iter().collect(),
            When::Is(field, _) => template::check(&format!("{{{field}}}"), s),
            When::All(all) => all.iter().flat_map(|c| c.problems(at, e, s)).collect(),
        }
    }
}

/// A tabletop exercise: a scenario, roles, objectives and timed injects.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename = "Exercise")]
pub struct Exercise {
    /// The exercise's name.
    pub name: String,
    /// The scenario (or overlay) to run, relative to the exercise file.
    pub scenario: String,
    /// The facilitator guide (markdown), relative to the exercise file.
    #[serde(default)]
    pub guide: String,
    /// Simulated hours (default: the scenario's).
    #[serde(default)]
    pub hours: Option<f64>,
    /// The seed the exercise is written for (default: the scenario's).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Read out at the start: the situation before the first inject.
    pub briefing: String,
    /// The roles at the table.
    pub roles: Vec<Role>,
    /// What each side should practise.
    pub objectives: Objectives,
    /// The injects, in time order.
    pub injects: Vec<Inject>,
}

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

fn validate(e: &Exercise, s: &Scenario, path: &Path) -> Vec<Problem> {
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
        if !known_role(&d.asked) {
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

/// One moment of the session, an inject: the input log holds one per inject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Taken {
    /// The inject's index in the exercise.
    pub inject: usize,
    /// The option chosen; empty (and not written) for an inject without a decision.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Seconds the table took to discuss or decide (wall clock at the prompt; as recorded
    /// on replay; 0 for `--choose default`). A record of the session, not an input of the
    /// twin.
    pub deliberation_s: f64,
    /// The inject was not shown: its `when` did not hold.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skipped: bool,
}

/// The input log file: replaying it gives the same bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DecisionLog {
    pub exercise: String,
    pub seed: u64,
    pub decisions: Vec<Taken>,
}

/// What each side sees at a decision point.
#[derive(Clone, Debug, Serialize)]
pub struct Situation {
    pub at: String,
    /// OT: production, downtime, alarms, safety.
    pub ot: Vec<(String, String)>,
    /// IT: alerts, attack steps seen, blocked, open sessions.
    pub it: Vec<(String, String)>,
    /// The inject's text with its fields filled from the twin at this moment.
    pub text: String,
}

/// Who picks an option at a decision point, and holds the session at every inject.
pub trait Chooser {
    /// An inject without a decision: the table discusses it; return the seconds it took.
    fn discuss(
        &mut self,
        _ex: &Loaded,
        _inject: usize,
        _situation: &Situation,
    ) -> Result<f64, PlayError> {
        Ok(0.0)
    }

    /// Return the key of the chosen option and the seconds the table took.
    fn choose(
        &mut self,
        ex: &Loaded,
        inject: usize,
        decision: &Decision,
        situation: &Situation,
    ) -> Result<(String, f64), PlayError>;
}

/// `--choose default`.
pub struct Defaults;

impl Chooser for Defaults {
    fn choose(
        &mut self,
        _: &Loaded,
        _: usize,
        d: &Decision,
        _: &Situation,
    ) -> Result<(String, f64), PlayError> {
        Ok((d.default.clone(), 0.0))
    }
}

/// `--decisions FILE`, or a path through the exercise: recorded choices, in order.
pub struct Recorded(pub Vec<Taken>);

impl Chooser for Recorded {
    fn discuss(&mut self, _: &Loaded, inject: usize, _: &Situation) -> Result<f64, PlayError> {
        // A log written before every inject was a moment has none: no time recorded.
        Ok(
            match self
                .0
                .iter()
                .position(|t| t.inject == inject && t.key.is_empty())
            {
                Some(pos) => self.0.remove(pos).deliberation_s,
                None => 0.0,
            },
        )
    }

    fn choose(
        &mut self,
        ex: &Loaded,
        inject: usize,
        d: &Decision,
        _: &Situation,
    ) -> Result<(String, f64), PlayError> {
        let Some(pos) = self
            .0
            .iter()
            .position(|t| t.inject == inject && !t.key.is_empty())
        else {
            return Err(PlayError::Decisions(format!(
                "the decisions file has no choice for inject {inject} (\"{}\")",
                ex.exercise.injects[inject].title
            )));
        };
        let t = self.0.remove(pos);
        if !d.options.iter().any(|o| o.key == t.key) {
            return Err(PlayError::Decisions(format!(
                "inject {inject}: no option \"{}\"; options: {}",
                t.key,
                d.options
                    .iter()
                    .map(|o| o.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok((t.key, t.deliberation_s))
    }
}

/// A road through the exercise that differs from the table's: the table's choices where
/// it made them; where its road never reached a point (an inject shown only on this one),
/// the point's default.
pub struct Alternative(pub Recorded);

impl Chooser for Alternative {
    fn discuss(&mut self, ex: &Loaded, inject: usize, sit: &Situation) -> Result<f64, PlayError> {
        self.0.discuss(ex, inject, sit)
    }

    fn choose(
        &mut self,
        ex: &Loaded,
        inject: usize,
        d: &Decision,
        sit: &Situation,
    ) -> Result<(String, f64), PlayError> {
        if self
            .0
            .0
            .iter()
            .any(|t| t.inject == inject && !t.key.is_empty())
        {
            self.0.choose(ex, inject, d, sit)
        } else {
            Ok((d.default.clone(), 0.0))
        }
    }
}

/// A run through the exercise and what came of it.
pub struct Played {
    pub world: World,
    pub summary: Summary,
    /// One per inject, in order: the choice at a decision point, the discussion time at
    /// every inject.
    pub decisions: Vec<Taken>,
    /// The situation shown at each inject, in order.
    pub situations: Vec<Situation>,
    /// What each applied action did, (inject, text).
    pub applied: Vec<(usize, String)>,
}

/// The stations in alarm now (not running, starved or blocked), as the HMI lists them.
pub(crate) fn alarms(w: &World) -> Vec<String> {
    w.plant
        .stations
        .iter()
        .filter(|st| {
            !matches!(
                st.state(),
                crate::plant::State::Running
                    | crate::plant::State::Starved
                    | crate::plant::State::Blocked
            )
        })
        .map(|st| format!("{} {}", st.name, st.state().label()))
        .collect()
}

/// Attack steps the defenders have seen so far: blocked or detected.
pub(crate) fn steps_seen(s: &Summary) -> usize {
    s.security
        .steps
        .iter()
        .filter(|x| x.detected_after_s.is_some() || x.outcome == "blocked")
        .count()
}

/// What each side would see on its screens now.
pub fn situation(w: &World) -> Situation {
    let s = Summary::from_world(w);
    let sec = &s.security;
    let alarms = alarms(w);
    let seen = steps_seen(&s);
    let ot = vec![
        (
            "production".into(),
            format!(
                "{} good units ({:.1} % of target so far)",
                s.line.good_units, s.line.attainment_pct
            ),
        ),
        (
            "unplanned downtime".into(),
            format!("{:.2} h", s.line.downtime_h),
        ),
        (
            "alarms".into(),
            if alarms.is_empty() {
                "none".into()
            } else {
                alarms.join(", ")
            },
        ),
        (
            "safety".into(),
            format!(
                "{} trip(s); scrap {} units",
                s.line.safety_trips, s.line.scrap_units
            ),
        ),
    ];
    let it = vec![
        (
            "alerts".into(),
            format!(
                "{} IDS alert(s), {} DPI block(s), {} device alert(s)",
                sec.ids.as_ref().map(|i| i.alerts).unwrap_or(0),
                sec.dpi.as_ref().map(|d| d.blocked).unwrap_or(0),
                sec.devices
                    .as_ref()
                    .map(|d| d.saturation_alerts + d.overrun_alerts + d.fault_alerts)
                    .unwrap_or(0)
            ),
        ),
        (
            "attack steps seen".into(),
            format!("{seen} (of the steps so far, blocked or detected)"),
        ),
        ("blocked".into(), format!("{} step(s)", sec.steps_blocked)),
        (
            "open sessions".into(),
            match &sec.vendor {
                Some(v) => format!("vendor: {} session(s) so far", v.sessions),
                None => "no remote access in this plant".into(),
            },
        ),
    ];
    Situation {
        at: crate::time::clock(w.now),
        ot,
        it,
        text: String::new(),
    }
}

/// A road through the exercise as far as it has been played: the twin and what the table
/// saw and chose so far. Cloned at a decision point, it is the point from which the roads
/// not taken go on (the same twin, to the byte, as a road replayed from the start).
#[derive(Clone)]
struct Road {
    w: World,
    decisions: Vec<Taken>,
    situations: Vec<Situation>,
    applied: Vec<(usize, String)>,
}

impl Road {
    fn new(ex: &Loaded, seed: u64, rec: Recording) -> Road {
        Road {
            w: World::with_recording(&ex.scenario, seed, rec),
            decisions: Vec::new(),
            situations: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// Run to inject `i` and play it: shown (or skipped by its condition), discussed,
    /// decided and its option's actions applied.
    fn inject(
        &mut self,
        ex: &Loaded,
        i: usize,
        chooser: &mut dyn Chooser,
    ) -> Result<(), PlayError> {
        self.w
            .run_until(crate::time::from_secs(ex.exercise.injects[i].at_h * 3600.0));
        let (sit, applied) = at_inject(ex, &mut self.w, i, &mut self.decisions, chooser)?;
        self.situations.push(sit);
        self.applied.extend(applied.into_iter().map(|t| (i, t)));
        Ok(())
    }

    /// Play the injects from `from` on, then run to the end.
    fn finish(
        mut self,
        ex: &Loaded,
        from: usize,
        chooser: &mut dyn Chooser,
    ) -> Result<Played, PlayError> {
        for i in from..ex.exercise.injects.len() {
            self.inject(ex, i, chooser)?;
        }
        self.w.run();
        let summary = Summary::from_world(&self.w);
        Ok(Played {
            world: self.w,
            summary,
            decisions: self.decisions,
            situations: self.situations,
            applied: self.applied,
        })
    }
}

/// Inject `i`, the twin having run to its time: shown (or skipped by its condition),
/// discussed, decided and its option's actions applied. Appends the moment to `decisions`;
/// returns what each side saw and what each applied action did.
pub fn at_inject(
    ex: &Loaded,
    w: &mut World,
    i: usize,
    decisions: &mut Vec<Taken>,
    chooser: &mut dyn Chooser,
) -> Result<(Situation, Vec<String>), PlayError> {
    let inject = &ex.exercise.injects[i];
    w.ledger.metrics.event(
        w.now,
        EventKind::Inject,
        "facilitator",
        inject.title.clone(),
    );
    let mut sit = situation(w);
    let mut taken = Taken {
        inject: i,
        key: String::new(),
        deliberation_s: 0.0,
        skipped: false,
    };
    if let Some(when) = &inject.when
        && !when.holds(decisions, w)
    {
        sit.text = "(not shown: its condition did not hold)".into();
        taken.skipped = true;
        decisions.push(taken);
        return Ok((sit, Vec::new()));
    }
    sit.text = template::render(&inject.text, w);
    let Some(d) = &inject.decision else {
        // Every inject is a moment: the session holds for the table's discussion.
        taken.deliberation_s = chooser.discuss(ex, i, &sit)?;
        decisions.push(taken);
        return Ok((sit, Vec::new()));
    };
    let (key, secs) = chooser.choose(ex, i, d, &sit)?;
    let option = d
        .options
        .iter()
        .find(|o| o.key == key)
        .ok_or_else(|| PlayError::Decisions(format!("no option \"{key}\" at inject {i}")))?;
    w.ledger.metrics.event(
        w.now,
        EventKind::Decision,
        &d.asked,
        format!("{}: {}", inject.title, option.label),
    );
    let applied = option.actions.iter().map(|a| w.act(a)).collect();
    taken.key = key;
    taken.deliberation_s = secs;
    decisions.push(taken);
    Ok((sit, applied))
}

/// The exercise followed by a twin that something else steps (the viewer): before each
/// step, [`Follow::due`] plays the inject whose time has come, exactly as [`play`] would,
/// with the recorded choices (or each point's default where none is recorded).
pub struct Follow {
    pub ex: Loaded,
    chooser: Alternative,
    next: usize,
    pub decisions: Vec<Taken>,
}

impl Follow {
    pub fn new(ex: Loaded, recorded: Vec<Taken>) -> Follow {
        Follow {
            ex,
            chooser: Alternative(Recorded(recorded)),
            next: 0,
            decisions: Vec::new(),
        }
    }

    /// If the next inject is due at the twin's time, play it: (its index, whether it was
    /// shown, a line for the facilitator).
    pub fn due(&mut self, w: &mut World) -> Option<Result<(usize, bool, String), PlayError>> {
        let i = self.next;
        let j = self.ex.exercise.injects.get(i)?;
        if w.now < crate::time::from_secs(j.at_h * 3600.0) {
            return None;
        }
        self.next += 1;
        Some(
            at_inject(&self.ex, w, i, &mut self.decisions, &mut self.chooser).map(|_| {
                let n = self.ex.exercise.injects.len();
                let t = &self.decisions[i];
                if t.skipped {
                    return (
                        i,
                        false,
                        format!("inject {}/{n} skipped: {}", i + 1, j.title),
                    );
                }
                // Plain ASCII: the viewer's font has no dashes or arrows.
                let chose = j
                    .decision
                    .as_ref()
                    .and_then(|d| d.options.iter().find(|o| o.key == t.key))
                    .map(|o| format!(" -> {}", o.label))
                    .unwrap_or_else(|| " (discussion)".into());
                (i, true, format!("inject {}/{n} {}{chose}", i + 1, j.title))
            }),
        )
    }
}

/// Run the exercise from the start to the end, asking `chooser` at each decision point.
pub fn play(
    ex: &Loaded,
    seed: u64,
    rec: Recording,
    chooser: &mut dyn Chooser,
) -> Result<Played, PlayError> {
    Road::new(ex, seed, rec).finish(ex, 0, chooser)
}

/// The consequences of a path, in both columns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Consequences {
    pub good_units: u64,
    pub production_lost: f64,
    pub downtime_h: f64,
    /// (cause, hours), summed over stations.
    pub downtime_by_cause: Vec<(String, f64)>,
    pub safety_trips: u64,
    pub scrap_units: u64,
    pub steps_succeeded: u64,
    pub steps_blocked: u64,
    pub steps_detected: u64,
    pub cost: f64,
    /// The cost ledger's owners, which add up to `cost`: attacks, controls, operations.
    pub cost_attacks: f64,
    pub cost_controls: f64,
    pub cost_operations: f64,
}

impl Consequences {
    pub fn of(s: &Summary) -> Consequences {
        let mut causes = s.downtime_per_cause();
        for c in &mut causes {
            c.1 = crate::report::round(c.1, 3);
        }
        Consequences {
            good_units: s.line.good_units,
            production_lost: crate::report::round(
                (s.line.target_units as f64 - s.line.good_units as f64).max(0.0),
                0,
            ),
            downtime_h: s.line.downtime_h,
            downtime_by_cause: causes,
            safety_trips: s.line.safety_trips,
            scrap_units: s.line.scrap_units,
            steps_succeeded: s.security.steps_succeeded,
            steps_blocked: s.security.steps_blocked,
            steps_detected: s.security.steps_detected,
            cost: s.cost.total,
            cost_attacks: s.cost.attacks,
            cost_controls: s.cost.controls,
            cost_operations: s.cost.operations,
        }
    }
}

/// At one decision point: every option run to the end (the table's other choices kept).
#[derive(Clone, Debug, Serialize)]
pub struct PointComparison {
    pub inject: usize,
    pub title: String,
    pub asked: String,
    pub chosen: String,
    /// (key, label, outcome) per option, on the session's seed.
    pub options: Vec<(String, String, Consequences)>,
    /// Seeds each option ran on (the session's first; common random numbers).
    pub seeds: u64,
    /// Each option over those seeds, in the order of `options`.
    pub stats: Vec<OptionStats>,
    /// The option cheaper than every other over the seeds, where the 95 % intervals of the
    /// paired differences all exclude zero; empty when there is no clear winner.
    pub best: String,
    /// The option dearer than every other, on the same rule; empty when none is.
    pub worst: String,
}

/// One option of a decision point over many seeds.
#[derive(Clone, Debug, Serialize)]
pub struct OptionStats {
    pub key: String,
    /// Total cost (the run's ledger) and good units.
    pub cost: crate::sweep::Stat,
    pub good_units: crate::sweep::Stat,
    /// This option minus the table's choice, seed by seed.
    pub delta_cost: crate::sweep::Stat,
    pub delta_good_units: crate::sweep::Stat,
    /// Fraction of the seeds on which it was the cheapest option (ties to the first).
    pub cheapest_share: f64,
}

impl PointComparison {
    /// What the comparison concludes, in words.
    pub fn verdict(&self) -> String {
        if self.best.is_empty() {
            format!(
                "no clear winner over {} seeds: the intervals of the cost differences overlap",
                self.seeds
            )
        } else {
            format!(
                "{} is the cheapest over {} seeds (its cost below every other option's, intervals apart)",
                self.best, self.seeds
            )
        }
    }
}

/// The road not taken: from each decision point, every option (or only those in `only`)
/// to the end, the table's choices elsewhere kept, on `seeds` seeds from `seed` on (common
/// random numbers: every option sees the same seeds). Runs in parallel; results in
/// exercise order. "Best" and "worst" are stamped only where the paired 95 % intervals
/// separate the option from every other.
pub fn compare(
    ex: &Loaded,
    seed: u64,
    table: &[Taken],
    only: &[String],
    seeds: u32,
) -> Result<Vec<PointComparison>, PlayError> {
    let seeds = seeds.max(1);
    // The points the table's road reached (a point whose `when` did not hold has no road
    // not taken) and the options to run there.
    let mut points: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, d) in ex.points() {
        if !table.iter().any(|t| t.inject == i && !t.key.is_empty()) {
            continue;
        }
        let keys = d
            .options
            .iter()
            .filter(|o| {
                only.is_empty()
                    || only.contains(&o.key)
                    || table.iter().any(|t| t.inject == i && t.key == o.key)
            })
            .map(|o| o.key.clone())
            .collect();
        points.push((i, keys));
    }
    // The table's choices, at `i` this key instead (usize::MAX: none changed).
    let path = |i: usize, key: &str| -> Vec<Taken> {
        table
            .iter()
            .map(|t| Taken {
                inject: t.inject,
                key: if t.inject == i {
                    key.to_string()
                } else {
                    t.key.clone()
                },
                deliberation_s: 0.0,
                skipped: false,
            })
            .collect()
    };
    let chosen = |i: usize| -> &str {
        table
            .iter()
            .find(|t| t.inject == i)
            .map(|t| t.key.as_str())
            .unwrap_or_default()
    };
    // Per seed, the table's road once, kept as it stood at each point before the choice
    // (common random numbers: every option at a point starts from the same twin).
    type Forks = Vec<(usize, Road)>;
    let roads: Vec<Result<(Consequences, Forks), PlayError>> = (0..seeds)
        .into_par_iter()
        .map(|k| {
            let mut road = Road::new(ex, seed.wrapping_add(u64::from(k)), Recording::default());
            let mut chooser = Alternative(Recorded(path(usize::MAX, "")));
            let mut forks = Vec::new();
            for i in 0..ex.exercise.injects.len() {
                if points.iter().any(|(p, _)| *p == i) {
                    forks.push((i, road.clone()));
                }
                road.inject(ex, i, &mut chooser)?;
            }
            let len = ex.exercise.injects.len();
            Ok((
                Consequences::of(&road.finish(ex, len, &mut chooser)?.summary),
                forks,
            ))
        })
        .collect();
    let roads = roads.into_iter().collect::<Result<Vec<_>, _>>()?;
    // Every other option, from its fork.
    let mut jobs = Vec::new();
    for (i, keys) in &points {
        for key in keys {
            if key != chosen(*i) {
                for k in 0..seeds as usize {
                    jobs.push((*i, key.clone(), k));
                }
            }
        }
    }
    let results: Vec<Result<Consequences, PlayError>> = jobs
        .par_iter()
        .map(|(i, key, k)| {
            let road = roads[*k]
                .1
                .iter()
                .find(|(p, _)| p == i)
                .map(|(_, r)| r.clone())
                .ok_or_else(|| PlayError::Decisions(format!("no fork at inject {i}")))?;
            let p = road.finish(ex, *i, &mut Alternative(Recorded(path(*i, key))))?;
            Ok(Consequences::of(&p.summary))
        })
        .collect();
    let mut others = jobs.into_iter().zip(results);
    // (point, key) → its outcomes, seed by seed, in the points' and options' order.
    let mut runs: Vec<(usize, String, Vec<Consequences>)> = Vec::new();
    for (i, keys) in &points {
        for key in keys {
            let outcomes = if key == chosen(*i) {
                roads.iter().map(|r| r.0.clone()).collect()
            } else {
                let mut v = Vec::with_capacity(seeds as usize);
                for _ in 0..seeds {
                    let ((_, _, _), r) = others
                        .next()
                        .ok_or_else(|| PlayError::Decisions("a road went missing".into()))?;
                    v.push(r?);
                }
                v
            };
            runs.push((*i, key.clone(), outcomes));
        }
    }
    let mut out: Vec<PointComparison> = Vec::new();
    // Per point, per option: its outcomes seed by seed.
    let mut samples: Vec<Vec<Vec<Consequences>>> = Vec::new();
    for (i, key, outcomes) in runs {
        let inject = &ex.exercise.injects[i];
        let d = inject
            .decision
            .as_ref()
            .ok_or_else(|| PlayError::Decisions("not a decision point".into()))?;
        let label = d
            .options
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.label.clone())
            .unwrap_or_default();
        if out.last().is_none_or(|p| p.inject != i) {
            out.push(PointComparison {
                inject: i,
                title: inject.title.clone(),
                asked: d.asked.clone(),
                chosen: table
                    .iter()
                    .find(|t| t.inject == i)
                    .map(|t| t.key.clone())
                    .unwrap_or_default(),
                options: Vec::new(),
                seeds: u64::from(seeds),
                stats: Vec::new(),
                best: String::new(),
                worst: String::new(),
            });
            samples.push(Vec::new());
        }
        if let (Some(p), Some(s)) = (out.last_mut(), samples.last_mut()) {
            p.options.push((key, label, outcomes[0].clone()));
            s.push(outcomes);
        }
    }
    for (p, s) in out.iter_mut().zip(&samples) {
        judge(p, s);
    }
    Ok(out)
}

fn stat(values: impl Iterator<Item = f64>) -> crate::sweep::Stat {
    let mut acc = crate::sweep::Acc::default();
    for v in values {
        acc.push(v);
    }
    acc.stat()
}

/// Each option's figures over the seeds, paired with the table's choice, and the best and
/// worst options where the paired intervals separate them from every other.
fn judge(p: &mut PointComparison, samples: &[Vec<Consequences>]) {
    let chosen = p.options.iter().position(|o| o.0 == p.chosen).unwrap_or(0);
    let seeds = samples.iter().map(Vec::len).min().unwrap_or(0);
    let cheapest: Vec<usize> = (0..seeds)
        .map(|k| {
            (0..samples.len())
                .min_by(|&a, &b| {
                    samples[a][k]
                        .cost
                        .total_cmp(&samples[b][k].cost)
                        .then(a.cmp(&b))
                })
                .unwrap_or(0)
        })
        .collect();
    let paired = |a: usize, b: usize, f: &dyn Fn(&Consequences) -> f64| {
        stat((0..seeds).map(|k| f(&samples[a][k]) - f(&samples[b][k])))
    };
    p.stats = (0..samples.len())
        .map(|o| OptionStats {
            key: p.options[o].0.clone(),
            cost: stat(samples[o].iter().map(|c| c.cost)),
            good_units: stat(samples[o].iter().map(|c| c.good_units as f64)),
            delta_cost: paired(o, chosen, &|c| c.cost),
            delta_good_units: paired(o, chosen, &|c| c.good_units as f64),
            cheapest_share: crate::report::round(
                cheapest.iter().filter(|&&c| c == o).count() as f64 / seeds.max(1) as f64,
                4,
            ),
        })
        .collect();
    if seeds < 2 {
        // One seed is an anecdote: no interval, no winner.
        p.best.clear();
        p.worst.clear();
        return;
    }
    let others = |o: usize| (0..samples.len()).filter(move |&x| x != o);
    // Separated: the paired difference's interval lies wholly on one side of zero.
    let below_all =
        |o: usize| samples.len() > 1 && others(o).all(|x| paired(o, x, &|c| c.cost).ci95.1 < 0.0);
    let above_all =
        |o: usize| samples.len() > 1 && others(o).all(|x| paired(o, x, &|c| c.cost).ci95.0 > 0.0);
    p.best = (0..samples.len())
        .find(|&o| below_all(o))
        .map(|o| p.options[o].0.clone())
        .unwrap_or_default();
    p.worst = (0..samples.len())
        .find(|&o| above_all(o))
        .map(|o| p.options[o].0.clone())
        .unwrap_or_default();
}

/// The schema of an exercise file (for the reference, editors and validation).
pub fn exercise_schema() -> serde_json::Value {
    faultline_core::scenario::schema::annotated(schemars::schema_for!(Exercise))
}

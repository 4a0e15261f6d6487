//! The exercise file: sides, roles, objectives, injects, decision points and their options.

use super::*;
use crate::scenario::Scenario;
use crate::world::World;
use serde::{Deserialize, Serialize};

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
    /// The objectives whose answers it brings out, as "IT 1" (the IT side's first objective),
    /// "OT 2", …: the evaluator handbook lists it under each. Empty: every objective of
    /// the side it is put to.
    #[serde(default)]
    pub serves: Vec<String>,
}

impl Question {
    /// Whether the evaluator listens for it under the `k`-th (from 0) objective of `side`.
    pub fn serves(&self, side: Side, k: usize) -> bool {
        (self.side == side || self.side == Side::All)
            && (self.serves.is_empty()
                || self
                    .serves
                    .iter()
                    .any(|x| *x == format!("{} {}", side_label(side), k + 1)))
    }
}

/// "IT" or "OT", as an objective is named in `serves`.
pub fn side_label(side: Side) -> &'static str {
    match side {
        Side::IT => "IT",
        Side::OT => "OT",
        Side::All => "All",
    }
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
    /// `{station.NAME.setpoint_c}`, `{plc.NAME.mode}` (the truth), and what the HMI shows
    /// from its last poll, forged or stale as it may be: `{hmi.NAME.state}`,
    /// `{hmi.NAME.temp_c}`, `{hmi.NAME.setpoint_c}`; a field it does not know is an error.
    /// `{alarms}` lists the stations in an unplanned stop (planned ones are not alarms).
    /// Numbers come without their unit (the field's name says it: `{target_pct} %`,
    /// `{downtime_h} h`, `{station.pasteurizer.temp_c} °C`); the text writes it.
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
    pub(super) fn problems(&self, at: usize, e: &Exercise, s: &Scenario) -> Vec<String> {
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
    /// The scenario as designed, for the controller: what happens and why (the controller's
    /// pack prints it; the participants never see it).
    pub briefing: String,
    /// What the table is told at the start: the situation as the players know it, without
    /// what the exercise is built to reveal. The participants' situation manual prints it;
    /// without it, it leaves the opening to the facilitator. A host it names by name may
    /// appear on the participants' network drawing even if an attack starts there.
    #[serde(default)]
    pub opening: Option<String>,
    /// The roles at the table.
    pub roles: Vec<Role>,
    /// What each side should practise.
    pub objectives: Objectives,
    /// The injects, in time order.
    pub injects: Vec<Inject>,
}

/// The schema of an exercise file (for the reference, editors and validation).
pub fn exercise_schema() -> serde_json::Value {
    faultline_core::scenario::schema::annotated(schemars::schema_for!(Exercise))
}

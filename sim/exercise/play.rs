//! Playing an exercise: the twin run to each inject, a chooser asked at each decision,
//! the chosen actions applied, the situation each role is shown.

use super::*;
use crate::metrics::EventKind;
use crate::report::Summary;
use crate::world::{Recording, World};
use serde::{Deserialize, Serialize};

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
        .filter(|st| !planned_stop(w, st))
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

/// A station stopped on purpose, which the HMI does not raise as an alarm: in a
/// maintenance stop that was planned, or stopped by command while the schedule has the
/// line in a planned stop (a changeover, a break).
fn planned_stop(w: &World, st: &crate::plant::Station) -> bool {
    st.in_planned_stop()
        || (!w.plan.planned
            && st.state() == crate::plant::State::Stopped(crate::plant::StopReason::Command))
}

/// The stations in a planned stop, for the OT screen's line of its own.
pub(crate) fn planned_stops(w: &World) -> Vec<String> {
    w.plant
        .stations
        .iter()
        .filter(|st| planned_stop(w, st))
        .map(|st| st.name.clone())
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
            "planned stops".into(),
            match planned_stops(w) {
                p if p.is_empty() => "none".into(),
                p => p.join(", "),
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
pub(super) struct Road {
    w: World,
    decisions: Vec<Taken>,
    situations: Vec<Situation>,
    applied: Vec<(usize, String)>,
}

impl Road {
    pub(super) fn new(ex: &Loaded, seed: u64, rec: Recording) -> Road {
        Road {
            w: World::with_recording(&ex.scenario, seed, rec),
            decisions: Vec::new(),
            situations: Vec::new(),
            applied: Vec::new(),
        }
    }

    /// Run to inject `i` and play it: shown (or skipped by its condition), discussed,
    /// decided and its option's actions applied.
    pub(super) fn inject(
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
    pub(super) fn finish(
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
                // The viewer's font (assets/fonts) has the arrow.
                let chose = j
                    .decision
                    .as_ref()
                    .and_then(|d| d.options.iter().find(|o| o.key == t.key))
                    .map(|o| format!(" → {}", o.label))
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

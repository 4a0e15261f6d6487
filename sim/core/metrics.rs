//! Counters over the run: time in each condition per station, the line's downtime traced
//! to its root cause, the per-minute timeline and the event log.

use crate::plant::{Plant, State, StopReason};
use crate::time::Micros;
use serde::Serialize;

/// Where a station's (or the line's) time goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Condition {
    Running,
    Starved,
    Blocked,
    Failed,
    SafetyTrip,
    /// Run command off during planned production (by someone, not the schedule).
    Stopped,
    PlcStop,
    PlcFault,
    /// Stopped by an attacker's command or traffic (a stop command, STOP mode, a fault).
    Attack,
    /// Stopped because a control keeps the HMI's commands from reaching the PLC.
    Control,
    /// A stop planned on a health alert (instead of a failure).
    Maintenance,
    /// Outside planned production (the schedule has the line off).
    Planned,
}

/// Who is to blame for a station being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// An attack: the step (or a live session's actor) whose command or traffic it was,
    /// when known.
    Attack(Option<crate::loss::Cause>),
    /// The line held stopped (a shutdown order, no MES without island mode, a safe stop):
    /// the attack step whose consequences led to it, a decision, or the control that
    /// ordered it (the incident response's safe stop).
    Held(crate::loss::Cause),
    /// A control keeps the HMI's commands from the PLC (a firewall, an isolated zone, an
    /// expired certificate).
    Control(crate::controls::ControlId),
}

impl Condition {
    pub const ALL: [Condition; 12] = [
        Condition::Running,
        Condition::Starved,
        Condition::Blocked,
        Condition::Failed,
        Condition::SafetyTrip,
        Condition::Stopped,
        Condition::PlcStop,
        Condition::PlcFault,
        Condition::Attack,
        Condition::Control,
        Condition::Maintenance,
        Condition::Planned,
    ];
    pub const N: usize = Self::ALL.len();

    pub fn label(self) -> &'static str {
        match self {
            Condition::Running => "running",
            Condition::Starved => "starved",
            Condition::Blocked => "blocked",
            Condition::Failed => "failure",
            Condition::SafetyTrip => "safety trip",
            Condition::Stopped => "stopped",
            Condition::PlcStop => "PLC in STOP",
            Condition::PlcFault => "PLC fault",
            Condition::Attack => "attack",
            Condition::Control => "blocked by control",
            Condition::Maintenance => "planned maintenance",
            Condition::Planned => "planned",
        }
    }

    pub fn of(state: State, planned_production: bool) -> Condition {
        if !planned_production {
            return Condition::Planned;
        }
        match state {
            State::Running => Condition::Running,
            State::Starved => Condition::Starved,
            State::Blocked => Condition::Blocked,
            State::Failed => Condition::Failed,
            State::Tripped => Condition::SafetyTrip,
            State::Stopped(StopReason::Command) => Condition::Stopped,
            State::Stopped(StopReason::PlcStop) => Condition::PlcStop,
            State::Stopped(StopReason::PlcFault) => Condition::PlcFault,
        }
    }
}

/// One row of the per-minute timeline.
#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub minute: u64,
    pub planned: bool,
    pub good_total: u64,
    pub scrap_total: u64,
    /// Good units in this minute, as an hourly rate.
    pub rate_per_h: u64,
    pub states: Vec<u16>,
    pub temps_c: Vec<f64>,
    /// Per thermal station, as `temps_c`: the temperature setpoint its PLC holds, and
    /// the temperature and setpoint the HMI displays (its last poll, forged if an adversary
    /// in the middle forges it; none before its first). Filled by the World, which sees the
    /// PLCs and the HMI; the report's process trends draw them.
    pub setpoints_c: Vec<Option<f64>>,
    pub shown_temps_c: Vec<Option<f64>>,
    pub shown_setpoints_c: Vec<Option<f64>>,
    /// Per thermal station: the band of the product in the zone (low, high), °C.
    pub bands_c: Vec<(f64, f64)>,
}

/// What happened, for the event log: one kind per thing the twin records. Renderers turn
/// it into text (`as_str`, the name in events.jsonl and on screens).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A machine failed.
    Failure,
    /// A repair began.
    RepairStarted,
    /// A repair is done.
    Repaired,
    /// A safety trip (temperature above its limit).
    SafetyTrip,
    /// A tripped station cooled and was inspected.
    TripResetReady,
    /// The operator reset a trip.
    TripReset,
    /// Condition monitoring saw degradation.
    HealthAlert,
    /// A station stopped for planned maintenance.
    PlannedStop,
    /// A PLC faulted.
    PlcFault,
    /// An alarm on the HMI.
    Alarm,
    /// An operator action.
    Operator,
    /// The HMI lost a PLC.
    CommLoss,
    /// The HMI hears a PLC again.
    CommRestored,
    /// An HMI write was refused.
    WriteFailed,
    /// The operating schedule acted.
    Schedule,
    /// A device refused a connection.
    ConnectionRefused,
    /// The DPI blocked a request.
    DpiBlock,
    /// The DPI in monitor mode flagged a request.
    DpiAlert,
    /// The vendor sends an engineer on site.
    VendorOnsite,
    /// A repair needs the vendor.
    VendorCalled,
    /// Device monitoring alerted.
    DeviceAlert,
    /// The incident response isolated a host.
    Contained,
    /// The IDS alerted.
    IdsAlert,
    /// An attack step started.
    AttackStep,
    /// An attack step ended.
    AttackResult,
    /// The line was held or released.
    LineHold,
    /// Stations started at a local panel.
    LocalStart,
    /// A PLC was reset at the cabinet.
    PlcReset,
    /// Stations stopped at a local panel (a planned stop the HMI could not command).
    LocalStop,
    /// The HMI reconnected to a PLC.
    HmiReconnect,
    /// The network refused a flow.
    FlowBlocked,
    /// A device closed the HMI's connection.
    HmiDisconnected,
    /// A decision acted on the twin.
    ExerciseAction,
    /// A facilitator switched a control.
    ControlSwitch,
    /// An exercise inject.
    Inject,
    /// A decision was taken.
    Decision,
    /// The incident response's playbook acted (a zone, a safe stop, a PLC's restore).
    Response,
    /// A certificate expired or was renewed (Modbus/TCP Security).
    Certificate,
    /// The kernel carried or refused a connection against the twin's own evaluation of
    /// the rule set (live `--netns`).
    KernelDisagrees,
    /// An outside client's first connection (live sessions): its actor, where it sits.
    ActorConnected,
    /// An actor's traffic realised a technique for the first time.
    ActorTechnique,
}

impl EventKind {
    /// The kind's name in the event log.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Failure => "failure",
            EventKind::RepairStarted => "repair_started",
            EventKind::Repaired => "repaired",
            EventKind::SafetyTrip => "safety_trip",
            EventKind::TripResetReady => "trip_reset_ready",
            EventKind::TripReset => "trip_reset",
            EventKind::HealthAlert => "health_alert",
            EventKind::PlannedStop => "planned_stop",
            EventKind::PlcFault => "plc_fault",
            EventKind::Alarm => "alarm",
            EventKind::Operator => "operator",
            EventKind::CommLoss => "comm_loss",
            EventKind::CommRestored => "comm_restored",
            EventKind::WriteFailed => "write_failed",
            EventKind::Schedule => "schedule",
            EventKind::ConnectionRefused => "connection_refused",
            EventKind::DpiBlock => "dpi_block",
            EventKind::DpiAlert => "dpi_alert",
            EventKind::VendorOnsite => "vendor_onsite",
            EventKind::VendorCalled => "vendor_called",
            EventKind::DeviceAlert => "device_alert",
            EventKind::Contained => "contained",
            EventKind::IdsAlert => "ids_alert",
            EventKind::AttackStep => "attack_step",
            EventKind::AttackResult => "attack_result",
            EventKind::LineHold => "line_hold",
            EventKind::LocalStart => "local_start",
            EventKind::LocalStop => "local_stop",
            EventKind::PlcReset => "plc_reset",
            EventKind::HmiReconnect => "hmi_reconnect",
            EventKind::FlowBlocked => "flow_blocked",
            EventKind::HmiDisconnected => "hmi_disconnected",
            EventKind::Response => "response",
            EventKind::Certificate => "certificate",
            EventKind::KernelDisagrees => "kernel_disagrees",
            EventKind::ActorConnected => "actor_connected",
            EventKind::ActorTechnique => "actor_technique",
            EventKind::ExerciseAction => "exercise_action",
            EventKind::ControlSwitch => "control_switch",
            EventKind::Inject => "inject",
            EventKind::Decision => "decision",
        }
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A line in the event log.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub t_us: Micros,
    pub kind: EventKind,
    pub source: String,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Metrics {
    /// [station][condition] time.
    pub station_time: Vec<[Micros; Condition::N]>,
    pub bottleneck: usize,
    pub planned_production: Micros,
    pub timeline: Option<Vec<Sample>>,
    pub events: Option<Vec<Event>>,
    /// Good units made in each whole simulated hour (kept in every run: a sweep's
    /// throughput chart averages it over seeds).
    pub hourly_good: Vec<u64>,
    /// The loss tree's running book.
    pub loss: crate::loss::LossBook,
    last_good: u64,
    last_hour_good: u64,
}

impl Metrics {
    pub fn new(stations: usize, bottleneck: usize, timeline: bool, events: bool) -> Self {
        Metrics {
            station_time: vec![[0; Condition::N]; stations],
            bottleneck,
            loss: crate::loss::LossBook::default(),
            planned_production: 0,
            timeline: timeline.then(Vec::new),
            events: events.then(Vec::new),
            hourly_good: Vec::new(),
            last_good: 0,
            last_hour_good: 0,
        }
    }

    /// Account the tick [t, t + dt) by the states the stations ended it in; `recipe` is
    /// each station's speed the recipe in force asks (percent of nominal).
    pub fn account(
        &mut self,
        plant: &Plant,
        planned: bool,
        dt: Micros,
        blame: &[Option<Blame>],
        causes: &[crate::loss::StationCauses],
        recipe: &[u16],
    ) {
        for (i, st) in plant.stations.iter().enumerate() {
            let c = maintained(plant, i, Condition::of(st.state(), planned));
            self.station_time[i][blamed(c, blame[i]) as usize] += dt;
        }
        if planned {
            self.planned_production += dt;
            let b = self.bottleneck;
            let running = plant.stations[b].state() == State::Running;
            self.loss.book_planned(dt, recipe[b], running);
            if !running {
                let (root, cond) = root_cause(plant, b, planned);
                let cond = maintained(plant, root, cond);
                let (cat, cause) = classify(cond, blame[root], causes[root]);
                self.loss.book_time((cat, cause, root), dt, recipe[b]);
            } else {
                let speed = plant.stations[b].speed_pct;
                self.loss.book_speed(dt, recipe[b], speed, causes[b].speed);
            }
        }
    }

    /// Close a simulated hour: the good units made in it.
    pub fn close_hour(&mut self, plant: &Plant) {
        let good = plant.line_output();
        self.hourly_good.push(good - self.last_hour_good);
        self.last_hour_good = good;
    }

    pub fn sample_minute(&mut self, minute: u64, plant: &Plant, planned: bool) {
        let Some(tl) = &mut self.timeline else { return };
        let good = plant.line_output();
        tl.push(Sample {
            minute,
            planned,
            good_total: good,
            scrap_total: plant.scrap(),
            rate_per_h: (good - self.last_good) * 60,
            states: plant.stations.iter().map(|s| s.state().code()).collect(),
            temps_c: plant
                .stations
                .iter()
                .filter_map(|s| {
                    s.thermal
                        .as_ref()
                        .map(|t| (t.temp_c * 100.0).round() / 100.0)
                })
                .collect(),
            setpoints_c: Vec::new(),
            shown_temps_c: Vec::new(),
            shown_setpoints_c: Vec::new(),
            bands_c: plant
                .stations
                .iter()
                .filter_map(|s| s.thermal.as_ref().map(|t| t.band_c))
                .collect(),
        });
        self.last_good = good;
    }

    pub fn event(&mut self, t_us: Micros, kind: EventKind, source: &str, detail: String) {
        if let Some(ev) = &mut self.events {
            ev.push(Event {
                t_us,
                kind,
                source: source.to_string(),
                detail,
            });
        }
    }
}

/// A "failure" that is a stop planned on a health alert.
fn maintained(plant: &Plant, i: usize, c: Condition) -> Condition {
    if c == Condition::Failed && plant.stations[i].in_planned_stop() {
        Condition::Maintenance
    } else {
        c
    }
}

/// A stop charged to whoever caused it.
fn blamed(c: Condition, blame: Option<Blame>) -> Condition {
    match (c, blame) {
        (
            Condition::Stopped | Condition::PlcStop | Condition::PlcFault,
            Some(Blame::Held(crate::loss::Cause::Control(_))),
        ) => Condition::Control,
        (
            Condition::Stopped | Condition::PlcStop | Condition::PlcFault,
            Some(Blame::Attack(_) | Blame::Held(_)),
        ) => Condition::Attack,
        (Condition::Stopped | Condition::Failed, Some(Blame::Control(_))) => Condition::Control,
        _ => c,
    }
}

/// Why station `i` is not running: follow starvation upstream and blockage downstream
/// to the station that caused it. A chain that ends at a running station is flow loss
/// (speed and variability), charged as starved/blocked at that station.
pub fn root_cause(plant: &Plant, i: usize, planned: bool) -> (usize, Condition) {
    let mut at = i;
    let mut hops = 0;
    loop {
        let st = &plant.stations[at];
        let state = st.state();
        let next = match state {
            State::Starved => pick(plant, &st.upstream, planned),
            State::Blocked => pick(plant, &st.downstream, planned),
            _ => None,
        };
        hops += 1;
        match next {
            Some(n) if hops <= plant.stations.len() => {
                let ns = plant.stations[n].state();
                if ns == State::Running
                    || (ns == State::Blocked && state == State::Starved)
                    || (ns == State::Starved && state == State::Blocked)
                {
                    // The neighbour is working (or waiting the other way): flow loss here.
                    return (at, Condition::of(state, planned));
                }
                at = n;
            }
            _ => return (at, Condition::of(state, planned)),
        }
    }
}

/// The neighbour most to blame: a stopped one before a waiting one; ties to the first.
fn pick(plant: &Plant, neighbours: &[usize], planned: bool) -> Option<usize> {
    let rank = |s: State| match Condition::of(s, planned) {
        Condition::Running => 0,
        Condition::Starved | Condition::Blocked => 1,
        _ => 2,
    };
    let mut best: Option<(usize, u8)> = None;
    for &n in neighbours {
        let r = rank(plant.stations[n].state());
        if best.is_none_or(|(_, b)| r > b) {
            best = Some((n, r));
        }
    }
    best.map(|(n, _)| n)
}

/// The ledger part of the World: the run's counters and records, and who is to blame for
/// each stopped station this tick.
#[derive(Clone)]
pub struct Ledger {
    pub metrics: Metrics,
    /// Per station: what is to blame for it being stopped, this tick.
    pub blame: Vec<Option<Blame>>,
    /// Whether blame needs working out (attacks or controls in the scenario).
    pub track_blame: bool,
    /// Per station: who set its speed and temperature, this tick (for the loss tree).
    pub causes: Vec<crate::loss::StationCauses>,
    /// Per station: the state the causes were worked out from (its PLC's holding-register
    /// writes, the DPI's blocks of legitimate requests, the control that cuts the HMI off
    /// from its PLC, the recipe's temperature): unchanged, so are the causes.
    pub causes_seen: Vec<CausesSeen>,
    /// Thermal stations' excursions out of their band, and the product made in them.
    pub excursions: crate::excursion::Excursions,
}

/// What a station's causes were worked out from: its PLC's holding-register writes, the
/// DPI's blocks of legitimate requests, the control that cuts the HMI off from its PLC, the
/// recipe's setpoint and speed.
pub type CausesSeen = (
    u64,
    usize,
    Option<crate::controls::ControlId>,
    Option<u16>,
    u16,
);

/// The category and cause of a stop of the bottleneck, from its root station's condition
/// (before blame), what is to blame for it, and the root station's causes.
fn classify(
    cond: Condition,
    blame: Option<Blame>,
    causes: crate::loss::StationCauses,
) -> (crate::loss::LossCategory, crate::loss::Cause) {
    use crate::loss::{Cause, LossCategory};
    use Condition as C;
    let blamed = match blame {
        Some(Blame::Attack(Some(c))) => Some(c),
        Some(Blame::Attack(None)) => Some(Cause::Decision),
        Some(Blame::Held(c)) => Some(c),
        Some(Blame::Control(c)) => Some(Cause::Control(c)),
        None => None,
    };
    let held = matches!(blame, Some(Blame::Held(_)));
    match cond {
        C::Failed => (
            LossCategory::Breakdown,
            match blame {
                Some(Blame::Control(c)) => Cause::Control(c),
                _ => causes.breakdown,
            },
        ),
        C::SafetyTrip => (
            LossCategory::Breakdown,
            match blame {
                Some(Blame::Control(c)) => Cause::Control(c),
                _ => causes.temperature,
            },
        ),
        C::Maintenance => (
            LossCategory::PlannedStop,
            Cause::Control(crate::controls::ControlId::ConditionMonitoring),
        ),
        C::Starved | C::Blocked => (LossCategory::MinorStops, Cause::Normal),
        C::Stopped | C::PlcStop if held => (
            LossCategory::HeldByDecision,
            blamed.unwrap_or(Cause::Decision),
        ),
        C::Stopped | C::PlcStop => (LossCategory::Stopped, blamed.unwrap_or(Cause::Normal)),
        C::PlcFault => (
            LossCategory::CommunicationOrPlcFault,
            blamed.unwrap_or(Cause::Normal),
        ),
        // Conditions after blame, and running or off: not a stop's root condition.
        C::Attack | C::Control | C::Running | C::Planned => (LossCategory::Stopped, Cause::Normal),
    }
}

//! What a viewer shows, as plain data: a [`Snapshot`] of the World (station states,
//! buffers, the pasteurizer's trend, the network, alarms, the event log, KPIs and the
//! scorecard), a [`Layout`] of the mimic diagram, and the [`Command`]s a facilitator can
//! give. No Bevy here: the viewer adapter renders snapshots, and the live adapter can
//! publish them from its simulation thread.

pub mod purdue;

use crate::controls::ControlId;
use crate::metrics::Condition;
use crate::plant::State;
use crate::summary::Summary;
use crate::time::{Micros, clock};
use crate::world::World;

/// How a station is drawn: ISA-101 style, calm grey for normal, colour only for abnormal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    Running,
    /// Starved or blocked: waiting on its neighbours (normal flow loss).
    Waiting,
    /// Stopped by a command or outside planned production.
    Stopped,
    Failed,
    Tripped,
    /// Stopped by an attack (STOP mode, a fault, a stop command from an attacker).
    Attacked,
    /// Its commands cannot reach it because of a control.
    Blocked,
}

impl Look {
    /// sRGB colour of the station block.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            Look::Running => [150, 150, 150],
            Look::Waiting => [190, 190, 190],
            Look::Stopped => [110, 110, 110],
            Look::Failed => [230, 40, 40],
            Look::Tripped => [255, 140, 0],
            Look::Attacked => [200, 0, 200],
            Look::Blocked => [40, 110, 230],
        }
    }

    pub fn is_alarm(self) -> bool {
        matches!(
            self,
            Look::Failed | Look::Tripped | Look::Attacked | Look::Blocked
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct StationView {
    pub name: String,
    pub state: &'static str,
    pub look: Look,
    pub buffer: u32,
    pub capacity: u32,
    pub units_out: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ThermalView {
    pub station: String,
    pub temp_c: f64,
    pub setpoint_c: f64,
    pub band_c: (f64, f64),
    pub trip_c: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HostView {
    pub name: String,
    pub zone: usize,
    pub isolated: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NetworkView {
    pub zones: Vec<String>,
    pub hosts: Vec<HostView>,
    /// Connections refused so far (legitimate ones count against the control).
    pub flows_blocked: u64,
    pub legit_blocked: u64,
    pub detections: u64,
    pub dpi_blocked: u64,
    /// Modbus requests on the bus so far (traffic).
    pub requests: u64,
    /// The zones, conduits and hosts as a Purdue diagram draws them.
    pub purdue: purdue::PurdueView,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub now: Micros,
    pub clock: String,
    pub stations: Vec<StationView>,
    pub thermal: Option<ThermalView>,
    pub network: NetworkView,
    pub alarms: Vec<String>,
    /// The newest events, newest last: (time, kind, text).
    pub events: Vec<(String, String, String)>,
    pub good_units: u64,
    pub target_so_far: f64,
    pub throughput_per_h: f64,
    pub oee: f64,
    pub downtime_by_cause: Vec<(String, f64)>,
    /// (label, value) rows of the IT and the OT column.
    pub it: Vec<(String, String)>,
    pub ot: Vec<(String, String)>,
    /// Attack steps of the scenario: (label, state).
    pub attacks: Vec<(String, String)>,
    /// Controls that can be switched: (key, label, on).
    pub controls: Vec<(char, &'static str, bool)>,
}

fn look(w: &World, i: usize) -> Look {
    let st = &w.plant.stations[i];
    if let Some(b) = w.ledger.blame.get(i).copied().flatten() {
        match b {
            crate::metrics::Blame::Attack(_) | crate::metrics::Blame::Held(_) => {
                return Look::Attacked;
            }
            crate::metrics::Blame::Control(_) => return Look::Blocked,
        }
    }
    match st.state() {
        State::Running => Look::Running,
        State::Starved | State::Blocked => Look::Waiting,
        State::Failed => Look::Failed,
        State::Tripped => Look::Tripped,
        State::Stopped(_) => {
            let c = Condition::of(st.state(), w.plan.planned);
            match c {
                Condition::Attack => Look::Attacked,
                Condition::Control => Look::Blocked,
                _ => Look::Stopped,
            }
        }
    }
}

/// The controls a facilitator can switch from the viewer, by key.
pub const CONTROL_KEYS: [(char, &str); 7] = {
    let mut keys = [(' ', ""); 7];
    let mut i = 0;
    while i < 7 {
        let c = ControlId::VIEWER[i];
        let key = match c.key() {
            Some(k) => k,
            None => ' ',
        };
        keys[i] = (key, c.label());
        i += 1;
    }
    keys
};

impl Snapshot {
    pub fn of(w: &World) -> Snapshot {
        let s = Summary::from_world(w);
        let stations: Vec<StationView> = w
            .plant
            .stations
            .iter()
            .enumerate()
            .map(|(i, st)| StationView {
                name: st.name.clone(),
                state: st.state().label(),
                look: look(w, i),
                buffer: w.plant.buffers[i].level,
                capacity: w.plant.buffers[i].capacity,
                units_out: st.counters.units_out,
            })
            .collect();
        let thermal = w.plant.stations.iter().enumerate().find_map(|(i, st)| {
            let th = st.thermal.as_ref()?;
            let p = w.plc_of(i);
            Some(ThermalView {
                station: st.name.clone(),
                temp_c: th.temp_c,
                setpoint_c: w.devices.plcs[p].setpoint_c(i).unwrap_or(f64::NAN),
                band_c: th.band_c,
                trip_c: th.trip_above_c,
            })
        });
        let network = network_view(w);
        let alarms: Vec<String> = stations
            .iter()
            .filter(|v| v.look.is_alarm())
            .map(|v| format!("{}: {}", v.name, v.state.to_uppercase()))
            .collect();
        let events = recent_events(w);
        let causes = s.downtime_per_cause();
        let hours = w.now as f64 / crate::time::US_PER_H as f64;
        let sc = &s.scorecard;
        let opt = |v: Option<f64>| v.map(|x| format!("{x:.0} s")).unwrap_or_else(|| "-".into());
        let it = vec![
            ("attack steps".into(), sc.it.attack_steps.to_string()),
            ("blocked".into(), sc.it.blocked.to_string()),
            ("detected".into(), sc.it.detected.to_string()),
            ("succeeded".into(), sc.it.succeeded.to_string()),
            ("time to detect".into(), opt(sc.it.mean_time_to_detect_s)),
            (
                "legit flows blocked".into(),
                sc.it.legitimate_flows_blocked.to_string(),
            ),
            ("false positives".into(), sc.it.false_positives.to_string()),
        ];
        let ot = vec![
            (
                "production".into(),
                format!("{:.1} %", sc.ot.production_vs_target_pct),
            ),
            (
                "downtime".into(),
                format!("{:.2} h", sc.ot.unplanned_downtime_h),
            ),
            (
                "from attacks".into(),
                format!("{:.2} h", sc.ot.downtime_from_attacks_h),
            ),
            (
                "from controls".into(),
                format!("{:.2} h", sc.ot.downtime_from_controls_h),
            ),
            (
                "units lost to attacks".into(),
                format!("{:.0}", sc.ot.lost_units_attacks),
            ),
            (
                "units lost to controls".into(),
                format!("{:.0}", sc.ot.lost_units_controls),
            ),
            ("OEE".into(), format!("{:.2}", sc.ot.oee)),
            ("safety trips".into(), sc.ot.safety_trips.to_string()),
            (
                "cost".into(),
                format!("{} {:.0}", s.cost.currency, s.cost.total),
            ),
            ("owed to attacks".into(), format!("{:.0}", s.cost.attacks)),
            ("owed to controls".into(), format!("{:.0}", s.cost.controls)),
        ];
        let attacks = attack_states(w);
        let controls = CONTROL_KEYS
            .iter()
            .map(|(k, name)| {
                let on = ControlId::from_key(*k).is_some_and(|c| w.control_on(c));
                (*k, *name, on)
            })
            .collect();
        Snapshot {
            now: w.now,
            clock: clock(w.now),
            stations,
            thermal,
            network,
            alarms,
            events,
            good_units: s.line.good_units,
            target_so_far: w.plan.target_per_h * s.line.planned_production_h,
            throughput_per_h: if hours > 0.0 {
                s.line.good_units as f64 / hours
            } else {
                0.0
            },
            oee: s.line.oee.oee,
            downtime_by_cause: causes,
            it,
            ot,
            attacks,
            controls,
        }
    }
}

/// Where the mimic diagram puts things, in a 1280 × 720 window with the origin at the top
/// left (pixels): stations by their depth in the line, parallel stations stacked.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Per station: the block's centre and size.
    pub stations: Vec<([f32; 2], [f32; 2])>,
    /// Conveyors: (from station, to station).
    pub edges: Vec<(usize, usize)>,
}

pub const WIDTH: f32 = 1280.0;
pub const HEIGHT: f32 = 720.0;

impl Layout {
    pub fn of(w: &World) -> Layout {
        let n = w.plant.stations.len();
        // Depth: longest path from a source.
        let mut depth = vec![0usize; n];
        for _ in 0..n {
            for i in 0..n {
                for &d in &w.plant.stations[i].downstream {
                    depth[d] = depth[d].max(depth[i] + 1);
                }
            }
        }
        let cols = depth.iter().max().map(|d| d + 1).unwrap_or(1);
        let (left, right, top) = (40.0, WIDTH - 40.0, 90.0);
        let col_w = (right - left) / cols as f32;
        let size = [(col_w - 24.0).min(120.0), 56.0];
        let stations = (0..n)
            .map(|i| {
                // Its place among the stations of its column, and how many they are.
                let k = (0..i).filter(|&j| depth[j] == depth[i]).count();
                let rows = (0..n).filter(|&j| depth[j] == depth[i]).count() as f32;
                let x = left + col_w * (depth[i] as f32 + 0.5);
                let y = top + 70.0 + (k as f32 - (rows - 1.0) / 2.0) * 80.0;
                ([x, y], size)
            })
            .collect();
        let edges = (0..n)
            .flat_map(|i| w.plant.stations[i].downstream.iter().map(move |&d| (i, d)))
            .collect();
        Layout { stations, edges }
    }
}

/// The network panel: zones, hosts, traffic and what the controls stopped.
fn network_view(w: &World) -> NetworkView {
    NetworkView {
        zones: w.net.network.zones.clone(),
        hosts: w
            .net
            .network
            .hosts
            .iter()
            .enumerate()
            .map(|(h, x)| HostView {
                name: x.name.clone(),
                zone: x.zone,
                isolated: w.controls.contained.get(&h).is_some_and(|&at| at <= w.now),
            })
            .collect(),
        flows_blocked: w.net.blocked_flows.values().map(|v| v.attempts).sum(),
        legit_blocked: w
            .net
            .blocked_flows
            .values()
            .filter(|v| v.legitimate)
            .map(|v| v.attempts)
            .sum(),
        detections: w.controls.ids_stats.alerts,
        dpi_blocked: w.controls.dpi_stats.blocked,
        requests: w.devices.plcs.iter().map(|p| p.stats.requests).sum(),
        purdue: purdue::purdue_view(w),
    }
}

/// Each attack step of the scenario with its state now.
fn attack_states(w: &World) -> Vec<(String, String)> {
    w.campaign
        .attacks
        .iter()
        .map(|r| {
            let (id, name) = r.spec.step.technique();
            let state = match (r.started, r.outcome) {
                (false, _) if r.at == Micros::MAX => "cancelled".to_string(),
                (false, _) => format!("at {}", &clock(r.at)[..5]),
                (true, None) => "running".into(),
                (true, Some(o)) => format!("{o:?}").to_lowercase(),
            };
            (format!("{id} {name} from {}", r.spec.from), state)
        })
        .collect()
}

/// The newest events, newest last: (time, kind, text).
fn recent_events(w: &World) -> Vec<(String, String, String)> {
    w.ledger
        .metrics
        .events
        .iter()
        .flatten()
        .rev()
        .filter(|e| e.t_us <= w.now)
        .take(10)
        .map(|e| {
            (
                clock(e.t_us),
                e.kind.as_str().to_string(),
                format!("{} {}", e.source, e.detail),
            )
        })
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

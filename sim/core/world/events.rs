//! The parts' own events (plant, PLCs, HMI) turned into the run's event log, and the
//! operating schedule's actions.

use super::World;
use crate::hmi::{HmiEvent, Task};
use crate::metrics::EventKind;
use crate::plant::PlantEvent;
use crate::scenario::Action;
use crate::time::Micros;

impl World {
    pub(super) fn apply(&mut self, t: Micros, action: &Action) {
        match action {
            Action::StartLine => {
                self.plan.planned = true;
                self.hmi.start_line();
                self.ledger
                    .metrics
                    .event(t, EventKind::Schedule, "schedule", "start line".into());
                if self.hmi.may_run() {
                    self.schedule_at_the_panels(t, true);
                }
            }
            Action::StopLine => {
                self.plan.planned = false;
                self.hmi.stop_line();
                self.ledger.metrics.event(
                    t,
                    EventKind::Schedule,
                    "schedule",
                    "stop line (planned)".into(),
                );
                self.schedule_at_the_panels(t, false);
            }
            Action::Changeover { product, setpoints } => {
                // The new product reaches the line; its recipe's band applies.
                self.plant.set_product(*product);
                let s = &self.scenario;
                for sp in setpoints {
                    if let crate::scenario::Setpoint::Speed(name, pct) = sp
                        && let Some(i) = s.station_index(name)
                    {
                        self.plan.speed_pct[i] = *pct;
                    }
                }
                self.hmi
                    .changeover(*product, setpoints, |n| s.station_index(n));
                self.changeover_at_the_panels(t, *product);
                self.ledger.metrics.event(
                    t,
                    EventKind::Schedule,
                    "schedule",
                    format!("changeover to product {product}: {setpoints:?}"),
                );
            }
        }
    }

    /// Whether the HMI cannot command PLC `p` at `t`: its workstation is down (encrypted),
    /// or it has lost the PLC (comm loss: a device down, a connection a control cuts).
    fn hmi_cannot_command(&self, p: usize, t: Micros) -> bool {
        t < self.campaign.hmi_down_until || !self.hmi.comm_ok(p)
    }

    /// The schedule's start (`run`) or planned stop reaches the stations of every PLC the
    /// HMI cannot command by the shift at the machines' local panels, as a crew on site
    /// does: a planned stop for cleaning happens with the HMI or without it.
    fn schedule_at_the_panels(&mut self, t: Micros, run: bool) {
        for p in 0..self.devices.plcs.len() {
            if !self.hmi_cannot_command(p, t) {
                continue;
            }
            let plc = &mut self.devices.plcs[p];
            let changed = if run {
                plc.local_start()
            } else {
                plc.local_stop()
            };
            if changed {
                let (kind, what) = if run {
                    (EventKind::LocalStart, "started")
                } else {
                    (EventKind::LocalStop, "stopped (planned)")
                };
                self.ledger.metrics.event(
                    t,
                    kind,
                    &plc.name.clone(),
                    format!("the HMI cannot command this PLC: stations {what} at the local panel"),
                );
            }
        }
    }

    /// For each PLC the HMI cannot command (its workstation down, the PLC lost), the shift
    /// sets the recipe at each machine's local panel (no Modbus): speed, product code and
    /// temperature setpoints.
    fn changeover_at_the_panels(&mut self, t: Micros, product: u16) {
        use crate::modbus::Request;
        use crate::plc::map::{BLOCK, H_SPEED, H_TEMP_SP};
        let mut set = Vec::new();
        for st in 0..self.plant.stations.len() {
            let p = self.devices.station_plc[st];
            if !self.hmi_cannot_command(p, t) {
                continue;
            }
            if !set.contains(&p) {
                set.push(p);
            }
            let plc = &mut self.devices.plcs[p];
            let Some(slot) = plc.stations().position(|x| x == st) else {
                continue;
            };
            let b = slot as u16 * BLOCK;
            plc.set_current_conn(None);
            let _ = plc.handle(&Request::WriteMultipleRegisters {
                address: b + H_SPEED,
                values: vec![self.hmi.speed_recipe[st], product],
            });
            if let Some(value) = self.hmi.temp_recipe.get(st).copied().flatten() {
                let _ = plc.handle(&Request::WriteSingleRegister {
                    address: b + H_TEMP_SP,
                    value,
                });
            }
        }
        if set.is_empty() {
            return;
        }
        let detail = if t < self.campaign.hmi_down_until {
            format!("the HMI is down: product {product}'s recipe set at the machines' local panels")
        } else {
            let names: Vec<&str> = set
                .iter()
                .map(|&p| self.devices.plcs[p].name.as_str())
                .collect();
            format!(
                "the HMI cannot command {}: product {product}'s recipe set at their machines' local panels",
                names.join(", ")
            )
        };
        self.ledger
            .metrics
            .event(t, EventKind::Schedule, "schedule", detail);
    }

    pub(super) fn collect_events(&mut self) {
        let recording = self.ledger.metrics.events.is_some();
        if !recording {
            // Nothing to log: keep the buffers (and their capacity) for the next tick.
            self.plant.events.clear();
            self.hmi.events.clear();
        }
        for (t, e) in std::mem::take(&mut self.plant.events) {
            let name = |i: &usize| self.plant.stations[*i].name.clone();
            let (kind, source, detail) = match &e {
                PlantEvent::Failure { station } => (
                    EventKind::Failure,
                    name(station),
                    "machine failure".to_string(),
                ),
                PlantEvent::RepairStarted { station, by_floor } => (
                    EventKind::RepairStarted,
                    name(station),
                    if *by_floor {
                        "noticed on the floor (no maintenance call)".into()
                    } else {
                        "maintenance called".into()
                    },
                ),
                PlantEvent::Repaired { station } => {
                    (EventKind::Repaired, name(station), "repair done".into())
                }
                PlantEvent::Trip { station, temp_c } => (
                    EventKind::SafetyTrip,
                    name(station),
                    format!("temperature above {temp_c} °C"),
                ),
                PlantEvent::TripReady { station } => (
                    EventKind::TripResetReady,
                    name(station),
                    "cooled and inspected".into(),
                ),
                PlantEvent::TripReset { station } => {
                    (EventKind::TripReset, name(station), "operator reset".into())
                }
                PlantEvent::HealthAlert { station } => (
                    EventKind::HealthAlert,
                    name(station),
                    "degradation seen: maintenance planned".into(),
                ),
                PlantEvent::PlannedStop { station } => (
                    EventKind::PlannedStop,
                    name(station),
                    "stopped for planned maintenance".into(),
                ),
            };
            self.ledger.metrics.event(t, kind, &source, detail);
        }
        for p in 0..self.devices.plcs.len() {
            if self.devices.plcs[p].new_faults.is_empty() {
                continue;
            }
            for (t, cause) in std::mem::take(&mut self.devices.plcs[p].new_faults) {
                let name = self.devices.plcs[p].name.clone();
                self.ledger
                    .metrics
                    .event(t, EventKind::PlcFault, &name, format!("{cause:?}"));
            }
        }
        for (t, e) in std::mem::take(&mut self.hmi.events) {
            let st = |i: &usize| self.plant.stations[*i].name.clone();
            let plc = |i: &usize| self.devices.plcs[*i].name.clone();
            let (kind, source, detail) = match &e {
                HmiEvent::AlarmSeen { station, state } => {
                    (EventKind::Alarm, st(station), format!("HMI shows {state}"))
                }
                HmiEvent::SlowRunning { station, speed_pct } => (
                    EventKind::Alarm,
                    st(station),
                    format!("HMI shows running at {speed_pct} %, below the recipe's speed"),
                ),
                HmiEvent::OperatorAction(task) => {
                    let (what, who) = match task {
                        Task::CallMaintenance(s) => ("call maintenance", st(s)),
                        Task::ResetTrip(s) => ("reset safety trip", st(s)),
                        Task::RestartStation(s) => ("restart station", st(s)),
                        Task::SetPlcRun(p) => ("set PLC to RUN", plc(p)),
                        Task::ResetPlc(p) => ("go to the cabinet to reset the PLC", plc(p)),
                        Task::RestoreSetpoint(s) => {
                            ("restore the recipe's temperature setpoint", st(s))
                        }
                        Task::RestoreSpeed(s) => ("restore the recipe's speed", st(s)),
                    };
                    (EventKind::Operator, who, what.to_string())
                }
                HmiEvent::CommLoss { plc: p } => {
                    (EventKind::CommLoss, plc(p), "3 polls without reply".into())
                }
                HmiEvent::CommRestored { plc: p } => {
                    (EventKind::CommRestored, plc(p), "replies again".into())
                }
                HmiEvent::WriteFailed { plc: p, function } => {
                    (EventKind::WriteFailed, plc(p), format!("FC {function:02X}"))
                }
            };
            self.ledger.metrics.event(t, kind, &source, detail);
        }
    }
}

//! Who is to blame for each stopped station, each tick: an attacker's command or traffic,
//! or a control that keeps the HMI's commands from the PLC.

use super::World;
use crate::bus::Owner;
use crate::loss::{Cause, StationCauses};
use crate::network::FlowKey;
use crate::plc::ConnId;

impl World {
    /// The attack step behind a connection, if it is an attacker's.
    pub(super) fn attack_of(&self, conn: Option<ConnId>) -> Option<usize> {
        match conn
            .and_then(|c| self.net.bus.links.get(c as usize))
            .map(|l| l.owner)
        {
            Some(Owner::Attack(i)) => Some(i),
            _ => None,
        }
    }

    /// What holds the line: the attack step whose consequences led to it, a decision, or
    /// the incident response's safe stop (when nothing else holds it).
    pub(crate) fn held_cause(&self) -> Cause {
        let t = self.now;
        let by_attack_or_order = (t < self.campaign.mes_down_until && !self.controls.island_mode)
            || t < self.campaign.hold_until;
        let (from, until) = self.campaign.safe_stop;
        if !by_attack_or_order && from <= t && t < until {
            return Cause::Control(crate::controls::ControlId::Response);
        }
        self.campaign
            .held_by
            .map(Cause::Attack)
            .unwrap_or(Cause::Decision)
    }

    /// Why a recipe's value written by the HMI is not in PLC `p`: the DPI kept the write
    /// from it, or a control cut the HMI off from it; else normal operation.
    fn recipe_kept_from(&self, p: usize) -> Cause {
        if self.controls.dpi_blocked_hmi.contains(&p) {
            Cause::Control(crate::controls::ControlId::Dpi)
        } else if let Some(c) = self.hmi_cut_off_by(p) {
            Cause::Control(c)
        } else {
            Cause::Normal
        }
    }

    /// The control that keeps the HMI from PLC `p` now, if one does: a firewall that
    /// refused its connection, the incident response's isolation of a zone between them,
    /// an expired client certificate of the HMI.
    pub(crate) fn hmi_cut_off_by(&self, p: usize) -> Option<crate::controls::ControlId> {
        use crate::controls::ControlId;
        let l = self.hmi.links().find(|(_, q)| *q == p).map(|(l, _)| l)?;
        if self.net.bus.is_open(l) {
            return None;
        }
        let (from, to) = (self.net.network.hmi(), self.net.network.plc_host(p));
        if self.zone_isolation_between(from, to, self.now) {
            Some(ControlId::Response)
        } else if self.hmi_certificate_refused(p, self.now) {
            Some(ControlId::ModbusSecurity)
        } else if self.net.blocked_flows.contains_key(&FlowKey {
            from,
            to,
            port: crate::modbus::PORT,
        }) {
            Some(ControlId::Segmentation)
        } else {
            None
        }
    }

    /// Who is to blame for each stopped station: an attacker's command or traffic, or a
    /// control that keeps the HMI's commands from the PLC.
    pub(super) fn work_out_blame(&mut self) {
        use crate::metrics::Blame;
        let now = self.now;
        if !self.hmi.login_waits.is_empty() {
            self.hmi.login_waits.retain(|&(_, _, until)| until > now);
        }
        for st in 0..self.ledger.blame.len() {
            let p = self.devices.station_plc[st];
            let plc = &self.devices.plcs[p];
            let slot = self.devices.station_slot[st];
            let held = self.campaign.line_held && !plc.run_coil(slot);
            let attack = if held {
                Some(self.held_cause())
            } else if let Some(f) = &plc.fault {
                self.culprit(f.source)
            } else if !plc.mode_is_run() {
                self.culprit(plc.mode_writer())
            } else if !plc.run_coil(slot) {
                self.culprit(plc.run_writer(slot))
            } else {
                None
            };
            let cut_off = self.hmi_cut_off_by(p);
            // Cut off from the HMI by a control: a station it cannot start, or a failure
            // nobody called maintenance for (the alarm never reached the screen).
            let station = &self.plant.stations[st];
            let unseen_failure =
                station.state() == crate::plant::State::Failed && !station.repair_in_progress();
            self.ledger.blame[st] = if let Some(cause) = attack {
                Some(if held {
                    Blame::Held(cause)
                } else {
                    Blame::Attack(match cause {
                        Cause::Attack(_) | Cause::Actor(_) => Some(cause),
                        _ => None,
                    })
                })
            } else if let Some(c) = cut_off
                && (!plc.run_coil(slot) || unseen_failure)
            {
                Some(Blame::Control(c))
            } else if let Some(c) = self.restoring(p).filter(|_| !plc.mode_is_run()) {
                Some(Blame::Control(c))
            } else if self.plant.stations[st].state() != crate::plant::State::Running
                && self
                    .hmi
                    .login_waits
                    .iter()
                    .any(|&(s, from, until)| s == st && from <= self.now && self.now < until)
            {
                // The operator's action waits for a login to a personal account.
                Some(Blame::Control(crate::controls::ControlId::Authentication))
            } else {
                None
            };
            // The causes the ledger reads: the bottleneck's speed, thermal stations'
            // temperature, breakdowns while a repair waits for the vendor.
            let seen = (
                self.devices.plcs[p].holding_writes,
                self.controls.dpi_blocked_hmi.len(),
                cut_off,
                self.hmi.temp_recipe.get(st).copied().flatten(),
                self.plan.speed_pct[st],
            );
            let wanted =
                st == self.ledger.metrics.bottleneck || self.plant.stations[st].thermal.is_some();
            if !self.controls.vendor_wait.is_empty()
                || (wanted && seen != self.ledger.causes_seen[st])
            {
                self.ledger.causes_seen[st] = seen;
                self.ledger.causes[st] = self.station_causes(st, p, slot);
            }
        }
    }

    /// Who set a station's speed and its temperature where they are: an attack step whose
    /// connection wrote the register, the DPI when it kept the recipe's write from a
    /// thermal PLC, else the plan (speed) and normal operation (temperature).
    fn station_causes(&self, st: usize, p: usize, slot: usize) -> StationCauses {
        use crate::plc::map::{H_SPEED, H_TEMP_SP};
        let plc = &self.devices.plcs[p];
        // Only what the ledger reads is worked out: the bottleneck's speed, the thermal
        // stations' temperature, the breakdowns of stations waiting for the vendor.
        let speed = if st != self.ledger.metrics.bottleneck {
            Cause::Normal
        } else if let Some(c) = self.culprit(plc.holding_writer(slot, H_SPEED)) {
            c
        } else if plc.holding(slot, H_SPEED) != Some(self.plan.speed_pct[st]) {
            // The recipe's speed did not reach the PLC (else it is on its way: a scan or two).
            self.recipe_kept_from(p)
        } else {
            Cause::Normal
        };
        let temperature = if !plc.is_thermal_slot(slot) {
            Cause::Normal
        } else if let Some(c) = self.culprit(plc.holding_writer(slot, H_TEMP_SP)) {
            c
        } else {
            let recipe = self.hmi.temp_recipe.get(st).copied().flatten();
            let holds = plc.holding(slot, H_TEMP_SP);
            if recipe.is_some_and(|r| Some(r) != holds) {
                self.recipe_kept_from(p)
            } else {
                Cause::Normal
            }
        };
        let now = self.now;
        let breakdown = match (!self.controls.vendor_wait.is_empty())
            .then(|| self.controls.vendor_wait.get(&st))
            .flatten()
            .and_then(|spans| {
                spans
                    .iter()
                    .find(|(from, until, _)| (*from..*until).contains(&now))
            }) {
            Some(&(_, _, owner)) => match owner {
                crate::controls::VendorWait::Gateway => {
                    Cause::Control(crate::controls::ControlId::Gateway)
                }
                crate::controls::VendorWait::Refused => Cause::Decision,
                crate::controls::VendorWait::Revoked => {
                    Cause::Control(crate::controls::ControlId::Response)
                }
            },
            _ => Cause::Normal,
        };
        StationCauses {
            speed,
            temperature,
            breakdown,
        }
    }
}

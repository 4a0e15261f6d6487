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

    /// Who is to blame for each stopped station: an attacker's command or traffic, or a
    /// control that keeps the HMI's commands from the PLC.
    pub(super) fn work_out_blame(&mut self) {
        use crate::metrics::Blame;
        for st in 0..self.ledger.blame.len() {
            let p = self.devices.station_plc[st];
            let plc = &self.devices.plcs[p];
            let slot = plc.stations().position(|s| s == st).unwrap_or(0);
            let held = self.campaign.line_held && !plc.run_coil(slot);
            let attack = if held {
                Some(self.campaign.held_by)
            } else if let Some(f) = &plc.fault {
                self.attack_of(f.source).map(Some)
            } else if !plc.mode_is_run() {
                self.attack_of(plc.mode_writer()).map(Some)
            } else if !plc.run_coil(slot) {
                self.attack_of(plc.run_writer(slot)).map(Some)
            } else {
                None
            };
            let hmi_link = self.hmi.links().find(|(_, q)| *q == p).map(|(l, _)| l);
            let cut_off = hmi_link.is_some_and(|l| {
                !self.net.bus.is_open(l)
                    && self.net.blocked_flows.contains_key(&FlowKey {
                        from: self.net.network.hmi(),
                        to: self.net.network.plc_host(p),
                        port: 502,
                    })
            });
            // Cut off from the HMI by a control: a station it cannot start, or a failure
            // nobody called maintenance for (the alarm never reached the screen).
            let station = &self.plant.stations[st];
            let unseen_failure =
                station.state() == crate::plant::State::Failed && !station.repair_in_progress();
            self.ledger.blame[st] = if let Some(step) = attack {
                Some(if held {
                    Blame::Held(step)
                } else {
                    Blame::Attack(step)
                })
            } else if cut_off && (!plc.run_coil(slot) || unseen_failure) {
                Some(Blame::Control)
            } else {
                None
            };
            // The causes the ledger reads: the bottleneck's speed, thermal stations'
            // temperature, breakdowns while a repair waits for the vendor.
            let seen = (
                self.devices.plcs[p].holding_writes,
                self.controls.dpi_blocked_hmi.len(),
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
            Cause::Schedule
        } else {
            match self.attack_of(plc.holding_writer(slot, H_SPEED)) {
                Some(k) => Cause::Attack(k),
                _ => Cause::Schedule,
            }
        };
        let temperature = if !plc.is_thermal_slot(slot) {
            Cause::Normal
        } else if let Some(k) = self.attack_of(plc.holding_writer(slot, H_TEMP_SP)) {
            Cause::Attack(k)
        } else {
            let recipe = self.hmi.temp_recipe.get(st).copied().flatten();
            let holds = plc.holding(slot, H_TEMP_SP);
            if recipe.is_some_and(|r| Some(r) != holds)
                && self.controls.dpi_blocked_hmi.contains(&p)
            {
                Cause::Control(crate::controls::ControlId::Dpi)
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

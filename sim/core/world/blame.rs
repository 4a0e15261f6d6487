//! Who is to blame for each stopped station, each tick: an attacker's command or traffic,
//! or a control that keeps the HMI's commands from the PLC.

use super::World;
use crate::bus::Owner;
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
            let attack = if self.campaign.line_held && !plc.run_coil(slot) {
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
                Some(Blame::Attack(step))
            } else if cut_off && (!plc.run_coil(slot) || unseen_failure) {
                Some(Blame::Control)
            } else {
                None
            };
        }
    }
}

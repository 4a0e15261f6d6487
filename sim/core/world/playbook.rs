//! The incident response's playbook as it acts in the World: on a detection, after the
//! responders' delay, block the host, isolate its zone, revoke the vendor's access, bring
//! the line to a safe stop, restore the attacked PLCs from backup. What each action costs
//! the line is booked to the incident response in the loss tree (blame.rs).

use super::World;
use crate::bus::Owner;
use crate::controls::{Restore, ZoneIsolation};
use crate::metrics::EventKind;
use crate::scenario::Play;
use crate::time::{Micros, from_secs};

impl World {
    /// The playbook for the host `host` detected, carried out at `at` (its draws from the
    /// response's stream, in the playbook's order).
    pub(crate) fn plan_playbook(&mut self, host: usize, at: Micros, playbook: &[Play]) {
        let name = self.net.network.hosts[host].name.clone();
        for play in playbook {
            match play {
                Play::BlockHost => {
                    self.controls.contained.entry(host).or_insert(at);
                    self.ledger.metrics.event(
                        at,
                        EventKind::Contained,
                        &name,
                        "isolated by the incident response".into(),
                    );
                }
                Play::IsolateZone { restore_min } => {
                    let restore = from_secs(
                        restore_min.sample(&mut self.controls.response_rng).max(0.0) * 60.0,
                    );
                    let zone = self.net.network.hosts[host].zone;
                    self.controls.contained.entry(host).or_insert(at);
                    self.controls.isolated_zones.push(ZoneIsolation {
                        zone,
                        from: at,
                        until: at + restore,
                    });
                    let zone_name = self
                        .net
                        .network
                        .zones
                        .get(zone)
                        .cloned()
                        .unwrap_or_default();
                    self.ledger.metrics.event(
                        at,
                        EventKind::Response,
                        &name,
                        format!(
                            "zone {zone_name} isolated by the incident response for {:.0} min; {name} stays blocked",
                            restore as f64 / 60e6
                        ),
                    );
                }
                Play::RevokeVendor { onsite_h } => {
                    let onsite = from_secs(
                        onsite_h.sample(&mut self.controls.response_rng).max(0.0) * 3600.0,
                    );
                    if self.controls.vendor_revoked.is_none() {
                        self.controls.vendor_revoked = Some((at, onsite));
                        if let Some(v) = self.controls.vendor.as_ref()
                            && let Some(h) = self.host_index(&v.host.clone())
                        {
                            self.controls.contained.entry(h).or_insert(at);
                        }
                        self.ledger.metrics.event(
                            at,
                            EventKind::Response,
                            &name,
                            "the vendor's remote access revoked by the incident response".into(),
                        );
                    }
                }
                Play::SafeStop { restart_min } => {
                    let restart = from_secs(
                        restart_min.sample(&mut self.controls.response_rng).max(0.0) * 60.0,
                    );
                    let (from, until) = self.campaign.safe_stop;
                    self.campaign.safe_stop = if until < at {
                        (at, at + restart)
                    } else {
                        (from.min(at), until.max(at + restart))
                    };
                    self.ledger.metrics.event(
                        at,
                        EventKind::Response,
                        "incident response",
                        format!(
                            "controlled safe stop after the detection of {name}, restart in {:.0} min",
                            restart as f64 / 60e6
                        ),
                    );
                }
                Play::RestorePlc { restore_min } => {
                    let mut aimed: Vec<usize> = self
                        .campaign
                        .attacks
                        .iter()
                        .filter(|r| r.host == host)
                        .filter_map(|r| r.spec.step.target())
                        .filter_map(|n| self.devices.plcs.iter().position(|p| p.name == n))
                        .collect();
                    aimed.sort_unstable();
                    aimed.dedup();
                    let mfa = from_secs(
                        self.scenario
                            .authentication
                            .as_ref()
                            .map_or(0.0, |a| a.engineering_mfa_s),
                    );
                    for p in aimed {
                        if self.controls.restoring.iter().any(|r| r.plc == p) {
                            continue;
                        }
                        let took = from_secs(
                            restore_min.sample(&mut self.controls.response_rng).max(0.0) * 60.0,
                        );
                        self.controls.restoring.push(Restore {
                            plc: p,
                            from: at,
                            mfa_until: at + mfa,
                            until: at + mfa + took,
                            done: false,
                        });
                    }
                }
            }
        }
    }

    /// Whether the incident response has cut the zones of hosts `a` and `b` apart at `t`.
    pub(crate) fn zone_isolation_between(&self, a: usize, b: usize, t: Micros) -> bool {
        let (za, zb) = (
            self.net.network.hosts[a].zone,
            self.net.network.hosts[b].zone,
        );
        za != zb
            && self
                .controls
                .isolated_zones
                .iter()
                .any(|i| (i.zone == za || i.zone == zb) && i.from <= t && t < i.until)
    }

    /// The control a PLC is held in STOP by for its restore from backup now, if it is: the
    /// engineer's second factor first (authentication), then the restore (the response).
    pub(crate) fn restoring(&self, p: usize) -> Option<crate::controls::ControlId> {
        use crate::controls::ControlId;
        let now = self.now;
        self.controls
            .restoring
            .iter()
            .find(|r| r.plc == p && !r.done && r.from <= now)
            .map(|r| {
                if now < r.mfa_until {
                    ControlId::Authentication
                } else {
                    ControlId::Response
                }
            })
    }

    /// What the playbook's actions do this tick: isolated zones cut the HMI's connections
    /// that cross them; PLCs under restore stay in STOP, then come back with the backup's
    /// values.
    pub(crate) fn carry_out_playbooks(&mut self, t: Micros) {
        if !self.controls.isolated_zones.is_empty() {
            for (link, p) in self.hmi.links().collect::<Vec<_>>() {
                let (from, to) = (self.net.network.hmi(), self.net.network.plc_host(p));
                if self.net.bus.is_open(link) && self.zone_isolation_between(from, to, t) {
                    self.drop_hmi_link(
                        p,
                        link,
                        "the HMI's connection cut by the isolation of a zone",
                    );
                }
            }
            // Connections of attack steps across an isolated zone end too.
            for l in 0..self.net.bus.links.len() {
                let link = &self.net.bus.links[l];
                if let Owner::Attack(i) = link.owner
                    && link.open
                {
                    let (host, p) = (self.campaign.attacks[i].host, link.plc);
                    if self.zone_isolation_between(host, self.net.network.plc_host(p), t) {
                        self.devices.plcs[p].disconnect(l as crate::plc::ConnId);
                        self.net.bus.close(l as crate::plc::ConnId);
                    }
                }
            }
        }
        for k in 0..self.controls.restoring.len() {
            let r = self.controls.restoring[k];
            if r.done || t < r.from {
                continue;
            }
            let name = self.devices.plcs[r.plc].name.clone();
            if t < r.until {
                if self.devices.plcs[r.plc].mode_is_run() {
                    self.ledger.metrics.event(
                        t,
                        EventKind::Response,
                        "incident response",
                        format!("{name} to STOP: its backup is being loaded"),
                    );
                }
                self.devices.plcs[r.plc].local_mode_stop();
                continue;
            }
            let recipe = self.hmi.temp_recipe.clone();
            self.devices.plcs[r.plc].restore_backup(|st| recipe.get(st).copied().flatten());
            if self.plan.planned && !self.campaign.line_held {
                self.devices.plcs[r.plc].local_start();
            }
            self.controls.restoring[k].done = true;
            self.ledger.metrics.event(
                t,
                EventKind::Response,
                "incident response",
                format!("{name} restored from backup and started"),
            );
        }
    }
}

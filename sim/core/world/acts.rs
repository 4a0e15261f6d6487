//! What the table and the facilitator do to the twin: exercise decisions ([`Act`]) and
//! viewer commands ([`Command`]), applied now.

use super::World;
use super::input::Command;
use crate::act::Act;
use crate::controls::ControlId;
use crate::metrics::EventKind;
use crate::scenario::VendorAccess;
use crate::time::{Micros, from_secs};

impl World {
    pub(super) fn host_index(&self, name: &str) -> Option<usize> {
        self.net.network.hosts.iter().position(|h| h.name == name)
    }

    /// Apply a decision's action now; returns what it did, for the record.
    pub fn act(&mut self, a: &Act) -> String {
        let t = self.now;
        let text = match a {
            Act::Nothing => "nothing changed".to_string(),
            Act::StopLine(h) => {
                self.campaign.hold_until = self.campaign.hold_until.max(t + from_secs(h * 3600.0));
                format!("line stopped by order for {h} h")
            }
            Act::IslandMode => {
                self.controls.island_mode = true;
                "island mode: the line runs without the MES".into()
            }
            Act::IsolateHost(h) => match self.host_index(h) {
                Some(i) => {
                    self.controls.contained.entry(i).or_insert(t);
                    self.end_contained_steps(t);
                    format!("{h} isolated from the network")
                }
                None => format!("no host {h}"),
            },
            Act::RefuseVendor(h) => {
                self.controls.vendor_refused = Some(from_secs(h * 3600.0));
                format!(
                    "vendor remote access refused; repairs wait for an engineer on site ({h} h)"
                )
            }
            Act::VendorGateway(approval_min) => {
                // After a refusal this re-opens remote access, through the gateway.
                self.controls.vendor_refused = None;
                if let Some(v) = &mut self.controls.vendor {
                    v.access = VendorAccess::Gateway {
                        approval_min: crate::dist::Dist::LogNormal {
                            mean: *approval_min,
                            cv: 0.5,
                        },
                        mfa_min: 2.0,
                        session_h: 4.0,
                    };
                }
                self.controls.vendor_stats.access = "gateway".into();
                "vendor access only through the gateway (approval, MFA, time box, audit)".into()
            }
            Act::DpiEnforce(on) => {
                use crate::controls::dpi::Mode;
                let mode = if *on { Mode::Enforce } else { Mode::Monitor };
                if let Some(d) = &mut self.controls.dpi {
                    d.spec.mode = mode;
                }
                format!(
                    "DPI switched to {}",
                    if *on { "enforce" } else { "monitor" }
                )
            }
            Act::Segmentation(on) => {
                if let Some(g) = &mut self.controls.segmentation {
                    g.enabled = *on;
                }
                self.net.network = crate::network::Network::new(
                    &self.scenario,
                    self.controls.segmentation.as_ref(),
                );
                format!(
                    "zone firewalls {}",
                    if *on { "on" } else { "off (flat network)" }
                )
            }
            Act::AllowFlow(rule) => {
                if let Some(g) = &mut self.controls.segmentation {
                    g.allow.push(rule.clone());
                }
                self.net.network = crate::network::Network::new(
                    &self.scenario,
                    self.controls.segmentation.as_ref(),
                );
                format!("firewall rule added: {:?} → {:?}", rule.from, rule.to)
            }
            Act::RestorePlc(p) => match self.devices.plcs.iter().position(|x| x.name == *p) {
                Some(i) => {
                    let recipe = self.hmi.temp_recipe.clone();
                    self.devices.plcs[i].restore_backup(|st| recipe.get(st).copied().flatten());
                    format!("{p} restored from backup")
                }
                None => format!("no PLC {p}"),
            },
            Act::HoldProduct(st) => {
                match self.scenario.stations.iter().position(|x| x.name == *st) {
                    Some(i) => {
                        self.ledger.excursions.hold(i, t);
                        format!("{st}'s product on hold: what has not shipped is held")
                    }
                    None => format!("no station {st}"),
                }
            }
            Act::Disposition(d) => match &mut self.scenario.cost.out_of_band {
                Some(o) => {
                    o.held = *d;
                    disposed(d)
                }
                None => "no price for product out of band: nothing to decide".into(),
            },
            Act::CancelSteps(h) => {
                let n = self.move_steps(h, Micros::MAX);
                format!("{n} step(s) from {h} cancelled")
            }
            Act::RescheduleSteps(h, at) => {
                let n = self.move_steps(h, from_secs(at * 3600.0).max(t));
                format!("{n} step(s) from {h} moved to {at} h")
            }
        };
        self.ledger
            .metrics
            .event(t, EventKind::ExerciseAction, "table", text.clone());
        text
    }

    /// Steps from host `name` that have not started: start them at `at` (never: MAX).
    pub(super) fn move_steps(&mut self, name: &str, at: Micros) -> usize {
        let Some(h) = self.host_index(name) else {
            return 0;
        };
        let mut n = 0;
        for r in &mut self.campaign.attacks {
            if r.host == h && !r.started {
                r.at = at;
                n += 1;
            }
        }
        n
    }

    /// Whether a control is on now.
    pub fn control_on(&self, control: ControlId) -> bool {
        let c = &self.controls;
        match control {
            ControlId::Segmentation => c.segmentation.as_ref().is_some_and(|g| g.enabled),
            ControlId::Dpi => c
                .dpi
                .as_ref()
                .is_some_and(|d| d.spec.mode == crate::controls::dpi::Mode::Enforce),
            ControlId::IslandMode => c.island_mode,
            ControlId::Ids => c.ids.is_some(),
            ControlId::Response => c.response.is_some(),
            ControlId::DeviceMonitoring => c.device_monitoring.is_some(),
            ControlId::Gateway => c
                .vendor
                .as_ref()
                .is_some_and(|v| matches!(v.access, crate::scenario::VendorAccess::Gateway { .. })),
            ControlId::ConditionMonitoring => !self.scenario.health.is_empty(),
            ControlId::ModbusSecurity => self.scenario.modbus_security.is_some(),
            ControlId::Authentication => self.hmi.login.is_some(),
        }
    }

    /// Apply a facilitator's command now; returns what it did.
    pub fn command(&mut self, c: &Command) -> String {
        let w = self;
        use crate::act::Act;
        match c {
            Command::Launch(k) => {
                let now = w.now;
                match w.campaign.attacks.get_mut(*k) {
                    Some(r) if !r.started => {
                        r.at = now;
                        let (id, name) = r.spec.step.technique();
                        format!("launched {id} {name}")
                    }
                    Some(_) => "that step has already run".into(),
                    None => "no such attack step".into(),
                }
            }
            Command::Toggle(key) => {
                let Some(control) = ControlId::from_key(*key) else {
                    return format!("control '{key}' cannot be switched in this scenario");
                };
                let on = w.control_on(control);
                // Controls the World builds at the start: parked when off, restored when on.
                let p = &mut w.controls.parked;
                let switched = match control {
                    ControlId::Ids if on => {
                        p.ids = w.controls.ids.take();
                        Some("IDS off")
                    }
                    ControlId::Ids if p.ids.is_some() => {
                        w.controls.ids = p.ids.take();
                        Some("IDS on")
                    }
                    ControlId::Response if on => {
                        p.response = w.controls.response.take();
                        Some("incident response off")
                    }
                    ControlId::Response if p.response.is_some() => {
                        w.controls.response = p.response.take();
                        Some("incident response on")
                    }
                    ControlId::DeviceMonitoring if on => {
                        p.devices = w.controls.device_monitoring.take();
                        Some("device monitoring off")
                    }
                    ControlId::DeviceMonitoring if p.devices.is_some() => {
                        w.controls.device_monitoring = p.devices.take();
                        Some("device monitoring on")
                    }
                    ControlId::Ids | ControlId::Response | ControlId::DeviceMonitoring => {
                        return format!("the scenario does not deploy control '{key}'");
                    }
                    _ => None,
                };
                if let Some(text) = switched {
                    let t = w.now;
                    w.ledger
                        .metrics
                        .event(t, EventKind::ControlSwitch, "facilitator", text.into());
                    return text.into();
                }
                let act = match control {
                    ControlId::Segmentation if w.controls.segmentation.is_some() => {
                        Act::Segmentation(!on)
                    }
                    ControlId::Dpi if w.controls.dpi.is_some() => Act::DpiEnforce(!on),
                    ControlId::IslandMode if !on => Act::IslandMode,
                    ControlId::Gateway if w.controls.vendor.is_some() && !on => {
                        Act::VendorGateway(20.0)
                    }
                    _ => return format!("control '{key}' cannot be switched in this scenario"),
                };
                w.act(&act)
            }
            Command::Fail(i) => {
                if *i < w.plant.stations.len() {
                    let now = w.now;
                    w.plant.force_failure(*i, now);
                    format!("{} will fail now", w.plant.stations[*i].name)
                } else {
                    "no such station".into()
                }
            }
        }
    }
}

/// What a disposition of held product does, for the record.
fn disposed(d: &crate::scenario::Disposition) -> String {
    use crate::scenario::Disposition;
    match d {
        Disposition::Destroy => "held product destroyed".into(),
        Disposition::Release { pass_rate } => format!(
            "held product tested; the {:.0} % that passes is released",
            100.0 * pass_rate
        ),
        Disposition::Rework { yield_rate, .. } => format!(
            "held product reworked; {:.0} % comes out sellable",
            100.0 * yield_rate
        ),
    }
}

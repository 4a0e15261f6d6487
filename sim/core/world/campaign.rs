//! The attack campaign as it acts in the World: each step opens its own connections,
//! sends its traffic through the network and the controls, and ends recorded.

use super::World;

mod it;
mod traffic;
use crate::attack::{Awaited, Flood, Outcome, REPLY_TIMEOUT, Spoof};
use crate::bus::Owner;
use crate::metrics::EventKind;
use crate::modbus::{Request, Response, diag, parse_adu, request_adu};
use crate::network::Verdict;
use crate::plc::{Admission, ConnId, map};
use crate::ports::{SMB as SMB_PORT, VNC as VNC_PORT};
use crate::scenario::AttackStep;
use crate::time::{Micros, from_secs};

impl World {
    /// Open a connection for attack step `i` to PLC `plc`: through the network, then the
    /// device's connection table. `None` when blocked or refused (counted on the step).
    pub(super) fn attack_connect(
        &mut self,
        i: usize,
        plc: usize,
        raw: bool,
        t: Micros,
    ) -> Option<ConnId> {
        let run = &self.campaign.attacks[i];
        let host = run.via.unwrap_or(run.host);
        let to = self.net.network.plc_host(plc);
        if self.contained(host, t) {
            self.campaign.attacks[i].blocked_by_response += 1;
            self.note_flow(host, to, crate::modbus::PORT, false, t);
            return None;
        }
        if self.gateway_refuses(host) {
            // Stolen vendor credentials are not an approved, MFA-checked session.
            self.campaign.attacks[i].blocked_by_gateway += 1;
            self.note_flow(host, to, crate::modbus::PORT, false, t);
            return None;
        }
        if self.net.bus.carried() {
            // The kernel decides, from the host's namespace and address; the step goes on
            // writing meanwhile, as its tool would after connect().
            let name = self.net.network.hosts[host].name.clone();
            let link = self.net.bus.open_for(Owner::Attack(i), raw, &name, plc, 0);
            self.net.bus.links[link as usize].pending = true;
            self.net.reconnect_at.push(Micros::MAX);
            self.net
                .bus
                .carry_connect(link, host, to, crate::modbus::PORT);
            return Some(link);
        }
        match self.net.network.connect(host, to, crate::modbus::PORT) {
            Verdict::Allow(latency) => {
                self.note_passed(host, to, crate::modbus::PORT, false);
                let latency = latency + self.controls.dpi.as_ref().map(|d| d.latency).unwrap_or(0);
                let name = self.net.network.hosts[host].name.clone();
                let link = self
                    .net
                    .bus
                    .open_for(Owner::Attack(i), raw, &name, plc, latency);
                self.net.reconnect_at.push(Micros::MAX);
                match self.devices.plcs[plc].connect(link) {
                    Admission::Refused => {
                        self.net.bus.close(link);
                        self.campaign.attacks[i].refused += 1;
                        None
                    }
                    a => {
                        if let Admission::AcceptedClosing(old) = a {
                            self.close_external(plc, old);
                        }
                        Some(link)
                    }
                }
            }
            Verdict::Blocked | Verdict::NoRoute => {
                self.campaign.attacks[i].blocked += 1;
                self.note_flow(host, to, crate::modbus::PORT, false, t);
                None
            }
        }
    }

    pub(super) fn attack_send(
        &mut self,
        i: usize,
        link: ConnId,
        plc: usize,
        req: &Request,
        t: Micros,
    ) {
        let run = &mut self.campaign.attacks[i];
        run.tid = run.tid.wrapping_add(1);
        let tid = run.tid;
        run.waiting.push(Awaited {
            link,
            transaction_id: tid,
            deadline: t + REPLY_TIMEOUT,
            plc,
        });
        self.net
            .bus
            .send_to_server(link, t, request_adu(tid, 1, req));
    }

    /// Advance every attack step at time `t`.
    pub(crate) fn run_attacks(&mut self, t: Micros) {
        for i in 0..self.campaign.attacks.len() {
            if self.campaign.attacks[i].done() || t < self.campaign.attacks[i].at {
                continue;
            }
            if !self.campaign.attacks[i].started {
                self.campaign.attacks[i].started = true;
                let (id, name) = self.campaign.attacks[i].spec.step.technique();
                let from = self.net.network.hosts[self.campaign.attacks[i].host]
                    .name
                    .clone();
                self.ledger.metrics.event(
                    t,
                    EventKind::AttackStep,
                    &from,
                    format!("{id} {name}: {:?}", self.campaign.attacks[i].spec.step),
                );
                if self.campaign.attacks[i].fails_by_chance {
                    self.end_step(
                        i,
                        t,
                        Outcome::Failed,
                        "the technique did not work this time".into(),
                    );
                    continue;
                }
                self.start_step(i, t);
            }
            if !self.campaign.attacks[i].done() {
                self.continue_step(i, t);
            }
        }
    }

    /// Step `i`'s target PLC, resolved when its run was built.
    pub(super) fn target_plc(&self, i: usize) -> usize {
        self.campaign.attacks[i]
            .plc
            .expect("a step with a target PLC has it resolved")
    }

    pub(super) fn start_step(&mut self, i: usize, t: Micros) {
        let step = self.campaign.attacks[i].spec.step.clone();
        let single = |w: &mut World, req: Request| {
            let p = w.target_plc(i);
            if let Some(link) = w.attack_connect(i, p, false, t) {
                w.attack_send(i, link, p, &req, t);
            }
        };
        match step {
            AttackStep::Scan { .. } => {}
            AttackStep::WriteRegister { address, value, .. } => {
                single(self, Request::WriteSingleRegister { address, value })
            }
            AttackStep::WriteCoil { address, value, .. } => {
                single(self, Request::WriteSingleCoil { address, value })
            }
            AttackStep::StopPlc { .. } => single(
                self,
                Request::WriteSingleRegister {
                    address: map::SYSTEM + map::S_MODE,
                    value: 0,
                },
            ),
            AttackStep::ListenOnly { .. } => single(
                self,
                Request::Diagnostics {
                    sub_function: diag::FORCE_LISTEN_ONLY,
                    data: vec![0, 0],
                },
            ),
            AttackStep::HmiStolenPassword { .. } => self.start_hmi_password(i, t),
            AttackStep::Ransomware {
                precautionary_shutdown_h,
                ..
            } => self.start_ransomware(i, precautionary_shutdown_h, t),
            AttackStep::SpoofReporting { duration_s, .. } => {
                let p = self.target_plc(i);
                let host = self.campaign.attacks[i].host;
                if self.net.network.on_path(
                    host,
                    self.net.network.hmi(),
                    self.net.network.plc_host(p),
                ) {
                    self.campaign.attacks[i].spoof = Some(Spoof {
                        plc: p,
                        until: t + from_secs(duration_s),
                        frozen: None,
                        rewritten: 0,
                    });
                } else {
                    self.end_step(
                        i,
                        t,
                        Outcome::Failed,
                        "not on the path between the HMI and the PLC".into(),
                    );
                }
            }
            AttackStep::Flood { duration_s, .. } => {
                let p = self.target_plc(i);
                self.campaign.attacks[i].dropped_before = self.devices.plcs[p].stats.dropped;
                if let Some(link) = self.attack_connect(i, p, false, t) {
                    self.campaign.attacks[i].flood = Some(Flood {
                        link,
                        plc: p,
                        until: t + from_secs(duration_s),
                        carry: 0.0,
                        sent: 0,
                        reconnect_at: None,
                        reconnects: 0,
                    });
                }
            }
        }
    }

    /// A stolen password tried on the HMI's remote desktop (port 5900): contained, decided
    /// by the kernel, or by the twin's network.
    fn start_hmi_password(&mut self, i: usize, t: Micros) {
        let host = self.campaign.attacks[i].host;
        let hmi = self.net.network.hmi();
        if self.contained(host, t) {
            self.campaign.attacks[i].blocked_by_response += 1;
            self.note_flow(host, hmi, VNC_PORT, false, t);
        } else if self.net.bus.carried() {
            // The kernel decides; the step goes on with its answer.
            self.probe(i, host, hmi, VNC_PORT);
        } else {
            let reached = matches!(
                self.net.network.connect(host, hmi, VNC_PORT),
                Verdict::Allow(_)
            );
            if reached {
                self.note_passed(host, hmi, VNC_PORT, false);
            } else {
                self.note_flow(host, hmi, VNC_PORT, false, t);
            }
            self.hmi_password_tried(i, reached, t);
        }
    }

    /// Ransomware: the line held for the precautionary shutdown, the host encrypted, and
    /// every encryptable host it reaches over SMB (port 445) after it.
    fn start_ransomware(&mut self, i: usize, precautionary_shutdown_h: Option<f64>, t: Micros) {
        let host = self.campaign.attacks[i].host;
        self.campaign.held_by = Some(i);
        if let Some(hours) = precautionary_shutdown_h {
            self.campaign.hold_until = self.campaign.hold_until.max(t + from_secs(hours * 3600.0));
        }
        if self.encryptable(host) {
            self.encrypt(i, host, t);
        }
        // An isolated host encrypts itself but reaches no other.
        let isolated = self.contained(host, t);
        for h in 0..self.net.network.hosts.len() {
            if !self.encryptable(h) || h == host {
                continue;
            }
            let open = !isolated && !self.zone_isolation_between(host, h, t);
            if open && self.net.bus.carried() {
                // Encrypted when (if) the kernel lets it through.
                self.probe(i, host, h, SMB_PORT);
            } else if open
                && matches!(
                    self.net.network.connect(host, h, SMB_PORT),
                    Verdict::Allow(_)
                )
            {
                self.note_passed(host, h, SMB_PORT, false);
                self.encrypt(i, h, t);
            } else {
                self.note_flow(host, h, SMB_PORT, false, t);
            }
        }
        if !self.connecting(i) {
            self.ransomware_done(i, t);
        }
    }

    pub(super) fn continue_step(&mut self, i: usize, t: Micros) {
        let step = self.campaign.attacks[i].spec.step.clone();
        // Requests past their deadline get no more chances.
        let before = self.campaign.attacks[i].waiting.len();
        // (A request written on a connection still under way waits for it.)
        let links = &self.net.bus.links;
        self.campaign.attacks[i]
            .waiting
            .retain(|w| w.deadline > t || links.get(w.link as usize).is_some_and(|l| l.pending));
        let timed_out = before - self.campaign.attacks[i].waiting.len();
        match step {
            AttackStep::Scan { rate_per_s } => self.continue_scan(i, t, rate_per_s),
            AttackStep::Flood { rate_per_s, .. } => self.continue_flood(i, t, rate_per_s),
            AttackStep::SpoofReporting { .. } => {
                if let Some(Spoof {
                    until, rewritten, ..
                }) = self.campaign.attacks[i].spoof
                    && t >= until
                {
                    self.campaign.attacks[i].spoof = None;
                    let outcome = if rewritten > 0 {
                        Outcome::Succeeded
                    } else {
                        Outcome::Failed
                    };
                    self.end_step(
                        i,
                        t,
                        outcome,
                        format!("{rewritten} status replies to the HMI rewritten"),
                    );
                }
            }
            // A connection still under way through the kernel: its answer decides.
            _ if self.connecting(i) => {}
            _ => {
                let r = &self.campaign.attacks[i];
                if r.blocked_by_response > 0 {
                    self.end_step(
                        i,
                        t,
                        Outcome::Blocked,
                        "the host had been isolated by the incident response".into(),
                    );
                } else if r.blocked_by_auth > 0 {
                    self.end_step(
                        i,
                        t,
                        Outcome::Blocked,
                        "the stolen shared password opens no personal HMI account".into(),
                    );
                } else if r.blocked_by_gateway > 0 {
                    self.end_step(
                        i,
                        t,
                        Outcome::Blocked,
                        "refused by the remote-access gateway: no approved session".into(),
                    );
                } else if r.blocked > 0 || r.refused > 0 {
                    let why = if r.blocked > 0 {
                        "blocked by the zone firewall"
                    } else {
                        "connection refused"
                    };
                    let outcome = if r.blocked > 0 {
                        Outcome::Blocked
                    } else {
                        Outcome::Failed
                    };
                    self.end_step(i, t, outcome, why.into());
                } else if r.waiting.is_empty() && r.blocked_by_dpi > 0 {
                    self.end_step(i, t, Outcome::Blocked, "blocked by the Modbus DPI".into());
                } else if r.waiting.is_empty() {
                    let p = self.target_plc(i);
                    let (outcome, detail) = match step {
                        AttackStep::ListenOnly { .. } => {
                            if self.devices.plcs[p].is_listen_only() {
                                (
                                    Outcome::Succeeded,
                                    "the PLC is in listen-only mode".to_string(),
                                )
                            } else {
                                (Outcome::Failed, "the PLC kept communicating".to_string())
                            }
                        }
                        _ if r.replies > 0 => (
                            Outcome::Succeeded,
                            "the PLC accepted the command".to_string(),
                        ),
                        _ if r.exceptions > 0 => (
                            Outcome::Failed,
                            "the PLC answered with an exception".to_string(),
                        ),
                        _ => (Outcome::Failed, format!("no reply ({timed_out} timed out)")),
                    };
                    self.end_step(i, t, outcome, detail);
                }
            }
        }
    }

    pub(super) fn end_step(&mut self, i: usize, t: Micros, outcome: Outcome, detail: String) {
        let r = &mut self.campaign.attacks[i];
        r.outcome = Some(outcome);
        r.ended_at = Some(t);
        r.detail = detail.clone();
        let (id, _) = r.spec.step.technique();
        let from = self.net.network.hosts[r.host].name.clone();
        self.ledger.metrics.event(
            t,
            EventKind::AttackResult,
            &from,
            format!("{id} {outcome:?}: {detail}"),
        );
    }

    /// A reply on its way to the HMI from PLC `plc`: an adversary in the middle replays
    /// the status it saw first (state, flags, temperature, heater); counters stay real.
    pub(crate) fn intercept_for_hmi(&mut self, plc: usize, adu: Vec<u8>) -> Vec<u8> {
        let Some(run) = self
            .campaign
            .attacks
            .iter_mut()
            .find(|r| r.spoof.as_ref().is_some_and(|s| s.plc == plc))
        else {
            return adu;
        };
        let Some(Spoof {
            frozen, rewritten, ..
        }) = run.spoof.as_mut()
        else {
            return adu;
        };
        let Ok((h, pdu)) = parse_adu(&adu) else {
            return adu;
        };
        let Ok(Response::ReadInputRegisters(mut regs)) = Response::decode_pdu(pdu) else {
            return adu;
        };
        match frozen {
            None => {
                *frozen = Some(regs);
                adu
            }
            Some(f) => {
                for k in [map::I_STATE, map::I_FLAGS, map::I_TEMP, map::I_HEATER] {
                    let k = usize::from(k);
                    if let (Some(r), Some(v)) = (regs.get_mut(k), f.get(k)) {
                        *r = *v;
                    }
                }
                *rewritten += 1;
                crate::modbus::response_adu(
                    h.transaction_id,
                    h.unit_id,
                    &Response::ReadInputRegisters(regs),
                )
            }
        }
    }

    /// A reply reached an attack step's connection.
    pub(crate) fn attack_receive(&mut self, i: usize, link: ConnId, adu: &[u8]) {
        let Ok((h, pdu)) = parse_adu(adu) else { return };
        let r = &mut self.campaign.attacks[i];
        // The DPI answered for the PLC: counted whether or not the step still waits.
        let by_dpi = self.controls.dpi_blocked.remove(&(link, h.transaction_id));
        if by_dpi {
            r.blocked_by_dpi += 1;
        }
        let Some(pos) = r
            .waiting
            .iter()
            .position(|w| w.link == link && w.transaction_id == h.transaction_id)
        else {
            return;
        };
        let plc = r.waiting.remove(pos).plc;
        if by_dpi {
            return;
        }
        match Response::decode_pdu(pdu) {
            Ok(Response::Exception { .. }) => r.exceptions += 1,
            Ok(_) => {
                r.replies += 1;
                if !r.discovered.contains(&plc) {
                    r.discovered.push(plc);
                }
            }
            Err(_) => {}
        }
    }
}

impl World {
    /// Without the MES and without island mode, or on management's order, the line stops:
    /// the shift stops every station at its local panel, and starts them again when the
    /// MES is back and the order lifted.
    pub(crate) fn hold_line(&mut self, t: Micros) {
        let mes_lost = t < self.campaign.mes_down_until && !self.controls.island_mode;
        let (from, until) = self.campaign.safe_stop;
        let hold = mes_lost || t < self.campaign.hold_until || (from <= t && t < until);
        if hold == self.campaign.line_held {
            if hold {
                // A hold is a lockout: whatever switched a station on (the schedule, a
                // command) is switched off again at the panel while it stands.
                for plc in &mut self.devices.plcs {
                    plc.local_stop();
                }
            }
            return;
        }
        self.campaign.line_held = hold;
        self.hmi.held = hold;
        for plc in &mut self.devices.plcs {
            if hold {
                plc.local_stop();
            } else if self.plan.planned {
                plc.local_start();
            }
        }
        let why = if hold {
            if mes_lost {
                "MES lost and no island mode: line stopped"
            } else if t >= self.campaign.hold_until {
                "controlled safe stop by the incident response"
            } else {
                "precautionary shutdown ordered"
            }
        } else {
            "line released: restarted at the local panels"
        };
        self.ledger
            .metrics
            .event(t, EventKind::LineHold, "management", why.into());
    }
}

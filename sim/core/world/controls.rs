//! The controls as they act inside the World: the DPI in front of the PLCs, the IDS on
//! the control network, the vendor's remote access, device health monitoring and the
//! incident response. Each reads the World's traffic and state and counts what it did.

use super::World;
use crate::bus::Owner;
use crate::controls::ControlId;
use crate::controls::dpi::{Flow, OnBlock};
use crate::controls::gate::{GateRequest, GateVerdict, MAX_GATES};
use crate::controls::stats::AuditRecord;
use crate::metrics::EventKind;
use crate::modbus::parse_adu;
use crate::plc::ConnId;
use crate::time::{Micros, from_secs};

impl World {
    /// A request on link `l` to PLC `p` walks the gates on the request path in order;
    /// the World applies what their verdicts say. False: a gate stopped it (the client
    /// got an exception or a reset, as the gate is set to).
    /// A request on one of the World's own links passes the gate chain (see
    /// [`World::pass_gates_from`]).
    pub(crate) fn pass_gates(
        &mut self,
        p: usize,
        l: ConnId,
        adu: &[u8],
        framed: bool,
        t: Micros,
    ) -> bool {
        self.pass_gates_from(p, super::Client::Link(l), adu, framed, t)
    }

    /// A request from `client` on its way to PLC `p` walks the gates on the request path,
    /// each deciding alone; the World applies their verdicts. False: a gate stopped it.
    pub(crate) fn pass_gates_from(
        &mut self,
        p: usize,
        client: super::Client,
        adu: &[u8],
        framed: bool,
        t: Micros,
    ) -> bool {
        if self.controls.ids.is_none() && self.controls.dpi.is_none() {
            return true;
        }
        let from = self.client_host(client);
        let to = self.net.network.plc_host(p);
        let net = &self.net.network;
        let (fh, th) = (&net.hosts[from], &net.hosts[to]);
        let request = GateRequest {
            from,
            plc: p,
            flow: Flow {
                from_host: &fh.name,
                from_zone: &net.zones[fh.zone],
                to_host: &th.name,
                to_zone: &net.zones[th.zone],
                // One bucket per client host and PLC, as the proxy keeps one per client
                // address in front of its one device.
                source: ((from as u64) << 32) | p as u64,
            },
            adu,
            framed,
        };
        // At most one verdict per gate, kept on the stack: this runs for every request.
        let mut verdicts: [Option<(ControlId, GateVerdict)>; MAX_GATES] = Default::default();
        for (slot, gate) in verdicts.iter_mut().zip(self.controls.gates()) {
            let verdict = gate.decide(&request, t);
            let stop = matches!(verdict, GateVerdict::Block { .. });
            *slot = Some((gate.id(), verdict));
            if stop {
                break;
            }
        }
        let mut passed = true;
        for (id, verdict) in verdicts.into_iter().flatten() {
            passed &= self.apply_verdict(id, verdict, p, client, adu, t);
        }
        passed
    }

    /// The host a client's requests come from.
    pub(crate) fn client_host(&self, client: super::Client) -> usize {
        match client {
            super::Client::Link(l) => self.link_host(l),
            super::Client::Outside { actor, .. } => self.actors.list[actor].host,
        }
    }

    /// What a gate's verdict does: the gate's counters, the detection of an attack step,
    /// the event, and for a block the client's answer. False: blocked.
    #[inline]
    fn apply_verdict(
        &mut self,
        gate: ControlId,
        verdict: GateVerdict,
        p: usize,
        client: super::Client,
        adu: &[u8],
        t: Micros,
    ) -> bool {
        let l = client.conn();
        if gate == ControlId::Dpi {
            self.controls.dpi_stats.inspected += 1;
        }
        let (why, answer) = match verdict {
            GateVerdict::Pass => return true,
            GateVerdict::Alert { why, .. } => (why, None),
            GateVerdict::Block { why, answer, .. } => (why, Some(answer)),
        };
        let enforce = answer.is_some();
        let why_code = why.exception();
        let why = why.to_string();
        let owner = match client {
            super::Client::Link(l) => Some(self.net.bus.links[l as usize].owner),
            super::Client::Outside { .. } => None,
        };
        let legit = owner == Some(Owner::Hmi);
        // A legitimate request already ticketed: released (it passes), or waiting for the
        // engineer (blocked again, the same false positive).
        let mut new_ticket = legit;
        if legit
            && let Some(&(_, _, released)) = self
                .controls
                .dpi_tickets
                .iter()
                .find(|(q, w, _)| *q == p && *w == why)
        {
            if released <= t {
                return true;
            }
            new_ticket = false;
        }
        let st = &mut self.controls.dpi_stats;
        st.violations += 1;
        crate::tally::tally(&mut st.by_kind, why.clone());
        if new_ticket {
            st.false_positives += 1;
            let review = self.scenario.dpi.as_ref().map_or(0, |d| {
                from_secs(60.0 * d.review_min.sample(&mut self.controls.dpi_review_rng))
            });
            self.controls.dpi_tickets.push((p, why.clone(), t + review));
        }
        match (owner, client) {
            (Some(Owner::Attack(i)), _) if self.campaign.attacks[i].detected_at.is_none() => {
                self.campaign.attacks[i].detected_at = Some(t);
            }
            (_, super::Client::Outside { actor, .. }) => {
                self.actors.list[actor].record.detected(t);
                if enforce {
                    self.actors.list[actor].record.blocked += 1;
                }
            }
            _ => {}
        }
        let source = self.net.network.hosts[self.client_host(client)]
            .name
            .clone();
        let what = format!(
            "to {}: {why}{}",
            self.devices.plcs[p].name,
            if legit { " (a legitimate request)" } else { "" }
        );
        self.ledger.metrics.event(
            t,
            if enforce {
                EventKind::DpiBlock
            } else {
                EventKind::DpiAlert
            },
            &source,
            what,
        );
        let Some(answer) = answer else {
            return true;
        };
        self.controls.dpi_stats.blocked += 1;
        if owner == Some(Owner::Hmi) {
            self.controls.dpi_blocked_hmi.insert(p);
        }
        match parse_adu(adu) {
            Ok((h, pdu)) => {
                self.controls.dpi_blocked.insert((l, h.transaction_id));
                if answer == OnBlock::Exception {
                    let function = pdu.first().copied().unwrap_or(0);
                    let exception = crate::modbus::Response::exception(function, why_code);
                    let reply =
                        crate::modbus::response_adu(h.transaction_id, h.unit_id, &exception);
                    match client {
                        super::Client::Link(l) => self.net.bus.send_to_client(l, t, reply),
                        super::Client::Outside { conn, .. } => {
                            self.actors.reply(conn, &reply);
                            self.devices.external_replies.push((conn, reply));
                        }
                    }
                } else {
                    self.close_external(p, l);
                }
            }
            // Not Modbus: never forwarded; the connection is reset.
            Err(_) => self.close_external(p, l),
        }
        false
    }

    /// Calls for the vendor go through the remote access: at once over an always-on VPN;
    /// through request, approval and MFA at a gateway, which records the session.
    pub(crate) fn route_vendor_calls(&mut self) {
        use crate::scenario::VendorAccess;
        let Some(v) = self.controls.vendor.clone() else {
            return;
        };
        for (station, called) in std::mem::take(&mut self.plant.vendor_calls) {
            let connect = from_secs(v.connect_min.sample(&mut self.controls.vendor_rng) * 60.0);
            let name = self.plant.stations[station].name.clone();
            self.controls.vendor_stats.sessions += 1;
            let session = self.controls.vendor_stats.sessions;
            // Remote access refused by a decision, or revoked by the incident response.
            let revoked = self
                .controls
                .vendor_revoked
                .filter(|&(at, _)| at <= called && self.controls.vendor_refused.is_none());
            let refused = self
                .controls
                .vendor_refused
                .or(revoked.map(|(_, onsite)| onsite));
            let open = match (&v.access, refused) {
                (_, Some(onsite)) => {
                    self.ledger.metrics.event(
                        called,
                        EventKind::VendorOnsite,
                        &name,
                        if revoked.is_some() {
                            "remote access revoked by the incident response: the vendor sends an engineer"
                        } else {
                            "remote access refused: the vendor sends an engineer"
                        }
                        .into(),
                    );
                    called + onsite
                }
                (VendorAccess::AlwaysOnVpn, None) => called + connect,
                (
                    VendorAccess::Gateway {
                        approval_min,
                        mfa_min,
                        ..
                    },
                    None,
                ) => {
                    let approved = called
                        + from_secs(approval_min.sample(&mut self.controls.vendor_rng) * 60.0);
                    let open = approved + from_secs(mfa_min * 60.0) + connect;
                    self.controls.vendor_stats.audited += 1;
                    self.audit_session(session, called, approved, open, &name, &v.host);
                    open
                }
            };
            self.controls.vendor_stats.wait_h +=
                (open - called) as f64 / crate::time::US_PER_H as f64;
            // The wait beyond an always-on VPN's is the access's doing: the gateway's
            // approval and MFA, or the refusal (an engineer on the way).
            let owner = match (&v.access, refused) {
                (_, Some(_)) if revoked.is_some() => Some(crate::controls::VendorWait::Revoked),
                (_, Some(_)) => Some(crate::controls::VendorWait::Refused),
                (VendorAccess::Gateway { .. }, None) => Some(crate::controls::VendorWait::Gateway),
                (VendorAccess::AlwaysOnVpn, None) => None,
            };
            let mut spans = Vec::new();
            if let Some(owner) = owner
                && open > called + connect
            {
                spans.push((called + connect, open, owner));
            }
            self.ledger.metrics.event(
                called,
                EventKind::VendorCalled,
                &name,
                format!("the repair needs {}", v.host),
            );
            let work = self.plant.vendor_repair(station, open);
            if let (
                VendorAccess::Gateway {
                    approval_min,
                    mfa_min,
                    session_h,
                },
                None,
                Some(work),
            ) = (&v.access, refused, work)
            {
                let time_box = from_secs(session_h * 3600.0).max(1);
                self.time_boxed(
                    station,
                    open,
                    work,
                    time_box,
                    approval_min,
                    *mfa_min,
                    &mut spans,
                );
            }
            if !spans.is_empty() {
                self.controls.vendor_wait.insert(station, spans);
            }
        }
    }

    /// A gateway session's first audit lines: requested, approved, opened.
    fn audit_session(
        &mut self,
        session: u64,
        called: Micros,
        approved: Micros,
        open: Micros,
        station: &str,
        host: &str,
    ) {
        for (t_us, event, detail) in [
            (called, "requested", format!("repair of {station}")),
            (approved, "approved", "by the shift supervisor".to_string()),
            (open, "opened", format!("MFA passed; {host} from {station}")),
        ] {
            self.controls.audit.push(AuditRecord {
                t_us,
                session,
                event: event.into(),
                detail,
            });
        }
    }

    /// The gateway's time box: a session ends when its box expires; work left over needs a
    /// new request (approval, MFA, connection) and a new session, and the repair waits
    /// meanwhile (owed to the gateway).
    #[allow(clippy::too_many_arguments)]
    fn time_boxed(
        &mut self,
        station: usize,
        open: Micros,
        work: Micros,
        time_box: Micros,
        approval_min: &crate::dist::Dist,
        mfa_min: f64,
        spans: &mut Vec<(Micros, Micros, crate::controls::VendorWait)>,
    ) {
        let v = self.controls.vendor.clone().expect("a vendor");
        let name = self.plant.stations[station].name.clone();
        let (mut open, mut left) = (open, work);
        loop {
            let session = self.controls.vendor_stats.sessions;
            if left <= time_box {
                self.controls.audit.push(AuditRecord {
                    t_us: open + left,
                    session,
                    event: "closed".into(),
                    detail: "repair done".into(),
                });
                return;
            }
            let close = open + time_box;
            left -= time_box;
            self.controls.audit.push(AuditRecord {
                t_us: close,
                session,
                event: "closed".into(),
                detail: "time box expired: work left over needs a new request".into(),
            });
            self.controls.vendor_stats.sessions += 1;
            self.controls.vendor_stats.audited += 1;
            let rng = &mut self.controls.vendor_rng;
            let approved = close + from_secs(approval_min.sample(rng) * 60.0);
            let connect = from_secs(v.connect_min.sample(rng) * 60.0);
            let next = approved + from_secs(mfa_min * 60.0) + connect;
            let session = self.controls.vendor_stats.sessions;
            self.audit_session(session, close, approved, next, &name, &v.host);
            self.controls.vendor_stats.wait_h +=
                (next - close) as f64 / crate::time::US_PER_H as f64;
            self.plant.delay_repair(station, next - close);
            spans.push((close, next, crate::controls::VendorWait::Gateway));
            open = next;
        }
    }

    /// A commissioned IDS knows the HMI's normal operation: its talk to every PLC, the
    /// function codes it uses, and the values its commands and every recipe write.
    pub(crate) fn commission_ids(&mut self) {
        use crate::plc::map::{
            BLOCK, C_FAULT_RESET, C_MAINTENANCE, C_RUN, H_PRODUCT, H_SPEED, H_TEMP_SP, S_MODE,
            SYSTEM,
        };
        use crate::scenario::{Action, Setpoint, StationKind};
        let s = &self.scenario;
        if !s.ids.as_ref().is_some_and(|i| i.commissioned) {
            return;
        }
        let deci = |c: f64| ((c * 10.0).round() as i16) as u16;
        let n = s.stations.len();
        let mut speed = vec![(100u16, 100u16); n];
        let mut temp: Vec<Option<(u16, u16)>> = s
            .stations
            .iter()
            .map(|st| match &st.kind {
                StationKind::Thermal(t) => Some((deci(t.setpoint_c), deci(t.setpoint_c))),
                _ => None,
            })
            .collect();
        let (mut plo, mut phi) = (1u16, 1u16);
        for e in &s.schedule {
            if let Action::Changeover { product, setpoints } = &e.action {
                (plo, phi) = (plo.min(*product), phi.max(*product));
                for sp in setpoints {
                    let i = |name: &str| s.stations.iter().position(|x| x.name == name);
                    match sp {
                        Setpoint::Speed(name, pct) => {
                            if let Some(i) = i(name) {
                                speed[i] = (speed[i].0.min(*pct), speed[i].1.max(*pct));
                            }
                        }
                        Setpoint::Temperature(name, c) => {
                            if let Some(i) = i(name)
                                && let Some(r) = &mut temp[i]
                            {
                                *r = (r.0.min(deci(*c)), r.1.max(deci(*c)));
                            }
                        }
                    }
                }
            }
        }
        let hmi = self.net.network.hmi();
        let Some(ids) = &mut self.controls.ids else {
            return;
        };
        for (p, plc) in self.devices.plcs.iter().enumerate() {
            let mut writes = vec![(SYSTEM + S_MODE, 1, 1)];
            for (k, st) in plc.stations().enumerate() {
                let b = k as u16 * BLOCK;
                writes.extend([
                    (b + C_RUN, 0, 1),
                    (b + C_FAULT_RESET, 1, 1),
                    (b + C_MAINTENANCE, 1, 1),
                    (b + H_SPEED, speed[st].0, speed[st].1),
                    (b + H_PRODUCT, plo, phi),
                ]);
                if let Some((lo, hi)) = temp[st] {
                    writes.push((b + H_TEMP_SP, lo, hi));
                }
            }
            ids.commission(hmi, p, &[0x01, 0x03, 0x04, 0x05, 0x06, 0x10], &writes);
        }
    }

    /// Whether the gateway refuses an attacker's traffic through the vendor's access: the
    /// stolen credentials open no session without the plant's approval and the vendor's
    /// second factor, even while the real vendor has one open.
    pub(crate) fn gateway_refuses(&self, host: usize) -> bool {
        match &self.controls.vendor {
            Some(v)
                if self.controls.vendor_refused.is_some()
                    || matches!(v.access, crate::scenario::VendorAccess::Gateway { .. }) =>
            {
                self.net.network.hosts[host].name == v.host
            }
            _ => false,
        }
    }

    /// Look at every PLC's diagnostics: alert on saturation, overruns and faults (once
    /// per episode), credit the attack steps aimed at it, and shed rogue connections.
    pub(crate) fn watch_devices(&mut self, t: Micros, shed: bool) {
        for p in 0..self.devices.plcs.len() {
            let plc = &self.devices.plcs[p];
            let dropped = plc.stats.dropped;
            let saturated = plc.connections() >= plc.profile.max_connections;
            let overrun = dropped > self.controls.device_seen[p].dropped;
            let faulted = plc.fault.is_some();
            let alerting = saturated || overrun || faulted;
            let was = self.controls.device_seen[p].alerting;
            self.controls.device_seen[p] = crate::controls::DeviceSeen { dropped, alerting };
            if !alerting || was {
                continue;
            }
            let name = plc.name.clone();
            let mut what = Vec::new();
            if saturated {
                self.controls.device_stats.saturation_alerts += 1;
                what.push("all connections taken");
            }
            if overrun {
                self.controls.device_stats.overrun_alerts += 1;
                what.push("requests dropped (scan overrun)");
            }
            if faulted {
                self.controls.device_stats.fault_alerts += 1;
                what.push("faulted");
            }
            self.ledger
                .metrics
                .event(t, EventKind::DeviceAlert, &name, what.join(", "));
            self.actors.detected_at_plc(p, t);
            for r in self.campaign.attacks.iter_mut() {
                let aimed = r.spec.step.target().is_none_or(|n| n == name);
                if r.started && r.at <= t && aimed && !r.done() && r.detected_at.is_none() {
                    r.detected_at = Some(t);
                }
            }
            if shed && (saturated || overrun) {
                let mut rogue: Vec<ConnId> = (0..self.net.bus.links.len() as ConnId)
                    .filter(|&l| {
                        let link = &self.net.bus.links[l as usize];
                        link.plc == p
                            && link.open
                            && link.owner != Owner::Hmi
                            && self.devices.plcs[p].has_connection(l)
                    })
                    .collect();
                // And every outside client's connection (a live session's actors).
                rogue.extend(
                    self.devices.plcs[p]
                        .connection_ids()
                        .iter()
                        .copied()
                        .filter(|&c| self.actors.of_conn(c).is_some()),
                );
                for l in rogue {
                    self.controls.device_stats.connections_shed += 1;
                    self.close_external(p, l);
                }
            }
        }
    }

    /// Whether `host` is isolated at `t`.
    pub(crate) fn contained(&self, host: usize, t: Micros) -> bool {
        self.controls
            .contained
            .get(&host)
            .is_some_and(|&at| at <= t)
    }

    /// The incident response: a host whose traffic was detected is isolated after the
    /// containment time; its ongoing steps (a flood, a man in the middle) end there.
    pub(crate) fn respond(&mut self, t: Micros) {
        let Some(r) = self.controls.response.clone() else {
            return;
        };
        for i in 0..self.campaign.attacks.len() {
            let (host, detected) = (
                self.campaign.attacks[i].host,
                self.campaign.attacks[i].detected_at,
            );
            if let Some(d) = detected
                && d <= t
                && !self.controls.responded.contains(&host)
                && !self.controls.contained.contains_key(&host)
            {
                let at =
                    d + from_secs(r.contain_min.sample(&mut self.controls.response_rng) * 60.0);
                self.controls.responded.insert(host);
                self.plan_playbook(host, at, &r.playbook);
            }
        }
        self.end_contained_steps(t);
    }

    /// Steps whose host is isolated end: a flood stops, a man in the middle lets go. What
    /// a step did before is a fact: a man in the middle that had rewritten replies
    /// succeeded; containment only stops what comes after.
    pub(crate) fn end_contained_steps(&mut self, t: Micros) {
        let mut ended = Vec::new();
        for (i, run) in self.campaign.attacks.iter_mut().enumerate() {
            if let Some(&at) = self.controls.contained.get(&run.host)
                && at <= t
            {
                // Time to contain counts for steps under way when the host was isolated.
                if run.contained_at.is_none() && run.started && run.at < at {
                    run.contained_at = Some(at);
                }
                if let Some(sp) = run.spoof.take()
                    && run.outcome.is_none()
                {
                    ended.push((i, sp.rewritten));
                }
                if let Some(f) = &mut run.flood {
                    f.until = f.until.min(t);
                }
            }
        }
        for (i, rewritten) in ended {
            if rewritten > 0 {
                self.end_step(
                    i,
                    t,
                    crate::attack::Outcome::Succeeded,
                    format!("{rewritten} status replies to the HMI rewritten before the host was isolated"),
                );
            } else {
                self.end_step(
                    i,
                    t,
                    crate::attack::Outcome::Blocked,
                    "the host was isolated before it rewrote a reply".into(),
                );
            }
        }
    }

    pub(crate) fn link_host(&self, l: ConnId) -> usize {
        match self.net.bus.links[l as usize].owner {
            Owner::Hmi => self.net.network.hmi(),
            Owner::Attack(i) => {
                let r = &self.campaign.attacks[i];
                r.via.unwrap_or(r.host)
            }
        }
    }

    /// Alerts reaching the analyst: counted, logged, and credited to the attack steps
    /// whose traffic raised them.
    pub(crate) fn ids_alerts(&mut self, t: Micros) {
        use crate::controls::ids::AlertKind;
        let Some(ids) = &mut self.controls.ids else {
            return;
        };
        for a in ids.due(t) {
            let st = &mut self.controls.ids_stats;
            st.alerts += 1;
            let kind = match &a.kind {
                AlertKind::NewTalker => "new talker".to_string(),
                AlertKind::UnusualFunction(f) => format!("unusual function code 0x{f:02X}"),
                AlertKind::WriteOutsideBaseline { address, value } => {
                    format!("write of {value} to {address} outside the baseline")
                }
                AlertKind::RateSpike => "request-rate spike".to_string(),
                AlertKind::FalseAlarm => "false alarm".to_string(),
            };
            let label = match &a.kind {
                AlertKind::WriteOutsideBaseline { .. } => "write outside the baseline".to_string(),
                AlertKind::UnusualFunction(_) => "unusual function code".to_string(),
                _ => kind.clone(),
            };
            crate::tally::tally(&mut st.by_kind, label);
            if a.kind == AlertKind::FalseAlarm {
                st.false_alarms += 1;
                self.ledger
                    .metrics
                    .event(a.at, EventKind::IdsAlert, "ids", kind);
                continue;
            }
            let source = self.net.network.hosts[a.source].name.clone();
            if a.source == self.net.network.hmi() {
                st.alerts_on_legitimate_traffic += 1;
            } else {
                st.true_alerts += 1;
            }
            let plc = self.devices.plcs[a.plc].name.clone();
            self.ledger.metrics.event(
                a.at,
                EventKind::IdsAlert,
                &source,
                format!("to {plc}: {kind}"),
            );
            self.actors.detected_host(a.source, a.at);
            for r in self.campaign.attacks.iter_mut() {
                let aimed = r.spec.step.target().is_none_or(|n| n == plc);
                if r.host == a.source
                    && r.started
                    && r.at <= a.at
                    && aimed
                    && r.detected_at.is_none_or(|d| d > a.at)
                {
                    r.detected_at = Some(a.at);
                }
            }
        }
    }
}

//! The controls as they act inside the World: the DPI in front of the PLCs, the IDS on
//! the control network, the vendor's remote access, device health monitoring and the
//! incident response. Each reads the World's traffic and state and counts what it did.

use super::World;
use crate::bus::Owner;
use crate::controls::stats::AuditRecord;
use crate::modbus::parse_adu;
use crate::plc::ConnId;
use crate::time::{Micros, from_secs};

impl World {
    /// The DPI in front of PLC `p` inspects a request on link `l`. False: blocked (the
    /// client gets an exception or a reset, as configured).
    pub(crate) fn dpi_passes(&mut self, p: usize, l: ConnId, adu: &[u8], t: Micros) -> bool {
        use crate::controls::dpi::{Flow, Mode, OnBlock};
        let Some(dpi) = &mut self.controls.dpi else {
            return true;
        };
        let owner = self.net.bus.links[l as usize].owner;
        let from = match owner {
            Owner::Hmi => self.net.network.hmi(),
            Owner::Attack(i) => self.campaign.attacks[i].host,
        };
        let to = self.net.network.plc_host(p);
        let (fh, th) = (&self.net.network.hosts[from], &self.net.network.hosts[to]);
        let flow = Flow {
            from_host: &fh.name,
            from_zone: &self.net.network.zones[fh.zone],
            to_host: &th.name,
            to_zone: &self.net.network.zones[th.zone],
            conn: u64::from(l),
        };
        self.controls.dpi_stats.inspected += 1;
        let Err(v) = dpi.inspect(flow, adu, t) else {
            return true;
        };
        let enforce = dpi.spec.mode == Mode::Enforce;
        let on_block = dpi.spec.on_block;
        let kind = v.to_string();
        self.controls.dpi_stats.violations += 1;
        crate::metrics::tally(&mut self.controls.dpi_stats.by_kind, kind.clone());
        let legit = owner == Owner::Hmi;
        if legit {
            self.controls.dpi_stats.false_positives += 1;
        }
        if let Owner::Attack(i) = owner
            && self.campaign.attacks[i].detected_at.is_none()
        {
            self.campaign.attacks[i].detected_at = Some(t);
        }
        let source = self.net.network.hosts[from].name.clone();
        let what = format!(
            "to {}: {kind}{}",
            self.devices.plcs[p].name,
            if legit { " (a legitimate request)" } else { "" }
        );
        self.ledger.metrics.event(
            t,
            if enforce { "dpi_block" } else { "dpi_alert" },
            &source,
            what,
        );
        if !enforce {
            return true;
        }
        self.controls.dpi_stats.blocked += 1;
        match parse_adu(adu) {
            Ok((h, pdu)) => {
                self.controls.dpi_blocked.insert((l, h.transaction_id));
                if on_block == OnBlock::Exception {
                    let function = pdu.first().copied().unwrap_or(0);
                    let exception = crate::modbus::Response::exception(
                        function,
                        crate::modbus::ExceptionCode::IllegalFunction,
                    );
                    let reply =
                        crate::modbus::response_adu(h.transaction_id, h.unit_id, &exception);
                    self.net.bus.send_to_client(l, t, reply);
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
            let open = match (&v.access, self.controls.vendor_refused) {
                (_, Some(onsite)) => {
                    self.ledger.metrics.event(
                        called,
                        "vendor_onsite",
                        &name,
                        "remote access refused: the vendor sends an engineer".into(),
                    );
                    called + onsite
                }
                (VendorAccess::AlwaysOnVpn, None) => called + connect,
                (
                    VendorAccess::Gateway {
                        approval_min,
                        mfa_min,
                        session_h,
                    },
                    None,
                ) => {
                    let approved = called
                        + from_secs(approval_min.sample(&mut self.controls.vendor_rng) * 60.0);
                    let open = approved + from_secs(mfa_min * 60.0) + connect;
                    let close = open + from_secs(session_h * 3600.0);
                    self.controls.vendor_stats.audited += 1;
                    for (t_us, event, detail) in [
                        (called, "requested", format!("repair of {name}")),
                        (approved, "approved", "by the shift supervisor".to_string()),
                        (
                            open,
                            "opened",
                            format!("MFA passed; {} from {}", v.host, name),
                        ),
                        (close, "closed", "time box expired".to_string()),
                    ] {
                        self.controls.audit.push(AuditRecord {
                            t_us,
                            session,
                            event: event.into(),
                            detail,
                        });
                    }
                    open
                }
            };
            self.controls.vendor_stats.wait_h +=
                (open - called) as f64 / crate::time::US_PER_H as f64;
            self.ledger.metrics.event(
                called,
                "vendor_called",
                &name,
                format!("the repair needs {}", v.host),
            );
            self.plant.vendor_repair(station, open);
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
                .event(t, "device_alert", &name, what.join(", "));
            for r in self.campaign.attacks.iter_mut() {
                let aimed = r.spec.step.target().is_none_or(|n| n == name);
                if r.started && r.at <= t && aimed && !r.done() && r.detected_at.is_none() {
                    r.detected_at = Some(t);
                }
            }
            if shed && (saturated || overrun) {
                let rogue: Vec<ConnId> = (0..self.net.bus.links.len() as ConnId)
                    .filter(|&l| {
                        let link = &self.net.bus.links[l as usize];
                        link.plc == p
                            && link.open
                            && link.owner != Owner::Hmi
                            && self.devices.plcs[p].has_connection(l)
                    })
                    .collect();
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
                && !self.controls.contained.contains_key(&host)
            {
                let at =
                    d + from_secs(r.contain_min.sample(&mut self.controls.response_rng) * 60.0);
                self.controls.contained.insert(host, at);
                let name = self.net.network.hosts[host].name.clone();
                self.ledger.metrics.event(
                    at,
                    "contained",
                    &name,
                    "isolated by the incident response".into(),
                );
            }
        }
        self.end_contained_steps(t);
    }

    /// Steps whose host is isolated end: a flood stops, a man in the middle lets go.
    pub(crate) fn end_contained_steps(&mut self, t: Micros) {
        for run in self.campaign.attacks.iter_mut() {
            if let Some(&at) = self.controls.contained.get(&run.host)
                && at <= t
            {
                // Time to contain counts for steps under way when the host was isolated.
                if run.contained_at.is_none() && run.started && run.at < at {
                    run.contained_at = Some(at);
                }
                run.spoof = None;
                if let Some(f) = &mut run.flood {
                    f.until = f.until.min(t);
                }
            }
        }
    }

    pub(crate) fn link_host(&self, l: ConnId) -> usize {
        match self.net.bus.links[l as usize].owner {
            Owner::Hmi => self.net.network.hmi(),
            Owner::Attack(i) => self.campaign.attacks[i].host,
        }
    }

    pub(crate) fn ids_observe(&mut self, p: usize, l: ConnId, adu: &[u8], t: Micros) {
        let host = self.link_host(l);
        if let Some(ids) = &mut self.controls.ids {
            ids.observe(t, host, p, adu);
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
            crate::metrics::tally(&mut st.by_kind, label);
            if a.kind == AlertKind::FalseAlarm {
                st.false_alarms += 1;
                self.ledger.metrics.event(a.at, "ids_alert", "ids", kind);
                continue;
            }
            let source = self.net.network.hosts[a.source].name.clone();
            if a.source == self.net.network.hmi() {
                st.alerts_on_legitimate_traffic += 1;
            } else {
                st.true_alerts += 1;
            }
            let plc = self.devices.plcs[a.plc].name.clone();
            self.ledger
                .metrics
                .event(a.at, "ids_alert", &source, format!("to {plc}: {kind}"));
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

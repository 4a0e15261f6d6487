//! Connections: the HMI's links to the PLCs (reconnects), connections the network
//! refuses (the flow ledger), raw byte streams, and connections a device closes.

use super::EXTERNAL_CONN;
use super::World;
use crate::bus::Owner;
use crate::metrics::EventKind;
use crate::network::{FlowKey, Refused, Verdict};
use crate::plc::{Admission, ConnId};
use crate::time::Micros;

impl World {
    /// A SCADA reconnects a connection the device closed (or refused), every 5 s.
    pub(super) fn reconnect_hmi(&mut self, t: Micros) {
        const RETRY: Micros = 5_000_000;
        // Only the HMI's links reconnect; each is watched (open or not).
        let (mut at, end) = (None, self.net.bus.link_end());
        while let Some((k, link)) = self.net.bus.next_watched(at, end) {
            at = Some((k, link));
            let l = link as usize;
            if self.net.bus.is_open(link) || t < self.net.reconnect_at[l] {
                continue;
            }
            let p = self.net.bus.links[l].plc;
            if self.net.bus.links[l].owner != Owner::Hmi {
                continue;
            }
            let (from, to) = (self.net.network.hmi(), self.net.network.plc_host(p));
            if self.zone_isolation_between(from, to, t) {
                // The incident response has cut the zones apart: no route until it rejoins them.
                self.net.reconnect_at[l] = t + RETRY;
                continue;
            }
            if self.net.bus.carried() {
                // The kernel decides: the adapter connects from the HMI's namespace and
                // address, and the answer comes back as an input.
                self.net.reconnect_at[l] = Micros::MAX;
                self.net
                    .bus
                    .carry_connect(link, from, to, crate::modbus::PORT);
                continue;
            }
            if !matches!(
                self.net.network.connect(from, to, crate::modbus::PORT),
                Verdict::Allow(_)
            ) {
                self.note_flow(from, to, crate::modbus::PORT, true, t);
                self.net.reconnect_at[l] = t + RETRY;
                continue;
            }
            self.note_passed(from, to, crate::modbus::PORT, true);
            self.hmi_link_up(link, p, t, true);
        }
    }

    /// The network carried the HMI's connection to PLC `p`: the TLS handshake where the
    /// PLC is secured, then the device's connection table; on record as re-established
    /// (`again`) or not.
    pub(super) fn hmi_link_up(&mut self, link: ConnId, p: usize, t: Micros, again: bool) {
        const RETRY: Micros = 5_000_000;
        if !self.hmi_handshake(link, p, t) {
            // The TLS handshake refused: the HMI's certificate has expired.
            self.net.bus.close(link);
            self.net.reconnect_at[link as usize] = t + RETRY;
            return;
        }
        match self.devices.plcs[p].connect(link) {
            Admission::Refused => {
                self.net.bus.close(link);
                self.net.reconnect_at[link as usize] = t + RETRY;
            }
            a => {
                if let Admission::AcceptedClosing(old) = a {
                    self.close_external(p, old);
                }
                self.net.bus.reopen(link);
                if again {
                    self.ledger.metrics.event(
                        t,
                        EventKind::HmiReconnect,
                        &self.devices.plcs[p].name.clone(),
                        "HMI connection re-established".into(),
                    );
                }
            }
        }
    }

    /// A connection the network carried.
    pub(crate) fn note_passed(&mut self, from: usize, to: usize, port: u16, legitimate: bool) {
        self.net
            .passed_flows
            .entry(FlowKey { from, to, port })
            .or_insert(Refused {
                attempts: 0,
                legitimate,
            })
            .attempts += 1;
    }

    /// A connection the network refused.
    pub(crate) fn note_flow(
        &mut self,
        from: usize,
        to: usize,
        port: u16,
        legitimate: bool,
        t: Micros,
    ) {
        let e = self
            .net
            .blocked_flows
            .entry(FlowKey { from, to, port })
            .or_insert(Refused {
                attempts: 0,
                legitimate,
            });
        e.attempts += 1;
        if e.attempts == 1 {
            let (a, b) = (
                self.net.network.hosts[from].name.clone(),
                self.net.network.hosts[to].name.clone(),
            );
            self.ledger.metrics.event(
                t,
                EventKind::FlowBlocked,
                &a,
                format!(
                    "to {b}:{port} ({})",
                    if legitimate {
                        "a flow the plant needs"
                    } else {
                        "attack traffic"
                    }
                ),
            );
        }
    }

    /// Bytes on a raw link reach the server's framer: whole frames are requests; bytes
    /// that are not Modbus are what they are to the device (and the connection ends).
    pub(super) fn serve_raw(&mut self, p: usize, l: ConnId, bytes: &[u8], t: Micros) {
        let f = self.net.framers.entry(l).or_default();
        f.push(bytes);
        let mut frames = Vec::new();
        let mut garbage = false;
        while let Some(r) = f.next_frame() {
            match r {
                Ok(adu) => frames.push(adu),
                Err(_) => {
                    garbage = true;
                    break;
                }
            }
        }
        for adu in frames {
            if self.pass_gates(p, l, &adu, true, t) {
                self.devices.plcs[p].receive(l, adu);
            }
        }
        if garbage && !self.pass_gates(p, l, bytes, false, t) {
            // The DPI does not forward what it cannot parse: the device never sees it.
            self.net.framers.remove(&l);
            return;
        }
        if garbage {
            self.net.framers.remove(&l);
            self.devices.plcs[p].set_current_conn(Some(l));
            if self.devices.plcs[p].garbage(t) {
                self.close_external(p, l);
            }
            self.devices.plcs[p].set_current_conn(None);
        }
    }

    pub(crate) fn close_external(&mut self, plc: usize, conn: ConnId) {
        self.devices.plcs[plc].disconnect(conn);
        if conn >= EXTERNAL_CONN {
            self.devices.closed_by_device.push(conn);
        } else if self
            .net
            .bus
            .links
            .get(conn as usize)
            .is_some_and(|l| l.owner != Owner::Hmi)
        {
            self.net.bus.close(conn);
        } else {
            self.drop_hmi_link(plc, conn, "the device closed the HMI's connection");
        }
    }

    /// The HMI's connection to `plc` ends (`why`, on record): the device lets go of it and
    /// the HMI tries again 5 s later.
    pub(crate) fn drop_hmi_link(&mut self, plc: usize, link: ConnId, why: &str) {
        self.devices.plcs[plc].disconnect(link);
        self.net.bus.close(link);
        self.net.reconnect_at[link as usize] = self.now + 5_000_000;
        self.ledger.metrics.event(
            self.now,
            EventKind::HmiDisconnected,
            &self.devices.plcs[plc].name.clone(),
            why.into(),
        );
    }
}

//! The steps that send traffic at a rate: a service scan across the PLCs and a flood.

use crate::attack::{FLOOD_RECONNECT, Flood, Outcome, SERVICE_PROBES};
use crate::modbus::Request;
use crate::time::{Micros, from_secs};
use crate::world::World;

impl World {
    /// A scan goes on: the next PLCs in turn at the scan's rate, probed as a service scan
    /// and asked for their identity; done when every PLC was tried.
    pub(in crate::world) fn continue_scan(&mut self, i: usize, t: Micros, rate_per_s: f64) {
        let n = self.devices.plcs.len();
        // Each target in turn, at the scan's rate: the service probes one after another
        // (nmap -sV moves to the next probe when the port closes the connection), then
        // modbus-discover, a quarter of the target's slot apart.
        const PER_TARGET: usize = SERVICE_PROBES.len() + 1;
        while self.campaign.attacks[i].next_target < n * PER_TARGET {
            let step = self.campaign.attacks[i].next_target;
            let (k, j) = (step / PER_TARGET, step % PER_TARGET);
            let slot = k as f64 + j as f64 / PER_TARGET as f64;
            let due = self.campaign.attacks[i].at + from_secs(slot / rate_per_s);
            if due > t {
                break;
            }
            self.campaign.attacks[i].next_target += 1;
            if let Some(probe) = SERVICE_PROBES.get(j) {
                // A service probe: bytes that are not Modbus.
                if let Some(link) = self.attack_connect(i, k, true, t) {
                    self.net.bus.send_to_server(link, t, probe.to_vec());
                }
            } else if let Some(link) = self.attack_connect(i, k, false, t) {
                // modbus-discover: Report Server ID and Device Identification.
                self.attack_send(i, link, k, &Request::ReportServerId, t);
                self.attack_send(
                    i,
                    link,
                    k,
                    &Request::ReadDeviceIdentification {
                        read_code: 1,
                        object_id: 0,
                    },
                    t,
                );
            }
        }
        if self.campaign.attacks[i].next_target >= n * PER_TARGET
            && self.campaign.attacks[i].waiting.is_empty()
            && !self.connecting(i)
        {
            let r = &self.campaign.attacks[i];
            let found = r.discovered.len();
            let faulted: Vec<String> = self
                .devices
                .plcs
                .iter()
                .filter(|p| p.fault.as_ref().is_some_and(|f| f.since >= r.at))
                .map(|p| p.name.clone())
                .collect();
            let outcome = if found > 0 {
                Outcome::Succeeded
            } else if r.blocked as usize >= n * PER_TARGET || r.blocked_by_dpi > 0 {
                Outcome::Blocked
            } else {
                Outcome::Failed
            };
            let detail = format!(
                "discovered {found} of {n} PLCs; {} blocked; faulted on the way: {}",
                r.blocked,
                if faulted.is_empty() {
                    "none".to_string()
                } else {
                    faulted.join(", ")
                }
            );
            self.end_step(i, t, outcome, detail);
        }
    }

    /// A flood goes on at its rate while its connection is open, until its end. A dropped
    /// or refused connection is opened again from the same host after a delay, unless
    /// the host is blocked or contained (then the flood ends).
    pub(in crate::world) fn continue_flood(&mut self, i: usize, t: Micros, rate_per_s: f64) {
        if let Some(f) = self.campaign.attacks[i].flood.as_mut()
            && t < f.until
            && !self.net.bus.is_open(f.link)
        {
            match f.reconnect_at {
                None => {
                    f.reconnect_at = Some(t + FLOOD_RECONNECT);
                    return;
                }
                Some(at) if t < at => return,
                Some(_) => {
                    let p = f.plc;
                    let refused = self.campaign.attacks[i].refused;
                    let link = self.attack_connect(i, p, false, t);
                    let r = &mut self.campaign.attacks[i];
                    let f = r.flood.as_mut().expect("flooding");
                    match link {
                        Some(l) => {
                            f.link = l;
                            f.reconnect_at = None;
                            f.reconnects += 1;
                        }
                        // The table was full: try again later.
                        None if r.refused > refused => {
                            f.reconnect_at = Some(t + FLOOD_RECONNECT);
                            return;
                        }
                        // Blocked or contained: the flood is over.
                        None => f.until = t,
                    }
                }
            }
        }
        if let Some(Flood {
            link,
            plc: p,
            until,
            carry,
            sent,
            reconnect_at,
            reconnects,
        }) = self.campaign.attacks[i].flood
        {
            if t < until && self.net.bus.is_open(link) {
                let due = carry + rate_per_s * self.tick as f64 / 1e6;
                let n = due.floor() as u64;
                for _ in 0..n {
                    self.attack_send(
                        i,
                        link,
                        p,
                        &Request::ReadHoldingRegisters {
                            address: 0,
                            quantity: 2,
                        },
                        t,
                    );
                }
                // The flood does not wait for replies.
                self.campaign.attacks[i].waiting.clear();
                self.campaign.attacks[i].flood = Some(Flood {
                    link,
                    plc: p,
                    until,
                    carry: due - n as f64,
                    sent: sent + n,
                    reconnect_at,
                    reconnects,
                });
            } else {
                let plc = &self.devices.plcs[p];
                let dropped = plc.stats.dropped - self.campaign.attacks[i].dropped_before;
                let by_dpi = self.campaign.attacks[i].blocked_by_dpi;
                let outcome = if plc.fault.is_some() || dropped > 0 {
                    Outcome::Succeeded
                } else if by_dpi > 0 || self.campaign.attacks[i].blocked > 0 {
                    Outcome::Blocked
                } else {
                    Outcome::Failed
                };
                // The PLC's drop counter counts every request it dropped while flooded,
                // the HMI's polls among them: say which is which.
                let dpi = if self.controls.dpi.is_some() {
                    format!("the DPI stopped {by_dpi}; ")
                } else {
                    String::new()
                };
                let drops = if dropped > sent {
                    format!(
                        "the PLC dropped {dropped} requests, at least {} of them the HMI's polls",
                        dropped - sent
                    )
                } else {
                    format!("the PLC dropped {dropped}")
                };
                let again = match reconnects {
                    0 => String::new(),
                    1 => "; reconnected once after its connection was dropped".into(),
                    n => format!("; reconnected {n} times after its connection was dropped"),
                };
                let detail = format!(
                    "{sent} requests{again}; {dpi}{drops}{}",
                    if plc.fault.is_some() {
                        " and faulted"
                    } else {
                        ""
                    }
                );
                self.net.bus.close(link);
                self.devices.plcs[p].disconnect(link);
                self.end_step(i, t, outcome, detail);
            }
        } else if !self.campaign.attacks[i].done() {
            self.end_step(i, t, Outcome::Blocked, "no connection to the target".into());
        }
    }
}

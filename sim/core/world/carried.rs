//! Links carried by real sockets (live `--netns`): the kernel, running the plant's rule
//! set in the lab's firewall namespace, decides every connection the HMI and the attack
//! steps open, and carries their bytes; the answers come back as inputs. Everything
//! past the connection (the device's table, the gates, the TLS model) is the World's,
//! as in the fast twin.

use super::World;
use crate::attack::REPLY_TIMEOUT;
use crate::bus::Owner;
use crate::metrics::EventKind;
use crate::network::{FlowKey, KernelStats, Verdict};
use crate::plc::{Admission, ConnId};
use crate::time::Micros;

impl World {
    /// From now on, links are carried by the live adapter's sockets: the HMI's links
    /// start closed and connect through the kernel at the next tick (the flows the
    /// construction booked on the twin's own evaluation are struck off the ledger).
    pub fn carry_links(&mut self) {
        let hmi = self.net.network.hmi();
        self.net.kernel = Some(KernelStats::default());
        for l in 0..self.net.bus.links.len() {
            if self.net.bus.links[l].owner != Owner::Hmi {
                continue;
            }
            let (link, p) = (l as ConnId, self.net.bus.links[l].plc);
            let key = FlowKey {
                from: hmi,
                to: self.net.network.plc_host(p),
                port: crate::modbus::PORT,
            };
            self.net.passed_flows.remove(&key);
            self.net.blocked_flows.remove(&key);
            self.devices.plcs[p].disconnect(link);
            self.net.bus.close(link);
            self.net.reconnect_at[l] = 0;
        }
        self.net.bus.carrier = Some(Vec::new());
    }

    /// The client host of a link.
    fn link_client(&self, owner: Owner) -> usize {
        match owner {
            Owner::Hmi => self.net.network.hmi(),
            Owner::Attack(i) => {
                let r = &self.campaign.attacks[i];
                r.via.unwrap_or(r.host)
            }
        }
    }

    /// The kernel's answer to a carried link's connection: booked in the flow ledger
    /// (beside the twin's own verdict, a disagreement on record), then the HMI's link
    /// comes up or retries in 5 s, and an attack step's connection meets the device or
    /// counts as blocked by the firewall.
    pub(super) fn link_connected(&mut self, link: ConnId, ok: bool, t: Micros) {
        let Some(l) = self.net.bus.links.get(link as usize) else {
            return;
        };
        let (owner, p) = (l.owner, l.plc);
        // An answer for a connection the World no longer waits for (closed meanwhile).
        let waiting = match owner {
            Owner::Hmi => !l.open && self.net.reconnect_at[link as usize] == Micros::MAX,
            Owner::Attack(_) => l.pending,
        };
        if !waiting {
            return;
        }
        let (from, to) = (self.link_client(owner), self.net.network.plc_host(p));
        self.kernel_answer(from, to, crate::modbus::PORT, ok, owner == Owner::Hmi, t);
        match owner {
            Owner::Hmi if ok => {
                let first = self
                    .net
                    .kernel
                    .as_mut()
                    .is_some_and(|k| k.hmi_links_up.insert(link));
                self.hmi_link_up(link, p, t, !first);
            }
            Owner::Hmi => self.net.reconnect_at[link as usize] = t + 5_000_000,
            Owner::Attack(i) => {
                self.net.bus.links[link as usize].pending = false;
                let admitted = ok
                    && match self.devices.plcs[p].connect(link) {
                        Admission::Refused => {
                            self.campaign.attacks[i].refused += 1;
                            false
                        }
                        Admission::AcceptedClosing(old) => {
                            self.close_external(p, old);
                            true
                        }
                        Admission::Accepted => true,
                    };
                let run = &mut self.campaign.attacks[i];
                if admitted {
                    // The requests written while connecting wait from now on.
                    for w in run.waiting.iter_mut().filter(|w| w.link == link) {
                        w.deadline = t + REPLY_TIMEOUT;
                    }
                    return;
                }
                run.waiting.retain(|w| w.link != link);
                if !ok {
                    run.blocked += 1;
                    // A flood blocked by the firewall is over, as in the fast twin.
                    if let Some(f) = run.flood.as_mut().filter(|f| f.link == link) {
                        f.until = f.until.min(t);
                    }
                }
                self.net.bus.close(link);
            }
        }
    }

    /// What the kernel did with a connection from `from` to `to`:`port`, booked in the
    /// flow ledger and beside the twin's own verdict (a disagreement on record).
    fn kernel_answer(
        &mut self,
        from: usize,
        to: usize,
        port: u16,
        ok: bool,
        legitimate: bool,
        t: Micros,
    ) {
        let twin = matches!(self.net.network.connect(from, to, port), Verdict::Allow(_));
        if let Some(k) = &mut self.net.kernel {
            if ok {
                k.connected += 1;
            } else {
                k.refused += 1;
            }
            if twin != ok {
                k.disagreements += 1;
            }
        }
        if twin != ok {
            let (a, b) = (
                self.net.network.hosts[from].name.clone(),
                self.net.network.hosts[to].name.clone(),
            );
            self.ledger.metrics.event(
                t,
                EventKind::KernelDisagrees,
                &a,
                format!(
                    "to {b}:{port}: the kernel {}, the twin's evaluation of the rule set {}",
                    if ok { "carried it" } else { "refused it" },
                    if twin { "allows it" } else { "refuses it" }
                ),
            );
        }
        if ok {
            self.note_passed(from, to, port, legitimate);
        } else {
            self.note_flow(from, to, port, legitimate, t);
        }
    }

    /// Attack step `i` tries a connection that carries nothing, through the kernel.
    pub(super) fn probe(&mut self, i: usize, from: usize, to: usize, port: u16) {
        let probe = self.net.next_probe;
        self.net.next_probe += 1;
        self.net.probes.insert(probe, (i, from, to, port));
        if let Some(out) = &mut self.net.bus.carrier {
            out.push(crate::bus::Carry::Probe {
                probe,
                from,
                to,
                port,
            });
        }
    }

    /// The kernel's answer to a connect-only try: booked, then the step goes on.
    pub(super) fn probe_answered(&mut self, probe: u64, ok: bool, t: Micros) {
        let Some((i, from, to, port)) = self.net.probes.remove(&probe) else {
            return;
        };
        self.kernel_answer(from, to, port, ok, false, t);
        if self.campaign.attacks[i].done() {
            return;
        }
        match self.campaign.attacks[i].spec.step {
            crate::scenario::AttackStep::HmiStolenPassword { .. } => {
                self.hmi_password_tried(i, ok, t)
            }
            crate::scenario::AttackStep::Ransomware { .. } => {
                if ok {
                    self.encrypt(i, to, t);
                }
                if !self.connecting(i) {
                    self.ransomware_done(i, t);
                }
            }
            _ => {}
        }
    }

    /// A carried link's connection ended from the network's side.
    pub(super) fn link_closed(&mut self, link: ConnId) {
        let Some(l) = self.net.bus.links.get(link as usize) else {
            return;
        };
        if !l.open || l.pending {
            return;
        }
        let (owner, p) = (l.owner, l.plc);
        match owner {
            Owner::Hmi => self.drop_hmi_link(p, link, "the network closed the HMI's connection"),
            Owner::Attack(_) => {
                self.devices.plcs[p].disconnect(link);
                self.net.bus.close(link);
            }
        }
    }

    /// Whether attack step `i` has a connection still under way through the kernel.
    pub(super) fn connecting(&self, i: usize) -> bool {
        self.net
            .bus
            .links
            .iter()
            .any(|l| l.pending && l.owner == Owner::Attack(i))
            || self.net.probes.values().any(|p| p.0 == i)
    }
}

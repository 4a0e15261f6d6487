//! The in-memory Modbus/TCP network of the fast mode: each link is one TCP connection
//! between a client host and a PLC, carrying whole ADUs (real bytes from the codec) with a
//! one-way latency. FIFO per direction, as TCP is.
//!
//! In a live session inside the namespace lab (`faultline live --netns`) the links are
//! *carried*: what a link sends leaves through the [`Bus::carrier`] outbox for the live
//! adapter, which opens a real TCP connection from the client host's namespace and
//! address through the kernel's firewall to the PLC's endpoint; what crosses comes back
//! as logged inputs (the World's `Input::LinkConnected` and the rest), so the session
//! still replays. The modelled latency is not added there: the network's is real.

use crate::plc::ConnId;
use crate::time::Micros;
use std::collections::VecDeque;

/// Who holds the client end of a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    Hmi,
    /// An attack step (its index in the scenario's `attacks`).
    Attack(usize),
}

#[derive(Clone, Debug)]
pub struct Link {
    pub owner: Owner,
    /// The client sends arbitrary bytes, not only whole ADUs: the server frames them.
    pub raw: bool,
    pub client: String,
    pub plc: usize,
    pub latency: Micros,
    /// Added to the next frame to the server only (a TLS handshake before it).
    pub hold: Micros,
    pub open: bool,
    /// Carried: its connection is under way through the kernel (frames sent meanwhile
    /// wait in the connecting socket, as a client's writes after `connect()` would).
    pub pending: bool,
    to_server: VecDeque<(Micros, Vec<u8>)>,
    to_client: VecDeque<(Micros, Vec<u8>)>,
}

/// A frame as it crossed the network, for captures.
#[derive(Clone, Debug)]
pub struct Sent {
    pub at: Micros,
    pub link: ConnId,
    pub to_server: bool,
    pub adu: Vec<u8>,
}

/// What a carried bus asks the live adapter to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Carry {
    /// Open the link's connection: from host `from` (its namespace and address) to host
    /// `to` on `port`, through the kernel.
    Connect {
        link: ConnId,
        from: usize,
        to: usize,
        port: u16,
        /// The client sends arbitrary bytes (the server's side passes them on unframed).
        raw: bool,
    },
    /// Bytes to write on the link's connection: by the client (`to_server`) or the PLC.
    Frame {
        link: ConnId,
        to_server: bool,
        bytes: Vec<u8>,
    },
    /// End the link's connection.
    Close { link: ConnId },
    /// Try a connection that carries nothing (an attack step reaching a service that is
    /// not Modbus: the HMI's remote desktop, a host's file sharing) from host `from` to
    /// host `to` on `port`; the adapter listens there for it.
    Probe {
        probe: u64,
        from: usize,
        to: usize,
        port: u16,
    },
}

#[derive(Clone, Debug, Default)]
pub struct Bus {
    pub links: Vec<Link>,
    /// Every frame sent, when capturing.
    pub capture: Option<Vec<Sent>>,
    /// Carried links (live `--netns`): what the adapter is to do, in order.
    pub carrier: Option<Vec<Carry>>,
    /// Emptied frame buffers for the next frames sent: a transaction's request buffer is
    /// reused by the PLC for its reply and comes back here once the client has read it,
    /// so the bus allocates nothing per transaction.
    spare: Vec<Vec<u8>>,
    /// The links that can still carry something, in index order: every HMI link (it
    /// reconnects) and every other link while it is open. An attack step's closed link is
    /// inert (its queues were emptied when it closed, and nothing is sent on it or reopens
    /// it again), so the World's per-tick loops visit only these: a day of scans leaves
    /// thousands of closed links behind.
    watched: Vec<ConnId>,
    /// No frame at the head of a queue arrives before this, towards the servers [0] and
    /// the clients [1]: a lower bound, exact after [`Bus::settle`]. The World's per-tick
    /// visits of the links skip a direction with nothing due.
    earliest: [Micros; 2],
}

/// How many emptied buffers the bus keeps (more than the transactions in flight at once).
const SPARE_FRAMES: usize = 64;

impl Bus {
    /// An empty bus, keeping every frame sent when `capture` is set.
    pub fn new(capture: bool) -> Bus {
        Bus {
            capture: capture.then(Vec::new),
            earliest: [Micros::MAX; 2],
            ..Bus::default()
        }
    }

    pub fn open(&mut self, client: &str, plc: usize, latency: Micros) -> ConnId {
        self.open_for(Owner::Hmi, false, client, plc, latency)
    }

    pub fn open_for(
        &mut self,
        owner: Owner,
        raw: bool,
        client: &str,
        plc: usize,
        latency: Micros,
    ) -> ConnId {
        self.links.push(Link {
            owner,
            raw,
            client: client.to_string(),
            plc,
            latency,
            hold: 0,
            open: true,
            pending: false,
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
        });
        let link = (self.links.len() - 1) as ConnId;
        self.watched.push(link);
        link
    }

    /// The next link worth visiting (see `watched`) after the cursor `at` (the position
    /// and link a loop visited last; `None` to begin) and below `end`: a loop that takes
    /// them one by one visits, in index order, the links there were when it started
    /// (`end`: the table's length then), whatever it opens or closes as it goes; a link
    /// closed before its turn is skipped, which is what visiting it would do. The next is
    /// the one after the cursor's position while the list has not moved under it.
    #[inline]
    pub fn next_watched(
        &self,
        at: Option<(usize, ConnId)>,
        end: ConnId,
    ) -> Option<(usize, ConnId)> {
        let k = match at {
            None => 0,
            Some((k, l)) if self.watched.get(k) == Some(&l) => k + 1,
            Some((_, l)) => self.watched.partition_point(|&x| x <= l),
        };
        let l = *self.watched.get(k)?;
        (l < end).then_some((k, l))
    }

    /// How far a loop over the watched links goes: the links there are now.
    pub fn link_end(&self) -> ConnId {
        self.links.len() as ConnId
    }

    pub fn close(&mut self, link: ConnId) {
        if let Some(l) = self.links.get_mut(link as usize) {
            l.open = false;
            l.pending = false;
            l.to_server.clear();
            l.to_client.clear();
            if l.owner != Owner::Hmi
                && let Ok(k) = self.watched.binary_search(&link)
            {
                self.watched.remove(k);
            }
            if let Some(out) = &mut self.carrier {
                out.push(Carry::Close { link });
            }
        }
    }

    /// Whether the links are carried by real sockets.
    pub fn carried(&self) -> bool {
        self.carrier.is_some()
    }

    /// Ask the adapter to open a carried link's connection.
    pub fn carry_connect(&mut self, link: ConnId, from: usize, to: usize, port: u16) {
        let raw = self.links.get(link as usize).is_some_and(|l| l.raw);
        if let Some(out) = &mut self.carrier {
            out.push(Carry::Connect {
                link,
                from,
                to,
                port,
                raw,
            });
        }
    }

    /// What the adapter is to do since it last asked (empty when not carried).
    pub fn take_carried(&mut self) -> Vec<Carry> {
        self.carrier
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Bytes of a carried link that reached one end: queued for delivery at `at`, as a
    /// frame carried in memory would be on arrival.
    pub fn arrived(&mut self, link: ConnId, to_server: bool, at: Micros, bytes: Vec<u8>) {
        if self.links.get(link as usize).is_some_and(|l| l.open) {
            self.enqueue(link, to_server, at, at, bytes);
        }
    }

    /// A frame sent at `at` on an open link, on record when capturing, arriving at its
    /// end at `arrives`.
    fn enqueue(
        &mut self,
        link: ConnId,
        to_server: bool,
        at: Micros,
        arrives: Micros,
        adu: Vec<u8>,
    ) {
        if let Some(c) = &mut self.capture {
            c.push(Sent {
                at,
                link,
                to_server,
                adu: adu.clone(),
            });
        }
        let l = &mut self.links[link as usize];
        let q = if to_server {
            &mut l.to_server
        } else {
            &mut l.to_client
        };
        if q.is_empty() {
            let e = &mut self.earliest[usize::from(!to_server)];
            *e = (*e).min(arrives);
        }
        q.push_back((arrives, adu));
    }

    /// Whether a frame towards the servers (or the clients) may have arrived by `t`.
    pub fn due(&self, to_server: bool, t: Micros) -> bool {
        self.earliest[usize::from(!to_server)] <= t
    }

    /// After a visit of the links in one direction: the earliest arrival at a queue's head
    /// in that direction, exactly.
    pub fn settle(&mut self, to_server: bool) {
        let links = &self.links;
        self.earliest[usize::from(!to_server)] = self
            .watched
            .iter()
            .filter_map(|&l| {
                let l = &links[l as usize];
                let q = if to_server {
                    &l.to_server
                } else {
                    &l.to_client
                };
                q.front().map(|(at, _)| *at)
            })
            .min()
            .unwrap_or(Micros::MAX);
    }

    /// An empty buffer for a frame, with room for the largest ADU.
    pub fn frame(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(crate::modbus::limit::ADU_BYTES))
    }

    /// A frame's buffer, once read, for a frame to come.
    pub fn recycle(&mut self, mut adu: Vec<u8>) {
        if self.spare.len() < SPARE_FRAMES && adu.capacity() >= crate::modbus::limit::ADU_BYTES {
            adu.clear();
            self.spare.push(adu);
        }
    }

    pub fn reopen(&mut self, link: ConnId) {
        if let Some(l) = self.links.get_mut(link as usize) {
            l.open = true;
            if let Err(k) = self.watched.binary_search(&link) {
                self.watched.insert(k, link);
            }
        }
    }

    pub fn is_open(&self, link: ConnId) -> bool {
        self.links.get(link as usize).is_some_and(|l| l.open)
    }

    pub fn send_to_server(&mut self, link: ConnId, at: Micros, adu: Vec<u8>) {
        self.send(link, at, true, adu);
    }

    /// A reply on its way to a client; replies for connections that are not on this bus
    /// (a test's or a live socket's) are not carried.
    pub fn send_to_client(&mut self, link: ConnId, at: Micros, adu: Vec<u8>) {
        self.send(link, at, false, adu);
    }

    fn send(&mut self, link: ConnId, at: Micros, to_server: bool, adu: Vec<u8>) {
        let Some(l) = self.links.get_mut(link as usize) else {
            return;
        };
        if !l.open {
            return;
        }
        if let Some(out) = &mut self.carrier {
            // The real network carries it; its capture is taken where it arrives.
            out.push(Carry::Frame {
                link,
                to_server,
                bytes: adu,
            });
            return;
        }
        let hold = if to_server {
            std::mem::take(&mut l.hold)
        } else {
            0
        };
        let arrives = at + l.latency + hold;
        self.enqueue(link, to_server, at, arrives, adu);
    }

    /// Frames that have reached their server by `t`.
    pub fn arrivals_at_server(&mut self, link: ConnId, t: Micros) -> Option<Vec<u8>> {
        let q = &mut self.links[link as usize].to_server;
        if q.front().is_some_and(|(at, _)| *at <= t) {
            q.pop_front().map(|(_, a)| a)
        } else {
            None
        }
    }

    /// Frames that have reached their client by `t`.
    pub fn arrivals_at_client(&mut self, link: ConnId, t: Micros) -> Option<Vec<u8>> {
        let q = &mut self.links[link as usize].to_client;
        if q.front().is_some_and(|(at, _)| *at <= t) {
            q.pop_front().map(|(_, a)| a)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_links_watched_are_the_hmis_and_the_open_ones_in_order() {
        let all = |bus: &Bus| {
            let (mut v, mut at, end) = (Vec::new(), None, bus.link_end());
            while let Some((k, l)) = bus.next_watched(at, end) {
                v.push(l);
                at = Some((k, l));
            }
            v
        };
        let mut bus = Bus::default();
        let hmi = bus.open("hmi", 0, 1_000);
        let a = bus.open_for(Owner::Attack(0), false, "laptop", 0, 1_000);
        let b = bus.open_for(Owner::Attack(0), true, "laptop", 1, 1_000);
        assert_eq!(all(&bus), [hmi, a, b]);
        // A closed attack link is inert: not visited again, whatever it had queued.
        bus.send_to_server(a, 0, vec![1, 2, 3]);
        bus.close(a);
        assert_eq!(bus.arrivals_at_server(a, u64::MAX), None);
        bus.send_to_server(a, 0, vec![1]);
        assert_eq!(bus.arrivals_at_server(a, u64::MAX), None);
        // A closed HMI link stays watched (the SCADA reconnects it).
        bus.close(hmi);
        assert_eq!(all(&bus), [hmi, b]);
        bus.reopen(hmi);
        bus.reopen(a);
        assert_eq!(all(&bus), [hmi, a, b]);
        // A loop visits the links there were when it began, in order, skipping one
        // closed before its turn and not one opened meanwhile.
        let end = bus.link_end();
        let first = bus.next_watched(None, end);
        assert_eq!(first, Some((0, hmi)));
        bus.close(a);
        let c = bus.open_for(Owner::Attack(1), false, "laptop", 0, 0);
        assert_eq!(bus.next_watched(first, end), Some((1, b)));
        assert_eq!(bus.next_watched(Some((1, b)), end), None);
        // A link before the cursor gone or back: the list moved under it, found again.
        bus.reopen(a);
        assert_eq!(bus.next_watched(Some((1, hmi)), end), Some((1, a)));
        bus.close(hmi);
        bus.close(a);
        assert_eq!(bus.next_watched(Some((1, a)), end), Some((1, b)));
        assert_eq!(all(&bus), [hmi, b, c]);
    }
}

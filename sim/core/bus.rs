//! The in-memory Modbus/TCP network of the fast mode: each link is one TCP connection
//! between a client host and a PLC, carrying whole ADUs (real bytes from the codec) with a
//! one-way latency. FIFO per direction, as TCP is.

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

#[derive(Clone, Debug, Default)]
pub struct Bus {
    pub links: Vec<Link>,
    /// Every frame sent, when capturing.
    pub capture: Option<Vec<Sent>>,
}

impl Bus {
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
            to_server: VecDeque::new(),
            to_client: VecDeque::new(),
        });
        (self.links.len() - 1) as ConnId
    }

    pub fn close(&mut self, link: ConnId) {
        if let Some(l) = self.links.get_mut(link as usize) {
            l.open = false;
            l.to_server.clear();
            l.to_client.clear();
        }
    }

    pub fn reopen(&mut self, link: ConnId) {
        if let Some(l) = self.links.get_mut(link as usize) {
            l.open = true;
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
        if let Some(c) = &mut self.capture {
            c.push(Sent {
                at,
                link,
                to_server,
                adu: adu.clone(),
            });
        }
        let hold = if to_server {
            std::mem::take(&mut l.hold)
        } else {
            0
        };
        let arrives = at + l.latency + hold;
        let q = if to_server {
            &mut l.to_server
        } else {
            &mut l.to_client
        };
        q.push_back((arrives, adu));
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

//! Everything from outside the World — live clients' bytes, a facilitator's viewer
//! commands — enters as an [`Input`], applied in one place at the start of a tick and
//! logged by the live adapter for replay.

use super::World;
use crate::metrics::EventKind;
use crate::plc::{Admission, ConnId};
use serde::{Deserialize, Serialize};

/// Connection ids from here up belong to clients outside the World (live sockets).
pub const EXTERNAL_CONN: ConnId = 1 << 24;

/// Something from outside the World, applied at the start of a tick in arrival order.
/// Live sessions log every input with its tick, so `run --replay` reproduces them exactly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Input {
    /// A client opened a TCP connection to a PLC, from `from` (its source address: the
    /// connection is its actor's; none in logs from before actors).
    Connect {
        plc: usize,
        conn: ConnId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<core::net::IpAddr>,
    },
    Disconnect {
        plc: usize,
        conn: ConnId,
    },
    /// A whole Modbus/TCP ADU from a client.
    Frame {
        plc: usize,
        conn: ConnId,
        adu: Vec<u8>,
    },
    /// A frame that does not parse as a Modbus request (wrong length, bad byte count…).
    Malformed {
        plc: usize,
        conn: ConnId,
    },
    /// Bytes that are not Modbus/TCP at all (a service scan's probe): the stream is dropped.
    Garbage {
        plc: usize,
        conn: ConnId,
    },
    /// A read answered from the PLC's published image without waiting for a scan
    /// (profiles with no per-scan limit); counted here so replays count it too, with the
    /// connection and the request's bytes (booked to the connection's actor).
    Read {
        plc: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conn: Option<ConnId>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        adu: Vec<u8>,
    },
    /// A carried link's connection (live `--netns`): the kernel took it to the PLC's
    /// endpoint (`ok`), or refused or dropped it.
    LinkConnected {
        link: ConnId,
        ok: bool,
    },
    /// Bytes of a carried link that crossed the kernel: a whole request at the PLC's
    /// endpoint (`to_server`; a raw link's bytes as they came), or a whole reply at the
    /// client's socket.
    LinkBytes {
        link: ConnId,
        to_server: bool,
        bytes: Vec<u8>,
    },
    /// A carried link's connection ended from the network's side (a reset, the far end
    /// gone).
    LinkClosed {
        link: ConnId,
    },
    /// A carried connect-only try (live `--netns`): the kernel took it to the service
    /// (`ok`), or refused or dropped it.
    ProbeAnswered {
        probe: u64,
        ok: bool,
    },
    /// A facilitator's command from the viewer (launch an attack step, switch a control,
    /// fail a station), logged like any input so the session replays.
    Viewer {
        command: Command,
    },
}

/// What a facilitator can do from the viewer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    /// Start the k-th attack step of the scenario now (if it has not run).
    Launch(usize),
    /// Switch a control (by its key in [`CONTROL_KEYS`]).
    Toggle(char),
    /// Fail a station now (a scripted failure, for demonstrations and tests).
    Fail(usize),
}

impl World {
    /// Apply an input from outside, now (the adapter calls this before `step()`). For a
    /// connection, returns what the device did with it.
    pub fn apply_input(&mut self, input: &Input) -> Option<Admission> {
        let t = self.now;
        let valid = |p: usize| p < self.devices.plcs.len();
        match *input {
            Input::Connect { plc, conn, from } if valid(plc) => {
                if let Some(source) = from
                    && let Some(refused) = self.actor_connects(plc, conn, source, t)
                {
                    return Some(refused);
                }
                let a = self.devices.plcs[plc].connect(conn);
                match a {
                    Admission::AcceptedClosing(old) => self.close_external(plc, old),
                    Admission::Refused => self.ledger.metrics.event(
                        t,
                        EventKind::ConnectionRefused,
                        &self.devices.plcs[plc].name.clone(),
                        format!("connection {conn}: all taken"),
                    ),
                    Admission::Accepted => {}
                }
                Some(a)
            }
            Input::Disconnect { plc, conn } if valid(plc) => {
                self.devices.plcs[plc].disconnect(conn);
                None
            }
            Input::Frame { plc, conn, ref adu } if valid(plc) => {
                // Only on a connection the device holds (not one it refused or closed),
                // and past the gates an outside client's traffic passes.
                if self.devices.plcs[plc].has_connection(conn)
                    && self.actor_frame(plc, conn, adu, t)
                {
                    self.devices.plcs[plc].receive(conn, adu.clone());
                }
                None
            }
            Input::Malformed { plc, conn } if valid(plc) => {
                if self.actor_probe(plc, conn, t) {
                    self.devices.plcs[plc].set_current_conn(Some(conn));
                    self.devices.plcs[plc].malformed(t);
                    self.devices.plcs[plc].set_current_conn(None);
                }
                None
            }
            Input::Garbage { plc, conn } if valid(plc) => {
                if self.actor_probe(plc, conn, t) {
                    self.devices.plcs[plc].set_current_conn(Some(conn));
                    let close = self.devices.plcs[plc].garbage(t);
                    self.devices.plcs[plc].set_current_conn(None);
                    if close {
                        self.close_external(plc, conn);
                    }
                } else {
                    self.close_external(plc, conn);
                }
                None
            }
            Input::Read { plc, conn, ref adu } if valid(plc) => {
                self.devices.plcs[plc].stats.requests += 1;
                if let Some(conn) = conn
                    && let Some(a) = self.actors.of_conn(conn)
                {
                    let req = crate::modbus::parse_adu(adu)
                        .ok()
                        .and_then(|(_, pdu)| crate::modbus::Request::decode_pdu(pdu).ok());
                    let function = adu.get(7).copied().unwrap_or(0);
                    let new = self.actors.list[a]
                        .record
                        .request(plc, function, req.as_ref(), t);
                    self.new_techniques(a, plc, &new, t);
                }
                None
            }
            Input::LinkConnected { link, ok } => {
                self.link_connected(link, ok, t);
                None
            }
            Input::LinkBytes {
                link,
                to_server,
                ref bytes,
            } => {
                self.net.bus.arrived(link, to_server, t, bytes.clone());
                None
            }
            Input::ProbeAnswered { probe, ok } => {
                self.probe_answered(probe, ok, t);
                None
            }
            Input::LinkClosed { link } => {
                self.link_closed(link);
                None
            }
            Input::Viewer { ref command } => {
                self.command(command);
                None
            }
            _ => None,
        }
    }
}

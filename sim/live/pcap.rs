//! The live session's capture: the outside clients' traffic as it crossed the sockets, and
//! the World's own (the HMI's polls, the attack steps') as the fast mode writes it, so that
//! an analyst has the baseline beside what the clients did. With the plant's addresses
//! (`--pcap-plant`) every PLC is at its address, port 502, and every client at its actor's
//! address: Wireshark decodes Modbus/TCP with no per-port settings.

use super::{CaptureMsg, Shared};
use crate::capture::Capture;
use crate::world::World;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

type Sender = std::sync::mpsc::Sender<(Duration, CaptureMsg)>;

/// The thread that writes the pcap, and the channel to it. Data for a flow not yet opened
/// waits for its opening (the simulation opens outside clients' flows with the plant's
/// addresses once it has placed their actor); a flow closed unopened is dropped (the
/// firewall refused it: no connection on the plant's wire).
pub(super) fn writer(path: &Path) -> Result<(Sender, std::thread::JoinHandle<Result<()>>)> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let (tx, rx) = std::sync::mpsc::channel::<(Duration, CaptureMsg)>();
    let mut cap = Capture::new(std::io::BufWriter::new(file))?;
    let handle = std::thread::spawn(move || -> Result<()> {
        let v4 = |a: SocketAddr| match a.ip() {
            IpAddr::V4(ip) => (ip, a.port()),
            IpAddr::V6(_) => (Ipv4Addr::LOCALHOST, a.port()),
        };
        let mut open = std::collections::BTreeSet::new();
        let mut waiting: BTreeMap<u64, Vec<(Duration, bool, Vec<u8>)>> = BTreeMap::new();
        for (t, msg) in rx {
            let _ = match msg {
                CaptureMsg::Open {
                    key,
                    client,
                    server,
                } => {
                    open.insert(key);
                    let r = cap.open(key, t, v4(client), v4(server));
                    for (at, to_server, bytes) in waiting.remove(&key).unwrap_or_default() {
                        let _ = cap.data(key, at.max(t), to_server, &bytes);
                    }
                    r
                }
                CaptureMsg::Data {
                    key,
                    to_server,
                    bytes,
                } if !open.contains(&key) => {
                    waiting.entry(key).or_default().push((t, to_server, bytes));
                    Ok(())
                }
                CaptureMsg::Data {
                    key,
                    to_server,
                    bytes,
                } => cap.data(key, t, to_server, &bytes),
                CaptureMsg::Close { key } => {
                    waiting.remove(&key);
                    if open.remove(&key) {
                        cap.close(key, t)
                    } else {
                        Ok(())
                    }
                }
            };
        }
        let mut w = cap.finish()?;
        w.flush()?;
        Ok(())
    });
    Ok((tx, handle))
}

/// The World's own frames since the last call, into the capture: each link opened at its
/// first frame (its client's address in the plant, the PLC's address, port 502), times
/// mapped from simulated to wall time.
#[derive(Default)]
pub(super) struct WorldFrames {
    opened: Vec<bool>,
}

impl WorldFrames {
    pub(super) fn pump(
        &mut self,
        world: &mut World,
        shared: &Shared,
        offset: Duration,
        speed: f64,
    ) {
        let Some(frames) = world.net.bus.capture.as_mut().map(std::mem::take) else {
            return;
        };
        for sent in frames {
            let l = sent.link as usize;
            if self.opened.len() <= l {
                self.opened.resize(l + 1, false);
            }
            let t = offset + Duration::from_secs_f64(sent.at as f64 / 1e6 / speed);
            if !self.opened[l] {
                self.opened[l] = true;
                let link = &world.net.bus.links[l];
                let client = world
                    .net
                    .network
                    .host(&link.client)
                    .map(|h| world.net.network.hosts[h].address)
                    .unwrap_or(Ipv4Addr::LOCALHOST);
                let plc = &world.devices.plcs[link.plc];
                shared.capture_at(
                    t,
                    CaptureMsg::Open {
                        key: l as u64,
                        client: SocketAddr::new(client.into(), 49152 + (l % 16384) as u16),
                        server: SocketAddr::new(plc.address.into(), crate::modbus::PORT),
                    },
                );
            }
            shared.capture_at(
                t,
                CaptureMsg::Data {
                    key: l as u64,
                    to_server: sent.to_server,
                    bytes: sent.adu,
                },
            );
        }
    }
}

/// An outside client's flow with the plant's addresses: its actor's address in its zone,
/// the PLC's address, port 502 (sent once the World has placed the actor).
pub(super) fn open_at_plant(world: &World, shared: &Shared, plc: usize, conn: crate::plc::ConnId) {
    let Some(a) = world.actors.of_conn(conn) else {
        return;
    };
    let host = &world.net.network.hosts[world.actors.list[a].host];
    shared.capture(CaptureMsg::Open {
        key: u64::from(conn),
        client: SocketAddr::new(host.address.into(), 49152 + (conn % 16384) as u16),
        server: SocketAddr::new(world.devices.plcs[plc].address.into(), crate::modbus::PORT),
    });
}

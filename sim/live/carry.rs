//! The World's own links carried by real sockets (`live --netns`): the HMI's polls leave
//! the supervisory zone's namespace from the HMI's address, an attack step's connections
//! leave its host's namespace from the host's address, and both cross the lab's firewall
//! namespace — the plant's nftables rule set in the kernel — to the PLC's endpoint in its
//! zone. The endpoint recognises a carried connection by the client's address and port
//! (registered before the connect) and hands its bytes to the World as the link's; what
//! the kernel did comes back as logged inputs, so the session replays without sockets.

use super::{CaptureMsg, Msg, Shared};
use crate::bus::Carry;
use crate::modbus::Framer;
use crate::plc::ConnId;
use crate::world::Input;
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, mpsc};

/// Where the World's links leave from: per host of the scenario's network, the
/// namespace of its zone and its address; and how long a connection may stay unanswered
/// before it counts as dropped by the firewall (a SYN no one answers).
#[derive(Clone, Debug)]
pub struct Carrying {
    pub hosts: Vec<(String, Ipv4Addr)>,
    pub connect_timeout: Duration,
}

/// A carried connection as the endpoint will see it arrive.
pub(super) struct Registration {
    link: ConnId,
    generation: u64,
    raw: bool,
    /// The endpoint's side, once it accepted: bytes to write to the client.
    server: Arc<Mutex<Option<mpsc::UnboundedSender<Vec<u8>>>>>,
    accepted: Arc<Notify>,
}

/// The carried connections' state shared with the endpoints.
#[derive(Default)]
pub(super) struct Carried {
    /// By the client's address and port, registered before it connects.
    arriving: Mutex<BTreeMap<SocketAddr, Registration>>,
    /// Each link's current connection (its generation): a closed or replaced one says
    /// nothing more to the World.
    current: Mutex<BTreeMap<ConnId, u64>>,
}

impl Carried {
    fn is_current(&self, link: ConnId, generation: u64) -> bool {
        self.current
            .lock()
            .is_ok_and(|m| m.get(&link) == Some(&generation))
    }

    /// The registration of a connection from `peer`, if it is a carried one.
    pub(super) fn take(&self, peer: SocketAddr) -> Option<Registration> {
        self.arriving.lock().ok()?.remove(&peer)
    }
}

/// One link's connection, as the simulation thread holds it.
struct Conn {
    /// Bytes for the client to write (requests).
    client: mpsc::UnboundedSender<Vec<u8>>,
    /// Bytes for the endpoint to write (replies), once it accepted.
    server: Arc<Mutex<Option<mpsc::UnboundedSender<Vec<u8>>>>>,
}

/// The simulation thread's side: turns the bus's requests into sockets.
pub(super) struct Carrier {
    cfg: Carrying,
    tx: mpsc::UnboundedSender<Msg>,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    conns: BTreeMap<ConnId, Conn>,
    next_generation: u64,
    /// Where the carrier listens for connect-only tries.
    listening: std::collections::BTreeSet<SocketAddr>,
}

impl Carrier {
    pub(super) fn new(
        cfg: Carrying,
        tx: mpsc::UnboundedSender<Msg>,
        shared: Arc<Shared>,
        runtime: tokio::runtime::Handle,
    ) -> Carrier {
        Carrier {
            cfg,
            tx,
            shared,
            runtime,
            conns: BTreeMap::new(),
            next_generation: 0,
            listening: Default::default(),
        }
    }

    pub(super) fn carry(&mut self, c: Carry) {
        match c {
            Carry::Connect {
                link,
                from,
                to,
                port,
                raw,
            } => self.connect(link, from, to, port, raw),
            Carry::Frame {
                link,
                to_server,
                bytes,
            } => {
                if let Some(conn) = self.conns.get(&link) {
                    if to_server {
                        let _ = conn.client.send(bytes);
                    } else if let Ok(s) = conn.server.lock()
                        && let Some(s) = s.as_ref()
                    {
                        let _ = s.send(bytes);
                    }
                }
            }
            Carry::Close { link } => self.close(link),
            Carry::Probe {
                probe,
                from,
                to,
                port,
            } => self.probe(probe, from, to, port),
        }
    }

    /// A connect-only try: something listens at the far end (in the host's namespace, on
    /// its address), the connection is made or not within the timeout, and closed.
    fn probe(&mut self, probe: u64, from: usize, to: usize, port: u16) {
        let answer = move |ok| Msg::input(Input::ProbeAnswered { probe, ok });
        let (Some((ns, ip)), Some((to_ns, dest))) = (
            self.cfg.hosts.get(from).cloned(),
            self.cfg.hosts.get(to).cloned(),
        ) else {
            let _ = self.tx.send(answer(false));
            return;
        };
        let dest = SocketAddr::V4(SocketAddrV4::new(dest, port));
        if let Err(e) = self.listen(&to_ns, dest) {
            eprintln!("warning: cannot listen on {dest} in {to_ns} for a carried try: {e:#}");
            let _ = self.tx.send(answer(false));
            return;
        }
        let (tx, shared, timeout) = (
            self.tx.clone(),
            self.shared.clone(),
            self.cfg.connect_timeout,
        );
        self.runtime.spawn(async move {
            let ok = open(&ns, ip, dest, timeout, &shared, || None)
                .await
                .is_some();
            let _ = tx.send(answer(ok));
        });
    }

    /// A listener at `at` in `ns` that accepts and lets go (once per place).
    fn listen(&mut self, ns: &str, at: SocketAddr) -> anyhow::Result<()> {
        if self.listening.contains(&at) {
            return Ok(());
        }
        let l = crate::netns::inside(ns, || std::net::TcpListener::bind(at))??;
        l.set_nonblocking(true)?;
        let _guard = self.runtime.enter();
        let l = tokio::net::TcpListener::from_std(l)?;
        self.runtime.spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                drop(s);
            }
        });
        self.listening.insert(at);
        Ok(())
    }

    /// End the link's connection: both ends write what they were given, then close.
    fn close(&mut self, link: ConnId) {
        if let Some(conn) = self.conns.remove(&link) {
            if let Ok(mut m) = self.shared.carried.current.lock() {
                m.remove(&link);
            }
            if let Ok(mut s) = conn.server.lock() {
                s.take();
            }
        }
    }

    fn connect(&mut self, link: ConnId, from: usize, to: usize, port: u16, raw: bool) {
        self.close(link);
        let (Some((ns, ip)), Some((_, dest))) = (
            self.cfg.hosts.get(from).cloned(),
            self.cfg.hosts.get(to).cloned(),
        ) else {
            let _ = self
                .tx
                .send(Msg::input(Input::LinkConnected { link, ok: false }));
            return;
        };
        self.next_generation += 1;
        let generation = self.next_generation;
        if let Ok(mut m) = self.shared.carried.current.lock() {
            m.insert(link, generation);
        }
        let (client, requests) = mpsc::unbounded_channel();
        let server = Arc::new(Mutex::new(None));
        self.conns.insert(
            link,
            Conn {
                client,
                server: server.clone(),
            },
        );
        let (tx, shared, timeout) = (
            self.tx.clone(),
            self.shared.clone(),
            self.cfg.connect_timeout,
        );
        let dest = SocketAddr::V4(SocketAddrV4::new(dest, port));
        self.runtime.spawn(async move {
            let accepted = Arc::new(Notify::new());
            let stream = open(&ns, ip, dest, timeout, &shared, || {
                Some(Registration {
                    link,
                    generation,
                    raw,
                    server,
                    accepted: accepted.clone(),
                })
            })
            .await;
            // Connected and accepted by the endpoint (which says so to the World), or not.
            let stream = match stream {
                Some((s, local)) => {
                    let seen = tokio::time::timeout(timeout, accepted.notified()).await;
                    if seen.is_err() {
                        forget(&shared, local);
                        None
                    } else {
                        Some(s)
                    }
                }
                None => None,
            };
            let Some(stream) = stream else {
                if shared.carried.is_current(link, generation) {
                    let _ = tx.send(Msg::input(Input::LinkConnected { link, ok: false }));
                }
                return;
            };
            pump(
                stream,
                requests,
                &tx,
                &shared,
                link,
                generation,
                Side::Client,
            )
            .await;
        });
    }
}

fn forget(shared: &Shared, local: SocketAddr) {
    if let Ok(mut m) = shared.carried.arriving.lock() {
        m.remove(&local);
    }
}

/// A socket in `ns` bound to `ip`, registered under its address for the endpoint, then
/// connected to `dest` within `timeout`.
async fn open(
    ns: &str,
    ip: Ipv4Addr,
    dest: SocketAddr,
    timeout: Duration,
    shared: &Shared,
    registration: impl FnOnce() -> Option<Registration>,
) -> Option<(TcpStream, SocketAddr)> {
    let socket = crate::netns::inside(ns, tokio::net::TcpSocket::new_v4)
        .ok()?
        .ok()?;
    socket.set_nodelay(true).ok()?;
    socket.bind(SocketAddr::V4(SocketAddrV4::new(ip, 0))).ok()?;
    let local = socket.local_addr().ok()?;
    if let Some(r) = registration() {
        shared.carried.arriving.lock().ok()?.insert(local, r);
    }
    match tokio::time::timeout(timeout, socket.connect(dest)).await {
        Ok(Ok(s)) => Some((s, local)),
        _ => {
            forget(shared, local);
            None
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    /// The endpoint's side; a raw link's bytes go to the World as they come.
    Server {
        raw: bool,
    },
}

/// The endpoint accepted a carried connection: the World hears of it, then its bytes.
pub(super) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    server: SocketAddr,
    r: Registration,
    tx: mpsc::UnboundedSender<Msg>,
    shared: Arc<Shared>,
) {
    let _ = stream.set_nodelay(true);
    let (out, replies) = mpsc::unbounded_channel();
    if let Ok(mut s) = r.server.lock() {
        *s = Some(out);
    }
    r.accepted.notify_one();
    if !shared.carried.is_current(r.link, r.generation) {
        return;
    }
    let key = (1u64 << 40) | r.generation;
    shared.capture(CaptureMsg::Open {
        key,
        client: peer,
        server,
    });
    let _ = tx.send(Msg::input(Input::LinkConnected {
        link: r.link,
        ok: true,
    }));
    let side = Side::Server { raw: r.raw };
    pump(stream, replies, &tx, &shared, r.link, r.generation, side).await;
    shared.capture(CaptureMsg::Close { key });
}

/// Write what the World gives this end, and hand the World what arrives at it, until
/// either the World closes the link (the sender dropped: what it gave is written first)
/// or the network does (the World hears of it, unless the link has moved on).
async fn pump(
    mut stream: TcpStream,
    mut outgoing: mpsc::UnboundedReceiver<Vec<u8>>,
    tx: &mpsc::UnboundedSender<Msg>,
    shared: &Shared,
    link: ConnId,
    generation: u64,
    side: Side,
) {
    let key = (1u64 << 40) | generation;
    let to_server = side != Side::Client;
    let mut framer = Framer::new();
    let mut buf = vec![0u8; 4096];
    loop {
        tokio::select! {
            bytes = outgoing.recv() => {
                let Some(bytes) = bytes else {
                    let _ = stream.shutdown().await;
                    return;
                };
                if stream.write_all(&bytes).await.is_err() {
                    break;
                }
                if to_server {
                    shared.capture(CaptureMsg::Data { key, to_server: false, bytes });
                }
            }
            n = stream.read(&mut buf) => {
                let n = match n {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if shared.stop.load(Ordering::Acquire) || !shared.carried.is_current(link, generation) {
                    return;
                }
                let send = |bytes: Vec<u8>| {
                    let _ = tx.send(Msg::input(Input::LinkBytes { link, to_server, bytes }));
                };
                if to_server {
                    shared.capture(CaptureMsg::Data { key, to_server: true, bytes: buf[..n].to_vec() });
                }
                if side == (Side::Server { raw: true }) {
                    send(buf[..n].to_vec());
                    continue;
                }
                framer.push(&buf[..n]);
                while let Some(frame) = framer.next_frame() {
                    match frame {
                        Ok(adu) => send(adu),
                        // The twin's own clients and PLCs write whole ADUs only: a stream
                        // that does not frame is corrupt, and what is left of it dropped.
                        Err(_) => {
                            framer = Framer::new();
                            break;
                        }
                    }
                }
            }
        }
    }
    if shared.carried.is_current(link, generation) {
        let _ = tx.send(Msg::input(Input::LinkClosed { link }));
    }
}

//! `faultline proxy`: the DPI policy engine as a standalone Modbus/TCP proxy in front of
//! any server (the live twin or a real device). Fails closed: a policy that does not load
//! or does not make sense stops it before it listens; bytes that are not Modbus/TCP close
//! the connection; a framed request that does not decode is answered by the proxy with the
//! specification's exception and not forwarded (unless `forward_unparsed`, in Monitor
//! mode). The upstream closing is passed on. Every decision is logged as a JSON line, off
//! the request path ([`log`]).

use crate::controls::dpi::{Dpi, DpiSpec, Flow, OnBlock};
use crate::controls::gate::{Gate, GateRequest, GateVerdict};
use crate::modbus::Request;
use crate::modbus::{ExceptionCode, Framer, Response, parse_adu, response_adu};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub mod log;
pub use log::DecisionLog;
use log::{Decision, now};

/// How the proxy treats what it does not understand.
#[derive(Clone, Debug, Default)]
pub struct ProxyOptions {
    /// Forward frames that are framed as Modbus/TCP but whose request does not decode (an
    /// unknown function code, a coil value other than 0x0000/0xFF00, a zero quantity) in
    /// Monitor mode, logged. Off by default: such a frame is answered by the proxy with the
    /// exception the specification gives, and never reaches the device — it is what hangs
    /// fragile ones.
    pub forward_unparsed: bool,
    /// Connect to the upstream from inside this network namespace (a PLC's endpoint in
    /// its zone under `live --netns`).
    pub upstream_netns: Option<String>,
}

/// The connection to the upstream device, made inside `ns` when given. On loopback (a
/// client of 127.0.0.0/8 or ::1 in front of a loopback upstream, as in front of `faultline
/// live`) it leaves from the client's own address, so the twin behind sees the client, not
/// the proxy: its actor is the client's, as if it had connected directly. Where that
/// address cannot be bound, the proxy's own is used.
async fn connect_upstream(
    upstream: SocketAddr,
    ns: Option<&str>,
    client: std::net::IpAddr,
) -> Result<TcpStream> {
    let Some(ns) = ns else {
        if let Some(socket) = source_kept(upstream, client)
            && let Ok(stream) = socket.connect(upstream).await
        {
            return Ok(stream);
        }
        return TcpStream::connect(upstream)
            .await
            .with_context(|| format!("upstream {upstream}"));
    };
    let ns = ns.to_string();
    let std = tokio::task::spawn_blocking(move || {
        crate::netns::inside(&ns, || {
            std::net::TcpStream::connect_timeout(&upstream, std::time::Duration::from_secs(3))
        })
    })
    .await
    .context("the upstream connection's thread")??
    .with_context(|| format!("upstream {upstream}"))?;
    std.set_nonblocking(true)?;
    Ok(TcpStream::from_std(std)?)
}

/// A socket bound to the client's loopback address for the upstream connection, where
/// both ends are on loopback and of one family.
fn source_kept(upstream: SocketAddr, client: std::net::IpAddr) -> Option<tokio::net::TcpSocket> {
    if !(client.is_loopback() && upstream.ip().is_loopback()) {
        return None;
    }
    let socket = match client {
        std::net::IpAddr::V4(_) if upstream.is_ipv4() => tokio::net::TcpSocket::new_v4().ok()?,
        std::net::IpAddr::V6(_) if upstream.is_ipv6() => tokio::net::TcpSocket::new_v6().ok()?,
        _ => return None,
    };
    socket.bind(SocketAddr::new(client, 0)).ok()?;
    Some(socket)
}

/// Serve until the listener fails. Each client gets its own upstream connection.
/// In a proxy policy, a client is `Host("<its IP>")` in zone `client`; the server is
/// `Host("upstream")` in zone `upstream`. A rule's rate limit holds per source address,
/// across that client's connections.
pub async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    spec: Option<DpiSpec>,
    decisions: DecisionLog,
    options: ProxyOptions,
) -> Result<()> {
    serve_with(listener, upstream, spec, None, decisions, options).await
}

/// Modbus/TCP Security in front of the server: TLS with mutual authentication, the
/// client's role from its certificate, and the role policy applied before the DPI's.
#[derive(Clone)]
pub struct TlsFront {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub roles: Arc<crate::tls::RolePolicy>,
    /// How long a client has to complete the handshake before it is closed
    /// ([`HANDSHAKE_TIMEOUT`] from the command line).
    pub handshake_timeout: std::time::Duration,
}

/// How long a client of `faultline proxy` has to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `serve`, with Modbus/TCP Security in front where `tls` is given: a client that does
/// not complete the handshake with a certificate of the client CA never gets a Modbus
/// answer (and is closed after the front's handshake timeout at most).
pub async fn serve_with(
    listener: TcpListener,
    upstream: SocketAddr,
    spec: Option<DpiSpec>,
    tls: Option<TlsFront>,
    decisions: DecisionLog,
    options: ProxyOptions,
) -> Result<()> {
    let dpi = spec.map(|spec| Arc::new(Mutex::new(Dpi::new(&spec))));
    let started = Instant::now();
    // The rate buckets are keyed by source address: one per client IP.
    let mut sources: BTreeMap<IpAddr, u64> = BTreeMap::new();
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors or a connection reset before it was taken: say so,
                // wait a moment, listen on.
                decisions.event(
                    serde_json::json!({"ts": now(), "event": "accept failed", "why": e.to_string()}),
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        // Fail closed: a proxy whose decisions cannot be written passes nothing.
        if let Some(e) = decisions.failed() {
            anyhow::bail!("the decision log cannot be written: {e}");
        }
        let next = sources.len() as u64 + 1;
        let source = *sources.entry(peer.ip()).or_insert(next);
        let (dpi, decisions, tls, options) =
            (dpi.clone(), decisions.clone(), tls.clone(), options.clone());
        tokio::spawn(async move {
            let _ = client.set_nodelay(true);
            let result = match tls {
                None => {
                    let (rd, wr) = client.into_split();
                    let ends = Ends {
                        rd,
                        wr,
                        peer,
                        role: None,
                    };
                    session(
                        ends,
                        upstream,
                        dpi,
                        decisions.clone(),
                        source,
                        started,
                        options,
                    )
                    .await
                }
                Some(front) => {
                    let stream = match tokio::time::timeout(
                        front.handshake_timeout,
                        front.acceptor.accept(client),
                    )
                    .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            decisions.event(
                                serde_json::json!({"ts": now(), "client": peer.to_string(), "event": "tls refused", "why": e.to_string()}),
                            );
                            return;
                        }
                        Err(_) => {
                            decisions.event(
                                serde_json::json!({"ts": now(), "client": peer.to_string(), "event": "tls refused", "why": format!("no handshake within {} ms", front.handshake_timeout.as_millis())}),
                            );
                            return;
                        }
                    };
                    let role = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| crate::tls::role_of(c));
                    decisions.event(
                        serde_json::json!({"ts": now(), "client": peer.to_string(), "event": "tls session", "role": role}),
                    );
                    let checker = Dpi::new(&front.roles.dpi_spec());
                    let (rd, wr) = tokio::io::split(stream);
                    let ends = Ends {
                        rd,
                        wr,
                        peer,
                        role: Some((role.map(Arc::from), checker)),
                    };
                    session(
                        ends,
                        upstream,
                        dpi,
                        decisions.clone(),
                        source,
                        started,
                        options,
                    )
                    .await
                }
            };
            if let Err(e) = result {
                decisions.event(
                    serde_json::json!({"ts": now(), "client": peer.to_string(), "event": "closed", "why": e.to_string()}),
                );
            }
        });
    }
}

/// The proxy's own answer to a request it does not forward.
fn exception(tid: u16, unit: u8, function: u8, code: ExceptionCode) -> Vec<u8> {
    response_adu(tid, unit, &Response::exception(function, code))
}

/// A client's side of a session: its read and write halves (plain TCP, or TLS), its
/// address, and under Modbus/TCP Security its role (None: the certificate carries none)
/// with the role policy's checker.
struct Ends<R, W> {
    rd: R,
    wr: W,
    peer: SocketAddr,
    role: Option<(Option<Arc<str>>, Dpi)>,
}

/// One client's session: its requests judged and forwarded upstream by this task, the
/// upstream's replies carried back by another ([`carry_replies`]), which owns the client's
/// write side; the proxy's own answers (exceptions) reach it through a channel.
async fn session<R, W>(
    ends: Ends<R, W>,
    upstream: SocketAddr,
    dpi: Option<Arc<Mutex<Dpi>>>,
    decisions: DecisionLog,
    source: u64,
    started: Instant,
    options: ProxyOptions,
) -> Result<()>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
    W: tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let Ends {
        rd: mut client_rd,
        wr: client_wr,
        peer,
        mut role,
    } = ends;
    let server = connect_upstream(upstream, options.upstream_netns.as_deref(), peer.ip()).await?;
    server.set_nodelay(true)?;
    let (server_rd, mut server_wr) = server.into_split();
    let (answers, answered) = mpsc::unbounded_channel::<Vec<u8>>();
    // The upstream closing (or failing) is passed on: the client is closed, and told why
    // in the log.
    let (lost_tx, mut lost) = tokio::sync::oneshot::channel::<String>();
    let replies = tokio::spawn(carry_replies(server_rd, client_wr, answered, lost_tx));
    let client_ip = peer.ip().to_string();
    let at = Judge {
        peer,
        upstream,
        dpi: &dpi,
        decisions: &decisions,
        source,
        client_ip: &client_ip,
        forward_unparsed: options.forward_unparsed,
    };
    let mut framer = Framer::new();
    let mut buf = vec![0u8; 4096];
    let mut adu = Vec::with_capacity(crate::modbus::MAX_ADU);
    // The requests of one read that pass, written upstream at once.
    let mut forward = Vec::with_capacity(4096);
    let result = loop {
        let n = tokio::select! {
            r = client_rd.read(&mut buf) => match r {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(e.into()),
            },
            why = &mut lost => {
                let why = why.unwrap_or_else(|_| "the upstream connection ended".into());
                decisions.event(
                    serde_json::json!({"ts": now(), "client": peer.to_string(), "upstream": upstream.to_string(), "event": "upstream lost", "why": why}),
                );
                break Ok(());
            }
        };
        framer.push(&buf[..n]);
        forward.clear();
        let mut stop = None;
        while let Some(frame) = framer.next_frame_into(&mut adu) {
            if let Err(e) = frame {
                // Fail closed: bytes that are not Modbus/TCP end the connection.
                decisions.event(
                    serde_json::json!({"ts": now(), "client": peer.to_string(), "verdict": "reset", "reason": format!("unparsable: {e}")}),
                );
                stop = Some(Err(anyhow::anyhow!("unparsable stream: {e}")));
                break;
            }
            // Fail closed: no request passes unlogged.
            if let Some(e) = decisions.failed() {
                stop = Some(Err(anyhow::anyhow!(
                    "the decision log cannot be written: {e}"
                )));
                break;
            }
            let t = started.elapsed().as_micros() as u64;
            match at.judge(&mut role, &adu, t)? {
                Action::Forward => forward.extend_from_slice(&adu),
                Action::Answer(bytes) => {
                    let _ = answers.send(bytes);
                }
                Action::Close => {
                    stop = Some(Ok(()));
                    break;
                }
            }
        }
        if !forward.is_empty()
            && let Err(e) = server_wr.write_all(&forward).await
        {
            break Err(e.into());
        }
        if let Some(r) = stop {
            break r;
        }
    };
    // The replies' task writes the answers already queued and ends.
    drop(answers);
    let _ = replies.await;
    result
}

/// The upstream's replies to the client, and the proxy's own answers, until the upstream
/// closes (`lost` says why), the client is gone or the session ends (`answered` closes).
/// Each write is flushed: a TLS stream keeps what the socket did not take at once (tokio
/// answers a write with Pending when the socket is full or the task has used its
/// cooperative budget) until the next write or a flush, and a reply left there would never
/// reach the client, which waits for it.
async fn carry_replies<W>(
    mut server_rd: tokio::net::tcp::OwnedReadHalf,
    mut client_wr: W,
    mut answered: mpsc::UnboundedReceiver<Vec<u8>>,
    lost: tokio::sync::oneshot::Sender<String>,
) where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 4096];
    let why = loop {
        tokio::select! {
            r = server_rd.read(&mut buf) => match r {
                Ok(0) => break "the upstream closed the connection".to_string(),
                Err(e) => break format!("the upstream connection failed: {e}"),
                Ok(n) => {
                    if send(&mut client_wr, &buf[..n]).await.is_err() {
                        break "the client is gone".to_string();
                    }
                }
            },
            answer = answered.recv() => match answer {
                Some(bytes) => {
                    if send(&mut client_wr, &bytes).await.is_err() {
                        break "the client is gone".to_string();
                    }
                }
                None => return,
            },
        }
    };
    // The proxy's answers already given still go out.
    while let Ok(bytes) = answered.try_recv() {
        if send(&mut client_wr, &bytes).await.is_err() {
            break;
        }
    }
    let _ = lost.send(why);
}

/// Bytes to the client, written and flushed (a no-op on plain TCP; under TLS it pushes out
/// the records the socket did not take at once).
async fn send<W: tokio::io::AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

/// What the proxy does with one request: forward it upstream, answer it itself (an
/// exception), or close the connection.
enum Action {
    Forward,
    Answer(Vec<u8>),
    Close,
}

/// What one session's requests are judged with.
struct Judge<'a> {
    peer: SocketAddr,
    upstream: SocketAddr,
    dpi: &'a Option<Arc<Mutex<Dpi>>>,
    decisions: &'a DecisionLog,
    source: u64,
    client_ip: &'a str,
    forward_unparsed: bool,
}

impl Judge<'_> {
    /// One request at `t` µs into the session: the role policy (Modbus/TCP Security), the
    /// DPI's verdict, the request's parse; its decision handed to the log.
    fn judge(
        &self,
        role: &mut Option<(Option<Arc<str>>, Dpi)>,
        adu: &[u8],
        t: u64,
    ) -> Result<Action> {
        let (tid, unit, function) = parse_adu(adu)
            .map(|(h, pdu)| {
                (
                    h.transaction_id,
                    h.unit_id,
                    pdu.first().copied().unwrap_or(0),
                )
            })
            .unwrap_or((0, 0, 0));
        let decoded = Request::decode_pdu(&adu[7..]);
        let mut line = Decision::new(now(), self.peer, self.upstream, adu);
        // Modbus/TCP Security: the role policy first; a request the role may not make
        // is answered with exception 01 (Illegal Function) and never forwarded.
        if let Some((name, checker)) = role {
            line.role = Some(name.clone());
            if !crate::tls::role_allows(checker, name.as_deref(), adu) {
                line.verdict = "block";
                line.reason = Some("the role may not make this request".into());
                self.decisions.decision(line);
                return Ok(Action::Answer(exception(
                    tid,
                    unit,
                    function,
                    ExceptionCode::IllegalFunction,
                )));
            }
        }
        let verdict = match self.dpi {
            Some(dpi) => decide(dpi, self.client_ip, self.source, adu, t)?,
            None => GateVerdict::Pass,
        };
        line.touches = decoded.is_ok();
        // A request that does not decode (or whose function code Modbus does not
        // define, so that its bytes cannot be checked) is answered here, whatever the
        // mode, unless the operator asked for it to be forwarded.
        let unparsed = match &decoded {
            Err(e) => Some((format!("does not parse: {e}"), e.exception())),
            Ok(Request::Raw { function, .. }) => Some((
                format!("function code 0x{function:02X} is not one Modbus defines"),
                ExceptionCode::IllegalFunction,
            )),
            Ok(_) => None,
        };
        if let Some((why, code)) = unparsed
            && !(self.forward_unparsed && matches!(verdict, GateVerdict::Alert { .. }))
        {
            line.verdict = "block";
            line.reason = Some(why);
            self.decisions.decision(line);
            return Ok(Action::Answer(exception(tid, unit, function, code)));
        }
        let (name, reason, block) = match &verdict {
            GateVerdict::Pass => ("allow", None, None),
            GateVerdict::Alert { why, .. } => ("alert", Some(why.to_string()), None),
            GateVerdict::Block { why, answer, .. } => (
                "block",
                Some(why.to_string()),
                Some((*answer, why.exception())),
            ),
        };
        line.verdict = name;
        line.reason = reason;
        self.decisions.decision(line);
        Ok(match block {
            None => Action::Forward,
            Some((OnBlock::Exception, code)) => {
                Action::Answer(exception(tid, unit, function, code))
            }
            Some(_) => Action::Close,
        })
    }
}

/// The same gate as the twin's DPI: the policy's verdict on one request from a client.
fn decide(
    dpi: &Mutex<Dpi>,
    client_ip: &str,
    source: u64,
    adu: &[u8],
    t: u64,
) -> Result<GateVerdict> {
    let mut d = dpi
        .lock()
        .map_err(|_| anyhow::anyhow!("policy lock poisoned"))?;
    let request = GateRequest {
        from: 0,
        plc: 0,
        flow: Flow {
            from_host: client_ip,
            from_zone: "client",
            to_host: "upstream",
            to_zone: "upstream",
            source,
        },
        adu,
        framed: true,
    };
    Ok(d.decide(&request, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client whose write side keeps what it is given until a flush, as a TLS stream does
    /// when the socket does not take a record at once: its reply still reaches it.
    #[tokio::test]
    async fn a_reply_to_a_client_that_buffers_its_writes_is_flushed_to_it() {
        // The device: answers every request with ten input registers.
        let device = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = device.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = device.accept().await.unwrap();
            let mut f = Framer::new();
            let mut buf = vec![0u8; 512];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                f.push(&buf[..n]);
                while let Some(Ok(adu)) = f.next_frame() {
                    let (h, _) = parse_adu(&adu).unwrap();
                    let r = Response::ReadInputRegisters(vec![7; 10]);
                    s.write_all(&response_adu(h.transaction_id, h.unit_id, &r))
                        .await
                        .unwrap();
                }
            }
        });
        let (ours, mut theirs) = tokio::io::duplex(4096);
        let (rd, wr) = tokio::io::split(ours);
        let ends = Ends {
            rd,
            wr: tokio::io::BufWriter::new(wr),
            peer: "127.0.0.1:40000".parse().unwrap(),
            role: None,
        };
        let proxy = tokio::spawn(session(
            ends,
            upstream,
            None,
            DecisionLog::discard(),
            1,
            Instant::now(),
            ProxyOptions::default(),
        ));
        let request = crate::modbus::request_adu(
            9,
            1,
            &Request::ReadInputRegisters {
                address: 0,
                quantity: 10,
            },
        );
        theirs.write_all(&request).await.unwrap();
        let mut reply = [0u8; 29];
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            theirs.read_exact(&mut reply),
        )
        .await
        .expect("the reply reaches the client within 5 s")
        .unwrap();
        assert_eq!(&reply[..2], &9u16.to_be_bytes());
        assert_eq!(reply[7], 0x04);
        drop(theirs);
        proxy.await.unwrap().unwrap();
    }
}

//! `faultline proxy`: the DPI policy engine as a standalone Modbus/TCP proxy in front of
//! any server (the live twin or a real device). Fails closed: a policy that does not load
//! stops it before it listens, and a frame that does not parse is never forwarded (the
//! connection is closed). Every decision is logged as a JSON line, flushed as written.

use crate::controls::dpi::{Dpi, DpiSpec, Flow, OnBlock};
use crate::controls::gate::{Gate, GateRequest, GateVerdict};
use crate::modbus::{ExceptionCode, Framer, Response, parse_adu, response_adu};
use anyhow::{Context, Result};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Load a policy file (RON, a `DpiSpec`); every error placed as for scenarios.
pub fn load_policy(path: &std::path::Path) -> Result<DpiSpec> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the policy", path.display()))?;
    ron::Options::default().from_str(&text).map_err(|e| {
        let line = text.lines().nth(e.span.start.line.saturating_sub(1)).unwrap_or("");
        anyhow::anyhow!(
            "{}:{}:{}: {}\n  | {line}\nhint: a policy is a DpiSpec, e.g. (mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly)])",
            path.display(),
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })
}

/// Where decisions go.
pub type DecisionLog = Arc<Mutex<Box<dyn Write + Send>>>;

fn log(log: &DecisionLog, line: serde_json::Value) {
    if let Ok(mut w) = log.lock() {
        let _ = writeln!(w, "{line}");
        let _ = w.flush();
    }
}

/// Serve until the listener fails. Each client gets its own upstream connection.
/// In a proxy policy, a client is `Host("<its IP>")` in zone `client`; the server is
/// `Host("upstream")` in zone `upstream`.
pub async fn serve(
    listener: TcpListener,
    upstream: SocketAddr,
    spec: DpiSpec,
    decisions: DecisionLog,
) -> Result<()> {
    let dpi = Arc::new(Mutex::new(Dpi::new(&spec)));
    let started = Instant::now();
    let mut next_conn = 0u64;
    loop {
        let (client, peer) = listener.accept().await?;
        next_conn += 1;
        let (dpi, decisions) = (dpi.clone(), decisions.clone());
        let conn = next_conn;
        tokio::spawn(async move {
            if let Err(e) = session(
                client,
                peer,
                upstream,
                dpi,
                decisions.clone(),
                conn,
                started,
            )
            .await
            {
                log(
                    &decisions,
                    serde_json::json!({"ts": now(), "client": peer.to_string(), "event": "closed", "why": e.to_string()}),
                );
            }
        });
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

async fn session(
    client: TcpStream,
    peer: SocketAddr,
    upstream: SocketAddr,
    dpi: Arc<Mutex<Dpi>>,
    decisions: DecisionLog,
    conn: u64,
    started: Instant,
) -> Result<()> {
    client.set_nodelay(true)?;
    let server = TcpStream::connect(upstream)
        .await
        .with_context(|| format!("upstream {upstream}"))?;
    server.set_nodelay(true)?;
    let (mut client_rd, mut client_wr) = client.into_split();
    let (mut server_rd, mut server_wr) = server.into_split();
    // Replies from upstream and the proxy's own exceptions share the client's write side.
    let (to_client, mut replies) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = tokio::spawn(async move {
        while let Some(bytes) = replies.recv().await {
            if client_wr.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let back = to_client.clone();
    let reader = tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            match server_rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if back.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    let client_ip = peer.ip().to_string();
    let mut framer = Framer::new();
    let mut buf = vec![0u8; 4096];
    let result = loop {
        let n = match client_rd.read(&mut buf).await {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) => break Err(e.into()),
        };
        framer.push(&buf[..n]);
        let mut stop = None;
        while let Some(frame) = framer.next_frame() {
            let adu = match frame {
                Ok(adu) => adu,
                Err(e) => {
                    // Fail closed: bytes that are not Modbus/TCP end the connection.
                    log(
                        &decisions,
                        serde_json::json!({"ts": now(), "client": peer.to_string(), "verdict": "reset", "reason": format!("unparsable: {e}")}),
                    );
                    stop = Some(Err(anyhow::anyhow!("unparsable stream: {e}")));
                    break;
                }
            };
            let t = started.elapsed().as_micros() as u64;
            let verdict = decide(&dpi, &client_ip, conn, &adu, t)?;
            let (tid, unit, function) = parse_adu(&adu)
                .map(|(h, pdu)| {
                    (
                        h.transaction_id,
                        h.unit_id,
                        pdu.first().copied().unwrap_or(0),
                    )
                })
                .unwrap_or((0, 0, 0));
            let (name, reason, block) = match &verdict {
                GateVerdict::Pass => ("allow", None, None),
                GateVerdict::Alert { why, .. } => ("alert", Some(why.to_string()), None),
                GateVerdict::Block { why, answer, .. } => {
                    ("block", Some(why.to_string()), Some(*answer))
                }
            };
            log(
                &decisions,
                serde_json::json!({
                    "ts": now(), "client": peer.to_string(), "upstream": upstream.to_string(),
                    "tid": tid, "unit": unit, "fc": function,
                    "verdict": name,
                    "reason": reason,
                }),
            );
            if block.is_none() {
                server_wr.write_all(&adu).await?;
            } else if block == Some(OnBlock::Exception) && parse_adu(&adu).is_ok() {
                let reply = response_adu(
                    tid,
                    unit,
                    &Response::exception(function, ExceptionCode::IllegalFunction),
                );
                let _ = to_client.send(reply);
            } else {
                stop = Some(Ok(()));
                break;
            }
        }
        if let Some(r) = stop {
            break r;
        }
    };
    reader.abort();
    drop(to_client);
    let _ = writer.await;
    result
}

/// The same gate as the twin's DPI: the policy's verdict on one request from a client.
fn decide(dpi: &Mutex<Dpi>, client_ip: &str, conn: u64, adu: &[u8], t: u64) -> Result<GateVerdict> {
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
            conn,
        },
        adu,
        framed: true,
    };
    Ok(d.decide(&request, t))
}

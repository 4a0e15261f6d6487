//! Modbus/TCP Security's cost per request and per connection, on loopback, in one run:
//! the same `faultline proxy` code in front of the same upstream (a server answering
//! from memory with the project's codec, so that only the proxies differ), once plain and
//! once terminating TLS 1.3 with mutual authentication and the role policy. Reports the
//! added p50 and p99 per request after the handshake (aim: p50 ≤ 30 µs), and the
//! handshake's time, full and resumed.
//!
//! `cargo bench --bench tls [-- --seconds S]`

use faultline::modbus::{Framer, Request, Response, parse_adu, request_adu, response_adu};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "common/bars.rs"]
mod bars;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn seconds() -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--seconds")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0)
}

/// A Modbus server answering every request from memory: ten input registers.
async fn upstream() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            s.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let mut f = Framer::new();
                let mut buf = vec![0u8; 4096];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    f.push(&buf[..n]);
                    while let Some(Ok(adu)) = f.next_frame() {
                        let (h, _) = parse_adu(&adu).unwrap();
                        let r = response_adu(
                            h.transaction_id,
                            h.unit_id,
                            &Response::ReadInputRegisters(vec![7; 10]),
                        );
                        if s.write_all(&r).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}

async fn proxy(upstream: SocketAddr, tls: Option<faultline::proxy::TlsFront>) -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(faultline::proxy::serve_with(
        l,
        upstream,
        None,
        tls,
        faultline::proxy::DecisionLog::discard(),
        faultline::proxy::ProxyOptions::default(),
    ));
    addr
}

/// Back-to-back FC04 × 10 on one connection for `secs`: each request's latency (µs).
async fn requests<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, secs: f64) -> Vec<u64> {
    let req = Request::ReadInputRegisters {
        address: 0,
        quantity: 10,
    };
    let mut lat = Vec::new();
    let mut buf = vec![0u8; 256];
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut tid = 0u16;
    while Instant::now() < end {
        tid = tid.wrapping_add(1);
        let t = Instant::now();
        s.write_all(&request_adu(tid, 1, &req)).await.unwrap();
        // A TLS stream keeps what the socket did not take at once until a flush.
        s.flush().await.unwrap();
        // 9 + 2 × 10 bytes of reply.
        s.read_exact(&mut buf[..29]).await.unwrap();
        lat.push(t.elapsed().as_nanos() as u64 / 1000);
    }
    lat.sort_unstable();
    lat
}

fn pct(v: &[u64], p: f64) -> u64 {
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

fn main() {
    bars::watchdog(120);
    let secs = seconds();
    let dir = std::env::temp_dir().join(format!("faultline-tls-bench-{}", std::process::id()));
    let pki = faultline::tls::pki_init(&dir, &[("device".into(), "127.0.0.1".into())], 2).unwrap();
    let roles = dir.join("roles.ron");
    std::fs::write(
        &roles,
        r#"(roles: [(role: "engineer", preset: Programming)])"#,
    )
    .unwrap();
    let (_, cert, key) = &pki.devices[0];
    let front = faultline::proxy::TlsFront {
        acceptor: tokio_rustls::TlsAcceptor::from(
            faultline::tls::server_config(cert, key, &pki.ca).unwrap(),
        ),
        roles: Arc::new(faultline::tls::load_roles(&roles).unwrap()),
        handshake_timeout: faultline::proxy::HANDSHAKE_TIMEOUT,
    };
    // The engineer's client configuration, with the plant CA as its trust anchor.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(&pki.ca).unwrap())
        .unwrap();
    let (_, ccert, ckey) = pki.clients.iter().find(|c| c.0 == "engineer").unwrap();
    let client_config = Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(ccert).unwrap()],
                PrivateKeyDer::from_pem_file(ckey).unwrap(),
            )
            .unwrap(),
    );
    let connector = tokio_rustls::TlsConnector::from(client_config.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let up = upstream().await;
        let plain = proxy(up, None).await;
        let secure = proxy(up, Some(front)).await;
        let name = ServerName::try_from("127.0.0.1").unwrap();
        // Alternate plain and TLS three times; the median of each run's figures.
        let (mut p, mut t) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let mut s = TcpStream::connect(plain).await.unwrap();
            s.set_nodelay(true).unwrap();
            p.push(requests(&mut s, secs / 3.0).await);
            let tcp = TcpStream::connect(secure).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let mut s = connector.connect(name.clone(), tcp).await.unwrap();
            t.push(requests(&mut s, secs / 3.0).await);
        }
        let med = |runs: &[Vec<u64>], q: f64| {
            let mut v: Vec<u64> = runs.iter().map(|r| pct(r, q)).collect();
            v.sort_unstable();
            v[1]
        };
        let (p50, p99, t50, t99) = (med(&p, 0.5), med(&p, 0.99), med(&t, 0.5), med(&t, 0.99));
        let n: usize = t.iter().map(|r| r.len()).sum();
        println!(
            "per request after the handshake (FC04 × 10, one connection, {n} TLS requests): plain proxy p50 {p50} µs p99 {p99} µs; Modbus/TCP Security p50 {t50} µs p99 {t99} µs; TLS and the role check add p50 {} µs, p99 {} µs (aim: p50 ≤ 30 µs)",
            t50.saturating_sub(p50),
            t99.saturating_sub(p99)
        );
        let mut bars = bars::Bars::new();
        bars.at_most("TLS and the role check, added p50 per request (µs)", t50.saturating_sub(p50) as f64, 30.0);
        bars.finish();
        // Handshakes: alternately with session resumption off (full) and on (resumed
        // from the client's session cache, as rustls does by default).
        let mut once = (*client_config).clone();
        once.resumption = rustls::client::Resumption::disabled();
        let fresh = tokio_rustls::TlsConnector::from(Arc::new(once));
        let (mut full, mut resumed) = (Vec::new(), Vec::new());
        for i in 0..400 {
            let start = Instant::now();
            let tcp = TcpStream::connect(secure).await.unwrap();
            tcp.set_nodelay(true).unwrap();
            let c = if i % 2 == 0 { &fresh } else { &connector };
            let mut s = c.connect(name.clone(), tcp).await.unwrap();
            let mut buf = [0u8; 29];
            s.write_all(&request_adu(1, 1, &Request::ReadInputRegisters { address: 0, quantity: 10 })).await.unwrap();
            s.flush().await.unwrap();
            s.read_exact(&mut buf).await.unwrap();
            let us = start.elapsed().as_micros() as u64;
            let was_resumed = matches!(s.get_ref().1.handshake_kind(), Some(rustls::HandshakeKind::Resumed));
            if was_resumed { resumed.push(us) } else { full.push(us) }
            let _ = s.shutdown().await;
        }
        full.sort_unstable();
        resumed.sort_unstable();
        let show = |v: &[u64]| if v.is_empty() { "–".to_string() } else { format!("p50 {} µs ({} connections)", pct(v, 0.5), v.len()) };
        println!(
            "connect, handshake and a first request: full handshake {}; resumed {}",
            show(&full),
            show(&resumed)
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}

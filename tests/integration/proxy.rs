//! The standalone DPI proxy in front of the live twin: the same policy engine, decisions
//! logged as JSON lines, failing closed.

use crate::live::Client;
use faultline::live::{Live, LiveConfig};
use faultline::modbus::Request;
use faultline::policy::load_policy;
use faultline::proxy::{ProxyOptions, serve};
use faultline::{World, load};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn start_proxy(upstream: SocketAddr, policy: &str) -> (SocketAddr, Log, tokio::runtime::Runtime) {
    start_proxy_with(upstream, policy, ProxyOptions::default())
}

fn start_proxy_with(
    upstream: SocketAddr,
    policy: &str,
    options: ProxyOptions,
) -> (SocketAddr, Log, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let spec = load_policy(Path::new(policy)).unwrap();
    let log = Log::default();
    let sink: Box<dyn Write + Send> = Box::new(log.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(serve(
        listener,
        upstream,
        Some(spec),
        faultline::proxy::DecisionLog::new(sink),
        options,
    ));
    (addr, log, rt)
}

#[test]
fn proxy_forwards_what_the_policy_allows_and_blocks_the_rest() {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let cfg = LiveConfig {
        bind: "127.0.0.1".parse().unwrap(),
        base_port: 0,
        speed: 20.0,
        hours: Some(1.0),
        pcap: None,
        input_log: None,
        audit_log: None,
        status: false,
        view: None,
        listen_in: None,
        tls: None,
        carry: None,
        pcap_plant: false,
        scoreboard: None,
    };
    let live = Live::start(World::new(&s, 1), cfg).unwrap();
    let filler = live
        .endpoints
        .iter()
        .find(|e| e.plc == "plc-filler")
        .unwrap()
        .address;
    let (proxy, log, _rt) = start_proxy(filler, "examples/proxy-policy.ron");

    let mut direct = Client::connect(filler).unwrap();
    let mut via = Client::connect(proxy).unwrap();
    let read = Request::ReadHoldingRegisters {
        address: 0,
        quantity: 2,
    };
    assert_eq!(
        via.call(&read).unwrap(),
        direct.call(&read).unwrap(),
        "allowed reads pass unchanged"
    );
    // Within the rule: speed 95 % is written.
    assert_eq!(
        via.call(&Request::WriteSingleRegister {
            address: 0,
            value: 95
        })
        .unwrap(),
        vec![0x06, 0, 0, 0, 95]
    );
    // Outside the value bounds: the proxy answers exception 03 (Illegal Data Value), the
    // PLC never sees it.
    assert_eq!(
        via.call(&Request::WriteSingleRegister {
            address: 0,
            value: 180
        })
        .unwrap(),
        vec![0x86, 0x03]
    );
    assert_eq!(
        direct.call(&read).unwrap()[1..5],
        [4, 0, 95, 0],
        "speed still 95 %"
    );
    // Diagnostics (force listen-only) is not in the read-write preset.
    let diag = Request::Diagnostics {
        sub_function: 4,
        data: vec![0, 0],
    };
    assert_eq!(via.call(&diag).unwrap(), vec![0x88, 0x01]);

    // Fail closed: bytes that are not Modbus end the connection, and nothing is forwarded.
    let mut junk = TcpStream::connect(proxy).unwrap();
    junk.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    junk.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut b = [0u8; 16];
    assert!(
        matches!(junk.read(&mut b), Ok(0) | Err(_)),
        "the proxy kept the connection open"
    );

    std::thread::sleep(Duration::from_millis(100));
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let verdicts: Vec<&str> = lines.iter().filter_map(|l| l["verdict"].as_str()).collect();
    assert_eq!(
        verdicts,
        ["allow", "allow", "block", "block", "reset"],
        "{text}"
    );
    assert!(
        lines[2]["reason"]
            .as_str()
            .unwrap()
            .contains("value 180 at address 0")
    );
    live.stop();
    live.join().unwrap();
}

#[test]
fn a_policy_that_does_not_load_stops_the_proxy_before_it_listens() {
    let dir = std::env::temp_dir().join(format!("faultline-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "(mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: Everything)])").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:9",
            "--policy",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.ron:1:") && err.contains("Everything"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A server that accepts connections and keeps every byte it is sent; `close_at_once`
/// closes each connection as soon as it is accepted.
fn recording_upstream(close_at_once: bool) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let keep = got.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { break };
            if close_at_once {
                drop(s);
                continue;
            }
            let keep = keep.clone();
            std::thread::spawn(move || {
                let mut b = [0u8; 1024];
                while let Ok(n) = s.read(&mut b) {
                    if n == 0 {
                        break;
                    }
                    keep.lock().unwrap().extend_from_slice(&b[..n]);
                }
            });
        }
    });
    (addr, got)
}

fn policy_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("faultline-policy-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("policy.ron");
    std::fs::write(&p, text).unwrap();
    p
}

/// One request ADU with a raw PDU, and the reply PDU (or None: the connection closed).
fn raw_call(s: &mut TcpStream, tid: u16, pdu: &[u8]) -> Option<Vec<u8>> {
    let mut adu = vec![(tid >> 8) as u8, tid as u8, 0, 0];
    adu.extend_from_slice(&((pdu.len() + 1) as u16).to_be_bytes());
    adu.push(1);
    adu.extend_from_slice(pdu);
    s.write_all(&adu).ok()?;
    let mut head = [0u8; 7];
    s.read_exact(&mut head).ok()?;
    let len = u16::from_be_bytes([head[4], head[5]]) as usize;
    let mut out = vec![0u8; len - 1];
    s.read_exact(&mut out).ok()?;
    Some(out)
}

#[test]
fn monitor_mode_forwards_nothing_that_does_not_parse() {
    let policy = policy_file(
        "monitor",
        "(mode: Monitor, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly)])",
    );
    let unparsable: [(&[u8], u8); 3] = [
        // FC05 with a value that is neither 0x0000 nor 0xFF00: 03.
        (&[0x05, 0x00, 0x00, 0x12, 0x34], 0x03),
        // FC03 for zero registers: 03.
        (&[0x03, 0x00, 0x00, 0x00, 0x00], 0x03),
        // FC 0x5A, no such function: 01.
        (&[0x5A, 0xDE, 0xAD], 0x01),
    ];
    let (up, got) = recording_upstream(false);
    let (proxy, log, _rt) = start_proxy_with(up, policy.to_str().unwrap(), ProxyOptions::default());
    let mut c = TcpStream::connect(proxy).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for (k, (pdu, code)) in unparsable.iter().enumerate() {
        let reply = raw_call(&mut c, k as u16 + 1, pdu).unwrap_or_else(|| {
            panic!(
                "not answered: {}",
                String::from_utf8_lossy(&log.0.lock().unwrap())
            )
        });
        assert_eq!(reply, vec![pdu[0] | 0x80, *code], "{pdu:02X?}");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        got.lock().unwrap().is_empty(),
        "forwarded: {:?}",
        got.lock().unwrap()
    );
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("\"verdict\":\"block\"").count(), 3, "{text}");

    // With the documented option, Monitor mode forwards them (and logs them).
    let (up, got) = recording_upstream(false);
    let (proxy, _log, _rt2) = start_proxy_with(
        up,
        policy.to_str().unwrap(),
        ProxyOptions {
            forward_unparsed: true,
            ..ProxyOptions::default()
        },
    );
    let mut c = TcpStream::connect(proxy).unwrap();
    for (k, (pdu, _)) in unparsable.iter().enumerate() {
        let mut adu = vec![0, k as u8 + 1, 0, 0, 0, pdu.len() as u8 + 1, 1];
        adu.extend_from_slice(pdu);
        c.write_all(&adu).unwrap();
    }
    let want: usize = unparsable.iter().map(|(p, _)| p.len() + 7).sum();
    let t = std::time::Instant::now();
    while got.lock().unwrap().len() < want && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(got.lock().unwrap().len(), want);
    std::fs::remove_dir_all(policy.parent().unwrap()).ok();
}

#[test]
fn the_upstream_closing_is_passed_on_to_the_client() {
    let policy = policy_file(
        "lost",
        "(mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly)])",
    );
    let (up, _) = recording_upstream(true);
    let (proxy, log, _rt) = start_proxy(up, policy.to_str().unwrap());
    let mut c = TcpStream::connect(proxy).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The client is closed, not left waiting for replies that cannot come.
    let mut b = [0u8; 8];
    assert!(matches!(c.read(&mut b), Ok(0)), "the client was not closed");
    std::thread::sleep(Duration::from_millis(100));
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("upstream lost"), "{text}");
    std::fs::remove_dir_all(policy.parent().unwrap()).ok();
}

#[test]
fn the_rate_limit_holds_per_source_across_reconnects() {
    let policy = policy_file(
        "rate",
        "(mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly, rate_limit: Some((0.1, 2.0)))])",
    );
    let (up, got) = recording_upstream(false);
    let (proxy, _log, _rt) = start_proxy(up, policy.to_str().unwrap());
    // A new connection for every request: the bucket is the source's, not the connection's.
    let mut busy = 0;
    for k in 0..6u16 {
        let mut c = TcpStream::connect(proxy).unwrap();
        c.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        if let Some(reply) = raw_call(&mut c, k + 1, &[0x03, 0x00, 0x00, 0x00, 0x01]) {
            assert_eq!(
                reply,
                vec![0x83, 0x06],
                "a blocked request is told the server is busy"
            );
            busy += 1;
        }
    }
    // Two (the burst) reached the server; the other four were refused as busy.
    assert_eq!(busy, 4);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(got.lock().unwrap().len(), 2 * 12);
    std::fs::remove_dir_all(policy.parent().unwrap()).ok();
}

#[test]
fn every_policy_a_scenario_rejects_the_proxy_rejects_with_the_same_message() {
    let rules = [
        ("rate_limit: Some((1.0, NaN))", "rate > 0 and burst ≥ 1"),
        ("read_ranges: [(100, 10)]", "ranges must run low to high"),
        (
            "value_bounds: [(addresses: (2, 2), min: 700, max: 600)]",
            "ranges must run low to high",
        ),
    ];
    for (extra, message) in rules {
        let proxy = policy_file(
            "meaning",
            &format!(
                "(mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly, {extra})])"
            ),
        );
        let e = load_policy(&proxy).unwrap_err().to_string();
        assert!(e.contains("rules[0].") && e.contains(message), "{e}");
        let scenario = std::fs::read_to_string("scenarios/bottling-line.ron")
            .unwrap()
            .replace(
                "    cost: (",
                &format!(
                    "    dpi: Some((mode: Enforce, rules: [(from: Host(\"scada\"), to: Zone(\"control\"), preset: ReadOnly, {extra})])),\n    cost: ("
                ),
            );
        let e = faultline::scenario::parse(&scenario, "s.ron")
            .unwrap_err()
            .to_string();
        assert!(e.contains("dpi.rules[0].") && e.contains(message), "{e}");
        std::fs::remove_dir_all(proxy.parent().unwrap()).ok();
    }
    // A host the proxy cannot know, and a rule twice.
    let proxy = policy_file(
        "hosts",
        "(mode: Enforce, rules: [(from: Host(\"scada\"), to: Zone(\"upstream\"), preset: ReadOnly), (from: Zone(\"client\"), to: Host(\"plc\"), preset: ReadOnly), (from: Zone(\"client\"), to: Host(\"plc\"), preset: ReadOnly)])",
    );
    let e = load_policy(&proxy).unwrap_err().to_string();
    assert!(e.contains("rules[0].from: no host named \"scada\""), "{e}");
    assert!(e.contains("rules[1].to: no host named \"plc\""), "{e}");
    assert!(e.contains("rules[2]: the same rule as rules[1]"), "{e}");
    std::fs::remove_dir_all(proxy.parent().unwrap()).ok();
}

/// Under Modbus/TCP Security a client that opens a connection and never completes the
/// handshake is closed after the handshake timeout, and the log says why: no socket is
/// held by a silent client.
#[test]
fn a_client_that_never_completes_the_tls_handshake_is_closed() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("faultline-tls-silent-{}", std::process::id()));
    let pki = faultline::tls::pki_init(&dir, &[("device".into(), "127.0.0.1".into())], 1).unwrap();
    std::fs::write(
        dir.join("roles.ron"),
        "(roles: [(role: \"operator\", preset: ReadOnly)])",
    )
    .unwrap();
    let (_, cert, key) = &pki.devices[0];
    let front = faultline::proxy::TlsFront {
        acceptor: tokio_rustls::TlsAcceptor::from(
            faultline::tls::server_config(cert, key, &pki.ca).unwrap(),
        ),
        roles: Arc::new(faultline::tls::load_roles(&dir.join("roles.ron")).unwrap()),
        handshake_timeout: std::time::Duration::from_millis(300),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let log = Log::default();
    let sink: Box<dyn Write + Send> = Box::new(log.clone());
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    // No upstream is needed: the client never gets that far.
    let upstream: std::net::SocketAddr = "127.0.0.1:9".parse().unwrap();
    rt.spawn(faultline::proxy::serve_with(
        listener,
        upstream,
        None,
        Some(front),
        faultline::proxy::DecisionLog::new(sink),
        faultline::proxy::ProxyOptions::default(),
    ));
    let mut silent = std::net::TcpStream::connect(addr).unwrap();
    silent
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let n = silent.read(&mut buf).unwrap_or(0);
    assert_eq!(
        n, 0,
        "the proxy sent bytes to a client that never said hello"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "closed only after {:?}",
        started.elapsed()
    );
    std::thread::sleep(std::time::Duration::from_millis(50));
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("no handshake within 300 ms"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_policy_out_of_the_scenarios_ranges_is_refused_with_the_scenarios_message() {
    // The proxy applies the same checks and messages as scenario validation: a rate limit
    // of 200,000 requests a second (or 1e300) is out of the dpi section's range.
    let dir = std::env::temp_dir().join(format!("faultline-ranges-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for rate in ["200000.0", "1e300"] {
        let p = dir.join("policy.ron");
        std::fs::write(
            &p,
            format!(
                "(mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), \
                 preset: ReadOnly, rate_limit: Some(({rate}, 6.0)))])"
            ),
        )
        .unwrap();
        let e = format!("{:#}", faultline::policy::load_policy(&p).unwrap_err());
        assert!(
            e.contains("rules[0].rate_limit[0]")
                && e.contains("is out of range: allowed 0 to 100000"),
            "{e}"
        );
        // The same rule in a scenario's dpi section: the same words.
        let mut s =
            faultline::load(std::path::Path::new("scenarios/attack-setpoint-dpi.ron")).unwrap();
        let dpi = s.dpi.as_mut().unwrap();
        dpi.rules[0].rate_limit = Some((rate.parse().unwrap(), 6.0));
        let text = ron::ser::to_string(&s).unwrap();
        let err = faultline::scenario::parse(&text, "s.ron")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is out of range: allowed 0 to 100000"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A decision log on a disk that is full: every write fails.
struct FullDisk;

impl Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("no space left on device"))
    }
    // As a file's: the bytes are written, not flushed, where the disk is full.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_proxy_whose_decision_log_cannot_be_written_passes_nothing_more() {
    let policy = policy_file(
        "full",
        "(mode: Enforce, rules: [(from: Zone(\"client\"), to: Zone(\"upstream\"), preset: ReadOnly)])",
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (up, got) = recording_upstream(false);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let proxy = listener.local_addr().unwrap();
    let decisions = faultline::proxy::DecisionLog::new(Box::new(FullDisk));
    let served = rt.spawn(serve(
        listener,
        up,
        Some(load_policy(&policy).unwrap()),
        decisions.clone(),
        ProxyOptions::default(),
    ));
    let read = [0x03, 0x00, 0x00, 0x00, 0x01];
    let mut c = TcpStream::connect(proxy).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    // The first request is judged and handed to the log before the log finds the disk
    // full: it passes (the upstream here never answers).
    let adu = [0, 1, 0, 0, 0, 6, 1, 0x03, 0x00, 0x00, 0x00, 0x01];
    c.write_all(&adu).unwrap();
    let t = std::time::Instant::now();
    while decisions.failed().is_none() && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let why = decisions
        .failed()
        .expect("the log never noticed the full disk");
    assert!(why.contains("no space left on device"), "{why}");
    // Every later request is refused: the connection is closed, nothing forwarded.
    assert_eq!(raw_call(&mut c, 2, &read), None);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(*got.lock().unwrap(), adu.to_vec());
    // And the next client finds the proxy stopped, saying why.
    if let Ok(mut d) = TcpStream::connect(proxy) {
        d.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        assert_eq!(raw_call(&mut d, 3, &read), None);
    }
    let stopped = rt.block_on(served).unwrap().unwrap_err().to_string();
    assert!(
        stopped.contains("decision log cannot be written"),
        "{stopped}"
    );
    assert!(decisions.finish().is_err());
    std::fs::remove_dir_all(policy.parent().unwrap()).ok();
}

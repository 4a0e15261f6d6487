//! The standalone DPI proxy in front of the live twin: the same policy engine, decisions
//! logged as JSON lines, failing closed.

use crate::live::Client;
use faultline::live::{Live, LiveConfig};
use faultline::modbus::Request;
use faultline::proxy::{load_policy, serve};
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
    rt.spawn(serve(listener, upstream, spec, Arc::new(Mutex::new(sink))));
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
    // Outside the value bounds: the proxy answers exception 01, the PLC never sees it.
    assert_eq!(
        via.call(&Request::WriteSingleRegister {
            address: 0,
            value: 180
        })
        .unwrap(),
        vec![0x86, 0x01]
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

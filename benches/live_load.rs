//! Live endpoints under load, side by side with pymodbus in the same run.
//!
//! `cargo bench --bench live_load` (needs pymodbus: scripts/test installs it into target/peers-venv)
//!
//! 1. Throughput: a tokio-modbus load generator (10-register reads, back-to-back per
//!    connection; FC04, because a machine's station block has 2 holding registers and 12
//!    input registers — the request and reply sizes are those of FC03 × 10) against one modern-profile endpoint with no per-scan limit, and against
//!    pymodbus's StartTcpServer, at 1, 4, 16 and 64 connections: req/s, p50, p99.
//! 2. Scale: 10,000 PLC endpoints in one process (`--endpoints N`), the twin's HMI polling
//!    each once a second for 10 minutes (`--scale-seconds S`), and 2,000 outside clients
//!    (`--clients K`, every (N/K)-th endpoint) polling over TCP once a second: the HMI's and
//!    the clients' timeouts, the clients' latency percentiles, peak RSS and memory per
//!    endpoint. The open-file limit bounds the outside connections (each costs two
//!    descriptors in this process), not the endpoints.
//!
//! 3. The DPI proxy (every decision logged to a file) against direct access, alternated
//!    three times at 1 and at 16 connections: the added p50 and p99 (bar: p50 ≤ 20 µs added
//!    at 1 connection) and the throughput's ratio (bar: ≥ 0.8× direct at 16); every request
//!    answered has its line in the log.
//!
//! 4. With `--against-bin PATH`: this build's `faultline live` against another build's (e.g.
//!    one from before live actors were attributed, to show what attribution costs), both
//!    as processes serving one endpoint, alternated three times at 1 and 16 connections:
//!    the ratio of their throughputs (bar: ≥ 0.97). `--this-bin PATH` puts another build in
//!    this build's place (to compare two commits, e.g. the one that added attribution
//!    against its parent); `--rounds N` alternates N times (default 3).
//!
//! Options (after `--`): `--seconds S` per throughput point (default 3),
//! `--scale-seconds S` (default 600), `--endpoints N` (default 10000), `--clients K`
//! (default 2000), `--skip-scale`, `--skip-throughput`, `--skip-proxy`, `--against-bin PATH`,
//! `--this-bin PATH`, `--rounds N`.

use faultline::live::{Live, LiveConfig};
use faultline::{World, scenario::parse};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[path = "common/bars.rs"]
mod bars;
use tokio_modbus::prelude::*;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// One station per PLC, `n` PLCs, with the given profile.
fn scenario(n: usize, profile: &str) -> faultline::Scenario {
    parse(&scenario_text(n, profile), "bench").expect("bench scenario")
}

/// The scenario's text (a build of another commit reads it from a file).
fn scenario_text(n: usize, profile: &str) -> String {
    let mut stations = String::new();
    let mut plcs = String::new();
    for i in 0..n {
        let feeds = if i + 1 < n {
            format!("feeds: [\"s{}\"]", i + 1)
        } else {
            String::new()
        };
        stations.push_str(&format!(
            "(name: \"s{i}\", cycle_s: 1.0, buffer: 10, {feeds}),\n"
        ));
        plcs.push_str(&format!(
            "(name: \"p{i}\", stations: [\"s{i}\"], profile: \"{profile}\", address: \"10.20.{}.{}\"),\n",
            i / 250,
            i % 250 + 1
        ));
    }
    format!(
        r#"Scenario(name: "load", seed: 1, duration_h: 100.0,
        stations: [{stations}], plcs: [{plcs}],
        profiles: [(name: "unlimited", modelled_on: "a modern module with no per-scan limit",
            max_connections: 128, when_full: RefuseNew, requests_per_scan: 0, reply_latency_scans: 0,
            queue_limit: 10000, on_unsupported: Reject, on_malformed: Reject)],
        hmi: (address: "10.255.255.254", poll_ms: 1000, timeout_ms: 1000),
        schedule: [(at_h: 0.0, action: StartLine)])"#
    )
}

fn live(n: usize, profile: &str) -> Live {
    let s = scenario(n, profile);
    let cfg = LiveConfig {
        bind: "127.0.0.1".parse().unwrap(),
        base_port: 0,
        speed: 1.0,
        hours: None,
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
    Live::start(World::new(&s, 1), cfg).expect("live twin")
}

fn pymodbus() -> Option<(Child, SocketAddr)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    // The Python peers' own environment (scripts/test makes it), else python3 on PATH.
    let python = std::env::var("FAULTLINE_PYTHON").unwrap_or_else(|_| {
        let venv = "target/peers-venv/bin/python";
        if std::path::Path::new(venv).exists() {
            venv.into()
        } else {
            "python3".into()
        }
    });
    let mut child = Command::new(python)
        .args(["benches/peers/pymodbus_server.py", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut out = child.stdout.take()?;
    let mut buf = [0u8; 6];
    std::io::Read::read_exact(&mut out, &mut buf).ok()?;
    Some((child, SocketAddr::from(([127, 0, 0, 1], port))))
}

struct Point {
    requests: u64,
    rps: f64,
    p50_us: u64,
    p99_us: u64,
    errors: u64,
}

async fn load(addr: SocketAddr, conns: usize, secs: f64) -> Point {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut ctx = match tokio_modbus::client::tcp::connect(addr).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("connect: {e}");
                    errors.fetch_add(1, Ordering::Relaxed);
                    return lat;
                }
            };
            while Instant::now() < deadline {
                let t = Instant::now();
                match tokio::time::timeout(Duration::from_secs(2), ctx.read_input_registers(0, 10))
                    .await
                {
                    Ok(Ok(Ok(v))) if v.len() == 10 => lat.push(t.elapsed().as_micros() as u64),
                    other => {
                        if errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("first error: {other:?}");
                        }
                        break;
                    }
                }
            }
            lat
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = start.elapsed().as_secs_f64().max(secs);
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    Point {
        requests: all.len() as u64,
        rps: all.len() as f64 / elapsed,
        p50_us: pct(0.5),
        p99_us: pct(0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

fn peak_rss_mib() -> f64 {
    status_mib("VmHWM:")
}

/// A memory figure of this process from /proc/self/status (`VmHWM:` the peak, `VmRSS:` now).
fn status_mib(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    bars::watchdog(120);
    // `cargo test --all-targets` runs benches without `--bench` (cargo bench passes it):
    // then run once, quickly, as a test.
    if !std::env::args().any(|a| a == "--bench") {
        let l = live(1, "unlimited");
        l.stop();
        l.join().unwrap();
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let secs: f64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let mut bars = bars::Bars::new();
    if !flag("--skip-throughput") {
        let ours = live(1, "unlimited");
        let addr = ours.endpoints[0].address;
        let peer = pymodbus();
        if peer.is_none() {
            eprintln!(
                "pymodbus not available: run scripts/test once (it makes target/peers-venv with the peers)"
            );
        }
        println!(
            "FC04 × 10 registers, back-to-back, {secs} s per point, 2 client threads, same machine"
        );
        println!(
            "{:<10} {:>6} {:>10} {:>9} {:>9} {:>7}",
            "server", "conns", "req/s", "p50 µs", "p99 µs", "errors"
        );
        let mut at16 = (0.0, 0.0);
        for conns in [1, 4, 16, 64] {
            let a = rt.block_on(load(addr, conns, secs));
            println!(
                "{:<10} {:>6} {:>10.0} {:>9} {:>9} {:>7}",
                "faultline", conns, a.rps, a.p50_us, a.p99_us, a.errors
            );
            if let Some((_, paddr)) = &peer {
                let b = rt.block_on(load(*paddr, conns, secs));
                println!(
                    "{:<10} {:>6} {:>10.0} {:>9} {:>9} {:>7}",
                    "pymodbus", conns, b.rps, b.p50_us, b.p99_us, b.errors
                );
                if conns == 16 {
                    at16 = (a.rps, b.rps);
                }
            }
        }
        if at16.1 > 0.0 {
            println!(
                "ratio at 16 connections: faultline / pymodbus = {:.1}× (bar: ≥ 5×)",
                at16.0 / at16.1
            );
            bars.at_least(
                "throughput at 16 connections, faultline / pymodbus",
                at16.0 / at16.1,
                5.0,
            );
        }
        if let Some((mut child, _)) = peer {
            let _ = child.kill();
            let _ = child.wait();
        }
        ours.stop();
        ours.join().unwrap();
    }
    if let Some(peer) = arg("--against-bin") {
        against(&rt, &peer, secs, &mut bars);
    }
    if !flag("--skip-proxy") {
        // The DPI proxy's added latency per transaction: one connection, back to back,
        // direct and through the proxy in the same run.
        let twin = live(1, "unlimited");
        let addr = twin.endpoints[0].address;
        let spec: faultline::controls::dpi::DpiSpec = ron::from_str(
            r#"(mode: Enforce, latency_ms: 0.0, rules: [(from: Zone("client"), to: Zone("upstream"), preset: ReadWrite,
                read_ranges: [(0, 199)], rate_limit: Some((1000000.0, 1000.0)))])"#,
        )
        .unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let proxy = listener.local_addr().unwrap();
        // Every decision logged to a file, as `faultline proxy --log` does.
        let log_path = std::env::temp_dir().join(format!(
            "faultline-bench-decisions-{}.jsonl",
            std::process::id()
        ));
        let decisions =
            faultline::proxy::DecisionLog::new(Box::new(std::fs::File::create(&log_path).unwrap()));
        let mut through = 0;
        rt.spawn(faultline::proxy::serve(
            listener,
            addr,
            Some(spec),
            decisions.clone(),
            faultline::proxy::ProxyOptions::default(),
        ));
        let med = |v: &[Point], f: fn(&Point) -> f64| {
            let mut x: Vec<f64> = v.iter().map(f).collect();
            x.sort_unstable_by(f64::total_cmp);
            x[x.len() / 2]
        };
        // Direct and proxied alternated three times at each number of connections; the
        // medians compared.
        for conns in [1, 16] {
            let (mut direct, mut proxied) = (Vec::new(), Vec::new());
            for _ in 0..3 {
                direct.push(rt.block_on(load(addr, conns, secs / 3.0)));
                proxied.push(rt.block_on(load(proxy, conns, secs / 3.0)));
            }
            through += proxied.iter().map(|p| p.requests).sum::<u64>();
            let (d50, d99) = (
                med(&direct, |p| p.p50_us as f64),
                med(&direct, |p| p.p99_us as f64),
            );
            let (p50, p99) = (
                med(&proxied, |p| p.p50_us as f64),
                med(&proxied, |p| p.p99_us as f64),
            );
            let (drps, prps) = (med(&direct, |p| p.rps), med(&proxied, |p| p.rps));
            println!(
                "proxy, {conns} connection(s): direct {drps:.0} req/s p50 {d50} µs p99 {d99} µs; through the DPI proxy {prps:.0} req/s p50 {p50} µs p99 {p99} µs; added p50 {} µs, p99 {} µs; throughput {:.2}× direct",
                (p50 - d50).max(0.0),
                (p99 - d99).max(0.0),
                prps / drps
            );
            if conns == 1 {
                bars.at_most(
                    "proxy: added p50 at 1 connection (µs)",
                    (p50 - d50).max(0.0),
                    20.0,
                );
            } else {
                bars.at_least(
                    "proxy: throughput at 16 connections / direct",
                    prps / drps,
                    0.8,
                );
            }
        }
        decisions.finish().unwrap();
        // Every request answered through the proxy has its line (and no more: the load
        // stops on its first error).
        let lines = std::fs::read_to_string(&log_path).unwrap().lines().count() as u64;
        println!(
            "proxy: {lines} decision lines for {through} requests answered ({} stalls on the log)",
            decisions.stalls().0
        );
        bars.at_least(
            "proxy: decision lines / requests answered",
            lines as f64 / through.max(1) as f64,
            1.0,
        );
        let _ = std::fs::remove_file(&log_path);
        twin.stop();
        twin.join().unwrap();
    }
    if !flag("--skip-scale") {
        scale(&rt, &mut bars);
    }
    bars.finish();
}

/// N endpoints polled by the twin's own HMI at 1 Hz, and K of them by outside clients.
fn scale(rt: &tokio::runtime::Runtime, bars: &mut bars::Bars) {
    let secs: u64 = arg("--scale-seconds")
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let n: usize = arg("--endpoints")
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let k: usize = arg("--clients")
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
        .clamp(1, n);
    let before = status_mib("VmRSS:");
    let twin = live(n, "modern");
    let started = status_mib("VmRSS:");
    let addrs: Vec<SocketAddr> = twin
        .endpoints
        .iter()
        .step_by(n / k)
        .take(k)
        .map(|e| e.address)
        .collect();
    let timeouts = Arc::new(AtomicU64::new(0));
    let latencies: Vec<Vec<u32>> = rt.block_on(async {
        let mut tasks = Vec::new();
        for (i, addr) in addrs.into_iter().enumerate() {
            let timeouts = timeouts.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::with_capacity(secs as usize);
                // Spread the polls over the second, as a SCADA's scan classes do.
                tokio::time::sleep(Duration::from_micros((i as u64 * 1_000_000) / k as u64)).await;
                let Ok(mut ctx) = tokio_modbus::client::tcp::connect(addr).await else {
                    timeouts.fetch_add(secs, Ordering::Relaxed);
                    return lat;
                };
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                for _ in 0..secs {
                    tick.tick().await;
                    let t = Instant::now();
                    match tokio::time::timeout(
                        Duration::from_secs(1),
                        ctx.read_holding_registers(0, 2),
                    )
                    .await
                    {
                        Ok(Ok(Ok(_))) => lat.push(t.elapsed().as_micros() as u32),
                        _ => {
                            timeouts.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                lat
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.unwrap_or_default());
        }
        all
    });
    twin.stop();
    let world = twin.join().unwrap();
    let mut lat: Vec<u32> = latencies.into_iter().flatten().collect();
    lat.sort_unstable();
    let q = |p: f64| {
        lat.get(((lat.len().max(1) - 1) as f64 * p) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let hmi = &world.hmi.stats;
    let peak = peak_rss_mib();
    println!(
        "scale: {n} endpoints, the twin's HMI polling each at 1 Hz for {secs} s: {} requests, {} timeouts; \
         {k} outside clients at 1 Hz: {} replies, {} timeouts (1 s), latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         peak RSS {peak:.1} MiB, {:.1} KiB per endpoint at start (bar: 0 timeouts, ≤ 256 MiB)",
        hmi.requests,
        hmi.timeouts,
        lat.len(),
        timeouts.load(Ordering::Relaxed),
        q(0.5),
        q(0.99),
        q(1.0),
        (started - before) * 1024.0 / n as f64,
    );
    bars.at_most("scale: HMI timeouts", hmi.timeouts as f64, 0.0);
    bars.at_most(
        "scale: outside clients' timeouts",
        timeouts.load(Ordering::Relaxed) as f64,
        0.0,
    );
    bars.at_most("scale: peak RSS (MiB)", peak, 256.0);
}

/// A `faultline live` process of `bin` serving the one-endpoint load scenario.
struct Served {
    child: Child,
    addr: SocketAddr,
    dir: std::path::PathBuf,
}

fn serve_bin(bin: &str, k: usize) -> Served {
    let dir = std::env::temp_dir().join(format!("faultline-against-{}-{k}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("load.ron");
    std::fs::write(&file, scenario_text(1, "unlimited")).unwrap();
    let out = dir.join("out");
    let child = Command::new(bin)
        .args([
            "live",
            file.to_str().unwrap(),
            "--base-port",
            "0",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e}"));
    let endpoints = out.join("endpoints.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    let addr = loop {
        if let Ok(t) = std::fs::read_to_string(&endpoints)
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&t)
            && let Some(a) = v[0]["address"].as_str().and_then(|a| a.parse().ok())
        {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "{bin} did not write {}",
            endpoints.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    Served { child, addr, dir }
}

/// This build against another, alternated: the throughput ratio at 1 and 16 connections.
fn against(rt: &tokio::runtime::Runtime, peer: &str, secs: f64, bars: &mut bars::Bars) {
    let this_bin = arg("--this-bin");
    let this = this_bin
        .as_deref()
        .unwrap_or(env!("CARGO_BIN_EXE_faultline"));
    let rounds: usize = arg("--rounds").map_or(3, |r| r.parse().expect("--rounds N"));
    let mut rps: [[Vec<f64>; 2]; 2] = Default::default();
    for round in 0..rounds {
        for (b, bin) in [this, peer].into_iter().enumerate() {
            let mut s = serve_bin(bin, round * 2 + b);
            for (c, conns) in [1, 16].into_iter().enumerate() {
                rps[b][c].push(rt.block_on(load(s.addr, conns, secs)).rps);
            }
            let _ = s.child.kill();
            let _ = s.child.wait();
            let _ = std::fs::remove_dir_all(&s.dir);
        }
    }
    let median = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    for (c, conns) in [1, 16].into_iter().enumerate() {
        let (a, b) = (median(&rps[0][c]), median(&rps[1][c]));
        let runs = |v: &[f64]| {
            v.iter()
                .map(|r| format!("{r:.0}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "  {conns} connection(s), req/s per round: {this}: {}; {peer}: {}",
            runs(&rps[0][c]),
            runs(&rps[1][c])
        );
        println!(
            "against {peer}: {conns} connection(s): {this} {a:.0} req/s, the other {b:.0} req/s (medians of {rounds} alternated runs), ratio {:.3}",
            a / b
        );
        bars.at_least(
            &format!("throughput at {conns} connection(s), this build / the other"),
            a / b,
            0.97,
        );
    }
}

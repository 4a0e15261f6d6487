//! The live twin over real sockets: the same answers as the in-memory bus, exact replay
//! of a session, and survival under hostile clients.

use faultline::live::{InputLog, Live, LiveConfig};
use faultline::modbus::{Request, Response, parse_adu, request_adu};
use faultline::report::{Summary, summary_json};
use faultline::world::{EXTERNAL_CONN, Input};
use faultline::{Recording, World, load};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// A blocking Modbus/TCP client on our codec, one request at a time.
pub struct Client {
    s: TcpStream,
    tid: u16,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.set_nodelay(true)?;
        Ok(Client { s, tid: 0 })
    }

    /// Send a request, return the reply PDU.
    pub fn call(&mut self, req: &Request) -> std::io::Result<Vec<u8>> {
        self.tid = self.tid.wrapping_add(1);
        self.s.write_all(&request_adu(self.tid, 1, req))?;
        let mut head = [0u8; 7];
        self.s.read_exact(&mut head)?;
        let len = u16::from_be_bytes([head[4], head[5]]) as usize;
        let mut pdu = vec![0u8; len.saturating_sub(1)];
        self.s.read_exact(&mut pdu)?;
        assert_eq!(
            u16::from_be_bytes([head[0], head[1]]),
            self.tid,
            "transaction id echoed"
        );
        Ok(pdu)
    }
}

fn scenario() -> faultline::Scenario {
    load(Path::new("scenarios/bottling-line.ron")).unwrap()
}

fn config(speed: f64, hours: f64) -> LiveConfig {
    LiveConfig {
        bind: "127.0.0.1".parse().unwrap(),
        base_port: 0,
        speed,
        hours: Some(hours),
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
    }
}

fn endpoint(live: &Live, plc: &str) -> SocketAddr {
    live.endpoints
        .iter()
        .find(|e| e.plc == plc)
        .unwrap()
        .address
}

/// The requests whose answers do not depend on when they are asked.
fn stable_requests() -> Vec<Request> {
    vec![
        Request::ReadHoldingRegisters {
            address: 0,
            quantity: 2,
        },
        Request::WriteSingleRegister {
            address: 1,
            value: 7,
        },
        Request::ReadHoldingRegisters {
            address: 0,
            quantity: 2,
        },
        Request::ReadHoldingRegisters {
            address: 9000,
            quantity: 1,
        },
        Request::ReadHoldingRegisters {
            address: 50,
            quantity: 1,
        },
        Request::WriteSingleRegister {
            address: 0,
            value: 999,
        },
        Request::Diagnostics {
            sub_function: 0,
            data: vec![0xA5, 0x37],
        },
        Request::ReportServerId,
        Request::ReadDeviceIdentification {
            read_code: 1,
            object_id: 0,
        },
        Request::Raw {
            function: 0x41,
            data: vec![1, 2, 3],
        },
        Request::WriteMultipleRegisters {
            address: 0,
            values: vec![100, 3],
        },
        Request::ReadWriteMultipleRegisters {
            read_address: 0,
            read_quantity: 2,
            write_address: 1,
            values: vec![4],
        },
    ]
}

/// One request through the in-memory arm: an input at the next tick, reply from the World.
fn in_memory(w: &mut World, plc: usize, req: &Request, tid: u16) -> Vec<u8> {
    let conn = EXTERNAL_CONN + 77;
    if !w.devices.plcs[plc].has_connection(conn) {
        w.apply_input(&Input::Connect {
            plc,
            conn,
            from: None,
        });
    }
    w.apply_input(&Input::Frame {
        plc,
        conn,
        adu: request_adu(tid, 1, req),
    });
    for _ in 0..100 {
        w.step();
        if let Some(i) = w
            .devices
            .external_replies
            .iter()
            .position(|(c, _)| *c == conn)
        {
            let (_, adu) = w.devices.external_replies.remove(i);
            return parse_adu(&adu).unwrap().1.to_vec();
        }
    }
    panic!("no reply in memory to {req:?}");
}

#[test]
fn live_twin_answers_like_the_in_memory_bus() {
    let s = scenario();
    let live = Live::start(World::new(&s, 1), config(20.0, 1.0)).unwrap();
    let mut real = Client::connect(endpoint(&live, "plc-filler")).unwrap();
    let mut w = World::new(&s, 1);
    let plc = w
        .devices
        .plcs
        .iter()
        .position(|p| p.name == "plc-filler")
        .unwrap();
    for (k, req) in stable_requests().iter().enumerate() {
        let over_socket = real.call(req).unwrap();
        let in_memory = in_memory(&mut w, plc, req, k as u16 + 1);
        assert_eq!(over_socket, in_memory, "{req:?}");
    }
    // And the exceptions are the right ones.
    assert_eq!(
        real.call(&Request::Raw {
            function: 0x41,
            data: vec![]
        })
        .unwrap(),
        vec![0xC1, 0x01]
    );
    assert_eq!(
        real.call(&Request::ReadCoils {
            address: 300,
            quantity: 1
        })
        .unwrap(),
        vec![0x81, 0x02]
    );
    live.stop();
    live.join().unwrap();
}

#[test]
fn a_live_session_replays_to_the_same_report() {
    let s = scenario();
    let dir = std::env::temp_dir().join(format!("faultline-live-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("inputs.log");
    let mut cfg = config(300.0, 0.2);
    cfg.input_log = Some(log.clone());
    let live = Live::start(World::with_recording(&s, 3, Recording::all()), cfg).unwrap();
    let mut c = Client::connect(endpoint(&live, "plc-pasteur")).unwrap();
    // A trainee raises the pasteurizer setpoint and stops the capper, reading in between.
    c.call(&Request::WriteSingleRegister {
        address: 2,
        value: 655,
    })
    .unwrap();
    for _ in 0..5 {
        c.call(&Request::ReadInputRegisters {
            address: 0,
            quantity: 17,
        })
        .unwrap();
    }
    let mut capper = Client::connect(endpoint(&live, "plc-capper")).unwrap();
    capper
        .call(&Request::WriteSingleCoil {
            address: 0,
            value: false,
        })
        .unwrap();
    drop(capper);
    let world = live.join().unwrap();
    let live_summary = summary_json(&Summary::from_world(&world));
    let recorded = InputLog::read(&log).unwrap();
    assert!(
        recorded.inputs.len() >= 8,
        "{} inputs logged",
        recorded.inputs.len()
    );
    let mut again = World::with_recording(&s, recorded.seed, Recording::all());
    recorded.replay(&mut again).unwrap();
    assert_eq!(live_summary, summary_json(&Summary::from_world(&again)));
    assert_eq!(world.now, again.now);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hostile_clients_do_not_take_the_twin_down() {
    // Legacy devices that hang on every probe they cannot parse (the M218's odds are 0.3).
    let mut s = scenario();
    s.profiles.push(faultline::scenario::ProfileSpec {
        fault_probability: 1.0,
        ..faultline::scenario::ProfileSpec::legacy()
    });
    let live = Live::start(World::new(&s, 1), config(20.0, 1.0)).unwrap();
    let filler = endpoint(&live, "plc-filler");
    let depal = endpoint(&live, "plc-depal");
    let packer = endpoint(&live, "plc-packer");
    let mut watch = Client::connect(packer).unwrap();
    let read = Request::ReadHoldingRegisters {
        address: 0,
        quantity: 2,
    };
    let baseline = (0..10)
        .map(|_| {
            let t = Instant::now();
            watch.call(&read).unwrap();
            t.elapsed()
        })
        .max()
        .unwrap();

    // 1,000 idle connections to a modern PLC (32 allowed: the rest are closed).
    let idle: Vec<TcpStream> = (0..1000)
        .filter_map(|_| TcpStream::connect(filler).ok())
        .collect();
    // Random bytes, half a frame, and a slowloris on the same PLC.
    let mut junk = TcpStream::connect(filler).unwrap();
    let mut x: u32 = 12345;
    let noise: Vec<u8> = (0..512)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let _ = junk.write_all(&noise);
    let mut half = TcpStream::connect(filler).unwrap();
    let _ = half.write_all(&request_adu(1, 1, &read)[..5]);
    let mut slow = TcpStream::connect(filler).unwrap();
    let frame = request_adu(9, 1, &read);
    for b in frame.iter().take(4) {
        let _ = slow.write_all(&[*b]);
        std::thread::sleep(Duration::from_millis(250));
    }
    // An nmap-style probe: HTTP on the legacy depalletizer's Modbus port.
    let mut probe = TcpStream::connect(depal).unwrap();
    let _ = probe.write_all(b"GET / HTTP/1.0\r\n\r\n");

    // Meanwhile other PLCs answer as fast as before (on a fresh connection: the first has
    // been idle past the packer's idle timeout, 120 s simulated, 6 s at this speed).
    let mut watch = Client::connect(packer).unwrap();
    for _ in 0..20 {
        let t = Instant::now();
        watch.call(&read).unwrap();
        // "Within their normal latency": a generous bound (this machine is shared), far
        // below the HMI's 1 s timeout; the figures are in the live_load benchmark.
        let bound = (baseline * 5).max(Duration::from_millis(900));
        assert!(
            t.elapsed() < bound,
            "{:?} vs a baseline of {:?}",
            t.elapsed(),
            baseline
        );
    }
    let open = idle
        .iter()
        .filter(|s| {
            s.set_nonblocking(true).unwrap();
            let mut b = [0u8; 1];
            // Closed by the device: reads return 0 (end of stream).
            !matches!((&**s).read(&mut b), Ok(0))
        })
        .count();
    assert!(
        open <= 32,
        "{open} idle connections still open on a 32-connection device"
    );
    drop((idle, junk, half, slow, probe));
    live.stop();
    let world = live.join().unwrap();
    let summary = Summary::from_world(&world);
    let depal = summary.plcs.iter().find(|p| p.name == "plc-depal").unwrap();
    assert!(
        depal
            .faults
            .iter()
            .any(|(c, _)| *c == faultline::plc::FaultCause::Malformed),
        "the legacy PLC did not fault on the HTTP probe: {:?}",
        depal.faults
    );
    let filler = summary
        .plcs
        .iter()
        .find(|p| p.name == "plc-filler")
        .unwrap();
    assert!(
        filler.faults.is_empty(),
        "the modern PLC faulted: {:?}",
        filler.faults
    );
}

#[test]
fn the_half_frame_timeout_scales_with_the_speed() {
    // 2 s simulated: 20 ms of wall time at --speed 100 (it was held at 0.5 s, 50 s
    // simulated), and the whole 2 s at --speed 1.
    let half_frame_closed_after = |speed: f64| {
        let live = Live::start(World::new(&scenario(), 1), config(speed, 1.0)).unwrap();
        let mut s = TcpStream::connect(endpoint(&live, "plc-filler")).unwrap();
        let read = Request::ReadHoldingRegisters {
            address: 0,
            quantity: 2,
        };
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let t = Instant::now();
        s.write_all(&request_adu(1, 1, &read)[..5]).unwrap();
        let mut b = [0u8; 1];
        let r = (&s).read(&mut b);
        let took = t.elapsed();
        assert!(
            matches!(r, Ok(0)) || r.is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
            "the half frame was not closed by the device"
        );
        live.stop();
        live.join().unwrap();
        took
    };
    let fast = half_frame_closed_after(100.0);
    assert!(
        fast >= Duration::from_millis(20) && fast < Duration::from_millis(400),
        "a half frame at --speed 100 closed after {fast:?} (20 ms expected)"
    );
    let slow = half_frame_closed_after(1.0);
    assert!(
        slow >= Duration::from_secs(2),
        "a half frame at --speed 1 closed after {slow:?} (2 s expected)"
    );
}

#[test]
fn unsupported_function_gets_illegal_function_from_a_modern_plc_over_tcp() {
    let s = scenario();
    let live = Live::start(World::new(&s, 1), config(20.0, 1.0)).unwrap();
    let mut c = Client::connect(endpoint(&live, "plc-capper")).unwrap();
    let pdu = c
        .call(&Request::Raw {
            function: 0x42,
            data: vec![0, 0],
        })
        .unwrap();
    assert_eq!(
        Response::decode_pdu(&pdu).unwrap(),
        Response::Exception {
            function: 0x42,
            code: 1
        }
    );
    live.stop();
    live.join().unwrap();
}

/// Descriptors open in process `pid` (Linux).
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// The connections a PLC counts (input register 9001), read on a fresh connection.
fn connections_counted(addr: SocketAddr) -> Option<u16> {
    let mut c = Client::connect(addr).ok()?;
    let pdu = c
        .call(&Request::ReadInputRegisters {
            address: 9001,
            quantity: 1,
        })
        .ok()?;
    (pdu.first() == Some(&0x04)).then(|| u16::from_be_bytes([pdu[2], pdu[3]]))
}

/// Wait up to `limit` for `ok`, checking every 100 ms (a deadline for the wait, not a
/// timing assertion: the condition is what is tested).
fn eventually(limit: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    ok()
}

#[test]
fn a_soak_under_a_small_descriptor_limit_leaves_every_port_alive_and_no_socket_behind() {
    // `faultline live` on the reference line with 256 descriptors, then: service probes on
    // every legacy port, a 2,000-connection burst on a modern PLC, 300 request-then-close
    // connections to a faulted PLC, 40 half-frame connections.
    let dir = std::env::temp_dir().join(format!("faultline-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 256 && exec '{}' live scenarios/bottling-line.ron --base-port 0 --speed 20 --hours 2 --out '{}'",
            env!("CARGO_BIN_EXE_faultline"),
            dir.display()
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let eps = dir.join("endpoints.json");
    assert!(eventually(Duration::from_secs(30), || eps.exists()));
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&eps).unwrap()).unwrap();
    let endpoints: Vec<(String, String, SocketAddr)> = table
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["plc"].as_str().unwrap().to_string(),
                e["profile"].as_str().unwrap().to_string(),
                e["address"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let addr = |name: &str| endpoints.iter().find(|e| e.0 == name).unwrap().2;
    std::thread::sleep(Duration::from_millis(500));
    let fds_before = open_fds(pid);

    // nmap -sV-like probes on every legacy port, each on its own connection.
    for (_, _, a) in endpoints.iter().filter(|e| e.1 == "legacy") {
        for k in 0..30 {
            if let Ok(mut s) = TcpStream::connect_timeout(a, Duration::from_secs(2)) {
                let probe: &[u8] = match k % 3 {
                    0 => b"GET / HTTP/1.0\r\n\r\n",
                    1 => b"OPTIONS / HTTP/1.0\r\n\r\n",
                    _ => b"OPTIONS / RTSP/1.0\r\n\r\n",
                };
                let _ = s.write_all(probe);
            }
        }
    }
    // A burst of 2,000 connections on the filler, 200 at a time.
    for _ in 0..10 {
        let burst: Vec<TcpStream> = (0..200)
            .filter_map(|_| {
                TcpStream::connect_timeout(&addr("plc-filler"), Duration::from_secs(2)).ok()
            })
            .collect();
        drop(burst);
    }
    // 300 requests to a faulted legacy PLC, each on a connection closed at once.
    let read = request_adu(
        1,
        1,
        &Request::ReadHoldingRegisters {
            address: 0,
            quantity: 2,
        },
    );
    for _ in 0..300 {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr("plc-depal"), Duration::from_secs(2)) {
            let _ = s.write_all(&read);
        }
    }
    // 40 connections holding half a frame on the packer.
    let half: Vec<TcpStream> = (0..40)
        .filter_map(|_| {
            let mut s =
                TcpStream::connect_timeout(&addr("plc-packer"), Duration::from_secs(2)).ok()?;
            s.write_all(&read[..5]).ok()?;
            Some(s)
        })
        .collect();
    assert!(half.len() >= 20, "{} half-frame connections", half.len());
    // The packer closes each after its half-frame timeout (2 s simulated, 0.5 s here).
    let closed_by_server = |s: &TcpStream| {
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut b = [0u8; 1];
        match (&*s).read(&mut b) {
            Ok(0) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
            Ok(_) => false,
        }
    };
    assert!(
        eventually(Duration::from_secs(20), || half
            .iter()
            .all(closed_by_server)),
        "half-frame connections left open"
    );
    drop(half);

    // Every port accepts; every modern PLC answers; the descriptors are back; the
    // connection tables hold only live connections (the HMI's, and the reader's own).
    for (name, _, a) in &endpoints {
        assert!(
            TcpStream::connect_timeout(a, Duration::from_secs(2)).is_ok(),
            "{name}'s port no longer accepts"
        );
    }
    for (name, _, a) in endpoints.iter().filter(|e| e.1 == "modern") {
        let mut c = Client::connect(*a).unwrap();
        let pdu = c
            .call(&Request::ReadHoldingRegisters {
                address: 0,
                quantity: 1,
            })
            .unwrap_or_else(|e| panic!("{name} does not answer: {e}"));
        assert_eq!(pdu[0], 0x03, "{name}: {pdu:?}");
    }
    assert!(
        eventually(Duration::from_secs(20), || open_fds(pid) <= fds_before + 20),
        "{} descriptors open, {fds_before} before",
        open_fds(pid)
    );
    for (name, _, a) in endpoints.iter().filter(|e| e.1 == "modern") {
        assert!(
            eventually(Duration::from_secs(20), || connections_counted(*a)
                == Some(2)),
            "{name} counts {:?} connections (the HMI's and this reader's)",
            connections_counted(*a)
        );
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_audit_log_killed_at_a_hundred_points_holds_only_whole_records() {
    // The vendor gateway's audit log of a live session at 36,000× (a day in 2.4 s), the
    // process killed with SIGKILL after a pseudo-random delay, 100 times, four at a time.
    let base = std::env::temp_dir().join(format!("faultline-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let seen: usize = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..4u64)
            .map(|lane| {
                let base = base.clone();
                sc.spawn(move || {
                    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ lane;
                    let mut records = 0;
                    for k in 0..25 {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let dir = base.join(format!("{lane}-{k}"));
                        std::fs::create_dir_all(&dir).unwrap();
                        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_faultline"))
                            .args(["live", "scenarios/vendor-gateway.ron", "--base-port", "0"])
                            .args(["--speed", "36000", "--out"])
                            .arg(&dir)
                            .stdout(std::process::Stdio::null())
                            .stderr(std::process::Stdio::null())
                            .spawn()
                            .unwrap();
                        std::thread::sleep(Duration::from_millis(100 + x % 2400));
                        let _ = child.kill();
                        let _ = child.wait();
                        let log = std::fs::read(dir.join("audit.jsonl")).unwrap_or_default();
                        assert!(
                            log.is_empty() || log.ends_with(b"\n"),
                            "a partial line: {}",
                            String::from_utf8_lossy(&log)
                        );
                        for line in log.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                            serde_json::from_slice::<serde_json::Value>(line).unwrap_or_else(|e| {
                                panic!("{e}: {}", String::from_utf8_lossy(line))
                            });
                            records += 1;
                        }
                    }
                    records
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let _ = std::fs::remove_dir_all(&base);
    // The kills fell while records were being written, not only before or after.
    assert!(seen > 100, "{seen} records in 100 logs");
}

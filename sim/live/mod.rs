//! Live mode: the same World in real time (or a multiple of it), every PLC on its own
//! Modbus/TCP port served by tokio-modbus. An adapter around the core: the World stays
//! sans-IO and single-threaded on its own thread; sockets talk to it through a channel,
//! and every input is applied at the start of the next tick, in arrival order, and
//! logged so the session replays exactly.

mod carry;
pub mod convert;
mod endpoints;
mod log;
mod pcap;
mod scoreboard;
mod service;
mod sim_loop;
mod tap;
use service::*;
pub use sim_loop::LiveView;
use sim_loop::*;

pub use carry::Carrying;
pub use log::{InputLog, InputLogWriter};

use crate::plc::{Admission, ConnId, Plc};
use crate::time::Micros;
use crate::world::{EXTERNAL_CONN, Input, World};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tap::ConnControl;
use tokio::sync::{mpsc, oneshot};

#[derive(Clone, Debug)]
pub struct LiveConfig {
    pub bind: IpAddr,
    /// PLC i listens on base_port + i; 0: ports chosen by the system.
    pub base_port: u16,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Stop after this many simulated hours (default: the scenario's duration).
    pub hours: Option<f64>,
    pub pcap: Option<PathBuf>,
    pub input_log: Option<PathBuf>,
    /// The vendor gateway's audit log, appended and flushed as its records fall due.
    pub audit_log: Option<PathBuf>,
    /// Print a status line every second on stderr.
    pub status: bool,
    /// A viewer watching the session: snapshots out, commands in (logged as inputs).
    pub view: Option<Arc<LiveView>>,
    /// The capture with the plant's addresses (each PLC at its address, port 502; each
    /// actor at its address in its zone) instead of the sockets'.
    pub pcap_plant: bool,
    /// The red/blue scoreboard: this JSON file and scoreboard.html beside it, rewritten
    /// every simulated minute.
    pub scoreboard: Option<PathBuf>,
    /// Per PLC: the network namespace and address its endpoint listens in (`live
    /// --netns`), in place of `bind` and `base_port`.
    pub listen_in: Option<Vec<(String, SocketAddr)>>,
    /// Modbus/TCP Security on the PLCs whose profile supports it (`live --tls`).
    pub tls: Option<LiveTls>,
    /// The World's own links (the HMI's, the attack steps') carried by real sockets from
    /// their hosts' namespaces (`live --netns`).
    pub carry: Option<Carrying>,
}

/// Modbus/TCP Security endpoints: certificates from `faultline pki init DIR --scenario`
/// (`devices/PLC.pem|.key`, `ca.pem`), the role policy, and where they listen (PLC i on
/// `base_port + i`; 0: ports chosen by the system).
#[derive(Clone, Debug)]
pub struct LiveTls {
    pub dir: PathBuf,
    pub roles: Arc<crate::tls::RolePolicy>,
    pub base_port: u16,
    /// The security gateways' decision log (JSON lines, as `faultline proxy --log`
    /// writes: each client's role, each request's verdict, each refused handshake).
    pub log: Option<PathBuf>,
}

/// A PLC endpoint as it listens.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Endpoint {
    pub plc: String,
    pub address: SocketAddr,
    /// Its Modbus/TCP Security endpoint (TLS, roles), where it serves one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_address: Option<SocketAddr>,
    pub unit_id: u8,
    pub profile: String,
    pub stations: Vec<String>,
}

/// What sockets send to the simulation thread.
pub enum Msg {
    Input {
        input: Input,
        admission: Option<oneshot::Sender<Option<Admission>>>,
    },
    /// A request ADU whose reply (matched by connection and transaction id) is awaited.
    Request {
        input: Input,
        tid: u16,
        reply: oneshot::Sender<Vec<u8>>,
    },
}

impl Msg {
    pub fn input(input: Input) -> Msg {
        Msg::Input {
            input,
            admission: None,
        }
    }
}

pub enum CaptureMsg {
    Open {
        key: u64,
        client: SocketAddr,
        server: SocketAddr,
    },
    Data {
        key: u64,
        to_server: bool,
        bytes: Vec<u8>,
    },
    Close {
        key: u64,
    },
}

type CaptureTx = std::sync::mpsc::Sender<(Duration, CaptureMsg)>;

/// State shared between the sockets and the simulation thread.
pub struct Shared {
    pub stop: AtomicBool,
    started: Instant,
    epoch: Duration,
    controls: Mutex<BTreeMap<ConnId, Arc<ConnControl>>>,
    /// Per PLC: its image for reads served without waiting (None: not allowed now).
    snapshots: Vec<RwLock<Option<Plc>>>,
    capture: Option<Mutex<Option<CaptureTx>>>,
    next_conn: AtomicU32,
    /// Per PLC, in wall time: how long a request may wait for its reply before the
    /// endpoint stops waiting (the device dropped it, faulted or went listen-only: no
    /// reply will come, and the connection must go on reading to see the client close),
    /// and the device's idle and half-frame timeouts.
    timing: Vec<EndpointTiming>,
    /// Client connections open on all endpoints, and the most the process may hold
    /// (below its open-file limit, so that accepting never runs out of descriptors).
    open_conns: AtomicUsize,
    max_conns: usize,
    /// Connections turned away at the descriptor cap, and accept errors survived.
    pub turned_away: AtomicU64,
    pub accept_errors: AtomicU64,
    /// The World's links carried by sockets, as the endpoints recognise them.
    carried: carry::Carried,
    /// The capture speaks the plant's addresses (`--pcap-plant`): the simulation opens
    /// each outside client's flow at its actor's address.
    plant_capture: bool,
}

/// An endpoint's timings in wall time (the device's, divided by the session's speed).
#[derive(Clone, Copy, Debug)]
pub struct EndpointTiming {
    pub give_up: Duration,
    pub idle: Duration,
    pub frame: Duration,
}

impl EndpointTiming {
    fn of(plc: &Plc, speed: f64) -> EndpointTiming {
        let p = &plc.profile;
        let wall = |us: Micros| Duration::from_secs_f64(us as f64 / 1e6 / speed);
        // The longest a served request can take: a full queue ahead of it, then the reply
        // latency, with two scans to spare — never less than a second of wall time.
        let per_scan = p.requests_per_scan.clamp(1, p.queue_limit.max(1));
        let scans = (p.queue_limit.div_ceil(per_scan) as u64) + p.reply_latency_scans + 2;
        EndpointTiming {
            give_up: wall(scans * plc.scan).max(Duration::from_secs(1)),
            // Both scale with the speed, down to floors in wall time: the limit of fast
            // sessions (README, "Live mode"). A half frame is a request's remaining bytes
            // in flight, so its floor is short; an idle client may be a person typing.
            idle: wall(p.idle_timeout).max(IDLE_FLOOR),
            frame: wall(p.frame_timeout).max(FRAME_FLOOR),
        }
    }
}

/// The shortest idle timeout a session applies in wall time, however fast it runs.
pub const IDLE_FLOOR: Duration = Duration::from_secs(1);
/// The shortest half-frame timeout in wall time: the 2 s default scales with `--speed` up
/// to 100× and is held at 20 ms beyond (time enough for a request's second segment).
pub const FRAME_FLOOR: Duration = Duration::from_millis(20);

/// The soft limit on open files (Linux: /proc/self/limits), or 1024 where unknown.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(1024)
}

impl Shared {
    pub fn capture(&self, msg: CaptureMsg) {
        // Wall-clock time stamps: a live capture lines up with other captures of the day.
        self.capture_at(self.epoch + self.started.elapsed(), msg);
    }

    /// A capture message at a given time since the epoch.
    fn capture_at(&self, t: Duration, msg: CaptureMsg) {
        if let Some(c) = &self.capture
            && let Ok(tx) = c.lock()
            && let Some(tx) = tx.as_ref()
        {
            let _ = tx.send((t, msg));
        }
    }

    fn forget(&self, conn: ConnId) {
        if let Ok(mut m) = self.controls.lock() {
            m.remove(&conn);
        }
    }

    fn close(&self, conn: ConnId) {
        if let Ok(m) = self.controls.lock()
            && let Some(c) = m.get(&conn)
        {
            c.close();
        }
    }
}

/// A running live twin.
pub struct Live {
    pub endpoints: Vec<Endpoint>,
    pub shared: Arc<Shared>,
    sim: Option<std::thread::JoinHandle<Result<World>>>,
    runtime: Option<tokio::runtime::Runtime>,
    capture_writer: Option<std::thread::JoinHandle<Result<()>>>,
    /// The Modbus/TCP Security endpoints' decision log, finished when the session ends.
    decisions: Option<crate::proxy::DecisionLog>,
}

impl Live {
    /// Bind every PLC's port and start the clock. Refuses nothing itself: the caller
    /// warns about a non-loopback bind.
    pub fn start(mut world: World, cfg: LiveConfig) -> Result<Live> {
        if cfg.carry.is_some() {
            world.carry_links();
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let n = world.devices.plcs.len();
        let (capture, capture_writer) = match &cfg.pcap {
            None => (None, None),
            Some(path) => {
                let (tx, writer) = pcap::writer(path)?;
                (Some(Mutex::new(Some(tx))), Some(writer))
            }
        };
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            started: Instant::now(),
            epoch: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
            controls: Mutex::new(BTreeMap::new()),
            snapshots: (0..n).map(|_| RwLock::new(None)).collect(),
            capture,
            next_conn: AtomicU32::new(EXTERNAL_CONN),
            timing: world
                .devices
                .plcs
                .iter()
                .map(|p| EndpointTiming::of(p, if cfg.speed > 0.0 { cfg.speed } else { 1.0 }))
                .collect(),
            open_conns: AtomicUsize::new(0),
            // Room for the listeners, the files the session writes and the runtime's own.
            max_conns: open_file_limit().saturating_sub(64 + n).max(16),
            turned_away: AtomicU64::new(0),
            accept_errors: AtomicU64::new(0),
            carried: carry::Carried::default(),
            plant_capture: cfg.pcap_plant,
        });
        let (tx, rx) = mpsc::unbounded_channel::<Msg>();
        // Bind every endpoint before anything runs, so the table printed is true.
        let (listeners, mut endpoints) = endpoints::bind(&world, &cfg)?;
        for (i, l) in listeners.into_iter().enumerate() {
            endpoints::serve(&runtime, i, l, &endpoints[i], tx.clone(), shared.clone());
        }
        let decisions = match &cfg.tls {
            Some(tls) => Some(endpoints::secure(
                &runtime,
                &world,
                &cfg,
                tls,
                &mut endpoints,
            )?),
            None => None,
        };
        let log = match &cfg.input_log {
            None => None,
            Some(p) => {
                let f = std::fs::File::create(p)
                    .with_context(|| format!("cannot create {}", p.display()))?;
                Some(InputLogWriter::new(std::io::BufWriter::new(f), &world)?)
            }
        };
        let sim_shared = shared.clone();
        let carrier = cfg
            .carry
            .clone()
            .map(|c| carry::Carrier::new(c, tx.clone(), shared.clone(), runtime.handle().clone()));
        let sim = std::thread::Builder::new()
            .name("faultline-sim".into())
            .spawn(move || sim_loop(world, rx, sim_shared, cfg, log, carrier))?;
        Ok(Live {
            endpoints,
            shared,
            sim: Some(sim),
            runtime: Some(runtime),
            capture_writer,
            decisions,
        })
    }

    /// Ask the session to end at the next tick.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
    }

    pub fn is_finished(&self) -> bool {
        self.sim.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Wait for the session to end (stop, or the hours ran out) and take the World.
    pub fn join(mut self) -> Result<World> {
        let world = match self.sim.take() {
            Some(h) => h
                .join()
                .map_err(|_| anyhow::anyhow!("the simulation thread panicked"))??,
            None => anyhow::bail!("already joined"),
        };
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_millis(200));
        }
        // A decision log that could not be written was said on stderr when it failed; the
        // session's own results are still the caller's to write.
        if let Some(log) = self.decisions.take()
            && let Err(e) = log.finish()
        {
            eprintln!("error: {e:#}");
        }
        // Close the capture channel and wait for the pcap to be complete on disk.
        if let Some(c) = &self.shared.capture
            && let Ok(mut tx) = c.lock()
        {
            tx.take();
        }
        if let Some(h) = self.capture_writer.take() {
            h.join()
                .map_err(|_| anyhow::anyhow!("the capture thread panicked"))??;
        }
        Ok(world)
    }

    /// Run `f` on the live runtime (for Ctrl-C handling).
    pub fn block_on<F: Future>(&self, f: F) -> Option<F::Output> {
        self.runtime.as_ref().map(|rt| rt.block_on(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_timeouts_scale_with_the_speed_down_to_their_floors() {
        let s = crate::scenario::load(std::path::Path::new("scenarios/bottling-line.ron")).unwrap();
        let w = World::new(&s, 1);
        let plc = &w.devices.plcs[0];
        let at = |speed| EndpointTiming::of(plc, speed);
        // 2 s and 120 s simulated by default.
        assert_eq!(at(1.0).frame, Duration::from_secs(2));
        assert_eq!(at(1.0).idle, Duration::from_secs(120));
        assert_eq!(at(4.0).frame, Duration::from_millis(500));
        assert_eq!(at(20.0).frame, Duration::from_millis(100));
        assert_eq!(at(100.0).frame, Duration::from_millis(20));
        assert_eq!(at(100.0).idle, Duration::from_millis(1200));
        assert_eq!(at(1000.0).frame, FRAME_FLOOR);
        assert_eq!(at(1000.0).idle, IDLE_FLOOR);
    }
}

//! The simulation loop of a live session: the World stepped at the wall clock's pace,
//! the endpoints' inputs applied and logged, the status line, the audit records.

use super::*;
use crate::plc::{Admission, ConnId};
use crate::time::{Micros, from_secs};
use crate::world::{Input, World};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

pub(super) fn sim_loop(
    mut world: World,
    mut rx: mpsc::UnboundedReceiver<Msg>,
    shared: Arc<Shared>,
    cfg: LiveConfig,
    mut log: Option<InputLogWriter<std::io::BufWriter<std::fs::File>>>,
    mut carrier: Option<carry::Carrier>,
) -> Result<World> {
    let tick = world.tick;
    let end: Micros = cfg
        .hours
        .map(|h| from_secs(h * 3600.0))
        .unwrap_or(world.end)
        .min(world.end);
    let speed = if cfg.speed > 0.0 { cfg.speed } else { 1.0 };
    let start = Instant::now();
    let mut pending = Pending::new();
    let mut k: u64 = 0;
    let mut last_status = Instant::now();
    let mut audit = match &cfg.audit_log {
        Some(p) if world.scenario.vendor.is_some() => Some((
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .with_context(|| format!("cannot open {}", p.display()))?,
            0usize,
        )),
        _ => None,
    };
    publish(&mut world, &shared);
    // The World's own frames into the capture, at wall times from this start.
    let mut frames = pcap::WorldFrames::default();
    let offset = shared.epoch + start.duration_since(shared.started);
    let board = cfg.scoreboard.as_deref().map(scoreboard::Scoreboard::new);
    let mut leader: Option<(String, f64)> = None;
    while world.now < end && !shared.stop.load(Ordering::Acquire) {
        let due = start + Duration::from_secs_f64((k * tick) as f64 / 1e6 / speed);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
        take_inputs(
            &mut world,
            &mut rx,
            &mut pending,
            &mut log,
            k,
            &shared,
            &cfg,
        )?;
        world.step();
        k += 1;
        if shared.capture.is_some() {
            frames.pump(&mut world, &shared, offset, speed);
        }
        // Every simulated minute: what each actor did and cost so far.
        if world.now.is_multiple_of(crate::time::US_PER_MIN)
            && (board.is_some() || !world.actors.is_empty())
        {
            let summary = crate::report::Summary::from_world(&world);
            leader = scoreboard::leader(&summary);
            if let Some(b) = &board {
                b.write(&world, &summary, false)?;
            }
        }
        for c in world.net.bus.take_carried() {
            if let Some(carrier) = &mut carrier {
                carrier.carry(c);
            }
        }
        if let Some(v) = &cfg.view
            && let Ok(mut s) = v.snapshot.lock()
        {
            *s = Some(crate::view::Snapshot::of(&world));
        }
        hand_out_replies(&mut world, &mut pending, &shared);
        publish(&mut world, &shared);
        if let Some(l) = &mut log {
            l.flush()?;
        }
        if let Some((file, written)) = &mut audit {
            write_due_audit(&world, file, written)?;
        }
        if cfg.status && last_status.elapsed() >= Duration::from_secs(1) {
            last_status = Instant::now();
            let top = leader
                .as_ref()
                .map(|(name, cost)| format!(" | costliest actor: {name} {cost:.0}"))
                .unwrap_or_default();
            eprint!("\r{}{top}\x1b[K", status_line(&world));
        }
    }
    if cfg.status {
        eprintln!();
    }
    if let Some(b) = &board {
        b.write(&world, &crate::report::Summary::from_world(&world), true)?;
    }
    if let Some(l) = log {
        l.end(k)?;
    }
    shared.stop.store(true, Ordering::Release);
    Ok(world)
}

/// The endpoints' requests waiting for the devices' replies: (connection, transaction id)
/// to the sender its reply goes back through.
type Pending = BTreeMap<(ConnId, u16), oneshot::Sender<Vec<u8>>>;

/// What the endpoints and the viewer sent since the last tick, logged and applied to the
/// World in the order it came (a request's reply sender kept until its reply is out).
fn take_inputs(
    world: &mut World,
    rx: &mut mpsc::UnboundedReceiver<Msg>,
    pending: &mut Pending,
    log: &mut Option<InputLogWriter<std::io::BufWriter<std::fs::File>>>,
    k: u64,
    shared: &Shared,
    cfg: &LiveConfig,
) -> Result<()> {
    while let Ok(msg) = rx.try_recv() {
        let (input, admission) = match msg {
            Msg::Input { input, admission } => (input, admission),
            Msg::Request { input, tid, reply } => {
                if let Input::Frame { conn, .. } = input {
                    pending.insert((conn, tid), reply);
                }
                (input, None)
            }
        };
        if let Some(l) = log.as_mut() {
            l.input(k, &input)?;
        }
        let a = world.apply_input(&input);
        if let Input::Disconnect { conn, .. } = input {
            pending.retain(|(c, _), _| *c != conn);
        }
        if shared.plant_capture
            && let Input::Connect { plc, conn, .. } = input
            && matches!(a, Some(Admission::Accepted | Admission::AcceptedClosing(_)))
        {
            pcap::open_at_plant(world, shared, plc, conn);
        }
        if let Some(tx) = admission {
            let _ = tx.send(a);
        }
    }
    if let Some(v) = &cfg.view {
        let commands: Vec<crate::world::Command> = v
            .commands
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default();
        for command in commands {
            let input = Input::Viewer { command };
            if let Some(l) = log.as_mut() {
                l.input(k, &input)?;
            }
            world.apply_input(&input);
        }
    }
    Ok(())
}

/// The devices' replies to the endpoints' requests, and the connections they closed.
fn hand_out_replies(world: &mut World, pending: &mut Pending, shared: &Shared) {
    for (conn, adu) in world.devices.external_replies.drain(..) {
        let tid = u16::from_be_bytes([adu[0], adu[1]]);
        if let Some(tx) = pending.remove(&(conn, tid)) {
            let _ = tx.send(adu);
        }
    }
    for conn in world.devices.closed_by_device.drain(..) {
        pending.retain(|(c, _), _| *c != conn);
        shared.close(conn);
    }
}

/// Publish each PLC's image for reads that need not wait.
pub(super) fn publish(world: &mut World, shared: &Shared) {
    // With a control on the request path, every read must pass it: none from the image.
    let gated = world.controls.dpi.is_some() || world.controls.ids.is_some();
    let World { devices, plant, .. } = world;
    for (i, plc) in devices.plcs.iter_mut().enumerate() {
        let snap = if !gated && plc.serves_reads_from_image() {
            plc.refresh_inputs(plant);
            Some(plc.clone())
        } else {
            None
        };
        if let Ok(mut s) = shared.snapshots[i].write() {
            *s = snap;
        }
    }
}

/// One line: simulated time, output and rate, each station's state (and temperature),
/// active alarms, and connections per PLC.
pub fn status_line(w: &World) -> String {
    let good = w.plant.line_output();
    let hours = w.hours();
    let rate = if hours > 0.0 {
        good as f64 / hours
    } else {
        0.0
    };
    let mut s = format!(
        "{} good {} ({:.0}/h) |",
        crate::time::clock(w.now),
        good,
        rate
    );
    let mut alarms = Vec::new();
    for st in &w.plant.stations {
        let state = st.state();
        s.push_str(&format!(" {} {}", st.name, state.label()));
        if let Some(th) = &st.thermal {
            s.push_str(&format!(" {:.1}°C", th.temp_c));
        }
        if matches!(
            state,
            crate::plant::State::Failed | crate::plant::State::Tripped
        ) {
            alarms.push(format!("{} {}", st.name, state.label()));
        }
    }
    for p in w.devices.plcs.iter().filter(|p| p.fault.is_some()) {
        alarms.push(format!("{} fault", p.name));
    }
    s.push_str(&format!(
        " | alarms: {}",
        if alarms.is_empty() {
            "none".to_string()
        } else {
            alarms.join(", ")
        }
    ));
    let conns: Vec<String> = w
        .devices
        .plcs
        .iter()
        .map(|p| format!("{}:{}", p.name, p.connections()))
        .collect();
    s.push_str(&format!(" | connections {}", conns.join(" ")));
    s
}

/// A live session's window for a viewer: the simulation thread publishes snapshots here
/// and applies the commands it finds.
#[derive(Debug, Default)]
pub struct LiveView {
    pub snapshot: std::sync::Mutex<Option<crate::view::Snapshot>>,
    pub commands: std::sync::Mutex<Vec<crate::world::Command>>,
}

/// The gateway's audit records that simulated time has reached, appended to the audit log
/// in time order; each is flushed as written. `written` counts those already out.
/// A file the audit log can be made durable in.
pub(super) trait Durable: Write {
    fn sync(&mut self) -> std::io::Result<()>;
}

impl Durable for std::fs::File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_data()
    }
}

pub(super) fn write_due_audit(
    world: &World,
    file: &mut impl Durable,
    written: &mut usize,
) -> Result<()> {
    let mut due: Vec<&crate::world::AuditRecord> = world
        .controls
        .audit
        .iter()
        .filter(|r| r.t_us <= world.now)
        .collect();
    due.sort_by_key(|r| r.t_us);
    for r in due.iter().skip(*written) {
        // The whole line in one write, then the sync: a process killed at any moment
        // leaves whole records only (a reader never sees half a line).
        let mut line = serde_json::json!({
            "t": crate::time::clock(r.t_us), "session": r.session, "event": r.event, "detail": r.detail,
        })
        .to_string();
        line.push('\n');
        file.write_all(line.as_bytes())?;
        file.sync()?;
    }
    *written = due.len();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records every write and sync.
    #[derive(Default)]
    struct Recorder {
        calls: Vec<Result<Vec<u8>, ()>>,
    }

    impl Write for Recorder {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.calls.push(Ok(b.to_vec()));
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Durable for Recorder {
        fn sync(&mut self) -> std::io::Result<()> {
            self.calls.push(Err(()));
            Ok(())
        }
    }

    #[test]
    fn each_audit_record_is_one_whole_line_written_once_then_synced() {
        let s = crate::load(std::path::Path::new("scenarios/vendor-gateway.ron")).unwrap();
        let mut w = World::new(&s, 42);
        w.run();
        let mut r = Recorder::default();
        let mut written = 0;
        write_due_audit(&w, &mut r, &mut written).unwrap();
        assert!(written > 3, "{written} records");
        assert_eq!(r.calls.len(), 2 * written);
        for pair in r.calls.chunks(2) {
            let line = pair[0].as_ref().expect("a write, then its sync");
            assert!(pair[1].is_err(), "each write is followed by its sync");
            assert_eq!(line.last(), Some(&b'\n'));
            assert_eq!(line.iter().filter(|&&c| c == b'\n').count(), 1);
            serde_json::from_slice::<serde_json::Value>(line).unwrap();
        }
    }
}

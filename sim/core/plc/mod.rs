//! Virtual PLCs. Each runs a scan cycle at its own period: read the plant's inputs into
//! its register image, serve queued Modbus requests (as many per scan as its device
//! profile allows), run its logic (run/stop, pulses, the thermal PID loop), and write
//! its outputs to the plant. Request handling is synchronous and pure over the image:
//! `handle(&Request) -> Result<Response, ExceptionCode>` serves the in-memory bus and the
//! live server alike.

mod handler;
mod image;
mod logic;
pub mod map;

use crate::dist::Dist;
use crate::modbus::{ExceptionCode, Request, Response, diag, encode_adu, parse_adu};
use crate::plant::{Plant, State, StopReason};
use crate::rng::Stream;
use crate::scenario::{OnBadTraffic, PlcSpec, ProfileSpec, Scenario, StationKind, WhenFull};
use crate::time::{Micros, US_PER_MS, from_secs};
use core::net::Ipv4Addr;
use map::*;
use rand::RngExt;
use serde::Serialize;
use std::collections::VecDeque;

/// A client connection, as the bus numbers them.
pub type ConnId = u32;

/// Why a PLC faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum FaultCause {
    /// Sustained request overload tripped the watchdog.
    Overload,
    /// An unsupported function code hung a fragile communication module.
    Unsupported,
    /// Bytes that are not Modbus (a service scan's probes) hung it.
    Malformed,
}

#[derive(Clone, Debug)]
pub struct PlcFault {
    pub cause: FaultCause,
    /// The connection whose traffic caused it, when known.
    pub source: Option<ConnId>,
    pub since: Micros,
    pub recovered_at: Micros,
}

/// What happens to a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Accepted,
    /// Accepted after closing this older connection.
    AcceptedClosing(ConnId),
    Refused,
}

#[derive(Clone, Debug)]
struct Inbound {
    conn: ConnId,
    adu: Vec<u8>,
}

/// A reply waiting for its scan.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub conn: ConnId,
    pub adu: Vec<u8>,
    pub ready_at: Micros,
}

#[derive(Clone, Debug, Default)]
struct Pid {
    integral: f64,
    prev_error: Option<f64>,
}

#[derive(Clone, Debug)]
struct Slot {
    station: usize,
    /// Who last wrote the run coil.
    run_writer: Option<ConnId>,
    /// Who last wrote each holding register (none: as commissioned, or restored).
    holding_writer: [Option<ConnId>; 7],
    thermal: bool,
    coils: [bool; 4],
    holding: [u16; 7],
    discrete: [bool; 9],
    input: [u16; 17],
    pid: Pid,
    /// The holding registers as commissioned: the backup a restore brings back.
    backup: [u16; 7],
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PlcStats {
    pub requests: u64,
    pub exceptions: u64,
    /// Requests dropped because the queue was full, or while faulted / listen-only.
    pub dropped: u64,
    pub connections_refused: u64,
    pub connections_evicted: u64,
    /// Most requests waiting at once.
    pub queue_peak: u64,
    pub faults: Vec<(FaultCause, u64)>,
}

impl PlcStats {
    fn count_fault(&mut self, cause: FaultCause) {
        crate::tally::tally(&mut self.faults, cause);
        self.faults.sort();
    }
}

/// Device profile in force (from `ProfileSpec`, times in microseconds).
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    /// Serves Modbus/TCP Security beside plain Modbus/TCP (live mode with `--tls`).
    pub modbus_security: bool,
    pub max_connections: usize,
    pub when_full: WhenFull,
    pub requests_per_scan: usize,
    pub reply_latency_scans: u64,
    pub queue_limit: usize,
    /// Scans of sustained overflow that trip the watchdog, and the recovery time (s).
    pub watchdog: Option<(Dist, Dist)>,
    pub on_unsupported: OnBadTraffic,
    pub on_malformed: OnBadTraffic,
    pub fault_probability: f64,
    /// Idle and half-frame timeouts of a connection (enforced by the live adapter).
    pub idle_timeout: Micros,
    pub frame_timeout: Micros,
    /// What it answers to Read Device Identification and Report Server ID.
    pub identity: std::sync::Arc<crate::scenario::IdentitySpec>,
}

impl From<&ProfileSpec> for Profile {
    fn from(p: &ProfileSpec) -> Self {
        Profile {
            identity: std::sync::Arc::new(p.identity()),
            name: p.name.clone(),
            modbus_security: p.modbus_security,
            max_connections: usize::from(p.max_connections),
            when_full: p.when_full,
            requests_per_scan: if p.requests_per_scan == 0 {
                usize::MAX
            } else {
                usize::from(p.requests_per_scan)
            },
            reply_latency_scans: u64::from(p.reply_latency_scans),
            queue_limit: usize::from(p.queue_limit),
            watchdog: p
                .watchdog
                .as_ref()
                .map(|w| (w.overload_scans, w.recovery_s)),
            on_unsupported: p.on_unsupported,
            on_malformed: p.on_malformed,
            fault_probability: p.fault_probability,
            idle_timeout: from_secs(p.idle_timeout_s),
            frame_timeout: from_secs(p.frame_timeout_s),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Plc {
    pub name: String,
    pub address: Ipv4Addr,
    pub unit_id: u8,
    pub scan: Micros,
    pub profile: Profile,
    slots: Vec<Slot>,
    mode_run: bool,
    listen_only: bool,
    scans: u64,
    /// The time of the next scan (see `scan_due`).
    next_scan: Micros,
    inbox: VecDeque<Inbound>,
    pub outbox: VecDeque<Outbound>,
    connections: Vec<ConnId>,
    pub fault: Option<PlcFault>,
    overload_scans: u32,
    /// The scans of overflow that trip the watchdog in this overload episode.
    overload_limit: u32,
    /// The device's own random stream (`plc:NAME`): its fragility and recovery times.
    rng: Stream,
    /// Requests dropped for a full queue since the last scan.
    overflow_since_scan: u32,
    /// The connection whose request is being served (for the record of who wrote what).
    current_conn: Option<ConnId>,
    mode_writer: Option<ConnId>,
    /// Counts writes to the holding registers (and restores): who set what can only have
    /// changed when it moves.
    pub holding_writes: u64,
    /// The connection whose request last overflowed the queue.
    last_overflow_conn: Option<ConnId>,
    pub stats: PlcStats,
    /// Faults raised in the last scan, for the event log.
    pub new_faults: Vec<(Micros, FaultCause)>,
}

/// A value in 0.1 °C as a signed register.
fn deci(c: f64) -> u16 {
    ((c * 10.0).round().clamp(i16::MIN as f64, i16::MAX as f64) as i16) as u16
}

impl Plc {
    pub fn new(spec: &PlcSpec, scenario: &Scenario, profile: &ProfileSpec, seed: u64) -> Plc {
        let slots = spec
            .stations
            .iter()
            .map(|name| {
                let station = scenario.station_index(name).expect("validated scenario");
                let st = &scenario.stations[station];
                let mut slot = Slot {
                    station,
                    run_writer: None,
                    holding_writer: [None; 7],
                    thermal: false,
                    coils: [false; 4],
                    holding: [100, 1, 0, 0, 0, 0, 0],
                    discrete: [false; 9],
                    input: [0; 17],
                    pid: Pid::default(),
                    backup: [0; 7],
                };
                if let StationKind::Thermal(t) = &st.kind {
                    slot.thermal = true;
                    slot.coils[C_HEATER_AUTO as usize] = true;
                    slot.holding[H_TEMP_SP as usize] = deci(t.setpoint_c);
                    slot.holding[H_KP as usize] =
                        (t.pid.kp * 100.0).round().clamp(0.0, 65535.0) as u16;
                    slot.holding[H_TI as usize] = t.pid.ti_s.round().clamp(0.0, 65535.0) as u16;
                    slot.holding[H_TD as usize] = t.pid.td_s.round().clamp(0.0, 65535.0) as u16;
                    slot.input[I_BAND_LOW as usize] = deci(t.band_c.0);
                    slot.input[I_BAND_HIGH as usize] = deci(t.band_c.1);
                    slot.input[I_TRIP_LIMIT as usize] = deci(t.trip_above_c);
                    // A preheated zone means a loop that has been running: start the integral
                    // at the output that holds the setpoint with no product (bumpless start).
                    if t.initial_c.is_some() && t.pid.kp > 0.0 && t.pid.ti_s > 0.0 {
                        let hold_pct = 100.0 * (t.setpoint_c - t.ambient_c) / t.gain_c;
                        slot.pid.integral = hold_pct.clamp(0.0, 100.0) / t.pid.kp;
                    }
                }
                slot.backup = slot.holding;
                slot
            })
            .collect();
        Plc {
            name: spec.name.clone(),
            address: spec.address.parse().unwrap_or(Ipv4Addr::LOCALHOST),
            unit_id: spec.unit_id,
            scan: u64::from(spec.scan_ms) * US_PER_MS,
            profile: Profile::from(profile),
            slots,
            mode_run: true,
            listen_only: false,
            scans: 0,
            next_scan: 0,
            inbox: VecDeque::new(),
            outbox: VecDeque::new(),
            connections: Vec::new(),
            fault: None,
            overload_scans: 0,
            overload_limit: u32::MAX,
            rng: crate::rng::stream(seed, &format!("plc:{}", spec.name)),
            overflow_since_scan: 0,
            current_conn: None,
            mode_writer: None,
            holding_writes: 0,
            last_overflow_conn: None,
            stats: PlcStats::default(),
            new_faults: Vec::new(),
        }
    }
    /// Restore from backup: the holding registers (setpoints, speeds, tuning) as
    /// commissioned, the CPU in RUN and communications on. `recipe` gives a thermal slot's
    /// temperature setpoint for the product now running, where the HMI knows it.
    pub fn restore_backup(&mut self, recipe: impl Fn(usize) -> Option<u16>) {
        self.holding_writes += 1;
        for slot in &mut self.slots {
            slot.holding = slot.backup;
            slot.holding_writer = [None; 7];
            if slot.thermal
                && let Some(sp) = recipe(slot.station)
            {
                slot.holding[H_TEMP_SP as usize] = sp;
            }
        }
        self.mode_run = true;
        self.listen_only = false;
    }
    /// The temperature setpoint the PLC holds for a thermal station (°C).
    pub fn setpoint_c(&self, station: usize) -> Option<f64> {
        self.slots
            .iter()
            .find(|s| s.station == station && s.thermal)
            .map(|s| f64::from(s.holding[H_TEMP_SP as usize] as i16) / 10.0)
    }
    /// Stations this PLC controls, in block order.
    pub fn stations(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots.iter().map(|s| s.station)
    }
    pub fn is_thermal_slot(&self, slot: usize) -> bool {
        self.slots.get(slot).is_some_and(|s| s.thermal)
    }
    pub fn set_current_conn(&mut self, conn: Option<ConnId>) {
        self.current_conn = conn;
    }
    pub fn is_listen_only(&self) -> bool {
        self.listen_only
    }
    /// A restart of the communication module (at the cabinet): listen-only ends.
    pub fn restart_communications(&mut self) {
        self.listen_only = false;
    }
    /// Run commands off at the local panel (no Modbus). True if any was on.
    pub fn local_stop(&mut self) -> bool {
        let mut changed = false;
        for slot in &mut self.slots {
            changed |= slot.coils[C_RUN as usize];
            slot.coils[C_RUN as usize] = false;
            slot.run_writer = None;
        }
        changed
    }
    /// The CPU to STOP at the cabinet (no Modbus): a restore from backup.
    pub fn local_mode_stop(&mut self) {
        self.mode_run = false;
        self.mode_writer = None;
    }
    /// Run commands on at the local panel (no Modbus). True if any was off.
    pub fn local_start(&mut self) -> bool {
        let mut changed = false;
        for slot in &mut self.slots {
            if !slot.coils[C_RUN as usize] {
                slot.coils[C_RUN as usize] = true;
                slot.run_writer = None;
                changed = true;
            }
        }
        changed
    }
    pub fn mode_is_run(&self) -> bool {
        self.mode_run
    }
    pub fn mode_writer(&self) -> Option<ConnId> {
        self.mode_writer
    }
    pub fn run_coil(&self, slot: usize) -> bool {
        self.slots
            .get(slot)
            .is_some_and(|s| s.coils[C_RUN as usize])
    }
    /// Who last wrote holding register `reg` of a station's block (none: as commissioned).
    pub fn holding_writer(&self, slot: usize, reg: u16) -> Option<ConnId> {
        self.slots
            .get(slot)
            .and_then(|s| s.holding_writer.get(usize::from(reg)).copied().flatten())
    }

    /// The value of holding register `reg` of a station's block.
    pub fn holding(&self, slot: usize, reg: u16) -> Option<u16> {
        self.slots
            .get(slot)
            .and_then(|s| s.holding.get(usize::from(reg)).copied())
    }

    pub fn run_writer(&self, slot: usize) -> Option<ConnId> {
        self.slots.get(slot).and_then(|s| s.run_writer)
    }
    pub fn has_connection(&self, conn: ConnId) -> bool {
        self.connections.contains(&conn)
    }
    /// The connections the device holds, oldest first.
    pub fn connection_ids(&self) -> &[ConnId] {
        &self.connections
    }

    pub fn connections(&self) -> usize {
        self.connections.len()
    }
    pub fn queue_depth(&self) -> usize {
        self.inbox.len()
    }
    /// A client opens a connection.
    pub fn connect(&mut self, conn: ConnId) -> Admission {
        if self.connections.len() < self.profile.max_connections {
            self.connections.push(conn);
            return Admission::Accepted;
        }
        match self.profile.when_full {
            WhenFull::RefuseNew => {
                self.stats.connections_refused += 1;
                Admission::Refused
            }
            WhenFull::CloseOldest => self.evict(0, conn),
            WhenFull::CloseOldestIdle => {
                let busy = |c: &ConnId| {
                    self.inbox.iter().any(|r| r.conn == *c)
                        || self.outbox.iter().any(|r| r.conn == *c)
                };
                match self.connections.iter().position(|c| !busy(c)) {
                    Some(i) => self.evict(i, conn),
                    None => {
                        self.stats.connections_refused += 1;
                        Admission::Refused
                    }
                }
            }
        }
    }
    fn evict(&mut self, i: usize, conn: ConnId) -> Admission {
        let oldest = self.connections.remove(i);
        self.drop_connection_requests(oldest);
        self.connections.push(conn);
        self.stats.connections_evicted += 1;
        Admission::AcceptedClosing(oldest)
    }
    pub fn disconnect(&mut self, conn: ConnId) {
        self.connections.retain(|c| *c != conn);
        self.drop_connection_requests(conn);
    }
    fn drop_connection_requests(&mut self, conn: ConnId) {
        self.inbox.retain(|r| r.conn != conn);
        self.outbox.retain(|r| r.conn != conn);
    }
    /// A complete ADU arrives from a connection. Returns false if it was dropped.
    pub fn receive(&mut self, conn: ConnId, adu: Vec<u8>) -> bool {
        if self.fault.is_some() {
            self.stats.dropped += 1;
            return false;
        }
        if self.inbox.len() >= self.profile.queue_limit {
            self.stats.dropped += 1;
            self.overflow_since_scan += 1;
            self.last_overflow_conn = Some(conn);
            return false;
        }
        self.inbox.push_back(Inbound { conn, adu });
        self.stats.queue_peak = self.stats.queue_peak.max(self.inbox.len() as u64);
        true
    }
    /// Bytes on the connection that are not Modbus (a framing error). Returns true when
    /// the connection is to be closed (always: the stream is out of step).
    pub fn garbage(&mut self, t: Micros) -> bool {
        self.maybe_hang(t, self.profile.on_malformed, FaultCause::Malformed);
        true
    }
    /// Traffic the device does not understand: a fragile one hangs with the profile's
    /// probability (drawn from the device's stream). True if it faulted.
    pub(crate) fn maybe_hang(&mut self, t: Micros, on: OnBadTraffic, cause: FaultCause) -> bool {
        if on != OnBadTraffic::Fault || self.fault.is_some() {
            return false;
        }
        let p = self.profile.fault_probability;
        if p >= 1.0 || (p > 0.0 && self.rng.random::<f64>() < p) {
            self.raise_fault(t, cause);
            return true;
        }
        false
    }
    /// A framed request that does not decode (seen by a live server's tap before the
    /// Modbus stack rejects it): a fragile device hangs on it.
    pub fn malformed(&mut self, t: Micros) {
        self.stats.requests += 1;
        self.maybe_hang(t, self.profile.on_malformed, FaultCause::Malformed);
    }
    /// Whether reads may be answered from the published image without waiting for a
    /// scan: no per-scan limit, replies in the same scan, communicating normally.
    pub fn serves_reads_from_image(&self) -> bool {
        self.profile.requests_per_scan == usize::MAX
            && self.profile.reply_latency_scans == 0
            && self.fault.is_none()
            && !self.listen_only
    }
    fn raise_fault(&mut self, t: Micros, cause: FaultCause) {
        if self.fault.is_some() {
            return;
        }
        let recovery = match &self.profile.watchdog {
            Some((_, r)) => from_secs(r.sample(&mut self.rng)),
            None => 0,
        };
        let source = if cause == FaultCause::Overload {
            self.last_overflow_conn
        } else {
            self.current_conn
        };
        self.fault = Some(PlcFault {
            cause,
            source,
            since: t,
            recovered_at: t + recovery,
        });
        self.stats.count_fault(cause);
        self.new_faults.push((t, cause));
        self.inbox.clear();
        self.outbox.clear();
    }
    /// A local reset (at the cabinet): clears a fault once its recovery time has passed.
    pub fn reset_fault(&mut self, t: Micros) -> bool {
        match &self.fault {
            Some(f) if t >= f.recovered_at => {
                self.fault = None;
                self.overload_scans = 0;
                self.listen_only = false;
                true
            }
            _ => false,
        }
    }
    /// Whether a scan is due at `t` (a multiple of the scan period); asked once per tick,
    /// in increasing `t`. Keeps the next scan's time so that a tick costs no division.
    pub fn scan_due(&mut self, t: Micros) -> bool {
        if t > self.next_scan {
            self.next_scan = t.next_multiple_of(self.scan);
        }
        if t == self.next_scan {
            self.next_scan = t + self.scan;
            true
        } else {
            false
        }
    }
    /// One scan at time `t`: inputs, communication, logic, outputs.
    pub fn scan(&mut self, t: Micros, plant: &mut Plant) {
        self.scans += 1;
        // The input image is only read by requests and is a snapshot of this scan: take it
        // when requests are waiting (or when asked for), not on every scan.
        if self.fault.is_none() && !self.inbox.is_empty() {
            self.read_inputs(plant);
            self.serve(t);
        }
        self.logic_and_outputs(t, plant);
    }
}

pub use crate::modbus::SUPPORTED;

/// The devices part of the World: the PLCs with their connection tables, which PLC runs
/// each station, and what the devices have for clients outside the World (live sockets).
#[derive(Clone)]
pub struct Devices {
    pub plcs: Vec<Plc>,
    /// Stations' PLC index, for labels.
    pub station_plc: Vec<usize>,
    /// Each station's slot in its PLC (its block in the register map).
    pub station_slot: Vec<usize>,
    /// Replies to external connections, for the live adapter to send.
    pub external_replies: Vec<(ConnId, Vec<u8>)>,
    /// External connections the device closed (evicted when full, or after garbage).
    pub closed_by_device: Vec<ConnId>,
}

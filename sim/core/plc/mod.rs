//! Virtual PLCs. Each runs a scan cycle at its own period: read the plant's inputs into
//! its register image, serve queued Modbus requests (as many per scan as its device
//! profile allows), run its logic (run/stop, pulses, the thermal PID loop), and write
//! its outputs to the plant. Request handling is synchronous and pure over the image:
//! `handle(&Request) -> Result<Response, ExceptionCode>` serves the in-memory bus and the
//! live server alike.

pub mod map;

use crate::modbus::{ExceptionCode, Request, Response, diag, parse_adu, response_adu};
use crate::plant::{Plant, State, StopReason};
use crate::scenario::{OnBadTraffic, PlcSpec, ProfileSpec, Scenario, StationKind, WhenFull};
use crate::time::{Micros, US_PER_MS, from_secs};
use core::net::Ipv4Addr;
use map::*;
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
        crate::metrics::tally(&mut self.faults, cause);
        self.faults.sort();
    }
}

/// Device profile in force (from `ProfileSpec`, times in microseconds).
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub max_connections: usize,
    pub when_full: WhenFull,
    pub requests_per_scan: usize,
    pub reply_latency_scans: u64,
    pub queue_limit: usize,
    pub watchdog: Option<(u32, Micros)>,
    pub on_unsupported: OnBadTraffic,
    pub on_malformed: OnBadTraffic,
}

impl From<&ProfileSpec> for Profile {
    fn from(p: &ProfileSpec) -> Self {
        Profile {
            name: p.name.clone(),
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
                .map(|w| (w.overload_scans, from_secs(w.recovery_s))),
            on_unsupported: p.on_unsupported,
            on_malformed: p.on_malformed,
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
    /// Requests dropped for a full queue since the last scan.
    overflow_since_scan: u32,
    /// The connection whose request is being served (for the record of who wrote what).
    current_conn: Option<ConnId>,
    mode_writer: Option<ConnId>,
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
    pub fn new(spec: &PlcSpec, scenario: &Scenario, profile: &ProfileSpec) -> Plc {
        let slots = spec
            .stations
            .iter()
            .map(|name| {
                let station = scenario.station_index(name).expect("validated scenario");
                let st = &scenario.stations[station];
                let mut slot = Slot {
                    station,
                    run_writer: None,
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
            overflow_since_scan: 0,
            current_conn: None,
            mode_writer: None,
            last_overflow_conn: None,
            stats: PlcStats::default(),
            new_faults: Vec::new(),
        }
    }

    /// Restore from backup: the holding registers (setpoints, speeds, tuning) as
    /// commissioned, the CPU in RUN and communications on. `recipe` gives a thermal slot's
    /// temperature setpoint for the product now running, where the HMI knows it.
    pub fn restore_backup(&mut self, recipe: impl Fn(usize) -> Option<u16>) {
        for slot in &mut self.slots {
            slot.holding = slot.backup;
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

    /// Run commands off at the local panel (no Modbus).
    pub fn local_stop(&mut self) {
        for slot in &mut self.slots {
            slot.coils[C_RUN as usize] = false;
            slot.run_writer = None;
        }
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

    pub fn run_writer(&self, slot: usize) -> Option<ConnId> {
        self.slots.get(slot).and_then(|s| s.run_writer)
    }

    pub fn has_connection(&self, conn: ConnId) -> bool {
        self.connections.contains(&conn)
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
            WhenFull::CloseOldest => {
                let oldest = self.connections.remove(0);
                self.drop_connection_requests(oldest);
                self.connections.push(conn);
                self.stats.connections_evicted += 1;
                Admission::AcceptedClosing(oldest)
            }
        }
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
        if self.profile.on_malformed == OnBadTraffic::Fault {
            self.raise_fault(t, FaultCause::Malformed);
        }
        true
    }

    /// A framed request that does not decode (seen by a live server's tap before the
    /// Modbus stack rejects it): a fragile device hangs on it.
    pub fn malformed(&mut self, t: Micros) {
        self.stats.requests += 1;
        if self.profile.on_malformed == OnBadTraffic::Fault {
            self.raise_fault(t, FaultCause::Malformed);
        }
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
        let recovery = self.profile.watchdog.map(|(_, r)| r).unwrap_or(0);
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

    /// Refresh the input image from the plant now (what a scan does before serving).
    pub fn refresh_inputs(&mut self, plant: &Plant) {
        self.read_inputs(plant);
    }

    fn read_inputs(&mut self, plant: &Plant) {
        for slot in &mut self.slots {
            let st = &plant.stations[slot.station];
            let state = st.state();
            let c = &st.counters;
            let mut flags = 0;
            if st.repair_in_progress() {
                flags |= F_REPAIR;
            }
            if st.trip_ready() {
                flags |= F_TRIP_READY;
            }
            if slot.coils[C_RUN as usize] {
                flags |= F_RUN_CMD;
            }
            let inp = &mut slot.input;
            inp[I_STATE as usize] = state.code();
            let put32 = |inp: &mut [u16; 17], at: u16, v: u64| {
                inp[at as usize] = (v >> 16) as u16;
                inp[at as usize + 1] = v as u16;
            };
            put32(inp, I_UNITS_IN, c.units_in);
            put32(inp, I_UNITS_OUT, c.units_out);
            put32(inp, I_SCRAP, c.scrap_quality + c.scrap_temperature);
            inp[I_BUFFER as usize] = plant.buffers[slot.station].level.min(65535) as u16;
            inp[I_SPEED as usize] = st.speed_pct;
            inp[I_FAILURES as usize] = c.failures as u16;
            inp[I_TRIPS as usize] = c.trips as u16;
            let mut out_of_band = false;
            if let Some(th) = &st.thermal {
                inp[I_TEMP as usize] = deci(th.temp_c);
                inp[I_HEATER as usize] = (th.heater * 1000.0).round() as u16;
                out_of_band = th.temp_c < th.band_c.0 || th.temp_c > th.band_c.1;
                if out_of_band {
                    flags |= F_OUT_OF_BAND;
                }
            }
            inp[I_FLAGS as usize] = flags;
            slot.discrete = [
                state == State::Running,
                state == State::Starved,
                state == State::Blocked,
                state == State::Failed,
                matches!(state, State::Stopped(_)),
                state == State::Tripped,
                st.repair_in_progress(),
                st.trip_ready(),
                out_of_band,
            ];
        }
    }

    fn serve(&mut self, t: Micros) {
        let n = self.inbox.len().min(self.profile.requests_per_scan);
        let ready_at = t + self.profile.reply_latency_scans * self.scan;
        for _ in 0..n {
            let Some(req) = self.inbox.pop_front() else {
                break;
            };
            // Who is asking, for the record of who wrote what (and who faulted it).
            self.current_conn = Some(req.conn);
            let reply = self.process(t, &req.adu);
            self.current_conn = None;
            if let Some(adu) = reply {
                self.outbox.push_back(Outbound {
                    conn: req.conn,
                    adu,
                    ready_at,
                });
            }
            if self.fault.is_some() {
                return;
            }
        }
        // Watchdog: the queue overflowed since the last scan, scan after scan.
        let overflowed = std::mem::take(&mut self.overflow_since_scan) > 0;
        if let Some((limit, _)) = self.profile.watchdog {
            if overflowed {
                self.overload_scans += 1;
                if self.overload_scans >= limit {
                    self.raise_fault(t, FaultCause::Overload);
                }
            } else {
                self.overload_scans = 0;
            }
        }
    }

    /// Decode one ADU, serve it, encode the reply (`None`: no reply is sent).
    fn process(&mut self, t: Micros, adu: &[u8]) -> Option<Vec<u8>> {
        self.stats.requests += 1;
        let Ok((header, pdu)) = parse_adu(adu) else {
            // The framer only passes whole frames; a bad one here is dropped.
            self.stats.dropped += 1;
            return None;
        };
        let tid = header.transaction_id;
        let unit = header.unit_id;
        let result = match Request::decode_pdu(pdu) {
            Ok(req) => {
                if self.listen_only {
                    // Listen-only: nothing is answered but the restart that ends it.
                    if let Request::Diagnostics {
                        sub_function: diag::RESTART_COMMUNICATIONS,
                        ..
                    } = req
                    {
                        self.listen_only = false;
                    }
                    self.stats.dropped += 1;
                    return None;
                }
                let r = self.handle(&req);
                if r == Err(ExceptionCode::IllegalFunction)
                    && self.profile.on_unsupported == OnBadTraffic::Fault
                {
                    self.raise_fault(t, FaultCause::Unsupported);
                    return None;
                }
                if let Request::Diagnostics {
                    sub_function: diag::FORCE_LISTEN_ONLY,
                    ..
                } = req
                {
                    return None;
                }
                r.map_err(|e| (req.function(), e))
            }
            Err(e) => {
                if self.profile.on_malformed == OnBadTraffic::Fault {
                    self.raise_fault(t, FaultCause::Malformed);
                    return None;
                }
                Err((e.function().unwrap_or(0), e.exception()))
            }
        };
        let response = match result {
            Ok(r) => r,
            Err((function, code)) => {
                self.stats.exceptions += 1;
                Response::exception(function, code)
            }
        };
        Some(response_adu(tid, unit, &response))
    }

    /// Serve one request from the register image. Writes take effect in the image now and
    /// on the plant at this scan's logic.
    pub fn handle(&mut self, req: &Request) -> Result<Response, ExceptionCode> {
        if let Some(r) = self.read(req) {
            return r;
        }
        match *req {
            // Reads were served above.
            Request::ReadCoils { .. }
            | Request::ReadDiscreteInputs { .. }
            | Request::ReadHoldingRegisters { .. }
            | Request::ReadInputRegisters { .. } => Err(ExceptionCode::ServerDeviceFailure),
            Request::WriteSingleCoil { address, value } => {
                self.write_bits(address, &[value])?;
                Ok(Response::WriteSingleCoil { address, value })
            }
            Request::WriteSingleRegister { address, value } => {
                self.write_regs(address, &[value])?;
                Ok(Response::WriteSingleRegister { address, value })
            }
            Request::WriteMultipleCoils {
                address,
                ref values,
            } => {
                self.write_bits(address, values)?;
                Ok(Response::WriteMultipleCoils {
                    address,
                    quantity: values.len() as u16,
                })
            }
            Request::WriteMultipleRegisters {
                address,
                ref values,
            } => {
                self.write_regs(address, values)?;
                Ok(Response::WriteMultipleRegisters {
                    address,
                    quantity: values.len() as u16,
                })
            }
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                ref values,
            } => {
                // The write happens before the read (specification, FC 23).
                self.write_regs(write_address, values)?;
                Ok(Response::ReadWriteMultipleRegisters(self.read_regs(
                    Table::HoldingRegister,
                    read_address,
                    read_quantity,
                )?))
            }
            Request::Diagnostics {
                sub_function,
                ref data,
            } => match sub_function {
                diag::RETURN_QUERY_DATA => Ok(Response::Diagnostics {
                    sub_function,
                    data: data.clone(),
                }),
                diag::RESTART_COMMUNICATIONS => {
                    self.listen_only = false;
                    Ok(Response::Diagnostics {
                        sub_function,
                        data: data.clone(),
                    })
                }
                diag::FORCE_LISTEN_ONLY => {
                    self.listen_only = true;
                    Ok(Response::Diagnostics {
                        sub_function,
                        data: data.clone(),
                    })
                }
                _ => Err(ExceptionCode::IllegalFunction),
            },
            Request::ReportServerId => Ok(Response::ReportServerId {
                server_id: self.unit_id,
                running: self.mode_run && self.fault.is_none(),
                additional: format!("faultline {} ({})", self.name, self.profile.name).into_bytes(),
            }),
            Request::ReadDeviceIdentification {
                read_code,
                object_id,
            } => self.device_identification(read_code, object_id),
            Request::Raw { .. } => Err(ExceptionCode::IllegalFunction),
        }
    }

    /// Serve a read (FC 01–04) from the image; `None` for any other request.
    pub fn read(&self, req: &Request) -> Option<Result<Response, ExceptionCode>> {
        Some(match *req {
            Request::ReadCoils { address, quantity } => self
                .read_bits(Table::Coil, address, quantity)
                .map(|b| Response::ReadCoils(pad(b))),
            Request::ReadDiscreteInputs { address, quantity } => self
                .read_bits(Table::DiscreteInput, address, quantity)
                .map(|b| Response::ReadDiscreteInputs(pad(b))),
            Request::ReadHoldingRegisters { address, quantity } => self
                .read_regs(Table::HoldingRegister, address, quantity)
                .map(Response::ReadHoldingRegisters),
            Request::ReadInputRegisters { address, quantity } => self
                .read_regs(Table::InputRegister, address, quantity)
                .map(Response::ReadInputRegisters),
            _ => return None,
        })
    }

    fn device_identification(
        &self,
        read_code: u8,
        object_id: u8,
    ) -> Result<Response, ExceptionCode> {
        let objects: [(u8, String); 4] = [
            (0x00, "faultline".to_string()),
            (0x01, format!("virtual-plc-{}", self.profile.name)),
            (0x02, env!("CARGO_PKG_VERSION").to_string()),
            (0x05, self.name.clone()),
        ];
        let chosen: Vec<(u8, Vec<u8>)> = match read_code {
            // Basic (1) holds objects 0–2; regular (2) and extended (3) add the rest.
            1..=3 => objects
                .iter()
                .filter(|(id, _)| *id >= object_id && (read_code > 1 || *id <= 0x02))
                .map(|(i, v)| (*i, v.clone().into_bytes()))
                .collect(),
            4 => match objects.iter().find(|(id, _)| *id == object_id) {
                Some((i, v)) => vec![(*i, v.clone().into_bytes())],
                None => return Err(ExceptionCode::IllegalDataAddress),
            },
            _ => return Err(ExceptionCode::IllegalDataValue),
        };
        Ok(Response::ReadDeviceIdentification {
            read_code,
            conformity: 0x82,
            more_follows: false,
            next_object_id: 0,
            objects: chosen,
        })
    }

    /// (slot, offset) of a station address, or the system block.
    fn locate(&self, table: Table, address: u16) -> Option<Loc> {
        if address >= SYSTEM {
            let off = address - SYSTEM;
            return (off < system_len(table)).then_some(Loc::System(off));
        }
        let (slot, off) = (usize::from(address / BLOCK), address % BLOCK);
        let s = self.slots.get(slot)?;
        (off < block_len(table, s.thermal)).then_some(Loc::Station(slot, off))
    }

    /// Where address `address + k` lands; Illegal Data Address outside the map.
    fn loc_at(&self, table: Table, address: u16, k: u16) -> Result<Loc, ExceptionCode> {
        address
            .checked_add(k)
            .and_then(|addr| self.locate(table, addr))
            .ok_or(ExceptionCode::IllegalDataAddress)
    }

    /// Every location of a request, checked before anything is written (a write is
    /// served whole or not at all).
    fn locations(
        &self,
        table: Table,
        address: u16,
        quantity: u16,
    ) -> Result<Vec<Loc>, ExceptionCode> {
        (0..quantity)
            .map(|k| self.loc_at(table, address, k))
            .collect()
    }

    /// A whole range that lies inside one station block (the common read), from the
    /// slot's table that `table_of` picks; `None` sends the caller through the
    /// per-address checks.
    fn block_slice<'a, T>(
        &'a self,
        table: Table,
        address: u16,
        quantity: u16,
        table_of: impl Fn(&'a Slot) -> &'a [T],
    ) -> Option<&'a [T]> {
        if address >= SYSTEM {
            return None;
        }
        let (slot, off) = (usize::from(address / BLOCK), usize::from(address % BLOCK));
        let s = self.slots.get(slot)?;
        let end = off + usize::from(quantity);
        (end <= usize::from(block_len(table, s.thermal))).then(|| &table_of(s)[off..end])
    }

    fn read_bits(
        &self,
        table: Table,
        address: u16,
        quantity: u16,
    ) -> Result<Vec<bool>, ExceptionCode> {
        let coils = table == Table::Coil;
        if let Some(bits) = self.block_slice(table, address, quantity, |s| {
            if coils { &s.coils } else { &s.discrete }
        }) {
            return Ok(bits.to_vec());
        }
        (0..quantity)
            .map(|k| match self.loc_at(table, address, k)? {
                Loc::Station(s, o) if table == Table::Coil => {
                    Ok(self.slots[s].coils[usize::from(o)])
                }
                Loc::Station(s, o) => Ok(self.slots[s].discrete[usize::from(o)]),
                Loc::System(_) => Err(ExceptionCode::IllegalDataAddress),
            })
            .collect()
    }

    fn read_regs(
        &self,
        table: Table,
        address: u16,
        quantity: u16,
    ) -> Result<Vec<u16>, ExceptionCode> {
        let holding = table == Table::HoldingRegister;
        if let Some(regs) = self.block_slice(table, address, quantity, |s| {
            if holding { &s.holding } else { &s.input }
        }) {
            return Ok(regs.to_vec());
        }
        let mut out = Vec::with_capacity(usize::from(quantity));
        for k in 0..quantity {
            out.push(match self.loc_at(table, address, k)? {
                Loc::Station(s, o) if table == Table::HoldingRegister => {
                    self.slots[s].holding[usize::from(o)]
                }
                Loc::Station(s, o) => self.slots[s].input[usize::from(o)],
                Loc::System(o) => self.system_register(table, o),
            });
        }
        Ok(out)
    }

    fn system_register(&self, table: Table, off: u16) -> u16 {
        match (table, off) {
            (Table::HoldingRegister, S_MODE) => u16::from(self.mode_run),
            (Table::InputRegister, S_SCANS) => self.scans as u16,
            (Table::InputRegister, S_CONNECTIONS) => self.connections.len() as u16,
            (Table::InputRegister, S_QUEUE) => self.inbox.len() as u16,
            (Table::InputRegister, S_STATIONS) => self.slots.len() as u16,
            _ => 0,
        }
    }

    fn write_bits(&mut self, address: u16, values: &[bool]) -> Result<(), ExceptionCode> {
        // Check the whole range first: a write is all or nothing.
        let locs = self.locations(Table::Coil, address, values.len() as u16)?;
        for (loc, v) in locs.into_iter().zip(values) {
            let Loc::Station(s, o) = loc else {
                return Err(ExceptionCode::IllegalDataAddress);
            };
            self.slots[s].coils[usize::from(o)] = *v;
            if o == C_RUN {
                self.slots[s].run_writer = self.current_conn;
            }
        }
        Ok(())
    }

    fn write_regs(&mut self, address: u16, values: &[u16]) -> Result<(), ExceptionCode> {
        let locs = self.locations(Table::HoldingRegister, address, values.len() as u16)?;
        for (loc, v) in locs.iter().zip(values) {
            // Range checks, as a PLC program's input validation would do.
            let ok = match *loc {
                Loc::System(S_MODE) => *v <= 1,
                Loc::System(_) => false,
                Loc::Station(_, H_SPEED) => (10..=200).contains(v),
                Loc::Station(_, H_HEATER_MANUAL) => *v <= 1000,
                Loc::Station(_, H_TEMP_SP) => (*v as i16) >= -500 && (*v as i16) <= 2000,
                Loc::Station(..) => true,
            };
            if !ok {
                return Err(ExceptionCode::IllegalDataValue);
            }
        }
        for (loc, v) in locs.into_iter().zip(values) {
            match loc {
                Loc::System(_) => {
                    self.mode_run = *v == 1;
                    self.mode_writer = self.current_conn;
                }
                Loc::Station(s, o) => self.slots[s].holding[usize::from(o)] = *v,
            }
        }
        Ok(())
    }

    fn logic_and_outputs(&mut self, t: Micros, plant: &mut Plant) {
        for slot in &mut self.slots {
            let i = slot.station;
            // Pulses act once and clear.
            if std::mem::take(&mut slot.coils[C_MAINTENANCE as usize])
                && plant.stations[i].state() == State::Failed
            {
                plant.call_maintenance(i, t);
            }
            if std::mem::take(&mut slot.coils[C_FAULT_RESET as usize]) {
                plant.reset_trip(i, t);
            }
            let (enable, reason) = if self.fault.is_some() {
                (false, StopReason::PlcFault)
            } else if !self.mode_run {
                (false, StopReason::PlcStop)
            } else {
                (slot.coils[C_RUN as usize], StopReason::Command)
            };
            plant.command(i, t, enable, reason, slot.holding[H_SPEED as usize]);
            if let Some(th) = plant.stations[i].thermal.as_mut() {
                // Outputs drop to zero when the program does not run.
                th.heater = if self.fault.is_some() || !self.mode_run {
                    0.0
                } else if slot.coils[C_HEATER_AUTO as usize] {
                    let sp = f64::from(slot.holding[H_TEMP_SP as usize] as i16) / 10.0;
                    let kp = f64::from(slot.holding[H_KP as usize]) / 100.0;
                    let ti = f64::from(slot.holding[H_TI as usize]);
                    let td = f64::from(slot.holding[H_TD as usize]);
                    let dt = self.scan as f64 / 1e6;
                    pid_step(&mut slot.pid, sp - th.temp_c, kp, ti, td, dt) / 100.0
                } else {
                    f64::from(slot.holding[H_HEATER_MANUAL as usize]) / 1000.0
                };
            }
        }
    }
}

/// One step of a PID in standard (ISA) form with conditional integration as anti-windup;
/// output in percent, 0..100.
fn pid_step(pid: &mut Pid, error: f64, kp: f64, ti_s: f64, td_s: f64, dt: f64) -> f64 {
    let derivative = pid.prev_error.map(|p| (error - p) / dt).unwrap_or(0.0);
    pid.prev_error = Some(error);
    let integral = if ti_s > 0.0 {
        pid.integral + error * dt / ti_s
    } else {
        0.0
    };
    let raw = kp * (error + integral + td_s * derivative);
    // Integrate only while the output is not saturated in the error's direction.
    if (0.0..=100.0).contains(&raw) || (raw > 100.0 && error < 0.0) || (raw < 0.0 && error > 0.0) {
        pid.integral = integral;
    }
    raw.clamp(0.0, 100.0)
}

#[derive(Clone, Copy, Debug)]
enum Loc {
    Station(usize, u16),
    System(u16),
}

/// Bits padded to whole bytes, as they go on the wire.
fn pad(mut bits: Vec<bool>) -> Vec<bool> {
    bits.resize(bits.len().div_ceil(8) * 8, false);
    bits
}

pub use crate::modbus::SUPPORTED;

/// The devices part of the World: the PLCs with their connection tables, which PLC runs
/// each station, and what the devices have for clients outside the World (live sockets).
pub struct Devices {
    pub plcs: Vec<Plc>,
    /// Stations' PLC index, for labels.
    pub station_plc: Vec<usize>,
    /// Replies to external connections, for the live adapter to send.
    pub external_replies: Vec<(ConnId, Vec<u8>)>,
    /// External connections the device closed (evicted when full, or after garbage).
    pub closed_by_device: Vec<ConnId>,
}

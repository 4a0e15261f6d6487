//! The register map: what each address of a virtual PLC means. Station k of a PLC owns
//! the block starting at k × 100 in every table; the PLC's own registers sit at 9000.
//! `faultline map SCENARIO` prints this for a scenario's PLCs; docs/register-map.md
//! is generated from the same table.

use serde::Serialize;

/// Addresses per station block.
pub const BLOCK: u16 = 100;
/// Start of the PLC-wide (system) registers.
pub const SYSTEM: u16 = 9000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum Table {
    Coil,
    DiscreteInput,
    HoldingRegister,
    InputRegister,
}

impl Table {
    pub fn label(self) -> &'static str {
        match self {
            Table::Coil => "coil",
            Table::DiscreteInput => "discrete input",
            Table::HoldingRegister => "holding register",
            Table::InputRegister => "input register",
        }
    }

    /// Function codes that read or write this table.
    pub fn functions(self) -> &'static str {
        match self {
            Table::Coil => "FC01 read, FC05/FC15 write",
            Table::DiscreteInput => "FC02 read",
            Table::HoldingRegister => "FC03 read, FC06/FC16/FC23 write",
            Table::InputRegister => "FC04 read",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Access {
    Read,
    ReadWrite,
    /// Write 1 to act; the PLC clears it in the same scan.
    Pulse,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Point {
    pub table: Table,
    pub offset: u16,
    pub name: &'static str,
    pub unit: &'static str,
    pub access: Access,
    /// Present only in blocks of thermal stations.
    pub thermal: bool,
    /// A 32-bit value over two registers, high word first.
    pub wide: bool,
    pub doc: &'static str,
}

const fn p(
    table: Table,
    offset: u16,
    name: &'static str,
    unit: &'static str,
    access: Access,
    thermal: bool,
    doc: &'static str,
) -> Point {
    let b = unit.as_bytes();
    let wide = b.len() >= 3 && b[0] == b'u' && b[1] == b'3' && b[2] == b'2';
    Point {
        table,
        offset,
        name,
        unit,
        access,
        thermal,
        wide,
        doc,
    }
}

use Access::*;
use Table::*;

// Coils.
pub const C_RUN: u16 = 0;
pub const C_FAULT_RESET: u16 = 1;
pub const C_MAINTENANCE: u16 = 2;
pub const C_HEATER_AUTO: u16 = 3;
// Discrete inputs.
pub const D_RUNNING: u16 = 0;
// Holding registers.
pub const H_SPEED: u16 = 0;
pub const H_PRODUCT: u16 = 1;
pub const H_TEMP_SP: u16 = 2;
pub const H_HEATER_MANUAL: u16 = 3;
pub const H_KP: u16 = 4;
pub const H_TI: u16 = 5;
pub const H_TD: u16 = 6;
// Input registers.
pub const I_STATE: u16 = 0;
pub const I_FLAGS: u16 = 1;
pub const I_UNITS_IN: u16 = 2;
pub const I_UNITS_OUT: u16 = 4;
pub const I_SCRAP: u16 = 6;
pub const I_BUFFER: u16 = 8;
pub const I_SPEED: u16 = 9;
pub const I_FAILURES: u16 = 10;
pub const I_TRIPS: u16 = 11;
pub const I_TEMP: u16 = 12;
pub const I_HEATER: u16 = 13;
pub const I_BAND_LOW: u16 = 14;
pub const I_BAND_HIGH: u16 = 15;
pub const I_TRIP_LIMIT: u16 = 16;
// Flags in I_FLAGS.
pub const F_REPAIR: u16 = 1 << 0;
pub const F_TRIP_READY: u16 = 1 << 1;
pub const F_OUT_OF_BAND: u16 = 1 << 2;
pub const F_RUN_CMD: u16 = 1 << 3;
// System registers (offsets from SYSTEM).
pub const S_MODE: u16 = 0;
pub const S_SCANS: u16 = 0;
pub const S_CONNECTIONS: u16 = 1;
pub const S_QUEUE: u16 = 2;
pub const S_STATIONS: u16 = 3;

/// Station block points, every table.
pub const STATION: &[Point] = &[
    p(
        Coil,
        C_RUN,
        "run_cmd",
        "bool",
        ReadWrite,
        false,
        "Run command: 1 = run, 0 = stop (a unit in the machine waits)",
    ),
    p(
        Coil,
        C_FAULT_RESET,
        "fault_reset",
        "bool",
        Pulse,
        false,
        "Reset a safety trip once cooled and inspected",
    ),
    p(
        Coil,
        C_MAINTENANCE,
        "maintenance_call",
        "bool",
        Pulse,
        false,
        "Call maintenance to a failed station (the repair starts)",
    ),
    p(
        Coil,
        C_HEATER_AUTO,
        "heater_auto",
        "bool",
        ReadWrite,
        true,
        "Heater control: 1 = PID on the setpoint, 0 = manual output",
    ),
    p(
        DiscreteInput,
        0,
        "running",
        "bool",
        Read,
        false,
        "Processing a unit",
    ),
    p(
        DiscreteInput,
        1,
        "starved",
        "bool",
        Read,
        false,
        "Enabled, input buffer empty",
    ),
    p(
        DiscreteInput,
        2,
        "blocked",
        "bool",
        Read,
        false,
        "Enabled, no room downstream",
    ),
    p(
        DiscreteInput,
        3,
        "failed",
        "bool",
        Read,
        false,
        "Machine failure (alarm)",
    ),
    p(
        DiscreteInput,
        4,
        "stopped",
        "bool",
        Read,
        false,
        "Run command off, PLC in STOP or PLC fault",
    ),
    p(
        DiscreteInput,
        5,
        "tripped",
        "bool",
        Read,
        false,
        "Safety function tripped (alarm)",
    ),
    p(
        DiscreteInput,
        6,
        "repair_in_progress",
        "bool",
        Read,
        false,
        "Maintenance called and working",
    ),
    p(
        DiscreteInput,
        7,
        "trip_reset_ready",
        "bool",
        Read,
        false,
        "Cooled and inspected: fault_reset will take",
    ),
    p(
        DiscreteInput,
        8,
        "temp_out_of_band",
        "bool",
        Read,
        true,
        "Temperature outside the product band (alarm)",
    ),
    p(
        HoldingRegister,
        H_SPEED,
        "speed_sp",
        "% of nominal",
        ReadWrite,
        false,
        "Speed setpoint, 10..200",
    ),
    p(
        HoldingRegister,
        H_PRODUCT,
        "product_code",
        "code",
        ReadWrite,
        false,
        "Product being made (set at changeover)",
    ),
    p(
        HoldingRegister,
        H_TEMP_SP,
        "temp_sp",
        "0.1 °C",
        ReadWrite,
        true,
        "Temperature setpoint",
    ),
    p(
        HoldingRegister,
        H_HEATER_MANUAL,
        "heater_manual",
        "0.1 %",
        ReadWrite,
        true,
        "Heater output in manual, 0..1000",
    ),
    p(
        HoldingRegister,
        H_KP,
        "pid_kp",
        "0.01 %/°C",
        ReadWrite,
        true,
        "PID proportional gain",
    ),
    p(
        HoldingRegister,
        H_TI,
        "pid_ti",
        "s",
        ReadWrite,
        true,
        "PID integral time (0 = off)",
    ),
    p(
        HoldingRegister,
        H_TD,
        "pid_td",
        "s",
        ReadWrite,
        true,
        "PID derivative time",
    ),
    p(
        InputRegister,
        I_STATE,
        "state",
        "code",
        Read,
        false,
        "0 stopped, 1 running, 2 starved, 3 blocked, 4 failed, 5 tripped, 6 PLC in STOP, 7 PLC fault",
    ),
    p(
        InputRegister,
        I_FLAGS,
        "flags",
        "bits",
        Read,
        false,
        "bit 0 repair in progress, 1 trip reset ready, 2 temperature out of band, 3 run command",
    ),
    p(
        InputRegister,
        I_UNITS_IN,
        "units_in",
        "u32 hi,lo",
        Read,
        false,
        "Units taken in (two registers, high word first)",
    ),
    p(
        InputRegister,
        I_UNITS_OUT,
        "units_out",
        "u32 hi,lo",
        Read,
        false,
        "Good units passed on",
    ),
    p(
        InputRegister,
        I_SCRAP,
        "scrap",
        "u32 hi,lo",
        Read,
        false,
        "Units scrapped here",
    ),
    p(
        InputRegister,
        I_BUFFER,
        "buffer_level",
        "units",
        Read,
        false,
        "Units waiting in the input buffer",
    ),
    p(
        InputRegister,
        I_SPEED,
        "speed",
        "% of nominal",
        Read,
        false,
        "Speed in force",
    ),
    p(
        InputRegister,
        I_FAILURES,
        "failures",
        "count",
        Read,
        false,
        "Failures since start (wraps at 65536)",
    ),
    p(
        InputRegister,
        I_TRIPS,
        "trips",
        "count",
        Read,
        false,
        "Safety trips since start",
    ),
    p(
        InputRegister,
        I_TEMP,
        "temperature",
        "0.1 °C, signed",
        Read,
        true,
        "Zone temperature",
    ),
    p(
        InputRegister,
        I_HEATER,
        "heater",
        "0.1 %",
        Read,
        true,
        "Heater output in force",
    ),
    p(
        InputRegister,
        I_BAND_LOW,
        "band_low",
        "0.1 °C, signed",
        Read,
        true,
        "Lower product temperature limit",
    ),
    p(
        InputRegister,
        I_BAND_HIGH,
        "band_high",
        "0.1 °C, signed",
        Read,
        true,
        "Upper product temperature limit",
    ),
    p(
        InputRegister,
        I_TRIP_LIMIT,
        "trip_limit",
        "0.1 °C, signed",
        Read,
        true,
        "Safety trip temperature",
    ),
];

/// PLC-wide points at SYSTEM + offset.
pub const SYSTEM_POINTS: &[Point] = &[
    p(
        HoldingRegister,
        S_MODE,
        "mode",
        "code",
        ReadWrite,
        false,
        "1 = RUN, 0 = STOP (program halted, all stations stop)",
    ),
    p(
        InputRegister,
        S_SCANS,
        "scan_count",
        "count",
        Read,
        false,
        "Scans since start (wraps)",
    ),
    p(
        InputRegister,
        S_CONNECTIONS,
        "connections",
        "count",
        Read,
        false,
        "Open Modbus/TCP server connections",
    ),
    p(
        InputRegister,
        S_QUEUE,
        "queue_depth",
        "requests",
        Read,
        false,
        "Requests waiting in the communication module",
    ),
    p(
        InputRegister,
        S_STATIONS,
        "stations",
        "count",
        Read,
        false,
        "Stations this PLC controls",
    ),
];

const fn span(points: &[Point], table: Table, thermal: bool) -> u16 {
    let mut max = 0;
    let mut i = 0;
    while i < points.len() {
        let p = &points[i];
        if p.table as u8 == table as u8 && (thermal || !p.thermal) {
            let w = if p.wide { 2 } else { 1 };
            if p.offset + w > max {
                max = p.offset + w;
            }
        }
        i += 1;
    }
    max
}

const TABLES: [Table; 4] = [Coil, DiscreteInput, HoldingRegister, InputRegister];

const fn lens(points: &[Point], thermal: bool) -> [u16; 4] {
    let mut out = [0; 4];
    let mut i = 0;
    while i < 4 {
        out[i] = span(points, TABLES[i], thermal);
        i += 1;
    }
    out
}

const MACHINE_LENS: [u16; 4] = lens(STATION, false);
const THERMAL_LENS: [u16; 4] = lens(STATION, true);
const SYSTEM_LENS: [u16; 4] = lens(SYSTEM_POINTS, true);

/// Number of addresses of `table` in a station block of the given kind.
pub fn block_len(table: Table, thermal: bool) -> u16 {
    if thermal {
        THERMAL_LENS[table as usize]
    } else {
        MACHINE_LENS[table as usize]
    }
}

/// Number of addresses of `table` in the system block.
pub fn system_len(table: Table) -> u16 {
    SYSTEM_LENS[table as usize]
}

/// Registers a point spans (u32 counters span two).
pub fn width(p: &Point) -> u16 {
    if p.wide { 2 } else { 1 }
}

//! The line: stations, their failures and thermal process, the PLCs that run them, the
//! HMI and its operator, the production schedule.

use crate::dist::Dist;
use serde::{Deserialize, Serialize};

/// One station of the line: a machine or a thermal process, with its buffer and failures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StationSpec {
    /// The station's name (unique); PLCs, feeds and reports use it.
    pub name: String,
    /// A plain machine (the default) or a thermal process.
    #[serde(default)]
    pub kind: StationKind,
    /// Nominal cycle time per unit at 100 % speed.
    pub cycle_s: f64,
    /// Coefficient of variation of the cycle time (normal jitter, clipped at ±3σ).
    #[serde(default)]
    pub jitter_cv: f64,
    /// Capacity of the station's input buffer, in units. Ignored for a source (a station
    /// that nothing feeds draws from an unlimited supply).
    #[serde(default = "default_buffer")]
    pub buffer: u32,
    /// Stations this one sends its output to. Empty: the line's output (a sink).
    /// Several: a split (each unit goes to the one with the most free space).
    #[serde(default)]
    pub feeds: Vec<String>,
    /// Random breakdowns of the machine (None: it never fails).
    #[serde(default)]
    pub failures: Option<FailureSpec>,
    /// Fraction of units that come out good; the rest are scrapped here.
    #[serde(default = "one", rename = "yield")]
    pub yield_fraction: f64,
}

fn default_buffer() -> u32 {
    10
}

fn one() -> f64 {
    1.0
}

/// What a station does to a unit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum StationKind {
    /// A machine that processes a unit per cycle.
    #[default]
    Machine,
    /// A thermal process (tunnel pasteurizer) with a PID-controlled heater and a safety trip.
    Thermal(ThermalSpec),
}

/// Random breakdowns: operating time between failures and the repair time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    /// Operating time between failures (counted while the station runs), in hours.
    pub between_h: Dist,
    /// Repair time once maintenance is at the machine, in minutes.
    pub repair_min: Dist,
}

/// A heated zone: first-order temperature, a PID heater, a recipe band and a safety trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThermalSpec {
    /// Temperature of the surroundings (the zone's temperature with the heater off).
    pub ambient_c: f64,
    /// Temperature at the start of the run (default: ambient).
    #[serde(default)]
    pub initial_c: Option<f64>,
    /// First-order time constant of the zone temperature.
    pub tau_s: f64,
    /// Steady-state rise above ambient at 100 % heater output, with no product.
    pub gain_c: f64,
    /// Steady-state drop while product flows through (cold bottles absorb heat).
    pub load_c: f64,
    /// The PID's setpoint at the start of the run (a changeover can change it).
    pub setpoint_c: f64,
    /// Product completed outside [low, high] is under- or over-processed: scrap. The band
    /// of product 1 and of any product without a band of its own in `product_bands`.
    pub band_c: (f64, f64),
    /// The recipe's band for other products: `[(2, (63.0, 66.0))]` — product 2 completed
    /// outside 63–66 °C is scrap. The band changes at the changeover to the product.
    #[serde(default)]
    pub product_bands: Vec<(u16, (f64, f64))>,
    /// The independent safety function trips the station above this temperature.
    pub trip_above_c: f64,
    /// After a trip the station cools below this before inspection can start.
    pub reset_below_c: f64,
    /// After a safety trip, the inspection before the station may restart.
    pub inspection_min: f64,
    /// The heater's PID controller.
    pub pid: PidSpec,
}

impl ThermalSpec {
    /// The recipe's temperature band for a product.
    pub fn band_for(&self, product: u16) -> (f64, f64) {
        self.product_bands
            .iter()
            .find(|(p, _)| *p == product)
            .map_or(self.band_c, |(_, b)| *b)
    }
}

/// A PID controller's tuning (ISA form).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PidSpec {
    /// Proportional gain, % output per °C of error.
    pub kp: f64,
    /// Integral time constant in seconds (0: no integral action).
    pub ti_s: f64,
    /// Derivative time in seconds.
    #[serde(default)]
    pub td_s: f64,
}

/// A virtual PLC: its stations, its device profile and its address.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlcSpec {
    /// The PLC's name (unique), used by attacks, rules and reports.
    pub name: String,
    /// Stations this PLC controls; station k's registers start at k × 100.
    pub stations: Vec<String>,
    /// The device profile (`modern`, `legacy`, a library name or one of `profiles`).
    pub profile: String,
    /// IPv4 address on the plant network (shown in captures and in live mode).
    pub address: String,
    /// The Modbus unit identifier the PLC answers to.
    #[serde(default = "default_unit")]
    pub unit_id: u8,
    /// The PLC's scan cycle (a multiple of `tick_ms`).
    #[serde(default = "default_scan_ms")]
    pub scan_ms: u32,
}

fn default_unit() -> u8 {
    1
}

fn default_scan_ms() -> u32 {
    100
}

/// The HMI/SCADA server and its polling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HmiSpec {
    /// The HMI's host name (rules and reports use it).
    #[serde(default = "default_hmi_name")]
    pub name: String,
    /// The HMI's IPv4 address.
    pub address: String,
    /// Fast poll of every PLC's status block (FC04).
    pub poll_ms: u32,
    /// Every n-th poll also reads coils (FC01) and setpoints (FC03).
    #[serde(default = "default_slow_every")]
    pub slow_poll_every: u32,
    /// A poll with no answer within this is a communication loss.
    pub timeout_ms: u32,
    /// One-way network latency between the HMI and a PLC.
    #[serde(default = "default_latency_ms")]
    pub latency_ms: f64,
}

fn default_hmi_name() -> String {
    "scada".into()
}

fn default_slow_every() -> u32 {
    10
}

fn default_latency_ms() -> f64 {
    1.0
}

/// The operators at the HMI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// Time from an alarm showing on the HMI to the operator acting on it, in seconds.
    pub response_s: Dist,
    /// A failed machine nobody called maintenance for is noticed on the floor after this.
    pub floor_notice_min: f64,
}

impl Default for OperatorSpec {
    fn default() -> Self {
        OperatorSpec {
            response_s: Dist::LogNormal {
                mean: 45.0,
                cv: 0.5,
            },
            floor_notice_min: 15.0,
        }
    }
}

/// One entry of the operating schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEntry {
    /// When, hours into the run.
    pub at_h: f64,
    /// What the HMI commands then.
    pub action: Action,
}

/// What the operating schedule has the HMI do. Each becomes Modbus writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// Run command on for every station (production is planned from here).
    StartLine,
    /// Run command off for every station (planned stop: end of shift, cleaning).
    StopLine,
    /// A product changeover: new product code and setpoints.
    Changeover {
        /// The new product code.
        product: u16,
        /// The recipe's setpoints for the new product.
        setpoints: Vec<Setpoint>,
    },
}

/// One setpoint of a recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Setpoint {
    /// Station speed in percent of nominal.
    Speed(String, u16),
    /// Thermal station temperature setpoint in °C.
    Temperature(String, f64),
}

/// The line as a whole: its planned rate, its bottleneck, island mode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LineSpec {
    /// Planned output rate (default: the bottleneck's nominal rate).
    #[serde(default)]
    pub target_per_h: Option<f64>,
    /// The station whose stops the line's downtime is measured at (default: the stage
    /// with the least nominal capacity).
    #[serde(default)]
    pub bottleneck: Option<String>,
    /// Whether the line can run without the MES (local recipes, orders and labels):
    /// "island mode". Without it, losing the MES stops the line.
    #[serde(default)]
    pub island_mode: bool,
}

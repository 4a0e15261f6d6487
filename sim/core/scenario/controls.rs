//! What the scenario says about the controls that inspect traffic: the Modbus DPI's policy
//! and the IDS's settings. The controls themselves live in `controls/`; this is only their
//! configuration, so the scenario model depends on no control.

use super::Peer;
use crate::dist::Dist;
use crate::modbus::fc;
use serde::{Deserialize, Serialize};

/// Whether the DPI only watches or also blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Mode {
    /// Log and count what would be blocked; let everything through.
    Monitor,
    /// Block what the policy does not allow.
    Enforce,
}

/// How the DPI refuses a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum OnBlock {
    /// Answer the client with exception 01 (Illegal Function), as the device would.
    Exception,
    /// Reset the TCP connection.
    Reset,
}

/// The function codes a rule allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Preset {
    /// FC 01–04.
    ReadOnly,
    /// Reads and FC 05, 06, 0F, 10, 17.
    ReadWrite,
    /// Everything the PLCs implement, diagnostics and identification included.
    Programming,
}

impl Preset {
    pub fn functions(self) -> &'static [u8] {
        const READ: &[u8] = &[
            fc::READ_COILS,
            fc::READ_DISCRETE_INPUTS,
            fc::READ_HOLDING_REGISTERS,
            fc::READ_INPUT_REGISTERS,
        ];
        const RW: &[u8] = &[
            fc::READ_COILS,
            fc::READ_DISCRETE_INPUTS,
            fc::READ_HOLDING_REGISTERS,
            fc::READ_INPUT_REGISTERS,
            fc::WRITE_SINGLE_COIL,
            fc::WRITE_SINGLE_REGISTER,
            fc::WRITE_MULTIPLE_COILS,
            fc::WRITE_MULTIPLE_REGISTERS,
            fc::READ_WRITE_MULTIPLE_REGISTERS,
        ];
        match self {
            Preset::ReadOnly => READ,
            Preset::ReadWrite => RW,
            Preset::Programming => crate::modbus::SUPPORTED,
        }
    }
}

/// Address ranges for one function code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FunctionRanges {
    /// The Modbus function code.
    pub function: u8,
    /// Inclusive address ranges it may touch.
    pub ranges: Vec<(u16, u16)>,
}

/// Bounds on the values written to a range of holding registers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueBound {
    /// Inclusive range of holding register addresses.
    pub addresses: (u16, u16),
    /// Smallest value allowed.
    pub min: u16,
    /// Largest value allowed.
    pub max: u16,
}

/// A DPI rule: what one peer may do to a PLC or a zone of PLCs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// The client (a host by name, or a zone).
    pub from: Peer,
    /// A PLC (by name) or a zone of PLCs.
    pub to: Peer,
    /// The function codes allowed.
    pub preset: Preset,
    /// Inclusive address ranges reads may touch (empty: any).
    #[serde(default)]
    pub read_ranges: Vec<(u16, u16)>,
    /// Inclusive address ranges writes may touch (empty: any allowed by the preset).
    #[serde(default)]
    pub write_ranges: Vec<(u16, u16)>,
    /// Ranges for particular function codes, which replace the read or write ranges for
    /// that code (e.g. FC05 only on the run coils, FC06 only on the setpoints).
    #[serde(default)]
    pub function_ranges: Vec<FunctionRanges>,
    /// Bounds on the values written to holding registers (a setpoint's safe range).
    #[serde(default)]
    pub value_bounds: Vec<ValueBound>,
    /// Unit ids allowed (empty: any).
    #[serde(default)]
    pub unit_ids: Vec<u8>,
    /// Token bucket: sustained requests per second and burst, per client and device: all
    /// of a client's connections to one PLC share one bucket (in the twin, its host's; at
    /// `faultline proxy`, its address's), so reconnecting does not refill it.
    #[serde(default)]
    pub rate_limit: Option<(f64, f64)>,
}

/// Modbus deep packet inspection in front of the PLCs: an allow list of function codes,
/// addresses and values per client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DpiSpec {
    /// Monitor (log only) or Enforce (block).
    pub mode: Mode,
    /// How a blocked request is refused.
    #[serde(default = "default_on_block")]
    pub on_block: OnBlock,
    /// Inspection time added to every request.
    #[serde(default = "default_dpi_latency")]
    pub latency_ms: f64,
    /// The allow list; a request no rule allows is blocked (in Enforce).
    pub rules: Vec<PolicyRule>,
    /// Minutes from a blocked legitimate request (a false positive: the operator's write
    /// refused) to an engineer releasing that request for its PLC, after which the same
    /// request passes; repeats before the release are the same ticket, not new false
    /// positives. Default: about an hour (log-normal, mean 60, cv 0.5; an assumption).
    #[serde(default = "default_review")]
    pub review_min: Dist,
}

fn default_review() -> Dist {
    Dist::LogNormal {
        mean: 60.0,
        cv: 0.5,
    }
}

fn default_on_block() -> OnBlock {
    OnBlock::Exception
}

fn default_dpi_latency() -> f64 {
    0.05
}

/// A passive Modbus IDS that learns normal traffic and alerts on what departs from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdsSpec {
    /// Hours of traffic learned as normal from the start of the run.
    pub learn_h: f64,
    /// Time from the traffic to the alert on the analyst's screen, in seconds.
    pub detection_delay_s: Dist,
    /// Alerts with no attack behind them, per day.
    pub false_alarms_per_day: f64,
    /// A source's requests in a 10-second window above this multiple of its learned peak.
    #[serde(default = "default_spike")]
    pub rate_spike_factor: f64,
    /// The IDS was commissioned on the plant's normal operation before the run (weeks of
    /// learning, then tuned by the OT team, as real deployments are): it knows the HMI as
    /// each PLC's talker, the function codes the HMI uses, and the values its commands and
    /// recipes write (run and stop, fault resets, maintenance calls, every recipe's speed,
    /// product and temperature). `false`: it knows only the first `learn_h` hours.
    #[serde(default = "default_commissioned")]
    pub commissioned: bool,
}

fn default_commissioned() -> bool {
    true
}

fn default_spike() -> f64 {
    5.0
}

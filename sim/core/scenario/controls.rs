//! What the scenario says about the controls that inspect traffic: the Modbus DPI's policy
//! and the IDS's settings. The controls themselves live in `controls/`; this is only their
//! configuration, so the scenario model depends on no control.

use super::Peer;
use crate::dist::Dist;
use crate::modbus::fc;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// Log and count what would be blocked; let everything through.
    Monitor,
    /// Block what the policy does not allow.
    Enforce,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnBlock {
    /// Answer the client with exception 01 (Illegal Function), as the device would.
    Exception,
    /// Reset the TCP connection.
    Reset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionRanges {
    pub function: u8,
    pub ranges: Vec<(u16, u16)>,
}

/// Bounds on the values written to a range of holding registers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueBound {
    pub addresses: (u16, u16),
    pub min: u16,
    pub max: u16,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    pub from: Peer,
    /// A PLC (by name) or a zone of PLCs.
    pub to: Peer,
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
    #[serde(default)]
    pub value_bounds: Vec<ValueBound>,
    /// Unit ids allowed (empty: any).
    #[serde(default)]
    pub unit_ids: Vec<u8>,
    /// Token bucket per connection: sustained requests per second and burst.
    #[serde(default)]
    pub rate_limit: Option<(f64, f64)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpiSpec {
    pub mode: Mode,
    #[serde(default = "default_on_block")]
    pub on_block: OnBlock,
    /// Inspection time added to every request.
    #[serde(default = "default_dpi_latency")]
    pub latency_ms: f64,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

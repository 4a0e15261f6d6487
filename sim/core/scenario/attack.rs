//! The attacker and the campaign's steps, each with its ATT&CK for ICS techniques.

use crate::dist::Dist;
use serde::{Deserialize, Serialize};

/// An attacker that chooses its own timing: it enters at `start_h`, then tries each step
/// after a dwell time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackerSpec {
    /// The foothold (a `network.hosts` name).
    pub from: String,
    /// When the first step comes, hours into the run.
    pub start_h: Dist,
    /// Time between steps, hours.
    pub dwell_h: Dist,
    /// The steps tried in order, each working with its probability.
    pub steps: Vec<ChanceStep>,
}

/// One step of the stochastic attacker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChanceStep {
    /// The technique tried (as in `attacks`).
    pub step: AttackStep,
    /// The chance that the technique works when tried (an exploit, a guessed password…).
    pub success_probability: f64,
}

/// An attack step: real Modbus/TCP traffic from a host, at a time on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttackSpec {
    /// When the step starts, hours into the run.
    pub at_h: f64,
    /// The host the step runs from (a `network.hosts` name).
    pub from: String,
    /// The technique and its target.
    pub step: AttackStep,
}

/// An ATT&CK for ICS technique carried out as real Modbus/TCP traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum AttackStep {
    /// T0846 Remote System Discovery: a service scan of every PLC's Modbus port (an
    /// nmap -sV probe, then Report Server ID and Device Identification), `rate_per_s`
    /// targets a second.
    Scan {
        /// Targets probed per second.
        rate_per_s: f64,
    },
    /// T0836 Modify Parameter (through T0855 Unauthorized Command Message): FC06.
    WriteRegister {
        /// The target PLC (a `plcs` name).
        plc: String,
        /// The register or coil address (see docs/register-map.md).
        address: u16,
        /// The value written.
        value: u16,
    },
    /// T0831 Manipulation of Control (through T0855): FC05.
    WriteCoil {
        /// The target PLC (a `plcs` name).
        plc: String,
        /// The register or coil address (see docs/register-map.md).
        address: u16,
        /// The value written.
        value: bool,
    },
    /// T0814 Denial of Service: back-to-back FC03 reads.
    Flood {
        /// The target PLC (a `plcs` name).
        plc: String,
        /// Requests (or targets, for a scan) per second.
        rate_per_s: f64,
        /// How long the step lasts.
        duration_s: f64,
    },
    /// T0858 Change Operating Mode: the mode register to STOP.
    StopPlc {
        /// The target PLC (a `plcs` name).
        plc: String,
    },
    /// T0858 Change Operating Mode: FC08/04 force listen-only.
    ListenOnly {
        /// The target PLC (a `plcs` name).
        plc: String,
    },
    /// T0856 Spoof Reporting Message (T0832 Manipulation of View): an adversary in the
    /// middle of the HMI's connection to `plc` replays the status it showed when the step
    /// began (state, alarms, temperature) for `duration_s`. Needs a host in a zone on the
    /// path between the HMI and the PLC.
    SpoofReporting {
        /// The PLC whose reports are spoofed (a `plcs` name).
        plc: String,
        /// How long the replay lasts.
        duration_s: f64,
    },
    /// T0859 Valid Accounts: the HMI's shared account password, stolen on the IT side
    /// where it was reused, opens the HMI workstation remotely (VNC, port 5900, through
    /// the network and its firewalls); from the HMI the adversary writes `value` to holding
    /// register `address` of `plc` — traffic from the HMI's own address, which the zone
    /// firewalls and the DPI let through as the HMI's. Personal HMI accounts
    /// (`authentication`) stop it: the shared password opens none.
    HmiStolenPassword {
        /// The target PLC (a `plcs` name).
        plc: String,
        /// The holding register written (see docs/register-map.md).
        address: u16,
        /// The value written.
        value: u16,
    },
    /// Ransomware in IT (T0828 Loss of Productivity and Revenue, by way of IT): every host
    /// it can reach over SMB (port 445) through the network and its firewalls is encrypted
    /// — MES, historian, workstations, and the HMI if nothing stops it — until restored
    /// after `recovery_h`. Management may order a precautionary shutdown of the line.
    Ransomware {
        /// Time to restore the encrypted hosts: a number, or a distribution drawn once per
        /// step from the run's seed (`LogNormal(mean: 8.0, cv: 0.5)`: restores take longer
        /// on some days than on others).
        recovery_h: crate::dist::Quantity,
        /// Management orders the line stopped for this long as a precaution (None: it keeps
        /// running).
        precautionary_shutdown_h: Option<f64>,
    },
}

impl AttackStep {
    /// MITRE ATT&CK for ICS technique (v18.1).
    pub fn technique(&self) -> (&'static str, &'static str) {
        match self {
            AttackStep::Scan { .. } => ("T0846", "Remote System Discovery"),
            AttackStep::WriteRegister { .. } => ("T0836", "Modify Parameter"),
            AttackStep::WriteCoil { .. } => ("T0831", "Manipulation of Control"),
            AttackStep::Flood { .. } => ("T0814", "Denial of Service"),
            AttackStep::StopPlc { .. } | AttackStep::ListenOnly { .. } => {
                ("T0858", "Change Operating Mode")
            }
            AttackStep::SpoofReporting { .. } => ("T0856", "Spoof Reporting Message"),
            AttackStep::Ransomware { .. } => ("T0828", "Loss of Productivity and Revenue"),
            AttackStep::HmiStolenPassword { .. } => ("T0859", "Valid Accounts"),
        }
    }

    /// Every ATT&CK for ICS technique the step realises, its main one first
    /// (docs/sources.md lists the IDs).
    pub fn techniques(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = vec![self.technique()];
        let unauthorized = ("T0855", "Unauthorized Command Message");
        match self {
            AttackStep::WriteRegister { .. }
            | AttackStep::WriteCoil { .. }
            | AttackStep::StopPlc { .. } => out.push(unauthorized),
            AttackStep::HmiStolenPassword { .. } => {
                out.push(("T0822", "External Remote Services"));
                out.push(("T0836", "Modify Parameter"));
            }
            AttackStep::ListenOnly { .. } => {
                out.push(unauthorized);
                out.push(("T0814", "Denial of Service"));
            }
            AttackStep::SpoofReporting { .. } => {
                out.push(("T0830", "Adversary-in-the-Middle"));
                out.push(("T0832", "Manipulation of View"));
            }
            AttackStep::Scan { .. } | AttackStep::Flood { .. } | AttackStep::Ransomware { .. } => {}
        }
        out
    }

    pub fn target(&self) -> Option<&str> {
        match self {
            AttackStep::Scan { .. } | AttackStep::Ransomware { .. } => None,
            AttackStep::WriteRegister { plc, .. }
            | AttackStep::WriteCoil { plc, .. }
            | AttackStep::Flood { plc, .. }
            | AttackStep::StopPlc { plc }
            | AttackStep::ListenOnly { plc }
            | AttackStep::SpoofReporting { plc, .. }
            | AttackStep::HmiStolenPassword { plc, .. } => Some(plc),
        }
    }
}

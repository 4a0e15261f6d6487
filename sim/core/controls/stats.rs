//! What the controls did, counted: the figures the scorecard reports for each control.

use crate::time::Micros;
use serde::Serialize;

/// Remote sessions of the vendor.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VendorStats {
    pub access: String,
    pub sessions: u64,
    /// Sessions recorded in an audit log.
    pub audited: u64,
    /// Time repairs waited from the call to the vendor's session, in total.
    pub wait_h: f64,
}

/// One line of the remote-access gateway's audit log.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRecord {
    pub t_us: Micros,
    pub session: u64,
    pub event: String,
    pub detail: String,
}

/// What monitoring the PLCs' own health saw and did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DeviceStats {
    pub saturation_alerts: u64,
    pub overrun_alerts: u64,
    pub fault_alerts: u64,
    /// Connections closed by the OT team (not the HMI's).
    pub connections_shed: u64,
}

/// What the IDS raised.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IdsStats {
    pub alerts: u64,
    /// Alerts on attack traffic.
    pub true_alerts: u64,
    /// Alerts on the plant's own traffic (a changeover's new setpoint, …).
    pub alerts_on_legitimate_traffic: u64,
    /// Alerts with nothing behind them.
    pub false_alarms: u64,
    pub by_kind: Vec<(String, u64)>,
}

/// What the DPI saw and did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DpiStats {
    pub inspected: u64,
    /// Requests outside the policy (alerts in monitor mode, blocks in enforce mode).
    pub violations: u64,
    pub blocked: u64,
    /// Legitimate requests (the HMI's) outside the policy: false positives.
    pub false_positives: u64,
    /// Violations by kind, in order of first sight.
    pub by_kind: Vec<(String, u64)>,
}

//! The security controls: the policy engines (DPI, IDS) that serve the twin's network and
//! the standalone proxy alike, their counters, and the controls part of the World with its
//! run-time state (what a facilitator or an exercise switched).

pub mod dpi;
pub mod gate;
mod id;
pub use id::ControlId;
pub mod ids;
pub mod stats;
pub mod tls;

use crate::plc::ConnId;
use crate::rng::{Stream, stream};
use crate::scenario::{DeviceMonitoringSpec, ResponseSpec, Scenario, SegmentationSpec, VendorSpec};
use crate::time::Micros;
use stats::{AuditRecord, DeviceStats, DpiStats, IdsStats, VendorStats};
use std::collections::{BTreeMap, BTreeSet};

/// Why a repair waits for the vendor longer than an always-on VPN would take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VendorWait {
    /// The gateway's approval and MFA.
    Gateway,
    /// Remote access refused: an engineer on the way.
    Refused,
    /// Remote access revoked by the incident response: an engineer on the way.
    Revoked,
}

/// What device monitoring saw of a PLC at its last look.
#[derive(Clone, Copy, Debug, Default)]
pub struct DeviceSeen {
    /// Requests the device had dropped.
    pub dropped: u64,
    /// Whether it was alerting (one alert per episode).
    pub alerting: bool,
}

/// A zone the incident response cut off from every other zone, and for when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneIsolation {
    pub zone: usize,
    pub from: Micros,
    pub until: Micros,
}

/// A PLC being restored from backup: in STOP from `from` until `until`, then restored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restore {
    pub plc: usize,
    pub from: Micros,
    /// The engineer's second factor on the engineering workstation ends then (the PLC in
    /// STOP meanwhile): the authentication's part of the restore.
    pub mfa_until: Micros,
    pub until: Micros,
    pub done: bool,
}

/// Controls switched off at run time (viewer), with their state, to switch back on.
#[derive(Clone, Default)]
pub struct Parked {
    pub ids: Option<ids::Ids>,
    pub response: Option<ResponseSpec>,
    pub devices: Option<DeviceMonitoringSpec>,
}

/// The controls part of the World. Starts as the scenario deploys them; what a facilitator
/// or an exercise switches during the run changes this, never the scenario.
#[derive(Clone)]
pub struct Controls {
    /// The zone firewalls as they stand (rules added, switched off).
    pub segmentation: Option<SegmentationSpec>,
    /// The line runs without the MES.
    pub island_mode: bool,
    pub dpi: Option<dpi::Dpi>,
    pub dpi_stats: DpiStats,
    /// Requests the DPI answered for (link, transaction id), for the attack records.
    pub dpi_blocked: BTreeSet<(ConnId, u16)>,
    /// PLCs the DPI kept a legitimate (HMI) request from.
    pub dpi_blocked_hmi: BTreeSet<usize>,
    /// False-positive tickets: (PLC, why) of a blocked legitimate request, and when an
    /// engineer releases it (from then on the same request passes).
    pub dpi_tickets: Vec<(usize, String, Micros)>,
    pub dpi_review_rng: Stream,
    pub ids: Option<ids::Ids>,
    pub ids_stats: IdsStats,
    /// The vendor's remote access as it stands (a gateway put in during the run).
    pub vendor: Option<VendorSpec>,
    pub vendor_stats: VendorStats,
    /// Remote access refused (an exercise decision): repairs that need the vendor wait
    /// this long for an engineer on site, and nothing comes in over the vendor's access.
    pub vendor_refused: Option<Micros>,
    pub vendor_rng: Stream,
    /// Per station waiting for the vendor: the spans in which the wait is the access's
    /// doing (beyond the connection time an always-on VPN takes: approval and MFA, each
    /// new session a time box makes necessary), and whose.
    pub vendor_wait: BTreeMap<usize, Vec<(Micros, Micros, VendorWait)>>,
    /// The gateway's append-only audit log.
    pub audit: Vec<AuditRecord>,
    /// The incident response, while deployed.
    pub response: Option<ResponseSpec>,
    pub response_rng: Stream,
    /// Hosts isolated by the incident response, and from when.
    pub contained: BTreeMap<usize, Micros>,
    /// Hosts whose detection the incident response has acted on.
    pub responded: BTreeSet<usize>,
    /// Zones the incident response cut off, and for when.
    pub isolated_zones: Vec<ZoneIsolation>,
    /// PLCs the incident response restores from backup.
    pub restoring: Vec<Restore>,
    /// The vendor's remote access revoked by the incident response: from when, and how
    /// long an engineer then takes to come on site.
    pub vendor_revoked: Option<(Micros, Micros)>,
    /// Device health monitoring, while deployed.
    pub device_monitoring: Option<DeviceMonitoringSpec>,
    pub device_stats: DeviceStats,
    /// Per PLC: what device monitoring saw at its last look.
    pub device_seen: Vec<DeviceSeen>,
    /// Modbus/TCP Security between the HMI and the PLCs.
    pub tls: Option<tls::Tls>,
    /// Controls a facilitator switched off from the viewer, kept to switch back on.
    pub parked: Parked,
}

impl Controls {
    pub fn new(s: &Scenario, seed: u64, dpi: Option<dpi::Dpi>) -> Controls {
        Controls {
            segmentation: s.segmentation.clone(),
            island_mode: s.line.island_mode,
            dpi,
            dpi_stats: DpiStats::default(),
            dpi_blocked: BTreeSet::new(),
            dpi_blocked_hmi: BTreeSet::new(),
            ids: s.ids.as_ref().map(|spec| ids::Ids::new(spec, seed)),
            ids_stats: IdsStats::default(),
            vendor: s.vendor.clone(),
            vendor_stats: VendorStats {
                access: match s.vendor.as_ref().map(|v| &v.access) {
                    None => String::new(),
                    Some(crate::scenario::VendorAccess::AlwaysOnVpn) => "always-on VPN".into(),
                    Some(crate::scenario::VendorAccess::Gateway { .. }) => {
                        "remote-access gateway".into()
                    }
                },
                ..VendorStats::default()
            },
            vendor_refused: None,
            vendor_rng: stream(seed, "vendor"),
            vendor_wait: BTreeMap::new(),
            audit: Vec::new(),
            response: s.response.clone(),
            response_rng: stream(seed, "response"),
            dpi_tickets: Vec::new(),
            dpi_review_rng: stream(seed, "dpi-review"),
            contained: BTreeMap::new(),
            responded: BTreeSet::new(),
            isolated_zones: Vec::new(),
            restoring: Vec::new(),
            vendor_revoked: None,
            device_monitoring: s.device_monitoring.clone(),
            device_stats: DeviceStats::default(),
            device_seen: vec![DeviceSeen::default(); s.plcs.len()],
            tls: None,
            parked: Parked::default(),
        }
    }
}

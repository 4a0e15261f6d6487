//! What a decision does in the twin: each option of a decision point is a list of these,
//! applied at the decision's simulated time.

use crate::scenario::{Scenario, StationKind};
use serde::{Deserialize, Serialize};

/// What an option of an exercise's decision does in the twin, at the decision's time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Act {
    /// Carry on as before.
    Nothing,
    /// Management orders the line stopped for this many hours (a precautionary shutdown).
    StopLine(f64),
    /// Run the line without the MES (island mode): losing the MES no longer stops it.
    IslandMode,
    /// Isolate a host from the network now (pull the cable, quarantine the VLAN): its
    /// traffic, and any attack step from it, stops.
    IsolateHost(String),
    /// Refuse the vendor's remote access: the VPN is cut, and repairs that need the vendor
    /// wait for an engineer on site, this many hours after the call.
    RefuseVendor(f64),
    /// Let the vendor in only through the remote-access gateway: approval by the shift
    /// (this many minutes, mean), MFA, a four-hour time box, an audit log. After
    /// `RefuseVendor` it re-opens remote access, through the gateway.
    VendorGateway(f64),
    /// Switch the Modbus DPI to enforce (true) or monitor (false).
    DpiEnforce(bool),
    /// Switch the zone firewalls on (true) or back to a flat network (false).
    Segmentation(bool),
    /// Add an allow rule to the zone firewalls (the flow someone forgot).
    AllowFlow(crate::scenario::AllowRule),
    /// Restore a PLC from its backup: setpoints and tuning as commissioned (the recipe's
    /// temperature for the product now running), CPU in RUN.
    RestorePlc(String),
    /// Cancel every attack or scan step from this host that has not started yet.
    CancelSteps(String),
    /// Move the steps from this host that have not started yet to this simulated hour
    /// (e.g. a scan into the maintenance window).
    RescheduleSteps(String, f64),
    /// Quality puts this thermal station's product on hold (a HACCP deviation declared
    /// now, whatever the HMI shows): its excursion is seen now, so what it made within the
    /// scenario's shipping delay (`cost.out_of_band.ships_after_h`) is held instead of
    /// shipped, and product it makes out of its band from now on is held as it is made.
    HoldProduct(String),
    /// What becomes of held product once its lots are tested, for every held lot of the
    /// run: destroyed, released in part, or reworked (as `cost.out_of_band.held`, which
    /// it replaces).
    Disposition(crate::scenario::Disposition),
}

impl Act {
    /// Why this action cannot apply to the scenario, if it cannot.
    pub fn check(&self, s: &Scenario) -> Option<String> {
        let hosts: Vec<&str> = s
            .network
            .as_ref()
            .map(|n| n.hosts.iter().map(|h| h.name.as_str()).collect())
            .unwrap_or_default();
        let host = |h: &str| {
            (!hosts.contains(&h)).then(|| {
                format!(
                    "no host named \"{h}\" in the scenario's network; hosts: {}",
                    hosts.join(", ")
                )
            })
        };
        match self {
            Act::Nothing | Act::IslandMode => None,
            Act::StopLine(h) | Act::RefuseVendor(h) | Act::VendorGateway(h) => {
                if !(h.is_finite() && *h >= 0.0) {
                    return Some(format!("{h} must be a number ≥ 0"));
                }
                match self {
                    Act::RefuseVendor(_) | Act::VendorGateway(_) if s.vendor.is_none() => {
                        Some("the scenario has no vendor (vendor: Some(...))".into())
                    }
                    _ => None,
                }
            }
            Act::IsolateHost(h) | Act::CancelSteps(h) => host(h),
            Act::RescheduleSteps(h, at) => host(h).or_else(|| {
                (!(at.is_finite() && *at >= 0.0 && *at < s.duration_h))
                    .then(|| format!("{at} h is outside the run (0 ≤ h < {})", s.duration_h))
            }),
            Act::DpiEnforce(_) => s
                .dpi
                .is_none()
                .then(|| "the scenario deploys no DPI (dpi: Some(...))".into()),
            Act::Segmentation(_) | Act::AllowFlow(_) => s
                .segmentation
                .is_none()
                .then(|| "the scenario has no zone firewalls (segmentation: Some(...))".into()),
            Act::HoldProduct(st) => match s.stations.iter().find(|x| x.name == *st) {
                Some(x) if matches!(x.kind, StationKind::Thermal(_)) => None,
                Some(_) => Some(format!(
                    "\"{st}\" has no thermal process: only a thermal station's product is held for its temperature"
                )),
                None => {
                    let names: Vec<&str> = s
                        .stations
                        .iter()
                        .filter(|x| matches!(x.kind, StationKind::Thermal(_)))
                        .map(|x| x.name.as_str())
                        .collect();
                    Some(format!(
                        "no station named \"{st}\"; thermal stations: {}",
                        names.join(", ")
                    ))
                }
            },
            Act::Disposition(d) => match (&s.cost.out_of_band, d.check()) {
                (None, _) => Some(
                    "the scenario does not price product out of band (cost: (out_of_band: Some(...)))"
                        .into(),
                ),
                (_, Some((field, m))) => Some(format!("{field}: {m}")),
                _ => None,
            },
            Act::RestorePlc(p) => (!s.plcs.iter().any(|x| x.name == *p)).then(|| {
                let names: Vec<&str> = s.plcs.iter().map(|x| x.name.as_str()).collect();
                format!("no PLC named \"{p}\"; PLCs: {}", names.join(", "))
            }),
        }
    }
}

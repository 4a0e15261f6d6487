//! The scenario: a RON file that describes the line, its PLCs and their device profiles,
//! the HMI's polling and the operating schedule, the run's length and seed, and the cost
//! model. `load` parses and validates; every problem names its place.

pub(crate) mod load;

mod attack;
pub mod controls;
mod cost;
mod network;
mod plant;
mod profile;
pub mod schema;
pub use attack::*;
pub use load::{
    Problem, ScenarioError, Sources, from_ron, load_with, overlay_schema, parse, policy_problems,
    top_level,
};
pub use network::*;
pub use plant::*;
pub use profile::*;

use crate::dist::Dist;
pub use cost::{CostModel, Disposition, IncidentFees, OutOfBandCosts};
use serde::{Deserialize, Serialize};

/// A scenario: the line, its PLCs and HMI, the network, the controls and the attacks of one
/// run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The scenario's name, shown in reports.
    pub name: String,
    /// What the scenario shows, in a sentence or two (reports print it).
    #[serde(default)]
    pub description: String,
    /// The run's seed; `faultline run --seed` overrides it.
    pub seed: u64,
    /// Simulated length of the run.
    pub duration_h: f64,
    /// The fixed simulation step. PLC scan periods and HMI intervals are multiples of it.
    #[serde(default = "default_tick_ms")]
    pub tick_ms: u32,
    /// The line's stations, upstream first; `feeds` joins them.
    pub stations: Vec<StationSpec>,
    /// The PLCs and the stations each one controls.
    pub plcs: Vec<PlcSpec>,
    /// Device profiles beyond the built-in `modern` and `legacy` (same name: replaces it).
    #[serde(default)]
    pub profiles: Vec<ProfileSpec>,
    /// The HMI/SCADA server that polls every PLC over Modbus/TCP.
    pub hmi: HmiSpec,
    /// How fast the operators react to what the HMI shows.
    #[serde(default)]
    pub operator: OperatorSpec,
    /// The operating schedule: line starts, stops and changeovers the HMI commands.
    #[serde(default)]
    pub schedule: Vec<ScheduleEntry>,
    /// The line's planned rate, its bottleneck and whether it can run without the MES.
    #[serde(default)]
    pub line: LineSpec,
    /// What an hour of downtime, a scrapped unit and incident response cost.
    #[serde(default)]
    pub cost: CostModel,
    /// Hosts, zones and conduits. Without it the network is one flat segment.
    #[serde(default)]
    pub network: Option<NetworkSpec>,
    /// Zone firewalls: allow lists between zones, default deny.
    #[serde(default)]
    pub segmentation: Option<SegmentationSpec>,
    /// Attack steps on the timeline, each real traffic from a host.
    #[serde(default)]
    pub attacks: Vec<AttackSpec>,
    /// Modbus deep packet inspection in front of the PLCs.
    #[serde(default)]
    pub dpi: Option<controls::DpiSpec>,
    /// A passive Modbus IDS on the control network.
    #[serde(default)]
    pub ids: Option<controls::IdsSpec>,
    /// The OEM vendor who repairs some machines remotely, and how they get in.
    #[serde(default)]
    pub vendor: Option<VendorSpec>,
    /// Condition monitoring of machines: degradation seen before a failure lets
    /// maintenance replace the failure by a shorter planned stop.
    #[serde(default)]
    pub health: Vec<HealthSpec>,
    /// The incident response to a detection: the host the attack came from is isolated.
    #[serde(default)]
    pub response: Option<ResponseSpec>,
    /// An attacker that picks its own timing: steps after an entry time and dwell times,
    /// each working with a probability.
    #[serde(default)]
    pub attacker: Option<AttackerSpec>,
    /// Health monitoring of the PLCs themselves (their diagnostics, read out of band).
    #[serde(default)]
    pub device_monitoring: Option<DeviceMonitoringSpec>,
    /// Authentication on the plant floor: how operators log into the HMI (a shared account
    /// or personal ones with a session timeout).
    #[serde(default)]
    pub authentication: Option<AuthenticationSpec>,
    /// Modbus/TCP Security between the HMI and the PLCs: TLS with client certificates,
    /// its per-request and handshake cost, and the HMI certificate's life cycle.
    #[serde(default)]
    pub modbus_security: Option<ModbusSecuritySpec>,
    /// Risk per year (Open FAIR): how often a campaign like this scenario's attacks reaches
    /// the plant, and what each control costs to own. `faultline sweep` annualizes with it.
    #[serde(default)]
    pub risk: Option<RiskSpec>,
}

/// How a sweep turns one simulated day into a year (Open FAIR: threat event frequency ×
/// loss magnitude; ENISA's return on security investment).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskSpec {
    /// How many campaigns like this scenario's attacks reach the plant in a year (the
    /// threat event frequency), e.g. `Pert(min: 0.1, likely: 0.5, max: 2.0)`. Each year
    /// of the simulation draws a rate from it, then a Poisson number of campaigns.
    pub campaigns_per_year: crate::dist::Dist,
    /// Days a year the line runs: each bears the controls' measured friction.
    #[serde(default = "default_operating_days")]
    pub operating_days: f64,
    /// What each control costs to own; a control not listed costs nothing to own.
    #[serde(default)]
    pub controls: Vec<ControlPrice>,
}

fn default_operating_days() -> f64 {
    330.0
}

/// The controls' names (`controls::ControlId::name`, which a test holds equal), for
/// scenario validation without the scenario depending on the controls.
pub const CONTROL_NAMES: [&str; 10] = [
    "segmentation",
    "dpi",
    "ids",
    "gateway",
    "health",
    "devices",
    "response",
    "island",
    "tls",
    "auth",
];

/// What owning a control costs: its purchase spread over its life, and its running cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ControlPrice {
    /// The control's name, as `sweep --toggle` knows it (`segmentation`, `dpi`, `ids`,
    /// `gateway`, `health`, `devices`, `response`, `island`).
    pub control: String,
    /// Purchase and deployment, once: an amount, or a distribution for a price not yet
    /// known (a quote's range: `Pert(min: 12000.0, likely: 16000.0, max: 30000.0)`), which
    /// each simulated year draws.
    pub purchase: crate::dist::Quantity,
    /// Years over which the purchase is written off (straight line).
    pub life_years: f64,
    /// Licences, support and the staff time to run it, per year: an amount or a
    /// distribution, as the purchase.
    #[serde(default = "no_running_cost")]
    pub running_per_year: crate::dist::Quantity,
}

fn no_running_cost() -> crate::dist::Quantity {
    crate::dist::Quantity::Value(0.0)
}

impl ControlPrice {
    /// The control's expected cost per year: mean purchase / life + mean running.
    pub fn per_year(&self) -> f64 {
        self.purchase.mean() / self.life_years + self.running_per_year.mean()
    }

    /// One year's cost with its prices drawn (numbers draw nothing).
    pub fn per_year_drawn(&self, rng: &mut crate::rng::Stream) -> f64 {
        self.purchase.sample(rng) / self.life_years + self.running_per_year.sample(rng)
    }

    /// Whether a price is a distribution.
    pub fn is_drawn(&self) -> bool {
        self.purchase.is_drawn() || self.running_per_year.is_drawn()
    }
}

/// Watches every PLC's connection table and communication queue: saturation (all
/// connections taken), scan overruns (requests dropped), faults. With `shed`, the OT team
/// closes connections that are not the HMI's when a device saturates or overruns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceMonitoringSpec {
    /// How often the monitor reads every PLC's diagnostics.
    pub poll_s: f64,
    /// Whether the OT team sheds connections that are not the HMI's from a saturated or
    /// overrunning device.
    #[serde(default)]
    pub shed: bool,
}

/// Incident response: on the first detection of a host's traffic (DPI, IDS, device
/// monitoring), after the responders' delay, the playbook's actions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseSpec {
    /// From the first detection of a host's traffic to the playbook being carried out,
    /// minutes.
    pub contain_min: Dist,
    /// What the responders do, in order, at that moment (default: block the host).
    #[serde(
        default = "default_playbook",
        skip_serializing_if = "is_default_playbook"
    )]
    pub playbook: Vec<Play>,
}

fn default_playbook() -> Vec<Play> {
    vec![Play::BlockHost]
}

fn is_default_playbook(p: &[Play]) -> bool {
    p == [Play::BlockHost]
}

/// One action of an incident-response playbook. Each one's production consequence is
/// booked to the incident response in the loss tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Play {
    /// Block the source host at the firewall: its traffic ends, every other flow goes on
    /// (OT's instinct: the one host, keep running).
    BlockHost,
    /// Cut the source host's zone off from every other zone until it has been cleaned,
    /// `restore_min` later; the source host stays blocked after (IT's instinct). With the
    /// HMI in that zone, or the PLCs, the HMI loses them for as long.
    IsolateZone {
        /// From the isolation to the zone being joined again, minutes.
        restore_min: Dist,
    },
    /// Revoke the vendor's remote access: its sessions end and its host is blocked; a
    /// repair that needs the vendor waits `onsite_h` for an engineer on site.
    RevokeVendor {
        /// Time for the vendor's engineer to come on site, hours.
        onsite_h: Dist,
    },
    /// Bring the line to a controlled stop at the local panels, restarted `restart_min`
    /// later (after the investigation's all-clear).
    SafeStop {
        /// From the stop to the restart, minutes.
        restart_min: Dist,
    },
    /// Restore the PLCs the detected host's steps aimed at from backup: each goes to STOP
    /// for `restore_min` while its program and setpoints are loaded, then runs with the
    /// backup's values (what an attacker wrote is gone).
    RestorePlc {
        /// Time to load and check a PLC's backup, minutes.
        restore_min: Dist,
    },
}

/// Authentication on the plant floor. (MFA on vendor sessions is the vendor gateway's
/// `mfa_min`.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthenticationSpec {
    /// How operators log into the HMI.
    pub hmi: HmiLogin,
    /// A second factor on the engineering workstation: seconds each engineering action
    /// waits for it (a PLC's restore from backup: the PLC in STOP while the engineer
    /// logs into the engineering tool).
    #[serde(default)]
    pub engineering_mfa_s: f64,
}

/// HMI logins.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum HmiLogin {
    /// One shared operator account, logged in around the clock: no operator waits for a
    /// login, and its password is one that IT systems know too (an attacker who steals it
    /// there logs into the HMI with it).
    Shared,
    /// A personal account per operator: a session ends `timeout_min` after the operator's
    /// last action on the HMI, and the next action waits for a login (`login_s`: the
    /// password, a badge, a second factor). A stolen shared password opens nothing.
    Personal {
        /// Idle time after which the HMI logs the operator out, minutes.
        timeout_min: f64,
        /// Time a login takes, seconds.
        login_s: Dist,
    },
}

/// Modbus/TCP Security (the Modbus Organization's specification; faultline live --tls,
/// faultline proxy --tls-cert) between the HMI and the PLCs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModbusSecuritySpec {
    /// PLCs whose profile cannot serve it, reached through a security gateway in front of
    /// them (faultline proxy --tls-cert …). Every PLC whose profile serves it is reached
    /// over TLS directly.
    #[serde(default)]
    pub gateway: Vec<String>,
    /// A full TLS handshake, ms, paid on each (re)connection. Default 0.76: measured on
    /// the live path on loopback (cargo bench --bench tls).
    #[serde(default = "default_handshake_ms")]
    pub handshake_ms: f64,
    /// A resumed handshake (session tickets), ms. Default 0.47 (cargo bench --bench tls).
    #[serde(default = "default_resumed_ms")]
    pub resumed_handshake_ms: f64,
    /// Latency TLS and the role check add to each request, µs. Default 3 (cargo bench
    /// --bench tls: p50 2–3 µs on loopback).
    #[serde(default = "default_per_request_us")]
    pub per_request_us: f64,
    /// How long a TLS session lives before the device asks for a full handshake again
    /// (re-authentication), hours; a reconnection within it resumes the session.
    #[serde(default = "default_session_h")]
    pub session_h: f64,
    /// When the HMI's client certificate expires, hours into the run (none: it stays
    /// valid for the whole run). From then until it is renewed, every TLS handshake the
    /// HMI tries fails and it loses the PLCs it reaches over TLS.
    #[serde(default)]
    pub hmi_certificate_expires_h: Option<f64>,
    /// How certificates are renewed.
    #[serde(default = "default_renewal")]
    pub renewal: Renewal,
}

fn default_handshake_ms() -> f64 {
    0.76
}
fn default_resumed_ms() -> f64 {
    0.47
}
fn default_session_h() -> f64 {
    8.0
}
fn default_per_request_us() -> f64 {
    3.0
}
fn default_renewal() -> Renewal {
    Renewal::Manual {
        renew_h: Dist::Fixed(4.0),
    }
}

/// How an expiring certificate is renewed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Renewal {
    /// Nobody renews ahead: when the certificate expires, someone notices the HMI lost
    /// its PLCs, finds why and installs a new one, `renew_h` after the expiry.
    Manual {
        /// From the expiry to a new certificate installed, hours.
        renew_h: Dist,
    },
    /// A renewal job (ACME, EST) replaces the certificate ahead of its expiry; it fails
    /// with `failure_probability`, and a failed renewal is found and mended by hand
    /// `renew_h` after the expiry.
    Automated {
        /// The chance that the renewal job fails unnoticed.
        failure_probability: f64,
        /// From the expiry to a new certificate installed by hand, hours, when it failed.
        renew_h: Dist,
    },
}

/// Condition monitoring of one station. A failure is preceded by detectable degradation
/// for `pf_interval_h` of operating time (the P-F interval of reliability engineering);
/// the monitor sees it with `detect_probability`, and maintenance stops the machine
/// `lead_min` later for `planned_stop_min`, which renews it as a repair would.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HealthSpec {
    /// The monitored station (a `stations` name).
    pub station: String,
    /// Operating time during which degradation is detectable before the failure (the P-F
    /// interval).
    pub pf_interval_h: f64,
    /// The chance that the monitor sees the degradation in time.
    pub detect_probability: f64,
    /// From the warning to maintenance stopping the machine.
    pub lead_min: f64,
    /// Length of the planned stop that replaces the failure.
    pub planned_stop_min: f64,
}

/// Third-party remote access.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorSpec {
    /// The vendor's laptop (a `network.hosts` name).
    pub host: String,
    /// Stations whose repairs need the vendor.
    pub stations: Vec<String>,
    /// From the maintenance call to the vendor's engineer being connected, in minutes.
    pub connect_min: Dist,
    /// How the vendor reaches the plant: an always-on VPN or a gateway.
    pub access: VendorAccess,
}

/// The vendor's way in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub enum VendorAccess {
    /// The default: a VPN from the vendor's laptop that is always up, unaudited. Whoever
    /// holds its credentials is in.
    AlwaysOnVpn,
    /// A remote-access gateway: each session is requested, approved by the plant after a
    /// delay, opened with MFA, limited in time and recorded in an append-only audit log.
    /// Traffic from the vendor's host outside an approved session is refused.
    Gateway {
        /// From the vendor's request to the plant approving the session.
        approval_min: Dist,
        /// Time the vendor spends on multi-factor authentication per session.
        mfa_min: f64,
        /// Length of an approved session; traffic after it is refused.
        session_h: f64,
    },
}

fn default_tick_ms() -> u32 {
    100
}

impl Scenario {
    /// The profiles in force: built-ins, replaced or extended by the file's own.
    pub fn all_profiles(&self) -> Vec<ProfileSpec> {
        let mut all = ProfileSpec::builtin();
        for p in &self.profiles {
            match all.iter_mut().find(|q| q.name == p.name) {
                Some(q) => *q = p.clone(),
                None => all.push(p.clone()),
            }
        }
        all
    }

    pub fn station_index(&self, name: &str) -> Option<usize> {
        self.stations.iter().position(|s| s.name == name)
    }
}

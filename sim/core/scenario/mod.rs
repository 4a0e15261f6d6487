//! The scenario: a RON file that describes the line, its PLCs and their device profiles,
//! the HMI's polling and the operating schedule, the run's length and seed, and the cost
//! model. `load` parses and validates; every problem names its place.

pub(crate) mod load;

pub mod controls;
mod cost;
pub mod schema;
pub use load::{
    Problem, ScenarioError, Sources, from_ron, load_with, overlay_schema, parse, policy_problems,
    top_level,
};

use crate::dist::Dist;
pub use cost::{CostModel, IncidentFees};
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
    /// Purchase and deployment, once.
    pub purchase: f64,
    /// Years over which the purchase is written off (straight line).
    pub life_years: f64,
    /// Licences, support and the staff time to run it, per year.
    #[serde(default)]
    pub running_per_year: f64,
}

impl ControlPrice {
    /// The control's cost per year: purchase / life + running.
    pub fn per_year(&self) -> f64 {
        self.purchase / self.life_years + self.running_per_year
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

/// What a device does when all its server connections are taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum WhenFull {
    /// Refuse the new connection.
    RefuseNew,
    /// Close the oldest connection to make room.
    CloseOldest,
    /// Close the oldest idle connection (no request waiting or in progress); refuse the
    /// new one when every connection is busy (the M218).
    CloseOldestIdle,
}

/// How a device reacts to traffic it does not understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum OnBadTraffic {
    /// Answer with an exception (or close the connection when the bytes are not Modbus).
    Reject,
    /// The communication module hangs: the PLC faults (watchdog) and its stations stop.
    Fault,
}

/// How a device's communication behaves under load and bad traffic, modelled on real
/// devices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileSpec {
    /// The profile's name; the same name as a built-in profile replaces it.
    pub name: String,
    /// What real devices this profile is modelled on, with the source.
    #[serde(default)]
    pub modelled_on: String,
    /// Whether the device also serves Modbus/TCP Security (TLS with mutual
    /// authentication and a role policy; live mode with `--tls`).
    #[serde(default)]
    pub modbus_security: bool,
    /// Modbus/TCP server connections the device accepts at once.
    pub max_connections: u16,
    /// What the device does with a new connection when all are taken.
    pub when_full: WhenFull,
    /// Requests served per scan; the rest wait in the queue (0: no limit).
    pub requests_per_scan: u16,
    /// Scans between taking a request and sending its reply (0: the same scan).
    pub reply_latency_scans: u16,
    /// Requests the communication module can hold; beyond this they are dropped.
    pub queue_limit: u16,
    /// Sustained overload faults the PLC.
    #[serde(default)]
    pub watchdog: Option<WatchdogSpec>,
    /// What a function code the device does not implement does to it.
    pub on_unsupported: OnBadTraffic,
    /// What bytes that are not well-formed Modbus do to it.
    pub on_malformed: OnBadTraffic,
    /// The chance that one request or probe the device does not understand hangs it,
    /// where `on_unsupported`/`on_malformed` is `Fault` (1: every one does).
    #[serde(default = "certain")]
    pub fault_probability: f64,
    /// A connection with no complete request for this long (simulated seconds) is closed
    /// by the device, as Ethernet modules close idle connections. Default 120 s (an
    /// assumption; modules make it configurable).
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout_s: f64,
    /// A request begun but not completed within this long (a half frame) closes the
    /// connection. Default 2 s (an assumption).
    #[serde(default = "default_frame_timeout")]
    pub frame_timeout_s: f64,
    /// What the device says it is to Read Device Identification (FC 2B/0E) and Report
    /// Server ID (FC 11), so that an asset inventory tells one model from another.
    /// Default: the modelled device's, marked "(twin)".
    #[serde(default)]
    pub identity: Option<IdentitySpec>,
}

/// A device's identity objects (Modbus application protocol, Read Device Identification).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    /// Object 0x00, VendorName.
    pub vendor: String,
    /// Object 0x01, ProductCode.
    pub product_code: String,
    /// Object 0x02, MajorMinorRevision.
    pub revision: String,
    /// Object 0x04, ProductName; object 0x05, ModelName.
    pub product_name: String,
}

impl IdentitySpec {
    fn twin(vendor: &str, product_code: &str, product_name: &str) -> Option<IdentitySpec> {
        Some(IdentitySpec {
            vendor: vendor.into(),
            product_code: product_code.into(),
            revision: "(twin)".into(),
            product_name: format!("{product_name} (twin)"),
        })
    }
}

impl ProfileSpec {
    /// The identity the device answers with: the profile's, else one made from what it
    /// is modelled on (its text before the first colon), marked "(twin)".
    pub fn identity(&self) -> IdentitySpec {
        self.identity.clone().unwrap_or_else(|| {
            let model = self
                .modelled_on
                .split(':')
                .next()
                .filter(|m| !m.trim().is_empty())
                .unwrap_or(&self.name)
                .trim()
                .to_string();
            IdentitySpec {
                vendor: model.split(' ').next().unwrap_or("faultline").to_string(),
                product_code: self.name.clone(),
                revision: "(twin)".into(),
                product_name: format!("{model} (twin)"),
            }
        })
    }
}

fn default_idle_timeout() -> f64 {
    120.0
}

fn default_frame_timeout() -> f64 {
    2.0
}

fn certain() -> f64 {
    1.0
}

/// The communication watchdog: sustained overload faults the PLC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchdogSpec {
    /// Consecutive scans with a full queue that fault the PLC, drawn afresh for every
    /// overload episode (`Fixed(50)` for a device that always trips at 50).
    pub overload_scans: Dist,
    /// Time the faulted PLC needs before an operator's reset takes, in seconds, drawn
    /// for every fault.
    pub recovery_s: Dist,
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

impl ProfileSpec {
    /// The M580's Ethernet module (alias `modern`).
    pub fn modern() -> Self {
        ProfileSpec {
            name: "modern".into(),
            ..ProfileSpec::m580()
        }
    }

    /// The M218 (alias `legacy`).
    pub fn legacy() -> Self {
        ProfileSpec {
            name: "legacy".into(),
            ..ProfileSpec::m218()
        }
    }

    /// Schneider Modicon M580 with the BMENOR2200H module: 32 server connections and at
    /// most 8 incoming requests processed per scan (Schneider, BMENOR2200H user manual;
    /// docs/sources.md, "Devices"). Reply latency 1 scan and the queue of
    /// 64 are assumptions.
    pub fn m580() -> Self {
        ProfileSpec {
            // Modbus/TCP Security on the M580 is an assumption of this profile, not a
            // sourced figure.
            modbus_security: true,
            identity: IdentitySpec::twin(
                "Schneider Electric",
                "BMENOR2200H",
                "Modicon M580 BMENOR2200H",
            ),
            ..ProfileSpec::robust(
                "m580-bmenor2200h",
                "Schneider M580 BMENOR2200H: 32 server connections, 8 requests per scan (sourced); 1-scan replies, queue 64 (assumptions)",
                32,
                8,
                64,
            )
        }
    }

    /// Schneider Modicon M218: 4 server connections; when all are taken it closes the
    /// oldest idle one and refuses the new one if every connection is busy (Schneider,
    /// M218 Logic Controller programming guide, Modbus TCP server; references.md). The
    /// rest are assumptions, marked so: 2 requests per scan and replies 2 scans later
    /// (the rule of thumb of 1–2 scans per reply), a queue of 8, a watchdog tripping
    /// after about 50 scans of sustained overflow (log-normal, cv 0.5), a chance of 0.3
    /// that one probe it does not understand hangs its communication module (ATT&CK
    /// T0814; RISI "PLCs crashed by IT audit" reports the effect, not the odds), and a
    /// recovery of about 15 minutes before a reset takes (a power cycle, the program
    /// restarting and the machine checked; log-normal, cv 0.5).
    pub fn m218() -> Self {
        ProfileSpec {
            name: "m218".into(),
            modelled_on: "Schneider M218: 4 server connections, closes the oldest idle one \
                          and refuses when all are busy (sourced); per-scan limit, latency, \
                          queue, watchdog and fault odds are assumptions"
                .into(),
            modbus_security: false,
            max_connections: 4,
            when_full: WhenFull::CloseOldestIdle,
            requests_per_scan: 2,
            reply_latency_scans: 2,
            queue_limit: 8,
            watchdog: Some(WatchdogSpec {
                overload_scans: Dist::LogNormal {
                    mean: 50.0,
                    cv: 0.5,
                },
                recovery_s: Dist::LogNormal {
                    mean: 900.0,
                    cv: 0.5,
                },
            }),
            on_unsupported: OnBadTraffic::Fault,
            on_malformed: OnBadTraffic::Fault,
            fault_probability: 0.3,
            idle_timeout_s: default_idle_timeout(),
            frame_timeout_s: default_frame_timeout(),
            identity: IdentitySpec::twin("Schneider Electric", "TM218", "Modicon M218"),
        }
    }

    /// Schneider Modicon Momentum M1E: 16 connections, 4 server requests per cycle
    /// (Schneider, Momentum M1/M1E processor adaptors user guide; references.md). Reply
    /// latency 1 scan and the queue of 16 are assumptions.
    pub fn momentum_m1e() -> Self {
        ProfileSpec {
            identity: IdentitySpec::twin("Schneider Electric", "M1E", "Modicon Momentum M1E"),
            ..ProfileSpec::robust(
                "momentum-m1e",
                "Schneider Momentum M1E: 16 connections, 4 server requests per cycle (sourced); 1-scan replies, queue 16 (assumptions)",
                16,
                4,
                16,
            )
        }
    }

    /// Schneider Quantum with the 140NOE771x1: the NOE serves 8 register requests per
    /// scan (20 messages in total; Schneider, Quantum NOE 771 user manual;
    /// references.md). 64 connections, 1-scan replies and the queue of 32 are assumptions.
    pub fn quantum_noe771() -> Self {
        ProfileSpec {
            identity: IdentitySpec::twin(
                "Schneider Electric",
                "140NOE77101",
                "Modicon Quantum 140NOE771",
            ),
            ..ProfileSpec::robust(
                "quantum-noe771",
                "Schneider Quantum 140NOE771x1: 8 register requests per scan (sourced); 64 connections, 1-scan replies, queue 32 (assumptions)",
                64,
                8,
                32,
            )
        }
    }

    /// Rockwell Allen-Bradley Micro850: 16 Modbus/TCP server connections (Rockwell,
    /// 2080-UM002L). 4 requests per scan, 1-scan replies and the queue of 16 are
    /// assumptions.
    pub fn micro850() -> Self {
        ProfileSpec {
            identity: IdentitySpec::twin(
                "Rockwell Automation",
                "2080-LC50",
                "Allen-Bradley Micro850",
            ),
            ..ProfileSpec::robust(
                "micro850",
                "Rockwell Micro850: 16 Modbus/TCP server connections (sourced, 2080-UM002L); 4 requests per scan, 1-scan replies, queue 16 (assumptions)",
                16,
                4,
                16,
            )
        }
    }

    /// Siemens S7-1200 as a Modbus server: one connection per MB_SERVER instance, the
    /// total capped by the CPU's open user communication connections (commonly 8;
    /// Siemens S7-1200 system manual; references.md). One MB_SERVER call per connection
    /// per cycle (8 per scan), 1-scan replies and the queue of 8 are assumptions.
    pub fn s7_1200() -> Self {
        ProfileSpec {
            identity: IdentitySpec::twin("Siemens", "S7-1200", "SIMATIC S7-1200"),
            ..ProfileSpec::robust(
                "s7-1200",
                "Siemens S7-1200 MB_SERVER: about 8 connections (sourced); 8 requests per scan, 1-scan replies, queue 8 (assumptions)",
                8,
                8,
                8,
            )
        }
    }

    /// A device that refuses a connection when full, replies a scan after a request, has no
    /// watchdog and answers what it does not understand with an exception.
    fn robust(
        name: &str,
        modelled_on: &str,
        max_connections: u16,
        requests_per_scan: u16,
        queue_limit: u16,
    ) -> Self {
        ProfileSpec {
            name: name.into(),
            modelled_on: modelled_on.into(),
            modbus_security: false,
            max_connections,
            when_full: WhenFull::RefuseNew,
            requests_per_scan,
            reply_latency_scans: 1,
            queue_limit,
            watchdog: None,
            on_unsupported: OnBadTraffic::Reject,
            on_malformed: OnBadTraffic::Reject,
            fault_probability: 1.0,
            idle_timeout_s: default_idle_timeout(),
            frame_timeout_s: default_frame_timeout(),
            identity: None,
        }
    }

    /// The shipped library: `modern` and `legacy` (aliases) and the named devices.
    pub fn builtin() -> Vec<ProfileSpec> {
        vec![
            ProfileSpec::modern(),
            ProfileSpec::legacy(),
            ProfileSpec::m580(),
            ProfileSpec::m218(),
            ProfileSpec::momentum_m1e(),
            ProfileSpec::quantum_noe771(),
            ProfileSpec::micro850(),
            ProfileSpec::s7_1200(),
        ]
    }
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

/// The plant network: zones joined by conduits, hosts placed in zones. The HMI and the
/// PLCs are hosts too (in `hmi_zone` and `plc_zone`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// The zones' names (IEC 62443 zones: enterprise, supervisory, control…).
    pub zones: Vec<String>,
    /// The links between zones.
    pub conduits: Vec<ConduitSpec>,
    /// The hosts besides the HMI and the PLCs.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    /// The zone the HMI is in.
    pub hmi_zone: String,
    /// The zone the PLCs are in.
    pub plc_zone: String,
    /// One-way latency between two hosts of the same zone.
    #[serde(default = "default_zone_latency")]
    pub zone_latency_ms: f64,
}

fn default_zone_latency() -> f64 {
    0.1
}

/// A conduit: a link between two zones (with a firewall where segmentation is on).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConduitSpec {
    /// The two zones it joins.
    pub between: (String, String),
    /// One-way latency across it.
    pub latency_ms: f64,
}

/// What a host is for (reports and ransomware use it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum HostRole {
    /// The engineers' workstation that programs the PLCs.
    EngineeringWorkstation,
    /// The process historian.
    Historian,
    /// The manufacturing execution system (orders, recipes, labels).
    Mes,
    /// An office workstation in IT.
    ItWorkstation,
    /// The OEM vendor's laptop.
    VendorLaptop,
    /// The attacker's foothold.
    Foothold,
}

/// A host on the plant network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// The host's name (unique among hosts, the HMI and the PLCs).
    pub name: String,
    /// The zone it is in (a `network.zones` name).
    pub zone: String,
    /// Its IPv4 address (unique).
    pub address: String,
    /// What it is for.
    pub role: HostRole,
    /// Whether the plant administers this host (its domain, its software, its backups):
    /// ransomware spreading through the plant reaches only such hosts, and only their loss
    /// is the plant's. Default: every role but `VendorLaptop` (the vendor's own machine).
    #[serde(default)]
    pub managed: Option<bool>,
}

impl HostSpec {
    /// Whether the plant administers it (see `managed`).
    pub fn is_managed(&self) -> bool {
        self.managed
            .unwrap_or(!matches!(self.role, HostRole::VendorLaptop))
    }
}

/// One end of a firewall rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Peer {
    /// Every host of a zone, by the zone's name.
    Zone(String),
    /// A host, the HMI or a PLC, by name.
    Host(String),
}

/// A firewall rule: connections from one peer to another (on one port) are allowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    /// Where the connection comes from.
    pub from: Peer,
    /// Where it goes.
    pub to: Peer,
    /// Destination port (None: any).
    #[serde(default)]
    pub port: Option<u16>,
}

/// Zone firewalls on every conduit: a connection between zones passes only if a rule
/// allows it (default deny). Traffic inside a zone is not filtered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentationSpec {
    /// Whether the firewalls filter (false: deployed but passing everything).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The allow list; everything else between zones is dropped. With `nftables`, allow
    /// rules are exceptions evaluated ahead of the rule set (a flow allowed during the
    /// run).
    #[serde(default)]
    pub allow: Vec<AllowRule>,
    /// The firewall's own nftables rule set in place of the allow list (see
    /// docs/nftables.md for the subset the twin evaluates).
    #[serde(default)]
    pub nftables: Option<NftablesSpec>,
    /// Added per firewall crossed.
    #[serde(default = "default_firewall_latency")]
    pub firewall_latency_ms: f64,
}

fn yes() -> bool {
    true
}

/// A real nftables rule set as the zone firewall: one firewall between the zones, with
/// an interface facing each zone. A connection between zones passes only if the rule
/// set's forward hook passes each of its packets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NftablesSpec {
    /// The rule set, a path relative to the scenario file: the JSON form (`nft -j list
    /// ruleset`, `.json`) or the text form (`.nft`, which the CLI converts with `nft` in
    /// a throwaway network namespace: needs `nft` and CAP_NET_ADMIN).
    pub ruleset: String,
    /// The firewall's interface facing each zone, by zone name (`iifname`/`oifname` in
    /// the rule set). A zone not listed faces an interface named as the zone.
    #[serde(default)]
    pub interfaces: std::collections::BTreeMap<String, String>,
    /// The rule set as read (filled in by loading).
    #[serde(skip)]
    #[schemars(skip)]
    pub loaded: Option<std::sync::Arc<crate::nft::RuleSet>>,
    /// Where it was read from (filled in by loading).
    #[serde(skip)]
    #[schemars(skip)]
    pub source: Option<std::path::PathBuf>,
}

impl NftablesSpec {
    /// The interface facing `zone`.
    pub fn interface<'a>(&'a self, zone: &'a str) -> &'a str {
        self.interfaces
            .get(zone)
            .map(|s| s.as_str())
            .unwrap_or(zone)
    }
}

fn default_firewall_latency() -> f64 {
    0.3
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
        /// Time to restore the encrypted hosts.
        recovery_h: f64,
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

//! Device profiles: how a modelled PLC answers, what breaks it (scans, floods, connection
//! limits), its watchdog and identity, and the library of modelled devices.

use crate::dist::Dist;
use serde::{Deserialize, Serialize};

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

//! Modbus/TCP Security between the HMI and the PLCs as the fast twin models it: which PLCs
//! the HMI reaches over TLS, what TLS costs (handshakes, per request; measured on the live
//! path by `cargo bench --bench tls`), and the HMI client certificate's life cycle.

use crate::rng::stream;
use crate::scenario::{ModbusSecuritySpec, Renewal, Scenario};
use crate::time::{Micros, from_secs};
use rand::RngExt;

/// The control's run-time state.
#[derive(Clone, Debug)]
pub struct Tls {
    /// Per PLC: the HMI reaches it over TLS (its profile serves it, or a gateway does).
    pub secured: Vec<bool>,
    /// Per PLC: through a security gateway in front of it.
    pub gateway: Vec<bool>,
    pub handshake: Micros,
    pub resumed: Micros,
    pub per_request: Micros,
    /// A session's life before a full handshake is asked for again.
    pub session: Micros,
    /// Per PLC: when the HMI's TLS session with it began (a full handshake), if one has.
    pub session_start: Vec<Option<Micros>>,
    /// The HMI certificate is invalid over [expires, renewed) (empty: never).
    pub expires: Micros,
    pub renewed: Micros,
    /// An automated renewal replaced it ahead of its expiry.
    pub renewed_ahead: bool,
    pub stats: TlsStats,
    /// Whether the expiry and the renewal have been recorded.
    pub expiry_noted: bool,
    pub renewal_noted: bool,
}

/// What the control did over the run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct TlsStats {
    /// Full TLS handshakes the HMI made (its first connection to each PLC, reconnections
    /// without a session ticket).
    pub full_handshakes: u64,
    /// Resumed handshakes (a session ticket).
    pub resumed_handshakes: u64,
    /// Handshakes refused: the HMI's certificate had expired.
    pub refused_handshakes: u64,
    /// Time the handshakes took, ms.
    pub handshake_ms: f64,
    /// Hours the HMI's certificate was expired during the run.
    pub certificate_expired_h: f64,
}

impl Tls {
    pub fn new(spec: &ModbusSecuritySpec, s: &Scenario, seed: u64, end: Micros) -> Tls {
        let profiles = s.all_profiles();
        let gateway: Vec<bool> = s
            .plcs
            .iter()
            .map(|p| spec.gateway.contains(&p.name))
            .collect();
        let secured = s
            .plcs
            .iter()
            .zip(&gateway)
            .map(|(p, &g)| {
                g || profiles
                    .iter()
                    .find(|q| q.name == p.profile)
                    .is_some_and(|q| q.modbus_security)
            })
            .collect();
        let mut rng = stream(seed, "modbus-security");
        let (mut expires, mut renewed, mut ahead) = (end, end, false);
        if let Some(h) = spec.hmi_certificate_expires_h {
            expires = from_secs(h * 3600.0);
            let by_hand = |rng: &mut crate::rng::Stream, d: &crate::dist::Dist| {
                expires + from_secs(d.sample(rng).max(0.0) * 3600.0)
            };
            renewed = match &spec.renewal {
                Renewal::Manual { renew_h } => by_hand(&mut rng, renew_h),
                Renewal::Automated {
                    failure_probability,
                    renew_h,
                } => {
                    if rng.random::<f64>() < *failure_probability {
                        by_hand(&mut rng, renew_h)
                    } else {
                        ahead = true;
                        expires
                    }
                }
            };
        }
        let ms = |v: f64| from_secs(v / 1e3);
        Tls {
            secured,
            gateway,
            handshake: ms(spec.handshake_ms),
            resumed: ms(spec.resumed_handshake_ms),
            per_request: from_secs(spec.per_request_us / 1e6),
            session: from_secs(spec.session_h * 3600.0).max(1),
            session_start: vec![None; s.plcs.len()],
            expires,
            renewed,
            renewed_ahead: ahead,
            stats: TlsStats::default(),
            expiry_noted: false,
            renewal_noted: false,
        }
    }

    /// Whether the HMI's session with PLC `p` is still alive at `t` (a reconnection resumes it).
    pub fn session_alive(&self, p: usize, t: Micros) -> bool {
        self.session_start[p].is_some_and(|s| t < s + self.session)
    }

    /// Whether the HMI's certificate is invalid at `t`.
    pub fn expired(&self, t: Micros) -> bool {
        self.expires <= t && t < self.renewed
    }
}

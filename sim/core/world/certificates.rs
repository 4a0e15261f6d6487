//! Modbus/TCP Security as it acts in the World: the HMI's TLS sessions with the PLCs that
//! serve it (handshakes, full or resumed, their time before the first request), and the
//! HMI certificate's life cycle — expired, every handshake it tries is refused and the
//! HMI loses those PLCs until the certificate is renewed; what that costs the line is
//! booked to the control (blame.rs).

use super::World;
use crate::metrics::EventKind;
use crate::plc::ConnId;
use crate::time::Micros;

impl World {
    /// Whether the HMI's handshake with PLC `p` is refused at `t` (its certificate expired).
    pub(crate) fn hmi_certificate_refused(&self, p: usize, t: Micros) -> bool {
        self.controls
            .tls
            .as_ref()
            .is_some_and(|s| s.secured[p] && s.expired(t))
    }

    /// A TLS handshake of the HMI's link to PLC `p` at `t`: resumed within the session's
    /// life, full after it. False (and counted) when the certificate has expired.
    pub(crate) fn hmi_handshake(&mut self, link: ConnId, p: usize, t: Micros) -> bool {
        let Some(s) = self.controls.tls.as_mut() else {
            return true;
        };
        if !s.secured[p] {
            return true;
        }
        let resumed = s.session_alive(p, t);
        if !resumed && s.expired(t) {
            s.stats.refused_handshakes += 1;
            return false;
        }
        let took = if resumed {
            s.stats.resumed_handshakes += 1;
            s.resumed
        } else {
            s.stats.full_handshakes += 1;
            s.session_start[p] = Some(t);
            s.handshake
        };
        s.stats.handshake_ms += took as f64 / 1e3;
        if let Some(l) = self.net.bus.links.get_mut(link as usize) {
            l.hold = took;
        }
        true
    }

    /// Each tick: the certificate's expiry and renewal on record; sessions past their life
    /// re-authenticated with a full handshake, and closed where it is refused.
    pub(crate) fn run_tls(&mut self, t: Micros) {
        let tick_h = self.tick as f64 / crate::time::US_PER_H as f64;
        let Some(s) = self.controls.tls.as_mut() else {
            return;
        };
        let mut notes = Vec::new();
        if !s.expiry_noted && s.expires <= t && s.expires < self.end {
            s.expiry_noted = true;
            notes.push((
                s.expires,
                if s.renewed_ahead {
                    "the HMI's client certificate was due to expire: renewed ahead by the renewal job"
                } else {
                    "the HMI's client certificate expired"
                },
            ));
        }
        if !s.renewal_noted && !s.renewed_ahead && s.expires < s.renewed && s.renewed <= t {
            s.renewal_noted = true;
            notes.push((s.renewed, "a new client certificate installed on the HMI"));
        }
        if s.expired(t) {
            s.stats.certificate_expired_h += tick_h;
        }
        let due: Vec<usize> = (0..s.secured.len())
            .filter(|&p| s.secured[p] && !s.session_alive(p, t))
            .collect();
        for (at, what) in notes {
            self.ledger
                .metrics
                .event(at, EventKind::Certificate, "hmi", what.into());
        }
        for (link, p) in self.hmi.links().collect::<Vec<(ConnId, usize)>>() {
            if due.contains(&p) && self.net.bus.is_open(link) && !self.hmi_handshake(link, p, t) {
                self.drop_hmi_link(
                    p,
                    link,
                    "TLS re-authentication refused: the HMI's client certificate has expired",
                );
            }
        }
    }
}

//! Modbus/TCP Security in the fast twin: the HMI certificate's life cycle (expiry, manual
//! or automated renewal) and what it costs, owed to the control in the loss tree; the
//! handshakes it counts; and that where nothing expires it costs the line nothing.

use crate::{owed, run_with_events as run};
use faultline::scenario::Renewal;
use faultline::{Scenario, load};
use std::path::Path;

fn expiry(hours: f64) -> Scenario {
    let mut s = load(Path::new("scenarios/tls-certificate-expiry.ron")).unwrap();
    s.duration_h = hours;
    s
}

#[test]
fn an_expired_hmi_certificate_cuts_the_hmi_off_until_renewal_and_the_loss_is_owed_to_the_control() {
    let s = expiry(14.0);
    let (w, r) = run(&s, 42);
    let t = r.security.tls.as_ref().expect("tls counters");
    let tls = w.controls.tls.as_ref().unwrap();
    let h = 3_600_000_000u64;
    // Expired at 03:00, renewed by hand some hours later: the counter is that span.
    assert_eq!(tls.expires, 3 * h);
    assert!(
        tls.renewed > tls.expires && tls.renewed < 14 * h,
        "{}",
        tls.renewed
    );
    let expired_h = (tls.renewed - tls.expires) as f64 / h as f64;
    assert!(
        (t.certificate_expired_h - expired_h).abs() < 0.01,
        "{t:?} vs {expired_h}"
    );
    // Every PLC re-authenticated within the hour and was refused; the HMI kept retrying.
    assert!(t.refused_handshakes > 7, "{t:?}");
    // The HMI lost every PLC over the span, and the line's loss from it is the control's.
    let lost = owed(&r, "control: tls");
    assert!(
        lost > 500.0,
        "{lost} units owed to tls: {:?}",
        r.loss_tree.losses
    );
    // And the HMI had its PLCs back after the renewal: a new session with each.
    let back = w
        .ledger
        .metrics
        .events
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|e| e.kind.as_str() == "hmi_reconnect" && e.t_us >= tls.renewed)
        .count();
    assert_eq!(
        back, 7,
        "the HMI reconnects to its 7 PLCs after the renewal"
    );
}

#[test]
fn a_renewal_job_that_works_costs_the_line_nothing_and_one_that_fails_costs_as_much_as_by_hand() {
    let manual = expiry(12.0);
    let mut none = manual.clone();
    none.modbus_security = None;
    let mut auto = manual.clone();
    let m = auto.modbus_security.as_mut().unwrap();
    m.renewal = Renewal::Automated {
        failure_probability: 0.0,
        renew_h: faultline::dist::Dist::Fixed(9.0),
    };
    let mut failing = auto.clone();
    failing.modbus_security.as_mut().unwrap().renewal = Renewal::Automated {
        failure_probability: 1.0,
        renew_h: faultline::dist::Dist::Fixed(5.0),
    };
    let mut by_hand = manual.clone();
    by_hand.modbus_security.as_mut().unwrap().renewal = Renewal::Manual {
        renew_h: faultline::dist::Dist::Fixed(5.0),
    };
    for seed in [7, 42] {
        let (_, rn) = run(&none, seed);
        let (_, ra) = run(&auto, seed);
        assert_eq!(owed(&ra, "control: tls"), 0.0, "seed {seed}");
        assert_eq!(ra.security.tls.as_ref().unwrap().refused_handshakes, 0);
        // TLS's few microseconds per request and its handshakes do not move the line.
        assert_eq!(ra.line.good_units, rn.line.good_units, "seed {seed}");
        let (_, rf) = run(&failing, seed);
        let (_, rh) = run(&by_hand, seed);
        assert_eq!(rf.line.good_units, rh.line.good_units, "seed {seed}");
        assert_eq!(
            owed(&rf, "control: tls"),
            owed(&rh, "control: tls"),
            "seed {seed}"
        );
        assert!(owed(&rf, "control: tls") > 0.0, "seed {seed}");
    }
}

#[test]
fn handshakes_are_counted_full_at_the_start_and_at_each_session_renewal() {
    let mut s = expiry(5.0);
    let m = s.modbus_security.as_mut().unwrap();
    m.hmi_certificate_expires_h = None;
    m.session_h = 2.0;
    let (_, r) = run(&s, 42);
    let t = r.security.tls.unwrap();
    // Seven PLCs over TLS: a full handshake at 0 h, 2 h and 4 h each.
    assert_eq!(t.full_handshakes, 21, "{t:?}");
    assert_eq!(t.refused_handshakes, 0);
    assert!(
        (t.handshake_ms - (21.0 * 0.76 + t.resumed_handshakes as f64 * 0.47)).abs() < 1e-6,
        "{t:?}"
    );
}

#[test]
fn bad_modbus_security_fields_are_refused_at_their_place() {
    let text = std::fs::read_to_string("scenarios/tls-certificate-expiry.ron")
        .unwrap()
        .replace(
            "\"plc-depal\", \"plc-rinser\"",
            "\"plc-nowhere\", \"plc-rinser\"",
        )
        .replace("session_h: 1.0", "session_h: 0.0");
    let dir = std::env::temp_dir().join(format!("faultline-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("scenarios/bottling-line.ron", dir.join("bottling-line.ron")).unwrap();
    std::fs::write(dir.join("bad.ron"), text).unwrap();
    let err = load(&dir.join("bad.ron")).unwrap_err().to_string();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        err.contains("modbus_security.gateway[0]") && err.contains("plc-nowhere"),
        "{err}"
    );
    assert!(err.contains("modbus_security.session_h"), "{err}");
}

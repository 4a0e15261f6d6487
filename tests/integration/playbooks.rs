//! The incident response's playbooks: each action does what it says, stops the attack
//! where it should, and what it costs the line is owed to the incident response in the
//! loss tree. The teaching pair (scenarios/response-block-host.ron and
//! response-isolate-zone.ron) differs as it must on the same seeds.

use crate::{owed, run_with_events as run};
use faultline::report::Summary;
use faultline::scenario::Play;
use faultline::{Scenario, load};
use std::path::Path;

fn short(path: &str, hours: f64) -> Scenario {
    let mut s = load(Path::new(path)).unwrap();
    s.duration_h = hours;
    s
}

#[test]
fn blocking_the_host_and_isolating_the_zone_both_stop_the_attack_and_only_isolation_costs_the_line()
{
    let block = short("scenarios/response-block-host.ron", 13.0);
    let zone = short("scenarios/response-isolate-zone.ron", 13.0);
    let mut none = block.clone();
    none.response = None;
    let mut extra = Vec::new();
    for seed in [1, 2, 3, 4] {
        let (_, rn) = run(&none, seed);
        let (_, rb) = run(&block, seed);
        let (wz, rz) = run(&zone, seed);
        // Without a response every step lands; with either playbook the setpoint change and
        // the STOP are blocked: the workstation was cut off before 08:00.
        assert_eq!(rn.security.steps_succeeded, 3, "seed {seed}");
        for r in [&rb, &rz] {
            assert_eq!(r.security.steps_succeeded, 1, "seed {seed}");
            assert_eq!(r.security.steps_blocked, 2, "seed {seed}");
        }
        // Blocking one host costs the line nothing; isolating the HMI's zone does, and
        // the loss tree owes it to the incident response.
        assert_eq!(owed(&rb, "control: response"), 0.0, "seed {seed}");
        let iso = owed(&rz, "control: response");
        assert!(iso > 100.0, "seed {seed}: {iso} units owed to the response");
        // The zone stayed isolated for the drawn time, and the HMI had no PLC meanwhile.
        let a = &rz.security.response_actions;
        assert_eq!(a.len(), 1, "{a:?}");
        assert_eq!(
            (a[0].action.as_str(), a[0].target.as_str()),
            ("zone isolated", "supervisory")
        );
        assert!(a[0].hours > 1.0, "{a:?}");
        assert!(
            wz.ledger
                .metrics
                .events
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|e| e.detail.contains("cut by the isolation of a zone")),
            "seed {seed}"
        );
        extra.push(rb.line.good_units as f64 - rz.line.good_units as f64);
    }
    // Paired over the seeds, isolating the zone makes fewer good units.
    let mean = extra.iter().sum::<f64>() / extra.len() as f64;
    assert!(mean > 500.0, "{extra:?}");
}

#[test]
fn a_safe_stop_holds_the_line_for_the_drawn_time_and_is_owed_to_the_response() {
    let s = short("scenarios/response-isolate-zone-stop.ron", 13.0);
    let (w, r) = run(&s, 42);
    let stop = r
        .security
        .response_actions
        .iter()
        .find(|a| a.action == "safe stop")
        .expect("a safe stop");
    assert!(stop.hours > 0.2, "{stop:?}");
    let held: f64 = r
        .loss_tree
        .losses
        .iter()
        .filter(|l| l.cause == "control: response" && l.category.label() == "held by decision")
        .map(|l| l.units)
        .sum();
    // The line is held for the stop (less what the schedule had stopped anyway): at most
    // the stop's hours at the bottleneck's rate, and most of it.
    let rate = r.loss_tree.nominal_per_h;
    assert!(held <= stop.hours * rate + 1.0, "{held} vs {stop:?}");
    assert!(held >= 0.5 * stop.hours * rate, "{held} vs {stop:?}");
    assert!(
        w.ledger
            .metrics
            .events
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|e| e
                .detail
                .contains("controlled safe stop by the incident response"))
    );
}

#[test]
fn restoring_a_plc_from_backup_undoes_the_attackers_write_and_its_stop_is_owed_to_the_response() {
    // The setpoint change lands before the response; the playbook restores the pasteurizer
    // PLC: in STOP for its restore time, then the recipe's setpoint again.
    let mut s = load(Path::new("scenarios/monitoring-ids.ron")).unwrap();
    s.duration_h = 10.0;
    s.response = Some(faultline::scenario::ResponseSpec {
        contain_min: faultline::dist::Dist::Fixed(10.0),
        playbook: vec![
            Play::BlockHost,
            Play::RestorePlc {
                restore_min: faultline::dist::Dist::Fixed(30.0),
            },
        ],
    });
    let (w, r) = run(&s, 42);
    let a = &r.security.response_actions;
    let restore = a
        .iter()
        .find(|a| a.action == "PLC restored from backup")
        .unwrap_or_else(|| panic!("{a:?}"));
    assert_eq!(restore.target, "plc-pasteur");
    assert!((restore.hours - 0.5).abs() < 0.01, "{restore:?}");
    let p = w
        .devices
        .plcs
        .iter()
        .position(|p| p.name == "plc-pasteur")
        .unwrap();
    let st = w
        .plant
        .stations
        .iter()
        .position(|x| x.name == "pasteurizer")
        .unwrap();
    // The attacker wrote 56.0 °C; the backup (and the recipe) hold the original again.
    assert_ne!(w.devices.plcs[p].setpoint_c(st), Some(56.0));
    assert!(w.devices.plcs[p].mode_is_run());
    assert!(
        owed(&r, "control: response") > 0.0,
        "{:?}",
        r.loss_tree.losses
    );
}

#[test]
fn a_playbook_that_cannot_apply_is_refused_at_its_field() {
    // The minimal scenario has no zones and no vendor: isolating a zone and revoking the
    // vendor's access cannot apply there.
    let text = std::fs::read_to_string("scenarios/minimal.ron").unwrap();
    let at = text.rfind(')').unwrap();
    let text = format!(
        "{},\n    response: Some((contain_min: Fixed(5.0), playbook: [IsolateZone(restore_min: Fixed(60.0)), RevokeVendor(onsite_h: Fixed(4.0))])),\n)",
        text[..at].trim_end().trim_end_matches(',')
    );
    let err = faultline::scenario::parse(&text, "minimal.ron")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("response.playbook[0]") && err.contains("needs zones"),
        "{err}"
    );
    assert!(
        err.contains("response.playbook[1]") && err.contains("no vendor access"),
        "{err}"
    );
}

#[test]
fn the_engineers_second_factor_lengthens_a_restore_and_that_part_is_owed_to_authentication() {
    let mut s = load(Path::new("scenarios/monitoring-ids.ron")).unwrap();
    s.duration_h = 10.0;
    s.response = Some(faultline::scenario::ResponseSpec {
        contain_min: faultline::dist::Dist::Fixed(10.0),
        playbook: vec![Play::RestorePlc {
            restore_min: faultline::dist::Dist::Fixed(30.0),
        }],
    });
    let (_, without) = run(&s, 42);
    s.authentication = Some(faultline::scenario::AuthenticationSpec {
        hmi: faultline::scenario::HmiLogin::Shared,
        engineering_mfa_s: 600.0,
    });
    let (_, with) = run(&s, 42);
    let hours = |r: &Summary| {
        r.security
            .response_actions
            .iter()
            .find(|a| a.action == "PLC restored from backup")
            .map(|a| a.hours)
            .unwrap()
    };
    assert!((hours(&without) - 0.5).abs() < 0.01);
    assert!((hours(&with) - (0.5 + 600.0 / 3600.0)).abs() < 0.01);
    // The restore itself is the response's either way; the ten minutes of MFA before it,
    // with the PLC in STOP, are the authentication's — no more than ten minutes at the
    // line's rate.
    let mfa = owed(&with, "control: auth");
    assert!(mfa > 0.0, "{:?}", with.loss_tree.losses);
    assert!(
        mfa <= 600.0 / 3600.0 * with.loss_tree.nominal_per_h + 1e-6,
        "{mfa}"
    );
    assert_eq!(owed(&without, "control: auth"), 0.0);
}

#[test]
fn revoking_the_vendors_access_stops_the_stolen_credentials_and_later_repairs_wait_for_an_engineer()
{
    // The stolen vendor credentials of vendor-vpn-stolen.ron under an IDS and a response
    // that revokes the vendor's access: the STOP that follows the setpoint change is blocked,
    // and a filler repair called after the revocation waits for the vendor's engineer on
    // site — that wait beyond the VPN's connection time is owed to the incident response.
    let mut s = load(Path::new("scenarios/vendor-vpn-stolen.ron")).unwrap();
    s.ids = load(Path::new("scenarios/monitoring-ids.ron")).unwrap().ids;
    s.attacks[1].at_h = 6.0;
    s.response = Some(faultline::scenario::ResponseSpec {
        contain_min: faultline::dist::Dist::Fixed(15.0),
        playbook: vec![Play::RevokeVendor {
            onsite_h: faultline::dist::Dist::Fixed(4.0),
        }],
    });
    let mut revoked_any = false;
    for seed in [1, 2, 3, 4, 5, 6] {
        let (w, r) = run(&s, seed);
        let steps = &r.security.steps;
        assert_eq!(steps[0].outcome, "succeeded", "seed {seed}: {steps:?}");
        assert_eq!(steps[1].outcome, "blocked", "seed {seed}: {steps:?}");
        assert!(
            steps[1]
                .detail
                .contains("isolated by the incident response"),
            "{steps:?}"
        );
        let a = &r.security.response_actions;
        assert!(
            a.iter().any(|a| a.action == "vendor access revoked"),
            "{a:?}"
        );
        let onsite = w
            .ledger
            .metrics
            .events
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(|e| {
                e.detail
                    .contains("revoked by the incident response: the vendor sends an engineer")
            });
        let owed_to_response = owed(&r, "control: response");
        // Nothing is owed to the response without a repair that waited for the engineer.
        if owed_to_response > 0.0 {
            assert!(
                onsite,
                "seed {seed}: {owed_to_response} owed without an on-site wait"
            );
            revoked_any = true;
        }
    }
    assert!(
        revoked_any,
        "in some seed a filler repair after the revocation waited for the engineer"
    );
}

//! Authentication on the plant floor: a shared HMI account lets a password stolen on the
//! IT side command the line through the HMI; personal accounts stop it, at the price of
//! logins that delay operators' actions — friction the loss tree owes to the control, never
//! more than the logins' time at the line's rate.

use crate::owed;
use faultline::report::Summary;
use faultline::{World, load};
use std::path::Path;

fn run(path: &str, seed: u64) -> (World, Summary) {
    crate::run_with_events(&load(Path::new(path)).unwrap(), seed)
}

#[test]
fn a_stolen_shared_password_commands_the_line_through_the_hmi_and_personal_accounts_stop_it() {
    for seed in [7, 42] {
        let (w, r) = run("scenarios/auth-shared-account.ron", seed);
        let step = &r.security.steps[0];
        assert_eq!(step.technique, "T0859");
        assert_eq!(step.outcome, "succeeded", "{step:?}");
        // The write left from the HMI's address: the connection is the step's, its host the HMI.
        let hmi = w.net.network.hmi();
        assert!(
            w.net
                .bus
                .links
                .iter()
                .any(|l| matches!(l.owner, faultline::bus::Owner::Attack(0))
                    && l.client == w.net.network.hosts[hmi].name),
            "the step's connection comes from the HMI"
        );
        assert!(step.lost_units > 0.0, "{step:?}");
        assert_eq!(owed(&r, "control: auth"), 0.0);

        let (w, r) = run("scenarios/auth-personal-accounts.ron", seed);
        let step = &r.security.steps[0];
        assert_eq!(step.outcome, "blocked", "{step:?}");
        assert!(
            step.detail.contains("opens no personal HMI account"),
            "{step:?}"
        );
        // The friction: logins happened, their wait is owed to the control, and never more
        // than the logins' time at the bottleneck's nominal rate.
        let st = &w.hmi.stats;
        assert!(st.logins > 0, "{st:?}");
        let friction = owed(&r, "control: auth");
        assert!(friction > 0.0, "{:?}", r.loss_tree.losses);
        let bound = st.login_wait_s / 3600.0 * r.loss_tree.nominal_per_h;
        assert!(
            friction <= bound + 1e-6,
            "{friction} units > {bound} (logins' time at the line's rate)"
        );
    }
}

#[test]
fn a_personal_account_logs_in_only_after_the_idle_timeout() {
    let mut s = load(Path::new("scenarios/auth-personal-accounts.ron")).unwrap();
    // A session that never times out within the day: logged in at the start of the shift.
    if let Some(faultline::scenario::AuthenticationSpec {
        hmi: faultline::scenario::HmiLogin::Personal { timeout_min, .. },
        ..
    }) = s.authentication.as_mut()
    {
        *timeout_min = 48.0 * 60.0;
    }
    let mut w = World::new(&s, 42);
    w.run();
    assert_eq!(
        w.hmi.stats.logins, 0,
        "logged in at the start of the shift, never idle long enough"
    );
    let (w15, _) = run("scenarios/auth-personal-accounts.ron", 42);
    assert!(w15.hmi.stats.logins > 3, "{:?}", w15.hmi.stats);
}

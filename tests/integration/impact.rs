//! Impact by counterfactual, checked against counterfactuals built another way: each
//! factor's twin really lacks the factor (and keeps everything else), a factor's row equals
//! the difference to a scenario written by hand without it, and a factor a scenario's header
//! says costs (or saves) something has a row that is not zero, with that sign.

use faultline::impact::{Factor, factors, impact, name, without};
use faultline::report::Summary;
use faultline::{Scenario, World, load};
use std::path::Path;

fn cost(s: &Scenario, seed: u64) -> f64 {
    let mut w = World::new(s, seed);
    w.run();
    Summary::from_world(&w).cost.total
}

/// The factors of a scenario by name (the impact table's names), so that two scenarios'
/// factors compare whatever their order.
/// The rows of an impact table whose cost is not their production effect plus their fees.
pub(crate) fn rows_not_adding_up(i: &faultline::impact::Impact, tolerance: f64) -> Vec<String> {
    i.factors
        .iter()
        .chain([&i.interaction, &i.total])
        .filter(|r| (r.production_cost.mean + r.fees.mean - r.cost.mean).abs() > tolerance)
        .map(|r| {
            format!(
                "{}: production {} + fees {} is not its cost {}",
                r.name, r.production_cost.mean, r.fees.mean, r.cost.mean
            )
        })
        .collect()
}

fn named(s: &Scenario) -> Vec<String> {
    factors(s).into_iter().map(|f| name(s, f)).collect()
}

#[test]
fn every_factors_twin_lacks_it_and_keeps_every_other_factor() {
    let mut checked = 0;
    for path in crate::shipped_scenarios() {
        let s = load(&path).unwrap();
        let all = named(&s);
        for f in factors(&s) {
            let t = without(&s, f);
            let this = name(&s, f);
            let left = named(&t);
            // The twin lacks the factor: a control is no longer deployed, an attack step
            // is no longer in the campaign (its other steps are).
            match f {
                Factor::Control(c) => {
                    assert!(
                        !factors(&t).contains(&Factor::Control(c)),
                        "{}: without {this} still deploys it",
                        path.display()
                    );
                    let want: Vec<&String> = all.iter().filter(|n| **n != this).collect();
                    assert_eq!(
                        left.iter().collect::<Vec<_>>(),
                        want,
                        "{}: without {this}",
                        path.display()
                    );
                }
                Factor::Attack(k) => {
                    assert_eq!(t.attacks.len(), s.attacks.len() - 1);
                    let mut want = s.attacks.clone();
                    want.remove(k);
                    assert_eq!(
                        format!("{:?}", t.attacks),
                        format!("{want:?}"),
                        "{}: without {this}",
                        path.display()
                    );
                }
                Factor::Attacker => assert!(t.attacker.is_none()),
            }
            // And nothing else moved: with the factor put back by hand, the scenario is
            // the one it came from.
            let mut back = t.clone();
            match f {
                Factor::Control(_) => {
                    // The control's own sections, as the scenario had them.
                    back.segmentation = s.segmentation.clone();
                    back.dpi = s.dpi.clone();
                    back.ids = s.ids.clone();
                    back.vendor = s.vendor.clone();
                    back.health = s.health.clone();
                    back.device_monitoring = s.device_monitoring.clone();
                    back.response = s.response.clone();
                    back.line.island_mode = s.line.island_mode;
                    back.modbus_security = s.modbus_security.clone();
                    back.authentication = s.authentication.clone();
                }
                Factor::Attack(_) => back.attacks = s.attacks.clone(),
                Factor::Attacker => back.attacker = s.attacker.clone(),
            }
            assert_eq!(
                format!("{back:?}"),
                format!("{s:?}"),
                "{}: without {this} changed more than the factor",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked} factors");
}

/// A factor's row against the same seed of a scenario written by hand without it: a shipped
/// scenario that differs from the first by that factor alone, or an overlay under
/// tests/data/counterfactual/.
#[test]
fn a_factors_row_is_the_difference_to_a_scenario_written_without_it() {
    let cases = [
        (
            "vendor-gateway.ron",
            "control: gateway",
            "scenarios/vendor-vpn-stolen.ron",
        ),
        (
            "attack-it-scan-segmented.ron",
            "control: segmentation",
            "scenarios/attack-it-scan.ron",
        ),
        (
            "attack-setpoint-dpi.ron",
            "control: dpi",
            "scenarios/attack-setpoint.ron",
        ),
        (
            "auth-personal-accounts.ron",
            "control: auth",
            "scenarios/auth-shared-account.ron",
        ),
        (
            "tls-certificate-expiry.ron",
            "control: tls",
            "scenarios/bottling-line.ron",
        ),
        (
            "health-monitoring.ron",
            "control: health",
            "scenarios/bottling-line.ron",
        ),
        (
            "device-monitoring.ron",
            "control: devices",
            "scenarios/attack-flood-legacy.ron",
        ),
        (
            "monitoring-ids.ron",
            "control: ids",
            "scenarios/attack-setpoint-hidden.ron",
        ),
        (
            "response-block-host.ron",
            "control: response",
            "tests/data/counterfactual/response-block-host-without-response.ron",
        ),
        (
            "ransomware-segmented-island.ron",
            "control: island",
            "tests/data/counterfactual/ransomware-segmented-island-without-island-mode.ron",
        ),
        (
            "all-controls.ron",
            "control: dpi",
            "tests/data/counterfactual/all-controls-without-dpi.ron",
        ),
        (
            "attack-setpoint.ron",
            "step 1:",
            "tests/data/counterfactual/attack-setpoint-without-step-1.ron",
        ),
    ];
    let seed = 42;
    let mut problems = Vec::new();
    for (file, factor, by_hand) in cases {
        let s = load(&Path::new("scenarios").join(file)).unwrap();
        let i = impact(&s, seed, 1);
        let Some(row) = i.factors.iter().find(|r| r.name.starts_with(factor)) else {
            problems.push(format!(
                "{file}: no row for {factor} in {:?}",
                i.factors.iter().map(|r| &r.name).collect::<Vec<_>>()
            ));
            continue;
        };
        let twin = load(Path::new(by_hand)).unwrap();
        let want = cost(&s, seed) - cost(&twin, seed);
        if (row.cost.mean - want).abs() > 0.01 {
            problems.push(format!(
                "{file}: {} is {:.2}, the difference to {by_hand} is {want:.2}",
                row.name, row.cost.mean
            ));
        }
    }
    // The whole against the bare plant written by hand: scenarios that add attacks and
    // controls to the reference line and nothing else.
    for file in [
        "attack-setpoint.ron",
        "health-monitoring.ron",
        "ransomware-flat.ron",
    ] {
        let s = load(&Path::new("scenarios").join(file)).unwrap();
        let i = impact(&s, seed, 1);
        let bare = load(Path::new("scenarios/bottling-line.ron")).unwrap();
        let want = cost(&s, seed) - cost(&bare, seed);
        if (i.total.cost.mean - want).abs() > 0.01 {
            problems.push(format!(
                "{file}: total {:.2}, the difference to bottling-line.ron is {want:.2}",
                i.total.cost.mean
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What each scenario's header says a factor does to the plant, as the sign of its row on
/// seed 42: +1 it costs (the run with it is dearer), −1 it saves.
#[test]
fn a_factor_a_header_says_costs_or_saves_has_a_row_of_that_sign() {
    let claims: [(&str, &str, f64); 18] = [
        // "after ten seconds of overflow its watchdog faults it, the rinser stops"
        ("attack-flood-legacy.ron", "step 1:", 1.0),
        // "the three legacy PLCs hang … Their stations stop"
        ("attack-it-scan.ron", "step 1:", 1.0),
        // "segmentation turns the same IT scan into a non-event for the line"
        (
            "attack-it-scan-segmented.ron",
            "control: segmentation",
            -1.0,
        ),
        // "scrapped, until the operator sees the out-of-band alarm"
        ("attack-setpoint.ron", "step 1:", 1.0),
        // "what Modbus DPI stops, and what it costs": both steps blocked, one false
        // positive (its review among the DPI's fees, its scrap among its production)
        ("attack-setpoint-dpi.ron", "control: dpi", -1.0),
        // "under-pasteurized beer leaves the line for four hours"
        ("attack-setpoint-hidden.ron", "step 2:", 1.0),
        // "slow running is a loss like a stop"
        ("attack-speed-write.ron", "step 1:", 1.0),
        // "Beer is under-pasteurized until the operators notice"
        ("auth-shared-account.ron", "step 1:", 1.0),
        // "sheds the connections … before the watchdog trips"
        ("device-monitoring.ron", "control: devices", -1.0),
        // "a six-minute planned intervention instead of a 15-minute repair"
        ("health-monitoring.ron", "control: health", -1.0),
        // "the line cannot run without the MES … a precautionary shutdown"
        ("ransomware-flat.ron", "step 1:", 1.0),
        // "the worm stops at the DMZ … the line runs on local recipes"
        ("ransomware-segmented-island.ron", "control: island", -1.0),
        // "the HMI cannot reach that PLC … the line stands until someone notices"
        (
            "segmentation-forgotten-flow.ron",
            "control: segmentation",
            1.0,
        ),
        (
            "segmentation-nftables-forgotten.ron",
            "control: segmentation",
            1.0,
        ),
        // "writes the pasteurizer's setpoint straight through the firewall"
        ("segmentation-nftables-over-broad.ron", "step 1:", 1.0),
        // "the chips burn until the operators notice"
        ("snack-fryer-tamper.ron", "step 2:", 1.0),
        // "every filler repair now waits for the approval"
        ("vendor-gateway.ron", "control: gateway", 1.0),
        // "lower the pasteurizer's setpoint and stop the filler's PLC"
        ("vendor-vpn-stolen.ron", "step 2:", 1.0),
    ];
    let mut problems = Vec::new();
    for (file, factor, sign) in claims {
        let s = load(&Path::new("scenarios").join(file)).unwrap();
        let i = impact(&s, 42, 1);
        // Every row's cost is its production effect plus its fees.
        problems.extend(
            rows_not_adding_up(&i, 0.01)
                .into_iter()
                .map(|w| format!("{file}: {w}")),
        );
        match i.factors.iter().find(|r| r.name.starts_with(factor)) {
            None => problems.push(format!("{file}: no row for {factor}")),
            Some(r) if r.cost.mean * sign <= 0.0 => problems.push(format!(
                "{file}: {} is {:.2}, its header says it {}",
                r.name,
                r.cost.mean,
                if sign > 0.0 { "costs" } else { "saves" }
            )),
            Some(_) => {}
        }
    }
    // "The loss tree books those hours to the control": on seed 42 the expiry's hours
    // fall where the line is starved anyway (the same good units without TLS), so the
    // claim is the tree's, not the counterfactual's.
    let s = load(Path::new("scenarios/tls-certificate-expiry.ron")).unwrap();
    let mut w = World::new(&s, 42);
    w.run();
    let owed = crate::owed(&Summary::from_world(&w), "control: tls");
    if owed <= 0.0 {
        problems.push(format!(
            "tls-certificate-expiry.ron: the tree owes {owed} units to the control"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn over_seeds_a_scan_that_faults_legacy_plcs_costs_more_than_the_noise() {
    let s = load(Path::new("scenarios/attack-it-scan.ron")).unwrap();
    let i = impact(&s, 42, 8);
    let scan = &i.factors[0];
    assert!(scan.name.contains("T0846"), "{}", scan.name);
    assert_eq!(scan.cost.n, 8);
    assert!(scan.cost.ci95.0 > 0.0, "{:?}", scan.cost);
    assert!(!scan.within_noise);
    assert!(scan.good_units.ci95.1 < 0.0, "{:?}", scan.good_units);
    // Every loss category is averaged over the same 8 seeds, a seed without it counting 0
    // (a PLC fault the scan caused on some seeds only was averaged over those).
    for row in i.factors.iter().chain([&i.interaction, &i.total]) {
        for (k, v) in &row.lost_units {
            assert_eq!(v.n, 8, "{}: {k:?} over {} seeds", row.name, v.n);
        }
    }
    let fault = &scan.lost_units[&faultline::loss::LossCategory::CommunicationOrPlcFault];
    assert!(fault.sd > 0.0, "{fault:?}");
    // The tree's balance, differenced: the units the scan cost are its good units lost
    // (the recipes allowed the same on both runs).
    let lost: f64 = scan.lost_units.values().map(|v| v.mean).sum();
    assert!(
        (lost + scan.good_units.mean).abs() < 1.0,
        "Δ losses {lost} against Δ good {}",
        scan.good_units.mean
    );
    assert!(fault.mean > 0.0, "{fault:?}");
    // Each row's cost is its production effect (lost output and scrap materials) plus its
    // fees, seed by seed and so in the mean; the scan's scrap makes the materials count.
    let wrong = rows_not_adding_up(&i, 0.01);
    assert!(wrong.is_empty(), "{wrong:?}");
    assert!(scan.scrap_units.mean < 0.0, "{:?}", scan.scrap_units);
    // A lone factor has nothing to interact with: the interaction row is zero.
    assert_eq!(i.factors.len(), 1);
    assert_eq!(
        (i.interaction.cost.mean, i.interaction.good_units.mean),
        (0.0, 0.0),
        "{:?}",
        i.interaction
    );
    // On one seed the step's Δ downtime is the run's downtime less the run without it,
    // each read from its own summary.
    let one = impact(&s, 42, 1);
    let mut bare = s.clone();
    bare.attacks.clear();
    let downtime = |sc: &faultline::Scenario| {
        let mut w = World::new(sc, 42);
        w.run();
        Summary::from_world(&w).line.downtime_h
    };
    let want = downtime(&s) - downtime(&bare);
    assert!(
        (one.factors[0].downtime_h.mean - want).abs() < 1e-9,
        "Δ downtime {} against {want}",
        one.factors[0].downtime_h.mean
    );
}

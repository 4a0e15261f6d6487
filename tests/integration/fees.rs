//! Fees in the open: incident fees per outcome from the scenario's cost section (a step
//! that succeeded with an effect on the plant, one without, detected, blocked), the
//! defaults stated as assumptions wherever they are used, `validate` warning when a
//! scenario with attacks relies on them, and impact tables splitting the production
//! effect from the fees.

use faultline::dist::Quantity::Value;
use faultline::report::{StepOutcome, Summary};
use faultline::scenario::{AttackStep, IncidentFees};
use faultline::{Scenario, World, load};
use std::path::Path;

const OWN: IncidentFees = IncidentFees {
    succeeded_with_effect: Value(7_000.0),
    succeeded_without_effect: Value(300.0),
    detected: Value(150.0),
    blocked: Value(90.0),
};

fn run(s: &Scenario) -> Summary {
    let mut w = World::new(s, 42);
    w.run();
    Summary::from_world(&w)
}

/// The setpoint attack with its first step writing `value` (tenths of °C) to the
/// pasteurizer, at the user's own fees in EUR.
fn setpoint(value: u16) -> Scenario {
    let mut s = load(Path::new("scenarios/attack-setpoint.ron")).unwrap();
    s.attacks.truncate(1);
    match &mut s.attacks[0].step {
        AttackStep::WriteRegister { value: v, .. } => *v = value,
        other => panic!("the first step is a setpoint write: {other:?}"),
    }
    s.cost.incident = Some(OWN);
    s.cost.currency = "EUR".into();
    s
}

#[test]
fn a_write_that_changes_nothing_is_charged_the_no_effect_fee_and_one_that_scraps_the_recovery_fee()
{
    // 62.0 °C is the recipe's own setpoint until the 08:15 changeover: nothing changes.
    let quiet = run(&setpoint(620));
    let st = &quiet.security.steps[0];
    assert_eq!(st.outcome, "succeeded");
    assert_eq!(
        st.fee_for,
        Some(StepOutcome::SucceededWithoutEffect),
        "{st:?}"
    );
    assert!(
        st.lost_units < 1.0 && st.production_effect < quiet.cost.unit_value,
        "{st:?}"
    );
    assert_eq!(st.response_fee, 300.0);
    assert_eq!(quiet.cost.incident_response, 300.0);
    assert!(!quiet.cost.incident_fees_assumed);
    // 56.0 °C scraps beer: the recovery fee, and its production effect beside it.
    let loud = run(&setpoint(560));
    let st = &loud.security.steps[0];
    assert_eq!(st.fee_for, Some(StepOutcome::SucceededWithEffect), "{st:?}");
    assert_eq!(st.response_fee, 7_000.0);
    // The operator sees the out-of-band alarm and restores the recipe: 96 units, at $10.
    assert!(st.lost_units >= 1.0 && st.production_effect > 0.0, "{st:?}");
    assert!((st.cost - st.production_effect - st.response_fee).abs() < 0.02);
    // The text report states the fees in the scenario's currency, not as assumptions.
    let text = faultline::report::render_text(&loud);
    assert!(
        text.contains(
            "incident fees per step: succeeded with an effect 7,000 EUR, without 300 EUR, detected 150 EUR, blocked 90 EUR"
        ),
        "{text}"
    );
    assert!(!text.contains('$'), "a EUR scenario prints no $:\n{text}");
}

#[test]
fn blocked_and_detected_steps_are_charged_their_own_fees() {
    // The DPI blocks the setpoint write (and its IDS-free run detects it by the block).
    let mut s = load(Path::new("scenarios/attack-setpoint-dpi.ron")).unwrap();
    s.cost.incident = Some(OWN);
    let r = run(&s);
    let mut seen = 0;
    for st in &r.security.steps {
        let want = match st.fee_for {
            Some(StepOutcome::Blocked) => 90.0,
            Some(StepOutcome::Detected) => 150.0,
            Some(StepOutcome::SucceededWithEffect) => 7_000.0,
            Some(StepOutcome::SucceededWithoutEffect) => 300.0,
            None => 0.0,
        };
        assert_eq!(st.response_fee, want, "{st:?}");
        if st.outcome == "blocked" {
            assert_eq!(st.fee_for, Some(StepOutcome::Blocked));
            seen += 1;
        }
    }
    assert!(seen > 0, "the DPI blocks a step: {:?}", r.security.steps);
}

#[test]
fn the_default_fees_are_stated_as_assumptions_and_validate_warns_of_them() {
    let s = load(Path::new("scenarios/attack-setpoint.ron")).unwrap();
    assert!(s.cost.incident.is_none());
    let r = run(&s);
    assert!(r.cost.incident_fees_assumed);
    assert_eq!(r.cost.incident_fees, IncidentFees::DEFAULT);
    let text = faultline::report::render_text(&r);
    assert!(
        text.contains("incident fees per step (assumed defaults): succeeded with an effect $5,000"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["cost"]["incident_fees_assumed"], true);

    let (code, _, err) = crate::cli(&["validate", "scenarios/attack-setpoint.ron"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: cost.incident is not written"),
        "{err}"
    );
    // No attacks, no warning; fees written, no warning.
    let (_, _, err) = crate::cli(&["validate", "scenarios/bottling-line.ron"]);
    assert!(!err.contains("warning"), "{err}");
    let dir = std::env::temp_dir().join(format!("faultline-fees-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/attack-setpoint.ron").unwrap();
    let own = dir.join("own-fees.ron");
    std::fs::write(
        &own,
        format!(
            "Overlay(base: {:?}, name: \"own fees\", cost: Some((downtime_per_h: 36000.0, scrap_per_unit: 0.25, incident: Some((succeeded_with_effect: 7000.0, succeeded_without_effect: 300.0, detected: 150.0, blocked: 90.0)))))\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let (code, out, err) = crate::cli(&["validate", own.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!err.contains("cost.incident"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_older_two_prices_still_read_and_are_the_users_own() {
    let mut s = load(Path::new("scenarios/attack-setpoint.ron")).unwrap();
    s.cost.incident_recovery_per_step = Some(1_000.0);
    let (f, assumed) = s.cost.fees();
    assert!(!assumed);
    assert_eq!(f.all().map(|q| q.mean()), [1_000.0, 1_000.0, 800.0, 800.0]);
}

#[test]
fn the_impact_table_splits_production_from_fees_and_they_add_up() {
    let mut s = load(Path::new("scenarios/attack-setpoint.ron")).unwrap();
    s.cost.incident = Some(OWN);
    let i = faultline::impact::impact(&s, 42, 2);
    let wrong = crate::impact::rows_not_adding_up(&i, 0.05);
    assert!(wrong.is_empty(), "{wrong:?}");
    // The setpoint step's fees are its recovery fee (it scraps beer on every seed).
    let step = &i.factors[0];
    assert!(step.name.starts_with("step 1"), "{}", step.name);
    assert!((step.fees.mean - 7_000.0).abs() < 0.01, "{:?}", step.fees);
    let text = faultline::report::impact::impact_text(&i, "EUR");
    assert!(
        text.contains("Δ production (EUR)") && text.contains("Δ fees (EUR)"),
        "{text}"
    );
}

//! The downtime cost written as a distribution (the plant's own range for an hour of
//! downtime): a run prices lost output at its mean, a sweep's simulated years draw it.

use faultline::dist::{Dist, Quantity};
use faultline::sweep::{SweepSummary, run_sweep, toggle_variants};

/// all-controls (to 04:30) swept with the DPI toggled, its prices as written and as
/// `price` changes them: the same runs, and the same means (a year's price is its mean on
/// average), whatever the draws.
fn fixed_and_drawn(price: impl FnOnce(&mut faultline::Scenario)) -> (SweepSummary, SweepSummary) {
    fixed_and_drawn_of(crate::sweep::short_all_controls(), price)
}

/// The same, of scenario `s`.
fn fixed_and_drawn_of(
    mut s: faultline::Scenario,
    price: impl FnOnce(&mut faultline::Scenario),
) -> (SweepSummary, SweepSummary) {
    let (fees, _) = s.cost.fees();
    s.cost.incident = Some(fees);
    let sweep = |s: &faultline::Scenario| {
        let variants = toggle_variants(s, &["dpi".to_string()]).unwrap();
        run_sweep(&variants, 3, 42, 2, &|| {}, None, None).unwrap()
    };
    let fixed = sweep(&s);
    price(&mut s);
    let drawn = sweep(&s);
    assert_eq!(fixed.variants, drawn.variants);
    let (f, d) = (
        fixed.annual.as_ref().unwrap(),
        drawn.annual.as_ref().unwrap(),
    );
    for (f, d) in f.iter().zip(d) {
        assert_eq!(f.ale, d.ale);
    }
    let means = |a: &SweepSummary| {
        a.annual.as_ref().unwrap()[1]
            .vs_baseline
            .as_ref()
            .unwrap()
            .net_benefit_mean
            .clone()
    };
    assert_eq!(means(&fixed), means(&drawn));
    (fixed, drawn)
}

#[test]
fn a_downtime_cost_written_as_a_range_spreads_the_years_and_leaves_the_means() {
    // Centred on the fixed 36k (Pert(18k, 36k, 54k) has mean 36k).
    let (fixed, drawn) = fixed_and_drawn(|s| {
        s.cost.downtime_per_h = Quantity::Drawn(Dist::Pert {
            min: 18_000.0,
            likely: 36_000.0,
            max: 54_000.0,
        })
    });
    let (f, d) = (
        fixed.annual.as_ref().unwrap(),
        drawn.annual.as_ref().unwrap(),
    );
    // The years do where a campaign costs lost output (without the DPI; with it the
    // campaign costs fees only, which the downtime price does not touch).
    assert_ne!(f[0].annual_loss.p99, d[0].annual_loss.p99);
    assert_eq!(f[1].annual_loss, d[1].annual_loss);
    let (fd, dd) = (
        f[1].vs_baseline.as_ref().unwrap(),
        d[1].vs_baseline.as_ref().unwrap(),
    );
    assert_eq!(fd.net_benefit_mean, dd.net_benefit_mean);
    let row = dd
        .sensitivity
        .iter()
        .find(|s| s.input == "price: downtime per hour")
        .expect("the downtime cost in the tornado");
    // The DPI avoids lost output: the dearer the hour, the more it is worth.
    assert!(row.net_at_high > row.net_at_low, "{row:?}");
    assert!(row.low < 36_000.0 && row.high > 36_000.0, "{row:?}");
    assert!(
        fd.sensitivity
            .iter()
            .all(|s| s.input != "price: downtime per hour")
    );
    // The reports say what the years draw.
    let text = faultline::report::text::sweep_table(&drawn);
    assert!(
        text.contains("each drawing the frequency and the downtime cost"),
        "{text}"
    );
}

#[test]
fn a_downtime_cost_range_that_is_not_a_distribution_is_refused_at_its_field() {
    let dir = std::env::temp_dir().join(format!("faultline-dt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/bottling-line.ron").unwrap();
    let path = dir.join("bad.ron");
    std::fs::write(
        &path,
        format!(
            "Overlay(base: {:?}, name: \"bad\", cost: Some((downtime_per_h: Uniform(50000.0, 20000.0), scrap_per_unit: 0.25)))\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let err = faultline::load(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(err.contains("cost.downtime_per_h"), "{err}");
    assert!(err.contains("Uniform(50000, 20000)"), "{err}");
}

#[test]
fn incident_fees_written_as_ranges_leave_the_means_and_enter_the_tornado() {
    // The same means as ranges: 5,000 as Uniform(2,000, 8,000), 800 as Uniform(0, 1,600).
    let (_, drawn) = fixed_and_drawn(|s| {
        let f = s.cost.incident.as_mut().unwrap();
        f.succeeded_with_effect = Quantity::Drawn(Dist::Uniform(2_000.0, 8_000.0));
        f.blocked = Quantity::Drawn(Dist::Uniform(0.0, 1_600.0));
    });
    let d = drawn.annual.as_ref().unwrap();
    let dd = d[1].vs_baseline.as_ref().unwrap();
    // Without the DPI the setpoint write succeeds with an effect; with it, it is blocked:
    // the dearer recovery, the more the DPI nets; the dearer triage, the less.
    let row = |name: &str| {
        dd.sensitivity
            .iter()
            .find(|s| s.input == name)
            .unwrap_or_else(|| panic!("no {name} in {:?}", dd.sensitivity))
            .clone()
    };
    let with = row("price: incident fee, succeeded with an effect");
    assert!(with.net_at_high > with.net_at_low, "{with:?}");
    let blocked = row("price: incident fee, blocked");
    assert!(blocked.net_at_high < blocked.net_at_low, "{blocked:?}");
    let text = faultline::report::text::sweep_table(&drawn);
    assert!(
        text.contains("each drawing the frequency and the incident fees"),
        "{text}"
    );
}

#[test]
fn the_scrap_review_and_out_of_band_prices_written_as_ranges_leave_the_means_and_enter_the_tornado()
{
    // Each centred on the price as written (a uniform ±50 %).
    let around = |q: Quantity| {
        let m = q.mean();
        Quantity::Drawn(Dist::Uniform(0.5 * m, 1.5 * m))
    };
    let (_, drawn) = fixed_and_drawn(|s| {
        let c = &mut s.cost;
        c.scrap_per_unit = around(c.scrap_per_unit);
        c.per_false_positive = around(c.per_false_positive);
        let o = c
            .out_of_band
            .as_mut()
            .expect("all-controls prices out-of-band product");
        o.test_per_lot = around(o.test_per_lot);
        o.recall_per_unit = around(o.recall_per_unit);
    });
    let d = drawn.annual.as_ref().unwrap();
    let dd = d[1].vs_baseline.as_ref().unwrap();
    // Without the DPI the setpoint write scraps bottles and a lot is held to test; with it
    // the write is blocked: dearer scrap and dearer tests, the DPI nets more.
    let scrap = row(dd, "price: scrap per unit");
    assert!(scrap.net_at_high > scrap.net_at_low, "{scrap:?}");
    let tests = row(dd, "price: test per held lot");
    assert!(tests.net_at_high > tests.net_at_low, "{tests:?}");
    // Before 04:30 the DPI blocks no legitimate request, and nothing ships out of band on
    // either side: those prices move nothing.
    assert_eq!(row(dd, "price: false-positive review").width(), 0.0);
    assert_eq!(row(dd, "price: recall per unit").width(), 0.0);
    let text = faultline::report::text::sweep_table(&drawn);
    assert!(
        text.contains("each drawing the frequency, the scrap price, the false-positive review, the held lots' test and the recall per unit"),
        "{text}"
    );
}

fn row(d: &faultline::sweep::AnnualDelta, name: &str) -> faultline::sweep::Swing {
    d.sensitivity
        .iter()
        .find(|s| s.input == name)
        .unwrap_or_else(|| panic!("no {name} in {:?}", d.sensitivity))
        .clone()
}

#[test]
fn a_false_positive_review_written_as_a_range_costs_the_control_that_blocks_legitimate_work() {
    // attack-setpoint-dpi to 09:00, priced per year as all-controls is: the DPI blocks the
    // changeover's recipe write at 08:30 (one false positive on every seed).
    let mut s = faultline::load(std::path::Path::new("scenarios/attack-setpoint-dpi.ron")).unwrap();
    let priced = faultline::load(std::path::Path::new("scenarios/all-controls.ron")).unwrap();
    s.risk = priced.risk;
    s.duration_h = 9.0;
    s.schedule.retain(|e| e.at_h <= 9.0);
    let (_, drawn) = fixed_and_drawn_of(s, |s| {
        s.cost.per_false_positive = Quantity::Drawn(Dist::Uniform(0.0, 300.0));
    });
    let dd = drawn.annual.as_ref().unwrap()[1]
        .vs_baseline
        .clone()
        .unwrap();
    let review = row(&dd, "price: false-positive review");
    // One review more a day with the DPI, 330 operating days, P10–P90 of U(0, 300):
    // 30 and 270, so the net moves by 240 × 330 = 79,200.
    assert_eq!((review.low, review.high), (30.0, 270.0));
    assert!(
        (review.net_at_low - review.net_at_high - 79_200.0).abs() < 0.02,
        "{review:?}"
    );
}

#[test]
fn every_price_range_that_is_not_a_distribution_is_refused_at_its_field() {
    let dir = std::env::temp_dir().join(format!("faultline-pr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/bottling-line.ron").unwrap();
    let bad = "Uniform(50.0, 20.0)";
    let oob = |field: &str| {
        let mut f = vec![
            ("ships_after_h", "2.0"),
            ("test_per_lot", "400.0"),
            ("recall_per_unit", "0.6"),
            ("recall_fixed", "150000.0"),
            ("regulatory", "0.0"),
        ];
        for x in &mut f {
            if x.0 == field {
                x.1 = bad;
            }
        }
        let f: Vec<String> = f.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        format!("out_of_band: Some(({}))", f.join(", "))
    };
    for (field, cost) in [
        ("cost.scrap_per_unit", format!("scrap_per_unit: {bad}")),
        (
            "cost.per_false_positive",
            format!("scrap_per_unit: 0.25, per_false_positive: {bad}"),
        ),
        (
            "cost.out_of_band.test_per_lot",
            format!("scrap_per_unit: 0.25, {}", oob("test_per_lot")),
        ),
        (
            "cost.out_of_band.recall_per_unit",
            format!("scrap_per_unit: 0.25, {}", oob("recall_per_unit")),
        ),
        (
            "cost.out_of_band.recall_fixed",
            format!("scrap_per_unit: 0.25, {}", oob("recall_fixed")),
        ),
        (
            "cost.out_of_band.regulatory",
            format!("scrap_per_unit: 0.25, {}", oob("regulatory")),
        ),
    ] {
        let path = dir.join("bad.ron");
        std::fs::write(
            &path,
            format!(
                "Overlay(base: {:?}, name: \"bad\", cost: Some((downtime_per_h: 36000.0, {cost})))\n",
                base.display().to_string()
            ),
        )
        .unwrap();
        let err = faultline::load(&path).unwrap_err().to_string();
        assert!(err.contains(field), "{field}: {err}");
        assert!(err.contains("Uniform(50, 20)"), "{field}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

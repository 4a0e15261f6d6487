//! Secondary loss (Open FAIR) for a process plant: product made out of the pasteurizer's
//! band is held when the HMI shows the excursion within the shipping delay of its making,
//! shipped (and recalled) when it does not. Checked against a shadow account the test
//! keeps itself, tick by tick, from the station's counters and what the HMI displays.

use faultline::act::Act;
use faultline::report::Summary;
use faultline::report::text::thousands;
use faultline::scenario::OutOfBandCosts;
use faultline::{Scenario, World, load};
use std::path::Path;

const H: u64 = 3_600_000_000;

/// What the test saw: units scrapped for temperature at each tick, and the first tick the
/// HMI displayed the pasteurizer out of its band.
struct Shadow {
    made: Vec<(u64, u64)>,
    first_shown: Option<u64>,
}

fn shadowed(s: &Scenario, seed: u64) -> (Summary, Shadow) {
    let (_, r, shadow) = shadowed_world(s, seed, &[]);
    (r, shadow)
}

/// `s` run at `seed` with the shadow, each of `acts` (hour, action) applied at the first
/// step at or after its hour, as an exercise's decision is.
fn shadowed_world(s: &Scenario, seed: u64, acts: &[(f64, Act)]) -> (World, Summary, Shadow) {
    let p = s
        .stations
        .iter()
        .position(|st| st.name == "pasteurizer")
        .unwrap();
    let mut w = World::new(s, seed);
    let mut shadow = Shadow {
        made: Vec::new(),
        first_shown: None,
    };
    let mut last = 0;
    let mut acts = acts.iter().peekable();
    while !w.done() {
        while let Some((_, a)) = acts.next_if(|(h, _)| w.now >= (h * H as f64) as u64) {
            w.act(a);
        }
        let t = w.now;
        w.step();
        let st = &w.plant.stations[p];
        let scrap = st.counters.scrap_temperature;
        if scrap > last {
            shadow.made.push((t, scrap - last));
        }
        last = scrap;
        let (lo, hi) = st.thermal.as_ref().unwrap().band_c;
        let shown = w.hmi.views[p].temp_c.is_some_and(|c| c < lo || c > hi);
        if shown && !shadow.made.is_empty() && shadow.first_shown.is_none() {
            shadow.first_shown = Some(t);
        }
    }
    let r = Summary::from_world(&w);
    (w, r, shadow)
}

fn prices(s: &Scenario) -> OutOfBandCosts {
    s.cost
        .out_of_band
        .expect("bottling-line.ron prices out-of-band product")
}

#[test]
fn the_hidden_setpoint_ships_what_the_hmi_hid_and_holds_the_rest() {
    let s = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let (r, shadow) = shadowed(&s, 42);
    let b = &r.cost.out_of_band;
    let p = prices(&s);
    assert!(b.priced);
    // One excursion, hidden by the spoofed status for four hours: the HMI first shows it
    // when the replay ends, never before.
    assert_eq!(b.excursions.len(), 1, "{b:#?}");
    let e = &b.excursions[0];
    let seen = shadow
        .first_shown
        .expect("the HMI shows it once the spoof ends");
    let seen_h = e.seen_at_h.unwrap();
    assert!(
        (seen_h - seen as f64 / H as f64).abs() < 1.0 / 3600.0,
        "seen at {seen_h} h, the HMI displayed it at {} h",
        seen as f64 / H as f64
    );
    assert!(seen_h > 8.0, "hidden for four hours: {seen_h}");
    // Every unit scrapped for temperature is held or shipped; shipped are those made more
    // than ships_after_h before the HMI showed the excursion (to the second).
    let all: u64 = shadow.made.iter().map(|m| m.1).sum();
    assert_eq!(b.units, all);
    assert_eq!(b.held + b.shipped, all);
    let limit = seen.saturating_sub((p.ships_after_h * H as f64) as u64);
    let shipped: u64 = shadow
        .made
        .iter()
        .filter(|m| m.0 < limit)
        .map(|m| m.1)
        .sum();
    let one_second: u64 = shadow
        .made
        .iter()
        .filter(|m| m.0 + 1_000_000 >= limit && m.0 < limit + 1_000_000)
        .map(|m| m.1)
        .sum();
    assert!(
        b.shipped.abs_diff(shipped) <= one_second,
        "shipped {} ≠ {shipped} (± {one_second})",
        b.shipped
    );
    assert!(b.shipped > 1_000 && b.held > 1_000, "{b:#?}");
    // The secondary loss is its prices times its counts, and all of it is the step's that
    // wrote the setpoint.
    assert_eq!((b.held_lots, b.recalls), (1, 1));
    let expect = p.test_per_lot.mean()
        + b.shipped as f64 * p.recall_per_unit.mean()
        + p.recall_fixed.mean()
        + p.regulatory.mean();
    assert!((b.total - expect).abs() < 0.01, "{} ≠ {expect}", b.total);
    assert_eq!(r.cost.secondary_loss, b.total);
    let step = r
        .cost
        .by_cause
        .iter()
        .find(|c| c.cause.starts_with("step 2: T0836"))
        .unwrap();
    assert_eq!(step.secondary_loss, b.total, "{:#?}", r.cost.by_cause);
    assert_eq!(e.by_cause.len(), 1);
    assert!(e.by_cause[0].cause.starts_with("step 2: T0836"));
}

#[test]
fn the_html_report_shows_the_held_and_shipped_product_and_the_text_its_lines() {
    let s = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let (w, r, _) = shadowed_world(&s, 42, &[]);
    let b = &r.cost.out_of_band;
    let html = faultline::report::html::run_page(&w, &r);
    let title = format!(
        "Product made out of band: {} held, {} shipped — secondary loss USD {:.0}",
        b.held, b.shipped, b.total
    );
    assert!(html.contains(&title), "no `{title}` in report.html");
    assert!(html.contains("secondary loss (held lots, recalls)"));
    let text = faultline::report::render_text(&r);
    let line = format!(
        "{} shipped before the plant saw the excursion (1 recall: handling $",
        thousands(b.shipped)
    );
    assert!(text.contains(&line), "no `{line}` in {text}");
    assert!(text.contains(&format!("+ secondary loss ${}", thousands(b.total as u64))));
}

#[test]
fn an_excursion_the_operator_sees_at_once_is_held_and_never_recalled() {
    let s = load(Path::new("scenarios/attack-setpoint.ron")).unwrap();
    let (r, shadow) = shadowed(&s, 42);
    let b = &r.cost.out_of_band;
    assert!(b.units > 0, "the setpoint write scraps beer: {b:#?}");
    assert_eq!(b.units, shadow.made.iter().map(|m| m.1).sum::<u64>());
    assert_eq!((b.shipped, b.recalls), (0, 0), "{b:#?}");
    assert_eq!(b.held, b.units);
    assert_eq!(b.total, b.held_lots as f64 * prices(&s).test_per_lot.mean());
    let e = &b.excursions[0];
    assert!(e.seen_at_h.unwrap() - e.start_h < 0.01, "{e:?}");
}

#[test]
fn the_later_product_leaves_the_site_the_fewer_units_are_recalled() {
    let base = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let mut shipped = Vec::new();
    for ships_after_h in [0.0, 1.0, 2.0, 3.0, 5.0] {
        let mut s = base.clone();
        s.cost.out_of_band.as_mut().unwrap().ships_after_h = ships_after_h;
        let (r, _) = shadowed(&s, 42);
        let b = r.cost.out_of_band.clone();
        assert_eq!(b.ships_after_h, Some(ships_after_h));
        shipped.push((ships_after_h, b.shipped, b.units));
    }
    // The units never change (the physics does not read the prices); the shipped ones
    // fall as the delay grows, to none once it is longer than the four hours hidden.
    assert!(shipped.iter().all(|x| x.2 == shipped[0].2), "{shipped:?}");
    assert!(
        shipped.windows(2).all(|w| w[1].1 < w[0].1 || w[1].1 == 0),
        "{shipped:?}"
    );
    assert_eq!(shipped[0].1, shipped[0].2, "shipped at once: all of it");
    assert_eq!(shipped.last().unwrap().1, 0, "{shipped:?}");
}

#[test]
fn without_prices_the_units_are_counted_and_nothing_is_charged() {
    let mut s = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let priced = shadowed(&s, 42).0;
    s.cost.out_of_band = None;
    let (r, _) = shadowed(&s, 42);
    let b = &r.cost.out_of_band;
    assert!(!b.priced);
    assert_eq!(b.units, priced.cost.out_of_band.units);
    // Not priced, "shipped" is "never shown by the HMI": the spoof ended, so none.
    assert_eq!((b.held, b.shipped), (b.units, 0));
    assert_eq!((b.total, r.cost.secondary_loss), (0.0, 0.0));
    assert_eq!(
        r.cost.total + priced.cost.secondary_loss,
        priced.cost.total,
        "the secondary loss is the whole difference"
    );
    let text = faultline::report::render_text(&r);
    assert!(text.contains("not priced"), "{text}");
    assert!(!text.contains("secondary loss"), "{text}");
}

#[test]
fn every_shipped_scenarios_secondary_loss_is_its_counts_times_its_prices() {
    for path in crate::shipped_scenarios() {
        let run = crate::shipped_run(&path, 42);
        let (s, r) = (&run.world.scenario, &run.summary);
        let b = &r.cost.out_of_band;
        let ctx = format!("{}: {b:#?}", path.display());
        assert_eq!(b.held + b.shipped, b.units, "{ctx}");
        let lines: u64 = b.excursions.iter().map(|e| e.held + e.shipped).sum();
        assert_eq!(lines, b.units, "{ctx}");
        let causes: u64 = b
            .excursions
            .iter()
            .flat_map(|e| &e.by_cause)
            .map(|c| c.held + c.shipped)
            .sum();
        assert_eq!(causes, b.units, "{ctx}");
        // The units are the thermal stations' temperature scrap.
        let scrap: u64 = run
            .world
            .plant
            .stations
            .iter()
            .map(|st| st.counters.scrap_temperature)
            .sum();
        assert_eq!(b.units, scrap, "{ctx}");
        let expect = match s.cost.out_of_band {
            None => 0.0,
            Some(p) => {
                b.held_lots as f64 * p.test_per_lot.mean()
                    + b.shipped as f64 * p.recall_per_unit.mean()
                    + b.recalls as f64 * (p.recall_fixed.mean() + p.regulatory.mean())
            }
        };
        assert!((b.total - expect).abs() < 0.01, "{expect}: {ctx}");
        let owed: f64 = r.cost.by_cause.iter().map(|c| c.secondary_loss).sum();
        assert!((owed - b.total).abs() < 0.01, "{owed}: {ctx}");
    }
}

#[test]
fn an_ids_alert_on_the_pasteurizers_plc_holds_the_product_the_spoofed_hmi_hid() {
    // The same attack under a passive IDS: the HMI still shows nothing, but the alert
    // about the write sends someone to look, so nothing ships and nothing is recalled.
    let hidden = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let watched = load(Path::new("scenarios/monitoring-ids.ron")).unwrap();
    let (h, _) = shadowed(&hidden, 42);
    let (r, shadow) = shadowed(&watched, 42);
    let write = r
        .security
        .steps
        .iter()
        .position(|st| st.technique.starts_with("T0836"))
        .unwrap();
    let after_s = r.security.steps[write]
        .detected_after_s
        .expect("the IDS flags the write");
    let detected_h = watched.attacks[write].at_h + after_s / 3600.0;
    let b = &r.cost.out_of_band;
    assert_eq!(
        b.units, h.cost.out_of_band.units,
        "the IDS changes no physics"
    );
    let e = &b.excursions[0];
    let seen_h = e.seen_at_h.unwrap();
    // Seen when the alert came, hours before the HMI itself showed anything.
    assert!(
        (seen_h - detected_h.max(e.start_h)).abs() < 1.0 / 3600.0,
        "{e:?} {detected_h}"
    );
    let hmi_h = shadow.first_shown.unwrap() as f64 / H as f64;
    assert!(hmi_h - seen_h > 4.0, "{hmi_h} {seen_h}");
    assert_eq!((b.shipped, b.recalls), (0, 0), "{b:#?}");
    assert!(h.cost.out_of_band.recalls == 1 && h.cost.secondary_loss > 150_000.0);
}

#[test]
fn validate_warns_when_an_attacked_process_plant_does_not_price_product_out_of_band() {
    // attack-setpoint.ron inherits bottling-line.ron's prices: no such warning.
    let (code, _, err) = crate::cli(&["validate", "scenarios/attack-setpoint.ron"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("cost.out_of_band"), "{err}");
    // The same attack with a cost section of the user's own that leaves them out.
    let dir = std::env::temp_dir().join(format!("faultline-oob-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/attack-setpoint.ron").unwrap();
    let own = dir.join("unpriced.ron");
    std::fs::write(
        &own,
        format!(
            "Overlay(base: {:?}, name: \"unpriced\", cost: Some((currency: \"EUR\", downtime_per_h: 30000.0, scrap_per_unit: 0.2)))\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let (code, out, err) = crate::cli(&["validate", own.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(
            "warning: cost.out_of_band is not written: product made out of the band of pasteurizer"
        ),
        "{err}"
    );
    // No attacks, no warning (bottling-line.ron prices it anyway; minimal.ron has no
    // thermal station).
    let (_, _, err) = crate::cli(&["validate", "scenarios/minimal.ron"]);
    assert!(!err.contains("cost.out_of_band"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// attack-setpoint seed 42 (the operator sees the excursion at once: all of it held) with
/// its held product's disposition as `held`.
fn disposed(held: faultline::scenario::Disposition) -> (Scenario, Summary) {
    let mut s = load(Path::new("scenarios/attack-setpoint.ron")).unwrap();
    s.cost.out_of_band.as_mut().unwrap().held = held;
    let mut w = World::new(&s, 42);
    w.run();
    let r = Summary::from_world(&w);
    (s, r)
}

#[test]
fn held_product_released_or_reworked_comes_back_as_a_credit_and_the_physics_do_not_move() {
    use faultline::dist::Quantity;
    use faultline::scenario::Disposition;
    let (s, destroyed) = disposed(Disposition::Destroy);
    let d = &destroyed.cost.out_of_band;
    assert!(d.held > 100 && d.recovered == 0, "{d:#?}");
    // A unit's output as the loss tree prices it, and its materials.
    let unit = s.cost.downtime_per_h.mean() / faultline::world::bottleneck(&s).1
        + s.cost.scrap_per_unit.mean();
    for (held, share, per_unit) in [
        (Disposition::Release { pass_rate: 0.8 }, 0.8, 0.0),
        (
            Disposition::Rework {
                per_unit: Quantity::Value(0.1),
                yield_rate: 0.95,
            },
            0.95,
            0.1,
        ),
    ] {
        let (_, r) = disposed(held);
        let b = &r.cost.out_of_band;
        // The physics and the tree are the run's without the disposition: the units were
        // not good at first pass.
        assert_eq!(
            serde_json::to_string(&r.loss_tree).unwrap(),
            serde_json::to_string(&destroyed.loss_tree).unwrap()
        );
        assert_eq!(r.line.oee.oee, destroyed.line.oee.oee);
        assert_eq!((b.held, b.shipped), (d.held, d.shipped));
        // Recovered: the share of each cause's held units, rounded, in every excursion.
        let recovered: u64 = b
            .excursions
            .iter()
            .flat_map(|e| &e.by_cause)
            .map(|c| (c.held as f64 * share).round() as u64)
            .sum();
        assert_eq!(b.recovered, recovered, "{held:?}");
        assert!(b.recovered > 0);
        let credit = b.recovered_output + b.recovered_materials;
        assert!(
            (credit - recovered as f64 * unit).abs() < 0.02,
            "{held:?}: {credit} against {}",
            recovered as f64 * unit
        );
        assert!(
            (b.rework - b.held as f64 * per_unit).abs() < 0.01,
            "{held:?}"
        );
        // The secondary loss takes the credit off and adds the rework; the run's total
        // moves by exactly that.
        assert!(
            (b.total - (d.total + b.rework - credit)).abs() < 0.02,
            "{held:?}: {} against {}",
            b.total,
            d.total + b.rework - credit
        );
        let moved = r.cost.total - destroyed.cost.total;
        assert!(
            (moved - (b.total - d.total)).abs() < 0.02,
            "{held:?}: total moved {moved}"
        );
        // Each cause's share comes back to it: what it owes falls by its recovered units'
        // worth less their rework, and stays above nothing (their output was charged to it).
        let owed = |r: &Summary, cause: &str| {
            r.cost
                .by_cause
                .iter()
                .find(|c| c.cause == cause)
                .map_or(0.0, |c| c.total)
        };
        let mut causes: Vec<&str> = b
            .excursions
            .iter()
            .flat_map(|e| &e.by_cause)
            .map(|c| c.cause.as_str())
            .collect();
        causes.dedup();
        for cause in causes {
            let (back, reworked) = b
                .excursions
                .iter()
                .flat_map(|e| &e.by_cause)
                .filter(|c| c.cause == cause)
                .fold((0.0, 0.0), |(x, y), c| {
                    (x + (c.held as f64 * share).round(), y + c.held as f64)
                });
            let fall = owed(&destroyed, cause) - owed(&r, cause);
            assert!(
                (fall - (back * unit - reworked * per_unit)).abs() < 0.05,
                "{held:?} {cause}: {fall}"
            );
            assert!(owed(&r, cause) > 0.0, "{held:?} {cause}");
        }
        let text = faultline::report::text::render_text(&r);
        assert!(
            text.contains("units recovered, their output")
                && text.contains(&thousands(b.recovered)),
            "{text}"
        );
    }
}

#[test]
fn a_disposition_share_outside_0_to_1_is_refused_at_its_field() {
    let dir = std::env::temp_dir().join(format!("faultline-disp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::canonicalize("scenarios/attack-setpoint.ron").unwrap();
    for (held, field) in [
        ("Release(pass_rate: 1.5)", "cost.out_of_band.held.pass_rate"),
        (
            "Rework(per_unit: 0.1, yield_rate: -0.2)",
            "cost.out_of_band.held.yield_rate",
        ),
        (
            "Rework(per_unit: Uniform(0.3, 0.1), yield_rate: 0.9)",
            "cost.out_of_band.held.per_unit",
        ),
    ] {
        let path = dir.join("bad.ron");
        std::fs::write(
            &path,
            format!(
                "Overlay(base: {:?}, name: \"bad\", cost: Some((downtime_per_h: 36000.0, scrap_per_unit: 0.25, out_of_band: Some((ships_after_h: 2.0, recall_per_unit: 0.6, recall_fixed: 150000.0, held: {held})))))\n",
                base.display().to_string()
            ),
        )
        .unwrap();
        let err = faultline::load(&path).unwrap_err().to_string();
        assert!(err.contains(field), "{held}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn quality_holding_the_product_holds_what_had_not_shipped_and_its_disposition_prices_it() {
    use faultline::scenario::Disposition;
    let s = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    let p = prices(&s);
    let ships_after = (p.ships_after_h * H as f64) as u64;
    let (plain, _) = shadowed(&s, 42);
    let unseen = plain.cost.out_of_band.excursions[0].seen_at_h.unwrap();
    // Held at 06:30, while the spoof still hides the excursion from the HMI (seen at
    // `unseen` without the hold): seen then; shipped what was made before 04:30.
    let hold = Act::HoldProduct("pasteurizer".into());
    let (_, r, shadow) = shadowed_world(&s, 42, &[(6.5, hold.clone())]);
    let b = &r.cost.out_of_band;
    assert!(unseen > 6.5, "the HMI shows it only at {unseen} h");
    assert_eq!(b.excursions.len(), 1, "{b:#?}");
    let seen = b.excursions[0].seen_at_h.unwrap();
    assert!((seen - 6.5).abs() < 1.0 / 3600.0, "seen at {seen} h");
    let limit = (6.5 * H as f64) as u64 - ships_after;
    let made = |f: &dyn Fn(u64) -> bool| -> u64 {
        shadow.made.iter().filter(|m| f(m.0)).map(|m| m.1).sum()
    };
    let shipped = made(&|t| t < limit);
    let one_second = made(&|t| t + 1_000_000 >= limit && t < limit + 1_000_000);
    assert!(
        b.shipped.abs_diff(shipped) <= one_second,
        "shipped {} ≠ {shipped} (± {one_second})",
        b.shipped
    );
    assert_eq!(b.held + b.shipped, made(&|_| true));
    assert!(
        b.held > plain.cost.out_of_band.held && b.shipped > 0,
        "{b:#?}"
    );
    // A hold moves paperwork, not physics: the tree and the product are the run's.
    assert_eq!(
        serde_json::to_string(&r.loss_tree).unwrap(),
        serde_json::to_string(&plain.loss_tree).unwrap()
    );
    assert_eq!(b.units, plain.cost.out_of_band.units);
    let expect = p.test_per_lot.mean()
        + b.shipped as f64 * p.recall_per_unit.mean()
        + p.recall_fixed.mean()
        + p.regulatory.mean();
    assert!((b.total - expect).abs() < 0.01, "{} ≠ {expect}", b.total);

    // Held at 02:00, before the attack: the excursion is seen as it begins, nothing ships,
    // and no recall is owed.
    let (_, early, _) = shadowed_world(&s, 42, &[(2.0, hold.clone())]);
    let e = &early.cost.out_of_band;
    assert_eq!((e.shipped, e.held, e.recalls), (0, b.units, 0), "{e:#?}");
    assert!((e.excursions[0].seen_at_h.unwrap() - e.excursions[0].start_h).abs() < 1e-9);
    assert!(
        (e.total - p.test_per_lot.mean()).abs() < 0.01,
        "{}",
        e.total
    );

    // The decision on what becomes of it: half released after the lab's tests, each
    // cause's held units rounded, credited at a unit's output and materials.
    let release = Act::Disposition(Disposition::Release { pass_rate: 0.5 });
    let (_, rr, _) = shadowed_world(&s, 42, &[(6.5, hold), (6.5, release)]);
    let q = &rr.cost.out_of_band;
    assert_eq!((q.held, q.shipped), (b.held, b.shipped));
    assert_eq!(q.disposition, Disposition::Release { pass_rate: 0.5 });
    let back: u64 = q
        .excursions
        .iter()
        .flat_map(|e| &e.by_cause)
        .map(|c| (c.held as f64 * 0.5).round() as u64)
        .sum();
    assert_eq!(q.recovered, back);
    let unit = s.cost.downtime_per_h.mean() / faultline::world::bottleneck(&s).1
        + s.cost.scrap_per_unit.mean();
    assert!(
        (q.total - (expect - back as f64 * unit)).abs() < 0.05,
        "{} against {}",
        q.total,
        expect - back as f64 * unit
    );
    assert!(
        (rr.cost.total - r.cost.total - (q.total - b.total)).abs() < 0.05,
        "the run's total moves by the secondary loss's move only"
    );
}

#[test]
fn a_hold_or_a_disposition_that_cannot_apply_is_refused_with_what_would() {
    use faultline::scenario::Disposition;
    let s = load(Path::new("scenarios/attack-setpoint-hidden.ron")).unwrap();
    assert_eq!(Act::HoldProduct("pasteurizer".into()).check(&s), None);
    let m = Act::HoldProduct("filler".into()).check(&s).unwrap();
    assert!(m.contains("no thermal process"), "{m}");
    let m = Act::HoldProduct("oven".into()).check(&s).unwrap();
    assert!(m.contains("thermal stations: pasteurizer"), "{m}");
    let m = Act::Disposition(Disposition::Release { pass_rate: 1.5 })
        .check(&s)
        .unwrap();
    assert!(
        m.starts_with("pass_rate: 1.5 must be a share from 0 to 1"),
        "{m}"
    );
    let mut unpriced = s.clone();
    unpriced.cost.out_of_band = None;
    let m = Act::Disposition(Disposition::Destroy)
        .check(&unpriced)
        .unwrap();
    assert!(m.contains("out_of_band: Some"), "{m}");
}

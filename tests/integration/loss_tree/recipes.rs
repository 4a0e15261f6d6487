//! Recipes faster and slower than nameplate, targets below it, and speed losses of
//! several causes: the tree measures speed against the recipe in force, never negative.

use super::*;

/// The reference line with a recipe that runs the filler (the bottleneck) at `pct` % from
/// 08:30, and the plan's target `target_per_h`. Every other machine is 20 % faster than on
/// the reference (whose pasteurizer has 5 % in hand): a recipe up to 115 % keeps the
/// bottleneck on the filler, as a line built for it would.
fn with_recipe(pct: u16, target_per_h: Option<f64>) -> Scenario {
    let mut s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    for st in &mut s.stations {
        if st.name != "filler" {
            st.cycle_s *= 0.8;
        }
    }
    for e in &mut s.schedule {
        if let faultline::scenario::Action::Changeover { setpoints, .. } = &mut e.action {
            for sp in setpoints.iter_mut() {
                if let faultline::scenario::Setpoint::Speed(name, p) = sp
                    && name == "filler"
                {
                    *p = pct;
                }
            }
        }
    }
    if target_per_h.is_some() {
        s.line.target_per_h = target_per_h;
    }
    s
}

fn no_negative_line(r: &Summary, place: &str) {
    for l in &r.loss_tree.losses {
        let variation = l.category == LossCategory::SpeedLoss && l.cause == "normal operation";
        let floor = if variation {
            -0.001 * r.loss_tree.ideal_units
        } else {
            -1e-6
        };
        assert!(l.units >= floor, "{place}: {l:?}");
    }
}

#[test]
fn a_recipe_faster_than_nameplate_is_no_negative_loss_and_a_dpi_that_keeps_it_owns_what_it_costs() {
    let fast = with_recipe(110, None);
    let (_, r) = run(&fast, 42);
    no_negative_line(&r, "110 % recipe");
    // The DPI bounds the HMI's speed writes at 105 %: the recipe's 110 % never reaches the
    // filler's PLC, which runs on at its old speed.
    let mut guarded = fast.clone();
    guarded.dpi = Some(
        ron::from_str(
            r#"(mode: Enforce, rules: [
                (from: Host("scada"), to: Host("plc-filler"), preset: ReadWrite,
                 value_bounds: [(addresses: (0, 0), min: 50, max: 105)]),
                (from: Host("scada"), to: Zone("control"), preset: ReadWrite),
            ])"#,
        )
        .unwrap(),
    );
    // Over seeds (one day's difference is mostly the day's own noise: a faster filler
    // meets its failures at other moments), the units the DPI costs against the same
    // seeds without it, and what the tree owes it. The claim is about the mean, so the
    // seeds are not cut when FAULTLINE_TEST_SEEDS asks for fewer (one seed's noise can
    // exceed the margin).
    let seeds: Vec<u64> = (1..=16).collect();
    let pairs = crate::on_two_threads(&seeds, |&seed| {
        let (_, a) = run(&fast, seed);
        let (_, b) = run(&guarded, seed);
        no_negative_line(&b, "110 % recipe behind the DPI");
        (
            a.line.good_units as f64 - b.line.good_units as f64,
            crate::owed(&b, "control: dpi"),
        )
    });
    let n = pairs.len() as f64;
    let lost = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let owed = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    assert!(owed > 100.0, "the tree owes the DPI {owed:.0} units a day");
    assert!(
        owed >= 0.9 * lost,
        "the tree owes {owed:.0} units a day to the DPI of the {lost:.0} it costs"
    );
}

#[test]
fn a_target_below_nameplate_is_the_target_and_the_tree_keeps_to_the_recipes() {
    let s = with_recipe(95, Some(3000.0));
    let (_, r) = run(&s, 42);
    no_negative_line(&r, "target 3000/h");
    assert_eq!(r.loss_tree.target_per_h, 3000.0);
    assert_eq!(r.line.target_per_h, 3000.0);
    let text = faultline::report::render_text(&r);
    assert!(text.contains("(at 3000/h)"), "{text}");
    // The recipe's 95 % is what the plan asks: not a speed loss owed to anyone.
    assert!(
        !r.loss_tree
            .losses
            .iter()
            .any(|l| l.category == LossCategory::SpeedLoss && l.cause == "schedule"),
        "{:?}",
        r.loss_tree.losses
    );
}

#[test]
fn generated_recipes_and_targets_close_the_tree_with_no_negative_line() {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let jobs: Vec<Scenario> = (0..12)
        .map(|_| {
            // Up to 115 %: the stations around the filler are 17 % faster (the rinser); a
            // recipe beyond that moves the bottleneck off the filler (docs: the loss tree
            // is measured at the bottleneck the scenario names or its slowest stage).
            let mut s = with_recipe(
                rng.random_range(60..=115),
                Some(rng.random_range(2000.0..4500.0)),
            );
            s.duration_h = 12.0;
            // A second changeover at a random time, to another speed.
            let at = rng.random_range(1.0..7.5);
            s.schedule.push(faultline::scenario::ScheduleEntry {
                at_h: at,
                action: faultline::scenario::Action::Changeover {
                    product: 1,
                    setpoints: vec![faultline::scenario::Setpoint::Speed(
                        "filler".into(),
                        rng.random_range(60..=115),
                    )],
                },
            });
            s
        })
        .collect();
    crate::on_two_threads(&jobs, |s| {
        let (_, r) = run(s, 3);
        no_negative_line(&r, &format!("{:?}", s.schedule));
        let t = &r.loss_tree;
        let lost: f64 = t.losses.iter().map(|l| l.units).sum();
        let gap = t.ideal_units + t.made_outside_planned - t.good_units as f64 - lost;
        assert!(gap.abs() < 0.5, "{gap}");
    });
}

#[test]
fn speed_losses_of_several_causes_are_each_owed_their_own_units() {
    // The book keeps one sum per cause of slow running; causes that take turns (normal
    // running, an attack's speed write, a control holding a recipe back) must each keep
    // their own units, in whatever order they first appear.
    use faultline::controls::ControlId;
    use faultline::loss::{Cause, LossBook};
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let w = World::new(&s, 42);
    let (b, rate) = faultline::world::bottleneck(&s);
    let mut book = LossBook::new(&w.plant, b, rate);
    let hour: u64 = 3_600_000_000;
    let turns = [
        (Cause::Attack(0), 50),
        (Cause::Normal, 90),
        (Cause::Control(ControlId::Dpi), 80),
        (Cause::Attack(0), 50),
        (Cause::Control(ControlId::Dpi), 80),
    ];
    for (cause, speed) in turns {
        book.book_speed(hour, 100, speed, cause);
    }
    let tree = book.tree(&w.plant, 0);
    let speed = |c: Cause| -> f64 {
        tree.lines
            .iter()
            .filter(|l| l.0 == LossCategory::SpeedLoss && l.1 == c)
            .map(|l| l.2)
            .sum()
    };
    // An hour at half the recipe's speed is half an hour's units, and so on.
    assert!(
        (speed(Cause::Attack(0)) - rate).abs() < 1e-6,
        "{:?}",
        tree.lines
    );
    assert!(
        (speed(Cause::Control(ControlId::Dpi)) - 0.4 * rate).abs() < 1e-6,
        "{:?}",
        tree.lines
    );
}

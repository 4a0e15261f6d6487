//! Inject texts filled from the twin: the fields, their units, a misspelt one placed.

use super::*;

#[test]
fn no_inject_of_a_shipped_exercise_says_a_unit_twice() {
    // A field is a number; the text writes its unit ("Production {target_pct} % of
    // target" once read "Production 37.8 % % of target").
    let mut checked = 0;
    for name in crate::EXERCISES {
        let c = shared(name);
        for s in &c.table.situations {
            for twice in ["% %", " h h", "°C °C", "h h.", "% of target %"] {
                assert!(!s.text.contains(twice), "{name}: `{twice}` in {}", s.text);
            }
            checked += usize::from(s.text.contains("% of target") || s.text.contains(" h"));
        }
    }
    assert!(
        checked >= 5,
        "only {checked} injects with a unit after a field"
    );
    let c = shared("ransomware-monday");
    let t = c
        .table
        .situations
        .iter()
        .find(|s| s.text.contains("of target"))
        .unwrap();
    let pct = t
        .text
        .split("Production ")
        .nth(1)
        .unwrap()
        .split(' ')
        .collect::<Vec<_>>();
    assert!(
        pct[0].parse::<f64>().is_ok() && pct[1] == "%" && pct[2] == "of",
        "{}",
        t.text
    );
}

#[test]
fn inject_text_is_filled_from_the_twin_and_a_misspelt_field_is_placed() {
    let ex = load("vendor-2am");
    let seed = ex.scenario.seed;
    // The table leaves the VPN open (the default): both remote changes tonight get through.
    let p = play(&ex, seed, Recording::default(), &mut Defaults).unwrap();
    let text = &p.situations[1].text;
    assert!(
        text.contains("Remote changes that got through tonight: 2"),
        "{text}"
    );
    assert!(!text.contains('{'), "a field left unfilled: {text}");
    // Cutting the VPN: nothing gets through, and the same inject says so.
    let refuse = vec![Taken {
        inject: 0,
        key: "refuse".into(),
        deliberation_s: 0.0,
        skipped: false,
    }];
    let p = play(
        &ex,
        seed,
        Recording::default(),
        &mut exercise::Alternative(Recorded(refuse)),
    )
    .unwrap();
    assert!(
        p.situations[1].text.contains("got through tonight: 0"),
        "{}",
        p.situations[1].text
    );
    // A field the twin does not know is an error at the inject's text, on load.
    let dir = std::env::temp_dir().join(format!("faultline-tpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = movable("vendor-2am").replace("{plc.plc-filler.mode}", "{plc.plc-filer.mode}");
    let file = dir.join("x.ron");
    std::fs::write(&file, text).unwrap();
    let err = exercise::load(&file).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        err.contains("injects[1].text: {plc.plc-filer.mode}: no PLC \"plc-filer\""),
        "{err}"
    );
}

#[test]
fn an_inject_tells_what_the_hmi_shows_apart_from_the_truth_and_planned_stops_are_no_alarms() {
    // The fields read the HMI's view, not the truth: a twin whose HMI is told a forged
    // reading renders that reading, and "no reading" before its first poll.
    let s = load("quiet-setpoint").scenario;
    let mut w = faultline::World::new(&s, s.seed);
    let text = "HMI {hmi.pasteurizer.temp_c} °C, set {hmi.pasteurizer.setpoint_c} °C; PLC {station.pasteurizer.temp_c} °C";
    assert!(exercise::template::check(text, &s).is_empty());
    assert_eq!(
        exercise::template::render(text, &w),
        "HMI no reading °C, set no reading °C; PLC 62.0 °C"
    );
    w.run_until(faultline::time::US_PER_H);
    let i = w
        .plant
        .stations
        .iter()
        .position(|st| st.name == "pasteurizer")
        .unwrap();
    w.hmi.views[i].temp_c = Some(61.34);
    w.hmi.views[i].setpoint = Some(655);
    let truth = w.plant.stations[i].thermal.as_ref().unwrap().temp_c;
    assert_eq!(
        exercise::template::render(text, &w),
        format!("HMI 61.3 °C, set 65.5 °C; PLC {truth:.1} °C")
    );
    assert!(
        exercise::template::check("{hmi.filler.temp_c}", &s)[0].contains("not a thermal station")
    );
    // On the table's road the 11:00 inject sets the forged view beside the truth: a zone
    // in product 2's band on the HMI while the PLC holds the attacker's 56.0 °C.
    let c = shared("quiet-setpoint");
    let at11 = c
        .table
        .situations
        .iter()
        .find(|x| x.at.starts_with("11:00"))
        .unwrap();
    let number_after = |key: &str| -> f64 {
        let rest = at11.text.split(key).nth(1).unwrap();
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    let (shown, truth) = (
        number_after("The HMI shows the setpoint at 56.0 °C and the zone at "),
        number_after("at the PLC the setpoint is 56.0 °C and the zone "),
    );
    assert!(shown >= 63.0 && truth < 60.0, "{}", at11.text);

    // 08:30, the changeover's end: the stopped line is a planned stop, not an alarm.
    let at830 = c
        .table
        .situations
        .iter()
        .find(|x| x.at.starts_with("08:30"))
        .unwrap();
    let row = |name: &str| {
        at830
            .ot
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(row("alarms"), "none");
    assert!(row("planned stops").contains("filler"), "{:?}", at830.ot);
    // A failure is still an alarm: ransomware-monday's floor at its first inject.
    let r = shared("ransomware-monday");
    assert!(
        r.table.situations.iter().all(|x| {
            let alarms = &x.ot.iter().find(|(k, _)| k == "alarms").unwrap().1;
            let planned = &x.ot.iter().find(|(k, _)| k == "planned stops").unwrap().1;
            planned == "none" || !alarms.split(", ").any(|a| planned.contains(a))
        }),
        "a station listed both as an alarm and as a planned stop"
    );
}

#[test]
fn a_temperature_written_as_a_number_the_twin_does_not_show_is_flagged_by_validate() {
    // The shipped exercises state temperatures through fields only: nothing to flag.
    for name in ["quiet-setpoint", "vendor-2am"] {
        let stale = exercise::template::stale_numbers(&load(name)).unwrap();
        assert!(stale.is_empty(), "{name}: {stale:?}");
    }
    // The first inject written with numbers: 05:00, the HMI shows the attacker's 56.0 °C
    // setpoint and a forged 62.0 °C zone. The zone's right; the setpoint's 61.3 is none of the
    // twin's temperatures then (nor the band, the trip or the ambient), and is flagged.
    let dir = std::env::temp_dir().join(format!("faultline-stale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = movable("quiet-setpoint").replacen(
        "The HMI shows the setpoint at {hmi.pasteurizer.setpoint_c} °C and the zone at {hmi.pasteurizer.temp_c} °C.",
        "The HMI shows the setpoint at 61.3 °C and the zone at 62.0 °C.",
        1,
    );
    let file = dir.join("x.ron");
    std::fs::write(&file, text).unwrap();
    let ex = exercise::load(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stale = exercise::template::stale_numbers(&ex).unwrap();
    assert_eq!(stale.len(), 1, "{stale:?}");
    let (i, why) = &stale[0];
    assert_eq!(*i, 0);
    assert!(
        why.starts_with("\"61.3 °C\" is written as a number"),
        "{why}"
    );
    assert!(why.contains("{hmi.pasteurizer.setpoint_c} = 56.0"), "{why}");
    assert!(why.contains("{hmi.pasteurizer.temp_c} = 62.0"), "{why}");
}

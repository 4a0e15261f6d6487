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
    let text = std::fs::read_to_string("scenarios/exercises/vendor-2am.ron")
        .unwrap()
        .replace("{plc.plc-filler.mode}", "{plc.plc-filer.mode}")
        .replace(
            "scenario: \"",
            &format!(
                "scenario: \"{}/scenarios/exercises/",
                env!("CARGO_MANIFEST_DIR")
            ),
        );
    let file = dir.join("x.ron");
    std::fs::write(&file, text).unwrap();
    let err = exercise::load(&file).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        err.contains("injects[1].text: {plc.plc-filer.mode}: no PLC \"plc-filer\""),
        "{err}"
    );
}

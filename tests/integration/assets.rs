//! assets/: what the binary embeds (the pages' stylesheet, the viewer's font) lives at the
//! top level and is what the binary shows, and the font has every sign the viewer writes.

use super::ttf::{advance, glyph, units_per_em};
use std::path::Path;

#[test]
fn the_viewers_font_has_every_sign_the_viewer_writes() {
    let font = std::fs::read("assets/fonts/DejaVuSansMono.ttf").unwrap();
    assert!(Path::new("assets/fonts/LICENSE-DejaVu.txt").exists());
    // The check itself: a sign the font lacks is found lacking.
    assert_ne!(glyph(&font, 'A'), 0);
    assert_eq!(glyph(&font, '\u{E000}'), 0, "a private-use code point");
    for c in ['°', '×', 'µ', '–', '—', '·', '→'] {
        assert_ne!(glyph(&font, c), 0, "{c:?}");
    }
    // Monospaced: every sign as wide as a letter (the panels fit lines by their length).
    assert_eq!(units_per_em(&font), 2048);
    let m = advance(&font, glyph(&font, 'M'));
    for c in ['i', '°', '×', 'µ', '–', '…', '→'] {
        assert_eq!(advance(&font, glyph(&font, c)), m, "{c:?}");
    }
    // Every character outside ASCII on a line of code (not a comment) of the viewer.
    let mut files = Vec::new();
    crate::architecture::sources(Path::new("sim/viewer"), &mut files);
    let mut seen = std::collections::BTreeSet::new();
    for p in files {
        for line in std::fs::read_to_string(&p).unwrap().lines() {
            let code = line.split("//").next().unwrap_or("");
            seen.extend(code.chars().filter(|c| !c.is_ascii()));
        }
    }
    assert!(seen.contains(&'°'), "the viewer writes °C: {seen:?}");
    for c in seen {
        assert_ne!(
            glyph(&font, c),
            0,
            "the viewer writes {c:?}, which the font lacks"
        );
    }
}

#[test]
fn every_page_carries_the_stylesheet_of_assets() {
    let css = std::fs::read_to_string("assets/report.css").unwrap();
    assert!(css.contains("@page{size:A4"));
    let s = faultline::load(Path::new("scenarios/minimal.ron")).unwrap();
    let mut w = faultline::World::new(&s, 1);
    w.run();
    let r = faultline::report::Summary::from_world(&w);
    let html = faultline::report::html::run_page(&w, &r);
    assert!(html.contains(&format!("<style>\n{css}</style>")));
}

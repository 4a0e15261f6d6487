//! The panels' text, composed to fit: the viewer's font (assets/fonts/DejaVuSansMono.ttf) is
//! monospaced, so a line of n characters at s px is n × [`ADVANCE_EM`] × s px wide, and a
//! line that fits its panel is one of at most [`columns`] characters. Lines that would run
//! past their panel are cut with an ellipsis, at a character, never inside one.

use crate::view::Snapshot;

/// Every glyph's advance in the viewer's font, in ems (1233 of 2048 font units; the test
/// reads it from the font file).
pub const ADVANCE_EM: f32 = 1233.0 / 2048.0;

/// How many characters of `font_px` fit in `width_px`.
pub fn columns(width_px: f32, font_px: f32) -> usize {
    (width_px / (ADVANCE_EM * font_px)).floor() as usize
}

/// `line` cut to `n` characters, the last an ellipsis where something was cut.
pub fn fit(line: &str, n: usize) -> String {
    if n == 0 {
        return String::new();
    }
    if line.chars().count() <= n {
        return line.to_string();
    }
    let mut out: String = line.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The KPI panel: production, downtime by cause, IT's and OT's figures side by side; every
/// line at most `cols` characters.
pub fn kpis(s: &Snapshot, cols: usize) -> String {
    let mut lines = vec![
        format!(
            "PRODUCTION  {} good / {:.0} target  ({:.0}/h)",
            s.good_units, s.target_so_far, s.throughput_per_h
        ),
        format!("OEE {:.2}", s.oee),
        String::new(),
        "DOWNTIME BY CAUSE".to_string(),
    ];
    // The cause cut to leave room for its hours.
    for (c, h) in s.downtime_by_cause.iter().take(5) {
        let hours = format!(" {h:>6.2} h");
        let room = cols.saturating_sub(2 + hours.chars().count());
        lines.push(format!("  {:<room$}{hours}", fit(c, room)));
    }
    lines.push(String::new());
    // Two columns: IT's in the first 24, OT's in the rest.
    let first = 24.min(cols / 2);
    lines.push(format!("{:<first$}OT", "IT"));
    for k in 0..s.it.len().max(s.ot.len()) {
        let cell = |v: Option<&(String, String)>, n: usize| {
            v.map(|(l, v)| fit(&format!("{l} {v}"), n))
                .unwrap_or_default()
        };
        let a = cell(s.it.get(k), first.saturating_sub(1));
        let b = cell(s.ot.get(k), cols.saturating_sub(first));
        lines.push(format!("{a:<first$}{b}"));
    }
    lines.into_iter().map(|l| fit(&l, cols) + "\n").collect()
}

/// The event log's panel: its heading, a line per event, the facilitator's last feedback.
pub fn event_log(s: &Snapshot, feedback: Option<&str>, cols: usize) -> String {
    let mut out = String::from("EVENTS\n");
    for (t, kind, text) in &s.events {
        let t: String = t.chars().take(8).collect();
        out.push_str(&fit(&format!("{t} {kind} {text}"), cols));
        out.push('\n');
    }
    if let Some(f) = feedback {
        out.push_str(&fit(&format!("> {f}"), cols));
        out.push('\n');
    }
    out
}

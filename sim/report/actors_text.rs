//! The actors of a live session in the terminal report: one block per actor — who, where
//! it sat, what its traffic did (ATT&CK for ICS, with counts and times), what the controls
//! made of it, and what it cost.

use super::Summary;
use std::fmt::Write;

pub(super) fn clock(s: f64) -> String {
    let t = s.max(0.0) as u64;
    format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
}

pub(super) fn actors_text(s: &Summary, o: &mut String, money: impl Fn(f64) -> String) {
    let Some(section) = &s.actors else { return };
    let _ = writeln!(
        o,
        "actors      {} client(s) from outside the twin; a source no actors file names sits in zone {}",
        section.actors.len(),
        section.default_zone
    );
    for a in &section.actors {
        let when = match (a.first_s, a.last_s) {
            (Some(f), Some(l)) => format!("{}–{}", clock(f), clock(l)),
            _ => "never connected".into(),
        };
        let _ = writeln!(
            o,
            "  {} ({} as {} in {}): {when}, {} connection(s) ({} refused), {} request(s), {} probe(s) to {}",
            a.name,
            a.source,
            a.address,
            a.zone,
            a.connections,
            a.refused,
            a.requests,
            a.probes,
            if a.plcs.is_empty() {
                "no PLC".into()
            } else {
                a.plcs.join(", ")
            }
        );
        for t in &a.techniques {
            let also = if t.also.is_empty() {
                String::new()
            } else {
                format!(" (also {})", t.also.join(", "))
            };
            let _ = writeln!(
                o,
                "    {:<6} {:<36} ×{:<6} {}–{}{also}",
                t.id,
                t.name,
                t.count,
                clock(t.first_s),
                clock(t.last_s)
            );
        }
        if !a.unclassified_functions.is_empty() {
            let fcs: Vec<String> = a
                .unclassified_functions
                .iter()
                .map(|f| format!("0x{f:02X}"))
                .collect();
            let _ = writeln!(o, "    unclassified function codes: {}", fcs.join(", "));
        }
        let detected = match a.detected_after_s {
            Some(d) => format!("detected after {d:.0} s"),
            None => "not detected".into(),
        };
        let _ = writeln!(
            o,
            "    {} blocked, {detected}, {} exception(s) received — owed: {:.0} units ({:.2} h at the bottleneck), {}",
            a.blocked,
            a.exceptions,
            a.units_owed,
            a.downtime_h,
            money(a.cost_owed)
        );
    }
    let _ = writeln!(o);
}

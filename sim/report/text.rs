//! The terminal summary.

use super::Summary;
use std::fmt::Write;

pub use super::sweep_text::sweep_table;

/// A count with thousands separators: 13,115.
pub fn thousands(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn money(v: f64, currency: &str) -> String {
    let sym = if currency == "USD" { "$" } else { "" };
    let suffix = if sym.is_empty() {
        format!(" {currency}")
    } else {
        String::new()
    };
    let sign = if v.round() < 0.0 { "−" } else { "" };
    format!("{sign}{sym}{}{suffix}", thousands(v.round().abs() as u64))
}

fn pct(v: f64) -> String {
    format!("{:.1} %", v * 100.0)
}

pub fn render_text(s: &Summary) -> String {
    let mut o = String::new();
    production(s, &mut o);
    loss_tree(s, &mut o);
    stations(s, &mut o);
    devices(s, &mut o);
    security_steps(s, &mut o);
    super::actors_text::actors_text(s, &mut o, |v| money(v, &s.cost.currency));
    scorecard(s, &mut o);
    cost(s, &mut o);
    o
}

/// The line: production, OEE, downtime by cause.
fn production(s: &Summary, o: &mut String) {
    let l = &s.line;
    let _ = writeln!(
        o,
        "faultline — {} · seed {} · {:.1} h simulated",
        s.scenario, s.seed, s.duration_h
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "production  {} good of {} target ({:.1} %), {} scrap · {} good/h over {:.1} h planned",
        thousands(l.good_units),
        thousands(l.target_units),
        l.attainment_pct,
        thousands(l.scrap_units),
        thousands(l.throughput_per_h.round() as u64),
        l.planned_production_h
    );
    let _ = writeln!(
        o,
        "line OEE    {} = availability {} × performance {} × quality {} (bottleneck: {})",
        pct(l.oee.oee),
        pct(l.oee.availability),
        pct(l.oee.performance),
        pct(l.oee.quality),
        l.bottleneck
    );
    let _ = writeln!(
        o,
        "safety      {} trip(s), {} machine failure(s)",
        l.safety_trips, l.failures
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "unplanned downtime at the bottleneck: {:.2} h, by root cause",
        l.downtime_h
    );
    let rows: Vec<_> = l.downtime_by_cause.iter().take(12).collect();
    let w = |f: &dyn Fn(&crate::report::CauseRow) -> usize, head: usize| {
        rows.iter().map(|c| f(c)).max().unwrap_or(0).max(head)
    };
    let (wc, ws, wo) = (
        w(&|c| c.cause.chars().count(), 5),
        w(&|c| c.station.chars().count(), 7),
        w(&|c| c.owed_to.chars().count(), 7),
    );
    let _ = writeln!(
        o,
        "  {:<wc$} {:<ws$} {:>8}  {:<wo$}",
        "cause", "station", "hours", "owed to"
    );
    for c in rows {
        let _ = writeln!(
            o,
            "  {:<wc$} {:<ws$} {:>8.2}  {}",
            c.cause, c.station, c.hours, c.owed_to
        );
    }
    if l.downtime_by_cause.len() > 12 {
        let _ = writeln!(
            o,
            "  … {} more in summary.json",
            l.downtime_by_cause.len() - 12
        );
    }
}

/// Each station, and the thermal processes.
fn stations(s: &Summary, o: &mut String) {
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  {:<14} {:>8} {:>8} {:>6} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "station",
        "in",
        "good",
        "scrap",
        "fail",
        "run h",
        "starv h",
        "block h",
        "down h",
        "plan h",
        "OEE"
    );
    for st in &s.stations {
        let h = |k: &str| {
            st.hours
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| *v)
                .unwrap_or(0.0)
        };
        let down: f64 = st
            .hours
            .iter()
            .filter(|(n, _)| !["running", "starved", "blocked", "planned"].contains(&n.as_str()))
            .map(|(_, v)| v)
            .sum();
        let _ = writeln!(
            o,
            "  {:<14} {:>8} {:>8} {:>6} {:>5} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7.2} {:>7}",
            st.name,
            st.units_in,
            st.units_out,
            st.scrap,
            st.failures,
            h("running"),
            h("starved"),
            h("blocked"),
            down,
            h("planned"),
            pct(st.oee.oee)
        );
    }
    for t in &s.thermal {
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "thermal     {}: {:.1}–{:.1} °C, {} excursion(s) out of band ({:.1} min), {} scrapped for temperature, {} trip(s)",
            t.station,
            t.min_c,
            t.max_c,
            t.excursions,
            t.out_of_band_min,
            t.scrap_temperature,
            t.trips
        );
    }
}

/// The HMI's communication and the PLCs' faults.
fn devices(s: &Summary, o: &mut String) {
    let h = &s.hmi;
    let _ = writeln!(
        o,
        "hmi         {} requests, {} replies, {} timeouts, {} exceptions, {} writes ({} failed), {} operator actions",
        thousands(h.requests),
        thousands(h.responses),
        h.timeouts,
        h.exceptions,
        h.writes,
        h.writes_failed,
        h.operator_actions
    );
    let faults: u64 = s
        .plcs
        .iter()
        .flat_map(|p| p.faults.iter().map(|(_, n)| n))
        .sum();
    let _ = writeln!(
        o,
        "plcs        {} PLC(s), {} fault(s)",
        s.plcs.len(),
        faults
    );
    for p in s.plcs.iter().filter(|p| !p.faults.is_empty()) {
        let list: Vec<String> = p
            .faults
            .iter()
            .map(|(c, n)| format!("{c:?} ×{n}"))
            .collect();
        let _ = writeln!(
            o,
            "            {} ({}): {}",
            p.name,
            p.profile,
            list.join(", ")
        );
    }
}

/// The attack steps, blocked flows and what each control did.
fn security_steps(s: &Summary, o: &mut String) {
    let sec = &s.security;
    if sec.steps.is_empty()
        && sec.flows_blocked.is_empty()
        && sec.dpi.is_none()
        && sec.ids.is_none()
        && sec.vendor.is_none()
        && sec.devices.is_none()
        && sec.tls.is_none()
    {
        return;
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "security    {} attack step(s): {} succeeded, {} blocked, {} failed; {} detected{}",
        sec.steps_attempted,
        sec.steps_succeeded,
        sec.steps_blocked,
        sec.steps_failed,
        sec.steps_detected,
        sec.mean_time_to_detect_s
            .map(|t| format!(" (mean time to detect {t:.1} s)"))
            .unwrap_or_default()
    );
    for st in &sec.steps {
        let _ = writeln!(
            o,
            "  {} {} {:<24} {} → {}: {} ({}){}",
            st.at,
            st.technique,
            st.name,
            st.from,
            st.target,
            st.outcome,
            st.detail,
            if st.cost > 0.0 {
                format!(
                    " — {:.2} h of line downtime, {:.0} units short, {} = production {} + response fee {}",
                    st.downtime_h,
                    st.lost_units,
                    money(st.cost, &s.cost.currency),
                    money(st.production_effect, &s.cost.currency),
                    money(st.response_fee, &s.cost.currency)
                )
            } else {
                String::new()
            }
        );
        if st.techniques.len() > 1 {
            let _ = writeln!(o, "      also {}", st.techniques[1..].join(", "));
        }
    }
    controls_seen(sec, o);
}

/// What each control saw and did: the DPI, device health, vendor access, the IDS, blocked
/// flows and the rule set, Modbus/TCP Security, the kernel's side, incident response.
fn controls_seen(sec: &crate::summary::SecuritySummary, o: &mut String) {
    if let Some(d) = &sec.dpi {
        let _ = writeln!(
            o,
            "  Modbus DPI: {} requests inspected, {} outside the policy, {} blocked, {} legitimate request(s) blocked (false positives)",
            d.inspected, d.violations, d.blocked, d.false_positives
        );
        for (kind, n) in &d.by_kind {
            let _ = writeln!(o, "    {n} × {kind}");
        }
    }
    if let Some(d) = &sec.devices {
        let _ = writeln!(
            o,
            "  device health: {} saturation, {} overrun and {} fault alert(s); {} rogue connection(s) shed",
            d.saturation_alerts, d.overrun_alerts, d.fault_alerts, d.connections_shed
        );
    }
    if let Some(v) = &sec.vendor {
        let _ = writeln!(
            o,
            "  vendor access ({}): {} remote session(s), {} audited; repairs waited {:.2} h for the vendor",
            v.access, v.sessions, v.audited, v.wait_h
        );
    }
    if let Some(i) = &sec.ids {
        let _ = writeln!(
            o,
            "  IDS: {} alert(s): {} on attack traffic, {} on the plant's own traffic, {} false alarm(s)",
            i.alerts, i.true_alerts, i.alerts_on_legitimate_traffic, i.false_alarms
        );
        for (kind, n) in &i.by_kind {
            let _ = writeln!(o, "    {n} × {kind}");
        }
    }
    for f in &sec.flows_blocked {
        let _ = writeln!(
            o,
            "  blocked flow {} → {}:{} ×{}{}",
            f.from,
            f.to,
            f.port,
            f.attempts,
            if f.legitimate {
                "  ← a flow the plant needs"
            } else {
                ""
            }
        );
        if let Some(rule) = &f.rule {
            let _ = writeln!(o, "    dropped by {rule}");
        }
    }
    if let Some(fw) = &sec.firewall {
        firewall_text(o, fw);
    }
    if let Some(t) = &sec.tls {
        let _ = writeln!(
            o,
            "  Modbus/TCP Security: {} full and {} resumed handshake(s) ({:.2} ms in all), {} refused; the HMI's certificate expired for {:.2} h",
            t.full_handshakes,
            t.resumed_handshakes,
            t.handshake_ms,
            t.refused_handshakes,
            t.certificate_expired_h
        );
    }
    if let Some(k) = &sec.kernel {
        let _ = writeln!(
            o,
            "  in the kernel (live --netns): {} connection(s) of the HMI and the attack steps carried, {} refused or dropped; the twin's own evaluation of the rule set disagreed on {}",
            k.connected, k.refused, k.disagreements
        );
    }
    for a in &sec.response_actions {
        let _ = writeln!(
            o,
            "  incident response: {} {} from {} until {} ({:.2} h)",
            a.action,
            a.target,
            a.from,
            a.until.as_deref().unwrap_or("the end"),
            a.hours
        );
    }
}

/// The IT/OT scorecard.
fn scorecard(s: &Summary, o: &mut String) {
    if s.scorecard.it.attack_steps > 0
        || s.security.dpi.is_some()
        || !s.security.flows_blocked.is_empty()
    {
        let (it, ot) = (&s.scorecard.it, &s.scorecard.ot);
        let _ = writeln!(o);
        let _ = writeln!(o, "  {:<40} OT: uptime and output", "IT: risk mitigation");
        let rows = [
            (
                format!(
                    "attack steps {} (blocked {}, succeeded {})",
                    it.attack_steps, it.blocked, it.succeeded
                ),
                format!("production {:.1} % of target", ot.production_vs_target_pct),
            ),
            (
                format!(
                    "detected {}{}",
                    it.detected,
                    it.mean_time_to_detect_s
                        .map(|t| format!(", mean {t:.1} s to detect"))
                        .unwrap_or_default()
                ),
                format!("unplanned downtime {:.2} h", ot.unplanned_downtime_h),
            ),
            (
                it.mean_time_to_contain_s
                    .map(|t| format!("contained, mean {:.1} min after the step", t / 60.0))
                    .unwrap_or_else(|| "contained: none".into()),
                String::new(),
            ),
            (
                format!("legitimate flows blocked {}", it.legitimate_flows_blocked),
                format!(
                    "  of which attacks {:.2} h, controls {:.2} h",
                    ot.downtime_from_attacks_h, ot.downtime_from_controls_h
                ),
            ),
            (
                format!("false positives {}", it.false_positives),
                format!(
                    "OEE {} · safety trips {} · scrap {}",
                    pct(ot.oee),
                    ot.safety_trips,
                    thousands(ot.scrap_units)
                ),
            ),
        ];
        for (a, b) in rows {
            let _ = writeln!(o, "  {a:<40} {b}");
        }
    }
}

/// The cost ledger: its lines, and the same total by cause.
fn cost(s: &Summary, o: &mut String) {
    let c = &s.cost;
    // The secondary loss is a term of the line only where there is one (most plants have
    // no critical control point out of band).
    let secondary = if c.secondary_loss != 0.0 {
        format!(" + secondary loss {}", money(c.secondary_loss, &c.currency))
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "cost        lost output {} + scrap materials {} + incident response {} + false-positive review {}{secondary} = {}",
        money(c.lost_output, &c.currency),
        money(c.scrap_materials, &c.currency),
        money(c.incident_response, &c.currency),
        money(c.false_positive_review, &c.currency),
        money(c.total, &c.currency)
    );
    let _ = writeln!(
        o,
        "  owed to   attacks {} + controls {} + operations {} = {}",
        money(c.attacks, &c.currency),
        money(c.controls, &c.currency),
        money(c.operations, &c.currency),
        money(c.total, &c.currency)
    );
    for r in c.by_cause.iter().take(10) {
        let _ = writeln!(o, "  {:>12}  {}", money(r.total, &c.currency), r.cause);
    }
    if let Some(line) = fees_line(s) {
        let _ = writeln!(o, "  {line}");
    }
    out_of_band(s, o);
}

fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Product made out of a thermal station's band: held or shipped, and what that costs
/// (Open FAIR secondary loss), where any was made.
/// What became of the held product, where the scenario releases or reworks it.
fn held_fate(b: &crate::summary::out_of_band::OutOfBand, cur: &str, o: &mut String) {
    use crate::scenario::Disposition as D;
    let what = match b.disposition {
        D::Destroy => return,
        D::Release { pass_rate } => {
            format!("released after testing ({:.0} % pass)", 100.0 * pass_rate)
        }
        D::Rework { yield_rate, .. } => format!(
            "reworked ({} units, {}; {:.0} % sellable after)",
            thousands(b.reworked),
            money(b.rework, cur),
            100.0 * yield_rate
        ),
    };
    let _ = writeln!(
        o,
        "  held product {what}: {} units recovered, their output {} and materials {} taken off",
        thousands(b.recovered),
        money(b.recovered_output, cur),
        money(b.recovered_materials, cur),
    );
}

fn out_of_band(s: &Summary, o: &mut String) {
    let b = &s.cost.out_of_band;
    if b.units == 0 {
        return;
    }
    let cur = &s.cost.currency;
    let _ = write!(
        o,
        "out of band {} units made out of a critical control point's band: {} held",
        thousands(b.units),
        thousands(b.held)
    );
    if !b.priced {
        let _ = writeln!(
            o,
            ", {} never seen (not priced: the scenario has no cost.out_of_band)",
            thousands(b.shipped)
        );
    } else {
        let _ = writeln!(
            o,
            " ({} tested {}), {} shipped before the plant saw the excursion ({}: handling {} + fixed {} + regulatory {})",
            count(b.held_lots, "lot", "lots"),
            money(b.tests, cur),
            thousands(b.shipped),
            count(b.recalls, "recall", "recalls"),
            money(b.recall_handling, cur),
            money(b.recall_fixed, cur),
            money(b.regulatory, cur),
        );
        held_fate(b, cur, o);
        let _ = writeln!(
            o,
            "  secondary loss (Open FAIR) {}, owed to whoever put the temperature out of band",
            money(b.total, cur)
        );
    }
    for e in &b.excursions {
        let seen = e.seen_at_h.map_or("never seen".to_string(), |h| {
            format!("seen at {}", super::actors_text::clock(h * 3600.0))
        });
        let causes: Vec<String> = e.by_cause.iter().map(|c| c.cause.clone()).collect();
        let _ = writeln!(
            o,
            "  {} from {} ({seen}): {} held, {} shipped — {}",
            e.station,
            super::actors_text::clock(e.start_h * 3600.0),
            thousands(e.held),
            thousands(e.shipped),
            causes.join(", ")
        );
    }
}

/// The incident fees a run's response line used, stated as the model's assumptions where
/// the scenario writes none; None where no step was charged.
pub fn fees_line(s: &Summary) -> Option<String> {
    let c = &s.cost;
    if !s.security.steps.iter().any(|st| st.fee_for.is_some()) {
        return None;
    }
    let f = &c.incident_fees;
    let m = |v: f64| money(v, &c.currency);
    Some(format!(
        "incident fees per step{}: succeeded with an effect {}, without {}, detected {}, blocked {}{}",
        if c.incident_fees_assumed {
            " (assumed defaults)"
        } else {
            ""
        },
        m(f.succeeded_with_effect.mean()),
        m(f.succeeded_without_effect.mean()),
        m(f.detected.mean()),
        m(f.blocked.mean()),
        if c.incident_fees_assumed {
            " — write your own in the scenario's cost.incident"
        } else {
            ""
        }
    ))
}

/// The loss tree: from target to good units, every loss with its category and cause.
fn loss_tree(s: &Summary, o: &mut String) {
    let t = &s.loss_tree;
    let outside = if t.made_outside_planned > 0.0 {
        format!(" + {:.0} made outside planned time", t.made_outside_planned)
    } else {
        String::new()
    };
    let _ = writeln!(
        o,
        "loss tree   {:.0} units the recipes allowed (nominal {:.0}/h){outside} − losses = {} good; a unit short costs {}",
        t.ideal_units,
        t.nominal_per_h,
        thousands(t.good_units),
        money(t.unit_value, &s.cost.currency)
    );
    let _ = writeln!(
        o,
        "            target {:.0} units (at {:.0}/h): production {:.1} % of target",
        t.target_units,
        t.target_per_h,
        100.0 * t.good_units as f64 / t.target_units.max(1e-9)
    );
    let mut lines: Vec<&crate::report::LossLine> = t.losses.iter().collect();
    lines.sort_by(|a, b| b.units.abs().total_cmp(&a.units.abs()));
    for l in lines {
        let _ = writeln!(
            o,
            "  {:>9.0} units  {:<32} {:<52} {}",
            l.units,
            l.category.label(),
            l.cause,
            money(l.cost, &s.cost.currency)
        );
    }
}

/// The nftables rule set against the run: counters, dead rules, over-broad rules.
fn firewall_text(o: &mut String, fw: &faultline_core::summary::firewall::FirewallReport) {
    let (form, policy) = if fw.allow_list {
        ("allow list", "default deny")
    } else {
        ("nftables rule set", "chain policy")
    };
    let _ = writeln!(
        o,
        "  {form}: {} connection attempt(s) between zones; by rule, those it matched and those it decided",
        fw.attempts
    );
    for r in &fw.rules {
        let _ = writeln!(o, "    {:>8} {:>8}  {}", r.matched, r.decided, r.rule);
    }
    let _ = writeln!(o, "    {:>8} {:>8}  {policy}", "", fw.decided_by_policy);
    for d in &fw.dead {
        let _ = writeln!(o, "  dead rule (nothing matched it): {d}");
    }
    for b in &fw.over_broad {
        let _ = writeln!(o, "  over-broad rule: {} admits {}", b.rule, b.admits);
        let _ = writeln!(o, "    exists for: {}", b.needed_for.join(", "));
        for a in &b.used_by_attacks {
            let _ = writeln!(o, "    used by the attack: {a}");
        }
        if !b.also_allows.is_empty() {
            let shown: Vec<&str> = b.also_allows.iter().take(6).map(|s| s.as_str()).collect();
            let more = b.also_allows.len().saturating_sub(shown.len());
            let _ = writeln!(
                o,
                "    also lets through: {}{}",
                shown.join(", "),
                if more > 0 {
                    format!(" … and {more} more in summary.json")
                } else {
                    String::new()
                }
            );
        }
    }
}

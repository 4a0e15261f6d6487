//! A sweep's result in the terminal: the variants, the ranking and the year.

/// A sweep's result as a terminal table: per variant the line's output and cost with
/// their 95 % intervals, the paired saving against the baseline, and the ranking.
pub fn sweep_table(s: &crate::sweep::SweepSummary) -> String {
    use crate::sweep::metric;
    use std::fmt::Write;
    let (good, cost) = (metric("good_units"), metric("cost_total"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} seed(s) from {}, {} h each; baseline: \"{}\" ({})",
        s.scenario,
        s.runs,
        s.first_seed,
        s.duration_h,
        s.variants.first().map(|v| v.name.as_str()).unwrap_or("-"),
        s.variants
            .first()
            .map(|v| v.description.as_str())
            .unwrap_or("-")
    );
    if let Some(st) = &s.stopping {
        let _ = writeln!(out, "{}", st.describe(s.runs, &s.currency));
    }
    let _ = writeln!(
        out,
        "{:<28} {:>24} {:>28} {:>30} {:>8}",
        "variant",
        "good units (95 % CI)",
        &format!("cost {} (95 % CI)", s.currency),
        "saving vs baseline (95 % CI)",
        "P(saves)"
    );
    for (k, v) in s.variants.iter().enumerate() {
        let g = &v.metrics[good].1;
        let c = &v.metrics[cost].1;
        let d = &v.vs_baseline[cost].1;
        let (saving, p) = if k == 0 {
            (format!("{:>30}", "(the baseline)"), format!("{:>8}", "–"))
        } else {
            (
                format!(
                    "{:>10.0} [{:>8.0}, {:>8.0}]",
                    0.0 - d.mean,
                    0.0 - d.ci95.1,
                    0.0 - d.ci95.0
                ),
                format!("{:>8.2}", v.p_saves_money),
            )
        };
        let _ = writeln!(
            out,
            "{:<28} {:>8.0} [{:>6.0}, {:>6.0}] {:>9.0} [{:>7.0}, {:>7.0}] {saving} {p}",
            v.name, g.mean, g.ci95.0, g.ci95.1, c.mean, c.ci95.0, c.ci95.1,
        );
    }
    let _ = writeln!(
        out,
        "ranking by expected net saving (= attack losses avoided − control friction + other costs avoided):"
    );
    for (i, r) in s.ranking.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {:<26} {:>10.0} {}/run [{:.0}, {:.0}]  (attack losses avoided {:.0}, control friction added {:.0}, other costs avoided {:.0})",
            i + 1,
            r.name,
            r.net_saving.mean,
            s.currency,
            r.net_saving.ci95.0,
            r.net_saving.ci95.1,
            r.attack_losses_avoided,
            r.control_friction_added,
            r.other_costs_avoided
        );
    }
    if let (Some(a), Some(r)) = (&s.annual, &s.risk) {
        annual_table(&mut out, a, r, &s.currency);
    }
    if let Some(b) = &s.budget {
        budget_table(&mut out, b, &s.currency);
    }
    out
}

/// Risk and return per year: each variant's annualized loss exposure (its mean with the
/// interval on the mean) and the percentiles of a simulated year; against the baseline the
/// net benefit the same two ways, P(net > 0), the break-even frequency, and the inputs
/// that move the answer most.
fn annual_table(
    out: &mut String,
    annual: &[crate::sweep::Annual],
    r: &crate::sweep::RiskInputs,
    cur: &str,
) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "per year, {cur} ({:.2} campaigns a year on average, {:.0} operating days; percentiles over {} simulated years, each drawing {}):",
        r.campaigns_per_year.mean(),
        r.operating_days,
        crate::sweep::YEARS,
        r.drawn()
    );
    let _ = writeln!(
        out,
        "  {:<26} {:>34} {:>40} {:>24}",
        "variant",
        "ALE mean [95 % interval on the mean]",
        "a year's attack losses P5 / P50 / P95 / P99",
        "controls /yr (95 % CI)"
    );
    let p4 = |p: &crate::sweep::Percentiles| {
        format!("{:.0} / {:.0} / {:.0} / {:.0}", p.p5, p.p50, p.p95, p.p99)
    };
    for a in annual {
        let _ = writeln!(
            out,
            "  {:<26} {:>16.0} [{:>7.0}, {:>7.0}] {:>40} {:>8.0} [{:.0}, {:.0}]",
            a.name,
            a.ale.mean,
            a.ale.ci95.0,
            a.ale.ci95.1,
            p4(&a.annual_loss),
            a.control_cost.mean,
            a.control_cost.ci95.0,
            a.control_cost.ci95.1
        );
    }
    let _ = writeln!(
        out,
        "  net benefit per year, mean [95 % interval on the mean] = production avoided + fees avoided + other losses avoided − control cost added:"
    );
    for a in annual {
        let Some(d) = &a.vs_baseline else { continue };
        let rosi = d.rosi.as_ref().map_or("-".to_string(), |x| {
            format!("{:.2} [{:.2}, {:.2}]", x.mean, x.ci95.0, x.ci95.1)
        });
        let _ = writeln!(
            out,
            "  {:<26} {:>10.0} {cur}/yr [{:.0}, {:.0}] = {:.0} + {:.0} + {:.0} − {:.0}; ROSI {rosi}",
            a.name,
            d.net_benefit_mean.mean,
            d.net_benefit_mean.ci95.0,
            d.net_benefit_mean.ci95.1,
            d.attack_production_avoided,
            d.attack_fees_avoided,
            d.other_losses_avoided,
            d.control_cost_added,
        );
        let even = match d.break_even_frequency {
            Some(0.0) => "pays without any attack".to_string(),
            Some(f) => format!("breaks even at {f:.3} campaigns a year"),
            None => "never pays".to_string(),
        };
        let _ = writeln!(
            out,
            "  {:<26} a year's net P5 / P50 / P95 / P99: {}; P(net > 0) {:.2}; {even}",
            "",
            p4(&d.net_benefit),
            d.p_net_positive
        );
        for w in d.sensitivity.iter().filter(|w| w.width() > 0.0) {
            let _ = writeln!(
                out,
                "  {:<26}   {:<44} P10–P90 {} – {}: net {:.0} to {:.0}",
                "",
                w.input,
                num(w.low),
                num(w.high),
                w.net_at_low,
                w.net_at_high
            );
        }
    }
}

/// A figure that may be a frequency (a fraction) or an amount.
fn num(v: f64) -> String {
    if v.abs() < 10.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.0}")
    }
}

/// The portfolios within the budget, best first, and those over it.
fn budget_table(out: &mut String, b: &crate::sweep::Budget, cur: &str) {
    use std::fmt::Write;
    let _ = writeln!(
        out,
        "what to buy first within {:.0} {cur} a year of ownership (by expected net benefit per year):",
        b.amount
    );
    let row = |out: &mut String, rank: String, p: &crate::sweep::Portfolio| {
        let _ = writeln!(
            out,
            "  {rank:>4} {:<26} owning {:>8.0} {cur}/yr (+ friction {:.0}); net {:>9.0} {cur}/yr; P(net > 0) {}; a year's attack losses P90 {:.0}",
            p.name,
            p.ownership_added,
            p.friction_added,
            p.net_benefit_mean,
            p.p_net_positive
                .map_or("–".to_string(), |x| format!("{x:.2}")),
            p.annual_loss_p90
        );
    };
    for (i, p) in b.within.iter().enumerate() {
        row(out, format!("{}.", i + 1), p);
    }
    for p in &b.over {
        row(out, "over".into(), p);
    }
}

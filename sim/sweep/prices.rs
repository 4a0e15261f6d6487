//! The prices a sweep's simulated years draw: a control's purchase and running cost, the
//! price of each priced line of the ledger (the downtime cost, the scrap price, the
//! false-positive review, the out-of-band product's prices: super::lines) and the
//! incident fees, where the scenario writes them as distributions. Each simulated year
//! draws every such price once (a year's quote, a year's value of an hour of downtime),
//! from streams of their own, so the years' campaigns are the same whatever the prices.
//!
//! A line is its price times a count the run measured, so a year whose draw of a line's
//! price is `m` times its mean costs
//!
//! ```text
//! Σ campaigns (LM + (m − 1)·L_LM) + D·(ordinary + (m − 1)·L_ordinary)
//! ```
//!
//! (L: the line's part of each cost, at the mean price). The means are unchanged
//! (E[m] = 1); the years' percentiles, P(net > 0) and the tornado see the spread.

use super::days::{Day, RiskInputs, YEARS};
use super::spread::{PriceSwing, Swing, dist_quantile};
use crate::dist::Quantity;

/// Per simulated year, each variant's ownership with the year's prices drawn (one stream
/// for all, so every variant sees the same prices); none when every price is a number.
pub(super) fn ownership_years(
    risk: &RiskInputs,
    variants: usize,
    first_seed: u64,
) -> Option<Vec<Vec<f64>>> {
    if risk.drawn_prices.is_empty() {
        return None;
    }
    let mut rng = crate::rng::stream(first_seed, "risk:prices");
    Some(
        (0..YEARS)
            .map(|_| {
                let drawn: Vec<f64> = risk
                    .drawn_prices
                    .iter()
                    .map(|p| p.price.per_year_drawn(&mut rng))
                    .collect();
                (0..variants)
                    .map(|v| {
                        risk.drawn_prices
                            .iter()
                            .zip(&drawn)
                            .filter(|(p, _)| p.owned.get(v).copied().unwrap_or(false))
                            .map(|(_, c)| c)
                            .sum()
                    })
                    .collect()
            })
            .collect(),
    )
}

/// The tornado's price inputs for variant `v`: each drawn price of a control it owns and
/// the baseline does not (or the reverse), with how a unit of it moves the added cost.
pub(super) fn price_swings(risk: &RiskInputs, v: usize) -> Vec<PriceSwing> {
    let mut out = Vec::new();
    for p in &risk.drawn_prices {
        let own = |k: usize| f64::from(u8::from(p.owned.get(k).copied().unwrap_or(false)));
        let sign = own(v) - own(0);
        if sign == 0.0 {
            continue;
        }
        let c = &p.price;
        for (what, q, per_unit) in [
            ("purchase", &c.purchase, 1.0 / c.life_years),
            ("running per year", &c.running_per_year, 1.0),
        ] {
            if q.is_drawn() {
                out.push(PriceSwing {
                    input: format!("{} {what}", c.control),
                    quantity: *q,
                    weight: sign * per_unit,
                });
            }
        }
    }
    out
}

impl RiskInputs {
    /// What each simulated year draws, for the reports' headers.
    pub fn drawn(&self) -> String {
        let mut what = vec!["the frequency"];
        if !self.drawn_prices.is_empty() {
            what.push("the controls' prices");
        }
        what.extend(self.line_prices.iter().map(|(l, _)| l.drawn_name()));
        if self.incident_fees.is_some() {
            what.push("the incident fees");
        }
        match what.len() {
            1 => what[0].to_string(),
            n => format!("{} and {}", what[..n - 1].join(", "), what[n - 1]),
        }
    }
}

/// Per priced line whose price is drawn (its index in `LINES`), each simulated year's
/// draw over the price's mean (one stream per line, the same for every variant). A price
/// whose mean is 0 draws nothing.
pub(super) fn line_years(risk: &RiskInputs, first_seed: u64) -> Vec<(usize, Vec<f64>)> {
    risk.line_prices
        .iter()
        .filter(|(_, q)| q.mean() > 0.0)
        .map(|(line, q)| {
            let mean = q.mean();
            let mut rng = crate::rng::stream(first_seed, line.stream());
            (
                line.index(),
                (0..YEARS).map(|_| q.sample(&mut rng) / mean).collect(),
            )
        })
        .collect()
}

/// The median over the seeds of `f(variant's day, baseline's day)`.
fn median(day: &[Day], base: &[Day], f: &dyn Fn(&Day, &Day) -> f64) -> f64 {
    let mut v: Vec<f64> = day.iter().zip(base).map(|(x, b)| f(x, b)).collect();
    v.sort_by(f64::total_cmp);
    super::spread::quantile(&v, 0.5)
}

/// Names of the incident fees in the tornado (`IncidentFees::all` order).
const FEES: [&str; 4] = [
    "incident fee, succeeded with an effect",
    "incident fee, succeeded without an effect",
    "incident fee, detected",
    "incident fee, blocked",
];

/// Per simulated year, each incident fee's draw less its mean (0 for a fee written as a
/// number; one stream, the same for every variant); none when every fee is a number. A
/// year's campaigns cost `Σ fee_steps × (mean + this)` in fees.
pub(super) fn fee_years(risk: &RiskInputs, first_seed: u64) -> Option<Vec<[f64; 4]>> {
    let fees = risk.incident_fees.as_ref()?;
    let mut rng = crate::rng::stream(first_seed, "risk:fees");
    Some(
        (0..YEARS)
            .map(|_| {
                fees.map(|q| match q {
                    Quantity::Value(_) => 0.0,
                    Quantity::Drawn(d) => d.sample(&mut rng) - d.mean(),
                })
            })
            .collect(),
    )
}

/// The tornado's rows for the incident fees written as distributions: each over its
/// P10–P90, the rest at their medians. A fee `x` away from its mean moves the net at the
/// medians by `(x − mean)·λ·(steps charged it without the control − with it)`.
pub(super) fn fee_swings(
    fees: &[Quantity; 4],
    lambda: f64,
    net_at_medians: f64,
    day: &[Day],
    base: &[Day],
) -> Vec<Swing> {
    let mut rows = Vec::new();
    for (k, q) in fees.iter().enumerate() {
        let Quantity::Drawn(d) = q else { continue };
        let fewer = median(day, base, &|x, b| b.fee_steps[k] - x.fee_steps[k]);
        let mean = d.mean();
        let (low, high) = (dist_quantile(d, 0.1), dist_quantile(d, 0.9));
        let at = |x: f64| super::round(net_at_medians + (x - mean) * lambda * fewer, 2);
        rows.push(Swing {
            input: format!("price: {}", FEES[k]),
            low: super::round(low, 4),
            high: super::round(high, 4),
            net_at_low: at(low),
            net_at_high: at(high),
        });
    }
    rows
}

/// The tornado's row for a priced line's price written as a distribution (the downtime
/// cost, the scrap price, …): the price over its P10–P90, the other inputs at their
/// medians. At `m` times the mean price the line in the loss avoided per campaign and in
/// the ordinary days' difference scale by `m`, so the net at the medians moves by
/// `(m − 1)·(λ·L avoided + D·L ordinary avoided)` (each over the seeds at its median).
pub(super) fn line_swing(
    line: super::Line,
    q: &Quantity,
    lambda: f64,
    operating_days: f64,
    net_at_medians: f64,
    day: &[Day],
    base: &[Day],
) -> Swing {
    let k = line.index();
    let avoided = median(day, base, &|x, b| b.lines[k] - x.lines[k]);
    let ordinary = median(day, base, &|x, b| b.lines_ordinary[k] - x.lines_ordinary[k]);
    let mean = q.mean();
    let at_quantile = |p: f64| match q {
        Quantity::Value(v) => *v,
        Quantity::Drawn(d) => dist_quantile(d, p),
    };
    let (low, high) = (at_quantile(0.1), at_quantile(0.9));
    let at = |x: f64| {
        let m = if mean > 0.0 { x / mean } else { 1.0 };
        super::round(
            net_at_medians + (m - 1.0) * (lambda * avoided + operating_days * ordinary),
            2,
        )
    };
    Swing {
        input: format!("price: {}", line.price_name()),
        low: super::round(low, 4),
        high: super::round(high, 4),
        net_at_low: at(low),
        net_at_high: at(high),
    }
}

#[cfg(test)]
mod tests {
    use super::super::risk::annual;
    use super::*;
    use crate::dist::Dist;

    fn inputs(downtime: Option<Quantity>) -> RiskInputs {
        RiskInputs {
            campaigns_per_year: Dist::Fixed(0.05),
            operating_days: 300.0,
            ownership_per_year: vec![0.0, 0.0],
            drawn_prices: Vec::new(),
            line_prices: downtime
                .map(|q| (super::super::Line::LostOutput, q))
                .into_iter()
                .collect(),
            incident_fees: None,
        }
    }

    /// Every seed: a campaign costs `l`, all of it lost output; the ordinary day `o`, all
    /// of it lost output too.
    fn days(l: f64, o: f64) -> Vec<Day> {
        vec![
            Day {
                loss_magnitude: l,
                lines: std::array::from_fn(|k| if k == 0 { l } else { 0.0 }),
                other: o,
                lines_ordinary: std::array::from_fn(|k| if k == 0 { o } else { 0.0 }),
                ..Day::default()
            };
            4
        ]
    }

    fn names() -> Vec<(String, String)> {
        vec![
            ("none".into(), String::new()),
            ("dpi".into(), String::new()),
        ]
    }

    #[test]
    fn a_yearly_downtime_price_spreads_the_years_as_its_closed_form_and_keeps_the_means() {
        let l = 100_000.0;
        // The price uniform over ±50 % of its mean: a year's loss is m·N·L, m ~ U(0.5,
        // 1.5), N ~ Poisson(0.05). Its P99 solves Σ P(N = n)·P(m·n·L ≤ y) = 0.99.
        let drawn = Quantity::Drawn(Dist::Uniform(18_000.0, 54_000.0));
        let a = annual(
            &inputs(Some(drawn)),
            &names(),
            &[days(l, 0.0), days(l, 0.0)],
            5,
        );
        let lambda: f64 = 0.05;
        let cdf = |y: f64| -> f64 {
            let mut p_n = (-lambda).exp();
            let mut total = p_n;
            for n in 1..10 {
                p_n *= lambda / n as f64;
                total += p_n * ((y / (n as f64 * l) - 0.5).clamp(0.0, 1.0));
            }
            total
        };
        let (mut lo, mut hi) = (0.0, 3.0 * l);
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if cdf(mid) < 0.99 { lo = mid } else { hi = mid }
        }
        let p99 = a[0].annual_loss.p99;
        assert!((p99 / lo - 1.0).abs() < 0.05, "P99 {p99} against {lo}");
        // At a fixed price the same years' P99 is one campaign, L; the mean is the same.
        let fixed = annual(&inputs(None), &names(), &[days(l, 0.0), days(l, 0.0)], 5);
        assert_eq!(fixed[0].annual_loss.p99, l);
        assert_eq!(a[0].ale.mean, fixed[0].ale.mean);
        // The draws: mean 1, spread as U(0.5, 1.5).
        let years = line_years(&inputs(Some(drawn)), 5);
        let (k, m) = &years[0];
        assert_eq!(*k, 0);
        let mean = m.iter().sum::<f64>() / m.len() as f64;
        assert!((mean - 1.0).abs() < 0.01, "{mean}");
        assert!(m.iter().all(|x| (0.5..=1.5).contains(x)));
        assert!(line_years(&inputs(None), 5).is_empty());
    }

    #[test]
    fn incident_fees_written_as_ranges_are_drawn_each_year_and_each_enters_the_tornado() {
        // Every campaign: one step with an effect without the control, one blocked with it.
        let step = |k: usize| {
            let mut d = days(0.0, 0.0);
            for x in &mut d {
                x.fee_steps[k] = 1.0;
            }
            d
        };
        let mut r = inputs(None);
        r.campaigns_per_year = Dist::Fixed(2.0);
        r.incident_fees = Some([
            Quantity::Drawn(Dist::Uniform(2_000.0, 8_000.0)),
            Quantity::Value(800.0),
            Quantity::Value(800.0),
            Quantity::Drawn(Dist::Uniform(0.0, 1_600.0)),
        ]);
        // The year's losses: the campaigns' fees at the year's draw, less their mean (the
        // days' losses are at the mean). With no loss at the mean, a year with N campaigns
        // loses N·(draw − 5,000) without the control.
        let a = annual(&r, &names(), &[step(0), step(3)], 9);
        let years = fee_years(&r, 9).unwrap();
        let mean: f64 = years.iter().map(|y| y[0]).sum::<f64>() / years.len() as f64;
        assert!(mean.abs() < 50.0, "{mean}");
        assert!(years.iter().all(|y| y[1] == 0.0 && y[2] == 0.0));
        assert!(years.iter().all(|y| (-3_000.0..=3_000.0).contains(&y[0])));
        assert!(a[0].annual_loss.p99 > 3_000.0, "{:?}", a[0].annual_loss);
        let d = a[1].vs_baseline.as_ref().unwrap();
        let with = d
            .sensitivity
            .iter()
            .find(|s| s.input == "price: incident fee, succeeded with an effect")
            .expect("the fee with an effect in the tornado");
        // One step fewer charged it with the control, twice a year: ±3,000 × 0.8 × 2.
        assert_eq!((with.low, with.high), (2_600.0, 7_400.0));
        assert_eq!(with.net_at_high - with.net_at_low, 2.0 * 4_800.0);
        let blocked = d
            .sensitivity
            .iter()
            .find(|s| s.input == "price: incident fee, blocked")
            .expect("the blocked fee in the tornado");
        // One step more charged it: the dearer the fee, the less the control nets.
        assert!(blocked.net_at_high < blocked.net_at_low, "{blocked:?}");
        assert!(
            d.sensitivity
                .iter()
                .all(|s| s.input != "price: incident fee, detected")
        );
    }

    #[test]
    fn a_control_that_avoids_lost_output_is_worth_more_in_a_dear_year_and_the_tornado_says_so() {
        // The control halves the campaign (all lost output) and a day's lost output.
        let drawn = Quantity::Drawn(Dist::Uniform(18_000.0, 54_000.0));
        let r = inputs(Some(drawn));
        let a = annual(
            &r,
            &names(),
            &[days(100_000.0, 1_000.0), days(50_000.0, 500.0)],
            5,
        );
        let d = a[1].vs_baseline.as_ref().unwrap();
        // Mean: 0.05·50k + 300·500 = 152,500 at the mean price.
        assert_eq!(d.net_benefit_mean.mean, 152_500.0);
        let s = d
            .sensitivity
            .iter()
            .find(|s| s.input == "price: downtime per hour")
            .expect("the downtime price in the tornado");
        // P10–P90 of U(18k, 54k): 21.6k and 50.4k, m = 0.6 and 1.4.
        assert_eq!((s.low, s.high), (21_600.0, 50_400.0));
        assert_eq!((s.net_at_low, s.net_at_high), (91_500.0, 213_500.0));
        // Each year's net scales with its price: P5 near 0.55·152.5k, P95 near 1.45·.
        let n = d.net_benefit;
        assert!(n.p5 > 0.5 * 150_000.0 && n.p5 < 0.6 * 155_000.0, "{n:?}");
        assert!(n.p95 > 1.4 * 150_000.0, "{n:?}");
        // A number instead: no row, and every year without a campaign nets the same.
        let a = annual(
            &inputs(None),
            &names(),
            &[days(100_000.0, 1_000.0), days(50_000.0, 500.0)],
            5,
        );
        let d = a[1].vs_baseline.as_ref().unwrap();
        assert!(d.sensitivity.iter().all(|s| !s.input.starts_with("price")));
        assert_eq!(d.net_benefit.p50, 150_000.0);
    }

    #[test]
    fn every_priced_line_drawn_moves_its_own_line_and_enters_the_tornado_by_its_name() {
        // Line k alone: a campaign costs 1,000 of it without the control, 400 with it; an
        // ordinary day 10 without, 30 with (the control adds some of it on a day, as the
        // DPI's false positives do).
        for line in crate::sweep::LINES {
            let k = line.index();
            let day = |campaign: f64, ordinary: f64| {
                let mut lines = [0.0; crate::sweep::LINE_COUNT];
                lines[k] = campaign;
                let mut lines_ordinary = [0.0; crate::sweep::LINE_COUNT];
                lines_ordinary[k] = ordinary;
                vec![
                    Day {
                        loss_magnitude: campaign,
                        other: ordinary,
                        lines,
                        lines_ordinary,
                        ..Day::default()
                    };
                    4
                ]
            };
            let mut r = inputs(None);
            r.campaigns_per_year = Dist::Fixed(2.0);
            r.line_prices = vec![(line, Quantity::Drawn(Dist::Uniform(0.5, 1.5)))];
            let a = annual(&r, &names(), &[day(1_000.0, 10.0), day(400.0, 30.0)], 3);
            let d = a[1].vs_baseline.as_ref().unwrap();
            // At the means: 2·600 − 300·20 = −4,800.
            assert_eq!(d.net_benefit_mean.mean, -4_800.0, "{line:?}");
            let row = d
                .sensitivity
                .iter()
                .find(|s| s.input == format!("price: {}", line.price_name()))
                .unwrap_or_else(|| panic!("{line:?}: {:?}", d.sensitivity));
            // P10–P90 of U(0.5, 1.5): 0.6 and 1.4; the net at m: −4,800·m.
            assert_eq!((row.low, row.high), (0.6, 1.4), "{line:?}");
            assert_eq!(
                (row.net_at_low, row.net_at_high),
                (-2_880.0, -6_720.0),
                "{line:?}"
            );
            // The years spread wider than at the mean price, whose years vary only with
            // their number of campaigns.
            let years = |r: &RiskInputs| {
                let a = annual(r, &names(), &[day(1_000.0, 10.0), day(400.0, 30.0)], 3);
                a[1].vs_baseline.as_ref().unwrap().net_benefit
            };
            let n = d.net_benefit;
            let mut fixed = r.clone();
            fixed.line_prices.clear();
            let f = years(&fixed);
            assert!(n.p5 < f.p5 && n.p95 > f.p95, "{line:?} {n:?} against {f:?}");
            // The same days under another line's drawn price: the years do not move.
            let other = crate::sweep::LINES[(k + 1) % crate::sweep::LINE_COUNT];
            r.line_prices = vec![(other, Quantity::Drawn(Dist::Uniform(0.5, 1.5)))];
            assert_eq!(years(&r), f, "{line:?} under {other:?}");
        }
    }
}

//! The tornado: each uncertain input of the year model moved over its P10–P90, the others
//! at their medians, and the expected net benefit per year at each end.

use super::days::Day;
use super::spread::{PriceSwing, Swing, dist_quantile, quantile};
use crate::dist::Dist;

/// The prices written as distributions, for the tornado: the controls' (for one
/// variant), the priced lines' (the downtime cost, the scrap price, …), the incident fees.
pub(crate) struct Drawn<'a> {
    pub prices: &'a [PriceSwing],
    pub lines: &'a [(super::Line, crate::dist::Quantity)],
    pub fees: Option<&'a [crate::dist::Quantity; 4]>,
}

/// The tornado for one variant against the baseline, widest swing first. The uncertain
/// inputs: the campaign frequency (the scenario's distribution), and over the seeds the
/// loss of one campaign avoided, the control friction added per day and the other losses
/// avoided per day.
pub(crate) fn tornado(
    freq: &Dist,
    operating_days: f64,
    ownership_added: f64,
    day: &[Day],
    base: &[Day],
    drawn: &Drawn,
) -> Vec<Swing> {
    let (prices, fees) = (drawn.prices, drawn.fees);
    let per_seed = |f: &dyn Fn(&Day, &Day) -> f64| -> Vec<f64> {
        let mut v: Vec<f64> = day.iter().zip(base).map(|(x, b)| f(x, b)).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let avoided = per_seed(&|x, b| b.loss_magnitude - x.loss_magnitude);
    let friction = per_seed(&|x, b| x.friction - b.friction);
    let other = per_seed(&|x, b| b.other - x.other);
    let d = operating_days;
    let net = |[lambda, avoided, friction, other]: [f64; 4], own: f64| {
        super::round(lambda * avoided + d * other - d * friction - own, 2)
    };
    let med = [
        dist_quantile(freq, 0.5),
        quantile(&avoided, 0.5),
        quantile(&friction, 0.5),
        quantile(&other, 0.5),
    ];
    let ends = [
        (dist_quantile(freq, 0.1), dist_quantile(freq, 0.9)),
        (quantile(&avoided, 0.1), quantile(&avoided, 0.9)),
        (quantile(&friction, 0.1), quantile(&friction, 0.9)),
        (quantile(&other, 0.1), quantile(&other, 0.9)),
    ];
    let names = [
        "campaigns per year",
        "loss of one campaign avoided (over seeds)",
        "control friction added per day (over seeds)",
        "other losses avoided per day (over seeds)",
    ];
    let mut rows: Vec<Swing> = (0..4)
        .map(|k| {
            let at = |v: f64| {
                let mut x = med;
                x[k] = v;
                net(x, ownership_added)
            };
            Swing {
                input: names[k].to_string(),
                low: super::round(ends[k].0, 4),
                high: super::round(ends[k].1, 4),
                net_at_low: at(ends[k].0),
                net_at_high: at(ends[k].1),
            }
        })
        .collect();
    // Each price written as a distribution, over its P10–P90 (the others at their means,
    // as the added ownership cost takes them).
    for p in prices {
        let mean = p.quantity.mean();
        let q = |x: f64| match &p.quantity {
            crate::dist::Quantity::Value(v) => *v,
            crate::dist::Quantity::Drawn(d) => dist_quantile(d, x),
        };
        let (low, high) = (q(0.1), q(0.9));
        let at = |x: f64| net(med, ownership_added + p.weight * (x - mean));
        rows.push(Swing {
            input: format!("price: {}", p.input),
            low: super::round(low, 4),
            high: super::round(high, 4),
            net_at_low: at(low),
            net_at_high: at(high),
        });
    }
    for (line, q) in drawn.lines {
        rows.push(super::prices::line_swing(
            *line,
            q,
            med[0],
            d,
            net(med, ownership_added),
            day,
            base,
        ));
    }
    if let Some(f) = fees {
        rows.extend(super::prices::fee_swings(
            f,
            med[0],
            net(med, ownership_added),
            day,
            base,
        ));
    }
    // Widest first; ties keep the order above (a stable sort).
    rows.sort_by(|a, b| b.width().total_cmp(&a.width()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tornado_moves_one_input_at_a_time_widest_first() {
        let base = vec![
            Day {
                loss_magnitude: 100_000.0,
                ..Day::default()
            };
            10
        ];
        let day: Vec<Day> = (0..10)
            .map(|i| Day {
                loss_magnitude: 50_000.0,
                friction: 10.0 + i as f64,
                ..Day::default()
            })
            .collect();
        let freq = Dist::Uniform(0.0, 1.0);
        let none = Drawn {
            prices: &[],
            lines: &[],
            fees: None,
        };
        let t = tornado(&freq, 300.0, 10_000.0, &day, &base, &none);
        assert_eq!(t[0].input, "campaigns per year");
        assert!((t[0].low - 0.1).abs() < 1e-9 && (t[0].high - 0.9).abs() < 1e-9);
        // Friction at its median (seed 5 of 10: 14/day): net(λ) = 50k·λ − 300·14 − 10k.
        assert!(
            (t[0].net_at_low - (5_000.0 - 4_200.0 - 10_000.0)).abs() < 0.01,
            "{t:?}"
        );
        assert!((t[0].net_at_high - (45_000.0 - 4_200.0 - 10_000.0)).abs() < 0.01);
        let f = t
            .iter()
            .find(|s| s.input.starts_with("control friction"))
            .unwrap();
        assert_eq!((f.low, f.high), (10.0, 18.0));
        assert!((f.net_at_low - f.net_at_high - 300.0 * 8.0).abs() < 0.01);
        // Inputs that do not vary over the seeds do not move the net.
        assert!(t[2..].iter().all(|s| s.width() == 0.0));
        assert!(t.windows(2).all(|w| w[0].width() >= w[1].width()));
    }
}

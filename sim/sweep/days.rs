//! The year model's inputs: what the sweep takes from the scenario's `risk` section per
//! variant (the frequency, operating days, ownership, the prices drawn), and one seed of
//! one variant as a day (risk.rs says how the years are built from them).

use super::*;
use crate::dist::Dist;

/// Years simulated for percentiles, the exceedance curve and P(net > 0).
pub const YEARS: usize = 10_000;

/// What the sweep needs from the scenario's `risk` section, per variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskInputs {
    pub campaigns_per_year: Dist,
    pub operating_days: f64,
    /// Per variant: owning its controls for a year (amortized purchase + running).
    pub ownership_per_year: Vec<f64>,
    /// Where a price is a distribution: every control price, with the variants that own
    /// the control; each simulated year draws them (none when every price is a number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drawn_prices: Vec<DrawnPrice>,
    /// The priced lines whose price is a distribution (the downtime cost, the scrap
    /// price, …), with the price: each simulated year draws it (none when every such
    /// price is a number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line_prices: Vec<(super::Line, crate::dist::Quantity)>,
    /// The incident fees (`IncidentFees::all` order), where one is a distribution (each
    /// simulated year draws them; none when all are numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_fees: Option<[crate::dist::Quantity; 4]>,
}

/// A control's price the simulated years draw, and which variants own the control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrawnPrice {
    pub price: crate::scenario::ControlPrice,
    pub owned: Vec<bool>,
}

impl RiskInputs {
    /// From the variants' scenarios; `None` when the baseline has no `risk` section.
    pub fn of(variants: &[Variant]) -> Option<RiskInputs> {
        let r = variants.first()?.scenario.risk.as_ref()?;
        // Each price with the variants that deploy its control.
        let prices: Vec<DrawnPrice> = r
            .controls
            .iter()
            .map(|p| DrawnPrice {
                price: p.clone(),
                owned: variants
                    .iter()
                    .map(|v| {
                        ControlId::from_name(&p.control).is_some_and(|c| present(&v.scenario, c))
                    })
                    .collect(),
            })
            .collect();
        let ownership_per_year = (0..variants.len())
            .map(|v| {
                let own: f64 = prices
                    .iter()
                    .filter(|p| p.owned[v])
                    .map(|p| p.price.per_year())
                    .sum();
                round(own, 2)
            })
            .collect();
        let drawn_prices = if r.controls.iter().any(|p| p.is_drawn()) {
            prices
        } else {
            Vec::new()
        };
        Some(RiskInputs {
            campaigns_per_year: r.campaigns_per_year,
            operating_days: r.operating_days,
            ownership_per_year,
            drawn_prices,
            line_prices: super::Line::drawn(&variants[0].scenario.cost),
            incident_fees: Some(variants[0].scenario.cost.fees().0.all())
                .filter(|f| f.iter().any(|q| q.is_drawn())),
        })
    }
}

/// One seed of one variant, as the year model needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Day {
    /// Cost of the campaign day less the ordinary day.
    pub loss_magnitude: f64,
    /// The ordinary day's cost owed to controls.
    pub friction: f64,
    /// The rest of the ordinary day's cost.
    pub other: f64,
    /// Of the loss magnitude, the response fees (the ordinary day has none).
    pub fees: f64,
    /// Of the loss magnitude, each priced line (super::lines, priced at the means).
    pub lines: [f64; LINE_COUNT],
    /// Of the ordinary day's cost (friction + other), each priced line.
    pub lines_ordinary: [f64; LINE_COUNT],
    /// The campaign's steps charged each incident fee (`IncidentFees::all` order).
    pub fee_steps: [f64; 4],
}

impl Day {
    pub(crate) fn of(figures: &[f64]) -> Day {
        let total = figures[metric("cost_total")];
        let day = figures[metric("ordinary_cost")];
        let friction = figures[metric("ordinary_controls")];
        Day {
            loss_magnitude: total - day,
            friction,
            other: day - friction,
            fees: figures[metric("cost_fees")],
            lines: super::LINES.map(|l| {
                let (day, ordinary) = l.metrics();
                figures[metric(day)] - figures[metric(ordinary)]
            }),
            lines_ordinary: super::LINES.map(|l| figures[metric(l.metrics().1)]),
            fee_steps: [
                "fee_steps_with_effect",
                "fee_steps_without_effect",
                "fee_steps_detected",
                "fee_steps_blocked",
            ]
            .map(|m| figures[metric(m)]),
        }
    }
}

pub(super) fn acc(values: impl Iterator<Item = f64>) -> Acc {
    let mut a = Acc::default();
    for v in values {
        a.push(v);
    }
    a
}

pub(super) fn mean(days: &[Day], f: impl Fn(&Day) -> f64) -> f64 {
    if days.is_empty() {
        return 0.0;
    }
    days.iter().map(f).sum::<f64>() / days.len() as f64
}

//! The cost lines a price scales. Each is the price times a count the run measured (the
//! lost output: units × the downtime cost over the nominal rate; the scrap line: units
//! scrapped × the scrap price; …), so a run priced at a price's mean and a year that drew
//! `m` times that mean differ by `(m − 1)` times the line. A sweep keeps each line of the
//! campaign day and of the ordinary day per run (runs.csv), and where the scenario writes
//! the price as a distribution its simulated years draw it (super::prices).

use crate::dist::Quantity;
use crate::report::CostSummary;
use crate::scenario::CostModel;
use serde::{Deserialize, Serialize};

/// A priced line of the cost ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// The loss tree's units × the downtime cost over the nominal rate.
    LostOutput,
    /// Scrapped units × `cost.scrap_per_unit`.
    ScrapMaterials,
    /// False positives × `cost.per_false_positive`.
    FalsePositiveReview,
    /// Held lots × `cost.out_of_band.test_per_lot`.
    LotTests,
    /// Recalled units × `cost.out_of_band.recall_per_unit`.
    RecallHandling,
    /// Recalls × `cost.out_of_band.recall_fixed`.
    RecallFixed,
    /// Recalls × `cost.out_of_band.regulatory`.
    Regulatory,
    /// Held units reworked × `cost.out_of_band.held`'s rework price.
    Rework,
}

/// How many priced lines there are.
pub const LINE_COUNT: usize = 8;

/// Every line, in the order of [`Day`](super::risk::Day)'s arrays and runs.csv's columns.
pub const LINES: [Line; LINE_COUNT] = [
    Line::LostOutput,
    Line::ScrapMaterials,
    Line::FalsePositiveReview,
    Line::LotTests,
    Line::RecallHandling,
    Line::RecallFixed,
    Line::Regulatory,
    Line::Rework,
];

impl Line {
    /// Its place in [`LINES`].
    pub fn index(self) -> usize {
        LINES.iter().position(|l| *l == self).unwrap_or_default()
    }

    /// The runs.csv columns of the line: the campaign day's, the ordinary day's.
    pub fn metrics(self) -> (&'static str, &'static str) {
        match self {
            Line::LostOutput => ("cost_lost_output", "ordinary_lost_output"),
            Line::ScrapMaterials => ("cost_scrap_materials", "ordinary_scrap_materials"),
            Line::FalsePositiveReview => (
                "cost_false_positive_review",
                "ordinary_false_positive_review",
            ),
            Line::LotTests => ("cost_lot_tests", "ordinary_lot_tests"),
            Line::RecallHandling => ("cost_recall_handling", "ordinary_recall_handling"),
            Line::RecallFixed => ("cost_recall_fixed", "ordinary_recall_fixed"),
            Line::Regulatory => ("cost_regulatory", "ordinary_regulatory"),
            Line::Rework => ("cost_rework", "ordinary_rework"),
        }
    }

    /// The price's name: the tornado's row is `price: ` and this.
    pub fn price_name(self) -> &'static str {
        match self {
            Line::LostOutput => "downtime per hour",
            Line::ScrapMaterials => "scrap per unit",
            Line::FalsePositiveReview => "false-positive review",
            Line::LotTests => "test per held lot",
            Line::RecallHandling => "recall per unit",
            Line::RecallFixed => "recall, fixed per recall",
            Line::Regulatory => "regulatory, per recall",
            Line::Rework => "rework per unit",
        }
    }

    /// What the reports' headers say a simulated year draws.
    pub fn drawn_name(self) -> &'static str {
        match self {
            Line::LostOutput => "the downtime cost",
            Line::ScrapMaterials => "the scrap price",
            Line::FalsePositiveReview => "the false-positive review",
            Line::LotTests => "the held lots' test",
            Line::RecallHandling => "the recall per unit",
            Line::RecallFixed => "the recall's fixed cost",
            Line::Regulatory => "the regulatory cost",
            Line::Rework => "the rework price",
        }
    }

    /// The random stream a sweep's years draw the price from (the downtime cost's name is
    /// the one it had before the other lines could be drawn, so its years do not move).
    pub fn stream(self) -> &'static str {
        match self {
            Line::LostOutput => "risk:downtime",
            Line::ScrapMaterials => "risk:scrap",
            Line::FalsePositiveReview => "risk:false-positive",
            Line::LotTests => "risk:lot-tests",
            Line::RecallHandling => "risk:recall-per-unit",
            Line::RecallFixed => "risk:recall-fixed",
            Line::Regulatory => "risk:regulatory",
            Line::Rework => "risk:rework",
        }
    }

    /// The scenario's price of the line (none: a scenario without out-of-band prices).
    pub fn price(self, c: &CostModel) -> Option<Quantity> {
        let o = c.out_of_band.as_ref();
        match self {
            Line::LostOutput => Some(c.downtime_per_h),
            Line::ScrapMaterials => Some(c.scrap_per_unit),
            Line::FalsePositiveReview => Some(c.per_false_positive),
            Line::LotTests => o.map(|o| o.test_per_lot),
            Line::RecallHandling => o.map(|o| o.recall_per_unit),
            Line::RecallFixed => o.map(|o| o.recall_fixed),
            Line::Regulatory => o.map(|o| o.regulatory),
            Line::Rework => o.and_then(|o| match o.held {
                crate::scenario::Disposition::Rework { per_unit, .. } => Some(per_unit),
                _ => None,
            }),
        }
    }

    /// The line in a run's cost ledger (priced at the mean). Held product recovered
    /// (released or reworked) takes its output and materials off the first two: their
    /// price scales the credit too.
    pub fn cost(self, c: &CostSummary) -> f64 {
        let o = &c.out_of_band;
        match self {
            Line::LostOutput => c.lost_output - o.recovered_output,
            Line::ScrapMaterials => c.scrap_materials - o.recovered_materials,
            Line::FalsePositiveReview => c.false_positive_review,
            Line::LotTests => c.out_of_band.tests,
            Line::RecallHandling => c.out_of_band.recall_handling,
            Line::RecallFixed => c.out_of_band.recall_fixed,
            Line::Regulatory => c.out_of_band.regulatory,
            Line::Rework => c.out_of_band.rework,
        }
    }

    /// Every line of a run's ledger, in [`LINES`] order.
    pub fn costs(c: &CostSummary) -> [f64; LINE_COUNT] {
        LINES.map(|l| l.cost(c))
    }

    /// The lines whose price the scenario writes as a distribution, with the price.
    pub fn drawn(c: &CostModel) -> Vec<(Line, Quantity)> {
        LINES
            .iter()
            .filter_map(|l| l.price(c).filter(Quantity::is_drawn).map(|q| (*l, q)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_has_its_own_columns_stream_and_names() {
        let mut seen = std::collections::BTreeSet::new();
        for l in LINES {
            let (a, b) = l.metrics();
            for s in [a, b, l.stream(), l.price_name(), l.drawn_name()] {
                assert!(seen.insert(s), "{s} twice");
            }
            assert_eq!(LINES[l.index()], l);
        }
    }
}

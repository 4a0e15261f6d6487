//! Secondary loss (Open FAIR): what product made out of a thermal station's band costs
//! beyond itself. Its output and materials are primary loss, already in the loss tree
//! and the scrap line; here are the held lots' tests and the recall of product that left
//! the site before the plant saw the excursion (see [`crate::excursion`]).
//!
//! ```text
//! secondary = Σ lots with held product × test_per_lot
//!           + Σ shipped units × recall_per_unit
//!           + Σ lots with shipped product × (recall_fixed + regulatory)
//!           + Σ held units reworked × rework per unit
//!           − Σ held units recovered × (value of a unit + scrap price)
//! ```
//!
//! (held units are recovered where the scenario releases or reworks them: the share that
//! passes, or that the rework makes sellable, rounded per excursion and cause). A unit's
//! share goes to the cause that put the temperature out of band when it was made; a
//! lot's (once per excursion) to the cause with most of its units.

use super::round;
use crate::excursion::Fate;
use crate::loss::Cause;
use crate::time::{US_PER_H, from_secs};
use crate::world::World;
use serde::Serialize;
use std::collections::BTreeMap;

/// The run's product made out of band and what became of it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OutOfBand {
    /// The scenario prices it (`cost.out_of_band`). Without prices the units are still
    /// counted, and `shipped` means never seen in the run.
    pub priced: bool,
    /// Hours from a unit being made to its leaving the site (the scenario's).
    pub ships_after_h: Option<f64>,
    /// Units made out of band: held + shipped.
    pub units: u64,
    pub held: u64,
    pub shipped: u64,
    /// Excursions with held product (each one lot to test) and with shipped product
    /// (each one recall).
    pub held_lots: u32,
    pub recalls: u32,
    /// The held lots' tests.
    pub tests: f64,
    /// The shipped units' retrieval, logistics and destruction.
    pub recall_handling: f64,
    /// The recalls' fixed costs and the regulatory costs, once per recall.
    pub recall_fixed: f64,
    pub regulatory: f64,
    /// What became of held product (the scenario's; destroyed when not written).
    pub disposition: crate::scenario::Disposition,
    /// Held units reworked, and what reworking them cost.
    pub reworked: u64,
    pub rework: f64,
    /// Held units recovered (released after testing, or sellable after rework), and
    /// the credit for them: their output at the loss tree's value of a unit, their
    /// materials at the scrap price.
    pub recovered: u64,
    pub recovered_output: f64,
    pub recovered_materials: f64,
    /// The lines above, the credits taken off: the secondary loss.
    pub total: f64,
    pub excursions: Vec<ExcursionLine>,
}

/// One excursion with product made in it.
#[derive(Clone, Debug, Serialize)]
pub struct ExcursionLine {
    pub station: String,
    pub start_h: f64,
    pub end_h: Option<f64>,
    /// When the plant first saw it (None: never in the run).
    pub seen_at_h: Option<f64>,
    pub held: u64,
    pub shipped: u64,
    /// Of the held units, recovered (released or reworked into sellable product).
    pub recovered: u64,
    pub by_cause: Vec<CauseFate>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CauseFate {
    pub cause: String,
    pub held: u64,
    pub shipped: u64,
}

/// The run's out-of-band product, and the secondary loss owed to each cause.
pub(super) fn secondary(w: &World) -> (OutOfBand, BTreeMap<Cause, f64>) {
    let prices = w.scenario.cost.out_of_band;
    // A unit of output's value, as the loss tree prices it.
    let unit_value =
        w.scenario.cost.downtime_per_h.mean() / crate::world::bottleneck(&w.scenario).1;
    let scrap_price = w.scenario.cost.scrap_per_unit.mean();
    let ships_after = prices.map_or(u64::MAX, |p| from_secs(p.ships_after_h * 3600.0));
    let hours = |t: u64| round(t as f64 / US_PER_H as f64, 4);
    let mut o = OutOfBand {
        priced: prices.is_some(),
        ships_after_h: prices.map(|p| p.ships_after_h),
        disposition: prices.map(|p| p.held).unwrap_or_default(),
        ..OutOfBand::default()
    };
    let mut owed: BTreeMap<Cause, f64> = BTreeMap::new();
    let mut owe = |cause: Cause, v: f64| {
        if v != 0.0 {
            *owed.entry(cause).or_default() += v;
        }
    };
    for e in w.ledger.excursions.with_product() {
        let fates = e.fate(ships_after);
        let sum = |f: fn(&Fate) -> u64| fates.iter().map(|(_, x)| f(x)).sum::<u64>();
        let (held, shipped) = (sum(|f| f.held), sum(|f| f.shipped));
        // The lot's share goes to the cause with most of its held (or shipped) units.
        let most = |f: fn(&Fate) -> u64| {
            fates
                .iter()
                .fold(None::<(Cause, u64)>, |best, (c, x)| match best {
                    Some((_, n)) if n >= f(x) => best,
                    _ => Some((*c, f(x))),
                })
                .map(|(c, _)| c)
        };
        let mut recovered = 0;
        if let Some(p) = prices {
            let (share, rework) = p.held.recovery();
            let reworks = matches!(p.held, crate::scenario::Disposition::Rework { .. });
            for (c, f) in &fates {
                let back = (f.held as f64 * share).round() as u64;
                let cost = if reworks { f.held as f64 * rework } else { 0.0 };
                let output = back as f64 * unit_value;
                let materials = back as f64 * scrap_price;
                owe(*c, cost - output - materials);
                o.rework += cost;
                o.reworked += if reworks { f.held } else { 0 };
                o.recovered_output += output;
                o.recovered_materials += materials;
                recovered += back;
            }
            let (test, per_unit, fixed, regulatory) = (
                p.test_per_lot.mean(),
                p.recall_per_unit.mean(),
                p.recall_fixed.mean(),
                p.regulatory.mean(),
            );
            if held > 0 {
                owe(most(|f| f.held).unwrap_or(Cause::Normal), test);
                o.tests += test;
            }
            for (c, f) in &fates {
                owe(*c, f.shipped as f64 * per_unit);
                o.recall_handling += f.shipped as f64 * per_unit;
            }
            if shipped > 0 {
                owe(
                    most(|f| f.shipped).unwrap_or(Cause::Normal),
                    fixed + regulatory,
                );
                o.recall_fixed += fixed;
                o.regulatory += regulatory;
            }
        }
        o.held += held;
        o.shipped += shipped;
        o.recovered += recovered;
        o.held_lots += u32::from(held > 0);
        o.recalls += u32::from(shipped > 0);
        o.excursions.push(ExcursionLine {
            station: w.scenario.stations[e.station].name.clone(),
            start_h: hours(e.start),
            end_h: e.end.map(hours),
            seen_at_h: e.seen_at.map(hours),
            held,
            shipped,
            recovered,
            by_cause: fates
                .iter()
                .map(|(c, f)| CauseFate {
                    cause: super::cause_name(w, *c),
                    held: f.held,
                    shipped: f.shipped,
                })
                .collect(),
        });
    }
    o.units = o.held + o.shipped;
    o.tests = round(o.tests, 2);
    o.recall_handling = round(o.recall_handling, 2);
    o.recall_fixed = round(o.recall_fixed, 2);
    o.regulatory = round(o.regulatory, 2);
    o.rework = round(o.rework, 2);
    o.recovered_output = round(o.recovered_output, 2);
    o.recovered_materials = round(o.recovered_materials, 2);
    o.total = round(
        o.tests + o.recall_handling + o.recall_fixed + o.regulatory + o.rework
            - o.recovered_output
            - o.recovered_materials,
        2,
    );
    (o, owed)
}

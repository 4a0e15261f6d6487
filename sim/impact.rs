//! Impact by counterfactual: what an attack step or a control did to the plant is the
//! difference between the run with it and the same seed without it (common random numbers:
//! every component draws from its own named stream, so the twins differ only by that one
//! factor). What the factors do together beyond the sum of their parts is the interaction
//! remainder: the parts plus the remainder are the whole difference to the run with no
//! attack and no control, exactly.
//!
//! Over N seeds each figure is a mean with a 95 % Student-t interval; a difference whose
//! interval holds zero is reported as within the noise.

use crate::controls::ControlId;
use crate::loss::LossCategory;
use crate::report::Summary;
use crate::scenario::Scenario;
use crate::sweep::{Acc, Stat, present, switch_off};
use crate::world::World;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Something whose impact is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Factor {
    /// The scenario's attack step k.
    Attack(usize),
    /// The stochastic attacker's whole campaign.
    Attacker,
    /// A deployed control.
    Control(ControlId),
}

/// The factors of a scenario: its attack steps, its attacker, its deployed controls.
pub fn factors(s: &Scenario) -> Vec<Factor> {
    let mut out: Vec<Factor> = (0..s.attacks.len()).map(Factor::Attack).collect();
    if s.attacker.is_some() {
        out.push(Factor::Attacker);
    }
    for c in ControlId::ALL {
        if present(s, c) {
            out.push(Factor::Control(c));
        }
    }
    out
}

/// The scenario without a factor.
pub fn without(s: &Scenario, f: Factor) -> Scenario {
    let mut t = s.clone();
    match f {
        Factor::Attack(k) => {
            t.attacks.remove(k);
        }
        Factor::Attacker => t.attacker = None,
        Factor::Control(c) => switch_off(&mut t, c),
    }
    t
}

/// The scenario with no attack and no control.
pub fn bare(s: &Scenario) -> Scenario {
    factors(s)
        .iter()
        .rev()
        .fold(s.clone(), |t, &f| without(&t, f))
}

/// A factor's name in reports.
pub fn name(s: &Scenario, f: Factor) -> String {
    match f {
        Factor::Attack(k) => {
            let a = &s.attacks[k];
            let (id, what) = a.step.technique();
            format!(
                "step {}: {id} {what} from {} at {:.2} h",
                k + 1,
                a.from,
                a.at_h
            )
        }
        Factor::Attacker => "the stochastic attacker".into(),
        Factor::Control(c) => format!("control: {}", c.name()),
    }
}

/// The figures of one run that impacts are differences of.
#[derive(Clone, Debug, Default, PartialEq)]
struct Figures {
    good: f64,
    scrap: f64,
    downtime_h: f64,
    cost: f64,
    /// The cost's production part (lost output, scrap materials, secondary loss) and its
    /// fees (incident response and false-positive review): they add up to `cost`.
    production: f64,
    fees: f64,
    /// Lost units by loss-tree category.
    lost: BTreeMap<LossCategory, f64>,
}

impl Figures {
    fn of(s: &Scenario, seed: u64) -> Figures {
        let mut w = World::new(s, seed);
        w.run();
        Figures::of_world(&w)
    }

    fn of_world(w: &World) -> Figures {
        let r = Summary::from_world(w);
        let mut lost = BTreeMap::new();
        for l in &r.loss_tree.losses {
            *lost.entry(l.category).or_insert(0.0) += l.units;
        }
        Figures {
            good: r.line.good_units as f64,
            scrap: r.line.scrap_units as f64,
            downtime_h: r.line.downtime_h,
            cost: r.cost.total,
            production: r.cost.production_effect(),
            fees: r.cost.fees(),
            lost,
        }
    }

    fn minus(&self, o: &Figures) -> Figures {
        let mut lost = self.lost.clone();
        for (k, v) in &o.lost {
            *lost.entry(*k).or_insert(0.0) -= v;
        }
        Figures {
            good: self.good - o.good,
            scrap: self.scrap - o.scrap,
            downtime_h: self.downtime_h - o.downtime_h,
            cost: self.cost - o.cost,
            production: self.production - o.production,
            fees: self.fees - o.fees,
            lost,
        }
    }

    fn plus(&self, o: &Figures) -> Figures {
        let neg = Figures::default().minus(o);
        self.minus(&neg)
    }
}

/// One line of the impact table: a factor's (or the remainder's, or the total's) effect.
#[derive(Clone, Debug, Serialize)]
pub struct ImpactRow {
    pub name: String,
    /// Δ good units, Δ scrap units, Δ unplanned downtime (h), Δ total cost: the run with
    /// the factor minus the same seed without it.
    pub good_units: Stat,
    pub scrap_units: Stat,
    pub downtime_h: Stat,
    pub cost: Stat,
    /// Δ cost in two parts that add up to it: the production effect (lost output and
    /// scrap materials) and the fees (incident response at the scenario's or the assumed
    /// fees, false-positive review).
    pub production_cost: Stat,
    pub fees: Stat,
    /// Δ lost units by loss-tree category.
    pub lost_units: BTreeMap<LossCategory, Stat>,
    /// The cost difference's 95 % interval holds zero: not told apart from the noise.
    pub within_noise: bool,
}

/// The impact table of a scenario over seeds.
#[derive(Clone, Debug, Serialize)]
pub struct Impact {
    pub seeds: u64,
    pub first_seed: u64,
    pub factors: Vec<ImpactRow>,
    /// What the factors do together beyond the sum of their parts.
    pub interaction: ImpactRow,
    /// The run as it is, against the run with no attack and no control.
    pub total: ImpactRow,
}

#[derive(Default)]
struct RowAcc {
    good: Acc,
    scrap: Acc,
    downtime: Acc,
    cost: Acc,
    production: Acc,
    fees: Acc,
    lost: BTreeMap<LossCategory, Acc>,
    /// Seeds pushed: a category absent on a seed counts as 0 there, so every category
    /// is averaged over the same seeds.
    seeds: usize,
}

impl RowAcc {
    fn push(&mut self, d: &Figures) {
        self.good.push(d.good);
        self.scrap.push(d.scrap);
        self.downtime.push(d.downtime_h);
        self.cost.push(d.cost);
        self.production.push(d.production);
        self.fees.push(d.fees);
        let before = self.seeds;
        for (k, v) in &d.lost {
            self.lost
                .entry(*k)
                .or_insert_with(|| {
                    let mut a = Acc::default();
                    (0..before).for_each(|_| a.push(0.0));
                    a
                })
                .push(*v);
        }
        for (k, a) in self.lost.iter_mut() {
            if !d.lost.contains_key(k) {
                a.push(0.0);
            }
        }
        self.seeds += 1;
    }

    fn row(&self, name: String) -> ImpactRow {
        let cost = self.cost.stat();
        ImpactRow {
            name,
            good_units: self.good.stat(),
            scrap_units: self.scrap.stat(),
            downtime_h: self.downtime.stat(),
            // One seed has no interval (it is the mean itself, zero only for a row of zeros,
            // which is no effect rather than noise).
            within_noise: (cost.mean != 0.0 || cost.sd != 0.0)
                && cost.ci95.0 <= 0.0
                && cost.ci95.1 >= 0.0,
            cost,
            production_cost: self.production.stat(),
            fees: self.fees.stat(),
            lost_units: self.lost.iter().map(|(k, a)| (*k, a.stat())).collect(),
        }
    }
}

/// The impact of every factor of `s` over `seeds` seeds from `first_seed`, the twins run
/// in parallel (in a fixed order: the same bytes on any thread count).
pub fn impact(s: &Scenario, first_seed: u64, seeds: u64) -> Impact {
    let fs = factors(s);
    // With nothing to take away, the run is its own bare twin: run it once.
    let mut scenarios: Vec<Scenario> = if fs.is_empty() {
        vec![s.clone()]
    } else {
        vec![s.clone(), bare(s)]
    };
    scenarios.extend(fs.iter().map(|&f| without(s, f)));
    let jobs: Vec<(u64, usize)> = (first_seed..first_seed + seeds)
        .flat_map(|seed| (0..scenarios.len()).map(move |k| (seed, k)))
        .collect();
    let runs: Vec<Figures> = jobs
        .par_iter()
        .map(|&(seed, k)| Figures::of(&scenarios[k], seed))
        .collect();
    let mut parts: Vec<RowAcc> = fs.iter().map(|_| RowAcc::default()).collect();
    let (mut interaction, mut total) = (RowAcc::default(), RowAcc::default());
    for seed_runs in runs.chunks(scenarios.len()) {
        let with = &seed_runs[0];
        let none = seed_runs.get(1).unwrap_or(with);
        let whole = with.minus(none);
        let mut sum = Figures::default();
        for (i, twin) in seed_runs.iter().skip(2).enumerate() {
            let d = with.minus(twin);
            parts[i].push(&d);
            sum = sum.plus(&d);
        }
        interaction.push(&whole.minus(&sum));
        total.push(&whole);
    }
    Impact {
        seeds,
        first_seed,
        factors: fs
            .iter()
            .zip(&parts)
            .map(|(&f, a)| a.row(name(s, f)))
            .collect(),
        interaction: interaction.row("interaction (together, beyond the parts)".into()),
        total: total.row("total: as run, against no attack and no control".into()),
    }
}

/// The impact of each actor of a live session, by replay: the session as it was minus the
/// same session without that actor's inputs (its connections, frames, probes, reads); the
/// total against the session without any actor; the interaction the rest. One session: no
/// interval. Each row is named as the loss tree names the actor.
pub fn replay_impact(s: &Scenario, log: &crate::live::InputLog) -> anyhow::Result<Impact> {
    let actors = log.actors();
    let replay = |l: &crate::live::InputLog| -> anyhow::Result<Figures> {
        let mut w = World::new(s, l.seed);
        l.replay(&mut w)?;
        Ok(Figures::of_world(&w))
    };
    let all: Vec<String> = actors.iter().map(|(_, n)| n.clone()).collect();
    let mut logs = vec![log.without(&[])?, log.without(&all)?];
    for (_, n) in &actors {
        logs.push(log.without(std::slice::from_ref(n))?);
    }
    let runs: Vec<Figures> = logs
        .par_iter()
        .map(replay)
        .collect::<anyhow::Result<Vec<Figures>>>()?;
    let (with, none) = (&runs[0], &runs[1]);
    let whole = with.minus(none);
    let mut sum = Figures::default();
    let mut factors = Vec::new();
    for ((_, n), twin) in actors.iter().zip(&runs[2..]) {
        let d = with.minus(twin);
        sum = sum.plus(&d);
        let mut a = RowAcc::default();
        a.push(&d);
        factors.push(a.row(format!("actor: {n}")));
    }
    let (mut interaction, mut total) = (RowAcc::default(), RowAcc::default());
    interaction.push(&whole.minus(&sum));
    total.push(&whole);
    Ok(Impact {
        seeds: 1,
        first_seed: log.seed,
        factors,
        interaction: interaction.row("interaction (together, beyond the parts)".into()),
        total: total.row("total: the session, against the session with no outside client".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_category_first_seen_on_a_later_seed_counts_zero_on_the_earlier_ones() {
        let none = Figures::default();
        let mut some = Figures::default();
        some.lost.insert(LossCategory::SpeedLoss, 4.0);
        let mut acc = RowAcc::default();
        for d in [&none, &none, &some, &none] {
            acc.push(d);
        }
        let row = acc.row("x".into());
        let speed = &row.lost_units[&LossCategory::SpeedLoss];
        assert_eq!((speed.n, speed.mean), (4, 1.0));
    }

    fn costing(costs: &[f64]) -> ImpactRow {
        let mut acc = RowAcc::default();
        for &cost in costs {
            acc.push(&Figures {
                cost,
                ..Figures::default()
            });
        }
        acc.row("x".into())
    }

    #[test]
    fn a_row_is_within_the_noise_when_its_interval_holds_zero_over_two_seeds_or_more() {
        // Costs that straddle zero: the interval on the mean holds it.
        assert!(costing(&[500.0, -400.0, 300.0, -450.0]).within_noise);
        // A mean of exactly zero with a spread is noise too.
        assert!(costing(&[100.0, -100.0]).within_noise);
        // Costs all one side of zero: a real effect.
        assert!(!costing(&[500.0, 400.0, 300.0, 450.0]).within_noise);
        // One seed has no interval; a row of zeros is no effect, not noise.
        assert!(!costing(&[500.0]).within_noise);
        assert!(!costing(&[0.0, 0.0, 0.0]).within_noise);
    }
}

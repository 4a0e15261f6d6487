//! The road not taken: from each decision point, every option run to the end with the
//! same seed, and the options judged against each other.

use super::*;
use crate::world::Recording;
use serde::Serialize;

/// At one decision point: every option run to the end (the table's other choices kept).
#[derive(Clone, Debug, Serialize)]
pub struct PointComparison {
    pub inject: usize,
    pub title: String,
    pub asked: String,
    pub chosen: String,
    /// (key, label, outcome) per option, on the session's seed.
    pub options: Vec<(String, String, Consequences)>,
    /// Seeds each option ran on (the session's first; common random numbers).
    pub seeds: u64,
    /// Each option over those seeds, in the order of `options`.
    pub stats: Vec<OptionStats>,
    /// The option cheaper than every other over the seeds, where the 95 % intervals of the
    /// paired differences all exclude zero; empty when there is no clear winner.
    pub best: String,
    /// The option dearer than every other, on the same rule; empty when none is.
    pub worst: String,
}

/// One option of a decision point over many seeds.
#[derive(Clone, Debug, Serialize)]
pub struct OptionStats {
    pub key: String,
    /// Total cost (the run's ledger) and good units.
    pub cost: crate::sweep::Stat,
    pub good_units: crate::sweep::Stat,
    /// This option minus the table's choice, seed by seed.
    pub delta_cost: crate::sweep::Stat,
    pub delta_good_units: crate::sweep::Stat,
    /// Fraction of the seeds on which it was the cheapest option (ties to the first).
    pub cheapest_share: f64,
}

impl PointComparison {
    /// What the comparison concludes, in words.
    pub fn verdict(&self) -> String {
        if self.best.is_empty() {
            format!(
                "no clear winner over {} seeds: the intervals of the cost differences overlap",
                self.seeds
            )
        } else {
            format!(
                "{} is the cheapest over {} seeds (its cost below every other option's, intervals apart)",
                self.best, self.seeds
            )
        }
    }
}

/// The road not taken: from each decision point, every option (or only those in `only`)
/// to the end, the table's choices elsewhere kept, on `seeds` seeds from `seed` on (common
/// random numbers: every option sees the same seeds). Runs in parallel; results in
/// exercise order. "Best" and "worst" are stamped only where the paired 95 % intervals
/// separate the option from every other.
pub fn compare(
    ex: &Loaded,
    seed: u64,
    table: &[Taken],
    only: &[String],
    seeds: u32,
) -> Result<Vec<PointComparison>, PlayError> {
    judged(ex, table, &roads(ex, seed, table, only, seeds)?, seeds)
}

/// Every road [`compare`] runs: per decision point and option, its outcomes seed by seed.
/// The seeds are `seed`, `seed + 1`, …, so the roads of more seeds hold those of fewer:
/// [`judged`] on the first `n` gives `compare` on `n` seeds.
#[derive(Clone, Debug)]
pub struct Roads {
    runs: Vec<(usize, String, Vec<Consequences>)>,
}

/// The roads of [`compare`], run (in parallel) but not yet judged.
pub fn roads(
    ex: &Loaded,
    seed: u64,
    table: &[Taken],
    only: &[String],
    seeds: u32,
) -> Result<Roads, PlayError> {
    let seeds = seeds.max(1);
    // The points the table's road reached (a point whose `when` did not hold has no road
    // not taken) and the options to run there.
    let mut points: Vec<(usize, Vec<String>)> = Vec::new();
    for (i, d) in ex.points() {
        if !table.iter().any(|t| t.inject == i && !t.key.is_empty()) {
            continue;
        }
        let keys = d
            .options
            .iter()
            .filter(|o| {
                only.is_empty()
                    || only.contains(&o.key)
                    || table.iter().any(|t| t.inject == i && t.key == o.key)
            })
            .map(|o| o.key.clone())
            .collect();
        points.push((i, keys));
    }
    // The table's choices, at `i` this key instead (usize::MAX: none changed).
    let path = |i: usize, key: &str| -> Vec<Taken> {
        table
            .iter()
            .map(|t| Taken {
                inject: t.inject,
                key: if t.inject == i {
                    key.to_string()
                } else {
                    t.key.clone()
                },
                deliberation_s: 0.0,
                skipped: false,
            })
            .collect()
    };
    let chosen = |i: usize| -> &str {
        table
            .iter()
            .find(|t| t.inject == i)
            .map(|t| t.key.as_str())
            .unwrap_or_default()
    };
    // Per seed, the table's road once, kept as it stood at each point before the choice
    // (common random numbers: every option at a point starts from the same twin).
    type Forks = Vec<(usize, Road)>;
    let roads: Vec<Result<(Consequences, Forks), PlayError>> = (0..seeds)
        .into_par_iter()
        .map(|k| {
            let mut road = Road::new(ex, seed.wrapping_add(u64::from(k)), Recording::default());
            let mut chooser = Alternative(Recorded(path(usize::MAX, "")));
            let mut forks = Vec::new();
            for i in 0..ex.exercise.injects.len() {
                if points.iter().any(|(p, _)| *p == i) {
                    forks.push((i, road.clone()));
                }
                road.inject(ex, i, &mut chooser)?;
            }
            let len = ex.exercise.injects.len();
            Ok((
                Consequences::of(&road.finish(ex, len, &mut chooser)?.summary),
                forks,
            ))
        })
        .collect();
    let roads = roads.into_iter().collect::<Result<Vec<_>, _>>()?;
    // Every other option, from its fork.
    let mut jobs = Vec::new();
    for (i, keys) in &points {
        for key in keys {
            if key != chosen(*i) {
                for k in 0..seeds as usize {
                    jobs.push((*i, key.clone(), k));
                }
            }
        }
    }
    let results: Vec<Result<Consequences, PlayError>> = jobs
        .par_iter()
        .map(|(i, key, k)| {
            let road = roads[*k]
                .1
                .iter()
                .find(|(p, _)| p == i)
                .map(|(_, r)| r.clone())
                .ok_or_else(|| PlayError::Decisions(format!("no fork at inject {i}")))?;
            let p = road.finish(ex, *i, &mut Alternative(Recorded(path(*i, key))))?;
            Ok(Consequences::of(&p.summary))
        })
        .collect();
    let mut others = jobs.into_iter().zip(results);
    // (point, key) → its outcomes, seed by seed, in the points' and options' order.
    let mut runs: Vec<(usize, String, Vec<Consequences>)> = Vec::new();
    for (i, keys) in &points {
        for key in keys {
            let outcomes = if key == chosen(*i) {
                roads.iter().map(|r| r.0.clone()).collect()
            } else {
                let mut v = Vec::with_capacity(seeds as usize);
                for _ in 0..seeds {
                    let ((_, _, _), r) = others
                        .next()
                        .ok_or_else(|| PlayError::Decisions("a road went missing".into()))?;
                    v.push(r?);
                }
                v
            };
            runs.push((*i, key.clone(), outcomes));
        }
    }
    Ok(Roads { runs })
}

/// The comparison on the first `seeds` seeds of `roads` (all of them where it has fewer).
pub fn judged(
    ex: &Loaded,
    table: &[Taken],
    roads: &Roads,
    seeds: u32,
) -> Result<Vec<PointComparison>, PlayError> {
    let seeds = seeds.max(1);
    let mut out: Vec<PointComparison> = Vec::new();
    // Per point, per option: its outcomes seed by seed.
    let mut samples: Vec<Vec<Vec<Consequences>>> = Vec::new();
    for (i, key, outcomes) in &roads.runs {
        let (i, key) = (*i, key.clone());
        let outcomes: Vec<Consequences> = outcomes.iter().take(seeds as usize).cloned().collect();
        let inject = &ex.exercise.injects[i];
        let d = inject
            .decision
            .as_ref()
            .ok_or_else(|| PlayError::Decisions("not a decision point".into()))?;
        let label = d
            .options
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.label.clone())
            .unwrap_or_default();
        if out.last().is_none_or(|p| p.inject != i) {
            out.push(PointComparison {
                inject: i,
                title: inject.title.clone(),
                asked: d.asked.clone(),
                chosen: table
                    .iter()
                    .find(|t| t.inject == i)
                    .map(|t| t.key.clone())
                    .unwrap_or_default(),
                options: Vec::new(),
                seeds: outcomes.len() as u64,
                stats: Vec::new(),
                best: String::new(),
                worst: String::new(),
            });
            samples.push(Vec::new());
        }
        if let (Some(p), Some(s)) = (out.last_mut(), samples.last_mut()) {
            p.options.push((key, label, outcomes[0].clone()));
            s.push(outcomes);
        }
    }
    for (p, s) in out.iter_mut().zip(&samples) {
        judge(p, s);
    }
    Ok(out)
}

pub(super) fn stat(values: impl Iterator<Item = f64>) -> crate::sweep::Stat {
    let mut acc = crate::sweep::Acc::default();
    for v in values {
        acc.push(v);
    }
    acc.stat()
}

/// Each option's figures over the seeds, paired with the table's choice, and the best and
/// worst options where the paired intervals separate them from every other.
pub(super) fn judge(p: &mut PointComparison, samples: &[Vec<Consequences>]) {
    let chosen = p.options.iter().position(|o| o.0 == p.chosen).unwrap_or(0);
    let seeds = samples.iter().map(Vec::len).min().unwrap_or(0);
    let cheapest: Vec<usize> = (0..seeds)
        .map(|k| {
            (0..samples.len())
                .min_by(|&a, &b| {
                    samples[a][k]
                        .cost
                        .total_cmp(&samples[b][k].cost)
                        .then(a.cmp(&b))
                })
                .unwrap_or(0)
        })
        .collect();
    let paired = |a: usize, b: usize, f: &dyn Fn(&Consequences) -> f64| {
        stat((0..seeds).map(|k| f(&samples[a][k]) - f(&samples[b][k])))
    };
    p.stats = (0..samples.len())
        .map(|o| OptionStats {
            key: p.options[o].0.clone(),
            cost: stat(samples[o].iter().map(|c| c.cost)),
            good_units: stat(samples[o].iter().map(|c| c.good_units as f64)),
            delta_cost: paired(o, chosen, &|c| c.cost),
            delta_good_units: paired(o, chosen, &|c| c.good_units as f64),
            cheapest_share: crate::report::round(
                cheapest.iter().filter(|&&c| c == o).count() as f64 / seeds.max(1) as f64,
                4,
            ),
        })
        .collect();
    if seeds < 2 {
        // One seed is an anecdote: no interval, no winner.
        p.best.clear();
        p.worst.clear();
        return;
    }
    let others = |o: usize| (0..samples.len()).filter(move |&x| x != o);
    // Separated: the paired difference's interval lies wholly on one side of zero.
    let below_all =
        |o: usize| samples.len() > 1 && others(o).all(|x| paired(o, x, &|c| c.cost).ci95.1 < 0.0);
    let above_all =
        |o: usize| samples.len() > 1 && others(o).all(|x| paired(o, x, &|c| c.cost).ci95.0 > 0.0);
    p.best = (0..samples.len())
        .find(|&o| below_all(o))
        .map(|o| p.options[o].0.clone())
        .unwrap_or_default();
    p.worst = (0..samples.len())
        .find(|&o| above_all(o))
        .map(|o| p.options[o].0.clone())
        .unwrap_or_default();
}

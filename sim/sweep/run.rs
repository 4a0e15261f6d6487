//! Running the seeds × variants on a thread pool, chunk by chunk, in a fixed order.

use super::*;

/// Seeds per chunk: big enough to keep every thread busy, small enough that memory stays
/// flat however many runs there are.
pub(crate) const CHUNK_SEEDS: u64 = 64;

/// Run `seeds` × every variant on `threads` threads; `sink` receives the records of each
/// chunk in (seed, variant) order, whatever the thread count, and answers whether to go
/// on (a stopping rule looks only at whole chunks, so it stops at the same seed on any
/// thread count). `tick` is called after each run (from worker threads) for progress.
pub fn execute(
    variants: &[Variant],
    seeds: Range<u64>,
    first_seed: u64,
    threads: usize,
    tick: &(dyn Fn() + Sync),
    mut sink: impl FnMut(Vec<RunRecord>) -> Result<bool, SweepError>,
) -> Result<(), SweepError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| SweepError::Pool(e.to_string()))?;
    let nv = variants.len();
    let mut start = seeds.start;
    while start < seeds.end {
        let end = (start + CHUNK_SEEDS).min(seeds.end);
        let jobs: Vec<(u64, usize)> = (start..end)
            .flat_map(|s| (0..nv).map(move |v| (s, v)))
            .collect();
        let records: Vec<RunRecord> = pool.install(|| {
            jobs.par_iter()
                .map(|&(seed, v)| {
                    let r = run_one(&variants[v], v, seed, first_seed);
                    tick();
                    r
                })
                .collect()
        });
        if !sink(records)? {
            break;
        }
        start = end;
    }
    Ok(())
}

/// Names and descriptions of variants, for an [`Aggregator`] or a partial.
pub fn names(variants: &[Variant]) -> Vec<(String, String)> {
    variants
        .iter()
        .map(|v| (v.name.clone(), v.description.clone()))
        .collect()
}

/// Run a whole sweep: every seed × every variant, folded as it goes; runs.csv is streamed
/// to `csv` when given. With `precision` (a stopping rule), stop after the first whole
/// chunk of seeds at which every variant's net saving is known to ± `precision` (95 %).
pub fn run_sweep(
    variants: &[Variant],
    runs: u64,
    first_seed: u64,
    threads: usize,
    tick: &(dyn Fn() + Sync),
    csv: Option<&Path>,
    precision: Option<f64>,
) -> Result<SweepSummary, SweepError> {
    let mut agg = Aggregator::new(names(variants), RiskInputs::of(variants));
    let mut sink = match csv {
        Some(p) => Some((CsvSink::create(p).map_err(SweepError::io(p))?, p)),
        None => None,
    };
    execute(
        variants,
        first_seed..first_seed + runs,
        first_seed,
        threads,
        tick,
        |records| {
            if let Some((s, p)) = &mut sink {
                for r in &records {
                    s.line(&csv_row(&variants[r.variant].name, r))
                        .map_err(SweepError::io(p))?;
                }
            }
            agg.push_records(&records);
            Ok(precision.is_none_or(|p| agg.widest_half_width() > p))
        },
    )?;
    if let Some((s, p)) = sink {
        s.finish().map_err(SweepError::io(p))?;
    }
    let base = &variants[0].scenario;
    let stopping = precision.map(|p| {
        let widest = agg.widest_half_width();
        Stopping {
            precision: p,
            max_runs: runs,
            reached: widest <= p,
            widest: widest.is_finite().then(|| round(widest, 2)),
        }
    });
    Ok(SweepSummary {
        stopping,
        currency: base.cost.currency.clone(),
        ..agg.finish(&base.name, first_seed, base.duration_h)
    })
}

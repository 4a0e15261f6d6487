//! `faultline sweep` and `faultline merge`: seeds × variants on a thread pool, shards.

use super::{Failure, load_for, write_atomic};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct SweepArgs {
    pub scenario: PathBuf,
    /// Seeds per variant (from the scenario's seed up).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    // The controls named from the one list `--toggle` reads (sweep::toggles).
    #[arg(long, value_delimiter = ',', conflicts_with = "variants", help = toggle_help())]
    pub toggle: Vec<String>,
    /// The variants as a RON file (see README.md, "Sweeps"); the first is the baseline.
    #[arg(long)]
    pub variants: Option<PathBuf>,
    /// Run only shard K of N (0-based): a block of seeds, written as a partial result
    /// into OUT/shard-KKKK-of-NNNN (e.g. shard-0002-of-0004) for `faultline merge`. Under a Slurm job array or a
    /// Kubernetes Indexed Job the shard is taken from the environment.
    #[arg(long)]
    pub shard: Option<String>,
    /// The shard count, where the scheduler does not give it (JOB_COMPLETION_INDEX).
    #[arg(long)]
    pub shards: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Simulated hours per run (default: the scenario's).
    #[arg(long)]
    pub hours: Option<f64>,
    /// Stop early, after a whole chunk of 64 seeds, once every variant's net saving
    /// against the baseline is known to ± this much (95 % CI, the scenario's
    /// currency); --runs is then the most seeds it may take. Not with shards.
    #[arg(long, value_name = "AMOUNT")]
    pub precision: Option<f64>,
    /// Rank the variants as portfolios of controls by expected net benefit per year among
    /// those whose yearly cost of ownership fits this amount (the scenario's currency);
    /// needs the scenario's `risk` section.
    #[arg(long, value_name = "AMOUNT")]
    pub budget: Option<f64>,
    /// Write runs.csv, summary.json and report.html here.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn sweep(a: SweepArgs) -> Result<(), Failure> {
    let SweepArgs {
        scenario,
        runs,
        toggle,
        variants,
        shard,
        shards,
        threads,
        hours,
        precision,
        budget,
        out,
    } = a;
    let s = load_for(&scenario, hours)?;
    check_args(&s, &scenario, runs, precision, budget)?;
    let variants = match &variants {
        Some(file) => faultline::sweep::load_variants(file, &s).map_err(Failure::Scenario)?,
        None => faultline::sweep::toggle_variants(&s, &toggle).map_err(Failure::Sweep)?,
    };
    let shard = match &shard {
        Some(k) => Some((
            faultline::sweep::Shard::parse(k).map_err(Failure::Sweep)?,
            "--shard",
        )),
        None => faultline::sweep::Shard::from_env(|k| std::env::var(k).ok(), shards)
            .map_err(Failure::Sweep)?,
    };
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let runs = runs as u64;
    if let (Some(_), Some((_, from))) = (precision, shard) {
        return Err(Failure::Usage(format!(
            "--precision needs every seed in one place, but this is a shard (from {from}): \
             run the sweep unsharded, or drop --precision and size --runs yourself"
        )));
    }
    let (seeds, note) = match shard {
        Some((sh, from)) => {
            let r = sh.seeds(runs);
            (
                r,
                format!(", shard {}/{} (from {from})", sh.index, sh.count),
            )
        }
        None => (0..runs, String::new()),
    };
    let total = (seeds.end - seeds.start) * variants.len() as u64;
    // Inclusive, as people count: 10 seeds from 7 are "seeds 7 to 16".
    eprintln!(
        "{} seed(s), {} to {} × {} variant(s) on {threads} thread(s){note}",
        seeds.end - seeds.start,
        s.seed + seeds.start,
        (s.seed + seeds.end).saturating_sub(1),
        variants.len()
    );
    let bar = progress_bar(total);
    let tick = || bar.inc(1);
    let started = Instant::now();
    if let Some((sh, _)) = shard {
        let out = out.ok_or_else(|| {
            Failure::Usage("a shard writes a partial result: give --out DIR".into())
        })?;
        faultline::sweep::run_shard(
            &variants,
            runs,
            s.seed,
            threads,
            sh,
            &tick,
            &faultline::sweep::shard_dir(&out, sh),
        )
        .map_err(Failure::Sweep)?;
        bar.finish_and_clear();
        shard_done(&out, sh, total, started);
        return Ok(());
    }
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}", dir.display()))
            .map_err(Failure::Output)?;
    }
    let csv = out.as_ref().map(|d| d.join("runs.csv"));
    let mut summary = faultline::sweep::run_sweep(
        &variants,
        runs,
        s.seed,
        threads,
        &tick,
        csv.as_deref(),
        precision,
    )
    .map_err(Failure::Sweep)?;
    if let Some(b) = budget {
        summary.budget = Some(faultline::sweep::budget(&summary, b).map_err(Failure::Sweep)?);
    }
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let total = summary.runs * variants.len() as u64;
    print!("{}", faultline::report::text::sweep_table(&summary));
    println!(
        "{total} runs in {wall:.2} s ({:.1} runs/s)",
        total as f64 / wall.max(1e-9)
    );
    if let Some(dir) = out {
        write_sweep(&dir, &summary)?;
    }
    Ok(())
}

/// The options that make no sweep: a budget without a `risk` section, no runs, a
/// precision that is not a positive amount.
fn check_args(
    s: &faultline::Scenario,
    scenario: &std::path::Path,
    runs: usize,
    precision: Option<f64>,
    budget: Option<f64>,
) -> Result<(), Failure> {
    if budget.is_some() && s.risk.is_none() {
        return Err(Failure::Usage(format!(
            "--budget needs a `risk` section in {} (how often a campaign comes and what each \
             control costs to own): see `faultline schema risk`",
            scenario.display()
        )));
    }
    if runs == 0 {
        return Err(Failure::Usage("--runs must be at least 1".into()));
    }
    if let Some(p) = precision
        && !(p.is_finite() && p > 0.0)
    {
        return Err(Failure::Usage(format!(
            "--precision {p}: give a positive amount, e.g. --precision 500"
        )));
    }
    Ok(())
}

/// What a finished shard says: its runs, their pace, and the merge to run when all are done.
fn shard_done(out: &std::path::Path, sh: faultline::sweep::Shard, total: u64, started: Instant) {
    let dir = faultline::sweep::shard_dir(out, sh);
    let wall = started.elapsed().as_secs_f64();
    eprintln!(
        "{total} runs in {wall:.2} s ({:.1} runs/s); wrote {}/runs.csv, partial.json",
        total as f64 / wall.max(1e-9),
        dir.display()
    );
    eprintln!(
        "when every shard is done: faultline merge {} --out RESULT",
        out.display()
    );
}

#[derive(clap::Args)]
pub struct MergeArgs {
    /// Partial result folders (or a folder holding them, e.g. the shards' --out).
    #[arg(required = true)]
    pub partials: Vec<PathBuf>,
    /// Write runs.csv, summary.json and report.html here.
    #[arg(long)]
    pub out: PathBuf,
    /// Rank the portfolios of the swept controls within this yearly budget, as `sweep
    /// --budget` does (the merged result is the unsharded sweep's with the same budget).
    #[arg(long, value_name = "AMOUNT")]
    pub budget: Option<f64>,
}

pub fn merge(a: MergeArgs) -> Result<(), Failure> {
    let MergeArgs {
        partials,
        out,
        budget,
    } = a;
    let dirs = faultline::sweep::partial_dirs(&partials).map_err(Failure::Sweep)?;
    std::fs::create_dir_all(&out)
        .with_context(|| format!("cannot create {}", out.display()))
        .map_err(Failure::Output)?;
    let mut summary =
        faultline::sweep::merge(&dirs, &out.join("runs.csv")).map_err(Failure::Sweep)?;
    if let Some(b) = budget {
        summary.budget = Some(faultline::sweep::budget(&summary, b).map_err(Failure::Sweep)?);
    }
    eprintln!("merged {} partial(s)", dirs.len());
    print!("{}", faultline::report::text::sweep_table(&summary));
    write_sweep(&out, &summary)
}

/// A progress bar with ETA and runs/s on a terminal; nothing when stderr is not one.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} runs  {per_sec}  ETA {eta}  ({elapsed})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

fn write_sweep(dir: &Path, summary: &faultline::sweep::SweepSummary) -> Result<(), Failure> {
    write_atomic(
        &dir.join("summary.json"),
        &faultline::sweep::summary_json(summary),
    )
    .map_err(Failure::Output)?;
    write_atomic(
        &dir.join("report.html"),
        &faultline::report::html::sweep_page(summary),
    )
    .map_err(Failure::Output)?;
    eprintln!(
        "wrote {}/runs.csv, summary.json, report.html",
        dir.display()
    );
    Ok(())
}

/// `--toggle`'s help: every control it knows, from the list it reads.
fn toggle_help() -> String {
    format!(
        "Controls to switch on and off, all combinations ({}); the first variant has them all off",
        faultline::sweep::toggles().join(", ")
    )
}

//! `faultline exercise`: a tabletop exercise at the terminal.

use super::{Failure, write_atomic};
use anyhow::{Context, Result};
use faultline::report::summary_json;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    pub exercise: PathBuf,
    /// `default`: take each point's default option (unattended runs, CI).
    #[arg(long, value_parser = ["default"])]
    pub choose: Option<String>,
    /// Play recorded decisions (a decisions.json written by an earlier session).
    #[arg(long, conflicts_with = "choose")]
    pub decisions: Option<PathBuf>,
    /// From each decision point, run every option to the end, over --seeds seeds.
    #[arg(long)]
    pub compare: bool,
    /// With --compare: the seeds each option runs on (the session's seed first; every
    /// option sees the same seeds). "Best" is stamped only where the intervals separate.
    #[arg(long, default_value_t = 32, requires = "compare", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub seeds: u32,
    /// With --compare: only these options (keys), besides the table's choice.
    #[arg(long, value_delimiter = ',', requires = "compare")]
    pub only: Vec<String>,
    /// At the prompt, show only this side's screen and questions (IT or OT).
    #[arg(long, value_parser = parse_side)]
    pub side: Option<faultline::exercise::Side>,
    /// Seed (default: the scenario's, or the decisions file's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write after-action.html, decisions.json and summary.json here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the two printable packs here instead of running a session (HTML, print
    /// stylesheet): participants/ (situation manual with the opening, role cards, feedback
    /// form: nothing the opening does not give) and controller/ (the briefing, full role
    /// cards, inject cards, controller/evaluator handbook). With --compare the handbook
    /// carries each option's consequences.
    #[arg(long, conflicts_with_all = ["decisions", "out", "side"])]
    pub pack: Option<PathBuf>,
}

fn parse_side(s: &str) -> Result<faultline::exercise::Side, String> {
    match s.to_ascii_lowercase().as_str() {
        "it" => Ok(faultline::exercise::Side::IT),
        "ot" => Ok(faultline::exercise::Side::OT),
        _ => Err(format!("\"{s}\": one of it, ot")),
    }
}

pub fn run(a: Args) -> Result<(), Failure> {
    let Args {
        exercise,
        choose,
        decisions,
        compare,
        seeds,
        only,
        side,
        seed,
        out,
        pack,
    } = a;
    let compare = compare.then_some(seeds);
    let only = &only[..];
    let path = exercise.as_path();
    use faultline::exercise as ex;
    use std::io::IsTerminal;
    let loaded = ex::load(path).map_err(Failure::Scenario)?;
    let recorded: Option<ex::DecisionLog> = match &decisions {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))
                .map_err(Failure::Output)?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", f.display())))?,
            )
        }
        None => None,
    };
    let seed = seed
        .or(recorded.as_ref().map(|r| r.seed))
        .unwrap_or(loaded.scenario.seed);
    let mut chooser: Box<dyn ex::Chooser> = match (&choose, recorded) {
        _ if pack.is_some() => Box::new(ex::Defaults),
        (Some(_), _) => Box::new(ex::Defaults),
        (None, Some(r)) => Box::new(ex::Recorded(r.decisions)),
        (None, None) => {
            if !std::io::stdin().is_terminal() {
                return Err(Failure::Usage(
                    "no terminal to ask at: pass --choose default or --decisions FILE".into(),
                ));
            }
            println!("{}\n\n{}", loaded.exercise.name, loaded.exercise.briefing);
            for r in &loaded.exercise.roles {
                println!("  {} ({:?}): {}", r.name, r.side, r.brief);
            }
            Box::new(ex::prompt::Prompt { side })
        }
    };
    let rec = faultline::world::Recording {
        timeline: true,
        events: out.is_some(),
        frames: false,
    };
    let played = ex::play(&loaded, seed, rec, chooser.as_mut())
        .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
    let log = ex::DecisionLog {
        exercise: loaded.exercise.name.clone(),
        seed,
        decisions: played.decisions.clone(),
    };
    let comparison = if let Some(seeds) = compare {
        let started = Instant::now();
        let c = ex::compare(&loaded, seed, &played.decisions, only, seeds)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        eprintln!(
            "compared {} option(s) × {seeds} seed(s) in {:.2} s",
            c.iter().map(|p| p.options.len()).sum::<usize>(),
            started.elapsed().as_secs_f64()
        );
        c
    } else {
        Vec::new()
    };
    if let Some(dir) = pack {
        return write_pack(&dir, &loaded, &played, &comparison);
    }
    let o = ex::Consequences::of(&played.summary);
    println!(
        "\n{}: {} good units ({} short of target), downtime {:.2} h, {} safety trip(s), {} attack step(s) succeeded, cost {:.0}",
        loaded.exercise.name,
        o.good_units,
        o.production_lost,
        o.downtime_h,
        o.safety_trips,
        o.steps_succeeded,
        o.cost
    );
    for c in &comparison {
        println!(
            "at \"{}\" ({} decided) — over {} seeds, Δ against the table's choice (*):",
            c.title, c.asked, c.seeds
        );
        for ((key, label, _), st) in c.options.iter().zip(&c.stats) {
            let mark = if *key == c.chosen { "*" } else { " " };
            println!(
                "  {mark} {key:<12} cost {:<26}  Δ cost {:<29}  Δ good {:<23}  cheapest on {:.0} % of seeds  — {label}",
                st.cost.interval(),
                st.delta_cost.delta(),
                st.delta_good_units.delta(),
                st.cheapest_share * 100.0
            );
        }
        println!("  {}", c.verdict());
    }
    if let Some(dir) = out {
        write_exercise(
            &dir,
            &loaded,
            &played,
            &log,
            compare.map(|_| &comparison[..]),
        )?;
    }
    Ok(())
}

/// The session's files: decisions.json (the input log), summary.json, compare.json and
/// compare.md (with --compare) and after-action.html.
fn write_exercise(
    dir: &Path,
    loaded: &faultline::exercise::Loaded,
    played: &faultline::exercise::Played,
    log: &faultline::exercise::DecisionLog,
    comparison: Option<&[faultline::exercise::PointComparison]>,
) -> Result<(), Failure> {
    use faultline::exercise as ex;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failure::Output)?;
    write_atomic(
        &dir.join("decisions.json"),
        &(serde_json::to_string_pretty(&log).map_err(|e| Failure::Output(e.into()))? + "\n"),
    )
    .map_err(Failure::Output)?;
    write_atomic(&dir.join("summary.json"), &summary_json(&played.summary))
        .map_err(Failure::Output)?;
    if let Some(comparison) = comparison {
        write_atomic(
            &dir.join("compare.json"),
            &(serde_json::to_string_pretty(&comparison).map_err(|e| Failure::Output(e.into()))?
                + "\n"),
        )
        .map_err(Failure::Output)?;
        write_atomic(
            &dir.join("compare.md"),
            &ex::report::compare_markdown(loaded, comparison),
        )
        .map_err(Failure::Output)?;
    }
    write_atomic(
        &dir.join("after-action.html"),
        &ex::report::after_action(loaded, played, log, comparison.unwrap_or_default()),
    )
    .map_err(Failure::Output)?;
    eprintln!(
        "wrote {}/after-action.html, decisions.json, summary.json{}",
        dir.display(),
        if comparison.is_some() {
            ", compare.json, compare.md"
        } else {
            ""
        }
    );
    Ok(())
}

/// The printable pack: index.html and one page per document.
fn write_pack(
    dir: &Path,
    loaded: &faultline::exercise::Loaded,
    played: &faultline::exercise::Played,
    comparison: &[faultline::exercise::PointComparison],
) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failure::Output)?;
    let files = faultline::exercise::pack::pack(loaded, played, comparison);
    for (name, html) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))
                .map_err(Failure::Output)?;
        }
        write_atomic(&path, html).map_err(Failure::Output)?;
    }
    eprintln!(
        "wrote the pack to {}: {}",
        dir.display(),
        files
            .iter()
            .map(|f| f.0.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

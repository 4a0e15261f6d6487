//! `faultline run`: a scenario as fast as possible; the report, its files and the capture.

use super::{Failure, load_for, write_atomic};
use anyhow::{Context, Result};
use faultline::impact::Impact;
use faultline::report::impact::{impact_text, summary_with_impact_json};
use faultline::report::{Summary, events_jsonl, render_text, summary_json, timeline_csv};
use faultline::{Recording, World};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    pub scenario: PathBuf,
    /// Seed (default: the scenario's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Simulated hours (default: the scenario's duration_h).
    #[arg(long)]
    pub hours: Option<f64>,
    /// Write summary.json, timeline.csv and events.jsonl here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the Modbus/TCP traffic as a pcap (Wireshark) file.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    /// Replay the inputs a live session logged (DIR/inputs.log): same report.
    #[arg(long)]
    pub replay: Option<PathBuf>,
    /// With --replay: replay the session without this actor's inputs (its name in the
    /// actors file, or its source address); repeatable.
    #[arg(long, value_name = "ACTOR", requires = "replay")]
    pub without: Vec<String>,
    /// Also run the counterfactual twins: the same seed without each attack step and
    /// without each control, and report each one's impact (leads the report).
    #[arg(long)]
    pub impact: bool,
    /// The impact over this many seeds from the run's seed, with 95 % intervals
    /// (implies --impact).
    #[arg(long, value_name = "N")]
    pub impact_seeds: Option<u64>,
    /// Switch these controls off for this run (names as for `sweep --toggle`).
    #[arg(long, value_delimiter = ',', value_name = "CONTROLS")]
    pub off: Vec<String>,
    /// Keep these controls on (each must be deployed in the scenario).
    #[arg(long, value_delimiter = ',', value_name = "CONTROLS")]
    pub on: Vec<String>,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let Args {
        scenario,
        seed,
        hours,
        out,
        json,
        pcap,
        replay,
        impact,
        impact_seeds,
        off,
        on,
        without,
    } = a;
    let mut s = load_for(&scenario, hours)?;
    faultline::sweep::switch_controls(&mut s, &off, &on).map_err(Failure::Usage)?;
    let replay = match &replay {
        Some(p) => {
            let log = faultline::live::InputLog::read(p).map_err(|e| {
                if p.exists() {
                    Failure::Policy(e)
                } else {
                    Failure::Scenario(faultline::scenario::ScenarioError::Io {
                        path: p.display().to_string(),
                        error: std::io::Error::from(std::io::ErrorKind::NotFound),
                    })
                }
            })?;
            Some(
                log.without(&without)
                    .map_err(|e| Failure::Usage(format!("{e:#}")))?,
            )
        }
        None => None,
    };
    // A replay runs on the seed its session ran on.
    let seed = seed.or(replay.as_ref().map(|l| l.seed)).unwrap_or(s.seed);
    // The seed first: any run can be replayed from it.
    eprintln!("seed: {seed}");
    let rec = Recording {
        timeline: out.is_some(),
        events: out.is_some(),
        frames: pcap.is_some(),
    };
    let started = Instant::now();
    let mut world = World::with_recording(&s, seed, rec);
    match &replay {
        None => world.run(),
        Some(log) => log.replay(&mut world).map_err(Failure::Output)?,
    }
    let wall = started.elapsed().as_secs_f64();
    let impact = match (impact || impact_seeds.is_some(), impact_seeds) {
        (_, Some(0)) => return Err(Failure::Usage("--impact-seeds must be at least 1".into())),
        (true, n) if replay.is_none() => Some(faultline::impact::impact(&s, seed, n.unwrap_or(1))),
        (true, Some(_)) => {
            return Err(Failure::Usage(
                "--impact-seeds: a replay is one session, one seed; use --impact".into(),
            ));
        }
        (true, None) => Some(
            faultline::impact::replay_impact(&s, replay.as_ref().expect("a replay"))
                .map_err(Failure::Output)?,
        ),
        (false, _) => None,
    };
    finish_with(&world, Some(wall), out.as_deref(), json, impact.as_ref())?;
    if let Some(path) = pcap {
        write_pcap(&path, &world).map_err(Failure::Output)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Print the report and write the output folder.
pub(super) fn finish(
    world: &World,
    wall: Option<f64>,
    out: Option<&Path>,
    json: bool,
) -> Result<(), Failure> {
    finish_with(world, wall, out, json, None)
}

/// Print the report (led by the impact table, when there is one) and write the files.
fn finish_with(
    world: &World,
    wall: Option<f64>,
    out: Option<&Path>,
    json: bool,
    impact: Option<&Impact>,
) -> Result<(), Failure> {
    let summary = Summary::from_world(world);
    if json {
        print!("{}", summary_file(&summary, impact));
    } else {
        if let Some(i) = impact {
            println!("{}", impact_text(i, &summary.cost.currency));
        }
        print!("{}", render_text(&summary));
        if let Some(wall) = wall {
            let sim_s = world.now as f64 / 1e6;
            println!(
                "speed       {:.1} h simulated in {:.3} s wall = {:.0}× real time",
                sim_s / 3600.0,
                wall,
                sim_s / wall.max(1e-9)
            );
        }
    }
    if let Some(dir) = out {
        write_outputs(dir, world, &summary, impact).map_err(Failure::Output)?;
        eprintln!(
            "wrote {}/summary.json, timeline.csv, events.jsonl, report.html",
            dir.display()
        );
    }
    Ok(())
}

fn summary_file(summary: &Summary, impact: Option<&Impact>) -> String {
    match impact {
        Some(i) => summary_with_impact_json(summary, i),
        None => summary_json(summary),
    }
}

fn write_outputs(
    dir: &Path,
    world: &World,
    summary: &Summary,
    impact: Option<&Impact>,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    write_atomic(&dir.join("summary.json"), &summary_file(summary, impact))?;
    write_atomic(&dir.join("timeline.csv"), &timeline_csv(world))?;
    write_atomic(&dir.join("events.jsonl"), &events_jsonl(world))?;
    write_atomic(
        &dir.join("report.html"),
        &faultline::report::html::run_page_with(world, summary, impact),
    )?;
    if !world.controls.audit.is_empty() {
        // The gateway's audit log, in time order, one JSON object per line.
        // Records up to where the run ended (a session's close may lie beyond it).
        let mut records: Vec<&faultline::world::AuditRecord> = world
            .controls
            .audit
            .iter()
            .filter(|r| r.t_us <= world.now)
            .collect();
        records.sort_by_key(|r| r.t_us);
        let mut text = String::new();
        for r in records {
            let line = serde_json::json!({
                "t": faultline::time::clock(r.t_us), "session": r.session, "event": r.event, "detail": r.detail,
            });
            text.push_str(&format!("{line}\n"));
        }
        write_atomic(&dir.join("audit.jsonl"), &text)?;
    }
    Ok(())
}

fn write_pcap(path: &Path, world: &World) -> Result<()> {
    let tmp = path.with_extension("pcap.tmp");
    let file =
        std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let w = faultline::capture::write_bus_capture(std::io::BufWriter::new(file), world)?;
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", tmp.display()))?
        .sync_all()?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(())
}

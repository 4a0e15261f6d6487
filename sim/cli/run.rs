//! `faultline run`: a scenario as fast as possible; the report, its files and the capture.

use super::{Failure, load_for, write_atomic};
use anyhow::{Context, Result};
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
    } = a;
    let s = load_for(&scenario, hours)?;
    let replay = match &replay {
        Some(p) => Some(faultline::live::InputLog::read(p).map_err(Failure::Output)?),
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
    finish(&world, Some(wall), out.as_deref(), json)?;
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
    let summary = Summary::from_world(world);
    if json {
        print!("{}", summary_json(&summary));
    } else {
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
        write_outputs(dir, world, &summary).map_err(Failure::Output)?;
        eprintln!(
            "wrote {}/summary.json, timeline.csv, events.jsonl, report.html",
            dir.display()
        );
    }
    Ok(())
}

fn write_outputs(dir: &Path, world: &World, summary: &Summary) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    write_atomic(&dir.join("summary.json"), &summary_json(summary))?;
    write_atomic(&dir.join("timeline.csv"), &timeline_csv(world))?;
    write_atomic(&dir.join("events.jsonl"), &events_jsonl(world))?;
    write_atomic(
        &dir.join("report.html"),
        &faultline::report::html::run_page(world, summary),
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

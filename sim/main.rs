//! The `faultline` command line: an adapter around the core (clock, files, terminal).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use faultline::plc::map::{self, Point, Table};
use faultline::report::{Summary, events_jsonl, render_text, summary_json, timeline_csv};
use faultline::scenario::{ScenarioError, StationKind};
use faultline::{Recording, World, load};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// sysexits.h: the input data was incorrect.
const EX_DATAERR: u8 = 65;
/// sysexits.h: an input file did not exist or was not readable.
const EX_NOINPUT: u8 = 66;
/// sysexits.h: an error occurred while writing output.
const EX_IOERR: u8 = 74;

#[derive(Parser)]
#[command(
    name = "faultline",
    version,
    about = "A digital twin of a production line for measuring OT security in downtime and money"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario as fast as possible and print the production report.
    Run {
        scenario: PathBuf,
        /// Seed (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated hours (default: the scenario's duration_h).
        #[arg(long)]
        hours: Option<f64>,
        /// Write summary.json, timeline.csv and events.jsonl here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the summary as JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check a scenario file without running it.
    Validate { scenario: PathBuf },
    /// Print the Modbus register map of a scenario's PLCs.
    Map {
        scenario: PathBuf,
        /// Markdown table (the format of docs/register-map.md).
        #[arg(long)]
        markdown: bool,
    },
}

enum Failure {
    Scenario(ScenarioError),
    Output(anyhow::Error),
    Usage(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Scenario(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(if matches!(e, ScenarioError::Io { .. }) {
                EX_NOINPUT
            } else {
                EX_DATAERR
            })
        }
        Err(Failure::Output(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EX_IOERR)
        }
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Validate { scenario } => {
            let s = load(&scenario).map_err(Failure::Scenario)?;
            println!(
                "{}: ok — \"{}\", {} stations, {} PLCs, {} h",
                scenario.display(),
                s.name,
                s.stations.len(),
                s.plcs.len(),
                s.duration_h
            );
            Ok(())
        }
        Command::Map { scenario, markdown } => {
            let s = load(&scenario).map_err(Failure::Scenario)?;
            print!("{}", register_map(&s, markdown));
            Ok(())
        }
        Command::Run {
            scenario,
            seed,
            hours,
            out,
            json,
        } => {
            let mut s = load(&scenario).map_err(Failure::Scenario)?;
            if let Some(h) = hours {
                if !(h.is_finite() && h > 0.0) {
                    return Err(Failure::Usage(format!("--hours {h}: must be a number > 0")));
                }
                s.duration_h = h;
            }
            let seed = seed.unwrap_or(s.seed);
            // The seed first: any run can be replayed from it.
            eprintln!("seed: {seed}");
            let rec = if out.is_some() {
                Recording {
                    timeline: true,
                    events: true,
                    frames: false,
                }
            } else {
                Recording::default()
            };
            let started = Instant::now();
            let mut world = World::with_recording(&s, seed, rec);
            world.run();
            let wall = started.elapsed().as_secs_f64();
            let summary = Summary::from_world(&world);
            if json {
                print!("{}", summary_json(&summary));
            } else {
                print!("{}", render_text(&summary));
                let sim_s = world.now as f64 / 1e6;
                println!(
                    "speed       {:.1} h simulated in {:.3} s wall = {:.0}× real time",
                    sim_s / 3600.0,
                    wall,
                    sim_s / wall.max(1e-9)
                );
            }
            if let Some(dir) = out {
                write_outputs(&dir, &world, &summary).map_err(Failure::Output)?;
                eprintln!(
                    "wrote {}/summary.json, timeline.csv, events.jsonl",
                    dir.display()
                );
            }
            Ok(())
        }
    }
}

fn write_outputs(dir: &Path, world: &World, summary: &Summary) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    write_atomic(&dir.join("summary.json"), &summary_json(summary))?;
    write_atomic(&dir.join("timeline.csv"), &timeline_csv(world))?;
    write_atomic(&dir.join("events.jsonl"), &events_jsonl(world))?;
    Ok(())
}

/// Write to a temporary file beside the target, then rename: a failure never leaves a
/// half-written file where a complete one stood.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot move {} into place", path.display()))?;
    Ok(())
}

fn register_map(s: &faultline::Scenario, markdown: bool) -> String {
    use std::fmt::Write;
    let access = |p: &Point| match p.access {
        map::Access::Read => "R",
        map::Access::ReadWrite => "RW",
        map::Access::Pulse => "W (pulse)",
    };
    let is_thermal = |name: &str| {
        s.stations.iter().any(|x| x.name == name && matches!(x.kind, StationKind::Thermal(_)))
    };
    let tables = [Table::Coil, Table::DiscreteInput, Table::HoldingRegister, Table::InputRegister];
    let mut o = String::new();
    if markdown {
        let _ = writeln!(o, "# Register map\n");
        let _ = writeln!(
            o,
            "Generated by `faultline map {{scenario}} --markdown` for \"{}\"; a test keeps this file in step with the code.\n",
            s.name
        );
        let _ = writeln!(o, "{}\n", MAP_INTRO);
        let _ = writeln!(o, "## PLCs\n\n| PLC | address | unit id | profile | scan | stations (block base address) |\n|---|---|---|---|---|---|");
        for plc in &s.plcs {
            let st: Vec<String> = plc
                .stations
                .iter()
                .enumerate()
                .map(|(k, n)| format!("{n} ({})", k as u16 * map::BLOCK))
                .collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} ms | {} |",
                plc.name,
                plc.address,
                plc.unit_id,
                plc.profile,
                plc.scan_ms,
                st.join(", ")
            );
        }
        let _ = writeln!(o, "\n## Station block (offsets from the block base)\n");
        let _ = writeln!(o, "| table | offset | name | unit | access | thermal only | meaning |\n|---|---|---|---|---|---|---|");
        for table in tables {
            for p in map::STATION.iter().filter(|p| p.table == table) {
                let _ = writeln!(
                    o,
                    "| {} ({}) | {} | `{}` | {} | {} | {} | {} |",
                    p.table.label(),
                    p.table.functions(),
                    p.offset,
                    p.name,
                    p.unit,
                    access(p),
                    if p.thermal { "yes" } else { "" },
                    p.doc
                );
            }
        }
        let _ = writeln!(o, "\n## PLC-wide registers\n\n| table | address | name | unit | access | meaning |\n|---|---|---|---|---|---|");
        for p in map::SYSTEM_POINTS {
            let _ = writeln!(
                o,
                "| {} | {} | `{}` | {} | {} | {} |",
                p.table.label(),
                map::SYSTEM + p.offset,
                p.name,
                p.unit,
                access(p),
                p.doc
            );
        }
        return o;
    }
    for plc in &s.plcs {
        let _ = writeln!(
            o,
            "{} — {} unit {} — profile {} — scan {} ms",
            plc.name, plc.address, plc.unit_id, plc.profile, plc.scan_ms
        );
        for (k, name) in plc.stations.iter().enumerate() {
            let base = k as u16 * map::BLOCK;
            let _ = writeln!(o, " station {name} (block {k}, base address {base})");
            for table in tables {
                for p in map::STATION.iter().filter(|p| p.table == table && (is_thermal(name) || !p.thermal)) {
                    let _ = writeln!(
                        o,
                        "  {:<17} {:>5}  {:<19} {:<16} {:<10} {}",
                        p.table.label(),
                        base + p.offset,
                        p.name,
                        p.unit,
                        access(p),
                        p.doc
                    );
                }
            }
        }
        let _ = writeln!(o, " PLC-wide");
        for p in map::SYSTEM_POINTS {
            let _ = writeln!(
                o,
                "  {:<17} {:>5}  {:<19} {:<16} {:<10} {}",
                p.table.label(),
                map::SYSTEM + p.offset,
                p.name,
                p.unit,
                access(p),
                p.doc
            );
        }
        let _ = writeln!(o);
    }
    o
}

const MAP_INTRO: &str = "Every virtual PLC uses the same layout. Station *k* of a PLC (its position in the PLC's \
`stations` list) owns the block of addresses starting at *k* × 100 in each of the four Modbus tables; PLC-wide \
registers start at 9000. Points marked *thermal only* exist on thermal stations (the pasteurizer); elsewhere those \
addresses answer exception 02. 32-bit counters span two registers, high word first; temperatures are signed 16-bit \
tenths of a degree.\n\nReading outside a block answers exception 02 (Illegal Data Address); writing a value outside \
a register's range answers 03 (Illegal Data Value). Function codes other than 01–06, 08 (sub-functions 00, 01, 04), \
0F, 10, 11, 17 and 2B/0E answer 01 (Illegal Function) on the `modern` profile and fault a `legacy` one. FC 08/04 \
(force listen-only) silences the PLC until FC 08/01 (restart communications).";

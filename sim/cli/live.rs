//! `faultline live`: every PLC on its own Modbus/TCP port, in real time.

use super::run::finish;
use super::{Endpoints, Failure, write_atomic};
use anyhow::{Context, Result};
use faultline::{Recording, World, load};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    pub scenario: PathBuf,
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub endpoints: Endpoints,
    /// Simulated seconds per wall second.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// End after this many simulated hours (default: the scenario's duration, or Ctrl-C).
    #[arg(long)]
    pub hours: Option<f64>,
    /// Write the report, endpoints.json and inputs.log (for --replay) here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write the traffic on every PLC port as a pcap file.
    #[arg(long)]
    pub pcap: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let Args {
        scenario,
        seed,
        endpoints,
        speed,
        hours,
        out,
        pcap,
        json,
    } = a;
    let s = load(&scenario).map_err(Failure::Scenario)?;
    if !(speed.is_finite() && speed > 0.0) {
        return Err(Failure::Usage(format!(
            "--speed {speed}: must be a number > 0"
        )));
    }
    if let Some(h) = hours
        && !(h.is_finite() && h > 0.0)
    {
        return Err(Failure::Usage(format!("--hours {h}: must be a number > 0")));
    }
    endpoints.warn_if_exposed();
    let seed = seed.unwrap_or(s.seed);
    eprintln!("seed: {seed}");
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create output folder {}", dir.display()))
            .map_err(Failure::Output)?;
    }
    let cfg = faultline::live::LiveConfig {
        bind: endpoints.bind,
        base_port: endpoints.base_port,
        speed,
        hours,
        pcap,
        input_log: out.as_ref().map(|d| d.join("inputs.log")),
        audit_log: out.as_ref().map(|d| d.join("audit.jsonl")),
        status: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        view: None,
    };
    let world = World::with_recording(
        &s,
        seed,
        Recording {
            timeline: out.is_some(),
            events: out.is_some(),
            frames: false,
        },
    );
    let live = faultline::live::Live::start(world, cfg).map_err(Failure::Output)?;
    println!(
        "{:<14} {:<22} {:>4} {:<8} stations",
        "PLC", "address", "unit", "profile"
    );
    for e in &live.endpoints {
        println!(
            "{:<14} {:<22} {:>4} {:<8} {}",
            e.plc,
            e.address.to_string(),
            e.unit_id,
            e.profile,
            e.stations.join(", ")
        );
    }
    if let Some(dir) = &out {
        let json = serde_json::to_string_pretty(&live.endpoints).unwrap_or_default();
        write_atomic(&dir.join("endpoints.json"), &json).map_err(Failure::Output)?;
    }
    println!("running at {speed}× real time; Ctrl-C ends the session and writes the report");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    let shared = live.shared.clone();
    live.block_on(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => shared.stop.store(true, std::sync::atomic::Ordering::Release),
            _ = async {
                while !shared.stop.load(std::sync::atomic::Ordering::Acquire) {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            } => {}
        }
    });
    let world = live.join().map_err(Failure::Output)?;
    finish(&world, None, out.as_deref(), json)?;
    if let Some(dir) = &out {
        eprintln!(
            "wrote {}/inputs.log (replay: faultline run {} --replay {}/inputs.log)",
            dir.display(),
            scenario.display(),
            dir.display()
        );
    }
    Ok(())
}

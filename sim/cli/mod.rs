//! The `faultline` command line: an adapter around the core (clock, files, terminal).
//! One module per command; this one holds the parser, the exit codes and what they share.

mod exercise;
mod export;
mod live;
mod map;
mod new;
mod pki;
mod proxy;
mod run;
mod schema;
mod sweep;
mod view;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use faultline::load;
use faultline::scenario::ScenarioError;
use std::path::Path;
use std::process::ExitCode;

/// sysexits.h: the input data was incorrect.
const EX_DATAERR: u8 = 65;
/// sysexits.h: an input file did not exist or was not readable.
const EX_NOINPUT: u8 = 66;
/// sysexits.h: a service is unavailable (the viewer's display).
const EX_UNAVAILABLE: u8 = 69;
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
    command: Verb,
}

/// Where a live twin's PLCs listen: one Modbus/TCP port each.
#[derive(clap::Args, Clone, Copy)]
struct Endpoints {
    /// Address to listen on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// PLC i listens on base-port + i (0: ports chosen by the system, listed at start).
    #[arg(long, default_value_t = 5020)]
    base_port: u16,
}

impl Endpoints {
    /// Say so when the PLCs will be reachable from beyond this machine.
    fn warn_if_exposed(&self) {
        if !self.bind.is_loopback() {
            eprintln!(
                "warning: binding {}, not loopback: every PLC of this twin (and its fragile-device behaviour) is reachable from the network at that address",
                self.bind
            );
        }
    }
}

#[derive(Subcommand)]
enum Verb {
    /// Run a scenario as fast as possible and print the production report.
    Run(run::Args),
    /// Run a scenario in real time with every PLC on its own Modbus/TCP port.
    Live(live::Args),
    /// The Modbus DPI as a standalone proxy in front of any Modbus/TCP server.
    Proxy(proxy::Args),
    /// Run N seeds × each variant in parallel and compare them with paired statistics.
    Sweep(sweep::SweepArgs),
    /// Combine the partial results of a sharded sweep into the unsharded result.
    Merge(sweep::MergeArgs),
    /// Run a tabletop exercise: the twin runs to each inject and asks the table at each
    /// decision point; writes after-action.html and the decisions (the input log).
    Exercise(exercise::Args),
    /// Write what was validated in the twin in the form a real device takes: the
    /// segmentation as an nftables rule set, the DPI rules as a proxy policy.
    Export(export::Args),
    /// Certificates for Modbus/TCP Security: a plant CA, devices, roles.
    Pki(pki::Args),
    /// Open the viewer: an HMI-style mimic of the running line (build with
    /// `--features viewer`).
    View(view::Args),
    /// Check a scenario file without running it.
    Validate(map::ValidateArgs),
    /// Print the Modbus register map of a scenario's PLCs.
    Map(map::MapArgs),
    /// Print the scenario reference (every section and field: type, unit, default,
    /// range, meaning, example), one section of it, or a file format's JSON Schema.
    Schema(schema::Args),
    /// Write a commented starting scenario (a short line, PLCs, HMI, zones, no attacks)
    /// to NAME.ron.
    New(new::Args),
}

enum Failure {
    Sweep(faultline::sweep::SweepError),
    Scenario(ScenarioError),
    Output(anyhow::Error),
    Policy(anyhow::Error),
    /// An input file that cannot be read (exit 66).
    Input(anyhow::Error),
    Usage(String),
    /// Something the verb needs is not there (the viewer's display, exit 69).
    #[cfg_attr(not(feature = "viewer"), allow(dead_code))]
    Unavailable(String),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Scenario(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(if matches!(e, ScenarioError::Io { .. }) {
                EX_NOINPUT
            } else {
                EX_DATAERR
            })
        }
        Err(Failure::Policy(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EX_DATAERR)
        }
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EX_NOINPUT)
        }
        Err(Failure::Output(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EX_IOERR)
        }
        Err(Failure::Sweep(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(match e {
                faultline::sweep::SweepError::Usage(_) => 2,
                faultline::sweep::SweepError::Input { .. } => EX_NOINPUT,
                faultline::sweep::SweepError::Merge(_) => EX_DATAERR,
                _ => EX_IOERR,
            })
        }
        Err(Failure::Usage(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Unavailable(m)) => {
            eprintln!("error: {m}");
            ExitCode::from(EX_UNAVAILABLE)
        }
    }
}

fn dispatch(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Verb::Run(a) => run::run(a),
        Verb::Live(a) => live::run(a),
        Verb::Proxy(a) => proxy::run(a),
        Verb::Sweep(a) => sweep::sweep(a),
        Verb::Merge(a) => sweep::merge(a),
        Verb::Exercise(a) => exercise::run(a),
        Verb::View(a) => view::run(a),
        Verb::Export(a) => export::run(a),
        Verb::Pki(a) => pki::run(a),
        Verb::Validate(a) => map::validate(a),
        Verb::Map(a) => map::map(a),
        Verb::Schema(a) => schema::run(a),
        Verb::New(a) => new::run(a),
    }
}

/// Load a scenario, with `--hours` (if given) replacing its duration.
fn load_for(scenario: &Path, hours: Option<f64>) -> Result<faultline::Scenario, Failure> {
    let mut s = load(scenario).map_err(Failure::Scenario)?;
    if let Some(h) = hours {
        if !(h.is_finite() && h > 0.0) {
            return Err(Failure::Usage(format!("--hours {h}: must be a number > 0")));
        }
        s.duration_h = h;
    }
    Ok(s)
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    faultline::report::write_atomic(path, text)
        .with_context(|| format!("cannot write {}", path.display()))
}

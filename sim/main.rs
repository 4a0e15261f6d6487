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
        /// Write the Modbus/TCP traffic as a pcap (Wireshark) file.
        #[arg(long)]
        pcap: Option<PathBuf>,
        /// Replay the inputs a live session logged (DIR/inputs.log): same report.
        #[arg(long)]
        replay: Option<PathBuf>,
    },
    /// Run a scenario in real time with every PLC on its own Modbus/TCP port.
    Live {
        scenario: PathBuf,
        #[arg(long)]
        seed: Option<u64>,
        #[command(flatten)]
        endpoints: Endpoints,
        /// Simulated seconds per wall second.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// End after this many simulated hours (default: the scenario's duration, or Ctrl-C).
        #[arg(long)]
        hours: Option<f64>,
        /// Write the report, endpoints.json and inputs.log (for --replay) here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the traffic on every PLC port as a pcap file.
        #[arg(long)]
        pcap: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The Modbus DPI as a standalone proxy in front of any Modbus/TCP server.
    Proxy {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:5502")]
        listen: std::net::SocketAddr,
        /// The server to protect (HOST:PORT).
        #[arg(long)]
        upstream: std::net::SocketAddr,
        /// The policy (RON): (mode: Enforce|Monitor, rules: [...]); see README.md.
        #[arg(long)]
        policy: PathBuf,
        /// Decisions as JSON lines (default: standard output).
        #[arg(long)]
        log: Option<PathBuf>,
    },
    /// Run N seeds × each variant in parallel and compare them with paired statistics.
    Sweep {
        scenario: PathBuf,
        /// Seeds per variant (from the scenario's seed up).
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Controls to switch on and off, all combinations (segmentation, dpi, ids,
        /// gateway, health, devices, response); the first variant has them all off.
        #[arg(long, value_delimiter = ',', conflicts_with = "variants")]
        toggle: Vec<String>,
        /// The variants as a RON file (see README.md, "Sweeps"); the first is the baseline.
        #[arg(long)]
        variants: Option<PathBuf>,
        /// Run only shard K of N (0-based): a block of seeds, written as a partial result
        /// into OUT/shard-K-of-N for `faultline merge`. Under a Slurm job array or a
        /// Kubernetes Indexed Job the shard is taken from the environment.
        #[arg(long)]
        shard: Option<String>,
        /// The shard count, where the scheduler does not give it (JOB_COMPLETION_INDEX).
        #[arg(long)]
        shards: Option<u64>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Simulated hours per run (default: the scenario's).
        #[arg(long)]
        hours: Option<f64>,
        /// Stop early, after a whole chunk of 64 seeds, once every variant's net saving
        /// against the baseline is known to ± this much (95 % CI, the scenario's
        /// currency); --runs is then the most seeds it may take. Not with shards.
        #[arg(long, value_name = "AMOUNT")]
        precision: Option<f64>,
        /// Write runs.csv, summary.json and report.html here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Combine the partial results of a sharded sweep into the unsharded result.
    Merge {
        /// Partial result folders (or a folder holding them, e.g. the shards' --out).
        #[arg(required = true)]
        partials: Vec<PathBuf>,
        /// Write runs.csv, summary.json and report.html here.
        #[arg(long)]
        out: PathBuf,
    },
    /// Run a tabletop exercise: the twin runs to each inject and asks the table at each
    /// decision point; writes after-action.html and the decisions (the input log).
    Exercise {
        exercise: PathBuf,
        /// `default`: take each point's default option (unattended runs, CI).
        #[arg(long, value_parser = ["default"])]
        choose: Option<String>,
        /// Play recorded decisions (a decisions.json written by an earlier session).
        #[arg(long, conflicts_with = "choose")]
        decisions: Option<PathBuf>,
        /// From each decision point, run every option to the end with the same seed.
        #[arg(long)]
        compare: bool,
        /// With --compare: only these options (keys), besides the table's choice.
        #[arg(long, value_delimiter = ',', requires = "compare")]
        only: Vec<String>,
        /// Seed (default: the scenario's, or the decisions file's).
        #[arg(long)]
        seed: Option<u64>,
        /// Write after-action.html, decisions.json and summary.json here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Open the viewer: an HMI-style mimic of the running line (build with
    /// `--features viewer`).
    View {
        scenario: PathBuf,
        /// Also serve every PLC on Modbus/TCP, as `faultline live` (real time × --speed).
        #[arg(long)]
        live: bool,
        /// 1, 10, 100 or max (simulated time per wall time; with --live a number).
        #[arg(long, default_value = "1")]
        speed: String,
        #[arg(long)]
        seed: Option<u64>,
        /// With --live: where the PLCs listen.
        #[command(flatten)]
        endpoints: Endpoints,
        /// Save a screenshot (PNG) after --frames frames, then quit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        #[arg(long)]
        frames: Option<u32>,
        /// Log frame times over N frames (median, p95), then quit.
        #[arg(long)]
        frame_times: Option<u32>,
        /// Fail this station at the start (scripted failure; repeatable).
        #[arg(long)]
        fail: Vec<String>,
        /// Launch the scenario's K-th attack step (1-based, as the A key) at the start.
        #[arg(long)]
        launch: Vec<usize>,
        /// Print where the mimic puts each station (JSON, window pixels) and exit.
        #[arg(long)]
        print_layout: bool,
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
    Policy(anyhow::Error),
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
        Err(Failure::Policy(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EX_DATAERR)
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
        Command::Proxy {
            listen,
            upstream,
            policy,
            log,
        } => {
            // Fail closed: no policy, no proxy.
            let spec = faultline::proxy::load_policy(&policy).map_err(Failure::Policy)?;
            if !listen.ip().is_loopback() {
                eprintln!(
                    "warning: listening on {listen}, not loopback: the proxy is reachable from the network at that address"
                );
            }
            let sink: Box<dyn std::io::Write + Send> = match &log {
                Some(p) => Box::new(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(p)
                        .with_context(|| format!("cannot open {}", p.display()))
                        .map_err(Failure::Output)?,
                ),
                None => Box::new(std::io::stdout()),
            };
            let decisions = std::sync::Arc::new(std::sync::Mutex::new(sink));
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| Failure::Output(e.into()))?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen)
                    .await
                    .with_context(|| format!("cannot listen on {listen}"))?;
                eprintln!(
                    "proxy {} → {upstream}, policy {} ({:?})",
                    listener.local_addr()?,
                    policy.display(),
                    spec.mode
                );
                tokio::select! {
                    r = faultline::proxy::serve(listener, upstream, spec, decisions) => r,
                    _ = tokio::signal::ctrl_c() => Ok(()),
                }
            })
            .map_err(Failure::Output)
        }
        Command::Sweep {
            scenario,
            runs,
            toggle,
            variants,
            shard,
            shards,
            threads,
            hours,
            precision,
            out,
        } => {
            let s = load_for(&scenario, hours)?;
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
            let variants = match &variants {
                Some(file) => {
                    faultline::sweep::load_variants(file, &s).map_err(Failure::Scenario)?
                }
                None => faultline::sweep::toggle_variants(&s, &toggle).map_err(Failure::Usage)?,
            };
            let shard = match &shard {
                Some(k) => Some((
                    faultline::sweep::Shard::parse(k).map_err(Failure::Usage)?,
                    "--shard",
                )),
                None => faultline::sweep::Shard::from_env(|k| std::env::var(k).ok(), shards)
                    .map_err(Failure::Usage)?,
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
            eprintln!(
                "seeds {}..{} × {} variant(s) on {threads} thread(s){note}",
                s.seed + seeds.start,
                s.seed + seeds.end,
                variants.len()
            );
            let bar = progress_bar(total);
            let tick = || bar.inc(1);
            let started = Instant::now();
            if let Some((sh, _)) = shard {
                let Some(out) = out else {
                    return Err(Failure::Usage(
                        "a shard writes a partial result: give --out DIR".into(),
                    ));
                };
                let dir = faultline::sweep::shard_dir(&out, sh);
                faultline::sweep::run_shard(&variants, runs, s.seed, threads, sh, &tick, &dir)
                    .map_err(|e| Failure::Output(anyhow::anyhow!(e)))?;
                bar.finish_and_clear();
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
                return Ok(());
            }
            if let Some(dir) = &out {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))
                    .map_err(Failure::Output)?;
            }
            let csv = out.as_ref().map(|d| d.join("runs.csv"));
            let summary = faultline::sweep::run_sweep(
                &variants,
                runs,
                s.seed,
                threads,
                &tick,
                csv.as_deref(),
                precision,
            )
            .map_err(|e| Failure::Output(anyhow::anyhow!(e)))?;
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
        Command::Merge { partials, out } => {
            let dirs = faultline::sweep::partial_dirs(&partials).map_err(Failure::Usage)?;
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create {}", out.display()))
                .map_err(Failure::Output)?;
            let summary = faultline::sweep::merge(&dirs, &out.join("runs.csv"))
                .map_err(|e| Failure::Output(anyhow::anyhow!(e)))?;
            eprintln!("merged {} partial(s)", dirs.len());
            print!("{}", faultline::report::text::sweep_table(&summary));
            write_sweep(&out, &summary)
        }
        Command::Exercise {
            exercise,
            choose,
            decisions,
            compare,
            only,
            seed,
            out,
        } => run_exercise(&exercise, choose, decisions, compare, &only, seed, out),
        Command::View {
            scenario,
            live,
            speed,
            seed,
            endpoints,
            screenshot,
            frames,
            frame_times,
            fail,
            launch,
            print_layout,
        } => {
            let s = load(&scenario).map_err(Failure::Scenario)?;
            let mut fails = Vec::new();
            for f in &fail {
                match s.station_index(f) {
                    Some(i) => fails.push(i),
                    None => {
                        return Err(Failure::Usage(format!(
                            "--fail {f}: no station of that name; stations: {}",
                            s.stations
                                .iter()
                                .map(|x| x.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
            let seed = seed.unwrap_or(s.seed);
            let rec = faultline::world::Recording {
                timeline: false,
                events: true,
                frames: false,
            };
            let world = World::with_recording(&s, seed, rec);
            let layout = faultline::view::Layout::of(&world);
            if print_layout {
                let rows: Vec<serde_json::Value> = layout
                    .stations
                    .iter()
                    .zip(&s.stations)
                    .map(|((c, size), st)| {
                        serde_json::json!({"station": st.name, "center": c, "size": size})
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"width": faultline::view::WIDTH, "height": faultline::view::HEIGHT, "stations": rows})
                );
                return Ok(());
            }
            view(
                world,
                layout,
                ViewArgs {
                    live,
                    speed,
                    endpoints,
                    screenshot,
                    frames,
                    frame_times,
                    fails,
                    launch: launch.iter().map(|k| k.saturating_sub(1)).collect(),
                },
            )
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
            pcap,
            replay,
        } => {
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
        Command::Live {
            scenario,
            seed,
            endpoints,
            speed,
            hours,
            out,
            pcap,
            json,
        } => {
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
            println!(
                "running at {speed}× real time; Ctrl-C ends the session and writes the report"
            );
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

/// Print the report and write the output folder.
fn finish(world: &World, wall: Option<f64>, out: Option<&Path>, json: bool) -> Result<(), Failure> {
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

/// What `faultline view` was asked for, past the scenario and the world built from it.
#[cfg_attr(not(feature = "viewer"), allow(dead_code))]
struct ViewArgs {
    live: bool,
    speed: String,
    endpoints: Endpoints,
    screenshot: Option<PathBuf>,
    frames: Option<u32>,
    frame_times: Option<u32>,
    fails: Vec<usize>,
    launch: Vec<usize>,
}

#[cfg(not(feature = "viewer"))]
fn view(_: World, _: faultline::view::Layout, _: ViewArgs) -> Result<(), Failure> {
    Err(Failure::Usage(
        "this faultline was built without the viewer: cargo run --release --features viewer -- view SCENARIO"
            .into(),
    ))
}

#[cfg(feature = "viewer")]
fn view(world: World, layout: faultline::view::Layout, a: ViewArgs) -> Result<(), Failure> {
    use faultline::viewer::{app, model};
    let names: Vec<String> = world
        .plant
        .stations
        .iter()
        .map(|s| s.name.clone())
        .collect();
    let tick_s = world.tick as f64 / 1e6;
    let speed = match a.speed.as_str() {
        "1" => Some(model::Speed::X1),
        "10" => Some(model::Speed::X10),
        "100" => Some(model::Speed::X100),
        "max" => Some(model::Speed::Max),
        _ if a.live => None,
        other => {
            return Err(Failure::Usage(format!(
                "--speed {other}: one of 1, 10, 100, max"
            )));
        }
    };
    let opts = app::ViewOptions {
        speed,
        screenshot: a.screenshot,
        frames: a.frames,
        frame_times: a.frame_times,
        fail: a.fails,
        launch: a.launch,
    };
    if !a.live {
        return app::run(model::Twin::local(world), layout, names, tick_s, opts)
            .map_err(Failure::Usage);
    }
    a.endpoints.warn_if_exposed();
    let live_speed: f64 = a
        .speed
        .parse()
        .map_err(|_| Failure::Usage(format!("--speed {}: a number with --live", a.speed)))?;
    let shared = std::sync::Arc::new(faultline::live::LiveView::default());
    if let Ok(mut s) = shared.snapshot.lock() {
        *s = Some(faultline::view::Snapshot::of(&world));
    }
    let cfg = faultline::live::LiveConfig {
        bind: a.endpoints.bind,
        base_port: a.endpoints.base_port,
        speed: live_speed,
        hours: None,
        pcap: None,
        input_log: None,
        audit_log: None,
        status: false,
        view: Some(shared.clone()),
    };
    let live = faultline::live::Live::start(world, cfg).map_err(Failure::Output)?;
    for e in &live.endpoints {
        eprintln!("{} listening on {}", e.plc, e.address);
    }
    let mut opts = opts;
    opts.speed = None;
    let shown = app::run(model::Twin::live(shared), layout, names, tick_s, opts);
    live.stop();
    live.join().map_err(Failure::Output)?;
    shown.map_err(Failure::Usage)
}

fn run_exercise(
    path: &Path,
    choose: Option<String>,
    decisions: Option<PathBuf>,
    compare: bool,
    only: &[String],
    seed: Option<u64>,
    out: Option<PathBuf>,
) -> Result<(), Failure> {
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
            Box::new(ex::prompt::Prompt)
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
    let comparison = if compare {
        let started = Instant::now();
        let c = ex::compare(&loaded, seed, &played.decisions, only)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        eprintln!(
            "compared {} option run(s) in {:.2} s",
            c.iter().map(|p| p.options.len()).sum::<usize>(),
            started.elapsed().as_secs_f64()
        );
        c
    } else {
        Vec::new()
    };
    let o = ex::Outcome::of(&played.summary);
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
        println!("at \"{}\" ({} decided):", c.title, c.asked);
        for (key, label, o) in &c.options {
            let mark = if *key == c.chosen { "*" } else { " " };
            println!(
                "  {mark} {key:<12} cost {:>9.0}  lost {:>6.0} units  downtime {:>5.2} h  trips {}  steps succeeded {}  — {label}",
                o.cost, o.production_lost, o.downtime_h, o.safety_trips, o.steps_succeeded
            );
        }
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))
            .map_err(Failure::Output)?;
        write_atomic(
            &dir.join("decisions.json"),
            &(serde_json::to_string_pretty(&log).map_err(|e| Failure::Output(e.into()))? + "\n"),
        )
        .map_err(Failure::Output)?;
        write_atomic(&dir.join("summary.json"), &summary_json(&played.summary))
            .map_err(Failure::Output)?;
        if compare {
            write_atomic(
                &dir.join("compare.json"),
                &(serde_json::to_string_pretty(&comparison)
                    .map_err(|e| Failure::Output(e.into()))?
                    + "\n"),
            )
            .map_err(Failure::Output)?;
        }
        write_atomic(
            &dir.join("after-action.html"),
            &ex::report::after_action(&loaded, &played, &log, &comparison),
        )
        .map_err(Failure::Output)?;
        eprintln!(
            "wrote {}/after-action.html, decisions.json, summary.json{}",
            dir.display(),
            if compare { ", compare.json" } else { "" }
        );
    }
    Ok(())
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

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    faultline::report::write_atomic(path, text)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn register_map(s: &faultline::Scenario, markdown: bool) -> String {
    use std::fmt::Write;
    let access = |p: &Point| match p.access {
        map::Access::Read => "R",
        map::Access::ReadWrite => "RW",
        map::Access::Pulse => "W (pulse)",
    };
    let is_thermal = |name: &str| {
        s.stations
            .iter()
            .any(|x| x.name == name && matches!(x.kind, StationKind::Thermal(_)))
    };
    let tables = [
        Table::Coil,
        Table::DiscreteInput,
        Table::HoldingRegister,
        Table::InputRegister,
    ];
    let mut o = String::new();
    if markdown {
        let _ = writeln!(o, "# Register map\n");
        let _ = writeln!(
            o,
            "Generated by `faultline map {{scenario}} --markdown` for \"{}\"; a test keeps this file in step with the code.\n",
            s.name
        );
        let _ = writeln!(o, "{}\n", MAP_INTRO);
        let _ = writeln!(
            o,
            "## PLCs\n\n| PLC | address | unit id | profile | scan | stations (block base address) |\n|---|---|---|---|---|---|"
        );
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
        let _ = writeln!(
            o,
            "| table | offset | name | unit | access | thermal only | meaning |\n|---|---|---|---|---|---|---|"
        );
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
        let _ = writeln!(
            o,
            "\n## PLC-wide registers\n\n| table | address | name | unit | access | meaning |\n|---|---|---|---|---|---|"
        );
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
    let text_row = |o: &mut String, address: u16, p: &Point| {
        let _ = writeln!(
            o,
            "  {:<17} {:>5}  {:<19} {:<16} {:<10} {}",
            p.table.label(),
            address,
            p.name,
            p.unit,
            access(p),
            p.doc
        );
    };
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
                for p in map::STATION
                    .iter()
                    .filter(|p| p.table == table && (is_thermal(name) || !p.thermal))
                {
                    text_row(&mut o, base + p.offset, p);
                }
            }
        }
        let _ = writeln!(o, " PLC-wide");
        for p in map::SYSTEM_POINTS {
            text_row(&mut o, map::SYSTEM + p.offset, p);
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

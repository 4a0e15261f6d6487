//! `faultline view`: the Bevy mimic of the running line (feature `viewer`).

use super::{Endpoints, Failure};
use anyhow::Result;
use faultline::{World, load};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A scenario, or an exercise file: then the twin follows the exercise, stopping at
    /// each inject (Space goes on) with the recorded or default choices applied.
    pub scenario: PathBuf,
    /// With an exercise: the choices to apply (a decisions.json of a session); without,
    /// each decision point's default.
    #[arg(long)]
    pub decisions: Option<PathBuf>,
    /// Also serve every PLC on Modbus/TCP, as `faultline live` (real time × --speed).
    #[arg(long)]
    pub live: bool,
    /// 1, 10, 100 or max (simulated time per wall time; with --live a number).
    #[arg(long, default_value = "1")]
    pub speed: String,
    #[arg(long)]
    pub seed: Option<u64>,
    /// With --live: where the PLCs listen.
    #[command(flatten)]
    pub endpoints: Endpoints,
    /// Save a screenshot (PNG) after --frames frames, then quit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    #[arg(long)]
    pub frames: Option<u32>,
    /// Log frame times over N frames (median, p95), then quit.
    #[arg(long)]
    pub frame_times: Option<u32>,
    /// Fail this station at the start (scripted failure; repeatable).
    #[arg(long)]
    pub fail: Vec<String>,
    /// Launch the scenario's K-th attack step (1-based, as the A key) at the start.
    #[arg(long)]
    pub launch: Vec<usize>,
    /// Print where the mimic puts each station (JSON, window pixels) and exit.
    #[arg(long)]
    pub print_layout: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let Args {
        scenario,
        decisions,
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
    } = a;
    let text = std::fs::read_to_string(&scenario).unwrap_or_default();
    let follow = if faultline::scenario::top_level(&text) == "Exercise" {
        if live {
            return Err(Failure::Usage(
                "an exercise is followed in the local twin: drop --live".into(),
            ));
        }
        let ex = faultline::exercise::load(&scenario).map_err(Failure::Scenario)?;
        let recorded = match &decisions {
            Some(f) => {
                let text = std::fs::read_to_string(f)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", f.display())))?;
                let log: faultline::exercise::DecisionLog = serde_json::from_str(&text)
                    .map_err(|e| Failure::Usage(format!("{}: {e}", f.display())))?;
                log.decisions
            }
            None => Vec::new(),
        };
        Some(faultline::exercise::Follow::new(ex, recorded))
    } else {
        if decisions.is_some() {
            return Err(Failure::Usage(
                "--decisions goes with an exercise file".into(),
            ));
        }
        None
    };
    let s = match &follow {
        Some(f) => f.ex.scenario.clone(),
        None => load(&scenario).map_err(Failure::Scenario)?,
    };
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
        let out = serde_json::json!({"width": faultline::view::WIDTH, "height": faultline::view::HEIGHT, "stations": rows});
        // With the viewer, where it draws the network's Purdue diagram too.
        #[cfg(feature = "viewer-model")]
        let out = {
            let mut out = out;
            out["network"] = network_layout(&world);
            out
        };
        println!("{out}");
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
            follow,
        },
    )
}

/// Where the window draws the network's Purdue diagram: each zone's box and level, each
/// host's mark and kind (for the screenshot test, which samples them).
#[cfg(feature = "viewer-model")]
fn network_layout(world: &World) -> serde_json::Value {
    let snap = faultline::view::Snapshot::of(world);
    let n = &snap.network;
    let d =
        faultline::viewer::purdue::diagram(&n.purdue, &n.hosts, faultline::viewer::purdue::PANEL);
    let zones: Vec<serde_json::Value> = d
        .zones
        .iter()
        .enumerate()
        .map(|(z, r)| serde_json::json!({"zone": n.zones[z], "level": n.purdue.levels[z], "x": r.x, "y": r.y, "w": r.w, "h": r.h}))
        .collect();
    let hosts: Vec<serde_json::Value> = d
        .hosts
        .iter()
        .enumerate()
        .map(|(h, c)| {
            let kind = format!("{:?}", n.purdue.hosts[h]);
            serde_json::json!({"host": n.hosts[h].name, "kind": kind, "center": c})
        })
        .collect();
    serde_json::json!({"zones": zones, "hosts": hosts, "mark": faultline::viewer::purdue::HOST_MARK})
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
    follow: Option<faultline::exercise::Follow>,
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
        let mut twin = model::Twin::local(world);
        twin.exercise = a.follow;
        return app::run(twin, layout, names, tick_s, opts).map_err(view_failure);
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
        listen_in: None,
        tls: None,
        carry: None,
        pcap_plant: false,
        scoreboard: None,
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
    shown.map_err(view_failure)
}

#[cfg(feature = "viewer")]
fn view_failure(e: faultline::viewer::app::ViewError) -> Failure {
    match e {
        faultline::viewer::app::ViewError::NoDisplay(_) => Failure::Unavailable(e.to_string()),
        faultline::viewer::app::ViewError::Io(e) => Failure::Output(e.into()),
    }
}

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
    /// Build the plant's network for real: a network namespace per zone and a firewall
    /// namespace running the scenario's segmentation as nftables; each PLC listens on its
    /// own address, port 502, in its zone's namespace (needs root, `ip` and `nft`; all of
    /// it is removed on exit). Point tools at it with `ip netns exec PREFIX-ZONE …`.
    #[arg(long)]
    pub netns: bool,
    /// The namespaces' name prefix (with --netns).
    #[arg(long, default_value = "faultline")]
    pub netns_prefix: String,
    /// Serve Modbus/TCP Security (TLS, mutual authentication, roles) on every PLC whose
    /// profile supports it, with the certificates of `faultline pki init DIR --scenario`
    /// (with --netns: on the registered port 802 of each such PLC's address, in its zone).
    #[arg(long, requires = "roles")]
    pub tls: Option<PathBuf>,
    /// The role policy of the Modbus/TCP Security endpoints (RON; examples/roles.ron).
    #[arg(long, requires = "tls")]
    pub roles: Option<PathBuf>,
    /// PLC i's Modbus/TCP Security endpoint listens on this + i (default: --base-port +
    /// 800; 0: ports chosen by the system).
    #[arg(long)]
    pub tls_base_port: Option<u16>,
    /// Name the clients from outside the twin and place each in a zone as a host (RON:
    /// `Actors(zone: …, actors: [(name: …, source: …, zone: …)])`; docs/actors.md). Every
    /// other source address is an actor named by its address.
    #[arg(long, value_name = "FILE")]
    pub actors: Option<PathBuf>,
    /// The zone a source address no actors file names is placed in (default: the file's
    /// `zone`, else the scenario network's first zone).
    #[arg(long, value_name = "ZONE")]
    pub actor_zone: Option<String>,
    /// Rewrite this JSON file every simulated minute with what each actor did and cost so
    /// far (atomically), and scoreboard.html beside it (a page that reloads itself).
    #[arg(long, value_name = "FILE")]
    pub scoreboard: Option<PathBuf>,
    /// Write the pcap with the plant's addresses: each PLC at its address, port 502, and
    /// each actor at its address in its zone (Wireshark decodes it with no settings).
    #[arg(long, requires = "pcap")]
    pub pcap_plant: bool,
}

/// The session's actors file, read and checked against the scenario's network.
fn actors_spec(
    path: Option<&std::path::Path>,
    zone: Option<String>,
) -> Result<faultline::actors::ActorsSpec, Failure> {
    let mut spec = match path {
        None => faultline::actors::ActorsSpec::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|error| {
                Failure::Scenario(faultline::scenario::ScenarioError::Io {
                    path: p.display().to_string(),
                    error,
                })
            })?;
            faultline::actors::ActorsSpec::parse(&text, &p.display().to_string())
                .map_err(Failure::Scenario)?
        }
    };
    if zone.is_some() {
        spec.zone = zone;
    }
    Ok(spec)
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
        netns,
        netns_prefix,
        tls,
        roles,
        tls_base_port,
        actors,
        actor_zone,
        scoreboard,
        pcap_plant,
    } = a;
    let s = load(&scenario).map_err(Failure::Scenario)?;
    let actors_file = actors_spec(actors.as_deref(), actor_zone)?;
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
    let lab = if netns {
        Some(build_lab(&s, &netns_prefix).map_err(Failure::Output)?)
    } else {
        endpoints.warn_if_exposed();
        None
    };
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
        pcap: pcap.clone(),
        input_log: out.as_ref().map(|d| d.join("inputs.log")),
        audit_log: out.as_ref().map(|d| d.join("audit.jsonl")),
        status: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        view: None,
        pcap_plant,
        scoreboard: scoreboard.clone(),
        listen_in: lab.as_ref().map(|(_, places)| places.clone()),
        tls: live_tls(
            tls.as_ref(),
            roles.as_ref(),
            tls_base_port,
            endpoints.base_port,
            out.as_deref(),
        )?,
        // In the lab, the World's own links cross the kernel too: the HMI's polls from
        // the supervisory zone, the attack steps from their hosts' zones.
        carry: lab.as_ref().map(|(lab, _)| faultline::live::Carrying {
            hosts: lab_hosts(&s, lab),
            connect_timeout: std::time::Duration::from_secs(1),
        }),
    };
    let mut world = World::with_recording(
        &s,
        seed,
        Recording {
            timeline: out.is_some() || scoreboard.is_some(),
            events: out.is_some() || scoreboard.is_some(),
            frames: pcap.is_some(),
        },
    );
    world.place_actors(actors_file).map_err(|problems| {
        Failure::Scenario(faultline::scenario::ScenarioError::Invalid {
            path: actors
                .as_ref()
                .map_or_else(|| "--actor-zone".to_string(), |p| p.display().to_string()),
            problems,
        })
    })?;
    let live = faultline::live::Live::start(world, cfg).map_err(Failure::Output)?;
    print_endpoints(&live, lab.as_ref().map(|(lab, _)| lab), &s);
    if let Some(dir) = &out {
        let json = serde_json::to_string_pretty(&live.endpoints).unwrap_or_default();
        write_atomic(&dir.join("endpoints.json"), &json).map_err(Failure::Output)?;
    }
    println!("running at {speed}× real time; Ctrl-C ends the session and writes the report");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    until_stopped(&live);
    let world = live.join().map_err(Failure::Output)?;
    if let Some((mut lab, _)) = lab {
        lab.teardown().map_err(Failure::Output)?;
    }
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

/// The TLS endpoints beside the plain ones (`--tls DIR --roles FILE`): their certificates,
/// the roles' policy, their first port (the plain one's + 800 unless given), their log.
fn live_tls(
    tls: Option<&PathBuf>,
    roles: Option<&PathBuf>,
    tls_base_port: Option<u16>,
    base_port: u16,
    out: Option<&std::path::Path>,
) -> Result<Option<faultline::live::LiveTls>, Failure> {
    let (Some(dir), Some(roles)) = (tls, roles) else {
        return Ok(None);
    };
    Ok(Some(faultline::live::LiveTls {
        dir: dir.clone(),
        roles: std::sync::Arc::new(faultline::tls::load_roles(roles).map_err(Failure::Policy)?),
        base_port: tls_base_port.unwrap_or(if base_port == 0 {
            0
        } else {
            base_port.saturating_add(800)
        }),
        log: out.map(|d| d.join("tls.jsonl")),
    }))
}

/// The endpoints the session serves (and a --netns lab's namespaces), on stdout.
fn print_endpoints(
    live: &faultline::live::Live,
    lab: Option<&faultline::netns::Lab>,
    s: &faultline::Scenario,
) {
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
        if let Some(t) = e.tls_address {
            println!(
                "{:<14} {:<22} Modbus/TCP Security (TLS, roles)",
                "",
                t.to_string()
            );
        }
    }
    if let Some(lab) = lab {
        println!("network namespaces (removed on exit):");
        for (z, ns) in s.network.iter().flat_map(|n| &n.zones).zip(&lab.zone_ns) {
            println!("  {z:<14} {ns}");
        }
        println!(
            "  {:<14} {} (the rule set: ip netns exec {} nft list ruleset)",
            "firewall", lab.firewall_ns, lab.firewall_ns
        );
    }
}

/// Until Ctrl-C or SIGTERM (`kill`, `timeout`, a service manager), or the session's own
/// end (`--hours`): either way the report is written and a --netns lab torn down after.
fn until_stopped(live: &faultline::live::Live) {
    let shared = live.shared.clone();
    live.block_on(async move {
        // Ctrl-C, and SIGTERM (`kill`, `timeout`, a service manager) end the session the
        // same way: the report written, a --netns lab torn down.
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => shared.stop.store(true, std::sync::atomic::Ordering::Release),
            _ = term => shared.stop.store(true, std::sync::atomic::Ordering::Release),
            _ = async {
                while !shared.stop.load(std::sync::atomic::Ordering::Acquire) {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            } => {}
        }
    });
}

/// Per host of the scenario's network: its zone's namespace in the lab and its address.
fn lab_hosts(
    s: &faultline::Scenario,
    lab: &faultline::netns::Lab,
) -> Vec<(String, std::net::Ipv4Addr)> {
    let network = faultline_core::network::Network::new(s, s.segmentation.as_ref());
    network
        .hosts
        .iter()
        .map(|h| (lab.zone_ns[h.zone].clone(), h.address))
        .collect()
}

/// The lab for `live --netns`: namespaces, the rule set loaded, and where each PLC
/// listens (its zone's namespace, its address, port 502).
fn build_lab(
    s: &faultline::Scenario,
    prefix: &str,
) -> Result<(faultline::netns::Lab, Vec<(String, std::net::SocketAddr)>)> {
    if s.network.is_none() {
        anyhow::bail!("--netns needs zones: the scenario has no `network` section");
    }
    faultline::netns::available().map_err(|why| anyhow::anyhow!("--netns: {why}"))?;
    let network = faultline_core::network::Network::new(s, s.segmentation.as_ref());
    let lab = faultline::netns::Lab::build(prefix, &network, &faultline::export::interfaces(s))?;
    faultline::export::load_into(&lab, s)?;
    let places = (0..s.plcs.len())
        .map(|p| {
            let h = &network.hosts[network.plc_host(p)];
            (
                lab.zone_ns[h.zone].clone(),
                std::net::SocketAddr::new(h.address.into(), faultline::modbus::PORT),
            )
        })
        .collect();
    Ok((lab, places))
}

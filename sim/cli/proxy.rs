//! `faultline proxy`: the Modbus DPI in front of any Modbus/TCP server.

use super::Failure;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:5502")]
    pub listen: std::net::SocketAddr,
    /// The server to protect (HOST:PORT).
    #[arg(long)]
    pub upstream: std::net::SocketAddr,
    /// The policy (RON): (mode: Enforce|Monitor, rules: [...]); see README.md.
    #[arg(long)]
    pub policy: PathBuf,
    /// Decisions as JSON lines (default: standard output).
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// In Monitor mode, forward framed requests that do not decode (logged) instead of
    /// answering them with an exception. Off by default: they are what hangs fragile PLCs.
    #[arg(long)]
    pub forward_unparsed: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    let Args {
        listen,
        upstream,
        policy,
        log,
        forward_unparsed,
    } = a;
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
            r = faultline::proxy::serve(listener, upstream, spec, decisions, faultline::proxy::ProxyOptions { forward_unparsed }) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
    .map_err(Failure::Output)
}

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
    /// The DPI policy (RON): (mode: Enforce|Monitor, rules: [...]); see README.md.
    /// Required unless the proxy terminates Modbus/TCP Security with a role policy.
    #[arg(long, required_unless_present = "roles")]
    pub policy: Option<PathBuf>,
    /// Terminate Modbus/TCP Security (TLS, mutual authentication) in front of a plain
    /// Modbus device: this endpoint's certificate (PEM)…
    #[arg(long, requires_all = ["tls_key", "client_ca", "roles"])]
    pub tls_cert: Option<PathBuf>,
    /// …its private key (PEM)…
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// …the CA whose client certificates are accepted (PEM; `faultline pki init`)…
    #[arg(long, requires = "tls_cert")]
    pub client_ca: Option<PathBuf>,
    /// …and the role policy (RON: (roles: [(role: "operator", preset: ReadOnly), …])),
    /// applied before the DPI policy.
    #[arg(long, requires = "tls_cert")]
    pub roles: Option<PathBuf>,
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
        tls_cert,
        tls_key,
        client_ca,
        roles,
    } = a;
    // An input that cannot be read is 66, one that does not hold a policy 65.
    for p in [&policy, &roles, &tls_cert, &tls_key, &client_ca]
        .into_iter()
        .flatten()
    {
        std::fs::File::open(p)
            .with_context(|| format!("{}: cannot read it", p.display()))
            .map_err(Failure::Input)?;
    }
    // Fail closed: a policy that does not load, no proxy.
    let spec = match &policy {
        Some(p) => Some(faultline::policy::load_policy(p).map_err(Failure::Policy)?),
        None => None,
    };
    let tls = match (&tls_cert, &tls_key, &client_ca, &roles) {
        (Some(cert), Some(key), Some(ca), Some(roles)) => {
            let config = faultline::tls::server_config(cert, key, ca).map_err(Failure::Policy)?;
            let roles = faultline::tls::load_roles(roles).map_err(Failure::Policy)?;
            Some(faultline::proxy::TlsFront {
                acceptor: tokio_rustls::TlsAcceptor::from(config),
                roles: std::sync::Arc::new(roles),
                handshake_timeout: faultline::proxy::HANDSHAKE_TIMEOUT,
            })
        }
        _ => None,
    };
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
    let decisions = faultline::proxy::DecisionLog::new(sink);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(e.into()))?;
    let log = decisions.clone();
    let served = rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        eprintln!(
            "proxy {}{} → {upstream}, policy {}{}",
            listener.local_addr()?,
            if tls.is_some() { " (Modbus/TCP Security)" } else { "" },
            match (&policy, &spec) {
                (Some(p), Some(s)) => format!("{} ({:?})", p.display(), s.mode),
                _ => "none (the role policy alone)".into(),
            },
            roles.as_ref().map(|r| format!(", roles {}", r.display())).unwrap_or_default()
        );
        let options = faultline::proxy::ProxyOptions {
            forward_unparsed,
            ..Default::default()
        };
        // Ctrl-C and SIGTERM end the proxy with every decision written.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("cannot watch for SIGTERM")?;
        tokio::select! {
            r = faultline::proxy::serve_with(listener, upstream, spec, tls, decisions, options) => r,
            _ = tokio::signal::ctrl_c() => Ok(()),
            _ = term.recv() => Ok(()),
        }
    });
    // The sessions end with the runtime; then the log writes what is queued and flushes.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    let logged = log.finish();
    served.and(logged).map_err(Failure::Output)
}

//! The endpoints of a live session: a listener per PLC (bound before anything runs, so
//! the table printed is true), the Modbus/TCP server on each, and where a PLC's profile
//! supports it, a Modbus/TCP Security endpoint in front of it.

use super::service::accept;
use super::{Endpoint, LiveConfig, LiveTls, Msg, Shared};
use crate::world::World;
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_modbus::server::tcp::Server;

/// Bind every PLC's endpoint: `--base-port` + i (or a port the system chooses), on the
/// bind address or, in a namespace lab, at the PLC's own address in its zone.
pub(super) fn bind(
    world: &World,
    cfg: &LiveConfig,
) -> Result<(Vec<std::net::TcpListener>, Vec<Endpoint>)> {
    let n = world.devices.plcs.len();
    let mut listeners = Vec::with_capacity(n);
    let mut endpoints = Vec::with_capacity(n);
    for (i, plc) in world.devices.plcs.iter().enumerate() {
        let port = if cfg.base_port == 0 {
            0
        } else {
            cfg.base_port
                .checked_add(i as u16)
                .context("port range past 65535")?
        };
        let std_listener = match &cfg.listen_in {
            Some(places) => {
                let (ns, addr) = places.get(i).context("a namespace for every PLC")?;
                crate::netns::inside(ns, || std::net::TcpListener::bind(addr))?
                    .with_context(|| format!("cannot listen on {addr} in {ns} for {}", plc.name))?
            }
            None => {
                let addr = SocketAddr::new(cfg.bind, port);
                std::net::TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on {addr} for {}", plc.name))?
            }
        };
        std_listener.set_nonblocking(true)?;
        let local = std_listener.local_addr()?;
        listeners.push(std_listener);
        endpoints.push(Endpoint {
            plc: plc.name.clone(),
            address: local,
            tls_address: None,
            unit_id: plc.unit_id,
            profile: plc.profile.name.clone(),
            stations: plc
                .stations()
                .map(|s| world.plant.stations[s].name.clone())
                .collect(),
        });
    }
    Ok((listeners, endpoints))
}

/// Serve PLC `i`'s endpoint on the runtime until the session stops.
pub(super) fn serve(
    runtime: &tokio::runtime::Runtime,
    i: usize,
    listener: std::net::TcpListener,
    endpoint: &Endpoint,
    tx: mpsc::UnboundedSender<Msg>,
    shared: Arc<Shared>,
) {
    let name = endpoint.plc.clone();
    let server_addr = endpoint.address;
    runtime.spawn(async move {
        let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
            return;
        };
        let server = Server::new(listener);
        let errors = shared.clone();
        let on_connected = move |stream: tokio::net::TcpStream, peer: SocketAddr| {
            let tx = tx.clone();
            let shared = shared.clone();
            async move { accept(stream, peer, server_addr, i, tx, shared).await }
        };
        // An accept error (out of descriptors, a connection reset before it was taken)
        // must not end the endpoint: say so, back off, listen again. The connections
        // already served by this endpoint end with the failed serve.
        let mut backoff = Duration::from_millis(50);
        while !errors.stop.load(Ordering::Acquire) {
            let Err(e) = server.serve(&on_connected, |_err| {}).await else {
                break;
            };
            let n = errors.accept_errors.fetch_add(1, Ordering::Relaxed) + 1;
            if n <= 10 || n.is_power_of_two() {
                eprintln!(
                    "warning: {name}'s endpoint {server_addr}: accept failed ({e}); listening again in {} ms ({n} accept error(s) so far)",
                    backoff.as_millis()
                );
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    });
}

/// A Modbus/TCP Security endpoint (TLS with the role policy, the proxy's code) in front of
/// every PLC whose profile supports it, its address recorded in the endpoint table; the
/// log of their decisions, which the session finishes when it ends.
pub(super) fn secure(
    runtime: &tokio::runtime::Runtime,
    world: &World,
    cfg: &LiveConfig,
    tls: &LiveTls,
    endpoints: &mut [Endpoint],
) -> Result<crate::proxy::DecisionLog> {
    let decisions = crate::proxy::DecisionLog::new(match &tls.log {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        ),
        None => Box::new(std::io::sink()),
    });
    for (i, plc) in world.devices.plcs.iter().enumerate() {
        if !plc.profile.modbus_security {
            continue;
        }
        let (cert, key) = (
            tls.dir.join(format!("devices/{}.pem", plc.name)),
            tls.dir.join(format!("devices/{}.key", plc.name)),
        );
        let config = crate::tls::server_config(&cert, &key, &tls.dir.join("ca.pem"))
                .with_context(|| format!("{}'s Modbus/TCP Security endpoint (hint: faultline pki init {} --scenario SCENARIO)", plc.name, tls.dir.display()))?;
        let port = if tls.base_port == 0 {
            0
        } else {
            tls.base_port
                .checked_add(i as u16)
                .context("TLS port range past 65535")?
        };
        // In a --netns lab: the registered port 802 on the PLC's own address, in its
        // zone; the gateway reaches the plain endpoint inside that namespace.
        let (listener, upstream_netns) = match &cfg.listen_in {
            Some(places) => {
                let (ns, addr) = places.get(i).context("a namespace for every PLC")?;
                let at = SocketAddr::new(addr.ip(), crate::tls::PORT);
                let l = crate::netns::inside(ns, || std::net::TcpListener::bind(at))?
                    .with_context(|| {
                        format!(
                            "cannot listen on {at} in {ns} for {}'s Modbus/TCP Security",
                            plc.name
                        )
                    })?;
                (l, Some(ns.clone()))
            }
            None => (
                std::net::TcpListener::bind(SocketAddr::new(cfg.bind, port)).with_context(
                    || {
                        format!(
                            "cannot listen on {}:{port} for {}'s Modbus/TCP Security",
                            cfg.bind, plc.name
                        )
                    },
                )?,
                None,
            ),
        };
        listener.set_nonblocking(true)?;
        endpoints[i].tls_address = Some(listener.local_addr()?);
        let front = crate::proxy::TlsFront {
            acceptor: tokio_rustls::TlsAcceptor::from(config),
            roles: tls.roles.clone(),
            handshake_timeout: crate::proxy::HANDSHAKE_TIMEOUT,
        };
        let upstream = endpoints[i].address;
        let _guard = runtime.enter();
        let listener = tokio::net::TcpListener::from_std(listener)?;
        runtime.spawn(crate::proxy::serve_with(
            listener,
            upstream,
            None,
            Some(front),
            decisions.clone(),
            crate::proxy::ProxyOptions {
                upstream_netns,
                ..crate::proxy::ProxyOptions::default()
            },
        ));
    }
    Ok(decisions)
}

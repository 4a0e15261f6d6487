//! The plant network as a Purdue diagram, for the viewer: each zone's level, each conduit
//! with what crosses it now (open Modbus connections), what the firewall refused on it and
//! whether an attack step's route runs over it, and each host's kind.
//!
//! A zone's level is its distance in conduits from the nearest zone that holds a PLC, plus
//! one, at most 4: the PLCs' zone is level 1 (basic control), the HMI's next to it level 2
//! (supervisory), and so on up to the enterprise. Level 0 (the process) is the line itself,
//! which the viewer draws above. A zone with no route to the PLCs is drawn at level 4.

use crate::network::HostKind;
use crate::world::World;

/// A host's mark on the diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostMark {
    Plc,
    Hmi,
    Other,
}

/// One conduit and what is on it now.
#[derive(Clone, Debug, PartialEq)]
pub struct ConduitView {
    /// The zones it joins.
    pub zones: (usize, usize),
    /// Modbus connections open now whose route crosses it (each PLC connection is counted
    /// on every conduit between its client's zone and the PLC's).
    pub open_links: u32,
    /// Connection attempts the zone firewall refused so far, counted on the first conduit
    /// of the refused route (where it leaves the source's zone).
    pub blocked: u64,
    /// An attack step that has started runs over it (from its host's zone to its target's).
    pub attack: bool,
}

/// The network as the diagram draws it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PurdueView {
    /// Per zone: its level, 1–4.
    pub levels: Vec<u8>,
    pub conduits: Vec<ConduitView>,
    /// Per host (in the network's order): its kind.
    pub hosts: Vec<HostMark>,
    /// Per host: an attack step that has started runs from it.
    pub attackers: Vec<bool>,
    /// Per host: an attack step that has started aims at it.
    pub targets: Vec<bool>,
    /// (source host, target host) of each attack step that has started and aims at a
    /// host, in the steps' order, each pair once.
    pub paths: Vec<(usize, usize)>,
}

/// The World's network as a Purdue diagram now.
pub fn purdue_view(w: &World) -> PurdueView {
    let net = &w.net.network;
    let zones = net.zones.len();
    let edges = net.conduits();
    // Levels: breadth first from the zones that hold a PLC.
    let mut levels = vec![0u8; zones];
    let mut frontier: Vec<usize> = (0..zones)
        .filter(|&z| {
            net.hosts
                .iter()
                .any(|h| h.zone == z && matches!(h.kind, HostKind::Plc(_)))
        })
        .collect();
    let mut level = 1u8;
    while !frontier.is_empty() && level <= 4 {
        for &z in &frontier {
            levels[z] = level;
        }
        let mut next = Vec::new();
        for &z in &frontier {
            for &(a, b) in edges {
                let other = if a == z {
                    b
                } else if b == z {
                    a
                } else {
                    continue;
                };
                if levels[other] == 0 && !next.contains(&other) {
                    next.push(other);
                }
            }
        }
        frontier = next;
        level += 1;
    }
    for l in &mut levels {
        if *l == 0 {
            *l = 4;
        }
    }
    let mut conduits: Vec<ConduitView> = edges
        .iter()
        .map(|&zones| ConduitView {
            zones,
            open_links: 0,
            blocked: 0,
            attack: false,
        })
        .collect();
    let zone_of = |name: &str| net.hosts.iter().find(|h| h.name == name).map(|h| h.zone);
    let plc_zone = |p: usize| {
        net.hosts
            .iter()
            .find(|h| h.kind == HostKind::Plc(p))
            .map(|h| h.zone)
    };
    for link in w.net.bus.links.iter().filter(|l| l.open) {
        if let (Some(a), Some(b)) = (zone_of(&link.client), plc_zone(link.plc)) {
            for k in net.route(a, b).unwrap_or_default() {
                conduits[k].open_links += 1;
            }
        }
    }
    for (key, refused) in &w.net.blocked_flows {
        let (a, b) = (net.hosts[key.from].zone, net.hosts[key.to].zone);
        if let Some(&k) = net.route(a, b).unwrap_or_default().first() {
            conduits[k].blocked += refused.attempts;
        }
    }
    let mut attackers = vec![false; net.hosts.len()];
    let mut targets = vec![false; net.hosts.len()];
    let mut paths = Vec::new();
    for r in w.campaign.attacks.iter().filter(|r| r.started) {
        attackers[r.host] = true;
        let from = net.hosts[r.host].zone;
        let target = r
            .spec
            .step
            .target()
            .and_then(|name| net.hosts.iter().position(|h| h.name == name));
        if let Some(t) = target {
            targets[t] = true;
            if !paths.contains(&(r.host, t)) {
                paths.push((r.host, t));
            }
            for k in net.route(from, net.hosts[t].zone).unwrap_or_default() {
                conduits[k].attack = true;
            }
        }
    }
    PurdueView {
        levels,
        conduits,
        hosts: net
            .hosts
            .iter()
            .map(|h| match h.kind {
                HostKind::Plc(_) => HostMark::Plc,
                HostKind::Hmi => HostMark::Hmi,
                HostKind::Other => HostMark::Other,
            })
            .collect(),
        attackers,
        targets,
        paths,
    }
}

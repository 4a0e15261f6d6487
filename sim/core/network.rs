//! The plant network: hosts in zones, zones joined by conduits, and the zone firewalls of
//! the segmentation control. A connection crosses the conduits of the shortest path
//! between its zones hop by hop, each adding its latency (and a firewall's); with
//! segmentation on, a connection between zones passes only if an allow rule matches it.
//! Without a `network` section the plant is one flat segment at the HMI's latency.

use crate::scenario::{Peer, Scenario, SegmentationSpec};
use crate::time::{Micros, from_secs};
use core::net::Ipv4Addr;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    Hmi,
    Plc(usize),
    Other,
}

#[derive(Clone, Debug)]
pub struct Host {
    pub name: String,
    pub zone: usize,
    pub address: Ipv4Addr,
    pub kind: HostKind,
}

/// What the network does with a new connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered, with this one-way latency.
    Allow(Micros),
    /// Dropped by a zone firewall (no rule allows it).
    Blocked,
    /// No conduit joins the two zones.
    NoRoute,
}

#[derive(Clone, Debug)]
struct Rule {
    from: Peer,
    to: Peer,
    port: Option<u16>,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub zones: Vec<String>,
    /// (zone a, zone b): the zone graph's edges.
    conduits: Vec<(usize, usize)>,
    /// Each conduit's latency.
    conduit_latency: Vec<Micros>,
    pub hosts: Vec<Host>,
    /// The role of each host declared in the scenario (None for the HMI and the PLCs).
    pub roles: Vec<Option<crate::scenario::HostRole>>,
    /// Per host: administered by the plant (the HMI and the PLCs are).
    pub managed: Vec<bool>,
    zone_latency: Micros,
    firewall: Option<(Filter, Micros)>,
}

/// What the zone firewall filters by.
#[derive(Clone, Debug)]
enum Filter {
    /// The allow list (default deny).
    AllowList(Vec<Rule>),
    /// An nftables rule set, with allow rules added during the run ahead of it, and the
    /// interface facing each zone (by zone index).
    Nft {
        set: std::sync::Arc<crate::nft::RuleSet>,
        ahead: Vec<Rule>,
        interfaces: Vec<String>,
    },
}

/// A connection's fate at the firewall, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub verdict: Verdict,
    /// The rule set's evaluation, where an nftables rule set decided.
    pub nft: Option<crate::nft::Connection>,
}

impl Network {
    /// The network of scenario `s` with the zone firewalls as `segmentation` says (the
    /// scenario's own, or as switched during the run).
    pub fn new(s: &Scenario, segmentation: Option<&SegmentationSpec>) -> Network {
        let ip = |a: &str| a.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
        let Some(n) = &s.network else {
            // One flat segment: everything one HMI latency apart, nothing filtered.
            let mut hosts = vec![Host {
                name: s.hmi.name.clone(),
                zone: 0,
                address: ip(&s.hmi.address),
                kind: HostKind::Hmi,
            }];
            for (i, p) in s.plcs.iter().enumerate() {
                hosts.push(Host {
                    name: p.name.clone(),
                    zone: 0,
                    address: ip(&p.address),
                    kind: HostKind::Plc(i),
                });
            }
            let roles = vec![None; hosts.len()];
            return Network {
                zones: vec!["plant".into()],
                conduits: Vec::new(),
                conduit_latency: Vec::new(),
                roles,
                managed: vec![true; hosts.len()],
                hosts,
                zone_latency: from_secs(s.hmi.latency_ms / 1000.0),
                firewall: None,
            };
        };
        let zone = |name: &str| {
            n.zones.iter().position(|z| z == name).unwrap_or_else(|| {
                panic!("zone \"{name}\" is not among the network's zones (load() refuses this)")
            })
        };
        let mut hosts = vec![Host {
            name: s.hmi.name.clone(),
            zone: zone(&n.hmi_zone),
            address: ip(&s.hmi.address),
            kind: HostKind::Hmi,
        }];
        for (i, p) in s.plcs.iter().enumerate() {
            hosts.push(Host {
                name: p.name.clone(),
                zone: zone(&n.plc_zone),
                address: ip(&p.address),
                kind: HostKind::Plc(i),
            });
        }
        for h in &n.hosts {
            hosts.push(Host {
                name: h.name.clone(),
                zone: zone(&h.zone),
                address: ip(&h.address),
                kind: HostKind::Other,
            });
        }
        let roles = (0..hosts.len())
            .map(|i| {
                if i > s.plcs.len() {
                    Some(n.hosts[i - 1 - s.plcs.len()].role)
                } else {
                    None
                }
            })
            .collect();
        let managed = (0..hosts.len())
            .map(|i| i <= s.plcs.len() || n.hosts[i - 1 - s.plcs.len()].is_managed())
            .collect();
        let firewall = segmentation.filter(|g| g.enabled).map(|g| {
            let rules = g
                .allow
                .iter()
                .map(|r| Rule {
                    from: r.from.clone(),
                    to: r.to.clone(),
                    port: r.port,
                })
                .collect();
            let filter = match g
                .nftables
                .as_ref()
                .and_then(|x| x.loaded.clone().map(|l| (x, l)))
            {
                Some((spec, set)) => Filter::Nft {
                    set,
                    ahead: rules,
                    interfaces: n
                        .zones
                        .iter()
                        .map(|z| spec.interface(z).to_string())
                        .collect(),
                },
                None => Filter::AllowList(rules),
            };
            (filter, from_secs(g.firewall_latency_ms / 1000.0))
        });
        Network {
            zones: n.zones.clone(),
            conduits: n
                .conduits
                .iter()
                .map(|k| (zone(&k.between.0), zone(&k.between.1)))
                .collect(),
            conduit_latency: n
                .conduits
                .iter()
                .map(|k| from_secs(k.latency_ms / 1000.0))
                .collect(),
            hosts,
            roles,
            managed,
            zone_latency: from_secs(n.zone_latency_ms / 1000.0),
            firewall,
        }
    }

    /// Place a host in zone `zone` during a run (a live session's outside client): a host
    /// the plant does not administer, with no role. Its index.
    pub fn place(&mut self, name: &str, zone: usize, address: Ipv4Addr) -> usize {
        self.hosts.push(Host {
            name: name.to_string(),
            zone,
            address,
            kind: HostKind::Other,
        });
        self.roles.push(None);
        self.managed.push(false);
        self.hosts.len() - 1
    }

    /// An address in zone `zone` no host has: in the /24 of the zone's first host, from .200
    /// up (then down from .199), else in 10.250.ZONE.0/24.
    pub fn free_address(&self, zone: usize) -> Ipv4Addr {
        let base = self
            .hosts
            .iter()
            .find(|h| h.zone == zone)
            .map(|h| h.address.octets())
            .unwrap_or([10, 250, zone.min(255) as u8, 0]);
        let free = |last: u8| {
            let a = Ipv4Addr::new(base[0], base[1], base[2], last);
            (!self.hosts.iter().any(|h| h.address == a)).then_some(a)
        };
        (200..=254)
            .chain((1..200).rev())
            .find_map(free)
            .unwrap_or(Ipv4Addr::new(10, 250, zone.min(255) as u8, 1))
    }

    pub fn host(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    pub fn hmi(&self) -> usize {
        0
    }

    pub fn plc_host(&self, plc: usize) -> usize {
        1 + plc
    }

    /// The PLC of this name (its index among the scenario's PLCs).
    pub fn plc_index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().find_map(|h| match h.kind {
            HostKind::Plc(p) if h.name == name => Some(p),
            _ => None,
        })
    }

    /// Conduits on the shortest path between two zones (fewest hops; ties to the
    /// conduits listed first).
    fn path(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        crate::zones::path(self.zones.len(), &self.conduits, from, to)
    }

    /// The zone graph's edges: (zone a, zone b) per conduit, as the scenario lists them.
    pub fn conduits(&self) -> &[(usize, usize)] {
        &self.conduits
    }

    /// Conduits (indices into [`Network::conduits`]) on the route between two zones.
    pub fn route(&self, from: usize, to: usize) -> Option<Vec<usize>> {
        self.path(from, to)
    }

    /// Whether a route joins zones `a` and `b` (through conduits, or the same zone).
    pub fn zones_joined(&self, a: usize, b: usize) -> bool {
        self.path(a, b).is_some()
    }

    /// Whether host `mid` sits in a zone the traffic between `a` and `b` crosses (where an
    /// adversary in the middle can intercept it).
    pub fn on_path(&self, mid: usize, a: usize, b: usize) -> bool {
        let (za, zb, zm) = (self.hosts[a].zone, self.hosts[b].zone, self.hosts[mid].zone);
        crate::zones::on_path(self.zones.len(), &self.conduits, zm, za, zb)
    }

    fn matches(&self, peer: &Peer, host: usize) -> bool {
        let h = &self.hosts[host];
        match peer {
            Peer::Zone(z) => self.zones.get(h.zone).is_some_and(|name| name == z),
            Peer::Host(n) => &h.name == n,
        }
    }

    /// A TCP connection from host `from` to host `to` on `port`.
    pub fn connect(&self, from: usize, to: usize, port: u16) -> Verdict {
        self.decide(from, to, port).verdict
    }

    /// A TCP connection from host `from` to host `to` on `port`, and what the firewall's
    /// rule set made of it.
    pub fn decide(&self, from: usize, to: usize, port: u16) -> Decision {
        let (zf, zt) = (self.hosts[from].zone, self.hosts[to].zone);
        let Some(path) = self.path(zf, zt) else {
            return Decision {
                verdict: Verdict::NoRoute,
                nft: None,
            };
        };
        let mut latency = self.zone_latency
            + path
                .iter()
                .map(|&k| self.conduit_latency[k])
                .sum::<Micros>();
        let mut nft = None;
        if let Some((filter, fw_latency)) = &self.firewall
            && !path.is_empty()
        {
            let listed = |rules: &[Rule]| {
                rules.iter().any(|r| {
                    self.matches(&r.from, from)
                        && self.matches(&r.to, to)
                        && r.port.is_none_or(|p| p == port)
                })
            };
            let allowed = match filter {
                Filter::AllowList(rules) => listed(rules),
                Filter::Nft {
                    set,
                    ahead,
                    interfaces,
                } => {
                    listed(ahead) || {
                        let c = set.connect(&crate::nft::Flow {
                            client_if: &interfaces[zf],
                            server_if: &interfaces[zt],
                            client: self.hosts[from].address,
                            client_port: crate::nft::CLIENT_PORT,
                            server: self.hosts[to].address,
                            server_port: port,
                        });
                        let ok = c.outcome == crate::nft::Outcome::Connected;
                        nft = Some(c);
                        ok
                    }
                }
            };
            if !allowed {
                return Decision {
                    verdict: Verdict::Blocked,
                    nft,
                };
            }
            // The model of one firewall between the zones: crossed once.
            let crossed = match filter {
                Filter::AllowList(_) => path.len(),
                Filter::Nft { .. } => 1,
            };
            latency += fw_latency * crossed as Micros;
        }
        Decision {
            verdict: Verdict::Allow(latency),
            nft,
        }
    }

    /// The allow list the zone firewalls run (default deny), if they run one: how many
    /// rules it has.
    pub fn allow_list_len(&self) -> Option<usize> {
        match &self.firewall {
            Some((Filter::AllowList(rules), _)) => Some(rules.len()),
            _ => None,
        }
    }

    /// Whether a firewall stands between hosts `from` and `to` (their zones differ and a
    /// route joins them, through a filtered network).
    pub fn filtered(&self, from: usize, to: usize) -> bool {
        self.firewall.is_some()
            && self
                .path(self.hosts[from].zone, self.hosts[to].zone)
                .is_some_and(|p| !p.is_empty())
    }

    /// The allow-list rules that match a connection from `from` to `to`:`port`, in
    /// order (the first decides; empty: the default deny). Empty without an allow list.
    pub fn allow_hits(&self, from: usize, to: usize, port: u16) -> Vec<usize> {
        let Some((Filter::AllowList(rules), _)) = &self.firewall else {
            return Vec::new();
        };
        (0..rules.len())
            .filter(|&k| {
                let r = &rules[k];
                self.matches(&r.from, from)
                    && self.matches(&r.to, to)
                    && r.port.is_none_or(|p| p == port)
            })
            .collect()
    }

    /// Allow-list rule `k` in words: `allow[k]: zone supervisory -> zone control:502`.
    pub fn describe_allow(&self, k: usize) -> String {
        let Some((Filter::AllowList(rules), _)) = &self.firewall else {
            return String::new();
        };
        let peer = |p: &Peer| match p {
            Peer::Zone(z) => format!("zone {z}"),
            Peer::Host(h) => h.clone(),
        };
        let r = &rules[k];
        format!(
            "allow[{k}]: {} -> {}{}",
            peer(&r.from),
            peer(&r.to),
            r.port.map_or(" (any port)".into(), |p| format!(":{p}"))
        )
    }

    /// What allow-list rule `k` admits: the scenario's hosts it lets connect, those it
    /// lets them reach, and the destination ports (65536 for any).
    pub fn allow_breadth(&self, k: usize) -> (u64, u64, u64) {
        let Some((Filter::AllowList(rules), _)) = &self.firewall else {
            return (0, 0, 0);
        };
        let r = &rules[k];
        let count = |p: &Peer| {
            (0..self.hosts.len())
                .filter(|&h| self.matches(p, h))
                .count() as u64
        };
        (
            count(&r.from),
            count(&r.to),
            if r.port.is_some() { 1 } else { 65536 },
        )
    }

    /// The nftables rule set the firewall runs, if it runs one.
    pub fn ruleset(&self) -> Option<&crate::nft::RuleSet> {
        match &self.firewall {
            Some((Filter::Nft { set, .. }, _)) => Some(set),
            _ => None,
        }
    }
}

/// A flow: from a host to a host's port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlowKey {
    pub from: usize,
    pub to: usize,
    pub port: u16,
}

/// A flow the network refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub attempts: u64,
    /// A flow the plant needs (not attack traffic).
    pub legitimate: bool,
}

/// The flows the network refused, in (from, to, port) order.
pub type FlowLedger = BTreeMap<FlowKey, Refused>;

/// The network part of the World: hosts, zones and firewalls; the bus that carries the
/// Modbus bytes over it; the framers of links that carry arbitrary bytes; the ledger of
/// refused flows; and when each HMI link may try to reconnect.
#[derive(Clone)]
pub struct Net {
    pub network: Network,
    pub bus: crate::bus::Bus,
    /// Servers' framers for links that carry arbitrary bytes.
    pub framers: BTreeMap<crate::plc::ConnId, crate::modbus::Framer>,
    pub blocked_flows: FlowLedger,
    /// The flows the network carried (attempts that got through), for the rule set's
    /// report: its counters, dead rules and over-broad rules.
    pub passed_flows: FlowLedger,
    /// When each HMI link may try to reconnect (by link id; others never).
    pub reconnect_at: Vec<Micros>,
    /// Links carried by the kernel (live `--netns`): what the kernel did with them.
    pub kernel: Option<KernelStats>,
    /// Connect-only tries under way through the kernel, by id: (attack step, from, to,
    /// port).
    pub probes: BTreeMap<u64, (usize, usize, usize, u16)>,
    pub next_probe: u64,
}

/// What the kernel did with the connections of carried links, beside what the twin's
/// own evaluation of the rule set says it would have done.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KernelStats {
    /// Connections the kernel carried to the PLC's endpoint.
    pub connected: u64,
    /// Connections the kernel refused or dropped (no answer before the deadline).
    pub refused: u64,
    /// Of those, the ones where the twin's evaluation of the rule set says otherwise
    /// (the rule set in the kernel is not the one the twin evaluated, or they disagree).
    pub disagreements: u64,
    /// The HMI links that have been up once (a later connection is a reconnection).
    #[serde(skip)]
    pub hmi_links_up: std::collections::BTreeSet<crate::plc::ConnId>,
}

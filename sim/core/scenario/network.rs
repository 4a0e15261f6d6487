//! The network: zones, conduits, hosts, segmentation (the allow list or an nftables rule
//! set).

use serde::{Deserialize, Serialize};

/// The plant network: zones joined by conduits, hosts placed in zones. The HMI and the
/// PLCs are hosts too (in `hmi_zone` and `plc_zone`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// The zones' names (IEC 62443 zones: enterprise, supervisory, control…).
    pub zones: Vec<String>,
    /// The links between zones.
    pub conduits: Vec<ConduitSpec>,
    /// The hosts besides the HMI and the PLCs.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
    /// The zone the HMI is in.
    pub hmi_zone: String,
    /// The zone the PLCs are in.
    pub plc_zone: String,
    /// One-way latency between two hosts of the same zone.
    #[serde(default = "default_zone_latency")]
    pub zone_latency_ms: f64,
}

fn default_zone_latency() -> f64 {
    0.1
}

/// A conduit: a link between two zones (with a firewall where segmentation is on).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConduitSpec {
    /// The two zones it joins.
    pub between: (String, String),
    /// One-way latency across it.
    pub latency_ms: f64,
}

/// What a host is for (reports and ransomware use it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum HostRole {
    /// The engineers' workstation that programs the PLCs.
    EngineeringWorkstation,
    /// The process historian.
    Historian,
    /// The manufacturing execution system (orders, recipes, labels).
    Mes,
    /// An office workstation in IT.
    ItWorkstation,
    /// The OEM vendor's laptop.
    VendorLaptop,
    /// The attacker's foothold.
    Foothold,
}

/// A host on the plant network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// The host's name (unique among hosts, the HMI and the PLCs).
    pub name: String,
    /// The zone it is in (a `network.zones` name).
    pub zone: String,
    /// Its IPv4 address (unique).
    pub address: String,
    /// What it is for.
    pub role: HostRole,
    /// Whether the plant administers this host (its domain, its software, its backups):
    /// ransomware spreading through the plant reaches only such hosts, and only their loss
    /// is the plant's. Default: every role but `VendorLaptop` (the vendor's own machine).
    #[serde(default)]
    pub managed: Option<bool>,
}

impl HostSpec {
    /// Whether the plant administers it (see `managed`).
    pub fn is_managed(&self) -> bool {
        self.managed
            .unwrap_or(!matches!(self.role, HostRole::VendorLaptop))
    }
}

/// One end of a firewall rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Peer {
    /// Every host of a zone, by the zone's name.
    Zone(String),
    /// A host, the HMI or a PLC, by name.
    Host(String),
}

/// A firewall rule: connections from one peer to another (on one port) are allowed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowRule {
    /// Where the connection comes from.
    pub from: Peer,
    /// Where it goes.
    pub to: Peer,
    /// Destination port (None: any).
    #[serde(default)]
    pub port: Option<u16>,
}

/// Zone firewalls on every conduit: a connection between zones passes only if a rule
/// allows it (default deny). Traffic inside a zone is not filtered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentationSpec {
    /// Whether the firewalls filter (false: deployed but passing everything).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The allow list; everything else between zones is dropped. With `nftables`, allow
    /// rules are exceptions evaluated ahead of the rule set (a flow allowed during the
    /// run).
    #[serde(default)]
    pub allow: Vec<AllowRule>,
    /// The firewall's own nftables rule set in place of the allow list (see
    /// docs/nftables.md for the subset the twin evaluates).
    #[serde(default)]
    pub nftables: Option<NftablesSpec>,
    /// Added per firewall crossed.
    #[serde(default = "default_firewall_latency")]
    pub firewall_latency_ms: f64,
}

fn yes() -> bool {
    true
}

/// A real nftables rule set as the zone firewall: one firewall between the zones, with
/// an interface facing each zone. A connection between zones passes only if the rule
/// set's forward hook passes each of its packets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NftablesSpec {
    /// The rule set, a path relative to the scenario file: the JSON form (`nft -j list
    /// ruleset`, `.json`) or the text form (`.nft`, which the CLI converts with `nft` in
    /// a throwaway network namespace: needs `nft` and CAP_NET_ADMIN).
    pub ruleset: String,
    /// The firewall's interface facing each zone, by zone name (`iifname`/`oifname` in
    /// the rule set). A zone not listed faces an interface named as the zone.
    #[serde(default)]
    pub interfaces: std::collections::BTreeMap<String, String>,
    /// The rule set as read (filled in by loading).
    #[serde(skip)]
    #[schemars(skip)]
    pub loaded: Option<std::sync::Arc<crate::nft::RuleSet>>,
    /// Where it was read from (filled in by loading).
    #[serde(skip)]
    #[schemars(skip)]
    pub source: Option<std::path::PathBuf>,
}

impl NftablesSpec {
    /// The interface facing `zone`.
    pub fn interface<'a>(&'a self, zone: &'a str) -> &'a str {
        self.interfaces
            .get(zone)
            .map(|s| s.as_str())
            .unwrap_or(zone)
    }
}

fn default_firewall_latency() -> f64 {
    0.3
}

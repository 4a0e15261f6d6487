//! Validation of the network: zones, conduits, hosts and an nftables rule set.

use super::*;

/// Zones, conduits and hosts.
pub(crate) fn network_checks(s: &Scenario, c: &mut Checker) {
    let plcs: BTreeSet<&str> = s.plcs.iter().map(|p| p.name.as_str()).collect();
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    hosts.insert(s.hmi.name.as_str());
    if let Some(n) = &s.network {
        let zones: BTreeSet<&str> = n.zones.iter().map(|z| z.as_str()).collect();
        if zones.len() != n.zones.len() {
            c.fail("network.zones", "zone names must be unique");
        }
        c.known("network.hmi_zone".into(), "zone", &n.hmi_zone, &zones);
        c.known("network.plc_zone".into(), "zone", &n.plc_zone, &zones);
        c.non_negative("network.zone_latency_ms", n.zone_latency_ms);
        for (i, k) in n.conduits.iter().enumerate() {
            c.known(
                format!("network.conduits[{i}].between.0"),
                "zone",
                &k.between.0,
                &zones,
            );
            c.known(
                format!("network.conduits[{i}].between.1"),
                "zone",
                &k.between.1,
                &zones,
            );
            if k.between.0 == k.between.1 {
                c.fail(
                    format!("network.conduits[{i}].between"),
                    "a conduit joins two different zones",
                );
            }
            c.non_negative(format!("network.conduits[{i}].latency_ms"), k.latency_ms);
        }
        let mut addresses: BTreeMap<String, String> = BTreeMap::new();
        addresses.insert(s.hmi.address.clone(), "hmi.address".into());
        for (i, p) in s.plcs.iter().enumerate() {
            addresses.insert(p.address.clone(), format!("plcs[{i}].address"));
        }
        for (i, h) in n.hosts.iter().enumerate() {
            let at = |f: &str| format!("network.hosts[{i}].{f}");
            c.known(at("zone"), "zone", &h.zone, &zones);
            if plcs.contains(h.name.as_str()) || !hosts.insert(h.name.as_str()) {
                c.fail(
                    at("name"),
                    format!(
                        "\"{}\" is already the name of a host, the HMI or a PLC",
                        h.name
                    ),
                );
            }
            address(c, at("address"), &h.address, &mut addresses);
        }
    }
}

/// The HMI's and the network's hosts by name.
pub(super) fn host_names(s: &Scenario) -> BTreeSet<&str> {
    std::iter::once(s.hmi.name.as_str())
        .chain(
            s.network
                .iter()
                .flat_map(|n| n.hosts.iter().map(|h| h.name.as_str())),
        )
        .collect()
}

/// An nftables segmentation: the rule set read, each zone facing an interface the
/// kernel would accept as a name, no two zones on one interface.
pub(super) fn nftables_checks(
    n: &crate::scenario::NftablesSpec,
    zones: &BTreeSet<&str>,
    c: &mut Checker,
) {
    if n.loaded.is_none() {
        c.fail(
            "segmentation.nftables.ruleset",
            "the rule set was not read: load the scenario from its file (the rule set is a \
             path relative to it)",
        );
    }
    for z in n.interfaces.keys() {
        c.known(
            format!("segmentation.nftables.interfaces.{z}"),
            "zone",
            z,
            zones,
        );
    }
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for z in zones {
        let name = n.interface(z);
        let field = format!("segmentation.nftables.interfaces.{z}");
        if name.is_empty()
            || name.len() > 15
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            c.fail(
                field.clone(),
                format!(
                    "\"{name}\" cannot name a Linux interface (1 to 15 letters, digits, - _ .): \
                     map the zone to one in `interfaces`"
                ),
            );
        }
        if let Some(other) = seen.insert(name, z) {
            c.fail(
                field,
                format!("zones {other} and {z} both face interface {name}"),
            );
        }
    }
}

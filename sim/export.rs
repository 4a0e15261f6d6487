//! `faultline export`: what was validated in the twin, in the form a real device takes.
//! `nftables` renders a scenario's segmentation as an nftables rule set (the allow list
//! as a rule per allow rule, each with a comment naming the flow it is for; a scenario
//! whose segmentation already is a rule set gets that rule set back, byte for byte);
//! `proxy-policy` renders the twin's DPI rules for one PLC as a `faultline proxy` policy,
//! hosts turned into their addresses.

use crate::scenario::{Peer, Scenario};
use anyhow::{Context, Result, bail};
use std::fmt::Write as _;

/// The firewall's interface facing each zone, in zone order: the rule set's map where
/// the segmentation is one, else the zone's name (or `zoneN` where the name cannot be an
/// interface's).
pub fn interfaces(s: &Scenario) -> Vec<String> {
    let Some(n) = &s.network else {
        return Vec::new();
    };
    let spec = s.segmentation.as_ref().and_then(|g| g.nftables.as_ref());
    n.zones
        .iter()
        .enumerate()
        .map(|(i, z)| match spec {
            Some(x) => x.interface(z).to_string(),
            None if z.len() <= 15
                && !z.is_empty()
                && z.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) =>
            {
                z.clone()
            }
            None => format!("zone{i}"),
        })
        .collect()
}

/// The scenario's segmentation as an nftables rule set (text, or JSON where the
/// scenario's rule set was written as JSON).
pub fn nftables(s: &Scenario) -> Result<String> {
    let Some(seg) = &s.segmentation else {
        bail!("the scenario has no segmentation to export (hint: add a `segmentation` section)");
    };
    let Some(net) = &s.network else {
        bail!("segmentation needs zones: the scenario has no `network` section");
    };
    if let Some(n) = &seg.nftables {
        let path = n
            .source
            .as_ref()
            .context("the rule set was not read from a file")?;
        return std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()));
    }
    let ifs = interfaces(s);
    // Every host of the scenario (the HMI, the PLCs, the others) with its zone and address.
    let hosts = crate::network::Network::new(s, None);
    let host = |name: &str| hosts.host(name).map(|h| &hosts.hosts[h]);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The segmentation of \"{}\", exported by faultline.",
        s.name
    );
    let _ = writeln!(
        out,
        "# One firewall between the zones; the interface facing each zone:"
    );
    for (z, i) in net.zones.iter().zip(&ifs) {
        let _ = writeln!(out, "#   {z}: {i}");
    }
    let _ = writeln!(
        out,
        "# Default deny between zones; replies of allowed connections pass (the twin's\n\
         # zone firewalls are stateful). Each rule's comment names the flow it is for.\n\
         # Check it: nft -c -f FILE"
    );
    out += "table inet faultline {\n    chain forward {\n        type filter hook forward priority filter; policy drop;\n";
    out +=
        "        ct state established,related accept comment \"replies of allowed connections\"\n";
    if !seg.enabled {
        out +=
            "        accept comment \"segmentation deployed but not enforcing (enabled: false)\"\n";
    }
    for (k, r) in seg.allow.iter().enumerate() {
        let mut m = String::new();
        let mut names = Vec::new();
        for (end, p) in [("i", &r.from), ("o", &r.to)] {
            match p {
                Peer::Zone(z) => {
                    let i = net
                        .zones
                        .iter()
                        .position(|x| x == z)
                        .context("validated zone")?;
                    let _ = write!(m, "{end}ifname \"{}\" ", ifs[i]);
                    names.push(format!("zone {z}"));
                }
                Peer::Host(h) => {
                    let x = host(h).context("validated host")?;
                    let dir = if end == "i" { "saddr" } else { "daddr" };
                    let _ = write!(m, "{end}ifname \"{}\" ip {dir} {} ", ifs[x.zone], x.address);
                    names.push(h.clone());
                }
            }
        }
        let port = match r.port {
            Some(p) => {
                let _ = write!(m, "tcp dport {p} ");
                format!(":{p}")
            }
            None => " (any port)".into(),
        };
        let _ = writeln!(
            out,
            "        {m}accept comment \"{} -> {}{port} (allow[{k}])\"",
            names[0], names[1]
        );
    }
    out += "    }\n}\n";
    Ok(out)
}

/// The twin's DPI rules that apply to PLC `plc`, as a `faultline proxy` policy (RON): the
/// PLC becomes `upstream`; a client host becomes its address; a client zone becomes one
/// rule per host the scenario places in it.
pub fn proxy_policy(s: &Scenario, plc: &str) -> Result<String> {
    let Some(dpi) = &s.dpi else {
        bail!("the scenario has no `dpi` section to export");
    };
    let Some(target) = s.plcs.iter().find(|p| p.name == plc) else {
        let known: Vec<&str> = s.plcs.iter().map(|p| p.name.as_str()).collect();
        bail!("no PLC named \"{plc}\"; known: {}", known.join(", "));
    };
    // Every host of the scenario (name, zone, address), as the network places it.
    let network = crate::network::Network::new(s, None);
    let at = network.plc_host(s.plcs.iter().position(|p| p.name == plc).unwrap_or(0));
    let plc_zone = network.zones[network.hosts[at].zone].as_str();
    let hosts: Vec<(String, String, String)> = network
        .hosts
        .iter()
        .map(|h| {
            (
                h.name.clone(),
                network.zones[h.zone].clone(),
                h.address.to_string(),
            )
        })
        .collect();
    let mut rules = Vec::new();
    for (k, r) in dpi.rules.iter().enumerate() {
        let to_it = match &r.to {
            Peer::Host(h) => h == plc,
            Peer::Zone(z) => z == plc_zone,
        };
        if !to_it {
            continue;
        }
        let clients: Vec<&(String, String, String)> = match &r.from {
            Peer::Host(h) => hosts.iter().filter(|x| &x.0 == h).collect(),
            Peer::Zone(z) => hosts.iter().filter(|x| &x.1 == z && x.0 != plc).collect(),
        };
        for c in clients {
            let mut rule = r.clone();
            rule.from = Peer::Host(c.2.clone());
            rule.to = Peer::Host("upstream".into());
            rules.push((
                format!("dpi.rules[{k}]: {} ({}) -> {}", c.0, c.2, plc),
                rule,
            ));
        }
    }
    let mut spec = dpi.clone();
    spec.rules = rules.iter().map(|(_, r)| r.clone()).collect();
    let pretty = ron::ser::PrettyConfig::default();
    let body = ron::ser::to_string_pretty(&spec, pretty).context("rendering the policy")?;
    let mut out = format!(
        "// The DPI policy of \"{}\" for {plc} ({}), exported by faultline for\n\
         // `faultline proxy --policy FILE`. Rules, in order:\n",
        s.name, target.address
    );
    for (why, _) in &rules {
        let _ = writeln!(out, "//   {why}");
    }
    out += &body;
    out.push('\n');
    Ok(out)
}

/// Load the scenario's segmentation into a lab's firewall: its own rule set as written
/// (text or JSON), or the allow list as `faultline export nftables` renders it; no
/// segmentation, no rule set (the firewall routes everything). The lab takes the rule
/// set's text; reading and rendering it is this module's.
pub fn load_into(lab: &crate::netns::Lab, s: &Scenario) -> Result<()> {
    let Some(seg) = &s.segmentation else {
        return Ok(());
    };
    if let Some(n) = &seg.nftables
        && let Some(path) = &n.source
    {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if path.extension().is_some_and(|e| e == "json") {
            return lab.load_json(&text);
        }
        return lab.nft(&text);
    }
    lab.nft(&nftables(s)?)
}

//! Validation of the controls and of a DPI policy (the scenario's or the proxy's).

use super::*;

/// The controls: segmentation, DPI, vendor access, device monitoring, response.
pub(super) fn control_checks(s: &Scenario, c: &mut Checker) {
    let plcs: BTreeSet<&str> = s.plcs.iter().map(|p| p.name.as_str()).collect();
    let hosts = host_names(s);
    let peers: BTreeSet<&str> = hosts.iter().copied().chain(plcs.iter().copied()).collect();
    let zones: BTreeSet<&str> = s
        .network
        .iter()
        .flat_map(|n| n.zones.iter().map(|z| z.as_str()))
        .collect();
    if let Some(seg) = &s.segmentation {
        if s.network.is_none() {
            c.fail(
                "segmentation",
                "zone firewalls need zones: add a `network` section",
            );
        }
        c.non_negative("segmentation.firewall_latency_ms", seg.firewall_latency_ms);
        if let Some(n) = &seg.nftables {
            nftables_checks(n, &zones, c);
        }
        for (i, r) in seg.allow.iter().enumerate() {
            for (end, p) in [("from", &r.from), ("to", &r.to)] {
                let field = format!("segmentation.allow[{i}].{end}");
                match p {
                    Peer::Zone(z) => {
                        c.known(field, "zone", z, &zones);
                    }
                    Peer::Host(h) => {
                        c.known(field, "host", h, &peers);
                    }
                }
            }
        }
    }
    if let Some(d) = &s.dpi {
        let known_peer = |p: &Peer| match p {
            Peer::Zone(_) if s.network.is_none() => {
                Some("zones need a `network` section".to_string())
            }
            Peer::Zone(z) => (!zones.contains(z.as_str())).then(|| {
                let list: Vec<&str> = zones.iter().copied().collect();
                format!("no zone named \"{z}\"; known: {}", list.join(", "))
            }),
            Peer::Host(h) => (!peers.contains(h.as_str())).then(|| {
                let list: Vec<&str> = peers.iter().copied().collect();
                format!("no host named \"{h}\"; known: {}", list.join(", "))
            }),
        };
        c.problems
            .extend(policy_problems(d, "dpi.", &|_, p| known_peer(p)));
    }
    if let Some(v) = &s.vendor {
        vendor_checks(s, v, &hosts, c);
    }
    if let Some(d) = &s.device_monitoring {
        c.positive("device_monitoring.poll_s", d.poll_s);
    }
    if let Some(r) = &s.response {
        response_checks(s, r, c);
    }
    if let Some(a) = &s.authentication {
        c.non_negative("authentication.engineering_mfa_s", a.engineering_mfa_s);
        if let crate::scenario::HmiLogin::Personal {
            timeout_min,
            login_s,
        } = &a.hmi
        {
            c.positive("authentication.hmi.Personal.timeout_min", *timeout_min);
            c.dist("authentication.hmi.Personal.login_s", login_s);
        }
    }
    if let Some(m) = &s.modbus_security {
        modbus_security_checks(m, &plcs, c);
    }
}

/// Vendor access: its host and stations known, its times valid.
fn vendor_checks(
    s: &Scenario,
    v: &crate::scenario::VendorSpec,
    hosts: &BTreeSet<&str>,
    c: &mut Checker,
) {
    let station_names: BTreeSet<&str> = s.stations.iter().map(|x| x.name.as_str()).collect();
    c.known("vendor.host".into(), "host", &v.host, hosts);
    for (j, st) in v.stations.iter().enumerate() {
        c.known(
            format!("vendor.stations[{j}]"),
            "station",
            st,
            &station_names,
        );
    }
    c.dist("vendor.connect_min", &v.connect_min);
    if let crate::scenario::VendorAccess::Gateway {
        approval_min,
        mfa_min,
        session_h,
    } = &v.access
    {
        c.dist("vendor.access.Gateway.approval_min", approval_min);
        c.non_negative("vendor.access.Gateway.mfa_min", *mfa_min);
        c.positive("vendor.access.Gateway.session_h", *session_h);
    }
}

/// Incident response: its containment time and a playbook whose actions have what they act on.
fn response_checks(s: &Scenario, r: &crate::scenario::ResponseSpec, c: &mut Checker) {
    c.dist("response.contain_min", &r.contain_min);
    for (i, play) in r.playbook.iter().enumerate() {
        use crate::scenario::Play;
        let at = |f: &str| format!("response.playbook[{i}].{f}");
        match play {
            Play::BlockHost => {}
            Play::IsolateZone { restore_min } => {
                if s.network.is_none() {
                    c.fail(
                        format!("response.playbook[{i}]"),
                        "isolating a zone needs zones: add a `network` section",
                    );
                }
                c.dist(at("restore_min"), restore_min)
            }
            Play::RevokeVendor { onsite_h } => {
                if s.vendor.is_none() {
                    c.fail(
                        format!("response.playbook[{i}]"),
                        "there is no vendor access to revoke: add a `vendor` section or drop this action",
                    );
                }
                c.dist(at("onsite_h"), onsite_h)
            }
            Play::SafeStop { restart_min } => c.dist(at("restart_min"), restart_min),
            Play::RestorePlc { restore_min } => c.dist(at("restore_min"), restore_min),
        }
    }
    if r.playbook.is_empty() {
        c.fail(
            "response.playbook",
            "an empty playbook does nothing: list at least one action (BlockHost, IsolateZone, RevokeVendor, SafeStop, RestorePlc)",
        );
    }
}

/// Modbus/TCP Security: its gateways known, its times and renewal valid.
fn modbus_security_checks(
    m: &crate::scenario::ModbusSecuritySpec,
    plcs: &BTreeSet<&str>,
    c: &mut Checker,
) {
    for (j, g) in m.gateway.iter().enumerate() {
        c.known(format!("modbus_security.gateway[{j}]"), "PLC", g, plcs);
    }
    c.non_negative("modbus_security.handshake_ms", m.handshake_ms);
    c.non_negative(
        "modbus_security.resumed_handshake_ms",
        m.resumed_handshake_ms,
    );
    c.non_negative("modbus_security.per_request_us", m.per_request_us);
    c.positive("modbus_security.session_h", m.session_h);
    if let Some(h) = m.hmi_certificate_expires_h {
        c.non_negative("modbus_security.hmi_certificate_expires_h", h);
    }
    match &m.renewal {
        crate::scenario::Renewal::Manual { renew_h } => {
            c.dist("modbus_security.renewal.Manual.renew_h", renew_h)
        }
        crate::scenario::Renewal::Automated {
            failure_probability,
            renew_h,
        } => {
            c.probability(
                "modbus_security.renewal.Automated.failure_probability",
                *failure_probability,
            );
            c.dist("modbus_security.renewal.Automated.renew_h", renew_h)
        }
    }
}

/// What is wrong with a DPI policy, each problem at its field (`prefix` + `rules[i]…`):
/// the same checks for a scenario's `dpi` and for `faultline proxy --policy`. `peer` says
/// what is wrong with a rule's end (`"from"` or `"to"`), or `None` when it names something
/// that exists.
pub fn policy_problems(
    d: &crate::scenario::controls::DpiSpec,
    prefix: &str,
    peer: &dyn Fn(&str, &Peer) -> Option<String>,
) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    c.non_negative(format!("{prefix}latency_ms"), d.latency_ms);
    c.dist(format!("{prefix}review_min"), &d.review_min);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in d.rules.iter().enumerate() {
        let at = |f: &str| format!("{prefix}rules[{i}]{f}");
        for (end, p) in [("from", &r.from), ("to", &r.to)] {
            if let Some(m) = peer(end, p) {
                c.fail(at(&format!(".{end}")), m);
            }
        }
        let ranges = |c: &mut Checker, field: String, list: &[(u16, u16)]| {
            for (j, (lo, hi)) in list.iter().enumerate() {
                if lo > hi {
                    c.fail(
                        format!("{field}[{j}]"),
                        format!("({lo}, {hi}): ranges must run low to high"),
                    );
                }
            }
        };
        ranges(&mut c, at(".read_ranges"), &r.read_ranges);
        ranges(&mut c, at(".write_ranges"), &r.write_ranges);
        for (j, f) in r.function_ranges.iter().enumerate() {
            ranges(
                &mut c,
                at(&format!(".function_ranges[{j}].ranges")),
                &f.ranges,
            );
        }
        for (j, b) in r.value_bounds.iter().enumerate() {
            if b.min > b.max || b.addresses.0 > b.addresses.1 {
                c.fail(
                    at(&format!(".value_bounds[{j}]")),
                    "ranges must run low to high",
                );
            }
        }
        if let Some((rate, burst)) = r.rate_limit
            && !(rate.is_finite() && rate > 0.0 && burst.is_finite() && burst >= 1.0)
        {
            c.fail(
                at(".rate_limit"),
                format!("({rate}, {burst}): rate > 0 and burst ≥ 1, both finite"),
            );
        }
        // The same rule twice is a mistake (the second can never decide anything).
        let key = format!("{r:?}");
        if let Some(first) = seen.insert(key, i) {
            c.fail(at(""), format!("the same rule as {prefix}rules[{first}]"));
        }
    }
    c.problems
}

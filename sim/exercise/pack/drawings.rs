//! The situation manual's drawings: the line in flow order and the network by zone, as
//! inline SVG (printable, nothing fetched).

use crate::report::html::esc;
use crate::scenario::Scenario;

/// The line as stations in flow order (columns by depth from the sources), arrows for
/// what feeds what, and each station's PLC.
pub(super) fn line_svg(s: &Scenario) -> String {
    let n = s.stations.len();
    let index = |name: &str| s.stations.iter().position(|x| x.name == name);
    // Depth: the longest chain of stations feeding this one.
    let mut depth = vec![0usize; n];
    for _ in 0..n {
        for (i, st) in s.stations.iter().enumerate() {
            for f in &st.feeds {
                if let Some(j) = index(f) {
                    depth[j] = depth[j].max(depth[i] + 1);
                }
            }
        }
    }
    let cols = depth.iter().max().map_or(1, |d| d + 1);
    let mut row = vec![0usize; n];
    let mut per_col = vec![0usize; cols];
    for i in 0..n {
        row[i] = per_col[depth[i]];
        per_col[depth[i]] += 1;
    }
    let rows = per_col.iter().copied().max().unwrap_or(1).max(1);
    let (bw, bh, gx, gy) = (118.0, 54.0, 34.0, 40.0);
    let width = cols as f64 * (bw + gx) + gx;
    let height = rows as f64 * (bh + gy + 16.0) + gy;
    let pos = |i: usize| {
        (
            gx + depth[i] as f64 * (bw + gx),
            gy / 2.0 + row[i] as f64 * (bh + gy + 16.0),
        )
    };
    let plc_of = |name: &str| {
        s.plcs
            .iter()
            .find(|p| p.stations.iter().any(|x| x == name))
            .map(|p| p.name.as_str())
            .unwrap_or("–")
    };
    let mut svg = format!(
        "<svg id=\"line-diagram\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"the line\" style=\"max-width:100%;height:auto;font-family:sans-serif\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/></marker></defs>"
    );
    for (i, st) in s.stations.iter().enumerate() {
        let (x, y) = pos(i);
        for f in &st.feeds {
            if let Some(j) = index(f) {
                let (x2, y2) = pos(j);
                svg.push_str(&format!(
                    "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>",
                    x + bw,
                    y + bh / 2.0,
                    x2 - 2.0,
                    y2 + bh / 2.0
                ));
            }
        }
    }
    for (i, st) in s.stations.iter().enumerate() {
        let (x, y) = pos(i);
        svg.push_str(&format!(
            "<g class=\"station\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{bh}\" rx=\"4\" fill=\"#d9d9d9\" stroke=\"#444\" stroke-width=\"1.5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#1e5ac8\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">{}</text></g>",
            x + bw / 2.0,
            y + 22.0,
            esc(&st.name),
            x + bw / 2.0,
            y + 40.0,
            esc(plc_of(&st.name)),
            x + bw / 2.0,
            y + bh + 13.0,
            if st.feeds.is_empty() {
                "→ line output".to_string()
            } else {
                format!("buffer {}", st.buffer)
            }
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The network: one box per zone with its hosts (the HMI and the PLCs in theirs), and the
/// conduits between zones as arcs with their latency.
/// The zones with the HMI, the hosts (but those in `hidden`) and the PLCs.
pub(super) fn network_svg(s: &Scenario, hidden: &[String]) -> String {
    let mut zones: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let (hmi_zone, plc_zone) = match &s.network {
        Some(n) => {
            for z in &n.zones {
                zones.push((z.clone(), Vec::new()));
            }
            (n.hmi_zone.clone(), n.plc_zone.clone())
        }
        None => {
            zones.push(("flat network".into(), Vec::new()));
            ("flat network".into(), "flat network".into())
        }
    };
    let mut put = |zone: &str, name: &str, addr: &str| {
        if let Some(z) = zones.iter_mut().find(|z| z.0 == zone) {
            z.1.push((name.to_string(), addr.to_string()));
        }
    };
    put(&hmi_zone, &format!("{} (HMI)", s.hmi.name), &s.hmi.address);
    if let Some(n) = &s.network {
        for h in n.hosts.iter().filter(|h| !hidden.contains(&h.name)) {
            put(&h.zone, &h.name, &h.address);
        }
    }
    for p in &s.plcs {
        put(&plc_zone, &p.name, &p.address);
    }
    let (zw, gx, line) = (168.0, 22.0, 28.0);
    let top = 70.0;
    let tallest = zones.iter().map(|z| z.1.len()).max().unwrap_or(0) as f64;
    let zh = 34.0 + tallest * line;
    let width = zones.len() as f64 * (zw + gx) + gx;
    let height = top + zh + 20.0;
    let x_of = |i: usize| gx + i as f64 * (zw + gx);
    let mut svg = format!(
        "<svg id=\"network-diagram\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {height:.0}\" width=\"{width:.0}\" height=\"{height:.0}\" role=\"img\" aria-label=\"the network\" style=\"max-width:100%;height:auto;font-family:sans-serif\">"
    );
    if let Some(n) = &s.network {
        for c in &n.conduits {
            let a = zones.iter().position(|z| z.0 == c.between.0);
            let b = zones.iter().position(|z| z.0 == c.between.1);
            if let (Some(a), Some(b)) = (a, b) {
                let (x1, x2) = (x_of(a) + zw / 2.0, x_of(b) + zw / 2.0);
                let lift = 18.0 + 12.0 * (a.abs_diff(b) as f64 - 1.0).max(0.0);
                svg.push_str(&format!(
                    "<path class=\"conduit\" d=\"M{x1:.1},{top:.1} Q{:.1},{:.1} {x2:.1},{top:.1}\" fill=\"none\" stroke=\"#1e5ac8\" stroke-width=\"2\"/>\
                     <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#1e5ac8\">{} ms</text>",
                    (x1 + x2) / 2.0,
                    top - 2.0 * lift,
                    (x1 + x2) / 2.0,
                    top - lift - 4.0,
                    c.latency_ms
                ));
            }
        }
    }
    for (i, (zone, hosts)) in zones.iter().enumerate() {
        let x = x_of(i);
        svg.push_str(&format!(
            "<g class=\"zone\"><rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{zw}\" height=\"{zh:.1}\" rx=\"6\" fill=\"#f4f4f4\" stroke=\"#444\" stroke-width=\"1.5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\" fill=\"#222\">{}</text>",
            x + zw / 2.0,
            top + 20.0,
            esc(zone)
        ));
        for (k, (name, addr)) in hosts.iter().enumerate() {
            let y = top + 34.0 + k as f64 * line;
            svg.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"3\" fill=\"#d9d9d9\" stroke=\"#777\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10.5\" fill=\"#222\">{} <tspan fill=\"#555\">{}</tspan></text>",
                x + 6.0,
                zw - 12.0,
                line - 5.0,
                x + 11.0,
                y + 15.0,
                esc(name),
                esc(addr)
            ));
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    svg
}

//! Validation: every semantic problem of a parsed scenario, placed by its field path, with a hint.

use super::*;

mod attack;
mod controls;
mod network;
use attack::*;
pub use controls::*;
use network::*;

pub(crate) struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }

    fn positive(&mut self, field: impl Into<String>, v: f64) {
        if !(v.is_finite() && v > 0.0) {
            self.fail(field, format!("{v} must be a number > 0"));
        }
    }

    fn non_negative(&mut self, field: impl Into<String>, v: f64) {
        if !(v.is_finite() && v >= 0.0) {
            self.fail(field, format!("{v} must be a number ≥ 0"));
        }
    }

    fn probability(&mut self, field: impl Into<String>, v: f64) {
        if !(0.0..=1.0).contains(&v) {
            self.fail(field, format!("{v} must be in [0, 1]"));
        }
    }

    fn dist(&mut self, field: impl Into<String>, d: &crate::dist::Dist) {
        if let Some(m) = d.check() {
            self.fail(field, m);
        }
    }

    fn known(&mut self, field: String, what: &str, name: &str, known: &BTreeSet<&str>) -> bool {
        if known.contains(name) {
            return true;
        }
        let list: Vec<&str> = known.iter().copied().collect();
        self.fail(
            field,
            format!("no {what} named \"{name}\"; known: {}", list.join(", ")),
        );
        false
    }

    fn unique<'a>(&mut self, list: &str, names: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeMap::new();
        for (i, n) in names.enumerate() {
            if let Some(first) = seen.insert(n, i) {
                self.fail(
                    format!("{list}[{i}].name"),
                    format!("\"{n}\" is already the name of {list}[{first}]"),
                );
            }
            if n.trim().is_empty() {
                self.fail(format!("{list}[{i}].name"), "must not be empty");
            }
        }
    }
}

/// Every semantic problem in the scenario (empty when valid).
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    if !(s.duration_h.is_finite() && s.duration_h > 0.0 && s.duration_h <= 24.0 * 366.0) {
        c.fail(
            "duration_h",
            format!("{} must be > 0 and at most a year (8784)", s.duration_h),
        );
    }
    if s.tick_ms == 0 || s.tick_ms > 1000 {
        c.fail(
            "tick_ms",
            format!("{} must be between 1 and 1000", s.tick_ms),
        );
    }
    let tick_ms = s.tick_ms.max(1);

    let names = station_checks(s, &mut c);
    let mut addresses = plc_checks(s, &mut c, tick_ms, &names);
    operation_checks(s, &mut c, tick_ms, &names, &mut addresses);
    network_checks(s, &mut c);
    control_checks(s, &mut c);
    attack_checks(s, &mut c);
    if let Some(r) = &s.risk {
        risk_checks(r, &mut c);
    }
    let cost = &s.cost;
    let mut prices = vec![
        ("cost.downtime_per_h", cost.downtime_per_h),
        ("cost.scrap_per_unit", cost.scrap_per_unit),
        ("cost.per_false_positive", cost.per_false_positive),
    ];
    if let Some(o) = &cost.out_of_band {
        match o.held.check() {
            Some(("per_unit", _)) | None => {}
            Some((field, m)) => c.fail(format!("cost.out_of_band.held.{field}"), m),
        }
        if let crate::scenario::Disposition::Rework { per_unit, .. } = o.held {
            prices.push(("cost.out_of_band.held.per_unit", per_unit));
        }
        prices.extend([
            ("cost.out_of_band.test_per_lot", o.test_per_lot),
            ("cost.out_of_band.recall_per_unit", o.recall_per_unit),
            ("cost.out_of_band.recall_fixed", o.recall_fixed),
            ("cost.out_of_band.regulatory", o.regulatory),
        ]);
    }
    for (field, q) in prices {
        if let Some(m) = q.check_non_negative() {
            c.fail(field, m);
        }
    }
    if let Some(f) = &s.cost.incident {
        let names = [
            "succeeded_with_effect",
            "succeeded_without_effect",
            "detected",
            "blocked",
        ];
        for (name, q) in names.iter().zip(f.all()) {
            if let Some(m) = q.check_non_negative() {
                c.fail(format!("cost.incident.{name}"), m);
            }
        }
    }
    // Units, ranges, empty names and repeated items, as the schema (and the reference)
    // states them; a field a check above already placed is not reported twice.
    let placed: Vec<String> = c.problems.iter().map(|p| p.field.clone()).collect();
    let related = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}.")) || a.starts_with(&format!("{b}["))
    };
    for p in crate::scenario::schema::scenario_problems(s) {
        if !placed
            .iter()
            .any(|f| related(f, &p.field) || related(&p.field, f))
        {
            c.problems.push(p);
        }
    }
    c.problems
}

/// Risk per year: a frequency, operating days within a year, each control priced once.
fn risk_checks(r: &crate::scenario::RiskSpec, c: &mut Checker) {
    c.dist("risk.campaigns_per_year", &r.campaigns_per_year);
    if !(r.operating_days.is_finite() && r.operating_days > 0.0 && r.operating_days <= 366.0) {
        c.fail(
            "risk.operating_days",
            format!("{} must be > 0 and at most 366", r.operating_days),
        );
    }
    c.unique(
        "risk.controls",
        r.controls.iter().map(|p| p.control.as_str()),
    );
    for (i, p) in r.controls.iter().enumerate() {
        let at = |f: &str| format!("risk.controls[{i}].{f}");
        if !crate::scenario::CONTROL_NAMES.contains(&p.control.as_str()) {
            c.fail(
                at("control"),
                format!(
                    "unknown control \"{}\"; known: {}",
                    p.control,
                    crate::scenario::CONTROL_NAMES.join(", ")
                ),
            );
        }
        if let Some(m) = p.purchase.check_non_negative() {
            c.fail(at("purchase"), m);
        }
        c.positive(at("life_years"), p.life_years);
        if let Some(m) = p.running_per_year.check_non_negative() {
            c.fail(at("running_per_year"), m);
        }
    }
}
/// The stations and the flow graph; returns the stations' names.
fn station_checks<'a>(s: &'a Scenario, c: &mut Checker) -> BTreeSet<&'a str> {
    if s.stations.is_empty() {
        c.fail("stations", "a line needs at least one station");
    }
    c.unique("stations", s.stations.iter().map(|x| x.name.as_str()));
    let names: BTreeSet<&str> = s.stations.iter().map(|x| x.name.as_str()).collect();
    for (i, st) in s.stations.iter().enumerate() {
        let at = |f: &str| format!("stations[{i}].{f}");
        c.positive(at("cycle_s"), st.cycle_s);
        if !(st.jitter_cv.is_finite() && (0.0..0.5).contains(&st.jitter_cv)) {
            c.fail(
                at("jitter_cv"),
                format!("{} must be in [0, 0.5)", st.jitter_cv),
            );
        }
        if !(st.yield_fraction > 0.0 && st.yield_fraction <= 1.0) {
            c.fail(
                at("yield"),
                format!("{} must be in (0, 1]", st.yield_fraction),
            );
        }
        for (j, f) in st.feeds.iter().enumerate() {
            if c.known(at(&format!("feeds[{j}]")), "station", f, &names) && *f == st.name {
                c.fail(at(&format!("feeds[{j}]")), "a station cannot feed itself");
            }
        }
        if let Some(fs) = &st.failures {
            c.dist(at("failures.between_h"), &fs.between_h);
            c.dist(at("failures.repair_min"), &fs.repair_min);
        }
        if let StationKind::Thermal(t) = &st.kind {
            let at = |f: &str| format!("stations[{i}].kind.Thermal.{f}");
            c.positive(at("tau_s"), t.tau_s);
            if let Some(v) = t.initial_c
                && !v.is_finite()
            {
                // (The schema check sees a non-finite option as None.)
                c.fail(at("initial_c"), format!("{v} must be a finite temperature"));
            }
            c.positive(at("gain_c"), t.gain_c);
            c.non_negative(at("load_c"), t.load_c);
            c.non_negative(at("inspection_min"), t.inspection_min);
            c.non_negative(at("pid.ti_s"), t.pid.ti_s);
            c.non_negative(at("pid.td_s"), t.pid.td_s);
            c.positive(at("pid.kp"), t.pid.kp);
            let (lo, hi) = t.band_c;
            if !(lo < hi && hi < t.trip_above_c) {
                c.fail(
                    at("band_c"),
                    format!(
                        "({lo}, {hi}) must satisfy low < high < trip_above_c ({})",
                        t.trip_above_c
                    ),
                );
            }
            if !(lo..=hi).contains(&t.setpoint_c) {
                c.fail(
                    at("setpoint_c"),
                    format!("{} lies outside band_c ({lo}, {hi})", t.setpoint_c),
                );
            }
            let mut seen = BTreeSet::new();
            for (k, (product, (plo, phi))) in t.product_bands.iter().enumerate() {
                let f = at(&format!("product_bands[{k}]"));
                if !seen.insert(*product) {
                    c.fail(f.clone(), format!("product {product} has a band already"));
                }
                if !(plo.is_finite() && phi.is_finite() && plo < phi && *phi < t.trip_above_c) {
                    c.fail(
                        f,
                        format!(
                            "({plo}, {phi}) must satisfy low < high < trip_above_c ({})",
                            t.trip_above_c
                        ),
                    );
                }
            }
            if t.reset_below_c >= t.trip_above_c {
                c.fail(
                    at("reset_below_c"),
                    format!(
                        "{} must be below trip_above_c ({})",
                        t.reset_below_c, t.trip_above_c
                    ),
                );
            }
            if t.ambient_c + t.gain_c - t.load_c < t.setpoint_c {
                c.fail(
                    at("gain_c"),
                    format!(
                        "the heater cannot reach the setpoint under load: ambient {} + gain {} - load {} < setpoint {}; raise gain_c",
                        t.ambient_c, t.gain_c, t.load_c, t.setpoint_c
                    ),
                );
            }
        }
    }
    if c.problems.is_empty() && !s.stations.is_empty() {
        graph_checks(s, c);
    }
    names
}

/// Device profiles and PLCs; returns the addresses taken, with the field that took each.
fn plc_checks(
    s: &Scenario,
    c: &mut Checker,
    tick_ms: u32,
    names: &BTreeSet<&str>,
) -> BTreeMap<String, String> {
    let profiles = s.all_profiles();
    c.unique("profiles", s.profiles.iter().map(|p| p.name.as_str()));
    for (i, p) in s.profiles.iter().enumerate() {
        if p.max_connections == 0 {
            c.fail(
                format!("profiles[{i}].max_connections"),
                "must be at least 1",
            );
        }
        if p.queue_limit == 0 {
            c.fail(format!("profiles[{i}].queue_limit"), "must be at least 1");
        }
        if let Some(w) = &p.watchdog {
            c.dist(format!("profiles[{i}].watchdog.recovery_s"), &w.recovery_s);
            c.dist(
                format!("profiles[{i}].watchdog.overload_scans"),
                &w.overload_scans,
            );
            if w.overload_scans.mean() < 1.0 {
                c.fail(
                    format!("profiles[{i}].watchdog.overload_scans"),
                    "must be at least 1 scan on average",
                );
            }
        }
        c.positive(format!("profiles[{i}].idle_timeout_s"), p.idle_timeout_s);
        c.positive(format!("profiles[{i}].frame_timeout_s"), p.frame_timeout_s);
        if !(0.0..=1.0).contains(&p.fault_probability) {
            c.fail(
                format!("profiles[{i}].fault_probability"),
                format!(
                    "{} is not a probability: give a number from 0 to 1",
                    p.fault_probability
                ),
            );
        }
    }
    let profile_names: BTreeSet<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    c.unique("plcs", s.plcs.iter().map(|p| p.name.as_str()));
    let mut controlled: BTreeMap<&str, usize> = BTreeMap::new();
    let mut addresses: BTreeMap<String, String> = BTreeMap::new();
    for (i, p) in s.plcs.iter().enumerate() {
        let at = |f: &str| format!("plcs[{i}].{f}");
        c.known(at("profile"), "profile", &p.profile, &profile_names);
        if p.stations.is_empty() || p.stations.len() > 32 {
            c.fail(at("stations"), "a PLC controls between 1 and 32 stations");
        }
        for (j, st) in p.stations.iter().enumerate() {
            if c.known(at(&format!("stations[{j}]")), "station", st, names)
                && let Some(prev) = controlled.insert(st, i)
            {
                c.fail(
                    at(&format!("stations[{j}]")),
                    format!("\"{st}\" is already controlled by plcs[{prev}]"),
                );
            }
        }
        if p.scan_ms == 0 || p.scan_ms % tick_ms != 0 {
            c.fail(
                at("scan_ms"),
                format!(
                    "{} must be a positive multiple of tick_ms ({tick_ms})",
                    p.scan_ms
                ),
            );
        }
        address(c, at("address"), &p.address, &mut addresses);
    }
    for (i, st) in s.stations.iter().enumerate() {
        if !controlled.contains_key(st.name.as_str()) && !s.plcs.is_empty() {
            c.fail(
                format!("stations[{i}]"),
                format!(
                    "\"{}\" is controlled by no PLC; add it to a plcs[…].stations list",
                    st.name
                ),
            );
        }
    }
    if s.plcs.is_empty() {
        c.fail("plcs", "a line needs at least one PLC");
    }
    addresses
}

/// The HMI, operator, schedule and line.
fn operation_checks(
    s: &Scenario,
    c: &mut Checker,
    tick_ms: u32,
    names: &BTreeSet<&str>,
    addresses: &mut BTreeMap<String, String>,
) {
    let h = &s.hmi;
    if h.poll_ms == 0 || !h.poll_ms.is_multiple_of(tick_ms) {
        c.fail(
            "hmi.poll_ms",
            format!(
                "{} must be a positive multiple of tick_ms ({tick_ms})",
                h.poll_ms
            ),
        );
    }
    if h.slow_poll_every == 0 {
        c.fail("hmi.slow_poll_every", "must be at least 1");
    }
    if h.timeout_ms == 0 {
        c.fail("hmi.timeout_ms", "must be at least 1");
    }
    c.non_negative("hmi.latency_ms", h.latency_ms);
    if h.latency_ms.is_finite() && 2.0 * h.latency_ms >= f64::from(h.timeout_ms) {
        c.fail(
            "hmi.latency_ms",
            format!(
                "a round trip of 2 × {} ms reaches the timeout of {} ms",
                h.latency_ms, h.timeout_ms
            ),
        );
    }
    address(c, "hmi.address".into(), &h.address, addresses);
    c.dist("operator.response_s", &s.operator.response_s);
    c.positive("operator.floor_notice_min", s.operator.floor_notice_min);
    for (i, e) in s.schedule.iter().enumerate() {
        if !(e.at_h.is_finite() && e.at_h >= 0.0 && e.at_h <= s.duration_h) {
            c.fail(
                format!("schedule[{i}].at_h"),
                format!(
                    "{} must lie within the run, 0 to duration_h ({})",
                    e.at_h, s.duration_h
                ),
            );
        }
        if let Action::Changeover { setpoints, product } = &e.action {
            for (j, sp) in setpoints.iter().enumerate() {
                let at = format!("schedule[{i}].action.setpoints[{j}]");
                match sp {
                    Setpoint::Speed(name, pct) => {
                        c.known(at.clone(), "station", name, names);
                        if !(10..=200).contains(pct) {
                            c.fail(at, format!("speed {pct} % must be between 10 and 200"));
                        }
                    }
                    Setpoint::Temperature(name, t) => {
                        if c.known(at.clone(), "station", name, names) {
                            match s.stations.iter().find(|x| &x.name == name).map(|x| &x.kind) {
                                Some(StationKind::Thermal(th))
                                    if !(th.band_for(*product).0..=th.band_for(*product).1)
                                        .contains(t) =>
                                {
                                    c.fail(
                                        at,
                                        format!(
                                            "{t} °C lies outside {name}'s band for product \
                                             {product} {:?}",
                                            th.band_for(*product)
                                        ),
                                    );
                                }
                                Some(StationKind::Thermal(_)) => {}
                                _ => c.fail(at, format!("\"{name}\" is not a Thermal station")),
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(b) = &s.line.bottleneck {
        c.known("line.bottleneck".into(), "station", b, names);
    }
    if let Some(t) = s.line.target_per_h {
        c.positive("line.target_per_h", t);
    }
}

pub(crate) fn address(
    c: &mut Checker,
    field: String,
    text: &str,
    seen: &mut BTreeMap<String, String>,
) {
    match text.parse::<Ipv4Addr>() {
        Err(_) => c.fail(
            field,
            format!("\"{text}\" is not an IPv4 address (e.g. \"10.10.2.11\")"),
        ),
        Ok(ip) => match seen.get(&ip.to_string()) {
            Some(prev) => c.fail(field, format!("{text} is already the address of {prev}")),
            None => {
                seen.insert(ip.to_string(), field);
            }
        },
    }
}

pub(crate) fn graph_checks(s: &Scenario, c: &mut Checker) {
    let n = s.stations.len();
    let mut indegree = vec![0usize; n];
    for st in &s.stations {
        // A feed to no station is reported where the feeds are checked.
        for j in st.feeds.iter().filter_map(|f| s.station_index(f)) {
            indegree[j] += 1;
        }
    }
    // Kahn's algorithm: what is left over sits on a cycle.
    let mut queue: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut deg = indegree.clone();
    let mut seen = 0;
    while let Some(i) = queue.pop() {
        seen += 1;
        for j in s.stations[i]
            .feeds
            .iter()
            .filter_map(|f| s.station_index(f))
        {
            deg[j] -= 1;
            if deg[j] == 0 {
                queue.push(j);
            }
        }
    }
    if seen < n {
        let on_cycle: Vec<&str> = (0..n)
            .filter(|&i| deg[i] > 0)
            .map(|i| s.stations[i].name.as_str())
            .collect();
        c.fail(
            "stations",
            format!(
                "the flow has a loop through {}; a line flows one way",
                on_cycle.join(" → ")
            ),
        );
    }
    if !s.stations.iter().any(|st| st.feeds.is_empty()) {
        c.fail(
            "stations",
            "no station is the line's output (a station with no `feeds`)",
        );
    }
    for (i, st) in s.stations.iter().enumerate() {
        if indegree[i] > 0 && st.buffer == 0 {
            c.fail(
                format!("stations[{i}].buffer"),
                "a station fed by others needs a buffer of at least 1",
            );
        }
    }
}

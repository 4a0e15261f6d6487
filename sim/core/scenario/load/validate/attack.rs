//! Validation of the attacker, the campaign's steps and the monitoring that watches them.

use super::*;

/// A stochastic attacker only draws steps it can carry out from its foothold: a man in
/// the middle needs a host on the path between the HMI and the PLC (a control that stops a
/// step is a result; a step that cannot happen at all is a mistake in the scenario).
pub(super) fn feasible_steps(s: &Scenario, a: &crate::scenario::AttackerSpec, c: &mut Checker) {
    let Some(n) = &s.network else {
        return;
    };
    if !c.problems.is_empty() {
        return;
    }
    let zone = |name: &str| n.zones.iter().position(|z| z == name);
    let edges: Vec<(usize, usize)> = n
        .conduits
        .iter()
        .filter_map(|k| Some((zone(&k.between.0)?, zone(&k.between.1)?)))
        .collect();
    let host_zone = |h: &str| {
        if h == s.hmi.name {
            zone(&n.hmi_zone)
        } else {
            n.hosts
                .iter()
                .find(|x| x.name == h)
                .and_then(|x| zone(&x.zone))
        }
    };
    let (Some(from), Some(hmi), Some(plcs)) =
        (host_zone(&a.from), zone(&n.hmi_zone), zone(&n.plc_zone))
    else {
        return;
    };
    for (j, st) in a.steps.iter().enumerate() {
        if let crate::scenario::AttackStep::SpoofReporting { plc, .. } = &st.step
            && !crate::zones::on_path(n.zones.len(), &edges, from, hmi, plcs)
        {
            c.fail(
                format!("attacker.steps[{j}].step"),
                format!(
                    "SpoofReporting on {plc} can never work from \"{}\": it is not on the path \
                     between the HMI and the PLC (hint: start the attacker on a host in the HMI's \
                     or the PLC's zone, or a zone the path crosses, or remove the step)",
                    a.from
                ),
            );
        }
    }
}

/// The attacker, condition monitoring, the IDS and the attack steps.
pub(super) fn attack_checks(s: &Scenario, c: &mut Checker) {
    let plcs: BTreeSet<&str> = s.plcs.iter().map(|p| p.name.as_str()).collect();
    let hosts = host_names(s);
    if let Some(a) = &s.attacker {
        if s.network.is_none() {
            c.fail(
                "attacker.from",
                "an attacker needs a `network` section with its host",
            );
        } else {
            c.known("attacker.from".into(), "host", &a.from, &hosts);
        }
        c.dist("attacker.start_h", &a.start_h);
        c.dist("attacker.dwell_h", &a.dwell_h);
        for (j, st) in a.steps.iter().enumerate() {
            if !(0.0..=1.0).contains(&st.success_probability) {
                c.fail(
                    format!("attacker.steps[{j}].success_probability"),
                    format!("{} must be in [0, 1]", st.success_probability),
                );
            }
            if let Some(t) = st.step.target() {
                c.known(format!("attacker.steps[{j}].step.plc"), "PLC", t, &plcs);
            }
        }
        feasible_steps(s, a, c);
    }
    for (j, h) in s.health.iter().enumerate() {
        let at = |f: &str| format!("health[{j}].{f}");
        let station_names: BTreeSet<&str> = s.stations.iter().map(|x| x.name.as_str()).collect();
        if c.known(at("station"), "station", &h.station, &station_names)
            && s.stations
                .iter()
                .any(|x| x.name == h.station && x.failures.is_none())
        {
            c.fail(
                at("station"),
                format!("\"{}\" has no failures to foresee", h.station),
            );
        }
        c.positive(at("pf_interval_h"), h.pf_interval_h);
        if !(0.0..=1.0).contains(&h.detect_probability) {
            c.fail(
                at("detect_probability"),
                format!("{} must be in [0, 1]", h.detect_probability),
            );
        }
        c.non_negative(at("lead_min"), h.lead_min);
        c.positive(at("planned_stop_min"), h.planned_stop_min);
    }
    if let Some(ids) = &s.ids {
        c.non_negative("ids.learn_h", ids.learn_h);
        c.dist("ids.detection_delay_s", &ids.detection_delay_s);
        c.non_negative("ids.false_alarms_per_day", ids.false_alarms_per_day);
        if !(ids.rate_spike_factor.is_finite() && ids.rate_spike_factor > 1.0) {
            c.fail(
                "ids.rate_spike_factor",
                format!("{} must be > 1", ids.rate_spike_factor),
            );
        }
    }
    for (i, a) in s.attacks.iter().enumerate() {
        let at = |f: &str| format!("attacks[{i}].{f}");
        if !(a.at_h.is_finite() && a.at_h >= 0.0 && a.at_h <= s.duration_h) {
            c.fail(
                at("at_h"),
                format!(
                    "{} must lie within the run, 0 to duration_h ({})",
                    a.at_h, s.duration_h
                ),
            );
        }
        if s.network.is_none() {
            c.fail(
                at("from"),
                "attacks run from a host: add a `network` section with it",
            );
        } else {
            c.known(at("from"), "host", &a.from, &hosts);
        }
        if let Some(t) = a.step.target() {
            c.known(at("step.plc"), "PLC", t, &plcs);
        }
        match a.step {
            AttackStep::Scan { rate_per_s } => c.positive(at("step.rate_per_s"), rate_per_s),
            AttackStep::SpoofReporting { duration_s, .. } => {
                c.positive(at("step.duration_s"), duration_s)
            }
            AttackStep::Ransomware {
                ref recovery_h,
                precautionary_shutdown_h,
            } => {
                if let Some(m) = recovery_h.check() {
                    c.fail(at("step.recovery_h"), m);
                }
                if let Some(h) = precautionary_shutdown_h {
                    c.positive(at("step.precautionary_shutdown_h"), h);
                }
            }
            AttackStep::Flood {
                rate_per_s,
                duration_s,
                ..
            } => {
                c.positive(at("step.rate_per_s"), rate_per_s);
                c.positive(at("step.duration_s"), duration_s);
                if rate_per_s > 10_000.0 {
                    c.fail(
                        at("step.rate_per_s"),
                        format!("{rate_per_s} requests/s: at most 10,000"),
                    );
                }
            }
            _ => {}
        }
    }
}

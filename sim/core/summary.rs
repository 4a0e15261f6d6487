//! The report model: plain data computed from a finished World, rendered by separate
//! writers in the adapters (terminal text, JSON, CSV, HTML). Same run, same bytes.

use crate::hmi::HmiStats;
use crate::metrics::Condition;
use crate::plc::FaultCause;
use crate::time::{Micros, US_PER_H, to_hours};
use crate::world::World;
use serde::Serialize;

pub mod actors;
mod cost;
pub mod firewall;
pub mod out_of_band;
mod rows;
mod tree;
pub use cost::{CauseCost, CauseKind, CostSummary, StepOutcome};

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub duration_h: f64,
    pub tick_ms: u32,
    pub line: LineSummary,
    pub stations: Vec<StationSummary>,
    pub thermal: Vec<ThermalSummary>,
    pub plcs: Vec<PlcSummary>,
    pub hmi: HmiStats,
    pub security: SecuritySummary,
    pub scorecard: Scorecard,
    pub cost: CostSummary,
    pub loss_tree: LossTree,
    /// A live session's clients from outside the twin (absent without any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actors: Option<actors::ActorsSection>,
}

/// Where every unit short of target went: target units = good units + Σ losses, each loss
/// with one category and one cause (see `loss.rs`). Closes to within rounding.
#[derive(Clone, Debug, Serialize)]
pub struct LossTree {
    /// Units per hour at the bottleneck stage's nominal rate (100 % speed).
    pub nominal_per_h: f64,
    /// The plan's target: its rate and units over planned production time (not in the
    /// tree: production against target is its own figure).
    pub target_per_h: f64,
    pub target_units: f64,
    /// What the recipes in force asked of the bottleneck stage over planned time (the
    /// tree's root), and the units it made outside planned time: together, good + losses.
    pub ideal_units: f64,
    pub made_outside_planned: f64,
    pub good_units: u64,
    /// What a unit short of target costs: the downtime cost of an hour over the nominal rate.
    pub unit_value: f64,
    pub losses: Vec<LossLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LossLine {
    pub category: crate::loss::LossCategory,
    pub cause: String,
    pub units: f64,
    pub cost: f64,
}

/// The IT side: attack steps and what became of them, and the flows the network refused.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SecuritySummary {
    pub steps_attempted: u64,
    pub steps_blocked: u64,
    pub steps_failed: u64,
    pub steps_succeeded: u64,
    /// Steps a monitoring control flagged, and the mean time from step to first flag.
    pub steps_detected: u64,
    pub mean_time_to_detect_s: Option<f64>,
    /// Mean time from a step to its host's isolation, for steps the response contained.
    pub mean_time_to_contain_s: Option<f64>,
    pub steps: Vec<StepRow>,
    /// The Modbus DPI's counters, when one is deployed.
    pub dpi: Option<crate::world::DpiStats>,
    /// The IDS's counters, when one is deployed.
    pub ids: Option<crate::world::IdsStats>,
    /// Monitoring of the PLCs' own health, when deployed.
    pub devices: Option<crate::world::DeviceStats>,
    /// The vendor's remote sessions, when the scenario has a vendor.
    pub vendor: Option<crate::world::VendorStats>,
    /// Connections a zone firewall (or the lack of a route) refused.
    pub flows_blocked: Vec<FlowRow>,
    /// The nftables rule set's report, when the segmentation is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firewall: Option<firewall::FirewallReport>,
    /// Modbus/TCP Security's counters, when deployed: handshakes, refusals, the hours the
    /// HMI's certificate was expired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::controls::tls::TlsStats>,
    /// What the incident response's playbook did beyond blocking hosts: zones isolated,
    /// safe stops, PLCs restored, the vendor's access revoked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub response_actions: Vec<ResponseAction>,
    /// A live session in the namespace lab: what the kernel did with the connections of
    /// the HMI and the attack steps, and where the twin's evaluation disagreed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<crate::network::KernelStats>,
}

/// One action of the incident response's playbook, as carried out.
#[derive(Clone, Debug, Serialize)]
pub struct ResponseAction {
    pub action: String,
    pub target: String,
    pub from: String,
    /// When it ended (a zone joined again, the line restarted, a PLC restored), if within
    /// the run.
    pub until: Option<String>,
    /// Hours it lasted within the run.
    pub hours: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepRow {
    pub at: String,
    pub technique: String,
    pub name: String,
    /// Every technique the step realises ("T0856 Spoof Reporting Message", …), the main
    /// one first; a step through the vendor's remote access adds T0822 and T0859.
    pub techniques: Vec<String>,
    pub from: String,
    pub target: String,
    pub outcome: String,
    /// Seconds from the step to its first detection, if detected.
    pub detected_after_s: Option<f64>,
    /// Seconds from the step to the isolation of its host, if contained.
    pub contained_after_s: Option<f64>,
    /// Line downtime this step caused (stops, faults, holds it is to blame for).
    pub downtime_h: f64,
    /// Lost units the loss tree owes to this step (every category).
    pub lost_units: f64,
    /// Everything the cost ledger owes to this step: its production effect plus its
    /// response fee.
    pub cost: f64,
    /// The production effect: lost output, scrap materials and secondary loss owed to
    /// the step.
    pub production_effect: f64,
    /// The incident response fee, by `fee_for` at the scenario's (or the assumed) fees.
    pub response_fee: f64,
    /// What the fee is for: succeeded with or without an effect, detected, blocked.
    pub fee_for: Option<StepOutcome>,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct FlowRow {
    pub from: String,
    pub to: String,
    pub port: u16,
    pub attempts: u64,
    /// A flow the plant needs (the HMI's), not attack traffic.
    pub legitimate: bool,
    /// The nftables rule (or chain policy) that stopped it, when the segmentation is a
    /// rule set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LineSummary {
    pub target_per_h: f64,
    pub target_units: u64,
    pub good_units: u64,
    pub scrap_units: u64,
    /// Good units against target, percent.
    pub attainment_pct: f64,
    /// Good units per hour of planned production.
    pub throughput_per_h: f64,
    pub planned_production_h: f64,
    pub bottleneck: String,
    pub oee: Oee,
    /// Unplanned downtime at the bottleneck.
    pub downtime_h: f64,
    pub downtime_by_cause: Vec<CauseRow>,
    pub safety_trips: u64,
    pub failures: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CauseRow {
    /// The loss tree's category ("breakdown", "stopped", …).
    pub cause: String,
    /// Who it is owed to, as the loss tree names it.
    pub owed_to: String,
    /// The root station of the stop.
    pub station: String,
    pub hours: f64,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct Oee {
    pub availability: f64,
    pub performance: f64,
    pub quality: f64,
    pub oee: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct StationSummary {
    pub name: String,
    pub plc: String,
    pub units_in: u64,
    pub units_out: u64,
    pub scrap: u64,
    pub failures: u64,
    pub trips: u64,
    /// Stops planned on condition-monitoring alerts (failures foreseen).
    pub planned_stops: u64,
    /// Hours in each condition, in `Condition::ALL` order, zeros left out.
    pub hours: Vec<(String, f64)>,
    pub oee: Oee,
}

#[derive(Clone, Debug, Serialize)]
pub struct ThermalSummary {
    pub station: String,
    pub trips: u64,
    pub excursions: u32,
    pub out_of_band_min: f64,
    pub min_c: f64,
    pub max_c: f64,
    pub scrap_temperature: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PlcSummary {
    pub name: String,
    pub address: String,
    pub profile: String,
    pub requests: u64,
    pub exceptions: u64,
    pub dropped: u64,
    pub queue_peak: u64,
    pub faults: Vec<(FaultCause, u64)>,
}

/// The IT/OT table of the mission (IT: risk mitigation; OT: uptime and output), in numbers.
#[derive(Clone, Debug, Serialize)]
pub struct Scorecard {
    pub it: ItColumn,
    pub ot: OtColumn,
}

/// Risk mitigation: what the attacks tried and what the controls caught.
#[derive(Clone, Debug, Serialize)]
pub struct ItColumn {
    pub attack_steps: u64,
    pub blocked: u64,
    pub detected: u64,
    pub succeeded: u64,
    pub mean_time_to_detect_s: Option<f64>,
    pub mean_time_to_contain_s: Option<f64>,
    pub legitimate_flows_blocked: u64,
    pub false_positives: u64,
    /// Remote (vendor) sessions and the share recorded in an audit log.
    pub remote_sessions: u64,
    pub audit_coverage: Option<f64>,
}

/// Uptime and output: what the line made and lost.
#[derive(Clone, Debug, Serialize)]
pub struct OtColumn {
    pub production_vs_target_pct: f64,
    pub unplanned_downtime_h: f64,
    pub downtime_from_attacks_h: f64,
    pub downtime_from_controls_h: f64,
    /// Units short of target the loss tree owes to attacks, and to controls.
    pub lost_units_attacks: f64,
    pub lost_units_controls: f64,
    pub oee: f64,
    pub safety_trips: u64,
    pub scrap_units: u64,
}

/// Round for the report: the summary carries figures, not float noise.
pub fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

pub(crate) fn oee(a: f64, p: f64, q: f64) -> Oee {
    Oee {
        availability: round(a, 4),
        performance: round(p, 4),
        quality: round(q, 4),
        oee: round(a * p * q, 4),
    }
}

impl Summary {
    /// Line downtime per category and whom it is owed to ("breakdown (control:
    /// gateway)"), summed over the root-cause stations (first-seen order).
    pub fn downtime_per_cause(&self) -> Vec<(String, f64)> {
        let mut causes: Vec<(String, f64)> = Vec::new();
        for c in &self.line.downtime_by_cause {
            let key = format!("{} ({})", c.cause, c.owed_to);
            match causes.iter_mut().find(|x| x.0 == key) {
                Some(x) => x.1 += c.hours,
                None => causes.push((key, c.hours)),
            }
        }
        causes
    }

    pub fn from_world(w: &World) -> Summary {
        let s = &w.scenario;
        let m = &w.ledger.metrics;
        let planned = m.planned_production;
        let (causes, downtime_h) = tree::downtime_rows(w);

        let good = w.plant.line_output();
        let scrap = w.plant.scrap();
        let planned_h = to_hours(planned);
        let target = w.plan.target_per_h * planned_h;
        let b = m.bottleneck;

        let stations = rows::station_rows(w);
        let thermal = rows::thermal_rows(w);
        let plcs = rows::plc_rows(w);
        let mut security = security_summary(w);
        let (attack_h, control_h) = (
            tree::hours_owed(w, CauseKind::Attack),
            tree::hours_owed(w, CauseKind::Control),
        );
        let false_positives = false_positives(&security);
        let (raw_tree, loss_tree) = tree::loss_tree(w);
        let line_oee = tree::line_oee(w, &raw_tree);
        let raw = &raw_tree.lines;
        let cost = cost::ledger(w, raw, &loss_tree, &security);
        let lost_units = |kind: CauseKind| {
            let u: f64 = raw
                .iter()
                .filter(|l| cost::priced(l.0) && CauseKind::of(l.1) == kind)
                .map(|l| l.2)
                .sum();
            round(u, 3)
        };
        step_costs(w, raw, &cost, &mut security);
        let actors = actors::section(w, raw, loss_tree.nominal_per_h, &cost);
        let scorecard = Scorecard {
            it: ItColumn {
                attack_steps: security.steps_attempted,
                blocked: security.steps_blocked,
                detected: security.steps_detected,
                succeeded: security.steps_succeeded,
                mean_time_to_detect_s: security.mean_time_to_detect_s,
                mean_time_to_contain_s: security.mean_time_to_contain_s,
                legitimate_flows_blocked: security
                    .flows_blocked
                    .iter()
                    .filter(|f| f.legitimate)
                    .count() as u64,
                false_positives,
                remote_sessions: w.controls.vendor_stats.sessions,
                audit_coverage: (w.controls.vendor_stats.sessions > 0).then(|| {
                    round(
                        w.controls.vendor_stats.audited as f64
                            / w.controls.vendor_stats.sessions as f64,
                        4,
                    )
                }),
            },
            ot: OtColumn {
                production_vs_target_pct: round(100.0 * ratio(good as f64, target), 2),
                unplanned_downtime_h: round(downtime_h, 4),
                downtime_from_attacks_h: round(attack_h, 4),
                downtime_from_controls_h: round(control_h, 4),
                lost_units_attacks: lost_units(CauseKind::Attack),
                lost_units_controls: lost_units(CauseKind::Control),
                oee: line_oee.oee,
                safety_trips: w.plant.stations.iter().map(|s| s.counters.trips).sum(),
                scrap_units: scrap,
            },
        };
        Summary {
            loss_tree,
            scenario: s.name.clone(),
            seed: w.seed,
            duration_h: round(w.now as f64 / US_PER_H as f64, 4),
            tick_ms: s.tick_ms,
            line: LineSummary {
                target_per_h: round(w.plan.target_per_h, 2),
                target_units: target.round() as u64,
                good_units: good,
                scrap_units: scrap,
                attainment_pct: round(100.0 * ratio(good as f64, target), 2),
                throughput_per_h: round(ratio(good as f64, planned_h), 1),
                planned_production_h: round(planned_h, 4),
                bottleneck: w.plant.stations[b].name.clone(),
                oee: line_oee,
                downtime_h: round(downtime_h, 4),
                downtime_by_cause: causes,
                safety_trips: w.plant.stations.iter().map(|s| s.counters.trips).sum(),
                failures: w.plant.stations.iter().map(|s| s.counters.failures).sum(),
            },
            stations,
            thermal,
            plcs,
            hmi: w.hmi.stats.clone(),
            security,
            scorecard,
            cost,
            actors,
        }
    }
}

/// What the attack steps did and what each control did.
fn security_summary(w: &World) -> SecuritySummary {
    let mut security = SecuritySummary::default();
    for (k, r) in w.campaign.attacks.iter().enumerate() {
        if !r.started {
            continue;
        }
        let step_loss = tree::hours_of(w, crate::loss::Cause::Attack(k));
        let (id, name) = r.spec.step.technique();
        security.steps_attempted += 1;
        let outcome = match r.outcome {
            Some(crate::attack::Outcome::Succeeded) => {
                security.steps_succeeded += 1;
                "succeeded"
            }
            Some(crate::attack::Outcome::Blocked) => {
                security.steps_blocked += 1;
                "blocked"
            }
            Some(crate::attack::Outcome::Failed) => {
                security.steps_failed += 1;
                "failed"
            }
            None => "in progress",
        };
        let mut techniques: Vec<String> = r
            .spec
            .step
            .techniques()
            .iter()
            .map(|(id, name)| format!("{id} {name}"))
            .collect();
        if w.net.network.roles[r.host] == Some(crate::scenario::HostRole::VendorLaptop) {
            techniques.push("T0822 External Remote Services".into());
            techniques.push("T0859 Valid Accounts".into());
        }
        security.steps.push(StepRow {
            at: crate::time::clock(r.at),
            technique: id.into(),
            name: name.into(),
            techniques,
            from: r.spec.from.clone(),
            target: match r.spec.step {
                crate::scenario::AttackStep::Ransomware { .. } => "IT hosts".into(),
                _ => r.spec.step.target().unwrap_or("all PLCs").into(),
            },
            outcome: outcome.into(),
            detected_after_s: r
                .detected_at
                .map(|d| round(d.saturating_sub(r.at) as f64 / 1e6, 3)),
            contained_after_s: r
                .contained_at
                .map(|c| round(c.saturating_sub(r.at) as f64 / 1e6, 3)),
            downtime_h: round(step_loss, 4),
            lost_units: 0.0,
            cost: 0.0,
            production_effect: 0.0,
            response_fee: 0.0,
            fee_for: None,
            detail: r.detail.clone(),
        });
    }
    let ttd: Vec<f64> = security
        .steps
        .iter()
        .filter_map(|s| s.detected_after_s)
        .collect();
    security.steps_detected = ttd.len() as u64;
    let ttc: Vec<f64> = security
        .steps
        .iter()
        .filter_map(|s| s.contained_after_s)
        .collect();
    security.mean_time_to_contain_s =
        (!ttc.is_empty()).then(|| round(ttc.iter().sum::<f64>() / ttc.len() as f64, 3));
    security.mean_time_to_detect_s =
        (!ttd.is_empty()).then(|| round(ttd.iter().sum::<f64>() / ttd.len() as f64, 3));
    security.dpi = w
        .controls
        .dpi
        .as_ref()
        .map(|_| w.controls.dpi_stats.clone());
    security.ids = w
        .controls
        .ids
        .as_ref()
        .map(|_| w.controls.ids_stats.clone());
    security.devices = w
        .controls
        .device_monitoring
        .as_ref()
        .map(|_| w.controls.device_stats.clone());
    security.vendor = w.controls.vendor.as_ref().map(|_| {
        let mut v = w.controls.vendor_stats.clone();
        v.wait_h = round(v.wait_h, 4);
        v
    });
    for (key, r) in &w.net.blocked_flows {
        let (attempts, legitimate) = (r.attempts, r.legitimate);
        security.flows_blocked.push(FlowRow {
            from: w.net.network.hosts[key.from].name.clone(),
            to: w.net.network.hosts[key.to].name.clone(),
            port: key.port,
            attempts,
            legitimate,
            rule: firewall::stopped_by(&w.net.network, key),
        });
    }
    security.firewall = firewall::report(&w.net.network, &w.net.passed_flows, &w.net.blocked_flows);
    security.tls = w.controls.tls.as_ref().map(|t| {
        let mut st = t.stats.clone();
        st.handshake_ms = round(st.handshake_ms, 4);
        st.certificate_expired_h = round(st.certificate_expired_h, 4);
        st
    });
    security.response_actions = response_actions(w);
    security.kernel = w.net.kernel.clone();
    security
}

/// The playbook's actions as carried out by the end of the run (an action due after the
/// end is not listed).
fn response_actions(w: &World) -> Vec<ResponseAction> {
    let end = w.now;
    let row = |action: &str, target: String, from: Micros, until: Micros| ResponseAction {
        action: action.into(),
        target,
        from: crate::time::clock(from),
        until: (until <= end).then(|| crate::time::clock(until)),
        hours: round(
            (until.min(end).saturating_sub(from)) as f64 / crate::time::US_PER_H as f64,
            4,
        ),
    };
    let mut out = Vec::new();
    for z in &w.controls.isolated_zones {
        if z.from < end {
            let name = w.net.network.zones.get(z.zone).cloned().unwrap_or_default();
            out.push(row("zone isolated", name, z.from, z.until));
        }
    }
    let (from, until) = w.campaign.safe_stop;
    if until > from && from < end {
        out.push(row("safe stop", "the line".into(), from, until));
    }
    for r in &w.controls.restoring {
        if r.from < end {
            let name = w.devices.plcs[r.plc].name.clone();
            out.push(row("PLC restored from backup", name, r.from, r.until));
        }
    }
    if let Some((at, _)) = w.controls.vendor_revoked
        && at < end
    {
        let host = w
            .controls
            .vendor
            .as_ref()
            .map(|v| v.host.clone())
            .unwrap_or_default();
        out.push(row("vendor access revoked", host, at, end));
    }
    out
}

/// Every alert or block with no attack behind it: each costs an analyst's or engineer's time.
fn false_positives(security: &SecuritySummary) -> u64 {
    security
        .dpi
        .as_ref()
        .map(|d| d.false_positives)
        .unwrap_or(0)
        + security
            .ids
            .as_ref()
            .map(|i| i.false_alarms + i.alerts_on_legitimate_traffic)
            .unwrap_or(0)
}

/// Each started attack step's lost units and cost, from the tree and the ledger.
fn step_costs(
    w: &World,
    raw: &[(crate::loss::LossCategory, crate::loss::Cause, f64)],
    cost: &CostSummary,
    security: &mut SecuritySummary,
) {
    let started = w
        .campaign
        .attacks
        .iter()
        .enumerate()
        .filter(|(_, r)| r.started)
        .map(|(k, _)| k);
    let book = w.ledger.metrics.loss.closed(&w.plant);
    for (row, k) in security.steps.iter_mut().zip(started) {
        let cause = crate::loss::Cause::Attack(k);
        let units: f64 = raw
            .iter()
            .filter(|l| l.1 == cause && cost::priced(l.0))
            .map(|l| l.2)
            .sum();
        row.lost_units = round(units, 3);
        let name = cause_name(w, cause);
        if let Some(c) = cost.by_cause.iter().find(|c| c.cause == name) {
            row.cost = c.total;
            row.production_effect = c.production_effect();
            row.response_fee = c.incident_response;
        }
        let scrapped = book.scrap_all.get(&cause).copied().unwrap_or(0);
        row.fee_for = cost::outcome(w, k, units + scrapped as f64);
    }
}

/// A cause as the reports name it.
pub fn cause_name(w: &World, cause: crate::loss::Cause) -> String {
    use crate::loss::Cause;
    match cause {
        Cause::Normal => "normal operation".into(),
        Cause::Attack(k) => match w.campaign.attacks.get(k) {
            Some(r) => {
                let (id, name) = r.spec.step.technique();
                format!("step {}: {id} {name} from {}", k + 1, r.spec.from)
            }
            None => format!("attack step {k}"),
        },
        Cause::Actor(k) => match w.actors.list.get(k) {
            Some(a) => format!("actor: {}", a.name),
            None => format!("actor {k}"),
        },
        Cause::Control(c) => format!("control: {}", c.name()),
        Cause::Schedule => "schedule".into(),
        Cause::Decision => "decision".into(),
    }
}

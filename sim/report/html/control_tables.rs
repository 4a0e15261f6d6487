//! The controls' own tables on a run's page: the DPI's and the IDS's findings, the incident
//! response's actions, Modbus/TCP Security, the kernel's verdicts, and the segmentation's
//! blocked flows with the rule that stopped each.

use super::run_page::{Table, heads};
use super::*;

/// What the controls that are not a rule set did: the playbook's actions, Modbus/TCP
/// Security, the kernel's verdicts.
pub(crate) fn control_tables(s: &Summary) -> Vec<Table> {
    let mut tables = Vec::new();
    if let Some(d) = &s.security.dpi {
        let mut rows = vec![
            vec!["requests inspected".to_string(), d.inspected.to_string()],
            vec!["outside the policy".to_string(), d.violations.to_string()],
            vec!["blocked".to_string(), d.blocked.to_string()],
            vec![
                "of them the plant's own (false positives)".to_string(),
                d.false_positives.to_string(),
            ],
        ];
        rows.extend(
            d.by_kind
                .iter()
                .map(|(k, n)| vec![format!("outside the policy: {k}"), n.to_string()]),
        );
        tables.push((
            "The DPI's findings".to_string(),
            heads(&["finding", "requests"]),
            rows,
        ));
    }
    if let Some(i) = &s.security.ids {
        let mut rows = vec![
            vec!["alerts".to_string(), i.alerts.to_string()],
            vec!["on attack traffic".to_string(), i.true_alerts.to_string()],
            vec![
                "on the plant's own traffic".to_string(),
                i.alerts_on_legitimate_traffic.to_string(),
            ],
            vec![
                "with nothing behind them (false alarms)".to_string(),
                i.false_alarms.to_string(),
            ],
        ];
        rows.extend(
            i.by_kind
                .iter()
                .map(|(k, n)| vec![format!("alerts: {k}"), n.to_string()]),
        );
        tables.push((
            "The IDS's findings".to_string(),
            heads(&["finding", "alerts"]),
            rows,
        ));
    }
    if !s.security.response_actions.is_empty() {
        tables.push((
            "Incident response: the playbook's actions".to_string(),
            heads(&["action", "target", "from", "until", "hours"]),
            s.security
                .response_actions
                .iter()
                .map(|a| {
                    vec![
                        a.action.clone(),
                        a.target.clone(),
                        a.from.clone(),
                        a.until.clone().unwrap_or_else(|| "the end".into()),
                        format!("{:.2}", a.hours),
                    ]
                })
                .collect(),
        ));
    }
    if let Some(t) = &s.security.tls {
        tables.push((
            "Modbus/TCP Security".to_string(),
            heads(&[
                "full handshakes",
                "resumed handshakes",
                "handshake time (ms)",
                "refused handshakes",
                "HMI certificate expired (h)",
            ]),
            vec![vec![
                t.full_handshakes.to_string(),
                t.resumed_handshakes.to_string(),
                format!("{:.2}", t.handshake_ms),
                t.refused_handshakes.to_string(),
                format!("{:.2}", t.certificate_expired_h),
            ]],
        ));
    }
    if let Some(k) = &s.security.kernel {
        tables.push((
            "The kernel's verdicts (live --netns)".to_string(),
            heads(&[
                "connections carried",
                "refused or dropped",
                "twin disagreed",
            ]),
            vec![vec![
                k.connected.to_string(),
                k.refused.to_string(),
                k.disagreements.to_string(),
            ]],
        ));
    }
    tables
}

/// The nftables rule set in its own language: each blocked flow with the rule (or chain
/// policy) that stopped it; each rule with its matches, the attempts it decided, and
/// whether it is dead or over-broad.
pub(crate) fn firewall_tables(
    s: &Summary,
    fw: &faultline_core::summary::firewall::FirewallReport,
) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
    let blocked = s
        .security
        .flows_blocked
        .iter()
        .map(|f| {
            vec![
                f.from.clone(),
                format!("{}:{}", f.to, f.port),
                f.attempts.to_string(),
                if f.legitimate { "yes" } else { "no (attack)" }.into(),
                f.rule.clone().unwrap_or_else(|| "no route".into()),
            ]
        })
        .collect();
    let mut rules: Vec<Vec<String>> = fw
        .rules
        .iter()
        .map(|r| {
            let mut note = Vec::new();
            if fw.dead.contains(&r.rule) {
                note.push("dead: nothing matched it".to_string());
            }
            if let Some(b) = fw.over_broad.iter().find(|b| b.rule == r.rule) {
                note.push(format!(
                    "over-broad: admits {}; exists for {}; used by the attack {}; also lets through {} other flow(s) among the plant's hosts",
                    b.admits,
                    b.needed_for.join(", "),
                    if b.used_by_attacks.is_empty() { "–".to_string() } else { b.used_by_attacks.join(", ") },
                    b.also_allows.len()
                ));
            }
            vec![r.rule.clone(), r.matched.to_string(), r.decided.to_string(), note.join("; ")]
        })
        .collect();
    rules.push(vec![
        if fw.allow_list {
            "default deny"
        } else {
            "chain policy"
        }
        .into(),
        "".into(),
        fw.decided_by_policy.to_string(),
        "".into(),
    ]);
    vec![
        (
            "Blocked flows and the rule that stopped each".to_string(),
            [
                "from",
                "to",
                "attempts",
                "needed by the plant",
                "stopped by",
            ]
            .map(String::from)
            .to_vec(),
            blocked,
        ),
        (
            format!(
                "The {}: {} connection attempt(s) between zones",
                if fw.allow_list {
                    "allow list"
                } else {
                    "nftables rule set"
                },
                fw.attempts
            ),
            ["rule", "matched", "decided", "finding"]
                .map(String::from)
                .to_vec(),
            rules,
        ),
    ]
}

//! The mutation report is current: scripts/mutants ran against the covered files as they
//! are now (their SHA-256s), every mutant no test caught has its reason in
//! tests/mutants/survivors.md (and no reason is left for a mutant that is gone), and the
//! README's score is the report's.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

fn report() -> serde_json::Value {
    let text = std::fs::read_to_string("tests/mutants/report.json")
        .expect("tests/mutants/report.json: run scripts/mutants");
    serde_json::from_str(&text).unwrap()
}

/// The survivors' reasons: lines `` - `MUTANT` — reason ``.
fn reasons() -> Vec<(String, String)> {
    std::fs::read_to_string("tests/mutants/survivors.md")
        .unwrap()
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("- `")?;
            let (name, reason) = rest.split_once("` — ")?;
            Some((name.to_string(), reason.trim().to_string()))
        })
        .collect()
}

/// The groups scripts/mutants defines, in its order.
fn all_groups() -> Vec<String> {
    let text = std::fs::read_to_string("scripts/mutants").unwrap();
    let block = text
        .split_once("<<'GROUPS'\n")
        .and_then(|(_, b)| b.split_once("\nGROUPS"))
        .map(|(b, _)| b.to_string())
        .expect("scripts/mutants lists its groups in a GROUPS heredoc");
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(';').next().unwrap().to_string())
        .collect()
}

/// The groups not in the report yet.
fn pending(r: &serde_json::Value) -> Vec<String> {
    let groups = r["groups"].as_object().unwrap();
    all_groups()
        .into_iter()
        .filter(|g| !groups.contains_key(g))
        .collect()
}

#[test]
fn the_mutation_report_covers_the_files_as_they_are_now() {
    let r = report();
    let groups = r["groups"].as_object().unwrap();
    // Every group scripts/mutants runs is in the report, or the README says it has not run
    // yet (the score is then not claimed for its files).
    let pending = pending(&r);
    let readme = std::fs::read_to_string("README.md").unwrap();
    if !pending.is_empty() {
        let said = format!("not yet run: {}", pending.join(", "));
        assert!(
            readme.contains(&said),
            "groups not in the report: {pending:?}; the README should say `{said}` (or run scripts/mutants {})",
            pending.join(" ")
        );
    }
    assert!(
        groups.keys().all(|g| all_groups().contains(g)),
        "the report has a group scripts/mutants does not define"
    );
    let mut stale = Vec::new();
    for (name, g) in groups {
        for (file, sum) in g["files"].as_object().unwrap() {
            let now: String =
                Sha256::digest(std::fs::read(file).unwrap_or_else(|e| panic!("{file}: {e}")))
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
            if now != sum.as_str().unwrap() {
                stale.push(format!("{file} (group {name})"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "changed since the mutation report: {}; run scripts/mutants {}",
        stale.join(", "),
        stale
            .iter()
            .map(|s| s.rsplit("group ").next().unwrap().trim_end_matches(')'))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
            .join(" ")
    );
}

#[test]
fn every_surviving_mutant_has_its_reason_and_every_reason_its_mutant() {
    let r = report();
    let missed: BTreeSet<String> = r["groups"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|g| g["missed_mutants"].as_array().unwrap().clone())
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let reasons = reasons();
    let explained: BTreeSet<String> = reasons.iter().map(|(n, _)| n.clone()).collect();
    let unexplained: Vec<&String> = missed.difference(&explained).collect();
    assert!(
        unexplained.is_empty(),
        "surviving mutants with no test to catch them and no reason in tests/mutants/survivors.md:\n{}",
        unexplained
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let gone: Vec<&String> = explained.difference(&missed).collect();
    assert!(
        gone.is_empty(),
        "reasons for mutants that no longer survive: {gone:?}"
    );
    for (name, reason) in &reasons {
        assert!(
            reason.len() > 20,
            "{name}: a reason says why it is harmless"
        );
    }
}

#[test]
fn the_readme_states_the_reports_mutation_score() {
    let r = report();
    let (mut tested, mut caught) = (0u64, 0u64);
    for g in r["groups"].as_object().unwrap().values() {
        let n = |k: &str| g[k].as_u64().unwrap();
        tested += n("caught") + n("timeout") + n("missed");
        caught += n("caught") + n("timeout");
    }
    let readme = std::fs::read_to_string("README.md").unwrap();
    let want = format!(
        "**{caught} of {tested} mutants caught ({:.1} %)**",
        100.0 * caught as f64 / tested as f64
    );
    assert!(readme.contains(&want), "the README should say {want}");
}

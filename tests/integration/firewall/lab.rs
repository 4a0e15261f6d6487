//! The namespace lab's housekeeping: a lab a crashed run left behind is found and removed.

use super::*;

/// A lab left by a run that crashed (its owner gone) is found and removed before a new
/// one is built; a lab whose owner still runs is refused, not taken over.
#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn a_lab_left_by_a_crashed_run_is_found_and_removed() {
    require_namespaces("a_lab_left_by_a_crashed_run_is_found_and_removed");
    let ip = |args: &[&str]| {
        assert!(
            std::process::Command::new("ip")
                .args(args)
                .status()
                .unwrap()
                .success()
        )
    };
    ip(&["netns", "add", "flstale-control"]);
    ip(&["netns", "add", "flstale-fw"]);
    ip(&[
        "-n",
        "flstale-fw",
        "link",
        "add",
        "control",
        "type",
        "veth",
        "peer",
        "name",
        "uplink",
        "netns",
        "flstale-control",
    ]);
    std::fs::create_dir_all("/run/faultline").unwrap();
    let owner = std::path::Path::new("/run/faultline/flstale.pid");
    // An owner that is still running: refused.
    let mut alive = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    std::fs::write(owner, alive.id().to_string()).unwrap();
    let err = faultline::netns::remove_stale("flstale").unwrap_err();
    assert!(
        err.to_string().contains("owns the namespaces flstale-*"),
        "{err}"
    );
    alive.kill().unwrap();
    alive.wait().unwrap();
    // The owner gone: its namespaces (and the veth inside them) are removed.
    let mut removed = faultline::netns::remove_stale("flstale").unwrap();
    removed.sort();
    assert_eq!(removed, ["flstale-control", "flstale-fw"]);
    no_namespace_left("flstale");
    assert!(!owner.exists());
}

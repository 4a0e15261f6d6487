//! The exports: the allow list as an nftables rule set (checked by nft, re-imported
//! through the kernel) and the DPI rules as a proxy policy.

use super::*;
use crate::{cli, shipped_scenarios};
use faultline::load;
use faultline::netns::Seen;
use faultline::nft::{CLIENT_PORT, Flow, RuleSet};
use std::collections::BTreeMap;

/// `export nftables` for every shipped segmented scenario: `nft -c` accepts it (where nft
/// is installed), and read back through nft (where namespaces can be made: the kernel's
/// own parse of it) it gives every flow of the run the scenario's own verdict.
#[test]
fn the_exported_allow_list_names_each_flow_in_a_comment() {
    for (path, s) in segmented() {
        let (code, text, err) = cli(&["export", "nftables", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        if s.segmentation.as_ref().unwrap().nftables.is_none() {
            assert_eq!(
                text.matches("accept comment \"").count(),
                s.segmentation.as_ref().unwrap().allow.len() + 1,
                "{text}"
            );
        }
    }
}

#[test]
#[ignore = "needs root, ip and nft (network namespaces); the README's test command runs it"]
fn the_exported_rule_set_passes_nft_check_and_re_imported_decides_every_flow_as_the_scenario() {
    require_namespaces(
        "the_exported_rule_set_passes_nft_check_and_re_imported_decides_every_flow_as_the_scenario",
    );
    let mut checked = 0;
    for (path, s) in segmented() {
        let (code, text, err) = cli(&["export", "nftables", path.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {err}", path.display());
        let dir = std::env::temp_dir().join(format!("faultline-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ext = if text.trim_start().starts_with('{') {
            "json"
        } else {
            "nft"
        };
        let file = dir.join(format!(
            "{}.{ext}",
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&file, &text).unwrap();
        let mut check = std::process::Command::new("unshare");
        check.args(["--net", "--", "nft", "-c"]);
        if ext == "json" {
            check.arg("-j");
        }
        let out = check.arg("-f").arg(&file).output().unwrap();
        assert!(
            out.status.success(),
            "{}: nft -c: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        // Re-import: the scenario with the export as its rule set.
        let json = if ext == "json" {
            text.clone()
        } else {
            faultline::netns::nft_to_json(&file).unwrap()
        };
        let set = RuleSet::from_json(&json, &file.display().to_string(), &BTreeMap::new()).unwrap();
        let (network, keys) = flows_of(&s);
        let interfaces = faultline::export::interfaces(&s);
        for k in &keys {
            let (f, t) = (&network.hosts[k.from], &network.hosts[k.to]);
            let again = if f.zone == t.zone {
                Seen::Connected
            } else if !network.zones_joined(f.zone, t.zone) {
                Seen::TimedOut
            } else {
                seen_of(
                    set.connect(&Flow {
                        client_if: &interfaces[f.zone],
                        server_if: &interfaces[t.zone],
                        client: f.address,
                        client_port: CLIENT_PORT,
                        server: t.address,
                        server_port: k.port,
                    })
                    .outcome,
                )
            };
            assert_eq!(
                again,
                twin_seen(&network, k),
                "{}: {} -> {}:{}",
                path.display(),
                f.name,
                t.name,
                k.port
            );
            checked += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(checked > 50, "{checked} flows checked");
}

/// `export proxy-policy`: for every shipped scenario with DPI and every PLC, the proxy
/// loads the exported policy, and the proxy's DPI decides every request from every host
/// of the scenario (known to the proxy by its address) as the twin's DPI does.
#[test]
fn the_exported_proxy_policy_decides_every_request_as_the_twins_dpi() {
    use faultline::controls::dpi::{Dpi, Flow as DpiFlow};
    use faultline::modbus::{Request, request_adu};
    let requests = [
        Request::ReadHoldingRegisters {
            address: 0,
            quantity: 4,
        },
        Request::ReadHoldingRegisters {
            address: 100,
            quantity: 2,
        },
        Request::ReadCoils {
            address: 0,
            quantity: 8,
        },
        Request::ReadInputRegisters {
            address: 0,
            quantity: 4,
        },
        Request::WriteSingleRegister {
            address: 2,
            value: 560,
        },
        Request::WriteSingleRegister {
            address: 2,
            value: 720,
        },
        Request::WriteSingleRegister {
            address: 0,
            value: 100,
        },
        Request::WriteSingleCoil {
            address: 0,
            value: true,
        },
        Request::WriteSingleCoil {
            address: 1,
            value: false,
        },
        Request::WriteMultipleRegisters {
            address: 0,
            values: vec![1, 2],
        },
        Request::Diagnostics {
            sub_function: 1,
            data: vec![0, 0],
        },
        Request::ReportServerId,
    ];
    let (mut compared, mut passed) = (0, 0);
    for path in shipped_scenarios() {
        let Ok(s) = load(&path) else { continue };
        let (Some(dpi), Some(net)) = (&s.dpi, &s.network) else {
            continue;
        };
        let mut hosts: Vec<(String, String, String)> = vec![(
            s.hmi.name.clone(),
            net.hmi_zone.clone(),
            s.hmi.address.clone(),
        )];
        hosts.extend(
            net.hosts
                .iter()
                .map(|h| (h.name.clone(), h.zone.clone(), h.address.clone())),
        );
        for plc in &s.plcs {
            let (code, text, err) = cli(&[
                "export",
                "proxy-policy",
                path.to_str().unwrap(),
                "--plc",
                &plc.name,
            ]);
            assert_eq!(code, 0, "{}: {err}", path.display());
            let file = std::env::temp_dir().join(format!(
                "faultline-policy-{}-{}.ron",
                std::process::id(),
                plc.name
            ));
            std::fs::write(&file, &text).unwrap();
            let exported = faultline::policy::load_policy(&file).unwrap_or_else(|e| {
                panic!(
                    "{}: {}: the proxy refuses the export: {e:#}",
                    path.display(),
                    plc.name
                )
            });
            let _ = std::fs::remove_file(&file);
            for (name, zone, address) in &hosts {
                for (i, r) in requests.iter().enumerate() {
                    let adu = request_adu(1, plc.unit_id, r);
                    let (mut twin, mut proxy) = (Dpi::new(dpi), Dpi::new(&exported));
                    let a = twin.inspect(
                        DpiFlow {
                            from_host: name,
                            from_zone: zone,
                            to_host: &plc.name,
                            to_zone: &net.plc_zone,
                            source: 1,
                        },
                        &adu,
                        i as u64,
                    );
                    let b = proxy.inspect(
                        DpiFlow {
                            from_host: address,
                            from_zone: "client",
                            to_host: "upstream",
                            to_zone: "upstream",
                            source: 1,
                        },
                        &adu,
                        i as u64,
                    );
                    assert_eq!(
                        a,
                        b,
                        "{}: {name} ({address}) -> {}: {r:?}",
                        path.display(),
                        plc.name
                    );
                    compared += 1;
                    passed += a.is_ok() as usize;
                }
            }
        }
    }
    assert!(compared > 500, "{compared} requests compared");
    // Both verdicts occur.
    assert!(
        passed > 50 && compared - passed > 50,
        "{passed} of {compared} passed"
    );
}

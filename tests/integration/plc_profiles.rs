//! Device profiles shape request handling: per-scan limits, reply latency, connection
//! caps, and what fragile devices do with traffic they do not understand.

use faultline::modbus::{ExceptionCode, Request, Response, parse_adu, request_adu};
use faultline::plc::{Admission, FaultCause, Plc};
use faultline::scenario::ProfileSpec;
use faultline::{World, load};
use std::path::Path;

fn world() -> World {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    World::new(&s, 1)
}

fn plc(w: &mut World, name: &str) -> usize {
    w.devices.plcs.iter().position(|p| p.name == name).unwrap()
}

fn reply(adu: &[u8]) -> Response {
    Response::decode_pdu(parse_adu(adu).unwrap().1).unwrap()
}

#[test]
fn requests_beyond_the_per_scan_limit_wait_for_later_scans() {
    let mut w = world();
    let p = plc(&mut w, "plc-depal"); // legacy: 2 requests per scan, replies 2 scans later
    let plc: &mut Plc = &mut w.devices.plcs[p];
    for tid in 0..6 {
        assert!(plc.receive(
            99,
            request_adu(
                tid,
                1,
                &Request::ReadInputRegisters {
                    address: 0,
                    quantity: 4
                }
            )
        ));
    }
    let scan = plc.scan;
    for k in 0..3 {
        plc.scan(k * scan, &mut w.plant);
    }
    let ready: Vec<u64> = plc.outbox.iter().map(|o| o.ready_at).collect();
    assert_eq!(
        ready,
        vec![2 * scan, 2 * scan, 3 * scan, 3 * scan, 4 * scan, 4 * scan]
    );
}

#[test]
fn connection_caps_follow_the_profile() {
    let mut w = world();
    let legacy = plc(&mut w, "plc-depal");
    // The HMI holds one of the four connections already.
    let plc = &mut w.devices.plcs[legacy];
    assert_eq!(plc.connections(), 1);
    for c in 100..103 {
        assert_eq!(plc.connect(c), Admission::Accepted);
    }
    // Full: the M218 closes the oldest idle connection — the HMI's, between its polls.
    assert_eq!(plc.connect(200), Admission::AcceptedClosing(0));
    let mut modern = Plc::new(&w.scenario.plcs[2], &w.scenario, &ProfileSpec::modern(), 1);
    for c in 0..32 {
        assert_eq!(modern.connect(c), Admission::Accepted);
    }
    assert_eq!(modern.connect(32), Admission::Refused);
}

#[test]
fn modern_profile_answers_unsupported_function_with_exception() {
    let mut w = world();
    let p = plc(&mut w, "plc-filler");
    let plc = &mut w.devices.plcs[p];
    plc.receive(
        5,
        request_adu(
            1,
            1,
            &Request::Raw {
                function: 0x41,
                data: vec![0, 1],
            },
        ),
    );
    plc.scan(0, &mut w.plant);
    assert_eq!(
        reply(&plc.outbox[0].adu),
        Response::Exception {
            function: 0x41,
            code: ExceptionCode::IllegalFunction as u8
        }
    );
    assert!(plc.fault.is_none());
    assert_eq!(
        plc.handle(&Request::ReadHoldingRegisters {
            address: 50,
            quantity: 1
        }),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        plc.handle(&Request::WriteSingleRegister {
            address: 0,
            value: 500
        }),
        Err(ExceptionCode::IllegalDataValue)
    );
}

#[test]
fn legacy_profile_faults_on_unsupported_function_and_stops_its_station() {
    // A legacy device that hangs on every unsupported request (the M218's odds are 0.3).
    let mut s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    s.profiles.push(ProfileSpec {
        fault_probability: 1.0,
        ..ProfileSpec::legacy()
    });
    let mut w = World::new(&s, 1);
    let p = plc(&mut w, "plc-labelers");
    w.run_until(60_000_000);
    let before = w
        .plant
        .stations
        .iter()
        .find(|s| s.name == "labeler_a")
        .unwrap()
        .counters
        .units_in;
    assert!(before > 0);
    w.devices.plcs[p].receive(
        5,
        request_adu(
            1,
            1,
            &Request::Raw {
                function: 0x5A,
                data: vec![0; 8],
            },
        ),
    );
    w.run_until(120_000_000);
    let plc = &w.devices.plcs[p];
    assert_eq!(plc.stats.faults, vec![(FaultCause::Unsupported, 1)]);
    let st = w
        .plant
        .stations
        .iter()
        .find(|s| s.name == "labeler_a")
        .unwrap();
    assert_eq!(
        st.state(),
        faultline::plant::State::Stopped(faultline::plant::StopReason::PlcFault)
    );
    // The HMI loses contact, the operator goes to the cabinet and resets after recovery
    // (drawn for the fault: the reset takes at the end of it).
    let recovered = w.devices.plcs[p].fault.as_ref().unwrap().recovered_at;
    w.run_until(recovered + 10 * 60_000_000);
    assert!(
        w.devices.plcs[p].fault.is_none(),
        "the operator's reset did not take"
    );
    let after = w
        .plant
        .stations
        .iter()
        .find(|s| s.name == "labeler_a")
        .unwrap()
        .counters
        .units_in;
    assert!(after > before + 100, "the labeler did not restart");
}

#[test]
fn sustained_overload_trips_the_legacy_watchdog() {
    let mut w = world();
    let p = plc(&mut w, "plc-rinser");
    for k in 0..200u64 {
        for tid in 0..10 {
            w.devices.plcs[p].receive(
                7,
                request_adu(
                    tid,
                    1,
                    &Request::ReadHoldingRegisters {
                        address: 0,
                        quantity: 2,
                    },
                ),
            );
        }
        w.run_until((k + 1) * 200_000);
    }
    assert_eq!(
        w.devices.plcs[p].stats.faults,
        vec![(FaultCause::Overload, 1)]
    );
    assert!(w.devices.plcs[p].stats.dropped > 0);
}

#[test]
fn writes_over_modbus_drive_the_plant() {
    let mut w = world();
    w.run_until(120_000_000);
    let p = plc(&mut w, "plc-filler");
    let filler = w
        .plant
        .stations
        .iter()
        .position(|s| s.name == "filler")
        .unwrap();
    assert_eq!(
        w.plant.stations[filler].state(),
        faultline::plant::State::Running
    );
    // Run coil off: the station stops at the next scan and its counter freezes.
    w.devices.plcs[p].receive(
        9,
        request_adu(
            1,
            1,
            &Request::WriteSingleCoil {
                address: 0,
                value: false,
            },
        ),
    );
    w.run_until(121_000_000);
    let frozen = w.plant.stations[filler].counters.units_in;
    assert_eq!(
        w.plant.stations[filler].state(),
        faultline::plant::State::Stopped(faultline::plant::StopReason::Command)
    );
    w.run_until(130_000_000);
    assert_eq!(w.plant.stations[filler].counters.units_in, frozen);
}

#[test]
fn a_scan_is_due_exactly_at_the_multiples_of_its_period() {
    let mut w = world();
    let p = plc(&mut w, "plc-depal"); // scans every 200 ms; the tick is 100 ms
    let plc = &mut w.devices.plcs[p];
    assert_eq!(plc.scan, 200_000);
    let due: Vec<u64> = (0..12u64)
        .map(|k| k * 100_000)
        .filter(|&t| plc.scan_due(t))
        .collect();
    assert_eq!(due, [0, 200_000, 400_000, 600_000, 800_000, 1_000_000]);
    // Asked again only from 1.25 s on (ticks skipped): the next multiple, not a late scan.
    let due: Vec<u64> = [1_250_000u64, 1_300_000, 1_400_000, 1_500_000, 1_600_000]
        .into_iter()
        .filter(|&t| plc.scan_due(t))
        .collect();
    assert_eq!(due, [1_400_000, 1_600_000]);
}

#[test]
fn a_register_read_across_blocks_is_checked_address_by_address() {
    // The labelers' PLC has two machine blocks (0 and 100): a read within a block is
    // served from it; one running past a block's end is an illegal address, as before.
    let mut w = world();
    let p = plc(&mut w, "plc-labelers");
    w.run_until(60_000_000);
    let plc = &w.devices.plcs[p];
    let n = faultline::plc::map::block_len(faultline::plc::map::Table::InputRegister, false);
    let whole = |address, quantity| plc.read(&Request::ReadInputRegisters { address, quantity });
    let Some(Ok(Response::ReadInputRegisters(a))) = whole(100, n) else {
        panic!("the second block reads whole")
    };
    let Some(Ok(Response::ReadInputRegisters(tail))) = whole(101, n - 1) else {
        panic!("a block's tail reads")
    };
    assert_eq!(&a[1..], &tail[..]);
    assert_eq!(
        whole(100, n + 1),
        Some(Err(ExceptionCode::IllegalDataAddress))
    );
    assert_eq!(
        whole(n - 1, 2),
        Some(Err(ExceptionCode::IllegalDataAddress))
    );
}

#[test]
fn every_read_a_plc_answers_on_the_bus_is_the_bytes_of_its_register_images_answer() {
    // The PLC writes a read's answer straight from its image into the request's buffer;
    // these are the bytes the image's `read`, encoded, gives (or its exception), for
    // every table at the ends of both of the labelers' blocks and of the system block.
    use faultline::modbus::response_adu;
    use faultline::plc::map::{SYSTEM, Table, block_len};
    let mut w = world();
    let p = plc(&mut w, "plc-labelers");
    w.run_until(60_000_000);
    let mut t = w.now;
    let mut checked = 0;
    let mut exceptions = 0;
    for table in [
        Table::Coil,
        Table::DiscreteInput,
        Table::HoldingRegister,
        Table::InputRegister,
    ] {
        let n = block_len(table, false);
        let mut addresses: Vec<u16> = Vec::new();
        for edge in [0, n, 100, 100 + n, SYSTEM] {
            addresses.extend(edge.saturating_sub(2)..edge + 2);
        }
        for &address in &addresses {
            for quantity in [1, 2, n.saturating_sub(1).max(1), n, n + 1] {
                let req = match table {
                    Table::Coil => Request::ReadCoils { address, quantity },
                    Table::DiscreteInput => Request::ReadDiscreteInputs { address, quantity },
                    Table::HoldingRegister => Request::ReadHoldingRegisters { address, quantity },
                    Table::InputRegister => Request::ReadInputRegisters { address, quantity },
                };
                let tid = checked as u16;
                let plc = &mut w.devices.plcs[p];
                assert!(plc.receive(99, request_adu(tid, 1, &req)));
                while plc.outbox.is_empty() {
                    t += plc.scan;
                    plc.scan(t, &mut w.plant);
                }
                // The image as the scan that answered left it (its scan counter and
                // inputs are that scan's).
                let expected = match plc.read(&req) {
                    Some(Ok(answer)) => response_adu(tid, 1, &answer),
                    Some(Err(code)) => {
                        exceptions += 1;
                        response_adu(tid, 1, &Response::exception(req.function(), code))
                    }
                    None => panic!("{req:?} is a read"),
                };
                let got = plc.outbox.pop_front().unwrap().adu;
                assert_eq!(got, expected, "{req:?}");
                checked += 1;
            }
        }
    }
    // Answers from a block and the fallbacks' exceptions both well represented.
    assert!(
        checked - exceptions >= 80 && exceptions >= 100,
        "{checked} reads, {exceptions} exceptions"
    );
}

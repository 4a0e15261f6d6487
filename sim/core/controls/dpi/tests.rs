use super::*;
use crate::modbus::request_adu;

fn spec(mode: Mode) -> DpiSpec {
    DpiSpec {
        mode,
        on_block: OnBlock::Exception,
        latency_ms: 0.05,
        rules: vec![PolicyRule {
            from: Peer::Host("scada".into()),
            to: Peer::Zone("control".into()),
            preset: Preset::ReadWrite,
            read_ranges: vec![(0, 199), (9000, 9010)],
            write_ranges: vec![(0, 3)],
            value_bounds: vec![ValueBound {
                addresses: (2, 2),
                min: 600,
                max: 650,
            }],
            function_ranges: vec![FunctionRanges {
                function: 5,
                ranges: vec![(0, 0)],
            }],
            unit_ids: vec![1],
            rate_limit: Some((10.0, 2.0)),
        }],
        review_min: crate::dist::Dist::Fixed(60.0),
    }
}

fn flow(from: &'static str) -> Flow<'static> {
    Flow {
        from_host: from,
        from_zone: "supervisory",
        to_host: "plc-pasteur",
        to_zone: "control",
        source: 1,
    }
}

#[test]
fn policy_allows_what_it_lists_and_nothing_else() {
    let mut d = Dpi::new(&spec(Mode::Enforce));
    let ok = request_adu(
        1,
        1,
        &Request::ReadInputRegisters {
            address: 0,
            quantity: 17,
        },
    );
    assert_eq!(d.inspect(flow("scada"), &ok, 0), Ok(()));
    assert_eq!(d.inspect(flow("eng-ws"), &ok, 0), Err(Violation::NoRule));
    let diag = request_adu(
        1,
        1,
        &Request::Diagnostics {
            sub_function: 4,
            data: vec![0, 0],
        },
    );
    assert_eq!(
        d.inspect(flow("scada"), &diag, 1_000_000),
        Err(Violation::Function(8))
    );
    let low = request_adu(
        1,
        1,
        &Request::WriteSingleRegister {
            address: 2,
            value: 560,
        },
    );
    assert_eq!(
        d.inspect(flow("scada"), &low, 2_000_000),
        Err(Violation::Value {
            address: 2,
            value: 560
        })
    );
    let far = request_adu(
        1,
        1,
        &Request::WriteSingleRegister {
            address: 9000,
            value: 0,
        },
    );
    assert_eq!(
        d.inspect(flow("scada"), &far, 3_000_000),
        Err(Violation::Address {
            function: 6,
            address: 9000
        })
    );
    // FC05 only on the run coil (0): the maintenance-call coil (2) is out of its range.
    let coil = request_adu(
        1,
        1,
        &Request::WriteSingleCoil {
            address: 2,
            value: true,
        },
    );
    assert_eq!(
        d.inspect(flow("scada"), &coil, 3_500_000),
        Err(Violation::Address {
            function: 5,
            address: 2
        })
    );
    let run = request_adu(
        1,
        1,
        &Request::WriteSingleCoil {
            address: 0,
            value: true,
        },
    );
    assert_eq!(d.inspect(flow("scada"), &run, 3_600_000), Ok(()));
    let unit = request_adu(
        1,
        7,
        &Request::ReadInputRegisters {
            address: 0,
            quantity: 1,
        },
    );
    assert_eq!(
        d.inspect(flow("scada"), &unit, 4_000_000),
        Err(Violation::Unit(7))
    );
    assert_eq!(
        d.inspect(flow("scada"), b"GET / HTTP/1.0\r\n\r\n", 5_000_000),
        Err(Violation::Unparsable)
    );
}

/// One request against the test policy from the SCADA server on connection 1.
fn verdict(d: &mut Dpi, req: Request, t: Micros) -> Result<(), Violation> {
    d.inspect(flow("scada"), &request_adu(1, 1, &req), t)
}

#[test]
fn every_function_is_held_to_its_ranges_at_their_first_and_last_address_and_one_past() {
    // Reads: 0..=199 and 9000..=9010, whole requests only; FC01/02/03/04 alike.
    type Read = fn(u16, u16) -> Request;
    let reads: [(u8, Read); 4] = [
        (1, |address, quantity| Request::ReadCoils {
            address,
            quantity,
        }),
        (2, |address, quantity| Request::ReadDiscreteInputs {
            address,
            quantity,
        }),
        (3, |address, quantity| Request::ReadHoldingRegisters {
            address,
            quantity,
        }),
        (4, |address, quantity| Request::ReadInputRegisters {
            address,
            quantity,
        }),
    ];
    for (fc, read) in reads {
        for (address, quantity, ok) in [
            (0, 1, true),
            (199, 1, true),
            (200, 1, false),
            (190, 10, true),
            (190, 11, false),
            (8999, 1, false),
            (9000, 11, true),
            (9000, 12, false),
            (9010, 1, true),
            (9011, 1, false),
        ] {
            let mut d = Dpi::new(&spec(Mode::Enforce));
            let got = verdict(&mut d, read(address, quantity), 0);
            let want = if ok {
                Ok(())
            } else {
                Err(Violation::Address {
                    function: fc,
                    address,
                })
            };
            assert_eq!(got, want, "FC{fc:02} {address} × {quantity}");
        }
    }
    // Writes: 0..=3, every point of a multiple write; a register's value within its bounds.
    let cases: [(Request, Result<(), Violation>); 12] = [
        (
            Request::WriteSingleRegister {
                address: 3,
                value: 0,
            },
            Ok(()),
        ),
        (
            Request::WriteSingleRegister {
                address: 4,
                value: 0,
            },
            Err(Violation::Address {
                function: 6,
                address: 4,
            }),
        ),
        (
            Request::WriteSingleRegister {
                address: 2,
                value: 600,
            },
            Ok(()),
        ),
        (
            Request::WriteSingleRegister {
                address: 2,
                value: 650,
            },
            Ok(()),
        ),
        (
            Request::WriteSingleRegister {
                address: 2,
                value: 651,
            },
            Err(Violation::Value {
                address: 2,
                value: 651,
            }),
        ),
        (
            Request::WriteSingleRegister {
                address: 2,
                value: 599,
            },
            Err(Violation::Value {
                address: 2,
                value: 599,
            }),
        ),
        (
            Request::WriteMultipleRegisters {
                address: 0,
                values: vec![1, 1, 620, 1],
            },
            Ok(()),
        ),
        (
            Request::WriteMultipleRegisters {
                address: 1,
                values: vec![1, 620, 1, 1],
            },
            Err(Violation::Address {
                function: 16,
                address: 4,
            }),
        ),
        (
            Request::WriteMultipleRegisters {
                address: 1,
                values: vec![1, 700],
            },
            Err(Violation::Value {
                address: 2,
                value: 700,
            }),
        ),
        (
            Request::WriteMultipleCoils {
                address: 0,
                values: vec![true, false, true, true],
            },
            Ok(()),
        ),
        (
            Request::WriteMultipleCoils {
                address: 2,
                values: vec![true, true, true],
            },
            Err(Violation::Address {
                function: 15,
                address: 4,
            }),
        ),
        (
            Request::ReadWriteMultipleRegisters {
                read_address: 195,
                read_quantity: 5,
                write_address: 2,
                values: vec![610, 1],
            },
            Ok(()),
        ),
    ];
    for (req, want) in cases {
        let mut d = Dpi::new(&spec(Mode::Enforce));
        assert_eq!(verdict(&mut d, req.clone(), 0), want, "{req:?}");
    }
    // FC23's read half is held to the read ranges, its write half to the write ranges
    // and the bounds.
    for (read_address, read_quantity, write_address, values, want) in [
        (
            195,
            6,
            2,
            vec![610],
            Err(Violation::Address {
                function: 23,
                address: 195,
            }),
        ),
        (
            0,
            1,
            3,
            vec![0, 0],
            Err(Violation::Address {
                function: 23,
                address: 4,
            }),
        ),
        (
            0,
            1,
            2,
            vec![660],
            Err(Violation::Value {
                address: 2,
                value: 660,
            }),
        ),
    ] {
        let mut d = Dpi::new(&spec(Mode::Enforce));
        let req = Request::ReadWriteMultipleRegisters {
            read_address,
            read_quantity,
            write_address,
            values,
        };
        assert_eq!(verdict(&mut d, req.clone(), 0), want, "{req:?}");
    }
    // A function's own ranges replace the rule's for it: FC05 only on coil 0, while
    // FC15 keeps the write ranges 0..=3.
    let mut d = Dpi::new(&spec(Mode::Enforce));
    assert_eq!(
        verdict(
            &mut d,
            Request::WriteSingleCoil {
                address: 1,
                value: true
            },
            0
        ),
        Err(Violation::Address {
            function: 5,
            address: 1
        })
    );
    assert_eq!(
        verdict(
            &mut d,
            Request::WriteMultipleCoils {
                address: 1,
                values: vec![true]
            },
            0
        ),
        Ok(())
    );
    // And for a read function: FC04 only from 9000 on.
    let mut s = spec(Mode::Enforce);
    s.rules[0].function_ranges = vec![FunctionRanges {
        function: 4,
        ranges: vec![(9000, 9010)],
    }];
    let mut d = Dpi::new(&s);
    assert_eq!(
        verdict(
            &mut d,
            Request::ReadInputRegisters {
                address: 0,
                quantity: 1
            },
            0
        ),
        Err(Violation::Address {
            function: 4,
            address: 0
        })
    );
    assert_eq!(
        verdict(
            &mut d,
            Request::ReadHoldingRegisters {
                address: 0,
                quantity: 1
            },
            0
        ),
        Ok(())
    );
    // No ranges at all: any address.
    s.rules[0].read_ranges.clear();
    s.rules[0].function_ranges.clear();
    let mut d = Dpi::new(&s);
    assert_eq!(
        verdict(
            &mut d,
            Request::ReadInputRegisters {
                address: 60000,
                quantity: 100
            },
            0
        ),
        Ok(())
    );
}

#[test]
fn the_first_rule_that_names_both_ends_decides_by_host_or_zone() {
    let mut s = spec(Mode::Enforce);
    // A rule for another PLC first: it does not name this flow's destination.
    let mut other = s.rules[0].clone();
    other.to = Peer::Host("plc-filler".into());
    other.preset = Preset::ReadOnly;
    s.rules.insert(0, other);
    let write = Request::WriteSingleRegister {
        address: 0,
        value: 50,
    };
    let mut d = Dpi::new(&s);
    assert_eq!(verdict(&mut d, write.clone(), 0), Ok(()));
    // Named by its host, the read-only rule now comes first and decides.
    s.rules[0].to = Peer::Host("plc-pasteur".into());
    let mut d = Dpi::new(&s);
    assert_eq!(
        verdict(&mut d, write.clone(), 0),
        Err(Violation::Function(6))
    );
    // A rule from a zone matches every host of it, and only of it.
    s.rules[0].from = Peer::Zone("supervisory".into());
    let mut d = Dpi::new(&s);
    assert_eq!(
        d.inspect(flow("eng-ws"), &request_adu(1, 1, &write), 0),
        Err(Violation::Function(6))
    );
    let elsewhere = Flow {
        from_zone: "enterprise",
        ..flow("it-laptop")
    };
    assert_eq!(
        d.inspect(elsewhere, &request_adu(1, 1, &write), 0),
        Err(Violation::NoRule)
    );
}

#[test]
fn token_bucket_limits_the_rate_per_source() {
    let mut d = Dpi::new(&spec(Mode::Enforce));
    let r = request_adu(
        1,
        1,
        &Request::ReadInputRegisters {
            address: 0,
            quantity: 1,
        },
    );
    // Burst of 2, then one every 100 ms.
    assert!(d.inspect(flow("scada"), &r, 0).is_ok());
    assert!(d.inspect(flow("scada"), &r, 0).is_ok());
    assert_eq!(d.inspect(flow("scada"), &r, 0), Err(Violation::Rate));
    // 99 ms refill 0.99 of a token: still refused; at 100 ms, one passes.
    assert_eq!(d.inspect(flow("scada"), &r, 99_000), Err(Violation::Rate));
    assert!(d.inspect(flow("scada"), &r, 100_000).is_ok());
    assert_eq!(d.inspect(flow("scada"), &r, 100_000), Err(Violation::Rate));
    // A long pause refills to the burst, not beyond: two pass, the third is refused.
    for _ in 0..2 {
        assert!(d.inspect(flow("scada"), &r, 60_000_000).is_ok());
    }
    assert_eq!(
        d.inspect(flow("scada"), &r, 60_000_000),
        Err(Violation::Rate)
    );
    // Another source has a bucket of its own.
    let other = Flow {
        source: 2,
        ..flow("scada")
    };
    assert!(d.inspect(other, &r, 60_000_000).is_ok());
}

//! Property tests of the codec: round trips, no panics on any bytes, split frames.

use faultline::modbus::{Framer, Request, Response, parse_adu, request_adu};
use proptest::prelude::*;

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (any::<u16>(), 1u16..=2000)
            .prop_map(|(address, quantity)| Request::ReadCoils { address, quantity }),
        (any::<u16>(), 1u16..=2000)
            .prop_map(|(address, quantity)| Request::ReadDiscreteInputs { address, quantity }),
        (any::<u16>(), 1u16..=125)
            .prop_map(|(address, quantity)| Request::ReadHoldingRegisters { address, quantity }),
        (any::<u16>(), 1u16..=125)
            .prop_map(|(address, quantity)| Request::ReadInputRegisters { address, quantity }),
        (any::<u16>(), any::<bool>())
            .prop_map(|(address, value)| Request::WriteSingleCoil { address, value }),
        (any::<u16>(), any::<u16>())
            .prop_map(|(address, value)| Request::WriteSingleRegister { address, value }),
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..20))
            .prop_map(|(sub_function, data)| Request::Diagnostics { sub_function, data }),
        (
            any::<u16>(),
            proptest::collection::vec(any::<bool>(), 1..=1968)
        )
            .prop_map(|(address, values)| Request::WriteMultipleCoils { address, values }),
        (
            any::<u16>(),
            proptest::collection::vec(any::<u16>(), 1..=123)
        )
            .prop_map(|(address, values)| Request::WriteMultipleRegisters { address, values }),
        Just(Request::ReportServerId),
        (
            any::<u16>(),
            1u16..=125,
            any::<u16>(),
            proptest::collection::vec(any::<u16>(), 1..=121)
        )
            .prop_map(|(read_address, read_quantity, write_address, values)| {
                Request::ReadWriteMultipleRegisters {
                    read_address,
                    read_quantity,
                    write_address,
                    values,
                }
            }),
        (1u8..=4, any::<u8>()).prop_map(|(read_code, object_id)| {
            Request::ReadDeviceIdentification {
                read_code,
                object_id,
            }
        }),
        (0x41u8..=0x48, proptest::collection::vec(any::<u8>(), 0..30))
            .prop_map(|(function, data)| Request::Raw { function, data }),
    ]
}

proptest! {
    #[test]
    fn request_round_trip(req in request(), tid in any::<u16>(), unit in any::<u8>()) {
        let adu = request_adu(tid, unit, &req);
        let (h, pdu) = parse_adu(&adu).unwrap();
        prop_assert_eq!(h.transaction_id, tid);
        prop_assert_eq!(h.unit_id, unit);
        prop_assert_eq!(Request::decode_pdu(pdu).unwrap(), req);
    }

    #[test]
    fn register_response_round_trip(regs in proptest::collection::vec(any::<u16>(), 0..=125)) {
        let r = Response::ReadHoldingRegisters(regs);
        let mut pdu = Vec::new();
        r.encode_pdu(&mut pdu);
        prop_assert_eq!(Response::decode_pdu(&pdu).unwrap(), r);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Request::decode_pdu(&bytes);
        let _ = Response::decode_pdu(&bytes);
        let _ = parse_adu(&bytes);
        let mut f = Framer::new();
        f.push(&bytes);
        while let Some(Ok(_)) = f.next_frame() {}
    }

    #[test]
    fn frames_split_anywhere_reassemble(req in request(), cut in 0usize..300) {
        let adu = request_adu(1, 1, &req);
        let cut = cut.min(adu.len());
        let mut f = Framer::new();
        f.push(&adu[..cut]);
        if cut < adu.len() {
            prop_assert!(f.next_frame().is_none());
        }
        f.push(&adu[cut..]);
        prop_assert_eq!(f.next_frame(), Some(Ok(adu)));
    }
}

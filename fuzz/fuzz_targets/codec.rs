//! Fuzz the Modbus decoders and the MBAP framer: no input may panic, and what decodes
//! must encode back to the same bytes.
//!
//! `cargo fuzz run codec fuzz/corpus/codec` (RUSTC_BOOTSTRAP=1 on a stable toolchain).
#![no_main]

use faultline::modbus::{Framer, Request, Response, parse_adu};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The framer, fed the bytes in two pieces at every split the first byte chooses.
    let split = data.first().map(|b| *b as usize % (data.len() + 1)).unwrap_or(0);
    let mut f = Framer::new();
    f.push(&data[..split]);
    while let Some(Ok(_)) = f.next_frame() {}
    f.push(&data[split..]);
    while let Some(Ok(adu)) = f.next_frame() {
        let (_, pdu) = parse_adu(&adu).expect("the framer passes whole frames only");
        if let Ok(req) = Request::decode_pdu(pdu) {
            let mut again = Vec::new();
            req.encode_pdu(&mut again);
            assert_eq!(Request::decode_pdu(&again).as_ref(), Ok(&req), "request round trip");
        }
    }
    // The PDU decoders on the raw bytes.
    if let Ok(req) = Request::decode_pdu(data) {
        let mut again = Vec::new();
        req.encode_pdu(&mut again);
        assert_eq!(Request::decode_pdu(&again).as_ref(), Ok(&req));
    }
    if let Ok(resp) = Response::decode_pdu(data) {
        let mut again = Vec::new();
        resp.encode_pdu(&mut again);
        assert_eq!(Response::decode_pdu(&again).as_ref(), Ok(&resp));
    }
    let _ = parse_adu(data);
});

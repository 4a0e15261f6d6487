//! Modbus/TCP framing (MBAP header) and PDU encoding/decoding, per the Modbus Application
//! Protocol Specification V1.1b3 and the Modbus Messaging on TCP/IP Implementation Guide V1.0b.
//!
//! ```text
//! ADU:  | transaction id (2) | protocol id (2) = 0 | length (2) = 1 + PDU | unit id (1) | PDU |
//! PDU:  | function code (1) | data (0..252) |
//! ```
//! Every decoder works on untrusted bytes: it returns an error, never panics, never
//! allocates more than the input's size.

use std::fmt;

mod frame;
mod request;
mod response;

pub use frame::*;

pub const MBAP_LEN: usize = 7;

/// Largest PDU: 253 bytes (256-byte serial ADU minus address and CRC).
pub const MAX_PDU: usize = 253;

pub const MAX_ADU: usize = MBAP_LEN + MAX_PDU;

/// Function codes.
pub mod fc {
    pub const READ_COILS: u8 = 0x01;
    pub const READ_DISCRETE_INPUTS: u8 = 0x02;
    pub const READ_HOLDING_REGISTERS: u8 = 0x03;
    pub const READ_INPUT_REGISTERS: u8 = 0x04;
    pub const WRITE_SINGLE_COIL: u8 = 0x05;
    pub const WRITE_SINGLE_REGISTER: u8 = 0x06;
    pub const DIAGNOSTICS: u8 = 0x08;
    pub const WRITE_MULTIPLE_COILS: u8 = 0x0F;
    pub const WRITE_MULTIPLE_REGISTERS: u8 = 0x10;
    pub const REPORT_SERVER_ID: u8 = 0x11;
    pub const READ_WRITE_MULTIPLE_REGISTERS: u8 = 0x17;
    pub const ENCAPSULATED_INTERFACE: u8 = 0x2B;
    /// MEI type for Read Device Identification under FC 0x2B.
    pub const MEI_READ_DEVICE_ID: u8 = 0x0E;
}

/// Diagnostics (FC 08) sub-functions that the PLCs implement.
pub mod diag {
    pub const RETURN_QUERY_DATA: u16 = 0x0000;
    pub const RESTART_COMMUNICATIONS: u16 = 0x0001;
    pub const FORCE_LISTEN_ONLY: u16 = 0x0004;
}

/// Limits on quantities, from the specification.
pub mod limit {
    pub const READ_BITS: u16 = 2000;
    pub const READ_REGISTERS: u16 = 125;
    pub const WRITE_BITS: u16 = 1968;
    pub const WRITE_REGISTERS: u16 = 123;
    pub const RW_WRITE_REGISTERS: u16 = 121;
    /// The largest Modbus/TCP ADU: the 7-byte MBAP header and a PDU of at most 253 bytes.
    pub const ADU_BYTES: usize = 260;
}

/// Exception codes a server answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ExceptionCode {
    IllegalFunction = 0x01,
    IllegalDataAddress = 0x02,
    IllegalDataValue = 0x03,
    ServerDeviceFailure = 0x04,
    Acknowledge = 0x05,
    ServerDeviceBusy = 0x06,
    GatewayPathUnavailable = 0x0A,
    GatewayTargetFailedToRespond = 0x0B,
}

impl ExceptionCode {
    pub fn from_u8(v: u8) -> Option<Self> {
        use ExceptionCode::*;
        Some(match v {
            0x01 => IllegalFunction,
            0x02 => IllegalDataAddress,
            0x03 => IllegalDataValue,
            0x04 => ServerDeviceFailure,
            0x05 => Acknowledge,
            0x06 => ServerDeviceBusy,
            0x0A => GatewayPathUnavailable,
            0x0B => GatewayTargetFailedToRespond,
            _ => return None,
        })
    }
}

impl fmt::Display for ExceptionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (0x{:02X})", self, *self as u8)
    }
}

/// The MBAP header of a Modbus/TCP ADU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MbapHeader {
    pub transaction_id: u16,
    pub protocol_id: u16,
    /// Number of following bytes: unit id + PDU.
    pub length: u16,
    pub unit_id: u8,
}

/// Why a byte stream cannot be framed. The stream is out of step after one of these:
/// a server closes the connection, a proxy fails closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Protocol identifier other than 0 (not Modbus).
    ProtocolId(u16),
    /// MBAP length outside 2..=254 (unit id + a PDU of 1..=253 bytes).
    Length(u16),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::ProtocolId(p) => write!(f, "MBAP protocol id {p} (Modbus is 0)"),
            FrameError::Length(l) => write!(f, "MBAP length {l} outside 2..=254"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Why a PDU cannot be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PduError {
    Empty,
    /// Fewer bytes than the function code needs.
    Truncated {
        function: u8,
        need: usize,
        got: usize,
    },
    /// More bytes than the function code's layout has, or a byte count that disagrees.
    Length {
        function: u8,
    },
    /// A quantity outside the specification's range.
    Quantity {
        function: u8,
        quantity: u16,
    },
    /// A value the specification forbids (a coil value other than 0x0000/0xFF00).
    Value {
        function: u8,
    },
}

impl PduError {
    /// The exception a server answers with, per the specification's state diagrams
    /// (quantity and length problems are "illegal data value").
    pub fn exception(&self) -> ExceptionCode {
        ExceptionCode::IllegalDataValue
    }

    pub fn function(&self) -> Option<u8> {
        match *self {
            PduError::Empty => None,
            PduError::Truncated { function, .. }
            | PduError::Length { function }
            | PduError::Quantity { function, .. }
            | PduError::Value { function } => Some(function),
        }
    }
}

impl fmt::Display for PduError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PduError::Empty => write!(f, "empty PDU"),
            PduError::Truncated {
                function,
                need,
                got,
            } => {
                write!(f, "FC 0x{function:02X}: truncated, {got} of {need} bytes")
            }
            PduError::Length { function } => {
                write!(f, "FC 0x{function:02X}: length or byte count mismatch")
            }
            PduError::Quantity { function, quantity } => {
                write!(f, "FC 0x{function:02X}: quantity {quantity} out of range")
            }
            PduError::Value { function } => write!(f, "FC 0x{function:02X}: illegal value"),
        }
    }
}

impl std::error::Error for PduError {}

/// A client request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    ReadCoils {
        address: u16,
        quantity: u16,
    },
    ReadDiscreteInputs {
        address: u16,
        quantity: u16,
    },
    ReadHoldingRegisters {
        address: u16,
        quantity: u16,
    },
    ReadInputRegisters {
        address: u16,
        quantity: u16,
    },
    WriteSingleCoil {
        address: u16,
        value: bool,
    },
    WriteSingleRegister {
        address: u16,
        value: u16,
    },
    Diagnostics {
        sub_function: u16,
        data: Vec<u8>,
    },
    WriteMultipleCoils {
        address: u16,
        values: Vec<bool>,
    },
    WriteMultipleRegisters {
        address: u16,
        values: Vec<u16>,
    },
    ReportServerId,
    ReadWriteMultipleRegisters {
        read_address: u16,
        read_quantity: u16,
        write_address: u16,
        values: Vec<u16>,
    },
    ReadDeviceIdentification {
        read_code: u8,
        object_id: u8,
    },
    /// Any other function code, kept as raw bytes.
    Raw {
        function: u8,
        data: Vec<u8>,
    },
}

/// A server response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// Bits as sent: the last byte is padded with zeros, so the vector's length is a
    /// multiple of 8; take the requested quantity from the front.
    ReadCoils(Vec<bool>),
    ReadDiscreteInputs(Vec<bool>),
    ReadHoldingRegisters(Vec<u16>),
    ReadInputRegisters(Vec<u16>),
    WriteSingleCoil {
        address: u16,
        value: bool,
    },
    WriteSingleRegister {
        address: u16,
        value: u16,
    },
    Diagnostics {
        sub_function: u16,
        data: Vec<u8>,
    },
    WriteMultipleCoils {
        address: u16,
        quantity: u16,
    },
    WriteMultipleRegisters {
        address: u16,
        quantity: u16,
    },
    /// Server id bytes, run indicator (0xFF = run), additional data.
    ReportServerId {
        server_id: u8,
        running: bool,
        additional: Vec<u8>,
    },
    ReadWriteMultipleRegisters(Vec<u16>),
    ReadDeviceIdentification {
        read_code: u8,
        conformity: u8,
        more_follows: bool,
        next_object_id: u8,
        objects: Vec<(u8, Vec<u8>)>,
    },
    Exception {
        function: u8,
        code: u8,
    },
    Raw {
        function: u8,
        data: Vec<u8>,
    },
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn need(function: u8, pdu: &[u8], n: usize) -> Result<(), PduError> {
    if pdu.len() < n {
        Err(PduError::Truncated {
            function,
            need: n,
            got: pdu.len(),
        })
    } else {
        Ok(())
    }
}

fn exact(function: u8, pdu: &[u8], n: usize) -> Result<(), PduError> {
    need(function, pdu, n)?;
    if pdu.len() > n {
        Err(PduError::Length { function })
    } else {
        Ok(())
    }
}

fn push16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn pack_bits(out: &mut Vec<u8>, bits: &[bool]) {
    for chunk in bits.chunks(8) {
        let mut byte = 0u8;
        for (i, b) in chunk.iter().enumerate() {
            if *b {
                byte |= 1 << i;
            }
        }
        out.push(byte);
    }
}

fn unpack_bits(bytes: &[u8], n: usize) -> Vec<bool> {
    (0..n).map(|i| bytes[i / 8] & (1 << (i % 8)) != 0).collect()
}

fn registers(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

fn coil_value(function: u8, v: u16) -> Result<bool, PduError> {
    match v {
        0xFF00 => Ok(true),
        0x0000 => Ok(false),
        _ => Err(PduError::Value { function }),
    }
}

fn coil_word(v: bool) -> u16 {
    if v { 0xFF00 } else { 0x0000 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_holding_registers_request_bytes() {
        // | tx id | proto | length | unit | fc | address | quantity |
        let expected = [
            0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03,
        ];
        let adu = request_adu(
            1,
            0x11,
            &Request::ReadHoldingRegisters {
                address: 0x6B,
                quantity: 3,
            },
        );
        assert_eq!(adu, expected);
        let (h, pdu) = parse_adu(&adu).unwrap();
        assert_eq!(h.unit_id, 0x11);
        assert_eq!(
            Request::decode_pdu(pdu).unwrap(),
            Request::ReadHoldingRegisters {
                address: 0x6B,
                quantity: 3
            }
        );
    }

    #[test]
    fn write_multiple_coils_spec_example() {
        // Spec example: write 10 coils from 20 (0x13): byte count 2, CD 01.
        let req = Request::WriteMultipleCoils {
            address: 0x13,
            values: vec![
                true, false, true, true, false, false, true, true, true, false,
            ],
        };
        let mut pdu = Vec::new();
        req.encode_pdu(&mut pdu);
        assert_eq!(pdu, [0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01]);
        assert_eq!(Request::decode_pdu(&pdu).unwrap(), req);
    }

    #[test]
    fn exception_response_bytes() {
        let mut pdu = Vec::new();
        Response::exception(0x03, ExceptionCode::IllegalDataAddress).encode_pdu(&mut pdu);
        assert_eq!(pdu, [0x83, 0x02]);
        assert_eq!(
            Response::decode_pdu(&pdu).unwrap(),
            Response::Exception {
                function: 3,
                code: 2
            }
        );
    }

    #[test]
    fn malformed_requests_are_errors_not_panics() {
        assert_eq!(Request::decode_pdu(&[]), Err(PduError::Empty));
        assert!(matches!(
            Request::decode_pdu(&[0x03, 0x00]),
            Err(PduError::Truncated { .. })
        ));
        assert!(matches!(
            Request::decode_pdu(&[0x03, 0, 0, 0, 0]),
            Err(PduError::Quantity { quantity: 0, .. })
        ));
        assert!(matches!(
            Request::decode_pdu(&[0x05, 0, 1, 0x12, 0x34]),
            Err(PduError::Value { .. })
        ));
        // FC16 with a byte count that disagrees with the quantity.
        assert!(matches!(
            Request::decode_pdu(&[0x10, 0, 0, 0, 2, 3, 0, 1, 0]),
            Err(PduError::Length { .. })
        ));
        assert_eq!(
            Request::decode_pdu(&[0x41, 1, 2]).unwrap(),
            Request::Raw {
                function: 0x41,
                data: vec![1, 2]
            }
        );
    }

    #[test]
    fn framer_joins_split_frames_and_splits_joined_ones() {
        let a = request_adu(
            7,
            1,
            &Request::ReadCoils {
                address: 0,
                quantity: 8,
            },
        );
        let b = request_adu(
            8,
            1,
            &Request::WriteSingleRegister {
                address: 3,
                value: 600,
            },
        );
        let mut f = Framer::new();
        f.push(&a[..4]);
        assert!(f.next_frame().is_none());
        f.push(&a[4..]);
        f.push(&b[..9]);
        assert_eq!(f.next_frame(), Some(Ok(a.clone())));
        assert!(f.next_frame().is_none());
        f.push(&b[9..]);
        assert_eq!(f.next_frame(), Some(Ok(b)));
        assert_eq!(f.pending(), 0);
    }

    #[test]
    fn framer_fails_on_non_modbus_bytes() {
        let mut f = Framer::new();
        f.push(b"GET / HTTP/1.0\r\n\r\n");
        assert_eq!(f.next_frame(), Some(Err(FrameError::ProtocolId(0x5420))));
        f.push(&request_adu(1, 1, &Request::ReportServerId));
        assert!(
            matches!(f.next_frame(), Some(Err(_))),
            "a failed framer stays failed"
        );
    }

    #[test]
    fn reads_encoded_from_slices_and_decoded_into_a_buffer_are_the_answers_bytes() {
        for n in 0..=20usize {
            let regs: Vec<u16> = (0..n as u16)
                .map(|k| k.wrapping_mul(7919) ^ 0xA5A5)
                .collect();
            for function in [fc::READ_HOLDING_REGISTERS, fc::READ_INPUT_REGISTERS] {
                let answer = if function == fc::READ_HOLDING_REGISTERS {
                    Response::ReadHoldingRegisters(regs.clone())
                } else {
                    Response::ReadInputRegisters(regs.clone())
                };
                let (mut a, mut b) = (Vec::new(), Vec::new());
                answer.encode_pdu(&mut a);
                Response::encode_registers_pdu(&mut b, function, &regs);
                assert_eq!(a, b, "{n} registers, function {function}");
                let mut buf = [0u16; 128];
                assert_eq!(
                    Response::decode_registers_into(&a, &mut buf),
                    Some(&regs[..])
                );
            }
            // Bits: the vector a PLC answers is padded to whole bytes; the slice is not.
            let bits: Vec<bool> = (0..n).map(|k| k % 3 != 1).collect();
            let mut padded = bits.clone();
            padded.resize(n.div_ceil(8) * 8, false);
            for function in [fc::READ_COILS, fc::READ_DISCRETE_INPUTS] {
                let answer = if function == fc::READ_COILS {
                    Response::ReadCoils(padded.clone())
                } else {
                    Response::ReadDiscreteInputs(padded.clone())
                };
                let (mut a, mut b) = (Vec::new(), Vec::new());
                answer.encode_pdu(&mut a);
                Response::encode_bits_pdu(&mut b, function, &bits);
                assert_eq!(a, b, "{n} bits, function {function}");
            }
        }
        // The buffer's decode agrees with the vector's on everything else: the most
        // registers a byte count holds, function 23, and what it refuses.
        let most: Vec<u8> = [fc::READ_INPUT_REGISTERS, 254]
            .into_iter()
            .chain(vec![1; 254])
            .collect();
        let mut buf = [0u16; 128];
        assert_eq!(
            Response::decode_registers_into(&most, &mut buf).map(<[u16]>::len),
            Some(127)
        );
        let rw = [fc::READ_WRITE_MULTIPLE_REGISTERS, 2, 0x01, 0x02];
        assert_eq!(
            Response::decode_registers_into(&rw, &mut buf),
            Some(&[0x0102][..])
        );
        for refused in [
            &[][..],
            &[fc::READ_HOLDING_REGISTERS][..],
            &[fc::READ_HOLDING_REGISTERS, 3, 0, 1, 2][..],
            &[fc::READ_HOLDING_REGISTERS, 4, 0, 1][..],
            &[fc::READ_HOLDING_REGISTERS, 2, 0, 1, 9][..],
            &[fc::READ_HOLDING_REGISTERS | 0x80, 2][..],
            &[fc::READ_COILS, 1, 0xFF][..],
            &[fc::WRITE_SINGLE_REGISTER, 0, 1, 0, 2][..],
        ] {
            assert_eq!(
                Response::decode_registers_into(refused, &mut buf),
                None,
                "{refused:?}"
            );
            assert!(
                !matches!(
                    Response::decode_pdu(refused),
                    Ok(Response::ReadHoldingRegisters(_) | Response::ReadInputRegisters(_))
                ),
                "{refused:?}"
            );
        }
    }
}

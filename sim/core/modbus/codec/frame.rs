//! MBAP framing: ADUs built and parsed, and a framer that cuts a byte stream into whole frames by the MBAP length.

use super::*;

/// Encode a whole ADU: MBAP header followed by the PDU that `pdu` writes.
pub fn encode_adu(
    out: &mut Vec<u8>,
    transaction_id: u16,
    unit_id: u8,
    pdu: impl FnOnce(&mut Vec<u8>),
) {
    let start = out.len();
    push16(out, transaction_id);
    push16(out, 0);
    push16(out, 0); // length, patched below
    out.push(unit_id);
    pdu(out);
    let length = (out.len() - start - 6) as u16;
    out[start + 4..start + 6].copy_from_slice(&length.to_be_bytes());
}

pub fn request_adu(transaction_id: u16, unit_id: u8, request: &Request) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    encode_adu(&mut out, transaction_id, unit_id, |o| request.encode_pdu(o));
    out
}

pub fn response_adu(transaction_id: u16, unit_id: u8, response: &Response) -> Vec<u8> {
    // Sized once: a register read of N words is 9 + 2N bytes.
    let data = match response {
        Response::ReadHoldingRegisters(r)
        | Response::ReadInputRegisters(r)
        | Response::ReadWriteMultipleRegisters(r) => 2 * r.len(),
        Response::ReadCoils(b) | Response::ReadDiscreteInputs(b) => b.len().div_ceil(8),
        _ => 8,
    };
    let mut out = Vec::with_capacity(10 + data);
    encode_adu(&mut out, transaction_id, unit_id, |o| {
        response.encode_pdu(o)
    });
    out
}

/// Parse the MBAP header of a complete ADU (exactly one frame) and return it with the PDU.
pub fn parse_adu(adu: &[u8]) -> Result<(MbapHeader, &[u8]), FrameError> {
    let header = parse_header(adu).ok_or(FrameError::Length(0))??;
    if adu.len() != 6 + header.length as usize {
        return Err(FrameError::Length(header.length));
    }
    Ok((header, &adu[MBAP_LEN..]))
}

/// The header at the front of `bytes`: `None` when fewer than 7 bytes are there.
pub(crate) fn parse_header(bytes: &[u8]) -> Option<Result<MbapHeader, FrameError>> {
    if bytes.len() < MBAP_LEN {
        return None;
    }
    let header = MbapHeader {
        transaction_id: be16(bytes, 0),
        protocol_id: be16(bytes, 2),
        length: be16(bytes, 4),
        unit_id: bytes[6],
    };
    Some(if header.protocol_id != 0 {
        Err(FrameError::ProtocolId(header.protocol_id))
    } else if !(2..=(MAX_PDU as u16 + 1)).contains(&header.length) {
        Err(FrameError::Length(header.length))
    } else {
        Ok(header)
    })
}

/// Splits a TCP byte stream into ADUs by the MBAP length, whatever the function code.
/// Bytes may arrive in any pieces. After an error the stream is out of step and the
/// framer stays failed: the caller closes the connection.
#[derive(Clone, Default, Debug)]
pub struct Framer {
    buf: Vec<u8>,
    failed: Option<FrameError>,
}

impl Framer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes held that do not make a whole frame yet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete ADU copied into `adu` (its buffer reused: no allocation once it
    /// has room for the largest ADU), `None` if more bytes are needed.
    pub fn next_frame_into(&mut self, adu: &mut Vec<u8>) -> Option<Result<(), FrameError>> {
        if let Some(e) = &self.failed {
            return Some(Err(e.clone()));
        }
        match parse_header(&self.buf)? {
            Err(e) => {
                self.failed = Some(e.clone());
                self.buf = Vec::new();
                Some(Err(e))
            }
            Ok(h) => {
                let total = 6 + h.length as usize;
                if self.buf.len() < total {
                    return None;
                }
                adu.clear();
                adu.extend_from_slice(&self.buf[..total]);
                self.buf.drain(..total);
                Some(Ok(()))
            }
        }
    }

    /// The next complete ADU, `None` if more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        let mut adu = Vec::new();
        Some(self.next_frame_into(&mut adu)?.map(|()| adu))
    }
}

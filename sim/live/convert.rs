//! Between tokio-modbus's typed frames and faultline's codec. Requests become our PDU
//! bytes (the PLC decodes them itself, so a malformed custom frame stays malformed);
//! our reply PDU goes back out byte for byte as a `Custom` response, or as an exception.

use crate::modbus::{Request, Response, parse_adu};
use tokio_modbus::bytes::Bytes;
use tokio_modbus::{ExceptionCode, Request as TRequest, Response as TResponse};

/// Our request for a tokio-modbus one, and the PDU bytes to put in the ADU.
pub fn request(req: TRequest<'_>) -> (Option<Request>, Vec<u8>) {
    let ours = match req {
        TRequest::ReadCoils(address, quantity) => Request::ReadCoils { address, quantity },
        TRequest::ReadDiscreteInputs(address, quantity) => {
            Request::ReadDiscreteInputs { address, quantity }
        }
        TRequest::ReadHoldingRegisters(address, quantity) => {
            Request::ReadHoldingRegisters { address, quantity }
        }
        TRequest::ReadInputRegisters(address, quantity) => {
            Request::ReadInputRegisters { address, quantity }
        }
        TRequest::WriteSingleCoil(address, value) => Request::WriteSingleCoil { address, value },
        TRequest::WriteSingleRegister(address, value) => {
            Request::WriteSingleRegister { address, value }
        }
        TRequest::WriteMultipleCoils(address, values) => Request::WriteMultipleCoils {
            address,
            values: values.into_owned(),
        },
        TRequest::WriteMultipleRegisters(address, values) => Request::WriteMultipleRegisters {
            address,
            values: values.into_owned(),
        },
        TRequest::ReportServerId => Request::ReportServerId,
        TRequest::ReadWriteMultipleRegisters(
            read_address,
            read_quantity,
            write_address,
            values,
        ) => Request::ReadWriteMultipleRegisters {
            read_address,
            read_quantity,
            write_address,
            values: values.into_owned(),
        },
        TRequest::ReadDeviceIdentification(code, object_id) => Request::ReadDeviceIdentification {
            read_code: code.value(),
            object_id,
        },
        TRequest::MaskWriteRegister(address, and, or) => {
            let mut data = Vec::with_capacity(6);
            for v in [address, and, or] {
                data.extend_from_slice(&v.to_be_bytes());
            }
            Request::Raw {
                function: 0x16,
                data,
            }
        }
        TRequest::Custom(function, data) => {
            let mut pdu = Vec::with_capacity(1 + data.len());
            pdu.push(function);
            pdu.extend_from_slice(&data);
            return (Request::decode_pdu(&pdu).ok(), pdu);
        }
    };
    let mut pdu = Vec::with_capacity(16);
    ours.encode_pdu(&mut pdu);
    (Some(ours), pdu)
}

/// The tokio-modbus reply for our response PDU.
pub fn reply_pdu(pdu: &[u8]) -> Result<Option<TResponse>, ExceptionCode> {
    match pdu {
        [] => Ok(None),
        [f, code, ..] if f & 0x80 != 0 => Err(ExceptionCode::new(*code)),
        [f, rest @ ..] => Ok(Some(TResponse::Custom(*f, Bytes::copy_from_slice(rest)))),
    }
}

/// The tokio-modbus reply for a whole reply ADU from the World.
pub fn reply_adu(adu: &[u8]) -> Result<Option<TResponse>, ExceptionCode> {
    match parse_adu(adu) {
        Ok((_, pdu)) => reply_pdu(pdu),
        Err(_) => Ok(None),
    }
}

/// The tokio-modbus reply for a response served without the World (reads from the image).
pub fn reply(
    r: Result<Response, crate::modbus::ExceptionCode>,
) -> Result<Option<TResponse>, ExceptionCode> {
    match r {
        Ok(resp) => {
            let mut pdu = Vec::with_capacity(32);
            resp.encode_pdu(&mut pdu);
            reply_pdu(&pdu)
        }
        Err(e) => Err(ExceptionCode::new(e as u8)),
    }
}

//! Requests: decoded from a PDU (never panicking, unknown function codes kept as bytes) and encoded.

use super::*;

impl Request {
    pub fn function(&self) -> u8 {
        use Request::*;
        match self {
            ReadCoils { .. } => fc::READ_COILS,
            ReadDiscreteInputs { .. } => fc::READ_DISCRETE_INPUTS,
            ReadHoldingRegisters { .. } => fc::READ_HOLDING_REGISTERS,
            ReadInputRegisters { .. } => fc::READ_INPUT_REGISTERS,
            WriteSingleCoil { .. } => fc::WRITE_SINGLE_COIL,
            WriteSingleRegister { .. } => fc::WRITE_SINGLE_REGISTER,
            Diagnostics { .. } => fc::DIAGNOSTICS,
            WriteMultipleCoils { .. } => fc::WRITE_MULTIPLE_COILS,
            WriteMultipleRegisters { .. } => fc::WRITE_MULTIPLE_REGISTERS,
            ReportServerId => fc::REPORT_SERVER_ID,
            ReadWriteMultipleRegisters { .. } => fc::READ_WRITE_MULTIPLE_REGISTERS,
            ReadDeviceIdentification { .. } => fc::ENCAPSULATED_INTERFACE,
            Raw { function, .. } => *function,
        }
    }

    /// Whether the request changes the server's state.
    pub fn is_write(&self) -> bool {
        use Request::*;
        matches!(
            self,
            WriteSingleCoil { .. }
                | WriteSingleRegister { .. }
                | WriteMultipleCoils { .. }
                | WriteMultipleRegisters { .. }
                | ReadWriteMultipleRegisters { .. }
        )
    }

    pub fn encode_pdu(&self, out: &mut Vec<u8>) {
        use Request::*;
        out.push(self.function());
        match self {
            ReadCoils { address, quantity }
            | ReadDiscreteInputs { address, quantity }
            | ReadHoldingRegisters { address, quantity }
            | ReadInputRegisters { address, quantity } => {
                push16(out, *address);
                push16(out, *quantity);
            }
            WriteSingleCoil { address, value } => {
                push16(out, *address);
                push16(out, coil_word(*value));
            }
            WriteSingleRegister { address, value } => {
                push16(out, *address);
                push16(out, *value);
            }
            Diagnostics { sub_function, data } => {
                push16(out, *sub_function);
                out.extend_from_slice(data);
            }
            WriteMultipleCoils { address, values } => {
                push16(out, *address);
                push16(out, values.len() as u16);
                out.push(values.len().div_ceil(8) as u8);
                pack_bits(out, values);
            }
            WriteMultipleRegisters { address, values } => {
                push16(out, *address);
                push16(out, values.len() as u16);
                out.push((values.len() * 2) as u8);
                values.iter().for_each(|v| push16(out, *v));
            }
            ReportServerId => {}
            ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                values,
            } => {
                push16(out, *read_address);
                push16(out, *read_quantity);
                push16(out, *write_address);
                push16(out, values.len() as u16);
                out.push((values.len() * 2) as u8);
                values.iter().for_each(|v| push16(out, *v));
            }
            ReadDeviceIdentification {
                read_code,
                object_id,
            } => {
                out.extend_from_slice(&[fc::MEI_READ_DEVICE_ID, *read_code, *object_id]);
            }
            Raw { data, .. } => out.extend_from_slice(data),
        }
    }

    /// Decode a request PDU (function code first).
    pub fn decode_pdu(pdu: &[u8]) -> Result<Request, PduError> {
        let Some(&function) = pdu.first() else {
            return Err(PduError::Empty);
        };
        let read = |max: u16| -> Result<(u16, u16), PduError> {
            exact(function, pdu, 5)?;
            let (address, quantity) = (be16(pdu, 1), be16(pdu, 3));
            if quantity == 0 || quantity > max {
                return Err(PduError::Quantity { function, quantity });
            }
            Ok((address, quantity))
        };
        Ok(match function {
            fc::READ_COILS => {
                let (address, quantity) = read(limit::READ_BITS)?;
                Request::ReadCoils { address, quantity }
            }
            fc::READ_DISCRETE_INPUTS => {
                let (address, quantity) = read(limit::READ_BITS)?;
                Request::ReadDiscreteInputs { address, quantity }
            }
            fc::READ_HOLDING_REGISTERS => {
                let (address, quantity) = read(limit::READ_REGISTERS)?;
                Request::ReadHoldingRegisters { address, quantity }
            }
            fc::READ_INPUT_REGISTERS => {
                let (address, quantity) = read(limit::READ_REGISTERS)?;
                Request::ReadInputRegisters { address, quantity }
            }
            fc::WRITE_SINGLE_COIL => {
                exact(function, pdu, 5)?;
                Request::WriteSingleCoil {
                    address: be16(pdu, 1),
                    value: coil_value(function, be16(pdu, 3))?,
                }
            }
            fc::WRITE_SINGLE_REGISTER => {
                exact(function, pdu, 5)?;
                Request::WriteSingleRegister {
                    address: be16(pdu, 1),
                    value: be16(pdu, 3),
                }
            }
            fc::DIAGNOSTICS => {
                need(function, pdu, 3)?;
                Request::Diagnostics {
                    sub_function: be16(pdu, 1),
                    data: pdu[3..].to_vec(),
                }
            }
            fc::WRITE_MULTIPLE_COILS => {
                need(function, pdu, 6)?;
                let (address, quantity, count) = (be16(pdu, 1), be16(pdu, 3), pdu[5] as usize);
                if quantity == 0 || quantity > limit::WRITE_BITS {
                    return Err(PduError::Quantity { function, quantity });
                }
                if count != (quantity as usize).div_ceil(8) {
                    return Err(PduError::Length { function });
                }
                exact(function, pdu, 6 + count)?;
                Request::WriteMultipleCoils {
                    address,
                    values: unpack_bits(&pdu[6..], quantity as usize),
                }
            }
            fc::WRITE_MULTIPLE_REGISTERS => {
                need(function, pdu, 6)?;
                let (address, quantity, count) = (be16(pdu, 1), be16(pdu, 3), pdu[5] as usize);
                if quantity == 0 || quantity > limit::WRITE_REGISTERS {
                    return Err(PduError::Quantity { function, quantity });
                }
                if count != quantity as usize * 2 {
                    return Err(PduError::Length { function });
                }
                exact(function, pdu, 6 + count)?;
                Request::WriteMultipleRegisters {
                    address,
                    values: registers(&pdu[6..]),
                }
            }
            fc::REPORT_SERVER_ID => {
                exact(function, pdu, 1)?;
                Request::ReportServerId
            }
            fc::READ_WRITE_MULTIPLE_REGISTERS => decode_read_write(pdu)?,
            fc::ENCAPSULATED_INTERFACE if pdu.get(1) == Some(&fc::MEI_READ_DEVICE_ID) => {
                exact(function, pdu, 4)?;
                // Read device id codes are 01-04 (spec 6.21): another is a bad value.
                if !(1..=4).contains(&pdu[2]) {
                    return Err(PduError::Value { function });
                }
                Request::ReadDeviceIdentification {
                    read_code: pdu[2],
                    object_id: pdu[3],
                }
            }
            _ => Request::Raw {
                function,
                data: pdu[1..].to_vec(),
            },
        })
    }
}

/// FC 17 (Read/Write Multiple Registers): both quantities within their limits and the byte
/// count matching the registers written.
fn decode_read_write(pdu: &[u8]) -> Result<Request, PduError> {
    let function = fc::READ_WRITE_MULTIPLE_REGISTERS;
    need(function, pdu, 10)?;
    let (read_address, read_quantity) = (be16(pdu, 1), be16(pdu, 3));
    let (write_address, write_quantity, count) = (be16(pdu, 5), be16(pdu, 7), pdu[9] as usize);
    if read_quantity == 0 || read_quantity > limit::READ_REGISTERS {
        return Err(PduError::Quantity {
            function,
            quantity: read_quantity,
        });
    }
    if write_quantity == 0 || write_quantity > limit::RW_WRITE_REGISTERS {
        return Err(PduError::Quantity {
            function,
            quantity: write_quantity,
        });
    }
    if count != write_quantity as usize * 2 {
        return Err(PduError::Length { function });
    }
    exact(function, pdu, 10 + count)?;
    Ok(Request::ReadWriteMultipleRegisters {
        read_address,
        read_quantity,
        write_address,
        values: registers(&pdu[10..]),
    })
}

//! Responses: decoded from a PDU and encoded, exceptions included.

use super::*;

impl Response {
    pub fn function(&self) -> u8 {
        use Response::*;
        match self {
            ReadCoils(_) => fc::READ_COILS,
            ReadDiscreteInputs(_) => fc::READ_DISCRETE_INPUTS,
            ReadHoldingRegisters(_) => fc::READ_HOLDING_REGISTERS,
            ReadInputRegisters(_) => fc::READ_INPUT_REGISTERS,
            WriteSingleCoil { .. } => fc::WRITE_SINGLE_COIL,
            WriteSingleRegister { .. } => fc::WRITE_SINGLE_REGISTER,
            Diagnostics { .. } => fc::DIAGNOSTICS,
            WriteMultipleCoils { .. } => fc::WRITE_MULTIPLE_COILS,
            WriteMultipleRegisters { .. } => fc::WRITE_MULTIPLE_REGISTERS,
            ReportServerId { .. } => fc::REPORT_SERVER_ID,
            ReadWriteMultipleRegisters(_) => fc::READ_WRITE_MULTIPLE_REGISTERS,
            ReadDeviceIdentification { .. } => fc::ENCAPSULATED_INTERFACE,
            Exception { function, .. } => function | 0x80,
            Raw { function, .. } => *function,
        }
    }

    pub fn exception(function: u8, code: ExceptionCode) -> Response {
        Response::Exception {
            function: function & 0x7F,
            code: code as u8,
        }
    }

    pub fn encode_pdu(&self, out: &mut Vec<u8>) {
        use Response::*;
        out.push(self.function());
        match self {
            ReadCoils(bits) | ReadDiscreteInputs(bits) => push_bits(out, bits),
            ReadHoldingRegisters(regs)
            | ReadInputRegisters(regs)
            | ReadWriteMultipleRegisters(regs) => push_registers(out, regs),
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
            WriteMultipleCoils { address, quantity }
            | WriteMultipleRegisters { address, quantity } => {
                push16(out, *address);
                push16(out, *quantity);
            }
            ReportServerId {
                server_id,
                running,
                additional,
            } => {
                out.push((2 + additional.len()) as u8);
                out.push(*server_id);
                out.push(if *running { 0xFF } else { 0x00 });
                out.extend_from_slice(additional);
            }
            ReadDeviceIdentification {
                read_code,
                conformity,
                more_follows,
                next_object_id,
                objects,
            } => {
                out.extend_from_slice(&[
                    fc::MEI_READ_DEVICE_ID,
                    *read_code,
                    *conformity,
                    if *more_follows { 0xFF } else { 0x00 },
                    *next_object_id,
                    objects.len() as u8,
                ]);
                for (id, value) in objects {
                    out.push(*id);
                    out.push(value.len() as u8);
                    out.extend_from_slice(value);
                }
            }
            Exception { code, .. } => out.push(*code),
            Raw { data, .. } => out.extend_from_slice(data),
        }
    }

    /// A register read's answer (function 3 or 4) encoded straight from the registers,
    /// as `Response::ReadHoldingRegisters(regs.to_vec()).encode_pdu(out)` would, without
    /// the vector: a PLC serves its image's slices this way.
    pub fn encode_registers_pdu(out: &mut Vec<u8>, function: u8, regs: &[u16]) {
        out.push(function);
        push_registers(out, regs);
    }

    /// A bit read's answer (function 1 or 2) encoded straight from the bits (packed eight
    /// to a byte, the last byte's unused bits zero), as `encode_pdu` would from a vector.
    pub fn encode_bits_pdu(out: &mut Vec<u8>, function: u8, bits: &[bool]) {
        out.push(function);
        push_bits(out, bits);
    }

    /// The registers of a register read's answer (function 3, 4 or 23) decoded into
    /// `buf` (a byte count holds 127 registers at most), as `decode_pdu` would into a
    /// vector: `None` for any other PDU (an exception, another function, a malformed one:
    /// `decode_pdu` tells which). The HMI reads its polls' answers this way.
    pub fn decode_registers_into<'b>(pdu: &[u8], buf: &'b mut [u16; 128]) -> Option<&'b [u16]> {
        let function = *pdu.first()?;
        if !matches!(
            function,
            fc::READ_HOLDING_REGISTERS
                | fc::READ_INPUT_REGISTERS
                | fc::READ_WRITE_MULTIPLE_REGISTERS
        ) {
            return None;
        }
        let bytes = counted(function, pdu, 2).ok()?;
        let n = bytes.len() / 2;
        let out = &mut buf[..n];
        for (dst, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            *dst = u16::from_be_bytes([c[0], c[1]]);
        }
        Some(out)
    }

    /// Decode a response PDU (function code first).
    pub fn decode_pdu(pdu: &[u8]) -> Result<Response, PduError> {
        let Some(&function) = pdu.first() else {
            return Err(PduError::Empty);
        };
        let counted = |unit: usize| counted(function, pdu, unit);
        if function & 0x80 != 0 {
            exact(function, pdu, 2)?;
            return Ok(Response::Exception {
                function: function & 0x7F,
                code: pdu[1],
            });
        }
        Ok(match function {
            fc::READ_COILS => {
                let b = counted(1)?;
                Response::ReadCoils(unpack_bits(b, b.len() * 8))
            }
            fc::READ_DISCRETE_INPUTS => {
                let b = counted(1)?;
                Response::ReadDiscreteInputs(unpack_bits(b, b.len() * 8))
            }
            fc::READ_HOLDING_REGISTERS => Response::ReadHoldingRegisters(registers(counted(2)?)),
            fc::READ_INPUT_REGISTERS => Response::ReadInputRegisters(registers(counted(2)?)),
            fc::READ_WRITE_MULTIPLE_REGISTERS => {
                Response::ReadWriteMultipleRegisters(registers(counted(2)?))
            }
            fc::WRITE_SINGLE_COIL => {
                exact(function, pdu, 5)?;
                Response::WriteSingleCoil {
                    address: be16(pdu, 1),
                    value: coil_value(function, be16(pdu, 3))?,
                }
            }
            fc::WRITE_SINGLE_REGISTER => {
                exact(function, pdu, 5)?;
                Response::WriteSingleRegister {
                    address: be16(pdu, 1),
                    value: be16(pdu, 3),
                }
            }
            fc::WRITE_MULTIPLE_COILS => {
                exact(function, pdu, 5)?;
                Response::WriteMultipleCoils {
                    address: be16(pdu, 1),
                    quantity: be16(pdu, 3),
                }
            }
            fc::WRITE_MULTIPLE_REGISTERS => {
                exact(function, pdu, 5)?;
                Response::WriteMultipleRegisters {
                    address: be16(pdu, 1),
                    quantity: be16(pdu, 3),
                }
            }
            fc::DIAGNOSTICS => {
                need(function, pdu, 3)?;
                Response::Diagnostics {
                    sub_function: be16(pdu, 1),
                    data: pdu[3..].to_vec(),
                }
            }
            fc::REPORT_SERVER_ID => {
                let b = counted(1)?;
                if b.len() < 2 {
                    return Err(PduError::Length { function });
                }
                Response::ReportServerId {
                    server_id: b[0],
                    running: b[1] == 0xFF,
                    additional: b[2..].to_vec(),
                }
            }
            fc::ENCAPSULATED_INTERFACE if pdu.get(1) == Some(&fc::MEI_READ_DEVICE_ID) => {
                need(function, pdu, 7)?;
                let n = pdu[6] as usize;
                let mut objects = Vec::with_capacity(n.min(pdu.len() / 2));
                let mut at = 7;
                for _ in 0..n {
                    need(function, pdu, at + 2)?;
                    let (id, len) = (pdu[at], pdu[at + 1] as usize);
                    need(function, pdu, at + 2 + len)?;
                    objects.push((id, pdu[at + 2..at + 2 + len].to_vec()));
                    at += 2 + len;
                }
                if at != pdu.len() {
                    return Err(PduError::Length { function });
                }
                Response::ReadDeviceIdentification {
                    read_code: pdu[2],
                    conformity: pdu[3],
                    more_follows: pdu[4] == 0xFF,
                    next_object_id: pdu[5],
                    objects,
                }
            }
            _ => Response::Raw {
                function,
                data: pdu[1..].to_vec(),
            },
        })
    }
}

/// A read answer's byte count and data: `unit` bytes an item, the count exact.
fn counted(function: u8, pdu: &[u8], unit: usize) -> Result<&[u8], PduError> {
    need(function, pdu, 2)?;
    let count = pdu[1] as usize;
    if !count.is_multiple_of(unit) {
        return Err(PduError::Length { function });
    }
    exact(function, pdu, 2 + count)?;
    Ok(&pdu[2..])
}

/// A register read's byte count and its registers, big-endian.
fn push_registers(out: &mut Vec<u8>, regs: &[u16]) {
    out.push((regs.len() * 2) as u8);
    let start = out.len();
    out.resize(start + 2 * regs.len(), 0);
    for (dst, v) in out[start..].chunks_exact_mut(2).zip(regs.iter()) {
        dst.copy_from_slice(&v.to_be_bytes());
    }
}

/// A bit read's byte count and its bits, packed.
fn push_bits(out: &mut Vec<u8>, bits: &[bool]) {
    out.push(bits.len().div_ceil(8) as u8);
    pack_bits(out, bits);
}

//! The register image: where each address lives (a station's block, the system registers), and reads and writes of bits and registers over it.

use super::*;

impl Slot {
    /// The block's bit table for `table`: its coils, or its discrete inputs.
    fn bits(&self, table: Table) -> &[bool] {
        if table == Table::Coil {
            &self.coils
        } else {
            &self.discrete
        }
    }

    /// The block's register table for `table`: its holding, or its input registers.
    fn regs(&self, table: Table) -> &[u16] {
        if table == Table::HoldingRegister {
            &self.holding
        } else {
            &self.input
        }
    }
}

impl Plc {
    /// (slot, offset) of a station address, or the system block.
    pub(super) fn locate(&self, table: Table, address: u16) -> Option<Loc> {
        if address >= SYSTEM {
            let off = address - SYSTEM;
            return (off < system_len(table)).then_some(Loc::System(off));
        }
        let (slot, off) = (usize::from(address / BLOCK), address % BLOCK);
        let s = self.slots.get(slot)?;
        (off < block_len(table, s.thermal)).then_some(Loc::Station(slot, off))
    }

    /// Where address `address + k` lands; Illegal Data Address outside the map.
    pub(super) fn loc_at(&self, table: Table, address: u16, k: u16) -> Result<Loc, ExceptionCode> {
        address
            .checked_add(k)
            .and_then(|addr| self.locate(table, addr))
            .ok_or(ExceptionCode::IllegalDataAddress)
    }

    /// Every location of a request, checked before anything is written (a write is
    /// served whole or not at all).
    pub(super) fn locations(
        &self,
        table: Table,
        address: u16,
        quantity: u16,
    ) -> Result<Vec<Loc>, ExceptionCode> {
        (0..quantity)
            .map(|k| self.loc_at(table, address, k))
            .collect()
    }

    /// A whole range that lies inside one station block (the common read), from the
    /// slot's table that `table_of` picks; `None` sends the caller through the
    /// per-address checks.
    pub(super) fn block_slice<'a, T>(
        &'a self,
        table: Table,
        address: u16,
        quantity: u16,
        table_of: impl Fn(&'a Slot) -> &'a [T],
    ) -> Option<&'a [T]> {
        if address >= SYSTEM {
            return None;
        }
        let (slot, off) = (usize::from(address / BLOCK), usize::from(address % BLOCK));
        let s = self.slots.get(slot)?;
        let end = off + usize::from(quantity);
        (end <= usize::from(block_len(table, s.thermal))).then(|| &table_of(s)[off..end])
    }

    /// A read that lies inside one station's block, answered straight from the image into
    /// `out` (cleared first): the bytes `response_adu` of `read`'s answer would be, without
    /// building the answer's vector. False (and `out` untouched) for any other request.
    pub(super) fn encode_block_read(
        &self,
        req: &Request,
        tid: u16,
        unit: u8,
        out: &mut Vec<u8>,
    ) -> bool {
        let (table, address, quantity) = match *req {
            Request::ReadCoils { address, quantity } => (Table::Coil, address, quantity),
            Request::ReadDiscreteInputs { address, quantity } => {
                (Table::DiscreteInput, address, quantity)
            }
            Request::ReadHoldingRegisters { address, quantity } => {
                (Table::HoldingRegister, address, quantity)
            }
            Request::ReadInputRegisters { address, quantity } => {
                (Table::InputRegister, address, quantity)
            }
            _ => return false,
        };
        let function = req.function();
        if matches!(table, Table::Coil | Table::DiscreteInput) {
            let Some(bits) = self.block_slice(table, address, quantity, |s| s.bits(table)) else {
                return false;
            };
            out.clear();
            encode_adu(out, tid, unit, |o| {
                Response::encode_bits_pdu(o, function, bits)
            });
        } else {
            let Some(regs) = self.block_slice(table, address, quantity, |s| s.regs(table)) else {
                return false;
            };
            out.clear();
            encode_adu(out, tid, unit, |o| {
                Response::encode_registers_pdu(o, function, regs)
            });
        }
        true
    }

    pub(super) fn read_bits(
        &self,
        table: Table,
        address: u16,
        quantity: u16,
    ) -> Result<Vec<bool>, ExceptionCode> {
        if let Some(bits) = self.block_slice(table, address, quantity, |s| s.bits(table)) {
            return Ok(bits.to_vec());
        }
        (0..quantity)
            .map(|k| match self.loc_at(table, address, k)? {
                Loc::Station(s, o) => Ok(self.slots[s].bits(table)[usize::from(o)]),
                Loc::System(_) => Err(ExceptionCode::IllegalDataAddress),
            })
            .collect()
    }

    pub(super) fn read_regs(
        &self,
        table: Table,
        address: u16,
        quantity: u16,
    ) -> Result<Vec<u16>, ExceptionCode> {
        if let Some(regs) = self.block_slice(table, address, quantity, |s| s.regs(table)) {
            return Ok(regs.to_vec());
        }
        let mut out = Vec::with_capacity(usize::from(quantity));
        for k in 0..quantity {
            out.push(match self.loc_at(table, address, k)? {
                Loc::Station(s, o) => self.slots[s].regs(table)[usize::from(o)],
                Loc::System(o) => self.system_register(table, o),
            });
        }
        Ok(out)
    }

    pub(super) fn system_register(&self, table: Table, off: u16) -> u16 {
        match (table, off) {
            (Table::HoldingRegister, S_MODE) => u16::from(self.mode_run),
            (Table::InputRegister, S_SCANS) => self.scans as u16,
            (Table::InputRegister, S_CONNECTIONS) => self.connections.len() as u16,
            (Table::InputRegister, S_QUEUE) => self.inbox.len() as u16,
            (Table::InputRegister, S_STATIONS) => self.slots.len() as u16,
            _ => 0,
        }
    }

    pub(super) fn write_bits(
        &mut self,
        address: u16,
        values: &[bool],
    ) -> Result<(), ExceptionCode> {
        // Check the whole range first: a write is all or nothing.
        let locs = self.locations(Table::Coil, address, values.len() as u16)?;
        for (loc, v) in locs.into_iter().zip(values) {
            let Loc::Station(s, o) = loc else {
                return Err(ExceptionCode::IllegalDataAddress);
            };
            self.slots[s].coils[usize::from(o)] = *v;
            if o == C_RUN {
                self.slots[s].run_writer = self.current_conn;
            }
        }
        Ok(())
    }

    pub(super) fn write_regs(&mut self, address: u16, values: &[u16]) -> Result<(), ExceptionCode> {
        let locs = self.locations(Table::HoldingRegister, address, values.len() as u16)?;
        for (loc, v) in locs.iter().zip(values) {
            // Range checks, as a PLC program's input validation would do.
            let ok = match *loc {
                Loc::System(S_MODE) => *v <= 1,
                Loc::System(_) => false,
                Loc::Station(_, H_SPEED) => (10..=200).contains(v),
                Loc::Station(_, H_HEATER_MANUAL) => *v <= 1000,
                Loc::Station(_, H_TEMP_SP) => (*v as i16) >= -500 && (*v as i16) <= 2000,
                Loc::Station(..) => true,
            };
            if !ok {
                return Err(ExceptionCode::IllegalDataValue);
            }
        }
        for (loc, v) in locs.into_iter().zip(values) {
            match loc {
                Loc::System(_) => {
                    self.mode_run = *v == 1;
                    self.mode_writer = self.current_conn;
                }
                Loc::Station(s, o) => {
                    self.holding_writes += 1;
                    self.slots[s].holding[usize::from(o)] = *v;
                    self.slots[s].holding_writer[usize::from(o)] = self.current_conn;
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Loc {
    Station(usize, u16),
    System(u16),
}

/// Bits padded to whole bytes, as they go on the wire.
pub(super) fn pad(mut bits: Vec<bool>) -> Vec<bool> {
    bits.resize(bits.len().div_ceil(8) * 8, false);
    bits
}

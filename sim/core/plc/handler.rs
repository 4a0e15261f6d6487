//! The request handler: queued requests served as the profile allows, each decoded and answered from the register image (`handle(&Request) -> Result<Response, ExceptionCode>`), the same for the in-memory bus and the live server.

use super::image::pad;
use super::*;

impl Plc {
    pub(super) fn serve(&mut self, t: Micros) {
        let n = self.inbox.len().min(self.profile.requests_per_scan);
        let ready_at = t + self.profile.reply_latency_scans * self.scan;
        for _ in 0..n {
            let Some(req) = self.inbox.pop_front() else {
                break;
            };
            // Who is asking, for the record of who wrote what (and who faulted it).
            self.current_conn = Some(req.conn);
            let reply = self.process(t, req.adu);
            self.current_conn = None;
            if let Some(adu) = reply {
                self.outbox.push_back(Outbound {
                    conn: req.conn,
                    adu,
                    ready_at,
                });
            }
            if self.fault.is_some() {
                return;
            }
        }
        // Watchdog: the queue overflowed since the last scan, scan after scan.
        let overflowed = std::mem::take(&mut self.overflow_since_scan) > 0;
        if let Some((limit, _)) = &self.profile.watchdog {
            if overflowed {
                if self.overload_scans == 0 {
                    // A new overload episode: how long this one takes to trip the device.
                    self.overload_limit = limit.sample(&mut self.rng).round().max(1.0) as u32;
                }
                self.overload_scans += 1;
                if self.overload_scans >= self.overload_limit {
                    self.raise_fault(t, FaultCause::Overload);
                }
            } else {
                self.overload_scans = 0;
            }
        }
    }

    /// Decode one ADU, serve it, encode the reply (`None`: no reply is sent). The reply
    /// is written into the request's own buffer: a transaction on the in-memory bus
    /// allocates nothing here.
    pub(super) fn process(&mut self, t: Micros, mut adu: Vec<u8>) -> Option<Vec<u8>> {
        self.stats.requests += 1;
        let Ok((header, pdu)) = parse_adu(&adu) else {
            // The framer only passes whole frames; a bad one here is dropped.
            self.stats.dropped += 1;
            return None;
        };
        let tid = header.transaction_id;
        let unit = header.unit_id;
        let decoded = Request::decode_pdu(pdu);
        if self.listen_only {
            // Listen-only: nothing is answered, not even with an exception; only the
            // restart of communications ends it (and is not answered either).
            if let Ok(Request::Diagnostics {
                sub_function: diag::RESTART_COMMUNICATIONS,
                ..
            }) = decoded
            {
                self.listen_only = false;
            }
            self.stats.dropped += 1;
            return None;
        }
        // Unit id 0 is a broadcast: writes are acted on, nothing is answered. Any other
        // unit id is served (a Modbus/TCP server that is not a gateway accepts any).
        let broadcast = unit == 0;
        let result = match decoded {
            Ok(req) => {
                if broadcast {
                    if req.is_write() {
                        let _ = self.handle(&req);
                    }
                    self.stats.dropped += u64::from(!req.is_write());
                    return None;
                }
                if self.encode_block_read(&req, tid, unit, &mut adu) {
                    return Some(adu);
                }
                let r = self.handle(&req);
                if r == Err(ExceptionCode::IllegalFunction)
                    && self.maybe_hang(t, self.profile.on_unsupported, FaultCause::Unsupported)
                {
                    return None;
                }
                if let Request::Diagnostics {
                    sub_function: diag::FORCE_LISTEN_ONLY,
                    ..
                } = req
                {
                    return None;
                }
                r.map_err(|e| (req.function(), e))
            }
            Err(e) => {
                if self.maybe_hang(t, self.profile.on_malformed, FaultCause::Malformed) || broadcast
                {
                    return None;
                }
                Err((e.function().unwrap_or(0), e.exception()))
            }
        };
        let response = match result {
            Ok(r) => r,
            Err((function, code)) => {
                self.stats.exceptions += 1;
                Response::exception(function, code)
            }
        };
        adu.clear();
        encode_adu(&mut adu, tid, unit, |o| response.encode_pdu(o));
        Some(adu)
    }

    /// Serve one request from the register image. Writes take effect in the image now and
    /// on the plant at this scan's logic.
    pub fn handle(&mut self, req: &Request) -> Result<Response, ExceptionCode> {
        if let Some(r) = self.read(req) {
            return r;
        }
        match *req {
            // Reads were served above.
            Request::ReadCoils { .. }
            | Request::ReadDiscreteInputs { .. }
            | Request::ReadHoldingRegisters { .. }
            | Request::ReadInputRegisters { .. } => Err(ExceptionCode::ServerDeviceFailure),
            Request::WriteSingleCoil { address, value } => {
                self.write_bits(address, &[value])?;
                Ok(Response::WriteSingleCoil { address, value })
            }
            Request::WriteSingleRegister { address, value } => {
                self.write_regs(address, &[value])?;
                Ok(Response::WriteSingleRegister { address, value })
            }
            Request::WriteMultipleCoils {
                address,
                ref values,
            } => {
                self.write_bits(address, values)?;
                Ok(Response::WriteMultipleCoils {
                    address,
                    quantity: values.len() as u16,
                })
            }
            Request::WriteMultipleRegisters {
                address,
                ref values,
            } => {
                self.write_regs(address, values)?;
                Ok(Response::WriteMultipleRegisters {
                    address,
                    quantity: values.len() as u16,
                })
            }
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                ref values,
            } => {
                // The write happens before the read (specification, FC 23).
                self.write_regs(write_address, values)?;
                Ok(Response::ReadWriteMultipleRegisters(self.read_regs(
                    Table::HoldingRegister,
                    read_address,
                    read_quantity,
                )?))
            }
            Request::Diagnostics {
                sub_function,
                ref data,
            } => match sub_function {
                diag::RETURN_QUERY_DATA => Ok(Response::Diagnostics {
                    sub_function,
                    data: data.clone(),
                }),
                diag::RESTART_COMMUNICATIONS => {
                    self.listen_only = false;
                    Ok(Response::Diagnostics {
                        sub_function,
                        data: data.clone(),
                    })
                }
                diag::FORCE_LISTEN_ONLY => {
                    self.listen_only = true;
                    Ok(Response::Diagnostics {
                        sub_function,
                        data: data.clone(),
                    })
                }
                _ => Err(ExceptionCode::IllegalFunction),
            },
            Request::ReportServerId => Ok(Response::ReportServerId {
                server_id: self.unit_id,
                running: self.mode_run && self.fault.is_none(),
                additional: {
                    let id = &self.profile.identity;
                    format!(
                        "{} {} {} {}",
                        id.vendor, id.product_code, id.revision, self.name
                    )
                    .into_bytes()
                },
            }),
            Request::ReadDeviceIdentification {
                read_code,
                object_id,
            } => self.device_identification(read_code, object_id),
            Request::Raw { .. } => Err(ExceptionCode::IllegalFunction),
        }
    }

    /// Serve a read (FC 01–04) from the image; `None` for any other request.
    pub fn read(&self, req: &Request) -> Option<Result<Response, ExceptionCode>> {
        Some(match *req {
            Request::ReadCoils { address, quantity } => self
                .read_bits(Table::Coil, address, quantity)
                .map(|b| Response::ReadCoils(pad(b))),
            Request::ReadDiscreteInputs { address, quantity } => self
                .read_bits(Table::DiscreteInput, address, quantity)
                .map(|b| Response::ReadDiscreteInputs(pad(b))),
            Request::ReadHoldingRegisters { address, quantity } => self
                .read_regs(Table::HoldingRegister, address, quantity)
                .map(Response::ReadHoldingRegisters),
            Request::ReadInputRegisters { address, quantity } => self
                .read_regs(Table::InputRegister, address, quantity)
                .map(Response::ReadInputRegisters),
            _ => return None,
        })
    }

    pub(super) fn device_identification(
        &self,
        read_code: u8,
        object_id: u8,
    ) -> Result<Response, ExceptionCode> {
        // The profile's identity (a twin's: "(twin)" in its revision and names), the
        // PLC's own name as the user application name (0x06).
        let id = &self.profile.identity;
        let objects: [(u8, String); 6] = [
            (0x00, id.vendor.clone()),
            (0x01, id.product_code.clone()),
            (0x02, id.revision.clone()),
            (0x04, id.product_name.clone()),
            (0x05, id.product_name.clone()),
            (0x06, self.name.clone()),
        ];
        let chosen: Vec<(u8, Vec<u8>)> = match read_code {
            // Basic (1) holds objects 0–2; regular (2) and extended (3) add the rest.
            1..=3 => objects
                .iter()
                .filter(|(id, _)| *id >= object_id && (read_code > 1 || *id <= 0x02))
                .map(|(i, v)| (*i, v.clone().into_bytes()))
                .collect(),
            4 => match objects.iter().find(|(id, _)| *id == object_id) {
                Some((i, v)) => vec![(*i, v.clone().into_bytes())],
                None => return Err(ExceptionCode::IllegalDataAddress),
            },
            _ => return Err(ExceptionCode::IllegalDataValue),
        };
        Ok(Response::ReadDeviceIdentification {
            read_code,
            conformity: 0x82,
            more_follows: false,
            next_object_id: 0,
            objects: chosen,
        })
    }
}

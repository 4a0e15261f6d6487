//! The HMI's side of each poll: a reply read into the operator's view, a request that
//! timed out.

use super::*;

impl Hmi {
    pub(super) fn check_timeout(&mut self, c: usize, t: Micros) {
        let ch = &mut self.channels[c];
        let Some(f) = &ch.in_flight else { return };
        if t < f.sent_at + self.timeout {
            return;
        }
        let Some(f) = ch.in_flight.take() else { return };
        self.stats.timeouts += 1;
        ch.consecutive_timeouts += 1;
        if f.q.purpose == Purpose::Write {
            if f.q.attempts < 2 {
                ch.queue.push_front(Queued {
                    attempts: f.q.attempts + 1,
                    ..f.q
                });
            } else {
                self.stats.writes_failed += 1;
                self.events.push((
                    t,
                    HmiEvent::WriteFailed {
                        plc: ch.plc,
                        function: f.q.req.function(),
                    },
                ));
            }
        }
        if ch.consecutive_timeouts == 3 && ch.comm_ok {
            ch.comm_ok = false;
            let plc = ch.plc;
            self.events.push((t, HmiEvent::CommLoss { plc }));
            for (st, _) in ch.slots.clone() {
                self.views[st].state = None;
            }
            self.schedule(t, Task::ResetPlc(plc));
        } else if !ch.comm_ok {
            // Still no contact (the PLC faulted again, or never came back): the operator
            // goes back to the cabinet (one visit pending at a time).
            let plc = ch.plc;
            self.schedule(t, Task::ResetPlc(plc));
        }
    }

    /// A frame from a PLC reached the HMI at `t`.
    pub fn receive(&mut self, link: ConnId, adu: &[u8], t: Micros) {
        let Some(c) = self.channels.iter().position(|ch| ch.link == link) else {
            return;
        };
        let Ok((header, pdu)) = parse_adu(adu) else {
            return;
        };
        let ch = &mut self.channels[c];
        match &ch.in_flight {
            Some(f) if f.tid == header.transaction_id => {}
            _ => {
                self.stats.late_responses += 1;
                return;
            }
        }
        let Some(f) = ch.in_flight.take() else { return };
        self.stats.responses += 1;
        ch.consecutive_timeouts = 0;
        if !ch.comm_ok {
            ch.comm_ok = true;
            self.events
                .push((t, HmiEvent::CommRestored { plc: ch.plc }));
        }
        // A register read's answer is read into a buffer on the stack (no vector).
        let mut buf = [0u16; 128];
        if let Some(regs) = Response::decode_registers_into(pdu, &mut buf) {
            match (pdu[0], &f.q.req) {
                (fc::READ_INPUT_REGISTERS, &Request::ReadInputRegisters { address, .. }) => {
                    let block = usize::from(address / BLOCK);
                    if let Some(&(st, _)) = self.channels[c].slots.get(block) {
                        self.update_view(st, regs, t);
                    }
                }
                (fc::READ_HOLDING_REGISTERS, &Request::ReadHoldingRegisters { address, .. }) => {
                    let block = usize::from(address / BLOCK);
                    if let Some(&(st, thermal)) = self.channels[c].slots.get(block)
                        && thermal
                    {
                        self.views[st].setpoint = regs.get(usize::from(map::H_TEMP_SP)).copied();
                    }
                }
                _ => {}
            }
            return;
        }
        // Of the other answers only an exception changes anything here (a coil read's
        // answer is traffic the HMI makes, not a value it shows): decoded only then.
        if pdu.first().is_none_or(|&f| f & 0x80 == 0) {
            return;
        }
        if let Ok(Response::Exception { .. }) = Response::decode_pdu(pdu) {
            self.stats.exceptions += 1;
            if f.q.purpose == Purpose::Write {
                self.stats.writes_failed += 1;
                let plc = self.channels[c].plc;
                self.events.push((
                    t,
                    HmiEvent::WriteFailed {
                        plc,
                        function: f.q.req.function(),
                    },
                ));
            }
        }
    }

    pub(super) fn update_view(&mut self, st: usize, regs: &[u16], t: Micros) {
        let get = |i: u16| regs.get(usize::from(i)).copied().unwrap_or(0);
        let state = State::from_code(get(map::I_STATE));
        let v = &mut self.views[st];
        let before = v.state;
        v.state = state;
        v.flags = get(map::I_FLAGS);
        v.units_out =
            (u32::from(get(map::I_UNITS_OUT)) << 16) | u32::from(get(map::I_UNITS_OUT + 1));
        v.temp_c = (regs.len() > usize::from(map::I_TEMP))
            .then(|| f64::from(get(map::I_TEMP) as i16) / 10.0);
        v.speed_pct = get(map::I_SPEED);
        v.seen_at = t;
        let slow = state == Some(State::Running) && v.speed_pct < self.speed_recipe[st];
        let slow_before = std::mem::replace(&mut v.slow, slow);
        if slow && !slow_before {
            self.events.push((
                t,
                HmiEvent::SlowRunning {
                    station: st,
                    speed_pct: v.speed_pct,
                },
            ));
        }
        let flags = v.flags;
        if state != before
            && let Some(s @ (State::Failed | State::Tripped | State::Stopped(_))) = state
        {
            self.events.push((
                t,
                HmiEvent::AlarmSeen {
                    station: st,
                    state: s.label(),
                },
            ));
        }
        // The operator answers what the screen shows.
        match state {
            Some(State::Failed) if flags & map::F_REPAIR == 0 => {
                self.schedule(t, Task::CallMaintenance(st))
            }
            Some(State::Tripped) if flags & map::F_TRIP_READY != 0 => {
                self.schedule(t, Task::ResetTrip(st))
            }
            Some(State::Stopped(StopReason::Command)) if self.may_run() => {
                self.schedule(t, Task::RestartStation(st))
            }
            Some(State::Stopped(StopReason::PlcStop)) if self.may_run() => {
                let plc = self.channels[self.station_loc[st].0].plc;
                self.schedule(t, Task::SetPlcRun(plc));
            }
            // Product out of its temperature band and the setpoint not the recipe's: put
            // the recipe's back. Out of band with the right setpoint is the process's own
            // variation: the controller handles it, the operator does not write.
            Some(State::Running | State::Starved | State::Blocked)
                if flags & map::F_OUT_OF_BAND != 0 && self.setpoint_off(st) =>
            {
                self.schedule(t, Task::RestoreSetpoint(st))
            }
            // Running below the recipe's speed: the rate alarm; put the recipe's speed back.
            Some(State::Running) if slow => self.schedule(t, Task::RestoreSpeed(st)),
            _ => {}
        }
    }
}

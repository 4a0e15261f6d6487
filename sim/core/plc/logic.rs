//! The PLC's logic each scan: the plant's inputs into the image, run/stop and pulses, the thermal PID loop, the outputs to the plant.

use super::*;

impl Plc {
    /// Refresh the input image from the plant now (what a scan does before serving).
    pub fn refresh_inputs(&mut self, plant: &Plant) {
        self.read_inputs(plant);
    }

    pub(super) fn read_inputs(&mut self, plant: &Plant) {
        for slot in &mut self.slots {
            let st = &plant.stations[slot.station];
            let state = st.state();
            let c = &st.counters;
            let mut flags = 0;
            if st.repair_in_progress() {
                flags |= F_REPAIR;
            }
            if st.trip_ready() {
                flags |= F_TRIP_READY;
            }
            if slot.coils[C_RUN as usize] {
                flags |= F_RUN_CMD;
            }
            let inp = &mut slot.input;
            inp[I_STATE as usize] = state.code();
            let put32 = |inp: &mut [u16; 17], at: u16, v: u64| {
                inp[at as usize] = (v >> 16) as u16;
                inp[at as usize + 1] = v as u16;
            };
            put32(inp, I_UNITS_IN, c.units_in);
            put32(inp, I_UNITS_OUT, c.units_out);
            put32(inp, I_SCRAP, c.scrap_quality + c.scrap_temperature);
            inp[I_BUFFER as usize] = plant.buffers[slot.station].level.min(65535) as u16;
            inp[I_SPEED as usize] = st.speed_pct;
            inp[I_FAILURES as usize] = c.failures as u16;
            inp[I_TRIPS as usize] = c.trips as u16;
            let mut out_of_band = false;
            if let Some(th) = &st.thermal {
                inp[I_TEMP as usize] = deci(th.temp_c);
                inp[I_HEATER as usize] = (th.heater * 1000.0).round() as u16;
                inp[I_BAND_LOW as usize] = deci(th.band_c.0);
                inp[I_BAND_HIGH as usize] = deci(th.band_c.1);
                out_of_band = th.temp_c < th.band_c.0 || th.temp_c > th.band_c.1;
                if out_of_band {
                    flags |= F_OUT_OF_BAND;
                }
            }
            inp[I_FLAGS as usize] = flags;
            slot.discrete = [
                state == State::Running,
                state == State::Starved,
                state == State::Blocked,
                state == State::Failed,
                matches!(state, State::Stopped(_)),
                state == State::Tripped,
                st.repair_in_progress(),
                st.trip_ready(),
                out_of_band,
            ];
        }
    }

    pub(super) fn logic_and_outputs(&mut self, t: Micros, plant: &mut Plant) {
        for slot in &mut self.slots {
            let i = slot.station;
            // Pulses act once and clear.
            if std::mem::take(&mut slot.coils[C_MAINTENANCE as usize])
                && plant.stations[i].state() == State::Failed
            {
                plant.call_maintenance(i, t);
            }
            if std::mem::take(&mut slot.coils[C_FAULT_RESET as usize]) {
                plant.reset_trip(i, t);
            }
            let (enable, reason) = if self.fault.is_some() {
                (false, StopReason::PlcFault)
            } else if !self.mode_run {
                (false, StopReason::PlcStop)
            } else {
                (slot.coils[C_RUN as usize], StopReason::Command)
            };
            plant.command(i, t, enable, reason, slot.holding[H_SPEED as usize]);
            if let Some(th) = plant.stations[i].thermal.as_mut() {
                // Outputs drop to zero when the program does not run.
                th.heater = if self.fault.is_some() || !self.mode_run {
                    0.0
                } else if slot.coils[C_HEATER_AUTO as usize] {
                    let sp = f64::from(slot.holding[H_TEMP_SP as usize] as i16) / 10.0;
                    let kp = f64::from(slot.holding[H_KP as usize]) / 100.0;
                    let ti = f64::from(slot.holding[H_TI as usize]);
                    let td = f64::from(slot.holding[H_TD as usize]);
                    let dt = self.scan as f64 / 1e6;
                    pid_step(&mut slot.pid, sp - th.temp_c, kp, ti, td, dt) / 100.0
                } else {
                    f64::from(slot.holding[H_HEATER_MANUAL as usize]) / 1000.0
                };
            }
        }
    }
}

/// One step of a PID in standard (ISA) form with conditional integration as anti-windup;
/// output in percent, 0..100.
pub(super) fn pid_step(pid: &mut Pid, error: f64, kp: f64, ti_s: f64, td_s: f64, dt: f64) -> f64 {
    let derivative = pid.prev_error.map(|p| (error - p) / dt).unwrap_or(0.0);
    pid.prev_error = Some(error);
    let integral = if ti_s > 0.0 {
        pid.integral + error * dt / ti_s
    } else {
        0.0
    };
    let raw = kp * (error + integral + td_s * derivative);
    // Integrate only while the output is not saturated in the error's direction.
    if (0.0..=100.0).contains(&raw) || (raw > 100.0 && error < 0.0) || (raw < 0.0 && error > 0.0) {
        pid.integral = integral;
    }
    raw.clamp(0.0, 100.0)
}

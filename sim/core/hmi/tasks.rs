//! The operator's tasks: what the operator does, when, and again after a failed try.

use super::*;

impl Hmi {
    pub(super) fn schedule(&mut self, t: Micros, task: Task) {
        if self.tasks.iter().any(|(_, k)| *k == task) {
            return;
        }
        // One stream per kind of task and station: an extra alarm in one run does not
        // shift every later response time (common random numbers across runs).
        let seed = self.seed;
        let rng = self
            .task_rngs
            .entry(task)
            .or_insert_with(|| stream(seed, &format!("operator:{task:?}")));
        let delay = from_secs(self.response.sample(rng));
        self.tasks.push((t + delay, task));
    }

    pub(super) fn run_tasks(&mut self, t: Micros) {
        if self.tasks.is_empty() {
            return;
        }
        let mut due = Vec::new();
        self.tasks.retain(|&(at, task)| {
            if at <= t {
                due.push(task);
                false
            } else {
                true
            }
        });
        for task in due {
            // Still needed? The screen may have changed while the operator was on the way.
            let still = match task {
                Task::CallMaintenance(s) => {
                    self.views[s].state == Some(State::Failed)
                        && self.views[s].flags & map::F_REPAIR == 0
                }
                Task::ResetTrip(s) => self.views[s].state == Some(State::Tripped),
                Task::RestartStation(s) => {
                    self.may_run()
                        && self.views[s].state == Some(State::Stopped(StopReason::Command))
                }
                Task::SetPlcRun(_) => self.may_run(),
                Task::ResetPlc(p) => !self.channels.iter().any(|c| c.plc == p && c.comm_ok),
                Task::RestoreSetpoint(s) => {
                    self.views[s].flags & map::F_OUT_OF_BAND != 0 && self.setpoint_off(s)
                }
                Task::RestoreSpeed(s) => {
                    self.views[s].state == Some(State::Running)
                        && self.views[s].speed_pct < self.speed_recipe[s]
                }
            };
            if !still {
                continue;
            }
            // On the HMI (not at a cabinet): a personal account's session may have to be
            // opened first; the action waits for the login.
            if !matches!(task, Task::ResetPlc(_))
                && let Some(done) = self.login_first(t)
                && done > t
            {
                if let Task::CallMaintenance(s) | Task::ResetTrip(s) | Task::RestartStation(s) =
                    task
                {
                    self.login_waits.push((s, t, done));
                }
                self.tasks.push((done, task));
                continue;
            }
            self.stats.operator_actions += 1;
            self.events.push((t, HmiEvent::OperatorAction(task)));
            match task {
                Task::CallMaintenance(s) => self.write(s, |b| Request::WriteSingleCoil {
                    address: b + map::C_MAINTENANCE,
                    value: true,
                }),
                Task::ResetTrip(s) => self.write(s, |b| Request::WriteSingleCoil {
                    address: b + map::C_FAULT_RESET,
                    value: true,
                }),
                Task::RestartStation(s) => self.write(s, |b| Request::WriteSingleCoil {
                    address: b + map::C_RUN,
                    value: true,
                }),
                Task::SetPlcRun(p) => {
                    if let Some(ch) = self.channels.iter_mut().find(|c| c.plc == p) {
                        ch.enqueue_write(Request::WriteSingleRegister {
                            address: SYSTEM + map::S_MODE,
                            value: 1,
                        });
                    }
                }
                Task::ResetPlc(_) => self.local_actions.push((t, task)),
                Task::RestoreSpeed(s) => {
                    let value = self.speed_recipe[s];
                    self.write(s, |b| Request::WriteSingleRegister {
                        address: b + map::H_SPEED,
                        value,
                    });
                }
                Task::RestoreSetpoint(s) => {
                    if let Some(value) = self.temp_recipe[s] {
                        self.write(s, |b| Request::WriteSingleRegister {
                            address: b + map::H_TEMP_SP,
                            value,
                        });
                    }
                }
            }
        }
    }

    /// A local action did not take yet (the PLC is still recovering): try again at `at`.
    pub fn retry_at(&mut self, at: Micros, task: Task) {
        if !self.tasks.iter().any(|(_, k)| *k == task) {
            self.tasks.push((at, task));
        }
    }
}

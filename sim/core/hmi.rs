//! The HMI/SCADA: a Modbus client that polls every PLC, executes the operating schedule
//! as writes, and carries the operator model: an operator who sees alarms only through
//! what the HMI reads, and answers them after a response delay.

use crate::bus::Bus;
use crate::dist::Dist;
use crate::modbus::{Request, Response, encode_adu, fc, parse_adu};
use crate::plant::{State, StopReason};
use crate::plc::map::{self, BLOCK, SYSTEM};
use crate::plc::{ConnId, Plc};
use crate::rng::{Stream, stream};
use crate::scenario::{Scenario, Setpoint};
use crate::time::{Micros, US_PER_MS, from_secs};
use serde::Serialize;

mod replies;
mod tasks;
use std::collections::VecDeque;

/// What the HMI believes about a station, from its last successful poll.
#[derive(Clone, Debug, Default)]
pub struct StationReading {
    pub state: Option<State>,
    pub flags: u16,
    pub units_out: u32,
    pub temp_c: Option<f64>,
    /// The speed the station runs at, percent.
    pub speed_pct: u16,
    /// The rate alarm stands (running below the recipe's speed).
    pub slow: bool,
    /// The temperature setpoint the PLC holds (thermal stations), from the slow poll of
    /// the holding registers.
    pub setpoint: Option<u16>,
    pub seen_at: Micros,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Purpose {
    Poll,
    Write,
}

#[derive(Clone, Debug)]
struct Queued {
    req: Request,
    purpose: Purpose,
    attempts: u32,
}

#[derive(Clone, Debug)]
struct InFlight {
    tid: u16,
    sent_at: Micros,
    q: Queued,
}

#[derive(Clone, Debug)]
struct Channel {
    link: ConnId,
    plc: usize,
    /// Station index and thermal flag per PLC block.
    slots: Vec<(usize, bool)>,
    queue: VecDeque<Queued>,
    in_flight: Option<InFlight>,
    consecutive_timeouts: u32,
    comm_ok: bool,
}

impl Channel {
    /// Writes go before pending polls, in the order they were asked for.
    fn enqueue_write(&mut self, req: Request) {
        let at = self
            .queue
            .iter()
            .position(|q| q.purpose == Purpose::Poll)
            .unwrap_or(self.queue.len());
        self.queue.insert(
            at,
            Queued {
                req,
                purpose: Purpose::Write,
                attempts: 0,
            },
        );
    }
}

/// Operator tasks, each answering something seen on the HMI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Task {
    CallMaintenance(usize),
    ResetTrip(usize),
    RestartStation(usize),
    SetPlcRun(usize),
    /// Go to the cabinet of a PLC that stopped answering and reset it.
    ResetPlc(usize),
    /// A thermal station out of its band with a setpoint that is not the recipe's: put
    /// the recipe's setpoint back.
    RestoreSetpoint(usize),
    /// A station running below the recipe's speed: put the recipe's speed back.
    RestoreSpeed(usize),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum HmiEvent {
    AlarmSeen {
        station: usize,
        state: &'static str,
    },
    /// A station runs below the recipe's speed (a rate alarm).
    SlowRunning {
        station: usize,
        speed_pct: u16,
    },
    OperatorAction(Task),
    CommLoss {
        plc: usize,
    },
    CommRestored {
        plc: usize,
    },
    WriteFailed {
        plc: usize,
        function: u8,
    },
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct HmiStats {
    pub requests: u64,
    pub responses: u64,
    pub timeouts: u64,
    pub exceptions: u64,
    pub late_responses: u64,
    pub writes: u64,
    pub writes_failed: u64,
    pub operator_actions: u64,
    /// Logins to personal HMI accounts (a session had timed out), and the time operators
    /// spent on them, s (absent with a shared account).
    #[serde(skip_serializing_if = "is_zero")]
    pub logins: u64,
    #[serde(skip_serializing_if = "is_zero_f")]
    pub login_wait_s: f64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn is_zero_f(v: &f64) -> bool {
    *v == 0.0
}

/// Personal HMI accounts: the session's idle timeout, the login's time and its random stream.
#[derive(Clone, Debug)]
pub struct Login {
    pub timeout: Micros,
    pub login_s: Dist,
    pub rng: Stream,
    /// The operator's last action on the HMI (the session's idle clock).
    pub last_action: Micros,
    /// A login under way ends then.
    pub done: Micros,
}

#[derive(Clone, Debug)]
pub struct Hmi {
    pub name: String,
    poll: Micros,
    slow_every: u64,
    timeout: Micros,
    next_poll: Micros,
    polls: u64,
    next_tid: u16,
    channels: Vec<Channel>,
    /// Station → (channel, block).
    station_loc: Vec<(usize, u16)>,
    pub views: Vec<StationReading>,
    /// What the schedule wants: production planned.
    pub line_should_run: bool,
    /// The line is held stopped by a decision (a shutdown order, the MES lost without
    /// island mode): the operator restarts nothing until it is lifted.
    pub held: bool,
    /// Speed setpoint of each station in the recipe, % of nominal.
    pub speed_recipe: Vec<u16>,
    /// Temperature setpoint of each thermal station in the recipe, 0.1 °C.
    pub(crate) temp_recipe: Vec<Option<u16>>,
    product: u16,
    response: Dist,
    seed: u64,
    task_rngs: std::collections::BTreeMap<Task, Stream>,
    tasks: Vec<(Micros, Task)>,
    pub stats: HmiStats,
    pub events: Vec<(Micros, HmiEvent)>,
    /// Tasks that act outside Modbus (a local PLC reset), for the world to carry out.
    pub local_actions: Vec<(Micros, Task)>,
    /// Personal accounts (`authentication`), when the scenario has them.
    pub login: Option<Login>,
    /// Stations whose operator action waited for a login, and over which span: the
    /// authentication's friction, for the loss tree.
    pub login_waits: Vec<(usize, Micros, Micros)>,
}

impl Hmi {
    /// `latency[p]`: one-way latency to PLC `p` across the network.
    pub fn new(s: &Scenario, plcs: &[Plc], bus: &mut Bus, seed: u64, latency: &[Micros]) -> Hmi {
        let mut station_loc = vec![(0, 0); s.stations.len()];
        let channels = plcs
            .iter()
            .enumerate()
            .map(|(p, plc)| {
                let slots: Vec<(usize, bool)> = plc
                    .stations()
                    .enumerate()
                    .map(|(k, st)| (st, plc.is_thermal_slot(k)))
                    .collect();
                for (k, (st, _)) in slots.iter().enumerate() {
                    station_loc[*st] = (p, k as u16 * BLOCK);
                }
                Channel {
                    link: bus.open(&s.hmi.name, p, latency[p]),
                    plc: p,
                    slots,
                    queue: VecDeque::new(),
                    in_flight: None,
                    consecutive_timeouts: 0,
                    comm_ok: true,
                }
            })
            .collect();
        Hmi {
            name: s.hmi.name.clone(),
            poll: u64::from(s.hmi.poll_ms) * US_PER_MS,
            slow_every: u64::from(s.hmi.slow_poll_every),
            timeout: u64::from(s.hmi.timeout_ms) * US_PER_MS,
            next_poll: 0,
            polls: 0,
            next_tid: 0,
            channels,
            station_loc,
            views: vec![StationReading::default(); s.stations.len()],
            line_should_run: false,
            held: false,
            speed_recipe: vec![100; s.stations.len()],
            temp_recipe: s
                .stations
                .iter()
                .map(|st| match &st.kind {
                    crate::scenario::StationKind::Thermal(t) => {
                        Some(((t.setpoint_c * 10.0).round() as i16) as u16)
                    }
                    crate::scenario::StationKind::Machine => None,
                })
                .collect(),
            product: 1,
            response: s.operator.response_s,
            seed,
            task_rngs: std::collections::BTreeMap::new(),
            tasks: Vec::new(),
            stats: HmiStats::default(),
            events: Vec::new(),
            local_actions: Vec::new(),
            login: match s.authentication.as_ref().map(|a| &a.hmi) {
                Some(crate::scenario::HmiLogin::Personal {
                    timeout_min,
                    login_s,
                }) => Some(Login {
                    timeout: from_secs(timeout_min * 60.0),
                    login_s: *login_s,
                    rng: stream(seed, "operator:login"),
                    last_action: 0,
                    done: 0,
                }),
                _ => None,
            },
            login_waits: Vec::new(),
        }
    }

    /// Whether an operator action at `t` must first wait for a login: when it does, the
    /// time the login ends (a session past its idle timeout starts one; a login under way
    /// is waited for).
    fn login_first(&mut self, t: Micros) -> Option<Micros> {
        let l = self.login.as_mut()?;
        if t < l.done {
            return Some(l.done);
        }
        if t.saturating_sub(l.last_action) < l.timeout {
            l.last_action = t;
            return None;
        }
        let took = from_secs(l.login_s.sample(&mut l.rng).max(0.0));
        l.done = t + took;
        l.last_action = l.done;
        self.stats.logins += 1;
        self.stats.login_wait_s += took as f64 / 1e6;
        Some(l.done)
    }

    /// The links the HMI holds (one per PLC), for connecting them at start.
    pub fn links(&self) -> impl Iterator<Item = (ConnId, usize)> + '_ {
        self.channels.iter().map(|c| (c.link, c.plc))
    }

    fn write(&mut self, station: usize, req_for: impl FnOnce(u16) -> Request) {
        let (ch, base) = self.station_loc[station];
        let req = req_for(base);
        self.channels[ch].enqueue_write(req);
    }

    /// Whether the HMI shows station `st` holding a temperature setpoint other than the
    /// recipe's.
    fn setpoint_off(&self, st: usize) -> bool {
        match (self.views[st].setpoint, self.temp_recipe[st]) {
            (Some(sp), Some(recipe)) => sp != recipe,
            _ => false,
        }
    }

    /// Whether the operator may start stations: the schedule says run and no hold stands.
    pub fn may_run(&self) -> bool {
        self.line_should_run && !self.held
    }

    /// Schedule: every station's run command on.
    pub fn start_line(&mut self) {
        self.line_should_run = true;
        for s in 0..self.views.len() {
            self.write(s, |b| Request::WriteSingleCoil {
                address: b + map::C_RUN,
                value: true,
            });
        }
    }

    /// Schedule: every station's run command off (a planned stop).
    pub fn stop_line(&mut self) {
        self.line_should_run = false;
        for s in 0..self.views.len() {
            self.write(s, |b| Request::WriteSingleCoil {
                address: b + map::C_RUN,
                value: false,
            });
        }
    }

    /// Schedule: a product changeover — product code and speed to every station (FC16),
    /// temperature setpoints to thermal stations (FC06).
    pub fn changeover(
        &mut self,
        product: u16,
        setpoints: &[Setpoint],
        station_index: impl Fn(&str) -> Option<usize>,
    ) {
        self.product = product;
        for sp in setpoints {
            if let Setpoint::Speed(name, pct) = sp
                && let Some(i) = station_index(name)
            {
                self.speed_recipe[i] = *pct;
            }
        }
        for s in 0..self.views.len() {
            let values = vec![self.speed_recipe[s], product];
            self.write(s, |b| Request::WriteMultipleRegisters {
                address: b + map::H_SPEED,
                values,
            });
        }
        for sp in setpoints {
            if let Setpoint::Temperature(name, c) = sp
                && let Some(i) = station_index(name)
            {
                let value = ((c * 10.0).round() as i16) as u16;
                self.temp_recipe[i] = Some(value);
                self.write(i, |b| Request::WriteSingleRegister {
                    address: b + map::H_TEMP_SP,
                    value,
                });
            }
        }
    }

    /// One tick of the HMI at `t`: timeouts, operator tasks due, polls, sends.
    pub fn tick(&mut self, t: Micros, bus: &mut Bus) {
        for c in 0..self.channels.len() {
            self.check_timeout(c, t);
        }
        self.run_tasks(t);
        if t >= self.next_poll {
            self.next_poll = t + self.poll;
            let slow = self.polls.is_multiple_of(self.slow_every);
            self.polls += 1;
            for ch in &mut self.channels {
                // A channel still working through the last poll does not pile up more.
                if ch.queue.iter().any(|q| q.purpose == Purpose::Poll) {
                    continue;
                }
                for (k, (_, thermal)) in ch.slots.iter().enumerate() {
                    let base = k as u16 * BLOCK;
                    let n = map::block_len(map::Table::InputRegister, *thermal);
                    ch.queue.push_back(Queued {
                        req: Request::ReadInputRegisters {
                            address: base,
                            quantity: n,
                        },
                        purpose: Purpose::Poll,
                        attempts: 0,
                    });
                    if slow {
                        for (req, table) in [
                            (
                                Request::ReadCoils {
                                    address: base,
                                    quantity: 0,
                                },
                                map::Table::Coil,
                            ),
                            (
                                Request::ReadHoldingRegisters {
                                    address: base,
                                    quantity: 0,
                                },
                                map::Table::HoldingRegister,
                            ),
                        ] {
                            let quantity = map::block_len(table, *thermal);
                            let req = match req {
                                Request::ReadCoils { address, .. } => {
                                    Request::ReadCoils { address, quantity }
                                }
                                Request::ReadHoldingRegisters { address, .. } => {
                                    Request::ReadHoldingRegisters { address, quantity }
                                }
                                r => r,
                            };
                            ch.queue.push_back(Queued {
                                req,
                                purpose: Purpose::Poll,
                                attempts: 0,
                            });
                        }
                    }
                }
            }
        }
        for c in 0..self.channels.len() {
            if self.channels[c].in_flight.is_none()
                && let Some(q) = self.channels[c].queue.pop_front()
            {
                self.next_tid = self.next_tid.wrapping_add(1);
                let tid = self.next_tid;
                let mut adu = bus.frame();
                encode_adu(&mut adu, tid, 1, |o| q.req.encode_pdu(o));
                self.stats.requests += 1;
                if q.purpose == Purpose::Write {
                    self.stats.writes += 1;
                }
                let ch = &mut self.channels[c];
                bus.send_to_server(ch.link, t, adu);
                ch.in_flight = Some(InFlight { tid, sent_at: t, q });
            }
        }
    }

    pub fn comm_ok(&self, plc: usize) -> bool {
        self.channels.iter().any(|c| c.plc == plc && c.comm_ok)
    }
}

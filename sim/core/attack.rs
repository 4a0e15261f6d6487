//! Attack steps as real traffic. Each step runs from its host's own connections, through
//! the network and its controls, to the PLCs' Modbus servers, and ends recorded as
//! blocked, failed or succeeded — succeeded meaning its effect happened in the twin.

use crate::plc::ConnId;
use crate::scenario::AttackSpec;
use crate::time::{Micros, US_PER_S, from_secs};
use serde::Serialize;

/// The steps of a stochastic attacker, drawn once from the run's seed: the first at the
/// entry time, each next one a dwell time later; each works with its probability.
pub fn campaign(
    a: &crate::scenario::AttackerSpec,
    network: &crate::network::Network,
    seed: u64,
) -> Vec<AttackRun> {
    use rand::RngExt;
    let mut rng = crate::rng::stream(seed, "attacker");
    let mut at_h = a.start_h.sample(&mut rng);
    let mut runs = Vec::new();
    for (k, st) in a.steps.iter().enumerate() {
        if k > 0 {
            at_h += a.dwell_h.sample(&mut rng);
        }
        let works = rng.random::<f64>() < st.success_probability;
        let spec = AttackSpec {
            at_h,
            from: a.from.clone(),
            step: st.step.clone(),
        };
        let mut run = AttackRun::new(&spec, network);
        run.fails_by_chance = !works;
        runs.push(run);
    }
    runs
}

/// How long a step waits for a reply.
pub(crate) const REPLY_TIMEOUT: Micros = 2 * US_PER_S;
/// The first of nmap -sV's service probes long enough to be seen as not Modbus (an MBAP
/// header is 7 bytes; GenericLines' 4 leave a device waiting), in nmap-service-probes'
/// order: GetRequest, HTTPOptions, RTSPRequest, each on a connection of its own.
pub const SERVICE_PROBES: [&[u8]; 3] = [
    b"GET / HTTP/1.0\r\n\r\n",
    b"OPTIONS / HTTP/1.0\r\n\r\n",
    b"OPTIONS / RTSP/1.0\r\n\r\n",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Succeeded,
    /// Stopped by a control before it reached its target.
    Blocked,
    /// Reached the target, which did not do what the attacker wanted.
    Failed,
}

/// A request an attack step sent and awaits a reply to.
#[derive(Clone, Copy, Debug)]
pub struct Awaited {
    pub link: ConnId,
    pub transaction_id: u16,
    pub deadline: Micros,
    pub plc: usize,
}

/// A flood under way: requests sent back to back on one connection, at a rate.
#[derive(Clone, Copy, Debug)]
pub struct Flood {
    pub link: ConnId,
    pub plc: usize,
    pub until: Micros,
    /// The fraction of a request due but not yet sent (the rate is not whole per tick).
    pub carry: f64,
    pub sent: u64,
    /// When the attacker tries again after its connection was dropped (by the device, or
    /// shed by the OT team); `None` while connected.
    pub reconnect_at: Option<Micros>,
    /// Connections it opened again after one was dropped.
    pub reconnects: u32,
}

/// How long a flooding tool waits before it reconnects when its connection is dropped or
/// refused (an assumption: scripted floods retry within seconds).
pub const FLOOD_RECONNECT: Micros = 5 * US_PER_S;

/// An adversary in the middle between the HMI and a PLC, replaying frozen status.
#[derive(Clone, Debug)]
pub struct Spoof {
    pub plc: usize,
    pub until: Micros,
    /// The status registers frozen at the start (from the first reply seen).
    pub frozen: Option<Vec<u16>>,
    /// Replies rewritten so far.
    pub rewritten: u64,
}

#[derive(Clone, Debug)]
pub struct AttackRun {
    pub spec: AttackSpec,
    pub at: Micros,
    pub host: usize,
    /// The step's target PLC (index into the World's PLCs), resolved when the run is built.
    pub(crate) plc: Option<usize>,
    pub started: bool,
    pub outcome: Option<Outcome>,
    pub ended_at: Option<Micros>,
    /// When a monitoring control first flagged this step's traffic.
    pub detected_at: Option<Micros>,
    pub(crate) blocked_by_dpi: u32,
    pub(crate) blocked_by_gateway: u32,
    /// A stochastic attacker's try that did not work (decided when the run is built).
    pub(crate) fails_by_chance: bool,
    /// When the incident response isolated the step's host.
    pub contained_at: Option<Micros>,
    pub(crate) blocked_by_response: u32,
    /// Refused by authentication (a stolen shared password against personal accounts).
    pub(crate) blocked_by_auth: u32,
    /// The host the step's traffic leaves from when not its own (the HMI, logged into
    /// with a stolen password).
    pub(crate) via: Option<usize>,
    pub detail: String,
    pub(crate) tid: u16,
    pub(crate) next_target: usize,
    /// Requests awaiting a reply.
    pub(crate) waiting: Vec<Awaited>,
    pub(crate) replies: u32,
    pub(crate) exceptions: u32,
    pub(crate) blocked: u32,
    pub(crate) refused: u32,
    pub(crate) discovered: Vec<usize>,
    pub(crate) flood: Option<Flood>,
    /// Adversary in the middle.
    pub(crate) spoof: Option<Spoof>,
    pub(crate) dropped_before: u64,
    /// Hosts a spreading step reached, as the kernel answers (carried links).
    pub(crate) reached: Vec<usize>,
    /// A spreading step's restore time, once drawn.
    pub(crate) recovery: Option<Micros>,
}

impl AttackRun {
    /// A step's run, its host and target PLC resolved from their names once, here: both
    /// are names `load` checked, so one that is not in the network is a scenario built
    /// past `load`'s checks, and stops the build naming it.
    pub fn new(spec: &AttackSpec, network: &crate::network::Network) -> AttackRun {
        let host = network.host(&spec.from).unwrap_or_else(|| {
            panic!(
                "attack from \"{}\": no such host in the network (load() refuses this)",
                spec.from
            )
        });
        let plc = spec.step.target().map(|name| {
            network.plc_index(name).unwrap_or_else(|| {
                panic!("attack on \"{name}\": no such PLC (load() refuses this)")
            })
        });
        AttackRun {
            spec: spec.clone(),
            at: from_secs(spec.at_h * 3600.0),
            host,
            plc,
            started: false,
            outcome: None,
            ended_at: None,
            detected_at: None,
            blocked_by_dpi: 0,
            blocked_by_gateway: 0,
            fails_by_chance: false,
            contained_at: None,
            blocked_by_response: 0,
            blocked_by_auth: 0,
            via: None,
            detail: String::new(),
            tid: 0,
            next_target: 0,
            waiting: Vec::new(),
            replies: 0,
            exceptions: 0,
            blocked: 0,
            refused: 0,
            discovered: Vec::new(),
            flood: None,
            spoof: None,
            dropped_before: 0,
            reached: Vec::new(),
            recovery: None,
        }
    }

    pub fn done(&self) -> bool {
        self.outcome.is_some()
    }
}

/// The attack campaign part of the World: the steps, and the consequences that outlast
/// them (an encrypted HMI, a lost MES, a line held stopped).
#[derive(Clone)]
pub struct Campaign {
    pub attacks: Vec<AttackRun>,
    /// The HMI's workstation is encrypted until then: no polling, no operator at the screen.
    pub hmi_down_until: Micros,
    /// The MES is down until then.
    pub mes_down_until: Micros,
    /// Management holds the line stopped until then.
    pub hold_until: Micros,
    /// The line is held stopped by the consequences of an attack (MES lost, shutdown order).
    pub line_held: bool,
    /// The attack step whose consequences hold the line.
    pub held_by: Option<usize>,
    /// The incident response's controlled safe stop holds the line over [from, until).
    pub safe_stop: (Micros, Micros),
}

impl Campaign {
    pub fn new(attacks: Vec<AttackRun>) -> Campaign {
        Campaign {
            attacks,
            hmi_down_until: 0,
            mes_down_until: 0,
            hold_until: 0,
            line_held: false,
            held_by: None,
            safe_stop: (0, 0),
        }
    }
}

//! The controls on the request path, as an ordered chain of gates. Each gate answers a
//! request on its way to a device with a verdict; it changes nothing outside itself. The
//! World walks the chain in order and applies what the verdicts say (counts, events, the
//! client's answer), so the same gates serve the twin's bus and, through their policy
//! engines, the proxy.

use super::ControlId;
use super::dpi::{Dpi, Flow, Mode, OnBlock, Violation};
use super::ids::Ids;
use crate::time::Micros;

/// A request on its way from a host to a PLC, as the gates see it.
pub struct GateRequest<'a> {
    /// The client's host (index in the network) and the PLC.
    pub from: usize,
    pub plc: usize,
    pub flow: Flow<'a>,
    /// The bytes: a whole Modbus/TCP ADU, or (not `framed`) bytes that never made a frame.
    pub adu: &'a [u8],
    pub framed: bool,
}

/// What a gate says about a request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GateVerdict {
    /// Let it through, nothing to say.
    Pass,
    /// Let it through, but it breaks the policy (a control in monitor mode): `why`.
    Alert { gate: ControlId, why: Violation },
    /// Stop it here, and answer the client as the gate is set to.
    Block {
        gate: ControlId,
        why: Violation,
        answer: OnBlock,
    },
}

/// A control on the request path.
pub trait Gate {
    fn id(&self) -> ControlId;
    fn decide(&mut self, request: &GateRequest<'_>, t: Micros) -> GateVerdict;
}

/// The passive IDS watches every framed request (to learn, and to raise its delayed
/// alerts) and never stops one.
impl Gate for Ids {
    fn id(&self) -> ControlId {
        ControlId::Ids
    }

    fn decide(&mut self, r: &GateRequest<'_>, t: Micros) -> GateVerdict {
        if r.framed {
            self.observe(t, r.from, r.plc, r.adu);
        }
        GateVerdict::Pass
    }
}

/// The Modbus DPI: the policy decides; in monitor mode a violation is an alert only.
impl Gate for Dpi {
    fn id(&self) -> ControlId {
        ControlId::Dpi
    }

    fn decide(&mut self, r: &GateRequest<'_>, t: Micros) -> GateVerdict {
        let Err(why) = self.inspect(r.flow, r.adu, t) else {
            return GateVerdict::Pass;
        };
        match self.spec.mode {
            Mode::Monitor => GateVerdict::Alert {
                gate: ControlId::Dpi,
                why,
            },
            Mode::Enforce => GateVerdict::Block {
                gate: ControlId::Dpi,
                why,
                answer: self.spec.on_block,
            },
        }
    }
}

/// The most gates a request walks (the chain below has two).
pub const MAX_GATES: usize = 4;

impl super::Controls {
    /// The gates on the request path, in order: the IDS sees a request before the DPI
    /// decides on it.
    pub fn gates(&mut self) -> impl Iterator<Item = &mut dyn Gate> {
        let ids = self.ids.iter_mut().map(|g| g as &mut dyn Gate);
        let dpi = self.dpi.iter_mut().map(|g| g as &mut dyn Gate);
        ids.chain(dpi)
    }
}

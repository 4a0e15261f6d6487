//! Modbus deep packet inspection, as real Modbus firewalls filter (Tofino Enforcer,
//! Hirschmann EAGLE; ../shared/references.md): deny by default; per source → PLC rules
//! with a function-code allow list (presets read-only / read-write / programming), address
//! ranges for reads and for writes, value bounds on writes, unit ids, and a token-bucket
//! rate limit per source and device (every connection from one client to one PLC shares
//! its bucket). A frame that does not parse is never let through.

use crate::modbus::{Request, parse_adu};
use crate::scenario::Peer;
use crate::time::{Micros, from_secs};
use serde::Serialize;
use std::collections::BTreeMap;

pub use crate::scenario::controls::{
    DpiSpec, FunctionRanges, Mode, OnBlock, PolicyRule, Preset, ValueBound,
};

/// Why a request was (or, in monitor mode, would have been) blocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Violation {
    /// No rule for this source and destination (default deny).
    NoRule,
    Unparsable,
    Function(u8),
    Address {
        function: u8,
        address: u16,
    },
    Value {
        address: u16,
        value: u16,
    },
    Unit(u8),
    Rate,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Violation::NoRule => write!(f, "no rule allows this source to this PLC"),
            Violation::Unparsable => write!(f, "not a well-formed Modbus request"),
            Violation::Function(c) => write!(f, "function code 0x{c:02X} not allowed"),
            Violation::Address { function, address } => write!(
                f,
                "FC 0x{function:02X} at address {address} outside the allowed ranges"
            ),
            Violation::Value { address, value } => {
                write!(f, "value {value} at address {address} outside its bounds")
            }
            Violation::Unit(u) => write!(f, "unit id {u} not allowed"),
            Violation::Rate => write!(f, "rate limit exceeded"),
        }
    }
}

impl Violation {
    /// The exception a blocking gateway answers with, as the Modbus specification means
    /// each code: a function not allowed is 01, an address outside the ranges 02, a value
    /// outside its bounds 03, a unit id not reachable through it 0A (gateway path
    /// unavailable), a rate limit 06 (server busy: try later).
    pub fn exception(&self) -> crate::modbus::ExceptionCode {
        use crate::modbus::ExceptionCode::*;
        match self {
            Violation::NoRule | Violation::Function(_) => IllegalFunction,
            Violation::Address { .. } => IllegalDataAddress,
            Violation::Value { .. } | Violation::Unparsable => IllegalDataValue,
            Violation::Unit(_) => GatewayPathUnavailable,
            Violation::Rate => ServerDeviceBusy,
        }
    }
}

/// Who is talking to whom, as the policy sees it: names and zones of both ends.
#[derive(Clone, Copy, Debug)]
pub struct Flow<'a> {
    pub from_host: &'a str,
    pub from_zone: &'a str,
    pub to_host: &'a str,
    pub to_zone: &'a str,
    /// The rate limit's key: the client's source and the device (in the twin its host and
    /// the PLC, at the proxy its address), so that a client's connections to one device
    /// share one bucket.
    pub source: u64,
}

fn peer_matches(p: &Peer, host: &str, zone: &str) -> bool {
    match p {
        Peer::Host(h) => h == host,
        Peer::Zone(z) => z == zone,
    }
}

fn in_ranges(ranges: &[(u16, u16)], lo: u16, n: u16) -> bool {
    if n == 0 {
        return true;
    }
    let hi = lo.saturating_add(n - 1);
    ranges.is_empty() || ranges.iter().any(|&(a, b)| a <= lo && hi <= b)
}

/// A written point: (address, value, whether it is a register).
type Write = (u16, u16, bool);

/// The policy engine: a rule set and the rate buckets, one per source and device.
#[derive(Clone, Debug)]
pub struct Dpi {
    pub spec: DpiSpec,
    pub latency: Micros,
    buckets: BTreeMap<u64, (f64, Micros)>,
}

impl Dpi {
    pub fn new(spec: &DpiSpec) -> Dpi {
        Dpi {
            spec: spec.clone(),
            latency: from_secs(spec.latency_ms / 1000.0),
            buckets: BTreeMap::new(),
        }
    }

    /// Inspect one request ADU at time `t`. `Ok(())`: within the policy.
    pub fn inspect(&mut self, flow: Flow<'_>, adu: &[u8], t: Micros) -> Result<(), Violation> {
        let Ok((header, pdu)) = parse_adu(adu) else {
            return Err(Violation::Unparsable);
        };
        let Ok(req) = Request::decode_pdu(pdu) else {
            return Err(Violation::Unparsable);
        };
        let Some(rule) = self.spec.rules.iter().find(|r| {
            peer_matches(&r.from, flow.from_host, flow.from_zone)
                && peer_matches(&r.to, flow.to_host, flow.to_zone)
        }) else {
            return Err(Violation::NoRule);
        };
        let function = req.function();
        if !rule.preset.functions().contains(&function) {
            return Err(Violation::Function(function));
        }
        if !rule.unit_ids.is_empty() && !rule.unit_ids.contains(&header.unit_id) {
            return Err(Violation::Unit(header.unit_id));
        }
        // Writes as (address, value, is a register): value bounds apply to registers.
        let (reads, writes): (Option<(u16, u16)>, Vec<Write>) = match &req {
            Request::ReadCoils { address, quantity }
            | Request::ReadDiscreteInputs { address, quantity }
            | Request::ReadHoldingRegisters { address, quantity }
            | Request::ReadInputRegisters { address, quantity } => {
                (Some((*address, *quantity)), vec![])
            }
            Request::WriteSingleCoil { address, value } => {
                (None, vec![(*address, u16::from(*value), false)])
            }
            Request::WriteSingleRegister { address, value } => {
                (None, vec![(*address, *value, true)])
            }
            Request::WriteMultipleCoils { address, values } => (
                None,
                values
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (address.wrapping_add(k as u16), u16::from(*v), false))
                    .collect(),
            ),
            Request::WriteMultipleRegisters { address, values } => (
                None,
                values
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (address.wrapping_add(k as u16), *v, true))
                    .collect(),
            ),
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                values,
            } => (
                Some((*read_address, *read_quantity)),
                values
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (write_address.wrapping_add(k as u16), *v, true))
                    .collect(),
            ),
            _ => (None, vec![]),
        };
        let by_function = rule
            .function_ranges
            .iter()
            .find(|f| f.function == function)
            .map(|f| f.ranges.as_slice());
        if let Some((a, n)) = reads
            && !in_ranges(by_function.unwrap_or(&rule.read_ranges), a, n)
        {
            return Err(Violation::Address {
                function,
                address: a,
            });
        }
        for &(a, v, register) in &writes {
            if !in_ranges(by_function.unwrap_or(&rule.write_ranges), a, 1) {
                return Err(Violation::Address {
                    function,
                    address: a,
                });
            }
            if register
                && let Some(b) = rule
                    .value_bounds
                    .iter()
                    .find(|b| b.addresses.0 <= a && a <= b.addresses.1)
                && !(b.min <= v && v <= b.max)
            {
                return Err(Violation::Value {
                    address: a,
                    value: v,
                });
            }
        }
        if let Some((per_s, burst)) = rule.rate_limit {
            let (tokens, last) = self.buckets.entry(flow.source).or_insert((burst, t));
            *tokens = (*tokens + per_s * (t.saturating_sub(*last)) as f64 / 1e6).min(burst);
            *last = t;
            if *tokens < 1.0 {
                return Err(Violation::Rate);
            }
            *tokens -= 1.0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;

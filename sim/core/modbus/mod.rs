//! Modbus/TCP: the one codec that the in-memory bus, the live server, the DPI proxy and
//! the pcap writer share. It never panics on any input and keeps unknown function codes
//! as raw bytes.

pub mod codec;

pub use codec::*;

/// The TCP port registered for Modbus/TCP (the Modbus Organization's MBAP port); the
/// secure variant's 802 is `faultline::tls::PORT`.
pub const PORT: u16 = 502;

/// Function codes the PLCs answer (others get Illegal Function, or fault a fragile profile).
pub const SUPPORTED: &[u8] = &[
    codec::fc::READ_COILS,
    codec::fc::READ_DISCRETE_INPUTS,
    codec::fc::READ_HOLDING_REGISTERS,
    codec::fc::READ_INPUT_REGISTERS,
    codec::fc::WRITE_SINGLE_COIL,
    codec::fc::WRITE_SINGLE_REGISTER,
    codec::fc::DIAGNOSTICS,
    codec::fc::WRITE_MULTIPLE_COILS,
    codec::fc::WRITE_MULTIPLE_REGISTERS,
    codec::fc::REPORT_SERVER_ID,
    codec::fc::READ_WRITE_MULTIPLE_REGISTERS,
    codec::fc::ENCAPSULATED_INTERFACE,
];

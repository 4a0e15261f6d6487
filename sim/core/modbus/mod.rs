//! Modbus/TCP: the one codec that the in-memory bus, the live server, the DPI proxy and
//! the pcap writer share. It never panics on any input and keeps unknown function codes
//! as raw bytes.

pub mod codec;

pub use codec::*;

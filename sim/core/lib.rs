//! faultline's core: a deterministic digital twin of a production line whose virtual PLCs
//! speak Modbus/TCP, advanced one fixed tick at a time by [`World::step`].
//!
//! Sans-IO by construction: this crate depends on no async runtime, window, thread pool or
//! CLI crate, and reads no files and opens no sockets. Scenario text comes in through
//! [`scenario::Sources`]; bytes from live clients come in as [`world::Input`]s; results go
//! out as plain data ([`summary::Summary`], the World's records) for the adapters in the
//! `faultline` crate to render. See docs/architecture.md.

pub mod act;
pub mod actors;
pub mod attack;
pub mod bus;
pub mod controls;
pub mod dist;
pub mod excursion;
pub mod hmi;
pub mod loss;
pub mod metrics;
pub mod modbus;
pub mod network;
pub mod nft;
pub mod plan;
pub mod plant;
pub mod plc;
pub mod ports;
pub mod rng;
pub mod scenario;
pub mod summary;
pub mod tally;
pub mod time;
pub mod view;
pub mod world;
pub mod zones;

pub use scenario::{Scenario, load_with, parse};
pub use world::{Recording, World};

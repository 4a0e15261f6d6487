//! faultline: a deterministic digital twin of a production line whose virtual PLCs speak
//! real Modbus/TCP, for measuring OT security attacks and controls in the plant's own
//! currency — downtime, throughput, scrap, safety trips and money.
//!
//! The core (`World` and everything it owns) is sans-IO: no clock, sockets or files. See
//! ../shared/ARCHITECTURE.md for the picture.

pub mod attack;
pub mod bus;
pub mod capture;
pub mod controls;
pub mod dist;
pub mod exercise;
pub mod hmi;
pub mod live;
pub mod metrics;
pub mod modbus;
pub mod network;
pub mod plant;
pub mod plc;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod sweep;
pub mod time;
pub mod view;
#[cfg(feature = "viewer-model")]
pub mod viewer;
pub mod world;

pub use scenario::{Scenario, load};
pub use world::{Recording, World};

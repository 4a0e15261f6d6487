//! faultline: a deterministic digital twin of a production line whose virtual PLCs speak
//! real Modbus/TCP, for measuring OT security attacks and controls in the plant's own
//! currency — downtime, throughput, scrap, safety trips and money.
//!
//! This crate holds the adapters around the sans-IO core (`faultline-core`, re-exported
//! here module by module): files, the live Modbus/TCP endpoints, the proxy, sweeps on a
//! thread pool, the renderers (text, JSON, CSV, HTML, pcap), exercise play and the viewer.
//! See docs/architecture.md.

pub use faultline_core::{
    act, actors, attack, bus, controls, dist, hmi, loss, metrics, modbus, network, nft, plan,
    plant, plc, rng, summary, time, view, world,
};

pub mod capture;
pub mod exercise;
pub mod export;
pub mod files;
pub mod impact;
pub mod live;
pub mod netns;
pub mod policy;
pub mod proxy;
pub mod reference;
pub mod report;
pub mod scenario;
pub mod sweep;
pub mod tls;
#[cfg(feature = "viewer-model")]
pub mod viewer;

pub use scenario::{Scenario, load};
pub use world::{Recording, World};

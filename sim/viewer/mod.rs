//! The Bevy viewer (cargo feature `viewer`): an HMI-style mimic of the running twin.
//!
//! - [`model`] (feature `viewer-model`): the ECS side without rendering — the twin as a
//!   resource advanced in `FixedUpdate` at the scenario's tick, the facilitator's commands,
//!   and the systems that map World state onto components (a station's lamp colour, a
//!   buffer's fill). Tested with `MinimalPlugins`.
//! - [`text`] (feature `viewer-model`): the panels' text, composed to fit their panels.
//! - [`purdue`] (feature `viewer-model`): where the network panel draws the zones as a
//!   Purdue diagram (levels, zone boxes, host marks, conduits).
//! - [`app`] (feature `viewer`): the window — sprites, text, the network panel, the alarm
//!   banner, the event log, the KPI panel, keys, screenshots and frame-time logging.
//!   Rendering only reads the [`crate::view::Snapshot`].

pub mod model;
pub mod purdue;
pub mod text;

#[cfg(feature = "viewer")]
pub mod app;

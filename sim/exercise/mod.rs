//! Tabletop exercises with computed consequences.
//!
//! An exercise file (RON, `scenarios/exercises/`) names a scenario, the roles at the table,
//! injects at simulated times and decision points whose options are actions in the twin.
//! [`play`] runs the twin to each inject, asks a [`Chooser`] at each decision, applies the
//! chosen actions and goes on; the decisions are the session's input log, so the same
//! decisions give the same bytes. [`compare`] runs, from each decision point, every option
//! to the end with the same seed: the road not taken.

pub use faultline_core::act;
pub mod pack;
pub mod prompt;
pub mod report;
pub mod template;

mod compare;
mod format;
mod load;
mod play;
pub use compare::*;
pub use format::*;
pub use load::*;
pub use play::*;

use rayon::prelude::*;

pub use act::Act;

/// What can stop an exercise from being played.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// Recorded decisions that do not fit the exercise (no choice for a point, an option
    /// it does not have).
    #[error("{0}")]
    Decisions(String),
    /// The terminal prompt could not be read, or was closed.
    #[error("the prompt: {0}")]
    Prompt(String),
}

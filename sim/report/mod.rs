//! The renderers of the core's report model ([`Summary`]): terminal text, JSON, CSV, JSON
//! lines and HTML with SVG charts. Same run, same bytes.

mod actors_text;
pub mod html;
pub mod impact;
mod sweep_text;
pub mod text;
mod writers;

pub use crate::files::write_atomic;
pub use faultline_core::summary::*;
pub use text::render_text;
pub use writers::{events_jsonl, summary_json, timeline_csv};

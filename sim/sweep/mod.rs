//! Monte Carlo sweeps: N seeds × each variant of a scenario, run in parallel (rayon, one
//! World per run), summarized with paired statistics.
//!
//! - Common random numbers: seed i is shared by every variant, so differences against the
//!   baseline (the first variant) are paired.
//! - Streaming: runs are executed in chunks of seeds and folded, in (seed, variant) order,
//!   into running accumulators (Welford), so memory does not grow with N (but for the year
//!   model's 24 numbers per run, when the scenario has a `risk` section) and results do
//!   not depend on the thread count.
//! - Sharding: shard k of n takes a contiguous block of seeds (all variants of a seed stay
//!   together) and writes a partial result; [`merge`] folds the partials' rows in the same
//!   order, so the merged `summary.json` is byte-identical to the unsharded one.

use crate::controls::ControlId;
use crate::loss::LossCategory;
use crate::scenario::{Problem, Scenario, ScenarioError, VendorAccess};
use crate::summary::{Summary, round};
use crate::world::World;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::io::{BufRead, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// What can go wrong in a sweep, a shard or a merge.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A flag or scheduler variable that does not say what the sweep needs (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be written (or read back once written).
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An input that cannot be read: a partial result's folder or file (exit 66).
    #[error("{}: {source}", path.display())]
    Input {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Partial results that are not the complete shards of one sweep, or rows that do not
    /// follow in order.
    #[error("{0}")]
    Merge(String),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Pool(String),
}

impl SweepError {
    /// An input that cannot be read at `path`, for `map_err`.
    pub fn input(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
        move |source| SweepError::Input {
            path: path.to_path_buf(),
            source,
        }
    }

    /// An I/O error at `path`, for `map_err`.
    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
        move |source| SweepError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

mod budget;
mod days;
mod figures;
mod files;
mod lines;
mod prices;
mod risk;
mod run;
mod shards;
mod spread;
mod statistics;
mod tornado;
mod variants;
mod years;

pub use budget::*;
pub use figures::*;
pub use files::*;
pub use lines::{LINE_COUNT, LINES, Line};
pub use risk::*;
pub use run::*;
pub use shards::*;
pub use spread::*;
pub use statistics::*;
pub use variants::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_down_columns_follow_the_loss_conditions() {
        let labels: Vec<&str> = METRICS[first_cause()..].iter().map(|d| d.label).collect();
        let conditions: Vec<&str> = causes().map(|c| c.label()).collect();
        assert_eq!(labels, conditions);
    }

    #[test]
    fn each_priced_line_has_its_two_columns_in_order() {
        let first = metric("cost_lost_output");
        for (k, l) in LINES.iter().enumerate() {
            let (day, ordinary) = l.metrics();
            assert_eq!(
                (metric(day), metric(ordinary)),
                (first + 2 * k, first + 2 * k + 1)
            );
        }
    }
}

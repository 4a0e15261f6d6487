//! `faultline export`: deploy what was validated in the twin.

use super::{Failure, write_atomic};
use faultline::load;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// The scenario's segmentation as an nftables rule set (`nft -c -f` accepts it): the
    /// allow list rendered with a comment naming each rule's flow, or the scenario's own
    /// rule set as written.
    Nftables {
        scenario: PathBuf,
        /// Write it here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The scenario's DPI rules for one PLC as a `faultline proxy --policy` file (RON),
    /// hosts turned into their addresses.
    ProxyPolicy {
        scenario: PathBuf,
        /// The PLC the proxy will stand in front of.
        #[arg(long)]
        plc: String,
        /// Write it here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(a: Args) -> Result<(), Failure> {
    let (text, out) = match a.what {
        What::Nftables { scenario, out } => {
            let s = load(&scenario).map_err(Failure::Scenario)?;
            (
                faultline::export::nftables(&s).map_err(Failure::Policy)?,
                out,
            )
        }
        What::ProxyPolicy { scenario, plc, out } => {
            let s = load(&scenario).map_err(Failure::Scenario)?;
            (
                faultline::export::proxy_policy(&s, &plc).map_err(Failure::Policy)?,
                out,
            )
        }
    };
    match out {
        Some(path) => write_atomic(&path, &text).map_err(Failure::Output),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

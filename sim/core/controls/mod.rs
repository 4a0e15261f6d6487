//! Security controls that inspect traffic. The same policy engine serves the twin's
//! in-memory network and (later) the standalone proxy.

pub mod dpi;
pub mod ids;
pub mod stats;

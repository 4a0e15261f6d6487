//! Writing results to disk.

/// Write a file whole or not at all: into `NAME.tmp`, then renamed over `path`, so a
/// crash never leaves a half-written file where a good one was.
pub fn write_atomic(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

//! The `faultline` command line.

mod cli;

fn main() -> std::process::ExitCode {
    // Output piped into a reader that stops early (`faultline run … | head`) ends the
    // process quietly, as Unix tools do, instead of a panic on the broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}

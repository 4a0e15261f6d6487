//! The bars a bench holds itself to. Each is printed with its figure; under `cargo bench`
//! (which passes `--bench`) a missed bar fails the bench run, so a regression is seen. Under
//! `cargo test --all-targets` (no `--bench`: one quick pass as a test) the figures are not
//! measurements and nothing is checked. Shared by the benches with `#[path = "common/bars.rs"]`.

#![allow(dead_code)]

pub struct Bars {
    checking: bool,
    missed: Vec<String>,
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

/// A bench's test pass (no `--bench`) that has not ended after `secs` seconds is stopped
/// with an error instead of holding the test command until its time runs out: a bench
/// that talks to itself over sockets and waits for a reply that never comes hangs.
pub fn watchdog(secs: u64) {
    if std::env::args().any(|a| a == "--bench") {
        return;
    }
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(secs));
        let name = std::env::args().next().unwrap_or_default();
        eprintln!(
            "error: {name}: its test pass did not end within {secs} s (a request without a reply?)"
        );
        std::process::exit(1);
    });
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            checking: std::env::args().any(|a| a == "--bench"),
            missed: Vec::new(),
        }
    }

    /// Whether this is a measured run (`cargo bench`), not a test pass.
    pub fn measuring(&self) -> bool {
        self.checking
    }

    fn check(&mut self, what: &str, value: f64, ok: bool, bar: String) {
        let verdict = if ok { "ok" } else { "MISSED" };
        println!("bar: {what} = {value:.3} ({bar}): {verdict}");
        if !ok {
            self.missed.push(format!("{what} = {value:.3} ({bar})"));
        }
    }

    pub fn at_least(&mut self, what: &str, value: f64, bar: f64) {
        self.check(what, value, value >= bar, format!("bar ≥ {bar}"));
    }

    pub fn at_most(&mut self, what: &str, value: f64, bar: f64) {
        self.check(what, value, value <= bar, format!("bar ≤ {bar}"));
    }

    /// Exit non-zero if a bar was missed in a measured run.
    pub fn finish(self) {
        if self.checking && !self.missed.is_empty() {
            eprintln!("bars missed:\n  {}", self.missed.join("\n  "));
            std::process::exit(1);
        }
    }
}

//! Opening the window: a display must be named, and a display that is named but cannot
//! be opened (winit panics while the window plugin is built) is said as such (exit 69),
//! never a panic.

use bevy::prelude::AppExit;

/// Why the viewer could not run.
#[derive(Debug)]
pub enum ViewError {
    /// No display to open a window on (exit 69): what is missing, and how to get one.
    NoDisplay(String),
    Io(std::io::Error),
}

impl std::fmt::Display for ViewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ViewError::NoDisplay(why) => write!(
                f,
                "the viewer needs a display: {why}; run it in a desktop session, or headless under \
                 Xvfb: xvfb-run -a faultline view SCENARIO (README, \"The viewer\")"
            ),
            ViewError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<std::io::Error> for ViewError {
    fn from(e: std::io::Error) -> ViewError {
        ViewError::Io(e)
    }
}

/// Whether the environment names a display at all (winit's own test on Linux).
pub(super) fn display_named() -> Result<(), ViewError> {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if cfg!(target_os = "linux")
        && !["DISPLAY", "WAYLAND_DISPLAY", "WAYLAND_SOCKET"]
            .iter()
            .any(|k| set(k))
    {
        return Err(ViewError::NoDisplay(
            "neither DISPLAY nor WAYLAND_DISPLAY is set".into(),
        ));
    }
    Ok(())
}

/// Run the app; a display that is named but cannot be opened makes winit panic while the
/// window plugin is built: that one panic becomes [`ViewError::NoDisplay`], and any other
/// goes on as the panic it is.
pub(super) fn run_app(build: impl FnOnce() -> AppExit) -> Result<(), ViewError> {
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let hook = std::panic::take_hook();
    let keep = seen.clone();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        if msg.starts_with("Failed to build event loop") {
            if let Ok(mut s) = keep.lock() {
                *s = Some(msg);
            }
        } else {
            eprintln!("{info}");
        }
    }));
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(build));
    let _ = std::panic::take_hook();
    std::panic::set_hook(hook);
    match ran {
        Ok(_) => Ok(()),
        Err(payload) => match seen.lock().ok().and_then(|mut s| s.take()) {
            Some(msg) => Err(ViewError::NoDisplay(format!(
                "the window system refused: {}",
                msg.trim_start_matches("Failed to build event loop: ")
            ))),
            None => std::panic::resume_unwind(payload),
        },
    }
}

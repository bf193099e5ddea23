//! The window's first painted frame, for `cargo xtask bench-dist` (cold start to first paint).

/// When set (to anything), [`first_paint`] prints [`MARKER`] on stderr; otherwise it is silent.
pub const MARKER_ENV: &str = "GITLAB_ONBOARD_PAINT_MARKER";

/// The line printed once the window painted its first frame.
pub const MARKER: &str = "gitlab-onboard-app: first paint";

/// The window calls this once, after its first frame was painted (`ui/src/main.ts`).
#[tauri::command]
pub fn first_paint() {
    if std::env::var_os(MARKER_ENV).is_some() {
        eprintln!("{MARKER}");
    }
}

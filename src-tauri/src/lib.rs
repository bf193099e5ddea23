//! The gitlab-onboard desktop wizard: a thin Tauri shell over the `gitlab_onboard` core.
//!
//! The window (`ui/`) shows the steps; every GitLab request, and the token, stay in Rust.
//! Commands live in `commands`, the state they share in [`state`], the wire error in
//! [`error`], demo mode in [`demo`].

mod commands;
pub mod demo;
pub mod error;
pub mod state;

use std::process::ExitCode;

use tauri::{Builder, Runtime};

use crate::demo::Demo;
use crate::state::{AppState, KeychainChoice};

/// Runs the app: demo mode if asked (`--demo` or `GITLAB_ONBOARD_DEMO=1`), then the window.
pub fn run() -> ExitCode {
    let demo = if demo::requested(
        std::env::args(),
        std::env::var(demo::DEMO_ENV).ok().as_deref(),
    ) {
        match tauri::async_runtime::block_on(Demo::start()) {
            Ok(demo) => Some(demo),
            Err(e) => {
                eprintln!("gitlab-onboard-app: cannot start the demo's simulated GitLab: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let state = AppState::new(KeychainChoice::detect(demo.is_some()), demo);
    match app(Builder::default(), state).run(tauri::generate_context!("../tauri.conf.json")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitlab-onboard-app: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The app's commands and state on a builder (the real one, or the mock runtime's in tests).
pub fn app<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::sign_in,
            commands::detect_scopes
        ])
}

//! The gitlab-onboard desktop wizard: a thin Tauri shell over the `gitlab_onboard` core.
//!
//! The window (`ui/`) shows the steps; every GitLab request, and the token, stay in Rust.
//! Commands live in `commands` (step 3's in `webhooks`, step 4's in `users`), the state they
//! share in [`state`], the wire error in [`error`], demo mode in [`demo`].

#[cfg(test)]
mod bindings;
mod clipboard;
mod commands;
pub mod demo;
mod dialog;
pub mod error;
pub mod health;
#[cfg(test)]
mod mock_ipc;
pub mod paint;
#[cfg(target_os = "linux")]
pub mod renderer;
pub mod resume;
pub mod state;
mod summary;
mod users;
mod webhooks;

use std::process::ExitCode;

use gitlab_onboard::upload::UploadPolicy;
use tauri::{Builder, Manager, Runtime};

use crate::demo::Demo;
use crate::resume::ResumeStore;
use crate::state::{AppState, KeychainChoice};
use crate::webhooks::WebhookState;

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
    // Where the mapping may be uploaded besides Google's endpoints: set by the admin in the
    // environment before start-up, never by the window.
    let upload_policy = match UploadPolicy::from_env() {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("gitlab-onboard-app: {e}");
            return ExitCode::FAILURE;
        }
    };
    let state = AppState::new(KeychainChoice::detect(demo.is_some()), demo);
    let hooks = WebhookState::new(gitlab_onboard::files::data_dir());
    let resume = ResumeStore::new(gitlab_onboard::files::data_dir());
    let zoom = test_zoom(std::env::var(ZOOM_ENV).ok().as_deref());
    let health = health::HealthState::new(gitlab_onboard::files::data_dir());
    match app(Builder::default(), state)
        .setup(move |app| {
            if let (Some(zoom), Some(window)) = (zoom, app.get_webview_window("main")) {
                window.set_zoom(zoom)?;
            }
            Ok(())
        })
        .manage(hooks)
        .manage(resume)
        .manage(health)
        .manage(upload_policy)
        .run(tauri::generate_context!("../tauri.conf.json"))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitlab-onboard-app: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Debug builds only: the page zoom the window starts with (e.g. `2` for 200%), so that the
/// end-to-end tests can check every screen at a large zoom. Release builds ignore it.
pub const ZOOM_ENV: &str = "GITLAB_ONBOARD_TEST_ZOOM";

/// The zoom asked for through [`ZOOM_ENV`]: in a debug build, a number from 0.5 to 4.
fn test_zoom(value: Option<&str>) -> Option<f64> {
    let zoom: f64 = value?.trim().parse().ok()?;
    (cfg!(debug_assertions) && (0.5..=4.0).contains(&zoom)).then_some(zoom)
}

/// The app's commands and state on a builder (the real one, or the mock runtime's in tests).
/// The webhook commands also need a [`WebhookState`], the Health commands a
/// [`health::HealthState`], the upload an [`UploadPolicy`], and the kept state a
/// [`ResumeStore`], all managed by the caller (`run` uses the CLI's data directory and the policy from the
/// environment; tests their own).
pub fn app<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .plugin(tauri_plugin_opener::init())
        .manage(state)
        .manage(users::UsersState::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::sign_in,
            commands::detect_scopes,
            commands::open_in_browser,
            commands::quit,
            clipboard::copy_text,
            resume::resume_load,
            resume::resume_save,
            resume::sign_in_saved,
            resume::start_over,
            summary::export_summary,
            webhooks::webhook_secret_status,
            webhooks::generate_webhook_secret,
            webhooks::save_webhook_secret,
            webhooks::copy_webhook_secret,
            webhooks::plan_webhooks,
            webhooks::apply_webhooks,
            webhooks::verify_webhooks,
            webhooks::cancel_webhooks,
            webhooks::export_webhook_instructions,
            users::users_choose_idp,
            users::users_choose_save,
            users::users_build,
            users::users_summary,
            users::users_rows,
            users::users_edit,
            users::users_save,
            users::upload::users_choose_key,
            users::upload::users_upload,
            paint::first_paint,
            health::onboarded_instance,
            health::health,
            health::fix_health,
            health::rotate_token,
            health::copy_token,
            health::plan_removal,
            health::remove_hooks
        ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_zoom_is_a_bounded_number_and_only_in_debug_builds() {
        let two = test_zoom(Some("2"));
        if cfg!(debug_assertions) {
            assert_eq!(two, Some(2.0));
        } else {
            assert_eq!(two, None);
        }
        for refused in [
            None,
            Some(""),
            Some("big"),
            Some("0"),
            Some("10"),
            Some("NaN"),
        ] {
            assert_eq!(test_zoom(refused), None, "{refused:?}");
        }
    }
}

//! The window's commands: each parses its arguments, calls the state (and through it the core),
//! and returns JSON or a [`CommandError`].

use gitlab_onboard::Secret;
use gitlab_onboard::scopes::{DetectProgress, TokenReport};
use tauri::State;
use tauri::ipc::Channel;

use crate::error::CommandError;
use crate::state::{AppInfo, AppState, SignedIn};

/// Start-up facts: the default URL, demo mode, where the token will be kept.
#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    state.info()
}

/// Step 1: checks the token with GitLab and keeps it in the keychain.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    url: String,
    token: String,
) -> Result<SignedIn, CommandError> {
    let token = Secret::new(token);
    state.sign_in(&url, &token).await
}

/// Step 2: what the token can do and reach; progress streams over `on_progress`.
#[tauri::command]
pub async fn detect_scopes(
    state: State<'_, AppState>,
    refresh: bool,
    on_progress: Channel<DetectProgress>,
) -> Result<TokenReport, CommandError> {
    // A closed window cannot take progress any more; the report still comes back.
    let progress = move |p: DetectProgress| drop(on_progress.send(p));
    state.detect(refresh, &progress).await
}

#[cfg(test)]
mod tests {
    use gitlab_onboard::keychain::Keychain;
    use gitlab_sim::{Simulator, World, tokens};
    use serde_json::json;

    use crate::mock_ipc::{invoke, window};
    use crate::state::KeychainChoice;

    use super::*;

    fn in_memory() -> AppState {
        AppState::new(
            KeychainChoice::Memory(Keychain::in_memory(), "in memory".into()),
            None,
        )
    }

    #[test]
    fn app_info_wire_shape() {
        let (_app, window) = window(AppState::new(
            KeychainChoice::Unavailable("start it".into()),
            None,
        ));
        assert_eq!(
            invoke(&window, "app_info", json!({})),
            Ok(json!({
                "default_url": "https://gitlab.com",
                "demo": null,
                "keychain": { "kind": "unavailable", "message": "start it" },
            }))
        );
    }

    #[test]
    fn bad_input_comes_back_as_code_and_message() {
        let (_app, window) = window(in_memory());
        let err = invoke(
            &window,
            "sign_in",
            json!({ "url": "https://gitlab.example.com", "token": "two words" }),
        )
        .unwrap_err();
        assert_eq!(err["code"], "invalid_input");
        assert!(
            err["message"].as_str().unwrap().contains("whitespace"),
            "{err}"
        );
        assert!(
            !err.to_string().contains("two words"),
            "the token is never echoed: {err}"
        );
    }

    #[test]
    fn sign_in_then_detect_over_ipc_never_returns_the_token() {
        let sim = tauri::async_runtime::block_on(Simulator::start(World::demo())).unwrap();
        let (_app, window) = window(in_memory());

        let signed_in = invoke(
            &window,
            "sign_in",
            json!({ "url": sim.url(), "token": tokens::API }),
        )
        .unwrap();
        assert_eq!(signed_in["gitlab_url"], sim.url());
        assert!(!signed_in.to_string().contains(tokens::API), "{signed_in}");

        let report = invoke(
            &window,
            "detect_scopes",
            json!({ "refresh": false, "onProgress": "__CHANNEL__:7" }),
        )
        .unwrap();
        assert_eq!(report["mode"], "automatic");
        assert!(!report.to_string().contains(tokens::API));
    }

    #[test]
    fn detect_before_sign_in_says_so() {
        let (_app, window) = window(in_memory());
        let err = invoke(
            &window,
            "detect_scopes",
            json!({ "refresh": false, "onProgress": "__CHANNEL__:7" }),
        );
        assert_eq!(
            err,
            Err(serde_json::to_value(CommandError::not_signed_in()).unwrap())
        );
    }
}

//! The window's commands: each parses its arguments, calls the state (and through it the core),
//! and returns JSON or a [`CommandError`].

use gitlab_onboard::client::origin::Origin;
use gitlab_onboard::scopes::{DetectProgress, TokenReport};
use gitlab_onboard::{GitLabUrl, Secret};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, Url};
use tauri_plugin_opener::OpenerExt;

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

/// Opens `url` in the default browser, only if it is a page of the GitLab instance signed in
/// to (same scheme, host and port, under its path prefix, no credentials). The window has no
/// opener permission of its own: this check, in Rust, is the only way out to the browser.
#[tauri::command]
pub async fn open_in_browser<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    url: String,
) -> Result<(), CommandError> {
    let instance = state.instance().await?;
    let url = on_instance(&instance, &url)?;
    app.opener()
        .open_url(url.as_str(), None::<&str>)
        .map_err(|e| {
            CommandError::with_details(
                "open_failed",
                "No web browser could be opened on this computer: copy the link and open it in a browser yourself.",
                &e.to_string(),
            )
        })
}

/// Ctrl+Q: quits the app.
#[tauri::command]
pub fn quit<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}

/// `input` as a URL of a page on `instance` (the check the client makes before sending the
/// token: same scheme, host and port, no credentials, under the instance's path), or why not.
fn on_instance(instance: &GitLabUrl, input: &str) -> Result<Url, CommandError> {
    let input = input.trim();
    match Url::parse(input) {
        Ok(url) if Origin::of(instance).allows(input) => Ok(url),
        _ => Err(CommandError {
            code: "invalid_input",
            message: format!(
                "not opened: it is not a page of the signed-in GitLab; only pages of {} open from here",
                instance.as_str()
            ),
        }),
    }
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

    #[test]
    fn only_pages_of_the_instance_are_opened() {
        let gitlab = GitLabUrl::parse("https://git.corp.example/gitlab").unwrap();
        let ok = "https://git.corp.example/gitlab/acme/api/-/hooks";
        assert_eq!(on_instance(&gitlab, ok).unwrap().as_str(), ok);
        for refused in [
            "https://evil.example/gitlab/acme",
            "http://git.corp.example/gitlab/acme",
            "https://git.corp.example:8443/gitlab/acme",
            "https://git.corp.example.evil.example/gitlab/acme",
            "https://user:pw@git.corp.example/gitlab/acme",
            "https://git.corp.example/other/acme",
            "https://git.corp.example/gitlabx/acme",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "not a url",
        ] {
            let e = on_instance(&gitlab, refused).unwrap_err();
            assert_eq!(e.code, "invalid_input", "{refused}");
            assert!(e.message.starts_with("not opened:"), "{e:?}");
        }
    }

    #[test]
    fn the_window_cannot_open_a_foreign_url_nor_any_before_sign_in() {
        let sim = tauri::async_runtime::block_on(Simulator::start(World::demo())).unwrap();
        let (_app, window) = window(in_memory());
        let err = invoke(
            &window,
            "open_in_browser",
            json!({ "url": format!("{}/acme", sim.url()) }),
        )
        .unwrap_err();
        assert_eq!(
            err,
            serde_json::to_value(CommandError::not_signed_in()).unwrap()
        );
        invoke(
            &window,
            "sign_in",
            json!({ "url": sim.url(), "token": tokens::API }),
        )
        .unwrap();
        for foreign in [
            "https://attacker.example/phish",
            "file:///etc/passwd",
            "http://127.0.0.2:1/elsewhere",
        ] {
            let err = invoke(&window, "open_in_browser", json!({ "url": foreign })).unwrap_err();
            assert_eq!(err["code"], "invalid_input", "{foreign}: {err}");
        }
    }

    /// Every screen is laid out for 900×600 and up (and at 200% zoom): the window may not
    /// be made smaller.
    #[test]
    fn the_window_declares_its_minimum_size() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../../tauri.conf.json")).unwrap();
        let window = &config["app"]["windows"][0];
        assert_eq!(window["minWidth"], 900, "{window}");
        assert_eq!(window["minHeight"], 600, "{window}");
    }

    /// The window may not call the opener plugin itself: its one way to a browser is the
    /// checked command above.
    #[test]
    fn the_capability_grants_no_opener_permission() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
        let permissions = capability["permissions"].to_string();
        assert!(!permissions.contains("opener:"), "{permissions}");
        assert!(
            permissions.contains("allow-open-in-browser"),
            "{permissions}"
        );
    }
}

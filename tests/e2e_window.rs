//! End to end through the real window: the built app, driven over WebDriver, against the
//! GitLab simulator, with the token kept in the system keychain (Secret Service).
//!
//! Run one at a time under a display and a D-Bus session with an unlocked keyring; `cargo
//! xtask test` does this. By hand:
//!
//! ```sh
//! npm --prefix ui ci && npm --prefix ui run build && cargo build -p gitlab-onboard-app
//! xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- sh -c '
//!   export HOME=$(mktemp -d) XDG_RUNTIME_DIR=$(mktemp -d)
//!   eval "$(printf pass | gnome-keyring-daemon --unlock --components=secrets)"
//!   eval "$(gnome-keyring-daemon --start --components=secrets)"
//!   cargo test --test e2e_window -- --include-ignored --test-threads=1'
//! ```
#![cfg(target_os = "linux")]

mod e2e;

use e2e::{ForgetInstance, Window};
use gitlab_onboard::error::AuthFailure;
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::model::Role;
use gitlab_onboard::{ApiError, GitLabUrl};
use gitlab_sim::{Simulator, World, tokens};

/// The token saved for the simulator, read back from the system keychain.
fn stored_token(keychain: &Keychain, url: &GitLabUrl) -> Option<String> {
    keychain
        .token(url)
        .expect("read the system keychain")
        .map(|t| t.expose().to_owned())
}

/// What the scopes screen must show for the main user's `api` token, from the world itself.
struct Expected {
    total: usize,
    /// Live (not archived) projects whose hooks the token may manage.
    automatic: usize,
    /// Archived projects: skipped by the webhooks step.
    archived: usize,
    by_role: Vec<(String, usize)>,
}

fn expected_counts(world: &World) -> Expected {
    let user = world
        .user_by_username(tokens::MAIN_USER)
        .expect("the main user")
        .id;
    let roles = world.project_roles(user);
    let by_role = roles
        .iter()
        .map(|(level, count)| {
            let role = Role::from_level(u32::from(*level)).expect("a known level");
            (
                serde_json::to_value(role)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
                *count,
            )
        })
        .collect();
    let archived = |id: &gitlab_sim::model::Id| world.project(*id).is_some_and(|p| p.archived);
    Expected {
        total: roles.values().sum(),
        automatic: world
            .member_projects(user, 40)
            .iter()
            .filter(|id| !archived(id))
            .count(),
        archived: world
            .member_projects(user, 0)
            .iter()
            .filter(|id| archived(id))
            .count(),
        by_role,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
async fn api_token_reaches_the_scopes_screen_and_is_kept_in_the_keychain() {
    let sim = Simulator::start(World::demo())
        .await
        .expect("start the simulator");
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let keychain = Keychain::system().expect("a Secret Service (see this file's header)");
    let _forget = ForgetInstance(keychain.clone(), url.clone());
    assert_eq!(
        stored_token(&keychain, &url),
        None,
        "a token from an earlier run is still there"
    );

    let window = Window::open("api-token").await;
    window.fill("gitlab-url", &sim.url()).await;
    window.fill("token", tokens::API).await;
    window.click("continue").await;

    let mode = window.wait_for("mode").await;
    assert_eq!(
        mode.attr("data-mode").await.unwrap().as_deref(),
        Some("automatic")
    );
    let expected = sim.state(|w| expected_counts(w));
    assert!(
        expected.total > 0,
        "the demo world gives the main user projects"
    );
    assert_eq!(window.text("count-total").await, expected.total.to_string());
    assert_eq!(
        window.text("count-automatic").await,
        expected.automatic.to_string()
    );
    assert_eq!(
        window.text("count-manual").await,
        (expected.total - expected.archived - expected.automatic).to_string()
    );
    assert_eq!(
        window.text("count-archived").await,
        expected.archived.to_string()
    );
    for (role, count) in &expected.by_role {
        let text = window.text(&format!("role-{role}")).await;
        assert!(text.ends_with(&format!(": {count}")), "{role}: {text}");
    }
    assert_eq!(
        window.text("owner").await,
        sim.state(|w| w.user_by_username(tokens::MAIN_USER).unwrap().name.clone())
    );

    assert_eq!(stored_token(&keychain, &url).as_deref(), Some(tokens::API));
    let shot = window.screenshot("scopes-api-token.png").await;
    println!("screenshot: {}", shot.display());
    window.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
async fn expired_or_revoked_token_shows_the_core_message_and_stores_nothing() {
    let sim = Simulator::start(World::demo())
        .await
        .expect("start the simulator");
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let keychain = Keychain::system().expect("a Secret Service (see this file's header)");
    let _forget = ForgetInstance(keychain.clone(), url.clone());

    let window = Window::open("refused-token").await;
    window.fill("gitlab-url", &sim.url()).await;
    for (token, failure, code) in [
        (tokens::REVOKED, AuthFailure::Revoked, "token_revoked"),
        (tokens::EXPIRED, AuthFailure::Expired, "token_expired"),
    ] {
        window.fill("token", token).await;
        window.click("continue").await;
        // This attempt's answer, not the previous one's.
        // The code is in the error's details (closed): its content, not its shown text.
        window.wait_for_content("error-code", code).await;
        let core = gitlab_onboard::Error::from(ApiError::Unauthorized(failure));
        assert_eq!(
            window.text("error-message").await,
            core.to_string().replace('`', "")
        );
        assert!(
            window.has("token").await && !window.has("mode").await,
            "still on the Token screen"
        );
        assert_eq!(
            stored_token(&keychain, &url),
            None,
            "a refused token is never stored"
        );
    }
    let shot = window.screenshot("token-expired.png").await;
    println!("screenshot: {}", shot.display());
    window.close().await;
}

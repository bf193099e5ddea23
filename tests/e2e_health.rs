//! End to end through the real window, day two: the app opened again after onboarding starts
//! on Health (not on the Token step), shows the expiry banner, finds a project created since,
//! fixes it with one button, and rotates the token behind a confirmation.
//!
//! App.svelte asks `onboarded_instance` on start and opens on `HealthScreen` when it answers
//! (data-testid `health`), whatever step the wizard was left on. Run one at a time under a display
//! and a D-Bus session with an unlocked keyring; `cargo xtask test e2e_health` does this (see
//! `e2e_window.rs` for doing it by hand).
#![cfg(target_os = "linux")]

mod e2e;

use std::time::{Duration, Instant};

use e2e::{ForgetInstance, Window};
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::status::onboarded;
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{Owner, Simulator, World, tokens};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

/// The crawler's hooks on a project.
fn crawler_hooks(sim: &Simulator, project: u64) -> usize {
    sim.state(|w| {
        w.hooks_of_project(project)
            .iter()
            .filter(|h| h.url == EVENTS)
            .count()
    })
}

/// Named after the file, so `cargo xtask test e2e_health` selects these tests.
mod e2e_health {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
    async fn reopened_after_onboarding_the_app_shows_health_fixes_and_rotates() {
        let sim = Simulator::start(World::demo())
            .await
            .expect("start the simulator");
        let url = GitLabUrl::parse(&sim.url()).unwrap();
        let keychain = Keychain::system().expect("a Secret Service (see e2e_window.rs)");
        let _forget = ForgetInstance(keychain.clone(), url.clone());
        let data = tempfile::tempdir().unwrap();
        let env = [("GITLAB_ONBOARD_DATA_DIR", data.path().as_os_str())];

        // Onboarding, through the window: sign in, Scopes, Webhooks (group acme), Apply.
        let window = Window::open_with("health-onboarding", &env).await;
        window.fill("gitlab-url", &sim.url()).await;
        window.fill("token", tokens::API).await;
        window.click("continue").await;
        window.wait_for("mode").await;
        window.click("continue-webhooks").await;
        window.wait_for("webhooks").await;
        window.fill("event-url", EVENTS).await;
        window.click("generate-secret").await;
        window.wait_for("new-secret").await;
        window.click("secret-done").await;
        window.click("apply").await;
        window
            .wait_until("run-summary", |t| t.contains("Created"))
            .await;
        window.close().await;
        let marker = onboarded::Onboarded::load(data.path(), url.as_str())
            .expect("the apply left the onboarding marker");
        assert_eq!(marker.event_url, EVENTS);

        // A token that expires in 10 days is in the keychain now (the same user's).
        keychain
            .store_token(&url, &Secret::new(tokens::EXPIRING_SOON))
            .unwrap();
        // A project created since onboarding.
        let web = sim.state(|w| w.group_by_path("acme/web").unwrap().id);
        let new = sim.state(|w| w.add_project("Checkout", "checkout", Owner::Group(web)));

        // Opened again: Health, not the Token step (nor the Webhooks step it was left on).
        let window = Window::open_at("health-reopened", &env, "health").await;
        assert!(!window.has("token").await, "no empty Token screen");
        assert!(
            window.has("step-health").await,
            "Health heads the step list"
        );
        assert_eq!(window.text("expiry-days").await, "in 10 days");
        let missing = window
            .wait_until(&format!("missing-{new}"), |t| {
                t.contains("acme/web/checkout")
            })
            .await;
        assert!(missing.contains("no hook"), "{missing}");
        let todo = window.text("todo-list").await;
        assert!(todo.contains("Rotate the token"), "{todo}");
        window.screenshot("health-found.png").await;

        // One button fixes what can be fixed.
        assert_eq!(crawler_hooks(&sim, new), 0);
        window.click("fix").await;
        window
            .wait_until("fixed", |t| t.contains("Fixed 1 webhook"))
            .await;
        assert_eq!(crawler_hooks(&sim, new), 1);
        // Health checked again: the new project is no longer listed as missing.
        let deadline = Instant::now() + Duration::from_secs(30);
        while window.has(&format!("missing-{new}")).await {
            assert!(
                Instant::now() < deadline,
                "project {new} still listed as missing"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Rotation from the banner, behind a confirmation; the keychain gets the new token,
        // the window never shows it.
        window.click("expiry-rotate").await;
        let confirm = window.text("rotate-confirm").await;
        assert!(confirm.contains("stops working at once"), "{confirm}");
        window.click("rotate-yes").await;
        let rotated = window
            .wait_until("rotated", |t| t.contains("rotated"))
            .await;
        let new_token = keychain.token(&url).unwrap().expect("a token");
        assert_ne!(new_token.expose(), tokens::EXPIRING_SOON);
        assert!(!rotated.contains(new_token.expose()), "{rotated}");
        // GitLab gives a rotated token one week unless asked otherwise.
        window.wait_until("expiry-days", |t| t == "in 7 days").await;
        window.screenshot("health-rotated.png").await;

        // The wizard's steps carry the banner too, with the new expiry; Health is one click back.
        let open = "const b = document.querySelector('[data-testid=step-scopes]'); \
                    if (!b || b.disabled) return false; b.click(); return true;";
        let deadline = Instant::now() + Duration::from_secs(30);
        while window.execute(open).await != serde_json::json!(true) {
            assert!(Instant::now() < deadline, "the Scopes step never opened");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        window.wait_for("report").await;
        assert!(!window.has("health").await);
        window.wait_until("expiry-days", |t| t == "in 7 days").await;
        window.click("step-health").await;
        window.wait_for("health-webhooks").await;
        window.close().await;
    }
}

//! End to end through the real window, step 3: the Webhooks screen against the GitLab
//! simulator, on the automatic path (an `api` token: generate the secret, Apply, Verify, Apply
//! again) and the manual path (a read-only token: instructions with deep links, export, Verify).
//!
//! Run one at a time under a display and a D-Bus session with an unlocked keyring; `cargo
//! xtask test e2e_webhooks` does this (see `e2e_window.rs` for doing it by hand).
#![cfg(target_os = "linux")]

mod e2e;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use e2e::{ForgetInstance, Window};
use gitlab_onboard::GitLabUrl;
use gitlab_onboard::keychain::Keychain;
use gitlab_sim::{Simulator, World, tokens};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

/// The debug build's stand-in for the save dialog (see `src-tauri/src/dialog.rs`).
const SAVE_ANSWER_ENV: &str = "GITLAB_ONBOARD_TEST_SAVE_FILE";

/// Projects the main user reaches that are not archived, and those of them they maintain.
fn reached_and_maintained(sim: &Simulator) -> (BTreeSet<u64>, BTreeSet<u64>) {
    sim.state(|w| {
        let user = w.user_by_username(tokens::MAIN_USER).expect("main user").id;
        let live = |ids: Vec<u64>| -> BTreeSet<u64> {
            ids.into_iter()
                .filter(|id| !w.project(*id).expect("a project").archived)
                .collect()
        };
        (
            live(w.member_projects(user, 1)),
            live(w.member_projects(user, 40)),
        )
    })
}

/// `(project, secret)` of every project hook with the crawler's URL.
fn crawler_hooks(sim: &Simulator) -> Vec<(u64, Option<String>)> {
    sim.state(|w| {
        w.projects()
            .flat_map(|p| w.hooks_of_project(p.id))
            .filter(|h| h.url == EVENTS)
            .map(|h| match h.owner {
                gitlab_sim::model::HookOwner::Project(p) => (p, h.token.clone()),
                other => panic!("a group hook in a project list: {other:?}"),
            })
            .collect()
    })
}

/// Waits until the element's attribute is `wanted` (a copy button says "copied").
async fn wait_for_attr(window: &Window, test_id: &str, name: &str, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = attr(window, test_id, name).await;
        if value == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "[data-testid={test_id}] has {name}={value:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn attr(window: &Window, test_id: &str, name: &str) -> String {
    window
        .wait_for(test_id)
        .await
        .attr(name)
        .await
        .expect("read an attribute")
        .unwrap_or_default()
}

/// Signs in with `token` and goes through Scopes to the Webhooks screen.
async fn open_webhooks(
    sim: &Simulator,
    token: &str,
    name: &str,
    data_dir: &Path,
    save_to: &Path,
) -> Window {
    let window = Window::open_with(
        name,
        &[
            ("GITLAB_ONBOARD_DATA_DIR", data_dir.as_os_str()),
            (SAVE_ANSWER_ENV, save_to.as_os_str()),
        ],
    )
    .await;
    window.fill("gitlab-url", &sim.url()).await;
    window.fill("token", token).await;
    window.click("continue").await;
    window.wait_for("mode").await;
    window.click("continue-webhooks").await;
    window.wait_for("webhooks").await;
    window.fill("event-url", EVENTS).await;
    window
}

/// Named after the file, so `cargo xtask test e2e_webhooks` selects these tests.
mod e2e_webhooks {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
    async fn api_token_generates_the_secret_applies_and_verifies_the_hooks() {
        let sim = Simulator::start(World::demo())
            .await
            .expect("start the simulator");
        let url = GitLabUrl::parse(&sim.url()).unwrap();
        let keychain = Keychain::system().expect("a Secret Service (see e2e_window.rs)");
        let _forget = ForgetInstance(keychain.clone(), url.clone());
        let data = tempfile::tempdir().unwrap();
        let (reached, maintained) = reached_and_maintained(&sim);
        assert!(!maintained.is_empty() && maintained.len() < reached.len());

        let window = open_webhooks(
            &sim,
            tokens::API,
            "webhooks-api",
            data.path(),
            &data.path().join("unused.md"),
        )
        .await;
        assert_eq!(
            attr(&window, "webhooks-mode", "data-mode").await,
            "automatic"
        );

        window.click("generate-secret").await;
        let secret = window.text("new-secret").await;
        assert_eq!(secret.len(), 64, "{secret}");
        assert_eq!(
            keychain
                .webhook_secret(&url)
                .unwrap()
                .map(|s| s.expose().to_owned()),
            Some(secret.clone()),
            "the secret shown once is the one in the keychain"
        );
        window.click("copy-new-secret").await;
        wait_for_attr(&window, "copy-new-secret", "data-state", "copied").await;
        // The button reached the system clipboard: pasted into a field, it is the secret.
        assert_eq!(window.clipboard_via("event-url").await, secret);
        window.screenshot("webhooks-secret-once.png").await;
        window.click("secret-done").await;
        assert!(!window.has("new-secret").await, "shown once only");

        window.click("apply").await;
        let summary = window
            .wait_until("run-summary", |t| t.starts_with("Created"))
            .await;
        assert_eq!(
            summary,
            format!(
                "Created {}, updated 0, 0 already correct, {} left to do by hand, 0 failed ({} projects).",
                maintained.len(),
                reached.len() - maintained.len(),
                reached.len()
            ),
            "worded as done"
        );
        for id in &reached {
            let outcome = attr(&window, &format!("hook-row-{id}"), "data-outcome").await;
            let wanted = if maintained.contains(id) {
                "create"
            } else {
                "manual"
            };
            assert_eq!(outcome, wanted, "project {id}");
        }
        let mut hooks = crawler_hooks(&sim);
        hooks.sort();
        assert_eq!(
            hooks,
            maintained
                .iter()
                .map(|id| (*id, Some(secret.clone())))
                .collect::<Vec<_>>(),
            "one hook per maintained project, with the secret, and none anywhere else"
        );
        window.screenshot("webhooks-applied.png").await;

        window.click("verify").await;
        let verified = window
            .wait_until("verify-summary", |t| t.contains("Verified"))
            .await;
        assert!(
            verified.contains(&format!("{} of {}", maintained.len(), reached.len())),
            "{verified}"
        );
        for id in &maintained {
            assert_eq!(
                attr(&window, &format!("hook-row-{id}"), "data-check").await,
                "ok",
                "project {id}"
            );
        }

        window.click("apply").await;
        let again = window
            .wait_until("run-summary", |t| {
                t.contains(&format!("{} already correct", maintained.len()))
            })
            .await;
        assert!(again.starts_with("Created 0, updated 0"), "{again}");
        assert_eq!(
            crawler_hooks(&sim).len(),
            maintained.len(),
            "a second apply adds nothing"
        );
        window.screenshot("webhooks-verified.png").await;
        window.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
    async fn read_only_token_gets_instructions_with_deep_links_and_verify_finds_no_hook() {
        let sim = Simulator::start(World::demo())
            .await
            .expect("start the simulator");
        let url = GitLabUrl::parse(&sim.url()).unwrap();
        let keychain = Keychain::system().expect("a Secret Service (see e2e_window.rs)");
        let _forget = ForgetInstance(keychain.clone(), url.clone());
        let data = tempfile::tempdir().unwrap();
        let export = data.path().join("crawler-webhooks.md");
        let (reached, maintained) = reached_and_maintained(&sim);

        let window = open_webhooks(
            &sim,
            tokens::READ_ONLY,
            "webhooks-read-only",
            data.path(),
            &export,
        )
        .await;
        assert_eq!(attr(&window, "webhooks-mode", "data-mode").await, "manual");
        assert!(!window.has("apply").await, "a read-only token cannot apply");
        window.click("generate-secret").await;
        let secret = window.text("new-secret").await;
        window.click("secret-done").await;

        window.click("plan").await;
        window.wait_for("manual-instructions").await;
        assert_eq!(window.text("manual-url").await, EVENTS);
        for id in &reached {
            let (path, web) = sim.state(|w| {
                let p = w.project(*id).unwrap();
                (
                    p.path_with_namespace.clone(),
                    format!("{}/{}", sim.url(), p.path_with_namespace),
                )
            });
            assert_eq!(
                attr(&window, &format!("hooks-link-{id}"), "href").await,
                format!("{web}/-/hooks"),
                "{path}"
            );
            assert_eq!(
                attr(&window, &format!("hook-row-{id}"), "data-outcome").await,
                "manual"
            );
        }
        assert!(
            window
                .text("manual-triggers")
                .await
                .contains("Wiki page events")
        );
        // The saved secret goes to the clipboard from Rust, never through the page.
        window.click("copy-secret").await;
        wait_for_attr(&window, "copy-secret", "data-state", "copied").await;
        // It reached the system clipboard (pasted here only to read it back).
        assert_eq!(window.clipboard_via("event-url").await, secret);
        window.screenshot("webhooks-manual.png").await;

        // The secret goes into the export only when the admin ticks the box.
        window.click("export-with-secret").await;
        window.click("export").await;
        let exported = window.text("exported").await;
        assert!(
            exported.contains(&export.display().to_string()),
            "{exported}"
        );
        let text = std::fs::read_to_string(&export).expect("the exported file");
        assert!(text.contains(EVENTS) && text.contains(&secret), "{text}");
        assert_eq!(text.matches("/-/hooks>").count(), reached.len(), "{text}");

        window.click("verify").await;
        let verified = window
            .wait_until("verify-summary", |t| t.contains("Verified"))
            .await;
        assert!(
            verified.contains(&format!("0 of {}", reached.len())),
            "{verified}"
        );
        for id in &reached {
            let check = attr(&window, &format!("hook-row-{id}"), "data-check").await;
            // Maintainers can list hooks with read_api: nothing is there. Others cannot look.
            let wanted = if maintained.contains(id) {
                "missing"
            } else {
                "unknown"
            };
            assert_eq!(check, wanted, "project {id}");
        }
        assert!(
            crawler_hooks(&sim).is_empty(),
            "the read-only path writes nothing"
        );
        window.screenshot("webhooks-manual-verified.png").await;
        window.close().await;
    }
}

//! End to end through the real window, step 4: the Users screen against the GitLab simulator
//! and the GCS emulator. It builds a mapping from an identity-provider export and a domain,
//! edits an email in place, saves the CSV over an earlier one (the window asks first), and
//! uploads it with a signed URL; and, with 100,000 members, measures the preview's first paint.
//!
//! The native open and save dialogs cannot be driven over WebDriver: the debug build answers
//! them from `GITLAB_ONBOARD_TEST_OPEN_FILE` / `GITLAB_ONBOARD_TEST_SAVE_FILE` (see
//! `src-tauri/src/dialog.rs`). The emulator runs from the workspace's `.venv`
//! (`GITLAB_ONBOARD_PYTHON` overrides it).
//!
//! Run one at a time under a display and a D-Bus session with an unlocked keyring; `cargo
//! xtask test e2e_users` does this (see `e2e_window.rs` for doing it by hand).
#![cfg(target_os = "linux")]

mod e2e;
mod gcs;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::time::{Duration, Instant};

use e2e::{ForgetInstance, Window};
use gcs::{BUCKET, Emulator};
use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::scopes::{self, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::users::{self, EmailSource, Mapping, Options, idp};
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{Simulator, World, WorldSpec, tokens};

const OPEN_ANSWER_ENV: &str = "GITLAB_ONBOARD_TEST_OPEN_FILE";
const SAVE_ANSWER_ENV: &str = "GITLAB_ONBOARD_TEST_SAVE_FILE";
const DOMAIN: &str = "corp.example";

/// The session and step-2 report the app will have, for the expected mapping.
async fn detect(sim: &Simulator) -> (Session, TokenReport) {
    let config = ClientConfig::new(
        GitLabUrl::parse(&sim.url()).unwrap(),
        Secret::new(tokens::API),
    );
    let session = Session::open(config).await.expect("the token works");
    let report = scopes::detect(&session, &|_| {}).await.expect("detect");
    (session, report)
}

async fn build(session: &Session, report: &TokenReport, options: &Options) -> Mapping {
    users::build(&session.client, report, options, &|_| {})
        .await
        .expect("build the expected mapping")
}

fn domain_only() -> Options {
    Options {
        email_domain: Some(DOMAIN.into()),
        public_lookups: Some(users::PUBLIC_LOOKUPS),
        ..Options::default()
    }
}

/// Signs in with the `api` token and opens the Users step.
async fn open_users_step(window: &Window, sim: &Simulator) {
    window.fill("gitlab-url", &sim.url()).await;
    window.fill("token", tokens::API).await;
    window.click("continue").await;
    window.wait_for("mode").await;
    window.click("step-mapping").await;
    window.wait_for("sources").await;
}

/// Named after the file, so `cargo xtask test e2e_users` selects these tests.
mod e2e_users {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
    async fn builds_edits_saves_and_uploads_a_mapping() {
        let sim = Simulator::start(World::demo())
            .await
            .expect("start the simulator");
        let emulator = Emulator::start();
        let url = GitLabUrl::parse(&sim.url()).unwrap();
        let keychain = Keychain::system().expect("a Secret Service (see e2e_window.rs)");
        let _forget = ForgetInstance(keychain.clone(), url);

        // Two people the domain alone would guess: one the export names, one the admin edits.
        let (session, report) = detect(&sim).await;
        let guessed: Vec<_> = build(&session, &report, &domain_only())
            .await
            .rows
            .into_iter()
            .filter(|r| r.source == Some(EmailSource::Guessed))
            .collect();
        let [from_idp, edited, ..] = guessed.as_slice() else {
            panic!("the demo world has fewer than two people without a shown email");
        };
        let dir = tempfile::tempdir().unwrap();
        let export = dir.path().join("okta export.csv");
        std::fs::write(
            &export,
            format!(
                "Login;Primary Email\n{};kim.idp@{DOMAIN}\n",
                from_idp.username
            ),
        )
        .unwrap();
        let out = dir.path().join("mapping.csv");
        std::fs::write(&out, "previous\n").unwrap();
        let new_email = "edited.by.admin@other.example";
        let expected = build(
            &session,
            &report,
            &Options {
                idp: Some(idp::Directory::read(&export, &idp::Columns::default()).unwrap()),
                edits: HashMap::from([(edited.id, new_email.to_owned())]),
                ..domain_only()
            },
        )
        .await;
        let expected_csv = expected.csv(false);

        // The emulator is on loopback, not Google: the admin allows it before start-up.
        let env: [(&str, &OsStr); 3] = [
            (OPEN_ANSWER_ENV, export.as_os_str()),
            (SAVE_ANSWER_ENV, out.as_os_str()),
            (
                gitlab_onboard::upload::STORAGE_URL_ENV,
                OsStr::new(emulator.url.as_str()),
            ),
        ];
        let window = Window::open_with("users", &env).await;
        open_users_step(&window, &sim).await;

        window.click("idp-choose").await;
        window
            .wait_for_text("idp-path", &export.display().to_string())
            .await;
        window.fill("email-domain", DOMAIN).await;
        window.click("build").await;
        let counts = expected.counts();
        window
            .wait_for_text("count-total", &counts.total.to_string())
            .await;
        assert_eq!(window.text("count-unresolved").await, "0");
        assert_eq!(
            window.text("source-identity_provider").await,
            "Identity provider: 1"
        );

        // Edit one email in place, found by its ID.
        window.fill("filter-search", &edited.id.to_string()).await;
        window
            .wait_for_text("shown", &format!("1 of {} shown", counts.total))
            .await;
        window.click("edit").await;
        window.fill("edit-email", new_email).await;
        window.click("edit-save").await;
        window.wait_for_text("source", "Edited").await;
        // WebKit's WebDriver reads no text from a cell that shortens with an ellipsis: its
        // content is what the row shows.
        assert_eq!(window.content("email").await, new_email);

        // Save over the earlier file: the window asks, and nothing is written until it is told to.
        window.click("save").await;
        window.wait_for("overwrite").await;
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");
        window.click("overwrite-replace").await;
        window
            .wait_for_text(
                "saved",
                &format!("Saved {} rows to {}.", counts.total, out.display()),
            )
            .await;
        let saved = std::fs::read(&out).unwrap();
        assert_eq!(String::from_utf8(saved.clone()).unwrap(), expected_csv);
        assert!(
            expected_csv.contains(&format!("{},{new_email}\n", edited.id))
                && expected_csv.contains(&format!("{},kim.idp@{DOMAIN}\n", from_idp.id)),
            "{expected_csv}"
        );
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["mapping.csv", "okta export.csv"],
            "nothing half-written"
        );

        // Upload what was saved.
        let object = "gitlab/user-mapping.csv";
        window
            .fill("signed-url", &emulator.signed_url(object))
            .await;
        window.click("upload").await;
        let uploaded = window.text("uploaded").await;
        assert!(
            uploaded.contains(&format!("{}/{BUCKET}/{object}", emulator.url)),
            "{uploaded}"
        );
        assert_eq!(emulator.read(object).await, saved);

        let shot = window.screenshot("users-uploaded.png").await;
        println!("screenshot: {}", shot.display());
        window.close().await;
    }

    /// Polls until `test_id` is on screen, for at most `limit`; the time it took.
    async fn time_until(
        window: &Window,
        test_id: &str,
        start: Instant,
        limit: Duration,
    ) -> Duration {
        loop {
            if window.has(test_id).await {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < limit,
                "no [data-testid={test_id}] within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
    async fn the_preview_of_100_000_members_paints_its_first_rows() {
        let world = World::seeded(WorldSpec {
            users: 100_000,
            projects: 1_000,
            groups: 50,
            seed: 11,
            ..WorldSpec::default()
        });
        let sim = Simulator::start(world).await.expect("start the simulator");
        let url = GitLabUrl::parse(&sim.url()).unwrap();
        let keychain = Keychain::system().expect("a Secret Service (see e2e_window.rs)");
        let _forget = ForgetInstance(keychain.clone(), url);

        let window = Window::open("users-100k").await;
        open_users_step(&window, &sim).await;
        window.fill("email-domain", DOMAIN).await;
        let start = Instant::now();
        window.click("build").await;
        let limit = Duration::from_secs(600);
        let summary = time_until(&window, "summary", start, limit).await;
        let first_row = time_until(&window, "user-row", start, limit).await;
        let total: usize = window.text("count-total").await.parse().unwrap();
        assert!(total > 90_000, "{total} people in scope");
        let rows_in_dom = window.count("user-row").await;
        assert!(
            rows_in_dom < 40,
            "{rows_in_dom} rows in the DOM: the table is not virtual"
        );
        println!(
            "users preview, {total} people: Build → first row painted {:.2} s (summary shown at {:.2} s, after the GitLab reads; first row {:.0} ms later); {rows_in_dom} rows in the DOM",
            first_row.as_secs_f64(),
            summary.as_secs_f64(),
            (first_row - summary).as_secs_f64() * 1000.0
        );
        let shot = window.screenshot("users-100k.png").await;
        println!("screenshot: {}", shot.display());
        window.close().await;
    }
}

//! Day two against the simulator: through the functions the commands call (Health from the
//! onboarding marker, fix, rotation, removal), and over IPC with the mock runtime.

use std::sync::Mutex as StdMutex;

use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{AlertStatus, Owner, Simulator, World, tokens};
use serde_json::json;
use tauri::Manager;

use super::*;
use crate::state::KeychainChoice;
use crate::webhooks::{HookRequest, WebhookState};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

fn state_on(keychain: &Keychain) -> AppState {
    AppState::new(
        KeychainChoice::Memory(keychain.clone(), "test".into()),
        None,
    )
}

/// An instance onboarded through the Webhooks step (apply on `acme`), and a fresh app state
/// on the same keychain and data directory, as when the app is opened again.
async fn onboarded(
    sim: &Simulator,
    token: &str,
) -> (AppState, HealthState, Keychain, tempfile::TempDir) {
    let keychain = Keychain::in_memory();
    let first = state_on(&keychain);
    first
        .sign_in(&sim.url(), &Secret::new(token))
        .await
        .unwrap();
    first.detect(false, &|_| {}).await.unwrap();
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    keychain
        .store_webhook_secret(&url, &Secret::new("health-secret-0123456789"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let hooks = WebhookState::new(dir.path().to_owned());
    let step2 = first.session_and_report().await.unwrap().into();
    let request = HookRequest {
        event_url: EVENTS.into(),
        groups: vec!["acme".into()],
        tag_push: false,
        confidential: false,
        group_hooks: vec![],
    };
    hooks
        .apply(&step2, &keychain, &request, false, |_| {})
        .await
        .unwrap();
    (
        state_on(&keychain),
        HealthState::new(dir.path().to_owned()),
        keychain,
        dir,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopening_finds_the_onboarded_instance_and_health_fixes_a_new_project() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (state, health, _keychain, _dir) = onboarded(&sim, tokens::API).await;
    let marker = find_onboarded(&state, &health).expect("onboarded");
    assert_eq!(marker.gitlab_url, sim.url());
    assert_eq!(marker.event_url, EVENTS);
    assert_eq!(marker.groups, vec!["acme".to_owned()]);

    // Not signed in: Health signs in with the keychain's token and streams progress.
    let seen = StdMutex::new(0usize);
    let first = check_health(&state, &health, |_| *seen.lock().unwrap() += 1)
        .await
        .unwrap();
    assert!(!first.status.needs_attention(), "{:#?}", first.status);
    assert!(first.can_fix);
    assert!(*seen.lock().unwrap() > 0);
    assert_eq!(state.instance().await.unwrap().as_str(), sim.url());

    // A project created since: Health lists it; Fix writes its hook and nothing else.
    let web = sim.state(|w| w.group_by_path("acme/web").unwrap().id);
    let new = sim.state(|w| w.add_project("Checkout", "checkout", Owner::Group(web)));
    let later = check_health(&state, &health, |_| {}).await.unwrap();
    assert_eq!(later.status.webhooks.missing, vec![new]);
    assert!(!later.status.scan.full);
    sim.clear_requests();
    let fixed = fix_found(&state, &health, |_| {}).await.unwrap();
    assert_eq!(fixed.outcomes.len(), 1, "{fixed:#?}");
    assert_eq!(fixed.outcomes[0].project_id, new);
    let writes: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.path)
        .collect();
    assert!(
        writes
            .iter()
            .all(|p| p.starts_with(&format!("/api/v4/projects/{new}/hooks"))),
        "{writes:?}"
    );
    let after = check_health(&state, &health, |_| {}).await.unwrap();
    assert!(
        after.status.webhooks.missing.is_empty(),
        "{:#?}",
        after.status
    );
    // Nothing left to fix: no write at all.
    sim.clear_requests();
    let nothing = fix_found(&state, &health, |_| {}).await.unwrap();
    assert!(nothing.outcomes.is_empty());
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapping_built_in_the_window_shows_its_age_and_who_joined() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (state, health, _keychain, _dir) = onboarded(&sim, tokens::API).await;
    let none = check_health(&state, &health, |_| {}).await.unwrap();
    assert_eq!(none.status.mapping, None);
    let report = state.detect(false, &|_| {}).await.unwrap();
    let (session, _) = state.session().await.unwrap();
    let groups = vec!["acme".to_owned()];
    assert!(
        health
            .record_mapping(&session.client, &report, &groups, 12)
            .await
    );
    let built = check_health(&state, &health, |_| {}).await.unwrap();
    let m = built.status.mapping.expect("a mapping age");
    assert_eq!((m.users, m.days_ago, m.appeared), (12, 0, Some(0)));
    let acme = sim.state(|w| w.group_by_path("acme").unwrap().id);
    sim.state(|w| {
        let id = w.add_user("newcomer", "Newcomer");
        w.add_member(
            gitlab_sim::Source::Group(acme),
            id,
            gitlab_sim::access::DEVELOPER,
        );
    });
    let later = check_health(&state, &health, |_| {}).await.unwrap();
    assert_eq!(later.status.mapping.as_ref().unwrap().appeared, Some(1));
    assert!(later.status.needs_attention());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_hook_is_re_enabled_by_fix() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (state, health, _keychain, _dir) = onboarded(&sim, tokens::API).await;
    let project = sim.state(|w| w.project_by_path("acme/handbook").unwrap().id);
    let hook = sim.state(|w| {
        w.hooks_of_project(project)
            .iter()
            .find(|h| h.url == EVENTS)
            .unwrap()
            .id
    });
    sim.state(|w| w.hook_mut(hook).unwrap().alert_status = AlertStatus::Disabled);
    // The first Health reads every hook (no record yet).
    let found = check_health(&state, &health, |_| {}).await.unwrap();
    assert_eq!(found.status.webhooks.disabled, vec![project]);
    let fixed = fix_found(&state, &health, |_| {}).await.unwrap();
    assert_eq!(fixed.outcomes.len(), 1);
    let enabled = sim.state(|w| w.hook(hook).unwrap().alert_status);
    assert_eq!(enabled, AlertStatus::Executable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_onboarded_is_a_plain_error() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let keychain = Keychain::in_memory();
    let state = state_on(&keychain);
    let dir = tempfile::tempdir().unwrap();
    let health = HealthState::new(dir.path().to_owned());
    assert_eq!(find_onboarded(&state, &health), None);
    let err = check_health(&state, &health, |_| {}).await.unwrap_err();
    assert_eq!(err.code, "not_onboarded");
    // Signed in, but this instance was never onboarded here.
    state
        .sign_in(&sim.url(), &Secret::new(tokens::API))
        .await
        .unwrap();
    let err = check_health(&state, &health, |_| {}).await.unwrap_err();
    assert_eq!(err.code, "not_onboarded");
    assert!(err.message.contains(&sim.url()), "{}", err.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_replaces_the_keychain_token_and_the_session_goes_on() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (state, health, keychain, _dir) = onboarded(&sim, tokens::API).await;
    check_health(&state, &health, |_| {}).await.unwrap();
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let rotated = rotate_with(&state, Some("2099-01-01"), |_| {
        panic!("the keychain took it")
    })
    .await
    .unwrap_err();
    assert_eq!(rotated.code, "invalid_input", "{rotated:?}");
    assert!(
        !rotated.message.contains("gitlab-onboard login"),
        "{}",
        rotated.message
    );
    let done = rotate_with(&state, None, |_| panic!("the keychain took it"))
        .await
        .unwrap();
    assert_eq!(done.gitlab_url, sim.url());
    assert!(done.expires_at.is_some());
    let new = keychain.token(&url).unwrap().unwrap();
    assert_ne!(new.expose(), tokens::API);
    // Nothing secret in what the window gets.
    let wire = serde_json::to_string(&done).unwrap();
    assert!(!wire.contains(new.expose()), "{wire}");
    // The session uses the new token; the old one is revoked.
    let again = check_health(&state, &health, |_| {}).await.unwrap();
    assert!(again.status.token.valid);
    let old = Keychain::in_memory();
    let err = state_on(&old)
        .sign_in(&sim.url(), &Secret::new(tokens::API))
        .await
        .unwrap_err();
    assert_eq!(err.code, "token_revoked", "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_lists_first_then_deletes_that_list_and_forgets_the_onboarding() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (state, health, _keychain, _dir) = onboarded(&sim, tokens::API).await;
    let ours = || sim.state(|w| w.hooks().filter(|h| h.url == EVENTS).count());
    let before = ours();
    assert!(before > 1);
    // Without a plan shown, nothing is deleted.
    let err = remove_planned(&state, &health, |_| {}).await.unwrap_err();
    assert_eq!(err.code, "no_plan");
    sim.clear_requests();
    let plan = plan_remove(&state, &health, |_| {}).await.unwrap();
    assert_eq!(plan.summary().delete, before, "{plan:#?}");
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
    assert_eq!(ours(), before);
    let done = remove_planned(&state, &health, |_| {}).await.unwrap();
    assert_eq!(done.summary().deleted, before, "{done:#?}");
    assert_eq!(ours(), 0);
    assert_eq!(
        find_onboarded(&state, &health),
        None,
        "the app opens on the Token step"
    );
    // The plan was used once.
    let err = remove_planned(&state, &health, |_| {}).await.unwrap_err();
    assert!(matches!(err.code, "no_plan" | "not_onboarded"), "{err:?}");
}

#[test]
fn over_ipc_the_window_gets_the_marker_and_the_status_shapes() {
    let sim = tauri::async_runtime::block_on(Simulator::start(World::demo())).unwrap();
    let (state, health, _keychain, _dir) =
        tauri::async_runtime::block_on(onboarded(&sim, tokens::API));
    let (app, window) = crate::mock_ipc::window(state);
    app.manage(health);
    let marker = crate::mock_ipc::invoke(&window, "onboarded_instance", json!({})).unwrap();
    assert_eq!(marker["gitlab_url"], sim.url());
    assert_eq!(marker["event_url"], EVENTS);
    let answer =
        crate::mock_ipc::invoke(&window, "health", json!({ "onProgress": "__CHANNEL__:9" }))
            .unwrap();
    assert_eq!(answer["status"]["token"]["valid"], true, "{answer:#}");
    for list in ["missing", "disabled", "wrong", "duplicates", "manual"] {
        assert!(answer["status"]["webhooks"][list].is_array(), "{answer:#}");
    }
    assert!(answer["status"]["scan"]["full"].is_boolean());
    assert!(answer["status"].get("mapping").is_some());
    assert_eq!(
        crate::mock_ipc::invoke(
            &window,
            "remove_hooks",
            json!({ "onProgress": "__CHANNEL__:9" })
        )
        .unwrap_err()["code"],
        "no_plan"
    );
}

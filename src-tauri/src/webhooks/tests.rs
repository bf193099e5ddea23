//! Step 3 against the simulator: through the state (apply, cancel and resume, verify, export)
//! and over IPC with the mock runtime (wire shapes, no saved secret sent to the window).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::scopes::HookAccess;
use gitlab_onboard::webhooks::{Action, Check};
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{Knobs, Simulator, World, tokens};
use serde_json::json;
use tauri::test::MockRuntime;
use tauri::{App, Manager, WebviewWindow};

use super::runs::{HookRequest, Step2, WebhookState};
use super::secret;
use crate::mock_ipc::{self, invoke};
use crate::state::{AppState, KeychainChoice};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

fn request(event_url: &str) -> HookRequest {
    HookRequest {
        event_url: event_url.into(),
        groups: vec![],
        tag_push: false,
        confidential: false,
        group_hooks: vec![],
    }
}

/// A signed-in state with its step-2 report, on an in-memory keychain.
async fn signed_in(sim: &Simulator, token: &str) -> (AppState, Keychain, Step2) {
    let keychain = Keychain::in_memory();
    let state = AppState::new(
        KeychainChoice::Memory(keychain.clone(), "test".into()),
        None,
    );
    state
        .sign_in(&sim.url(), &Secret::new(token))
        .await
        .unwrap();
    state.detect(false, &|_| {}).await.unwrap();
    let step2 = state.session_and_report().await.unwrap().into();
    (state, keychain, step2)
}

fn url(sim: &Simulator) -> GitLabUrl {
    GitLabUrl::parse(&sim.url()).unwrap()
}

/// Non-archived projects whose hook the token may create.
fn automatic(step2: &Step2) -> Vec<u64> {
    step2
        .report
        .projects
        .iter()
        .filter(|p| !p.archived && p.hooks == HookAccess::Automatic)
        .map(|p| p.id)
        .collect()
}

/// The secrets of the hooks with the crawler's URL on a project.
fn our_hooks(sim: &Simulator, project: u64) -> Vec<Option<String>> {
    sim.state(|w| {
        w.hooks_of_project(project)
            .into_iter()
            .filter(|h| h.url == EVENTS)
            .map(|h| h.token.clone())
            .collect()
    })
}

fn writes(sim: &Simulator) -> usize {
    sim.requests().iter().filter(|r| r.method != "GET").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_hook_stands_for_its_projects_and_later_runs_leave_them_alone() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (_state, keychain, step2) = signed_in(&sim, tokens::API).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = WebhookState::new(dir.path().to_owned());
    secret::generate(&keychain, &url(&sim)).unwrap();
    let acme = sim.state(|w| w.group_by_path("acme").unwrap().id);
    let below_acme: Vec<u64> = step2
        .report
        .projects
        .iter()
        .filter(|p| p.namespace.full_path.starts_with("acme") && !p.archived)
        .map(|p| p.id)
        .collect();
    assert!(below_acme.len() > 1);

    let plan = hooks
        .plan(&step2, &keychain, &request(EVENTS), |_| {})
        .await
        .unwrap();
    let offer = plan.groups.iter().find(|g| g.group_id == acme).unwrap();
    assert_eq!(
        offer.support,
        gitlab_onboard::webhooks::groups::PlanSupport::Paid
    );

    let with_group = HookRequest {
        group_hooks: vec!["acme".into()],
        ..request(EVENTS)
    };
    let applied = hooks
        .apply(&step2, &keychain, &with_group, false, |_| {})
        .await
        .unwrap();
    assert_eq!(
        applied.summary.covered,
        below_acme.len(),
        "{:?}",
        applied.summary
    );
    let group_hooks = sim.state(|w| {
        w.hooks_of_group(acme)
            .iter()
            .filter(|h| h.url == EVENTS)
            .count()
    });
    assert_eq!(group_hooks, 1);
    for id in &below_acme {
        assert!(our_hooks(&sim, *id).is_empty(), "project {id} hooked twice");
    }

    // A later apply without the choice still sees the group hook and leaves its projects alone.
    let again = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap();
    assert_eq!(again.summary.covered, below_acme.len());
    for id in &below_acme {
        assert!(our_hooks(&sim, *id).is_empty(), "project {id} hooked twice");
    }
    let verified = hooks
        .verify(&step2, &keychain, &with_group, false, |_| {})
        .await
        .unwrap();
    assert_eq!(verified.groups_not_ok, 0);
    assert!(
        verified
            .checks
            .iter()
            .filter(|c| below_acme.contains(&c.project_id))
            .all(|c| c.covered_by.as_deref() == Some("acme") && c.check == Check::Ok)
    );

    let refused = hooks
        .apply(
            &step2,
            &keychain,
            &HookRequest {
                group_hooks: vec!["partners".into()],
                ..request(EVENTS)
            },
            false,
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code, "invalid_input");
    assert!(refused.message.contains("Owner"), "{}", refused.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_each_hook_once_with_the_saved_secret_then_changes_nothing() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (_state, keychain, step2) = signed_in(&sim, tokens::API).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = WebhookState::new(dir.path().to_owned());
    let secret = secret::generate(&keychain, &url(&sim)).unwrap();
    let wanted = automatic(&step2);
    assert!(!wanted.is_empty());

    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let first = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, move |p| {
            record
                .lock()
                .unwrap()
                .push((p.done, p.total, p.item.project_id));
        })
        .await
        .unwrap();
    assert!(!first.cancelled);
    assert_eq!(first.summary.create, wanted.len(), "{:?}", first.summary);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        first.outcomes.len(),
        "one progress message per project"
    );
    assert_eq!(
        seen.last().map(|s| (s.0, s.1)),
        Some((seen.len(), seen.len()))
    );
    for id in &wanted {
        assert_eq!(
            our_hooks(&sim, *id),
            vec![Some(secret.expose().to_owned())],
            "project {id}: one hook, with the saved secret"
        );
    }
    assert!(
        !std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".jsonl")),
        "a finished apply removes its journal"
    );

    sim.clear_requests();
    let second = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap();
    assert_eq!(
        second.summary.unchanged,
        wanted.len(),
        "{:?}",
        second.summary
    );
    assert_eq!(writes(&sim), 0, "a second apply writes nothing");

    let verified = hooks
        .verify(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap();
    assert_eq!(verified.ok, wanted.len());
    assert!(
        verified
            .checks
            .iter()
            .all(|c| (c.check == Check::Ok) == wanted.contains(&c.project_id)),
        "{:?}",
        verified.checks
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_is_refused_while_another_run_holds_the_data_directory() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (_state, keychain, step2) = signed_in(&sim, tokens::API).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = WebhookState::new(dir.path().to_owned());
    secret::generate(&keychain, &url(&sim)).unwrap();
    // What a CLI apply on the same data directory holds.
    let cli = gitlab_onboard::files::RunLock::acquire(dir.path()).unwrap();
    let before = writes(&sim);
    let refused = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code, "busy");
    assert!(
        refused.message.contains("another webhook run")
            && refused
                .message
                .contains(&format!("pid {}", std::process::id())),
        "{}",
        refused.message
    );
    assert_eq!(writes(&sim), before, "nothing written");
    drop(cli);
    let done = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap();
    assert_eq!(done.summary.create, automatic(&step2).len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_apply_and_the_next_apply_resumes_without_duplicates() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (_state, keychain, step2) = signed_in(&sim, tokens::API).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = Arc::new(WebhookState::new(dir.path().to_owned()));
    let secret = secret::generate(&keychain, &url(&sim)).unwrap();
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(150),
        ..Knobs::default()
    });

    let done = Arc::new(AtomicUsize::new(0));
    let step2 = Arc::new(step2);
    let running = {
        let (hooks, keychain, step2, done) = (
            Arc::clone(&hooks),
            keychain.clone(),
            Arc::clone(&step2),
            Arc::clone(&done),
        );
        tokio::spawn(async move {
            hooks
                .apply(&step2, &keychain, &request(EVENTS), false, move |_| {
                    done.fetch_add(1, Ordering::SeqCst);
                })
                .await
        })
    };
    while done.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let busy = hooks
        .plan(&step2, &keychain, &request(EVENTS), |_| {})
        .await
        .unwrap_err();
    assert_eq!(busy.code, "busy");
    assert!(hooks.cancel());

    let stopped = running.await.unwrap().unwrap();
    assert!(stopped.cancelled);
    let created = stopped
        .outcomes
        .iter()
        .filter(|o| o.action == Action::Create)
        .count();
    let finished = stopped
        .outcomes
        .iter()
        .filter(|o| !matches!(o.action, Action::Failed { .. }))
        .count();
    assert!(
        created < automatic(&step2).len(),
        "cancelled before the end: {:?}",
        stopped.summary
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".jsonl")),
        "the journal stays for the next apply"
    );
    assert!(!hooks.cancel(), "nothing runs any more");

    sim.set_knobs(Knobs::default());
    let resumed = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap();
    assert!(!resumed.cancelled);
    assert_eq!(
        resumed.resumed, finished,
        "finished projects come from the journal"
    );
    // A create cut off after GitLab made the hook is an update now (its secret is set again).
    assert_eq!(
        resumed.summary.create + resumed.summary.update,
        automatic(&step2).len(),
        "{:?}",
        resumed.summary
    );
    for id in automatic(&step2) {
        assert_eq!(
            our_hooks(&sim, id),
            vec![Some(secret.expose().to_owned())],
            "project {id}: one hook, no duplicate"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_token_gets_manual_instructions_with_links_and_the_secret() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (_state, keychain, step2) = signed_in(&sim, tokens::READ_ONLY).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = WebhookState::new(dir.path().to_owned());
    let markdown = gitlab_onboard::webhooks::instructions::Format::Markdown;

    let early = hooks
        .instructions(&step2, &keychain, markdown, true)
        .unwrap_err();
    assert_eq!(early.code, "no_plan");

    sim.clear_requests();
    let plan = hooks
        .plan(&step2, &keychain, &request(EVENTS), |_| {})
        .await
        .unwrap();
    assert_eq!(writes(&sim), 0);
    assert!(plan.summary.total > 0);
    assert_eq!(
        plan.summary.manual, plan.summary.total,
        "{:?}",
        plan.summary
    );

    secret::save_typed(&keychain, &url(&sim), "crawler-secret-123").unwrap();
    let doc = hooks
        .instructions(&step2, &keychain, markdown, true)
        .unwrap();
    assert_eq!(doc.projects, plan.summary.manual);
    for o in &plan.outcomes {
        assert!(doc.text.contains(&o.hooks_url), "{} missing", o.hooks_url);
        assert!(o.hooks_url.ends_with("/-/hooks"), "{}", o.hooks_url);
    }
    assert!(doc.text.contains("crawler-secret-123") && doc.text.contains(EVENTS));
    let without = hooks
        .instructions(&step2, &keychain, markdown, false)
        .unwrap();
    assert!(!without.text.contains("crawler-secret-123"));
    let csv = gitlab_onboard::webhooks::instructions::Format::Csv;
    let rows = hooks
        .instructions(&step2, &keychain, csv, true)
        .unwrap()
        .text;
    assert_eq!(
        rows.lines().count(),
        plan.summary.manual + 1,
        "a header and one row each"
    );

    let verified = hooks
        .verify(&step2, &keychain, &request(EVENTS), true, |_| {})
        .await
        .unwrap();
    assert!(
        !verified.test_deliveries,
        "a read-only token sends no test delivery"
    );
    assert_eq!(verified.ok, 0);
    assert!(
        verified
            .checks
            .iter()
            .all(|c| matches!(c.check, Check::Missing | Check::Unknown { .. })),
        "{:?}",
        verified.checks
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_input_is_reported_before_any_request() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (_state, keychain, step2) = signed_in(&sim, tokens::API).await;
    let dir = tempfile::tempdir().unwrap();
    let hooks = WebhookState::new(dir.path().to_owned());
    sim.clear_requests();

    let no_secret = hooks
        .apply(&step2, &keychain, &request(EVENTS), false, |_| {})
        .await
        .unwrap_err();
    assert_eq!(no_secret.code, "no_webhook_secret");
    secret::generate(&keychain, &url(&sim)).unwrap();
    let plain = hooks
        .apply(
            &step2,
            &keychain,
            &request("http://crawler.example.com/e"),
            false,
            |_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(plain.code, "invalid_input");
    assert!(plain.message.contains("HTTPS"), "{}", plain.message);
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert!(!hooks.cancel(), "no run was left behind");
}

/// The app on the mock runtime, keeping local state in `data_dir`.
fn window(
    state: AppState,
    data_dir: &std::path::Path,
) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let (app, window) = mock_ipc::window(state);
    app.manage(WebhookState::new(data_dir.to_owned()));
    (app, window)
}

#[test]
fn over_ipc_only_a_fresh_secret_reaches_the_window() {
    let sim = tauri::async_runtime::block_on(Simulator::start(World::demo())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(
        KeychainChoice::Memory(Keychain::in_memory(), "test".into()),
        None,
    );
    let (_app, window) = window(state, dir.path());
    let channel = "__CHANNEL__:7";
    let args = json!({
        "request": { "event_url": EVENTS, "groups": [], "tag_push": false, "confidential": false },
        "onProgress": channel,
    });

    assert_eq!(
        invoke(&window, "webhook_secret_status", json!({})).unwrap_err()["code"],
        "not_signed_in"
    );
    invoke(
        &window,
        "sign_in",
        json!({ "url": sim.url(), "token": tokens::API }),
    )
    .unwrap();
    assert_eq!(
        invoke(&window, "plan_webhooks", args.clone()).unwrap_err()["code"],
        "no_report",
        "step 3 reuses step 2's report and never fetches it itself"
    );
    invoke(
        &window,
        "detect_scopes",
        json!({ "refresh": false, "onProgress": channel }),
    )
    .unwrap();

    assert_eq!(
        invoke(&window, "webhook_secret_status", json!({})),
        Ok(json!({ "saved": false }))
    );
    let fresh = invoke(&window, "generate_webhook_secret", json!({})).unwrap();
    let secret = fresh["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 64);
    assert_eq!(
        invoke(&window, "webhook_secret_status", json!({})),
        Ok(json!({ "saved": true }))
    );

    let plan = invoke(&window, "plan_webhooks", args.clone()).unwrap();
    assert!(plan["summary"]["create"].as_u64().unwrap() > 0, "{plan}");
    let first = &plan["outcomes"][0];
    for field in [
        "project_id",
        "path",
        "hooks_url",
        "action",
        "hook_id",
        "duplicates",
        "disabled",
    ] {
        assert!(first.get(field).is_some(), "{field} missing in {first}");
    }
    let mut apply = args.clone();
    apply["pruneDuplicates"] = json!(false);
    let applied = invoke(&window, "apply_webhooks", apply).unwrap();
    assert_eq!(applied["cancelled"], false);
    let mut verify = args;
    verify["testDelivery"] = json!(true);
    let verified = invoke(&window, "verify_webhooks", verify).unwrap();
    assert_eq!(verified["test_deliveries"], true);
    assert!(verified["ok"].as_u64().unwrap() > 0, "{verified}");
    assert!(
        verified["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "ok"
                && c["test_delivery"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("delivered"))),
        "{verified}"
    );
    assert_eq!(
        invoke(&window, "cancel_webhooks", json!({})),
        Ok(json!(false))
    );

    for (what, answer) in [("plan", plan), ("apply", applied), ("verify", verified)] {
        assert!(
            !answer.to_string().contains(&secret),
            "{what} sent the secret"
        );
        assert!(
            !answer.to_string().contains(tokens::API),
            "{what} sent the token"
        );
    }
}

//! Webhook writes under faults, against the simulator: a write whose answer is lost is
//! reconciled (re-read, then adopted or written again), failed requests are written again,
//! and never a project is left without its hook or with two. Also: the CLI exits 4 when an
//! apply leaves a project failed.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use gitlab_onboard::Secret;
use gitlab_onboard::scopes::{self, HookAccess, ProjectAccess, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::groups;
use gitlab_onboard::webhooks::{
    self, Action, EventUrl, Fingerprints, HookSpec, ProjectOutcome, Selection, SettleWait, Summary,
    Triggers,
};
use gitlab_sim::{HookOwner, Knobs, Meanwhile, Simulator, World, WorldSpec, tokens};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";
const PROJECTS: usize = 70;

fn spec() -> HookSpec {
    HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: Secret::new("fault-secret"),
    }
}

/// A generated world with at least [`PROJECTS`] projects the API token maintains, and step 2
/// with a client that sends each request at most `attempts` times, one at a time: the
/// simulator's every-Nth faults then fall on the same requests in every run.
async fn world(attempts: u32) -> (Simulator, Session, TokenReport) {
    let world = World::seeded(WorldSpec {
        projects: PROJECTS * 2,
        seed: 7,
        ..WorldSpec::default()
    });
    let sim = Simulator::start(world).await.unwrap();
    let mut config = common::config(&sim, tokens::API);
    config.max_attempts = attempts;
    config.concurrency = 1;
    let session = Session::open(config).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    (sim, session, report)
}

fn maintained(report: &TokenReport) -> Vec<&ProjectAccess> {
    let picked: Vec<_> = Selection::default()
        .pick(report)
        .into_iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .take(PROJECTS)
        .collect();
    assert_eq!(picked.len(), PROJECTS, "the world has enough projects");
    picked
}

/// Hooks with the crawler's URL on a project, with their secrets.
fn ours(sim: &Simulator, project: u64) -> Vec<Option<String>> {
    sim.state(|w| {
        w.hooks_of(HookOwner::Project(project))
            .filter(|h| h.url == EVENTS)
            .map(|h| h.token.clone())
            .collect()
    })
}

fn writes(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect()
}

/// Apply under `knobs`: every project ends with exactly one hook of ours, with the secret;
/// a second apply without faults writes nothing.
async fn apply_under(knobs: Knobs) -> usize {
    let (sim, session, report) = world(3).await;
    let selected = maintained(&report);
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let s = spec();
    sim.clear_requests();
    sim.set_knobs(knobs.clone());
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &s,
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    let log = sim.requests();
    let lost = log.iter().filter(|r| r.status >= 500).count();
    eprintln!(
        "{knobs:?}\n{PROJECTS} projects: {} requests, {lost} answered 5xx, {} writes",
        log.len(),
        log.iter().filter(|r| r.method != "GET").count()
    );
    let failed: Vec<_> = out
        .iter()
        .filter(|o| matches!(o.action, Action::Failed { .. }))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(Summary::of(&out).create, PROJECTS);
    for p in &selected {
        assert_eq!(
            ours(&sim, p.id),
            vec![Some("fault-secret".to_owned())],
            "exactly one hook of ours on {}",
            p.path_with_namespace
        );
    }
    let recorded = out.iter().filter(|o| o.hook_id.is_some()).count();
    assert_eq!(recorded, PROJECTS, "every hook is known by its ID");

    sim.set_knobs(Knobs::default());
    sim.clear_requests();
    let again = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &s,
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert_eq!(
        writes(&sim),
        Vec::<String>::new(),
        "a second apply writes nothing"
    );
    assert_eq!(Summary::of(&again).unchanged, PROJECTS, "{again:#?}");
    lost
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_whose_write_answers_are_lost_leaves_no_project_without_its_hook() {
    // About 8% of the requests: one write in six (a project's run is one read, one write).
    let lost = apply_under(Knobs {
        lose_write_answers_every: Some(6),
        ..Knobs::default()
    })
    .await;
    assert!(lost >= PROJECTS / 6, "answers were lost: {lost}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_under_failing_requests_leaves_no_project_without_its_hook() {
    let failed = apply_under(Knobs {
        fail_every: Some(12),
        ..Knobs::default()
    })
    .await;
    assert!(failed > 0, "requests failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_to_updates_and_deletes_are_reconciled() {
    // One attempt per request: the client does not send an update or delete again by
    // itself, so each lost answer reaches the reconciliation.
    let (sim, session, report) = world(1).await;
    let selected = maintained(&report);
    let selected = &selected[..20];
    // Hooks this tool set earlier (fingerprinted), since changed by hand: each with the wrong
    // triggers (an update) and a duplicate beside it (a delete).
    let (firsts, dups): (Vec<u64>, Vec<u64>) = sim.state(|w| {
        selected
            .iter()
            .map(|p| {
                (
                    w.add_hook(HookOwner::Project(p.id), EVENTS, None),
                    w.add_hook(HookOwner::Project(p.id), EVENTS, None),
                )
            })
            .unzip()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let instance = session.client.url().to_string();
    for (p, first) in selected.iter().zip(&firsts) {
        lock(&fingerprints)
            .record(&instance, p.id, *first, &spec().secret)
            .unwrap();
    }
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(2),
        ..Knobs::default()
    });
    let out = webhooks::apply(
        &session.client,
        &report,
        selected,
        &spec(),
        &fingerprints,
        true,
        &|_| {},
    )
    .await;
    assert!(
        sim.requests().iter().any(|r| r.status == 502),
        "answers were lost"
    );
    for o in &out {
        assert!(matches!(o.action, Action::Update { .. }), "{o:?}");
        assert!(o.duplicates.is_empty(), "pruned: {o:?}");
    }
    for (p, dup) in selected.iter().zip(&dups) {
        assert_eq!(ours(&sim, p.id), vec![Some("fault-secret".to_owned())]);
        assert!(sim.state(|w| w.hook(*dup).is_none()));
    }
    sim.set_knobs(Knobs::default());
    let again = webhooks::apply(
        &session.client,
        &report,
        selected,
        &spec(),
        &fingerprints,
        true,
        &|_| {},
    )
    .await;
    assert_eq!(Summary::of(&again).unchanged, selected.len(), "{again:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_hook_whose_answer_is_lost_is_adopted_not_made_twice() {
    let sim = common::demo().await;
    let session = common::session(&sim, tokens::API).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    let selected = Selection {
        groups: vec!["acme".into()],
        ..Selection::default()
    }
    .pick(&report);
    let asked = groups::asked(&report, &["acme".into()]).unwrap();
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    // The first write of the run, the group hook's POST, is answered 504 and carried out
    // right after; the PUT that sets our spec on the adopted hook goes through.
    fast_settle();
    sim.set_knobs(Knobs {
        delay_write_commits_every: Some(1_000),
        delay_write_commit_by: Duration::ZERO,
        ..Knobs::default()
    });
    let lost_first = groups::apply(
        &session.client,
        &report,
        &asked,
        &selected,
        &spec(),
        &fingerprints,
    )
    .await;
    sim.set_knobs(Knobs::default());
    assert_eq!(lost_first[0].action, Action::Create, "{lost_first:?}");
    assert!(lost_first[0].covering, "{lost_first:?}");
    let acme = sim.state(|w| w.group_by_path("acme").unwrap().id);
    let hooks: Vec<u64> = sim.state(|w| {
        w.hooks_of(HookOwner::Group(acme))
            .filter(|h| h.url == EVENTS)
            .map(|h| h.id)
            .collect()
    });
    assert_eq!(
        hooks,
        vec![lost_first[0].hook_id.unwrap()],
        "one group hook"
    );
    let again = groups::apply(
        &session.client,
        &report,
        &asked,
        &selected,
        &spec(),
        &fingerprints,
    )
    .await;
    assert_eq!(
        again[0].action,
        Action::Unchanged,
        "the adopted hook is known"
    );
}

fn lock(f: &Mutex<Fingerprints>) -> std::sync::MutexGuard<'_, Fingerprints> {
    f.lock().unwrap()
}

/// The demo world and one project this token maintains, with a client that sends each
/// request once, one at a time: a knob's every-Nth fault falls on a known request, and the
/// client never sends a write again by itself.
async fn one_project() -> (Simulator, Session, TokenReport, u64) {
    let sim = common::demo().await;
    let mut config = common::config(&sim, tokens::API);
    config.max_attempts = 1;
    config.concurrency = 1;
    let session = Session::open(config).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    let target = report
        .projects
        .iter()
        .find(|p| p.hooks == HookAccess::Automatic && !p.archived)
        .unwrap()
        .id;
    (sim, session, report, target)
}

async fn apply_one(
    session: &Session,
    report: &TokenReport,
    target: u64,
    fingerprints: &Mutex<Fingerprints>,
    prune: bool,
) -> ProjectOutcome {
    let selected = Selection {
        projects: vec![target.to_string()],
        ..Selection::default()
    }
    .pick(report);
    assert_eq!(selected.len(), 1);
    let mut out = webhooks::apply(
        &session.client,
        report,
        &selected,
        &spec(),
        fingerprints,
        prune,
        &|_| {},
    )
    .await;
    out.remove(0)
}

/// A fault knob's every-Nth request count that makes the `n`th request from now fail.
fn nth_from_now(sim: &Simulator, n: u64) -> Option<u64> {
    Some(sim.requests().len() as u64 + n)
}

/// Waits for a write GitLab may still carry out: short, so the tests stay fast.
fn fast_settle() {
    webhooks::set_settle_wait(SettleWait {
        first: Duration::from_millis(100),
        total: Duration::from_secs(2),
    });
}

/// Someone else's hook with the crawler's URL, our triggers and their secret: it looks
/// exactly like ours.
fn add_theirs(w: &mut World, project: u64) -> u64 {
    let id = w.add_hook(HookOwner::Project(project), EVENTS, Some("their-secret"));
    let h = w.hook_mut(id).unwrap();
    for e in [
        "push_events",
        "note_events",
        "issues_events",
        "merge_requests_events",
        "wiki_page_events",
    ] {
        h.events.insert(e.into(), true);
    }
    h.branch_filter_strategy = "all_branches".into();
    id
}

fn hook_urls(sim: &Simulator, project: u64) -> Vec<(u64, String, Option<String>)> {
    sim.state(|w| {
        let mut hooks: Vec<_> = w
            .hooks_of(HookOwner::Project(project))
            .map(|h| (h.id, h.url.clone(), h.token.clone()))
            .collect();
        hooks.sort();
        hooks
    })
}

fn count(sim: &Simulator, method: &str) -> usize {
    sim.requests().iter().filter(|r| r.method == method).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_someone_else_added_while_our_create_was_lost_is_given_our_spec() {
    let (sim, session, report, target) = one_project().await;
    // Our POST (the request after the hook list) fails without being carried out, and
    // meanwhile someone adds a hook that looks exactly like ours, with their secret.
    let theirs = std::sync::Arc::new(AtomicU64::new(0));
    let seen = theirs.clone();
    sim.set_knobs(Knobs {
        fail_every: nth_from_now(&sim, 2),
        meanwhile: Some(Meanwhile::new(move |w| {
            seen.store(add_theirs(w, target), Ordering::SeqCst);
        })),
        ..Knobs::default()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let out = apply_one(&session, &report, target, &fingerprints, false).await;
    sim.set_knobs(Knobs::default());
    let theirs = theirs.load(Ordering::SeqCst);
    assert_ne!(theirs, 0, "the POST failed");
    assert_eq!(out.action, Action::Create, "{out:?}");
    assert_eq!(out.hook_id, Some(theirs), "adopted: {out:?}");
    assert_eq!(
        ours(&sim, target),
        vec![Some("fault-secret".to_owned())],
        "the adopted hook carries our secret, not theirs"
    );
    assert_eq!(count(&sim, "PUT"), 1, "our spec was set on it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_several_hooks_appear_after_a_lost_create_none_is_adopted() {
    let (sim, session, report, target) = one_project().await;
    // Our POST is carried out, and meanwhile someone adds a hook like ours; the answer is lost.
    let once = AtomicBool::new(false);
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(1),
        meanwhile: Some(Meanwhile::new(move |w| {
            if !once.swap(true, Ordering::SeqCst) {
                add_theirs(w, target);
            }
        })),
        ..Knobs::default()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    sim.clear_requests();
    let out = apply_one(&session, &report, target, &fingerprints, false).await;
    sim.set_knobs(Knobs::default());
    let hooks = hook_urls(&sim, target);
    let ids: Vec<u64> = hooks
        .iter()
        .filter(|(_, url, _)| url == EVENTS)
        .map(|h| h.0)
        .collect();
    assert_eq!(ids.len(), 2, "{hooks:?}");
    match &out.action {
        Action::Failed { message, code } => {
            assert_eq!(code, "several_new_hooks");
            assert!(
                message.contains(&format!("{}, {}", ids[0], ids[1])),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&sim, "PUT") + count(&sim, "DELETE"), 0, "{hooks:?}");
    assert!(
        hooks.iter().any(|h| h.2.as_deref() == Some("their-secret")),
        "theirs keeps its secret: {hooks:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_gitlab_finishes_after_its_504_is_waited_for_not_sent_twice() {
    fast_settle();
    let (sim, session, report, target) = one_project().await;
    // GitLab carries our POST out 300 ms after the proxy answered 504.
    sim.set_knobs(Knobs {
        delay_write_commits_every: Some(1_000),
        delay_write_commit_by: Duration::from_millis(300),
        ..Knobs::default()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    sim.clear_requests();
    let out = apply_one(&session, &report, target, &fingerprints, false).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_knobs(Knobs::default());
    assert!(
        sim.requests().iter().any(|r| r.status == 504),
        "the answer was lost"
    );
    assert_eq!(out.action, Action::Create, "{out:?}");
    assert_eq!(count(&sim, "POST"), 1, "sent once");
    assert_eq!(ours(&sim, target), vec![Some("fault-secret".to_owned())]);
    assert!(out.duplicates.is_empty(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_sent_again_after_a_504_reports_the_first_when_it_lands() {
    fast_settle();
    let (sim, session, report, target) = one_project().await;
    // GitLab carries our POST out only when the next write arrives, after every wait.
    sim.set_knobs(Knobs {
        delay_write_commits_every: Some(1_000),
        delay_write_commit_by: Duration::from_secs(600),
        ..Knobs::default()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    sim.clear_requests();
    let out = apply_one(&session, &report, target, &fingerprints, false).await;
    sim.set_knobs(Knobs::default());
    assert_eq!(count(&sim, "POST"), 2, "sent again after the waits");
    let hooks: Vec<u64> = hook_urls(&sim, target)
        .into_iter()
        .filter(|(_, url, _)| url == EVENTS)
        .map(|h| h.0)
        .collect();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert_eq!(out.action, Action::Create, "{out:?}");
    assert_eq!(out.hook_id, Some(hooks[1]), "{out:?}");
    assert_eq!(out.duplicates, vec![hooks[0]], "the first is reported");
    // The next run keeps the one it set and prunes the other on request.
    let again = apply_one(&session, &report, target, &fingerprints, true).await;
    assert_eq!(again.action, Action::Unchanged, "{again:?}");
    assert_eq!(ours(&sim, target), vec![Some("fault-secret".to_owned())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_answer_is_lost_is_not_sent_again_to_a_hook_changed_meanwhile() {
    let (sim, session, report, target) = one_project().await;
    // A hook with our URL made by hand: ours to update (the secret was not set by this tool).
    let hook = sim.state(|w| w.add_hook(HookOwner::Project(target), EVENTS, None));
    // The PUT is carried out, its answer lost; meanwhile its owner points it elsewhere.
    let once = AtomicBool::new(false);
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(1),
        meanwhile: Some(Meanwhile::new(move |w| {
            if !once.swap(true, Ordering::SeqCst) {
                w.hook_mut(hook).unwrap().url = "https://other.example.com/hook".into();
            }
        })),
        ..Knobs::default()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    sim.clear_requests();
    let out = apply_one(&session, &report, target, &fingerprints, false).await;
    sim.set_knobs(Knobs::default());
    assert!(
        matches!(&out.action, Action::Failed { code, message } if code == "hook_changed" && message.contains("changed meanwhile")),
        "{out:?}"
    );
    assert_eq!(count(&sim, "PUT"), 1, "not sent again");
    assert_eq!(
        sim.state(|w| w.hook(hook).unwrap().url.clone()),
        "https://other.example.com/hook"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_whose_answer_is_lost_is_not_sent_again_to_a_hook_changed_meanwhile() {
    let (sim, session, report, target) = one_project().await;
    // Ours (set by this tool), and a duplicate to prune.
    let (kept, dup) = sim.state(|w| {
        let kept = add_theirs(w, target);
        w.hook_mut(kept).unwrap().token = Some("fault-secret".into());
        (kept, w.add_hook(HookOwner::Project(target), EVENTS, None))
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    lock(&fingerprints)
        .record(
            &session.client.url().to_string(),
            target,
            kept,
            &spec().secret,
        )
        .unwrap();
    // The DELETE (the request after the hook list) fails without being carried out, and
    // meanwhile the duplicate's owner points it elsewhere.
    sim.set_knobs(Knobs {
        fail_every: nth_from_now(&sim, 2),
        meanwhile: Some(Meanwhile::new(move |w| {
            w.hook_mut(dup).unwrap().url = "https://other.example.com/hook".into();
        })),
        ..Knobs::default()
    });
    sim.clear_requests();
    let out = apply_one(&session, &report, target, &fingerprints, true).await;
    sim.set_knobs(Knobs::default());
    assert_eq!(out.action, Action::Unchanged, "{out:?}");
    assert_eq!(out.duplicates, vec![dup], "not deleted: {out:?}");
    assert_eq!(count(&sim, "DELETE"), 1, "not sent again");
    assert_eq!(
        sim.state(|w| w.hook(dup).map(|h| h.url.clone())).as_deref(),
        Some("https://other.example.com/hook")
    );
    assert!(sim.state(|w| w.hook(kept).is_some()));
}

#[tokio::test]
async fn the_cli_exits_4_when_an_apply_leaves_a_project_failed() {
    let sim = common::demo().await;
    // This GitLab refuses hooks to local addresses, as a default install does.
    sim.set_knobs(Knobs {
        block_local_hook_urls: true,
        ..Knobs::default()
    });
    let data = tempfile::tempdir().unwrap();
    let url = sim.url();
    let args = [
        "webhooks",
        "apply",
        "--gitlab-url",
        &url,
        "--group",
        "acme",
        "--event-url",
        "http://127.0.0.1:9/events",
        "--secret-env",
        "HOOK_SECRET",
        "--json",
    ];
    let env = [
        ("HOOK_SECRET", "s"),
        ("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let out = common::cli_env(&args, Some(tokens::API), None, &env).await;
    assert_eq!(out.status.code(), Some(4), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["summary"]["failed"].as_u64().unwrap() > 0, "{json}");
    let refused = json["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["action"] == "failed")
        .unwrap();
    assert_eq!(refused["code"], "unprocessable", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("Outbound requests"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_exits_4_while_a_hook_stays_disabled_and_the_next_run_tries_again() {
    let (sim, _session, _report, target) = one_project().await;
    // GitLab disabled our hook, and refuses the test delivery that would re-enable it.
    let hook = sim.state(|w| {
        w.project_mut(target).unwrap().empty_repo = true;
        let id = w.add_hook(HookOwner::Project(target), EVENTS, Some("s"));
        w.hook_mut(id).unwrap().alert_status = gitlab_sim::AlertStatus::Disabled;
        id
    });
    let data = tempfile::tempdir().unwrap();
    let url = sim.url();
    let project = target.to_string();
    let args = [
        "webhooks",
        "apply",
        "--gitlab-url",
        &url,
        "--project",
        &project,
        "--event-url",
        EVENTS,
        "--secret-env",
        "HOOK_SECRET",
        "--json",
    ];
    let env = [
        ("HOOK_SECRET", "s"),
        ("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let out = common::cli_env(&args, Some(tokens::API), None, &env).await;
    assert_eq!(out.status.code(), Some(4), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json["projects"][0];
    assert_eq!(p["action"], "failed", "{p}");
    assert_eq!(p["code"], "still_disabled", "{p}");
    // Once the receiver can answer, the next run writes and tests it again (nothing was
    // taken as done).
    sim.state(|w| w.project_mut(target).unwrap().empty_repo = false);
    let out = common::cli_env(&args, Some(tokens::API), None, &env).await;
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["projects"][0]["action"], "update", "{json}");
    assert_eq!(
        sim.state(|w| w.hook(hook).unwrap().alert_status),
        gitlab_sim::AlertStatus::Executable
    );
}

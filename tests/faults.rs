//! Webhook writes under faults, against the simulator: a write whose answer is lost is
//! reconciled (re-read, then adopted or written again), failed requests are written again,
//! and never a project is left without its hook or with two. Also: the CLI exits 4 when an
//! apply leaves a project failed.

mod common;

use std::sync::Mutex;

use gitlab_onboard::Secret;
use gitlab_onboard::scopes::{self, HookAccess, ProjectAccess, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::groups;
use gitlab_onboard::webhooks::{
    self, Action, EventUrl, Fingerprints, HookSpec, Selection, Summary, Triggers,
};
use gitlab_sim::{HookOwner, Knobs, Simulator, World, WorldSpec, tokens};

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
    // Hooks made by hand: each with the wrong triggers (an update) and a duplicate (a delete).
    let dups: Vec<u64> = sim.state(|w| {
        selected
            .iter()
            .map(|p| {
                w.add_hook(HookOwner::Project(p.id), EVENTS, None);
                w.add_hook(HookOwner::Project(p.id), EVENTS, None)
            })
            .collect()
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
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
    // The first write of the run, the group hook's POST, is carried out and its answer lost.
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(1),
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

//! Step 3 against the simulator: idempotent apply, unrelated hooks untouched, duplicates,
//! read-only tokens, verify.

mod common;

use std::sync::Mutex;

use gitlab_onboard::Secret;
use gitlab_onboard::scopes::{self, HookAccess, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::{
    self, Action, Check, EventUrl, Fingerprints, HookSpec, Selection, Summary, Triggers,
};
use gitlab_sim::model::HookOwner;
use gitlab_sim::{Simulator, tokens};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

fn spec(secret: &str) -> HookSpec {
    HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: Secret::new(secret),
    }
}

async fn step2(sim: &Simulator, token: &str) -> (Session, TokenReport) {
    let session = common::session(sim, token).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    (session, report)
}

fn writes(sim: &Simulator) -> usize {
    sim.requests().iter().filter(|r| r.method != "GET").count()
}

/// Hooks with the crawler's URL on a project, as the simulator holds them.
fn ours(sim: &Simulator, project: u64) -> Vec<(u64, Option<String>)> {
    sim.state(|w| {
        w.hooks_of_project(project)
            .into_iter()
            .filter(|h| h.url == EVENTS)
            .map(|h| (h.id, h.token.clone()))
            .collect()
    })
}

#[tokio::test]
async fn apply_is_idempotent_and_leaves_other_hooks_alone() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let selected = Selection::default().pick(&report);
    let automatic: Vec<u64> = selected
        .iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .map(|p| p.id)
        .collect();
    assert!(!automatic.is_empty());
    // Someone else's hook on a project we manage.
    let other = sim.state(|w| {
        w.add_hook(
            HookOwner::Project(automatic[0]),
            "https://ci.example.com/hook",
            Some("theirs"),
        )
    });

    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let s = spec("first-secret");
    let outcomes = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &s,
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    let summary = Summary::of(&outcomes);
    assert_eq!(summary.failed, 0, "{outcomes:#?}");
    assert_eq!(summary.create, automatic.len());
    assert_eq!(summary.manual, selected.len() - automatic.len());
    for id in &automatic {
        assert_eq!(ours(&sim, *id).len(), 1, "exactly one hook of ours on {id}");
        assert_eq!(ours(&sim, *id)[0].1.as_deref(), Some("first-secret"));
    }
    let hook = sim
        .state(|w| {
            w.hooks_of_project(automatic[0])
                .into_iter()
                .find(|h| h.url == EVENTS)
                .cloned()
        })
        .unwrap();
    for event in [
        "push_events",
        "note_events",
        "issues_events",
        "merge_requests_events",
        "wiki_page_events",
    ] {
        assert!(hook.event(event), "{event}");
    }
    assert!(!hook.event("tag_push_events") && hook.enable_ssl_verification);

    let before = writes(&sim);
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
    assert_eq!(writes(&sim), before, "a second run writes nothing");
    assert_eq!(Summary::of(&again).unchanged, automatic.len());

    let theirs = sim
        .state(|w| w.hook(other).cloned())
        .expect("the unrelated hook is still there");
    assert_eq!(theirs.url, "https://ci.example.com/hook");
    assert_eq!(theirs.token.as_deref(), Some("theirs"));
}

/// A project this token maintains, selected alone.
fn one_maintained(report: &TokenReport) -> (u64, Vec<&gitlab_onboard::scopes::ProjectAccess>) {
    let target = report
        .projects
        .iter()
        .find(|p| p.hooks == HookAccess::Automatic && !p.archived)
        .unwrap();
    let selected = Selection {
        projects: vec![target.id.to_string()],
        ..Selection::default()
    }
    .pick(report);
    assert_eq!(selected.len(), 1);
    (target.id, selected)
}

#[tokio::test]
async fn a_foreign_copy_of_our_hook_gets_the_secret_once_and_a_later_duplicate_is_pruned() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let (target, selected) = one_maintained(&report);
    // Made by hand earlier, with different case and a trailing slash: the only one.
    let first = sim.state(|w| {
        w.add_hook(
            HookOwner::Project(target),
            "https://CRAWLER.example.com/instance/gitlab/events/",
            None,
        )
    });
    let plan = webhooks::plan(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &Fingerprints::in_memory(),
        &|_| {},
    )
    .await;
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    assert!(
        matches!(&plan[0].action, Action::Update { reasons } if reasons.iter().any(|r| r.contains("secret"))),
        "{plan:?}"
    );
    assert_eq!(plan[0].hook_id, Some(first));

    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert!(matches!(out[0].action, Action::Update { .. }), "{out:?}");
    assert_eq!(
        sim.state(|w| w.hook(first).and_then(|h| h.token.clone()))
            .as_deref(),
        Some("s")
    );

    // A duplicate appears beside the hook this tool set: reported, pruned only on request.
    let dup = sim.state(|w| w.add_hook(HookOwner::Project(target), EVENTS, None));
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert_eq!(out[0].action, Action::Unchanged, "{out:?}");
    assert_eq!(out[0].duplicates, vec![dup]);
    assert!(
        sim.state(|w| w.hook(dup).is_some()),
        "duplicates stay without --prune-duplicates"
    );
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        true,
        &|_| {},
    )
    .await;
    assert_eq!(out[0].action, Action::Unchanged);
    assert!(sim.state(|w| w.hook(dup).is_none()), "pruned on request");
    assert!(sim.state(|w| w.hook(first).is_some()));
}

#[tokio::test]
async fn several_hooks_with_our_url_none_set_by_this_tool_are_left_to_a_person() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let (target, selected) = one_maintained(&report);
    // Two hooks with the crawler's URL, neither set by this tool: either may be another
    // tenant's (GitLab never shows the secret).
    let hooks: Vec<u64> = sim.state(|w| {
        vec![
            w.add_hook(HookOwner::Project(target), EVENTS, Some("tenant-a")),
            w.add_hook(HookOwner::Project(target), EVENTS, Some("tenant-b")),
        ]
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let plan = webhooks::plan(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &Fingerprints::in_memory(),
        &|_| {},
    )
    .await;
    let manual = |action: &Action| {
        matches!(action, Action::Manual { reason }
            if reason.contains("several hooks with the crawler's URL, none set by this tool")
                && reason.contains(&hooks[0].to_string()) && reason.contains(&hooks[1].to_string()))
    };
    assert!(manual(&plan[0].action), "{plan:?}");
    assert_eq!(plan[0].hook_id, None);
    assert_eq!(plan[0].duplicates, hooks);
    sim.clear_requests();
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        true,
        &|_| {},
    )
    .await;
    assert!(manual(&out[0].action), "{out:?}");
    assert_eq!(writes(&sim), 0, "no update, no prune");
    assert_eq!(
        ours(&sim, target),
        vec![
            (hooks[0], Some("tenant-a".to_owned())),
            (hooks[1], Some("tenant-b".to_owned()))
        ]
    );
}

#[tokio::test]
async fn a_hook_gitlab_keeps_disabled_is_a_failure_with_the_receivers_answer() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let (target, selected) = one_maintained(&report);
    // GitLab disabled our hook, and refuses the test delivery that would re-enable it.
    let id = sim.state(|w| {
        w.project_mut(target).unwrap().empty_repo = true;
        let id = w.add_hook(HookOwner::Project(target), EVENTS, Some("s"));
        w.hook_mut(id).unwrap().alert_status = gitlab_sim::model::AlertStatus::Disabled;
        id
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    match &out[0].action {
        Action::Failed { message, code } => {
            assert_eq!(code, "still_disabled");
            assert!(message.contains("at least one commit"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Summary::of(&out).failed, 1);
    assert_eq!(
        sim.state(|w| w.hook(id).unwrap().alert_status),
        gitlab_sim::model::AlertStatus::Disabled
    );
    // The next run, once the receiver can answer, writes and tests it again.
    sim.state(|w| w.project_mut(target).unwrap().empty_repo = false);
    let again = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert!(
        matches!(&again[0].action, Action::Update { reasons } if reasons.iter().any(|r| r == "re-enabled by a test delivery")),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_branch_filter_on_our_hook_is_a_difference_and_is_cleared() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let (_, selected) = one_maintained(&report);
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert_eq!(out[0].action, Action::Create, "{out:?}");
    let id = out[0].hook_id.unwrap();
    let filter = |sim: &Simulator| {
        sim.state(|w| {
            let h = w.hook(id).unwrap();
            (
                h.push_events_branch_filter.clone(),
                h.branch_filter_strategy.clone(),
            )
        })
    };
    assert_eq!(filter(&sim), (String::new(), "all_branches".to_owned()));
    // Someone limits its pushes to `main`: every other branch's pushes would be lost.
    sim.state(|w| {
        let h = w.hook_mut(id).unwrap();
        h.push_events_branch_filter = "main".into();
        h.branch_filter_strategy = "wildcard".into();
    });
    let known = fingerprints.lock().unwrap().snapshot();
    let plan = webhooks::plan(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &known,
        &|_| {},
    )
    .await;
    assert!(
        matches!(&plan[0].action, Action::Update { reasons } if reasons.iter().any(|r| r.contains("branches matching a filter"))),
        "{plan:?}"
    );
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert!(matches!(out[0].action, Action::Update { .. }), "{out:?}");
    assert_eq!(filter(&sim), (String::new(), "all_branches".to_owned()));
    let checks = webhooks::verify(&session.client, &selected, &spec("s"), &|_| {}).await;
    assert_eq!(checks[0].check, Check::Ok, "{checks:?}");
}

#[tokio::test]
async fn read_only_token_writes_nothing_and_verify_tells_the_truth() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::READ_ONLY).await;
    let selected = Selection::default().pick(&report);
    let before = writes(&sim);
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &Mutex::new(Fingerprints::in_memory()),
        false,
        &|_| {},
    )
    .await;
    assert_eq!(writes(&sim), before);
    assert!(
        out.iter()
            .all(|o| matches!(o.action, Action::Manual { .. })),
        "{out:?}"
    );
    assert!(out.iter().all(|o| o.hooks_url.ends_with("/-/hooks")));

    // The admin creates one hook by hand as instructed; verify sees it, and the rest missing.
    let maintained = report
        .projects
        .iter()
        .find(|p| p.role >= Some(gitlab_onboard::model::Role::Maintainer) && !p.archived)
        .unwrap();
    let id = sim.state(|w| w.add_hook(HookOwner::Project(maintained.id), EVENTS, Some("s")));
    sim.state(|w| {
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
        h.events.insert("tag_push_events".into(), false);
    });
    let checks = webhooks::verify(&session.client, &selected, &spec("s"), &|_| {}).await;
    let check = checks
        .iter()
        .find(|c| c.project_id == maintained.id)
        .unwrap();
    assert_eq!(check.check, Check::Ok, "{check:?}");
    assert!(checks.iter().any(|c| c.check == Check::Missing));
    assert!(
        checks
            .iter()
            .any(|c| matches!(c.check, Check::Unknown { .. })),
        "below Maintainer cannot be checked"
    );
}

#[tokio::test]
async fn an_interrupted_apply_resumes_from_its_journal_without_duplicates() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let selected: Vec<_> = Selection::default()
        .pick(&report)
        .into_iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .collect();
    let data = tempfile::tempdir().unwrap();
    let s = spec("resume-secret");
    let lock = gitlab_onboard::files::RunLock::acquire(data.path()).unwrap();
    let key = webhooks::fingerprints::FingerprintKey::generate();
    let fingerprints = Mutex::new(Fingerprints::load(data.path(), key.clone()).unwrap());

    // The first run is cancelled after three projects.
    let run = session.client.for_run();
    let journal = webhooks::Journal::open(
        &lock,
        &sim.url(),
        &s,
        &webhooks::RunOptions::default(),
        &key,
    )
    .unwrap();
    let first = webhooks::apply_resumable(
        &run,
        &report,
        &selected,
        &s,
        &fingerprints,
        false,
        Some(&journal),
        &|p| {
            if p.done == 3 {
                run.cancel();
            }
        },
    )
    .await;
    drop(journal);
    let finished = first
        .iter()
        .filter(|o| !matches!(o.action, Action::Failed { .. }))
        .count();
    assert!(
        finished >= 3 && finished < selected.len(),
        "cancelled part-way: {finished} of {}",
        selected.len()
    );
    assert!(
        first
            .iter()
            .any(|o| matches!(&o.action, Action::Failed { code, .. } if code == "cancelled"))
    );

    // The second run takes the finished projects from the journal: no request for them.
    sim.clear_requests();
    let journal = webhooks::Journal::open(
        &lock,
        &sim.url(),
        &s,
        &webhooks::RunOptions::default(),
        &key,
    )
    .unwrap();
    assert_eq!(journal.resumed(), finished);
    let second = webhooks::apply_resumable(
        &session.client,
        &report,
        &selected,
        &s,
        &fingerprints,
        false,
        Some(&journal),
        &|_| {},
    )
    .await;
    journal.finish().unwrap();
    assert!(
        second.iter().all(|o| matches!(
            o.action,
            Action::Create | Action::Unchanged | Action::Update { .. }
        )),
        "{second:?}"
    );
    let touched: std::collections::HashSet<u64> = sim
        .requests()
        .iter()
        .filter_map(|r| {
            r.path
                .strip_prefix("/api/v4/projects/")?
                .split('/')
                .next()?
                .parse()
                .ok()
        })
        .collect();
    for o in first
        .iter()
        .filter(|o| !matches!(o.action, Action::Failed { .. }))
    {
        assert!(!touched.contains(&o.project_id), "{} was redone", o.path);
    }
    for p in &selected {
        assert_eq!(
            ours(&sim, p.id).len(),
            1,
            "one hook on {}",
            p.path_with_namespace
        );
    }
    assert!(
        !std::fs::read_dir(data.path()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".jsonl")),
        "a finished apply removes its journal"
    );
}

#[tokio::test]
async fn bad_input_fails_per_project_and_the_run_goes_on() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let selected: Vec<_> = Selection::default()
        .pick(&report)
        .into_iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .collect();
    let fingerprints = Mutex::new(Fingerprints::in_memory());

    // A receiver on the local network, which this GitLab blocks.
    sim.set_knobs(gitlab_sim::Knobs {
        block_local_hook_urls: true,
        ..Default::default()
    });
    let local = HookSpec {
        url: EventUrl::parse("http://127.0.0.1:9/events").unwrap(),
        triggers: Triggers::default(),
        secret: Secret::new("s"),
    };
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected[..2],
        &local,
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    for o in &out {
        assert!(
            matches!(&o.action, Action::Failed { message, code } if code == "unprocessable" && message.contains("Outbound requests")),
            "{o:?}"
        );
    }
    sim.set_knobs(gitlab_sim::Knobs::default());

    // A project at GitLab.com's limit of 100 hooks.
    let full = selected[0].id;
    sim.state(|w| {
        for i in 0..100 {
            w.add_hook(
                HookOwner::Project(full),
                &format!("https://other{i}.example.com/hook"),
                None,
            );
        }
    });
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected[..1],
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert!(
        matches!(&out[0].action, Action::Failed { code, message } if code == "unprocessable" && message.contains("100")),
        "hook limit: {out:?}"
    );

    // The token is revoked after the third project.
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|p| {
            if p.done == 3 {
                sim.state(|w| w.token_mut(tokens::API).unwrap().revoked = true);
            }
        },
    )
    .await;
    let revoked = out
        .iter()
        .filter(|o| matches!(&o.action, Action::Failed { code, .. } if code == "token_revoked"))
        .count();
    assert!(revoked > 0, "later projects report the revoked token");
    assert_eq!(out.len(), selected.len(), "every project has an outcome");
    assert_eq!(
        Summary::of(&out).failed,
        out.iter()
            .filter(|o| matches!(o.action, Action::Failed { .. }))
            .count()
    );
}

#[tokio::test]
async fn a_disabled_hook_of_ours_is_reported_and_re_enabled() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let target = report
        .projects
        .iter()
        .find(|p| p.hooks == HookAccess::Automatic && !p.archived)
        .unwrap();
    let id = sim.state(|w| {
        let id = w.add_hook(HookOwner::Project(target.id), EVENTS, Some("s"));
        w.hook_mut(id).unwrap().alert_status = gitlab_sim::model::AlertStatus::Disabled;
        id
    });
    let selected = Selection {
        projects: vec![target.path_with_namespace.clone()],
        ..Selection::default()
    }
    .pick(&report);
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &Mutex::new(Fingerprints::in_memory()),
        false,
        &|_| {},
    )
    .await;
    assert_eq!(out[0].disabled.as_deref(), Some("disabled"));
    match &out[0].action {
        Action::Update { reasons } => {
            assert!(
                reasons.iter().any(|r| r.starts_with("disabled by GitLab")),
                "{reasons:?}"
            );
            assert!(
                reasons.iter().any(|r| r == "re-enabled by a test delivery"),
                "{reasons:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sim.state(|w| w.hook(id).unwrap().alert_status),
        gitlab_sim::model::AlertStatus::Executable
    );

    let mut checks = webhooks::verify(&session.client, &selected, &spec("s"), &|_| {}).await;
    assert_eq!(checks[0].check, Check::Ok);
    webhooks::test_deliveries(&session.client, &mut checks, &|_| {}).await;
    assert_eq!(
        checks[0].test_delivery.as_deref(),
        Some("delivered: the receiver answered 2xx")
    );
    assert_eq!(sim.state(|w| w.hook(id).unwrap().test_triggers.len()), 2);
}

/// Another tenant's hooks to the same receiver, with credentials in the URL.
const CREDENTIALED: [&str; 2] = [
    "https://tenant:pw@crawler.example.com/instance/gitlab/events",
    "https://{user}:{password}@crawler.example.com/instance/gitlab/events",
];

#[tokio::test]
async fn hooks_whose_urls_carry_credentials_are_never_touched() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let target = report
        .projects
        .iter()
        .find(|p| p.hooks == HookAccess::Automatic && !p.archived)
        .unwrap();
    let theirs: Vec<u64> = sim.state(|w| {
        CREDENTIALED
            .iter()
            .map(|url| w.add_hook(HookOwner::Project(target.id), url, Some("tenant-secret")))
            .collect()
    });
    let snapshot = |sim: &Simulator| {
        sim.state(|w| {
            theirs
                .iter()
                .map(|id| {
                    let h = w.hook(*id).expect("their hook is still there");
                    (h.url.clone(), h.token.clone(), h.events.clone())
                })
                .collect::<Vec<_>>()
        })
    };
    let before = snapshot(&sim);
    let selected = Selection {
        projects: vec![target.id.to_string()],
        ..Selection::default()
    }
    .pick(&report);
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    for prune in [false, true] {
        let out = webhooks::apply(
            &session.client,
            &report,
            &selected,
            &spec("s"),
            &fingerprints,
            prune,
            &|_| {},
        )
        .await;
        assert!(
            matches!(out[0].action, Action::Create | Action::Unchanged),
            "{out:?}"
        );
        assert!(out[0].duplicates.is_empty(), "{out:?}");
        assert!(!theirs.contains(&out[0].hook_id.unwrap()));
        assert_eq!(snapshot(&sim), before, "prune {prune}");
    }
    assert_eq!(ours(&sim, target.id).len(), 1, "our own hook beside theirs");
}

#[tokio::test]
async fn of_two_hooks_with_our_url_the_fingerprinted_one_is_ours() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim, tokens::API).await;
    let target = report
        .projects
        .iter()
        .find(|p| p.hooks == HookAccess::Automatic && !p.archived)
        .unwrap();
    let older = sim.state(|w| w.add_hook(HookOwner::Project(target.id), EVENTS, Some("old")));
    let selected = Selection {
        projects: vec![target.id.to_string()],
        ..Selection::default()
    }
    .pick(&report);
    // The newer hook is the one this tool set (its fingerprint is recorded).
    let newer = sim.state(|w| {
        let id = w.add_hook(HookOwner::Project(target.id), EVENTS, Some("s"));
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
        id
    });
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    fingerprints
        .lock()
        .unwrap()
        .record(
            &session.client.url().to_string(),
            target.id,
            newer,
            &Secret::new("s"),
        )
        .unwrap();
    sim.clear_requests();
    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    assert_eq!(out[0].action, Action::Unchanged, "{out:?}");
    assert_eq!(
        (out[0].hook_id, out[0].duplicates.clone()),
        (Some(newer), vec![older])
    );
    assert_eq!(writes(&sim), 0, "nothing rewritten");

    let out = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec("s"),
        &fingerprints,
        true,
        &|_| {},
    )
    .await;
    assert_eq!(out[0].action, Action::Unchanged, "{out:?}");
    assert!(sim.state(|w| w.hook(newer).is_some()), "ours is kept");
    assert!(
        sim.state(|w| w.hook(older).is_none()),
        "the duplicate is pruned"
    );
}

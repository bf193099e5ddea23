//! Group webhooks through the CLI against the simulator: one hook on an owned Premium group in
//! place of its project hooks, never a project hooked twice, the Free plan and ownership.

mod common;

use std::sync::Mutex;

use common::{EVENTS, hook_cli, stderr};
use gitlab_onboard::Secret;
use gitlab_onboard::scopes::{self, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::{
    Action, Check, EventUrl, Fingerprints, HookSpec, Selection, Summary, Triggers, groups,
};
use gitlab_sim::{HookOwner, Simulator, tokens};
use serde_json::Value;

async fn run(
    sim: &Simulator,
    data: &tempfile::TempDir,
    verb: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    hook_cli(
        sim,
        data.path(),
        &["webhooks", verb],
        &args,
        tokens::API,
        Some("group-secret"),
    )
    .await
}

/// Our hooks: (on the group `acme`, on projects below `acme`, anywhere else).
fn ours(sim: &Simulator) -> (usize, usize, usize) {
    sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        let below = w.descendants(acme);
        let (mut group, mut projects, mut elsewhere) = (0, 0, 0);
        for h in w.hooks().filter(|h| h.url == EVENTS) {
            match h.owner {
                HookOwner::Group(g) if g == acme => group += 1,
                HookOwner::Project(p) => {
                    let ns = w.project(p).unwrap().owner;
                    let in_acme = matches!(ns, gitlab_sim::Owner::Group(g) if g == acme || below.contains(&g));
                    if in_acme {
                        projects += 1
                    } else {
                        elsewhere += 1
                    }
                }
                HookOwner::Group(_) => elsewhere += 1,
            }
        }
        (group, projects, elsewhere)
    })
}

fn json(o: &std::process::Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[tokio::test]
async fn the_text_result_says_how_many_project_hooks_the_group_hook_replaced() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    json(&run(&sim, &data, "apply", &["--group", "acme"]).await);
    let (_, before, _) = ours(&sim);
    assert!(before > 1, "acme has several maintained projects");
    let out = hook_cli(
        &sim,
        data.path(),
        &["webhooks", "apply"],
        &["--group-hook", "acme"],
        tokens::API,
        Some("group-secret"),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "removed {before} project hooks now covered by the group hook"
        )),
        "{text}"
    );
    // A second run removes nothing and says nothing about it.
    let out = hook_cli(
        &sim,
        data.path(),
        &["webhooks", "apply"],
        &["--group-hook", "acme"],
        tokens::API,
        Some("group-secret"),
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("removed"), "{text}");
}

#[tokio::test]
async fn one_group_hook_replaces_the_project_hooks_below_it_and_a_rerun_writes_nothing() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    // Project hooks first, as an earlier run without group hooks would have made them.
    json(&run(&sim, &data, "apply", &["--group", "acme"]).await);
    let (g, before, _) = ours(&sim);
    assert_eq!(g, 0);
    assert!(before > 1, "acme has several maintained projects");
    let foreign = sim.state(|w| w.hooks().filter(|h| h.url != EVENTS).count());

    // A plan offers the group hook, with its trade-off, and changes nothing by itself.
    let plan = json(&run(&sim, &data, "plan", &["--group", "acme"]).await);
    let offer = &plan["groups"][0];
    assert_eq!(
        (offer["full_path"].as_str(), offer["support"].as_str()),
        (Some("acme"), Some("paid"))
    );
    assert!(
        offer["advice"]
            .as_str()
            .unwrap()
            .contains("One hook covers"),
        "{offer}"
    );
    assert_eq!(plan["summary"]["covered"], 0);

    let applied = json(&run(&sim, &data, "apply", &["--group-hook", "acme"]).await);
    assert_eq!(applied["groups"][0]["full_path"], "acme");
    assert_eq!(applied["groups"][0]["action"], "create");
    assert_eq!(applied["groups"][0]["plan"], "premium");
    let (g, after, _) = ours(&sim);
    assert_eq!(
        (g, after),
        (1, 0),
        "one group hook, no project below it hooked twice"
    );
    assert!(applied["summary"]["covered"].as_u64().unwrap() >= before as u64);
    assert_eq!(
        applied["summary"]["removed"].as_u64(),
        Some(before as u64),
        "the result counts the project hooks the group hook replaced: {applied}"
    );
    assert_eq!(
        sim.state(|w| w.hooks().filter(|h| h.url != EVENTS).count()),
        foreign,
        "other hooks are never touched"
    );

    // Without the flag, the group hook still covers its projects: no project hook comes back.
    let again = json(&run(&sim, &data, "apply", &[]).await);
    let (g, after, _) = ours(&sim);
    assert_eq!((g, after), (1, 0), "{again}");
    assert!(again["summary"]["covered"].as_u64().unwrap() >= before as u64);
    sim.clear_requests();
    let again = json(&run(&sim, &data, "apply", &["--group-hook", "acme"]).await);
    assert_eq!(again["groups"][0]["action"], "unchanged");
    let writes: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "a second run writes nothing: {writes:?}");

    let verified = json(&run(&sim, &data, "verify", &["--group", "acme"]).await);
    assert_eq!(verified["groups_not_ok"], 0);
    assert_eq!(verified["not_ok"], 0, "{verified}");
    let covered = verified["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["covered_by"] == "acme")
        .count();
    assert!(covered >= before, "{verified}");

    // A project hook of ours made below the group hook behind the tool's back is caught.
    let project = sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        let p = w.projects_in(gitlab_sim::Owner::Group(acme))[0];
        w.add_hook(HookOwner::Project(p), EVENTS, Some("group-secret"));
        w.project(p).unwrap().path_with_namespace.clone()
    });
    let out = run(&sim, &data, "verify", &["--group", "acme"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let verified: Value = serde_json::from_slice(&out.stdout).unwrap();
    let twice = verified["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["path"] == project.as_str())
        .unwrap();
    assert_eq!(twice["status"], "wrong", "{twice}");
    assert!(
        twice["reasons"][0].as_str().unwrap().contains("twice"),
        "{twice}"
    );
}

#[tokio::test]
async fn a_free_plan_gets_project_hooks_and_a_group_not_owned_is_refused() {
    let sim = common::demo().await;
    sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        w.group_mut(acme).unwrap().plan = "free".into();
    });
    let data = tempfile::tempdir().unwrap();
    let applied = json(
        &run(
            &sim,
            &data,
            "apply",
            &["--group-hook", "acme", "--group", "acme"],
        )
        .await,
    );
    assert_eq!(applied["groups"][0]["action"], "manual");
    assert!(
        applied["groups"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("Free plan"),
        "{}",
        applied["groups"][0]
    );
    let (g, projects, _) = ours(&sim);
    assert_eq!(g, 0, "no group hook that would never fire");
    assert_eq!(
        projects as u64,
        applied["summary"]["create"].as_u64().unwrap()
    );

    sim.clear_requests();
    let refused = run(&sim, &data, "apply", &["--group-hook", "partners"]).await;
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("partners needs the Owner role"), "{err}");
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "refused before any write"
    );
}

/// A group hook of ours on `acme`, with all our triggers, set with the CLI's secret.
fn group_hook(sim: &Simulator, alert: gitlab_sim::AlertStatus) -> u64 {
    sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        let id = w.add_hook(HookOwner::Group(acme), EVENTS, Some("group-secret"));
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
        h.alert_status = alert;
        id
    })
}

fn project_hooks_below_acme(sim: &Simulator) -> Vec<u64> {
    sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        let mut groups = w.descendants(acme);
        groups.push(acme);
        w.hooks()
            .filter(|h| h.url == EVENTS)
            .filter(|h| match h.owner {
                HookOwner::Project(p) => matches!(
                    w.project(p).unwrap().owner,
                    gitlab_sim::Owner::Group(g) if groups.contains(&g)
                ),
                HookOwner::Group(_) => false,
            })
            .map(|h| h.id)
            .collect()
    })
}

#[tokio::test]
async fn a_disabled_group_hook_never_costs_a_project_its_hook() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    json(&run(&sim, &data, "apply", &["--group", "acme"]).await);
    let hooks = project_hooks_below_acme(&sim);
    assert!(hooks.len() > 1);
    // GitLab disabled the group hook of ours (made earlier, by hand or by another run).
    let group = group_hook(&sim, gitlab_sim::AlertStatus::Disabled);

    // A plain apply keeps the correct project hooks: the group hook covers nothing.
    let out = run(&sim, &data, "apply", &["--group", "acme"]).await;
    let applied = json(&out);
    assert_eq!(project_hooks_below_acme(&sim), hooks, "{applied}");
    assert_eq!(applied["summary"]["covered"], 0, "{applied}");
    assert_eq!(applied["summary"]["unchanged"], hooks.len(), "{applied}");
    let reported = &applied["groups"][0];
    assert_eq!(reported["full_path"], "acme");
    assert_eq!(reported["disabled"], "disabled", "{reported}");
    assert_eq!(reported["covering"], false, "{reported}");
    let plan = json(&run(&sim, &data, "plan", &["--group", "acme"]).await);
    assert_eq!(plan["summary"]["covered"], 0, "{plan}");

    // Asked for, it is re-enabled by a test delivery like a project hook; then it covers.
    let applied = json(&run(&sim, &data, "apply", &["--group-hook", "acme"]).await);
    let reported = &applied["groups"][0];
    assert_eq!(reported["hook_id"], group, "{reported}");
    assert_eq!(reported["covering"], true, "{reported}");
    assert_eq!(
        reported["test_delivery"], "re-enabled by a test delivery",
        "{reported}"
    );
    assert_eq!(
        sim.state(|w| w.hook(group).unwrap().alert_status),
        gitlab_sim::AlertStatus::Executable
    );
    assert!(project_hooks_below_acme(&sim).is_empty(), "{applied}");
}

#[tokio::test]
async fn where_the_plan_is_unknown_project_hooks_go_only_after_a_test_delivery_succeeded() {
    let sim = common::demo().await;
    // Self-managed: the plan reads `default`; and no project below acme has a commit yet, so
    // GitLab refuses a test delivery through the group hook.
    let below: Vec<u64> = sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        w.group_mut(acme).unwrap().plan = "default".into();
        let mut groups = w.descendants(acme);
        groups.push(acme);
        let projects: Vec<u64> = groups
            .iter()
            .flat_map(|g| w.projects_in(gitlab_sim::Owner::Group(*g)).to_vec())
            .collect();
        for p in &projects {
            w.project_mut(*p).unwrap().empty_repo = true;
        }
        projects
    });
    let data = tempfile::tempdir().unwrap();
    json(&run(&sim, &data, "apply", &["--group", "acme"]).await);
    let hooks = project_hooks_below_acme(&sim);
    assert!(hooks.len() > 1);

    let applied = json(&run(&sim, &data, "apply", &["--group-hook", "acme"]).await);
    let reported = &applied["groups"][0];
    assert_eq!(reported["support"], "unknown", "{reported}");
    assert_eq!(reported["action"], "create", "{reported}");
    assert_eq!(reported["covering"], false, "{reported}");
    assert!(
        reported["test_delivery"]
            .as_str()
            .unwrap()
            .contains("project hooks below are kept"),
        "{reported}"
    );
    assert_eq!(project_hooks_below_acme(&sim), hooks, "kept: {applied}");
    assert_eq!(applied["summary"]["covered"], 0);
    assert_eq!(ours(&sim).0, 1, "the group hook stays, to be proved");

    // With commits, the test delivery reaches the receiver: the group hook now covers.
    sim.state(|w| {
        for p in &below {
            w.project_mut(*p).unwrap().empty_repo = false;
        }
    });
    let applied = json(&run(&sim, &data, "apply", &["--group-hook", "acme"]).await);
    let reported = &applied["groups"][0];
    assert_eq!(reported["covering"], true, "{reported}");
    assert_eq!(ours(&sim).0, 1, "the same group hook: {reported}");
    assert!(project_hooks_below_acme(&sim).is_empty(), "{applied}");
    let again = json(&run(&sim, &data, "apply", &["--group-hook", "acme"]).await);
    assert_eq!(again["groups"][0]["action"], "unchanged", "{again}");
    assert!(project_hooks_below_acme(&sim).is_empty());
    // Verify knows the apply proved it: the group hook stands for its projects.
    let verified = run(&sim, &data, "verify", &["--group-hook", "acme"]).await;
    let verified: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(verified["groups"][0]["covering"], true, "{verified}");
    assert_eq!(verified["groups"][0]["action"], "unchanged", "{verified}");
}

#[tokio::test]
async fn a_group_parent_cycle_is_an_error_not_an_endless_loop() {
    use gitlab_onboard::webhooks::{self, EventUrl, Fingerprints, HookSpec, Triggers};
    let sim = common::demo().await;
    // Above acme (owned), research and opensource (not owned) are each other's parent.
    sim.state(|w| {
        let id = |path: &str| w.group_by_path(path).unwrap().id;
        let (acme, research, opensource) = (id("acme"), id("research"), id("opensource"));
        w.group_mut(acme).unwrap().parent_id = Some(research);
        w.group_mut(research).unwrap().parent_id = Some(opensource);
        w.group_mut(opensource).unwrap().parent_id = Some(research);
    });
    let spec = HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: gitlab_onboard::Secret::new("s"),
    };
    let limit = std::time::Duration::from_secs(60);
    let planned = tokio::time::timeout(limit, async {
        let session = common::session(&sim, tokens::API).await.unwrap();
        let report = gitlab_onboard::scopes::detect(&session, &|_| {})
            .await
            .unwrap();
        let selected = webhooks::Selection::default().pick(&report);
        let fingerprints = std::sync::Mutex::new(Fingerprints::in_memory());
        webhooks::groups::plan_run(
            &session.client,
            &report,
            &selected,
            &[],
            &spec,
            &fingerprints,
            &|_| {},
        )
        .await
    })
    .await
    .expect("the plan finishes");
    let acme = planned
        .groups
        .iter()
        .find(|g| g.full_path == "acme")
        .expect("acme is read");
    assert!(
        matches!(&acme.action, webhooks::Action::Failed { code, message } if code == "group_cycle" && message.contains("loop")),
        "{acme:?}"
    );
    assert!(!acme.covering);
    assert!(
        planned
            .projects
            .iter()
            .all(|p| !matches!(p.action, webhooks::Action::Covered { .. })),
        "no project is covered by a group in a cycle"
    );

    // The CLI's plan finishes too, and names the problem.
    let data = tempfile::tempdir().unwrap();
    let out = tokio::time::timeout(limit, run(&sim, &data, "plan", &[]))
        .await
        .expect("the CLI's plan finishes");
    let plan = json(&out);
    let acme = plan["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["full_path"] == "acme")
        .expect("acme in the plan");
    assert_eq!(acme["code"], "group_cycle", "{acme}");
}

fn spec() -> HookSpec {
    HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: Secret::new("group-secret"),
    }
}

async fn step2(sim: &Simulator) -> (Session, TokenReport) {
    let session = common::session(sim, tokens::API).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    (session, report)
}

fn acme(sim: &Simulator) -> u64 {
    sim.state(|w| w.group_by_path("acme").unwrap().id)
}

#[tokio::test]
async fn a_covering_group_hook_removes_only_the_project_hooks_this_tool_set() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim).await;
    let selected = Selection {
        groups: vec!["acme".into()],
        ..Selection::default()
    }
    .pick(&report);
    let asked = groups::asked(&report, &["acme".into()]).unwrap();
    let instance = session.client.url().to_string();
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let secret = spec().secret;
    // Our group hook, set by this tool: it covers the projects below acme.
    let group = group_hook(&sim, gitlab_sim::AlertStatus::Executable);
    fingerprints
        .lock()
        .unwrap()
        .record(&instance, acme(&sim), group, &secret)
        .unwrap();
    // Below it: a project hook this tool set, and one with the crawler's URL it did not.
    let (p1, p2) = (selected[0].id, selected[1].id);
    let (ours, plain) = sim.state(|w| {
        (
            w.add_hook(HookOwner::Project(p1), EVENTS, Some("group-secret")),
            w.add_hook(HookOwner::Project(p2), EVENTS, None),
        )
    });
    fingerprints
        .lock()
        .unwrap()
        .record(&instance, p1, ours, &secret)
        .unwrap();
    let run = groups::apply_run(
        &session.client,
        &report,
        &selected,
        &asked,
        &spec(),
        &fingerprints,
        false,
        None,
        &|_| {},
    )
    .await;
    assert!(run.groups[0].covering, "{:?}", run.groups[0]);
    assert!(sim.state(|w| w.hook(ours).is_none()), "ours is removed");
    assert!(
        sim.state(|w| w.hook(plain).is_some()),
        "one it did not set is kept"
    );
    let outcome = |id: u64| run.projects.iter().find(|o| o.project_id == id).unwrap();
    assert!(
        matches!(outcome(p1).action, Action::Covered { .. }),
        "{:?}",
        outcome(p1)
    );
    assert!(outcome(p1).duplicates.is_empty(), "{:?}", outcome(p1));
    assert_eq!(outcome(p1).removed, vec![ours], "{:?}", outcome(p1));
    let kept = outcome(p2);
    assert_eq!(kept.duplicates, vec![plain], "{kept:?}");
    assert!(kept.removed.is_empty(), "{kept:?}");
    assert_eq!(
        Summary::of(&run.projects).removed,
        1,
        "only the hook this tool set is counted as removed"
    );
    assert!(
        matches!(&kept.action, Action::Manual { reason } if reason.contains("not set by this tool") && reason.contains(&plain.to_string())),
        "{kept:?}"
    );
}

#[tokio::test]
async fn several_group_hooks_with_our_url_none_set_by_this_tool_are_left_to_a_person() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim).await;
    let selected = Selection {
        groups: vec!["acme".into()],
        ..Selection::default()
    }
    .pick(&report);
    let asked = groups::asked(&report, &["acme".into()]).unwrap();
    let hooks = [
        group_hook(&sim, gitlab_sim::AlertStatus::Executable),
        group_hook(&sim, gitlab_sim::AlertStatus::Executable),
    ];
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    sim.clear_requests();
    let run = groups::apply_run(
        &session.client,
        &report,
        &selected,
        &asked,
        &spec(),
        &fingerprints,
        true,
        None,
        &|_| {},
    )
    .await;
    let acme = &run.groups[0];
    assert!(
        matches!(&acme.action, Action::Manual { reason } if reason.contains("several hooks with the crawler's URL, none set by this tool")),
        "{acme:?}"
    );
    assert!(!acme.covering, "{acme:?}");
    assert_eq!(acme.hook_id, None);
    assert_eq!(acme.duplicates, hooks);
    let group_writes: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.path.contains("/groups/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(group_writes.is_empty(), "{group_writes:?}");
    // The projects below keep (here: get) their own hooks.
    assert!(
        run.projects
            .iter()
            .all(|o| !matches!(o.action, Action::Covered { .. })),
        "{:?}",
        run.projects
    );
}

#[tokio::test]
async fn where_the_plan_is_unknown_verify_does_not_take_an_unproved_group_hook_for_ok() {
    let sim = common::demo().await;
    sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        w.group_mut(acme).unwrap().plan = "default".into();
    });
    // A correct group hook, made by hand: whether this GitLab runs it is not known.
    group_hook(&sim, gitlab_sim::AlertStatus::Executable);
    let (session, report) = step2(&sim).await;
    let selected = Selection {
        groups: vec!["acme".into()],
        ..Selection::default()
    }
    .pick(&report);
    let asked = groups::asked(&report, &["acme".into()]).unwrap();
    let verified = groups::verify_run(
        &session.client,
        &report,
        &selected,
        &asked,
        &spec(),
        &Fingerprints::in_memory(),
        &|_| {},
    )
    .await;
    let acme = &verified.groups[0];
    assert_eq!(
        acme.action,
        Action::Manual {
            reason: groups::NOT_PROVED.into()
        }
    );
    assert!(!acme.covering, "{acme:?}");
    assert_eq!(verified.groups_not_ok(&asked), 1);
    assert!(!verified.projects.is_empty());
    for c in &verified.projects {
        assert!(
            matches!(&c.check, Check::Unknown { reason } if reason.contains("not proved")),
            "{c:?}"
        );
    }
    // Nothing was written by the verify.
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn a_group_hook_with_a_branch_filter_covers_nothing_until_it_is_cleared() {
    let sim = common::demo().await;
    let (session, report) = step2(&sim).await;
    let selected = Selection {
        groups: vec!["acme".into()],
        ..Selection::default()
    }
    .pick(&report);
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    // Our group hook, set by this tool, since limited to pushes on `main`.
    let group = group_hook(&sim, gitlab_sim::AlertStatus::Executable);
    fingerprints
        .lock()
        .unwrap()
        .record(
            &session.client.url().to_string(),
            acme(&sim),
            group,
            &spec().secret,
        )
        .unwrap();
    sim.state(|w| w.hook_mut(group).unwrap().push_events_branch_filter = "main".into());
    let planned = groups::plan_run(
        &session.client,
        &report,
        &selected,
        &[],
        &spec(),
        &fingerprints,
        &|_| {},
    )
    .await;
    let hook = &planned.groups[0];
    assert!(
        matches!(&hook.action, Action::Update { reasons } if reasons.iter().any(|r| r.contains("branches matching a filter"))),
        "{hook:?}"
    );
    assert!(!hook.covering, "{hook:?}");
    assert!(
        planned
            .projects
            .iter()
            .all(|o| !matches!(o.action, Action::Covered { .. })),
        "pushes to other branches would be lost: {:?}",
        planned.projects
    );
    // Asked for, it is set as wanted, and then covers.
    let asked = groups::asked(&report, &["acme".into()]).unwrap();
    let applied = groups::apply_run(
        &session.client,
        &report,
        &selected,
        &asked,
        &spec(),
        &fingerprints,
        false,
        None,
        &|_| {},
    )
    .await;
    assert!(applied.groups[0].covering, "{:?}", applied.groups[0]);
    assert_eq!(
        sim.state(|w| {
            let h = w.hook(group).unwrap();
            (
                h.push_events_branch_filter.clone(),
                h.branch_filter_strategy.clone(),
            )
        }),
        (String::new(), "all_branches".to_owned())
    );
}

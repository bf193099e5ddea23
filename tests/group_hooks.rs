//! Group webhooks through the CLI against the simulator: one hook on an owned Premium group in
//! place of its project hooks, never a project hooked twice, the Free plan and ownership.

mod common;

use common::{cli_env, stderr};
use gitlab_sim::{HookOwner, Simulator, tokens};
use serde_json::Value;

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

async fn run(
    sim: &Simulator,
    data: &tempfile::TempDir,
    verb: &str,
    extra: &[&str],
) -> std::process::Output {
    let url = sim.url();
    let mut args = vec![
        "webhooks",
        verb,
        "--gitlab-url",
        &url,
        "--event-url",
        EVENTS,
        "--secret-env",
        "HOOK_SECRET",
        "--json",
    ];
    args.extend_from_slice(extra);
    let env = [
        ("HOOK_SECRET", "group-secret"),
        ("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap()),
    ];
    cli_env(&args, Some(tokens::API), None, &env).await
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

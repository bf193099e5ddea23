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

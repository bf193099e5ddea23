//! Runs python-gitlab, the real client from PyPI, against the simulator
//! (`tests/python_gitlab_check.py`), then checks in the simulator's state what really happened.
//!
//! Python: `$GITLAB_ONBOARD_PYTHON`, else `<workspace>/.venv/bin/python`, with python-gitlab
//! installed (`python3 -m venv .venv && .venv/bin/pip install python-gitlab`).

use gitlab_sim::{Knobs, RateLimit, Simulator, World, access, tokens};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

fn python() -> PathBuf {
    let python = std::env::var_os("GITLAB_ONBOARD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", "import gitlab"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "python-gitlab not available at {} (set GITLAB_ONBOARD_PYTHON, or run \
         `python3 -m venv .venv && .venv/bin/pip install python-gitlab` in the workspace)",
        python.display()
    );
    python
}

/// Runs one phase of the script off the async runtime; returns its JSON result.
async fn run(phase: &str, expectations: Value) -> Value {
    let python = python();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/python_gitlab_check.py");
    let phase = phase.to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(phase)
            .arg(expectations.to_string())
            .output()
    })
    .await
    .expect("joined")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python-gitlab check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("the script prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python-gitlab (PyPI); cargo xtask test runs it"]
async fn python_gitlab_works_against_the_simulator() {
    let sim = Simulator::start(World::demo()).await.expect("sim starts");
    let token_map: serde_json::Map<String, Value> = tokens::ALL
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let expectations = sim.state(|w| {
        let main = w.user_by_username(tokens::MAIN_USER).unwrap().id;
        let hook_project = w.project_by_path("acme/web/storefront").unwrap().id;
        json!({
            "url": sim.url(),
            "tokens": token_map,
            "main_user": tokens::MAIN_USER,
            "version": w.version.version,
            "visible_projects": w.visible_projects(main).len(),
            "maintainer_projects": w.member_projects(main, access::MAINTAINER).len(),
            "hook_project": "acme/web/storefront",
            "developer_project": "opensource/cli",
            "direct_members": w.members(gitlab_sim::Source::Project(hook_project)).count(),
            "all_members": w.members_all(gitlab_sim::Source::Project(hook_project)).count(),
        })
    });
    assert!(
        expectations["visible_projects"].as_u64().unwrap() > 20,
        "a list longer than one keyset page"
    );
    let result = run("main", expectations).await;

    let hook_id = result["hook_id"].as_u64().expect("hook id");
    let hook = sim
        .state(|w| w.hook(hook_id).cloned())
        .expect("the hook exists in the simulator");
    assert_eq!(hook.token.as_deref(), Some("py-secret"));
    assert_eq!(hook.url, "https://crawler.example/gitlab/hook");
    assert!(
        hook.event("merge_requests_events")
            && hook.event("tag_push_events")
            && hook.event("push_events")
    );
    assert_eq!(hook.test_triggers, vec!["push_events".to_string()]);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(
        posts.iter().filter(|r| r.status == 201).count(),
        2,
        "create + test: {posts:?}"
    );
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.path.contains("pagination=keyset") && r.path.contains("id_after="))
    );

    // 429s are retried by python-gitlab after Retry-After.
    sim.clear_requests();
    sim.set_knobs(Knobs {
        rate_limit: Some(RateLimit {
            limit: 3,
            window: Duration::from_secs(1),
        }),
        ..Knobs::default()
    });
    let calls = 9;
    let start = Instant::now();
    let result = run("ratelimit", json!({ "url": sim.url(), "tokens": { "api": tokens::API }, "calls": calls, "version": "18.1.1-ee" })).await;
    let throttled = sim.requests().iter().filter(|r| r.throttled).count();
    assert!(throttled > 0, "some requests were throttled");
    let ok = sim.requests().iter().filter(|r| r.status == 200).count();
    assert_eq!(ok, calls, "every call succeeded in the end");
    // 9 calls at 3 per second need at least two window changes.
    let elapsed = result["elapsed"].as_f64().unwrap();
    assert!(
        elapsed >= 1.0,
        "python-gitlab waited for the window: {elapsed}s"
    );
    assert!(start.elapsed() < Duration::from_secs(30));
}

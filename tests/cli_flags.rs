//! Each `webhooks` flag through the CLI binary, checked on the simulator's hooks.

mod common;

use common::{EVENTS, hook_cli, stderr};
use gitlab_sim::{HookOwner, Simulator, tokens};
use serde_json::Value;

/// Runs `webhooks <verb>` with `--json` and the secret from `HOOK_SECRET` (unless `secret` is
/// `None`: then the keychain), in `data`.
async fn webhooks(
    sim: &Simulator,
    data: &tempfile::TempDir,
    verb: &str,
    extra: &[&str],
    secret: Option<&str>,
) -> (std::process::Output, Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let out = hook_cli(
        sim,
        data.path(),
        &["webhooks", verb],
        &args,
        tokens::API,
        secret,
    )
    .await;
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

/// Our hooks on every project: (project, events, token).
fn ours(
    sim: &Simulator,
) -> Vec<(
    u64,
    std::collections::BTreeMap<String, bool>,
    Option<String>,
)> {
    sim.state(|w| {
        w.hooks()
            .filter(|h| h.url == EVENTS)
            .filter_map(|h| match h.owner {
                HookOwner::Project(p) => Some((p, h.events.clone(), h.token.clone())),
                HookOwner::Group(_) => None,
            })
            .collect()
    })
}

fn event(events: &std::collections::BTreeMap<String, bool>, name: &str) -> bool {
    events.get(name).copied().unwrap_or(false)
}

#[tokio::test]
async fn tag_push_and_confidential_set_their_triggers() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let plain = ours(&sim);
    assert!(!plain.is_empty());
    for (p, events, _) in &plain {
        assert!(event(events, "push_events"), "{p}");
        assert!(!event(events, "tag_push_events"), "{p}");
        assert!(!event(events, "confidential_issues_events"), "{p}");
        assert!(!event(events, "confidential_note_events"), "{p}");
    }

    let (out, json) = webhooks(&sim, &data, "apply", &["--tag-push"], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json["summary"]["update"], plain.len());
    assert!(ours(&sim).iter().all(|(_, e, _)| event(e, "tag_push_events")
        && !event(e, "confidential_issues_events")));

    let (out, json) = webhooks(&sim, &data, "apply", &["--confidential"], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json["summary"]["update"], plain.len());
    let after = ours(&sim);
    assert_eq!(after.len(), plain.len(), "updated in place, none added");
    assert!(after.iter().all(|(_, e, _)| !event(e, "tag_push_events")
        && event(e, "confidential_issues_events")
        && event(e, "confidential_note_events")));
}

#[tokio::test]
async fn duplicates_are_reported_and_pruned_only_when_asked() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let (project, _, _) = ours(&sim)[0].clone();
    let (copy, other) = sim.state(|w| {
        (
            w.add_hook(HookOwner::Project(project), EVENTS, Some("s")),
            w.add_hook(
                HookOwner::Project(project),
                "https://other.example.com/hook",
                None,
            ),
        )
    });

    let (out, json) = webhooks(&sim, &data, "apply", &[], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json["summary"]["duplicates"], 1);
    assert!(
        sim.state(|w| w.hook(copy).is_some()),
        "kept without the flag"
    );

    let (out, _) = webhooks(&sim, &data, "apply", &["--prune-duplicates"], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let on_project = ours(&sim).iter().filter(|(p, _, _)| *p == project).count();
    assert_eq!(on_project, 1, "one hook of ours left");
    assert!(
        sim.state(|w| w.hook(other).is_some()),
        "other hooks untouched"
    );
    let (_, json) = webhooks(&sim, &data, "apply", &[], Some("s")).await;
    assert_eq!(json["summary"]["duplicates"], 0);
}

#[tokio::test]
async fn test_delivery_sends_one_test_per_correct_hook() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[], Some("s")).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let hooked = ours(&sim).len();

    let tests = |sim: &Simulator| {
        sim.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.contains("/test/push_events"))
            .count()
    };
    let (_, json) = webhooks(&sim, &data, "verify", &[], Some("s")).await;
    assert_eq!(json["ok"], hooked);
    assert_eq!(tests(&sim), 0, "no test without the flag");

    let (_, json) = webhooks(&sim, &data, "verify", &["--test-delivery"], Some("s")).await;
    assert_eq!(tests(&sim), hooked);
    let reported = json["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "ok")
        .filter(|p| p["test_delivery"].is_string())
        .count();
    assert_eq!(reported, hooked, "{json}");
}

#[tokio::test]
#[ignore = "needs a running Secret Service; cargo xtask test runs it"]
async fn apply_without_a_secret_makes_one_shows_it_once_and_keeps_it() {
    use gitlab_onboard::GitLabUrl;
    use gitlab_onboard::keychain::Keychain;
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let keychain = Keychain::system().unwrap();
    keychain.delete_webhook_secret(&url).unwrap();

    let (out, json) = webhooks(&sim, &data, "apply", &[], None).await;
    let result = std::panic::catch_unwind(|| {
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("Generated a webhook secret"), "{err}");
        let secret = err
            .lines()
            .find(|l| l.len() == 64 && l.chars().all(|c| c.is_ascii_hexdigit()))
            .expect("the secret is shown")
            .to_owned();
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&secret));
        assert!(json["summary"]["create"].as_u64().unwrap() > 0);
        secret
    });
    let saved = keychain.webhook_secret(&url).unwrap();
    let secret = result.unwrap_or_else(|e| {
        keychain.delete_webhook_secret(&url).unwrap();
        std::panic::resume_unwind(e)
    });
    assert_eq!(saved.as_ref().map(|s| s.expose()), Some(secret.as_str()));
    let all_set = ours(&sim)
        .iter()
        .all(|(_, _, token)| token.as_deref() == Some(secret.as_str()));

    let (again, json) = webhooks(&sim, &data, "apply", &[], None).await;
    keychain.delete_webhook_secret(&url).unwrap();
    assert!(all_set, "every hook carries the generated secret");
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        !stderr(&again).contains("Generated"),
        "shown once: {}",
        stderr(&again)
    );
    assert_eq!(json["summary"]["create"], 0);
    assert_eq!(json["summary"]["update"], 0, "the kept secret matches");
}

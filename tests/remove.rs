//! Day two, removal: `webhooks remove` and `logout --all` through the CLI binary against the
//! simulator.

mod common;

use common::{cli_env, stderr};
use gitlab_sim::{HookOwner, Knobs, Simulator, tokens};
use serde_json::Value;

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";
const SECRET: &str = "remove-secret";

/// Runs `webhooks <verb> --json` with the secret from `HOOK_SECRET`, in `data`.
async fn webhooks(
    sim: &Simulator,
    data: &tempfile::TempDir,
    verb: &str,
    extra: &[&str],
) -> (std::process::Output, Value) {
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
        ("HOOK_SECRET", SECRET),
        ("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let out = cli_env(&args, Some(tokens::API), None, &env).await;
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, json)
}

/// IDs of the hooks whose URL is exactly the crawler's, project and group.
fn with_our_url(sim: &Simulator) -> Vec<u64> {
    sim.state(|w| {
        w.hooks()
            .filter(|h| h.url == EVENTS)
            .map(|h| h.id)
            .collect()
    })
}

/// Writes the simulator saw since it was last cleared (`METHOD path`).
fn writes(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// The project of the first hook with our URL.
fn a_hooked_project(sim: &Simulator) -> u64 {
    sim.state(|w| {
        w.hooks()
            .filter(|h| h.url == EVENTS)
            .find_map(|h| match h.owner {
                HookOwner::Project(p) => Some(p),
                HookOwner::Group(_) => None,
            })
            .expect("apply hooked a project")
    })
}

#[tokio::test]
async fn remove_deletes_every_crawler_hook_and_nothing_else_and_a_second_run_writes_nothing() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let applied = with_our_url(&sim).len();
    assert!(applied > 1);
    let project = a_hooked_project(&sim);
    let (other, credentialed, by_hand) = sim.state(|w| {
        (
            w.add_hook(
                HookOwner::Project(project),
                "https://other.example.com/hook",
                None,
            ),
            w.add_hook(
                HookOwner::Project(project),
                "https://tenant:pw@crawler.example.com/instance/gitlab/events",
                None,
            ),
            // Beside ours: the only other hook with our URL, so the crawler's as well.
            w.add_hook(HookOwner::Project(project), EVENTS, Some("typed")),
        )
    });

    let (out, json) = webhooks(&sim, &data, "remove", &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json["carried_out"], true, "{json}");
    assert_eq!(json["summary"]["deleted"], applied + 1, "{json}");
    assert_eq!(json["summary"]["delete"], 0, "{json}");
    assert!(with_our_url(&sim).is_empty(), "no crawler hook remains");
    sim.state(|w| {
        assert!(w.hook(other).is_some(), "another URL is never ours");
        assert!(w.hook(credentialed).is_some(), "nor one with credentials");
        assert!(w.hook(by_hand).is_none());
    });
    let fingerprints: Value =
        serde_json::from_slice(&std::fs::read(data.path().join("hooks.json")).unwrap()).unwrap();
    assert_eq!(
        fingerprints["hooks"],
        serde_json::json!({}),
        "the deleted hooks' fingerprints are forgotten"
    );

    sim.clear_requests();
    let (out, json) = webhooks(&sim, &data, "remove", &[]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json["summary"]["delete"], 0);
    assert!(!sim.requests().is_empty());
    assert!(writes(&sim).is_empty(), "{:?}", writes(&sim));
}

#[tokio::test]
async fn without_yes_and_without_a_terminal_nothing_is_written_and_the_exit_is_2() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let before = with_our_url(&sim);
    sim.clear_requests();

    let (out, json) = webhooks(&sim, &data, "remove", &[]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert_eq!(json["carried_out"], false, "the plan is shown: {json}");
    assert_eq!(json["summary"]["delete"], before.len());
    assert!(writes(&sim).is_empty(), "{:?}", writes(&sim));
    assert_eq!(with_our_url(&sim), before);

    // The table says what would go.
    let url = sim.url();
    let env = [
        ("HOOK_SECRET", SECRET),
        ("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let out = cli_env(
        &[
            "webhooks",
            "remove",
            "--gitlab-url",
            &url,
            "--event-url",
            EVENTS,
            "--secret-env",
            "HOOK_SECRET",
        ],
        Some(tokens::API),
        None,
        &env,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains(&format!("{} hooks to delete", before.len())),
        "{table}"
    );
    assert!(table.lines().any(|l| l.starts_with("delete ")), "{table}");
    assert!(writes(&sim).is_empty());
}

/// Runs `webhooks remove` on a terminal (a pseudo-terminal from util-linux `script`), typing
/// `answer`; `None` where there is no `script`.
#[cfg(target_os = "linux")]
async fn remove_on_a_terminal(
    sim: &Simulator,
    data: &tempfile::TempDir,
    answer: &str,
) -> Option<std::process::Output> {
    use tokio::io::AsyncWriteExt;
    let script = std::path::Path::new("/usr/bin/script");
    if !script.exists() {
        return None;
    }
    let command = format!(
        "{} webhooks remove --gitlab-url {} --event-url {EVENTS} --secret-env HOOK_SECRET",
        env!("CARGO_BIN_EXE_gitlab-onboard"),
        sim.url()
    );
    let mut child = tokio::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .env("GITLAB_TOKEN", tokens::API)
        .env("HOOK_SECRET", SECRET)
        .env("GITLAB_ONBOARD_DATA_DIR", data.path())
        .env(
            "GITLAB_ONBOARD_FINGERPRINT_KEY",
            "cli-tests-fingerprint-key-0123456789abcdef",
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("script starts");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(answer.as_bytes()).await.unwrap();
    drop(stdin);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("the CLI answers within a minute")
        .unwrap();
    Some(out)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn on_a_terminal_it_asks_and_deletes_only_on_yes() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let applied = with_our_url(&sim).len();
    sim.clear_requests();
    let Some(out) = remove_on_a_terminal(&sim, &data, "n\n").await else {
        eprintln!("skipped: no util-linux `script` for a pseudo-terminal");
        return;
    };
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&format!("Delete {applied} hooks? [y/N]")),
        "{shown}"
    );
    assert!(shown.contains("Nothing deleted."), "{shown}");
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(writes(&sim).is_empty(), "{:?}", writes(&sim));
    assert_eq!(with_our_url(&sim).len(), applied);

    let out = remove_on_a_terminal(&sim, &data, "y\n").await.unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(with_our_url(&sim).is_empty(), "{shown}");
}

#[tokio::test]
async fn a_group_hook_of_ours_is_removed_too() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, json) = webhooks(&sim, &data, "apply", &["--group-hook", "acme"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json["groups"][0]["action"], "create", "{json}");
    let (group_hook, foreign) = sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        let ours = w
            .hooks_of_group(acme)
            .iter()
            .find(|h| h.url == EVENTS)
            .map(|h| h.id)
            .unwrap();
        let foreign = w.add_hook(HookOwner::Group(acme), "https://other.example.com/g", None);
        (ours, foreign)
    });

    let (out, json) = webhooks(&sim, &data, "remove", &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let group = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["path"] == "acme")
        .unwrap_or_else(|| panic!("acme is in scope: {json}"));
    assert_eq!(group["status"], "deleted", "{group}");
    assert_eq!(group["deleted"], serde_json::json!([group_hook]));
    assert!(with_our_url(&sim).is_empty());
    assert!(sim.state(|w| w.hook(foreign).is_some()));

    // Only projects selected: group hooks are out of scope.
    let (_, json) = webhooks(&sim, &data, "remove", &["--project", "1"]).await;
    assert_eq!(json["groups"], serde_json::json!([]), "{json}");
}

#[tokio::test]
async fn a_lost_answer_on_a_delete_is_proved_by_a_re_read() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let applied = with_our_url(&sim).len();
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(2),
        ..Knobs::default()
    });
    sim.clear_requests();

    let (out, json) = webhooks(&sim, &data, "remove", &["--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(with_our_url(&sim).is_empty(), "{json}");
    assert_eq!(json["summary"]["deleted"], applied);
    let lost = sim
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE" && r.status == 502)
        .count();
    assert!(lost > 0, "answers were lost");
    let deletes = sim
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(
        deletes, applied,
        "a lost answer is never followed by a blind retry"
    );
}

#[tokio::test]
async fn several_hooks_set_by_hand_are_left_to_a_person() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let applied = with_our_url(&sim).len();
    // Beside ours, two hooks with our URL that this tool did not set: which are the
    // crawler's is not known.
    let project = a_hooked_project(&sim);
    let hand = sim.state(|w| {
        let mut two = [
            w.add_hook(HookOwner::Project(project), EVENTS, None),
            w.add_hook(HookOwner::Project(project), EVENTS, None),
        ];
        two.sort_unstable();
        two
    });
    let (out, json) = webhooks(&sim, &data, "remove", &["--yes"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(json["summary"]["deleted"], applied, "{json}");
    assert_eq!(json["summary"]["left"], 2, "{json}");
    let left = json["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == project)
        .unwrap();
    assert_eq!(left["status"], "manual", "{left}");
    assert_eq!(left["left"], serde_json::json!(hand), "{left}");
    let mut remaining = with_our_url(&sim);
    remaining.sort_unstable();
    assert_eq!(remaining, hand.to_vec());

    sim.clear_requests();
    let (out, _) = webhooks(&sim, &data, "remove", &["--yes"]).await;
    assert_eq!(out.status.code(), Some(4), "still left: {}", stderr(&out));
    assert!(writes(&sim).is_empty(), "{:?}", writes(&sim));
}

#[tokio::test]
async fn a_hook_changed_after_the_plan_is_kept_and_one_gone_counts_as_deleted() {
    use gitlab_onboard::scopes::{self, HookAccess};
    use gitlab_onboard::webhooks::{EventUrl, Fingerprints, HookSpec, Selection, Triggers, remove};
    use std::sync::Mutex;

    let sim = common::demo().await;
    let session = common::session(&sim, tokens::API).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    let projects = Selection::default().pick(&report);
    let spec = HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: gitlab_onboard::Secret::new(SECRET),
    };
    let writable: Vec<u64> = projects
        .iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .map(|p| p.id)
        .take(3)
        .collect();
    assert_eq!(writable.len(), 3);
    // Set by hand, one on each: the crawler's (the only hook with its URL there).
    let hooks: Vec<u64> = sim.state(|w| {
        writable
            .iter()
            .map(|p| w.add_hook(HookOwner::Project(*p), EVENTS, None))
            .collect()
    });
    let (changed, gone, kept) = (hooks[0], hooks[1], hooks[2]);
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    let planned = remove::plan(
        &session.client,
        &report,
        &projects,
        &[],
        &spec,
        &Fingerprints::in_memory(),
        &|_| {},
    )
    .await;
    assert_eq!(planned.summary().delete, 3);
    assert!(
        sim.requests().iter().all(|r| r.method == "GET"),
        "a plan writes nothing"
    );

    // Meanwhile, one is pointed elsewhere and one deleted by someone else.
    sim.state(|w| {
        w.hook_mut(changed).unwrap().url = "https://elsewhere.example.com/e".into();
        w.remove_hook(gone);
    });
    let done = remove::remove(
        &session.client,
        &report,
        &planned,
        &spec,
        &fingerprints,
        &|_| {},
    )
    .await;
    let of = |hook: u64| {
        done.projects
            .iter()
            .find(|t| t.delete.contains(&hook) || t.deleted.contains(&hook))
            .unwrap()
    };
    assert!(
        matches!(&of(changed).status, remove::Status::Failed { code, .. } if code == "hook_changed"),
        "{:?}",
        of(changed)
    );
    assert!(
        sim.state(|w| w.hook(changed).is_some()),
        "not ours any more: kept"
    );
    assert_eq!(of(gone).status, remove::Status::Deleted);
    assert_eq!(of(kept).status, remove::Status::Deleted);
    assert!(sim.state(|w| w.hook(kept).is_none()));
    assert!(done.incomplete(), "the changed hook is reported");
    assert_eq!(done.summary().deleted, 2);
}

/// Runs `logout --all` for the simulator's instance, with no keychain reachable (on Linux:
/// a Secret Service address that does not exist).
async fn logout_all(sim: &Simulator, data: &tempfile::TempDir) -> std::process::Output {
    let url = sim.url();
    cli_env(
        &["logout", "--all", "--gitlab-url", &url],
        None,
        None,
        &[
            ("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap()),
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/gitlab-onboard-test-bus",
            ),
        ],
    )
    .await
}

#[tokio::test]
async fn logout_all_removes_the_instances_files_and_keeps_other_instances() {
    use gitlab_onboard::files::RunLock;
    use gitlab_onboard::webhooks::fingerprints::FingerprintKey;
    use gitlab_onboard::webhooks::{EventUrl, HookSpec, Journal, RunOptions, Triggers};

    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let (out, _) = webhooks(&sim, &data, "apply", &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // Another instance's fingerprint, and an interrupted apply's journal for this one.
    let path = data.path().join("hooks.json");
    let mut file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let ours = file["hooks"].as_object().unwrap().len();
    assert!(ours > 0);
    file["hooks"]["https://other.example.com#1#2"] = Value::from("ab");
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    {
        let lock = RunLock::acquire(data.path()).unwrap();
        let spec = HookSpec {
            url: EventUrl::parse(EVENTS).unwrap(),
            triggers: Triggers::default(),
            secret: gitlab_onboard::Secret::new(SECRET),
        };
        let key = FingerprintKey::generate();
        let options = RunOptions::default();
        Journal::open(&lock, &sim.url(), &spec, &options, &key).unwrap();
        Journal::open(&lock, "https://other.example.com", &spec, &options, &key).unwrap();
    }
    let journals = || {
        std::fs::read_dir(data.path())
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("apply-") && name.ends_with(".jsonl")
            })
            .count()
    };
    assert_eq!(journals(), 2);

    let out = logout_all(&sim, &data).await;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("Removed {ours} hook fingerprints of")),
        "{said}"
    );
    assert!(said.contains("Removed 1 apply journals of"), "{said}");
    let file: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        file["hooks"],
        serde_json::json!({"https://other.example.com#1#2": "ab"}),
        "other instances are kept"
    );
    assert_eq!(journals(), 1, "the other instance's journal is kept");
    #[cfg(target_os = "linux")]
    {
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("keychain"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }

    // A second logout finds nothing left.
    let out = logout_all(&sim, &data).await;
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Removed 0 hook fingerprints"), "{said}");
    assert!(said.contains("Removed 0 apply journals"), "{said}");
}

#[tokio::test]
#[ignore = "needs a running Secret Service; cargo xtask test runs it"]
async fn logout_all_forgets_the_token_the_secret_and_the_fingerprint_key() {
    use gitlab_onboard::keychain::Keychain;
    use gitlab_onboard::{GitLabUrl, Secret};
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let keychain = Keychain::system().unwrap();
    keychain.store_token(&url, &Secret::new("t")).unwrap();
    keychain
        .store_webhook_secret(&url, &Secret::new("s"))
        .unwrap();
    keychain
        .store_fingerprint_key(&url, &Secret::new("k"))
        .unwrap();
    let out = cli_env(
        &["logout", "--all", "--gitlab-url", &sim.url()],
        None,
        None,
        &[("GITLAB_ONBOARD_DATA_DIR", data.path().to_str().unwrap())],
    )
    .await;
    let left = (
        keychain.token(&url).unwrap().is_some(),
        keychain.webhook_secret(&url).unwrap().is_some(),
        keychain.fingerprint_key(&url).unwrap().is_some(),
    );
    keychain.delete_token(&url).unwrap();
    keychain.delete_webhook_secret(&url).unwrap();
    keychain.delete_fingerprint_key(&url).unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(left, (false, false, false));
    let said = String::from_utf8_lossy(&out.stdout);
    for what in ["token", "webhook secret", "hook-fingerprint key"] {
        assert!(said.contains(&format!("Forgot the {what} for")), "{said}");
    }
}

//! `gitlab-onboard webhooks apply` as an admin meets it: one run at a time per data directory,
//! interrupted runs (Ctrl-C, kill -9) that resume, and every project ending with one hook.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{cli_env, stderr};
use gitlab_sim::{Knobs, Simulator, tokens};
use serde_json::Value;
use tokio::io::AsyncBufReadExt;

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

/// A key for the hook fingerprints, so these tests need no keychain.
const FINGERPRINT_KEY: &str = "test-fingerprint-key-0123456789abcdef";

/// How long any one wait in these tests may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(120);

fn env(data: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("HOOK_SECRET", "runs-secret".to_owned()),
        ("GITLAB_ONBOARD_DATA_DIR", data.display().to_string()),
        ("GITLAB_ONBOARD_FINGERPRINT_KEY", FINGERPRINT_KEY.to_owned()),
        ("GITLAB_TOKEN", tokens::API.to_owned()),
    ]
}

fn args<'a>(sim_url: &'a str, verb: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "webhooks",
        verb,
        "--gitlab-url",
        sim_url,
        "--event-url",
        EVENTS,
        "--secret-env",
        "HOOK_SECRET",
    ];
    a.extend_from_slice(extra);
    a
}

/// Runs the CLI to the end.
async fn run(data: &Path, args: &[&str]) -> std::process::Output {
    let env = env(data);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let token = env.iter().find(|(k, _)| *k == "GITLAB_TOKEN").unwrap().1;
    tokio::time::timeout(PATIENCE, cli_env(args, Some(token), None, &env))
        .await
        .expect("the CLI finishes in time")
}

/// A CLI run in the background whose standard error is read as it comes.
struct Background {
    child: tokio::process::Child,
    stderr: Arc<Mutex<String>>,
}

impl Background {
    fn start(data: &Path, args: &[&str]) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitlab-onboard"))
            .args(args)
            .env_remove("GITLAB_URL")
            .envs(env(data))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the CLI starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Self { child, stderr }
    }

    fn pid(&self) -> String {
        self.child.id().expect("still running").to_string()
    }

    /// Projects reported so far (`[n/total] path: what` lines).
    fn progress(&self) -> usize {
        self.stderr
            .lock()
            .unwrap()
            .lines()
            .filter(|l| l.starts_with('['))
            .count()
    }

    /// Waits until `n` projects were reported.
    async fn wait_for_progress(&self, n: usize) {
        tokio::time::timeout(PATIENCE, async {
            while self.progress() < n {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no progress after {PATIENCE:?}: {}",
                self.stderr.lock().unwrap()
            )
        });
    }

    /// Sends a signal with the system's `kill`, then waits for the exit.
    async fn signal(mut self, signal: &str) -> (std::process::ExitStatus, String) {
        let sent = std::process::Command::new("kill")
            .args([signal, &self.pid()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let status = tokio::time::timeout(PATIENCE, self.child.wait())
            .await
            .expect("the CLI stops in time")
            .unwrap();
        // Let the reader drain the pipe.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let text = self.stderr.lock().unwrap().clone();
        (status, text)
    }
}

/// The projects apply can hook (a plan says `create` for them on a fresh world).
async fn hookable(sim: &Simulator, data: &Path) -> Vec<u64> {
    let url = sim.url();
    let out = run(data, &args(&url, "plan", &["--json"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<u64> = plan["projects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["action"] == "create")
        .map(|p| p["project_id"].as_u64().unwrap())
        .collect();
    assert!(
        ids.len() >= 8,
        "enough projects to interrupt: {}",
        ids.len()
    );
    ids
}

/// Hooks with the crawler's URL per project: (count, tag push on for all of them).
fn our_hooks(sim: &Simulator, projects: &[u64]) -> BTreeMap<u64, (usize, bool)> {
    sim.state(|w| {
        projects
            .iter()
            .map(|&p| {
                let ours: Vec<_> = w
                    .hooks_of_project(p)
                    .into_iter()
                    .filter(|h| h.url == EVENTS)
                    .collect();
                let tag_push = ours
                    .iter()
                    .all(|h| h.events.get("tag_push_events") == Some(&true));
                (p, (ours.len(), tag_push))
            })
            .collect()
    })
}

fn assert_one_hook_each(sim: &Simulator, projects: &[u64], tag_push: bool) {
    for (p, (count, tagged)) in our_hooks(sim, projects) {
        assert_eq!(count, 1, "project {p} has {count} hooks of ours");
        assert_eq!(tagged, tag_push, "project {p}: tag push events");
    }
}

/// Slows every answer so a run with one request at a time lasts long enough to interrupt.
fn slow(sim: &Simulator) {
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(60),
        ..Knobs::default()
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_is_refused_while_one_runs() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let url = sim.url();
    slow(&sim);
    let first = Background::start(data.path(), &args(&url, "apply", &["--concurrency", "1"]));
    first.wait_for_progress(1).await;
    let pid = first.pid();

    let second = run(data.path(), &args(&url, "apply", &["--concurrency", "1"])).await;
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    let err = stderr(&second);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("another webhook run") && err.contains(&format!("pid {pid}")),
        "{err}"
    );

    assert!(
        !err.contains("Generated"),
        "refused before a secret or any state is touched"
    );

    // The first run was not disturbed: it stops on Ctrl-C as usual and keeps its journal.
    let (status, text) = first.signal("-INT").await;
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(text.contains("Run the same command again"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_then_a_rerun_resumes_and_hooks_every_project_once() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let url = sim.url();
    let projects = hookable(&sim, data.path()).await;
    slow(&sim);
    let apply = Background::start(data.path(), &args(&url, "apply", &["--concurrency", "1"]));
    apply.wait_for_progress(3).await;
    let (status, text) = apply.signal("-INT").await;
    assert_eq!(status.code(), Some(130), "Ctrl-C exits 130: {text}");
    assert!(text.contains("Run the same command again"), "{text}");
    let hooked = our_hooks(&sim, &projects)
        .values()
        .filter(|(n, _)| *n > 0)
        .count();
    assert!(
        hooked >= 3 && hooked < projects.len(),
        "stopped part-way: {hooked} of {}",
        projects.len()
    );

    sim.set_knobs(Knobs::default());
    let out = run(data.path(), &args(&url, "apply", &[])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Resuming an interrupted apply"),
        "the journal is used: {err}"
    );
    assert_one_hook_each(&sim, &projects, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_then_a_rerun_resumes_and_hooks_every_project_once() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let url = sim.url();
    let projects = hookable(&sim, data.path()).await;
    slow(&sim);
    let apply = Background::start(data.path(), &args(&url, "apply", &["--concurrency", "4"]));
    apply.wait_for_progress(4).await;
    let (status, _) = apply.signal("-KILL").await;
    assert_eq!(status.code(), None, "killed by a signal");

    // The lock died with the process; the journal survived it.
    sim.set_knobs(Knobs::default());
    let out = run(data.path(), &args(&url, "apply", &[])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Resuming an interrupted apply"),
        "{}",
        stderr(&out)
    );
    assert_one_hook_each(&sim, &projects, false);
    let again = run(data.path(), &args(&url, "apply", &["--json"])).await;
    let json: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json["summary"]["create"], 0);
    assert_eq!(
        json["summary"]["update"], 0,
        "fingerprints survived the kill"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_differently_specced_interrupted_applies_then_reruns_hook_every_project() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let url = sim.url();
    let projects = hookable(&sim, data.path()).await;
    slow(&sim);
    let plain = args(&url, "apply", &["--concurrency", "2"]);
    let tagged = args(&url, "apply", &["--concurrency", "2", "--tag-push"]);
    let a = Background::start(data.path(), &plain);
    a.wait_for_progress(3).await;
    a.signal("-INT").await;
    let b = Background::start(data.path(), &tagged);
    b.wait_for_progress(5).await;
    b.signal("-INT").await;

    sim.set_knobs(Knobs::default());
    let out = run(data.path(), &args(&url, "apply", &[])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_one_hook_each(&sim, &projects, false);
    let out = run(data.path(), &args(&url, "apply", &["--tag-push"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_one_hook_each(&sim, &projects, true);
}

#[tokio::test]
async fn local_state_is_private_and_a_damaged_fingerprint_file_is_kept_aside() {
    let sim = common::demo().await;
    let base = tempfile::tempdir().unwrap();
    let data = base.path().join("state");
    let url = sim.url();
    let out = run(&data, &args(&url, "apply", &["--json"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        for entry in std::fs::read_dir(&data).unwrap() {
            let path = entry.unwrap().path();
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }

    std::fs::write(data.join("hooks.json"), b"{\"version\":2,\"hooks\":").unwrap();
    let out = run(&data, &args(&url, "apply", &["--json"])).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: the hook fingerprints were damaged; kept them as"),
        "{err}"
    );
    let backups: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("hooks.json.corrupt-"))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["create"], 0, "no hook is duplicated");
    assert_eq!(json["summary"]["failed"], 0);

    // A key too short to resist guessing is refused before any write.
    let out = cli_env(
        &args(&url, "plan", &[]),
        Some(tokens::API),
        None,
        &[
            ("HOOK_SECRET", "s"),
            ("GITLAB_ONBOARD_DATA_DIR", data.to_str().unwrap()),
            ("GITLAB_ONBOARD_FINGERPRINT_KEY", "short"),
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("GITLAB_ONBOARD_FINGERPRINT_KEY"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

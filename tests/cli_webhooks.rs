//! `gitlab-onboard webhooks …` against the simulator.

mod common;

use common::{hook_cli, stderr};
use gitlab_sim::tokens;
use serde_json::Value;

#[tokio::test]
async fn apply_then_verify_then_instructions() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let run = |verb: &'static str, token: &'static str| {
        let (sim, data) = (&sim, data.path());
        async move {
            let command = ["webhooks", verb];
            hook_cli(sim, data, &command, &["--json"], token, Some("cli-secret")).await
        }
    };

    let out = run("apply", tokens::API).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let created = json["summary"]["create"].as_u64().unwrap();
    assert!(created > 0);
    assert_eq!(json["summary"]["failed"], 0);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("cli-secret"),
        "the secret never shows in reports"
    );

    let out = run("apply", tokens::API).await;
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["create"], 0);
    assert_eq!(
        json["summary"]["update"], 0,
        "fingerprints in the data directory: nothing to write"
    );
    assert_eq!(json["summary"]["unchanged"], created);

    // Projects below Maintainer cannot be checked: verify stays non-zero and says which.
    let out = run("verify", tokens::API).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], created);
    assert!(
        json["projects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["status"] == "unknown")
    );

    let file = data.path().join("manual.csv");
    let out_file = file.to_str().unwrap();
    let instructions = |include_secret: bool| {
        let mut extra = vec!["--format", "csv", "--out", out_file];
        if include_secret {
            extra.push("--include-secret");
        }
        let (sim, data) = (&sim, data.path());
        async move {
            hook_cli(
                sim,
                data,
                &["webhooks", "instructions"],
                &extra,
                tokens::API,
                Some("cli-secret"),
            )
            .await
        }
    };
    let out = instructions(false).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.lines().count() > 1);
    assert!(
        !text.contains("cli-secret"),
        "the secret is left out unless asked"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a new export is private");
    }
    let out = instructions(true).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("project_id,project,webhook_settings,url,secret_token,triggers,reason\n")
    );
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.contains("/-/hooks") && l.contains("cli-secret"))
    );
    assert!(text.lines().count() > 1);
}

#[tokio::test]
async fn read_only_apply_writes_nothing_and_bad_urls_are_refused() {
    let sim = common::demo().await;
    let data = tempfile::tempdir().unwrap();
    let before = sim.requests().iter().filter(|r| r.method != "GET").count();
    let out = hook_cli(
        &sim,
        data.path(),
        &["webhooks", "apply"],
        &["--json"],
        tokens::READ_ONLY,
        Some("s"),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["manual"], json["summary"]["total"]);
    assert_eq!(
        sim.requests().iter().filter(|r| r.method != "GET").count(),
        before
    );

    let out = hook_cli(
        &sim,
        data.path(),
        &["webhooks", "plan"],
        &["--event-url", "http://crawler.example.com/e"],
        tokens::API,
        Some("s"),
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not HTTPS"), "{}", stderr(&out));
    assert_eq!(stderr(&out).trim_end().lines().count(), 1);

    let out = hook_cli(
        &sim,
        data.path(),
        &["webhooks", "plan"],
        &["--secret-env", "NOPE_UNSET"],
        tokens::API,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("NOPE_UNSET"), "{}", stderr(&out));
}

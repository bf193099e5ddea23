//! The CLI binary against the simulator: output, exit codes, one-line errors, the keychain.

mod common;

use std::process::Output;

use common::{cli, stderr};
use gitlab_sim::{Simulator, tokens};
use serde_json::Value;

async fn token_json(sim: &Simulator, token: &str) -> (Output, Option<Value>) {
    let out = cli(
        &["token", "--gitlab-url", &sim.url(), "--json"],
        Some(token),
        None,
    )
    .await;
    let json = serde_json::from_slice(&out.stdout).ok();
    (out, json)
}

#[tokio::test]
async fn json_report_for_a_usable_token() {
    let sim = common::demo().await;
    let (out, json) = token_json(&sim, tokens::API).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let json = json.expect("one JSON object on stdout");
    assert_eq!(json["mode"], "automatic");
    assert_eq!(json["scopes"], serde_json::json!(["api"]));
    assert_eq!(json["user"]["username"], tokens::MAIN_USER);
    assert!(json["expires_at"].is_string());
    let uid = common::main_user(&sim);
    let total: usize = sim.state(|w| w.project_roles(uid).values().sum());
    assert_eq!(json["counts"]["total"], total);
    assert!(json["counts"]["by_role"]["maintainer"].as_u64().unwrap() > 0);

    let (out, json) = token_json(&sim, tokens::READ_ONLY).await;
    assert!(out.status.success());
    assert_eq!(json.unwrap()["mode"], "manual");
}

#[tokio::test]
async fn failures_are_one_line_without_the_token() {
    let sim = common::demo().await;
    for (token, code, needle) in [
        (tokens::EXPIRED, 1, "expired"),
        (tokens::REVOKED, 1, "revoked"),
        ("simtok-wrong", 1, "does not accept this token"),
        (tokens::REPO_ONLY, 1, "only read_repository"),
        (tokens::READ_API_ONLY, 3, "read_user, read_repository"),
    ] {
        let (out, _) = token_json(&sim, token).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(code), "{token}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{token}: {err}");
        assert!(err.contains(needle), "{token}: {err}");
        assert!(!err.contains(token), "the token never shows in errors");
    }
}

#[tokio::test]
async fn an_oauth_lifetime_past_any_date_is_one_line_not_a_panic() {
    let sim = common::demo().await;
    let (out, json) = token_json(&sim, tokens::OAUTH).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        json.unwrap()["expires_at"].is_string(),
        "a real lifetime gives a date"
    );
    sim.set_knobs(gitlab_sim::Knobs {
        oauth_expires_in: Some(i64::MAX),
        ..gitlab_sim::Knobs::default()
    });
    let (out, _) = token_json(&sim, tokens::OAUTH).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "not a panic (101): {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("past any date"), "{err}");
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let sim = common::demo().await;
    let before = sim.requests().len();
    let out = cli(
        &["token", "--gitlab-url", "http://gitlab.example.com"],
        Some(tokens::API),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not HTTPS"), "{}", stderr(&out));
    let out = cli(
        &["token", "--gitlab-url", &sim.url()],
        Some("two words"),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("whitespace"), "{}", stderr(&out));
    assert_eq!(sim.requests().len(), before);
    let out = cli(&["token", "--concurrency", "0"], None, None).await;
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[tokio::test]
async fn human_summary_names_mode_and_roles() {
    let sim = common::demo().await;
    let out = cli(
        &["token", "--gitlab-url", &sim.url()],
        Some(tokens::EXPIRING_SOON),
        None,
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(text.contains("Mode:     automatic"), "{text}");
    assert!(text.contains("maintainer"), "{text}");
    assert!(text.contains("Warning:  The token expires on"), "{text}");
}

#[tokio::test]
#[ignore = "needs a running Secret Service; cargo xtask test runs it"]
async fn login_keeps_the_token_in_the_os_keychain() {
    let sim = common::demo().await;
    let url = sim.url();
    let out = cli(
        &["login", "--gitlab-url", &url],
        None,
        Some(tokens::EXPIRED),
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = cli(&["token", "--gitlab-url", &url, "--json"], None, None).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("gitlab-onboard login"),
        "nothing stored after a refused login: {}",
        stderr(&out)
    );

    let out = cli(
        &["login", "--gitlab-url", &url],
        None,
        Some(&format!("{}\n", tokens::API)),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let stored = gitlab_onboard::keychain::Keychain::system()
        .unwrap()
        .token(&gitlab_onboard::GitLabUrl::parse(&url).unwrap())
        .unwrap()
        .expect("stored in the Secret Service");
    assert_eq!(stored.expose(), tokens::API);
    let out = cli(&["token", "--gitlab-url", &url, "--json"], None, None).await;
    assert!(
        out.status.success(),
        "the token comes from the keychain: {}",
        stderr(&out)
    );

    let out = cli(&["logout", "--gitlab-url", &url], None, None).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cli(&["token", "--gitlab-url", &url], None, None).await;
    assert_eq!(out.status.code(), Some(1));
}

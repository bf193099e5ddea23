//! `gitlab-onboard rotate` against the simulator: the new token alone on standard output, the
//! old one refused afterwards, a rotated token never sent to rotate again, dates checked before
//! any request, the manual steps on an older GitLab, and a lost answer that says not to retry.

mod common;

use std::process::Output;

use chrono::{Days, NaiveDate, Utc};
use common::{cli, stderr};
use gitlab_onboard::ApiError;
use gitlab_onboard::error::AuthFailure;
use gitlab_sim::{Knobs, Simulator, tokens};

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn in_days(n: u64) -> String {
    today()
        .checked_add_days(Days::new(n))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

async fn rotate(sim: &Simulator, token: Option<&str>, extra: &[&str]) -> Output {
    let url = sim.url();
    let mut args = vec!["rotate", "--gitlab-url", url.as_str()];
    args.extend_from_slice(extra);
    cli(&args, token, None).await
}

/// Rotation requests the simulator served.
fn rotations(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/personal_access_tokens/self/rotate"))
        .count()
}

/// The secret of the token rotated from `old`, if any.
fn successor(sim: &Simulator, old: &str) -> Option<String> {
    sim.state(|w| {
        let id = w.token(old)?.id;
        w.tokens()
            .find(|t| t.rotated_from == Some(id))
            .map(|t| t.secret.clone())
    })
}

async fn refused_as_revoked(sim: &Simulator, token: &str) -> bool {
    matches!(
        common::session(sim, token).await,
        Err(gitlab_onboard::Error::Api(ApiError::Unauthorized(
            AuthFailure::Revoked
        )))
    )
}

fn one_line(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

#[tokio::test]
async fn the_new_token_alone_on_stdout_works_and_the_old_one_is_refused() {
    let sim = common::demo().await;
    let date = in_days(90);
    let out = rotate(&sim, Some(tokens::API), &["--expires-at", &date]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let new = successor(&sim, tokens::API).expect("GitLab made a new token");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{new}\n"));
    assert!(!err.contains(&new), "the token only on stdout: {err}");
    assert!(err.contains("crawler's settings"), "{err}");
    assert!(
        err.contains(&format!("expires on {date} (in 90 days)")),
        "{err}"
    );
    assert_eq!(rotations(&sim), 1);

    let session = common::session(&sim, &new)
        .await
        .expect("the new token works");
    assert!(matches!(
        session.info,
        gitlab_onboard::token::TokenInfo::Personal(ref t) if t.scopes == ["api"]
    ));
    assert!(
        refused_as_revoked(&sim, tokens::API).await,
        "401 for the old one"
    );
}

#[tokio::test]
async fn without_a_date_gitlab_gives_a_week_and_the_cli_warns() {
    let sim = common::demo().await;
    let out = rotate(&sim, Some(tokens::API), &[]).await;
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let new = successor(&sim, tokens::API).unwrap();
    let expires = sim.state(|w| w.token(&new).unwrap().expires_at);
    assert_eq!(expires, today().checked_add_days(Days::new(7)));
    assert!(
        err.contains("expires in 7 days") && err.contains("--expires-at"),
        "{err}"
    );
}

#[tokio::test]
async fn the_old_token_is_not_sent_to_rotate_again_so_the_family_survives() {
    let sim = common::demo().await;
    let out = rotate(&sim, Some(tokens::API), &["--expires-at", &in_days(30)]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let new = successor(&sim, tokens::API).unwrap();

    let again = rotate(&sim, Some(tokens::API), &["--expires-at", &in_days(30)]).await;
    assert_eq!(again.status.code(), Some(1));
    let err = one_line(&again);
    assert!(
        err.contains("revoked already") && !err.contains(tokens::API),
        "{err}"
    );
    assert!(again.stdout.is_empty());
    assert_eq!(rotations(&sim), 1, "the rotation was not asked for again");
    assert!(
        common::session(&sim, &new).await.is_ok(),
        "the new token still works"
    );
}

#[tokio::test]
async fn asking_gitlab_to_rotate_a_rotated_token_revokes_the_whole_family() {
    let sim = common::demo().await;
    let out = rotate(&sim, Some(tokens::API), &["--expires-at", &in_days(30)]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let second = successor(&sim, tokens::API).unwrap();
    let out = rotate(&sim, Some(&second), &["--expires-at", &in_days(30)]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let third = successor(&sim, &second).unwrap();

    // What a blind retry with the first token would do (the CLI never sends it).
    let old = common::client(&sim, tokens::API);
    let answer = old
        .post::<_, serde_json::Value>("personal_access_tokens/self/rotate", &serde_json::json!({}))
        .await;
    assert_eq!(
        answer.unwrap_err(),
        ApiError::Unauthorized(AuthFailure::Revoked)
    );
    assert!(
        refused_as_revoked(&sim, &third).await,
        "the newest is revoked too"
    );
    assert!(
        common::session(&sim, tokens::READ_ONLY).await.is_ok(),
        "other families stay"
    );
    let out = rotate(&sim, Some(&third), &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(one_line(&out).contains("revoked already"));
}

#[tokio::test]
async fn a_date_in_the_past_or_beyond_a_year_is_one_line_and_sends_nothing() {
    let sim = common::demo().await;
    let past = today().pred_opt().unwrap().format("%Y-%m-%d").to_string();
    let today = today().format("%Y-%m-%d").to_string();
    for (date, needle) in [
        (past.as_str(), "not in the future"),
        (today.as_str(), "not in the future"),
        (in_days(366).as_str(), "more than a year ahead"),
        ("next-week", "not a date"),
    ] {
        let out = rotate(&sim, Some(tokens::API), &["--expires-at", date]).await;
        assert_eq!(out.status.code(), Some(1), "{date}");
        assert!(one_line(&out).contains(needle), "{date}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    assert!(sim.requests().is_empty(), "no request sent");
    let out = rotate(&sim, Some(tokens::API), &["--expires-at", &in_days(365)]).await;
    assert!(out.status.success(), "a year is allowed: {}", stderr(&out));
}

#[tokio::test]
async fn an_older_gitlab_gets_the_manual_steps_and_keeps_the_token() {
    let sim = common::demo().await;
    for knobs in [
        Knobs {
            legacy_no_token_rotate: true,
            ..Knobs::default()
        },
        Knobs {
            legacy_no_token_self: true,
            ..Knobs::default()
        },
    ] {
        sim.set_knobs(knobs);
        let out = rotate(&sim, Some(tokens::API), &[]).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(out.stdout.is_empty());
        assert!(err.contains("Preferences > Access tokens"), "{err}");
        assert!(err.contains("gitlab-onboard login"), "{err}");
        let last: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(last.len(), 1, "{err}");
        assert!(last[0].contains("16.10"), "{err}");
    }
    assert_eq!(rotations(&sim), 1, "GitLab before 15.5 is not even asked");
    sim.set_knobs(Knobs::default());
    assert!(
        common::session(&sim, tokens::API).await.is_ok(),
        "nothing revoked"
    );
}

#[tokio::test]
async fn a_lost_answer_says_not_to_retry() {
    let sim = common::demo().await;
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(1),
        ..Knobs::default()
    });
    let out = rotate(&sim, Some(tokens::API), &["--expires-at", &in_days(30)]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = one_line(&out);
    assert!(
        err.contains("Do NOT retry") && err.contains("Preferences > Access tokens"),
        "{err}"
    );
    assert_eq!(rotations(&sim), 1, "sent once, never again");
    sim.set_knobs(Knobs::default());
    assert!(refused_as_revoked(&sim, tokens::API).await, "it had landed");
}

#[tokio::test]
async fn other_refusals_are_one_line() {
    let sim = common::demo().await;
    for (token, needle) in [
        (tokens::OAUTH, "OAuth"),
        (tokens::READ_ONLY, "self_rotate"),
        (tokens::EXPIRED, "expired"),
        (tokens::REVOKED, "revoked already"),
    ] {
        let out = rotate(&sim, Some(token), &[]).await;
        assert_eq!(out.status.code(), Some(1), "{token}");
        assert!(one_line(&out).contains(needle), "{token}: {}", stderr(&out));
    }
    assert!(common::session(&sim, tokens::READ_ONLY).await.is_ok());
}

#[tokio::test]
#[ignore = "needs a running Secret Service; cargo xtask test runs it"]
async fn from_the_keychain_the_new_token_replaces_the_old_one_and_is_not_printed() {
    use gitlab_onboard::GitLabUrl;
    use gitlab_onboard::keychain::Keychain;
    let sim = common::demo().await;
    let url = sim.url();
    let keychain = Keychain::system().unwrap();
    let gitlab = GitLabUrl::parse(&url).unwrap();
    let login = cli(
        &["login", "--gitlab-url", &url],
        None,
        Some(&format!("{}\n", tokens::API)),
    )
    .await;
    assert!(login.status.success(), "{}", stderr(&login));
    let out = rotate(&sim, None, &["--expires-at", &in_days(60)]).await;
    let stored = keychain.token(&gitlab).unwrap();
    keychain.delete_token(&gitlab).unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let new = successor(&sim, tokens::API).expect("rotated");
    assert_eq!(stored.as_ref().map(|s| s.expose()), Some(new.as_str()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(&new) && !stderr(&out).contains(&new));
    assert!(
        stdout.contains("crawler's settings") && stdout.contains("OS keychain"),
        "{stdout}"
    );
}

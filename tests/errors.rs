//! Every class of failure gets its own error, against the simulator and small local servers.

mod common;

use std::time::{Duration, Instant};

use gitlab_onboard::ApiError;
use gitlab_onboard::error::AuthFailure;
use gitlab_onboard::{Client, ClientConfig, GitLabUrl, Secret};
use gitlab_sim::{Knobs, RateLimit, tokens};
use serde_json::Value;

#[tokio::test]
async fn bad_tokens_are_told_apart() {
    let sim = common::demo().await;
    for (token, expected) in [
        ("simtok-nonsense", AuthFailure::Invalid),
        (tokens::EXPIRED, AuthFailure::Expired),
        (tokens::REVOKED, AuthFailure::Revoked),
    ] {
        let err = common::client(&sim, token)
            .get::<Value>("user", &[])
            .await
            .unwrap_err();
        assert_eq!(err, ApiError::Unauthorized(expected), "{token}");
    }
}

#[tokio::test]
async fn insufficient_scope_names_the_scope() {
    let sim = common::demo().await;
    let err = common::client(&sim, tokens::REPO_ONLY)
        .get::<Value>("projects", &[])
        .await
        .unwrap_err();
    match err {
        ApiError::InsufficientScope { scope } => assert!(scope.contains("api"), "{scope}"),
        other => panic!("{other:?}"),
    }
    // read_api may not write.
    let err = common::client(&sim, tokens::READ_ONLY)
        .post::<_, Value>(
            "projects/1/hooks",
            &serde_json::json!({"url": "https://crawler.example.com/events"}),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::InsufficientScope { .. } | ApiError::NotFound { .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn role_too_low_is_forbidden_and_missing_is_not_found() {
    let sim = common::demo().await;
    let uid = common::main_user(&sim);
    let developer_project = sim.state(|w| {
        w.member_projects(uid, 10)
            .into_iter()
            .find(|p| w.project_access(uid, *p).max() == Some(30))
            .expect("a Developer project")
    });
    let client = common::client(&sim, tokens::API);
    let err = client
        .get::<Value>(&format!("projects/{developer_project}/hooks"), &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::Forbidden {
            path: format!("/projects/{developer_project}/hooks")
        }
    );
    assert_eq!(err.code(), "forbidden");

    let err = client
        .get::<Value>("projects/987654321", &[])
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::NotFound {
            path: "/projects/987654321".into(),
            message: "404 Project Not Found".into()
        }
    );
}

#[tokio::test]
async fn unprocessable_carries_gitlabs_message() {
    let sim = common::demo().await;
    sim.set_knobs(Knobs {
        block_local_hook_urls: true,
        ..Knobs::default()
    });
    let uid = common::main_user(&sim);
    let maintained = sim.state(|w| w.member_projects(uid, 40)[0]);
    let err = common::client(&sim, tokens::API)
        .post::<_, Value>(
            &format!("projects/{maintained}/hooks"),
            &serde_json::json!({"url": "http://127.0.0.1:9/events"}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unprocessable");
    assert!(err.to_string().contains("Invalid url given"), "{err}");
}

#[tokio::test]
async fn rate_limit_is_waited_out_then_reported() {
    let sim = common::demo().await;
    sim.set_knobs(Knobs {
        rate_limit: Some(RateLimit {
            limit: 3,
            window: Duration::from_secs(1),
        }),
        ..Knobs::default()
    });
    let client = common::client(&sim, tokens::API);
    let start = Instant::now();
    for _ in 0..7 {
        client.get::<Value>("user", &[]).await.unwrap();
    }
    // 7 requests at 3 per second need at least two window changes.
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        start.elapsed()
    );
    let throttled = sim.requests().iter().filter(|r| r.status == 429).count();
    assert!(
        throttled <= 1,
        "the budget from RateLimit-Remaining avoids 429s, got {throttled}"
    );

    sim.set_knobs(Knobs {
        rate_limit: Some(RateLimit {
            limit: 0,
            window: Duration::from_secs(1),
        }),
        ..Knobs::default()
    });
    // A 429 asks to wait: the request waits through them until its patience is spent, however
    // few attempts a 5xx would get.
    let mut config = common::config(&sim, tokens::API);
    config.max_attempts = 1;
    config.max_throttled_wait = Duration::from_millis(1500);
    let start = Instant::now();
    let err = Client::new(config)
        .unwrap()
        .get::<Value>("user", &[])
        .await
        .unwrap_err();
    let ApiError::RateLimited { attempts } = err else {
        panic!("{err:?}")
    };
    assert!(attempts >= 2, "{attempts} attempts");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let sim = common::demo().await;
    sim.set_knobs(Knobs {
        fail_every: Some(2),
        ..Knobs::default()
    });
    let client = common::client(&sim, tokens::API);
    for _ in 0..4 {
        client
            .get::<Value>("user", &[])
            .await
            .expect("a transient 5xx is retried");
    }
    assert!(client.stats().retries >= 1);

    sim.set_knobs(Knobs {
        fail_every: Some(1),
        ..Knobs::default()
    });
    let err = client.get::<Value>("user", &[]).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Server { attempts: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "server_error");
}

#[tokio::test]
async fn a_write_answered_5xx_is_never_sent_again_by_the_client() {
    let sim = common::demo().await;
    let project = sim
        .state(|w| w.projects().next().map(|p| p.id))
        .expect("a project");
    sim.set_knobs(Knobs {
        fail_every: Some(1),
        ..Knobs::default()
    });
    let client = common::client(&sim, tokens::API);
    sim.clear_requests();
    let body = serde_json::json!({ "url": "https://crawler.example.com/e" });
    let writes = [
        client
            .post::<_, Value>(&format!("projects/{project}/hooks"), &body)
            .await
            .unwrap_err(),
        client
            .put::<_, Value>(&format!("projects/{project}/hooks/1"), &body)
            .await
            .unwrap_err(),
        client
            .delete(&format!("projects/{project}/hooks/1"))
            .await
            .unwrap_err(),
    ];
    for err in &writes {
        // The answer was lost, not refused: the caller re-reads before writing again.
        assert!(
            matches!(err, ApiError::Server { attempts: 1, .. }),
            "{err:?}"
        );
    }
    assert_eq!(sim.requests().len(), 3, "one request per write, no retry");
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn unreachable_and_not_gitlab() {
    // A port nobody listens on (held, so nobody can start to).
    let (_held, free) = common::refusing_address();
    let mut config = ClientConfig::new(
        GitLabUrl::parse(&format!("http://{free}")).unwrap(),
        Secret::new("x"),
    );
    config.max_attempts = 1;
    let err = Client::new(config)
        .unwrap()
        .get::<Value>("user", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "unreachable", "{err}");

    // A web server that is not GitLab: an HTML page for every path.
    let app = axum::Router::new()
        .fallback(|| async { axum::response::Html("<html><body>Welcome</body></html>") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let config = ClientConfig::new(
        GitLabUrl::parse(&format!("http://{addr}")).unwrap(),
        Secret::new("x"),
    );
    let err = Client::new(config)
        .unwrap()
        .get::<Value>("user", &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "not_gitlab", "{err}");
    assert!(err.to_string().contains("path prefix"), "{err}");
}

#[tokio::test]
async fn cancel_stops_requests() {
    let sim = common::demo().await;
    sim.set_knobs(Knobs {
        latency: Duration::from_secs(5),
        ..Knobs::default()
    });
    let client = common::client(&sim, tokens::API);
    let c = client.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        c.cancel();
    });
    let start = Instant::now();
    assert_eq!(
        client.get::<Value>("user", &[]).await.unwrap_err(),
        ApiError::Cancelled
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn cancelling_a_run_leaves_the_session_usable() {
    let sim = common::demo().await;
    let client = common::client(&sim, tokens::API);
    let run = client.for_run();
    run.cancel();
    assert_eq!(
        run.get::<Value>("user", &[]).await.unwrap_err(),
        ApiError::Cancelled
    );
    client
        .get::<Value>("user", &[])
        .await
        .expect("the session's client still works");
    let other = client.for_run();
    client.cancel();
    assert_eq!(
        other.get::<Value>("user", &[]).await.unwrap_err(),
        ApiError::Cancelled,
        "cancelling the session stops its runs"
    );
}

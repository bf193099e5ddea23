//! Hostile answers are bounded: a body past the size cap, and lists that never end.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use gitlab_onboard::client::{ClientConfig, MAX_BODY};
use gitlab_onboard::{Client, GitLabUrl, Secret};
use serde_json::Value;

/// A tiny hostile server on 127.0.0.1 (port 0); counts the requests it serves.
async fn serve(app: Router<Arc<AtomicUsize>>) -> (Client, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let app = app.with_state(hits.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut config = ClientConfig::new(
        GitLabUrl::parse(&format!("http://{addr}")).unwrap(),
        Secret::new("t"),
    );
    config.max_attempts = 1;
    (Client::new(config).unwrap(), hits)
}

/// A JSON array of strings, `size` bytes long, in 64 KiB chunks.
fn big_json(size: usize) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunk = 64 << 10;
    let n = size / chunk;
    futures::stream::iter((0..n).map(move |i| {
        let mut part = vec![b' '; chunk];
        if i == 0 {
            part[0] = b'[';
        }
        if i == n - 1 {
            part[chunk - 1] = b']';
        }
        Ok(part)
    }))
}

#[tokio::test]
async fn a_body_past_the_cap_is_refused_streamed_or_announced() {
    let app = Router::new()
        .route(
            "/api/v4/streamed",
            get(|State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    Body::from_stream(big_json(MAX_BODY + (1 << 20))),
                )
            }),
        )
        .route(
            "/api/v4/announced",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    vec![b' '; MAX_BODY + 1],
                )
            }),
        )
        .route(
            "/api/v4/fits",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    Body::from_stream(big_json(MAX_BODY)),
                )
            }),
        );
    let (client, hits) = serve(app).await;
    for path in ["streamed", "announced"] {
        let err = client.get::<Value>(path, &[]).await.unwrap_err();
        assert_eq!(err.code(), "too_large", "{path}: {err}");
        assert!(err.to_string().contains("32 MiB"), "{err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "not retried");
    let fits: Value = client.get("fits", &[]).await.unwrap();
    assert_eq!(fits, Value::Array(vec![]));
}

#[derive(serde::Deserialize)]
struct PageNo {
    page: Option<u64>,
}

#[tokio::test]
async fn a_list_that_never_ends_stops_at_the_page_cap() {
    let app = Router::new()
        .route(
            "/api/v4/same",
            get(|State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                link("/api/v4/same?per_page=100")
            }),
        )
        .route(
            "/api/v4/cycle",
            get(|Query(q): Query<PageNo>| async move {
                link(format!(
                    "/api/v4/cycle?per_page=100&page={}",
                    3 - q.page.unwrap_or(1)
                ))
            }),
        )
        .route(
            "/api/v4/forever",
            get(
                |State(hits): State<Arc<AtomicUsize>>, Query(q): Query<PageNo>| async move {
                    hits.fetch_add(1, Ordering::SeqCst);
                    link(format!("/api/v4/forever?page={}", q.page.unwrap_or(1) + 1))
                },
            ),
        );
    let (client, hits) = serve(app).await;
    let err = client
        .get_all::<Value>("same", &[], |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), "endless_pages", "{err}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "a page linking to itself is read once"
    );
    let err = client
        .get_all::<Value>("cycle", &[], |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), "endless_pages", "{err}");

    hits.store(0, Ordering::SeqCst);
    let err = client
        .get_all::<Value>("forever", &[], |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), "endless_pages", "{err}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        gitlab_onboard::client::pages::MAX_PAGES
    );
}

/// An empty page whose `Link` points to `next` (absolute path on the same server).
fn link(next: impl std::fmt::Display) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::LINK, format!("<{next}>; rel=\"next\"")),
        ],
        "[]",
    )
}

#[tokio::test]
async fn a_hostile_retry_after_is_an_error_at_once_not_a_wait() {
    let app = Router::new().route(
        "/api/v4/user",
        get(|State(hits): State<Arc<AtomicUsize>>| async move {
            let n = hits.fetch_add(1, Ordering::SeqCst);
            let asked = [
                "86400",
                "99999999999999999999999",
                "Fri, 31 Dec 9999 23:59:59 GMT",
            ];
            (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                [
                    (header::RETRY_AFTER, asked[n % asked.len()]),
                    (header::CONTENT_TYPE, "text/plain"),
                ],
                "Retry later\n",
            )
        }),
    );
    let (client, hits) = serve(app).await;
    let start = std::time::Instant::now();
    for _ in 0..3 {
        let err = client.get::<Value>("user", &[]).await.unwrap_err();
        assert_eq!(err.code(), "retry_too_long", "{err}");
        assert!(err.to_string().contains("15 minutes"), "{err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3, "never retried");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

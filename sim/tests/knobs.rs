//! The knobs: latency, deterministic failures, honest rate-limit windows, and the request log.

mod common;

use common::Api;
use gitlab_sim::{Knobs, RateLimit, Simulator, World, tokens};
use std::time::{Duration, Instant};

#[tokio::test]
async fn fail_every_fails_every_nth_request_in_turn_with_500_502_503() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let api = Api::new(&sim);
    sim.set_knobs(Knobs {
        fail_every: Some(3),
        ..Knobs::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..9 {
        let r = api.get("/version", tokens::API).await;
        if !r.status.is_success() {
            assert_eq!(
                r.body["message"],
                format!(
                    "{} {}",
                    r.status.as_u16(),
                    r.status.canonical_reason().unwrap()
                )
            );
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 500, 200, 200, 502, 200, 200, 503]);
    let logged: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(logged, statuses, "the request log records every status");
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.path == "/api/v4/version" && r.method == "GET" && !r.throttled)
    );
}

#[tokio::test]
async fn latency_is_added_to_every_response() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let api = Api::new(&sim);
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(150),
        ..Knobs::default()
    });
    let start = Instant::now();
    api.get("/version", tokens::API).await;
    api.get("/nope", tokens::API).await;
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test]
async fn retry_after_is_honest_for_whole_second_windows() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let api = Api::new(&sim);
    sim.set_knobs(Knobs {
        rate_limit: Some(RateLimit {
            limit: 2,
            window: Duration::from_secs(2),
        }),
        ..Knobs::default()
    });
    let mut throttled = None;
    // Up to 5: a window boundary may pass once between the requests.
    for _ in 0..5 {
        let r = api.get("/version", tokens::API).await;
        if r.status == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.expect("a third request in one window is throttled");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "retry-after {retry}");
    let reset: u64 = r.header("ratelimit-reset").unwrap().parse().unwrap();
    assert_eq!(reset % 2, 0, "windows are aligned on Unix time");
    assert_eq!(
        r.header("ratelimit-limit"),
        Some("60"),
        "normalised to a minute"
    );
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let again = api.get("/version", tokens::API).await;
    assert_eq!(again.status, 200, "after Retry-After the quota is back");
    assert_eq!(again.header("ratelimit-observed"), Some("1"));
    let log = sim.requests();
    assert_eq!(log.iter().filter(|r| r.throttled).count(), 1);
    // No 429 without the knob.
    sim.set_knobs(Knobs::default());
    for _ in 0..5 {
        let r = api.get("/version", tokens::API).await;
        assert_eq!(r.status, 200);
        assert!(r.header("ratelimit-limit").is_none());
    }
}

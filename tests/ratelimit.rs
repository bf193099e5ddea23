//! Rate limits in GitLab's three shapes: headers on every answer, headers only on the 429,
//! no headers at all. Each run of 300 requests at the client's default width under 20
//! requests per second ends with nothing failed and few 429s.
//!
//! Without headers on the answers before the first 429, the requests already in flight when
//! it comes are refused too: nothing could have told the client sooner. A run therefore starts
//! 4 wide and widens slowly until a limit shows, so that first burst is a handful. What the
//! client learns shows in the 429s after that.

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::{Client, GitLabUrl, Secret};
use gitlab_sim::{HeaderShape, Knobs, RateLimit, tokens};
use serde_json::Value;

const REQUESTS: usize = 300;
const LIMIT: u32 = 20;

struct Run {
    failed: usize,
    throttled: usize,
    /// 429s that arrived after the first one's answer was in: the ones pacing should avoid.
    throttled_later: usize,
    elapsed: Duration,
}

async fn run(shape: HeaderShape) -> Run {
    let sim = common::demo().await;
    sim.set_knobs(Knobs {
        rate_limit: Some(RateLimit {
            limit: LIMIT,
            window: Duration::from_secs(1),
        }),
        rate_limit_headers: shape,
        ..Knobs::default()
    });
    let config = ClientConfig::new(
        GitLabUrl::parse(&sim.url()).unwrap(),
        Secret::new(tokens::API),
    );
    let client = Client::new(config).unwrap();
    let start = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..REQUESTS)
        .map(|_| client.get::<Value>("user", &[]))
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    let elapsed = start.elapsed();
    let log = sim.requests();
    let first = log.iter().filter(|r| r.status == 429).map(|r| r.at).min();
    // In flight when the first 429 came: those were sent before anything could be learned.
    let learned = first.map(|t| t + Duration::from_millis(100));
    Run {
        failed: results.iter().filter(|r| r.is_err()).count(),
        throttled: log.iter().filter(|r| r.status == 429).count(),
        throttled_later: log
            .iter()
            .filter(|r| r.status == 429 && learned.is_some_and(|l| r.at > l))
            .count(),
        elapsed,
    }
}

fn report(name: &str, r: &Run) {
    let bound = REQUESTS as f64 / f64::from(LIMIT);
    eprintln!(
        "{name}: {} x 429 ({} after the first), {:.2} s, bound {bound:.2} s, ratio {:.2}",
        r.throttled,
        r.throttled_later,
        r.elapsed.as_secs_f64(),
        r.elapsed.as_secs_f64() / bound
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_on_every_answer_never_meet_a_429() {
    let r = run(HeaderShape::Always).await;
    report("always", &r);
    assert_eq!(r.failed, 0);
    assert_eq!(r.throttled, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_only_on_the_429_are_learned_once_then_paced() {
    let r = run(HeaderShape::OnlyOn429).await;
    report("only on 429", &r);
    assert_eq!(r.failed, 0);
    assert!(r.throttled_later <= 3, "{} later 429s", r.throttled_later);
    // A handful in the whole run: the first window's burst is at most the starting width.
    assert!(r.throttled <= 5, "{} 429s", r.throttled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_headers_back_off_narrow_and_learn_a_pace() {
    let r = run(HeaderShape::Never).await;
    report("never", &r);
    assert_eq!(r.failed, 0);
    // Learning the pace takes two or three spent windows (each: the refused request, those
    // in flight with it, and one or two refused probes); unpaced it would be ~20 per window.
    assert!(r.throttled_later <= 20, "{} later 429s", r.throttled_later);
}

//! Rate limits in GitLab's three header shapes; prints figures (no pass/fail).
//!
//! For each shape (headers on every answer, only on the 429, never), N requests at the
//! client's default width against a simulated limit of R requests per window: requests sent,
//! 429s, wall time, the bound (accepted requests ÷ rate) and the ratio (goal <= 1.15, few
//! 429s, none failed), beside a naive client measured in the same run: a fixed pool of the same
//! width that retries a 429 after `Retry-After`, else until `RateLimit-Reset`, else with
//! exponential backoff (0.1 s × 2^n), as python-gitlab does.
//!
//! Last, the same N requests where there is no limit, beside the naive pool: what the client's
//! starting ramp (narrow until a limit shows) costs an instance without one.
//!
//! Run: `cargo bench --bench ratelimit` (add `-- --quick` for 300 requests at 20 per second,
//! or `-- never` to run one case: `always`, `only-on-429`, `never`, `no-limit`).

use std::time::{Duration, Instant};

use futures::StreamExt;
use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::{Client, GitLabUrl, Secret};
use gitlab_sim::{HeaderShape, Knobs, RateLimit, Simulator, World, tokens};
use serde_json::Value;

struct Run {
    wall: Duration,
    requests: usize,
    throttled: usize,
    failed: usize,
}

/// A fresh simulator with the limit (if any) and header shape.
async fn simulator(limit: Option<RateLimit>, shape: HeaderShape) -> Simulator {
    let sim = Simulator::start(World::demo()).await.expect("simulator");
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(5),
        rate_limit: limit,
        rate_limit_headers: shape,
        ..Knobs::default()
    });
    sim
}

fn measured(sim: &Simulator, wall: Duration, failed: usize) -> Run {
    let log = sim.requests();
    Run {
        wall,
        requests: log.len(),
        throttled: log.iter().filter(|r| r.status == 429).count(),
        failed,
    }
}

/// `n` GETs through the client, as many at once as its width.
async fn with_client(n: usize, limit: Option<RateLimit>, shape: HeaderShape) -> Run {
    let sim = simulator(limit, shape).await;
    let config = ClientConfig::new(
        GitLabUrl::parse(&sim.url()).unwrap(),
        Secret::new(tokens::API),
    );
    let client = Client::new(config).unwrap();
    let start = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..n)
        .map(|_| client.get::<Value>("user", &[]))
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    let failed = results.iter().filter(|r| r.is_err()).count();
    measured(&sim, start.elapsed(), failed)
}

/// `n` GETs through a naive pool of `width`, retrying 429s python-gitlab's way (10 retries).
async fn naive(n: usize, width: usize, limit: Option<RateLimit>, shape: HeaderShape) -> Run {
    let sim = simulator(limit, shape).await;
    gitlab_onboard::tls::install_crypto();
    let http = reqwest::Client::new();
    let url = format!("{}/api/v4/user", sim.url());
    let start = Instant::now();
    let results: Vec<bool> = futures::stream::iter(0..n)
        .map(|_| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                for attempt in 0..=10u32 {
                    let Ok(r) = http
                        .get(&url)
                        .header("PRIVATE-TOKEN", tokens::API)
                        .send()
                        .await
                    else {
                        return false;
                    };
                    if r.status() != 429 {
                        return r.status().is_success();
                    }
                    let number = |name: &str| {
                        r.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok())
                    };
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    let wait = number("retry-after")
                        .map(Duration::from_secs)
                        .or_else(|| {
                            number("ratelimit-reset")
                                .map(|reset| Duration::from_secs(reset.saturating_sub(now)))
                        })
                        .unwrap_or_else(|| Duration::from_millis(100 << attempt.min(10)));
                    tokio::time::sleep(wait).await;
                }
                false
            }
        })
        .buffer_unordered(width)
        .collect()
        .await;
    let failed = results.iter().filter(|ok| !**ok).count();
    measured(&sim, start.elapsed(), failed)
}

fn print(label: &str, run: &Run, limit: RateLimit) {
    let rate = f64::from(limit.limit) / limit.window.as_secs_f64();
    let bound = (run.requests - run.throttled) as f64 / rate;
    println!(
        "  {label:<9} {:>5} requests, {:>4} x 429, {:>7.2} s, bound {:>6.2} s, ratio {:.2}, failed {}",
        run.requests,
        run.throttled,
        run.wall.as_secs_f64(),
        bound,
        run.wall.as_secs_f64() / bound.max(f64::EPSILON),
        run.failed
    );
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (n, limit) = if quick {
        (
            300,
            RateLimit {
                limit: 20,
                window: Duration::from_secs(1),
            },
        )
    } else {
        (
            600,
            RateLimit {
                limit: 100,
                window: Duration::from_secs(5),
            },
        )
    };
    let width = ClientConfig::new(GitLabUrl::default(), Secret::new("x")).concurrency;
    println!(
        "{n} GETs at width {width}, 5 ms per request, limit {} per {} s",
        limit.limit,
        limit.window.as_secs()
    );
    // `-- always`, `-- only-on-429`, `-- never` or `-- no-limit` run that case alone.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |key: &str| only.is_empty() || only.iter().any(|o| o == key);
    for (key, name, shape) in [
        ("always", "RateLimit-* on every answer", HeaderShape::Always),
        (
            "only-on-429",
            "RateLimit-* only on the 429",
            HeaderShape::OnlyOn429,
        ),
        ("never", "no headers at all", HeaderShape::Never),
    ] {
        if !wanted(key) {
            continue;
        }
        println!("{name}:");
        print("client", &with_client(n, Some(limit), shape).await, limit);
        print("naive", &naive(n, width, Some(limit), shape).await, limit);
    }
    if !wanted("no-limit") {
        return;
    }
    // What the starting ramp costs where there is no limit at all (self-managed's default).
    let client = with_client(n, None, HeaderShape::Never).await;
    let pool = naive(n, width, None, HeaderShape::Never).await;
    println!(
        "no limit: client {:.2} s, naive pool of {width} {:.2} s, ratio {:.2}, failed {}",
        client.wall.as_secs_f64(),
        pool.wall.as_secs_f64(),
        client.wall.as_secs_f64() / pool.wall.as_secs_f64().max(f64::EPSILON),
        client.failed + pool.failed
    );
}

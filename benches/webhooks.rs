//! Webhook apply at scale against the simulator; prints figures (no pass/fail).
//!
//! 1. 1,000 projects at 25 ms per request: wall time with the default concurrency against a
//!    one-request-at-a-time baseline in the same run (goal: at least 10× faster).
//! 2. The same under a rate limit of R requests per window: wall time against the bound
//!    (requests ÷ R windows), failed projects and 429s (goal: within 1.15×, none failed, few 429s).
//!
//! Run: `cargo bench --bench webhooks` (add `-- --quick` for 200 projects).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::scopes::{self, HookAccess, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::{
    self, EventUrl, Fingerprints, HookSpec, Selection, Summary, Triggers,
};
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{Knobs, RateLimit, Simulator, World, WorldSpec, tokens};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

struct Run {
    wall: Duration,
    requests: usize,
    throttled: usize,
    summary: Summary,
}

/// A fresh simulator (same seed every time), step 2 without latency, then apply with `knobs`.
async fn apply(projects: usize, concurrency: usize, knobs: Knobs) -> Run {
    let world = World::seeded(WorldSpec {
        projects: projects * 2,
        seed: 7,
        ..WorldSpec::default()
    });
    let sim = Simulator::start(world).await.expect("simulator");
    let mut config = ClientConfig::new(
        GitLabUrl::parse(&sim.url()).unwrap(),
        Secret::new(tokens::API),
    );
    config.concurrency = concurrency;
    let session = Session::open(config).await.expect("token");
    let report: TokenReport = scopes::detect(&session, &|_| {}).await.expect("detect");
    let selected: Vec<_> = Selection::default()
        .pick(&report)
        .into_iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .take(projects)
        .collect();
    assert_eq!(
        selected.len(),
        projects,
        "the world has enough maintained projects"
    );
    let spec = HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: Secret::new("bench"),
    };
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    sim.set_knobs(knobs);
    let before = sim.requests().len();
    let start = Instant::now();
    let outcomes = webhooks::apply(
        &session.client,
        &report,
        &selected,
        &spec,
        &fingerprints,
        false,
        &|_| {},
    )
    .await;
    let wall = start.elapsed();
    let log = sim.requests();
    let log = &log[before..];
    Run {
        wall,
        requests: log.len(),
        throttled: log.iter().filter(|r| r.status == 429).count(),
        summary: Summary::of(&outcomes),
    }
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 200 } else { 1000 };
    let latency = Knobs {
        latency: Duration::from_millis(25),
        ..Knobs::default()
    };
    let default_width = ClientConfig::new(GitLabUrl::default(), Secret::new("x")).concurrency;

    println!("webhook apply, {n} projects, 25 ms per request");
    let base = apply(n, 1, latency.clone()).await;
    println!(
        "  baseline (1 at a time): {:>7.2} s, {} requests",
        base.wall.as_secs_f64(),
        base.requests
    );
    let fast = apply(n, default_width, latency).await;
    println!(
        "  concurrency {default_width:>2}:         {:>7.2} s, {} requests",
        fast.wall.as_secs_f64(),
        fast.requests
    );
    println!(
        "  speed-up: {:.1}x (goal >= 10x); created {}, failed {}",
        base.wall.as_secs_f64() / fast.wall.as_secs_f64(),
        fast.summary.create,
        fast.summary.failed
    );

    let (limit, window) = (300u32, Duration::from_secs(1));
    let limited = Knobs {
        latency: Duration::from_millis(5),
        rate_limit: Some(RateLimit { limit, window }),
        ..Knobs::default()
    };
    let run = apply(n, default_width, limited).await;
    // The bound: every accepted request needs 1/R of a window.
    let bound = window.mul_f64((run.requests - run.throttled) as f64 / f64::from(limit));
    println!(
        "rate limit {limit} requests per {}s, {n} projects",
        window.as_secs()
    );
    println!(
        "  wall {:.2} s, bound (requests / R) {:.2} s, ratio {:.2} (goal <= 1.15); {} requests, {} x 429, failed {}",
        run.wall.as_secs_f64(),
        bound.as_secs_f64(),
        run.wall.as_secs_f64() / bound.as_secs_f64().max(f64::EPSILON),
        run.requests,
        run.throttled,
        run.summary.failed
    );
}

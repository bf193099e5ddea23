//! `status` at scale against the simulator; prints figures (no pass/fail).
//!
//! A world of 10,000 projects (200 groups, 500 users); every project the token may hook gets
//! the crawler's hook, then a day passes: 20 projects are created and 20 hooks disabled.
//! `status` then runs on every project the token reaches, without latency and at 10 ms per
//! request: wall time, requests, hook lists read, and what it found.
//!
//! Run: `cargo bench --bench status` (add `-- --quick` for 1,000 projects).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::scopes::{self, HookAccess};
use gitlab_onboard::status::{StatusInput, status};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::{self, EventUrl, Fingerprints, HookSpec, Selection, Triggers};
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{AlertStatus, Knobs, Owner, Simulator, World, WorldSpec, tokens};

const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

async fn session(sim: &Simulator) -> Session {
    let config = ClientConfig::new(
        GitLabUrl::parse(&sim.url()).unwrap(),
        Secret::new(tokens::API),
    );
    Session::open(config).await.expect("token")
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 1_000 } else { 10_000 };
    let world = World::seeded(WorldSpec {
        projects: n,
        groups: n / 50,
        users: n / 20,
        seed: 7,
        ..WorldSpec::default()
    });
    let sim = Simulator::start(world).await.expect("simulator");
    let spec = HookSpec {
        url: EventUrl::parse(EVENTS).unwrap(),
        triggers: Triggers::default(),
        secret: Secret::new("bench"),
    };

    // Onboarding: the crawler's hook wherever the token may put it.
    let onboarding = session(&sim).await;
    let report = scopes::detect(&onboarding, &|_| {}).await.expect("detect");
    let hookable: Vec<_> = Selection::default()
        .pick(&report)
        .into_iter()
        .filter(|p| p.hooks == HookAccess::Automatic)
        .collect();
    let fingerprints = Mutex::new(Fingerprints::in_memory());
    webhooks::apply(
        &onboarding.client,
        &report,
        &hookable,
        &spec,
        &fingerprints,
        false,
        &|_| {},
    )
    .await;

    // A day later: new projects, and hooks GitLab disabled.
    let group = sim.state(|w| {
        let main = w.user_by_username(tokens::MAIN_USER).unwrap().id;
        w.groups()
            .find(|g| w.group_access(main, g.id) >= Some(gitlab_sim::access::MAINTAINER))
            .expect("a group the main user maintains")
            .id
    });
    sim.state(|w| {
        for i in 0..20 {
            w.add_project(
                &format!("New {i}"),
                &format!("new-{i}"),
                Owner::Group(group),
            );
        }
        let ours: Vec<u64> = w
            .hooks()
            .filter(|h| h.url == EVENTS)
            .map(|h| h.id)
            .take(20)
            .collect();
        for id in ours {
            w.hook_mut(id).unwrap().alert_status = AlertStatus::Disabled;
        }
    });

    let input = StatusInput {
        selection: Selection::default(),
        spec,
        proved: Fingerprints::in_memory(),
    };
    println!("status, a world of {n} projects");
    for latency in [Duration::ZERO, Duration::from_millis(10)] {
        sim.set_knobs(Knobs {
            latency,
            ..Knobs::default()
        });
        sim.clear_requests();
        let start = Instant::now();
        let s = session(&sim).await;
        let found = status(&s, &input, &|_| {}).await.expect("status");
        let wall = start.elapsed();
        let log = sim.requests();
        let hook_reads = log.iter().filter(|r| r.path.contains("/hooks")).count();
        let w = &found.webhooks;
        println!(
            "  {:>2} ms per request: {:>6.2} s, {} requests ({} hook lists read) for {} projects in reach; ok {}, missing {}, disabled {}, manual {}",
            latency.as_millis(),
            wall.as_secs_f64(),
            found.requests,
            hook_reads,
            w.projects,
            w.ok,
            w.missing.len(),
            w.disabled.len(),
            w.manual.len()
        );
    }
}

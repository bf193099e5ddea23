//! `status` at scale against the simulator; prints figures (no pass/fail).
//!
//! A world of 10,000 projects (200 groups, 500 users); every project the token may hook gets
//! the crawler's hook. `status` then runs on every project the token reaches, without latency
//! and at 10 ms per request, with a fresh data directory: the first run (no record: every hook
//! read), a later run with nothing new, one after 20 projects were created, and one after
//! GitLab disabled 20 hooks: wall time, requests, hook lists read, and what it found.
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

    let group = sim.state(|w| {
        let main = w.user_by_username(tokens::MAIN_USER).unwrap().id;
        w.groups()
            .find(|g| w.group_access(main, g.id) >= Some(gitlab_sim::access::MAINTAINER))
            .expect("a group the main user maintains")
            .id
    });

    println!("status, a world of {n} projects");
    for latency in [Duration::ZERO, Duration::from_millis(10)] {
        sim.set_knobs(Knobs {
            latency,
            ..Knobs::default()
        });
        let data = tempfile::tempdir().expect("a data directory");
        let input = StatusInput {
            selection: Selection::default(),
            spec: spec.clone(),
            proved: Fingerprints::in_memory(),
            data_dir: Some(data.path().to_owned()),
            full: false,
        };
        let ms = latency.as_millis();
        measure(&sim, &input, &format!("{ms:>2} ms, first run (no record)")).await;
        measure(&sim, &input, &format!("{ms:>2} ms, later run, nothing new")).await;
        // A day later: new projects.
        sim.state(|w| {
            for i in 0..20 {
                w.add_project(
                    &format!("New {ms} {i}"),
                    &format!("new-{ms}-{i}"),
                    Owner::Group(group),
                );
            }
        });
        measure(
            &sim,
            &input,
            &format!("{ms:>2} ms, later run, 20 new projects"),
        )
        .await;
        // Then GitLab disables 20 hooks (the crawler was down): the slice sees some of them.
        let ours: Vec<u64> = sim.state(|w| {
            let all: Vec<u64> = w
                .hooks()
                .filter(|h| h.url == EVENTS && h.alert_status == AlertStatus::Executable)
                .map(|h| h.id)
                .collect();
            all.iter()
                .copied()
                .step_by(all.len() / 20)
                .take(20)
                .collect()
        });
        sim.state(|w| {
            for id in &ours {
                w.hook_mut(*id).unwrap().alert_status = AlertStatus::Disabled;
            }
        });
        measure(
            &sim,
            &input,
            &format!("{ms:>2} ms, later run, 20 hooks disabled"),
        )
        .await;
        sim.state(|w| {
            for id in &ours {
                w.hook_mut(*id).unwrap().alert_status = AlertStatus::Executable;
            }
        });
    }
}

/// Runs status once and prints what it cost and found.
async fn measure(sim: &Simulator, input: &StatusInput, label: &str) {
    sim.clear_requests();
    let start = Instant::now();
    let s = session(sim).await;
    let found = status(&s, input, &|_| {}).await.expect("status");
    let wall = start.elapsed();
    let log = sim.requests();
    let hook_reads = log.iter().filter(|r| r.path.contains("/hooks")).count();
    let w = &found.webhooks;
    let how = match (&found.scan.escalated, found.scan.full) {
        (Some(_), _) => "escalated to a full read",
        (None, true) => "full",
        (None, false) => "incremental",
    };
    println!(
        "  {label}: {:>6.2} s, {:>5} requests ({:>5} hook lists read; {how}) for {} projects; ok {}, missing {}, disabled {}, manual {}",
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

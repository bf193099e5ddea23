//! The user mapping at scale against the simulator; prints figures (no pass/fail).
//!
//! A world of 100,000 users (1,000 projects, 50 groups), the token's user Owner of the
//! organisation that holds them all:
//! 1. enumeration under a rate limit of R requests per window: wall time against the bound
//!    (requests ÷ R windows), and without a limit;
//! 2. writing the CSV (rendering and the atomic write; goal under 1 s);
//! 3. the CLI's peak memory for the whole step, as the kernel measured it (goal under 200 MB).
//!
//! Run: `cargo bench --bench users` (add `-- --quick` for 10,000 users).

use std::process::Command;
use std::time::{Duration, Instant};

use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::scopes::{self, TokenReport};
use gitlab_onboard::token::Session;
use gitlab_onboard::users::{self, Mapping, Options};
use gitlab_onboard::{GitLabUrl, Secret};
use gitlab_sim::{Knobs, RateLimit, Simulator, World, WorldSpec, tokens};

const DOMAIN: &str = "corp.example";

fn options() -> Options {
    Options {
        email_domain: Some(DOMAIN.into()),
        public_lookups: Some(users::PUBLIC_LOOKUPS),
        ..Options::default()
    }
}

async fn session(sim: &Simulator) -> (Session, TokenReport) {
    let config = ClientConfig::new(
        GitLabUrl::parse(&sim.url()).unwrap(),
        Secret::new(tokens::API),
    );
    let session = Session::open(config).await.expect("token");
    let report = scopes::detect(&session, &|_| {}).await.expect("detect");
    (session, report)
}

/// Builds the mapping with `knobs` set; returns it, the wall time, requests and 429s.
async fn enumerate(sim: &Simulator, knobs: Knobs) -> (Mapping, Duration, usize, usize) {
    let (session, report) = session(sim).await;
    sim.set_knobs(knobs);
    sim.clear_requests();
    let start = Instant::now();
    let mapping = users::build(&session.client, &report, &options(), &|_| {})
        .await
        .expect("build");
    let wall = start.elapsed();
    let log = sim.requests();
    let throttled = log.iter().filter(|r| r.status == 429).count();
    sim.set_knobs(Knobs::default());
    (mapping, wall, log.len(), throttled)
}

/// Runs the CLI and returns its peak resident memory in MiB: the kernel's high-water mark
/// (`VmHWM`), read every 2 ms while it runs. (`getrusage(RUSAGE_CHILDREN)` would count the
/// parent's memory at fork time as the child's.)
fn cli_peak_mib(args: &[&str]) -> f64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitlab-onboard"))
        .args(args)
        .env("GITLAB_TOKEN", tokens::API)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the CLI runs");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "gitlab-onboard {args:?}: {status}");
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    peak_kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 10_000 } else { 100_000 };
    let seeded = Instant::now();
    let world = World::seeded(WorldSpec {
        users: n,
        projects: 1_000,
        groups: 50,
        seed: 11,
        ..WorldSpec::default()
    });
    let sim = Simulator::start(world).await.expect("simulator");
    println!(
        "user mapping, {n} users, 1,000 projects, 50 groups (world seeded in {:.1} s)",
        seeded.elapsed().as_secs_f64()
    );

    let (mapping, free, requests, _) = enumerate(&sim, Knobs::default()).await;
    let c = mapping.counts();
    println!(
        "  no rate limit:   {:>6.2} s, {requests} requests; {} people, {} left out, {} unresolved, by source {:?}",
        free.as_secs_f64(),
        c.total,
        c.excluded,
        c.unresolved,
        c.by_source
    );
    let (limit, window) = (300u32, Duration::from_secs(1));
    let knobs = Knobs {
        rate_limit: Some(RateLimit { limit, window }),
        ..Knobs::default()
    };
    let (_, wall, requests, throttled) = enumerate(&sim, knobs).await;
    let bound = window.mul_f64((requests - throttled) as f64 / f64::from(limit));
    println!(
        "  rate limit {limit}/s: {:>6.2} s, bound (requests / R) {:.2} s, ratio {:.2}; {requests} requests, {throttled} x 429",
        wall.as_secs_f64(),
        bound.as_secs_f64(),
        wall.as_secs_f64() / bound.as_secs_f64().max(f64::EPSILON),
    );

    let out = std::env::temp_dir().join(format!("gitlab-onboard-bench-{}.csv", std::process::id()));
    let start = Instant::now();
    let csv = mapping.csv(false);
    gitlab_onboard::files::write_atomically(&out, csv.as_bytes()).expect("write");
    let write = start.elapsed();
    println!(
        "  CSV write:       {:>6.3} s for {} rows, {} KiB (goal < 1 s)",
        write.as_secs_f64(),
        csv.lines().count(),
        csv.len() / 1024
    );

    let url = sim.url();
    let peak = cli_peak_mib(&[
        "users",
        "--gitlab-url",
        &url,
        "--email-domain",
        DOMAIN,
        "--out",
        out.to_str().unwrap(),
    ]);
    let _ = std::fs::remove_file(&out);
    println!("  CLI peak memory: {peak:>6.1} MiB for the whole step (goal < 200 MB)");
}

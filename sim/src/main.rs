//! `gitlab-sim`: serves a simulated GitLab until Ctrl-C.
//!
//! Prints one JSON line on start: `{"url": "...", "tokens": {"api": "...", ...}}`.

use clap::Parser;
use gitlab_sim::{HeaderShape, Knobs, RateLimit, Simulator, World, WorldSpec, tokens};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

/// A stateful GitLab REST API simulator.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve the small hand-written demo world instead of a generated one.
    #[arg(long)]
    demo: bool,
    /// Seed of the generated world.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Projects in the generated world.
    #[arg(long, default_value_t = 100)]
    projects: usize,
    /// Groups (subgroups included) in the generated world.
    #[arg(long, default_value_t = 10)]
    groups: usize,
    /// Users in the generated world.
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Latency added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Authenticated-API throttle per user, as LIMIT/SECONDS (e.g. 600/60).
    #[arg(long, value_parser = parse_rate)]
    rate_limit: Option<RateLimit>,
    /// Which answers carry the RateLimit-* headers under --rate-limit: always, only-on-429
    /// (Rack::Attack's default) or never (per-endpoint limits).
    #[arg(long, default_value = "always")]
    rate_limit_headers: HeaderShape,
    /// Fail every Nth request with 500/502/503.
    #[arg(long)]
    fail_every: Option<u64>,
    /// Answer 404 on /personal_access_tokens/self, like GitLab before 15.5.
    #[arg(long)]
    legacy_no_token_self: bool,
    /// Answer 404 on POST /personal_access_tokens/self/rotate, like GitLab before 16.10.
    #[arg(long)]
    legacy_no_token_rotate: bool,
    /// Refuse hook URLs on loopback or private hosts (422), like a default GitLab.
    #[arg(long)]
    block_local_hook_urls: bool,
    /// Serve `Link` headers with this text in place of the simulator's base URL (e.g. another
    /// host, to check that a client does not follow them).
    #[arg(long)]
    link_base: Option<String>,
    /// Carry out every Nth write (POST/PUT/DELETE), then answer it 502 as if the answer was lost.
    #[arg(long)]
    lose_write_answers_every: Option<u64>,
}

fn parse_rate(s: &str) -> Result<RateLimit, String> {
    let (limit, secs) = s
        .split_once('/')
        .ok_or("expected LIMIT/SECONDS, e.g. 600/60")?;
    let limit = limit
        .trim()
        .parse()
        .map_err(|e| format!("bad limit: {e}"))?;
    let secs: u64 = secs
        .trim()
        .parse()
        .map_err(|e| format!("bad seconds: {e}"))?;
    if secs == 0 {
        return Err("the window must be at least one second".into());
    }
    Ok(RateLimit {
        limit,
        window: Duration::from_secs(secs),
    })
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let world = if args.demo {
        World::demo()
    } else {
        World::seeded(WorldSpec {
            seed: args.seed,
            projects: args.projects,
            groups: args.groups,
            users: args.users,
            ..WorldSpec::default()
        })
    };
    let sim =
        Simulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)), world).await?;
    sim.set_knobs(Knobs {
        latency: Duration::from_millis(args.latency_ms),
        rate_limit: args.rate_limit,
        rate_limit_headers: args.rate_limit_headers,
        fail_every: args.fail_every,
        legacy_no_token_self: args.legacy_no_token_self,
        legacy_no_token_rotate: args.legacy_no_token_rotate,
        block_local_hook_urls: args.block_local_hook_urls,
        link_base: args.link_base,
        lose_write_answers_every: args.lose_write_answers_every,
        ..Knobs::default()
    });
    let tokens: serde_json::Map<String, serde_json::Value> = tokens::ALL
        .iter()
        .map(|(name, secret)| (name.to_string(), secret.to_string().into()))
        .collect();
    println!(
        "{}",
        serde_json::json!({ "url": sim.url(), "tokens": tokens })
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown();
    Ok(())
}

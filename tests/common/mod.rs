//! Shared set-up for the integration tests: a simulator and clients pointed at it.

#![allow(dead_code)] // each test crate uses a different part

use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::token::Session;
use gitlab_onboard::{Client, Error, GitLabUrl, Secret};
use gitlab_sim::{Simulator, World};

/// A simulator with the demo world.
pub async fn demo() -> Simulator {
    Simulator::start(World::demo())
        .await
        .expect("the simulator starts")
}

/// A client configuration for the simulator with a well-known token, retrying little.
pub fn config(sim: &Simulator, token: &str) -> ClientConfig {
    let mut c = ClientConfig::new(GitLabUrl::parse(&sim.url()).unwrap(), Secret::new(token));
    c.max_attempts = 3;
    c
}

/// A client for the simulator.
pub fn client(sim: &Simulator, token: &str) -> Client {
    Client::new(config(sim, token)).unwrap()
}

/// Step 1 against the simulator, without the keychain.
pub async fn session(sim: &Simulator, token: &str) -> Result<Session, Error> {
    Session::open(config(sim, token)).await
}

/// The main user's ID in the simulator's world.
pub fn main_user(sim: &Simulator) -> u64 {
    sim.state(|w| {
        w.user_by_username(gitlab_sim::tokens::MAIN_USER)
            .expect("main user")
            .id
    })
}

/// Runs the `gitlab-onboard` binary with `GITLAB_TOKEN` set (or unset with `None`), feeding
/// `stdin`, with local state in a fresh directory.
pub async fn cli(args: &[&str], token: Option<&str>, stdin: Option<&str>) -> std::process::Output {
    cli_env(args, token, stdin, &[]).await
}

/// A loopback address that refuses connections for as long as the returned socket lives: the
/// socket is bound but never listens, so no other process can take the port meanwhile (as it
/// could one bound, then released).
pub fn refusing_address() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind a loopback port");
    let address = socket.local_addr().expect("the bound address");
    (socket, address)
}

/// The crawler's event URL the CLI tests hook.
pub const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";

/// Runs `command` (`["webhooks", "apply"]`, `["status"]`, …) against the simulator with the
/// test's data directory, the event URL [`EVENTS`] (unless `extra` names one), the webhook
/// secret from `HOOK_SECRET` when `secret` is given (else the keychain), then `extra`.
pub async fn hook_cli(
    sim: &gitlab_sim::Simulator,
    data: &std::path::Path,
    command: &[&str],
    extra: &[&str],
    token: &str,
    secret: Option<&str>,
) -> std::process::Output {
    let url = sim.url();
    let mut args = command.to_vec();
    args.extend(["--gitlab-url", &url]);
    if secret.is_some() {
        args.extend(["--secret-env", "HOOK_SECRET"]);
    }
    if !extra.contains(&"--event-url") {
        args.extend(["--event-url", EVENTS]);
    }
    args.extend_from_slice(extra);
    let data = data.to_str().expect("a UTF-8 temporary path");
    let mut env = vec![("GITLAB_ONBOARD_DATA_DIR", data)];
    if let Some(s) = secret {
        env.push(("HOOK_SECRET", s));
    }
    cli_env(&args, Some(token), None, &env).await
}

/// [`cli`] with extra environment variables.
pub async fn cli_env(
    args: &[&str],
    token: Option<&str>,
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_gitlab-onboard"));
    cmd.args(args)
        .env_remove("GITLAB_TOKEN")
        .env_remove("GITLAB_URL")
        .envs(env.iter().copied());
    if !env.iter().any(|(k, _)| *k == "GITLAB_ONBOARD_DATA_DIR") {
        cmd.env(
            "GITLAB_ONBOARD_DATA_DIR",
            std::env::temp_dir().join(format!("gitlab-onboard-cli-{}", std::process::id())),
        );
    }
    // Hook fingerprints need a key: from the environment here, so no test needs a keychain.
    if !env
        .iter()
        .any(|(k, _)| *k == "GITLAB_ONBOARD_FINGERPRINT_KEY")
    {
        cmd.env(
            "GITLAB_ONBOARD_FINGERPRINT_KEY",
            "cli-tests-fingerprint-key-0123456789abcdef",
        );
    }
    if let Some(t) = token {
        cmd.env("GITLAB_TOKEN", t);
    }
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("the CLI starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .await
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().await.unwrap()
}

/// Standard error as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

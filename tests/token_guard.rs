//! The token stays on its host: pagination links that lead anywhere else are refused before
//! any request, through the real client's pagination and through the CLI.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gitlab_onboard::scopes;
use gitlab_sim::{Knobs, Simulator, World, WorldSpec, tokens};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

/// Another host: a listener that records every connection made to it and what was sent.
struct Recorder {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, peer)) = listener.accept().await {
                let mut buf = vec![0; 4096];
                let n = tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .unwrap_or(0);
                log.lock()
                    .unwrap()
                    .push(format!("{peer}: {}", String::from_utf8_lossy(&buf[..n])));
            }
        });
        Recorder { port, seen }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// A world with more projects and groups than one page holds, so every list has a next link.
async fn paged_world() -> Simulator {
    Simulator::start(World::seeded(WorldSpec {
        projects: 250,
        groups: 120,
        ..WorldSpec::default()
    }))
    .await
    .unwrap()
}

fn hostile_bases(port: u16) -> Vec<String> {
    vec![
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}"),
        format!("foo:@127.0.0.1:{port}/x#"),
        format!("http://user:pw@127.0.0.1:{port}"),
        format!("//127.0.0.1:{port}"),
    ]
}

#[tokio::test]
async fn pagination_never_sends_the_token_to_another_host() {
    let other = Recorder::start().await;
    let sim = paged_world().await;
    let session = common::session(&sim, tokens::API).await.unwrap();
    for base in hostile_bases(other.port) {
        sim.set_knobs(Knobs {
            link_base: Some(base.clone()),
            ..Knobs::default()
        });
        let err = scopes::detect(&session, &|_| {}).await.unwrap_err();
        assert_eq!(err.code(), "foreign_link", "{base}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("token was not sent") && message.contains(&sim.url()),
            "{base}: {message}"
        );
        assert!(!message.contains('\n'));
    }
    // A link to the simulator's own address under another path prefix is refused too.
    sim.set_knobs(Knobs {
        link_base: Some(format!("{}/elsewhere", sim.url())),
        ..Knobs::default()
    });
    let err = scopes::detect(&session, &|_| {}).await.unwrap_err();
    assert_eq!(err.code(), "foreign_link", "{err}");
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.path.starts_with("/api/v4/")),
        "nothing outside the API was asked"
    );
    assert_eq!(
        other.seen(),
        Vec::<String>::new(),
        "the other host saw nothing"
    );
}

#[tokio::test]
async fn relative_links_resolve_on_the_instance_and_are_followed() {
    let sim = paged_world().await;
    let session = common::session(&sim, tokens::API).await.unwrap();
    let expected = scopes::detect(&session, &|_| {}).await.unwrap();
    assert!(expected.counts.total > 100, "more than one page");
    sim.set_knobs(Knobs {
        link_base: Some(String::new()),
        ..Knobs::default()
    });
    let relative = scopes::detect(&session, &|_| {}).await.unwrap();
    assert_eq!(relative.counts.total, expected.counts.total);
}

#[tokio::test]
async fn the_cli_refuses_a_foreign_next_link_in_one_line() {
    let other = Recorder::start().await;
    let sim = paged_world().await;
    sim.set_knobs(Knobs {
        link_base: Some(format!("foo:@127.0.0.1:{}/x#", other.port)),
        ..Knobs::default()
    });
    let out = common::cli(
        &["token", "--gitlab-url", &sim.url(), "--json"],
        Some(tokens::API),
        None,
    )
    .await;
    let err = common::stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("token was not sent"), "{err}");
    assert!(!err.contains(tokens::API));
    assert_eq!(
        other.seen(),
        Vec::<String>::new(),
        "the other host saw nothing"
    );
}

//! Lists beyond 10,000 items, where GitLab stops sending totals.

mod common;

use std::collections::HashSet;

use gitlab_onboard::model::ProjectId;
use gitlab_onboard::scopes;
use gitlab_sim::{Simulator, World, WorldSpec, tokens};

#[tokio::test]
async fn more_than_ten_thousand_projects_offset_and_keyset() {
    let world = World::seeded(WorldSpec {
        projects: 11_000,
        ..WorldSpec::default()
    });
    let sim = Simulator::start(world).await.unwrap();
    let uid = common::main_user(&sim);
    let expected: HashSet<u64> = sim.state(|w| w.member_projects(uid, 5).into_iter().collect());
    assert!(
        expected.len() > 10_000,
        "the world gives the user {} projects",
        expected.len()
    );

    let client = common::client(&sim, tokens::API);
    let offset: Vec<ProjectId> = client
        .get_all(
            "projects",
            &[("membership", "true"), ("simple", "true")],
            |_| {},
        )
        .await
        .unwrap();
    let ids: HashSet<u64> = offset.iter().map(|p| p.id).collect();
    assert_eq!(ids.len(), offset.len(), "no duplicates");
    assert_eq!(ids, expected);

    // GitLab leaves out X-Total above 10,000 items; the client never needed it.
    let first = reqwest_head(
        &sim,
        "/api/v4/projects?membership=true&simple=true&per_page=100",
    )
    .await;
    assert!(first.get("x-total").is_none());
    assert!(first.get("x-next-page").is_some());

    let session = common::session(&sim, tokens::API).await.unwrap();
    let report = scopes::detect(&session, &|_| {}).await.unwrap();
    assert_eq!(report.counts.total, expected.len());
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.path.contains("pagination=keyset"))
    );
}

async fn reqwest_head(sim: &Simulator, path: &str) -> reqwest::header::HeaderMap {
    gitlab_onboard::tls::install_crypto();
    reqwest::Client::new()
        .get(format!("{}{path}", sim.url()))
        .header("PRIVATE-TOKEN", tokens::API)
        .send()
        .await
        .unwrap()
        .headers()
        .clone()
}

//! A world whose group parents loop (as a test may make it, to play an odd GitLab) is still
//! served: the simulator's own walks up the parents visit each group once.

mod common;

use common::Api;
use gitlab_sim::{Simulator, World, tokens};
use std::time::Duration;

#[tokio::test]
async fn groups_whose_parents_loop_are_served_without_hanging() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let (acme, research) = sim.state(|w| {
        let acme = w.group_by_path("acme").unwrap().id;
        let research = w.group_by_path("research").unwrap().id;
        w.group_mut(acme).unwrap().parent_id = Some(research);
        w.group_mut(research).unwrap().parent_id = Some(acme);
        (acme, research)
    });
    assert_eq!(
        sim.state(|w| w.self_and_ancestors(acme)),
        vec![acme, research]
    );
    let api = Api::new(&sim);
    let served = tokio::time::timeout(Duration::from_secs(30), async {
        let groups = api.get("/groups?min_access_level=10", tokens::API).await;
        let namespace = api.get(&format!("/namespaces/{acme}"), tokens::API).await;
        (groups, namespace)
    })
    .await
    .expect("served without hanging");
    assert_eq!(served.0.status.as_u16(), 200);
    let listed = served.0.body.as_array().unwrap();
    let acme_json = listed.iter().find(|g| g["id"] == acme).unwrap();
    assert_eq!(acme_json["parent_id"], research);
    assert_eq!(served.1.status.as_u16(), 200);
}

//! The `lose_write_answers_every` knob: every Nth write is carried out, then answered 502.

mod common;

use common::Api;
use gitlab_sim::{HookOwner, Knobs, Simulator, World, tokens};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn every_nth_write_is_carried_out_and_its_answer_lost() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let api = Api::new(&sim);
    let project = sim.state(|w| {
        let main = w.user_by_username(tokens::MAIN_USER).unwrap().id;
        w.member_projects(main, gitlab_sim::access::MAINTAINER)[0]
    });
    sim.set_knobs(Knobs {
        lose_write_answers_every: Some(2),
        ..Knobs::default()
    });
    let mut statuses = Vec::new();
    for i in 0..4 {
        let body = json!({ "url": format!("https://h{i}.example.com/e") });
        let r = api
            .call(
                Method::POST,
                &format!("/projects/{project}/hooks"),
                Some(tokens::API),
                Some(body),
            )
            .await;
        if r.status.as_u16() == 502 {
            assert_eq!(r.body["message"], "502 Bad Gateway");
        }
        statuses.push(r.status.as_u16());
        // Reads are never lost and do not count.
        assert_eq!(api.get("/version", tokens::API).await.status.as_u16(), 200);
    }
    assert_eq!(statuses, vec![201, 502, 201, 502]);
    let urls: Vec<String> = sim.state(|w| {
        w.hooks_of(HookOwner::Project(project))
            .filter(|h| h.url.ends_with(".example.com/e"))
            .map(|h| h.url.clone())
            .collect()
    });
    assert_eq!(urls.len(), 4, "every write was carried out: {urls:?}");
}

//! `POST /personal_access_tokens/self/rotate` over HTTP: the documented statuses, the old
//! token revoked at once, and reuse of a rotated token revoking its whole family.

mod common;

use common::Api;
use gitlab_sim::{Knobs, Simulator, World, tokens};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ROTATE: &str = "/personal_access_tokens/self/rotate";

async fn rotate(api: &Api, token: &str, body: Option<Value>) -> common::Reply {
    api.call(Method::POST, ROTATE, Some(token), body).await
}

fn in_days(n: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(n))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn statuses_follow_the_docs() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let api = Api::new(&sim);
    for (token, body, status) in [
        (tokens::API, Some(json!({"expires_at": "soon"})), 400),
        (tokens::API, Some(json!({"expires_at": in_days(0)})), 400),
        (tokens::API, Some(json!({"expires_at": in_days(366)})), 400),
        ("simtok-unknown", None, 401),
        (tokens::EXPIRED, None, 401),
        (tokens::READ_ONLY, None, 403),
        (tokens::OAUTH, None, 405),
    ] {
        let r = rotate(&api, token, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{token} {body:?}: {}", r.text);
    }
    let r = rotate(&api, tokens::READ_ONLY, None).await;
    assert_eq!(r.body["error"], "insufficient_scope");
    assert_eq!(
        sim.state(|w| w.tokens().filter(|t| t.revoked).count()),
        1,
        "only the demo's revoked token: no refusal revoked anything"
    );

    let week = rotate(&api, tokens::API, None).await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.text);
    assert_eq!(
        week.body["expires_at"],
        json!(in_days(7)),
        "one week by default"
    );
    let r = rotate(&api, tokens::API, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"], "invalid_token");

    sim.set_knobs(Knobs {
        legacy_no_token_rotate: true,
        ..Knobs::default()
    });
    let r = rotate(&api, tokens::ADMIN, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, json!({"error": "404 Not Found"}));
}

#[tokio::test]
async fn a_rotated_token_used_to_rotate_revokes_the_family_but_other_use_does_not() {
    let sim = Simulator::start(World::demo()).await.unwrap();
    let api = Api::new(&sim);
    let first = rotate(&api, tokens::API, None).await;
    let second = first.body["token"].as_str().unwrap().to_owned();
    let newer = rotate(&api, &second, Some(json!({"expires_at": in_days(100)}))).await;
    let third = newer.body["token"].as_str().unwrap().to_owned();
    assert_eq!(api.get("/user", &third).await.status, StatusCode::OK);

    // Reading with an old token is refused, and harms nothing.
    let read = api.get("/personal_access_tokens/self", tokens::API).await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.get("/user", &third).await.status, StatusCode::OK);

    // Rotating with it revokes every token of the family.
    let reuse = rotate(&api, &second, None).await;
    assert_eq!(reuse.status, StatusCode::UNAUTHORIZED);
    let after = api.get("/user", &third).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(after.text.contains("revoked"), "{}", after.text);
    assert_eq!(
        api.get("/user", tokens::READ_ONLY).await.status,
        StatusCode::OK
    );
}

//! The simulator's responses have the field names and JSON types of GitLab's documented
//! examples (`tests/fixtures/gitlab/*.json`), and its error bodies equal the derived ones
//! (`tests/fixtures/gitlab/derived-from-source/`).
//!
//! Shape rule: every field of the fixture is present with the same JSON type, recursively.
//! Arrays: every element of the sim's array against the fixture's elements merged (fields of
//! every documented element; a field that is `null` in any element counts as `null`). Where the
//! fixture has `null`, any value is accepted. Where the fixture has a value, `null` is accepted
//! only for the fields in [`NULLABLE`], which GitLab itself returns as `null` when unset.

mod common;

use common::Api;
use gitlab_sim::{HookOwner, Knobs, Simulator, World, access, tokens};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Fields GitLab returns as `null` when unset although the documented example has a value.
const NULLABLE: &[&str] = &[
    "expires_at",               // membership without expiry
    "custom_webhook_template",  // hook without a template
    "file_template_project_id", // group without a template project (EE)
    "last_sign_in_at",          // bots and blocked users never signed in
    "current_sign_in_at",
    "name_regex_keep",       // container expiration policy default
    "issue_branch_template", // project without a template
];

fn fixtures_dir() -> PathBuf {
    std::env::var_os("GITLAB_FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/gitlab")
        })
}

fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "fixture {} not readable ({e}); set GITLAB_FIXTURES_DIR to a copy of GitLab's documented examples",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Collects every mismatch between `actual` and the fixture `expected` at `path`.
fn shape_errors(
    path: &str,
    expected: &Value,
    actual: &Value,
    skip: &[&str],
    errors: &mut Vec<String>,
) {
    let key = path
        .rsplit('.')
        .next()
        .unwrap_or(path)
        .trim_end_matches("[]");
    match (expected, actual) {
        (Value::Null, _) => {}
        (_, Value::Null) if NULLABLE.contains(&key) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if skip.contains(&k.as_str()) {
                    continue;
                }
                match a.get(k) {
                    Some(av) => shape_errors(&format!("{path}.{k}"), ev, av, skip, errors),
                    None => errors.push(format!("{path}.{k} missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if let Some(merged) = merge_elements(e) {
                for (i, av) in a.iter().enumerate() {
                    shape_errors(&format!("{path}[{i}]"), &merged, av, skip, errors);
                }
            }
        }
        (e, a) if type_name(e) == type_name(a) => {}
        (e, a) => errors.push(format!(
            "{path}: fixture has {}, sim has {} ({a})",
            type_name(e),
            type_name(a)
        )),
    }
}

/// The documented elements of an array as one: for objects, the fields all elements have,
/// `null` where any element has `null`.
fn merge_elements(elements: &[Value]) -> Option<Value> {
    let first = elements.first()?;
    let Value::Object(first_map) = first else {
        return Some(first.clone());
    };
    let objects: Vec<&serde_json::Map<String, Value>> =
        elements.iter().filter_map(Value::as_object).collect();
    let merged = first_map
        .iter()
        .filter(|(k, _)| objects.iter().all(|o| o.contains_key(*k)))
        .map(|(k, v)| {
            let any_null = objects.iter().any(|o| o[k].is_null());
            (k.clone(), if any_null { Value::Null } else { v.clone() })
        })
        .collect();
    Some(Value::Object(merged))
}

/// Asserts `actual` has the fixture's shape; `skip` names fields the fixture shows only
/// conditionally (checked separately).
fn assert_shape(name: &str, actual: &Value, skip: &[&str]) {
    let expected = fixture(name);
    if let Value::Array(a) = actual {
        assert!(
            !a.is_empty(),
            "{name}: the sim returned an empty list, nothing to compare"
        );
    }
    let mut errors = Vec::new();
    shape_errors("$", &expected, actual, skip, &mut errors);
    assert!(
        errors.is_empty(),
        "{name}: {} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

fn derived(name: &str) -> Value {
    fixture(&format!("derived-from-source/{name}"))
}

async fn start() -> (Simulator, Api) {
    let sim = Simulator::start(World::demo()).await.expect("sim starts");
    let api = Api::new(&sim);
    (sim, api)
}

fn project_id(sim: &Simulator, path: &str) -> u64 {
    sim.state(|w| w.project_by_path(path).expect("demo project").id)
}

fn group_id(sim: &Simulator, path: &str) -> u64 {
    sim.state(|w| w.group_by_path(path).expect("demo group").id)
}

#[test]
fn the_shape_rule_catches_missing_fields_wrong_types_and_unexpected_nulls() {
    let mut errors = Vec::new();
    let expected =
        json!({"a": 1, "b": "x", "c": null, "d": [{"e": true}], "expires_at": "2020-01-01"});
    shape_errors(
        "$",
        &expected,
        &json!({"a": 2, "b": "y", "c": 5, "d": [{"e": false}], "expires_at": null}),
        &[],
        &mut errors,
    );
    assert!(errors.is_empty(), "{errors:?}");
    shape_errors(
        "$",
        &expected,
        &json!({"a": "2", "c": null, "d": [{"e": 1}], "expires_at": 3}),
        &[],
        &mut errors,
    );
    assert_eq!(errors.len(), 4, "{errors:?}");
    errors.clear();
    shape_errors(
        "$",
        &json!({"b": "x"}),
        &json!({"b": null}),
        &[],
        &mut errors,
    );
    assert_eq!(errors.len(), 1, "null only where allowed: {errors:?}");
}

#[tokio::test]
async fn token_user_and_version_endpoints_match_the_fixtures() {
    let (sim, api) = start().await;
    let me = api.get("/personal_access_tokens/self", tokens::API).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_shape("personal_access_tokens_self.json", &me.body, &[]);
    assert_eq!(me.body["scopes"], json!(["api"]));

    let repo_only = api
        .get("/personal_access_tokens/self", tokens::REPO_ONLY)
        .await;
    assert_eq!(
        repo_only.status,
        StatusCode::OK,
        "any scope may introspect itself"
    );
    let no_expiry = api
        .get("/personal_access_tokens/self", tokens::NO_EXPIRY)
        .await;
    assert_eq!(no_expiry.body["expires_at"], Value::Null);

    let info = api.call(Method::GET, "/oauth/token/info", None, None).await;
    assert_eq!(info.status, StatusCode::UNAUTHORIZED);
    let http = common::http();
    let info = http
        .get(format!("{}/oauth/token/info", sim.url()))
        .bearer_auth(tokens::OAUTH)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    let info: Value = info.json().await.unwrap();
    assert_shape("oauth_token_info.json", &info, &[]);
    assert_eq!(info["scope"], json!(["api"]));

    for path in ["/metadata", "/version"] {
        let v = api.get(path, tokens::READ_API_ONLY).await;
        assert_eq!(v.status, StatusCode::OK);
        assert_shape("metadata.json", &v.body, &[]);
    }

    let user = api.get("/user", tokens::READ_ONLY).await;
    assert_shape("user_current_regular.json", &user.body, &[]);
    assert!(
        user.body.get("is_admin").is_none(),
        "no is_admin for regular users"
    );
    assert!(
        user.body["web_url"]
            .as_str()
            .unwrap()
            .starts_with(&sim.url())
    );
    let admin = api.get("/user", tokens::ADMIN).await;
    assert_shape("user_current_admin.json", &admin.body, &[]);
    assert_eq!(admin.body["is_admin"], json!(true));
}

#[tokio::test]
async fn users_endpoints_match_the_fixtures_for_regular_users_and_admins() {
    let (_sim, api) = start().await;
    let regular = api.get("/users?per_page=100", tokens::API).await;
    assert_shape("users_list_regular.json", &regular.body, &[]);
    assert!(
        regular
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u.get("email").is_none())
    );
    assert!(
        regular
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["state"] == "blocked")
    );
    let admin = api.get("/users?per_page=100", tokens::ADMIN).await;
    // `note` appears on the first documented element only.
    assert_shape("users_list_admin.json", &admin.body, &["note"]);
    assert!(
        admin
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["email"].is_string())
    );

    let id = regular.body[0]["id"].as_u64().unwrap();
    let one = api.get(&format!("/users/{id}"), tokens::API).await;
    assert_shape("users_get_regular.json", &one.body, &[]);
    assert!(one.body.get("email").is_none());
    let one = api.get(&format!("/users/{id}"), tokens::ADMIN).await;
    assert_shape("users_get_admin.json", &one.body, &[]);
    let bots = admin
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["bot"] == json!(true))
        .count();
    assert_eq!(bots, 2, "the demo world has two project bots");
}

#[tokio::test]
async fn project_and_group_lists_match_the_fixtures() {
    let (sim, api) = start().await;
    let full = api.get("/projects?per_page=100", tokens::API).await;
    assert_shape("projects_list.json", &full.body, &[]);
    let simple = api
        .get("/projects?simple=true&per_page=100", tokens::API)
        .await;
    assert_shape("projects_list_simple.json", &simple.body, &[]);
    assert!(
        simple.body[0].get("permissions").is_none(),
        "simple=true drops permissions"
    );

    let one = api
        .get("/projects/acme%2Fweb%2Fstorefront", tokens::API)
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_shape(
        "projects_list.json",
        &Value::Array(vec![one.body.clone()]),
        &[],
    );
    assert_eq!(
        one.body["permissions"]["group_access"]["access_level"],
        json!(access::OWNER)
    );

    let groups = api.get("/groups?per_page=100", tokens::API).await;
    assert_shape("groups_list.json", &groups.body, &[]);
    let acme = group_id(&sim, "acme");
    let gp = api
        .get(
            &format!("/groups/{acme}/projects?include_subgroups=true&per_page=100"),
            tokens::API,
        )
        .await;
    assert_shape("group_projects_list.json", &gp.body, &[]);
    assert!(gp.body[0].get("permissions").is_none());

    let ns = api.get("/namespaces/acme", tokens::API).await;
    assert_shape("namespace_get.json", &ns.body, &[]);
    let not_owner = api.get("/namespaces/partners", tokens::API).await;
    assert_eq!(not_owner.status, StatusCode::OK);
    assert!(not_owner.body.get("plan").is_none(), "plan only for owners");
}

#[tokio::test]
async fn member_lists_match_the_fixtures_and_show_email_only_to_owners() {
    let (sim, api) = start().await;
    let acme = group_id(&sim, "acme");
    // `email` is conditional: only enterprise users, only for the top-level group's Owner.
    let direct = api
        .get(&format!("/groups/{acme}/members?per_page=100"), tokens::API)
        .await;
    assert_shape("group_members_list.json", &direct.body, &["email"]);
    let all = api
        .get(
            &format!(
                "/groups/{}/members/all?per_page=100",
                group_id(&sim, "acme/platform")
            ),
            tokens::API,
        )
        .await;
    assert_shape("group_members_all.json", &all.body, &["email"]);
    let storefront = project_id(&sim, "acme/web/storefront");
    let pall = api
        .get(
            &format!("/projects/{storefront}/members/all?per_page=100"),
            tokens::API,
        )
        .await;
    assert_shape("project_members_all.json", &pall.body, &["email"]);

    let with_email: Vec<&Value> = direct
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m.get("email").is_some())
        .collect();
    assert!(
        !with_email.is_empty(),
        "the owner sees enterprise users' e-mails"
    );
    for m in &with_email {
        assert!(
            m["email"].as_str().unwrap().ends_with("@acme.example"),
            "{m}"
        );
    }
    assert!(
        direct
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m.get("email").is_none()),
        "not for other users"
    );
    let dev = api
        .get(
            &format!(
                "/projects/{}/members/all?per_page=100",
                project_id(&sim, "opensource/cli")
            ),
            tokens::API,
        )
        .await;
    assert!(
        dev.body
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("email").is_none()),
        "not for a non-owner"
    );

    // Lists follow membership changes made through the state.
    let path = format!("/groups/{acme}/members?per_page=100");
    let before = api
        .get(&path, tokens::API)
        .await
        .body
        .as_array()
        .unwrap()
        .len();
    sim.state(|w| {
        let bot = w
            .users()
            .find(|u| u.kind == gitlab_sim::UserKind::ProjectBot)
            .unwrap()
            .id;
        w.add_member(gitlab_sim::Source::Group(acme), bot, access::REPORTER);
    });
    let after = api.get(&path, tokens::API).await;
    assert_eq!(after.body.as_array().unwrap().len(), before + 1);
    assert_eq!(
        after.header("x-total"),
        Some((before + 1).to_string().as_str())
    );
}

#[tokio::test]
async fn project_hooks_match_the_fixture_and_keep_the_token_secret() {
    let (sim, api) = start().await;
    let pid = project_id(&sim, "acme/web/storefront");
    let created = api
        .call(
            Method::POST,
            &format!("/projects/{pid}/hooks"),
            Some(tokens::API),
            Some(json!({
                "url": "https://crawler.example/gitlab",
                "name": "crawler",
                "token": "hook-secret",
                "merge_requests_events": true,
                "custom_webhook_template": "{\"event\":\"{{object_kind}}\"}",
                "custom_headers": [{"key": "X-Crawler", "value": "1"}],
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_shape("project_hook_get.json", &created.body, &[]);
    assert!(
        !created.text.contains("hook-secret"),
        "the token is never returned"
    );
    assert_eq!(
        created.body["custom_headers"],
        json!([{"key": "X-Crawler"}])
    );
    let id = created.body["id"].as_u64().unwrap();
    assert_eq!(
        sim.state(|w| w.hook(id).unwrap().token.clone()).as_deref(),
        Some("hook-secret")
    );

    let got = api
        .get(&format!("/projects/{pid}/hooks/{id}"), tokens::API)
        .await;
    assert_shape("project_hook_get.json", &got.body, &[]);
    let list = api
        .get(&format!("/projects/{pid}/hooks"), tokens::READ_API_ONLY)
        .await;
    assert_shape(
        "project_hook_get.json",
        &list.body[0],
        &["url_variables", "custom_headers"],
    );
    assert!(
        list.body[0].get("custom_headers").is_none(),
        "the list omits custom_headers"
    );
    assert!(
        list.body[0].get("url_variables").is_none(),
        "the list omits url_variables"
    );

    let updated = api
        .call(
            Method::PUT,
            &format!("/projects/{pid}/hooks/{id}"),
            Some(tokens::API),
            Some(json!({"url": "https://crawler.example/v2"})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_shape("project_hook_get.json", &updated.body, &[]);
    assert_eq!(
        sim.state(|w| w.hook(id).unwrap().token.clone()),
        None,
        "a new URL resets the token"
    );

    let test = api
        .call(
            Method::POST,
            &format!("/projects/{pid}/hooks/{id}/test/push_events"),
            Some(tokens::API),
            None,
        )
        .await;
    assert_eq!(test.status, StatusCode::CREATED);
    assert_eq!(test.body, fixture("project_hook_test.json"));
    let deleted = api
        .call(
            Method::DELETE,
            &format!("/projects/{pid}/hooks/{id}"),
            Some(tokens::API),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(sim.state(|w| w.hook(id).is_none()));
}

#[tokio::test]
async fn group_hooks_match_the_fixtures() {
    let (sim, api) = start().await;
    let acme = group_id(&sim, "acme");
    let list = api.get(&format!("/groups/{acme}/hooks"), tokens::API).await;
    assert_shape("group_hooks_list.json", &list.body, &[]);
    let body = json!({"url": "https://crawler.example/group", "token": "g-secret", "subgroup_events": true, "custom_webhook_template": "{}"});
    let created = api
        .call(
            Method::POST,
            &format!("/groups/{acme}/hooks"),
            Some(tokens::API),
            Some(body),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_shape("group_hook_create.json", &created.body, &[]);
    let id = created.body["id"].as_u64().unwrap();
    let got = api
        .get(&format!("/groups/{acme}/hooks/{id}"), tokens::API)
        .await;
    assert_shape("group_hook_get.json", &got.body, &[]);
    let updated = api
        .call(
            Method::PUT,
            &format!("/groups/{acme}/hooks/{id}"),
            Some(tokens::API),
            Some(json!({"name": "New hook name"})),
        )
        .await;
    assert_shape("group_hook_update.json", &updated.body, &[]);
    assert_eq!(updated.body["name"], "New hook name");
    let test = api
        .call(
            Method::POST,
            &format!("/groups/{acme}/hooks/{id}/test/push_events"),
            Some(tokens::API),
            None,
        )
        .await;
    assert_eq!(test.body, fixture("group_hook_test.json"));
    let hook = sim.state(|w| w.hook(id).cloned()).unwrap();
    assert_eq!(
        (
            hook.owner,
            hook.token.as_deref(),
            hook.event("subgroup_events")
        ),
        (HookOwner::Group(acme), Some("g-secret"), true)
    );
    assert_eq!(hook.test_triggers, vec!["push_events".to_string()]);
}

#[tokio::test]
async fn error_bodies_equal_the_derived_fixtures() {
    let (sim, api) = start().await;
    let no_token = api.call(Method::GET, "/projects", None, None).await;
    assert_eq!(
        (no_token.status, no_token.body.clone()),
        (
            StatusCode::UNAUTHORIZED,
            fixture("error_401_unauthorized.json")
        )
    );
    let unknown = api.get("/projects", "simtok-unknown").await;
    assert_eq!(unknown.body, fixture("error_401_unauthorized.json"));

    let expired = api.get("/user", tokens::EXPIRED).await;
    assert_eq!(
        (expired.status, expired.body.clone()),
        (
            StatusCode::UNAUTHORIZED,
            derived("error_401_token_expired.json")
        )
    );
    let www = derived("headers_examples.json")["www_authenticate_on_expired_token_derived"].clone();
    assert_eq!(expired.header("www-authenticate"), www.as_str());
    let revoked = api.get("/projects", tokens::REVOKED).await;
    assert_eq!(revoked.body, derived("error_401_token_revoked.json"));
    assert!(
        revoked
            .header("www-authenticate")
            .unwrap()
            .contains("Token was revoked")
    );

    let scope = api.get("/projects", tokens::REPO_ONLY).await;
    assert_eq!(scope.status, StatusCode::FORBIDDEN);
    assert_shape("error_403_insufficient_scope.json", &scope.body, &[]);
    assert_eq!(scope.body["scope"], "api read_api");
    assert!(scope.header("www-authenticate").is_none());
    let pid = project_id(&sim, "acme/web/storefront");
    let write = api
        .call(
            Method::POST,
            &format!("/projects/{pid}/hooks"),
            Some(tokens::READ_API_ONLY),
            Some(json!({"url": "https://x.example"})),
        )
        .await;
    assert_eq!(
        (write.status, write.body["scope"].clone()),
        (StatusCode::FORBIDDEN, json!("api"))
    );

    let dev_project = project_id(&sim, "opensource/cli");
    let forbidden = api
        .call(
            Method::POST,
            &format!("/projects/{dev_project}/hooks"),
            Some(tokens::API),
            Some(json!({"url": "https://x.example"})),
        )
        .await;
    assert_eq!(
        (forbidden.status, forbidden.body.clone()),
        (StatusCode::FORBIDDEN, derived("error_403_forbidden.json"))
    );
    let not_owner = api
        .get(
            &format!("/groups/{}/hooks", group_id(&sim, "partners")),
            tokens::API,
        )
        .await;
    assert_eq!(
        not_owner.body,
        derived("error_403_forbidden.json"),
        "group hooks need Owner"
    );

    let missing = api.get("/projects/999999", tokens::API).await;
    assert_eq!(
        (missing.status, missing.body.clone()),
        (
            StatusCode::NOT_FOUND,
            derived("error_404_project_not_found.json")
        )
    );
    let hidden = api
        .get(
            &format!("/projects/{}", project_id(&sim, "finance/payroll-scripts")),
            tokens::API,
        )
        .await;
    assert_eq!(
        api.get("/groups/finance", tokens::API).await.status,
        StatusCode::OK,
        "visible through its projects"
    );
    assert_eq!(
        hidden.body,
        derived("error_404_project_not_found.json"),
        "invisible looks missing"
    );
    sim.state(|w| w.add_group("Hidden", "hidden", None));
    let group = api.get("/groups/hidden", tokens::API).await;
    assert_eq!(
        (group.status, group.body.clone()),
        (
            StatusCode::NOT_FOUND,
            derived("error_404_group_not_found.json")
        )
    );
    let route = api.get("/no/such/route", tokens::API).await;
    assert_eq!(
        (route.status, route.body.clone()),
        (
            StatusCode::NOT_FOUND,
            derived("error_404_unknown_route.json")
        )
    );

    let oauth = http_bearer(&sim, "/api/v4/personal_access_tokens/self", tokens::OAUTH).await;
    assert_eq!(
        oauth,
        (400, derived("error_400_pat_self_with_non_pat_token.json"))
    );

    sim.set_knobs(Knobs {
        block_local_hook_urls: true,
        ..Knobs::default()
    });
    let local = api
        .call(
            Method::POST,
            &format!("/projects/{pid}/hooks"),
            Some(tokens::API),
            Some(json!({"url": "http://127.0.0.1:9/hook"})),
        )
        .await;
    assert_eq!(
        (local.status, local.body.clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            derived("error_422_hook_invalid_url.json")
        )
    );
    sim.set_knobs(Knobs::default());
    let allowed = api
        .call(
            Method::POST,
            &format!("/projects/{pid}/hooks"),
            Some(tokens::API),
            Some(json!({"url": "http://127.0.0.1:9/hook"})),
        )
        .await;
    assert_eq!(
        allowed.status,
        StatusCode::CREATED,
        "local URLs pass without the knob"
    );

    sim.set_knobs(Knobs {
        legacy_no_token_self: true,
        ..Knobs::default()
    });
    let legacy = api.get("/personal_access_tokens/self", tokens::API).await;
    assert_eq!(
        (legacy.status, legacy.body.clone()),
        (
            StatusCode::NOT_FOUND,
            derived("error_404_unknown_route.json")
        )
    );
    sim.set_knobs(Knobs::default());
}

async fn http_bearer(sim: &Simulator, path: &str, token: &str) -> (u16, Value) {
    let http = common::http();
    let r = http
        .get(format!("{}{path}", sim.url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn hook_test_limits_and_group_without_projects_answer_the_derived_errors() {
    let (sim, api) = start().await;
    let pid = project_id(&sim, "acme/web/storefront");
    let hook = sim.state(|w| w.hooks_of_project(pid)[0].id);
    let path = format!("/projects/{pid}/hooks/{hook}/test/push_events");
    for _ in 0..5 {
        assert_eq!(
            api.call(Method::POST, &path, Some(tokens::API), None)
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let limited = api.call(Method::POST, &path, Some(tokens::API), None).await;
    assert_eq!(
        (limited.status, limited.body.clone()),
        (
            StatusCode::TOO_MANY_REQUESTS,
            derived("error_429_application_rate_limit.json")
        )
    );
    assert_eq!(sim.state(|w| w.hook(hook).unwrap().test_triggers.len()), 5);

    let (gid, hid) = sim.state(|w| {
        let main = w.user_by_username(tokens::MAIN_USER).unwrap().id;
        let g = w.add_group("Empty", "empty", None);
        w.add_member(gitlab_sim::Source::Group(g), main, access::OWNER);
        (
            g,
            w.add_hook(HookOwner::Group(g), "https://crawler.example/g", None),
        )
    });
    let empty = api
        .call(
            Method::POST,
            &format!("/groups/{gid}/hooks/{hid}/test/push_events"),
            Some(tokens::API),
            None,
        )
        .await;
    assert_eq!(
        (empty.status, empty.body.clone()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            derived("error_422_group_hook_test_no_project.json")
        )
    );

    // At most 100 hooks per project.
    let full = project_id(&sim, "acme/handbook");
    sim.state(|w| {
        for i in 0..100 {
            w.add_hook(
                HookOwner::Project(full),
                &format!("https://h{i}.example/"),
                None,
            );
        }
    });
    let over = api
        .call(
            Method::POST,
            &format!("/projects/{full}/hooks"),
            Some(tokens::API),
            Some(json!({"url": "https://x.example"})),
        )
        .await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        over.body["error"],
        "Maximum number of project hooks (100) exceeded"
    );

    // Form-encoded bodies work too (curl users send them).
    let http = common::http();
    let form = http
        .post(format!("{}/api/v4/projects/{pid}/hooks", sim.url()))
        .header("PRIVATE-TOKEN", tokens::API)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("url=https%3A%2F%2Fform.example%2Fh&token=form-secret&issues_events=true")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 201);
    let id = form.json::<Value>().await.unwrap()["id"].as_u64().unwrap();
    let hook = sim.state(|w| w.hook(id).cloned()).unwrap();
    assert_eq!(
        (hook.token.as_deref(), hook.event("issues_events")),
        (Some("form-secret"), true)
    );

    sim.state(|w| w.version.enterprise = false);
    let ce = api.get(&format!("/groups/{gid}/hooks"), tokens::API).await;
    assert_eq!(
        (ce.status, ce.body.clone()),
        (
            StatusCode::NOT_FOUND,
            derived("error_404_unknown_route.json")
        ),
        "no group hooks on CE"
    );
}

#[tokio::test]
async fn throttled_requests_get_the_plain_text_body_and_headers() {
    let (sim, api) = start().await;
    sim.set_knobs(Knobs {
        rate_limit: Some(gitlab_sim::RateLimit {
            limit: 2,
            window: std::time::Duration::from_secs(3600),
        }),
        ..Knobs::default()
    });
    let first = api.get("/user", tokens::API).await;
    let common = derived("headers_examples.json")["rate_limit_all_responses"].clone();
    for name in common.as_object().unwrap().keys() {
        assert!(first.header(name).is_some(), "{name} on every response");
    }
    assert_eq!(
        first.header("ratelimit-name"),
        Some("throttle_authenticated_api")
    );
    assert_eq!(first.header("ratelimit-remaining"), Some("1"));
    api.get("/user", tokens::API).await;
    let third = api.get("/user", tokens::READ_ONLY).await;
    assert_eq!(
        third.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the limit is per user, not per token"
    );
    let body =
        std::fs::read_to_string(fixtures_dir().join("derived-from-source/error_429_body.txt"))
            .unwrap();
    assert_eq!(third.text.trim_end(), body.trim_end());
    assert_eq!(third.header("content-type"), Some("text/plain"));
    let extra = derived("headers_examples.json")["rate_limit_429_additional"].clone();
    for name in extra.as_object().unwrap().keys() {
        assert!(third.header(name).is_some(), "{name} on 429");
    }
    let retry: u64 = third.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry));
    let admin = api.get("/user", tokens::ADMIN).await;
    assert_eq!(
        admin.status,
        StatusCode::OK,
        "other users have their own quota"
    );
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.throttled && r.status == 429 && r.path == "/api/v4/user")
    );
}

#[tokio::test]
async fn token_rotation_matches_the_fixture() {
    let (sim, api) = start().await;
    let date = (chrono::Utc::now().date_naive() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let rotated = api
        .call(
            Method::POST,
            "/personal_access_tokens/self/rotate",
            Some(tokens::API),
            Some(json!({ "expires_at": date })),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    assert_shape("personal_access_tokens_rotate.json", &rotated.body, &[]);
    assert_eq!(rotated.body["expires_at"], json!(date));
    assert_eq!(rotated.body["scopes"], json!(["api"]));
    let new = rotated.body["token"].as_str().unwrap().to_owned();
    assert_ne!(new, tokens::API);
    assert_eq!(sim.state(|w| w.token(&new).map(|t| t.revoked)), Some(false));
}

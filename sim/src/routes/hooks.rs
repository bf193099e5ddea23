//! Project hooks (`/projects/:id/hooks…`, Maintainer) and group hooks (`/groups/:id/hooks…`,
//! Owner; Enterprise Edition only): list, get, create, update, delete, test.

use super::{ApiResult, Ctx, find_group, find_project, json, page_response};
use crate::auth::{Caller, Need};
use crate::error::ApiError;
use crate::model::{
    AlertStatus, GROUP_ONLY_HOOK_EVENTS, Hook, HookOwner, Owner, PROJECT_HOOK_EVENTS, access,
};
use crate::paginate::{self, Page};
use crate::params::Body;
use crate::ratelimit::unix_now;
use crate::server::lock;
use crate::world::World;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;
use std::net::IpAddr;

/// GitLab.com's limits on hooks per project and per group.
const MAX_PROJECT_HOOKS: usize = 100;
const MAX_GROUP_HOOKS: usize = 50;
/// Test deliveries per minute, per project (or group) and user.
const TESTS_PER_MINUTE: u32 = 5;
/// Valid `:trigger` values of the test endpoint.
const TRIGGERS: &[&str] = &[
    "push_events",
    "tag_push_events",
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "merge_requests_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "releases_events",
    "emoji_events",
    "resource_access_token_events",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Project,
    Group,
}

/// Resolves `:id` to the hook owner and checks the caller's role (Maintainer for projects,
/// Owner for groups). Group hooks do not exist on Community Edition (404 route).
fn owner_of(world: &World, caller: &Caller, kind: Kind, id: &str) -> Result<HookOwner, ApiError> {
    match kind {
        Kind::Project => {
            let p = find_project(world, caller, id)?;
            let level = world.project_access(caller.user, p.id).max();
            if !caller.admin && level.is_none_or(|l| l < access::MAINTAINER) {
                return Err(ApiError::forbidden());
            }
            Ok(HookOwner::Project(p.id))
        }
        Kind::Group => {
            if !world.version.enterprise {
                return Err(ApiError::no_route());
            }
            let g = find_group(world, caller, id)?;
            if !caller.admin && world.group_access(caller.user, g.id) != Some(access::OWNER) {
                return Err(ApiError::forbidden());
            }
            Ok(HookOwner::Group(g.id))
        }
    }
}

fn find_hook(world: &World, owner: HookOwner, hook_id: &str) -> Result<u64, ApiError> {
    let id = hook_id
        .parse::<u64>()
        .map_err(|_| ApiError::invalid_param("hook_id"))?;
    world
        .hook(id)
        .filter(|h| h.owner == owner)
        .map(|h| h.id)
        .ok_or_else(ApiError::record_not_found)
}

/// Whether a host is loopback, private, link-local or unspecified (GitLab's local network).
fn is_local_host(host: &url::Host<&str>) -> bool {
    let ip = match host {
        url::Host::Domain(d) => return *d == "localhost" || d.ends_with(".localhost"),
        url::Host::Ipv4(v4) => IpAddr::V4(*v4),
        url::Host::Ipv6(v6) => IpAddr::V6(*v6),
    };
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
    }
}

/// 422 `Invalid url given` unless the URL is http(s) with a host (and, with the knob, not local).
fn check_url(raw: &str, block_local: bool) -> Result<(), ApiError> {
    let invalid = || ApiError::error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid url given");
    let url = url::Url::parse(raw).map_err(|_| invalid())?;
    let host = url.host().ok_or_else(invalid)?;
    if !matches!(url.scheme(), "http" | "https") || (block_local && is_local_host(&host)) {
        return Err(invalid());
    }
    Ok(())
}

/// Hook attributes from a POST or PUT body.
#[derive(Default)]
struct HookParams {
    url: Option<String>,
    name: Option<String>,
    description: Option<String>,
    token: Option<String>,
    push_events_branch_filter: Option<String>,
    branch_filter_strategy: Option<String>,
    custom_webhook_template: Option<String>,
    enable_ssl_verification: Option<bool>,
    events: Vec<(String, bool)>,
    custom_headers: Option<Vec<(String, String)>>,
    url_variables: Option<Vec<(String, String)>>,
}

impl HookParams {
    fn parse(body: &Body, kind: Kind) -> Result<HookParams, ApiError> {
        let mut events = Vec::new();
        let names = PROJECT_HOOK_EVENTS.iter().chain(match kind {
            Kind::Project => [].iter(),
            Kind::Group => GROUP_ONLY_HOOK_EVENTS.iter(),
        });
        for name in names.filter(|n| **n != "repository_update_events") {
            if let Some(on) = body.flag(name)? {
                events.push((name.to_string(), on));
            }
        }
        let strategy = body.string("branch_filter_strategy")?;
        if strategy
            .as_deref()
            .is_some_and(|s| !matches!(s, "wildcard" | "regex" | "all_branches"))
        {
            return Err(ApiError::error(
                StatusCode::BAD_REQUEST,
                "branch_filter_strategy does not have a valid value",
            ));
        }
        Ok(HookParams {
            url: body.string("url")?,
            name: body.string("name")?,
            description: body.string("description")?,
            token: body.string("token")?,
            push_events_branch_filter: body.string("push_events_branch_filter")?,
            branch_filter_strategy: strategy,
            custom_webhook_template: body.string("custom_webhook_template")?,
            enable_ssl_verification: body.flag("enable_ssl_verification")?,
            events,
            custom_headers: body.key_values("custom_headers")?,
            url_variables: body.key_values("url_variables")?,
        })
    }

    fn is_empty(&self) -> bool {
        self.url.is_none()
            && self.name.is_none()
            && self.description.is_none()
            && self.token.is_none()
            && self.push_events_branch_filter.is_none()
            && self.branch_filter_strategy.is_none()
            && self.custom_webhook_template.is_none()
            && self.enable_ssl_verification.is_none()
            && self.events.is_empty()
            && self.custom_headers.is_none()
            && self.url_variables.is_none()
    }

    /// Applies the attributes; a new URL without a new token clears the token, as GitLab does.
    fn apply(self, hook: &mut Hook) {
        if let Some(url) = self.url {
            if url != hook.url && self.token.is_none() {
                hook.token = None;
            }
            hook.url = url;
        }
        if let Some(token) = self.token {
            hook.token = Some(token).filter(|t| !t.is_empty());
        }
        let set = |field: &mut String, value: Option<String>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        set(&mut hook.name, self.name);
        set(&mut hook.description, self.description);
        set(
            &mut hook.push_events_branch_filter,
            self.push_events_branch_filter,
        );
        set(
            &mut hook.branch_filter_strategy,
            self.branch_filter_strategy,
        );
        if let Some(t) = self.custom_webhook_template {
            hook.custom_webhook_template = Some(t).filter(|t| !t.is_empty());
        }
        if let Some(v) = self.enable_ssl_verification {
            hook.enable_ssl_verification = v;
        }
        hook.events.extend(self.events);
        if let Some(h) = self.custom_headers {
            hook.custom_headers = h;
        }
        if let Some(v) = self.url_variables {
            hook.url_variables = v;
        }
    }
}

async fn list(ctx: Ctx, kind: Kind, id: String) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let owner = owner_of(&world, &caller, kind, &id)?;
    let page = paginate::offset(&ctx.link(), None, || world.hooks_of(owner))?;
    let render = ctx.render(&world);
    let items = page
        .items
        .into_iter()
        .map(|h| render.hook(h, kind == Kind::Group))
        .collect();
    Ok(page_response(Page {
        items,
        headers: page.headers,
    }))
}

async fn get_one(ctx: Ctx, kind: Kind, id: String, hook_id: String) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let owner = owner_of(&world, &caller, kind, &id)?;
    let hook = find_hook(&world, owner, &hook_id)?;
    Ok(json(
        StatusCode::OK,
        ctx.render(&world)
            .hook(world.hook(hook).expect("found"), true),
    ))
}

async fn create(ctx: Ctx, kind: Kind, id: String, body: Bytes) -> ApiResult {
    let block_local = ctx.knobs().block_local_hook_urls;
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let owner = owner_of(&world, &caller, kind, &id)?;
    let params = HookParams::parse(&Body::parse(ctx.content_type(), &body, &ctx.query)?, kind)?;
    let url = params
        .url
        .clone()
        .ok_or_else(|| ApiError::error(StatusCode::BAD_REQUEST, "url is missing"))?;
    check_url(&url, block_local)?;
    let (max, noun) = match kind {
        Kind::Project => (MAX_PROJECT_HOOKS, "project hooks"),
        Kind::Group => (MAX_GROUP_HOOKS, "group hooks"),
    };
    if world.hooks_of(owner).count() >= max {
        return Err(ApiError::error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Maximum number of {noun} ({max}) exceeded"),
        ));
    }
    let hook = world.add_hook(owner, &url, None);
    params.apply(world.hook_mut(hook).expect("just added"));
    Ok(json(
        StatusCode::CREATED,
        ctx.render(&world)
            .hook(world.hook(hook).expect("just added"), true),
    ))
}

async fn update(ctx: Ctx, kind: Kind, id: String, hook_id: String, body: Bytes) -> ApiResult {
    let block_local = ctx.knobs().block_local_hook_urls;
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let owner = owner_of(&world, &caller, kind, &id)?;
    let hook = find_hook(&world, owner, &hook_id)?;
    let params = HookParams::parse(&Body::parse(ctx.content_type(), &body, &ctx.query)?, kind)?;
    if params.is_empty() {
        return Err(ApiError::error(
            StatusCode::BAD_REQUEST,
            "No parameters provided",
        ));
    }
    if let Some(url) = &params.url {
        check_url(url, block_local)?;
    }
    params.apply(world.hook_mut(hook).expect("found"));
    Ok(json(
        StatusCode::OK,
        ctx.render(&world)
            .hook(world.hook(hook).expect("found"), true),
    ))
}

async fn delete(ctx: Ctx, kind: Kind, id: String, hook_id: String) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let owner = owner_of(&world, &caller, kind, &id)?;
    let hook = find_hook(&world, owner, &hook_id)?;
    world.remove_hook(hook);
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn test(ctx: Ctx, kind: Kind, id: String, hook_id: String, trigger: String) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let owner = owner_of(&world, &caller, kind, &id)?;
    if !TRIGGERS.contains(&trigger.as_str()) {
        return Err(ApiError::error(
            StatusCode::BAD_REQUEST,
            "trigger does not have a valid value",
        ));
    }
    let hook = find_hook(&world, owner, &hook_id)?;
    if lock(&ctx.shared.hook_tests).hit((owner, caller.user), 60, unix_now()) > TESTS_PER_MINUTE {
        return Err(ApiError::app_rate_limited());
    }
    let has_commits = match owner {
        HookOwner::Project(p) => world.project(p).is_some_and(|p| !p.empty_repo),
        HookOwner::Group(g) => std::iter::once(g)
            .chain(world.descendants(g))
            .flat_map(|g| world.projects_in(Owner::Group(g)).to_vec())
            .any(|p| world.project(p).is_some_and(|p| !p.empty_repo)),
    };
    if !has_commits {
        let message = match owner {
            HookOwner::Project(_) => "Ensure the project has at least one commit.",
            HookOwner::Group(_) => "Ensure the group has a project with commits.",
        };
        return Err(ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, message));
    }
    let hook = world.hook_mut(hook).expect("found");
    hook.test_triggers.push(trigger);
    hook.alert_status = AlertStatus::Executable;
    hook.disabled_until = None;
    Ok(json(
        StatusCode::CREATED,
        json!({ "message": "201 Created" }),
    ))
}

type P2 = Path<(String, String)>;
type P3 = Path<(String, String, String)>;

pub(super) async fn list_project(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    list(ctx, Kind::Project, id).await
}
pub(super) async fn list_group(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    list(ctx, Kind::Group, id).await
}
pub(super) async fn get_project(ctx: Ctx, Path((id, hook)): P2) -> ApiResult {
    get_one(ctx, Kind::Project, id, hook).await
}
pub(super) async fn get_group(ctx: Ctx, Path((id, hook)): P2) -> ApiResult {
    get_one(ctx, Kind::Group, id, hook).await
}
pub(super) async fn create_project(ctx: Ctx, Path(id): Path<String>, body: Bytes) -> ApiResult {
    create(ctx, Kind::Project, id, body).await
}
pub(super) async fn create_group(ctx: Ctx, Path(id): Path<String>, body: Bytes) -> ApiResult {
    create(ctx, Kind::Group, id, body).await
}
pub(super) async fn update_project(ctx: Ctx, Path((id, hook)): P2, body: Bytes) -> ApiResult {
    update(ctx, Kind::Project, id, hook, body).await
}
pub(super) async fn update_group(ctx: Ctx, Path((id, hook)): P2, body: Bytes) -> ApiResult {
    update(ctx, Kind::Group, id, hook, body).await
}
pub(super) async fn delete_project(ctx: Ctx, Path((id, hook)): P2) -> ApiResult {
    delete(ctx, Kind::Project, id, hook).await
}
pub(super) async fn delete_group(ctx: Ctx, Path((id, hook)): P2) -> ApiResult {
    delete(ctx, Kind::Group, id, hook).await
}
pub(super) async fn test_project(ctx: Ctx, Path((id, hook, trigger)): P3) -> ApiResult {
    test(ctx, Kind::Project, id, hook, trigger).await
}
pub(super) async fn test_group(ctx: Ctx, Path((id, hook, trigger)): P3) -> ApiResult {
    test(ctx, Kind::Group, id, hook, trigger).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_urls_are_checked_like_gitlab() {
        assert!(check_url("https://crawler.example/hook", true).is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", false).is_ok());
        for local in [
            "http://127.0.0.1:9000/h",
            "http://localhost/h",
            "http://10.1.2.3/h",
            "http://192.168.0.4/h",
            "http://[::1]/h",
            "http://172.20.0.1/h",
        ] {
            assert!(check_url(local, true).is_err(), "{local} is local");
        }
        assert!(check_url("ftp://example.com/h", false).is_err());
        assert!(check_url("not a url", false).is_err());
    }
}

//! The HTTP routes, one module per API area, and what every handler needs ([`Ctx`]).

mod groups;
mod hooks;
mod members;
mod meta;
mod projects;
mod tokens;
mod users;

use crate::auth::{self, Caller, Need};
use crate::entities::Render;
use crate::error::ApiError;
use crate::model::{Group, Project};
use crate::paginate::{LinkBase, Page};
use crate::params::{Query, parse_query};
use crate::server::{Knobs, Shared, lock};
use crate::world::World;
use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::{Arc, MutexGuard};

/// Handler result.
pub(crate) type ApiResult = Result<Response, ApiError>;

/// What a handler knows about its request.
pub(crate) struct Ctx {
    shared: Arc<Shared>,
    method: Method,
    headers: HeaderMap,
    path: String,
    query: Query,
}

impl FromRequestParts<Arc<Shared>> for Ctx {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        shared: &Arc<Shared>,
    ) -> Result<Ctx, Infallible> {
        Ok(Ctx {
            shared: shared.clone(),
            method: parts.method.clone(),
            headers: parts.headers.clone(),
            path: parts
                .extensions
                .get::<OriginalUri>()
                .map_or_else(|| parts.uri.path().to_string(), |u| u.path().to_string()),
            query: Query(parse_query(parts.uri.query())),
        })
    }
}

impl Ctx {
    /// Locks the world for this request.
    fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.shared.world)
    }

    /// The current knobs.
    fn knobs(&self) -> Knobs {
        lock(&self.shared.knobs).clone()
    }

    /// The token the request carries.
    fn token(&self) -> Option<String> {
        auth::token_of(&self.headers, &self.query)
    }

    /// Authenticates the request against `world`.
    fn auth(&self, world: &mut World, need: Need) -> Result<Caller, ApiError> {
        auth::authenticate(world, self.token().as_deref(), &self.method, need)
    }

    fn render<'a>(&'a self, world: &'a World) -> Render<'a> {
        Render {
            world,
            base: &self.shared.base,
        }
    }

    fn link(&self) -> LinkBase<'_> {
        LinkBase {
            base: &self.shared.base,
            path: &self.path,
            query: &self.query,
        }
    }

    fn content_type(&self) -> Option<&str> {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
    }
}

/// A JSON response.
fn json(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A paginated JSON array with its headers.
fn page_response(page: Page<Value>) -> Response {
    let mut response = json(StatusCode::OK, Value::Array(page.items));
    for (name, value) in page.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), v);
        }
    }
    response
}

/// Finds a project by numeric id or full path that the caller can see
/// (404 `Project Not Found` otherwise).
fn find_project<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w Project, ApiError> {
    let project = match id.parse::<u64>() {
        Ok(n) => world.project(n),
        Err(_) => world.project_by_path(id),
    };
    project
        .filter(|p| world.can_see_project(caller.user, p))
        .ok_or_else(|| ApiError::not_found("Project"))
}

/// Finds a group by numeric id or full path that the caller can see
/// (404 `Group Not Found` otherwise).
fn find_group<'w>(world: &'w World, caller: &Caller, id: &str) -> Result<&'w Group, ApiError> {
    let group = match id.parse::<u64>() {
        Ok(n) => world.group(n),
        Err(_) => world.group_by_path(id),
    };
    group
        .filter(|g| world.can_see_group(caller.user, g))
        .ok_or_else(|| ApiError::not_found("Group"))
}

/// Case-insensitive substring match, as GitLab's `search` parameters do.
fn matches_search(search: Option<&str>, fields: &[&str]) -> bool {
    search.is_none_or(|s| {
        let s = s.to_lowercase();
        fields.iter().any(|f| f.to_lowercase().contains(&s))
    })
}

async fn no_route() -> ApiError {
    ApiError::no_route()
}

async fn method_not_allowed() -> ApiError {
    ApiError::error(StatusCode::METHOD_NOT_ALLOWED, "405 Not Allowed")
}

/// All routes.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route("/version", get(meta::version))
        .route("/metadata", get(meta::version))
        .route("/user", get(users::current))
        .route("/users", get(users::list))
        .route("/users/{id}", get(users::get_one))
        .route("/personal_access_tokens/self", get(tokens::self_info))
        .route(
            "/personal_access_tokens/self/rotate",
            post(tokens::rotate_self),
        )
        .route("/projects", get(projects::list))
        .route("/projects/{id}", get(projects::get_one))
        .route(
            "/projects/{id}/hooks",
            get(hooks::list_project).post(hooks::create_project),
        )
        .route(
            "/projects/{id}/hooks/{hook_id}",
            get(hooks::get_project)
                .put(hooks::update_project)
                .delete(hooks::delete_project),
        )
        .route(
            "/projects/{id}/hooks/{hook_id}/test/{trigger}",
            post(hooks::test_project),
        )
        .route("/projects/{id}/members", get(members::project_direct))
        .route("/projects/{id}/members/all", get(members::project_all))
        .route("/groups", get(groups::list))
        .route("/groups/{id}", get(groups::get_one))
        .route("/groups/{id}/projects", get(groups::projects))
        .route("/groups/{id}/subgroups", get(groups::subgroups))
        .route("/groups/{id}/descendant_groups", get(groups::descendants))
        .route(
            "/groups/{id}/hooks",
            get(hooks::list_group).post(hooks::create_group),
        )
        .route(
            "/groups/{id}/hooks/{hook_id}",
            get(hooks::get_group)
                .put(hooks::update_group)
                .delete(hooks::delete_group),
        )
        .route(
            "/groups/{id}/hooks/{hook_id}/test/{trigger}",
            post(hooks::test_group),
        )
        .route("/groups/{id}/members", get(members::group_direct))
        .route("/groups/{id}/members/all", get(members::group_all))
        .route("/namespaces/{id}", get(groups::namespace));
    Router::new()
        .nest("/api/v4", api)
        .route("/oauth/token/info", get(tokens::oauth_info))
        .route(
            "/uploads/-/system/{kind}/avatar/{id}/avatar.png",
            get(meta::avatar),
        )
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

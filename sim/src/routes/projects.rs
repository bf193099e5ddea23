//! `GET /projects` and `GET /projects/:id`, and the project filters `/groups/:id/projects`
//! shares.

use super::{ApiResult, Ctx, find_project, json, matches_search, page_response};
use crate::auth::{Caller, Need};
use crate::error::ApiError;
use crate::model::{Id, Project, access};
use crate::paginate::{self, Page, is_keyset};
use crate::params::Query;
use crate::world::World;
use axum::extract::Path;
use axum::http::StatusCode;
use serde_json::Value;

/// The list filters of the project endpoints.
pub(super) struct ProjectFilter {
    membership: bool,
    min_access_level: Option<u8>,
    owned: bool,
    archived: Option<bool>,
    search: Option<String>,
    visibility: Option<String>,
    id_after: Option<Id>,
    id_before: Option<Id>,
}

impl ProjectFilter {
    pub(super) fn from_query(q: &Query) -> Result<ProjectFilter, ApiError> {
        let min_access_level = q
            .number("min_access_level")?
            .map(|l| l.min(u64::from(u8::MAX)) as u8);
        Ok(ProjectFilter {
            membership: q.flag("membership")?.unwrap_or(false),
            min_access_level,
            owned: q.flag("owned")?.unwrap_or(false),
            archived: q.flag("archived")?,
            search: q.get("search").map(str::to_string),
            visibility: q.get("visibility").map(str::to_string),
            id_after: q.number("id_after")?,
            id_before: q.number("id_before")?,
        })
    }

    /// Whether a project (already known to be visible) passes the filters.
    pub(super) fn keep(&self, world: &World, caller: &Caller, p: &Project) -> bool {
        let level = if self.membership || self.min_access_level.is_some() || self.owned {
            world.project_access(caller.user, p.id).max()
        } else {
            None
        };
        (!self.membership || level.is_some())
            && self
                .min_access_level
                .is_none_or(|min| level.is_some_and(|l| l >= min))
            && (!self.owned || level == Some(access::OWNER))
            && self.archived.is_none_or(|a| p.archived == a)
            && self
                .visibility
                .as_deref()
                .is_none_or(|v| p.visibility.as_str() == v)
            && self.id_after.is_none_or(|a| p.id > a)
            && self.id_before.is_none_or(|b| p.id < b)
            && matches_search(self.search.as_deref(), &[&p.name, &p.path, &p.description])
    }
}

/// Lists `candidates` (visible projects in id order) with ordering and pagination.
pub(super) fn list_projects<'w>(
    ctx: &Ctx,
    candidates: impl Fn() -> Box<dyn DoubleEndedIterator<Item = &'w Project> + 'w>,
    entity: impl Fn(&Project) -> Value,
) -> ApiResult {
    let q = &ctx.query;
    let order_by = q.get("order_by").unwrap_or("created_at");
    let desc = q.get("sort") != Some("asc");
    let page: Page<&Project> = if is_keyset(q) {
        if order_by != "id" {
            return Err(ApiError::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Keyset pagination is not yet available for this type of request",
            ));
        }
        let items = if desc {
            Box::new(candidates().rev()) as Box<dyn Iterator<Item = _>>
        } else {
            candidates()
        };
        paginate::keyset(
            &ctx.link(),
            if desc { "id_before" } else { "id_after" },
            items,
            |p| p.id.to_string(),
        )?
    } else {
        match order_by {
            "id" | "created_at" => paginate::offset(&ctx.link(), Some("Project"), || {
                if desc {
                    Box::new(candidates().rev()) as Box<dyn Iterator<Item = _>>
                } else {
                    candidates()
                }
            })?,
            "name" | "path" | "last_activity_at" | "updated_at" | "star_count" => {
                let mut all: Vec<&Project> = candidates().collect();
                match order_by {
                    "name" => all.sort_by_key(|p| p.name.to_lowercase()),
                    "path" => all.sort_by(|a, b| a.path.cmp(&b.path)),
                    "star_count" => all.sort_by_key(|p| p.star_count),
                    _ => all.sort_by_key(|p| p.last_activity_at),
                }
                if desc {
                    all.reverse();
                }
                paginate::offset(&ctx.link(), Some("Project"), || all.iter().copied())?
            }
            _ => {
                return Err(ApiError::error(
                    StatusCode::BAD_REQUEST,
                    "order_by does not have a valid value",
                ));
            }
        }
    };
    Ok(page_response(Page {
        items: page.items.into_iter().map(entity).collect(),
        headers: page.headers,
    }))
}

/// `GET /projects`: projects the caller can see, with `membership`, `min_access_level`,
/// `owned`, `archived`, `search`, `visibility`, `simple`, `order_by`/`sort`, offset or keyset
/// pagination.
pub(super) async fn list(ctx: Ctx) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let filter = ProjectFilter::from_query(&ctx.query)?;
    let simple = ctx.query.flag("simple")?.unwrap_or(false);
    let world = &*world;
    let render = ctx.render(world);
    list_projects(
        &ctx,
        || {
            Box::new(world.projects().filter(|p| {
                world.can_see_project(caller.user, p) && filter.keep(world, &caller, p)
            }))
        },
        |p| {
            if simple {
                render.project_simple(p)
            } else {
                render.project_full(p, Some(world.project_access(caller.user, p.id)))
            }
        },
    )
}

/// `GET /projects/:id` (numeric id or URL-encoded path).
pub(super) async fn get_one(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let project = find_project(&world, &caller, &id)?;
    let access = world.project_access(caller.user, project.id);
    Ok(json(
        StatusCode::OK,
        ctx.render(&world).project_full(project, Some(access)),
    ))
}

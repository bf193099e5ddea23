//! `GET /groups`, `/groups/:id`, `/groups/:id/projects`, `/groups/:id/subgroups`,
//! `/groups/:id/descendant_groups` and `/namespaces/:id`.

use super::projects::{ProjectFilter, list_projects};
use super::{ApiResult, Ctx, find_group, json, matches_search, page_response};
use crate::auth::{Caller, Need};
use crate::error::ApiError;
use crate::model::{Group, Id, Owner, Source, access};
use crate::paginate::{self, Page};
use crate::world::{NamespaceRef, World};
use axum::extract::Path;
use axum::http::StatusCode;
use std::collections::HashSet;

/// Group list filters: `search`, `min_access_level`, `owned`, `top_level_only`.
struct GroupFilter {
    search: Option<String>,
    min_access_level: Option<u8>,
    owned: bool,
    top_level_only: bool,
}

impl GroupFilter {
    fn from_ctx(ctx: &Ctx) -> Result<GroupFilter, ApiError> {
        let q = &ctx.query;
        Ok(GroupFilter {
            search: q.get("search").map(str::to_string),
            min_access_level: q.number("min_access_level")?.map(|l| l.min(255) as u8),
            owned: q.flag("owned")?.unwrap_or(false),
            top_level_only: q.flag("top_level_only")?.unwrap_or(false),
        })
    }

    fn keep(&self, world: &World, caller: &Caller, g: &Group) -> bool {
        let owned = || {
            world
                .memberships_of(caller.user)
                .any(|(s, l)| s == Source::Group(g.id) && l == access::OWNER)
        };
        matches_search(self.search.as_deref(), &[&g.name, &g.path])
            && self.min_access_level.is_none_or(|min| {
                world
                    .group_access(caller.user, g.id)
                    .is_some_and(|l| l >= min)
            })
            && (!self.owned || owned())
            && (!self.top_level_only || g.parent_id.is_none())
    }
}

/// Sorts groups as `order_by` (`name` default, `path`, `id`) and `sort` (`asc` default) ask.
fn sort_groups(ctx: &Ctx, groups: &mut [&Group]) -> Result<(), ApiError> {
    match ctx.query.get("order_by").unwrap_or("name") {
        "name" => groups.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        }),
        "path" => groups.sort_by(|a, b| a.path.cmp(&b.path).then(a.id.cmp(&b.id))),
        "id" => groups.sort_by_key(|g| g.id),
        _ => {
            return Err(ApiError::error(
                StatusCode::BAD_REQUEST,
                "order_by does not have a valid value",
            ));
        }
    }
    if ctx.query.get("sort") == Some("desc") {
        groups.reverse();
    }
    Ok(())
}

fn group_page(ctx: &Ctx, world: &World, mut groups: Vec<&Group>) -> ApiResult {
    sort_groups(ctx, &mut groups)?;
    let render = ctx.render(world);
    let page = paginate::offset(&ctx.link(), None, || groups.iter())?;
    Ok(page_response(Page {
        items: page.items.into_iter().map(|g| render.group(g)).collect(),
        headers: page.headers,
    }))
}

/// `GET /groups`: groups the caller belongs to (all visible ones with `all_available=true`,
/// the default for administrators).
pub(super) async fn list(ctx: Ctx) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let filter = GroupFilter::from_ctx(&ctx)?;
    let all = ctx.query.flag("all_available")?.unwrap_or(caller.admin);
    let below: HashSet<Id> = world.groups_with_member_below(caller.user);
    let groups: Vec<&Group> = world
        .groups()
        .filter(|g| {
            let member = below.contains(&g.id) || world.group_access(caller.user, g.id).is_some();
            (member || (all && world.can_see_group(caller.user, g)))
                && filter.keep(&world, &caller, g)
        })
        .collect();
    group_page(&ctx, &world, groups)
}

/// `GET /groups/:id`.
pub(super) async fn get_one(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let group = find_group(&world, &caller, &id)?;
    let mut body = ctx.render(&world).group(group);
    body["shared_with_groups"] = serde_json::json!([]);
    Ok(json(StatusCode::OK, body))
}

/// `GET /groups/:id/subgroups`: direct subgroups the caller can see.
pub(super) async fn subgroups(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    child_groups(ctx, id, false).await
}

/// `GET /groups/:id/descendant_groups`: all subgroups below the group the caller can see.
pub(super) async fn descendants(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    child_groups(ctx, id, true).await
}

async fn child_groups(ctx: Ctx, id: String, deep: bool) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let filter = GroupFilter::from_ctx(&ctx)?;
    let group = find_group(&world, &caller, &id)?.id;
    let ids = if deep {
        world.descendants(group)
    } else {
        world.subgroups(group).to_vec()
    };
    let groups: Vec<&Group> = ids
        .iter()
        .filter_map(|g| world.group(*g))
        .filter(|g| world.can_see_group(caller.user, g) && filter.keep(&world, &caller, g))
        .collect();
    group_page(&ctx, &world, groups)
}

/// `GET /groups/:id/projects`: `include_subgroups` (default false), `with_shared` (no shares
/// exist in simulated worlds), and the `/projects` filters; no `permissions` in entities.
pub(super) async fn projects(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let group = find_group(&world, &caller, &id)?.id;
    let filter = ProjectFilter::from_query(&ctx.query)?;
    let simple = ctx.query.flag("simple")?.unwrap_or(false);
    let mut groups = vec![group];
    if ctx.query.flag("include_subgroups")?.unwrap_or(false) {
        groups.extend(world.descendants(group));
    }
    let mut ids: Vec<Id> = groups
        .iter()
        .flat_map(|g| world.projects_in(Owner::Group(*g)).iter().copied())
        .collect();
    ids.sort_unstable();
    let world = &*world;
    let render = ctx.render(world);
    list_projects(
        &ctx,
        || {
            Box::new(ids.iter().filter_map(|id| world.project(*id)).filter(|p| {
                world.can_see_project(caller.user, p) && filter.keep(world, &caller, p)
            }))
        },
        |p| {
            if simple {
                render.project_simple(p)
            } else {
                render.project_full(p, None)
            }
        },
    )
}

/// `GET /namespaces/:id` (id or full path): plan and seat fields for owners and admins.
pub(super) async fn namespace(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let ns = match id.parse::<u64>() {
        Ok(n) => world.namespace(n),
        Err(_) => world.namespace_by_path(&id),
    };
    let visible = |ns: &NamespaceRef| match *ns {
        NamespaceRef::Group(g) => world
            .group(g)
            .is_some_and(|g| world.can_see_group(caller.user, g)),
        NamespaceRef::User(u) => u == caller.user || caller.admin,
    };
    let ns = ns
        .filter(visible)
        .ok_or_else(|| ApiError::not_found("Namespace"))?;
    let owner_view = caller.admin
        || match ns {
            NamespaceRef::Group(g) => world.group_access(caller.user, g) == Some(access::OWNER),
            NamespaceRef::User(u) => u == caller.user,
        };
    Ok(json(
        StatusCode::OK,
        ctx.render(&world).namespace(ns, owner_view),
    ))
}

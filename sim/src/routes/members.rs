//! `GET /projects/:id/members(/all)` and `GET /groups/:id/members(/all)`.
//!
//! `email` appears only for the Owner of the top-level group, and only on enterprise users of
//! that group, as on GitLab.com.

use super::{ApiResult, Ctx, find_group, find_project, matches_search, page_response};
use crate::auth::Need;
use crate::model::{Id, Member, Owner, Source, access};
use crate::paginate::{self, Page};
use crate::server::lock;
use crate::world::World;
use axum::extract::Path;
use std::sync::Arc;

/// Which list to serve.
#[derive(Clone, Copy)]
enum Scope {
    Direct,
    All,
}

pub(super) async fn project_direct(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    project_members(ctx, id, Scope::Direct).await
}

pub(super) async fn project_all(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    project_members(ctx, id, Scope::All).await
}

pub(super) async fn group_direct(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    group_members(ctx, id, Scope::Direct).await
}

pub(super) async fn group_all(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    group_members(ctx, id, Scope::All).await
}

async fn project_members(ctx: Ctx, id: String, scope: Scope) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let project = find_project(&world, &caller, &id)?;
    let root = match project.owner {
        Owner::Group(g) => Some(world.root_of(g)),
        Owner::User(_) => None,
    };
    let (source, viewer) = (Source::Project(project.id), caller.user);
    serve(
        &ctx,
        &world,
        source,
        scope,
        root.filter(|r| world.group_access(viewer, *r) == Some(access::OWNER)),
    )
}

async fn group_members(ctx: Ctx, id: String, scope: Scope) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::Api)?;
    let group = find_group(&world, &caller, &id)?.id;
    let root = world.root_of(group);
    let owner_of_root = world.group_access(caller.user, root) == Some(access::OWNER);
    serve(
        &ctx,
        &world,
        Source::Group(group),
        scope,
        owner_of_root.then_some(root),
    )
}

/// Pages through the members; `email_root` is the top-level group whose enterprise users'
/// e-mails the caller may see.
fn serve(
    ctx: &Ctx,
    world: &World,
    source: Source,
    scope: Scope,
    email_root: Option<Id>,
) -> ApiResult {
    let query = ctx.query.get("query");
    let user_ids: Option<Vec<Id>> = ctx
        .query
        .get("user_ids")
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let keep = |m: &&Member| {
        user_ids.as_ref().is_none_or(|ids| ids.contains(&m.user_id))
            && world
                .user(m.user_id)
                .is_some_and(|u| matches_search(query, &[&u.name, &u.username]))
    };
    let all = member_list(ctx, world, source, scope);
    let page = if query.is_none() && user_ids.is_none() {
        paginate::offset(&ctx.link(), None, || all.iter())?
    } else {
        let filtered: Vec<&Member> = all.iter().filter(keep).collect();
        paginate::offset(&ctx.link(), None, || filtered.iter().copied())?
    };
    let render = ctx.render(world);
    let items = page
        .items
        .into_iter()
        .map(|m| {
            let enterprise = world.user(m.user_id).and_then(|u| u.enterprise_group_id);
            render.member(m, email_root.is_some() && enterprise == email_root)
        })
        .collect();
    Ok(page_response(Page {
        items,
        headers: page.headers,
    }))
}

/// The (unfiltered) member list, cached until memberships change, so that paging through
/// 100,000 members costs O(per_page) per page instead of a merge from the start.
fn member_list(ctx: &Ctx, world: &World, source: Source, scope: Scope) -> Arc<Vec<Member>> {
    let key = (source, matches!(scope, Scope::All));
    let generation = world.membership_generation();
    let mut cache = lock(&ctx.shared.members_cache);
    if let Some((g, list)) = cache.get(&key)
        && *g == generation
    {
        return list.clone();
    }
    let list: Arc<Vec<Member>> = Arc::new(match scope {
        Scope::Direct => world.members(source).cloned().collect(),
        Scope::All => world.members_all(source).cloned().collect(),
    });
    cache.insert(key, (generation, list.clone()));
    list
}

//! `GET /user`, `GET /users`, `GET /users/:id`.

use super::{ApiResult, Ctx, json, matches_search, page_response};
use crate::auth::Need;
use crate::error::ApiError;
use crate::model::{User, UserKind};
use crate::paginate::{self, is_keyset};
use axum::extract::Path;
use axum::http::StatusCode;

/// `GET /user`: the caller; `is_admin` and admin fields only for administrators.
pub(super) async fn current(ctx: Ctx) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::ApiOrReadUser)?;
    let user = world.user(caller.user).ok_or_else(ApiError::unauthorized)?;
    Ok(json(StatusCode::OK, ctx.render(&world).current_user(user)))
}

/// `GET /users`: filters `username`, `search`, `active`, `blocked`, `humans`,
/// `exclude_internal`, `without_project_bots`; offset or keyset (`order_by=id`) pagination.
/// Administrators get e-mails and admin fields.
pub(super) async fn list(ctx: Ctx) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::ApiOrReadUser)?;
    let q = &ctx.query;
    let username = q.get("username").map(str::to_lowercase);
    let search = q.get("search");
    let active = q.flag("active")?.unwrap_or(false);
    let blocked = q.flag("blocked")?.unwrap_or(false);
    let no_bots =
        q.flag("humans")?.unwrap_or(false) || q.flag("without_project_bots")?.unwrap_or(false);
    let keep = |u: &&User| {
        username
            .as_ref()
            .is_none_or(|n| u.username.to_lowercase() == *n)
            && (matches_search(search, &[&u.username, &u.name])
                || search.is_some_and(|s| s.eq_ignore_ascii_case(&u.public_email))
                || (caller.admin && matches_search(search, &[&u.email])))
            && (!active || u.active)
            && (!blocked || !u.active)
            && (!no_bots || u.kind == UserKind::Human)
    };
    let render = ctx.render(&world);
    let entity = |u: &User| {
        if caller.admin {
            render.user_list_for_admin(u)
        } else {
            serde_json::Value::Object(render.user_basic(u))
        }
    };
    let desc = q.get("sort") != Some("asc");
    let page = if is_keyset(q) {
        if q.get("order_by").is_some_and(|o| o != "id") {
            return Err(ApiError::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Keyset pagination is not yet available for this type of request",
            ));
        }
        let cursor = q.number("cursor").ok().flatten();
        let items: Box<dyn Iterator<Item = &User>> = match (desc, cursor) {
            (false, c) => Box::new(world.users_after(c.unwrap_or(0))),
            (true, Some(c)) => Box::new(world.users_before(c)),
            (true, None) => Box::new(world.users().rev()),
        };
        let page = paginate::keyset(&ctx.link(), "cursor", items.filter(keep), |u| {
            u.id.to_string()
        })?;
        paginate::Page {
            items: page.items.into_iter().map(entity).collect(),
            headers: page.headers,
        }
    } else {
        let page = paginate::offset(&ctx.link(), Some("User"), || {
            let it: Box<dyn Iterator<Item = &User>> = if desc {
                Box::new(world.users().rev())
            } else {
                Box::new(world.users())
            };
            it.filter(keep)
        })?;
        paginate::Page {
            items: page.items.into_iter().map(entity).collect(),
            headers: page.headers,
        }
    };
    Ok(page_response(page))
}

/// `GET /users/:id`: `public_email` for everyone, `email` and admin fields for administrators.
pub(super) async fn get_one(ctx: Ctx, Path(id): Path<String>) -> ApiResult {
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::ApiOrReadUser)?;
    let user = id
        .parse::<u64>()
        .ok()
        .and_then(|n| world.user(n))
        .ok_or_else(|| ApiError::not_found("User"))?;
    let render = ctx.render(&world);
    Ok(json(
        StatusCode::OK,
        if caller.admin {
            render.user_for_admin(user)
        } else {
            render.user_public(user)
        },
    ))
}

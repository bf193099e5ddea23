//! Token introspection: `GET /personal_access_tokens/self` and `GET /oauth/token/info`.

use super::{ApiResult, Ctx, json};
use crate::auth::Need;
use crate::error::ApiError;
use crate::model::TokenKind;
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::json;

/// OAuth access tokens live two hours.
const OAUTH_LIFETIME_SECS: i64 = 7200;

/// `GET /personal_access_tokens/self`: any scope; 400 for OAuth tokens; 404 with the
/// `legacy_no_token_self` knob (GitLab before 15.5).
pub(super) async fn self_info(ctx: Ctx) -> ApiResult {
    if ctx.knobs().legacy_no_token_self {
        return Err(ApiError::no_route());
    }
    let mut world = ctx.world();
    let caller = ctx.auth(&mut world, Need::AnyScope)?;
    if caller.kind != TokenKind::Personal {
        return Err(ApiError::bad_request(
            "This endpoint requires token type to be a personal access token",
        ));
    }
    let secret = ctx.token().unwrap_or_default();
    let token = world.token(&secret).ok_or_else(ApiError::unauthorized)?;
    Ok(json(StatusCode::OK, ctx.render(&world).token(token)))
}

/// `GET /oauth/token/info` (outside `/api/v4`): Doorkeeper's answer for OAuth tokens, 401
/// `invalid_token` for anything else.
pub(super) async fn oauth_info(ctx: Ctx) -> ApiResult {
    let forced = ctx.knobs().oauth_expires_in;
    let world = ctx.world();
    let invalid = || ApiError::invalid_token("The access token is invalid");
    let secret = ctx.token().ok_or_else(invalid)?;
    let token = world
        .token(&secret)
        .filter(|t| t.kind == TokenKind::OAuth && !t.revoked)
        .ok_or_else(invalid)?;
    let age = (Utc::now() - token.created_at).num_seconds();
    let expires_in = forced.unwrap_or((OAUTH_LIFETIME_SECS - age % OAUTH_LIFETIME_SECS).max(1));
    Ok(json(
        StatusCode::OK,
        json!({
            "resource_owner_id": token.user_id,
            "scope": token.scopes,
            "scopes": token.scopes,
            "expires_in": expires_in,
            "expires_in_seconds": expires_in,
            "application": { "uid": format!("sim-oauth-application-{}", token.id) },
            "created_at": token.created_at.timestamp(),
        }),
    ))
}

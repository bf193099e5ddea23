//! Token introspection: `GET /personal_access_tokens/self` and `GET /oauth/token/info`;
//! self-rotation: `POST /personal_access_tokens/self/rotate`.

use super::{ApiResult, Ctx, json};
use crate::auth::Need;
use crate::error::ApiError;
use crate::model::TokenKind;
use crate::params::Body;
use crate::rotation::{ExpiryRefused, rotated_expiry};
use axum::body::Bytes;
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde_json::{Value, json};

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

/// `POST /personal_access_tokens/self/rotate` (16.10): `api` or `self_rotate` scope; revokes
/// the token and answers 200 with the new one, `token` included. `expires_at` (YYYY-MM-DD)
/// within a year, else one week from today. A revoked token gets 401 and, as GitLab's reuse
/// detection does on rotation requests only, its whole family is revoked. 405 for OAuth
/// tokens; 404 with the `legacy_no_token_rotate` or `legacy_no_token_self` knob.
pub(super) async fn rotate_self(ctx: Ctx, body: Bytes) -> ApiResult {
    let knobs = ctx.knobs();
    if knobs.legacy_no_token_rotate || knobs.legacy_no_token_self {
        return Err(ApiError::no_route());
    }
    let today = Utc::now().date_naive();
    let mut world = ctx.world();
    let secret = ctx.token().unwrap_or_default();
    if world
        .token(&secret)
        .is_some_and(|t| t.revoked && !t.expired(today))
    {
        world.revoke_token_family(&secret);
    }
    let caller = ctx.auth(&mut world, Need::SelfRotate)?;
    if caller.kind != TokenKind::Personal {
        return Err(ApiError::message(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 Method Not Allowed",
        ));
    }
    let params = Body::parse(ctx.content_type(), &body, &ctx.query)?;
    let asked = params
        .string("expires_at")?
        .map(|s| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| ApiError::invalid_param("expires_at"))
        })
        .transpose()?;
    let expires_at = rotated_expiry(asked, today).map_err(|refused| match refused {
        ExpiryRefused::NotInFuture => {
            ApiError::bad_request("Expiration date must be in the future")
        }
        ExpiryRefused::TooLate(max) => {
            ApiError::bad_request(&format!("Expiration date must be before {max}"))
        }
    })?;
    let new_secret = world
        .rotate_token(&secret, expires_at)
        .ok_or_else(ApiError::unauthorized)?;
    let token = world
        .token(&new_secret)
        .ok_or_else(ApiError::unauthorized)?;
    let mut answer = ctx.render(&world).token(token);
    if let Value::Object(fields) = &mut answer {
        fields.remove("last_used_ips");
        fields.insert("token".into(), Value::String(new_secret.clone()));
    }
    Ok(json(StatusCode::OK, answer))
}

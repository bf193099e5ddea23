//! Authentication and scope checks, in the order GitLab's API guard applies them: find the
//! token (401), reject expired then revoked tokens (401 `invalid_token`), then check scopes
//! (403 `insufficient_scope`).

use crate::error::ApiError;
use crate::model::{Id, TokenKind};
use crate::params::Query;
use crate::world::World;
use axum::http::{HeaderMap, Method};
use chrono::Utc;

/// What scopes an endpoint accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// `api`, or `read_api` on GET/HEAD (most of the API).
    Api,
    /// Like [`Need::Api`], plus `read_user` on GET/HEAD (`/user`, `/users`).
    ApiOrReadUser,
    /// Any scope (`/personal_access_tokens/self`).
    AnyScope,
    /// `api` or `self_rotate` (`POST /personal_access_tokens/self/rotate`).
    SelfRotate,
}

/// The authenticated caller.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    pub(crate) user: Id,
    pub(crate) kind: TokenKind,
    pub(crate) admin: bool,
}

/// The token a request carries: `PRIVATE-TOKEN`, `Authorization: Bearer`, or the
/// `private_token` / `access_token` query parameters, in that order.
pub(crate) fn token_of(headers: &HeaderMap, query: &Query) -> Option<String> {
    if let Some(v) = headers.get("private-token").and_then(|v| v.to_str().ok()) {
        return Some(v.trim().to_string());
    }
    if let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok())
        && let Some(t) = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
    {
        return Some(t.trim().to_string());
    }
    query
        .get("private_token")
        .or_else(|| query.get("access_token"))
        .map(str::to_string)
}

/// The user a valid (known, unexpired, unrevoked) token belongs to, for rate limiting.
pub(crate) fn throttle_key(world: &World, secret: Option<&str>) -> Option<Id> {
    let token = world.token(secret?)?;
    let usable = !token.revoked && !token.expired(Utc::now().date_naive());
    usable.then_some(token.user_id)
}

/// Authenticates a request and checks the token's scopes for `need`; records the token's use.
pub(crate) fn authenticate(
    world: &mut World,
    secret: Option<&str>,
    method: &Method,
    need: Need,
) -> Result<Caller, ApiError> {
    let secret = secret.ok_or_else(ApiError::unauthorized)?;
    let token = world.token(secret).ok_or_else(ApiError::unauthorized)?;
    if token.expired(Utc::now().date_naive()) {
        return Err(ApiError::invalid_token(
            "Token is expired. You can either do re-authorization or token refresh.",
        ));
    }
    if token.revoked {
        return Err(ApiError::invalid_token(
            "Token was revoked. You have to re-authorize from the user.",
        ));
    }
    let read = method == Method::GET || method == Method::HEAD;
    let allowed: &[&str] = match (need, read) {
        (Need::AnyScope, _) => &[],
        (Need::SelfRotate, _) => &["api", "self_rotate"],
        (Need::Api, true) => &["api", "read_api"],
        (Need::ApiOrReadUser, true) => &["api", "read_api", "read_user"],
        (_, false) => &["api"],
    };
    if !allowed.is_empty() && !allowed.iter().any(|s| token.has_scope(s)) {
        return Err(ApiError::insufficient_scope(&allowed.join(" ")));
    }
    let user = world
        .user(token.user_id)
        .ok_or_else(ApiError::unauthorized)?;
    if !user.active {
        return Err(ApiError::unauthorized());
    }
    let caller = Caller {
        user: user.id,
        kind: token.kind,
        admin: user.is_admin,
    };
    if let Some(t) = world.token_mut(secret) {
        t.last_used_at = Some(Utc::now());
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens;
    use axum::http::HeaderValue;

    #[test]
    fn scope_rules_and_token_states() {
        let mut w = World::demo();
        let ok =
            |w: &mut World, t: &str, m: Method, n: Need| authenticate(w, Some(t), &m, n).is_ok();
        assert!(ok(&mut w, tokens::API, Method::POST, Need::Api));
        assert!(ok(&mut w, tokens::READ_API_ONLY, Method::GET, Need::Api));
        assert!(!ok(&mut w, tokens::READ_API_ONLY, Method::POST, Need::Api));
        assert!(!ok(&mut w, tokens::REPO_ONLY, Method::GET, Need::Api));
        assert!(ok(&mut w, tokens::REPO_ONLY, Method::GET, Need::AnyScope));
        assert!(ok(
            &mut w,
            tokens::READ_ONLY,
            Method::GET,
            Need::ApiOrReadUser
        ));
        assert!(!ok(&mut w, tokens::EXPIRED, Method::GET, Need::AnyScope));
        assert!(!ok(&mut w, tokens::REVOKED, Method::GET, Need::AnyScope));
        assert!(!ok(&mut w, "nope", Method::GET, Need::AnyScope));
        assert!(w.token(tokens::API).unwrap().last_used_at.is_some());
        assert_eq!(throttle_key(&w, Some(tokens::EXPIRED)), None);
        assert!(throttle_key(&w, Some(tokens::API)).is_some());
    }

    #[test]
    fn tokens_are_read_from_headers_and_query() {
        let mut h = HeaderMap::new();
        let q = Query(vec![("private_token".into(), "q".into())]);
        assert_eq!(token_of(&h, &q).as_deref(), Some("q"));
        h.insert("authorization", HeaderValue::from_static("Bearer b"));
        assert_eq!(token_of(&h, &q).as_deref(), Some("b"));
        h.insert("private-token", HeaderValue::from_static("p"));
        assert_eq!(token_of(&h, &q).as_deref(), Some("p"));
    }
}

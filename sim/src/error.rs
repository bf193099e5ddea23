//! Error responses in GitLab's shapes: `{"message": …}` from the API helpers,
//! `{"error": …}` from Grape and validations, and the OAuth-style token errors.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answer: status, JSON body and extra headers.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    www_authenticate: Option<String>,
}

impl ApiError {
    /// `{"message": msg}` (GitLab's `render_api_error!`).
    pub(crate) fn message(status: StatusCode, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: json!({ "message": msg.into() }),
            www_authenticate: None,
        }
    }

    /// `{"error": msg}` (Grape's `error!` and parameter validation).
    pub(crate) fn error(status: StatusCode, msg: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: json!({ "error": msg.into() }),
            www_authenticate: None,
        }
    }

    /// 401 `{"message":"401 Unauthorized"}`: no token, or an unknown one.
    pub(crate) fn unauthorized() -> ApiError {
        ApiError::message(StatusCode::UNAUTHORIZED, "401 Unauthorized")
    }

    /// 401 `invalid_token` with a `WWW-Authenticate` header (expired or revoked token).
    pub(crate) fn invalid_token(description: &str) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            body: json!({ "error": "invalid_token", "error_description": description }),
            www_authenticate: Some(format!(
                "Bearer realm=\"Protected by OAuth 2.0\", error=\"invalid_token\", error_description=\"{description}\""
            )),
        }
    }

    /// 403 `insufficient_scope`, listing the scopes that would do (space-separated).
    pub(crate) fn insufficient_scope(scopes: &str) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            body: json!({
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by the access token.",
                "scope": scopes,
            }),
            www_authenticate: None,
        }
    }

    /// 403 `{"message":"403 Forbidden"}`: the role is too low.
    pub(crate) fn forbidden() -> ApiError {
        ApiError::message(StatusCode::FORBIDDEN, "403 Forbidden")
    }

    /// 404 `{"message":"404 <what> Not Found"}`.
    pub(crate) fn not_found(what: &str) -> ApiError {
        ApiError::message(StatusCode::NOT_FOUND, format!("404 {what} Not Found"))
    }

    /// 404 `{"message":"404 Not found"}`: a record lookup failed (e.g. an unknown hook id).
    pub(crate) fn record_not_found() -> ApiError {
        ApiError::message(StatusCode::NOT_FOUND, "404 Not found")
    }

    /// 404 `{"error":"404 Not Found"}`: no such route.
    pub(crate) fn no_route() -> ApiError {
        ApiError::error(StatusCode::NOT_FOUND, "404 Not Found")
    }

    /// 400 `{"message":"400 Bad request - <reason>"}`.
    pub(crate) fn bad_request(reason: &str) -> ApiError {
        ApiError::message(
            StatusCode::BAD_REQUEST,
            format!("400 Bad request - {reason}"),
        )
    }

    /// 400 `{"error":"<param> is invalid"}`: Grape's type check.
    pub(crate) fn invalid_param(name: &str) -> ApiError {
        ApiError::error(StatusCode::BAD_REQUEST, format!("{name} is invalid"))
    }

    /// 429 from an application-level limit (no rate-limit headers).
    pub(crate) fn app_rate_limited() -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({ "message": { "error": "This endpoint has been requested too many times. Try again later." } }),
            www_authenticate: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(value) = self
            .www_authenticate
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

//! Turning GitLab's error answers and transport failures into [`ApiError`]s.

use std::error::Error as _;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::error::{ApiError, AuthFailure};

/// The message in a GitLab error body: `message` (a string, or `{"error": ...}`), else
/// `error_description`, else `error`, else the text itself.
pub fn message_of(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body)
            .trim()
            .chars()
            .take(200)
            .collect();
    };
    let pick = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Object(o) if o.contains_key("error") => o["error"].as_str().map(str::to_owned),
        other => Some(other.to_string()),
    };
    json.get("message")
        .and_then(pick)
        .or_else(|| json.get("error_description").and_then(pick))
        .or_else(|| json.get("error").and_then(pick))
        .unwrap_or_else(|| json.to_string())
}

/// True when a body is GitLab-shaped JSON rather than, say, an HTML page.
pub fn is_json(content_type: Option<&str>, body: &[u8]) -> bool {
    content_type.is_some_and(|c| c.contains("json"))
        || serde_json::from_slice::<Value>(body).is_ok()
}

/// The error for a final (non-retried) failure status.
pub fn status_error(
    status: StatusCode,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> ApiError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| {
        json.as_ref()
            .and_then(|j| j.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if !is_json(content_type, body) && !matches!(status.as_u16(), 429 | 500..=599) {
        return ApiError::NotGitLab {
            url: path.to_owned(),
            detail: format!("HTTP {status} with a non-JSON body"),
        };
    }
    let message = message_of(body);
    match status.as_u16() {
        401 => {
            let text = field("error_description")
                .unwrap_or_default()
                .to_lowercase();
            ApiError::Unauthorized(if text.contains("expired") {
                AuthFailure::Expired
            } else if text.contains("revoked") {
                AuthFailure::Revoked
            } else {
                AuthFailure::Invalid
            })
        }
        403 if field("error").as_deref() == Some("insufficient_scope") => {
            ApiError::InsufficientScope {
                scope: field("scope").unwrap_or_else(|| "api".into()),
            }
        }
        403 => ApiError::Forbidden {
            path: path.to_owned(),
        },
        404 => ApiError::NotFound {
            path: path.to_owned(),
            message,
        },
        400 => ApiError::BadRequest {
            path: path.to_owned(),
            message,
        },
        422 => ApiError::Unprocessable {
            path: path.to_owned(),
            message,
        },
        status => ApiError::Unexpected {
            status,
            path: path.to_owned(),
            message,
        },
    }
}

/// What a transport failure means, and whether trying again may help.
pub fn transport_error(err: &reqwest::Error, host: &str, timeout: Duration) -> (ApiError, bool) {
    if err.is_timeout() {
        return (
            ApiError::Timeout {
                host: host.to_owned(),
                after: timeout,
            },
            true,
        );
    }
    let chain = chain_text(err);
    let lower = chain.to_lowercase();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return (
            ApiError::Tls {
                host: host.to_owned(),
                detail: last_cause(err),
            },
            false,
        );
    }
    let dns = lower.contains("dns") || lower.contains("lookup") || lower.contains("resolve");
    (
        ApiError::Unreachable {
            host: host.to_owned(),
            detail: last_cause(err),
        },
        err.is_connect() && !dns,
    )
}

fn chain_text(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn last_cause(err: &reqwest::Error) -> String {
    let mut last = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/gitlab/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn classify(status: u16, name: &str) -> ApiError {
        status_error(
            StatusCode::from_u16(status).unwrap(),
            "/p",
            Some("application/json"),
            &fixture(name),
        )
    }

    #[test]
    fn documented_bodies_map_to_distinct_errors() {
        assert_eq!(
            classify(401, "error_401_unauthorized.json"),
            ApiError::Unauthorized(AuthFailure::Invalid)
        );
        assert_eq!(
            classify(401, "derived-from-source/error_401_token_expired.json"),
            ApiError::Unauthorized(AuthFailure::Expired)
        );
        assert_eq!(
            classify(401, "derived-from-source/error_401_token_revoked.json"),
            ApiError::Unauthorized(AuthFailure::Revoked)
        );
        assert!(matches!(
            classify(403, "error_403_insufficient_scope.json"),
            ApiError::InsufficientScope { .. }
        ));
        assert_eq!(
            classify(403, "derived-from-source/error_403_forbidden.json"),
            ApiError::Forbidden { path: "/p".into() }
        );
        assert_eq!(
            classify(404, "derived-from-source/error_404_project_not_found.json"),
            ApiError::NotFound {
                path: "/p".into(),
                message: "404 Project Not Found".into()
            }
        );
        assert_eq!(
            classify(422, "derived-from-source/error_422_hook_invalid_url.json"),
            ApiError::Unprocessable {
                path: "/p".into(),
                message: "Invalid url given".into()
            }
        );
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let body = br#"{"error":"insufficient_scope","error_description":"x","scope":"api"}"#;
        let e = status_error(StatusCode::FORBIDDEN, "/p", None, body);
        assert_eq!(
            e,
            ApiError::InsufficientScope {
                scope: "api".into()
            }
        );
    }

    #[test]
    fn html_is_not_gitlab() {
        let e = status_error(
            StatusCode::NOT_FOUND,
            "/p",
            Some("text/html"),
            b"<html>nope</html>",
        );
        assert_eq!(e.code(), "not_gitlab");
    }

    #[test]
    fn application_rate_limit_message_is_unwrapped() {
        let m = message_of(&fixture(
            "derived-from-source/error_429_application_rate_limit.json",
        ));
        assert!(
            m.starts_with("This endpoint has been requested too many times"),
            "{m}"
        );
        assert_eq!(message_of(b"Retry later\n"), "Retry later");
    }
}

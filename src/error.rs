//! The core's errors: [`ApiError`] for what GitLab (or the network) answered, [`Error`] for a
//! step as a whole. Every message is one line that tells the admin what to do.

use std::time::Duration;

use crate::instance::UrlError;
use crate::keychain::KeychainError;
use crate::token::TokenInputError;

/// Why GitLab refused the token (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Unknown, mistyped or deleted token.
    Invalid,
    /// Past its expiry date.
    Expired,
    /// Revoked by its owner or an administrator.
    Revoked,
}

/// What went wrong talking to GitLab. Each variant maps one class of failure to one action.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// DNS, connection refused, proxy failure.
    #[error(
        "cannot reach {host}: {detail}. Check the GitLab URL and your network (HTTPS_PROXY/NO_PROXY are honoured)"
    )]
    Unreachable {
        /// The host that could not be reached.
        host: String,
        /// What the network layer said.
        detail: String,
    },
    /// The TLS handshake failed (unknown CA, wrong host name, expired certificate).
    #[error(
        "TLS with {host} failed: {detail}. If your instance uses a private CA, pass its PEM file with --ca-bundle"
    )]
    Tls {
        /// The host.
        host: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// No answer within the request timeout.
    #[error("{host} did not answer within {}s: check that GitLab is up, or try again later", .after.as_secs())]
    Timeout {
        /// The host.
        host: String,
        /// The timeout that ran out.
        after: Duration,
    },
    /// The address answers, but not as GitLab's REST API does.
    #[error(
        "{url} does not answer like GitLab's API ({detail}): check the GitLab URL, including any path prefix such as /gitlab"
    )]
    NotGitLab {
        /// The URL that was asked.
        url: String,
        /// What came back instead.
        detail: String,
    },
    /// 401.
    #[error("{}", match .0 {
        AuthFailure::Invalid => "GitLab does not accept this token (401): check that you copied the whole token, for this GitLab instance",
        AuthFailure::Expired => "the token has expired: create a new personal access token in GitLab (Preferences > Access tokens) and enter it again",
        AuthFailure::Revoked => "the token was revoked: create a new personal access token in GitLab (Preferences > Access tokens) and enter it again",
    })]
    Unauthorized(AuthFailure),
    /// 403 `insufficient_scope`.
    #[error(
        "the token lacks the scope needed here ({scope}): create a token with the `api` scope (or `read_api`, `read_user`, `read_repository` for read-only use)"
    )]
    InsufficientScope {
        /// The scope(s) GitLab named.
        scope: String,
    },
    /// 403 for a role that is too low.
    #[error(
        "GitLab refused {path} (403 Forbidden): your role is too low for this; webhooks need Maintainer on a project or Owner on a group"
    )]
    Forbidden {
        /// The API path that was refused.
        path: String,
    },
    /// 404.
    #[error("{message} ({path}): it no longer exists, or your token cannot see it")]
    NotFound {
        /// The API path.
        path: String,
        /// GitLab's message, e.g. `404 Project Not Found`.
        message: String,
    },
    /// 400.
    #[error("GitLab rejected the request to {path}: {message}")]
    BadRequest {
        /// The API path.
        path: String,
        /// GitLab's message.
        message: String,
    },
    /// 422.
    #[error("GitLab could not process the request to {path}: {message}")]
    Unprocessable {
        /// The API path.
        path: String,
        /// GitLab's own message.
        message: String,
    },
    /// 429, still after waiting and retrying.
    #[error(
        "GitLab's rate limit was still exceeded after {attempts} attempts: wait a few minutes, or lower --concurrency"
    )]
    RateLimited {
        /// Attempts made.
        attempts: u32,
    },
    /// 5xx, still after retrying.
    #[error("GitLab answered {status} {} times: the instance has trouble; try again later", .attempts)]
    Server {
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// Any other status.
    #[error("GitLab answered {status} to {path}: {message}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The API path.
        path: String,
        /// GitLab's message.
        message: String,
    },
    /// The run was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// A URL (a pagination link from GitLab's answer) leads off the instance; the token was
    /// not sent there.
    #[error(
        "GitLab's answer led to {url}, which is not under {instance}/api/v4: the token was not sent there. Check that GitLab's external URL (external_url) matches the GitLab URL given ({instance})"
    )]
    ForeignLink {
        /// The URL refused (shortened, control characters replaced).
        url: String,
        /// The instance's base URL.
        instance: String,
    },
    /// A 429 asked to wait longer than the client waits (15 minutes).
    #[error(
        "GitLab answered a 429 with Retry-After: {asked}, a wait of more than 15 minutes: a daily or hourly limit is spent; try again later, or ask a GitLab administrator about the limit"
    )]
    RetryTooLong {
        /// The `Retry-After` value, as sent (shortened).
        asked: String,
    },
    /// An answer body larger than the client reads.
    #[error(
        "GitLab's answer to {path} is larger than {limit_mib} MiB and was not read: check the GitLab URL and any proxy in front of GitLab"
    )]
    TooLarge {
        /// The API path.
        path: String,
        /// The cap, in MiB.
        limit_mib: usize,
    },
    /// A list that does not end: a page linking to one already read, or too many pages.
    #[error(
        "GitLab kept sending pages of {path} ({pages} read; a page linked back to one already read, or there were more than 10,000): stopped; check the GitLab URL and any proxy in front of GitLab"
    )]
    EndlessPages {
        /// The list's API path.
        path: String,
        /// Pages read before stopping.
        pages: usize,
    },
    /// After a create whose answer was lost, more than one new hook with the crawler's URL
    /// appeared: none is taken for ours.
    #[error(
        "after a webhook create whose answer was lost, several new hooks with the crawler's URL appeared in {path} (IDs {}): none was taken for this tool's; keep one by hand, then run apply again", id_list(.hooks)
    )]
    SeveralNewHooks {
        /// The hooks' API path.
        path: String,
        /// The new hooks' IDs.
        hooks: Vec<u64>,
    },
    /// A hook re-read after a write whose answer was lost no longer has the crawler's URL (or
    /// now carries credentials): someone changed it meanwhile, so it is not written again.
    #[error(
        "webhook {hook} in {path} changed meanwhile (its URL is no longer the crawler's, or it now carries credentials): it was left as it is; check it, then run apply again"
    )]
    HookChanged {
        /// The hooks' API path.
        path: String,
        /// The hook's ID.
        hook: u64,
    },
}

/// IDs as `1, 2, 3`, for messages.
pub(crate) fn id_list(hooks: &[u64]) -> String {
    hooks
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ApiError {
    /// True when a write that ended with this error may still have been carried out: its
    /// answer was lost (5xx, no answer in time, the connection broke, an unreadable answer,
    /// or one too large to read, whose status is not known).
    /// Re-read before writing again; never retry such a write blindly.
    pub fn may_have_landed(&self) -> bool {
        matches!(
            self,
            ApiError::Server { .. }
                | ApiError::Timeout { .. }
                | ApiError::Unreachable { .. }
                | ApiError::NotGitLab { .. }
                | ApiError::TooLarge { .. }
        )
    }

    /// True when the answer was lost after GitLab may have started the write and may still be
    /// carrying it out: no answer in time, or a 504 from a proxy that gave up waiting. (A 502
    /// or 503 comes back at once: the write ended, or never started.)
    pub fn may_still_land(&self) -> bool {
        matches!(
            self,
            ApiError::Timeout { .. } | ApiError::Server { status: 504, .. }
        )
    }

    /// A stable, machine-readable name for the class of failure.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unreachable { .. } => "unreachable",
            ApiError::Tls { .. } => "tls",
            ApiError::Timeout { .. } => "timeout",
            ApiError::NotGitLab { .. } => "not_gitlab",
            ApiError::Unauthorized(AuthFailure::Invalid) => "unauthorized",
            ApiError::Unauthorized(AuthFailure::Expired) => "token_expired",
            ApiError::Unauthorized(AuthFailure::Revoked) => "token_revoked",
            ApiError::InsufficientScope { .. } => "insufficient_scope",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Unprocessable { .. } => "unprocessable",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Server { .. } => "server_error",
            ApiError::Unexpected { .. } => "unexpected_status",
            ApiError::Cancelled => "cancelled",
            ApiError::ForeignLink { .. } => "foreign_link",
            ApiError::RetryTooLong { .. } => "retry_too_long",
            ApiError::TooLarge { .. } => "too_large",
            ApiError::EndlessPages { .. } => "endless_pages",
            ApiError::SeveralNewHooks { .. } => "several_new_hooks",
            ApiError::HookChanged { .. } => "hook_changed",
        }
    }
}

/// A step's error: bad input, the keychain, or GitLab.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The GitLab URL was refused before any request.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// The token input was refused before any request.
    #[error(transparent)]
    TokenInput(#[from] TokenInputError),
    /// A CA bundle could not be read.
    #[error(
        "cannot use the CA bundle {path}: {detail}. Give a PEM file with one or more certificates"
    )]
    CaBundle {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// The keychain failed.
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    /// The token cannot read the API at all.
    #[error("the token has {} but lacks {}: create a token with `api` (webhooks made for you) or with `read_api`, `read_user` and `read_repository` (read-only)", have_list(.have), .missing.join(", "))]
    TokenTooWeak {
        /// Scopes it has.
        have: Vec<String>,
        /// Scopes it needs for read-only use.
        missing: Vec<String>,
    },
    /// The crawler's event URL was refused before any request.
    #[error(transparent)]
    EventUrl(#[from] crate::webhooks::EventUrlError),
    /// Another run holds the data directory, or it could not be locked.
    #[error(transparent)]
    Locked(#[from] crate::files::LockError),
    /// The hook fingerprints could not be used (file damaged, no key, I/O).
    #[error(transparent)]
    Fingerprints(#[from] crate::webhooks::fingerprints::FingerprintError),
    /// Local state (hook fingerprints) could not be read or written.
    #[error("{0}: check the data directory's permissions, or set GITLAB_ONBOARD_DATA_DIR")]
    LocalState(String),
    /// GitLab or the network.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The token was not rotated, or its rotation's answer was lost.
    #[error(transparent)]
    Rotate(#[from] crate::rotate::RotateError),
    /// The user-mapping upload to Google Cloud Storage failed.
    #[error(transparent)]
    Upload(#[from] crate::upload::UploadError),
    /// An identity provider's export could not be used.
    #[error(transparent)]
    Idp(#[from] crate::users::idp::IdpError),
    /// A group hook was asked for on a group the token's user does not own.
    #[error(
        "a group webhook on {0} needs the Owner role, which this token's user does not have there: ask an Owner, or use project hooks"
    )]
    NotOwner(String),
    /// The domain for guessed emails is not one.
    #[error("'{0}' is not an email domain: give one like corp.example")]
    EmailDomain(String),
    /// No user got an email, so no CSV was written.
    #[error(
        "no email for any of the {unresolved} users, so {path} was not written: give an identity-provider export (--idp) or a domain (--email-domain)"
    )]
    NothingToWrite {
        /// The file not written.
        path: String,
        /// Users without an email.
        unresolved: usize,
    },
    /// An output file could not be written; the previous one, if any, is untouched.
    #[error(
        "cannot write {path}: {detail}. Choose a writable place; the previous file, if any, is unchanged"
    )]
    Output {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

fn have_list(have: &[String]) -> String {
    if have.is_empty() {
        "no scopes".to_owned()
    } else {
        format!("only {}", have.join(", "))
    }
}

impl Error {
    /// A stable, machine-readable name for the class of failure (the desktop shell sends it
    /// to the window with the message).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Url(_)
            | Error::TokenInput(_)
            | Error::CaBundle { .. }
            | Error::EventUrl(_)
            | Error::EmailDomain(_)
            | Error::NotOwner(_) => "invalid_input",
            Error::NothingToWrite { .. } => "nothing_to_write",
            Error::LocalState(_) => "local_state",
            Error::Locked(crate::files::LockError::Busy { .. }) => "busy",
            Error::Locked(_) | Error::Fingerprints(_) => "local_state",
            Error::Idp(_) => "idp_file",
            Error::Output { .. } => "output_file",
            Error::Keychain(_) => "keychain",
            Error::TokenTooWeak { .. } => "insufficient_scope",
            Error::Api(e) => e.code(),
            Error::Rotate(e) => e.code(),
            Error::Upload(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_codes_distinct() {
        let all = [
            ApiError::Unreachable {
                host: "h".into(),
                detail: "dns".into(),
            },
            ApiError::Tls {
                host: "h".into(),
                detail: "unknown issuer".into(),
            },
            ApiError::Timeout {
                host: "h".into(),
                after: Duration::from_secs(30),
            },
            ApiError::NotGitLab {
                url: "u".into(),
                detail: "an HTML page".into(),
            },
            ApiError::Unauthorized(AuthFailure::Invalid),
            ApiError::Unauthorized(AuthFailure::Expired),
            ApiError::Unauthorized(AuthFailure::Revoked),
            ApiError::InsufficientScope {
                scope: "api".into(),
            },
            ApiError::Forbidden { path: "/p".into() },
            ApiError::NotFound {
                path: "/p".into(),
                message: "404 Project Not Found".into(),
            },
            ApiError::BadRequest {
                path: "/p".into(),
                message: "m".into(),
            },
            ApiError::Unprocessable {
                path: "/p".into(),
                message: "Invalid url given".into(),
            },
            ApiError::RateLimited { attempts: 5 },
            ApiError::Server {
                status: 503,
                attempts: 5,
            },
            ApiError::Unexpected {
                status: 418,
                path: "/p".into(),
                message: "m".into(),
            },
            ApiError::Cancelled,
            ApiError::ForeignLink {
                url: "foo:@other-host/x".into(),
                instance: "https://gitlab.example.com".into(),
            },
            ApiError::RetryTooLong {
                asked: "86400".into(),
            },
            ApiError::TooLarge {
                path: "/p".into(),
                limit_mib: 32,
            },
            ApiError::EndlessPages {
                path: "/p".into(),
                pages: 10_000,
            },
            ApiError::SeveralNewHooks {
                path: "projects/1/hooks".into(),
                hooks: vec![7, 9],
            },
            ApiError::HookChanged {
                path: "projects/1/hooks".into(),
                hook: 7,
            },
        ];
        let mut codes: Vec<_> = all.iter().map(ApiError::code).collect();
        for e in &all {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn lost_answers_may_have_landed_refusals_did_not() {
        let lost = ApiError::Server {
            status: 502,
            attempts: 1,
        };
        let timeout = ApiError::Timeout {
            host: "h".into(),
            after: Duration::from_secs(30),
        };
        assert!(lost.may_have_landed() && timeout.may_have_landed());
        let refused = ApiError::Unprocessable {
            path: "/p".into(),
            message: "Invalid url given".into(),
        };
        assert!(!refused.may_have_landed());
        assert!(!ApiError::Cancelled.may_have_landed());
        assert!(!ApiError::Forbidden { path: "/p".into() }.may_have_landed());
    }

    #[test]
    fn an_answer_too_large_to_read_may_hide_a_landed_write() {
        let large = ApiError::TooLarge {
            path: "/projects/1/hooks".into(),
            limit_mib: 32,
        };
        assert!(large.may_have_landed());
        assert!(!large.may_still_land());
    }

    #[test]
    fn only_a_timeout_or_a_504_may_still_land() {
        let timeout = ApiError::Timeout {
            host: "h".into(),
            after: Duration::from_secs(30),
        };
        let server = |status| ApiError::Server {
            status,
            attempts: 1,
        };
        assert!(timeout.may_still_land() && server(504).may_still_land());
        for status in [500, 502, 503] {
            assert!(!server(status).may_still_land(), "{status}");
        }
    }

    #[test]
    fn several_new_hooks_are_named() {
        let e = ApiError::SeveralNewHooks {
            path: "projects/1/hooks".into(),
            hooks: vec![7, 9],
        };
        assert!(e.to_string().contains("IDs 7, 9"), "{e}");
    }

    #[test]
    fn too_weak_names_what_is_missing() {
        let e = Error::TokenTooWeak {
            have: vec!["read_repository".into()],
            missing: vec!["read_api".into(), "read_user".into()],
        };
        assert_eq!(e.code(), "insufficient_scope");
        let m = e.to_string();
        assert!(
            m.contains("only read_repository") && m.contains("read_api, read_user"),
            "{m}"
        );
    }
}

//! Day two: rotate the token itself (`POST /personal_access_tokens/self/rotate`, GitLab 16.10+).
//!
//! GitLab revokes the old token at once, and rotating a token that is already revoked revokes
//! every token rotated from it. So the token is checked first (a revoked one is refused before
//! the rotation is asked for), the rotation is sent once and never again with the same token,
//! and an answer that was lost is reported as such: the old token may be gone already.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize};

use crate::client::Client;
use crate::error::{ApiError, AuthFailure};
use crate::model::TokenSelf;
use crate::secret::Secret;
use crate::token::parse_token;

/// The longest lifetime GitLab gives a token: one year (400 days only behind a feature flag).
pub const MAX_LIFETIME_DAYS: u64 = 365;

/// A new token longer than this is not taken for one.
const MAX_TOKEN_LEN: usize = 1024;

/// What an admin must do by hand where GitLab cannot rotate a token itself.
pub const MANUAL_STEPS: &str = "In GitLab: Preferences > Access tokens > Add new token, with the same scopes as the old one and an expiry date within a year.\nThen revoke the old token on the same page.\nThen run `gitlab-onboard login` with the new token, and paste it into the crawler's settings.";

/// Why the expiry date given for the new token was refused before any request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpiresAtError {
    /// Not a `YYYY-MM-DD` date.
    #[error("--expires-at '{0}' is not a date: give one as YYYY-MM-DD, at most a year ahead")]
    NotADate(String),
    /// Today or earlier: the token would be born expired.
    #[error(
        "--expires-at {0} is not in the future (tokens expire at 00:00 UTC on that day): give a later date, at most a year ahead"
    )]
    NotInFuture(NaiveDate),
    /// More than a year ahead: GitLab refuses it.
    #[error(
        "--expires-at {date} is more than a year ahead: GitLab allows at most {max}; give that date or an earlier one"
    )]
    TooLate {
        /// The date given.
        date: NaiveDate,
        /// The last date allowed.
        max: NaiveDate,
    },
}

/// Parses and checks the new token's expiry date, `YYYY-MM-DD`, against `today` (UTC): after
/// today, and at most [`MAX_LIFETIME_DAYS`] ahead.
pub fn parse_expires_at(input: &str, today: NaiveDate) -> Result<NaiveDate, ExpiresAtError> {
    let trimmed = input.trim();
    let date = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .filter(|_| trimmed.len() == 10)
        .ok_or_else(|| {
            let shown = trimmed.chars().take(40);
            ExpiresAtError::NotADate(
                shown
                    .map(|c| if c.is_control() { '?' } else { c })
                    .collect(),
            )
        })?;
    let max = today
        .checked_add_days(Days::new(MAX_LIFETIME_DAYS))
        .unwrap_or(NaiveDate::MAX);
    if date <= today {
        Err(ExpiresAtError::NotInFuture(date))
    } else if date > max {
        Err(ExpiresAtError::TooLate { date, max })
    } else {
        Ok(date)
    }
}

/// Why the token was not rotated, or may have been without the new one reaching us.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RotateError {
    /// The expiry date given was refused before any request.
    #[error(transparent)]
    ExpiresAt(#[from] ExpiresAtError),
    /// No self-rotation on this GitLab (before 16.10): the manual steps apply.
    #[error(
        "this GitLab cannot rotate a token itself (GitLab 16.10 or later is needed): in GitLab, Preferences > Access tokens, create a token with the same scopes, revoke the old one, then run `gitlab-onboard login`"
    )]
    Unsupported,
    /// The token was revoked already (rotated before?); nothing was sent to rotate it.
    #[error(
        "this token was revoked already (rotated before?), so it was not rotated again, which would make GitLab revoke every token rotated from it: use the newest token (the crawler's, or create one in GitLab under Preferences > Access tokens, then `gitlab-onboard login`)"
    )]
    AlreadyRevoked,
    /// GitLab refused a rotation with a revoked token, and revoked the whole family.
    #[error(
        "GitLab refused the rotation: the token was already revoked, and GitLab has now revoked every token rotated from it too: create a new token in GitLab (Preferences > Access tokens), run `gitlab-onboard login`, and paste it into the crawler's settings"
    )]
    FamilyRevoked,
    /// The token lacks `api` and `self_rotate`.
    #[error(
        "the token cannot rotate itself: it needs the `api` or `self_rotate` scope; create a new token by hand in GitLab (Preferences > Access tokens), then `gitlab-onboard login`"
    )]
    Scope,
    /// Not a personal access token (an OAuth token, say): GitLab answers 405.
    #[error(
        "only a personal, project or group access token can rotate itself, not this one (OAuth?): create a personal access token in GitLab (Preferences > Access tokens), then `gitlab-onboard login`"
    )]
    NotPersonal,
    /// GitLab refused the request (400): nothing changed, the old token still works.
    #[error("GitLab refused the rotation ({0}); nothing changed and the old token still works")]
    Refused(String),
    /// The answer was lost (5xx, timeout, broken connection, unreadable): the old token may be
    /// revoked already, and the new one cannot be had again.
    #[error(
        "the rotation's answer was lost ({0}): GitLab may already have revoked the old token, and the new one cannot be shown again. Do NOT retry (rotating a revoked token revokes every token rotated from it): check the token list in GitLab (Preferences > Access tokens); if the old token is revoked, create a new one there and run `gitlab-onboard login`"
    )]
    AnswerLost(String),
    /// Any other failure before the rotation (network, 401, …).
    #[error(transparent)]
    Api(ApiError),
}

impl RotateError {
    /// A stable, machine-readable name for the class of failure.
    pub fn code(&self) -> &'static str {
        match self {
            RotateError::ExpiresAt(_) => "invalid_input",
            RotateError::Unsupported => "rotate_unsupported",
            RotateError::AlreadyRevoked => "token_revoked",
            RotateError::FamilyRevoked => "token_family_revoked",
            RotateError::Scope => "insufficient_scope",
            RotateError::NotPersonal => "not_personal_token",
            RotateError::Refused(_) => "bad_request",
            RotateError::AnswerLost(_) => "rotate_answer_lost",
            RotateError::Api(e) => e.code(),
        }
    }
}

/// The new token GitLab made. `Debug` never shows the secret.
#[derive(Debug, Deserialize)]
pub struct Rotated {
    /// The new token's ID.
    pub id: u64,
    /// Its name (the old one's).
    #[serde(default)]
    pub name: Option<String>,
    /// Its scopes (the old one's).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Its expiry date.
    pub expires_at: Option<NaiveDate>,
    /// The new secret: shown by GitLab once, never logged.
    #[serde(deserialize_with = "secret_token")]
    pub token: Secret,
}

/// The `token` field as a [`Secret`]; an error message that never quotes it.
fn secret_token<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    let raw = String::deserialize(d)?;
    if raw.len() > MAX_TOKEN_LEN {
        return Err(serde::de::Error::custom("the new token is too long"));
    }
    parse_token(&raw).map_err(|_| serde::de::Error::custom("the new token is empty or has spaces"))
}

#[derive(Serialize)]
struct Body {
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

/// Rotates the client's token: checks it first (`/personal_access_tokens/self`; a revoked
/// token is refused without asking GitLab to rotate it), then sends the rotation once. On
/// success the old token no longer works; keep [`Rotated::token`] before anything else.
/// `expires_at`: checked with [`parse_expires_at`]; `None` leaves GitLab's default (one week).
pub async fn rotate(
    client: &Client,
    expires_at: Option<NaiveDate>,
) -> Result<Rotated, RotateError> {
    match client
        .get::<TokenSelf>("personal_access_tokens/self", &[])
        .await
    {
        Ok(info) if info.revoked => return Err(RotateError::AlreadyRevoked),
        Ok(info) if !info.active => {
            return Err(RotateError::Api(ApiError::Unauthorized(
                AuthFailure::Expired,
            )));
        }
        Ok(_) => {}
        Err(ApiError::Unauthorized(AuthFailure::Revoked)) => {
            return Err(RotateError::AlreadyRevoked);
        }
        // No `/self` at all: GitLab before 15.5, long before self-rotation (16.10).
        Err(ApiError::NotFound { .. }) => return Err(RotateError::Unsupported),
        // Not a personal access token (OAuth).
        Err(ApiError::BadRequest { .. }) => return Err(RotateError::NotPersonal),
        Err(e) => return Err(RotateError::Api(e)),
    }
    let body = Body {
        expires_at: expires_at.map(|d| d.format("%Y-%m-%d").to_string()),
    };
    // Sent once: the client resends a write only on 429, which GitLab did not process.
    client
        .post::<_, Rotated>("personal_access_tokens/self/rotate", &body)
        .await
        .map_err(classify)
}

/// What a failed rotation means for the admin.
fn classify(e: ApiError) -> RotateError {
    match e {
        ApiError::NotFound { .. } => RotateError::Unsupported,
        ApiError::Unauthorized(AuthFailure::Revoked) => RotateError::FamilyRevoked,
        ApiError::InsufficientScope { .. } | ApiError::Forbidden { .. } => RotateError::Scope,
        ApiError::Unexpected { status: 405, .. } => RotateError::NotPersonal,
        ApiError::BadRequest { message, .. } => RotateError::Refused(message),
        e if e.may_have_landed() => RotateError::AnswerLost(e.to_string()),
        e => RotateError::Api(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn expiry_must_be_after_today_and_within_a_year() {
        let today = day(2026, 11, 29);
        assert_eq!(parse_expires_at("2026-11-30", today), Ok(day(2026, 11, 30)));
        assert_eq!(
            parse_expires_at(" 2027-11-29 ", today),
            Ok(day(2027, 11, 29))
        );
        assert_eq!(
            parse_expires_at("2026-11-29", today),
            Err(ExpiresAtError::NotInFuture(today))
        );
        assert!(matches!(
            parse_expires_at("2027-11-30", today),
            Err(ExpiresAtError::TooLate { max, .. }) if max == day(2027, 11, 29)
        ));
        for bad in [
            "",
            "tomorrow",
            "2027-13-01",
            "27-01-01",
            "2027-1-1x",
            "2027-01-01T00:00",
        ] {
            assert!(
                matches!(
                    parse_expires_at(bad, today),
                    Err(ExpiresAtError::NotADate(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn messages_are_one_line_and_the_answer_never_shows_the_token() {
        let today = day(2026, 11, 29);
        for e in ["x\ny", "2020-01-01", "2030-01-01"] {
            let m = parse_expires_at(e, today).unwrap_err().to_string();
            assert!(!m.contains('\n'), "{m}");
        }
        for e in [
            RotateError::Unsupported,
            RotateError::AlreadyRevoked,
            RotateError::FamilyRevoked,
            RotateError::Scope,
            RotateError::NotPersonal,
            RotateError::Refused("400 Bad request".into()),
            RotateError::AnswerLost("502".into()),
        ] {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        let r: Rotated = serde_json::from_str(
            r#"{"id":42,"name":"n","scopes":["api"],"expires_at":"2023-08-15","token":"s3cr3t"}"#,
        )
        .unwrap();
        assert_eq!(r.token.expose(), "s3cr3t");
        assert!(!format!("{r:?}").contains("s3cr3t"));
        let e = serde_json::from_str::<Rotated>(r#"{"id":1,"expires_at":null,"token":"a b"}"#)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("a b"), "{e}");
    }

    #[test]
    fn lost_answers_and_refusals_are_told_apart() {
        let lost = classify(ApiError::Server {
            status: 502,
            attempts: 1,
        });
        assert!(matches!(lost, RotateError::AnswerLost(_)), "{lost:?}");
        assert!(lost.to_string().contains("Do NOT retry"));
        assert_eq!(
            classify(ApiError::Unexpected {
                status: 405,
                path: "/p".into(),
                message: "405 Method Not Allowed".into()
            }),
            RotateError::NotPersonal
        );
        assert_eq!(
            classify(ApiError::Unauthorized(AuthFailure::Revoked)),
            RotateError::FamilyRevoked
        );
    }

    proptest! {
        #[test]
        fn any_input_is_a_date_in_range_or_a_one_line_error(input in ".{0,40}", offset in -800i64..800) {
            let today = day(2026, 11, 29);
            let shifted = today + chrono::Duration::days(offset);
            let text = format!("{}", shifted.format("%Y-%m-%d"));
            match parse_expires_at(&text, today) {
                Ok(d) => prop_assert!(d > today && (d - today).num_days() <= 365),
                Err(e) => prop_assert!(offset <= 0 || offset > 365, "{e}"),
            }
            if let Err(e) = parse_expires_at(&input, today) {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }
    }
}

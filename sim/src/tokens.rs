//! Well-known tokens present in every world built by [`World::demo`](crate::World::demo) and
//! [`World::seeded`](crate::World::seeded). The `simtok-` prefix is deliberately unlike real
//! GitLab tokens (`glpat-…`), so secret scanners and people never mistake them for real ones.
//!
//! All tokens except [`ADMIN`] belong to the main user [`MAIN_USER`]; [`ADMIN`] belongs to
//! [`ADMIN_USER`]. Expiry dates are relative to the day the world is built.

use crate::model::{Id, TokenKind};
use crate::world::World;
use chrono::{Days, NaiveDate, Utc};

/// Username of the main (regular, non-admin) user that owns the tokens.
pub const MAIN_USER: &str = "crawler-admin";
/// Username of the instance administrator.
pub const ADMIN_USER: &str = "root";

/// Personal access token, scope `api`, expires in 200 days.
pub const API: &str = "simtok-api";
/// Scopes `read_api`, `read_user`, `read_repository`; expires in 200 days.
pub const READ_ONLY: &str = "simtok-read-only";
/// Scope `read_api` only; expires in 200 days.
pub const READ_API_ONLY: &str = "simtok-read-api-only";
/// Scope `read_repository` only (cannot call the API apart from `/personal_access_tokens/self`).
pub const REPO_ONLY: &str = "simtok-repo-only";
/// Expired yesterday: every call answers 401 `invalid_token` "Token is expired…".
pub const EXPIRED: &str = "simtok-expired";
/// Revoked: every call answers 401 `invalid_token` "Token was revoked…".
pub const REVOKED: &str = "simtok-revoked";
/// Scope `api`, expires in 10 days.
pub const EXPIRING_SOON: &str = "simtok-expiring-soon";
/// Scope `api`, `expires_at: null`.
pub const NO_EXPIRY: &str = "simtok-no-expiry";
/// The administrator's token, scope `api`, expires in 200 days.
pub const ADMIN: &str = "simtok-admin";
/// An OAuth access token with scope `api` (use `Authorization: Bearer`).
pub const OAUTH: &str = "simtok-oauth";

/// Every well-known token with a short name (the binary prints this map).
pub const ALL: &[(&str, &str)] = &[
    ("api", API),
    ("read_only", READ_ONLY),
    ("read_api_only", READ_API_ONLY),
    ("repo_only", REPO_ONLY),
    ("expired", EXPIRED),
    ("revoked", REVOKED),
    ("expiring_soon", EXPIRING_SOON),
    ("no_expiry", NO_EXPIRY),
    ("admin", ADMIN),
    ("oauth", OAUTH),
];

/// A token to install: secret, name, owner, scopes, expiry.
type TokenRow = (
    &'static str,
    &'static str,
    Id,
    &'static [&'static str],
    Option<NaiveDate>,
);

/// Adds the well-known tokens for the main user and the administrator.
pub(crate) fn install(world: &mut World, main: Id, admin: Id) {
    let today = Utc::now().date_naive();
    let days = |n: u64| -> Option<NaiveDate> { today.checked_add_days(Days::new(n)) };
    let specs: [TokenRow; 10] = [
        (API, "crawler-onboarding", main, &["api"], days(200)),
        (
            READ_ONLY,
            "crawler-read-only",
            main,
            &["read_api", "read_user", "read_repository"],
            days(200),
        ),
        (
            READ_API_ONLY,
            "crawler-read-api",
            main,
            &["read_api"],
            days(200),
        ),
        (
            REPO_ONLY,
            "crawler-git-pull",
            main,
            &["read_repository"],
            days(200),
        ),
        (
            EXPIRED,
            "crawler-old",
            main,
            &["api"],
            today.checked_sub_days(Days::new(1)),
        ),
        (REVOKED, "crawler-revoked", main, &["api"], days(200)),
        (EXPIRING_SOON, "crawler-expiring", main, &["api"], days(10)),
        (NO_EXPIRY, "crawler-legacy", main, &["api"], None),
        (ADMIN, "admin-onboarding", admin, &["api"], days(200)),
        (OAUTH, "oauth", main, &["api"], None),
    ];
    for (secret, name, user, scopes, expires) in specs {
        let kind = if secret == OAUTH {
            TokenKind::OAuth
        } else {
            TokenKind::Personal
        };
        world.add_token(secret, kind, user, scopes, expires);
        let token = world.token_mut(secret).expect("just added");
        token.name = name.to_string();
        token.description = format!("{name} (simulator)");
        token.revoked = secret == REVOKED;
    }
}

//! The records a [`World`](crate::World) is made of: users, groups, projects, memberships,
//! webhooks and access tokens. Fields are public so tests can read and adjust them through
//! [`Simulator::state`](crate::Simulator::state); identity fields (ids, paths, parents) are
//! indexed by the world and must be changed only through its methods.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Numeric id of any GitLab object. Groups and personal namespaces share one id sequence,
/// as in GitLab, so a group's id is also its namespace id.
pub type Id = u64;

/// GitLab's role levels, as used in `access_level` and `min_access_level`.
pub mod access {
    /// Minimal access (no project access by itself).
    pub const MINIMAL: u8 = 5;
    /// Guest.
    pub const GUEST: u8 = 10;
    /// Planner (17.7+).
    pub const PLANNER: u8 = 15;
    /// Reporter.
    pub const REPORTER: u8 = 20;
    /// Developer.
    pub const DEVELOPER: u8 = 30;
    /// Maintainer: can manage project webhooks.
    pub const MAINTAINER: u8 = 40;
    /// Owner: can manage group webhooks.
    pub const OWNER: u8 = 50;
}

/// `public`, `internal` or `private`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Visible without signing in.
    Public,
    /// Visible to every signed-in, non-external user.
    Internal,
    /// Visible to members only.
    Private,
}

impl Visibility {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
            Visibility::Private => "private",
        }
    }
}

/// What kind of account a user is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserKind {
    /// A person.
    Human,
    /// The bot user behind a project or group access token (`user_type: project_bot`).
    ProjectBot,
}

/// A user account.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: Id,
    /// Login name, unique (case-insensitive).
    pub username: String,
    /// Display name.
    pub name: String,
    /// `false` for blocked accounts (`state: "blocked"`).
    pub active: bool,
    /// Person or bot.
    pub kind: UserKind,
    /// Instance administrator (`is_admin: true` in `/user`).
    pub is_admin: bool,
    /// Primary e-mail (private; shown to administrators, to the user itself, and to group
    /// owners for enterprise users of their group).
    pub email: String,
    /// Public e-mail, `""` when the user chose none.
    pub public_email: String,
    /// Top-level group that owns this account as an enterprise user (GitLab.com).
    pub enterprise_group_id: Option<Id>,
    /// Id of the personal namespace.
    pub namespace_id: Id,
    /// Job title, often empty.
    pub job_title: String,
    /// Account creation time.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// `"active"` or `"blocked"`.
    pub fn state(&self) -> &'static str {
        if self.active { "active" } else { "blocked" }
    }
}

/// A group or subgroup.
#[derive(Clone, Debug)]
pub struct Group {
    /// Group id (= namespace id).
    pub id: Id,
    /// Display name.
    pub name: String,
    /// Last path segment.
    pub path: String,
    /// Full path, e.g. `acme/platform/infra`.
    pub full_path: String,
    /// Full name, e.g. `Acme / Platform / Infra`.
    pub full_name: String,
    /// Parent group, `None` for a top-level group.
    pub parent_id: Option<Id>,
    /// Free text.
    pub description: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Subscription plan of a top-level group (`free`, `premium`, `ultimate`, `default`);
    /// subgroups report their root's plan.
    pub plan: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Where a project lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// In a group (namespace id = group id).
    Group(Id),
    /// In a user's personal namespace (the user's id).
    User(Id),
}

/// A project (repository).
#[derive(Clone, Debug)]
pub struct Project {
    /// Project id.
    pub id: Id,
    /// Display name.
    pub name: String,
    /// Last path segment.
    pub path: String,
    /// Namespace.
    pub owner: Owner,
    /// `namespace/…/path`, maintained by the world.
    pub path_with_namespace: String,
    /// `Namespace / … / Name`, maintained by the world.
    pub name_with_namespace: String,
    /// Free text.
    pub description: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Archived (read-only) project.
    pub archived: bool,
    /// `true` when the repository has no commits.
    pub empty_repo: bool,
    /// Default branch.
    pub default_branch: String,
    /// Topics.
    pub topics: Vec<String>,
    /// Creator.
    pub creator_id: Id,
    /// Star count.
    pub star_count: u32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last activity.
    pub last_activity_at: DateTime<Utc>,
}

/// What a membership belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A group membership (inherited by subgroups and their projects).
    Group(Id),
    /// A direct project membership.
    Project(Id),
}

/// One direct membership.
#[derive(Clone, Debug)]
pub struct Member {
    /// The member.
    pub user_id: Id,
    /// Role, see [`access`].
    pub access_level: u8,
    /// When the membership was created.
    pub created_at: DateTime<Utc>,
    /// Who added the member.
    pub created_by: Id,
    /// Membership expiry, if any.
    pub expires_at: Option<NaiveDate>,
}

/// What a webhook belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HookOwner {
    /// A project hook.
    Project(Id),
    /// A group hook.
    Group(Id),
}

/// `alert_status` of a webhook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertStatus {
    /// Working.
    Executable,
    /// Auto-disabled for a while (`disabled_until` set).
    TemporarilyDisabled,
    /// Auto-disabled until a successful test.
    Disabled,
}

impl AlertStatus {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Executable => "executable",
            AlertStatus::TemporarilyDisabled => "temporarily_disabled",
            AlertStatus::Disabled => "disabled",
        }
    }
}

/// Event flags a project hook has, in API order. `push_events` defaults to `true`, the others
/// to `false`, as in GitLab.
pub const PROJECT_HOOK_EVENTS: &[&str] = &[
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "repository_update_events",
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "confidential_note_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "feature_flag_events",
    "job_events",
    "releases_events",
    "milestone_events",
    "emoji_events",
    "resource_access_token_events",
    "resource_deploy_token_events",
    "vulnerability_events",
];

/// Event flags only group hooks have (on top of [`PROJECT_HOOK_EVENTS`]).
pub const GROUP_ONLY_HOOK_EVENTS: &[&str] = &["subgroup_events", "member_events", "project_events"];

/// A project or group webhook.
#[derive(Clone, Debug)]
pub struct Hook {
    /// Hook id (one sequence for project and group hooks).
    pub id: Id,
    /// Project or group.
    pub owner: HookOwner,
    /// Receiver URL.
    pub url: String,
    /// Name (17.1+), `""` when unset.
    pub name: String,
    /// Description (17.1+), `""` when unset.
    pub description: String,
    /// The secret token (`X-Gitlab-Token`); never returned by the API.
    pub token: Option<String>,
    /// Event flags by name, see [`PROJECT_HOOK_EVENTS`] and [`GROUP_ONLY_HOOK_EVENTS`].
    pub events: BTreeMap<String, bool>,
    /// Push branch filter, `""` when unset.
    pub push_events_branch_filter: String,
    /// `wildcard`, `regex` or `all_branches`.
    pub branch_filter_strategy: String,
    /// Verify TLS certificates on delivery.
    pub enable_ssl_verification: bool,
    /// Custom payload template.
    pub custom_webhook_template: Option<String>,
    /// Auto-disabling state.
    pub alert_status: AlertStatus,
    /// End of a temporary disablement.
    pub disabled_until: Option<DateTime<Utc>>,
    /// Custom headers (key, value); values are never returned.
    pub custom_headers: Vec<(String, String)>,
    /// URL variables (key, value); values are never returned.
    pub url_variables: Vec<(String, String)>,
    /// Triggers of the test deliveries requested through the API, in order.
    pub test_triggers: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl Hook {
    /// Whether an event flag is on (`false` for unknown names).
    pub fn event(&self, name: &str) -> bool {
        self.events.get(name).copied().unwrap_or(false)
    }

    /// `alert_status` as GitLab reports it at `now`: a temporary disablement ends at
    /// `disabled_until` (which GitLab keeps until the hook next succeeds).
    pub fn alert_status_at(&self, now: DateTime<Utc>) -> AlertStatus {
        match (self.alert_status, self.disabled_until) {
            (AlertStatus::TemporarilyDisabled, Some(until)) if until <= now => {
                AlertStatus::Executable
            }
            (status, _) => status,
        }
    }
}

/// Kind of access token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Personal (or project/group) access token.
    Personal,
    /// OAuth 2 access token.
    OAuth,
}

/// An access token.
#[derive(Clone, Debug)]
pub struct Token {
    /// Token id.
    pub id: Id,
    /// The secret the client sends.
    pub secret: String,
    /// Personal or OAuth.
    pub kind: TokenKind,
    /// Token name.
    pub name: String,
    /// Token description.
    pub description: String,
    /// Owner.
    pub user_id: Id,
    /// Scopes, e.g. `["api"]`.
    pub scopes: Vec<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry date (the token stops working at 00:00 UTC that day); `None` = never.
    pub expires_at: Option<NaiveDate>,
    /// Revoked token.
    pub revoked: bool,
    /// Last use, updated on every authenticated request.
    pub last_used_at: Option<DateTime<Utc>>,
    /// The token this one replaced by rotation (GitLab's `previous_personal_access_token_id`):
    /// tokens linked this way form a family ([`World::token_family`](crate::World::token_family)).
    pub rotated_from: Option<Id>,
}

impl Token {
    /// Whether the token is past its expiry date.
    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expires_at.is_some_and(|d| d <= today)
    }

    /// Whether the token has a scope.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// What `/version` and `/metadata` report.
#[derive(Clone, Debug)]
pub struct VersionInfo {
    /// E.g. `18.1.1-ee`.
    pub version: String,
    /// Short commit id.
    pub revision: String,
    /// Enterprise Edition. On Community Edition the group-webhook routes do not exist.
    pub enterprise: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_disablement_ends_at_disabled_until() {
        let mut w = crate::World::empty();
        let id = w.add_hook(HookOwner::Project(1), "https://c.example.com/e", None);
        let hook = w.hook_mut(id).unwrap();
        let now = Utc::now();
        assert_eq!(hook.alert_status_at(now), AlertStatus::Executable);
        hook.alert_status = AlertStatus::TemporarilyDisabled;
        hook.disabled_until = Some(now + chrono::Duration::minutes(10));
        assert_eq!(hook.alert_status_at(now), AlertStatus::TemporarilyDisabled);
        assert_eq!(
            hook.alert_status_at(now + chrono::Duration::minutes(11)),
            AlertStatus::Executable
        );
        hook.alert_status = AlertStatus::Disabled;
        assert_eq!(
            hook.alert_status_at(now + chrono::Duration::minutes(11)),
            AlertStatus::Disabled,
            "a permanent disablement waits for a successful test"
        );
    }
}

//! GitLab API objects as the documented responses carry them (only the fields this tool reads),
//! and the role scale they share.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A GitLab role (access level). Ordered: `Guest < Reporter < … < Owner`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 5: minimal access.
    MinimalAccess,
    /// 10.
    Guest,
    /// 15.
    Planner,
    /// 20.
    Reporter,
    /// 25 (newest GitLab).
    SecurityManager,
    /// 30.
    Developer,
    /// 40: can manage project webhooks.
    Maintainer,
    /// 50: can manage group webhooks.
    Owner,
}

impl Role {
    /// The role for a GitLab `access_level` number, rounding an unknown level down.
    pub fn from_level(level: u32) -> Option<Self> {
        Some(match level {
            50.. => Role::Owner,
            40..=49 => Role::Maintainer,
            30..=39 => Role::Developer,
            25..=29 => Role::SecurityManager,
            20..=24 => Role::Reporter,
            15..=19 => Role::Planner,
            10..=14 => Role::Guest,
            5..=9 => Role::MinimalAccess,
            _ => return None,
        })
    }

    /// GitLab's `access_level` number.
    pub fn level(self) -> u32 {
        match self {
            Role::MinimalAccess => 5,
            Role::Guest => 10,
            Role::Planner => 15,
            Role::Reporter => 20,
            Role::SecurityManager => 25,
            Role::Developer => 30,
            Role::Maintainer => 40,
            Role::Owner => 50,
        }
    }

    /// The name GitLab's UI shows.
    pub fn label(self) -> &'static str {
        match self {
            Role::MinimalAccess => "Minimal access",
            Role::Guest => "Guest",
            Role::Planner => "Planner",
            Role::Reporter => "Reporter",
            Role::SecurityManager => "Security Manager",
            Role::Developer => "Developer",
            Role::Maintainer => "Maintainer",
            Role::Owner => "Owner",
        }
    }
}

/// `GET /personal_access_tokens/self`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSelf {
    /// The token's name.
    pub name: Option<String>,
    /// Granted scopes, e.g. `["api"]`.
    pub scopes: Vec<String>,
    /// False once expired or revoked.
    #[serde(default = "yes")]
    pub active: bool,
    /// True when revoked.
    #[serde(default)]
    pub revoked: bool,
    /// Expiry date (tokens expire at 00:00 UTC that day), or none where the policy allows it.
    pub expires_at: Option<NaiveDate>,
    /// The owner.
    pub user_id: u64,
}

fn yes() -> bool {
    true
}

/// `GET /oauth/token/info` (OAuth tokens, where `/personal_access_tokens/self` answers 400).
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthTokenInfo {
    /// Granted scopes. GitLab also sends the deprecated alias `scopes`; it is ignored (an
    /// alias would reject the pair as a duplicate field).
    pub scope: Vec<String>,
    /// Seconds until the access token expires.
    pub expires_in: Option<i64>,
}

/// `GET /user`.
#[derive(Debug, Clone, Deserialize)]
pub struct CurrentUser {
    /// Numeric user ID.
    pub id: u64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Present (and true) only for instance administrators.
    #[serde(default)]
    pub is_admin: bool,
    /// True for project and group access token users.
    #[serde(default)]
    pub bot: bool,
    /// Profile URL; shows which base URL GitLab believes it has.
    pub web_url: Option<String>,
}

/// `GET /version`.
#[derive(Debug, Clone, Deserialize)]
pub struct Version {
    /// E.g. `18.1.1-ee`.
    pub version: String,
}

/// The `namespace` object inside a project.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NamespaceRef {
    /// Namespace ID.
    pub id: u64,
    /// `group/subgroup` or a username.
    pub full_path: String,
    /// `group` or `user`.
    pub kind: String,
}

/// One `{access_level}` entry of a project's `permissions`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccessEntry {
    /// GitLab's access level number.
    pub access_level: u32,
}

/// A project's `permissions` (full entity only).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Permissions {
    /// Direct membership in the project.
    pub project_access: Option<AccessEntry>,
    /// Membership through the project's group.
    pub group_access: Option<AccessEntry>,
}

/// `GET /projects` (full entity): the fields this tool reads.
#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    /// Numeric project ID.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// `group/subgroup/project`.
    pub path_with_namespace: String,
    /// The project's page.
    pub web_url: String,
    /// Its namespace.
    pub namespace: NamespaceRef,
    /// Archived projects get no events worth crawling.
    #[serde(default)]
    pub archived: bool,
    /// The token user's access.
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

/// `GET /projects?simple=true`: just enough to know an ID.
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectId {
    /// Numeric project ID.
    pub id: u64,
}

/// `GET /groups`.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    /// Numeric group ID.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// `group/subgroup`.
    pub full_path: String,
    /// The group's page.
    pub web_url: String,
    /// Parent group, none for a top-level group.
    pub parent_id: Option<u64>,
}

/// A project webhook (`GET /projects/:id/hooks`); the secret token is never returned.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ProjectHook {
    /// Hook ID.
    pub id: u64,
    /// Where GitLab delivers events.
    pub url: String,
    /// Push events.
    #[serde(default)]
    pub push_events: bool,
    /// Tag push events.
    #[serde(default)]
    pub tag_push_events: bool,
    /// Issue events.
    #[serde(default)]
    pub issues_events: bool,
    /// Confidential issue events.
    #[serde(default)]
    pub confidential_issues_events: bool,
    /// Merge request events.
    #[serde(default)]
    pub merge_requests_events: bool,
    /// Comments.
    #[serde(default)]
    pub note_events: bool,
    /// Comments on confidential issues.
    #[serde(default)]
    pub confidential_note_events: bool,
    /// Wiki page events.
    #[serde(default)]
    pub wiki_page_events: bool,
    /// TLS verification of the receiver.
    #[serde(default)]
    pub enable_ssl_verification: bool,
    /// `executable`, `temporarily_disabled` or `disabled` (GitLab auto-disables failing hooks).
    #[serde(default)]
    pub alert_status: Option<String>,
    /// Until when a temporarily disabled hook stays off.
    #[serde(default)]
    pub disabled_until: Option<String>,
    /// Branches whose pushes are sent (a wildcard or a regex, see `branch_filter_strategy`);
    /// empty or absent: every branch.
    #[serde(default)]
    pub push_events_branch_filter: Option<String>,
    /// `wildcard` (GitLab's default), `regex` or `all_branches`.
    #[serde(default)]
    pub branch_filter_strategy: Option<String>,
}

/// A member (`GET /groups/:id/members[/all]`, `GET /projects/:id/members[/all]`).
#[derive(Debug, Clone, Deserialize)]
pub struct Member {
    /// Numeric user ID: what the crawler's mapping needs.
    pub id: u64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// `active`, `blocked`, …
    #[serde(default)]
    pub state: String,
    /// Shown only to a group Owner, for enterprise users of that group.
    #[serde(default)]
    pub email: Option<String>,
}

/// A user (`GET /users`, `GET /users/:id`): emails as the token may see them.
#[derive(Debug, Clone, Deserialize)]
pub struct UserEmails {
    /// Numeric user ID.
    pub id: u64,
    /// The primary email: administrators only.
    #[serde(default)]
    pub email: Option<String>,
    /// The address the user chose to show, often empty.
    #[serde(default)]
    pub public_email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let path = format!(
            "{}/tests/fixtures/gitlab/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn documented_examples_parse() {
        assert!(
            !fixture::<OAuthTokenInfo>("oauth_token_info.json")
                .scope
                .is_empty()
        );
        let token: TokenSelf = fixture("personal_access_tokens_self.json");
        assert!(!token.scopes.is_empty());
        assert!(!fixture::<CurrentUser>("user_current_regular.json").is_admin);
        assert!(fixture::<CurrentUser>("user_current_admin.json").is_admin);
        assert!(!fixture::<Version>("metadata.json").version.is_empty());
        let projects: Vec<Project> = fixture("projects_list.json");
        assert!(projects.iter().all(|p| !p.path_with_namespace.is_empty()));
        assert!(!fixture::<Vec<ProjectId>>("projects_list_simple.json").is_empty());
        assert!(!fixture::<Vec<Group>>("groups_list.json").is_empty());
        let hook: ProjectHook = fixture("project_hook_get.json");
        assert_eq!(hook.alert_status.as_deref(), Some("executable"));
        assert_eq!(hook.push_events_branch_filter.as_deref(), Some(""));
        assert_eq!(hook.branch_filter_strategy, None);
        // A `null` filter (GitLab's answer with `all_branches`) parses too.
        let hooks: Vec<ProjectHook> = fixture("group_hooks_list.json");
        assert!(
            hooks.iter().any(|h| h.push_events_branch_filter.is_none()
                && h.branch_filter_strategy.as_deref() == Some("all_branches")),
            "{hooks:?}"
        );
    }

    #[test]
    fn roles_round_trip_and_order() {
        for level in [5, 10, 15, 20, 25, 30, 40, 50] {
            assert_eq!(Role::from_level(level).unwrap().level(), level);
        }
        assert_eq!(Role::from_level(0), None);
        assert_eq!(Role::from_level(60), Some(Role::Owner));
        assert!(Role::Developer < Role::Maintainer);
    }
}

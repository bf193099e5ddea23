//! Step 2: what the token can do, who owns it, when it expires, which projects it reaches.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::model::{NamespaceRef, Role};

/// Days before expiry from which the wizard warns.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// What the wizard can do with this token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `api`: webhooks are created for the admin.
    Automatic,
    /// `read_api` + `read_user` + `read_repository`: read-only, webhooks are made by hand.
    Manual,
    /// Scopes are missing (named in [`TokenReport::missing_scopes`]); the crawler cannot work.
    Insufficient,
}

/// Where the scope list came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ScopesSource {
    /// GitLab said so (`/personal_access_tokens/self` or `/oauth/token/info`).
    Reported,
    /// GitLab older than 15.5 cannot say; scopes were inferred from which reads succeed.
    Inferred,
}

/// The token owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UserSummary {
    /// Numeric user ID.
    pub id: u64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Instance administrator (self-managed only).
    pub is_admin: bool,
    /// A project or group access token's bot user.
    pub bot: bool,
}

/// How close the token is to expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Expiry {
    /// Expires in more than [`EXPIRY_WARNING_DAYS`] days.
    Ok {
        /// Whole days left.
        days_left: i64,
    },
    /// Expires soon: the admin should plan a rotation.
    Soon {
        /// Whole days left.
        days_left: i64,
    },
    /// The token has no expiry date (only where the instance policy allows it).
    Never,
}

/// Whether the wizard can create a project's webhook itself, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HookAccess {
    /// The token has `api` and the user is Maintainer or above.
    Automatic,
    /// A person must create the hook; `reason` says why.
    Manual {
        /// E.g. "read-only token" or "role Developer is below Maintainer".
        reason: String,
    },
}

/// A project the token reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectAccess {
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
    /// The token user's highest role (none when GitLab reports none, e.g. admin access).
    pub role: Option<Role>,
    /// Archived projects are left out of webhook set-up by default.
    pub archived: bool,
    /// Whether the wizard can create its webhook.
    pub hooks: HookAccess,
}

/// A group the token's user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupAccess {
    /// Numeric group ID.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// `group/subgroup`.
    pub full_path: String,
    /// The group's page.
    pub web_url: String,
    /// Parent group.
    pub parent_id: Option<u64>,
    /// True when the user owns the group (needed for group webhooks).
    pub owner: bool,
}

/// Project counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectCounts {
    /// Every project the token reaches.
    pub total: usize,
    /// By the user's role, keyed by the role's snake_case name (`"maintainer"`), plus `"none"`.
    pub by_role: BTreeMap<String, usize>,
    /// Projects whose webhook the wizard can create.
    pub automatic: usize,
    /// Projects that need a person.
    pub manual: usize,
    /// Archived projects (counted in `total` too).
    pub archived: usize,
}

/// Everything step 2 learns; later steps reuse it instead of asking GitLab again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TokenReport {
    /// The instance, as `https://host[/prefix]`.
    pub gitlab_url: String,
    /// GitLab's version, when it says.
    pub gitlab_version: Option<String>,
    /// The token's name, when GitLab says.
    pub token_name: Option<String>,
    /// The owner.
    pub user: UserSummary,
    /// Granted scopes, sorted.
    pub scopes: Vec<String>,
    /// Whether GitLab reported the scopes or they were inferred.
    pub scopes_source: ScopesSource,
    /// What the wizard can do.
    pub mode: Mode,
    /// Scopes to add for the crawler to work (empty unless `Insufficient`).
    pub missing_scopes: Vec<String>,
    /// Expiry date (`YYYY-MM-DD`).
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires_at: Option<NaiveDate>,
    /// Expiry status relative to today.
    pub expiry: Expiry,
    /// Things the admin should read: expiry, bot user, inferred scopes.
    pub warnings: Vec<String>,
    /// Projects the token reaches, by ID.
    pub projects: Vec<ProjectAccess>,
    /// Groups the user belongs to, by full path.
    pub groups: Vec<GroupAccess>,
    /// Summary counts.
    pub counts: ProjectCounts,
}

/// Progress of [`detect`], for a progress line or bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DetectProgress {
    /// `"user"`, `"projects"` or `"groups"`.
    pub stage: String,
    /// Items done in that stage so far.
    pub done: usize,
}

/// Scopes a read-only crawler token needs (the seed's list).
pub const READ_ONLY_SCOPES: [&str; 3] = ["read_api", "read_user", "read_repository"];

/// Decides the mode from the granted scopes: `api` → automatic; all of [`READ_ONLY_SCOPES`]
/// → manual; else insufficient, with the read-only scopes still missing.
pub fn mode_for(scopes: &[String]) -> (Mode, Vec<String>) {
    if scopes.iter().any(|s| s == "api") {
        return (Mode::Automatic, Vec::new());
    }
    let missing: Vec<String> = READ_ONLY_SCOPES
        .iter()
        .filter(|need| !scopes.iter().any(|s| s == *need))
        .map(|s| (*s).to_owned())
        .collect();
    if missing.is_empty() {
        (Mode::Manual, missing)
    } else {
        (Mode::Insufficient, missing)
    }
}

/// The expiry status on `today` (UTC): tokens expire at 00:00 UTC on their date.
pub fn expiry_on(expires_at: Option<NaiveDate>, today: NaiveDate) -> Expiry {
    match expires_at {
        None => Expiry::Never,
        Some(date) => {
            let days_left = (date - today).num_days();
            if days_left <= EXPIRY_WARNING_DAYS {
                Expiry::Soon { days_left }
            } else {
                Expiry::Ok { days_left }
            }
        }
    }
}

/// Whether the wizard may create a project's hook, given the mode, the role and admin rights.
pub fn hook_access(mode: Mode, role: Option<Role>, is_admin: bool) -> HookAccess {
    match mode {
        Mode::Automatic if is_admin || role >= Some(Role::Maintainer) => HookAccess::Automatic,
        Mode::Automatic => HookAccess::Manual {
            reason: match role {
                Some(r) => format!(
                    "your role here is {}; webhooks need Maintainer or Owner",
                    r.label()
                ),
                None => "your role here is unknown; webhooks need Maintainer or Owner".to_owned(),
            },
        },
        _ => HookAccess::Manual {
            reason: "the token is read-only (no `api` scope)".to_owned(),
        },
    }
}

/// The day an OAuth token expires, `expires_in` seconds after `today`; a lifetime past any
/// date (a hostile or broken answer) is an error, not a panic.
fn oauth_expiry(
    today: chrono::NaiveDate,
    expires_in: i64,
) -> Result<chrono::NaiveDate, crate::error::ApiError> {
    chrono::Duration::try_seconds(expires_in)
        .and_then(|d| today.checked_add_signed(d))
        .ok_or_else(|| crate::error::ApiError::Unexpected {
            status: 200,
            path: "oauth/token/info".into(),
            message: format!(
                "an expires_in of {expires_in} seconds is past any date: check the instance, or use a personal access token"
            ),
        })
}

/// Which projects [`detect_in`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Every project the token reaches.
    All,
    /// Only the projects whose IDs fall in these ranges: keyset listing ordered by ID with
    /// `id_after` (and `id_before`), as GitLab documents for `GET /projects`.
    Ranges(Vec<IdRange>),
}

/// Project IDs above `after` and below `before` (no upper bound when `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    /// IDs above this one.
    pub after: u64,
    /// IDs below this one.
    pub before: Option<u64>,
}

impl IdRange {
    /// Whether `id` falls in the range.
    pub fn contains(&self, id: u64) -> bool {
        id > self.after && self.before.is_none_or(|b| id < b)
    }
}

/// Step 2: asks GitLab who owns the token, what it may do, and which projects and groups it
/// reaches with which role. Reuses what step 1 learned about the token.
pub async fn detect(
    session: &crate::token::Session,
    progress: &(dyn Fn(DetectProgress) + Send + Sync),
) -> Result<TokenReport, crate::Error> {
    detect_in(session, &Listing::All, progress).await
}

/// [`detect`], listing only the projects `listing` names (every group is listed: there are
/// far fewer). With [`Listing::Ranges`] the report's projects are those in the ranges only.
pub async fn detect_in(
    session: &crate::token::Session,
    listing: &Listing,
    progress: &(dyn Fn(DetectProgress) + Send + Sync),
) -> Result<TokenReport, crate::Error> {
    use crate::model::{CurrentUser, Group, Project, ProjectId, Version};
    use crate::token::TokenInfo;

    let client = &session.client;
    let mut warnings = Vec::new();
    let (token_name, mut scopes, expires_at, source) = match &session.info {
        TokenInfo::Personal(t) => (
            t.name.clone(),
            t.scopes.clone(),
            t.expires_at,
            ScopesSource::Reported,
        ),
        TokenInfo::OAuth(o) => {
            let expires = o
                .expires_in
                .map(|s| oauth_expiry(chrono::Utc::now().date_naive(), s))
                .transpose()?;
            (None, o.scope.clone(), expires, ScopesSource::Reported)
        }
        TokenInfo::Unreported => (None, Vec::new(), None, ScopesSource::Inferred),
    };
    if source == ScopesSource::Reported {
        let (mode, missing) = mode_for(&scopes);
        let reads_api = scopes.iter().any(|s| s == "api" || s == "read_api");
        if mode == Mode::Insufficient && !reads_api {
            scopes.sort();
            return Err(crate::Error::TokenTooWeak {
                have: scopes,
                missing,
            });
        }
    }

    progress(DetectProgress {
        stage: "user".into(),
        done: 0,
    });
    let user: CurrentUser = client.get("user", &[]).await?;
    let version = client
        .get::<Version>("version", &[])
        .await
        .ok()
        .map(|v| v.version);
    progress(DetectProgress {
        stage: "user".into(),
        done: 1,
    });

    let full = [
        ("membership", "true"),
        ("pagination", "keyset"),
        ("order_by", "id"),
        ("sort", "asc"),
    ];
    let maintained = [
        ("membership", "true"),
        ("min_access_level", "40"),
        ("simple", "true"),
        ("pagination", "keyset"),
        ("order_by", "id"),
        ("sort", "asc"),
    ];
    let ranges = match listing {
        Listing::All => vec![None],
        Listing::Ranges(r) => r.iter().map(Some).collect(),
    };
    let projects_fut = async {
        let mut all = Vec::new();
        for range in &ranges {
            let bounds = range_params(*range);
            let bounds: Vec<(&str, &str)> = bounds.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let query: Vec<(&str, &str)> = full.iter().copied().chain(bounds).collect();
            let before = all.len();
            let page = client
                .get_all::<Project>("projects", &query, |done| {
                    progress(DetectProgress {
                        stage: "projects".into(),
                        done: before + done,
                    });
                })
                .await?;
            all.extend(page);
        }
        Ok::<_, crate::error::ApiError>(all)
    };
    let maintained_fut = async {
        let mut all = Vec::new();
        for range in &ranges {
            let bounds = range_params(*range);
            let bounds: Vec<(&str, &str)> = bounds.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let query: Vec<(&str, &str)> = maintained.iter().copied().chain(bounds).collect();
            all.extend(
                client
                    .get_all::<ProjectId>("projects", &query, |_| {})
                    .await?,
            );
        }
        Ok::<_, crate::error::ApiError>(all)
    };
    let groups_fut = client.get_all::<Group>("groups", &[("min_access_level", "10")], |done| {
        progress(DetectProgress {
            stage: "groups".into(),
            done,
        });
    });
    let owned_fut = client.get_all::<Group>("groups", &[("min_access_level", "50")], |_| {});
    let (projects, maintained, groups, owned) =
        tokio::join!(projects_fut, maintained_fut, groups_fut, owned_fut);
    let (projects, groups) = (projects?, groups?);
    // The second pass catches roles that `permissions` misses (inherited from an ancestor group).
    let maintained: std::collections::HashSet<u64> =
        maintained?.into_iter().map(|p| p.id).collect();
    let owned: std::collections::HashSet<u64> = owned?.into_iter().map(|g| g.id).collect();

    if source == ScopesSource::Inferred {
        scopes = vec!["read_api".to_owned(), "read_user".to_owned()];
        warnings.push(
            "This GitLab (older than 15.5) does not report token scopes: read access was confirmed; \
             whether the token has `api` cannot be checked, so webhooks are treated as manual."
                .to_owned(),
        );
    }
    scopes.sort();
    let (mode, missing_scopes) = match source {
        ScopesSource::Reported => mode_for(&scopes),
        ScopesSource::Inferred => (Mode::Manual, Vec::new()),
    };

    let today = chrono::Utc::now().date_naive();
    let expiry = expiry_on(expires_at, today);
    match (&expiry, expires_at) {
        (Expiry::Soon { days_left }, Some(date)) => warnings.push(format!(
            "The token expires on {date} (in {days_left} days): create a new one before then, or the crawler stops."
        )),
        (Expiry::Never, _) if source == ScopesSource::Reported => warnings.push(
            "The token has no expiry date. GitLab requires one by default since 16.0, so this instance allows it by \
             policy; the crawler keeps working, but consider a token that expires and a reminder to rotate it."
                .to_owned(),
        ),
        _ => {}
    }
    if user.bot {
        warnings.push(
            "This token belongs to a bot user (a project or group access token): it reaches only its own project \
             or group, and cannot list members outside it."
                .to_owned(),
        );
    }

    let mut report_projects: Vec<ProjectAccess> = projects
        .into_iter()
        .map(|p| {
            let perms = p.permissions.unwrap_or_default();
            let level = [perms.project_access, perms.group_access]
                .into_iter()
                .flatten()
                .map(|a| a.access_level)
                .max();
            let mut role = level.and_then(Role::from_level);
            if maintained.contains(&p.id) && role < Some(Role::Maintainer) {
                role = Some(Role::Maintainer);
            }
            ProjectAccess {
                id: p.id,
                hooks: hook_access(mode, role, user.is_admin),
                name: p.name,
                path_with_namespace: p.path_with_namespace,
                web_url: p.web_url,
                namespace: p.namespace,
                role,
                archived: p.archived,
            }
        })
        .collect();
    report_projects.sort_by_key(|p| p.id);
    report_projects.dedup_by_key(|p| p.id);

    let mut report_groups: Vec<GroupAccess> = groups
        .into_iter()
        .map(|g| GroupAccess {
            owner: owned.contains(&g.id),
            id: g.id,
            name: g.name,
            full_path: g.full_path,
            web_url: g.web_url,
            parent_id: g.parent_id,
        })
        .collect();
    report_groups.sort_by(|a, b| a.full_path.cmp(&b.full_path));

    let counts = count(&report_projects);
    if counts.total == 0 && *listing == Listing::All {
        warnings.push(format!(
            "The token's user ({}) is not a member of any project: add it to the projects to crawl (Developer or \
             above to read; Maintainer for webhooks), or use another user's token.",
            user.username
        ));
    }
    Ok(TokenReport {
        gitlab_url: client.url().to_string(),
        gitlab_version: version,
        token_name,
        user: UserSummary {
            id: user.id,
            username: user.username,
            name: user.name,
            is_admin: user.is_admin,
            bot: user.bot,
        },
        scopes,
        scopes_source: source,
        mode,
        missing_scopes,
        expires_at,
        expiry,
        warnings,
        projects: report_projects,
        groups: report_groups,
        counts,
    })
}

/// The `id_after` / `id_before` query of one range (none for the whole list).
fn range_params(range: Option<&IdRange>) -> Vec<(&'static str, String)> {
    let Some(r) = range else {
        return Vec::new();
    };
    let mut q = Vec::new();
    if r.after > 0 {
        q.push(("id_after", r.after.to_string()));
    }
    if let Some(b) = r.before {
        q.push(("id_before", b.to_string()));
    }
    q
}

/// Counts projects by role, hook access and archived flag.
pub fn count(projects: &[ProjectAccess]) -> ProjectCounts {
    let mut counts = ProjectCounts {
        total: projects.len(),
        ..ProjectCounts::default()
    };
    for p in projects {
        let key = p.role.map_or_else(
            || "none".to_owned(),
            |r| {
                serde_json::to_value(r)
                    .expect("a role serializes")
                    .as_str()
                    .unwrap_or("none")
                    .to_owned()
            },
        );
        *counts.by_role.entry(key).or_default() += 1;
        match p.hooks {
            HookAccess::Automatic => counts.automatic += 1,
            HookAccess::Manual { .. } => counts.manual += 1,
        }
        counts.archived += usize::from(p.archived);
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn modes_follow_the_seed() {
        assert_eq!(mode_for(&s(&["api"])), (Mode::Automatic, vec![]));
        assert_eq!(
            mode_for(&s(&["read_user", "read_api", "read_repository"])),
            (Mode::Manual, vec![])
        );
        assert_eq!(
            mode_for(&s(&["read_api"])),
            (Mode::Insufficient, s(&["read_user", "read_repository"]))
        );
        assert_eq!(
            mode_for(&[]),
            (
                Mode::Insufficient,
                s(&["read_api", "read_user", "read_repository"])
            )
        );
    }

    #[test]
    fn expiry_warns_within_thirty_days() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(expiry_on(None, today), Expiry::Never);
        assert_eq!(
            expiry_on(today.checked_add_days(chrono::Days::new(30)), today),
            Expiry::Soon { days_left: 30 }
        );
        assert_eq!(
            expiry_on(today.checked_add_days(chrono::Days::new(31)), today),
            Expiry::Ok { days_left: 31 }
        );
    }

    #[test]
    fn hooks_need_api_and_maintainer() {
        assert_eq!(
            hook_access(Mode::Automatic, Some(Role::Maintainer), false),
            HookAccess::Automatic
        );
        assert_eq!(
            hook_access(Mode::Automatic, None, true),
            HookAccess::Automatic
        );
        assert!(
            matches!(hook_access(Mode::Automatic, Some(Role::Developer), false), HookAccess::Manual { reason } if reason.contains("Developer"))
        );
        assert!(
            matches!(hook_access(Mode::Manual, Some(Role::Owner), false), HookAccess::Manual { reason } if reason.contains("read-only"))
        );
    }

    #[test]
    fn a_huge_oauth_expires_in_is_an_error_not_a_panic() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(
            oauth_expiry(today, 86_400).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        for huge in [
            i64::MAX,
            i64::MIN,
            9_000_000_000_000_000,
            10_000_000_000_000,
        ] {
            let e = oauth_expiry(today, huge).unwrap_err();
            assert!(e.to_string().contains("past any date"), "{e}");
        }
    }
}

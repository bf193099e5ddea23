//! Step 3: the crawler's webhook on every selected project — planned from GitLab's live state,
//! applied idempotently where the token may, described precisely where a person must.

pub mod event_url;
pub mod fingerprints;
pub mod groups;
pub mod instructions;
pub mod journal;
mod reconcile;
pub mod remove;
pub use reconcile::{SettleWait, set_settle_wait};
mod run;

use serde::Serialize;

pub use event_url::{EventUrl, EventUrlError};
pub use fingerprints::Fingerprints;
pub use journal::{Journal, RunOptions};
pub use run::{
    Check, ProjectCheck, RunProgress, apply, apply_resumable, cover, disabled_reason, plan,
    test_deliveries, test_delivery, verify,
};

use crate::model::ProjectHook;
use crate::scopes::{ProjectAccess, TokenReport};
use crate::secret::Secret;

/// Which events the hook sends. The default is the seed's five.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Triggers {
    /// Push events.
    pub push: bool,
    /// Tag push events (option).
    pub tag_push: bool,
    /// Issue events.
    pub issues: bool,
    /// Confidential issue events (option).
    pub confidential_issues: bool,
    /// Merge request events.
    pub merge_requests: bool,
    /// Comments.
    pub note: bool,
    /// Comments on confidential issues (option).
    pub confidential_note: bool,
    /// Wiki page events.
    pub wiki_page: bool,
}

impl Default for Triggers {
    fn default() -> Self {
        Self {
            push: true,
            tag_push: false,
            issues: true,
            confidential_issues: false,
            merge_requests: true,
            note: true,
            confidential_note: false,
            wiki_page: true,
        }
    }
}

impl Triggers {
    /// The seed's five, plus tag pushes and confidential issues and comments when asked for.
    pub fn chosen(tag_push: bool, confidential: bool) -> Self {
        Self {
            tag_push,
            confidential_issues: confidential,
            confidential_note: confidential,
            ..Self::default()
        }
    }

    /// `(GitLab attribute, UI label, wanted)` for every trigger this tool manages.
    pub fn fields(&self) -> [(&'static str, &'static str, bool); 8] {
        [
            ("push_events", "Push events", self.push),
            ("tag_push_events", "Tag push events", self.tag_push),
            ("issues_events", "Issues events", self.issues),
            (
                "confidential_issues_events",
                "Confidential issues events",
                self.confidential_issues,
            ),
            (
                "merge_requests_events",
                "Merge request events",
                self.merge_requests,
            ),
            ("note_events", "Comments", self.note),
            (
                "confidential_note_events",
                "Confidential comments",
                self.confidential_note,
            ),
            ("wiki_page_events", "Wiki page events", self.wiki_page),
        ]
    }

    /// The triggers a hook has, in the same order as [`Triggers::fields`].
    fn of(hook: &ProjectHook) -> [bool; 8] {
        [
            hook.push_events,
            hook.tag_push_events,
            hook.issues_events,
            hook.confidential_issues_events,
            hook.merge_requests_events,
            hook.note_events,
            hook.confidential_note_events,
            hook.wiki_page_events,
        ]
    }
}

/// The hook every selected project should have.
#[derive(Debug, Clone)]
pub struct HookSpec {
    /// The crawler's event URL.
    pub url: EventUrl,
    /// Wanted triggers.
    pub triggers: Triggers,
    /// The secret token GitLab sends as `X-Gitlab-Token`.
    pub secret: Secret,
}

impl HookSpec {
    /// The JSON body for `POST`/`PUT /projects/:id/hooks` (always with the secret: changing
    /// the URL resets it on GitLab's side; and pushes to every branch).
    fn body(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "url": self.url.as_str(),
            "token": self.secret.expose(),
            "enable_ssl_verification": true,
            "push_events_branch_filter": "",
            "branch_filter_strategy": "all_branches",
        });
        for (field, _, wanted) in self.triggers.fields() {
            body[field] = serde_json::Value::Bool(wanted);
        }
        body
    }

    /// What differs between a hook of ours and this spec (secret aside).
    fn differences(&self, hook: &ProjectHook) -> Vec<String> {
        let mut reasons: Vec<String> = self
            .triggers
            .fields()
            .iter()
            .zip(Triggers::of(hook))
            .filter(|((_, _, wanted), has)| wanted != has)
            .map(|((_, label, wanted), _)| {
                format!("{label} {}", if *wanted { "off" } else { "on" })
            })
            .collect();
        if !hook.enable_ssl_verification {
            reasons.push("TLS verification off".into());
        }
        if self.triggers.push
            && let Some(filter) = branch_filter(hook)
        {
            reasons.push(filter);
        }
        reasons
    }
}

/// What limits the pushes a hook sends to some branches, if anything. GitLab applies a
/// `wildcard` or `regex` filter only when it is not empty, and `all_branches` sends all; a
/// strategy it does not name is taken as a limit too.
fn branch_filter(hook: &ProjectHook) -> Option<String> {
    let filter = hook.push_events_branch_filter.as_deref().unwrap_or("");
    match hook.branch_filter_strategy.as_deref() {
        Some("all_branches") => None,
        None | Some("wildcard" | "regex") if filter.is_empty() => None,
        None | Some("wildcard" | "regex") => Some(format!(
            "push events only for branches matching a filter ({})",
            hook.branch_filter_strategy.as_deref().unwrap_or("wildcard")
        )),
        Some(_) => Some("push events only for some branches (an unknown branch filter)".into()),
    }
}

/// Makes a webhook secret: 32 bytes from the OS random generator, as 64 hex digits.
pub fn generate_secret() -> Secret {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// What happens (or happened) to one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HookAction"))]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// No hook of ours: one will be (or was) created.
    Create,
    /// Our hook differs (triggers, TLS, secret, disabled): it will be (or was) updated.
    Update {
        /// What differs.
        reasons: Vec<String>,
    },
    /// Our hook is as wanted.
    Unchanged,
    /// A group hook of ours covers the project: no project hook (GitLab would deliver twice).
    Covered {
        /// The group with the hook.
        group: String,
    },
    /// A person must act; `reason` says why.
    Manual {
        /// E.g. "read-only token" or "role Developer".
        reason: String,
    },
    /// GitLab refused; `message` is its answer, `code` the error class.
    Failed {
        /// GitLab's message.
        message: String,
        /// Error class (see `ApiError::code`).
        code: String,
    },
}

/// One project's line in a plan, an apply or a verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectOutcome {
    /// Project ID.
    pub project_id: u64,
    /// `group/project`.
    pub path: String,
    /// Deep link to the project's webhook settings (`<web_url>/-/hooks`).
    pub hooks_url: String,
    /// What happens.
    #[serde(flatten)]
    pub action: Action,
    /// Our hook's ID, when there is one.
    pub hook_id: Option<u64>,
    /// Further hooks with our URL (reported; removed only when asked).
    pub duplicates: Vec<u64>,
    /// Set when GitLab has disabled our hook (`alert_status`), with until when.
    pub disabled: Option<String>,
    /// Project hooks of ours this apply deleted because a group hook of ours now covers the
    /// project (they would deliver each event twice). Absent in journals written before.
    #[serde(default)]
    pub removed: Vec<u64>,
}

/// Counts of a run's outcomes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HookSummary"))]
pub struct Summary {
    /// Projects in the run.
    pub total: usize,
    /// Create.
    pub create: usize,
    /// Update.
    pub update: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// Covered by a group hook.
    pub covered: usize,
    /// Manual.
    pub manual: usize,
    /// Failed.
    pub failed: usize,
    /// Duplicate hooks of ours seen.
    pub duplicates: usize,
    /// Project hooks of ours deleted because a group hook of ours covers their project.
    pub removed: usize,
}

impl Summary {
    /// Counts outcomes.
    pub fn of(outcomes: &[ProjectOutcome]) -> Self {
        let mut s = Summary {
            total: outcomes.len(),
            ..Summary::default()
        };
        for o in outcomes {
            match o.action {
                Action::Create => s.create += 1,
                Action::Update { .. } => s.update += 1,
                Action::Unchanged => s.unchanged += 1,
                Action::Covered { .. } => s.covered += 1,
                Action::Manual { .. } => s.manual += 1,
                Action::Failed { .. } => s.failed += 1,
            }
            s.duplicates += o.duplicates.len();
            s.removed += o.removed.len();
        }
        s
    }
}

/// Which projects a run covers. Empty lists mean every project the token reaches.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Group full paths; a group includes its subgroups.
    pub groups: Vec<String>,
    /// Project IDs or `group/project` paths.
    pub projects: Vec<String>,
    /// Include archived projects (they are left out by default).
    pub include_archived: bool,
}

impl Selection {
    /// The selected projects from step 2's report (nothing is fetched again).
    pub fn pick<'a>(&self, report: &'a TokenReport) -> Vec<&'a ProjectAccess> {
        report
            .projects
            .iter()
            .filter(|p| self.include_archived || !p.archived)
            .filter(|p| {
                let by_group = self.groups.iter().any(|g| {
                    let g = g.trim_matches('/');
                    p.namespace.full_path == g
                        || p.namespace.full_path.starts_with(&format!("{g}/"))
                });
                let by_project = self.projects.iter().any(|s| {
                    *s == p.id.to_string() || s.trim_matches('/') == p.path_with_namespace
                });
                (self.groups.is_empty() && self.projects.is_empty()) || by_group || by_project
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> ProjectHook {
        ProjectHook {
            id: 1,
            url: url.into(),
            push_events: true,
            tag_push_events: false,
            issues_events: true,
            confidential_issues_events: false,
            merge_requests_events: true,
            note_events: true,
            confidential_note_events: false,
            wiki_page_events: true,
            enable_ssl_verification: true,
            alert_status: Some("executable".into()),
            disabled_until: None,
            push_events_branch_filter: Some(String::new()),
            branch_filter_strategy: Some("wildcard".into()),
        }
    }

    fn spec() -> HookSpec {
        HookSpec {
            url: EventUrl::parse("https://c.example.com/e").unwrap(),
            triggers: Triggers::default(),
            secret: generate_secret(),
        }
    }

    #[test]
    fn seed_triggers_match_and_differences_are_named() {
        let s = spec();
        assert!(s.differences(&hook("https://c.example.com/e")).is_empty());
        let mut h = hook("https://c.example.com/e");
        h.wiki_page_events = false;
        h.tag_push_events = true;
        h.enable_ssl_verification = false;
        assert_eq!(
            s.differences(&h),
            vec![
                "Tag push events on",
                "Wiki page events off",
                "TLS verification off"
            ]
        );
    }

    #[test]
    fn a_branch_filter_is_a_difference_an_empty_one_is_not() {
        let s = spec();
        let mut h = hook("https://c.example.com/e");
        for (filter, strategy) in [
            (None, None),
            (Some(""), Some("wildcard")),
            (Some(""), Some("regex")),
            (None, Some("all_branches")),
            // GitLab ignores the filter with `all_branches`.
            (Some("main"), Some("all_branches")),
        ] {
            h.push_events_branch_filter = filter.map(Into::into);
            h.branch_filter_strategy = strategy.map(Into::into);
            assert!(s.differences(&h).is_empty(), "{filter:?} {strategy:?}");
        }
        for (filter, strategy) in [
            (Some("main"), Some("wildcard")),
            (Some("main"), None),
            (Some("^release/.*$"), Some("regex")),
            (Some(""), Some("something_new")),
        ] {
            h.push_events_branch_filter = filter.map(Into::into);
            h.branch_filter_strategy = strategy.map(Into::into);
            let d = s.differences(&h);
            assert_eq!(d.len(), 1, "{filter:?} {strategy:?}: {d:?}");
            assert!(d[0].starts_with("push events only for"), "{d:?}");
        }
    }

    #[test]
    fn body_carries_secret_triggers_and_tls() {
        let s = spec();
        let b = s.body();
        assert_eq!(b["url"], "https://c.example.com/e");
        assert_eq!(b["token"], s.secret.expose());
        assert_eq!(b["enable_ssl_verification"], true);
        assert_eq!(b["note_events"], true);
        assert_eq!(b["confidential_note_events"], false);
        assert_eq!(b["push_events_branch_filter"], "");
        assert_eq!(b["branch_filter_strategy"], "all_branches");
    }

    #[test]
    fn secrets_are_random_hex() {
        let (a, b) = (generate_secret(), generate_secret());
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}

//! Day two, removal: every crawler hook in scope deleted (project and group hooks), and
//! nothing else.
//!
//! A hook is the crawler's by the same rule as for apply: its URL is the event URL and it
//! carries no credentials ([`super::EventUrl::matches`]). Where one project (or group) has
//! several such hooks, those this tool set (a fingerprint with the current secret) are the
//! crawler's; the others are too only when exactly one is left, so a second run judges what
//! the first left the same way. Two or more hooks with our URL that this tool did not set are
//! left to a person, as apply leaves them. A single hook with our exact URL is the crawler's
//! even when a person set it by hand.
//!
//! [`plan`] reads and writes nothing; [`remove`] re-reads each project or group right before
//! deleting, deletes only hooks the plan listed that still have our URL, reconciles lost
//! answers ([`reconcile::delete`]: a re-read that no longer finds the hook proves the delete),
//! and forgets the fingerprints of the hooks gone.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;

use super::groups::below;
use super::reconcile::{self, Home};
use super::run::{Found, State, all_ours, each, failed, find, lock};
use super::{Action, Fingerprints, HookSpec, RunProgress, Selection};
use crate::client::Client;
use crate::error::{ApiError, id_list};
use crate::model::ProjectHook;
use crate::scopes::{GroupAccess, HookAccess, Mode, ProjectAccess, TokenReport};

/// Where a hook lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A project's hooks.
    Project,
    /// A group's hooks.
    Group,
}

/// What a removal does (or did) to one project or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "RemovalStatus"))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// No hook with the crawler's URL.
    Nothing,
    /// The hooks in `delete` will be deleted.
    Delete,
    /// The hooks in `deleted` are gone.
    Deleted,
    /// Hooks with the crawler's URL are left to a person (`left`); `reason` says why.
    Manual {
        /// Why.
        reason: String,
    },
    /// The token cannot list the hooks here, so whether there is one of ours is not known.
    Unknown {
        /// Why.
        reason: String,
    },
    /// GitLab refused or failed; what was not deleted is in `delete`.
    Failed {
        /// GitLab's message, or what changed.
        message: String,
        /// Error class (see `ApiError::code`).
        code: String,
    },
}

/// One project's or group's line in a removal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HookRemoval"))]
pub struct Target {
    /// Project or group.
    pub kind: Kind,
    /// Project or group ID.
    pub id: u64,
    /// `group/project` or `group/subgroup`.
    pub path: String,
    /// Deep link to its webhook settings.
    pub hooks_url: String,
    /// What happens (or happened).
    #[serde(flatten)]
    pub status: Status,
    /// Crawler hooks to delete (a plan), or that were to be deleted and are not (a run).
    pub delete: Vec<u64>,
    /// Crawler hooks this run deleted (or found already gone).
    pub deleted: Vec<u64>,
    /// Hooks with the crawler's URL left to a person.
    pub left: Vec<u64>,
}

/// A removal's projects and groups.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Removal {
    /// Group hooks in scope: groups the token's user owns, within the selection.
    pub groups: Vec<Target>,
    /// The selected projects, in the selection's order.
    pub projects: Vec<Target>,
}

/// Counts of a removal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "RemovalSummary"))]
pub struct RemovalSummary {
    /// Hooks to delete (a plan), or not deleted although planned (a run).
    pub delete: usize,
    /// Hooks deleted.
    pub deleted: usize,
    /// Hooks with the crawler's URL left to a person.
    pub left: usize,
    /// Projects whose hooks the token cannot list.
    pub unknown: usize,
    /// Projects and groups where GitLab refused or failed.
    pub failed: usize,
}

impl Removal {
    /// Every project and group.
    pub fn targets(&self) -> impl Iterator<Item = &Target> {
        self.groups.iter().chain(&self.projects)
    }

    /// Counts.
    pub fn summary(&self) -> RemovalSummary {
        let mut s = RemovalSummary::default();
        for t in self.targets() {
            s.delete += t.delete.len();
            s.deleted += t.deleted.len();
            s.left += t.left.len();
            match t.status {
                Status::Unknown { .. } => s.unknown += 1,
                Status::Failed { .. } => s.failed += 1,
                _ => {}
            }
        }
        s
    }

    /// True when a hook with the crawler's URL is known to remain (not deleted, left to a
    /// person) or a project or group could not be read.
    pub fn incomplete(&self) -> bool {
        let s = self.summary();
        s.delete + s.left + s.failed > 0
    }
}

/// Of the hooks with the crawler's URL (`matches`), those that are the crawler's, to delete,
/// and those left to a person: the ones this tool set (`known`), and of the others all when
/// there is exactly one, none when there are several.
fn judge(matches: &[u64], known: impl Fn(u64) -> bool) -> (Vec<u64>, Vec<u64>) {
    let (mut delete, others): (Vec<u64>, Vec<u64>) = matches.iter().partition(|h| known(**h));
    let left = if others.len() == 1 {
        delete.extend(others);
        Vec::new()
    } else {
        others
    };
    delete.sort_unstable();
    (delete, left)
}

/// What reading one project's or group's hooks found.
enum Read {
    /// The token cannot list them.
    Unknown(String),
    /// Reading failed.
    Failed(ApiError),
    /// The IDs of the hooks with the crawler's URL.
    Matches(Vec<u64>),
}

async fn read_project(client: &Client, p: &ProjectAccess, spec: &HookSpec) -> Read {
    let Found { outcome, state } = find(client, p, spec, |_| false).await;
    match state {
        State::CannotList(reason) => Read::Unknown(reason),
        State::Failed(e) => Read::Failed(e),
        State::Missing => Read::Matches(Vec::new()),
        State::Present(_) | State::Several => {
            Read::Matches(all_ours(outcome.hook_id, outcome.duplicates))
        }
    }
}

async fn read_group(client: &Client, g: &GroupAccess, spec: &HookSpec) -> Read {
    match reconcile::ours_now(client, Home::Group(g.id), spec).await {
        Ok(hooks) => Read::Matches(all_ours(None, hooks.iter().map(|h| h.id).collect())),
        // No group webhooks on this GitLab (Community Edition): none of ours either.
        Err(ApiError::NotFound { .. }) => Read::Matches(Vec::new()),
        Err(e) => Read::Failed(e),
    }
}

/// The groups in scope: those the token's user owns (only an Owner may read or delete group
/// hooks) that are the selected groups or below them; every owned group when nothing is
/// selected; none when only projects are.
pub fn groups_in_scope<'a>(report: &'a TokenReport, selection: &Selection) -> Vec<&'a GroupAccess> {
    report
        .groups
        .iter()
        .filter(|g| g.owner)
        .filter(|g| {
            (selection.groups.is_empty() && selection.projects.is_empty())
                || selection
                    .groups
                    .iter()
                    .any(|s| below(s.trim_matches('/'), &g.full_path))
        })
        .collect()
}

fn failed_status(e: &ApiError, client: &Client) -> Status {
    match failed(e, client.url().is_gitlab_com()) {
        Action::Failed { message, code } => Status::Failed { message, code },
        _ => unreachable!("failed() always makes Action::Failed"),
    }
}

/// The plan for one project or group from what was read.
fn planned(
    client: &Client,
    mut target: Target,
    read: Read,
    can_delete: bool,
    known: impl Fn(u64) -> bool,
) -> Target {
    let matches = match read {
        Read::Unknown(reason) => {
            target.status = Status::Unknown { reason };
            return target;
        }
        Read::Failed(e) => {
            target.status = failed_status(&e, client);
            return target;
        }
        Read::Matches(m) => m,
    };
    let (delete, left) = judge(&matches, known);
    if !can_delete && !matches.is_empty() {
        target.left = matches;
        target.status = Status::Manual {
            reason: "this token may not delete hooks here (read-only token, or a role below Maintainer; Owner for a group): delete them by hand".into(),
        };
        return target;
    }
    target.status = if !left.is_empty() {
        Status::Manual {
            reason: format!(
                "several hooks with the crawler's URL, none set by this tool ({}): if they are the crawler's, delete them by hand",
                id_list(&left)
            ),
        }
    } else if delete.is_empty() {
        Status::Nothing
    } else {
        Status::Delete
    };
    target.delete = delete;
    target.left = left;
    target
}

fn blank(kind: Kind, id: u64, path: &str, web_url: &str) -> Target {
    Target {
        kind,
        id,
        path: path.to_owned(),
        hooks_url: format!("{}/-/hooks", web_url.trim_end_matches('/')),
        status: Status::Nothing,
        delete: Vec::new(),
        deleted: Vec::new(),
        left: Vec::new(),
    }
}

/// Reads the hooks of each selected project and each group in scope ([`groups_in_scope`]) and
/// says which crawler hooks [`remove`] would delete. Writes nothing.
pub async fn plan(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    groups: &[&GroupAccess],
    spec: &HookSpec,
    fingerprints: &Fingerprints,
    progress: &(dyn Fn(RunProgress<Target>) + Send + Sync),
) -> Removal {
    let instance = client.url().to_string();
    let writes = report.mode == Mode::Automatic;
    let mut group_targets = Vec::with_capacity(groups.len());
    for g in groups {
        let read = read_group(client, g, spec).await;
        let known = |hook: u64| fingerprints.matches(&instance, g.id, hook, &spec.secret);
        let target = blank(Kind::Group, g.id, &g.full_path, &g.web_url);
        group_targets.push(planned(client, target, read, writes && g.owner, known));
    }
    let project_targets = each(projects, client, progress, |p| {
        let instance = &instance;
        async move {
            let read = read_project(client, p, spec).await;
            let known = |hook: u64| fingerprints.matches(instance, p.id, hook, &spec.secret);
            let target = blank(Kind::Project, p.id, &p.path_with_namespace, &p.web_url);
            let can_delete = writes && p.hooks == HookAccess::Automatic;
            planned(client, target, read, can_delete, known)
        }
    })
    .await;
    Removal {
        groups: group_targets,
        projects: project_targets,
    }
}

/// Deletes the hooks `planned` lists (a [`plan`] the admin confirmed): each project or group
/// is read again first, and only hooks that still have the crawler's URL are deleted; one
/// gone meanwhile counts as deleted, one changed meanwhile is left and reported
/// ([`ApiError::HookChanged`]). A delete whose answer is lost is proved by a re-read. The
/// fingerprints of the hooks gone are forgotten.
pub async fn remove(
    client: &Client,
    report: &TokenReport,
    planned: &Removal,
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    progress: &(dyn Fn(RunProgress<Target>) + Send + Sync),
) -> Removal {
    let instance = client.url().to_string();
    let mut groups = Vec::with_capacity(planned.groups.len());
    for t in &planned.groups {
        let group = report.groups.iter().find(|g| g.id == t.id);
        groups.push(match group {
            Some(g) if !t.delete.is_empty() => {
                let read = read_group(client, g, spec).await;
                carry_out(client, t.clone(), read, spec, fingerprints, &instance).await
            }
            _ => t.clone(),
        });
    }
    let by_id: HashMap<u64, &ProjectAccess> = report.projects.iter().map(|p| (p.id, p)).collect();
    let targets: HashMap<u64, &Target> = planned.projects.iter().map(|t| (t.id, t)).collect();
    // `each` runs over projects: the targets are found again by ID (same order).
    let selected: Vec<&ProjectAccess> = planned
        .projects
        .iter()
        .filter_map(|t| by_id.get(&t.id).copied())
        .collect();
    let projects = each(&selected, client, progress, |p| {
        let instance = &instance;
        let t = targets
            .get(&p.id)
            .map(|t| (*t).clone())
            .unwrap_or_else(|| blank(Kind::Project, p.id, &p.path_with_namespace, &p.web_url));
        async move {
            if t.delete.is_empty() {
                return t;
            }
            let read = read_project(client, p, spec).await;
            carry_out(client, t, read, spec, fingerprints, instance).await
        }
    })
    .await;
    Removal { groups, projects }
}

/// Deletes `t.delete` after the re-read `read`.
async fn carry_out(
    client: &Client,
    mut t: Target,
    read: Read,
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    instance: &str,
) -> Target {
    let now = match read {
        Read::Matches(m) => m,
        Read::Unknown(reason) => {
            t.status = Status::Unknown { reason };
            return t;
        }
        Read::Failed(e) => {
            t.status = failed_status(&e, client);
            return t;
        }
    };
    let home = match t.kind {
        Kind::Project => Home::Project(t.id),
        Kind::Group => Home::Group(t.id),
    };
    let mut kept = Vec::new();
    let mut error: Option<ApiError> = None;
    for hook in std::mem::take(&mut t.delete) {
        let result = if now.contains(&hook) {
            reconcile::delete(client, home, hook, spec).await
        } else {
            gone(client, home, hook).await
        };
        match result {
            Ok(()) => {
                t.deleted.push(hook);
                // A fingerprint left behind only names a hook that no longer exists.
                let _ = lock(fingerprints).forget(instance, t.id, hook);
            }
            Err(e) => {
                kept.push(hook);
                error.get_or_insert(e);
            }
        }
    }
    t.delete = kept;
    if let Some(e) = error {
        t.status = failed_status(&e, client);
    } else if !matches!(t.status, Status::Manual { .. }) {
        t.status = Status::Deleted;
    }
    t
}

/// A planned hook the re-read no longer shows with our URL: `Ok` when it is gone, otherwise
/// [`ApiError::HookChanged`] (someone changed it; it is not ours to delete any more).
async fn gone(client: &Client, home: Home, hook: u64) -> Result<(), ApiError> {
    match client.get::<ProjectHook>(&home.hook(hook), &[]).await {
        Err(ApiError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
        Ok(_) => Err(ApiError::HookChanged {
            path: home.hooks(),
            hook,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ours_are_the_fingerprinted_and_a_single_other() {
        let none = |_| false;
        assert_eq!(judge(&[], none), (vec![], vec![]));
        assert_eq!(judge(&[7], none), (vec![7], vec![]), "set by hand, alone");
        assert_eq!(
            judge(&[7, 9], none),
            (vec![], vec![7, 9]),
            "several: a person"
        );
        let nine = |h| h == 9;
        assert_eq!(judge(&[7, 9], nine), (vec![7, 9], vec![]));
        assert_eq!(judge(&[3, 7, 9], nine), (vec![9], vec![3, 7]));
        let all = |_| true;
        assert_eq!(judge(&[9, 3, 7], all), (vec![3, 7, 9], vec![]));
    }

    #[test]
    fn judging_what_a_run_left_gives_the_same_verdict() {
        // What the first run deletes is gone for the second; what it left stays left.
        for (matches, fp) in [
            (vec![1, 2, 3], vec![2]),
            (vec![1, 2], vec![2]),
            (vec![1, 2, 3, 4], vec![]),
            (vec![5], vec![]),
        ] {
            let known = |h: u64| fp.contains(&h);
            let (delete, left) = judge(&matches, known);
            let rest: Vec<u64> = matches
                .iter()
                .copied()
                .filter(|h| !delete.contains(h))
                .collect();
            assert_eq!(judge(&rest, known), (vec![], left.clone()), "{matches:?}");
        }
    }

    #[test]
    fn summary_and_incomplete() {
        let t = |status, delete: Vec<u64>, deleted: Vec<u64>, left: Vec<u64>| Target {
            kind: Kind::Project,
            id: 1,
            path: "g/p".into(),
            hooks_url: "https://g/g/p/-/hooks".into(),
            status,
            delete,
            deleted,
            left,
        };
        let done = Removal {
            groups: vec![t(Status::Deleted, vec![], vec![4], vec![])],
            projects: vec![
                t(Status::Deleted, vec![], vec![1, 2], vec![]),
                t(
                    Status::Unknown {
                        reason: "Developer".into(),
                    },
                    vec![],
                    vec![],
                    vec![],
                ),
            ],
        };
        assert_eq!(done.summary().deleted, 3);
        assert_eq!(done.summary().unknown, 1);
        assert!(
            !done.incomplete(),
            "unknown projects are reported, not failed"
        );
        let mut left = done.clone();
        left.projects.push(t(
            Status::Manual { reason: "x".into() },
            vec![],
            vec![],
            vec![8, 9],
        ));
        assert!(left.incomplete());
        let json = serde_json::to_value(&left.projects[2]).unwrap();
        assert_eq!(json["status"], "manual");
        assert_eq!(json["kind"], "project");
        assert_eq!(json["left"], serde_json::json!([8, 9]));
    }
}

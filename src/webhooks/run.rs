//! Plan, apply and verify over many projects: bounded concurrency (the client's throttle),
//! progress per project, cancellation through the client.

use std::sync::{Mutex, MutexGuard};

use futures::StreamExt;
use serde::Serialize;

use super::reconcile::{self, Home};
use super::{Action, Fingerprints, HookSpec, Journal, ProjectOutcome};
use crate::client::Client;
use crate::error::{ApiError, id_list};
use crate::model::{ProjectHook, Role};
use crate::scopes::{HookAccess, Mode, ProjectAccess, TokenReport};

/// Locks the fingerprints; a panic elsewhere while they were held leaves them usable (each
/// change is written whole), so a poisoned lock is taken as it is.
pub(super) fn lock(fingerprints: &Mutex<Fingerprints>) -> MutexGuard<'_, Fingerprints> {
    fingerprints.lock().unwrap_or_else(|e| e.into_inner())
}

/// Progress of a run: after each project, its result.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunProgress<T> {
    /// Projects finished.
    pub done: usize,
    /// Projects in the run.
    pub total: usize,
    /// The project just finished.
    pub item: T,
}

/// Reads each project's hooks and says what [`apply`] would do. Writes nothing.
pub async fn plan(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    spec: &HookSpec,
    fingerprints: &Fingerprints,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> Vec<ProjectOutcome> {
    let mode = report.mode;
    let instance = client.url().to_string();
    each(projects, client, progress, |p| {
        let known = |hook: u64| fingerprints.matches(&instance, p.id, hook, &spec.secret);
        async move { decide(client, mode, p, spec, known).await }
    })
    .await
}

/// Makes every selected project's hook as wanted, where the token may. Re-reads each project
/// right before writing, so an interrupted run resumes without duplicates; a write whose
/// answer is lost is reconciled by a re-read, never retried blindly; never touches a hook
/// that is not ours (another URL, or credentials in it); deletes duplicates of ours only with
/// `prune_duplicates`, and only beside a hook this tool set (of several hooks with our URL,
/// none set by this tool, none is touched: the project is `Manual`). A hook GitLab keeps
/// disabled after the re-enabling test delivery fails is `Failed` (`still_disabled`).
pub async fn apply(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    prune_duplicates: bool,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> Vec<ProjectOutcome> {
    apply_resumable(
        client,
        report,
        projects,
        spec,
        fingerprints,
        prune_duplicates,
        None,
        progress,
    )
    .await
}

/// [`apply`] with a [`Journal`]: projects an interrupted run finished are taken from it
/// without a request, and each project is recorded as it finishes. The caller removes the
/// journal ([`Journal::finish`]) once a run completes.
#[allow(clippy::too_many_arguments)]
pub async fn apply_resumable(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    prune_duplicates: bool,
    journal: Option<&Journal>,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> Vec<ProjectOutcome> {
    let mode = report.mode;
    let instance = client.url().to_string();
    each(projects, client, progress, |p| {
        let instance = instance.clone();
        async move {
            if let Some(done) = journal.and_then(|j| j.done(p.id)) {
                return done.clone();
            }
            let known = |hook: u64| lock(fingerprints).matches(&instance, p.id, hook, &spec.secret);
            let mut outcome = decide(client, mode, p, spec, known).await;
            let home = Home::Project(p.id);
            let written = reconcile::write(
                client,
                home,
                spec,
                &outcome.action,
                outcome.hook_id,
                &mut outcome.duplicates,
                known,
            )
            .await;
            match written {
                Ok(Some(hook)) => {
                    outcome.hook_id = Some(hook.id);
                    if let Err(e) =
                        lock(fingerprints).record(&instance, p.id, hook.id, &spec.secret)
                    {
                        outcome.action = Action::Failed {
                            message: e.to_string(),
                            code: "local_state".into(),
                        };
                    }
                    if (outcome.disabled.is_some() || reconcile::disabled(&hook).is_some())
                        && !matches!(outcome.action, Action::Failed { .. })
                    {
                        // A hook GitLab keeps disabled sends no events: the project is not
                        // done (not journaled, so the next run writes and tests it again).
                        match reconcile::test(client, home, hook.id).await {
                            Ok(()) => {
                                if let Action::Update { reasons } = &mut outcome.action {
                                    reasons.push("re-enabled by a test delivery".into());
                                }
                            }
                            Err(e) => {
                                outcome.action = Action::Failed {
                                    message: format!(
                                        "hook {} is written but GitLab keeps it disabled: the test delivery that re-enables it failed ({e}); check that the crawler's event URL answers 2xx, then run apply again",
                                        hook.id
                                    ),
                                    code: "still_disabled".into(),
                                };
                            }
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => outcome.action = failed(&e, client.url().is_gitlab_com()),
            }
            // Duplicates go only beside a hook this tool has set (fingerprinted): with none,
            // which hook with our URL is the crawler's is not known.
            let kept_is_ours = outcome.hook_id.is_some_and(known);
            if prune_duplicates
                && kept_is_ours
                && !matches!(outcome.action, Action::Failed { .. } | Action::Manual { .. })
            {
                outcome.duplicates =
                    remove_hooks(client, p.id, &outcome.duplicates, spec, fingerprints, &instance)
                        .await;
            }
            if let Some(j) = journal
                && let Err(e) = j.record(&outcome)
            {
                outcome.action = Action::Failed {
                    message: format!("cannot write the apply journal: {e}"),
                    code: "local_state".into(),
                };
            }
            outcome
        }
    })
    .await
}

/// Projects under a group hook of ours: each is reported as covered (`group_of` names the
/// group). Our own project hooks there would deliver every event a second time, so with
/// `remove` (an apply, once the group hook is in place) they are deleted; without, they are
/// listed as duplicates. Only hooks this tool set (fingerprinted) are deleted: a project hook
/// with the crawler's URL that it did not set, even the only one, may be someone else's, so
/// it is kept, listed, and the project reported as needing a person (`Manual`).
pub async fn cover(
    client: &Client,
    projects: &[&ProjectAccess],
    group_of: &(dyn Fn(&ProjectAccess) -> String + Send + Sync),
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    remove: bool,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> Vec<ProjectOutcome> {
    let instance = client.url().to_string();
    each(projects, client, progress, |p| {
        let instance = instance.clone();
        async move {
            let known = |hook: u64| lock(fingerprints).matches(&instance, p.id, hook, &spec.secret);
            let Found { mut outcome, state } = find(client, p, spec, known).await;
            outcome.action = Action::Covered { group: group_of(p) };
            match state {
                State::Failed(e) => outcome.action = failed(&e, client.url().is_gitlab_com()),
                State::Present(_) | State::Several => {
                    outcome.duplicates =
                        all_ours(outcome.hook_id.take(), std::mem::take(&mut outcome.duplicates));
                }
                State::Missing | State::CannotList(_) => {}
            }
            let (ours, others): (Vec<u64>, Vec<u64>) =
                outcome.duplicates.iter().partition(|id| known(**id));
            if remove && !ours.is_empty() {
                let mut kept =
                    remove_hooks(client, p.id, &ours, spec, fingerprints, &instance).await;
                outcome.removed = ours.iter().filter(|id| !kept.contains(id)).copied().collect();
                kept.extend(&others);
                kept.sort_unstable();
                outcome.duplicates = kept;
            }
            if !others.is_empty() && matches!(outcome.action, Action::Covered { .. }) {
                outcome.action = Action::Manual {
                    reason: format!(
                        "covered by the group hook of {}, but project hooks with the crawler's URL not set by this tool remain ({}): GitLab delivers each event twice; if they are the crawler's, remove them by hand",
                        group_of(p),
                        id_list(&others)
                    ),
                };
            }
            outcome
        }
    })
    .await
}

/// Deletes hooks of ours from a project and forgets their fingerprints; returns those GitLab
/// would not delete (or that changed meanwhile).
async fn remove_hooks(
    client: &Client,
    project: u64,
    hooks: &[u64],
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    instance: &str,
) -> Vec<u64> {
    let mut kept = Vec::new();
    for &hook in hooks {
        match reconcile::delete(client, Home::Project(project), hook, spec).await {
            Ok(()) => {
                let _ = lock(fingerprints).forget(instance, project, hook);
            }
            Err(_) => kept.push(hook),
        }
    }
    kept
}

/// A project's hook as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HookCheck"))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Check {
    /// Present, with the wanted triggers, TLS on, enabled.
    Ok,
    /// No hook with the crawler's URL.
    Missing,
    /// Present but not as wanted.
    Wrong {
        /// What differs.
        reasons: Vec<String>,
    },
    /// Cannot be checked with this token (role below Maintainer).
    Unknown {
        /// Why.
        reason: String,
    },
    /// GitLab refused.
    Failed {
        /// GitLab's message.
        message: String,
    },
}

/// One project's verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectCheck {
    /// Project ID.
    pub project_id: u64,
    /// `group/project`.
    pub path: String,
    /// Deep link to the project's webhook settings.
    pub hooks_url: String,
    /// The verdict.
    #[serde(flatten)]
    pub check: Check,
    /// Our hook's ID, when there is one.
    pub hook_id: Option<u64>,
    /// Further hooks with our URL.
    pub duplicates: Vec<u64>,
    /// The result of a test delivery, when one was asked for.
    pub test_delivery: Option<String>,
    /// The group whose hook of ours covers the project (then the verdict is that hook's).
    pub covered_by: Option<String>,
    /// Set when GitLab has disabled the hook that carries the project's events (`alert_status`
    /// and `disabled_until`, as in [`disabled_reason`]).
    pub disabled: Option<String>,
}

/// The reason a disabled hook of ours is not as wanted (`state` as GitLab reports it).
pub fn disabled_reason(state: &str) -> String {
    format!("disabled by GitLab ({state})")
}

/// Re-reads every selected project's hooks and checks presence, triggers, TLS and disabled
/// state (GitLab never returns the secret, so it cannot be checked). Writes nothing.
pub async fn verify(
    client: &Client,
    projects: &[&ProjectAccess],
    spec: &HookSpec,
    progress: &(dyn Fn(RunProgress<ProjectCheck>) + Send + Sync),
) -> Vec<ProjectCheck> {
    each(projects, client, progress, |p| async move {
        let Found { outcome, state } = find(client, p, spec, |_| true).await;
        let check = match state {
            State::CannotList(reason) => Check::Unknown { reason },
            State::Failed(e) => Check::Failed {
                message: e.to_string(),
            },
            State::Missing => Check::Missing,
            State::Present(reasons) if reasons.is_empty() => Check::Ok,
            State::Present(reasons) => Check::Wrong { reasons },
            State::Several => Check::Wrong {
                reasons: vec![SEVERAL.into()],
            },
        };
        ProjectCheck {
            project_id: outcome.project_id,
            path: outcome.path,
            hooks_url: outcome.hooks_url,
            check,
            hook_id: outcome.hook_id,
            duplicates: outcome.duplicates,
            test_delivery: None,
            covered_by: None,
            disabled: outcome.disabled,
        }
    })
    .await
}

/// Runs `work` for every project with bounded concurrency, reporting progress; results keep
/// the projects' order.
pub(super) async fn each<'a, T: Clone, F, Fut>(
    projects: &[&'a ProjectAccess],
    client: &Client,
    progress: &(dyn Fn(RunProgress<T>) + Send + Sync),
    work: F,
) -> Vec<T>
where
    F: Fn(&'a ProjectAccess) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let total = projects.len();
    let width = client.concurrency();
    let mut done = 0;
    // The futures are made up front (they do nothing until polled): a stream `map` closure
    // here would make the run's future one the compiler cannot prove `Send`
    // (rust-lang/rust#102211), and the desktop's commands need `Send`.
    let runs: Vec<_> = projects
        .iter()
        .copied()
        .enumerate()
        .map(|(i, p)| {
            let fut = work(p);
            async move { (i, fut.await) }
        })
        .collect();
    let mut results: Vec<(usize, T)> = futures::stream::iter(runs)
        .buffer_unordered(width)
        .inspect(|(_, item)| {
            done += 1;
            progress(RunProgress {
                done,
                total,
                item: item.clone(),
            });
        })
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, o)| o).collect()
}

/// What one project has, as read from GitLab.
pub(super) struct Found {
    pub outcome: ProjectOutcome,
    pub state: State,
}

pub(super) enum State {
    /// The token cannot list this project's hooks.
    CannotList(String),
    /// Listing failed.
    Failed(ApiError),
    /// No hook of ours.
    Missing,
    /// Our hook, with what differs from the spec (empty when correct).
    Present(Vec<String>),
    /// Several hooks with our URL, none set by this tool: which is the crawler's is not known
    /// (all are in `duplicates`).
    Several,
}

/// Reads one project's hooks. `secret_known(hook)` says whether this tool set that hook with
/// the current secret (a hook it did not set gets the secret once).
pub(super) async fn find(
    client: &Client,
    p: &ProjectAccess,
    spec: &HookSpec,
    secret_known: impl Fn(u64) -> bool,
) -> Found {
    let mut outcome = ProjectOutcome {
        project_id: p.id,
        path: p.path_with_namespace.clone(),
        hooks_url: format!("{}/-/hooks", p.web_url.trim_end_matches('/')),
        action: Action::Unchanged,
        hook_id: None,
        duplicates: Vec::new(),
        disabled: None,
        removed: Vec::new(),
    };
    if p.role < Some(Role::Maintainer) && p.hooks != HookAccess::Automatic {
        let reason = manual_reason(p);
        return Found {
            outcome,
            state: State::CannotList(reason),
        };
    }
    let hooks: Vec<ProjectHook> = match client
        .get_all(&format!("projects/{}/hooks", p.id), &[], |_| {})
        .await
    {
        Ok(h) => h,
        Err(ApiError::Forbidden { .. }) => {
            let reason =
                "listing this project's webhooks needs Maintainer; ask one to check".to_owned();
            return Found {
                outcome,
                state: State::CannotList(reason),
            };
        }
        Err(e) => {
            return Found {
                outcome,
                state: State::Failed(e),
            };
        }
    };
    let ours = examine(hooks, spec, secret_known);
    outcome.hook_id = ours.hook_id;
    outcome.duplicates = ours.duplicates;
    outcome.disabled = ours.disabled;
    let state = if ours.several {
        State::Several
    } else {
        ours.reasons.map_or(State::Missing, State::Present)
    };
    Found { outcome, state }
}

/// What a project's or group's hooks say about ours.
pub(super) struct Ours {
    /// Our hook (see [`examine`]).
    pub hook_id: Option<u64>,
    /// Further hooks with our URL.
    pub duplicates: Vec<u64>,
    /// GitLab's `alert_status` and `disabled_until`, when it disabled our hook.
    pub disabled: Option<String>,
    /// What differs from the spec; `None` when there is no hook of ours.
    pub reasons: Option<Vec<String>>,
    /// Several hooks with our URL and none set by this tool: none is taken for ours
    /// (`hook_id` is `None`, all are in `duplicates`).
    pub several: bool,
}

/// Every hook with the crawler's URL, ours first found or not, in ID order.
pub(super) fn all_ours(hook_id: Option<u64>, duplicates: Vec<u64>) -> Vec<u64> {
    let mut all: Vec<u64> = hook_id.into_iter().chain(duplicates).collect();
    all.sort_unstable();
    all
}

/// The action when several hooks have the crawler's URL and this tool set none of them.
pub(super) const SEVERAL: &str = "several hooks with the crawler's URL, none set by this tool: keep one by hand (remove the others), then run apply again";

/// Finds ours among `hooks` and what differs from `spec`. A hook is ours when its URL is the
/// event URL ([`super::EventUrl::matches`]: never one that carries credentials); of several,
/// ours is the one this tool set with the current secret (`secret_known(hook)`), and the
/// others are duplicates. Of several that this tool did not set, none is taken for ours
/// ([`Ours::several`]): any of them may be someone else's.
pub(super) fn examine(
    hooks: Vec<ProjectHook>,
    spec: &HookSpec,
    secret_known: impl Fn(u64) -> bool,
) -> Ours {
    let mut ours: Vec<ProjectHook> = hooks
        .into_iter()
        .filter(|h| spec.url.matches(&h.url))
        .collect();
    ours.sort_by_key(|h| h.id);
    if ours.is_empty() {
        return Ours {
            hook_id: None,
            duplicates: Vec::new(),
            disabled: None,
            reasons: None,
            several: false,
        };
    }
    let Some(pick) = ours
        .iter()
        .position(|h| secret_known(h.id))
        .or((ours.len() == 1).then_some(0))
    else {
        return Ours {
            hook_id: None,
            duplicates: ours.iter().map(|h| h.id).collect(),
            disabled: None,
            reasons: None,
            several: true,
        };
    };
    let hook = ours.remove(pick);
    let duplicates = ours.iter().map(|h| h.id).collect();
    let mut reasons = spec.differences(&hook);
    let disabled = reconcile::disabled(&hook);
    if let Some(state) = &disabled {
        reasons.push(disabled_reason(state));
    }
    if !secret_known(hook.id) {
        reasons.push("secret not set by this tool".into());
    }
    Ours {
        hook_id: Some(hook.id),
        duplicates,
        disabled,
        reasons: Some(reasons),
        several: false,
    }
}

/// The action for what was found: writes only where the token and role allow.
async fn decide(
    client: &Client,
    mode: Mode,
    p: &ProjectAccess,
    spec: &HookSpec,
    secret_known: impl Fn(u64) -> bool,
) -> ProjectOutcome {
    let can_write = mode == Mode::Automatic && p.hooks == HookAccess::Automatic;
    let Found { mut outcome, state } = find(client, p, spec, secret_known).await;
    outcome.action = match state {
        State::CannotList(reason) => Action::Manual { reason },
        State::Failed(e) => failed(&e, client.url().is_gitlab_com()),
        State::Missing if can_write => Action::Create,
        State::Missing => Action::Manual {
            reason: manual_reason(p),
        },
        State::Present(reasons) if reasons.is_empty() => Action::Unchanged,
        State::Present(reasons) if can_write => Action::Update { reasons },
        State::Present(reasons) => Action::Manual {
            reason: format!("fix by hand: {}", reasons.join(", ")),
        },
        State::Several => Action::Manual {
            reason: format!("{SEVERAL} (hooks {})", id_list(&outcome.duplicates)),
        },
    };
    outcome
}

/// Asks GitLab to send a test push event to a hook. GitLab answers 201 when the receiver
/// answered 2xx (which also re-enables a disabled hook) and 422 with the receiver's answer
/// otherwise; tests are limited to 5 per minute per project.
pub async fn test_delivery(client: &Client, project: u64, hook: u64) -> Result<(), ApiError> {
    reconcile::test(client, Home::Project(project), hook).await
}

/// Sends a test delivery to every correct hook among `checks` (needs the `api` scope) and
/// records the result in each check.
pub async fn test_deliveries(
    client: &Client,
    checks: &mut [ProjectCheck],
    progress: &(dyn Fn(RunProgress<ProjectCheck>) + Send + Sync),
) {
    let total = checks.len();
    // Targets are collected first: see `each` on `Send`. A project under a group hook has no
    // project hook of ours to test.
    let targets: Vec<(usize, u64, u64)> = checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.check == Check::Ok && c.covered_by.is_none())
        .filter_map(|(i, c)| Some((i, c.project_id, c.hook_id?)))
        .collect();
    let results: Vec<(usize, String)> = futures::stream::iter(targets)
        .map(|(i, project, hook)| async move {
            let result = match test_delivery(client, project, hook).await {
                Ok(()) => "delivered: the receiver answered 2xx".to_owned(),
                Err(ApiError::Unprocessable { message, .. }) => {
                    format!("the receiver refused it: {message}")
                }
                Err(e) => format!("not sent: {e}"),
            };
            (i, result)
        })
        .buffer_unordered(client.concurrency())
        .collect()
        .await;
    for (done, (i, result)) in results.into_iter().enumerate() {
        checks[i].test_delivery = Some(result);
        progress(RunProgress {
            done: done + 1,
            total,
            item: checks[i].clone(),
        });
    }
}

fn manual_reason(p: &ProjectAccess) -> String {
    match &p.hooks {
        HookAccess::Manual { reason } => reason.clone(),
        HookAccess::Automatic => "the token is read-only (no `api` scope)".into(),
    }
}

pub(super) fn failed(e: &ApiError, gitlab_com: bool) -> Action {
    let mut message = e.to_string();
    if matches!(e, ApiError::Unprocessable { message: m, .. } if m.contains("Invalid url")) {
        message.push_str(if gitlab_com {
            " (GitLab.com accepts only receivers reachable from the internet: check the crawler's event URL)"
        } else {
            " (this GitLab blocks webhook requests to local or private addresses: an administrator can allow them in \
             Admin > Settings > Network > Outbound requests, or add the crawler's host to the allowlist there)"
        });
    }
    Action::Failed {
        message,
        code: e.code().into(),
    }
}

/// The runs' futures must stay `Send`: the desktop's commands await them. This fails to
/// compile, not to run, when one stops being.
#[cfg(test)]
mod send_check {
    use super::*;
    fn assert_send<T: Send>(_: T) {}
    #[allow(dead_code)] // never called: compiling it is the check
    fn runs_are_send(
        client: &Client,
        report: &TokenReport,
        projects: &[&ProjectAccess],
        spec: &HookSpec,
        f: &Fingerprints,
        m: &Mutex<Fingerprints>,
    ) {
        assert_send(plan(client, report, projects, spec, f, &|_| {}));
        assert_send(apply_resumable(
            client,
            report,
            projects,
            spec,
            m,
            false,
            None,
            &|_| {},
        ));
        assert_send(verify(client, projects, spec, &|_| {}));
        let mut checks = Vec::new();
        assert_send(test_deliveries(client, &mut checks, &|_| {}));
        assert_send(super::super::groups::plan_run(
            client,
            report,
            projects,
            &[],
            spec,
            m,
            &|_| {},
        ));
        assert_send(super::super::groups::apply_run(
            client,
            report,
            projects,
            &[],
            spec,
            m,
            false,
            None,
            &|_| {},
        ));
        assert_send(super::super::groups::verify_run(
            client,
            report,
            projects,
            &[],
            spec,
            f,
            &|_| {},
        ));
    }
}

//! Group webhooks: one hook on a group in place of one on each of its projects.
//!
//! GitLab runs a group's hooks for events in all its projects and subgroups, on the Premium
//! and Ultimate plans only, and only an Owner may add one. On Free it may accept a group hook
//! that never fires, so the plan is read first (`GET /namespaces/:id`, shown to Owners; on a
//! self-managed instance it reads `default` and says nothing of the licence). A project below a
//! group hook of ours gets no project hook of its own: GitLab would deliver every event twice.
//!
//! A group hook never costs a project its events: only one that is correct and enabled, or
//! was written and proved in this run, covers the projects below it ([`GroupHook::covering`]).
//! A written hook that GitLab had disabled is re-enabled by a test delivery; where the plan
//! cannot be read, a test delivery through the hook must reach the receiver before any
//! project hook below it is removed. A hook not proved keeps no fingerprint, so the next run
//! writes and tests it again.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::reconcile::{self, Home};
use super::run::{SEVERAL, examine, failed, lock};
use super::{
    Action, Check, Fingerprints, HookSpec, Journal, ProjectCheck, ProjectOutcome, RunProgress,
};
use crate::client::Client;
use crate::error::{ApiError, Error, id_list};
use crate::model::ProjectHook;
use crate::scopes::{GroupAccess, Mode, ProjectAccess, TokenReport};

/// Whether a group's plan runs group webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PlanSupport {
    /// Premium, Ultimate (or a trial of them): group hooks fire.
    Paid,
    /// Free: GitLab may accept a group hook that never fires.
    Free,
    /// Not known (self-managed: the licence is not readable): a test delivery tells.
    Unknown,
}

impl PlanSupport {
    /// Reads the `plan` of `GET /namespaces/:id`.
    pub fn of(plan: Option<&str>) -> Self {
        let Some(plan) = plan.map(str::to_ascii_lowercase) else {
            return Self::Unknown;
        };
        const PAID: &[&str] = &[
            "premium",
            "ultimate",
            "silver",
            "gold",
            "bronze",
            "opensource",
        ];
        if plan == "free" {
            Self::Free
        } else if PAID.iter().any(|p| plan.starts_with(p)) {
            Self::Paid
        } else {
            Self::Unknown
        }
    }
}

/// One group's hook: the plan, what a run does (or did), and the trade-off in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GroupHook {
    /// Group ID.
    pub group_id: u64,
    /// `group/subgroup`.
    pub full_path: String,
    /// The group's webhook settings page.
    pub hooks_url: String,
    /// The plan of the group's top-level namespace, as GitLab names it.
    pub plan: Option<String>,
    /// Whether that plan runs group hooks.
    pub support: PlanSupport,
    /// Selected projects below the group, which the hook covers.
    pub projects: usize,
    /// What happens (or happened).
    #[serde(flatten)]
    pub action: Action,
    /// Our group hook's ID, when there is one.
    pub hook_id: Option<u64>,
    /// Further group hooks with our URL.
    pub duplicates: Vec<u64>,
    /// Set when GitLab has disabled our group hook.
    pub disabled: Option<String>,
    /// Whether the projects below may go without a project hook: the hook is correct and
    /// enabled, or was written and proved in this run. Only then are project hooks of ours
    /// below it removed.
    pub covering: bool,
    /// The test delivery sent through the hook in this run, when one was (to re-enable it, or
    /// to prove it fires where the plan cannot be read), and what it proved.
    pub test_delivery: Option<String>,
    /// The trade-off, for the admin.
    pub advice: String,
}

impl GroupHook {
    /// True when the group has our hook (or a run just made it), correct or not; whether it
    /// stands for its projects' hooks is [`GroupHook::covering`].
    pub fn in_place(&self) -> bool {
        self.hook_id.is_some()
            && matches!(
                self.action,
                Action::Unchanged | Action::Update { .. } | Action::Create
            )
    }

    /// True when the projects below `p`'s namespace are this group's.
    pub fn covers(&self, p: &ProjectAccess) -> bool {
        below(&self.full_path, &p.namespace.full_path)
    }
}

pub(super) fn below(group: &str, namespace: &str) -> bool {
    namespace == group || namespace.starts_with(&format!("{group}/"))
}

/// The groups where one hook could stand for many: owned by the token's user, with no owned
/// ancestor, and with selected projects below.
pub fn candidates<'a>(
    report: &'a TokenReport,
    selected: &[&ProjectAccess],
) -> Vec<&'a GroupAccess> {
    let owned = |id: Option<u64>| {
        id.and_then(|id| report.groups.iter().find(|g| g.id == id))
            .is_some_and(|g| g.owner)
    };
    report
        .groups
        .iter()
        .filter(|g| g.owner && !owned(g.parent_id))
        .filter(|g| {
            selected
                .iter()
                .any(|p| below(&g.full_path, &p.namespace.full_path))
        })
        .collect()
}

/// The top-level group of `g` as far as step 2 saw it (its plan is the group's plan);
/// `None` when the parents GitLab reported loop back (each group is visited once).
fn root<'a>(groups: &'a [GroupAccess], g: &'a GroupAccess) -> Option<&'a GroupAccess> {
    let mut seen = std::collections::HashSet::from([g.id]);
    let mut at = g;
    while let Some(parent) = at
        .parent_id
        .and_then(|id| groups.iter().find(|p| p.id == id))
    {
        if !seen.insert(parent.id) {
            return None;
        }
        at = parent;
    }
    Some(at)
}

#[derive(Deserialize)]
struct Namespace {
    #[serde(default)]
    plan: Option<String>,
}

/// Reads each group's plan and hooks and says what [`apply`] would do. Writes nothing.
pub async fn plan(
    client: &Client,
    report: &TokenReport,
    groups: &[&GroupAccess],
    selected: &[&ProjectAccess],
    spec: &HookSpec,
    fingerprints: &Fingerprints,
) -> Vec<GroupHook> {
    let instance = client.url().to_string();
    let known = |group: u64, hook: u64| fingerprints.matches(&instance, group, hook, &spec.secret);
    inspect_all(client, report, groups, selected, spec, &known).await
}

/// Re-reads each group's plan and hooks: `Unchanged` is a correct hook, `Create` a missing
/// one, `Update` a wrong one (GitLab never returns the secret, so it is not checked). Where
/// the plan cannot be read, a correct hook is `Manual` ([`NOT_PROVED`]) and covers nothing
/// unless `proved` holds its fingerprint: [`apply`] records one for such a hook only after a
/// test delivery through it succeeded. Writes nothing.
pub async fn verify(
    client: &Client,
    report: &TokenReport,
    groups: &[&GroupAccess],
    selected: &[&ProjectAccess],
    spec: &HookSpec,
    proved: &Fingerprints,
) -> Vec<GroupHook> {
    let instance = client.url().to_string();
    let mut hooks = inspect_all(client, report, groups, selected, spec, &|_, _| true).await;
    for h in &mut hooks {
        let was_proved = h
            .hook_id
            .is_some_and(|id| proved.matches(&instance, h.group_id, id, &spec.secret));
        if h.covering && h.support == PlanSupport::Unknown && !was_proved {
            h.covering = false;
            h.action = Action::Manual {
                reason: NOT_PROVED.into(),
            };
        }
    }
    hooks
}

/// A verify's reason for a project below a group hook of ours that has a project hook of ours
/// too.
pub const DELIVERED_TWICE: &str =
    "a project hook of ours as well: GitLab delivers each event twice (apply removes it)";

/// A verify's verdict on a correct group hook where the plan cannot be read.
pub const NOT_PROVED: &str = "not proved: the plan cannot be read here (self-managed), so whether GitLab runs this group hook is not known; send a test delivery through it (an apply with this group hook sends one) before relying on it";

/// [`inspect`] for each group in turn; `known(group, hook)` says whether this tool set that
/// hook with the current secret.
async fn inspect_all(
    client: &Client,
    report: &TokenReport,
    groups: &[&GroupAccess],
    selected: &[&ProjectAccess],
    spec: &HookSpec,
    known: &(dyn Fn(u64, u64) -> bool + Sync),
) -> Vec<GroupHook> {
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        out.push(inspect(client, report, g, selected, spec, |hook| known(g.id, hook)).await);
    }
    out
}

/// Creates or updates our hook on each group where the plan and the token allow, reconciling
/// lost answers as for project hooks, and proves it (see the module's notes); records the
/// secret's fingerprint once proved. Projects below a group whose hook then covers them go
/// through [`super::cover`].
pub async fn apply(
    client: &Client,
    report: &TokenReport,
    groups: &[&GroupAccess],
    selected: &[&ProjectAccess],
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
) -> Vec<GroupHook> {
    let instance = client.url().to_string();
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let known = |id: u64| lock(fingerprints).matches(&instance, g.id, id, &spec.secret);
        let mut hook = inspect(client, report, g, selected, spec, known).await;
        let home = Home::Group(g.id);
        let written = reconcile::write(
            client,
            home,
            spec,
            &hook.action,
            hook.hook_id,
            &mut hook.duplicates,
            known,
        )
        .await;
        match written {
            Ok(Some(h)) => {
                hook.hook_id = Some(h.id);
                prove(client, &mut hook, &h).await;
                // The fingerprint marks a hook in place with the current secret: one not
                // proved is written and tested again by the next run instead.
                let mut store = lock(fingerprints);
                let stored = if hook.covering {
                    store.record(&instance, g.id, h.id, &spec.secret)
                } else {
                    store.forget(&instance, g.id, h.id)
                };
                if let Err(e) = stored {
                    hook.covering = false;
                    hook.action = Action::Failed {
                        message: e.to_string(),
                        code: "local_state".into(),
                    };
                }
            }
            Ok(None) => {}
            Err(e) => hook.action = failed(&e, client.url().is_gitlab_com()),
        }
        out.push(hook);
    }
    out
}

/// Decides whether a group hook just written (`written`, as GitLab answered) may cover its
/// projects. It must be enabled: a test delivery re-enables a disabled one. Where the plan
/// cannot be read (self-managed), a test delivery must also have reached the receiver:
/// GitLab accepts group hooks it never runs without the licence.
async fn prove(client: &Client, hook: &mut GroupHook, written: &ProjectHook) {
    let disabled = reconcile::disabled(written);
    if disabled.is_none() && hook.support != PlanSupport::Unknown {
        hook.covering = true;
        return;
    }
    let (covering, note) = match reconcile::test(client, Home::Group(hook.group_id), written.id)
        .await
    {
        Ok(()) if disabled.is_some() => (true, "re-enabled by a test delivery".to_owned()),
        Ok(()) => (
            true,
            "a test delivery through the group hook reached the receiver".to_owned(),
        ),
        Err(e) => (
            false,
            format!(
                "not proved, so the project hooks below are kept: the test delivery through the group hook failed ({e})"
            ),
        ),
    };
    hook.covering = covering;
    if let Action::Update { reasons } = &mut hook.action {
        reasons.push(note.clone());
    }
    hook.test_delivery = Some(note);
}

/// The groups named for group hooks (full paths): each must be one the token's user owns.
pub fn asked<'a>(report: &'a TokenReport, paths: &[String]) -> Result<Vec<&'a GroupAccess>, Error> {
    paths
        .iter()
        .map(|path| {
            let path = path.trim_matches('/');
            report
                .groups
                .iter()
                .find(|g| g.full_path == path && g.owner)
                .ok_or_else(|| Error::NotOwner(path.to_owned()))
        })
        .collect()
}

/// The groups a run reads: those asked for, and those that could carry one hook for the
/// selected projects (an earlier run may have hooked them).
fn inspected<'a>(
    report: &'a TokenReport,
    projects: &[&ProjectAccess],
    asked: &[&'a GroupAccess],
) -> Vec<&'a GroupAccess> {
    let mut all = asked.to_vec();
    for g in candidates(report, projects) {
        if !all.iter().any(|a| a.id == g.id) {
            all.push(g);
        }
    }
    all
}

/// A plan or an apply over groups and projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupedRun {
    /// The group hooks read: those asked for, and offers where one hook could stand for many.
    pub groups: Vec<GroupHook>,
    /// Per selected project, in the selection's order.
    pub projects: Vec<ProjectOutcome>,
}

/// A verify over groups and projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupedCheck {
    /// The group hooks read (`Unchanged`: correct; `Create`: missing; `Update`: wrong).
    pub groups: Vec<GroupHook>,
    /// Per selected project, in the selection's order; those under a group hook of ours are
    /// judged by it (`covered_by`).
    pub projects: Vec<ProjectCheck>,
}

impl GroupedCheck {
    /// Group hooks that were asked for or are in place, but are not correct.
    pub fn groups_not_ok(&self, asked: &[&GroupAccess]) -> usize {
        self.groups
            .iter()
            .filter(|h| {
                (h.in_place() || asked.iter().any(|a| a.id == h.group_id))
                    && h.action != Action::Unchanged
            })
            .count()
    }
}

/// The selection split into the projects under a covering group hook and the rest, each
/// remembering its place so the two halves' results can be put back in order.
struct Split<'a, 'h> {
    covering: Vec<&'h GroupHook>,
    covered: Vec<(usize, &'a ProjectAccess)>,
    rest: Vec<(usize, &'a ProjectAccess)>,
}

impl<'a, 'h> Split<'a, 'h> {
    fn new(projects: &[&'a ProjectAccess], covering: Vec<&'h GroupHook>) -> Self {
        let (covered, rest) = projects
            .iter()
            .copied()
            .enumerate()
            .partition(|(_, p)| covering.iter().any(|h| h.covers(p)));
        Self {
            covering,
            covered,
            rest,
        }
    }

    /// The group hook that covers `p`.
    fn hook_of(&self, p: &ProjectAccess) -> Option<&'h GroupHook> {
        self.covering.iter().copied().find(|h| h.covers(p))
    }

    /// The path of the group whose hook covers `p` (for [`super::cover`]).
    fn group_of(&self, p: &ProjectAccess) -> String {
        self.hook_of(p)
            .map(|h| h.full_path.clone())
            .unwrap_or_default()
    }

    fn covered(&self) -> Vec<&'a ProjectAccess> {
        self.covered.iter().map(|(_, p)| *p).collect()
    }

    fn rest(&self) -> Vec<&'a ProjectAccess> {
        self.rest.iter().map(|(_, p)| *p).collect()
    }

    /// The two halves' results (each in its half's order) back in the selection's order.
    fn merge<T>(&self, covered: Vec<T>, rest: Vec<T>) -> Vec<T> {
        let places = self.covered.iter().chain(&self.rest).map(|(i, _)| *i);
        let mut all: Vec<(usize, T)> = places.zip(covered.into_iter().chain(rest)).collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, t)| t).collect()
    }
}

/// Progress over both halves as one run.
fn offset<'p, T>(
    progress: &'p (dyn Fn(RunProgress<T>) + Send + Sync),
    before: usize,
    total: usize,
) -> impl Fn(RunProgress<T>) + Send + Sync + 'p {
    move |p: RunProgress<T>| {
        progress(RunProgress {
            done: before + p.done,
            total,
            item: p.item,
        })
    }
}

/// Projects and groups, planned: groups asked for (`asked`) would carry one hook each where
/// the plan allows, and the projects below them would get none; projects below a group hook
/// of ours already in place are covered too. Writes nothing.
#[allow(clippy::too_many_arguments)]
pub async fn plan_run(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    asked: &[&GroupAccess],
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> GroupedRun {
    let groups = {
        let known = lock(fingerprints).snapshot();
        plan(
            client,
            report,
            &inspected(report, projects, asked),
            projects,
            spec,
            &known,
        )
        .await
    };
    finish(
        client,
        report,
        projects,
        asked,
        groups,
        spec,
        fingerprints,
        None,
        progress,
    )
    .await
}

/// Projects and groups, applied: our hook on each group asked for (where the plan allows),
/// our project hooks below it removed, and every other selected project hooked as
/// [`super::apply_resumable`] does (`prune_duplicates`, `journal` as there).
#[allow(clippy::too_many_arguments)]
pub async fn apply_run(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    asked: &[&GroupAccess],
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    prune_duplicates: bool,
    journal: Option<&Journal>,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> GroupedRun {
    let mut groups = apply(client, report, asked, projects, spec, fingerprints).await;
    let others: Vec<&GroupAccess> = inspected(report, projects, asked)
        .into_iter()
        .filter(|g| !asked.iter().any(|a| a.id == g.id))
        .collect();
    let known = lock(fingerprints).snapshot();
    groups.extend(plan(client, report, &others, projects, spec, &known).await);
    let apply = Some((prune_duplicates, journal));
    finish(
        client,
        report,
        projects,
        asked,
        groups,
        spec,
        fingerprints,
        apply,
        progress,
    )
    .await
}

/// The project half of [`plan_run`] and [`apply_run`]: covered projects through
/// [`super::cover`], the rest through plan or apply (`apply`: prune and journal).
#[allow(clippy::too_many_arguments)]
async fn finish(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    asked: &[&GroupAccess],
    groups: Vec<GroupHook>,
    spec: &HookSpec,
    fingerprints: &Mutex<Fingerprints>,
    apply: Option<(bool, Option<&Journal>)>,
    progress: &(dyn Fn(RunProgress<ProjectOutcome>) + Send + Sync),
) -> GroupedRun {
    // An apply has written and proved the group hooks asked for; a plan predicts that those
    // it would write cover their projects (the apply proves them before removing anything).
    let covering: Vec<&GroupHook> = groups
        .iter()
        .filter(|h| {
            h.covering
                || (apply.is_none()
                    && asked.iter().any(|a| a.id == h.group_id)
                    && matches!(h.action, Action::Create | Action::Update { .. }))
        })
        .collect();
    let split = Split::new(projects, covering);
    let total = projects.len();
    let group_of = |p: &ProjectAccess| split.group_of(p);
    let covered = split.covered();
    let first = offset(progress, 0, total);
    let covered_out = super::cover(
        client,
        &covered,
        &group_of,
        spec,
        fingerprints,
        apply.is_some(),
        &first,
    )
    .await;
    let rest = split.rest();
    let then = offset(progress, covered.len(), total);
    let rest_out = match apply {
        Some((prune, journal)) => {
            super::apply_resumable(
                client,
                report,
                &rest,
                spec,
                fingerprints,
                prune,
                journal,
                &then,
            )
            .await
        }
        None => {
            let known = lock(fingerprints).snapshot();
            super::plan(client, report, &rest, spec, &known, &then).await
        }
    };
    GroupedRun {
        projects: split.merge(covered_out, rest_out),
        groups,
    }
}

/// Projects and groups, verified: each group hook asked for or in place, and each project —
/// one below a group hook of ours by that hook (and wrong if a project hook of ours would
/// deliver its events a second time). `proved` holds the fingerprints of group hooks an apply
/// proved (see [`verify`]). Writes nothing.
#[allow(clippy::too_many_arguments)]
pub async fn verify_run(
    client: &Client,
    report: &TokenReport,
    projects: &[&ProjectAccess],
    asked: &[&GroupAccess],
    spec: &HookSpec,
    proved: &Fingerprints,
    progress: &(dyn Fn(RunProgress<ProjectCheck>) + Send + Sync),
) -> GroupedCheck {
    let groups = verify(
        client,
        report,
        &inspected(report, projects, asked),
        projects,
        spec,
        proved,
    )
    .await;
    let split = Split::new(projects, groups.iter().filter(|h| h.covering).collect());
    let total = projects.len();
    let covered = split.covered();
    let unused = Mutex::new(Fingerprints::in_memory());
    let group_of = |p: &ProjectAccess| split.group_of(p);
    let outcomes = super::cover(client, &covered, &group_of, spec, &unused, false, &|_| {}).await;
    // `cover` keeps the order of `covered`: each outcome is its project's.
    let covered_checks: Vec<ProjectCheck> = covered
        .iter()
        .zip(outcomes)
        .enumerate()
        .map(|(i, (p, o))| {
            let hook = split.hook_of(p);
            let mut check = match hook.map(|h| &h.action) {
                Some(Action::Update { reasons }) => Check::Wrong {
                    reasons: reasons.clone(),
                },
                _ => Check::Ok,
            };
            if let Action::Failed { message, .. } = &o.action {
                check = Check::Failed {
                    message: message.clone(),
                };
            } else if !o.duplicates.is_empty() {
                let mut reasons = match check {
                    Check::Wrong { reasons } => reasons,
                    _ => Vec::new(),
                };
                reasons.push(DELIVERED_TWICE.into());
                check = Check::Wrong { reasons };
            }
            let c = ProjectCheck {
                project_id: o.project_id,
                path: o.path,
                hooks_url: o.hooks_url,
                check,
                hook_id: hook.and_then(|h| h.hook_id),
                duplicates: o.duplicates,
                test_delivery: None,
                covered_by: hook.map(|h| h.full_path.clone()),
                disabled: hook.and_then(|h| h.disabled.clone()),
            };
            progress(RunProgress {
                done: i + 1,
                total,
                item: c.clone(),
            });
            c
        })
        .collect();
    let then = offset(progress, covered.len(), total);
    // A project with no hook of its own below a group hook that is correct but not proved
    // may or may not get its events: not known, rather than missing.
    let unproved: Vec<&GroupHook> = groups
        .iter()
        .filter(|h| matches!(&h.action, Action::Manual { reason } if reason == NOT_PROVED))
        .collect();
    let rest = split.rest();
    let mut rest_checks = super::verify(client, &rest, spec, &then).await;
    for (p, c) in rest.iter().zip(&mut rest_checks) {
        if let (Check::Missing, Some(g)) = (&c.check, unproved.iter().find(|h| h.covers(p))) {
            c.check = Check::Unknown {
                reason: format!(
                    "no project hook; the group hook of {} may stand for it, but it is {NOT_PROVED}",
                    g.full_path
                ),
            };
        }
    }
    let projects = split.merge(covered_checks, rest_checks);
    GroupedCheck { projects, groups }
}

/// One group: its plan, our hook, and the action the token and plan allow.
async fn inspect(
    client: &Client,
    report: &TokenReport,
    g: &GroupAccess,
    selected: &[&ProjectAccess],
    spec: &HookSpec,
    secret_known: impl Fn(u64) -> bool,
) -> GroupHook {
    let root = root(&report.groups, g);
    let plan = match root {
        Some(root) => client
            .get::<Namespace>(&format!("namespaces/{}", root.id), &[])
            .await
            .ok()
            .and_then(|ns| ns.plan),
        None => None,
    };
    let support = PlanSupport::of(plan.as_deref());
    let projects = selected
        .iter()
        .filter(|p| below(&g.full_path, &p.namespace.full_path))
        .count();
    let mut hook = GroupHook {
        group_id: g.id,
        full_path: g.full_path.clone(),
        hooks_url: format!("{}/-/hooks", g.web_url.trim_end_matches('/')),
        plan,
        support,
        projects,
        action: Action::Unchanged,
        hook_id: None,
        duplicates: Vec::new(),
        disabled: None,
        covering: false,
        test_delivery: None,
        advice: advice(support, projects),
    };
    if root.is_none() {
        hook.action = Action::Failed {
            message: format!(
                "GitLab reports parent groups above {} that loop back to it: ask an administrator to check the group hierarchy; use project hooks meanwhile",
                g.full_path
            ),
            code: "group_cycle".into(),
        };
        return hook;
    }
    let hooks: Vec<ProjectHook> = match client
        .get_all(&format!("groups/{}/hooks", g.id), &[], |_| {})
        .await
    {
        Ok(h) => h,
        Err(ApiError::NotFound { .. }) => {
            hook.action = Action::Manual {
                reason: "this GitLab has no group webhooks (Community Edition): use project hooks"
                    .into(),
            };
            return hook;
        }
        Err(e) => {
            hook.action = failed(&e, client.url().is_gitlab_com());
            return hook;
        }
    };
    let ours = examine(hooks, spec, secret_known);
    hook.hook_id = ours.hook_id;
    hook.duplicates = ours.duplicates;
    hook.disabled = ours.disabled;
    let can_write = report.mode == Mode::Automatic && g.owner;
    hook.action = match ours.reasons {
        _ if support == PlanSupport::Free => Action::Manual {
            reason: "the Free plan does not run group webhooks (GitLab may accept one that never fires): use project hooks".into(),
        },
        _ if ours.several => Action::Manual {
            reason: format!(
                "{SEVERAL} (group hooks {})",
                id_list(&hook.duplicates)
            ),
        },
        Some(reasons) if reasons.is_empty() => Action::Unchanged,
        Some(reasons) if can_write => Action::Update { reasons },
        None if can_write => Action::Create,
        Some(reasons) => Action::Manual {
            reason: format!("an Owner fixes it by hand: {}", reasons.join(", ")),
        },
        None => Action::Manual {
            reason: "the token is read-only: an Owner adds it in the group's webhook settings".into(),
        },
    };
    // Correct (the secret included, unless unknowable) and enabled: `Unchanged` says both.
    hook.covering = hook.action == Action::Unchanged && hook.disabled.is_none();
    hook
}

/// The trade-off of one group hook against project hooks, in words.
fn advice(support: PlanSupport, projects: usize) -> String {
    let gain = format!(
        "One hook covers the {projects} selected projects below it and every project added later; \
         it needs Owner to change, and a project hook of ours below it would deliver each event twice, \
         so those are removed."
    );
    match support {
        PlanSupport::Paid => gain,
        PlanSupport::Free => "The Free plan does not run group webhooks: GitLab may accept one that never fires. Use project hooks.".into(),
        PlanSupport::Unknown => format!(
            "{gain} The plan cannot be read here (self-managed): group hooks need a Premium or Ultimate licence; \
             send a test delivery to confirm the crawler receives events."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_that_run_group_hooks() {
        for paid in [
            "premium",
            "Ultimate",
            "ultimate_trial",
            "gold",
            "opensource",
        ] {
            assert_eq!(PlanSupport::of(Some(paid)), PlanSupport::Paid, "{paid}");
        }
        assert_eq!(PlanSupport::of(Some("free")), PlanSupport::Free);
        assert_eq!(PlanSupport::of(Some("default")), PlanSupport::Unknown);
        assert_eq!(PlanSupport::of(None), PlanSupport::Unknown);
    }

    fn group(id: u64, parent_id: Option<u64>) -> GroupAccess {
        GroupAccess {
            id,
            name: format!("g{id}"),
            full_path: format!("g{id}"),
            web_url: format!("https://gitlab.example.com/g{id}"),
            parent_id,
            owner: true,
        }
    }

    #[test]
    fn the_root_is_found_and_a_parent_cycle_ends_the_walk() {
        let tree = [group(1, None), group(2, Some(1)), group(3, Some(2))];
        assert_eq!(root(&tree, &tree[2]).map(|g| g.id), Some(1));
        // A parent GitLab did not show ends the walk there.
        let orphan = [group(5, Some(99))];
        assert_eq!(root(&orphan, &orphan[0]).map(|g| g.id), Some(5));
        let cycle = [group(1, Some(3)), group(2, Some(1)), group(3, Some(2))];
        for g in &cycle {
            assert!(root(&cycle, g).is_none(), "{}", g.id);
        }
        let own = [group(7, Some(7))];
        assert!(root(&own, &own[0]).is_none());
    }

    #[test]
    fn a_group_covers_its_own_and_its_subgroups_projects_only() {
        assert!(below("acme", "acme"));
        assert!(below("acme", "acme/platform/infra"));
        assert!(!below("acme", "acme-labs"));
        assert!(!below("acme/web", "acme"));
    }
}

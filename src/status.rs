//! Day two: is the connection still healthy? The token (valid, scopes, days to expiry) and
//! the crawler's webhooks (missing on new projects, disabled by GitLab, changed, duplicated,
//! or out of the token's reach), read from GitLab's live state. Writes nothing on GitLab.
//!
//! It is [`crate::scopes::detect`] and [`crate::webhooks::groups::verify_run`] (the same
//! "ours" rule as apply and verify), sorted into the lists a monitoring check needs. Hooks are
//! read only where the token may list them; the others are `manual` without a request.
//!
//! Cheap on later runs: the data directory keeps a [`Record`] per instance and scope. A run
//! with a record lists (keyset, `order_by=id` with `id_after`/`id_before`) and reads the hooks
//! of only: projects above the highest ID seen (new), projects that needed attention last
//! time, and the next 1/[`record::SWEEP_RUNS`] of the others in ID order. The rest count as
//! healthy from their last read. When that slice finds a hook of ours newly disabled,
//! changed or duplicated, or a group hook newly not as wanted, the run reads everything
//! (GitLab disables hooks when the crawler fails, which seldom hits one alone). Without a
//! usable record, or with `full`, it reads everything.

pub mod mapping;
pub mod onboarded;
mod record;

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{Error, id_list};
use crate::scopes::{self, Expiry, HookAccess, Listing, Mode, ProjectAccess, TokenReport};
use crate::token::Session;
use crate::webhooks::groups::{self, DELIVERED_TWICE, GroupHook};
use crate::webhooks::{
    Action, Check, Fingerprints, HookSpec, ProjectCheck, RunProgress, Selection,
};

pub use mapping::MappingStatus;
pub use record::{Plan, Record, SWEEP_RUNS, Unreadable};

/// What [`status`] checks: which projects, and the hook each should have.
#[derive(Debug)]
pub struct StatusInput {
    /// The projects in scope (archived ones are left out unless asked).
    pub selection: Selection,
    /// The crawler's hook (its secret is not checked: GitLab never returns it).
    pub spec: HookSpec,
    /// Fingerprints of the hooks this tool set: a self-managed group hook stands for its
    /// projects only when an apply proved it (see [`groups::verify`]).
    pub proved: Fingerprints,
    /// The data directory: the last run's [`Record`] is read from it and this run's written
    /// to it. `None` reads every hook and keeps nothing.
    pub data_dir: Option<PathBuf>,
    /// Read every hook even when a record allows less.
    pub full: bool,
}

/// The token's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TokenStatus {
    /// GitLab accepted the token (a refused one ends [`status`] with an error instead).
    pub valid: bool,
    /// Granted scopes, sorted.
    pub scopes: Vec<String>,
    /// What the token lets this tool do.
    pub mode: Mode,
    /// Scopes to add for the crawler to work (empty unless `mode` is `insufficient`).
    pub missing_scopes: Vec<String>,
    /// Expiry date; `None` for a token without one.
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires_at: Option<NaiveDate>,
    /// Whole days until `expires_at`.
    pub days_left: Option<i64>,
    /// True when the token expires within [`scopes::EXPIRY_WARNING_DAYS`] days.
    pub expires_soon: bool,
    /// What the admin should read (expiry, bot user, inferred scopes), as detection words it.
    pub warnings: Vec<String>,
}

/// The webhooks' health: project IDs (and group IDs) by what needs doing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HookStatus {
    /// Projects in scope.
    pub projects: usize,
    /// Projects whose events reach the crawler as wanted.
    pub ok: usize,
    /// Projects without the crawler's hook (e.g. created since the last apply).
    pub missing: Vec<u64>,
    /// Projects whose hook GitLab disabled (`alert_status` other than `executable`, or a
    /// `disabled_until` to come): no events until it is re-enabled.
    pub disabled: Vec<u64>,
    /// Projects whose hook differs from the wanted one (triggers, TLS, branch filter).
    pub wrong: Vec<u64>,
    /// Projects with more than one hook of ours (each event is delivered more than once).
    pub duplicates: Vec<u64>,
    /// Projects only a person can hook or check: the token may not list or write their hooks
    /// and they are not known to be correct.
    pub manual: Vec<u64>,
    /// Projects whose hooks could not be read (GitLab or the network failed).
    pub failed: Vec<u64>,
    /// Groups with a hook of ours in place that is not as wanted (disabled or changed).
    pub groups: Vec<u64>,
    /// Each project or group above, with what GitLab showed (for a person to read).
    pub details: Vec<Detail>,
}

/// One project or group that needs attention, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HealthDetail"))]
pub struct Detail {
    /// `project` or `group`.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub kind: &'static str,
    /// Its ID.
    pub id: u64,
    /// `group/project` or `group/subgroup`.
    pub path: String,
    /// Its webhook settings page.
    pub hooks_url: String,
    /// What is wrong, e.g. "missing" or "Wiki page events off".
    pub reasons: Vec<String>,
}

/// How much a run read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HealthScan"))]
pub struct Scan {
    /// True when every hook in scope was read (a first run, `full`, no usable record, or an
    /// escalation); false when only new, attention and one slice of the rest were.
    pub full: bool,
    /// The highest project ID the last run had seen: projects above it are new.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub new_after: Option<u64>,
    /// Projects in scope new since the last run.
    pub new: usize,
    /// Projects checked this run (hooks read, or judged manual without a request).
    pub checked: usize,
    /// Projects counted healthy from an earlier run's read, not read this run.
    pub carried: usize,
    /// Why every hook was read although a record existed, if so.
    pub escalated: Option<String>,
    /// The record could not be written (the next run reads everything): why.
    pub record_error: Option<String>,
}

/// The connection's health.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "HealthStatus"))]
pub struct Status {
    /// The instance, as `https://host[/prefix]`.
    pub gitlab_url: String,
    /// The token.
    pub token: TokenStatus,
    /// The webhooks.
    pub webhooks: HookStatus,
    /// HTTP requests sent to GitLab by this session (the token check included).
    pub requests: u64,
    /// How much this run read.
    pub scan: Scan,
    /// The user mapping's age, when `users build` recorded one in the data directory.
    pub mapping: Option<MappingStatus>,
}

impl Status {
    /// True when something needs a person or an apply: members joined since the mapping was
    /// built, the token expires soon or lacks scopes, no project is in scope (a mistyped group checks nothing), or a project or group
    /// hook is not as wanted (or could not be read).
    pub fn needs_attention(&self) -> bool {
        let w = &self.webhooks;
        let members_joined = self
            .mapping
            .as_ref()
            .is_some_and(|m| m.appeared.is_some_and(|n| n > 0));
        members_joined
            || self.token.expires_soon
            || self.token.mode == Mode::Insufficient
            || w.projects == 0
            || [
                &w.missing,
                &w.disabled,
                &w.wrong,
                &w.duplicates,
                &w.manual,
                &w.failed,
                &w.groups,
            ]
            .iter()
            .any(|l| !l.is_empty())
    }
}

/// Checks the token and the crawler's webhooks on the selected projects (only some of them
/// when the data directory's record allows: see the module's doc), then rewrites the record.
/// A token GitLab refuses never gets here: [`Session::open`] fails first. Writes nothing on
/// GitLab.
pub async fn status(
    session: &Session,
    input: &StatusInput,
    progress: &(dyn Fn(RunProgress<ProjectCheck>) + Send + Sync),
) -> Result<Status, Error> {
    let client = &session.client;
    let instance = client.url().to_string();
    let path = input
        .data_dir
        .as_ref()
        .map(|d| Record::path(d, &instance, &input.selection, &input.spec));
    let previous = match (&path, input.full) {
        (Some(p), false) => Record::load(p, &instance),
        _ => None,
    };
    let plan = previous.as_ref().map(Record::plan);
    let listing = match &plan {
        Some(p) if !p.list_all => Listing::Ranges(p.ranges.clone()),
        _ => Listing::All,
    };
    let mut report = scopes::detect_in(session, &listing, &|_| {}).await?;
    let previous = previous.filter(|r| r.user_id == report.user.id);
    if previous.is_none() && listing != Listing::All {
        // Another user's record: it says nothing about this user's projects.
        report = scopes::detect(session, &|_| {}).await?;
    }
    let mut plan = previous.as_ref().and(plan);
    let mut escalated = None;
    let mut run = check(
        client,
        &report,
        input,
        previous.as_ref(),
        plan.as_ref(),
        None,
        progress,
    )
    .await;
    if let (Some(r), Some(_)) = (&previous, &plan)
        && let Some(why) = newly_wrong(r, &run)
    {
        if listing != Listing::All {
            report = scopes::detect(session, &|_| {}).await?;
        }
        plan = None;
        escalated = Some(why);
        // Every hook, but those this run read already are not read twice.
        let earlier = std::mem::take(&mut run.read);
        run = check(
            client,
            &report,
            input,
            previous.as_ref(),
            None,
            Some(&earlier),
            progress,
        )
        .await;
    }
    let Run {
        webhooks,
        mut scan,
        record,
        ..
    } = run;
    scan.escalated = escalated;
    if let Some(path) = &path {
        let mut record = record;
        record.cursor = plan.as_ref().map_or(0, |p| p.cursor);
        if let Err(e) = record.save(path) {
            scan.record_error = Some(format!(
                "cannot write {}: {e}; the next status reads every hook",
                path.display()
            ));
        }
    }
    let mapping = match &input.data_dir {
        Some(dir) => mapping::status(client, dir).await,
        None => None,
    };
    let days_left = match report.expiry {
        Expiry::Ok { days_left } | Expiry::Soon { days_left } => Some(days_left),
        Expiry::Never => None,
    };
    Ok(Status {
        gitlab_url: report.gitlab_url.clone(),
        token: TokenStatus {
            valid: true,
            scopes: report.scopes.clone(),
            mode: report.mode,
            missing_scopes: report.missing_scopes.clone(),
            expires_at: report.expires_at,
            days_left,
            expires_soon: matches!(report.expiry, Expiry::Soon { .. }),
            warnings: report.warnings.clone(),
        },
        webhooks,
        requests: client.stats().requests,
        scan,
        mapping,
    })
}

/// Removes what status keeps for `instance` in `dir` (its records, the mapping record and the
/// onboarding marker); returns how many files went. A directory not made yet has none.
pub fn forget_instance(dir: &std::path::Path, instance: &str) -> std::io::Result<usize> {
    let prefix = record::prefix(instance);
    let mut removed = usize::from(mapping::forget(dir, instance)?)
        + usize::from(onboarded::Onboarded::forget(dir, instance)?);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".json") {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// One pass of [`status`]: the lists, what was read, and the record to keep.
struct Run {
    webhooks: HookStatus,
    scan: Scan,
    record: Record,
    read: Read,
}

/// The hooks a pass read: each project's check by ID, and the group hooks.
#[derive(Default)]
struct Read {
    checks: std::collections::HashMap<u64, ProjectCheck>,
    groups: Vec<GroupHook>,
}

/// Why a run with a record must read everything: a hook or group hook that was healthy at
/// its last read and is not now (`None` when there is none).
fn newly_wrong(previous: &Record, run: &Run) -> Option<String> {
    let w = &run.webhooks;
    let before: BTreeSet<u64> = previous.attention.iter().copied().collect();
    let fresh = [&w.disabled, &w.wrong, &w.duplicates]
        .into_iter()
        .flatten()
        .filter(|id| !before.contains(id) && **id <= previous.highest_id)
        .count();
    let groups = w
        .groups
        .iter()
        .filter(|g| previous.groups.binary_search(g).is_err())
        .count();
    match (fresh, groups) {
        (0, 0) => None,
        (p, 0) => Some(format!(
            "{p} hooks healthy at their last read are not now: every hook was read"
        )),
        (_, g) => Some(format!(
            "{g} group hooks healthy at their last read are not now: every hook was read"
        )),
    }
}

/// Reads the hooks `plan` names (all when `None`), but those `earlier` read already, and
/// sorts the projects into the lists.
#[allow(clippy::too_many_arguments)]
async fn check(
    client: &crate::client::Client,
    report: &TokenReport,
    input: &StatusInput,
    previous: Option<&Record>,
    plan: Option<&Plan>,
    earlier: Option<&Read>,
    progress: &(dyn Fn(RunProgress<ProjectCheck>) + Send + Sync),
) -> Run {
    let picked = input.selection.pick(report);
    let known: BTreeSet<u64> = previous
        .map(|r| r.known.iter().copied().collect())
        .unwrap_or_default();
    let in_plan = |id: u64| plan.is_none_or(|p| p.ranges.iter().any(|r| r.contains(id)));
    let projects: Vec<&ProjectAccess> = picked
        .iter()
        .filter(|p| in_plan(p.id) || !known.contains(&p.id))
        .copied()
        .collect();
    // Known projects outside the plan: healthy at their last read. With every project listed,
    // those no longer listed are gone (deleted, archived, left).
    let carried: Vec<u64> = match plan {
        None => Vec::new(),
        Some(p) if p.list_all => picked
            .iter()
            .map(|p| p.id)
            .filter(|id| known.contains(id) && !in_plan(*id))
            .collect(),
        Some(_) => known.iter().copied().filter(|id| !in_plan(*id)).collect(),
    };
    let unread: Vec<&ProjectAccess> = projects
        .iter()
        .filter(|p| earlier.is_none_or(|e| !e.checks.contains_key(&p.id)))
        .copied()
        .collect();
    let verified = groups::verify_run(
        client,
        report,
        &unread,
        &[],
        &input.spec,
        &input.proved,
        progress,
    )
    .await;
    let mut read = Read::default();
    if let Some(e) = earlier {
        read.checks.clone_from(&e.checks);
        read.groups.clone_from(&e.groups);
    }
    for c in verified.projects {
        read.checks.insert(c.project_id, c);
    }
    for g in verified.groups {
        read.groups.retain(|h| h.group_id != g.group_id);
        read.groups.push(g);
    }
    let mut webhooks = HookStatus {
        projects: projects.len() + carried.len(),
        ..HookStatus::default()
    };
    // Carried projects only a person can check stay in `manual`; the others are healthy.
    let carried_set: BTreeSet<u64> = carried.iter().copied().collect();
    let carried_unreadable: Vec<&Unreadable> = previous
        .map(|r| {
            r.unreadable
                .iter()
                .filter(|u| carried_set.contains(&u.id))
                .collect()
        })
        .unwrap_or_default();
    webhooks.ok = carried.len() - carried_unreadable.len();
    for p in &projects {
        let Some(c) = read.checks.get(&p.id) else {
            continue;
        };
        // A project below a group hook of ours that does not cover it (disabled, or changed)
        // has no project hook by design: it is that group hook's problem, not a missing hook
        // (a project hook would deliver each event twice once the group hook works again).
        let group = read
            .groups
            .iter()
            .find(|g| g.in_place() && !g.covering && g.covers(p));
        match (group, &c.check) {
            (Some(g), Check::Missing) => sort(&mut webhooks, p, &by_group(c, g)),
            _ => sort(&mut webhooks, p, c),
        }
    }
    read.groups.sort_by_key(|g| g.group_id);
    for g in read
        .groups
        .iter()
        .filter(|g| g.in_place() && g.action != Action::Unchanged)
    {
        webhooks.groups.push(g.group_id);
        let reasons = match &g.action {
            Action::Update { reasons } => reasons.clone(),
            Action::Manual { reason } => vec![reason.clone()],
            Action::Failed { message, .. } => vec![message.clone()],
            _ => Vec::new(),
        };
        webhooks.details.push(Detail {
            kind: "group",
            id: g.group_id,
            path: g.full_path.clone(),
            hooks_url: g.hooks_url.clone(),
            reasons,
        });
    }
    for u in &carried_unreadable {
        webhooks.manual.push(u.id);
        webhooks.details.push(Detail {
            kind: "project",
            id: u.id,
            path: u.path.clone(),
            hooks_url: u.hooks_url.clone(),
            reasons: u.reasons.clone(),
        });
    }
    webhooks.manual.sort_unstable();
    let new_after = previous.map(|r| r.highest_id);
    let scan = Scan {
        full: plan.is_none(),
        new_after,
        new: new_after.map_or(0, |h| projects.iter().filter(|p| p.id > h).count()),
        checked: projects.len(),
        carried: carried.len(),
        escalated: None,
        record_error: None,
    };
    let w = &webhooks;
    let mut attention: Vec<u64> = [&w.missing, &w.disabled, &w.wrong, &w.duplicates, &w.failed]
        .into_iter()
        .flatten()
        .copied()
        .collect();
    attention.sort_unstable();
    attention.dedup();
    // Only a person's, and nothing else to look at: carried, not re-listed every run.
    let unreadable: Vec<Unreadable> = w
        .details
        .iter()
        .filter(|d| {
            d.kind == "project"
                && w.manual.contains(&d.id)
                && attention.binary_search(&d.id).is_err()
        })
        .map(|d| Unreadable {
            id: d.id,
            path: d.path.clone(),
            hooks_url: d.hooks_url.clone(),
            reasons: d.reasons.clone(),
        })
        .collect();
    let mut all_known: Vec<u64> = carried
        .iter()
        .copied()
        .chain(projects.iter().map(|p| p.id))
        .collect();
    all_known.sort_unstable();
    all_known.dedup();
    let mut group_ids = w.groups.clone();
    group_ids.sort_unstable();
    group_ids.dedup();
    let highest = report
        .projects
        .iter()
        .map(|p| p.id)
        .chain(previous.map(|r| r.highest_id))
        .chain(all_known.last().copied())
        .max()
        .unwrap_or(0);
    let record = Record {
        version: record::VERSION,
        instance: report.gitlab_url.clone(),
        user_id: report.user.id,
        highest_id: highest,
        known: all_known,
        attention,
        groups: group_ids,
        unreadable,
        cursor: 0,
        updated_at: chrono::Utc::now().to_rfc3339(),
    };
    Run {
        webhooks,
        scan,
        record,
        read,
    }
}

/// The check of a project with no project hook of ours, below `g`'s group hook of ours,
/// judged by that hook (disabled, or not as wanted).
fn by_group(c: &ProjectCheck, g: &GroupHook) -> ProjectCheck {
    let mut reasons = match &g.action {
        Action::Update { reasons } => reasons.clone(),
        _ => Vec::new(),
    };
    if let Some(state) = &g.disabled {
        let off = crate::webhooks::disabled_reason(state);
        if !reasons.contains(&off) {
            reasons.push(off);
        }
    }
    ProjectCheck {
        check: Check::Wrong { reasons },
        hook_id: g.hook_id,
        covered_by: Some(g.full_path.clone()),
        disabled: g.disabled.clone(),
        ..c.clone()
    }
}

/// Puts one project's check into the lists it belongs to.
fn sort(w: &mut HookStatus, p: &ProjectAccess, c: &ProjectCheck) {
    let mut reasons = Vec::new();
    let disabled = c.disabled.as_deref().map(crate::webhooks::disabled_reason);
    match &c.check {
        Check::Ok => {}
        Check::Missing => {
            w.missing.push(c.project_id);
            reasons.push("no hook with the crawler's URL".to_owned());
        }
        Check::Wrong { reasons: why } => {
            if let Some(d) = &disabled {
                w.disabled.push(c.project_id);
                reasons.push(d.clone());
            }
            let other: Vec<&String> = why
                .iter()
                .filter(|r| Some(*r) != disabled.as_ref() && r.as_str() != DELIVERED_TWICE)
                .collect();
            if !other.is_empty() {
                w.wrong.push(c.project_id);
                reasons.extend(other.into_iter().cloned());
            }
        }
        Check::Unknown { reason } => {
            w.manual.push(c.project_id);
            reasons.push(reason.clone());
        }
        Check::Failed { message } => {
            w.failed.push(c.project_id);
            reasons.push(message.clone());
        }
    }
    if !c.duplicates.is_empty() {
        w.duplicates.push(c.project_id);
        reasons.push(format!(
            "{} more hooks with the crawler's URL ({})",
            c.duplicates.len(),
            id_list(&c.duplicates)
        ));
    }
    // A fix the token cannot make is a person's (the check itself already said why when the
    // hooks could not be listed).
    let fixable = matches!(c.check, Check::Missing | Check::Wrong { .. });
    if fixable && p.hooks != HookAccess::Automatic {
        w.manual.push(c.project_id);
        if let HookAccess::Manual { reason } = &p.hooks {
            reasons.push(format!("a person must fix it: {reason}"));
        }
    }
    if let (false, Some(group)) = (reasons.is_empty(), &c.covered_by) {
        reasons.insert(0, format!("judged by the group hook of {group}"));
    }
    if reasons.is_empty() {
        w.ok += 1;
    } else {
        w.details.push(Detail {
            kind: "project",
            id: c.project_id,
            path: c.path.clone(),
            hooks_url: c.hooks_url.clone(),
            reasons,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NamespaceRef, Role};

    fn project(hooks: HookAccess) -> ProjectAccess {
        ProjectAccess {
            id: 7,
            name: "p".into(),
            path_with_namespace: "g/p".into(),
            web_url: "https://gitlab.example.com/g/p".into(),
            namespace: NamespaceRef {
                id: 1,
                full_path: "g".into(),
                kind: "group".into(),
            },
            role: Some(Role::Maintainer),
            archived: false,
            hooks,
        }
    }

    fn check(check: Check, duplicates: Vec<u64>, disabled: Option<&str>) -> ProjectCheck {
        ProjectCheck {
            project_id: 7,
            path: "g/p".into(),
            hooks_url: "https://gitlab.example.com/g/p/-/hooks".into(),
            check,
            hook_id: Some(3),
            duplicates,
            test_delivery: None,
            covered_by: None,
            disabled: disabled.map(Into::into),
        }
    }

    fn sorted(p: &ProjectAccess, c: &ProjectCheck) -> HookStatus {
        let mut w = HookStatus::default();
        sort(&mut w, p, c);
        w
    }

    #[test]
    fn each_verdict_lands_in_its_list() {
        let auto = project(HookAccess::Automatic);
        let ok = sorted(&auto, &check(Check::Ok, vec![], None));
        assert_eq!((ok.ok, ok.details.len()), (1, 0));

        let missing = sorted(&auto, &check(Check::Missing, vec![], None));
        assert_eq!((missing.missing.clone(), missing.ok), (vec![7], 0));
        assert!(missing.manual.is_empty(), "the token can fix it");

        let off = crate::webhooks::disabled_reason("disabled");
        let disabled = sorted(
            &auto,
            &check(
                Check::Wrong {
                    reasons: vec![off.clone()],
                },
                vec![],
                Some("disabled"),
            ),
        );
        assert_eq!(disabled.disabled, vec![7]);
        assert!(disabled.wrong.is_empty(), "disabled only");

        let both = sorted(
            &auto,
            &check(
                Check::Wrong {
                    reasons: vec!["Wiki page events off".into(), off],
                },
                vec![],
                Some("disabled"),
            ),
        );
        assert_eq!(
            (both.disabled.clone(), both.wrong.clone()),
            (vec![7], vec![7])
        );
        assert!(
            both.details[0]
                .reasons
                .contains(&"Wiki page events off".to_owned())
        );

        let dup = sorted(&auto, &check(Check::Ok, vec![9], None));
        assert_eq!((dup.duplicates.clone(), dup.ok), (vec![7], 0));

        // Below a group hook of ours, a project hook of ours is a duplicate, not a wrong hook.
        let twice = sorted(
            &auto,
            &check(
                Check::Wrong {
                    reasons: vec![DELIVERED_TWICE.into()],
                },
                vec![9],
                None,
            ),
        );
        assert_eq!(twice.duplicates, vec![7]);
        assert!(twice.wrong.is_empty());

        let unknown = sorted(
            &auto,
            &check(
                Check::Unknown {
                    reason: "role Developer".into(),
                },
                vec![],
                None,
            ),
        );
        assert_eq!(unknown.manual, vec![7]);

        let failed = sorted(
            &auto,
            &check(
                Check::Failed {
                    message: "GitLab answered 500".into(),
                },
                vec![],
                None,
            ),
        );
        assert_eq!(failed.failed, vec![7]);
    }

    #[test]
    fn forgetting_an_instance_removes_its_records_only() {
        let dir = tempfile::tempdir().unwrap();
        let ours = "https://gitlab.example.com";
        let theirs = "https://other.example.com";
        for instance in [ours, theirs] {
            let name = format!("{}scope.json", record::prefix(instance));
            std::fs::write(dir.path().join(name), b"{}").unwrap();
            let m = mapping::MappingRecord::path(dir.path(), instance);
            std::fs::write(m, b"{}").unwrap();
        }
        assert_eq!(forget_instance(dir.path(), ours).unwrap(), 2);
        assert_eq!(forget_instance(dir.path(), ours).unwrap(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        assert_eq!(forget_instance(&dir.path().join("none"), ours).unwrap(), 0);
    }

    #[test]
    fn a_fix_the_token_cannot_make_is_manual_too() {
        let read_only = project(HookAccess::Manual {
            reason: "the token is read-only (no `api` scope)".into(),
        });
        let w = sorted(&read_only, &check(Check::Missing, vec![], None));
        assert_eq!((w.missing.clone(), w.manual.clone()), (vec![7], vec![7]));
        assert!(w.details[0].reasons.iter().any(|r| r.contains("read-only")));
        let fine = sorted(&read_only, &check(Check::Ok, vec![], None));
        assert_eq!(
            (fine.ok, fine.manual.len()),
            (1, 0),
            "a correct hook is fine"
        );
    }

    #[test]
    fn attention_follows_the_lists_and_the_token() {
        let mut s = Status {
            gitlab_url: "https://gitlab.example.com".into(),
            token: TokenStatus {
                valid: true,
                scopes: vec!["api".into()],
                mode: Mode::Automatic,
                missing_scopes: vec![],
                expires_at: None,
                days_left: Some(200),
                expires_soon: false,
                warnings: vec![],
            },
            webhooks: HookStatus {
                projects: 1,
                ok: 1,
                ..HookStatus::default()
            },
            requests: 0,
            scan: Scan::default(),
            mapping: None,
        };
        assert!(!s.needs_attention());
        s.token.expires_soon = true;
        assert!(s.needs_attention());
        s.token.expires_soon = false;
        s.webhooks.groups.push(1);
        assert!(s.needs_attention());
        s.webhooks.groups.clear();
        s.token.mode = Mode::Insufficient;
        assert!(s.needs_attention());
        s.token.mode = Mode::Automatic;
        let mut mapping = MappingStatus {
            built_at: "2026-11-01T10:00:00+00:00".into(),
            days_ago: 3,
            users: 10,
            members_then: Some(10),
            members_now: Some(10),
            appeared: Some(0),
            unknown: None,
        };
        s.mapping = Some(mapping.clone());
        assert!(!s.needs_attention(), "no one joined");
        mapping.appeared = Some(2);
        s.mapping = Some(mapping);
        assert!(s.needs_attention(), "members joined since the mapping");
        s.mapping = None;
        s.webhooks.projects = 0;
        assert!(s.needs_attention(), "nothing checked is not all well");
    }
}

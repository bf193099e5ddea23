//! Day two in the window: Health (the core's status for the onboarded instance, progress over
//! a channel), fix what can be fixed (the apply path, limited to what status found), token
//! rotation (the keychain entry replaced; nothing secret to the window), and removal of the
//! crawler's hooks (a plan the window lists, then the deletes of that plan only).
//!
//! What Health checks comes from the onboarding marker a completed apply left in the data
//! directory ([`Onboarded`]): the event URL, scope and triggers. Without a sign-in, the
//! commands sign in with the keychain's token of the most recently onboarded instance.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use gitlab_onboard::files::RunLock;
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::rotate::{self, RotateError};
use gitlab_onboard::status::onboarded::{self, Onboarded};
use gitlab_onboard::status::{self, Status, StatusInput};
use gitlab_onboard::token::Session;
use gitlab_onboard::webhooks::fingerprints::FingerprintKey;
use gitlab_onboard::webhooks::remove::{self, Removal, Target};
use gitlab_onboard::webhooks::{
    self, Fingerprints, HookSpec, Journal, ProjectCheck, ProjectOutcome, RunProgress, Summary,
    groups,
};
use gitlab_onboard::{GitLabUrl, Secret};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::clipboard;
use crate::error::CommandError;
use crate::state::{AppState, TokenStore};
use crate::webhooks::RunReport;

/// The Health view's state: the data directory (the CLI's) and the removal plan the window
/// showed, tied to its sign-in.
pub struct HealthState {
    data_dir: PathBuf,
    removal: Mutex<Option<(u64, Removal)>>,
}

impl HealthState {
    /// State reading and writing the records in `data_dir`.
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            removal: Mutex::default(),
        }
    }

    /// Records a finished mapping build of `users` people for `groups` (see
    /// [`status::mapping::record_build`]), so Health can tell its age. The build stands
    /// either way: a record that cannot be written only leaves Health saying it was not built.
    pub async fn record_mapping(
        &self,
        client: &gitlab_onboard::Client,
        report: &gitlab_onboard::scopes::TokenReport,
        groups: &[String],
        users: usize,
    ) -> bool {
        status::mapping::record_build(client, report, groups, users, &self.data_dir)
            .await
            .is_ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, Removal)>> {
        self.removal.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Health view: the status, and what onboarding applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Health {
    /// The token, the webhooks and the mapping.
    pub status: Status,
    /// What the completed apply set (the hooks checked are these).
    pub onboarded: Onboarded,
    /// Whether the hooks and the token may be fixed by the app (`api` scope): otherwise a
    /// person does what the lists say.
    pub can_fix: bool,
}

/// A rotation done: the new token is in the keychain, never sent to the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TokenRotated {
    /// The instance.
    pub gitlab_url: String,
    /// The new token's expiry date (`YYYY-MM-DD`), when GitLab says.
    pub expires_at: Option<String>,
    /// Where the new token is kept.
    pub keychain: TokenStore,
}

fn not_onboarded(url: Option<&GitLabUrl>) -> CommandError {
    CommandError {
        code: "not_onboarded",
        message: match url {
            Some(url) => format!(
                "no finished webhook setup is recorded for {url} on this computer: go through the Webhooks step first"
            ),
            None => "no finished webhook setup is recorded on this computer, or its token is no longer in the keychain: sign in and go through the steps".to_owned(),
        },
    }
}

/// The onboarded instance whose token the keychain keeps, if any: the window opens on Health
/// for it.
pub fn find_onboarded(state: &AppState, health: &HealthState) -> Option<Onboarded> {
    let keychain = state.keychain().ok()?;
    onboarded::onboarded_instance(&health.data_dir, |url| {
        keychain.token(url).ok().flatten().is_some()
    })
}

/// The signed-in session and its instance's marker; without a sign-in, signs in with the
/// keychain's token of the onboarded instance.
async fn session(
    state: &AppState,
    health: &HealthState,
) -> Result<(Session, u64, Onboarded), CommandError> {
    if state.session().await.is_err() {
        let marker = find_onboarded(state, health).ok_or_else(|| not_onboarded(None))?;
        let url = GitLabUrl::parse(&marker.gitlab_url).map_err(gitlab_onboard::Error::from)?;
        let token = state
            .keychain()?
            .token(&url)
            .map_err(gitlab_onboard::Error::from)?
            .ok_or_else(|| not_onboarded(None))?;
        state.sign_in(url.as_str(), &token).await?;
    }
    let (session, generation) = state.session().await?;
    let url = session.client.url().clone();
    let marker =
        Onboarded::load(&health.data_dir, url.as_str()).ok_or_else(|| not_onboarded(Some(&url)))?;
    Ok((session, generation, marker))
}

/// The hook onboarding set, with the saved webhook secret (or a throwaway one: status and
/// removal only compare with it).
fn spec(
    keychain: &Keychain,
    url: &GitLabUrl,
    marker: &Onboarded,
) -> Result<HookSpec, CommandError> {
    let secret = keychain
        .webhook_secret(url)
        .ok()
        .flatten()
        .unwrap_or_else(webhooks::generate_secret);
    Ok(HookSpec {
        url: marker.event_url()?,
        triggers: marker.triggers(),
        secret,
    })
}

/// The data directory's hook fingerprints; none (nothing proved) without a key.
fn fingerprints(keychain: &Keychain, url: &GitLabUrl, health: &HealthState) -> Fingerprints {
    FingerprintKey::resolve(url, || Ok(keychain.clone()))
        .ok()
        .and_then(|key| Fingerprints::load(&health.data_dir, key).ok())
        .unwrap_or_else(Fingerprints::in_memory)
}

/// Runs the core's status for the onboarded instance.
pub async fn check_health(
    state: &AppState,
    health: &HealthState,
    progress: impl Fn(RunProgress<ProjectCheck>) + Send + Sync,
) -> Result<Health, CommandError> {
    let (session, _, marker) = session(state, health).await?;
    let keychain = state.keychain()?;
    let url = session.client.url().clone();
    let input = StatusInput {
        selection: marker.selection(),
        spec: spec(keychain, &url, &marker)?,
        proved: fingerprints(keychain, &url, health),
        data_dir: Some(health.data_dir.clone()),
        full: false,
    };
    let status = status::status(&session, &input, &progress).await?;
    Ok(Health {
        can_fix: status.token.mode == gitlab_onboard::scopes::Mode::Automatic,
        status,
        onboarded: marker,
    })
}

/// Status again, then the apply path on what it found that the token may fix: a hook for each
/// missing project, an update and test delivery for each disabled or changed one.
pub async fn fix_found(
    state: &AppState,
    health: &HealthState,
    progress: impl Fn(RunProgress<ProjectOutcome>) + Send + Sync,
) -> Result<RunReport, CommandError> {
    let found = check_health(state, health, |_| {}).await?;
    let w = &found.status.webhooks;
    let manual: BTreeSet<u64> = w.manual.iter().copied().collect();
    let wanted: BTreeSet<u64> = w
        .missing
        .iter()
        .chain(&w.disabled)
        .chain(&w.wrong)
        .copied()
        .filter(|id| !manual.contains(id))
        .collect();
    if wanted.is_empty() {
        return Ok(RunReport {
            groups: Vec::new(),
            outcomes: Vec::new(),
            summary: Summary::default(),
            cancelled: false,
            resumed: 0,
        });
    }
    let (session, _, marker) = session(state, health).await?;
    let keychain = state.keychain()?;
    let url = session.client.url().clone();
    let secret = keychain
        .webhook_secret(&url)
        .map_err(gitlab_onboard::Error::from)?
        .ok_or_else(|| CommandError {
            code: "no_secret",
            message: format!(
                "no webhook secret is saved for {url} on this computer: enter the crawler's secret in the Webhooks step, then fix again"
            ),
        })?;
    let spec = HookSpec {
        url: marker.event_url()?,
        triggers: marker.triggers(),
        secret,
    };
    // Shared with the CLI: one apply at a time per data directory.
    let lock = RunLock::acquire(&health.data_dir).map_err(gitlab_onboard::Error::from)?;
    let key = FingerprintKey::resolve(&url, || Ok(keychain.clone()))
        .map_err(gitlab_onboard::Error::from)?;
    let prints = Fingerprints::load(&health.data_dir, key).map_err(gitlab_onboard::Error::from)?;
    let prints = Mutex::new(prints);
    // A fresh report: the projects status found new may be newer than this sign-in's.
    let report = state.detect(true, &|_| {}).await?;
    let projects: Vec<_> = report
        .projects
        .iter()
        .filter(|p| wanted.contains(&p.id))
        .collect();
    let asked = groups::asked(&report, &marker.group_hooks)?;
    let done = groups::apply_run(
        &session.client,
        &report,
        &projects,
        &asked,
        &spec,
        &prints,
        false,
        None,
        &progress,
    )
    .await;
    drop(lock);
    Ok(RunReport {
        summary: Summary::of(&done.projects),
        outcomes: done.projects,
        groups: done.groups,
        cancelled: false,
        resumed: 0,
    })
}

/// A rotation's failure in the window's words (the core's point to the CLI's `login`).
fn rotate_error(e: RotateError) -> CommandError {
    CommandError {
        code: e.code(),
        message: e
            .to_string()
            .replace("run `gitlab-onboard login`", "sign in again in this app")
            .replace(
                "then `gitlab-onboard login`",
                "then sign in again in this app",
            )
            .replace("`gitlab-onboard login`", "signing in again in this app"),
    }
}

/// Rotates the signed-in token once; the new token replaces the keychain entry before anything
/// else, and the session continues with it. `unsaved` gets the new token only when the
/// keychain refused it (the window's command puts it on the clipboard).
pub async fn rotate_with(
    state: &AppState,
    expires_at: Option<&str>,
    unsaved: impl FnOnce(&Secret) -> bool,
) -> Result<TokenRotated, CommandError> {
    let (session, _) = state.session().await?;
    let keychain = state.keychain()?;
    let today = chrono::Utc::now().date_naive();
    let date = expires_at
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| rotate::parse_expires_at(s, today))
        .transpose()
        .map_err(|e| rotate_error(e.into()))?;
    let rotated = rotate::rotate(&session.client, date)
        .await
        .map_err(rotate_error)?;
    let url = session.client.url().clone();
    if let Err(e) = keychain.store_token(&url, &rotated.token) {
        let copied = unsaved(&rotated.token);
        let words = if copied {
            "The token was rotated (the old one no longer works), but the keychain did not take the new one: it is on the clipboard now, once; paste it into the crawler's settings and sign in again with it."
        } else {
            "The token was rotated (the old one no longer works), but the new one could be neither saved in the keychain nor copied: create a new token in GitLab (Preferences > Access tokens) and sign in again."
        };
        return Err(CommandError::with_details(
            "keychain",
            words,
            &e.to_string(),
        ));
    }
    // The old session's token is revoked: continue with the new one.
    let signed_in = state.sign_in(url.as_str(), &rotated.token).await?;
    Ok(TokenRotated {
        gitlab_url: url.to_string(),
        expires_at: rotated.expires_at.map(|d| d.format("%Y-%m-%d").to_string()),
        keychain: signed_in.keychain,
    })
}

/// Which crawler hooks a removal would delete, per project and group (nothing written); the
/// plan is kept for [`remove_planned`].
pub async fn plan_remove(
    state: &AppState,
    health: &HealthState,
    progress: impl Fn(RunProgress<Target>) + Send + Sync,
) -> Result<Removal, CommandError> {
    let (session, generation, marker) = session(state, health).await?;
    let keychain = state.keychain()?;
    let url = session.client.url().clone();
    let spec = spec(keychain, &url, &marker)?;
    let report = state.detect(true, &|_| {}).await?;
    let selection = marker.selection();
    let projects = selection.pick(&report);
    let groups = remove::groups_in_scope(&report, &selection);
    let known = fingerprints(keychain, &url, health);
    let planned = remove::plan(
        &session.client,
        &report,
        &projects,
        &groups,
        &spec,
        &known,
        &progress,
    )
    .await;
    *health.lock() = Some((generation, planned.clone()));
    Ok(planned)
}

/// Deletes the hooks of the plan the window showed (and only those; each re-read first).
/// A complete removal also forgets the onboarding marker and status records: the app opens
/// on the Token step next time.
pub async fn remove_planned(
    state: &AppState,
    health: &HealthState,
    progress: impl Fn(RunProgress<Target>) + Send + Sync,
) -> Result<Removal, CommandError> {
    let (session, generation, marker) = session(state, health).await?;
    let planned = match health.lock().take() {
        Some((g, plan)) if g == generation => plan,
        _ => {
            return Err(CommandError {
                code: "no_plan",
                message: "nothing to remove yet: show the list of hooks that would go first"
                    .to_owned(),
            });
        }
    };
    let keychain = state.keychain()?;
    let url = session.client.url().clone();
    let spec = spec(keychain, &url, &marker)?;
    let lock = RunLock::acquire(&health.data_dir).map_err(gitlab_onboard::Error::from)?;
    let prints = Mutex::new(fingerprints(keychain, &url, health));
    let report = state.detect(false, &|_| {}).await?;
    let done = remove::remove(
        &session.client,
        &report,
        &planned,
        &spec,
        &prints,
        &progress,
    )
    .await;
    // Journals of interrupted applies name hooks that are gone now.
    Journal::discard(&lock, url.as_str()).map_err(|e| {
        gitlab_onboard::Error::LocalState(format!("cannot remove the apply journals: {e}"))
    })?;
    if !done.incomplete() {
        status::forget_instance(&health.data_dir, url.as_str()).map_err(|e| {
            gitlab_onboard::Error::LocalState(format!(
                "the hooks are removed, but the records in {} could not be: {e}",
                health.data_dir.display()
            ))
        })?;
    }
    Ok(done)
}

/// The onboarded instance whose token the keychain keeps: the window opens on Health for it.
#[tauri::command]
pub fn onboarded_instance(
    state: State<'_, AppState>,
    health: State<'_, HealthState>,
) -> Option<Onboarded> {
    find_onboarded(&state, &health)
}

/// The Health view's status; each project's check streams over `on_progress`.
#[tauri::command]
pub async fn health(
    state: State<'_, AppState>,
    health: State<'_, HealthState>,
    on_progress: Channel<RunProgress<ProjectCheck>>,
) -> Result<Health, CommandError> {
    // A closed window cannot take progress any more; the status still comes back.
    check_health(&state, &health, move |p| drop(on_progress.send(p))).await
}

/// Fixes what status found that the token may fix; each project's outcome streams over
/// `on_progress`.
#[tauri::command]
pub async fn fix_health(
    state: State<'_, AppState>,
    health: State<'_, HealthState>,
    on_progress: Channel<RunProgress<ProjectOutcome>>,
) -> Result<RunReport, CommandError> {
    fix_found(&state, &health, move |p| drop(on_progress.send(p))).await
}

/// Rotates the token (the old one stops working at once); the keychain keeps the new one and
/// the window never sees it.
#[tauri::command]
pub async fn rotate_token<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    expires_at: Option<String>,
) -> Result<TokenRotated, CommandError> {
    rotate_with(&state, expires_at.as_deref(), |token| {
        clipboard::write_secret(&app, token).is_ok()
    })
    .await
}

/// Copies the signed-in token from the keychain to the clipboard (for the crawler's
/// settings) without sending it to the window.
#[tauri::command]
pub async fn copy_token<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<(), CommandError> {
    let (session, _) = state.session().await?;
    let url = session.client.url().clone();
    let token = state
        .keychain()?
        .token(&url)
        .map_err(gitlab_onboard::Error::from)?
        .ok_or_else(CommandError::not_signed_in)?;
    clipboard::write_secret(&app, &token)
}

/// The crawler hooks a removal would delete (the window lists them before asking).
#[tauri::command]
pub async fn plan_removal(
    state: State<'_, AppState>,
    health: State<'_, HealthState>,
    on_progress: Channel<RunProgress<Target>>,
) -> Result<Removal, CommandError> {
    plan_remove(&state, &health, move |p| drop(on_progress.send(p))).await
}

/// Deletes the hooks of the plan shown, after the window's confirmation.
#[tauri::command]
pub async fn remove_hooks(
    state: State<'_, AppState>,
    health: State<'_, HealthState>,
    on_progress: Channel<RunProgress<Target>>,
) -> Result<Removal, CommandError> {
    remove_planned(&state, &health, move |p| drop(on_progress.send(p))).await
}

#[cfg(test)]
mod tests;

//! Plan, apply and verify over the step-2 report, one run at a time, each cancellable; the
//! last plan or apply is kept for the export.

use std::path::PathBuf;
use std::sync::Mutex;

use gitlab_onboard::client::Client;
use gitlab_onboard::files::RunLock;
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::scopes::{GroupAccess, Mode};
use gitlab_onboard::webhooks::fingerprints::FingerprintKey;
use gitlab_onboard::webhooks::groups::{self, GroupHook};
use gitlab_onboard::webhooks::{
    self, Action, Check, EventUrl, Fingerprints, HookSpec, Journal, ProjectCheck, ProjectOutcome,
    RunOptions, RunProgress, Selection, Summary, Triggers, instructions,
};
use gitlab_onboard::{GitLabUrl, Secret};
use serde::{Deserialize, Serialize};

use super::secret;
use crate::error::CommandError;
use gitlab_onboard::scopes::TokenReport;
use gitlab_onboard::token::Session;

/// What a run works from: the session and step 2's report, of one sign-in.
pub struct Step2 {
    /// The signed-in session.
    pub session: Session,
    /// Step 2's report (never asked for again here).
    pub report: TokenReport,
    /// The sign-in it belongs to.
    pub generation: u64,
}

impl From<(Session, TokenReport, u64)> for Step2 {
    fn from((session, report, generation): (Session, TokenReport, u64)) -> Self {
        Self {
            session,
            report,
            generation,
        }
    }
}

/// The hook the admin asked for, as the screen sends it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HookRequest {
    /// The crawler's event URL, as typed.
    pub event_url: String,
    /// Only projects in these groups and their subgroups; empty: every project.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Also send tag push events.
    #[serde(default)]
    pub tag_push: bool,
    /// Also send confidential issues and comments.
    #[serde(default)]
    pub confidential: bool,
    /// Groups (full paths, owned) to carry one hook each in place of their projects' hooks.
    #[serde(default)]
    pub group_hooks: Vec<String>,
}

impl HookRequest {
    /// The hook asked for, with `secret`; refuses an event URL that is not HTTPS (loopback
    /// aside) before any request.
    fn spec(&self, secret: Secret) -> Result<HookSpec, CommandError> {
        Ok(HookSpec {
            url: EventUrl::parse(&self.event_url).map_err(gitlab_onboard::Error::from)?,
            triggers: Triggers::chosen(self.tag_push, self.confidential),
            secret,
        })
    }

    /// The groups asked to carry a hook; refuses one the token's user does not own, before
    /// any request.
    fn asked<'r>(&self, report: &'r TokenReport) -> Result<Vec<&'r GroupAccess>, CommandError> {
        Ok(groups::asked(report, &self.group_hooks)?)
    }

    fn selection(&self) -> Selection {
        Selection {
            groups: self.groups.clone(),
            ..Selection::default()
        }
    }
}

/// The result of a plan or an apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunReport {
    /// Group hooks read: those asked for, and offers where one could stand for many.
    pub groups: Vec<GroupHook>,
    /// Per project, in the report's order.
    pub outcomes: Vec<ProjectOutcome>,
    /// Counts by outcome.
    pub summary: Summary,
    /// Cancel stopped the run: Apply again continues where it stopped.
    pub cancelled: bool,
    /// Projects an interrupted apply had finished, taken from its journal without a request.
    pub resumed: usize,
}

/// The result of a verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct VerifyReport {
    /// Group hooks read (`unchanged`: correct).
    pub groups: Vec<GroupHook>,
    /// Group hooks asked for or in place that are not correct.
    pub groups_not_ok: usize,
    /// Per project, in the report's order (`covered_by`: judged by a group hook).
    pub checks: Vec<ProjectCheck>,
    /// Projects whose hook is correct.
    pub ok: usize,
    /// Cancel stopped the run before every project was checked.
    pub cancelled: bool,
    /// Whether test deliveries were sent (only with the `api` scope).
    pub test_deliveries: bool,
}

/// Instructions rendered for export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instructions {
    /// The document.
    pub text: String,
    /// Projects it lists.
    pub projects: usize,
}

/// The last plan or apply of a session, for the export.
struct LastRun {
    generation: u64,
    url: EventUrl,
    triggers: Triggers,
    outcomes: Vec<ProjectOutcome>,
}

#[derive(Default)]
struct Runs {
    running: Option<Client>,
    last: Option<LastRun>,
}

/// Step 3's state: where local state lives, the run in flight and the last plan or apply.
pub struct WebhookState {
    data_dir: PathBuf,
    runs: Mutex<Runs>,
}

/// Marks a run as in flight until dropped.
struct Running<'a> {
    state: &'a WebhookState,
    client: Client,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.state.lock().running = None;
    }
}

impl WebhookState {
    /// State keeping hook fingerprints and the apply journal in `data_dir` (the CLI's, normally).
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            runs: Mutex::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Runs> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts a run on its own cancellable client, unless one is already in flight.
    fn start(&self, session_client: &Client) -> Result<Running<'_>, CommandError> {
        let mut runs = self.lock();
        if runs.running.is_some() {
            return Err(CommandError {
                code: "busy",
                message:
                    "a webhook run is already in progress: wait for it to finish, or cancel it"
                        .to_owned(),
            });
        }
        let client = session_client.for_run();
        runs.running = Some(client.clone());
        Ok(Running {
            state: self,
            client,
        })
    }

    /// Cancels the run in flight; false when there is none.
    pub fn cancel(&self) -> bool {
        match &self.lock().running {
            Some(client) => {
                client.cancel();
                true
            }
            None => false,
        }
    }

    fn remember(&self, step2: &Step2, spec: &HookSpec, outcomes: &[ProjectOutcome]) {
        self.lock().last = Some(LastRun {
            generation: step2.generation,
            url: spec.url.clone(),
            triggers: spec.triggers,
            outcomes: outcomes.to_vec(),
        });
    }

    /// The data directory's fingerprints; a damaged file is set aside (kept as a backup) and the
    /// fingerprints start afresh, which costs one rewrite of each hook's secret.
    fn fingerprints(&self, key: FingerprintKey) -> Result<Fingerprints, CommandError> {
        Ok(Fingerprints::load(&self.data_dir, key).map_err(gitlab_onboard::Error::from)?)
    }

    /// What apply would do, per project. Writes nothing on GitLab.
    pub async fn plan(
        &self,
        step2: &Step2,
        keychain: &Keychain,
        request: &HookRequest,
        progress: impl Fn(RunProgress<ProjectOutcome>) + Send + Sync + 'static,
    ) -> Result<RunReport, CommandError> {
        let spec = request.spec(secret::saved_or_throwaway(
            keychain,
            step2.session.client.url(),
        )?)?;
        let asked = request.asked(&step2.report)?;
        let key = fingerprint_key(keychain, step2.session.client.url())?;
        let fingerprints = Mutex::new(self.fingerprints(key)?);
        let run = self.start(&step2.session.client)?;
        let projects = request.selection().pick(&step2.report);
        let done = groups::plan_run(
            &run.client,
            &step2.report,
            &projects,
            &asked,
            &spec,
            &fingerprints,
            &progress,
        )
        .await;
        let cancelled = run.client.cancellation().is_cancelled();
        self.remember(step2, &spec, &done.projects);
        Ok(RunReport {
            summary: Summary::of(&done.projects),
            outcomes: done.projects,
            groups: done.groups,
            cancelled,
            resumed: 0,
        })
    }

    /// Creates or fixes the hooks where the token may, with the saved secret. An interrupted
    /// apply (cancelled, or the app closed) continues from its journal in the data directory.
    pub async fn apply(
        &self,
        step2: &Step2,
        keychain: &Keychain,
        request: &HookRequest,
        prune_duplicates: bool,
        progress: impl Fn(RunProgress<ProjectOutcome>) + Send + Sync + 'static,
    ) -> Result<RunReport, CommandError> {
        let url = step2.session.client.url();
        let spec = request.spec(secret::required(keychain, url)?)?;
        // Shared with the CLI: one apply at a time per data directory.
        let lock = RunLock::acquire(&self.data_dir).map_err(gitlab_onboard::Error::from)?;
        let key = fingerprint_key(keychain, url)?;
        let fingerprints = Mutex::new(self.fingerprints(key.clone())?);
        let asked = request.asked(&step2.report)?;
        let options = RunOptions {
            group_hooks: asked.iter().map(|g| g.full_path.clone()).collect(),
            prune_duplicates,
        };
        let journal = Journal::open(&lock, url.as_str(), &spec, &options, &key).map_err(|e| {
            local_state(format!(
                "cannot open the apply journal in {}: {e}",
                self.data_dir.display()
            ))
        })?;
        let resumed = journal.resumed();
        let run = self.start(&step2.session.client)?;
        let projects = request.selection().pick(&step2.report);
        let done = groups::apply_run(
            &run.client,
            &step2.report,
            &projects,
            &asked,
            &spec,
            &fingerprints,
            prune_duplicates,
            Some(&journal),
            &progress,
        )
        .await;
        let outcomes = done.projects;
        let cancelled = outcomes
            .iter()
            .any(|o| matches!(&o.action, Action::Failed { code, .. } if code == "cancelled"));
        if !cancelled {
            journal
                .finish()
                .map_err(|e| local_state(format!("cannot remove the apply journal: {e}")))?;
            // The marker that onboarding was done, for the Health view (nothing secret).
            let mut marker =
                gitlab_onboard::status::onboarded::Onboarded::now(url, &spec, &request.selection());
            marker.group_hooks = options.group_hooks.clone();
            marker.save(&self.data_dir).map_err(|e| {
                local_state(format!(
                    "the hooks are set, but {} could not record it: {e}",
                    self.data_dir.display()
                ))
            })?;
        }
        self.remember(step2, &spec, &outcomes);
        Ok(RunReport {
            summary: Summary::of(&outcomes),
            outcomes,
            groups: done.groups,
            cancelled,
            resumed,
        })
    }

    /// Re-reads every selected project's hooks and checks them; with `test_delivery` and the
    /// `api` scope, also asks GitLab to send a test event to each correct hook.
    pub async fn verify(
        &self,
        step2: &Step2,
        keychain: &Keychain,
        request: &HookRequest,
        test_delivery: bool,
        progress: impl Fn(RunProgress<ProjectCheck>) + Send + Sync + 'static,
    ) -> Result<VerifyReport, CommandError> {
        let spec = request.spec(secret::saved_or_throwaway(
            keychain,
            step2.session.client.url(),
        )?)?;
        let asked = request.asked(&step2.report)?;
        let test_deliveries = test_delivery && step2.report.mode == Mode::Automatic;
        let run = self.start(&step2.session.client)?;
        let projects = request.selection().pick(&step2.report);
        // Which group hooks an apply proved (without the key, none counts as proved).
        let proved = fingerprint_key(keychain, step2.session.client.url())
            .and_then(|key| self.fingerprints(key))
            .unwrap_or_else(|_| Fingerprints::in_memory());
        let verified = groups::verify_run(
            &run.client,
            &step2.report,
            &projects,
            &asked,
            &spec,
            &proved,
            &progress,
        )
        .await;
        let groups_not_ok = verified.groups_not_ok(&asked);
        let (groups, mut checks) = (verified.groups, verified.projects);
        if test_deliveries && !run.client.cancellation().is_cancelled() {
            webhooks::test_deliveries(&run.client, &mut checks, &progress).await;
        }
        Ok(VerifyReport {
            ok: checks.iter().filter(|c| c.check == Check::Ok).count(),
            cancelled: run.client.cancellation().is_cancelled(),
            groups,
            groups_not_ok,
            checks,
            test_deliveries,
        })
    }

    /// The manual instructions of this session's last plan or apply, with the saved secret
    /// (or a placeholder when `with_secret` is false or none is saved).
    pub fn instructions(
        &self,
        step2: &Step2,
        keychain: &Keychain,
        format: instructions::Format,
        with_secret: bool,
    ) -> Result<Instructions, CommandError> {
        let saved = if with_secret {
            secret::saved(keychain, step2.session.client.url())?
        } else {
            None
        };
        let runs = self.lock();
        let last = runs
            .last
            .as_ref()
            .filter(|l| l.generation == step2.generation)
            .ok_or_else(|| CommandError {
                code: "no_plan",
                message: "nothing to export yet: run Check or Apply first, so the wizard knows which projects need a person"
                    .to_owned(),
            })?;
        let manual = instructions::manual(&last.outcomes);
        let spec = HookSpec {
            url: last.url.clone(),
            triggers: last.triggers,
            secret: saved.clone().unwrap_or_else(webhooks::generate_secret),
        };
        Ok(Instructions {
            text: instructions::render(
                format,
                &manual,
                &spec,
                saved.is_some(),
                step2.session.client.url(),
            ),
            projects: manual.len(),
        })
    }
}

/// The key for this instance's hook fingerprints (`GITLAB_ONBOARD_FINGERPRINT_KEY`, else the
/// keychain, where one is made the first time).
fn fingerprint_key(keychain: &Keychain, url: &GitLabUrl) -> Result<FingerprintKey, CommandError> {
    FingerprintKey::resolve(url, || Ok(keychain.clone()))
        .map_err(|e| gitlab_onboard::Error::from(e).into())
}

fn local_state(message: String) -> CommandError {
    gitlab_onboard::Error::LocalState(message).into()
}

//! Step 3's commands: the webhook secret, plan/apply/verify over the step-2 report with
//! progress over a channel, cancel, and the export of the manual instructions.

mod runs;
mod secret;
#[cfg(test)]
mod tests;

use gitlab_onboard::webhooks::{ProjectCheck, ProjectOutcome, RunProgress, instructions};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State, WebviewWindow};

pub use runs::WebhookState;
pub(crate) use runs::{HookRequest, RunReport, Step2, VerifyReport};
pub(crate) use secret::{GeneratedSecret, SecretStatus};

use crate::clipboard;
use crate::dialog::{self, Dialog};
use crate::error::CommandError;
use crate::state::AppState;

/// Whether a webhook secret is saved for the signed-in instance.
#[tauri::command]
pub async fn webhook_secret_status(
    state: State<'_, AppState>,
) -> Result<SecretStatus, CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let saved = secret::saved(state.keychain()?, step2.session.client.url())?;
    Ok(SecretStatus {
        saved: saved.is_some(),
    })
}

/// Makes a secret, saves it in the keychain and returns it, to be shown once.
#[tauri::command]
pub async fn generate_webhook_secret(
    state: State<'_, AppState>,
) -> Result<GeneratedSecret, CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let secret = secret::generate(state.keychain()?, step2.session.client.url())?;
    Ok(GeneratedSecret {
        secret: secret.expose().to_owned(),
    })
}

/// Saves the secret the admin typed (the crawler's existing one).
#[tauri::command]
pub async fn save_webhook_secret(
    state: State<'_, AppState>,
    secret: String,
) -> Result<(), CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    secret::save_typed(state.keychain()?, step2.session.client.url(), &secret)
}

/// Copies the saved secret to the clipboard without sending it to the window.
#[tauri::command]
pub async fn copy_webhook_secret<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<(), CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let saved = secret::required(state.keychain()?, step2.session.client.url())?;
    clipboard::write_secret(&app, &saved)
}

/// What Apply would do, per project; each project's outcome streams over `on_progress`.
#[tauri::command]
pub async fn plan_webhooks(
    state: State<'_, AppState>,
    hooks: State<'_, WebhookState>,
    request: HookRequest,
    on_progress: Channel<RunProgress<ProjectOutcome>>,
) -> Result<RunReport, CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let progress = move |p: RunProgress<ProjectOutcome>| drop(on_progress.send(p));
    hooks
        .plan(&step2, state.keychain()?, &request, progress)
        .await
}

/// Creates or fixes the crawler's hook where the token may; each project's outcome streams
/// over `on_progress`. Cancel stops it; Apply again continues where it stopped.
#[tauri::command]
pub async fn apply_webhooks(
    state: State<'_, AppState>,
    hooks: State<'_, WebhookState>,
    request: HookRequest,
    prune_duplicates: bool,
    on_progress: Channel<RunProgress<ProjectOutcome>>,
) -> Result<RunReport, CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let progress = move |p: RunProgress<ProjectOutcome>| drop(on_progress.send(p));
    hooks
        .apply(
            &step2,
            state.keychain()?,
            &request,
            prune_duplicates,
            progress,
        )
        .await
}

/// Checks every selected project's hook, optionally with a test delivery; each project's
/// verdict streams over `on_progress`.
#[tauri::command]
pub async fn verify_webhooks(
    state: State<'_, AppState>,
    hooks: State<'_, WebhookState>,
    request: HookRequest,
    test_delivery: bool,
    on_progress: Channel<RunProgress<ProjectCheck>>,
) -> Result<VerifyReport, CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let progress = move |p: RunProgress<ProjectCheck>| drop(on_progress.send(p));
    hooks
        .verify(&step2, state.keychain()?, &request, test_delivery, progress)
        .await
}

/// Stops the run in flight; false when none was running.
#[tauri::command]
pub fn cancel_webhooks(hooks: State<'_, WebhookState>) -> bool {
    hooks.cancel()
}

/// A format the manual instructions can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// A Markdown checklist.
    Markdown,
    /// A standalone HTML page.
    Html,
    /// One CSV row per project.
    Csv,
}

impl ExportFormat {
    /// The core's format, and the save dialog's file type.
    fn parts(self) -> (instructions::Format, Dialog) {
        let (format, kind, extensions): (_, _, &'static [&'static str]) = match self {
            Self::Markdown => (instructions::Format::Markdown, "Markdown", &["md"]),
            Self::Html => (instructions::Format::Html, "HTML page", &["html"]),
            Self::Csv => (instructions::Format::Csv, "CSV", &["csv"]),
        };
        let dialog = Dialog {
            title: "Export the manual webhook instructions",
            kind,
            extensions,
        };
        (format, dialog)
    }
}

/// Where the instructions went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Exported {
    /// The file written.
    pub path: String,
    /// Projects it lists.
    pub projects: usize,
}

/// Renders the last plan's manual instructions, asks where to save them (the save dialog) and
/// writes the file atomically, replacing one the admin chose; `None` when the dialog was
/// dismissed.
#[tauri::command]
pub async fn export_webhook_instructions<R: Runtime>(
    window: WebviewWindow<R>,
    state: State<'_, AppState>,
    hooks: State<'_, WebhookState>,
    format: ExportFormat,
    with_secret: bool,
) -> Result<Option<Exported>, CommandError> {
    let step2: Step2 = state.session_and_report().await?.into();
    let (format, file_type) = format.parts();
    let document = hooks.instructions(&step2, state.keychain()?, format, with_secret)?;
    let name = format!("crawler-webhooks.{}", file_type.extensions[0]);
    let Some(path) = dialog::save_file(&window, &file_type, &name).await? else {
        return Ok(None);
    };
    gitlab_onboard::files::write_atomically(&path, document.text.as_bytes()).map_err(|e| {
        gitlab_onboard::Error::Output {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    })?;
    Ok(Some(Exported {
        path: path.display().to_string(),
        projects: document.projects,
    }))
}

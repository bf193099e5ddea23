//! Native open and save dialogs (rfd; GTK on Linux), shown over the app's window.
//!
//! A dialog's answer never goes to the web view as something it could send back: the users
//! commands keep it behind a handle (`users::chosen`), the webhook export writes it at once. The
//! window only shows the path. WebDriver cannot drive a native dialog, so for end-to-end tests, and in
//! debug builds only, an environment variable answers instead of the dialog:
//! [`OPEN_ANSWER_ENV`] for open dialogs and [`SAVE_ANSWER_ENV`] for save dialogs, each holding
//! the path to answer with. Release builds ignore both and always show the dialog.

use std::ffi::OsString;
use std::future::Future;
use std::path::PathBuf;

use rfd::{AsyncFileDialog, FileHandle};
use tauri::{Runtime, WebviewWindow};

use crate::error::CommandError;

/// Debug builds only: the path every open dialog answers with, without being shown.
pub const OPEN_ANSWER_ENV: &str = "GITLAB_ONBOARD_TEST_OPEN_FILE";
/// Debug builds only: the path every save dialog answers with, without being shown.
pub const SAVE_ANSWER_ENV: &str = "GITLAB_ONBOARD_TEST_SAVE_FILE";

/// What a dialog offers: its title and one file type.
pub struct Dialog {
    /// The dialog's title.
    pub title: &'static str,
    /// The file type's name, e.g. `"CSV"`.
    pub kind: &'static str,
    /// Its extensions, without the dot.
    pub extensions: &'static [&'static str],
}

impl Dialog {
    fn builder(&self) -> AsyncFileDialog {
        AsyncFileDialog::new()
            .set_title(self.title)
            .add_filter(self.kind, self.extensions)
    }
}

/// Asks for an existing file to read; `None` when the admin dismissed the dialog.
pub async fn open_file<R: Runtime>(
    window: &WebviewWindow<R>,
    dialog: &Dialog,
) -> Result<Option<PathBuf>, CommandError> {
    if let Some(path) = preset(std::env::var_os(OPEN_ANSWER_ENV)) {
        return Ok(Some(path));
    }
    let builder = dialog.builder();
    ask(window, move |d| d.pick_file(), builder).await
}

/// Asks where to save `file_name`; `None` when the admin dismissed the dialog. GTK's dialog
/// confirms replacing a file itself (rfd turns that on), so the mapping's Save asks in the
/// window only when the test hook chose the path ([`save_answered_by_hook`]): one question.
pub async fn save_file<R: Runtime>(
    window: &WebviewWindow<R>,
    dialog: &Dialog,
    file_name: &str,
) -> Result<Option<PathBuf>, CommandError> {
    if let Some(path) = preset(std::env::var_os(SAVE_ANSWER_ENV)) {
        return Ok(Some(path));
    }
    let builder = dialog.builder().set_file_name(file_name);
    ask(window, move |d| d.save_file(), builder).await
}

/// Whether save dialogs are answered by the test hook (then nobody was asked about replacing
/// a file).
pub fn save_answered_by_hook() -> bool {
    preset(std::env::var_os(SAVE_ANSWER_ENV)).is_some()
}

/// The test hook's answer: the variable's path in a debug build, nothing in a release build.
fn preset(value: Option<OsString>) -> Option<PathBuf> {
    value
        .filter(|v| cfg!(debug_assertions) && !v.is_empty())
        .map(PathBuf::from)
}

/// Makes the dialog on the main thread (GTK wants it there) and waits for its answer here.
async fn ask<R, F, Fut>(
    window: &WebviewWindow<R>,
    show: F,
    builder: AsyncFileDialog,
) -> Result<Option<PathBuf>, CommandError>
where
    R: Runtime,
    F: FnOnce(AsyncFileDialog) -> Fut + Send + 'static,
    Fut: Future<Output = Option<FileHandle>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = window.clone();
    window
        .run_on_main_thread(move || {
            let _ = tx.send(show(builder.set_parent(&parent)));
        })
        .map_err(|e| unavailable(&e.to_string()))?;
    let answer = rx.await.map_err(|_| unavailable("the window is closing"))?;
    Ok(answer.await.map(|h| h.path().to_path_buf()))
}

fn unavailable(detail: &str) -> CommandError {
    CommandError::with_details(
        "dialog",
        "The file dialog could not be shown: try again.",
        detail,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_answers_only_in_debug_builds_and_only_when_set() {
        let answer = preset(Some("/tmp/out.csv".into()));
        if cfg!(debug_assertions) {
            assert_eq!(answer, Some(PathBuf::from("/tmp/out.csv")));
        } else {
            assert_eq!(answer, None);
        }
        assert_eq!(preset(Some(OsString::new())), None);
        assert_eq!(preset(None), None);
    }
}

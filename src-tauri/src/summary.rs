//! Step 5: the Summary's "Export as Markdown". The window renders the text from what the
//! earlier steps returned (nothing is asked of GitLab again); this asks where to save it (the
//! native save dialog, which asks itself before replacing a file) and writes it whole, 0600.

use std::path::Path;

use tauri::{Runtime, WebviewWindow};

use crate::dialog::{self, Dialog};
use crate::error::CommandError;

/// The largest summary written; a real one is a few kilobytes.
pub const MAX_BYTES: usize = 256 * 1024;
/// The file name the save dialog proposes.
pub const DEFAULT_FILE_NAME: &str = "gitlab-onboard-summary.md";

const SAVE_DIALOG: Dialog = Dialog {
    title: "Export the summary",
    kind: "Markdown",
    extensions: &["md"],
};

/// Refuses a text larger than [`MAX_BYTES`].
fn bounded(markdown: &str) -> Result<(), CommandError> {
    if markdown.len() > MAX_BYTES {
        return Err(CommandError {
            code: "invalid_input",
            message: format!(
                "the summary is larger than {} KiB and was not saved",
                MAX_BYTES / 1024
            ),
        });
    }
    Ok(())
}

/// Writes `markdown` to `path` whole (0600 when new).
fn write(path: &Path, markdown: &str) -> Result<(), CommandError> {
    gitlab_onboard::files::write_atomically(path, markdown.as_bytes()).map_err(|e| {
        CommandError::from(gitlab_onboard::Error::Output {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    })
}

/// Asks where to save the summary and writes `markdown` there whole (a temporary file renamed
/// over it); the path written, or `None` when the dialog was dismissed.
#[tauri::command]
pub async fn export_summary<R: Runtime>(
    window: WebviewWindow<R>,
    markdown: String,
) -> Result<Option<String>, CommandError> {
    bounded(&markdown)?;
    let Some(path) = dialog::save_file(&window, &SAVE_DIALOG, DEFAULT_FILE_NAME).await? else {
        return Ok(None);
    };
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || write(&target, &markdown))
        .await
        .map_err(|e| CommandError {
            code: "internal",
            message: format!("saving stopped unexpectedly ({e}): try again"),
        })??;
    Ok(Some(path.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_summary_is_refused() {
        assert!(bounded(&"x".repeat(MAX_BYTES)).is_ok());
        assert_eq!(
            bounded(&"x".repeat(MAX_BYTES + 1)).unwrap_err().code,
            "invalid_input"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_summary_is_written_whole_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("summary.md");
        write(&path, "# Summary\n\nCreated 2.\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# Summary\n\nCreated 2.\n"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        write(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            std::fs::read_dir(temp.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
        let under_a_file = path.join("summary.md");
        let e = write(&under_a_file, "x").unwrap_err();
        assert_eq!(e.code, "output_file", "{e:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
    }
}

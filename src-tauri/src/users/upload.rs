//! Step 4's hand-over: the saved CSV uploaded to the crawler's Google Cloud Storage bucket, with
//! a signed URL or with a service account's key (see `gitlab_onboard::upload`).

use std::path::Path;

use gitlab_onboard::upload::{
    self, Destination, ServiceAccountKey, ServiceAccountUpload, SignedUrl, UploadError, Uploaded,
};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{Runtime, WebviewWindow};

use crate::dialog::{self, Dialog};
use crate::error::CommandError;

const KEY_DIALOG: Dialog = Dialog {
    title: "Choose the service account's key (JSON)",
    kind: "JSON key",
    extensions: &["json"],
};

/// Where to upload, as the admin gave it.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UploadTarget {
    /// A signed URL from the crawler vendor.
    SignedUrl {
        /// The whole URL, signature included.
        url: String,
    },
    /// A bucket and object written with a service account's key file.
    ServiceAccount {
        /// The bucket.
        bucket: String,
        /// The object's name.
        object: String,
        /// The key JSON file (a path the open dialog gave).
        key_path: String,
        /// The storage endpoint; GCS's own when not given.
        storage_url: Option<String>,
    },
}

impl UploadTarget {
    /// Checks the URL, or reads the key and checks the names, before anything is sent.
    fn destination(&self) -> Result<Destination, UploadError> {
        Ok(match self {
            UploadTarget::SignedUrl { url } => Destination::SignedUrl(SignedUrl::parse(url)?),
            UploadTarget::ServiceAccount {
                bucket,
                object,
                key_path,
                storage_url,
            } => {
                let key = ServiceAccountKey::read(Path::new(key_path.trim()))?;
                let storage_url = storage_url.as_deref().filter(|s| !s.trim().is_empty());
                let upload =
                    ServiceAccountUpload::new(bucket.trim(), object.trim(), key, storage_url)?;
                Destination::ServiceAccount(upload.into())
            }
        })
    }
}

/// Bytes of the file sent so far, of `total`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct UploadProgress {
    /// Sent so far.
    pub sent: u64,
    /// The file's size.
    pub total: u64,
}

fn command_error(e: UploadError) -> CommandError {
    CommandError {
        code: e.code(),
        message: e.to_string(),
    }
}

/// Asks for the service account's key file (a native open dialog); `None` when dismissed.
#[tauri::command]
pub async fn users_choose_key<R: Runtime>(
    window: WebviewWindow<R>,
) -> Result<Option<String>, CommandError> {
    let path = dialog::open_file(&window, &KEY_DIALOG).await?;
    Ok(path.map(|p| p.display().to_string()))
}

/// Uploads the saved CSV at `path` to `target`; progress streams over `on_progress`. The file
/// is only read; what GCS stored is checked against it.
#[tauri::command]
pub async fn users_upload(
    path: String,
    target: UploadTarget,
    on_progress: Channel<UploadProgress>,
) -> Result<Uploaded, CommandError> {
    let destination = target.destination().map_err(command_error)?;
    let progress =
        move |sent: u64, total: u64| drop(on_progress.send(UploadProgress { sent, total }));
    upload::upload(Path::new(path.trim()), &destination, &progress)
        .await
        .map_err(command_error)
}

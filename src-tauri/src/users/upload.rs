//! Step 4's hand-over: the saved CSV uploaded to the crawler's Google Cloud Storage bucket, with
//! a signed URL or with a service account's key (see `gitlab_onboard::upload`).

use std::sync::PoisonError;

use gitlab_onboard::upload::{
    self, Destination, ServiceAccountKey, ServiceAccountUpload, SignedUrl, UploadError,
    UploadPolicy, Uploaded,
};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{Runtime, State, WebviewWindow};

use super::UsersState;
use super::chosen::{ChosenFile, Purpose};
use crate::dialog::{self, Dialog};
use crate::error::CommandError;

const KEY_DIALOG: Dialog = Dialog {
    title: "Choose the service account's key (JSON)",
    kind: "JSON key",
    extensions: &["json"],
};

/// Where to upload, as the admin gave it in the window. Nothing here is a path or an endpoint:
/// the key file is a dialog's handle, and the storage endpoint is Google's or the one the admin
/// configured before the app started ([`UploadPolicy`]). An unknown field is refused.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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
        /// The key file: the handle [`users_choose_key`] gave.
        key: u64,
    },
}

impl UploadTarget {
    /// Checks the URL against the policy, or reads the key and checks its `token_uri` and the
    /// names, before anything is sent.
    fn destination(
        &self,
        users: &UsersState,
        policy: &UploadPolicy,
    ) -> Result<Destination, CommandError> {
        Ok(match self {
            UploadTarget::SignedUrl { url } => {
                let url = SignedUrl::parse(url).map_err(command_error)?;
                policy.check_signed_url(&url).map_err(command_error)?;
                Destination::SignedUrl(url)
            }
            UploadTarget::ServiceAccount {
                bucket,
                object,
                key,
            } => {
                let path = users.chosen.path(Purpose::Key, *key)?;
                let key = ServiceAccountKey::read(&path).map_err(command_error)?;
                policy.check_token_uri(&key).map_err(command_error)?;
                let upload = ServiceAccountUpload::new(
                    bucket.trim(),
                    object.trim(),
                    key,
                    policy.storage_url(),
                )
                .map_err(command_error)?;
                Destination::ServiceAccount(upload.into())
            }
        })
    }
}

/// Bytes of the file sent so far, of `total`.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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

/// Asks for the service account's key file (a native open dialog): its handle and path to
/// show, or `None` when dismissed. The path stays here.
#[tauri::command]
pub async fn users_choose_key<R: Runtime>(
    window: WebviewWindow<R>,
    users: State<'_, UsersState>,
) -> Result<Option<ChosenFile>, CommandError> {
    let path = dialog::open_file(&window, &KEY_DIALOG).await?;
    Ok(path.map(|p| users.chosen.keep(Purpose::Key, p)))
}

/// Uploads the CSV that Save last wrote to `target`; progress streams over `on_progress`. The
/// file is only read; what GCS stored is checked against it.
#[tauri::command]
pub async fn users_upload(
    users: State<'_, UsersState>,
    policy: State<'_, UploadPolicy>,
    target: UploadTarget,
    on_progress: Channel<UploadProgress>,
) -> Result<Uploaded, CommandError> {
    let destination = target.destination(&users, &policy)?;
    let file = users
        .saved
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .ok_or_else(|| CommandError {
            code: "nothing_saved",
            message: "the mapping has not been saved yet: save it, then upload".to_owned(),
        })?;
    let progress =
        move |sent: u64, total: u64| drop(on_progress.send(UploadProgress { sent, total }));
    upload::upload(&file, &destination, &progress)
        .await
        .map_err(command_error)
}

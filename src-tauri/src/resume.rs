//! Where the admin was, kept between runs of the app: the step on screen, the instance, what
//! was typed in each step and the facts the Summary shows. Nothing secret: the token stays in
//! the keychain, and [`crate::state::AppState::sign_in_saved`] takes it from there.
//!
//! The file is `wizard.json` in the data directory (0700), written whole (a temporary file
//! renamed over it, 0600). It is read defensively: a file over [`MAX_BYTES`], one that does
//! not parse, or one whose texts or lists are longer than the window could have sent is
//! ignored with a note, never an error that stops the app.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::CommandError;
use crate::state::{AppState, SignedIn};

/// The state file's name in the data directory.
pub const FILE: &str = "wizard.json";
/// The largest state file read (or written); a real one is a few kilobytes.
pub const MAX_BYTES: u64 = 64 * 1024;
/// The longest text kept in a field (a URL, a path, a column name).
pub const MAX_TEXT: usize = 2048;
/// The most group paths kept.
pub const MAX_GROUPS: usize = 500;

/// A wizard step, as the step list names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Step 1.
    #[default]
    Token,
    /// Step 2.
    Scopes,
    /// Step 3.
    Webhooks,
    /// Step 4.
    Mapping,
    /// Step 5.
    Summary,
}

/// What was typed on the Webhooks step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct WebhooksForm {
    /// The crawler's event URL.
    pub event_url: String,
    /// Also tag pushes.
    pub tag_push: bool,
    /// Also confidential issues and comments.
    pub confidential: bool,
    /// The group the run is limited to ("" for all).
    pub group: String,
    /// Groups chosen to carry one hook each.
    pub group_hooks: Vec<String>,
    /// Verify also sends a test event.
    pub test_delivery: bool,
    /// Apply deletes duplicate crawler hooks.
    pub prune_duplicates: bool,
}

/// What was typed on the User mapping step (the chosen export is chosen again: its path is
/// never sent back by the window).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct UsersForm {
    /// The export's username column.
    pub username_column: String,
    /// The export's email column.
    pub email_column: String,
    /// The domain for guesses.
    pub domain: String,
    /// Keep bot users.
    pub include_bots: bool,
    /// Keep blocked users.
    pub include_blocked: bool,
    /// Write a header row.
    pub header: bool,
}

/// Counts of the last plan or apply of the Webhooks step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct HookFacts {
    /// True for an apply, false for a plan (nothing written).
    pub applied: bool,
    /// Projects in the run.
    pub total: u32,
    /// Created (or, for a plan, to create).
    pub created: u32,
    /// Updated (or to update).
    pub updated: u32,
    /// Already correct.
    pub unchanged: u32,
    /// Covered by a group hook.
    pub covered: u32,
    /// Left to do by hand.
    pub manual: u32,
    /// Failed.
    pub failed: u32,
    /// Group hooks created or updated.
    pub groups_written: u32,
    /// Stopped before the end.
    pub cancelled: bool,
    /// Project hooks of ours the apply deleted because a group hook of ours covers them.
    pub removed: u32,
}

/// Counts of the last Verify.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct VerifyFacts {
    /// Projects checked.
    pub total: u32,
    /// With a correct hook.
    pub ok: u32,
    /// Whose hooks the token cannot read.
    pub unreadable: u32,
    /// Group hooks not correct.
    pub groups_not_ok: u32,
}

/// The CSV last saved, and its upload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct CsvFacts {
    /// Where it was saved.
    pub path: String,
    /// Rows written.
    pub rows: u32,
    /// The mapping changed since.
    pub changed_since: bool,
    /// Where it was uploaded, if it was.
    pub uploaded_to: Option<String>,
    /// Whether GCS confirmed a checksum of the upload.
    pub upload_verified: bool,
}

/// The window's state, as it is kept between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default)]
pub struct Resume {
    /// The step on screen.
    pub step: Step,
    /// The instance signed in to, if any.
    pub gitlab_url: Option<String>,
    /// Step 3's fields.
    pub webhooks: WebhooksForm,
    /// Step 4's fields.
    pub users: UsersForm,
    /// Step 3's last plan or apply.
    pub hooks: Option<HookFacts>,
    /// Step 3's last verify.
    pub verify: Option<VerifyFacts>,
    /// Whether step 3 is done.
    pub webhooks_done: bool,
    /// Step 4's saved CSV.
    pub csv: Option<CsvFacts>,
}

impl Resume {
    /// Why the state is larger than the window could have sent, if it is.
    fn too_long(&self) -> Option<&'static str> {
        let texts = [
            self.gitlab_url.as_deref().unwrap_or_default(),
            &self.webhooks.event_url,
            &self.webhooks.group,
            &self.users.username_column,
            &self.users.email_column,
            &self.users.domain,
        ];
        let csv = self.csv.iter().flat_map(|c| {
            [
                c.path.as_str(),
                c.uploaded_to.as_deref().unwrap_or_default(),
            ]
        });
        let groups = self.webhooks.group_hooks.iter().map(String::as_str);
        if self.webhooks.group_hooks.len() > MAX_GROUPS {
            return Some("too many groups");
        }
        texts
            .into_iter()
            .chain(csv)
            .chain(groups)
            .any(|t| t.chars().count() > MAX_TEXT)
            .then_some("a text is too long")
    }
}

/// What [`resume_load`] found: the state, or a note saying why none was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Loaded {
    /// The state kept from the last run.
    pub state: Option<Resume>,
    /// Set when a file was there but ignored: what was wrong with it.
    pub note: Option<String>,
}

/// The directory the state file lives in (the data directory; tests use their own).
pub struct ResumeStore {
    dir: PathBuf,
}

impl ResumeStore {
    /// The store in `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The state file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// The state kept, or a note why none was taken (never an error: the app starts anyway).
    pub fn load(&self) -> Loaded {
        let path = self.path();
        let ignored = |why: String| Loaded {
            state: None,
            note: Some(format!(
                "Where you were last time could not be restored ({why}); the wizard starts from the beginning."
            )),
        };
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::default(),
            Err(e) => return ignored(format!("{}: {e}", path.display())),
        };
        let mut bytes = Vec::new();
        if let Err(e) = file.take(MAX_BYTES + 1).read_to_end(&mut bytes) {
            return ignored(format!("{}: {e}", path.display()));
        }
        if bytes.len() as u64 > MAX_BYTES {
            return ignored(format!(
                "{} is larger than {} KiB",
                path.display(),
                MAX_BYTES / 1024
            ));
        }
        match serde_json::from_slice::<Resume>(&bytes) {
            Ok(state) => match state.too_long() {
                Some(why) => ignored(format!("{}: {why}", path.display())),
                None => Loaded {
                    state: Some(state),
                    note: None,
                },
            },
            Err(e) => ignored(format!("{} is damaged: {e}", path.display())),
        }
    }

    /// Writes `state` whole (0600, directory 0700).
    pub fn save(&self, state: &Resume) -> Result<(), CommandError> {
        if let Some(why) = state.too_long() {
            return Err(CommandError {
                code: "invalid_input",
                message: format!("the wizard's state was not kept ({why})"),
            });
        }
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| CommandError {
            code: "internal",
            message: format!("the wizard's state was not kept ({e})"),
        })?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(CommandError {
                code: "invalid_input",
                message: "the wizard's state was not kept (it is too large)".to_owned(),
            });
        }
        write_private(&self.dir, &self.path(), &bytes)
    }

    /// Deletes the state file (Start over).
    pub fn clear(&self) -> Result<(), CommandError> {
        match std::fs::remove_file(self.path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(output_error(&self.path(), &e)),
        }
    }
}

/// Writes `bytes` to `path` in `dir` (made 0700) whole.
fn write_private(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    gitlab_onboard::files::private_dir(dir).map_err(|e| output_error(dir, &e))?;
    gitlab_onboard::files::write_atomically(path, bytes).map_err(|e| output_error(path, &e))
}

fn output_error(path: &Path, e: &std::io::Error) -> CommandError {
    gitlab_onboard::Error::Output {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
    .into()
}

/// Where the admin was last time (the app opened again), or a note why it is not known.
#[tauri::command]
pub fn resume_load(store: State<'_, ResumeStore>) -> Loaded {
    store.load()
}

/// Keeps where the admin is, for the next start.
#[tauri::command]
pub fn resume_save(store: State<'_, ResumeStore>, state: Resume) -> Result<(), CommandError> {
    store.save(&state)
}

/// Signs in again with the keychain's token for `url` (the app opened again); `None` when
/// the keychain holds none for it.
#[tauri::command]
pub async fn sign_in_saved(
    state: State<'_, AppState>,
    url: String,
) -> Result<Option<SignedIn>, CommandError> {
    state.sign_in_saved(&url).await
}

/// Start over: forgets the session and what was learned with it, and the kept state. The
/// keychain keeps the token.
#[tauri::command]
pub async fn start_over(
    state: State<'_, AppState>,
    store: State<'_, ResumeStore>,
) -> Result<(), CommandError> {
    state.sign_out().await;
    store.clear()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Resume {
        Resume {
            step: Step::Mapping,
            gitlab_url: Some("https://gitlab.example.com".into()),
            webhooks: WebhooksForm {
                event_url: "https://crawler.example/events".into(),
                group_hooks: vec!["acme".into()],
                tag_push: true,
                ..WebhooksForm::default()
            },
            users: UsersForm {
                domain: "corp.example".into(),
                ..UsersForm::default()
            },
            hooks: Some(HookFacts {
                applied: true,
                total: 3,
                created: 2,
                manual: 1,
                ..HookFacts::default()
            }),
            verify: None,
            webhooks_done: true,
            csv: Some(CsvFacts {
                path: "/tmp/map.csv".into(),
                rows: 4,
                ..CsvFacts::default()
            }),
        }
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn saved_state_comes_back_and_is_private() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("data");
        let store = ResumeStore::new(dir.clone());
        assert_eq!(store.load(), Loaded::default(), "nothing kept yet, no note");
        store.save(&sample()).unwrap();
        assert_eq!(store.load().state, Some(sample()));
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir), 0o700);
            assert_eq!(mode(&store.path()), 0o600);
        }
        store.clear().unwrap();
        assert_eq!(store.load(), Loaded::default());
        store.clear().unwrap();
    }

    #[test]
    fn a_damaged_or_oversized_file_is_ignored_with_a_note() {
        let temp = tempfile::tempdir().unwrap();
        let store = ResumeStore::new(temp.path().to_path_buf());
        let big = format!(
            "{{\"step\":\"mapping\",\"gitlab_url\":\"{}\"}}",
            "x".repeat(MAX_BYTES as usize)
        );
        let long = serde_json::to_string(&Resume {
            gitlab_url: Some("h".repeat(MAX_TEXT + 1)),
            ..Resume::default()
        })
        .unwrap();
        for (bad, why) in [
            ("{\"step\": \"mapping\",", "damaged"),
            ("{\"step\": \"elsewhere\"}", "damaged"),
            ("[1, 2]", "damaged"),
            ("{\"webhooks\": {\"tag_push\": \"yes\"}}", "damaged"),
            (big.as_str(), "larger than"),
            (long.as_str(), "too long"),
        ] {
            std::fs::write(store.path(), bad).unwrap();
            let loaded = store.load();
            assert_eq!(loaded.state, None, "{bad:.80}");
            let note = loaded.note.unwrap();
            assert!(note.contains(why), "{note}");
            assert!(note.contains("starts from the beginning"), "{note}");
        }
    }

    #[test]
    fn unknown_fields_and_missing_ones_are_tolerated() {
        let temp = tempfile::tempdir().unwrap();
        let store = ResumeStore::new(temp.path().to_path_buf());
        std::fs::write(
            store.path(),
            r#"{"step":"webhooks","future_field":1,"webhooks":{"event_url":"https://c.example/e"}}"#,
        )
        .unwrap();
        let state = store.load().state.unwrap();
        assert_eq!(state.step, Step::Webhooks);
        assert_eq!(state.webhooks.event_url, "https://c.example/e");
        assert_eq!(state.users, UsersForm::default());
    }

    #[test]
    fn a_state_too_large_is_not_written() {
        let temp = tempfile::tempdir().unwrap();
        let store = ResumeStore::new(temp.path().to_path_buf());
        let mut state = sample();
        state.webhooks.group_hooks = vec!["g".into(); MAX_GROUPS + 1];
        assert_eq!(store.save(&state).unwrap_err().code, "invalid_input");
        assert!(!store.path().exists());
    }
}

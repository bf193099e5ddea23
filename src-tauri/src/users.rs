//! Step 4's commands: build the user mapping from the sources the admin chose, page and edit it
//! in the preview, and save it as the crawler's CSV ([`upload`] hands it to the crawler). The
//! mapping stays here ([`UsersState`]); the window holds only the rows on screen (see [`store`]
//! for why it pages).

mod chosen;
mod store;
pub mod upload;

use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use gitlab_onboard::users::{self, BuildProgress, Options, Row, idp};
use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, Runtime, State, WebviewWindow};

use crate::dialog::{self, Dialog};
use crate::error::CommandError;
use crate::state::AppState;
pub(crate) use chosen::{Chosen, ChosenFile, Purpose};
use store::Built;
pub use store::{Filter, Page, Summary};

/// The file name the save dialog proposes.
pub const DEFAULT_FILE_NAME: &str = "gitlab-user-mapping.csv";
/// The most rows one page answer carries (a screenful is a few dozen).
pub const MAX_PAGE: usize = 1_000;

const IDP_DIALOG: Dialog = Dialog {
    title: "Choose the identity provider's user export",
    kind: "CSV",
    extensions: &["csv", "txt"],
};
const SAVE_DIALOG: Dialog = Dialog {
    title: "Save the user mapping",
    kind: "CSV",
    extensions: &["csv"],
};

/// The mapping of this window, once built; the files chosen in its dialogs; the CSV last
/// saved (what Upload sends).
#[derive(Default)]
pub struct UsersState {
    built: Mutex<Option<Built>>,
    chosen: Chosen,
    saved: Mutex<Option<PathBuf>>,
}

impl UsersState {
    /// Runs `f` on the mapping built under sign-in `generation`; an error if there is none.
    fn with<T>(
        &self,
        generation: u64,
        f: impl FnOnce(&mut Built) -> Result<T, CommandError>,
    ) -> Result<T, CommandError> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        match built.as_mut() {
            Some(b) if b.generation == generation => f(b),
            _ => Err(no_mapping()),
        }
    }
}

/// The sources the admin chose on the Users screen. Empty strings count as not given; an
/// unknown field (a path, say) is refused.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(default, deny_unknown_fields)]
pub struct BuildRequest {
    /// The identity provider's export: the handle [`users_choose_idp`] gave.
    pub idp: Option<u64>,
    /// The export's username column; found by name when not given.
    pub idp_username_column: Option<String>,
    /// The export's email column; found by name when not given.
    pub idp_email_column: Option<String>,
    /// The domain for `username@domain` guesses.
    pub email_domain: Option<String>,
    /// Keep bot users.
    pub include_bots: bool,
    /// Keep blocked users.
    pub include_blocked: bool,
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl BuildRequest {
    /// Checks the domain and reads the export (off the async runtime: it is streamed whole),
    /// before anything is asked of GitLab.
    async fn options(&self, chosen: &Chosen) -> Result<Options, CommandError> {
        let email_domain = given(&self.email_domain)
            .map(|d| {
                users::parse_domain(d).map_err(|e| CommandError {
                    code: "invalid_input",
                    message: format!("Email domain: {e}"),
                })
            })
            .transpose()?;
        let columns = idp::Columns {
            username: given(&self.idp_username_column).map(str::to_owned),
            email: given(&self.idp_email_column).map(str::to_owned),
        };
        let idp = match self.idp {
            Some(handle) => {
                let path = chosen.path(Purpose::Idp, handle)?;
                Some(
                    idp::Directory::read_async(&path, &columns)
                        .await
                        .map_err(idp_error)?,
                )
            }
            None => None,
        };
        Ok(Options {
            idp,
            email_domain,
            include_bots: self.include_bots,
            include_blocked: self.include_blocked,
            public_lookups: Some(users::PUBLIC_LOOKUPS),
            ..Options::default()
        })
    }
}

/// The export's error (`file:line: message`).
fn idp_error(e: idp::IdpError) -> CommandError {
    gitlab_onboard::Error::Idp(e).into()
}

fn no_mapping() -> CommandError {
    CommandError {
        code: "no_mapping",
        message: "there is no preview for this sign-in yet: choose the sources and build it"
            .to_owned(),
    }
}

/// An edit's result: the row as it now stands and the new summary.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Edited {
    /// The edited row.
    pub row: Row,
    /// The summary after the edit.
    pub summary: Summary,
}

/// What Save wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Saved {
    /// The file.
    pub path: String,
    /// Rows written (people with an email).
    pub rows: usize,
    /// Its size in bytes.
    pub bytes: usize,
}

/// Asks for the identity provider's export (a native open dialog): its handle and path to
/// show, or `None` when dismissed. The path stays here.
#[tauri::command]
pub async fn users_choose_idp<R: Runtime>(
    window: WebviewWindow<R>,
    users: State<'_, UsersState>,
) -> Result<Option<ChosenFile>, CommandError> {
    let path = dialog::open_file(&window, &IDP_DIALOG).await?;
    Ok(path.map(|p| users.chosen.keep(Purpose::Idp, p)))
}

/// Asks where to save the CSV (a native save dialog): its handle and path to show, or `None`
/// when dismissed. The path stays here.
#[tauri::command]
pub async fn users_choose_save<R: Runtime>(
    window: WebviewWindow<R>,
    users: State<'_, UsersState>,
) -> Result<Option<ChosenFile>, CommandError> {
    let path = dialog::save_file(&window, &SAVE_DIALOG, DEFAULT_FILE_NAME).await?;
    let replace_asked = !dialog::save_answered_by_hook();
    Ok(path.map(|p| ChosenFile {
        replace_asked,
        ..users.chosen.keep(Purpose::Save, p)
    }))
}

/// Builds the mapping from step 2's report and the chosen sources, keeping the admin's edits
/// of an earlier build. Bad input fails before any request and leaves the earlier mapping as
/// it was. Progress streams over `on_progress`.
#[tauri::command]
pub async fn users_build<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    users: State<'_, UsersState>,
    request: BuildRequest,
    on_progress: Channel<BuildProgress>,
) -> Result<Summary, CommandError> {
    let mut options = request.options(&users.chosen).await?;
    let (session, report, generation) = state.session_and_report().await?;
    options.edits = users
        .with(generation, |b| Ok(b.edits()))
        .unwrap_or_default();
    // A closed window cannot take progress any more; the mapping is still kept.
    let progress = move |p: BuildProgress| drop(on_progress.send(p));
    let mapping = users::build(&session.client, &report, &options, &progress).await?;
    // For Health: when the mapping was built and from which member lists (no names, no emails).
    if let Some(health) = app.try_state::<crate::health::HealthState>() {
        health
            .record_mapping(
                &session.client,
                &report,
                &options.groups,
                mapping.rows.len(),
            )
            .await;
    }
    let built = Built::new(generation, mapping);
    let summary = built.summary();
    *users.built.lock().unwrap_or_else(PoisonError::into_inner) = Some(built);
    Ok(summary)
}

/// The summary of this sign-in's mapping, when there is one (the screen shown again).
#[tauri::command]
pub async fn users_summary(
    state: State<'_, AppState>,
    users: State<'_, UsersState>,
) -> Result<Option<Summary>, CommandError> {
    let generation = state.generation().await;
    Ok(users.with(generation, |b| Ok(b.summary())).ok())
}

/// Up to `count` (at most [`MAX_PAGE`]) rows from `start` among those matching `filter`.
#[tauri::command]
pub async fn users_rows(
    state: State<'_, AppState>,
    users: State<'_, UsersState>,
    filter: Filter,
    start: usize,
    count: usize,
) -> Result<Page, CommandError> {
    let generation = state.generation().await;
    users.with(generation, |b| {
        Ok(b.page(&filter, start, count.min(MAX_PAGE)))
    })
}

/// The admin's email for user `id` (`None` or blank clears it).
#[tauri::command]
pub async fn users_edit(
    state: State<'_, AppState>,
    users: State<'_, UsersState>,
    id: u64,
    email: Option<String>,
) -> Result<Edited, CommandError> {
    let generation = state.generation().await;
    users.with(generation, |b| {
        let typed = email.as_deref().unwrap_or_default().trim();
        let row = b.edit(id, email.clone()).ok_or_else(|| CommandError {
            code: "invalid_input",
            message: match users::formula_start(typed) {
                Some(c) => format!(
                    "Email of user {id}: '{typed}' starts with '{c}', which a spreadsheet runs as a formula: give an address like name@corp.example"
                ),
                None => format!(
                    "Email of user {id}: '{typed}' is not an email address: give one like name@corp.example"
                ),
            },
        })?;
        Ok(Edited {
            row,
            summary: b.summary(),
        })
    })
}

/// Writes the CSV (user ID then email; a header row only with `header`) to the file chosen
/// with [`users_choose_save`] (`file` is its handle), atomically. An existing file is replaced
/// only with `overwrite`: without it, the answer is `file_exists` and the window asks. The
/// file written is what Upload sends.
#[tauri::command]
pub async fn users_save(
    state: State<'_, AppState>,
    users: State<'_, UsersState>,
    file: u64,
    header: bool,
    overwrite: bool,
) -> Result<Saved, CommandError> {
    let path = users.chosen.path(Purpose::Save, file)?;
    let generation = state.generation().await;
    let (csv, rows) = users.with(generation, |b| {
        let summary = b.summary();
        Ok((b.mapping().csv(header), summary.written))
    })?;
    if rows == 0 {
        return Err(CommandError {
            code: "nothing_to_write",
            message: "no one in the preview has an email yet, so nothing was written: choose an \
                      identity-provider export or a domain, or type emails in the table"
                .to_owned(),
        });
    }
    if path.exists() && !overwrite {
        return Err(CommandError {
            code: "file_exists",
            message: format!(
                "{} already exists: replace it, or choose another name",
                path.display()
            ),
        });
    }
    let shown = path.display().to_string();
    let bytes = csv.len();
    let target = path.clone();
    tauri::async_runtime::spawn_blocking(move || {
        gitlab_onboard::files::write_atomically(&target, csv.as_bytes())
    })
    .await
    .map_err(|e| CommandError {
        code: "internal",
        message: format!("saving stopped unexpectedly ({e}): try again"),
    })?
    .map_err(|e| {
        CommandError::from(gitlab_onboard::Error::Output {
            path: shown.clone(),
            detail: e.to_string(),
        })
    })?;
    *users.saved.lock().unwrap_or_else(PoisonError::into_inner) = Some(path);
    Ok(Saved {
        path: shown,
        rows,
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use gitlab_onboard::keychain::Keychain;
    use gitlab_onboard::upload::UploadPolicy;
    use gitlab_sim::{Simulator, World, tokens};
    use serde_json::{Value, json};
    use tauri::test::MockRuntime;
    use tauri::{App, Manager};

    use crate::mock_ipc;
    use crate::state::KeychainChoice;

    use super::*;

    const DOMAIN: &str = "corp.example";

    /// The app on the mock runtime, signed in to a demo simulator with an `api` token.
    struct Fixture {
        sim: Simulator,
        _app: App<MockRuntime>,
        window: WebviewWindow<MockRuntime>,
        dir: tempfile::TempDir,
    }

    impl Fixture {
        fn signed_in(detect: bool) -> Self {
            Self::with_policy(detect, UploadPolicy::default())
        }

        fn with_policy(detect: bool, policy: UploadPolicy) -> Self {
            let sim = tauri::async_runtime::block_on(Simulator::start(World::demo())).unwrap();
            let state = AppState::new(
                KeychainChoice::Memory(Keychain::in_memory(), "in memory".into()),
                None,
            );
            let (app, window) = mock_ipc::window(state);
            app.manage(policy);
            let f = Fixture {
                sim,
                _app: app,
                window,
                dir: tempfile::tempdir().unwrap(),
            };
            f.invoke(
                "sign_in",
                json!({ "url": f.sim.url(), "token": tokens::API }),
            )
            .unwrap();
            if detect {
                f.invoke(
                    "detect_scopes",
                    json!({ "refresh": false, "onProgress": "__CHANNEL__:7" }),
                )
                .unwrap();
            }
            f
        }

        fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
            mock_ipc::invoke(&self.window, cmd, args)
        }

        fn build(&self, request: Value) -> Result<Value, Value> {
            self.invoke(
                "users_build",
                json!({ "request": request, "onProgress": "__CHANNEL__:8" }),
            )
        }

        fn rows(&self, filter: Value) -> Value {
            self.invoke(
                "users_rows",
                json!({ "filter": filter, "start": 0, "count": MAX_PAGE }),
            )
            .unwrap()
        }

        fn file(&self, name: &str, content: &str) -> String {
            let path = self.dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            path.display().to_string()
        }

        /// What a dialog answering `path` gives the window: a handle.
        fn choose(&self, purpose: Purpose, path: impl Into<PathBuf>) -> u64 {
            self.window
                .state::<UsersState>()
                .chosen
                .keep(purpose, path.into())
                .handle
        }

        /// An export that gives `first.idp@corp.example` to `username`, found by login: its handle.
        fn idp_export(&self, username: &str) -> u64 {
            let path = self.file(
                "okta.csv",
                &format!("login,email\n{username},first.idp@{DOMAIN}\n"),
            );
            self.choose(Purpose::Idp, path)
        }

        fn save(
            &self,
            path: impl Into<PathBuf>,
            header: bool,
            overwrite: bool,
        ) -> Result<Value, Value> {
            let file = self.choose(Purpose::Save, path);
            self.invoke(
                "users_save",
                json!({ "file": file, "header": header, "overwrite": overwrite }),
            )
        }
    }

    fn ids_and_emails(page: &Value) -> Vec<(u64, Option<String>)> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_u64().unwrap(),
                    r["email"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn build_filter_edit_and_save_over_ipc() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        let guessed = f.rows(json!({ "source": "guessed" }));
        let idp_user = guessed["rows"][0]["username"].as_str().unwrap().to_owned();
        let idp = f.idp_export(&idp_user);
        let summary = f
            .build(json!({ "idp": idp, "email_domain": format!("@{DOMAIN}") }))
            .unwrap();
        let counts = &summary["counts"];
        assert_eq!(
            counts["unresolved"], 0,
            "the domain covers everyone: {summary}"
        );
        assert_eq!(counts["by_source"]["identity_provider"], 1, "{summary}");
        assert_eq!(summary["written"], counts["total"]);

        let from_idp = f.rows(json!({ "source": "identity_provider" }));
        assert_eq!(from_idp["total"], 1);
        assert_eq!(from_idp["rows"][0]["username"], idp_user.as_str());
        assert_eq!(
            from_idp["rows"][0]["email"],
            format!("first.idp@{DOMAIN}").as_str()
        );

        let guessed = f.rows(json!({ "source": "guessed" }));
        let target = guessed["rows"][0].clone();
        let id = target["id"].as_u64().unwrap();
        let err = f
            .invoke("users_edit", json!({ "id": id, "email": "not an email" }))
            .unwrap_err();
        assert_eq!(err["code"], "invalid_input");
        assert!(
            err["message"].as_str().unwrap().contains("'not an email'"),
            "{err}"
        );
        let edited = f
            .invoke(
                "users_edit",
                json!({ "id": id, "email": "kim@other.example" }),
            )
            .unwrap();
        assert_eq!(edited["row"]["source"], "edited");
        assert_eq!(edited["summary"]["counts"]["by_source"]["edited"], 1);
        let search = f.rows(json!({ "search": "KIM@other" }));
        assert_eq!(
            ids_and_emails(&search),
            [(id, Some("kim@other.example".into()))]
        );

        let all = f.rows(json!({}));
        assert_eq!(all["total"], counts["total"]);
        let expected: String = ids_and_emails(&all)
            .into_iter()
            .map(|(id, email)| format!("{id},{}\n", email.unwrap()))
            .collect();
        let out = f.dir.path().join("mapping.csv");
        let saved = f.save(&out, false, false).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), expected);
        assert_eq!(saved["rows"], counts["total"]);
        assert_eq!(saved["bytes"], expected.len());
        assert!(
            expected
                .lines()
                .any(|l| l == format!("{id},kim@other.example")),
            "{expected}"
        );
    }

    #[test]
    fn the_window_asks_before_replacing_a_file() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        let out = f.file("mapping.csv", "previous\n");
        let err = f.save(&out, true, false).unwrap_err();
        assert_eq!(err["code"], "file_exists");
        assert!(err["message"].as_str().unwrap().contains(&out), "{err}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous\n");

        f.save(&out, true, true).unwrap();
        let written = std::fs::read_to_string(&out).unwrap();
        assert!(written.starts_with("user_id,email\n"), "{written}");
        assert_eq!(
            std::fs::read_dir(f.dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn a_failed_write_names_the_file_and_keeps_nothing_half_written() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        let dir = f.dir.path().join("a-folder");
        std::fs::create_dir(&dir).unwrap();
        let err = f.save(&dir, false, true).unwrap_err();
        assert_eq!(err["code"], "output_file");
        assert!(
            err["message"].as_str().unwrap().contains("a-folder"),
            "{err}"
        );
        assert!(dir.is_dir());
        assert_eq!(std::fs::read_dir(f.dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn bad_input_names_the_file_and_line_and_keeps_the_mapping_and_its_edits() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        let first = f.rows(json!({}))["rows"][0]["id"].as_u64().unwrap();
        f.invoke(
            "users_edit",
            json!({ "id": first, "email": "kept@other.example" }),
        )
        .unwrap();

        let bad = f.file(
            "export.csv",
            "login,email\nkim,kim@corp.example\n\"lee,lee@corp.example\n",
        );
        let handle = f.choose(Purpose::Idp, &bad);
        let err = f
            .build(json!({ "idp": handle, "email_domain": DOMAIN }))
            .unwrap_err();
        assert_eq!(err["code"], "idp_file");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{bad}:3:")),
            "{err}"
        );
        let no_email = f.file("users.csv", "login,phone\nkim,123\n");
        let handle = f.choose(Purpose::Idp, &no_email);
        let err = f.build(json!({ "idp": handle })).unwrap_err();
        let message = err["message"].as_str().unwrap();
        assert!(message.contains("Email column in the window"), "{err}");
        let err = f
            .build(json!({ "email_domain": "not a domain" }))
            .unwrap_err();
        assert_eq!(err["code"], "invalid_input");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("Email domain:"),
            "{err}"
        );

        let edited = f.rows(json!({ "source": "edited" }));
        assert_eq!(
            ids_and_emails(&edited),
            [(first, Some("kept@other.example".into()))]
        );
        // A new build keeps the edit, too.
        let summary = f.build(json!({})).unwrap();
        assert_eq!(summary["counts"]["by_source"]["edited"], 1, "{summary}");
        assert_eq!(f.invoke("users_summary", json!({})).unwrap(), summary);
    }

    #[test]
    fn users_before_scopes_or_before_a_build_says_what_to_do() {
        let f = Fixture::signed_in(false);
        let err = f.build(json!({ "email_domain": DOMAIN })).unwrap_err();
        assert_eq!(
            err,
            serde_json::to_value(CommandError::no_report()).unwrap()
        );
        assert_eq!(f.invoke("users_summary", json!({})), Ok(Value::Null));
        let err = f
            .invoke(
                "users_rows",
                json!({ "filter": {}, "start": 0, "count": 10 }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "no_mapping");
    }

    #[test]
    fn a_new_sign_in_forgets_the_mapping() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        // The same token again keeps it.
        let again = f.invoke(
            "sign_in",
            json!({ "url": f.sim.url(), "token": tokens::API }),
        );
        assert_eq!(again.unwrap()["kept"], true);
        assert_ne!(f.invoke("users_summary", json!({})), Ok(Value::Null));
        f.invoke(
            "sign_in",
            json!({ "url": f.sim.url(), "token": tokens::READ_ONLY }),
        )
        .unwrap();
        assert_eq!(f.invoke("users_summary", json!({})), Ok(Value::Null));
        let err = f
            .save(f.dir.path().join("x.csv"), false, false)
            .unwrap_err();
        assert_eq!(err["code"], "no_mapping");
    }

    /// A signing date in the future: the URL has not expired, whenever the test runs.
    const FUTURE: &str = "20990101T000000Z";

    /// A listener nobody should reach: true if something connected.
    fn reached(listener: &std::net::TcpListener) -> bool {
        listener.set_nonblocking(true).unwrap();
        listener.accept().is_ok()
    }

    fn upload(f: &Fixture, target: Value) -> Result<Value, Value> {
        f.invoke(
            "users_upload",
            json!({ "target": target, "onProgress": "__CHANNEL__:9" }),
        )
    }

    #[test]
    fn an_upload_goes_only_to_google_or_the_configured_endpoint_and_nothing_is_sent_elsewhere() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        f.save(f.dir.path().join("mapping.csv"), false, false)
            .unwrap();
        let elsewhere = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = elsewhere.local_addr().unwrap().port();
        let date = FUTURE;
        for url in [
            format!(
                "http://127.0.0.1:{port}/b/o?X-Goog-Date={date}&X-Goog-Expires=900&X-Goog-Signature=1"
            ),
            format!(
                "https://attacker.example/b/o?X-Goog-Date={date}&X-Goog-Expires=900&X-Goog-Signature=1"
            ),
            format!(
                "https://storage.googleapis.com.attacker.example/b/o?X-Goog-Date={date}&X-Goog-Expires=900&X-Goog-Signature=1"
            ),
        ] {
            let err = upload(&f, json!({ "kind": "signed_url", "url": url })).unwrap_err();
            assert_eq!(err["code"], "upload_target_refused", "{url}: {err}");
            assert!(
                err["message"]
                    .as_str()
                    .unwrap()
                    .contains("GITLAB_ONBOARD_STORAGE_URL"),
                "{err}"
            );
        }
        // A key whose token_uri points elsewhere is refused before its key is ever used.
        let key = f.file(
            "key.json",
            &json!({
                "type": "service_account",
                "private_key": include_str!("../../tests/fixtures/upload/throwaway-test-key.pem"),
                "client_email": "u@p.iam.gserviceaccount.com",
                "token_uri": format!("http://127.0.0.1:{port}/token"),
            })
            .to_string(),
        );
        let key = f.choose(Purpose::Key, key);
        let err = upload(
            &f,
            json!({ "kind": "service_account", "bucket": "mappings", "object": "u.csv", "key": key }),
        )
        .unwrap_err();
        assert_eq!(err["code"], "upload_target_refused", "{err}");
        assert!(!reached(&elsewhere), "nothing was sent");

        // The endpoint the admin configured before start-up is allowed (here it answers
        // nothing a GCS would, so the upload fails after connecting).
        let policy = UploadPolicy::new(Some(&format!("http://127.0.0.1:{port}")), None).unwrap();
        let g = Fixture::with_policy(true, policy);
        g.build(json!({ "email_domain": DOMAIN })).unwrap();
        g.save(g.dir.path().join("mapping.csv"), false, false)
            .unwrap();
        let url = format!(
            "http://127.0.0.1:{port}/b/o?X-Goog-Date={date}&X-Goog-Expires=900&X-Goog-Signature=1"
        );
        let accept = std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while std::time::Instant::now() < deadline {
                if let Ok((stream, _)) = elsewhere.accept() {
                    drop(stream);
                    return true;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            false
        });
        let err = upload(&g, json!({ "kind": "signed_url", "url": url })).unwrap_err();
        assert_ne!(err["code"], "upload_target_refused", "{err}");
        assert!(
            accept.join().unwrap(),
            "the configured endpoint was reached"
        );
    }

    #[test]
    fn paths_and_endpoints_from_the_web_view_are_refused() {
        let f = Fixture::signed_in(true);
        let secret = f.file("secret.csv", "login,email\nkim,kim@corp.example\n");
        // A path where a handle belongs: refused by name, nothing read.
        let err = f.build(json!({ "idp_path": secret })).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `idp_path`"),
            "{err}"
        );
        // A handle never given, or given for another purpose.
        let save = f.choose(Purpose::Save, f.dir.path().join("out.csv"));
        for handle in [save, 12_345] {
            let err = f.build(json!({ "idp": handle })).unwrap_err();
            assert_eq!(err["code"], "invalid_input", "{err}");
            assert!(
                err["message"].as_str().unwrap().contains("choose it again"),
                "{err}"
            );
        }
        // Save takes no path: only a save dialog's handle.
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        let target = f.dir.path().join("written-by-the-web-view.csv");
        let err = f
            .invoke(
                "users_save",
                json!({ "path": target, "header": false, "overwrite": true }),
            )
            .unwrap_err();
        assert!(err.to_string().contains("file"), "{err}");
        let idp = f.choose(Purpose::Idp, &target);
        let err = f
            .invoke(
                "users_save",
                json!({ "file": idp, "header": false, "overwrite": true }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "invalid_input", "{err}");
        assert!(!target.exists(), "nothing written where the web view said");

        // Upload: no path, no key path, no storage endpoint from the web view.
        let err = upload(
            &f,
            json!({ "kind": "service_account", "bucket": "mappings", "object": "u.csv",
                    "key_path": secret, "storage_url": "http://127.0.0.1:1" }),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{err}");
        let url = format!(
            "https://storage.googleapis.com/b/o?X-Goog-Date={FUTURE}&X-Goog-Expires=900&X-Goog-Signature=1"
        );
        let err = f
            .invoke(
                "users_upload",
                json!({ "path": secret, "target": { "kind": "signed_url", "url": url },
                        "onProgress": "__CHANNEL__:9" }),
            )
            .unwrap_err();
        assert_eq!(
            err["code"], "nothing_saved",
            "the web view's path is not read: {err}"
        );
    }

    #[test]
    fn an_edit_with_a_formula_is_refused_and_says_why() {
        let f = Fixture::signed_in(true);
        f.build(json!({ "email_domain": DOMAIN })).unwrap();
        let id = f.rows(json!({}))["rows"][0]["id"].as_u64().unwrap();
        let err = f
            .invoke(
                "users_edit",
                json!({ "id": id, "email": "=HYPERLINK(\"http://x.example\")@corp.example" }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "invalid_input");
        assert!(
            err["message"].as_str().unwrap().contains("starts with '='"),
            "{err}"
        );
    }
}

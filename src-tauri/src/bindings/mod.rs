//! The window's TypeScript types, generated from the Rust ones with ts-rs: what every command
//! takes and answers, what streams over its progress channel, and the error it rejects with.
//! They are checked in under `ui/src/lib/bindings/` (one file per type, and `index.ts`), and
//! `ui/src/lib/types.ts` re-exports them.
//!
//! [`bindings_are_fresh`] regenerates them into a temporary directory and fails when the
//! checked-in files differ; with `UPDATE_BINDINGS=1` it rewrites them instead. A plain
//! `cargo test` never writes into the tree: no type carries `#[ts(export)]`.
//!
//! The wrappers in `ui/src/lib/api.ts` (command names and argument keys) are functions, which
//! ts-rs does not make: [`commands`] checks them against the commands' Rust signatures.
//!
//! `u64` and `usize` become `number`: serde_json sends them as JSON numbers, which the window
//! parses into `number` (IDs and counts stay far below 2^53).

mod commands;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gitlab_onboard::scopes::{DetectProgress, TokenReport};
use gitlab_onboard::upload::Uploaded;
use gitlab_onboard::users::BuildProgress;
use gitlab_onboard::webhooks::{Action, Check, ProjectCheck, ProjectOutcome, RunProgress};
use ts_rs::{Config, TS};

use crate::error::CommandError;
use crate::health::{Health, TokenRotated};
use crate::resume::{Loaded, Resume};
use crate::state::{AppInfo, SignedIn};
use crate::users::upload::{UploadProgress, UploadTarget};
use crate::users::{BuildRequest, ChosenFile, Edited, Filter, Page, Saved, Summary};
use crate::webhooks::{
    ExportFormat, Exported, GeneratedSecret, HookRequest, RunReport, SecretStatus, VerifyReport,
};
use gitlab_onboard::status::onboarded::Onboarded;
use gitlab_onboard::webhooks::remove::{Removal, Target};

/// The environment variable that makes [`bindings_are_fresh`] rewrite the checked-in files.
const UPDATE_ENV: &str = "UPDATE_BINDINGS";

/// The command that updates the checked-in files.
const UPDATE_COMMAND: &str = "UPDATE_BINDINGS=1 cargo test -p gitlab-onboard-app --lib bindings";

/// Where the bindings are checked in.
fn checked_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings")
}

/// Calls macro `$m` with every type the window sends or receives (those they use follow).
macro_rules! roots {
    ($m:ident) => {
        $m!(
            // Every command's error.
            CommandError,
            // Steps 1 and 2.
            AppInfo,
            SignedIn,
            DetectProgress,
            TokenReport,
            // Step 3 (`HookAction` and `HookCheck` are flattened into the outcomes; exported too).
            Action,
            Check,
            ProjectOutcome,
            ProjectCheck,
            SecretStatus,
            GeneratedSecret,
            HookRequest,
            RunProgress<ProjectOutcome>,
            RunProgress<ProjectCheck>,
            RunReport,
            VerifyReport,
            ExportFormat,
            Exported,
            // Step 4.
            ChosenFile,
            BuildRequest,
            BuildProgress,
            Summary,
            Filter,
            Page,
            Edited,
            Saved,
            UploadTarget,
            UploadProgress,
            Uploaded,
            // Kept between runs.
            Resume,
            Loaded,
            // Day two: Health, removal, rotation.
            Health,
            Onboarded,
            TokenRotated,
            Removal,
            Target,
            RunProgress<Target>,
        )
    };
}

/// The generator's settings: `u64` and `usize` as `number`, into `dir`.
fn config(dir: &Path) -> Config {
    Config::new().with_large_int("number").with_out_dir(dir)
}

/// The TypeScript name of each root type, by its Rust name (the path's last segment).
pub fn ts_names() -> BTreeMap<String, String> {
    let cfg = config(Path::new("."));
    let mut names = BTreeMap::new();
    macro_rules! name {
        ($($t:ty),* $(,)?) => {
            $(
                let rust = std::any::type_name::<$t>();
                let rust = rust.split('<').next().unwrap_or(rust);
                let rust = rust.rsplit("::").next().unwrap_or(rust);
                names.insert(rust.to_owned(), <$t>::ident(&cfg));
            )*
        };
    }
    roots!(name);
    names
}

/// Writes every type the window sends or receives, and the types they use, into `dir`, with an
/// `index.ts` that re-exports them all.
fn export(dir: &Path) -> Result<(), String> {
    let cfg = config(dir);
    macro_rules! export {
        ($($t:ty),* $(,)?) => {
            $( <$t>::export_all(&cfg).map_err(|e| format!("{}: {e}", stringify!($t)))?; )*
        };
    }
    roots!(export);
    let mut index = String::from(
        "// Generated from the Rust types by the test `bindings_are_fresh`. Do not edit.\n",
    );
    for (name, text) in read(dir)? {
        // ts-rs leaves a space at the end of some lines, which editors strip on save.
        let trimmed: String = text
            .lines()
            .map(|l| format!("{}\n", l.trim_end()))
            .collect();
        std::fs::write(dir.join(&name), trimmed).map_err(|e| format!("{name}: {e}"))?;
        let module = name.trim_end_matches(".ts");
        index.push_str(&format!("export type * from './{module}';\n"));
    }
    std::fs::write(dir.join("index.ts"), index).map_err(|e| format!("index.ts: {e}"))
}

/// The `.ts` files of `dir`, by name.
fn read(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(".ts") {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{name}: {e}"))?;
            files.insert(name.to_owned(), text);
        }
    }
    Ok(files)
}

/// What differs between the generated files and the checked-in ones, one line each.
fn differences(
    generated: &BTreeMap<String, String>,
    checked_in: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, text) in generated {
        match checked_in.get(name) {
            None => lines.push(format!("{name}: missing")),
            Some(old) if old != text => lines.push(format!("{name}: differs")),
            Some(_) => {}
        }
    }
    for name in checked_in.keys().filter(|n| !generated.contains_key(*n)) {
        lines.push(format!("{name}: no Rust type makes it any more"));
    }
    lines
}

#[test]
fn bindings_are_fresh() {
    let temp = tempfile::tempdir().unwrap();
    export(temp.path()).unwrap();
    let generated = read(temp.path()).unwrap();
    let dir = checked_in();
    if std::env::var_os(UPDATE_ENV).is_some_and(|v| v == "1") {
        for name in read(&dir).unwrap().keys() {
            std::fs::remove_file(dir.join(name)).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    let stale = differences(&generated, &read(&dir).unwrap());
    assert!(
        stale.is_empty(),
        "the TypeScript bindings in ui/src/lib/bindings/ are stale (run `{UPDATE_COMMAND}` to update):\n{}",
        stale.join("\n")
    );
}

#[test]
fn differences_names_missing_changed_and_extra_files() {
    let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let generated = map(&[("A.ts", "a"), ("B.ts", "b"), ("C.ts", "c")]);
    let checked_in = map(&[("B.ts", "b"), ("C.ts", "old"), ("D.ts", "d")]);
    assert_eq!(
        differences(&generated, &checked_in),
        [
            "A.ts: missing",
            "C.ts: differs",
            "D.ts: no Rust type makes it any more"
        ]
    );
    assert!(differences(&generated, &generated).is_empty());
}

/// Each key serde writes for `value` is declared in `T`'s TypeScript type (a tag with its
/// value): the check where ts-rs and serde could part ways, flattened internally tagged enums.
fn assert_declared<T: TS + serde::Serialize + 'static>(value: &T) {
    let decl = T::decl(&config(Path::new(".")));
    let json = serde_json::to_value(value).unwrap();
    for (key, v) in json.as_object().unwrap() {
        let declared = match v {
            serde_json::Value::String(tag) => {
                decl.contains(&format!("\"{key}\": \"{tag}\""))
                    || decl.contains(&format!("{key}: string"))
            }
            _ => decl.contains(&format!("{key}: ")),
        };
        assert!(declared, "{key} ({v}) is not in {decl}");
    }
}

#[test]
fn flattened_tagged_types_declare_what_serde_writes() {
    let outcome = |action| ProjectOutcome {
        project_id: 1,
        path: "a/b".into(),
        hooks_url: "https://gitlab.example/a/b/-/hooks".into(),
        action,
        hook_id: Some(2),
        duplicates: vec![3],
        disabled: None,
        removed: Vec::new(),
    };
    assert_declared(&outcome(Action::Failed {
        message: "m".into(),
        code: "c".into(),
    }));
    assert_declared(&outcome(Action::Covered { group: "a".into() }));
    assert_declared(&ProjectCheck {
        project_id: 1,
        path: "a/b".into(),
        hooks_url: "https://gitlab.example/a/b/-/hooks".into(),
        check: Check::Unknown { reason: "r".into() },
        hook_id: None,
        duplicates: vec![],
        test_delivery: None,
        covered_by: Some("a".into()),
        disabled: Some("temporarily_disabled".into()),
    });
}

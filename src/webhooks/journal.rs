//! The apply journal: one JSON line per finished project, appended as each finishes, so an
//! interrupted apply resumes where it stopped without redoing finished projects.
//!
//! A journal belongs to one run: its file is named by the instance, the hook spec and the
//! [`RunOptions`] (`apply-<instance>-<run>.jsonl`, both hashed), and its first line proves the secret (an
//! HMAC with the fingerprint key, see [`FingerprintKey`]), so only the same command resumes it. It is opened only under the data
//! directory's [`RunLock`], so two runs never share one. Starting a run on an instance removes
//! that instance's journals of other specs: the new run may change the hooks they recorded, so
//! they could no longer be trusted. A torn last line (a crash mid-write) is ignored. A
//! completed run removes its journal.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::fingerprints::FingerprintKey;
use super::{Action, HookSpec, ProjectOutcome};
use crate::files::{self, RunLock};

/// What shapes an apply's result besides the hook spec. A journal is resumed only by a run
/// with the same options: a run with group hooks may remove project hooks that a plain run
/// recorded as done, and the other way round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Full paths of the groups asked to carry one hook each, in any order.
    pub group_hooks: Vec<String>,
    /// Whether further hooks of ours are deleted.
    pub prune_duplicates: bool,
}

/// The first line of a journal.
#[derive(Serialize, Deserialize)]
struct Header {
    salt: String,
    run: String,
}

/// An open apply journal.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    done: HashMap<u64, ProjectOutcome>,
    file: Mutex<std::fs::File>,
}

impl Journal {
    /// Opens this run's journal in the locked data directory, keeping what an interrupted run
    /// with the same instance, spec and options finished, or starting afresh.
    pub fn open(
        lock: &RunLock,
        instance: &str,
        spec: &HookSpec,
        options: &RunOptions,
        key: &FingerprintKey,
    ) -> std::io::Result<Self> {
        let dir = lock.dir();
        files::private_dir(dir)?;
        let name = format!(
            "{}{}.jsonl",
            prefix(instance),
            &hex_sha256(&spec_parts(instance, spec, options))[..32]
        );
        let path = dir.join(&name);
        // Journals of other specs on this instance: this run may change what they recorded.
        remove_journals(dir, instance, Some(&name))?;
        let mut done = HashMap::new();
        let mut header = None;
        if let Ok(f) = std::fs::File::open(&path) {
            let mut lines = std::io::BufReader::new(f).lines();
            if let Some(Ok(first)) = lines.next()
                && let Ok(h) = serde_json::from_str::<Header>(&first)
                && key.verify(&run_parts(&h.salt, instance, spec, options), &h.run)
            {
                for line in lines.map_while(Result::ok) {
                    if let Ok(o) = serde_json::from_str::<ProjectOutcome>(&line) {
                        done.insert(o.project_id, o);
                    }
                }
                header = Some(h);
            }
        }
        let file = if header.is_some() {
            std::fs::OpenOptions::new().append(true).open(&path)?
        } else {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let salt = super::generate_secret().expose()[..32].to_owned();
            let h = Header {
                run: key.tag(&run_parts(&salt, instance, spec, options)),
                salt,
            };
            let mut f = files::create_private(&path)?;
            writeln!(f, "{}", serde_json::to_string(&h).expect("serializes"))?;
            f.sync_all()?;
            files::sync_dir(dir)?;
            f
        };
        Ok(Self {
            path,
            done,
            file: Mutex::new(file),
        })
    }

    /// Removes every apply journal of `instance` in the locked data directory (a removal of
    /// the crawler's hooks, or a logout, makes what they recorded untrue); returns how many.
    pub fn discard(lock: &RunLock, instance: &str) -> std::io::Result<usize> {
        remove_journals(lock.dir(), instance, None)
    }

    /// What an earlier, interrupted run finished for this project.
    pub fn done(&self, project: u64) -> Option<&ProjectOutcome> {
        self.done.get(&project)
    }

    /// Projects an earlier run finished.
    pub fn resumed(&self) -> usize {
        self.done.len()
    }

    /// Records a finished project (failed ones are tried again next time, so not recorded).
    pub fn record(&self, outcome: &ProjectOutcome) -> std::io::Result<()> {
        if matches!(outcome.action, Action::Failed { .. }) {
            return Ok(());
        }
        let mut line = serde_json::to_string(outcome).expect("serializes");
        line.push('\n');
        let mut f = self.file.lock().unwrap_or_else(|e| e.into_inner());
        f.write_all(line.as_bytes())?;
        f.sync_data()
    }

    /// The run completed: the journal is no longer needed.
    pub fn finish(self) -> std::io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

/// The start of the names of an instance's journals.
fn prefix(instance: &str) -> String {
    format!("apply-{}-", &hex_sha256(&[instance])[..16])
}

/// Removes `instance`'s journals in `dir` but `keep`; returns how many. A directory not made
/// yet has none.
fn remove_journals(
    dir: &std::path::Path,
    instance: &str,
    keep: Option<&str>,
) -> std::io::Result<usize> {
    let prefix = prefix(instance);
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".jsonl") && Some(name.as_str()) != keep {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// The instance and the spec without its secret: what names a run's journal.
fn spec_parts<'a>(instance: &'a str, spec: &'a HookSpec, options: &'a RunOptions) -> Vec<&'a str> {
    let mut parts = vec![instance, spec.url.as_str()];
    for (field, _, on) in spec.triggers.fields() {
        parts.push(field);
        parts.push(if on { "1" } else { "0" });
    }
    parts.push(if options.prune_duplicates {
        "prune"
    } else {
        "keep"
    });
    let mut groups: Vec<&str> = options
        .group_hooks
        .iter()
        .map(|g| g.trim_matches('/'))
        .collect();
    groups.sort_unstable();
    groups.dedup();
    parts.push("group-hooks");
    parts.extend(groups);
    parts
}

fn hex_sha256(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What the first line's HMAC covers: a random salt, the secret, the instance and the spec.
fn run_parts<'a>(
    salt: &'a str,
    instance: &'a str,
    spec: &'a HookSpec,
    options: &'a RunOptions,
) -> Vec<&'a str> {
    let mut parts = vec![salt, spec.secret.expose()];
    parts.extend(spec_parts(instance, spec, options));
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::webhooks::{EventUrl, Triggers};

    fn spec(secret: &str) -> HookSpec {
        HookSpec {
            url: EventUrl::parse("https://c.example.com/e").unwrap(),
            triggers: Triggers::default(),
            secret: Secret::new(secret),
        }
    }

    fn outcome(id: u64, action: Action) -> ProjectOutcome {
        ProjectOutcome {
            project_id: id,
            path: format!("g/p{id}"),
            hooks_url: String::new(),
            action,
            hook_id: Some(id),
            duplicates: vec![],
            disabled: None,
            removed: Vec::new(),
        }
    }

    /// The journal files in a directory.
    fn journals(dir: &std::path::Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
            .collect()
    }

    #[test]
    fn resumes_the_same_run_only() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let key = FingerprintKey::generate();
        let j =
            Journal::open(&lock, "https://g", &spec("s"), &RunOptions::default(), &key).unwrap();
        j.record(&outcome(1, Action::Create)).unwrap();
        j.record(&outcome(
            2,
            Action::Failed {
                message: "x".into(),
                code: "server_error".into(),
            },
        ))
        .unwrap();
        drop(j);
        // A torn last line from a crash.
        let [path] = journals(dir.path()).try_into().unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"project_id\":3,")
            .unwrap();

        let j =
            Journal::open(&lock, "https://g", &spec("s"), &RunOptions::default(), &key).unwrap();
        assert_eq!(j.resumed(), 1);
        assert_eq!(j.done(1).unwrap().action, Action::Create);
        assert!(j.done(2).is_none(), "failed projects are tried again");
        drop(j);
        let other = Journal::open(
            &lock,
            "https://g",
            &spec("another secret"),
            &RunOptions::default(),
            &key,
        )
        .unwrap();
        assert_eq!(other.resumed(), 0, "another secret starts afresh");
        other.finish().unwrap();
        assert!(journals(dir.path()).is_empty());
    }

    #[test]
    fn discard_removes_one_instances_journals_only() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let key = FingerprintKey::generate();
        let options = RunOptions::default();
        drop(Journal::open(&lock, "https://g", &spec("s"), &options, &key).unwrap());
        drop(Journal::open(&lock, "https://h", &spec("s"), &options, &key).unwrap());
        std::fs::write(dir.path().join("notes.jsonl"), b"keep").unwrap();
        assert_eq!(Journal::discard(&lock, "https://g").unwrap(), 1);
        assert_eq!(Journal::discard(&lock, "https://g").unwrap(), 0);
        assert_eq!(
            journals(dir.path()).len(),
            2,
            "https://h's and a file not ours"
        );
        let resumed = Journal::open(&lock, "https://h", &spec("s"), &options, &key).unwrap();
        assert_eq!(
            journals(dir.path()).len(),
            2,
            "https://h's journal was kept"
        );
        drop(resumed);
    }

    #[test]
    fn one_journal_per_run_and_another_spec_retires_it() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let key = FingerprintKey::generate();
        let mut tagged = spec("s");
        tagged.triggers.tag_push = true;
        let a =
            Journal::open(&lock, "https://g", &spec("s"), &RunOptions::default(), &key).unwrap();
        a.record(&outcome(1, Action::Create)).unwrap();
        drop(a);
        let elsewhere = Journal::open(
            &lock,
            "https://other",
            &spec("s"),
            &RunOptions::default(),
            &key,
        )
        .unwrap();
        elsewhere.record(&outcome(9, Action::Create)).unwrap();
        drop(elsewhere);
        assert_eq!(journals(dir.path()).len(), 2, "one file per run");

        // Another spec on the same instance may rewrite what run A recorded: A starts afresh.
        let b = Journal::open(&lock, "https://g", &tagged, &RunOptions::default(), &key).unwrap();
        assert_eq!(b.resumed(), 0);
        b.record(&outcome(2, Action::Create)).unwrap();
        drop(b);
        assert_eq!(journals(dir.path()).len(), 2);
        let a =
            Journal::open(&lock, "https://g", &spec("s"), &RunOptions::default(), &key).unwrap();
        assert_eq!(a.resumed(), 0, "retired by run B");
        drop(a);
        let b = Journal::open(&lock, "https://g", &tagged, &RunOptions::default(), &key).unwrap();
        assert_eq!(b.resumed(), 0, "retired by run A again");
        drop(b);
        let elsewhere = Journal::open(
            &lock,
            "https://other",
            &spec("s"),
            &RunOptions::default(),
            &key,
        )
        .unwrap();
        assert_eq!(elsewhere.resumed(), 1, "another instance's journal is kept");
    }

    #[test]
    fn group_hooks_or_pruning_make_another_run() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let key = FingerprintKey::generate();
        let plain = RunOptions::default();
        let grouped = RunOptions {
            group_hooks: vec!["acme/".into(), "beta".into()],
            prune_duplicates: false,
        };
        let same_groups = RunOptions {
            group_hooks: vec!["beta".into(), "acme".into()],
            prune_duplicates: false,
        };
        let pruning = RunOptions {
            prune_duplicates: true,
            ..RunOptions::default()
        };
        let a = Journal::open(&lock, "https://g", &spec("s"), &plain, &key).unwrap();
        a.record(&outcome(1, Action::Unchanged)).unwrap();
        drop(a);
        // A run with group hooks may remove the project hook run A recorded as unchanged.
        let b = Journal::open(&lock, "https://g", &spec("s"), &grouped, &key).unwrap();
        assert_eq!(b.resumed(), 0, "group hooks make another run");
        b.record(&outcome(2, Action::Create)).unwrap();
        drop(b);
        let b = Journal::open(&lock, "https://g", &spec("s"), &same_groups, &key).unwrap();
        assert_eq!(b.resumed(), 1, "the same groups in another order resume it");
        drop(b);
        let a = Journal::open(&lock, "https://g", &spec("s"), &plain, &key).unwrap();
        assert_eq!(a.resumed(), 0, "run A was retired by run B");
        drop(a);
        let c = Journal::open(&lock, "https://g", &spec("s"), &pruning, &key).unwrap();
        assert_eq!(c.resumed(), 0, "pruning makes another run");
    }

    #[test]
    fn never_holds_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        let key = FingerprintKey::generate();
        let j = Journal::open(
            &lock,
            "https://g",
            &spec("very-secret-value"),
            &RunOptions::default(),
            &key,
        )
        .unwrap();
        j.record(&outcome(1, Action::Unchanged)).unwrap();
        let [path] = journals(dir.path()).try_into().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("very-secret-value"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(&path).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
    }
}

//! The apply journal: one JSON line per finished project, appended as each finishes, so an
//! interrupted apply resumes where it stopped without redoing finished projects. The first line
//! names the run (instance and a salted hash of the hook spec); a journal for another run is
//! started afresh. A torn last line (a crash mid-write) is ignored. A completed run removes it.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Action, HookSpec, ProjectOutcome};

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
    /// Opens the journal in `dir` for this instance and spec, keeping what an interrupted run
    /// with the same instance and spec finished, or starting afresh.
    pub fn open(dir: &Path, instance: &str, spec: &HookSpec) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("apply-journal.jsonl");
        let mut done = HashMap::new();
        let mut header = None;
        if let Ok(f) = std::fs::File::open(&path) {
            let mut lines = std::io::BufReader::new(f).lines();
            if let Some(Ok(first)) = lines.next()
                && let Ok(h) = serde_json::from_str::<Header>(&first)
                && h.run == run_key(&h.salt, instance, spec)
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
            let salt = super::generate_secret().expose()[..32].to_owned();
            let h = Header {
                run: run_key(&salt, instance, spec),
                salt,
            };
            let mut f = std::fs::File::create(&path)?;
            writeln!(f, "{}", serde_json::to_string(&h).expect("serializes"))?;
            f.sync_all()?;
            f
        };
        Ok(Self {
            path,
            done,
            file: Mutex::new(file),
        })
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
        let mut f = self.file.lock().expect("journal lock");
        f.write_all(line.as_bytes())?;
        f.sync_data()
    }

    /// The run completed: the journal is no longer needed.
    pub fn finish(self) -> std::io::Result<()> {
        std::fs::remove_file(&self.path)
    }
}

fn run_key(salt: &str, instance: &str, spec: &HookSpec) -> String {
    let mut h = Sha256::new();
    for part in [salt, instance, spec.url.as_str(), spec.secret.expose()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    for (field, _, on) in spec.triggers.fields() {
        h.update(field.as_bytes());
        h.update([u8::from(on)]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
        }
    }

    #[test]
    fn resumes_the_same_run_only() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), "https://g", &spec("s")).unwrap();
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
        std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("apply-journal.jsonl"))
            .unwrap()
            .write_all(b"{\"project_id\":3,")
            .unwrap();

        let j = Journal::open(dir.path(), "https://g", &spec("s")).unwrap();
        assert_eq!(j.resumed(), 1);
        assert_eq!(j.done(1).unwrap().action, Action::Create);
        assert!(j.done(2).is_none(), "failed projects are tried again");
        drop(j);
        let other = Journal::open(dir.path(), "https://g", &spec("another secret")).unwrap();
        assert_eq!(other.resumed(), 0, "another spec starts afresh");
        other.finish().unwrap();
        assert!(!dir.path().join("apply-journal.jsonl").exists());
        let text = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(text, 0);
    }

    #[test]
    fn never_holds_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(dir.path(), "https://g", &spec("very-secret-value")).unwrap();
        j.record(&outcome(1, Action::Unchanged)).unwrap();
        let text = std::fs::read_to_string(dir.path().join("apply-journal.jsonl")).unwrap();
        assert!(!text.contains("very-secret-value"));
    }
}

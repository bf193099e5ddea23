//! Which hooks this tool set, with which secret: a salted SHA-256 fingerprint per hook (never
//! the secret), in the app's data directory. GitLab never returns a hook's secret, so this is
//! how a second run knows it has nothing to write.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// Why the fingerprint file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FingerprintError {
    /// Reading or writing failed.
    #[error("cannot use {path}: {detail}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct File {
    /// Random, per file: a fingerprint proves nothing about the secret elsewhere.
    salt: String,
    /// `"<instance>#<project>#<hook>"` → fingerprint.
    hooks: BTreeMap<String, String>,
}

/// The fingerprints of one data directory.
#[derive(Debug)]
pub struct Fingerprints {
    path: Option<PathBuf>,
    file: File,
}

impl Fingerprints {
    /// Loads `hooks.json` from a data directory (empty if absent).
    pub fn load(dir: &Path) -> Result<Self, FingerprintError> {
        let path = dir.join("hooks.json");
        let io = |e: std::io::Error| FingerprintError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let file = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| FingerprintError::Io {
                path: path.display().to_string(),
                detail: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File {
                salt: new_salt(),
                hooks: BTreeMap::new(),
            },
            Err(e) => return Err(io(e)),
        };
        Ok(Self {
            path: Some(path),
            file,
        })
    }

    /// A store that keeps nothing on disk (tests, and a dry plan).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            file: File {
                salt: new_salt(),
                hooks: BTreeMap::new(),
            },
        }
    }

    /// A copy to read from (a plan) that never writes to disk.
    pub fn snapshot(&self) -> Self {
        Self {
            path: None,
            file: self.file.clone(),
        }
    }

    /// True when this hook was set by this tool with this secret.
    pub fn matches(&self, instance: &str, project: u64, hook: u64, secret: &Secret) -> bool {
        self.file.hooks.get(&key(instance, project, hook)) == Some(&self.fingerprint(secret))
    }

    /// Records that this hook now carries this secret, and saves (atomically) at once.
    pub fn record(
        &mut self,
        instance: &str,
        project: u64,
        hook: u64,
        secret: &Secret,
    ) -> Result<(), FingerprintError> {
        let fp = self.fingerprint(secret);
        self.file.hooks.insert(key(instance, project, hook), fp);
        self.save()
    }

    /// Forgets a hook (it was deleted).
    pub fn forget(
        &mut self,
        instance: &str,
        project: u64,
        hook: u64,
    ) -> Result<(), FingerprintError> {
        self.file.hooks.remove(&key(instance, project, hook));
        self.save()
    }

    fn fingerprint(&self, secret: &Secret) -> String {
        let mut h = Sha256::new();
        h.update(self.file.salt.as_bytes());
        h.update(secret.expose().as_bytes());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn save(&self) -> Result<(), FingerprintError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let bytes = serde_json::to_vec_pretty(&self.file).expect("serializes");
        path.parent()
            .map_or(Ok(()), crate::files::private_dir)
            .and_then(|()| crate::files::write_atomically(path, &bytes))
            .map_err(|e| FingerprintError::Io {
                path: path.display().to_string(),
                detail: e.to_string(),
            })
    }
}

fn key(instance: &str, project: u64, hook: u64) -> String {
    format!("{instance}#{project}#{hook}")
}

fn new_salt() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_per_hook_and_survives_reload_without_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secret::new("s3cret-value");
        let mut f = Fingerprints::load(dir.path()).unwrap();
        assert!(!f.matches("https://g", 1, 10, &s));
        f.record("https://g", 1, 10, &s).unwrap();
        let again = Fingerprints::load(dir.path()).unwrap();
        assert!(again.matches("https://g", 1, 10, &s));
        assert!(!again.matches("https://g", 1, 10, &Secret::new("other")));
        assert!(!again.matches("https://g", 2, 10, &s));
        let text = std::fs::read_to_string(dir.path().join("hooks.json")).unwrap();
        assert!(!text.contains("s3cret-value"));
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_0600_in_a_0700_directory() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("data");
        let mut f = Fingerprints::load(&dir).unwrap();
        f.record("https://g", 1, 10, &Secret::new("s")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("hooks.json")), 0o600);
    }
}

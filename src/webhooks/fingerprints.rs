//! Which hooks this tool set, with which secret: an HMAC-SHA256 fingerprint per hook (never
//! the secret), in the app's data directory. GitLab never returns a hook's secret, so this is
//! how a second run knows it has nothing to write.
//!
//! The HMAC key is random, per instance, and kept in the OS keychain ([`FingerprintKey`]), so
//! the file alone cannot be used to guess a typed secret offline. Where there is no keychain
//! (CI, a headless server), `GITLAB_ONBOARD_FINGERPRINT_KEY` supplies the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::instance::GitLabUrl;
use crate::keychain::{Keychain, KeychainError};
use crate::secret::Secret;

/// The file's format: version 2 is HMAC-keyed. Files of older versions (salted SHA-256) are
/// read as empty and replaced on the next save: their hooks are rewritten once.
const VERSION: u32 = 2;

/// A fingerprint file larger than this is not ours (about 200 000 hooks fit in it).
const MAX_FILE: u64 = 32 * 1024 * 1024;

/// Why the fingerprints could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FingerprintError {
    /// Reading or writing failed.
    #[error(
        "cannot use the hook fingerprints {path}: {detail}. Check the data directory's permissions, or set GITLAB_ONBOARD_DATA_DIR"
    )]
    Io {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// The file is damaged and could not be set aside.
    #[error(
        "the hook fingerprints {path} are damaged ({detail}) and could not be set aside: move the file away (the next run starts afresh and rewrites each hook's secret once)"
    )]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
    /// No key to make fingerprints with.
    #[error(
        "no key for the hook fingerprints: {0}; start and unlock the OS keychain, or on a host without one set GITLAB_ONBOARD_FINGERPRINT_KEY to a private random value of 32 or more characters (e.g. `openssl rand -hex 32`), the same on every run"
    )]
    NoKey(String),
}

/// The HMAC key fingerprints are made with. Random and per instance; never written to a file.
#[derive(Clone)]
pub struct FingerprintKey(Secret);

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey([redacted])")
    }
}

impl FingerprintKey {
    /// The environment variable that supplies the key on hosts without a keychain. When set,
    /// the keychain is not asked for the key (so tests and CI leave no keychain entries).
    pub const ENV: &'static str = "GITLAB_ONBOARD_FINGERPRINT_KEY";

    /// Shortest key accepted from [`FingerprintKey::ENV`].
    pub const MIN_LEN: usize = 32;

    /// A fresh random key (32 bytes as 64 hex digits).
    pub fn generate() -> Self {
        Self(super::generate_secret())
    }

    /// The key for `instance`: from [`FingerprintKey::ENV`] when set, else from the keychain,
    /// where one is made and saved the first time.
    pub fn resolve(
        instance: &GitLabUrl,
        keychain: impl FnOnce() -> Result<Keychain, KeychainError>,
    ) -> Result<Self, FingerprintError> {
        Self::resolve_from(std::env::var(Self::ENV).ok(), instance, keychain)
    }

    /// [`FingerprintKey::resolve`] with the environment variable's value given.
    fn resolve_from(
        from_env: Option<String>,
        instance: &GitLabUrl,
        keychain: impl FnOnce() -> Result<Keychain, KeychainError>,
    ) -> Result<Self, FingerprintError> {
        match from_env {
            Some(value) => Self::from_text(&value),
            None => {
                let keychain = keychain().map_err(|e| FingerprintError::NoKey(e.to_string()))?;
                Self::in_keychain(&keychain, instance)
                    .map_err(|e| FingerprintError::NoKey(e.to_string()))
            }
        }
    }

    /// The key kept in `keychain` for `instance`, made and saved when there is none.
    pub fn in_keychain(keychain: &Keychain, instance: &GitLabUrl) -> Result<Self, KeychainError> {
        if let Some(key) = keychain.fingerprint_key(instance)? {
            return Ok(Self(key));
        }
        let key = Self::generate();
        keychain.store_fingerprint_key(instance, &key.0)?;
        Ok(key)
    }

    /// A key given as text (the environment variable); refuses one too short to resist guessing.
    fn from_text(value: &str) -> Result<Self, FingerprintError> {
        let value = value.trim();
        if value.chars().count() < Self::MIN_LEN {
            return Err(FingerprintError::NoKey(format!(
                "{} holds {} characters, fewer than {}",
                Self::ENV,
                value.chars().count(),
                Self::MIN_LEN
            )));
        }
        Ok(Self(Secret::new(value)))
    }

    /// The HMAC of `parts` (each ended by a zero byte), as hex.
    pub(crate) fn tag(&self, parts: &[&str]) -> String {
        self.mac_of(parts)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// True when `hex` is the HMAC of `parts` (compared in constant time).
    pub(crate) fn verify(&self, parts: &[&str], hex: &str) -> bool {
        decode_hex(hex).is_some_and(|tag| self.mac_of(parts).verify_slice(&tag).is_ok())
    }

    fn mac_of(&self, parts: &[&str]) -> Hmac<Sha256> {
        let mut mac = self.mac();
        for part in parts {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        mac
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(self.0.expose().as_bytes()).expect("HMAC takes any key")
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct File {
    /// [`VERSION`]; absent in the salted files of earlier versions.
    #[serde(default)]
    version: u32,
    /// `"<instance>#<project>#<hook>"` → fingerprint.
    hooks: BTreeMap<String, String>,
}

impl File {
    fn empty() -> Self {
        Self {
            version: VERSION,
            hooks: BTreeMap::new(),
        }
    }
}

/// The fingerprints of one data directory.
#[derive(Debug)]
pub struct Fingerprints {
    path: Option<PathBuf>,
    key: FingerprintKey,
    file: File,
    set_aside: Option<PathBuf>,
}

impl Fingerprints {
    /// The file's name in the data directory.
    pub const FILE: &'static str = "hooks.json";

    /// Loads `hooks.json` from a data directory (empty if absent). A damaged file is renamed
    /// to `hooks.json.corrupt-<unix time>` and the fingerprints start afresh: see
    /// [`Fingerprints::set_aside`].
    pub fn load(dir: &Path, key: FingerprintKey) -> Result<Self, FingerprintError> {
        let path = dir.join(Self::FILE);
        let io = |e: std::io::Error| FingerprintError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let (file, set_aside) = match read_file(&path).map_err(io)? {
            Stored::Parsed(f) if f.version == VERSION => (f, None),
            Stored::Parsed(_) | Stored::Absent => (File::empty(), None),
            Stored::Damaged(detail) => (File::empty(), Some(set_aside(&path, &detail)?)),
        };
        Ok(Self {
            path: Some(path),
            key,
            file,
            set_aside,
        })
    }

    /// A store that keeps nothing on disk (tests, and a dry plan).
    pub fn in_memory() -> Self {
        Self {
            path: None,
            key: FingerprintKey::generate(),
            file: File::empty(),
            set_aside: None,
        }
    }

    /// A copy to read from (a plan) that never writes to disk.
    pub fn snapshot(&self) -> Self {
        Self {
            path: None,
            key: self.key.clone(),
            file: self.file.clone(),
            set_aside: None,
        }
    }

    /// Where a damaged file was moved when this one was loaded (the caller warns the admin).
    pub fn set_aside(&self) -> Option<&Path> {
        self.set_aside.as_deref()
    }

    /// True when this hook was set by this tool with this secret.
    pub fn matches(&self, instance: &str, project: u64, hook: u64, secret: &Secret) -> bool {
        let key = key(instance, project, hook);
        self.file
            .hooks
            .get(&key)
            .is_some_and(|fp| self.key.verify(&[&key, secret.expose()], fp))
    }

    /// Records that this hook now carries this secret, and saves (atomically) at once.
    pub fn record(
        &mut self,
        instance: &str,
        project: u64,
        hook: u64,
        secret: &Secret,
    ) -> Result<(), FingerprintError> {
        let key = key(instance, project, hook);
        let fp = self.key.tag(&[&key, secret.expose()]);
        self.file.hooks.insert(key, fp);
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

    /// Removes every fingerprint of `instance` from the data directory's file, without the
    /// key (a logout may have none left); returns how many. No file: none. A damaged file is
    /// left as it is and reported.
    pub fn discard_instance(dir: &Path, instance: &str) -> Result<usize, FingerprintError> {
        let path = dir.join(Self::FILE);
        let mut file = match read_file(&path) {
            Ok(Stored::Absent) => return Ok(0),
            Ok(Stored::Parsed(file)) => file,
            Ok(Stored::Damaged(detail)) => {
                return Err(FingerprintError::Corrupt {
                    path: path.display().to_string(),
                    detail,
                });
            }
            Err(e) => {
                return Err(FingerprintError::Io {
                    path: path.display().to_string(),
                    detail: e.to_string(),
                });
            }
        };
        let prefix = format!("{instance}#");
        let before = file.hooks.len();
        file.hooks.retain(|k, _| !k.starts_with(&prefix));
        let removed = before - file.hooks.len();
        if removed > 0 {
            write_file(&path, &file)?;
        }
        Ok(removed)
    }

    fn save(&self) -> Result<(), FingerprintError> {
        self.path
            .as_deref()
            .map_or(Ok(()), |path| write_file(path, &self.file))
    }
}

/// What the data directory's file holds.
enum Stored {
    /// No file.
    Absent,
    /// A file that parses.
    Parsed(File),
    /// A file too large or that does not parse; the detail says why.
    Damaged(String),
}

/// Reads and parses the file at `path`; only a failure to read is `Err`.
fn read_file(path: &Path) -> std::io::Result<Stored> {
    match read_bounded(path) {
        Ok(bytes) => Ok(serde_json::from_slice::<File>(&bytes)
            .map_or_else(|e| Stored::Damaged(e.to_string()), Stored::Parsed)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Stored::Absent),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Ok(Stored::Damaged(e.to_string())),
        Err(e) => Err(e),
    }
}

/// Writes `file` to `path` atomically, in a private data directory.
fn write_file(path: &Path, file: &File) -> Result<(), FingerprintError> {
    let bytes = serde_json::to_vec_pretty(file).expect("serializes");
    path.parent()
        .map_or(Ok(()), crate::files::private_dir)
        .and_then(|()| crate::files::write_atomically(path, &bytes))
        .map_err(|e| FingerprintError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
}

/// The file's bytes; `InvalidData` when it is larger than [`MAX_FILE`].
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {MAX_FILE} bytes"),
        ));
    }
    Ok(bytes)
}

/// Renames a damaged file to `<name>.corrupt-<unix time>` (a free name) and returns it.
fn set_aside(path: &Path, detail: &str) -> Result<PathBuf, FingerprintError> {
    let corrupt = |detail: String| FingerprintError::Corrupt {
        path: path.display().to_string(),
        detail,
    };
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for n in 0..100u32 {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let backup = path.with_file_name(format!("{name}.corrupt-{secs}{suffix}"));
        if backup.symlink_metadata().is_ok() {
            continue;
        }
        return std::fs::rename(path, &backup)
            .map(|()| backup)
            .map_err(|e| corrupt(format!("{detail}; renaming it failed: {e}")));
    }
    Err(corrupt(detail.to_owned()))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || !hex.is_ascii() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect()
}

fn key(instance: &str, project: u64, hook: u64) -> String {
    format!("{instance}#{project}#{hook}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(dir: &Path, key: &FingerprintKey) -> Fingerprints {
        Fingerprints::load(dir, key.clone()).unwrap()
    }

    #[test]
    fn remembers_per_hook_and_survives_reload_without_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let key = FingerprintKey::generate();
        let s = Secret::new("s3cret-value");
        let mut f = load(dir.path(), &key);
        assert!(!f.matches("https://g", 1, 10, &s));
        f.record("https://g", 1, 10, &s).unwrap();
        let again = load(dir.path(), &key);
        assert!(again.matches("https://g", 1, 10, &s));
        assert!(!again.matches("https://g", 1, 10, &Secret::new("other")));
        assert!(!again.matches("https://g", 2, 10, &s));
        assert!(again.set_aside().is_none());
        let text = std::fs::read_to_string(dir.path().join("hooks.json")).unwrap();
        assert!(!text.contains("s3cret-value"));
    }

    #[test]
    fn without_the_key_the_file_proves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let s = Secret::new("guessable");
        let mut f = load(dir.path(), &FingerprintKey::generate());
        f.record("https://g", 1, 10, &s).unwrap();
        let other_key = load(dir.path(), &FingerprintKey::generate());
        assert!(
            !other_key.matches("https://g", 1, 10, &s),
            "a guess at the secret cannot be checked without the keychain's key"
        );
        // A plain (or salted) SHA-256 of the secret is not what is stored.
        let text = std::fs::read_to_string(dir.path().join("hooks.json")).unwrap();
        let plain: String = <Sha256 as sha2::Digest>::digest(b"guessable")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!text.contains(&plain));
    }

    #[test]
    fn a_damaged_file_is_kept_aside_and_the_run_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let key = FingerprintKey::generate();
        std::fs::write(
            dir.path().join("hooks.json"),
            b"{\"version\":2,\"hooks\":{\"a\"",
        )
        .unwrap();
        let mut f = load(dir.path(), &key);
        let backup = f.set_aside().expect("set aside").to_path_buf();
        assert!(
            backup
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("hooks.json.corrupt-"),
            "{backup:?}"
        );
        assert_eq!(
            std::fs::read(&backup).unwrap(),
            b"{\"version\":2,\"hooks\":{\"a\"",
            "kept as it was"
        );
        f.record("https://g", 1, 10, &Secret::new("s")).unwrap();
        assert!(load(dir.path(), &key).matches("https://g", 1, 10, &Secret::new("s")));

        // A second damaged file gets its own backup name.
        std::fs::write(dir.path().join("hooks.json"), b"garbage").unwrap();
        let again = load(dir.path(), &key);
        assert_ne!(again.set_aside().unwrap(), backup);
        assert!(backup.exists());
    }

    #[test]
    fn a_damaged_file_that_cannot_be_moved_says_what_to_do() {
        let e = FingerprintError::Corrupt {
            path: "/d/hooks.json".into(),
            detail: "EOF while parsing".into(),
        };
        let m = e.to_string();
        assert!(
            m.contains("move the file away") && !m.contains("permissions"),
            "{m}"
        );
        assert!(!m.contains('\n'));
    }

    #[test]
    fn an_older_salted_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("hooks.json"),
            br#"{"salt":"00","hooks":{"https://g#1#10":"ab"}}"#,
        )
        .unwrap();
        let f = load(dir.path(), &FingerprintKey::generate());
        assert!(f.set_aside().is_none(), "not damaged, only old");
        assert!(f.file.hooks.is_empty());
    }

    #[test]
    fn the_key_comes_from_the_environment_else_the_keychain() {
        let url = GitLabUrl::parse("https://gitlab.example.com").unwrap();
        let keychain = Keychain::in_memory();
        let first = FingerprintKey::resolve_from(None, &url, || Ok(keychain.clone())).unwrap();
        let second = FingerprintKey::resolve_from(None, &url, || Ok(keychain.clone())).unwrap();
        assert_eq!(first.0, second.0, "made once, then kept in the keychain");
        assert_eq!(keychain.fingerprint_key(&url).unwrap().unwrap(), first.0);

        let from_env = FingerprintKey::resolve_from(
            Some("0123456789abcdef0123456789abcdef".into()),
            &url,
            || panic!("the keychain is not asked"),
        )
        .unwrap();
        assert_eq!(from_env.0.expose(), "0123456789abcdef0123456789abcdef");
        let short =
            FingerprintKey::resolve_from(Some("short".into()), &url, || Ok(Keychain::in_memory()))
                .unwrap_err();
        assert!(
            short.to_string().contains("GITLAB_ONBOARD_FINGERPRINT_KEY"),
            "{short}"
        );
        let none = FingerprintKey::resolve_from(None, &url, || {
            Err(KeychainError::Unavailable("no D-Bus".into()))
        })
        .unwrap_err();
        let m = none.to_string();
        assert!(
            m.contains("no D-Bus") && m.contains("GITLAB_ONBOARD_FINGERPRINT_KEY"),
            "{m}"
        );
        assert!(!format!("{from_env:?}").contains("0123"), "redacted");
    }

    #[test]
    fn an_instance_is_discarded_without_the_key_and_others_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            Fingerprints::discard_instance(dir.path(), "https://g").unwrap(),
            0
        );
        let key = FingerprintKey::generate();
        let s = Secret::new("s");
        let mut f = load(dir.path(), &key);
        f.record("https://g", 1, 10, &s).unwrap();
        f.record("https://g", 2, 11, &s).unwrap();
        f.record("https://g.example", 1, 10, &s).unwrap();
        f.record("https://other", 1, 10, &s).unwrap();
        assert_eq!(
            Fingerprints::discard_instance(dir.path(), "https://g").unwrap(),
            2
        );
        let again = load(dir.path(), &key);
        assert!(!again.matches("https://g", 1, 10, &s));
        assert!(!again.matches("https://g", 2, 11, &s));
        assert!(
            again.matches("https://g.example", 1, 10, &s),
            "a prefix only"
        );
        assert!(again.matches("https://other", 1, 10, &s));

        std::fs::write(dir.path().join("hooks.json"), b"garbage").unwrap();
        let e = Fingerprints::discard_instance(dir.path(), "https://g").unwrap_err();
        assert!(matches!(e, FingerprintError::Corrupt { .. }), "{e}");
        assert_eq!(
            std::fs::read(dir.path().join("hooks.json")).unwrap(),
            b"garbage"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_0600_in_a_0700_directory() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("data");
        let mut f = load(&dir, &FingerprintKey::generate());
        f.record("https://g", 1, 10, &Secret::new("s")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("hooks.json")), 0o600);
    }
}

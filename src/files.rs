//! Files this tool writes: private (data directory 0700, files 0600 or the mode of the file
//! they replace), whole (a temporary file renamed over the target, the directory synced), and
//! never in the way of another file (temporary names are random and created exclusively).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The directory for local state (hook fingerprints, the apply journal, the run lock), shared
/// by the CLI and the app: `GITLAB_ONBOARD_DATA_DIR`, else the platform's data directory.
pub fn data_dir() -> PathBuf {
    std::env::var_os("GITLAB_ONBOARD_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("gitlab-onboard")))
        .unwrap_or_else(|| PathBuf::from(".gitlab-onboard"))
}

/// Creates the data directory readable by its owner only (0700), or tightens an existing one
/// that others could read, write or enter.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mode = std::fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

/// Creates `path`, which must not exist, readable and writable by its owner only (0600).
/// Refuses to follow or replace anything already there, a symbolic link included.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it over `path` and
/// syncs the directory: readers see the old file or the new one, never a mix, and the rename
/// survives a power cut. A new file is 0600; a replaced one keeps its mode.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomically_named(path, bytes, random_suffix)
}

/// [`write_atomically`] with temporary names from `suffix` (random in production).
fn write_atomically_named(
    path: &Path,
    bytes: &[u8],
    mut suffix: impl FnMut() -> String,
) -> std::io::Result<()> {
    /// Attempts at a fresh temporary name before giving up.
    const NAME_ATTEMPTS: usize = 8;
    let dir = parent(path);
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let previous_mode = std::fs::metadata(path).ok().map(|m| m.permissions());
    let mut attempt = 0;
    let (tmp, mut f) = loop {
        let tmp = dir.join(format!(".{name}.{}.tmp", suffix()));
        match create_private(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                attempt += 1;
                if attempt >= NAME_ATTEMPTS {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        if let Some(mode) = previous_mode {
            f.set_permissions(mode)?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The directory a file lives in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Makes a rename (or a new file) in `dir` durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// 16 random hex digits.
fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random generator works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An exclusive hold on a data directory: one apply (or remove) at a time across the CLI and
/// the app. Released when dropped, or by the OS when the process dies (even by `kill -9`).
#[derive(Debug)]
pub struct RunLock {
    dir: PathBuf,
    _file: File,
}

/// Why the run lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds it.
    #[error(
        "another webhook run{} holds the data directory {dir}: wait for it to finish (or stop it), then run again",
        .pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    Busy {
        /// The data directory.
        dir: String,
        /// The holder's process ID, when it could be read.
        pid: Option<u32>,
    },
    /// The lock file could not be opened or locked.
    #[error(
        "cannot lock the data directory {dir}: {detail}. Check that it is yours and writable, or set GITLAB_ONBOARD_DATA_DIR"
    )]
    Io {
        /// The data directory.
        dir: String,
        /// What the OS said.
        detail: String,
    },
}

impl RunLock {
    /// The lock file's name in the data directory.
    pub const FILE: &'static str = "run.lock";

    /// Takes the lock on `dir` (made private first), or fails at once when another run holds
    /// it. The holder's process ID is written into the lock file for the message.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let io = |e: std::io::Error| LockError::Io {
            dir: dir.display().to_string(),
            detail: e.to_string(),
        };
        private_dir(dir).map_err(io)?;
        let path = dir.join(Self::FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                return Err(LockError::Busy {
                    dir: dir.display().to_string(),
                    pid,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.write_all(std::process::id().to_string().as_bytes())
            .map_err(io)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            _file: file,
        })
    }

    /// The locked data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomically(&path, b"old").unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub");
        std::fs::create_dir(&path).unwrap();
        // Renaming a file over a directory fails: the directory stays as it was.
        assert!(write_atomically(&path, b"x").is_err());
        assert!(path.is_dir());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_0600_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.md");
        write_atomically(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh), 0o600);

        let shared = dir.path().join("shared.csv");
        std::fs::write(&shared, b"old").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&shared, b"new").unwrap();
        assert_eq!(mode(&shared), 0o640, "the admin's choice is kept");
        assert_eq!(std::fs::read(&shared).unwrap(), b"new");
    }

    #[test]
    fn a_file_at_the_temporary_name_is_never_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hooks.json");
        let squatter = dir.path().join(".hooks.json.taken.tmp");
        std::fs::write(&squatter, b"someone else's").unwrap();
        let mut names = ["taken", "free"].into_iter();
        write_atomically_named(&path, b"ours", || names.next().unwrap().to_owned()).unwrap();
        assert_eq!(std::fs::read(&squatter).unwrap(), b"someone else's");
        assert_eq!(std::fs::read(&path).unwrap(), b"ours");
        assert!(!dir.path().join(".hooks.json.free.tmp").exists());

        // Only taken names: the write fails and touches nothing.
        let err = write_atomically_named(&path, b"again", || "taken".to_owned()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&squatter).unwrap(), b"someone else's");
        assert_eq!(std::fs::read(&path).unwrap(), b"ours");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(".out.link.tmp")).unwrap();
        let mut names = ["link", "other"].into_iter();
        write_atomically_named(&dir.path().join("out"), b"x", || {
            names.next().unwrap().to_owned()
        })
        .unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
    }

    #[test]
    fn temporary_names_are_random() {
        assert_ne!(random_suffix(), random_suffix());
        assert_eq!(random_suffix().len(), 16);
    }

    #[cfg(unix)]
    #[test]
    fn the_data_directory_is_made_and_kept_0700() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("a/data");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700, "a looser directory is tightened");
    }

    #[test]
    fn one_run_lock_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let held = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(held.dir(), dir.path());
        let err = RunLock::acquire(dir.path()).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, LockError::Busy { pid: Some(p), .. } if p == std::process::id()),
            "{message}"
        );
        assert!(message.contains("another webhook run") && !message.contains('\n'));
        drop(held);
        let again = RunLock::acquire(dir.path()).unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&dir.path().join(RunLock::FILE)), 0o600);
        drop(again);
    }
}

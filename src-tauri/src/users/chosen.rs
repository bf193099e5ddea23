//! Files the admin picked in a native dialog, kept here in Rust. The window gets a handle and
//! the path to show, and names the file by its handle: it can never hand a path to a command
//! that reads or writes one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

use crate::error::CommandError;

/// What a chosen file is for; a handle works only for its own purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The identity provider's export, to read.
    Idp,
    /// Where to save the mapping's CSV.
    Save,
    /// A service account's key, to read.
    Key,
}

impl Purpose {
    fn what(self) -> &'static str {
        match self {
            Purpose::Idp => "identity-provider export",
            Purpose::Save => "file to save to",
            Purpose::Key => "service-account key",
        }
    }
}

/// A dialog's answer as the window sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChosenFile {
    /// What the window sends back to name the file.
    pub handle: u64,
    /// The path, only to show.
    pub path: String,
    /// True when the native save dialog chose it: that dialog already asked before
    /// replacing an existing file, so the window does not ask again.
    pub replace_asked: bool,
}

/// The files chosen in this window, by handle.
#[derive(Default)]
pub struct Chosen {
    files: Mutex<Files>,
}

/// The last handle given, and what each handle names.
#[derive(Default)]
struct Files {
    last: u64,
    by_handle: HashMap<u64, (Purpose, PathBuf)>,
}

impl Chosen {
    /// Keeps a dialog's answer; its handle for the window.
    pub fn keep(&self, purpose: Purpose, path: PathBuf) -> ChosenFile {
        let mut files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        files.last += 1;
        let handle = files.last;
        let shown = path.display().to_string();
        files.by_handle.insert(handle, (purpose, path));
        ChosenFile {
            handle,
            path: shown,
            replace_asked: false,
        }
    }

    /// The path behind `handle`, if it was chosen for `purpose`.
    pub fn path(&self, purpose: Purpose, handle: u64) -> Result<PathBuf, CommandError> {
        let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
        match files.by_handle.get(&handle) {
            Some((p, path)) if *p == purpose => Ok(path.clone()),
            _ => Err(CommandError {
                code: "invalid_input",
                message: format!(
                    "no {} was chosen for this: choose it again with its button",
                    purpose.what()
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_names_only_its_own_file_and_purpose() {
        let chosen = Chosen::default();
        let a = chosen.keep(Purpose::Idp, PathBuf::from("/tmp/okta.csv"));
        let b = chosen.keep(Purpose::Save, PathBuf::from("/tmp/out.csv"));
        assert_ne!(a.handle, b.handle);
        assert_eq!(a.path, "/tmp/okta.csv");
        assert_eq!(
            chosen.path(Purpose::Idp, a.handle).unwrap(),
            PathBuf::from("/tmp/okta.csv")
        );
        assert!(chosen.path(Purpose::Save, a.handle).is_err());
        assert!(chosen.path(Purpose::Key, 999).is_err());
    }
}

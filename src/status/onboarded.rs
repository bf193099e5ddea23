//! The marker that onboarding was done for an instance: a completed (not cancelled) `webhooks
//! apply`, from the CLI or the window, leaves `onboarded-<instance hash>.json` in the data
//! directory with what it applied: the instance, the crawler's event URL, the scope and the
//! triggers. Nothing secret. The window opens on Health when the marker's instance still has
//! a token in the keychain, and Health checks the same hooks the apply set.
//!
//! Parsed defensively: too large, damaged, of another instance than its name says, or with
//! an event URL that does not parse, and it is ignored.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::instance::GitLabUrl;
use crate::webhooks::{EventUrl, HookSpec, Selection, Triggers};

/// Largest marker read.
const MAX_BYTES: u64 = 64 * 1024;

/// Most markers looked at in a data directory.
const MAX_MARKERS: usize = 100;

/// What a completed apply on an instance applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Onboarded {
    /// The instance, as `https://host[/prefix]`.
    pub gitlab_url: String,
    /// The crawler's event URL the hooks point to.
    pub event_url: String,
    /// Groups in scope (full paths; empty: every project the token reaches).
    #[serde(default)]
    pub groups: Vec<String>,
    /// Projects in scope by ID or path (empty: those of `groups`).
    #[serde(default)]
    pub projects: Vec<String>,
    /// Archived projects were included.
    #[serde(default)]
    pub include_archived: bool,
    /// The hooks send tag push events too.
    #[serde(default)]
    pub tag_push: bool,
    /// The hooks send confidential issues and comments too.
    #[serde(default)]
    pub confidential: bool,
    /// Groups carrying one hook for their projects.
    #[serde(default)]
    pub group_hooks: Vec<String>,
    /// When the apply completed (RFC 3339, UTC).
    pub applied_at: String,
}

impl Onboarded {
    /// A marker for an apply that completed now.
    pub fn now(gitlab_url: &GitLabUrl, spec: &HookSpec, selection: &Selection) -> Self {
        Self {
            gitlab_url: gitlab_url.to_string(),
            event_url: spec.url.as_str().to_owned(),
            groups: selection.groups.clone(),
            projects: selection.projects.clone(),
            include_archived: selection.include_archived,
            tag_push: spec.triggers.tag_push,
            confidential: spec.triggers.confidential_issues,
            group_hooks: Vec::new(),
            applied_at: Utc::now().to_rfc3339(),
        }
    }

    /// The projects the apply covered.
    pub fn selection(&self) -> Selection {
        Selection {
            groups: self.groups.clone(),
            projects: self.projects.clone(),
            include_archived: self.include_archived,
        }
    }

    /// The triggers the apply set.
    pub fn triggers(&self) -> Triggers {
        Triggers::chosen(self.tag_push, self.confidential)
    }

    /// The event URL, checked.
    pub fn event_url(&self) -> Result<EventUrl, crate::Error> {
        Ok(EventUrl::parse(&self.event_url)?)
    }

    /// The marker's file for an instance in `dir`.
    pub fn path(dir: &Path, instance: &str) -> PathBuf {
        dir.join(format!(
            "{PREFIX}{}.json",
            &super::record::hex_sha256(&[instance])[..16]
        ))
    }

    /// Writes the marker (0600, atomically; the directory 0700), replacing an older one.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        crate::files::private_dir(dir)?;
        let bytes = serde_json::to_vec(self).expect("a marker serializes");
        crate::files::write_atomically(&Self::path(dir, &self.gitlab_url), &bytes)
    }

    /// The marker of `instance`, if a valid one is there.
    pub fn load(dir: &Path, instance: &str) -> Option<Self> {
        read(&Self::path(dir, instance)).filter(|m| m.gitlab_url == instance)
    }

    /// Parses a marker: its URL and event URL parse, its time is RFC 3339.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let m: Onboarded = serde_json::from_slice(bytes).ok()?;
        let url = GitLabUrl::parse(&m.gitlab_url).ok()?;
        let valid = url.as_str() == m.gitlab_url
            && EventUrl::parse(&m.event_url).is_ok()
            && DateTime::parse_from_rfc3339(&m.applied_at).is_ok()
            && m.groups.len() + m.projects.len() + m.group_hooks.len() <= 10_000;
        valid.then_some(m)
    }

    /// Removes `instance`'s marker; true when there was one.
    pub fn forget(dir: &Path, instance: &str) -> std::io::Result<bool> {
        match std::fs::remove_file(Self::path(dir, instance)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The start of every marker's name.
const PREFIX: &str = "onboarded-";

fn read(path: &Path) -> Option<Onboarded> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let m = Onboarded::parse(&std::fs::read(path).ok()?)?;
    // A marker stands only under its own instance's name.
    (Onboarded::path(path.parent()?, &m.gitlab_url) == path).then_some(m)
}

/// The most recently onboarded instance in `dir` for which `has_token` says a token is kept
/// (the keychain's), or `None`.
pub fn onboarded_instance(dir: &Path, has_token: impl Fn(&GitLabUrl) -> bool) -> Option<Onboarded> {
    let mut markers: Vec<Onboarded> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(PREFIX) && name.ends_with(".json")
        })
        .take(MAX_MARKERS)
        .filter_map(|e| read(&e.path()))
        .collect();
    markers.sort_by(|a, b| b.applied_at.cmp(&a.applied_at));
    markers.into_iter().find(|m| {
        GitLabUrl::parse(&m.gitlab_url)
            .map(|u| has_token(&u))
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn marker(url: &str, at: &str) -> Onboarded {
        Onboarded {
            gitlab_url: url.into(),
            event_url: "https://crawler.example.com/events".into(),
            groups: vec!["acme".into()],
            projects: vec![],
            include_archived: false,
            tag_push: true,
            confidential: false,
            group_hooks: vec![],
            applied_at: at.into(),
        }
    }

    #[test]
    fn the_newest_instance_with_a_token_is_the_one() {
        let dir = tempfile::tempdir().unwrap();
        let a = marker("https://a.example.com", "2026-11-01T10:00:00+00:00");
        let b = marker("https://b.example.com", "2026-11-02T10:00:00+00:00");
        a.save(dir.path()).unwrap();
        b.save(dir.path()).unwrap();
        assert_eq!(onboarded_instance(dir.path(), |_| true), Some(b.clone()));
        let only_a = onboarded_instance(dir.path(), |u| u.as_str() == "https://a.example.com");
        assert_eq!(only_a, Some(a.clone()));
        assert_eq!(onboarded_instance(dir.path(), |_| false), None);
        assert_eq!(Onboarded::load(dir.path(), &a.gitlab_url), Some(a.clone()));
        assert!(a.triggers().tag_push);
        assert_eq!(a.selection().groups, vec!["acme".to_owned()]);
        assert!(Onboarded::forget(dir.path(), &a.gitlab_url).unwrap());
        assert_eq!(
            onboarded_instance(dir.path(), |u| u.as_str() == a.gitlab_url),
            None
        );
        assert_eq!(onboarded_instance(&dir.path().join("none"), |_| true), None);
    }

    #[test]
    fn a_marker_under_another_instances_name_or_damaged_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let a = marker("https://a.example.com", "2026-11-01T10:00:00+00:00");
        let b = marker("https://b.example.com", "2026-11-01T10:00:00+00:00");
        // b's content under a's name.
        std::fs::write(
            Onboarded::path(dir.path(), &a.gitlab_url),
            serde_json::to_vec(&b).unwrap(),
        )
        .unwrap();
        assert_eq!(onboarded_instance(dir.path(), |_| true), None);
        std::fs::write(Onboarded::path(dir.path(), &b.gitlab_url), b"{").unwrap();
        assert_eq!(onboarded_instance(dir.path(), |_| true), None);
        let mut bad = a.clone();
        bad.event_url = "ftp://x".into();
        assert_eq!(Onboarded::parse(&serde_json::to_vec(&bad).unwrap()), None);
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Onboarded::parse(&bytes);
        }
    }
}

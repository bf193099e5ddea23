//! The user mapping's age: `users build` leaves a small record (when, which instance, how
//! many people, and the member lists it started from with their counts), and `status` tells
//! how long ago that was and how many members appeared since, by counting those same lists
//! again with one `per_page=1` request each (GitLab's `x-total` header), not by listing them.
//!
//! The record (`mapping-<instance hash>.json`, 0600, written atomically) holds no email and
//! no name: counts, group paths and list paths only. It is parsed defensively.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::scopes::TokenReport;
use crate::users::members;

/// The format this module writes and reads.
const VERSION: u32 = 1;

/// Largest record read.
const MAX_BYTES: u64 = 256 * 1024;

/// Most member lists counted: beyond, the count is not cheap and is left unknown.
pub const MAX_LISTS: usize = 50;

/// What the last `users build` on an instance left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRecord {
    /// Format version.
    pub version: u32,
    /// The instance, as `https://host[/prefix]`.
    pub instance: String,
    /// When the mapping was built (RFC 3339, UTC).
    pub built_at: String,
    /// People in the mapping (after bots and blocked users were left out).
    pub users: usize,
    /// The groups in scope (full paths; empty: all the token reaches).
    pub groups: Vec<String>,
    /// The member lists the build started from (`groups/:id/members/all` and the like).
    pub lists: Vec<String>,
    /// Their members, summed from `x-total`, at build time; `None` when not known.
    pub members: Option<u64>,
}

/// The mapping's age, as `status` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MappingStatus {
    /// When the mapping was last built here (RFC 3339, UTC).
    pub built_at: String,
    /// Whole days since.
    pub days_ago: i64,
    /// People in that mapping.
    pub users: usize,
    /// Members of the lists the build started from, then (summed `x-total`).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub members_then: Option<u64>,
    /// The same, now.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub members_now: Option<u64>,
    /// Members that appeared since (net: `members_now - members_then`, never below 0).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub appeared: Option<u64>,
    /// Why `appeared` is not known, in words.
    pub unknown: Option<String>,
}

impl MappingRecord {
    /// The record's file for an instance in `dir`.
    pub fn path(dir: &Path, instance: &str) -> PathBuf {
        dir.join(format!(
            "mapping-{}.json",
            &super::record::hex_sha256(&[instance])[..16]
        ))
    }

    /// Reads the record, or `None` when there is none or it is too large, damaged, or not
    /// this instance's.
    pub fn load(dir: &Path, instance: &str) -> Option<MappingRecord> {
        let path = Self::path(dir, instance);
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() > MAX_BYTES {
            return None;
        }
        Self::parse(&std::fs::read(&path).ok()?, instance)
    }

    /// Parses a record: this instance's, a valid time, and member-list paths of the one
    /// shape this module writes (they are requested again).
    pub fn parse(bytes: &[u8], instance: &str) -> Option<MappingRecord> {
        let r: MappingRecord = serde_json::from_slice(bytes).ok()?;
        let valid = r.version == VERSION
            && r.instance == instance
            && DateTime::parse_from_rfc3339(&r.built_at).is_ok()
            && r.lists.len() <= MAX_LISTS
            && r.groups.len() <= 10_000
            && r.lists.iter().all(|l| is_list_path(l));
        valid.then_some(r)
    }

    /// Writes the record in `dir` (0600, atomically; the directory 0700).
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        crate::files::private_dir(dir)?;
        let bytes = serde_json::to_vec(self).expect("a mapping record serializes");
        crate::files::write_atomically(&Self::path(dir, &self.instance), &bytes)
    }
}

/// True for `groups/<id>/members`, `projects/<id>/members`, with or without `/all`.
fn is_list_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let kind = parts.next();
    let id = parts.next();
    let members = parts.next();
    let all = parts.next();
    matches!(kind, Some("groups" | "projects"))
        && id.is_some_and(|i| {
            !i.is_empty() && i.len() <= 20 && i.bytes().all(|b| b.is_ascii_digit())
        })
        && members == Some("members")
        && matches!(all, None | Some("all"))
        && parts.next().is_none()
}

/// Counts the members of `lists` (one `per_page=1` request each): their sum, or why it is
/// not known (too many lists, GitLab left `x-total` out, or a request failed).
pub async fn count(client: &Client, lists: &[String]) -> Result<u64, String> {
    if lists.is_empty() {
        return Err("the mapping started from no member list".to_owned());
    }
    if lists.len() > MAX_LISTS {
        return Err(format!(
            "{} member lists are too many to count cheaply (at most {MAX_LISTS})",
            lists.len()
        ));
    }
    // Owned paths: a closure over borrowed items makes a future the compiler cannot prove
    // `Send`, which the desktop shell's commands need.
    let paths: Vec<String> = lists.to_vec();
    let mut totals = futures::stream::iter(paths.into_iter().map(|path| async move {
        let total = client.total(&path, &[]).await;
        (path, total)
    }))
    .buffer_unordered(client.concurrency());
    let mut sum: u64 = 0;
    while let Some((path, total)) = totals.next().await {
        match total {
            Ok(Some(n)) => sum = sum.saturating_add(n),
            Ok(None) => {
                return Err(format!(
                    "GitLab does not count {path} (it leaves the count out above 10,000 members)"
                ));
            }
            Err(e) => return Err(format!("{path} could not be counted: {e}")),
        }
    }
    Ok(sum)
}

/// Records a finished `users build` of `users` people for `groups` in `dir`: the member lists
/// it started from (the roots of the scope) and their counts now. Returns the record.
pub async fn record_build(
    client: &Client,
    report: &TokenReport,
    groups: &[String],
    users: usize,
    dir: &Path,
) -> std::io::Result<MappingRecord> {
    let mut lists: Vec<String> = members::sources(report, groups)
        .iter()
        .filter(|s| {
            matches!(
                s,
                members::Source::Group { all: true, .. }
                    | members::Source::Project { all: true, .. }
            )
        })
        .map(members::Source::path)
        .collect();
    lists.sort();
    let counted = if lists.len() <= MAX_LISTS {
        count(client, &lists).await.ok()
    } else {
        lists.clear();
        None
    };
    let record = MappingRecord {
        version: VERSION,
        instance: client.url().to_string(),
        built_at: Utc::now().to_rfc3339(),
        users,
        groups: groups.to_vec(),
        lists,
        members: counted,
    };
    record.save(dir)?;
    Ok(record)
}

/// The mapping's age on `client`'s instance, from the record in `dir` (`None` when no mapping
/// was recorded there).
pub async fn status(client: &Client, dir: &Path) -> Option<MappingStatus> {
    let record = MappingRecord::load(dir, client.url().as_str())?;
    let built = DateTime::parse_from_rfc3339(&record.built_at)
        .ok()?
        .with_timezone(&Utc);
    let days_ago = (Utc::now() - built).num_days().max(0);
    let (now, unknown) = match (record.members, record.lists.is_empty()) {
        (_, true) => (
            None,
            Some(format!(
                "the mapping started from more than {MAX_LISTS} member lists: too many to count cheaply"
            )),
        ),
        (None, false) => (
            None,
            Some("GitLab did not count the members when the mapping was built".to_owned()),
        ),
        (Some(_), false) => match count(client, &record.lists).await {
            Ok(n) => (Some(n), None),
            Err(why) => (None, Some(why)),
        },
    };
    Some(MappingStatus {
        built_at: record.built_at,
        days_ago,
        users: record.users,
        members_then: record.members,
        members_now: now,
        appeared: match (record.members, now) {
            (Some(then), Some(now)) => Some(now.saturating_sub(then)),
            _ => None,
        },
        unknown,
    })
}

/// Removes an instance's mapping record from `dir`; true when there was one.
pub fn forget(dir: &Path, instance: &str) -> std::io::Result<bool> {
    match std::fs::remove_file(MappingRecord::path(dir, instance)) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const URL: &str = "https://gitlab.example.com";

    fn record() -> MappingRecord {
        MappingRecord {
            version: VERSION,
            instance: URL.into(),
            built_at: "2026-11-01T10:00:00+00:00".into(),
            users: 12,
            groups: vec!["acme".into()],
            lists: vec![
                "groups/3/members/all".into(),
                "projects/9/members/all".into(),
            ],
            members: Some(14),
        }
    }

    #[test]
    fn a_record_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        record().save(&data).unwrap();
        assert_eq!(MappingRecord::load(&data, URL), Some(record()));
        assert_eq!(
            MappingRecord::load(&data, "https://other.example.com"),
            None
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(MappingRecord::path(&data, URL))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(forget(&data, URL).unwrap());
        assert!(!forget(&data, URL).unwrap());
    }

    #[test]
    fn only_member_list_paths_are_accepted() {
        for good in [
            "groups/1/members",
            "groups/1/members/all",
            "projects/22/members/all",
        ] {
            assert!(is_list_path(good), "{good}");
        }
        for bad in [
            "",
            "groups//members",
            "groups/1/hooks",
            "users/1/members",
            "groups/1/members/all/x",
            "groups/1a/members",
            "groups/../members",
            "https://evil.example.com/groups/1/members",
        ] {
            assert!(!is_list_path(bad), "{bad}");
        }
        let mut r = record();
        r.lists.push("groups/1/../../user".into());
        assert_eq!(
            MappingRecord::parse(&serde_json::to_vec(&r).unwrap(), URL),
            None
        );
        let mut r = record();
        r.built_at = "yesterday".into();
        assert_eq!(
            MappingRecord::parse(&serde_json::to_vec(&r).unwrap(), URL),
            None
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = MappingRecord::parse(&bytes, URL);
        }

        #[test]
        fn list_paths_never_panic(s in ".{0,60}") {
            let _ = is_list_path(&s);
        }
    }
}

//! What the last `status` learned, so the next one reads less: per instance and scope, the
//! highest project ID seen, the projects in scope, those that needed attention, and where the
//! rolling re-read of the healthy ones stopped.
//!
//! The file (`status-<hash>.json` in the data directory, 0600, written atomically) holds IDs
//! only: nothing secret. It is parsed defensively: a file too large, damaged or from another
//! scope is ignored, and that run reads every hook (and rewrites it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::scopes::IdRange;
use crate::webhooks::{HookSpec, Selection};

/// The format this module writes and reads.
pub(super) const VERSION: u32 = 1;

/// Largest record read (10 MiB: a million project IDs fit).
const MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Most project IDs a record may hold.
const MAX_IDS: usize = 1_000_000;

/// A later run re-reads one in this many of the projects last seen healthy (the next slice
/// each run), so a hook GitLab disables on a healthy project is seen within this many runs.
pub const SWEEP_RUNS: usize = 8;

/// Most separate ID ranges a later run lists; beyond, it lists every project (cheaper than
/// many small listings, and the hooks read are the same).
const MAX_RANGES: usize = 32;

/// One scope's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Format version.
    pub version: u32,
    /// The instance, as `https://host[/prefix]`.
    pub instance: String,
    /// The token's user: another user reaches other projects, so its record does not apply.
    pub user_id: u64,
    /// The highest project ID any listing returned.
    pub highest_id: u64,
    /// Projects in scope, sorted.
    pub known: Vec<u64>,
    /// Projects in scope that needed attention (any list but `ok`), sorted.
    pub attention: Vec<u64>,
    /// Groups whose hook of ours was not as wanted, sorted.
    #[serde(default)]
    pub groups: Vec<u64>,
    /// Projects whose hooks the token may not read (a person's), with why: carried between
    /// runs like healthy ones (and re-listed with their slice), not re-listed every run.
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
    /// The last project ID the rolling re-read covered.
    pub cursor: u64,
    /// When the record was written (RFC 3339).
    pub updated_at: String,
}

/// A project only a person can check, as the last run that listed it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    /// Project ID.
    pub id: u64,
    /// `group/project`.
    pub path: String,
    /// Its webhook settings page.
    pub hooks_url: String,
    /// Why, in words.
    pub reasons: Vec<String>,
}

impl Unreadable {
    /// Whether its strings are of a sane size.
    fn bounded(&self) -> bool {
        self.path.len() <= 1_000
            && self.hooks_url.len() <= 2_000
            && self.reasons.len() <= 10
            && self.reasons.iter().all(|r| r.len() <= 1_000)
    }
}

/// What a later run reads, derived from a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The ID ranges whose projects are listed and whose hooks are read.
    pub ranges: Vec<IdRange>,
    /// Whether so many ranges were needed that every project is listed instead.
    pub list_all: bool,
    /// Where the rolling re-read stops this run.
    pub cursor: u64,
}

impl Record {
    /// The record's file for an instance and scope in `dir`.
    pub fn path(dir: &Path, instance: &str, selection: &Selection, spec: &HookSpec) -> PathBuf {
        dir.join(format!(
            "{}{}.json",
            prefix(instance),
            &scope_hash(instance, selection, spec)[..32]
        ))
    }

    /// Reads a record, or `None` when there is none, or it is too large, damaged, of another
    /// format or of another instance.
    pub fn load(path: &Path, instance: &str) -> Option<Record> {
        let meta = std::fs::metadata(path).ok()?;
        if !meta.is_file() || meta.len() > MAX_BYTES {
            return None;
        }
        let text = std::fs::read(path).ok()?;
        Record::parse(&text, instance)
    }

    /// Parses a record's bytes: IDs sorted and de-duplicated, bounded in number, attention
    /// within the known projects, the cursor and known IDs not above the highest ID.
    pub fn parse(bytes: &[u8], instance: &str) -> Option<Record> {
        let mut r: Record = serde_json::from_slice(bytes).ok()?;
        if r.version != VERSION || r.instance != instance {
            return None;
        }
        if r.known.len() > MAX_IDS
            || r.attention.len() > MAX_IDS
            || r.groups.len() > MAX_IDS
            || r.unreadable.len() > MAX_IDS
        {
            return None;
        }
        r.known.sort_unstable();
        r.known.dedup();
        let known: BTreeSet<u64> = r.known.iter().copied().collect();
        r.attention.retain(|id| known.contains(id));
        r.attention.sort_unstable();
        r.attention.dedup();
        r.groups.sort_unstable();
        r.groups.dedup();
        r.unreadable
            .retain(|u| known.contains(&u.id) && u.bounded());
        r.unreadable.sort_by_key(|u| u.id);
        r.unreadable.dedup_by_key(|u| u.id);
        if r.known.last().is_some_and(|&last| last > r.highest_id) || r.cursor > r.highest_id {
            return None;
        }
        Some(r)
    }

    /// Writes the record (0600, atomically), making the data directory (0700) if needed.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            crate::files::private_dir(dir)?;
        }
        let bytes = serde_json::to_vec(self).expect("a record serializes");
        crate::files::write_atomically(path, &bytes)
    }

    /// What a later run lists and reads: projects above the highest ID seen (new ones), those
    /// that needed attention, and the next slice of the rest (`1/SWEEP_RUNS` of the known
    /// projects after the cursor, wrapping around), each slice's range covering the gaps
    /// between known IDs so projects the user joined since are found there too.
    pub fn plan(&self) -> Plan {
        let mut ranges = vec![IdRange {
            after: self.highest_id,
            before: None,
        }];
        let known = &self.known;
        let mut cursor = self.cursor;
        if !known.is_empty() {
            let slice = known.len().div_ceil(SWEEP_RUNS);
            let start = known.partition_point(|&id| id <= self.cursor) % known.len();
            let end = start + slice;
            let mut push_slice = |from: usize, to: usize| {
                let after = if from == 0 { 0 } else { known[from - 1] };
                let before = if to >= known.len() {
                    None
                } else {
                    Some(known[to - 1].saturating_add(1))
                };
                ranges.push(IdRange { after, before });
            };
            if end <= known.len() {
                push_slice(start, end);
                cursor = known[end - 1];
            } else {
                push_slice(start, known.len());
                let rest = end - known.len();
                push_slice(0, rest);
                cursor = known[rest - 1];
            }
            if end == known.len() {
                // The slice ended the round: the next starts from the lowest ID again.
                cursor = 0;
            }
        }
        for id in &self.attention {
            ranges.push(IdRange {
                after: id.saturating_sub(1),
                before: Some(id.saturating_add(1)),
            });
        }
        let ranges = merge(ranges);
        let list_all = ranges.len() > MAX_RANGES;
        Plan {
            ranges,
            list_all,
            cursor,
        }
    }
}

/// The start of an instance's record names.
pub(super) fn prefix(instance: &str) -> String {
    format!("status-{}-", &hex_sha256(&[instance])[..16])
}

/// SHA-256 of the parts (each ended by a NUL), in hex.
pub(super) fn hex_sha256(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Sorts ranges and joins those that overlap or touch.
fn merge(mut ranges: Vec<IdRange>) -> Vec<IdRange> {
    ranges.sort_by_key(|r| r.after);
    let mut out: Vec<IdRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            // `last` covers IDs up to `before - 1`; `r` starts at `after + 1`.
            Some(last) if last.before.is_none_or(|b| r.after < b) => {
                last.before = match (last.before, r.before) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push(r),
        }
    }
    out
}

/// What a record is for: the instance, the projects selected, and the hook wanted (a healthy
/// hook for one event URL or set of triggers is not one for another).
fn scope_hash(instance: &str, selection: &Selection, spec: &HookSpec) -> String {
    let mut groups: Vec<&str> = selection
        .groups
        .iter()
        .map(|g| g.trim_matches('/'))
        .collect();
    groups.sort_unstable();
    let mut projects: Vec<&str> = selection
        .projects
        .iter()
        .map(|p| p.trim_matches('/'))
        .collect();
    projects.sort_unstable();
    let triggers = format!("{:?}", spec.triggers.fields());
    let groups = groups.join("\n");
    let projects = projects.join("\n");
    let archived = if selection.include_archived {
        "archived"
    } else {
        ""
    };
    hex_sha256(&[
        instance,
        &groups,
        &projects,
        archived,
        spec.url.as_str(),
        &triggers,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const URL: &str = "https://gitlab.example.com";

    fn record(known: Vec<u64>, attention: Vec<u64>, cursor: u64) -> Record {
        Record {
            version: VERSION,
            instance: URL.into(),
            user_id: 1,
            highest_id: known.iter().copied().max().unwrap_or(0) + 5,
            known,
            attention,
            groups: vec![],
            unreadable: vec![],
            cursor,
            updated_at: String::new(),
        }
    }

    fn covered(plan: &Plan, id: u64) -> bool {
        plan.ranges.iter().any(|r| r.contains(id))
    }

    #[test]
    fn a_later_run_reads_new_projects_attention_and_one_slice() {
        let known: Vec<u64> = (1..=80).map(|i| i * 10).collect();
        let r = record(known.clone(), vec![500], 0);
        let plan = r.plan();
        assert!(!plan.list_all);
        // New: above the highest ID seen.
        assert!(covered(&plan, r.highest_id + 1));
        assert!(!covered(&plan, r.highest_id));
        // The first slice: 10 of 80, including a project joined in a gap.
        let read: Vec<u64> = known
            .iter()
            .copied()
            .filter(|&id| covered(&plan, id))
            .collect();
        assert_eq!(read.len(), 11, "{read:?}");
        assert!(covered(&plan, 55), "a gap inside the slice is listed");
        assert!(covered(&plan, 500), "attention");
        assert_eq!(plan.cursor, 100);

        // Eight runs cover every known project once.
        let mut r = record(known.clone(), vec![], 0);
        let mut seen = BTreeSet::new();
        for _ in 0..SWEEP_RUNS {
            let plan = r.plan();
            seen.extend(known.iter().copied().filter(|&id| covered(&plan, id)));
            r.cursor = plan.cursor;
        }
        assert_eq!(seen.len(), known.len());
        assert_eq!(r.cursor, 0, "a new round starts");
    }

    #[test]
    fn a_slice_wraps_around_and_too_many_ranges_list_everything() {
        let known: Vec<u64> = (1..=20).collect();
        let r = record(known.clone(), vec![], 19);
        let plan = r.plan();
        // 3 per run: 20, then 1 and 2.
        for id in [20, 1, 2] {
            assert!(covered(&plan, id), "{id}: {plan:?}");
        }
        assert!(!covered(&plan, 3));
        assert_eq!(plan.cursor, 2);

        let known: Vec<u64> = (1..=400).map(|i| i * 3).collect();
        let attention: Vec<u64> = known.iter().copied().step_by(5).collect();
        let plan = record(known, attention, 0).plan();
        assert!(plan.list_all);
    }

    #[test]
    fn files_of_another_instance_format_or_shape_are_ignored() {
        let good = record(vec![1, 2, 3], vec![2], 1);
        let bytes = serde_json::to_vec(&good).unwrap();
        assert_eq!(Record::parse(&bytes, URL), Some(good.clone()));
        assert_eq!(Record::parse(&bytes, "https://other.example.com"), None);
        assert_eq!(Record::parse(b"{not json", URL), None);
        let mut old = good.clone();
        old.version = 0;
        assert_eq!(Record::parse(&serde_json::to_vec(&old).unwrap(), URL), None);
        let mut above = good.clone();
        above.known.push(above.highest_id + 1);
        assert_eq!(
            Record::parse(&serde_json::to_vec(&above).unwrap(), URL),
            None
        );
        // Attention outside the known projects is dropped; duplicates go.
        let mut odd = good;
        odd.attention = vec![9, 2, 2];
        odd.known = vec![3, 1, 2, 1];
        odd.unreadable = vec![
            Unreadable {
                id: 9,
                path: "g/gone".into(),
                hooks_url: String::new(),
                reasons: vec![],
            },
            Unreadable {
                id: 3,
                path: "g/p".repeat(1_000),
                hooks_url: String::new(),
                reasons: vec![],
            },
            Unreadable {
                id: 1,
                path: "g/p".into(),
                hooks_url: String::new(),
                reasons: vec!["role Developer".into()],
            },
        ];
        let parsed = Record::parse(&serde_json::to_vec(&odd).unwrap(), URL).unwrap();
        assert_eq!((parsed.known, parsed.attention), (vec![1, 2, 3], vec![2]));
        let kept: Vec<u64> = parsed.unreadable.iter().map(|u| u.id).collect();
        assert_eq!(kept, vec![1], "unknown and oversized entries go");
    }

    #[test]
    fn saved_records_are_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").join("status-x.json");
        let r = record(vec![4, 8], vec![], 0);
        r.save(&path).unwrap();
        assert_eq!(Record::load(&path, URL), Some(r));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = Record::parse(&bytes, URL);
        }

        #[test]
        fn plans_cover_new_attention_and_every_known_project_in_a_round(
            ids in proptest::collection::btree_set(1u64..5_000, 1..300),
            pick in proptest::collection::vec(any::<proptest::sample::Index>(), 0..10),
        ) {
            let known: Vec<u64> = ids.into_iter().collect();
            let attention: Vec<u64> = pick.iter().map(|i| known[i.index(known.len())]).collect();
            let mut r = record(known.clone(), attention.clone(), 0);
            let mut seen = BTreeSet::new();
            for _ in 0..SWEEP_RUNS {
                let plan = r.plan();
                prop_assert!(covered(&plan, r.highest_id + 1));
                for id in &attention {
                    prop_assert!(plan.list_all || covered(&plan, *id));
                }
                for w in plan.ranges.windows(2) {
                    prop_assert!(w[0].before.is_some_and(|b| b <= w[1].after + 1));
                }
                seen.extend(known.iter().copied().filter(|&id| covered(&plan, id)));
                r.cursor = plan.cursor;
            }
            prop_assert_eq!(seen.len(), known.len());
        }
    }
}

//! The mapping the Users screen works on. It lives here, in Rust, and the window asks for the
//! rows it is about to show by index range within a filter.
//!
//! Why pages rather than all rows at once: with 100,000 people, one answer would be megabytes
//! of JSON to send, parse and keep in the web view before the first row could be painted, and a
//! second copy of the mapping to keep in step with the edits. A page of the rows on screen is a
//! few kilobytes; the filter runs here over the `Vec` once per filter change (and after an edit),
//! and its matching indices are kept, so scrolling is a slice copy. Edits apply to the one
//! mapping that Save and Upload write.

use std::collections::HashMap;

use gitlab_onboard::users::{Counts, EmailSource, Mapping, Row};
use serde::{Deserialize, Serialize};

/// Which rows the preview shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "RowStatus"))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every row.
    #[default]
    All,
    /// An email and nothing to look at.
    Ok,
    /// A problem to look at (a shared email, a source's invalid address).
    Flagged,
    /// No email: left out of the CSV.
    Unresolved,
}

/// The preview's filter: a status, a source, and text in the ID, username, name or email.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "RowFilter"))]
#[serde(default)]
pub struct Filter {
    /// Rows in this state.
    pub status: Status,
    /// Rows whose email came from this source.
    pub source: Option<EmailSource>,
    /// Case-insensitive text: the whole ID, or part of the username, name or email.
    pub search: String,
}

impl Filter {
    fn matches(&self, row: &Row, needle: &str) -> bool {
        let status = match self.status {
            Status::All => true,
            Status::Ok => row.email.is_some() && row.problems.is_empty(),
            Status::Flagged => !row.problems.is_empty(),
            Status::Unresolved => row.email.is_none(),
        };
        let source = self.source.is_none_or(|s| row.source == Some(s));
        status
            && source
            && (needle.is_empty()
                || row.id.to_string() == needle
                || [Some(&row.username), Some(&row.name), row.email.as_ref()]
                    .into_iter()
                    .flatten()
                    .any(|field| field.to_lowercase().contains(needle)))
    }
}

/// Rows `start..start + rows.len()` of those matching a filter.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "RowPage"))]
pub struct Page {
    /// How many rows match the filter.
    pub total: usize,
    /// The index of the first row here among those.
    pub start: usize,
    /// The rows.
    pub rows: Vec<Row>,
}

/// The validation summary above the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[cfg_attr(test, ts(rename = "MappingSummary"))]
pub struct Summary {
    /// Rows by source, unresolved, flagged, left out.
    pub counts: Counts,
    /// Rows the CSV will have (those with an email).
    pub written: usize,
    /// Bots left out.
    pub excluded_bots: usize,
    /// Blocked users left out.
    pub excluded_blocked: usize,
    /// What the admin should know (skipped look-ups, conflicts in the export).
    pub warnings: Vec<String>,
}

/// A built mapping, the sign-in it belongs to, and the current filter's matching rows.
pub struct Built {
    /// The sign-in generation the mapping was built under.
    pub generation: u64,
    mapping: Mapping,
    view: Option<(Filter, Vec<usize>)>,
}

impl Built {
    /// Wraps a new mapping.
    pub fn new(generation: u64, mapping: Mapping) -> Self {
        Self {
            generation,
            mapping,
            view: None,
        }
    }

    /// The mapping, as Save and Upload write it.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The admin's edits, to carry into a rebuild.
    pub fn edits(&self) -> HashMap<u64, String> {
        self.mapping
            .rows
            .iter()
            .filter(|r| r.source == Some(EmailSource::Edited))
            .filter_map(|r| Some((r.id, r.email.clone()?)))
            .collect()
    }

    /// The summary of the mapping as it stands.
    pub fn summary(&self) -> Summary {
        let counts = self.mapping.counts();
        let excluded_bots = self
            .mapping
            .excluded
            .iter()
            .filter(|e| e.reason == "bot")
            .count();
        Summary {
            written: counts.total - counts.unresolved,
            excluded_bots,
            excluded_blocked: counts.excluded - excluded_bots,
            counts,
            warnings: self.mapping.warnings.clone(),
        }
    }

    /// Up to `count` rows from `start` among those matching `filter`.
    pub fn page(&mut self, filter: &Filter, start: usize, count: usize) -> Page {
        if self.view.as_ref().is_none_or(|(f, _)| f != filter) {
            let needle = filter.search.trim().to_lowercase();
            let indices = (self.mapping.rows.iter().enumerate())
                .filter(|(_, r)| filter.matches(r, &needle))
                .map(|(i, _)| i)
                .collect();
            self.view = Some((filter.clone(), indices));
        }
        let indices = self.view.as_ref().map(|(_, i)| i.as_slice()).unwrap_or(&[]);
        let start = start.min(indices.len());
        let end = start.saturating_add(count).min(indices.len());
        Page {
            total: indices.len(),
            start,
            rows: indices[start..end]
                .iter()
                .map(|&i| self.mapping.rows[i].clone())
                .collect(),
        }
    }

    /// Applies the admin's edit (`None` clears the email); the row as it now stands, or `None`
    /// for an unknown ID or an address that is not one (nothing changes then).
    pub fn edit(&mut self, id: u64, email: Option<String>) -> Option<Row> {
        if !self.mapping.edit(id, email) {
            return None;
        }
        // The row may leave the filter, and other rows' "shared email" flags may change.
        self.view = None;
        self.mapping.rows.iter().find(|r| r.id == id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use gitlab_onboard::users::Excluded;

    use super::*;

    fn row(id: u64, email: Option<&str>, source: Option<EmailSource>) -> Row {
        Row {
            id,
            username: format!("user{id}"),
            name: format!("Person {id}"),
            email: email.map(Into::into),
            source,
            problems: vec![],
        }
    }

    fn built() -> Built {
        let mut mapping = Mapping {
            rows: vec![
                row(1, Some("a@corp.example"), Some(EmailSource::Gitlab)),
                row(2, None, None),
                row(3, Some("a@corp.example"), Some(EmailSource::Guessed)),
                row(
                    4,
                    Some("d@corp.example"),
                    Some(EmailSource::IdentityProvider),
                ),
            ],
            excluded: vec![Excluded {
                id: 9,
                username: "project_1_bot".into(),
                name: "Bot".into(),
                reason: "bot".into(),
            }],
            warnings: vec!["w".into()],
        };
        mapping.check();
        Built::new(1, mapping)
    }

    fn ids(page: &Page) -> Vec<u64> {
        page.rows.iter().map(|r| r.id).collect()
    }

    #[test]
    fn filters_by_status_source_and_text() {
        let mut b = built();
        let by = |status, source, search: &str| Filter {
            status,
            source,
            search: search.into(),
        };
        let mut ids_of = |f: Filter| ids(&b.page(&f, 0, 100));
        assert_eq!(ids_of(Filter::default()), [1, 2, 3, 4]);
        assert_eq!(ids_of(by(Status::Ok, None, "")), [4]);
        assert_eq!(ids_of(by(Status::Flagged, None, "")), [1, 3]);
        assert_eq!(ids_of(by(Status::Unresolved, None, "")), [2]);
        assert_eq!(ids_of(by(Status::All, Some(EmailSource::Guessed), "")), [3]);
        assert_eq!(ids_of(by(Status::All, None, " PERSON 4 ")), [4]);
        assert_eq!(ids_of(by(Status::All, None, "2")), [2], "a whole ID");
        assert_eq!(ids_of(by(Status::All, None, "d@corp")), [4]);
    }

    #[test]
    fn pages_are_slices_of_the_matches() {
        let mut b = built();
        let page = b.page(&Filter::default(), 1, 2);
        assert_eq!((page.total, page.start, ids(&page)), (4, 1, vec![2, 3]));
        let past_the_end = b.page(&Filter::default(), 10, 5);
        assert_eq!((past_the_end.total, past_the_end.start), (4, 4));
        assert!(past_the_end.rows.is_empty());
    }

    #[test]
    fn an_edit_refilters_and_is_carried_into_rebuilds() {
        let mut b = built();
        let unresolved = Filter {
            status: Status::Unresolved,
            ..Filter::default()
        };
        assert_eq!(b.page(&unresolved, 0, 10).total, 1);
        assert_eq!(b.edit(2, Some("not an address".into())), None);
        assert_eq!(b.edit(77, Some("x@corp.example".into())), None);
        let row = b.edit(2, Some(" b@corp.example ".into())).unwrap();
        assert_eq!(row.email.as_deref(), Some("b@corp.example"));
        assert_eq!(row.source, Some(EmailSource::Edited));
        assert_eq!(
            b.page(&unresolved, 0, 10).total,
            0,
            "the row left the filter"
        );
        assert_eq!(b.edits(), HashMap::from([(2, "b@corp.example".to_owned())]));
        // Fixing the shared address clears both flags.
        b.edit(3, Some("c@corp.example".into())).unwrap();
        let flagged = Filter {
            status: Status::Flagged,
            ..Filter::default()
        };
        assert_eq!(b.page(&flagged, 0, 10).total, 0);
    }

    #[test]
    fn summary_counts_what_the_csv_gets_and_who_is_left_out() {
        let s = built().summary();
        assert_eq!(
            (
                s.counts.total,
                s.written,
                s.counts.unresolved,
                s.counts.flagged
            ),
            (4, 3, 1, 2)
        );
        assert_eq!((s.excluded_bots, s.excluded_blocked), (1, 0));
        assert_eq!(s.warnings, ["w"]);
    }
}

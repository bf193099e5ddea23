//! Step 4: the mapping from numeric GitLab user ID to company email that the crawler needs
//! (GitLab.com hides emails). Every row records where its email came from; no email is ever
//! written that no source gave.
//!
//! Sources, in order of trust: what GitLab itself shows (an administrator's view of `/users`, or
//! a group Owner's view of enterprise users' emails), the user's public email, an identity
//! provider's export, a domain rule (`username@domain`, marked guessed); the admin's own edits
//! override them all.

pub mod idp;
pub mod members;

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{ApiError, Error};
use crate::model::{Member, UserEmails};
use crate::scopes::TokenReport;

/// Default most `/users/:id` look-ups for public emails (GitLab.com allows 300 per 10 minutes).
pub const PUBLIC_LOOKUPS: usize = 1_000;

/// Where a row's email came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EmailSource {
    /// GitLab shows it: an administrator's token, or a group Owner seeing enterprise users.
    Gitlab,
    /// The user's public email.
    PublicEmail,
    /// The identity provider's export.
    IdentityProvider,
    /// `username@domain`: a guess.
    Guessed,
    /// Typed by the admin.
    Edited,
}

impl EmailSource {
    /// How a summary names it.
    pub fn label(self) -> &'static str {
        match self {
            EmailSource::Gitlab => "GitLab",
            EmailSource::PublicEmail => "public email",
            EmailSource::IdentityProvider => "identity provider",
            EmailSource::Guessed => "guessed",
            EmailSource::Edited => "edited",
        }
    }
}

/// A domain for `username@domain` guesses, as typed (`@corp.example` or `corp.example`).
pub fn parse_domain(input: &str) -> Result<String, Error> {
    let domain = input.trim().trim_start_matches('@').to_ascii_lowercase();
    if is_valid_email(&format!("user@{domain}")) {
        Ok(domain)
    } else {
        Err(Error::EmailDomain(input.trim().to_owned()))
    }
}

/// One person in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "MappingRow"))]
pub struct Row {
    /// Numeric GitLab user ID.
    pub id: u64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// The email, when a source gave a valid one.
    pub email: Option<String>,
    /// Where it came from.
    pub source: Option<EmailSource>,
    /// What needs a look (an email shared with other IDs, a source's invalid address).
    pub problems: Vec<String>,
}

/// A person left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excluded {
    /// Numeric GitLab user ID.
    pub id: u64,
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// `bot` or `blocked`.
    pub reason: String,
}

/// What to build the mapping from.
#[derive(Debug, Default)]
pub struct Options {
    /// Group full paths in scope (subgroups included); empty: all the token reaches.
    pub groups: Vec<String>,
    /// An identity provider's export.
    pub idp: Option<idp::Directory>,
    /// The domain for `username@domain` guesses.
    pub email_domain: Option<String>,
    /// Keep bot users (project and group access tokens, service accounts).
    pub include_bots: bool,
    /// Keep blocked users.
    pub include_blocked: bool,
    /// Look up public emails for at most this many users (`None`: no limit).
    pub public_lookups: Option<usize>,
    /// The admin's edits: ID → email.
    pub edits: HashMap<u64, String>,
}

/// Progress of [`build`].
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BuildProgress {
    /// `members`, `emails` or `public_emails`.
    pub stage: &'static str,
    /// Done in this stage.
    pub done: usize,
    /// Total in this stage, where known.
    pub total: Option<usize>,
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "MappingCounts"))]
pub struct Counts {
    /// People in scope (excluded ones aside).
    pub total: usize,
    /// Rows with an email, by source.
    pub by_source: BTreeMap<EmailSource, usize>,
    /// Rows without an email: not written.
    pub unresolved: usize,
    /// Rows with a problem.
    pub flagged: usize,
    /// People left out (bots, blocked).
    pub excluded: usize,
}

/// The mapping: rows by ID, the people left out, and warnings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Mapping {
    /// Everyone in scope, by ID.
    pub rows: Vec<Row>,
    /// Bots and blocked users, left out.
    pub excluded: Vec<Excluded>,
    /// What the admin should know (skipped look-ups, conflicts in the export).
    pub warnings: Vec<String>,
}

/// Builds the mapping for the people in scope.
pub async fn build(
    client: &Client,
    report: &TokenReport,
    options: &Options,
    progress: &(dyn Fn(BuildProgress) + Send + Sync),
) -> Result<Mapping, Error> {
    let sources = members::sources(report, &options.groups);
    let total = sources.len();
    let people = members::enumerate(client, &sources, &|done, _| {
        progress(BuildProgress {
            stage: "members",
            done,
            total: Some(total),
        })
    })
    .await?;

    let mut mapping = Mapping::default();
    let mut kept: Vec<Member> = Vec::with_capacity(people.len());
    for m in people {
        let reason = if !options.include_bots && members::is_bot(&m.username) {
            Some("bot")
        } else if !options.include_blocked && m.state != "active" && !m.state.is_empty() {
            Some("blocked")
        } else {
            None
        };
        match reason {
            Some(r) => mapping.excluded.push(Excluded {
                id: m.id,
                username: m.username,
                name: m.name,
                reason: r.into(),
            }),
            None => kept.push(m),
        }
    }

    // 1. What GitLab shows: an administrator sees every user's email.
    let mut admin_emails: HashMap<u64, String> = HashMap::new();
    if report.user.is_admin {
        let users: Vec<UserEmails> = client
            .get_all(
                "users",
                &[
                    ("pagination", "keyset"),
                    ("order_by", "id"),
                    ("sort", "asc"),
                ],
                |done| {
                    progress(BuildProgress {
                        stage: "emails",
                        done,
                        total: None,
                    })
                },
            )
            .await?;
        admin_emails = users
            .into_iter()
            .filter_map(|u| Some((u.id, u.email?)))
            .collect();
    }
    let mut rows: Vec<Row> = kept
        .into_iter()
        .map(|m| {
            let mut row = Row {
                id: m.id,
                username: m.username,
                name: m.name,
                email: None,
                source: None,
                problems: Vec::new(),
            };
            let gitlab = admin_emails.remove(&m.id).or(m.email);
            offer(&mut row, gitlab, EmailSource::Gitlab);
            row
        })
        .collect();

    // 2. Public emails, for those GitLab gave nothing.
    let wanted: Vec<u64> = rows
        .iter()
        .filter(|r| r.email.is_none())
        .map(|r| r.id)
        .collect();
    let limit = options.public_lookups.unwrap_or(usize::MAX);
    if wanted.len() > limit {
        mapping.warnings.push(format!(
            "Public emails were not looked up for {} users: that is more than {limit} look-ups (GitLab allows 300 per \
             10 minutes). Give an identity-provider export or a domain, or raise the limit with the CLI (--public-lookups).",
            wanted.len()
        ));
    } else if !wanted.is_empty() {
        let public = public_emails(client, &wanted, progress).await?;
        for row in rows.iter_mut().filter(|r| r.email.is_none()) {
            offer(row, public.get(&row.id).cloned(), EmailSource::PublicEmail);
        }
    }

    // 3. The identity provider's export (read again, keeping only these people's rows);
    // 4. the domain rule.
    let matches = match &options.idp {
        Some(dir) => {
            let wanted: Vec<(String, String)> = rows
                .iter()
                .filter(|r| r.email.is_none())
                .map(|r| (r.username.clone(), r.name.clone()))
                .collect();
            let found = dir.lookup_async(wanted).await?;
            mapping.warnings.extend(found.conflicts().iter().cloned());
            Some(found)
        }
        None => None,
    };
    let mut name_count: HashMap<String, usize> = HashMap::new();
    for r in &rows {
        *name_count.entry(r.name.to_lowercase()).or_default() += 1;
    }
    for row in rows.iter_mut().filter(|r| r.email.is_none()) {
        if let Some(found) = &matches {
            let unique = name_count.get(&row.name.to_lowercase()) == Some(&1);
            let email = found
                .email_for(&row.username, &row.name, unique)
                .map(|u| u.email.clone());
            offer(row, email, EmailSource::IdentityProvider);
        }
        if row.email.is_none()
            && let Some(domain) = &options.email_domain
        {
            offer(
                row,
                Some(format!("{}@{domain}", row.username)),
                EmailSource::Guessed,
            );
        }
    }
    mapping.rows = rows;
    // 5. The admin's edits.
    for (id, email) in &options.edits {
        mapping.edit(*id, Some(email.clone()));
    }
    mapping.check();
    Ok(mapping)
}

/// Takes a source's email for a row if it is a valid address; notes it if not.
fn offer(row: &mut Row, email: Option<String>, source: EmailSource) {
    let Some(email) = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()) else {
        return;
    };
    if is_valid_email(&email) {
        row.email = Some(email);
        row.source = Some(source);
    } else {
        row.problems.push(format!(
            "the {} address '{email}' is not an email address",
            source.label()
        ));
    }
}

/// `GET /users/:id` for each ID, concurrently within the client's limits.
async fn public_emails(
    client: &Client,
    ids: &[u64],
    progress: &(dyn Fn(BuildProgress) + Send + Sync),
) -> Result<HashMap<u64, String>, ApiError> {
    let total = ids.len();
    let mut done = 0;
    let mut out = HashMap::new();
    // Owned IDs keep the future provably `Send` (see `members::enumerate`).
    let mut lookups = futures::stream::iter(ids.iter().copied().map(|id| async move {
        match client.get::<UserEmails>(&format!("users/{id}"), &[]).await {
            Ok(u) => Ok(u.public_email.or(u.email).map(|e| (id, e))),
            Err(ApiError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }))
    .buffer_unordered(client.concurrency());
    while let Some(found) = lookups.next().await {
        if let Some((id, email)) = found? {
            out.insert(id, email);
        }
        done += 1;
        progress(BuildProgress {
            stage: "public_emails",
            done,
            total: Some(total),
        });
    }
    Ok(out)
}

/// A plain syntax check: one `@`, a local part, a dotted domain, no spaces or commas, and no
/// first character a spreadsheet would run as a formula (see [`formula_start`]).
pub fn is_valid_email(s: &str) -> bool {
    if formula_start(s).is_some() {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let ok_chars = |t: &str| {
        !t.is_empty()
            && !t.chars().any(|c| {
                c.is_whitespace() || c.is_control() || matches!(c, ',' | '@' | '"' | '<' | '>')
            })
    };
    ok_chars(local)
        && ok_chars(domain)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// The first character of `cell` when a spreadsheet would read the cell as a formula
/// (`=`, `+`, `-` or `@`; see [`idp::FORMULA_STARTS`]): such an email is never taken or written.
pub fn formula_start(cell: &str) -> Option<char> {
    cell.trim_start()
        .chars()
        .next()
        .filter(|c| idp::FORMULA_STARTS.contains(c))
}

impl Mapping {
    /// The admin's edit of one row (`None` clears the email). Returns false for an unknown ID
    /// or an invalid address, leaving the row as it was.
    pub fn edit(&mut self, id: u64, email: Option<String>) -> bool {
        let Some(row) = self.rows.iter_mut().find(|r| r.id == id) else {
            return false;
        };
        match email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()) {
            Some(e) if is_valid_email(&e) => {
                row.email = Some(e);
                row.source = Some(EmailSource::Edited);
            }
            Some(_) => return false,
            None => {
                row.email = None;
                row.source = None;
            }
        }
        self.check();
        true
    }

    /// Flags one email on several IDs (each row says which others).
    pub fn check(&mut self) {
        let mut by_email: HashMap<String, Vec<u64>> = HashMap::new();
        for r in &self.rows {
            if let Some(e) = &r.email {
                by_email.entry(e.to_lowercase()).or_default().push(r.id);
            }
        }
        for r in &mut self.rows {
            r.problems.retain(|p| !p.starts_with("also the email of"));
            if let Some(ids) = r
                .email
                .as_ref()
                .and_then(|e| by_email.get(&e.to_lowercase()))
                .filter(|ids| ids.len() > 1)
            {
                let others: Vec<String> = ids
                    .iter()
                    .filter(|i| **i != r.id)
                    .map(u64::to_string)
                    .collect();
                r.problems
                    .push(format!("also the email of ID {}", others.join(", ")));
            }
        }
    }

    /// Counts for the summary.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            total: self.rows.len(),
            excluded: self.excluded.len(),
            ..Counts::default()
        };
        for r in &self.rows {
            match r.source {
                Some(s) if r.email.is_some() => *c.by_source.entry(s).or_default() += 1,
                _ => c.unresolved += 1,
            }
            c.flagged += usize::from(!r.problems.is_empty());
        }
        c
    }

    /// The people without an email (not written to the CSV).
    pub fn unresolved(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.email.is_none())
    }

    /// The crawler's CSV: user ID then email, one row per resolved person, by ID; UTF-8, LF;
    /// a header row only when asked for. Only valid addresses are written ([`is_valid_email`]),
    /// so no cell starts with a spreadsheet formula, whatever a row was given.
    pub fn csv(&self, header: bool) -> String {
        let mut out = String::with_capacity(self.rows.len() * 40);
        if header {
            out.push_str("user_id,email\n");
        }
        for r in &self.rows {
            if let Some(e) = r.email.as_ref().filter(|e| is_valid_email(e)) {
                out.push_str(&r.id.to_string());
                out.push(',');
                out.push_str(e);
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u64, email: Option<&str>) -> Row {
        Row {
            id,
            username: format!("u{id}"),
            name: format!("U {id}"),
            email: email.map(Into::into),
            source: email.map(|_| EmailSource::Gitlab),
            problems: vec![],
        }
    }

    #[test]
    fn email_syntax() {
        for ok in ["a@b.example", "first.last+tag@sub.corp.example"] {
            assert!(is_valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@b",
            "@b.example",
            "a@.example",
            "a b@c.example",
            "a@b..example",
            "a,b@c.example",
            "a@b@c.example",
            "=cmd@x.example",
            "+1@x.example",
            "-x@x.example",
            " =x@x.example",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn csv_is_two_columns_lf_and_skips_unresolved() {
        let m = Mapping {
            rows: vec![row(12345, Some("user1@glean.example")), row(7, None)],
            ..Mapping::default()
        };
        assert_eq!(m.csv(false), "12345,user1@glean.example\n");
        assert_eq!(m.csv(true), "user_id,email\n12345,user1@glean.example\n");
        assert_eq!(m.unresolved().map(|r| r.id).collect::<Vec<_>>(), vec![7]);
    }

    #[test]
    fn no_formula_is_taken_from_a_source_or_an_edit_or_written() {
        let mut r = row(1, None);
        offer(
            &mut r,
            Some("=HYPERLINK(\"x\")@x.example".into()),
            EmailSource::Gitlab,
        );
        assert_eq!(r.email, None);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let mut m = Mapping {
            rows: vec![row(1, Some("a@x.example")), row(2, None)],
            ..Mapping::default()
        };
        for formula in [
            "=1+1@x.example",
            "+x@x.example",
            "-x@x.example",
            "@x.example",
        ] {
            assert!(!m.edit(2, Some(formula.into())), "{formula}");
        }
        assert_eq!(m.rows[1].email, None);
        // A row built by hand with one is still never written.
        m.rows[1].email = Some("=cmd|' /C calc'!A0@x.example".into());
        assert_eq!(m.csv(false), "1,a@x.example\n");
        assert_eq!(formula_start(" +1"), Some('+'));
        assert_eq!(formula_start("kim@x.example"), None);
    }

    #[test]
    fn edits_override_and_shared_emails_are_flagged() {
        let mut m = Mapping {
            rows: vec![row(1, Some("a@x.example")), row(2, None)],
            ..Mapping::default()
        };
        assert!(!m.edit(2, Some("not an email".into())));
        assert!(!m.edit(99, Some("b@x.example".into())));
        assert!(m.edit(2, Some("A@x.example".into())));
        assert_eq!(m.rows[1].source, Some(EmailSource::Edited));
        assert_eq!(m.rows[0].problems, vec!["also the email of ID 2"]);
        assert_eq!(m.counts().flagged, 2);
        assert!(m.edit(2, Some("b@x.example".into())));
        assert!(
            m.rows[0].problems.is_empty(),
            "the flag goes with the clash"
        );
        let c = m.counts();
        assert_eq!(
            (
                c.by_source[&EmailSource::Gitlab],
                c.by_source[&EmailSource::Edited],
                c.unresolved
            ),
            (1, 1, 0)
        );
    }
}

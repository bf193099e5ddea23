//! Reading an identity provider's user export (Okta, Google Workspace, Entra ID, …): a CSV with a
//! header row, in UTF-8 or UTF-16 (Excel), with `,`, `;` or tab between fields. Columns are
//! found by name, or given explicitly. Every error names the file and, where it can, the line.

use std::collections::HashMap;
use std::path::Path;

/// Names (lower-case, letters and digits only) that mark a username column.
const USERNAME_COLUMNS: &[&str] = &[
    "username",
    "login",
    "userlogin",
    "gitlabusername",
    "samaccountname",
    "nickname",
    "handle",
    "uid",
];
/// Names that mark an email column (also any name starting with `email` or `primaryemail`).
const EMAIL_COLUMNS: &[&str] = &[
    "email",
    "mail",
    "primaryemail",
    "emailaddress",
    "workemail",
    "userprincipalname",
    "upn",
];
/// Names that mark a display-name column.
const NAME_COLUMNS: &[&str] = &["displayname", "name", "fullname"];

/// Why an identity-provider file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", .line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct IdpError {
    /// The file.
    pub path: String,
    /// The line (1-based), where one is to blame.
    pub line: Option<u64>,
    /// What is wrong and what to do.
    pub message: String,
}

/// Which columns to read; `None` finds them by name.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// The column with the login / GitLab username.
    pub username: Option<String>,
    /// The column with the company email.
    pub email: Option<String>,
}

/// One person from the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpUser {
    /// Login as the identity provider has it (may itself be an email).
    pub username: String,
    /// Display name, when the export has one.
    pub name: Option<String>,
    /// The email.
    pub email: String,
    /// Where it stands in the file.
    pub line: u64,
}

/// The export, indexed for joining with GitLab users.
#[derive(Debug, Default)]
pub struct Directory {
    by_login: HashMap<String, Vec<usize>>,
    by_name: HashMap<String, Vec<usize>>,
    users: Vec<IdpUser>,
    /// Logins listed more than once with different emails: never used, reported.
    pub conflicts: Vec<String>,
}

impl Directory {
    /// Reads an export file.
    pub fn read(path: &Path, columns: &Columns) -> Result<Self, IdpError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| IdpError {
            path: shown.clone(),
            line: None,
            message: format!("cannot read it: {e}"),
        })?;
        Self::parse(&shown, &bytes, columns)
    }

    /// Parses an export's bytes; `path` is only for messages.
    pub fn parse(path: &str, bytes: &[u8], columns: &Columns) -> Result<Self, IdpError> {
        let err = |line: Option<u64>, message: String| IdpError {
            path: path.to_owned(),
            line,
            message,
        };
        let text = decode(bytes).map_err(|m| err(None, m))?;
        let first_line = text.lines().next().unwrap_or_default();
        let delimiter = sniff_delimiter(first_line);
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| err(Some(1), format!("not CSV: {e}")))?
            .clone();
        let find = |explicit: &Option<String>,
                    names: &[&str],
                    prefixes: &[&str]|
         -> Result<Option<usize>, IdpError> {
            if let Some(name) = explicit {
                return headers
                    .iter()
                    .position(|h| h.trim() == name.trim() || normalise(h) == normalise(name))
                    .map(Some)
                    .ok_or_else(|| {
                        err(
                            Some(1),
                            format!(
                                "no column named '{name}' (columns: {})",
                                headers.iter().collect::<Vec<_>>().join(", ")
                            ),
                        )
                    });
            }
            let norm: Vec<String> = headers.iter().map(normalise).collect();
            Ok(names
                .iter()
                .find_map(|n| norm.iter().position(|h| h == n))
                .or_else(|| {
                    norm.iter()
                        .position(|h| prefixes.iter().any(|p| h.starts_with(p)))
                }))
        };
        let email_col = find(&columns.email, EMAIL_COLUMNS, &["email", "primaryemail"])?
            .ok_or_else(|| {
                err(
                    Some(1),
                    format!(
                        "no email column found (columns: {}): name the column that holds the email (--idp-email-column, or Email column in the window)",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            })?;
        let login_col = find(&columns.username, USERNAME_COLUMNS, &[])?;
        let name_col = find(&None, NAME_COLUMNS, &[])?;
        if login_col.is_none() && name_col.is_none() {
            return Err(err(Some(1), "no username or display-name column to join on: name the column that holds the username (--idp-username-column, or Username column in the window)".into()));
        }

        let mut dir = Directory::default();
        let mut emails_by_login: HashMap<String, (String, u64)> = HashMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = record
                .as_ref()
                .ok()
                .and_then(|r| r.position())
                .map_or(i as u64 + 2, |p| p.line());
            let record = record.map_err(|e| err(Some(line), format!("not CSV here: {e}")))?;
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if record.len() != headers.len() {
                return Err(err(
                    Some(line),
                    format!(
                        "{} fields where the header has {}: check the quoting on this line",
                        record.len(),
                        headers.len()
                    ),
                ));
            }
            let joined = [Some(email_col), login_col, name_col];
            if joined
                .iter()
                .flatten()
                .any(|&c| record.get(c).is_some_and(|f| f.contains(['\n', '\r'])))
            {
                return Err(err(
                    Some(line),
                    "a quoted field here runs over several lines (a quote left open?): check the quoting on this line".into(),
                ));
            }
            let email = record.get(email_col).unwrap_or_default().trim().to_owned();
            if email.is_empty() {
                continue;
            }
            let username = login_col
                .and_then(|c| record.get(c))
                .unwrap_or_default()
                .trim()
                .to_owned();
            let name = name_col
                .and_then(|c| record.get(c))
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty());
            if !username.is_empty() {
                let key = username.to_lowercase();
                match emails_by_login.get(&key) {
                    Some((known, first)) if !known.eq_ignore_ascii_case(&email) => {
                        dir.conflicts.push(format!(
                            "{path}: '{username}' has two emails ({known} on line {first}, {email} on line {line}); neither is used"
                        ));
                        continue;
                    }
                    Some(_) => continue,
                    None => {
                        emails_by_login.insert(key, (email.clone(), line));
                    }
                }
            }
            dir.users.push(IdpUser {
                username,
                name,
                email,
                line,
            });
        }
        let conflicted: std::collections::HashSet<String> = dir
            .conflicts
            .iter()
            .filter_map(|c| c.split('\'').nth(1))
            .map(str::to_lowercase)
            .collect();
        dir.users
            .retain(|u| !conflicted.contains(&u.username.to_lowercase()));
        for (i, u) in dir.users.iter().enumerate() {
            if !u.username.is_empty() {
                let login = u.username.to_lowercase();
                if let Some((local, _)) = login.split_once('@') {
                    dir.by_login.entry(local.to_owned()).or_default().push(i);
                }
                dir.by_login.entry(login).or_default().push(i);
            }
            if let Some(name) = &u.name {
                dir.by_name.entry(name.to_lowercase()).or_default().push(i);
            }
        }
        Ok(dir)
    }

    /// People read from the file.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True when the file had nobody with an email.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The email for a GitLab user: by username (or the local part of an email-style login),
    /// else by display name where exactly one person has it on both sides
    /// (`name_unique_in_gitlab` says so for GitLab's side).
    pub fn email_for(
        &self,
        username: &str,
        name: &str,
        name_unique_in_gitlab: bool,
    ) -> Option<&IdpUser> {
        if let Some(hits) = self.by_login.get(&username.to_lowercase()) {
            let first = &self.users[hits[0]];
            if hits
                .iter()
                .all(|&i| self.users[i].email.eq_ignore_ascii_case(&first.email))
            {
                return Some(first);
            }
            return None;
        }
        match self.by_name.get(&name.to_lowercase()) {
            Some(hits) if hits.len() == 1 && name_unique_in_gitlab => Some(&self.users[hits[0]]),
            _ => None,
        }
    }
}

/// Text from the file's bytes: UTF-8 (with or without a byte-order mark) or UTF-16 with one.
fn decode(bytes: &[u8]) -> Result<String, String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err("this is a spreadsheet workbook (.xlsx), not CSV: save it as CSV (UTF-8) and choose that file".into());
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec())
            .map_err(|_| "not valid UTF-8 after its byte-order mark".to_owned());
    }
    let utf16 = |le: bool, rest: &[u8]| -> Result<String, String> {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| "not valid UTF-16 text".to_owned())
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(true, rest);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(false, rest);
    }
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| "not UTF-8 or UTF-16 text: export it as CSV (UTF-8)".to_owned())?;
    if text.contains('\0') {
        return Err(
            "contains NUL bytes (UTF-16 without a byte-order mark?): export it as CSV (UTF-8)"
                .into(),
        );
    }
    Ok(text)
}

/// The delimiter of a header line: the most frequent of `,`, `;` and tab outside quotes.
fn sniff_delimiter(header: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for c in header.bytes() {
        if c == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in &mut counts {
                if c == *d {
                    *n += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// A header name reduced to lower-case letters and digits: `Primary Email` → `primaryemail`.
fn normalise(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Directory, IdpError> {
        Directory::parse("idp.csv", text, &Columns::default())
    }

    #[test]
    fn okta_style_export_joins_on_username_and_email_login() {
        let d = parse(b"Username,First name,Last name,Primary email\njdoe@corp.example,Jane,Doe,jane.doe@corp.example\n").unwrap();
        assert_eq!(
            d.email_for("jdoe", "Jane Doe", true).unwrap().email,
            "jane.doe@corp.example"
        );
        assert_eq!(d.email_for("JDOE@corp.example", "x", true).unwrap().line, 2);
    }

    #[test]
    fn excel_exports_with_bom_semicolons_and_utf16() {
        let utf8 = b"\xEF\xBB\xBFuserName;mail\nana;ana@corp.example\n";
        assert_eq!(
            parse(utf8)
                .unwrap()
                .email_for("ana", "", false)
                .unwrap()
                .email,
            "ana@corp.example"
        );
        let text = "login\temail\nbo\tbo@corp.example\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            parse(&le)
                .unwrap()
                .email_for("bo", "", false)
                .unwrap()
                .email,
            "bo@corp.example"
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(parse(&be).unwrap().len(), 1);
    }

    #[test]
    fn quoted_fields_with_commas_and_display_name_join() {
        let d = parse(b"Display Name,Email Address [Required]\n\"Doe, Jane\",jane@corp.example\n\"Roe, Max\",max@corp.example\n\"Roe, Max\",max2@corp.example\n").unwrap();
        assert_eq!(
            d.email_for("nobody", "Doe, Jane", true).unwrap().email,
            "jane@corp.example"
        );
        assert!(
            d.email_for("nobody", "Doe, Jane", false).is_none(),
            "ambiguous on GitLab's side"
        );
        assert!(
            d.email_for("nobody", "Roe, Max", true).is_none(),
            "ambiguous in the export"
        );
    }

    #[test]
    fn one_username_with_two_emails_is_a_conflict() {
        let d = parse(b"username,email\nkim,kim@corp.example\nkim,kim.lee@corp.example\nlee,lee@corp.example\n").unwrap();
        assert!(d.email_for("kim", "", true).is_none());
        assert_eq!(d.conflicts.len(), 1);
        assert!(
            d.conflicts[0].contains("line 2") && d.conflicts[0].contains("line 3"),
            "{}",
            d.conflicts[0]
        );
        assert!(d.email_for("lee", "", true).is_some());
    }

    #[test]
    fn a_very_large_export_is_read_whole_and_a_bad_line_deep_in_it_is_named() {
        let mut text = String::from("login,email\n");
        for i in 0..200_000 {
            text.push_str(&format!("user{i},user{i}@corp.example\n"));
        }
        let d = parse(text.as_bytes()).unwrap();
        assert_eq!(d.len(), 200_000);
        assert_eq!(d.email_for("user199999", "", true).unwrap().line, 200_001);
        text.push_str("broken,\"unclosed@corp.example,x\n");
        text.push_str("late,late@corp.example,extra\n");
        let e = parse(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(200_002), "{e}");
        assert!(e.message.contains("quote left open"), "{e}");
    }

    #[test]
    fn bad_files_name_the_file_and_line() {
        let e = parse(b"username,phone\nkim,123\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(
            e.to_string().starts_with("idp.csv:1: no email column"),
            "{e}"
        );
        let e = parse(b"username,email\nkim,kim@x.example,extra\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            parse(b"PK\x03\x04rest")
                .unwrap_err()
                .message
                .contains(".xlsx")
        );
        assert!(
            parse(&[0xC3, 0x28, b'\n'])
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
        let e = Directory::parse(
            "f.csv",
            b"login,work\nkim,k@x.example\n",
            &Columns {
                email: Some("Mail".into()),
                username: None,
            },
        )
        .unwrap_err();
        assert!(e.message.contains("no column named 'Mail'"), "{e}");
        let ok = Directory::parse(
            "f.csv",
            b"login,work\nkim,k@x.example\n",
            &Columns {
                email: Some("work".into()),
                username: None,
            },
        )
        .unwrap();
        assert_eq!(ok.email_for("kim", "", true).unwrap().email, "k@x.example");
    }
}

//! Reading an identity provider's user export (Okta, Google Workspace, Entra ID, …): a CSV with a
//! header row, in UTF-8 or UTF-16 (Excel), with `,`, `;` or tab between fields. Columns are
//! found by name, or given explicitly. Every error names the file and, where it can, the line.
//!
//! The export is streamed, never held whole: [`Directory::read`] checks every line once and keeps
//! only the column layout and a count; [`Directory::lookup`] reads it again and keeps only the
//! people the mapping still needs an email for. Memory follows the people in scope, not the
//! file's size (a 300 MB export is read in a few megabytes).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The longest record read (a line, or lines joined by a quoted field): longer means a quote
/// left open, or not an export at all.
pub const MAX_RECORD: usize = 1 << 20;

/// Characters a spreadsheet reads as the start of a formula when a cell begins with one.
pub const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

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

/// Where the export's bytes come from: a file (read again for each pass) or bytes in memory.
#[derive(Clone)]
enum Source {
    File(PathBuf),
    Bytes(Arc<[u8]>),
}

impl Source {
    fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Source::File(path) => Box::new(std::fs::File::open(path)?),
            Source::Bytes(bytes) => Box::new(io::Cursor::new(Arc::clone(bytes))),
        })
    }
}

/// The columns joined on, as found in the header.
#[derive(Debug, Clone, Copy)]
struct Layout {
    fields: usize,
    email: usize,
    login: Option<usize>,
    name: Option<usize>,
}

/// A checked export: which file, where its columns are, and how many people have an email.
/// It holds no rows; [`Directory::lookup`] reads the ones the mapping needs.
#[derive(Clone)]
pub struct Directory {
    shown: String,
    source: Source,
    columns: Columns,
    people: usize,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("path", &self.shown)
            .field("columns", &self.columns)
            .field("people", &self.people)
            .finish_non_exhaustive()
    }
}

/// One data row's joined cells, borrowed from the reader's buffer.
struct Person<'a> {
    login: &'a str,
    name: Option<&'a str>,
    email: &'a str,
    line: u64,
}

impl Person<'_> {
    fn to_user(&self) -> IdpUser {
        IdpUser {
            username: self.login.to_owned(),
            name: self.name.map(str::to_owned),
            email: self.email.to_owned(),
            line: self.line,
        }
    }
}

/// Runs a blocking read of the export (`path`, for messages) on the blocking pool, so an async caller's
/// runtime keeps serving while a large file is checked.
async fn off_the_runtime<T: Send + 'static>(
    path: &str,
    read: impl FnOnce() -> Result<T, IdpError> + Send + 'static,
) -> Result<T, IdpError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|e| IdpError {
            path: path.to_owned(),
            line: None,
            message: format!("reading the export stopped unexpectedly ({e}): try again"),
        })?
}

impl Directory {
    /// [`Directory::read`] from async code, on the blocking pool.
    pub async fn read_async(path: &Path, columns: &Columns) -> Result<Self, IdpError> {
        let (owned, columns) = (path.to_owned(), columns.clone());
        off_the_runtime(&path.display().to_string(), move || {
            Self::read(&owned, &columns)
        })
        .await
    }

    /// [`Directory::lookup`] from async code, on the blocking pool.
    pub async fn lookup_async(&self, people: Vec<(String, String)>) -> Result<Matches, IdpError> {
        let dir = self.clone();
        off_the_runtime(self.path(), move || dir.lookup(people)).await
    }

    /// Checks an export file, streaming it: every line is read once and none is kept.
    pub fn read(path: &Path, columns: &Columns) -> Result<Self, IdpError> {
        Self::check(
            path.display().to_string(),
            Source::File(path.to_owned()),
            columns,
        )
    }

    /// Checks an export held in memory; `path` is only for messages.
    pub fn parse(path: &str, bytes: &[u8], columns: &Columns) -> Result<Self, IdpError> {
        Self::check(path.to_owned(), Source::Bytes(bytes.into()), columns)
    }

    fn check(shown: String, source: Source, columns: &Columns) -> Result<Self, IdpError> {
        let mut people = 0;
        scan(&shown, &source, columns, &mut |_| people += 1)?;
        Ok(Self {
            shown,
            source,
            columns: columns.clone(),
            people,
        })
    }

    /// The file, as messages name it.
    pub fn path(&self) -> &str {
        &self.shown
    }

    /// People in the file with an email.
    pub fn len(&self) -> usize {
        self.people
    }

    /// True when the file had nobody with an email.
    pub fn is_empty(&self) -> bool {
        self.people == 0
    }

    /// Reads the export again and keeps the rows that can give an email to one of `people`
    /// (GitLab username, display name): by login, by an email-style login's local part, or by
    /// display name. A login listed with two different emails is a conflict: none of its rows
    /// is used, and [`Matches::conflicts`] says where. The file is checked again as it is read.
    pub fn lookup<U, N>(
        &self,
        people: impl IntoIterator<Item = (U, N)>,
    ) -> Result<Matches, IdpError>
    where
        U: AsRef<str>,
        N: AsRef<str>,
    {
        let mut logins = HashSet::new();
        let mut names = HashSet::new();
        for (login, name) in people {
            logins.insert(login.as_ref().to_lowercase());
            names.insert(name.as_ref().to_lowercase());
        }
        logins.remove("");
        names.remove("");
        let mut kept: Vec<IdpUser> = Vec::new();
        let mut by_name_only: HashSet<String> = HashSet::new();
        scan(&self.shown, &self.source, &self.columns, &mut |p| {
            let login = p.login.to_lowercase();
            let local = login.split_once('@').map(|(l, _)| l);
            let by_login = !login.is_empty()
                && (logins.contains(&login) || local.is_some_and(|l| logins.contains(l)));
            let by_name = p.name.is_some_and(|n| names.contains(&n.to_lowercase()));
            if by_login || by_name {
                if !by_login && !login.is_empty() {
                    by_name_only.insert(login);
                }
                kept.push(p.to_user());
            }
        })?;
        // A row kept for its name only: its login's other rows decide whether it conflicts.
        let mut others: Vec<(String, String, u64)> = Vec::new();
        if !by_name_only.is_empty() {
            let lines: HashSet<u64> = kept.iter().map(|u| u.line).collect();
            scan(&self.shown, &self.source, &self.columns, &mut |p| {
                let login = p.login.to_lowercase();
                if by_name_only.contains(&login) && !lines.contains(&p.line) {
                    others.push((login, p.email.to_owned(), p.line));
                }
            })?;
        }
        drop((logins, names, by_name_only));
        Ok(Matches::new(&self.shown, kept, others))
    }
}

/// The rows of an export that can give an email to someone in scope, indexed for the join.
#[derive(Debug, Default)]
pub struct Matches {
    users: Vec<IdpUser>,
    by_login: HashMap<String, Hits>,
    by_name: HashMap<String, Hits>,
    conflicted: HashSet<String>,
    conflicts: Vec<String>,
}

/// The rows under one key: the first, how many, and whether they all give the same email.
#[derive(Debug, Clone, Copy)]
struct Hits {
    first: usize,
    count: usize,
    same_email: bool,
}

impl Hits {
    fn add(map: &mut HashMap<String, Hits>, key: String, i: usize, users: &[IdpUser]) {
        map.entry(key)
            .and_modify(|h| {
                h.count += 1;
                h.same_email &= users[h.first].email.eq_ignore_ascii_case(&users[i].email);
            })
            .or_insert(Hits {
                first: i,
                count: 1,
                same_email: true,
            });
    }
}

impl Matches {
    /// Indexes `kept` (in file order); `others` are further `(login, email, line)` rows of the
    /// same logins, in file order, seen only to find conflicts.
    fn new(path: &str, mut users: Vec<IdpUser>, others: Vec<(String, String, u64)>) -> Self {
        let mut keys: Vec<String> = users.iter().map(|u| u.username.to_lowercase()).collect();
        let mut m = Matches::default();
        {
            // Both lists in file order, merged: the first email of each login, then any other.
            let mut first: HashMap<&str, (&str, u64)> = HashMap::new();
            let (mut a, mut b) = (0, 0);
            while a < users.len() || b < others.len() {
                let take_kept =
                    b >= others.len() || (a < users.len() && users[a].line < others[b].2);
                let (login, email, line, shown) = if take_kept {
                    a += 1;
                    let u = &users[a - 1];
                    (
                        keys[a - 1].as_str(),
                        u.email.as_str(),
                        u.line,
                        u.username.as_str(),
                    )
                } else {
                    b += 1;
                    let (l, e, n) = &others[b - 1];
                    (l.as_str(), e.as_str(), *n, l.as_str())
                };
                if login.is_empty() {
                    continue;
                }
                match first.get(login) {
                    Some((known, at)) if !known.eq_ignore_ascii_case(email) => {
                        m.conflicts.push(format!(
                            "{path}: '{shown}' has two emails ({known} on line {at}, {email} on line {line}); neither is used"
                        ));
                        m.conflicted.insert(login.to_owned());
                    }
                    Some(_) => {}
                    None => {
                        first.insert(login, (email, line));
                    }
                }
            }
        }
        drop(others);
        // Conflicting logins out; of one login listed twice with one email, the first row.
        let mut used: HashSet<String> = HashSet::new();
        let keep: Vec<bool> = keys
            .iter()
            .map(|k| k.is_empty() || (!m.conflicted.contains(k) && used.insert(k.clone())))
            .collect();
        drop(used);
        let mut flags = keep.iter();
        users.retain(|_| *flags.next().unwrap_or(&false));
        let mut flags = keep.iter();
        keys.retain(|_| *flags.next().unwrap_or(&false));
        users.shrink_to_fit();
        for (i, key) in keys.into_iter().enumerate() {
            if !key.is_empty() {
                if let Some((local, _)) = key.split_once('@') {
                    Hits::add(&mut m.by_login, local.to_owned(), i, &users);
                }
                Hits::add(&mut m.by_login, key, i, &users);
            }
            if let Some(name) = &users[i].name {
                Hits::add(&mut m.by_name, name.to_lowercase(), i, &users);
            }
        }
        m.users = users;
        m
    }

    /// Rows kept for the join.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True when no row can give anyone in scope an email.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Logins (lower-case) listed with two different emails: none of their rows is used.
    pub fn conflicted(&self) -> &HashSet<String> {
        &self.conflicted
    }

    /// One message per conflicting row, with both lines: for the admin.
    pub fn conflicts(&self) -> &[String] {
        &self.conflicts
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
            return hits.same_email.then(|| &self.users[hits.first]);
        }
        match self.by_name.get(&name.to_lowercase()) {
            Some(hits) if hits.count == 1 && name_unique_in_gitlab => Some(&self.users[hits.first]),
            _ => None,
        }
    }
}

/// Streams the export once: finds the columns, checks every record, and hands each person
/// with an email to `each`. Nothing is kept here.
fn scan(
    path: &str,
    source: &Source,
    columns: &Columns,
    each: &mut dyn FnMut(Person<'_>),
) -> Result<(), IdpError> {
    let err = |line: Option<u64>, message: String| IdpError {
        path: path.to_owned(),
        line,
        message,
    };
    let raw = source
        .open()
        .map_err(|e| err(None, format!("cannot read it: {e}")))?;
    let since_record = Arc::new(AtomicUsize::new(0));
    let text = Bounded {
        inner: decoded(raw).map_err(|m| err(None, m))?,
        since_record: Arc::clone(&since_record),
    };
    let (first_line, text) = first_line(text).map_err(|e| err(Some(1), read_problem(&e)))?;
    let delimiter = sniff_delimiter(&first_line);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(io::Cursor::new(first_line).chain(text));
    let headers = reader
        .headers()
        .map_err(|e| err(Some(1), csv_problem(&e)))?
        .clone();
    if headers.as_slice().contains('\0') {
        return Err(err(None, NUL.into()));
    }
    let layout = layout(&headers, columns).map_err(|m| err(Some(1), m))?;
    let mut record = ::csv::StringRecord::new();
    loop {
        since_record.store(0, Ordering::Relaxed);
        let next = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(next, |p| p.line());
                return Err(err(Some(line), csv_problem(&e)));
            }
        }
        let line = record.position().map_or(next, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.as_slice().contains('\0') {
            return Err(err(Some(line), NUL.into()));
        }
        if record.len() != layout.fields {
            return Err(err(
                Some(line),
                format!(
                    "{} fields where the header has {}: check the quoting on this line",
                    record.len(),
                    layout.fields
                ),
            ));
        }
        let cell = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or_default();
        let joined = [Some(layout.email), layout.login, layout.name];
        if joined.iter().any(|&c| cell(c).contains(['\n', '\r'])) {
            return Err(err(
                Some(line),
                "a quoted field here runs over several lines (a quote left open?): check the quoting on this line".into(),
            ));
        }
        let email = cell(Some(layout.email)).trim();
        if email.is_empty() {
            continue;
        }
        if let Some(c) = super::formula_start(email) {
            return Err(err(
                Some(line),
                format!(
                    "the email cell starts with '{c}', which a spreadsheet runs as a formula: correct or remove this line, or export the file again"
                ),
            ));
        }
        let name = Some(cell(layout.name).trim()).filter(|n| !n.is_empty());
        each(Person {
            login: cell(layout.login).trim(),
            name,
            email,
            line,
        });
    }
    Ok(())
}

const NUL: &str =
    "contains NUL bytes (UTF-16 without a byte-order mark?): export it as CSV (UTF-8)";

/// Finds the joined columns in the header.
fn layout(headers: &::csv::StringRecord, columns: &Columns) -> Result<Layout, String> {
    let listed = || headers.iter().collect::<Vec<_>>().join(", ");
    let find = |explicit: &Option<String>,
                names: &[&str],
                prefixes: &[&str]|
     -> Result<Option<usize>, String> {
        if let Some(name) = explicit {
            return headers
                .iter()
                .position(|h| h.trim() == name.trim() || normalise(h) == normalise(name))
                .map(Some)
                .ok_or_else(|| format!("no column named '{name}' (columns: {})", listed()));
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
    let email = find(&columns.email, EMAIL_COLUMNS, &["email", "primaryemail"])?
        .ok_or_else(|| {
            format!(
                "no email column found (columns: {}): name the column that holds the email (--idp-email-column, or Email column in the window)",
                listed()
            )
        })?;
    let login = find(&columns.username, USERNAME_COLUMNS, &[])?;
    let name = find(&None, NAME_COLUMNS, &[])?;
    if login.is_none() && name.is_none() {
        return Err("no username or display-name column to join on: name the column that holds the username (--idp-username-column, or Username column in the window)".into());
    }
    Ok(Layout {
        fields: headers.len(),
        email,
        login,
        name,
    })
}

/// What a CSV error means to the admin.
fn csv_problem(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Utf8 { .. } => {
            "not UTF-8 or UTF-16 text here: export it as CSV (UTF-8)".to_owned()
        }
        ::csv::ErrorKind::Io(io) => read_problem(io),
        _ => format!("not CSV here: {e}"),
    }
}

fn read_problem(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::InvalidData => e.to_string(),
        _ => format!("cannot read it: {e}"),
    }
}

/// The first line (up to and including its `\n`), and the rest of the text after it.
fn first_line<R: Read>(mut text: R) -> io::Result<(Vec<u8>, R)> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.last() != Some(&b'\n') {
        match text.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((line, text))
}

/// The text of the file's bytes, decoded as they are read: UTF-8 (with or without a byte-order
/// mark) as it is, UTF-16 with one turned into UTF-8.
fn decoded(mut raw: Box<dyn Read + Send>) -> Result<Box<dyn Read + Send>, String> {
    let mut head = Vec::with_capacity(4);
    (&mut raw)
        .take(4)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read it: {e}"))?;
    if head.starts_with(b"PK\x03\x04") {
        return Err("this is a spreadsheet workbook (.xlsx), not CSV: save it as CSV (UTF-8) and choose that file".into());
    }
    let (skip, utf16) = if head.starts_with(b"\xEF\xBB\xBF") {
        (3, None)
    } else if head.starts_with(b"\xFF\xFE") {
        (2, Some(true))
    } else if head.starts_with(b"\xFE\xFF") {
        (2, Some(false))
    } else {
        (0, None)
    };
    let rest = io::Cursor::new(head.split_off(skip)).chain(raw);
    Ok(match utf16 {
        Some(le) => Box::new(Utf16::new(rest, le)),
        None => Box::new(rest),
    })
}

/// UTF-16 read as UTF-8, a buffer at a time.
struct Utf16<R> {
    inner: R,
    le: bool,
    odd: Option<u8>,
    high: Option<u16>,
    out: Vec<u8>,
    pos: usize,
}

impl<R: Read> Utf16<R> {
    fn new(inner: R, le: bool) -> Self {
        Self {
            inner,
            le,
            odd: None,
            high: None,
            out: Vec::new(),
            pos: 0,
        }
    }

    fn invalid() -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-16 text")
    }

    /// Decodes the next buffer into `out`; false at the end.
    fn refill(&mut self) -> io::Result<bool> {
        let mut raw = [0u8; 8192];
        let n = loop {
            match self.inner.read(&mut raw) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        if n == 0 {
            if self.odd.is_some() || self.high.is_some() {
                return Err(Self::invalid());
            }
            return Ok(false);
        }
        self.out.clear();
        self.pos = 0;
        let mut bytes: Vec<u8> = self.odd.take().into_iter().collect();
        bytes.extend_from_slice(&raw[..n]);
        if bytes.len() % 2 == 1 {
            self.odd = bytes.pop();
        }
        for pair in bytes.chunks_exact(2) {
            let unit = if self.le {
                u16::from_le_bytes([pair[0], pair[1]])
            } else {
                u16::from_be_bytes([pair[0], pair[1]])
            };
            let code = match (self.high.take(), unit) {
                (Some(high), 0xDC00..=0xDFFF) => {
                    0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(unit) - 0xDC00)
                }
                (Some(_), _) | (None, 0xDC00..=0xDFFF) => return Err(Self::invalid()),
                (None, 0xD800..=0xDBFF) => {
                    self.high = Some(unit);
                    continue;
                }
                (None, unit) => u32::from(unit),
            };
            let c = char::from_u32(code).ok_or_else(Self::invalid)?;
            let mut buf = [0u8; 4];
            self.out
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        Ok(true)
    }
}

impl<R: Read> Read for Utf16<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Refuses to read more than [`MAX_RECORD`] bytes for one record (the scanner resets the
/// count after each), so an unclosed quote cannot pull the whole file into memory.
struct Bounded<R> {
    inner: R,
    since_record: Arc<AtomicUsize>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.since_record.fetch_add(n, Ordering::Relaxed) + n > MAX_RECORD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a record here runs over more than {} MiB (a quote left open?): check the quoting on this line",
                    MAX_RECORD >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// The delimiter of a header line: the most frequent of `,`, `;` and tab outside quotes.
fn sniff_delimiter(header: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &c in header {
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
    use proptest::prelude::*;

    fn parse(text: &[u8]) -> Result<Directory, IdpError> {
        Directory::parse("idp.csv", text, &Columns::default())
    }

    /// The export's rows for these GitLab users (username, display name).
    fn matches(text: &[u8], people: &[(&str, &str)]) -> Matches {
        parse(text).unwrap().lookup(people.iter().copied()).unwrap()
    }

    #[test]
    fn okta_style_export_joins_on_username_and_email_login() {
        let text = b"Username,First name,Last name,Primary email\njdoe@corp.example,Jane,Doe,jane.doe@corp.example\n";
        let m = matches(text, &[("jdoe", "Jane Doe")]);
        assert_eq!(
            m.email_for("jdoe", "Jane Doe", true).unwrap().email,
            "jane.doe@corp.example"
        );
        let m = matches(text, &[("JDOE@corp.example", "x")]);
        assert_eq!(m.email_for("JDOE@corp.example", "x", true).unwrap().line, 2);
    }

    #[test]
    fn excel_exports_with_bom_semicolons_and_utf16() {
        let utf8 = b"\xEF\xBB\xBFuserName;mail\nana;ana@corp.example\n";
        assert_eq!(
            matches(utf8, &[("ana", "")])
                .email_for("ana", "", false)
                .unwrap()
                .email,
            "ana@corp.example"
        );
        let text = "login\temail\nbo\tbo@corp.example\nzoë\t\u{1F600}z@corp.example\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let m = matches(&le, &[("bo", ""), ("ZOË", "")]);
        assert_eq!(
            m.email_for("bo", "", false).unwrap().email,
            "bo@corp.example"
        );
        assert_eq!(
            m.email_for("zoë", "", false).unwrap().email,
            "\u{1F600}z@corp.example",
            "a surrogate pair decodes"
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(parse(&be).unwrap().len(), 2);
        let mut odd = le.clone();
        odd.push(b'x');
        assert!(parse(&odd).unwrap_err().message.contains("UTF-16"));
        let mut lone = vec![0xFF, 0xFE];
        lone.extend("login,email\n".encode_utf16().flat_map(u16::to_le_bytes));
        lone.extend(0xDC00u16.to_le_bytes());
        assert!(parse(&lone).unwrap_err().message.contains("UTF-16"));
    }

    #[test]
    fn quoted_fields_with_commas_and_display_name_join() {
        let text = b"Display Name,Email Address [Required]\n\"Doe, Jane\",jane@corp.example\n\"Roe, Max\",max@corp.example\n\"Roe, Max\",max2@corp.example\n";
        let m = matches(text, &[("nobody", "Doe, Jane"), ("other", "Roe, Max")]);
        assert_eq!(
            m.email_for("nobody", "Doe, Jane", true).unwrap().email,
            "jane@corp.example"
        );
        assert!(
            m.email_for("nobody", "Doe, Jane", false).is_none(),
            "ambiguous on GitLab's side"
        );
        assert!(
            m.email_for("other", "Roe, Max", true).is_none(),
            "ambiguous in the export"
        );
    }

    #[test]
    fn one_username_with_two_emails_is_a_conflict() {
        let text = b"username,email\nkim,kim@corp.example\nkim,kim.lee@corp.example\nlee,lee@corp.example\n";
        let m = matches(text, &[("kim", ""), ("lee", "")]);
        assert!(m.email_for("kim", "", true).is_none());
        assert_eq!(m.conflicts().len(), 1);
        assert!(
            m.conflicts()[0].contains("line 2") && m.conflicts()[0].contains("line 3"),
            "{}",
            m.conflicts()[0]
        );
        assert!(m.email_for("lee", "", true).is_some());
    }

    /// Regression: the conflicting logins were read back out of the warning text (the part
    /// between the first two apostrophes), so an apostrophe in the path or in the login named
    /// the wrong login, and the first of two emails was used.
    #[test]
    fn an_apostrophe_in_the_path_or_the_login_keeps_the_conflict() {
        let text = b"username,email\nkim,kim@corp.example\nkim,kim.lee@corp.example\n";
        let dir = Directory::parse("/home/o'neil/idp.csv", text, &Columns::default()).unwrap();
        let m = dir.lookup([("kim", "")]).unwrap();
        assert_eq!(m.email_for("kim", "", true), None);
        assert!(m.conflicted().contains("kim"));

        let text = b"username,email\no'brien,ob@corp.example\nO'Brien,ob2@corp.example\n";
        let m = matches(text, &[("o'brien", "")]);
        assert_eq!(m.email_for("o'brien", "", true), None);
        assert_eq!(m.conflicts().len(), 1, "{:?}", m.conflicts());
        assert!(m.conflicts()[0].contains("'O'Brien' has two emails"));
    }

    #[test]
    fn a_row_found_by_name_still_loses_to_a_conflict_on_its_login() {
        let text = b"login,name,email\nkim,Kim Lee,kim@corp.example\nother,Someone,x@corp.example\nkim,Kim L.,kim.lee@corp.example\n";
        let m = matches(text, &[("gitlab-kim", "Kim Lee")]);
        assert_eq!(m.email_for("gitlab-kim", "Kim Lee", true), None);
        assert_eq!(m.conflicts().len(), 1, "{:?}", m.conflicts());
        assert!(m.conflicts()[0].contains("line 2") && m.conflicts()[0].contains("line 4"));
    }

    #[test]
    fn lookup_keeps_only_the_rows_for_people_in_scope() {
        let mut text = String::from("login,name,email\n");
        for i in 0..1_000 {
            text.push_str(&format!("user{i},User {i},user{i}@corp.example\n"));
        }
        let d = parse(text.as_bytes()).unwrap();
        assert_eq!(d.len(), 1_000);
        let m = d.lookup([("user7", ""), ("nobody", "User 9")]).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.email_for("user7", "", true).unwrap().line, 9);
        assert_eq!(
            m.email_for("nobody", "User 9", true).unwrap().email,
            "user9@corp.example"
        );
    }

    #[test]
    fn a_very_large_export_is_read_and_a_bad_line_deep_in_it_is_named() {
        let mut text = String::from("login,email\n");
        for i in 0..200_000 {
            text.push_str(&format!("user{i},user{i}@corp.example\n"));
        }
        let d = parse(text.as_bytes()).unwrap();
        assert_eq!(d.len(), 200_000);
        let m = d.lookup([("user199999", "")]).unwrap();
        assert_eq!(m.email_for("user199999", "", true).unwrap().line, 200_001);
        text.push_str("broken,\"unclosed@corp.example,x\n");
        text.push_str("late,late@corp.example,extra\n");
        let e = parse(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(200_002), "{e}");
        assert!(e.message.contains("quote left open"), "{e}");
    }

    #[test]
    fn an_unclosed_quote_stops_at_the_record_limit_with_its_line() {
        let mut text = String::from("login,email\nkim,kim@corp.example\nlee,\"lee@corp.example\n");
        while text.len() < 3 * MAX_RECORD {
            text.push_str("someone,someone@corp.example\n");
        }
        let e = parse(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("quote left open"), "{e}");
    }

    #[test]
    fn a_formula_in_an_email_cell_is_refused_with_its_line() {
        for start in FORMULA_STARTS {
            let text = format!(
                "login,email\nkim,kim@corp.example\nlee, {start}HYPERLINK(\"http://evil.example\")\n"
            );
            let e = parse(text.as_bytes()).unwrap_err();
            assert_eq!(e.line, Some(3), "{e}");
            assert!(
                e.to_string()
                    .starts_with(&format!("idp.csv:3: the email cell starts with '{start}'")),
                "{e}"
            );
        }
        assert!(parse(b"login,email\nkim,kim-x@corp.example\n").is_ok());
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
        let e = parse(b"login,email\nkim,k@x.example\nlee,\xC3\x28@x.example\n").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("UTF-8"), "{e}");
        assert!(
            parse(b"l\0o\0g\0i\0n\0,\0e\0m\0a\0i\0l\0\n\0")
                .unwrap_err()
                .message
                .contains("NUL")
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
        let m = ok.lookup([("kim", "")]).unwrap();
        assert_eq!(m.email_for("kim", "", true).unwrap().email, "k@x.example");
        let e =
            Directory::read(Path::new("/nonexistent/idp.csv"), &Columns::default()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/idp.csv: cannot read it"),
            "{e}"
        );
    }

    /// A 300 MB export (Okta-like, 24 columns) read and looked up; prints this process's peak
    /// memory (VmHWM). Run alone:
    /// `cargo test --release --lib users::idp::tests::peak_memory -- --ignored --nocapture`.
    #[test]
    #[ignore = "writes 300 MB to a temporary directory; a measurement"]
    fn peak_memory_of_a_300_mb_export() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("okta-export.csv");
        let mut f = io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let extra: Vec<String> = (0..20).map(|i| format!("attribute{i}")).collect();
        writeln!(f, "id,login,displayName,email,{}", extra.join(",")).unwrap();
        let filler: Vec<String> = (0..20)
            .map(|i| format!("value-{i}-abcdefghijklmnopq"))
            .collect();
        let filler = filler.join(",");
        let mut written = 0u64;
        let mut i = 0u64;
        while written < 300_000_000 {
            let line =
                format!("00u{i:012},user{i},User Number {i},user{i}@corp.example,{filler}\n");
            written += line.len() as u64;
            f.write_all(line.as_bytes()).unwrap();
            i += 1;
        }
        f.flush().unwrap();
        drop(f);
        let peak = || {
            std::fs::read_to_string("/proc/self/status")
                .unwrap()
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .unwrap()
                .to_owned()
        };
        println!("{written} bytes, {i} rows; before reading: {}", peak());
        let start = std::time::Instant::now();
        let d = Directory::read(&path, &Columns::default()).unwrap();
        assert_eq!(d.len() as u64, i);
        println!("checked in {:?}; {}", start.elapsed(), peak());
        let wanted: Vec<(String, String)> = (0..100_000)
            .map(|k| (format!("user{}", k * (i / 100_000)), String::new()))
            .collect();
        let start = std::time::Instant::now();
        let m = d
            .lookup(wanted.iter().map(|(a, b)| (a.as_str(), b.as_str())))
            .unwrap();
        assert_eq!(m.len(), 100_000);
        let hwm = peak();
        println!("100,000 looked up in {:?}; {hwm}", start.elapsed());
        let kb: u64 = hwm.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert!(kb < 100 * 1024, "{hwm}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes: an export or an error, never a panic.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(d) = parse(&bytes) {
                let _ = d.lookup([("a", "b")]);
            }
        }

        /// Arbitrary text after a valid header: an export or an error, never a panic.
        #[test]
        fn arbitrary_rows_never_panic(body in "(\\PC|[\",;\t\r\n])*") {
            let text = format!("login,name,email\n{body}");
            if let Ok(d) = parse(text.as_bytes()) {
                let _ = d.lookup([("a", "b")]);
            }
        }

        /// Whatever the login (quotes, apostrophes, delimiters, any script), two different
        /// emails for it are a conflict and neither is used; a third login is unaffected.
        #[test]
        fn a_conflict_is_found_for_any_login(
            login in "[^\r\n\0]{1,40}",
            path in "[^\0]{1,30}",
            other_first in any::<bool>(),
        ) {
            prop_assume!(!login.trim().is_empty() && login.trim() != "other");
            let mut w = ::csv::Writer::from_writer(Vec::new());
            w.write_record(["login", "email"]).unwrap();
            if other_first {
                w.write_record(["other", "other@corp.example"]).unwrap();
            }
            w.write_record([login.as_str(), "one@corp.example"]).unwrap();
            w.write_record([login.as_str(), "two@corp.example"]).unwrap();
            w.write_record(["other", "other@corp.example"]).unwrap();
            let bytes = w.into_inner().unwrap();
            let d = Directory::parse(&path, &bytes, &Columns::default()).unwrap();
            let key = login.trim();
            let m = d.lookup([(key, ""), ("other", "")]).unwrap();
            prop_assert_eq!(m.email_for(key, "", true), None);
            prop_assert!(m.conflicted().contains(&key.to_lowercase()));
            prop_assert_eq!(m.conflicts().len(), 1);
            prop_assert_eq!(&m.email_for("other", "", true).unwrap().email, "other@corp.example");
        }
    }
}

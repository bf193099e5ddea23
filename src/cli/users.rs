//! `users`: step 4, the user ID → email CSV.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args as ClapArgs;
use gitlab_onboard::Error;
use gitlab_onboard::scopes;
use gitlab_onboard::users::{self, BuildProgress, Mapping, Options, idp};
use serde_json::json;

use super::{Connection, term};

/// Arguments of `users`.
#[derive(Debug, ClapArgs)]
pub struct UsersArgs {
    #[command(flatten)]
    connection: Connection,
    /// Only these groups (full path, subgroups included); repeatable. Default: all the token reaches.
    #[arg(long = "group", value_name = "PATH")]
    groups: Vec<String>,
    /// An identity provider's user export (CSV with a header row: Okta, Google Workspace, Entra ID).
    #[arg(long, value_name = "FILE")]
    idp: Option<PathBuf>,
    /// The export's column holding the login / GitLab username (default: found by name).
    #[arg(long, value_name = "NAME", requires = "idp")]
    idp_username_column: Option<String>,
    /// The export's column holding the email (default: found by name).
    #[arg(long, value_name = "NAME", requires = "idp")]
    idp_email_column: Option<String>,
    /// Guess `username@DOMAIN` for whoever no other source covers (marked "guessed").
    #[arg(long, value_name = "DOMAIN")]
    email_domain: Option<String>,
    /// Keep bot users (project and group access tokens, service accounts).
    #[arg(long)]
    include_bots: bool,
    /// Keep blocked users.
    #[arg(long)]
    include_blocked: bool,
    /// Look up public emails (`GET /users/:id`) only when at most this many users need one.
    #[arg(long, value_name = "N", default_value_t = users::PUBLIC_LOOKUPS)]
    public_lookups: usize,
    /// Write a header row (`user_id,email`); the crawler expects none.
    #[arg(long)]
    header: bool,
    /// Where to write the CSV (replaced atomically).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Builds the mapping and writes the CSV. Input files and flags are checked before any request;
/// the previous CSV stays as it was unless a new one is complete.
pub async fn run(args: &UsersArgs) -> Result<ExitCode, Error> {
    let idp = match &args.idp {
        Some(path) => {
            let columns = idp::Columns {
                username: args.idp_username_column.clone(),
                email: args.idp_email_column.clone(),
            };
            Some(idp::Directory::read_async(path, &columns).await?)
        }
        None => None,
    };
    let email_domain = args
        .email_domain
        .as_deref()
        .map(users::parse_domain)
        .transpose()?;
    let session = args.connection.session().await?;
    let report = scopes::detect(&session, &|_| {}).await?;
    let options = Options {
        groups: args.groups.clone(),
        idp,
        email_domain,
        include_bots: args.include_bots,
        include_blocked: args.include_blocked,
        public_lookups: Some(args.public_lookups),
        ..Options::default()
    };
    let show = std::io::stderr().is_terminal() && !args.json;
    let progress = move |p: BuildProgress| {
        if show {
            let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
            eprint!("\r{}: {}{total}   ", p.stage, p.done);
        }
    };
    let mapping = users::build(&session.client, &report, &options, &progress).await?;
    if show {
        eprintln!();
    }
    let counts = mapping.counts();
    let written = counts.total - counts.unresolved;
    if written == 0 {
        return Err(Error::NothingToWrite {
            path: args.out.display().to_string(),
            unresolved: counts.unresolved,
        });
    }
    gitlab_onboard::files::write_atomically(&args.out, mapping.csv(args.header).as_bytes())
        .map_err(|e| Error::Output {
            path: args.out.display().to_string(),
            detail: e.to_string(),
        })?;
    // For `status`: when the mapping was built and from which member lists (no names, no
    // emails). The CSV is written either way.
    let dir = gitlab_onboard::files::data_dir();
    if let Err(e) = gitlab_onboard::status::mapping::record_build(
        &session.client,
        &report,
        &args.groups,
        mapping.rows.len(),
        &dir,
    )
    .await
    {
        eprintln!(
            "warning: cannot record the mapping's date in {}: {e}; `status` will not tell its age",
            dir.display()
        );
    }
    if args.json {
        println!("{}", to_json(&mapping, args, written));
    } else {
        print!("{}", summary(&mapping, args, written));
    }
    Ok(ExitCode::SUCCESS)
}

fn to_json(m: &Mapping, args: &UsersArgs, written: usize) -> String {
    let person = |id: u64, username: &str, name: &str| json!({ "id": id, "username": username, "name": name });
    let value = json!({
        "out": args.out.display().to_string(),
        "written": written,
        "counts": m.counts(),
        "unresolved": m.unresolved().map(|r| person(r.id, &r.username, &r.name)).collect::<Vec<_>>(),
        "excluded": m.excluded,
        "flagged": m.rows.iter().filter(|r| !r.problems.is_empty()).map(|r| json!({
            "id": r.id, "username": r.username, "email": r.email, "problems": r.problems,
        })).collect::<Vec<_>>(),
        "warnings": m.warnings,
    });
    serde_json::to_string_pretty(&value).expect("the report serializes")
}

fn summary(m: &Mapping, args: &UsersArgs, written: usize) -> String {
    use std::fmt::Write;
    let c = m.counts();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Wrote {written} of {} users to {}.",
        c.total,
        args.out.display()
    );
    for (source, n) in &c.by_source {
        let _ = writeln!(out, "  {:<18} {n}", format!("{}:", source.label()));
    }
    if c.excluded > 0 {
        let bots = m.excluded.iter().filter(|e| e.reason == "bot").count();
        let _ = writeln!(
            out,
            "Left out: {bots} bots, {} blocked (--include-bots, --include-blocked bring them back).",
            c.excluded - bots
        );
    }
    for r in m.rows.iter().filter(|r| !r.problems.is_empty()) {
        let _ = writeln!(
            out,
            "Check {} (@{}): {}",
            r.id,
            term(&r.username),
            term(&r.problems.join("; "))
        );
    }
    for w in &m.warnings {
        let _ = writeln!(out, "Warning: {}", term(w));
    }
    if c.unresolved > 0 {
        let _ = writeln!(
            out,
            "No email for {} users (not written; give --idp or --email-domain):",
            c.unresolved
        );
        for r in m.unresolved() {
            let _ = writeln!(out, "  {}\t@{}\t{}", r.id, term(&r.username), term(&r.name));
        }
    }
    out
}

//! `login` and `token`: steps 1 and 2.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use gitlab_onboard::Error;
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::scopes::{self, Expiry, Mode, TokenReport};
use gitlab_onboard::token::{Session, parse_token};

use super::{Connection, term};

/// Exit code for a token that works but lacks the scopes the crawler needs.
const INSUFFICIENT: u8 = 3;

/// Prompts for the token (no echo on a terminal; a line on standard input otherwise), checks it,
/// and keeps it in the keychain. Nothing is stored when GitLab refuses it.
pub async fn login(connection: &Connection) -> Result<ExitCode, Error> {
    let url = connection.url()?;
    let keychain = Keychain::system()?;
    let input = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Personal access token for {url}: ")).unwrap_or_default()
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .unwrap_or_default();
        line
    };
    let token = parse_token(&input)?;
    drop(input);
    let session = Session::open(connection.config(url, token)).await?;
    keychain.store_token(session.client.url(), session.client.token())?;
    println!(
        "Token accepted and saved in the OS keychain for {}.",
        session.client.url()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs detection and prints the report (a summary, or one JSON object).
pub async fn report(connection: &Connection, json: bool) -> Result<ExitCode, Error> {
    let session = connection.session().await?;
    let report = scopes::detect(&session, &|_| {}).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
    } else {
        print!("{}", summary(&report));
    }
    if report.mode == Mode::Insufficient {
        eprintln!(
            "error: the token lacks {}: create one with `api`, or with `read_api`, `read_user` and `read_repository`",
            report.missing_scopes.join(", ")
        );
        return Ok(ExitCode::from(INSUFFICIENT));
    }
    Ok(ExitCode::SUCCESS)
}

/// The human-readable report.
fn summary(r: &TokenReport) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mode = match r.mode {
        Mode::Automatic => "automatic (the `api` scope: webhooks can be created for you)",
        Mode::Manual => "manual (read-only token: webhooks are created by hand)",
        Mode::Insufficient => "insufficient",
    };
    let _ = writeln!(
        out,
        "GitLab:   {}{}",
        r.gitlab_url,
        r.gitlab_version
            .as_deref()
            .map(|v| format!(" ({})", term(v)))
            .unwrap_or_default()
    );
    let admin = if r.user.is_admin {
        ", administrator"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "User:     {} ({}, id {}{admin})",
        term(&r.user.username),
        term(&r.user.name),
        r.user.id
    );
    let _ = writeln!(
        out,
        "Scopes:   {}",
        if r.scopes.is_empty() {
            "(unknown)".to_owned()
        } else {
            term(&r.scopes.join(", ")).into_owned()
        }
    );
    let _ = writeln!(out, "Mode:     {mode}");
    let expiry = match (&r.expiry, r.expires_at) {
        (Expiry::Never, _) => "never".to_owned(),
        (Expiry::Ok { days_left } | Expiry::Soon { days_left }, Some(d)) => {
            format!("{d} (in {days_left} days)")
        }
        _ => "unknown".to_owned(),
    };
    let _ = writeln!(out, "Expires:  {expiry}");
    let roles: Vec<String> = r
        .counts
        .by_role
        .iter()
        .map(|(role, n)| format!("{role} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "Projects: {} ({}); webhooks automatic {}, manual {}; archived {}",
        r.counts.total,
        roles.join(", "),
        r.counts.automatic,
        r.counts.manual,
        r.counts.archived
    );
    let owned = r.groups.iter().filter(|g| g.owner).count();
    let _ = writeln!(out, "Groups:   {} (owner of {owned})", r.groups.len());
    for w in &r.warnings {
        let _ = writeln!(out, "Warning:  {}", term(w));
    }
    out
}

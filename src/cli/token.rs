//! `login` and `token`: steps 1 and 2.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::Args as ClapArgs;

use gitlab_onboard::files::{RunLock, data_dir};
use gitlab_onboard::keychain::{Keychain, KeychainError};
use gitlab_onboard::scopes::{self, Expiry, Mode, TokenReport};
use gitlab_onboard::token::{Session, parse_token};
use gitlab_onboard::webhooks::{Fingerprints, Journal};
use gitlab_onboard::{Error, GitLabUrl};

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

/// `logout`'s options.
#[derive(Debug, ClapArgs)]
pub struct LogoutArgs {
    #[command(flatten)]
    connection: Connection,
    /// Also forget the webhook secret and the hook-fingerprint key (keychain), and this
    /// instance's hook fingerprints and apply journals (data directory). The hooks on GitLab
    /// stay: remove them first with `webhooks remove`.
    #[arg(long)]
    all: bool,
}

/// Forgets the token; with `--all`, everything this tool keeps for the instance. Says what was
/// removed, one line each. The data directory is cleared under its run lock (not during an
/// apply), before the keychain, so a host without a keychain still has its files cleared.
pub fn logout(args: &LogoutArgs) -> Result<ExitCode, Error> {
    let url = args.connection.url()?;
    if !args.all {
        Keychain::system()?.delete_token(&url)?;
        println!("Forgot the token for {url}.");
        return Ok(ExitCode::SUCCESS);
    }
    let dir = data_dir();
    if dir.exists() {
        let lock = RunLock::acquire(&dir)?;
        let instance = url.to_string();
        let fingerprints = Fingerprints::discard_instance(&dir, &instance)?;
        println!(
            "Removed {fingerprints} hook fingerprints of {url} from {}.",
            dir.join(Fingerprints::FILE).display()
        );
        let journals = Journal::discard(&lock, &instance)
            .map_err(|e| Error::LocalState(format!("cannot remove the apply journals: {e}")))?;
        println!(
            "Removed {journals} apply journals of {url} from {}.",
            dir.display()
        );
        let records = gitlab_onboard::status::forget_instance(&dir, &instance)
            .map_err(|e| Error::LocalState(format!("cannot remove the status records: {e}")))?;
        println!(
            "Removed {records} status, mapping and onboarding records of {url} from {}.",
            dir.display()
        );
    } else {
        println!(
            "No data directory at {}: no files to remove.",
            dir.display()
        );
    }
    let keychain = Keychain::system()?;
    forget(&url, "token", keychain.token(&url), || {
        keychain.delete_token(&url)
    })?;
    forget(
        &url,
        "webhook secret",
        keychain.webhook_secret(&url),
        || keychain.delete_webhook_secret(&url),
    )?;
    forget(
        &url,
        "hook-fingerprint key",
        keychain.fingerprint_key(&url),
        || keychain.delete_fingerprint_key(&url),
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Deletes one keychain entry and says so (or that there was none).
fn forget(
    url: &GitLabUrl,
    what: &str,
    kept: Result<Option<gitlab_onboard::Secret>, KeychainError>,
    delete: impl FnOnce() -> Result<(), KeychainError>,
) -> Result<(), Error> {
    if kept?.is_some() {
        delete()?;
        println!("Forgot the {what} for {url} (OS keychain).");
    } else {
        println!("No {what} was kept for {url} in the OS keychain.");
    }
    Ok(())
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

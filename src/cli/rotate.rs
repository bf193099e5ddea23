//! `rotate`: day two, a new token for the old one (GitLab 16.10+), kept before anything else.

use std::io::Write;
use std::process::ExitCode;

use clap::Args as ClapArgs;

use gitlab_onboard::keychain::SERVICE;
use gitlab_onboard::rotate::{self, MANUAL_STEPS, RotateError, Rotated, parse_expires_at};
use gitlab_onboard::{Client, Error, GitLabUrl};

use super::{Connection, TokenSource, term};

/// Under this many days left, the new token's expiry is flagged.
const SHORT_LIFETIME_DAYS: i64 = 30;

/// Arguments of `rotate`.
#[derive(Debug, ClapArgs)]
pub struct RotateArgs {
    #[command(flatten)]
    connection: Connection,
    /// The new token's expiry date, YYYY-MM-DD: after today, at most a year ahead. Without
    /// it, GitLab makes the new token expire in one week.
    #[arg(long, value_name = "DATE")]
    expires_at: Option<String>,
}

/// Checks the date, rotates once, then keeps the new token: in the keychain when the old one
/// came from there (nothing secret printed), else on standard output alone.
pub async fn run(args: &RotateArgs) -> Result<ExitCode, Error> {
    let today = chrono::Utc::now().date_naive();
    let expires_at = args
        .expires_at
        .as_deref()
        .map(|d| parse_expires_at(d, today))
        .transpose()
        .map_err(RotateError::from)?;
    let url = args.connection.url()?;
    let (token, source) = args.connection.token(&url)?;
    let client = Client::new(args.connection.config(url.clone(), token))?;
    let rotated = match rotate::rotate(&client, expires_at).await {
        Ok(rotated) => rotated,
        Err(RotateError::Unsupported) => {
            eprintln!("{MANUAL_STEPS}");
            return Err(RotateError::Unsupported.into());
        }
        Err(e) => return Err(e.into()),
    };
    // The old token is revoked now: the new one is kept before anything else is said.
    match source {
        TokenSource::Keychain(keychain) => {
            if let Err(e) = keychain.store_token(&url, &rotated.token) {
                // The only copy: shown once rather than lost.
                print_token(&rotated);
                eprintln!(
                    "error: the token was rotated, but the new one could not be saved in the OS keychain ({}): it is printed above, once; paste it into the crawler's settings and run `gitlab-onboard login` with it",
                    term(&e.to_string())
                );
                return Ok(ExitCode::from(1));
            }
            println!("{}", summary(&url, &rotated, today));
            println!(
                "The new token replaced the old one in the OS keychain (service {SERVICE}, account token@{}).",
                url.keychain_account()
            );
            println!(
                "Now paste the new token into the crawler's settings (copy it from the OS keychain): the crawler's old token no longer works."
            );
        }
        TokenSource::Env => {
            print_token(&rotated);
            eprintln!("{}", summary(&url, &rotated, today));
            eprintln!(
                "The new token is on standard output, alone. Now paste it into the crawler's settings and replace GITLAB_TOKEN wherever it is set: the old token no longer works."
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The new token, alone on standard output, flushed at once.
fn print_token(rotated: &Rotated) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", rotated.token.expose());
    let _ = out.flush();
}

/// What was done, without the secret; a warning for a short lifetime.
fn summary(url: &GitLabUrl, r: &Rotated, today: chrono::NaiveDate) -> String {
    let name = r.name.as_deref().map(term).unwrap_or_default();
    let mut text = format!(
        "Rotated the token for {url}: the old one is revoked; the new one ({name}, id {}, scopes {})",
        r.id,
        term(&r.scopes.join(", "))
    );
    match r.expires_at {
        Some(date) => {
            let days = (date - today).num_days();
            text.push_str(&format!(" expires on {date} (in {days} days)."));
            if days < SHORT_LIFETIME_DAYS {
                text.push_str(&format!(
                    "\nWarning: the new token expires in {days} days; rotate it again before then with --expires-at YYYY-MM-DD (at most a year ahead)."
                ));
            }
        }
        None => text.push_str(" does not expire."),
    }
    text
}

//! Command-line arguments and the commands they run.

mod rotate;
mod schedule;
mod scheduler;
mod scope;
mod status;
mod token;
mod upload;
mod users;
mod webhooks;

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args as ClapArgs, Parser, Subcommand};

use gitlab_onboard::client::ClientConfig;
use gitlab_onboard::instance::{GITLAB_COM, GitLabUrl};
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::token::{Session, parse_token};
use gitlab_onboard::{Error, Secret};

/// Connect a GitLab instance to an enterprise-search crawler.
#[derive(Debug, Parser)]
#[command(name = "gitlab-onboard", version, about)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a personal access token and keep it in the OS keychain (prompts without echo).
    Login(Connection),
    /// Forget the token kept in the OS keychain for this instance (with --all: also the
    /// webhook secret, the fingerprint key and this instance's files in the data directory).
    Logout(token::LogoutArgs),
    /// The crawler's webhook on every selected project: plan, apply or verify.
    Webhooks {
        /// plan, apply or verify.
        verb: webhooks::Verb,
        #[command(flatten)]
        args: webhooks::HookArgs,
    },
    /// The user ID → email CSV the crawler needs (GitLab.com hides emails).
    Users(users::UsersArgs),
    /// Upload the user-mapping CSV to the crawler's Google Cloud Storage bucket.
    Upload(upload::UploadArgs),
    /// Day two: the token's expiry and scopes, and each webhook's health (exit 4: needs
    /// attention).
    Status(status::StatusArgs),
    /// Day two: replace the token with a new one (GitLab 16.10+); the old one is revoked.
    Rotate(rotate::RotateArgs),
    /// Day two: run `webhooks apply` then `status` every --every (systemd user timer, else
    /// cron): prints it, or --install, or --remove. The runs use the keychain's token.
    Schedule(scheduler::ScheduleArgs),
    /// What the token can do: mode, scopes, owner, expiry, projects by role.
    Token {
        #[command(flatten)]
        connection: Connection,
        /// Print one JSON object instead of a summary.
        #[arg(long)]
        json: bool,
    },
}

/// Where GitLab is and how to reach it.
#[derive(Debug, ClapArgs)]
struct Connection {
    /// GitLab's address, e.g. https://gitlab.example.com (HTTPS unless loopback).
    #[arg(long, env = "GITLAB_URL", default_value = GITLAB_COM)]
    gitlab_url: String,
    /// Extra CA certificates (PEM) for a self-managed instance with a private CA.
    #[arg(long, value_name = "PEM")]
    ca_bundle: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
}

impl Connection {
    fn url(&self) -> Result<GitLabUrl, Error> {
        Ok(GitLabUrl::parse(&self.gitlab_url)?)
    }

    fn config(&self, url: GitLabUrl, token: Secret) -> ClientConfig {
        let mut config = ClientConfig::new(url, token);
        config.ca_bundle.clone_from(&self.ca_bundle);
        config.concurrency = usize::from(self.concurrency);
        config
    }

    /// The token from `GITLAB_TOKEN`, else from the keychain entry `login` (or the app) saved.
    async fn session(&self) -> Result<Session, Error> {
        let url = self.url()?;
        let (token, _) = self.token(&url)?;
        Session::open(self.config(url, token)).await
    }

    /// The token from `GITLAB_TOKEN`, else from the keychain, and where it came from.
    fn token(&self, url: &GitLabUrl) -> Result<(Secret, TokenSource), Error> {
        match std::env::var("GITLAB_TOKEN") {
            Ok(value) if !value.trim().is_empty() => Ok((parse_token(&value)?, TokenSource::Env)),
            _ => {
                let keychain = Keychain::system()?;
                let token = keychain.token(url)?.ok_or_else(|| {
                    Error::TokenInput(gitlab_onboard::token::TokenInputError::Missing(
                        url.to_string(),
                    ))
                })?;
                Ok((token, TokenSource::Keychain(keychain)))
            }
        }
    }
}

/// Where the token came from.
enum TokenSource {
    /// The `GITLAB_TOKEN` environment variable.
    Env,
    /// The OS keychain (this handle).
    Keychain(Keychain),
}

/// Runs the command; returns the exit code, or the error to print.
pub async fn run(args: Args) -> Result<ExitCode, Error> {
    match args.command {
        Command::Login(connection) => token::login(&connection).await,
        Command::Logout(args) => token::logout(&args),
        Command::Token { connection, json } => token::report(&connection, json).await,
        Command::Webhooks { verb, args } => webhooks::run(verb, &args).await,
        Command::Users(args) => users::run(&args).await,
        Command::Upload(args) => upload::run(&args).await,
        Command::Status(args) => status::run(&args).await,
        Command::Rotate(args) => rotate::run(&args).await,
        Command::Schedule(args) => Ok(scheduler::run(&args)),
    }
}

/// Text from GitLab (or a file) made safe to print on a terminal: control characters (escape
/// sequences, carriage returns, line breaks, C1 codes) and bidirectional overrides are shown
/// escaped, e.g. `\u{1b}`, so a project name cannot move the cursor, recolour, hide or reorder
/// what is printed. Every table and line printer uses it; JSON output is escaped by serde.
pub(crate) fn term(s: &str) -> Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| {
                if unsafe_char(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::term;

    #[test]
    fn terminal_text_has_no_control_characters() {
        assert_eq!(term("group/project"), "group/project");
        assert_eq!(term("grüße/проект"), "grüße/проект", "letters stay");
        assert_eq!(
            term("evil\u{1b}[2J\rok\nnext\u{9b}31m\u{202e}txt.exe"),
            "evil\\u{1b}[2J\\u{d}ok\\u{a}next\\u{9b}31m\\u{202e}txt.exe"
        );
        for c in (0u32..0x20).chain(0x7f..0xa0).filter_map(char::from_u32) {
            assert!(!term(&c.to_string()).chars().any(char::is_control), "{c:?}");
        }
    }
}

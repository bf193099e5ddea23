//! `status`: is the connection still healthy (day two)? For a person, or cron and monitoring.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args as ClapArgs;

use gitlab_onboard::Error;
use gitlab_onboard::scopes::Mode;
use gitlab_onboard::status::{Status, StatusInput, status};
use gitlab_onboard::webhooks::HookSpec;

use super::scope::HookScope;
use super::webhooks::{proved_fingerprints, secret_from};
use super::{Connection, term};

/// Exit code when something needs attention (a hook, or a token expiring soon).
const ATTENTION: u8 = 4;

/// Exit code when the status could not be read whole.
const FAILED: u8 = 1;

/// Projects and groups listed by name in the report (all are in the JSON).
const SHOWN: usize = 40;

/// Options of `status`.
#[derive(Debug, ClapArgs)]
pub struct StatusArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    scope: HookScope,
    /// Print one JSON object instead of a report.
    #[arg(long)]
    json: bool,
    /// Read every project's hooks, not only the new ones, those that needed attention and
    /// this run's slice of the others.
    #[arg(long)]
    full: bool,
}

/// Runs `status`: exit 0 when all is well, 4 when something needs attention, 1 when it could
/// not be told (an error, or hooks that could not be read).
pub async fn run(args: &StatusArgs) -> Result<ExitCode, Error> {
    let event_url = args.scope.event_url()?;
    let session = args.connection.session().await?;
    let secret = secret_from(
        args.scope.secret_env.as_deref(),
        session.client.url(),
        false,
    )?;
    let input = StatusInput {
        selection: args.scope.selection(),
        spec: HookSpec {
            url: event_url,
            triggers: args.scope.triggers(),
            secret,
        },
        proved: proved_fingerprints(session.client.url()),
        data_dir: Some(gitlab_onboard::files::data_dir()),
        full: args.full,
    };
    // A person at a terminal sees the count move; cron's mail gets no progress lines.
    let live = !args.json && std::io::stderr().is_terminal();
    let s = status(&session, &input, &|p| {
        if live {
            eprint!("\rChecking webhooks: {}/{}", p.done, p.total);
            if p.done == p.total {
                eprintln!();
            }
        }
    })
    .await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&s).expect("the status serializes")
        );
    } else {
        print!("{}", report(&s));
    }
    if !s.webhooks.failed.is_empty() {
        eprintln!(
            "error: the webhooks of {} projects could not be read (listed above): check that GitLab is up, then run status again",
            s.webhooks.failed.len()
        );
        return Ok(ExitCode::from(FAILED));
    }
    Ok(if s.needs_attention() {
        ExitCode::from(ATTENTION)
    } else {
        ExitCode::SUCCESS
    })
}

/// The human-readable report: a few lines, then one line per project or group to look at.
fn report(s: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let t = &s.token;
    let _ = writeln!(out, "GitLab:   {}", term(&s.gitlab_url));
    let expiry = match (t.expires_at, t.days_left) {
        (Some(date), Some(days)) => format!("expires {date} (in {days} days)"),
        _ => "no expiry date".to_owned(),
    };
    let scopes = if t.scopes.is_empty() {
        "(unknown)".to_owned()
    } else {
        t.scopes.join(", ")
    };
    let _ = writeln!(out, "Token:    valid; scopes {}; {expiry}", term(&scopes));
    if t.mode == Mode::Insufficient {
        let _ = writeln!(
            out,
            "Warning:  the token lacks {}: create one with `api`, or with `read_api`, `read_user` and `read_repository`",
            term(&t.missing_scopes.join(", "))
        );
    }
    for w in &t.warnings {
        let _ = writeln!(out, "Warning:  {}", term(w));
    }
    let w = &s.webhooks;
    let _ = writeln!(
        out,
        "Webhooks: {} projects: {} ok, {} missing, {} disabled, {} wrong, {} with duplicates, {} manual, {} unreadable; {} group hooks not as wanted",
        w.projects,
        w.ok,
        w.missing.len(),
        w.disabled.len(),
        w.wrong.len(),
        w.duplicates.len(),
        w.manual.len(),
        w.failed.len(),
        w.groups.len()
    );
    if w.projects == 0 {
        let _ = writeln!(
            out,
            "Warning:  no project selected: none of the token's projects matches --group/--project (archived ones need --include-archived); nothing was checked"
        );
    }
    for d in w.details.iter().take(SHOWN) {
        let _ = writeln!(
            out,
            "  {:<7} {}: {} ({})",
            d.kind,
            term(&d.path),
            term(&d.reasons.join("; ")),
            term(&d.hooks_url)
        );
    }
    if w.details.len() > SHOWN {
        let _ = writeln!(
            out,
            "  ... and {} more (--json lists them all)",
            w.details.len() - SHOWN
        );
    }
    match &s.mapping {
        Some(m) => {
            let since = match (m.appeared, &m.unknown) {
                (Some(n), _) => format!("{n} members appeared since"),
                (None, Some(why)) => format!("members since unknown: {why}"),
                (None, None) => "members since unknown".to_owned(),
            };
            let _ = writeln!(
                out,
                "Mapping:  built {} ({} days ago) with {} users; {}",
                term(&m.built_at),
                m.days_ago,
                m.users,
                term(&since)
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Mapping:  not built here (`users build` records when it was)"
            );
        }
    }
    let scan = &s.scan;
    let read = if scan.full {
        format!("every project's hooks read ({})", scan.checked)
    } else {
        format!(
            "{} projects read ({} new), {} healthy at an earlier read (`--full` reads all)",
            scan.checked, scan.new, scan.carried
        )
    };
    let _ = writeln!(out, "Requests: {}; {read}", s.requests);
    if let Some(why) = &scan.escalated {
        let _ = writeln!(out, "Note:     {}", term(why));
    }
    if let Some(e) = &scan.record_error {
        let _ = writeln!(out, "Warning:  {}", term(e));
    }
    if !s.needs_attention() {
        let _ = writeln!(out, "All well.");
        return out;
    }
    let mut todo = Vec::new();
    if t.expires_soon {
        todo.push(
            "create a new token before it expires and enter it in the crawler and here (`login`)",
        );
    }
    if t.mode == Mode::Insufficient {
        todo.push("create a token with the scopes named above and enter it in the crawler and here (`login`)");
    }
    if w.projects == 0 {
        todo.push("check the groups and projects given");
    }
    if !(w.missing.is_empty() && w.disabled.is_empty() && w.wrong.is_empty()) {
        todo.push("`webhooks apply` creates, fixes and re-enables the hooks it may");
    }
    if !w.groups.is_empty() {
        todo.push(
            "`webhooks apply --group-hook GROUP` fixes and re-enables the group hooks listed",
        );
    }
    if !w.duplicates.is_empty() {
        todo.push("`webhooks apply --prune-duplicates` removes duplicates beside a hook it set");
    }
    if !w.manual.is_empty() {
        todo.push("`webhooks instructions` writes the steps for the projects a person must hook");
    }
    if s.mapping
        .as_ref()
        .is_some_and(|m| m.appeared.is_some_and(|n| n > 0))
    {
        todo.push(
            "`users build` again, and give the crawler the new mapping, for the members who joined",
        );
    }
    if !todo.is_empty() {
        let _ = writeln!(out, "To do:    {}.", todo.join("; "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gitlab_onboard::status::{Detail, HookStatus, TokenStatus};

    fn status() -> Status {
        Status {
            gitlab_url: "https://gitlab.example.com".into(),
            token: TokenStatus {
                valid: true,
                scopes: vec!["api".into()],
                mode: Mode::Automatic,
                missing_scopes: vec![],
                expires_at: chrono::NaiveDate::from_ymd_opt(2027, 6, 1),
                days_left: Some(200),
                expires_soon: false,
                warnings: vec![],
            },
            webhooks: HookStatus {
                projects: 3,
                ok: 3,
                ..HookStatus::default()
            },
            requests: 12,
            scan: gitlab_onboard::status::Scan {
                full: true,
                checked: 3,
                ..Default::default()
            },
            mapping: None,
        }
    }

    #[test]
    fn all_well_is_short_and_says_so() {
        let text = report(&status());
        assert!(text.contains("expires 2027-06-01 (in 200 days)"), "{text}");
        assert!(text.contains("3 projects: 3 ok, 0 missing"), "{text}");
        assert!(text.contains("Requests: 12"), "{text}");
        assert!(text.ends_with("All well.\n"), "{text}");
    }

    #[test]
    fn problems_are_listed_with_what_to_do_and_gitlab_text_is_escaped() {
        let mut s = status();
        s.webhooks.ok = 2;
        s.webhooks.missing = vec![5];
        s.webhooks.details.push(Detail {
            kind: "project",
            id: 5,
            path: "g/evil\u{1b}[2J".into(),
            hooks_url: "https://gitlab.example.com/g/evil/-/hooks".into(),
            reasons: vec!["no hook with the crawler's URL".into()],
        });
        let text = report(&s);
        assert!(!text.contains('\u{1b}'), "{text}");
        assert!(text.contains("g/evil\\u{1b}[2J"), "{text}");
        assert!(text.contains("`webhooks apply`"), "{text}");
        assert!(!text.contains("All well."), "{text}");
    }

    #[test]
    fn a_long_list_is_cut_short() {
        let mut s = status();
        s.webhooks.projects = 100;
        s.webhooks.ok = 0;
        for id in 0..100 {
            s.webhooks.missing.push(id);
            s.webhooks.details.push(Detail {
                kind: "project",
                id,
                path: format!("g/p{id}"),
                hooks_url: String::new(),
                reasons: vec!["no hook with the crawler's URL".into()],
            });
        }
        let text = report(&s);
        assert!(
            text.contains("g/p39:") && !text.contains("g/p40:"),
            "{text}"
        );
        assert!(
            text.contains("... and 60 more (--json lists them all)"),
            "{text}"
        );
    }
}

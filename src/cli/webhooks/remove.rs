//! `webhooks remove`: the plan, a confirmation, then the deletes.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;

use serde_json::json;

use gitlab_onboard::files::RunLock;
use gitlab_onboard::scopes::{GroupAccess, ProjectAccess, TokenReport};
use gitlab_onboard::webhooks::remove::{self, Kind, Removal, Status, Target};
use gitlab_onboard::webhooks::{Fingerprints, HookSpec, Journal, RunProgress};
use gitlab_onboard::{Client, Error};

use super::{HookArgs, INCOMPLETE};
use crate::cli::term;

/// Exit code when hooks would be deleted but neither `--yes` nor a terminal confirmed it.
const UNCONFIRMED: u8 = 2;

/// Exit code when the admin answered no on the terminal: nothing was deleted.
const DECLINED: u8 = 1;

/// What a removal looks at.
pub(super) struct Scope<'a> {
    pub report: &'a TokenReport,
    pub projects: &'a [&'a ProjectAccess],
    pub groups: &'a [&'a GroupAccess],
    pub spec: &'a HookSpec,
}

/// Plans, asks (unless `--yes`), deletes, and reports. `lock`: the data directory's run lock,
/// held by the caller.
pub(super) async fn run(
    client: &Client,
    scope: &Scope<'_>,
    fingerprints: &Mutex<Fingerprints>,
    lock: Option<&RunLock>,
    args: &HookArgs,
) -> Result<ExitCode, Error> {
    let planned = {
        let known = fingerprints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .snapshot();
        remove::plan(
            client,
            scope.report,
            scope.projects,
            scope.groups,
            scope.spec,
            &known,
            &|_| {},
        )
        .await
    };
    let count = planned.summary().delete;
    if count == 0 {
        show_plan(&planned, args.json);
        return Ok(exit(&planned));
    }
    if args.yes {
        if !args.json {
            print_table(&planned);
        }
    } else if !std::io::stdin().is_terminal() {
        show_plan(&planned, args.json);
        eprintln!(
            "error: {count} crawler hooks would be deleted and none was: pass --yes to delete them (or run on a terminal to confirm)"
        );
        return Ok(ExitCode::from(UNCONFIRMED));
    } else if !confirm(&planned, count, args.json) {
        eprintln!("Nothing deleted.");
        return Ok(ExitCode::from(DECLINED));
    }
    let show = |p: RunProgress<Target>| {
        if !args.json {
            eprintln!(
                "[{}/{}] {}: {}",
                p.done,
                p.total,
                term(&p.item.path),
                label(&p.item.status)
            );
        }
    };
    let done = remove::remove(
        client,
        scope.report,
        &planned,
        scope.spec,
        fingerprints,
        &show,
    )
    .await;
    // Journals of interrupted applies name hooks that are gone now.
    if let Some(lock) = lock {
        Journal::discard(lock, client.url().as_str())
            .map_err(|e| Error::LocalState(format!("cannot remove the apply journals: {e}")))?;
    }
    if args.json {
        print_json(&done, true);
    } else {
        print_table(&done);
    }
    Ok(exit(&done))
}

/// Exit 4 while a crawler hook is known to remain or something could not be read.
fn exit(r: &Removal) -> ExitCode {
    if r.incomplete() {
        ExitCode::from(INCOMPLETE)
    } else {
        ExitCode::SUCCESS
    }
}

/// The plan alone: one JSON object, or the table.
fn show_plan(planned: &Removal, json: bool) {
    if json {
        print_json(planned, false);
    } else {
        print_table(planned);
    }
}

/// Shows the plan and asks on the terminal; true on "y" or "yes".
fn confirm(planned: &Removal, count: usize, json: bool) -> bool {
    if json {
        // Standard output keeps the one JSON object: the plan goes to standard error.
        for line in table(planned) {
            eprintln!("{line}");
        }
    } else {
        print_table(planned);
    }
    eprint!("Delete {count} hooks? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn print_json(r: &Removal, carried_out: bool) {
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "carried_out": carried_out,
            "groups": r.groups,
            "projects": r.projects,
            "summary": r.summary(),
        }))
        .expect("serializes")
    );
}

fn print_table(r: &Removal) {
    for line in table(r) {
        println!("{line}");
    }
}

/// One line per project or group with hooks of ours (or a problem), then the counts.
fn table(r: &Removal) -> Vec<String> {
    let mut lines: Vec<String> = r
        .targets()
        .filter(|t| t.status != Status::Nothing)
        .map(|t| {
            let kind = match t.kind {
                Kind::Project => "project",
                Kind::Group => "group",
            };
            let hooks = |label: &str, ids: &[u64]| {
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(" {label} {}", ids_text(ids))
                }
            };
            let detail = match &t.status {
                Status::Manual { reason } | Status::Unknown { reason } => format!(" ({reason})"),
                Status::Failed { message, .. } => format!(" ({message})"),
                _ => String::new(),
            };
            term(&format!(
                "{:<8} {kind} {}{}{}{}{detail}",
                label(&t.status),
                t.path,
                hooks("delete", &t.delete),
                hooks("deleted", &t.deleted),
                hooks("left", &t.left),
            ))
            .into_owned()
        })
        .collect();
    let s = r.summary();
    lines.push(format!(
        "{} hooks to delete, {} deleted, {} left to a person; {} projects cannot be checked with this token, {} failed",
        s.delete, s.deleted, s.left, s.unknown, s.failed
    ));
    lines
}

fn ids_text(ids: &[u64]) -> String {
    ids.iter()
        .map(|i| format!("#{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn label(s: &Status) -> &'static str {
    match s {
        Status::Nothing => "none",
        Status::Delete => "delete",
        Status::Deleted => "deleted",
        Status::Manual { .. } => "manual",
        Status::Unknown { .. } => "unknown",
        Status::Failed { .. } => "failed",
    }
}

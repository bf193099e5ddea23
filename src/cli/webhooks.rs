//! `webhooks plan|apply|verify`: step 3.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Args as ClapArgs, ValueEnum};
use serde_json::json;

use gitlab_onboard::files::{RunLock, data_dir};
use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::scopes::{self, GroupAccess, Mode};
use gitlab_onboard::token::parse_token;
use gitlab_onboard::webhooks::fingerprints::FingerprintKey;
use gitlab_onboard::webhooks::groups::{self, GroupHook, GroupedCheck, GroupedRun};
use gitlab_onboard::webhooks::{
    self, Action, Check, Fingerprints, HookSpec, Summary, instructions,
};
use gitlab_onboard::{Error, Secret};

use super::scope::HookScope;

mod remove;
use super::{Connection, term};

/// Exit code while some project lacks a correct hook (verify) or failed (apply).
const INCOMPLETE: u8 = 4;

/// Exit code of an apply stopped by Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

/// What to do.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Verb {
    /// Say what apply would do; write nothing.
    Plan,
    /// Create or fix the crawler's hook where the token may.
    Apply,
    /// Check every selected project's hook (exit 4 while any lacks a correct one).
    Verify,
    /// Write the steps for the projects a person must hook by hand (see --format, --out).
    Instructions,
    /// Delete every crawler hook (project and group) in scope, and nothing else: shows the
    /// plan, then needs --yes or a confirmation on a terminal (exit 2 without either).
    Remove,
}

/// An export format for `instructions`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// A Markdown checklist.
    Markdown,
    /// A standalone HTML page.
    Html,
    /// One CSV row per project.
    Csv,
}

/// Options shared by the webhook commands.
#[derive(Debug, ClapArgs)]
pub struct HookArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(flatten)]
    scope: HookScope,
    /// One hook on this group (Owner; Premium or Ultimate) in place of a hook on each of its
    /// projects; our project hooks below it are removed, so no project is hooked twice
    /// (repeatable).
    #[arg(long = "group-hook", value_name = "PATH")]
    group_hooks: Vec<String>,
    /// Delete further hooks with the crawler's URL (apply only; never other hooks).
    #[arg(long)]
    prune_duplicates: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// `verify` only: also ask GitLab to send a test push event to each correct hook (needs
    /// `api`; GitLab allows 5 tests per minute per project).
    #[arg(long)]
    test_delivery: bool,
    /// `instructions` only: the format.
    #[arg(long, value_enum, default_value = "markdown")]
    format: ExportFormat,
    /// `instructions` only: write to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// `instructions` only: write the webhook secret into the document (left out by default:
    /// hand it over another way, or keep the file as private as the secret).
    #[arg(long)]
    include_secret: bool,
    /// `remove` only: delete without asking.
    #[arg(long)]
    yes: bool,
}

/// Runs a webhook command.
pub async fn run(verb: Verb, args: &HookArgs) -> Result<ExitCode, Error> {
    let event_url = args.scope.event_url()?;
    let dir = data_dir();
    // One apply at a time per data directory (the app's included), taken first: before a
    // secret is made and saved, and before the fingerprints are read.
    let lock = match verb {
        Verb::Apply | Verb::Remove => Some(RunLock::acquire(&dir)?),
        _ => None,
    };
    let session = args.connection.session().await?;
    let report = scopes::detect(&session, &|_| {}).await?;
    let selection = args.scope.selection();
    let projects = selection.pick(&report);
    if projects.is_empty() {
        eprintln!(
            "note: no project selected: the token reaches {} projects; check --group/--project, or --include-archived",
            report.counts.total
        );
    }
    let url = session.client.url().clone();
    let secret = match secret(
        args,
        &url,
        // Apply sets it on hooks; instructions with --include-secret hand it to a person: both
        // keep it.
        (matches!(verb, Verb::Apply) && report.mode == Mode::Automatic)
            || (matches!(verb, Verb::Instructions) && args.include_secret),
    ) {
        // Remove only compares with it: without a keychain, no fingerprint proves a hook
        // ours, and only the URL tells (see `webhooks::remove`).
        Err(Error::Keychain(e)) if matches!(verb, Verb::Remove) => {
            eprintln!(
                "note: no webhook secret to compare with ({e}); hooks with the crawler's URL are told apart without fingerprints"
            );
            webhooks::generate_secret()
        }
        other => other?,
    };
    let triggers = args.scope.triggers();
    let spec = HookSpec {
        url: event_url,
        triggers,
        secret,
    };
    let show = |done: usize, total: usize, path: &str, what: &str| {
        if !args.json {
            eprintln!("[{done}/{total}] {}: {}", term(path), term(what));
        }
    };
    let client = &session.client;
    // Fingerprints (and the journal) are keyed per instance: GITLAB_ONBOARD_FINGERPRINT_KEY, else
    // the keychain (verify needs neither).
    let key = || FingerprintKey::resolve(&url, Keychain::system);
    match verb {
        Verb::Instructions => {
            let fingerprints = load_fingerprints(&dir, &key()?)?;
            let outcomes =
                webhooks::plan(client, &report, &projects, &spec, &fingerprints, &|_| {}).await;
            let manual = instructions::manual(&outcomes);
            let format = match args.format {
                ExportFormat::Markdown => instructions::Format::Markdown,
                ExportFormat::Html => instructions::Format::Html,
                ExportFormat::Csv => instructions::Format::Csv,
            };
            let text = instructions::render(format, &manual, &spec, args.include_secret, &url);
            match &args.out {
                Some(path) => {
                    gitlab_onboard::files::write_atomically(path, text.as_bytes()).map_err(
                        |e| Error::Output {
                            path: path.display().to_string(),
                            detail: e.to_string(),
                        },
                    )?;
                    eprintln!(
                        "Wrote instructions for {} projects to {}.",
                        manual.len(),
                        path.display()
                    );
                }
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Verb::Plan | Verb::Apply => {
            let asked = groups::asked(&report, &args.group_hooks)?;
            let apply = matches!(verb, Verb::Apply);
            let key = key()?;
            let fingerprints = Mutex::new(load_fingerprints(&dir, &key)?);
            let show_outcome = |p: webhooks::RunProgress<webhooks::ProjectOutcome>| {
                show(p.done, p.total, &p.item.path, label(&p.item.action));
            };
            let mut cancelled = false;
            let GroupedRun {
                groups: group_hooks,
                projects: outcomes,
            } = if let Some(lock) = &lock {
                let options = webhooks::RunOptions {
                    group_hooks: args.group_hooks.clone(),
                    prune_duplicates: args.prune_duplicates,
                };
                let journal =
                    webhooks::Journal::open(lock, client.url().as_str(), &spec, &options, &key)
                        .map_err(|e| {
                            Error::LocalState(format!(
                                "cannot open the apply journal in {}: {e}",
                                dir.display()
                            ))
                        })?;
                if journal.resumed() > 0 {
                    eprintln!(
                        "Resuming an interrupted apply: {} projects were already done.",
                        journal.resumed()
                    );
                }
                // Ctrl-C stops the run cleanly; the journal keeps what finished.
                let run = client.for_run();
                let ctrl_c = on_ctrl_c(run.clone());
                let done = groups::apply_run(
                    &run,
                    &report,
                    &projects,
                    &asked,
                    &spec,
                    &fingerprints,
                    args.prune_duplicates,
                    Some(&journal),
                    &show_outcome,
                )
                .await;
                ctrl_c.abort();
                cancelled = done.projects.iter().any(
                    |o| matches!(&o.action, Action::Failed { code, .. } if code == "cancelled"),
                );
                if cancelled {
                    eprintln!("Stopped. Run the same command again to continue where it stopped.");
                } else {
                    journal.finish().map_err(|e| {
                        Error::LocalState(format!("cannot remove the apply journal: {e}"))
                    })?;
                    // The marker that onboarding was done (what was applied; nothing secret).
                    let mut marker =
                        gitlab_onboard::status::onboarded::Onboarded::now(&url, &spec, &selection);
                    marker.group_hooks = args.group_hooks.clone();
                    if let Err(e) = marker.save(&dir) {
                        eprintln!(
                            "warning: cannot record in {} that onboarding was done: {e}",
                            dir.display()
                        );
                    }
                }
                done
            } else {
                groups::plan_run(
                    client,
                    &report,
                    &projects,
                    &asked,
                    &spec,
                    &fingerprints,
                    &|_| {},
                )
                .await
            };
            let summary = Summary::of(&outcomes);
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "mode": report.mode,
                        "groups": group_hooks,
                        "projects": outcomes,
                        "summary": summary,
                    }))
                    .expect("serializes")
                );
            } else {
                print_groups(&group_hooks, &asked);
                for o in &outcomes {
                    println!(
                        "{:<10} {}{}",
                        label(&o.action),
                        term(&o.path),
                        term(&detail(&o.action))
                    );
                }
                println!(
                    "{} projects: {} create, {} update, {} unchanged, {} covered by a group hook, {} manual, {} failed; {} duplicate hooks",
                    summary.total,
                    summary.create,
                    summary.update,
                    summary.unchanged,
                    summary.covered,
                    summary.manual,
                    summary.failed,
                    summary.duplicates
                );
                if summary.removed > 0 {
                    println!(
                        "removed {} project {} now covered by the group hook",
                        summary.removed,
                        if summary.removed == 1 {
                            "hook"
                        } else {
                            "hooks"
                        }
                    );
                }
            }
            let group_failed = group_hooks
                .iter()
                .any(|h| matches!(h.action, Action::Failed { .. }));
            let incomplete = apply && (summary.failed > 0 || group_failed);
            Ok(if cancelled {
                ExitCode::from(INTERRUPTED)
            } else if incomplete {
                ExitCode::from(INCOMPLETE)
            } else {
                ExitCode::SUCCESS
            })
        }
        Verb::Remove => {
            let key = key()?;
            let fingerprints = Mutex::new(load_fingerprints(&dir, &key)?);
            let groups = webhooks::remove::groups_in_scope(&report, &selection);
            let scope = remove::Scope {
                report: &report,
                projects: &projects,
                groups: &groups,
                spec: &spec,
            };
            remove::run(client, &scope, &fingerprints, lock.as_ref(), args).await
        }
        Verb::Verify => {
            let asked = groups::asked(&report, &args.group_hooks)?;
            let proved = proved_fingerprints(&url);
            let verified =
                groups::verify_run(client, &report, &projects, &asked, &spec, &proved, &|p| {
                    show(
                        p.done,
                        p.total,
                        &p.item.path,
                        if p.item.check == Check::Ok {
                            "ok"
                        } else {
                            "not ok"
                        },
                    );
                })
                .await;
            let groups_bad = verified.groups_not_ok(&asked);
            let GroupedCheck {
                groups: group_hooks,
                projects: mut checks,
            } = verified;
            if args.test_delivery {
                if report.mode == Mode::Automatic {
                    webhooks::test_deliveries(client, &mut checks, &|p| {
                        show(
                            p.done,
                            p.total,
                            &p.item.path,
                            p.item.test_delivery.as_deref().unwrap_or(""),
                        );
                    })
                    .await;
                } else {
                    eprintln!(
                        "note: test deliveries need the `api` scope; this token is read-only, so none was sent"
                    );
                }
            }
            let ok = checks.iter().filter(|c| c.check == Check::Ok).count();
            let covered = checks.iter().filter(|c| c.covered_by.is_some()).count();
            let not_ok = checks.len() - ok;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "groups": group_hooks,
                        "projects": checks,
                        "ok": ok,
                        "not_ok": not_ok,
                        "groups_not_ok": groups_bad,
                    }))
                    .expect("serializes")
                );
            } else {
                print_groups(&group_hooks, &asked);
                for c in &checks {
                    println!(
                        "{:<8} {} {}{}",
                        serde_json::to_value(&c.check).expect("serializes")["status"]
                            .as_str()
                            .unwrap_or(""),
                        term(&c.path),
                        term(&c.hooks_url),
                        c.covered_by
                            .as_deref()
                            .map(|g| format!(" (by the group hook on {})", term(g)))
                            .unwrap_or_default()
                    );
                }
                println!(
                    "{} projects: {ok} ok, {not_ok} not ok ({covered} covered by a group hook); {groups_bad} group hooks not ok",
                    checks.len(),
                );
            }
            let bad = not_ok + groups_bad;
            Ok(if bad > 0 {
                ExitCode::from(INCOMPLETE)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// Cancels `run` on the first Ctrl-C (the journal keeps what finished) and exits at once on
/// a second one. The handler is in place when this returns.
fn on_ctrl_c(run: gitlab_onboard::Client) -> tokio::task::JoinHandle<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut interrupts) = signal(SignalKind::interrupt()) {
            return tokio::spawn(async move {
                if interrupts.recv().await.is_some() {
                    eprintln!(
                        "Stopping after the requests in flight (Ctrl-C again to quit now)..."
                    );
                    run.cancel();
                }
                if interrupts.recv().await.is_some() {
                    std::process::exit(i32::from(INTERRUPTED));
                }
            });
        }
    }
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            run.cancel();
        }
    })
}

/// Group hooks in the table, with a hint where one could replace many project hooks.
fn print_groups(hooks: &[GroupHook], asked: &[&GroupAccess]) {
    for h in hooks {
        let plan = term(h.plan.as_deref().unwrap_or("unknown"));
        let path = term(&h.full_path);
        if asked.iter().any(|a| a.id == h.group_id) || h.hook_id.is_some() {
            println!(
                "{:<10} group {path} (plan {plan}){}",
                label(&h.action),
                term(&detail(&h.action))
            );
        } else if h.support != groups::PlanSupport::Free && h.projects > 1 {
            println!(
                "hint       group {path} (plan {plan}) could carry one hook for its {} selected projects: --group-hook {path}. {}",
                h.projects,
                term(&h.advice)
            );
        }
    }
}

/// The webhook secret: from `--secret-env`, else the keychain; `apply` makes and keeps one
/// when there is none, and shows it once so the admin can paste it into the crawler.
fn secret(
    args: &HookArgs,
    url: &gitlab_onboard::GitLabUrl,
    may_create: bool,
) -> Result<Secret, Error> {
    secret_from(args.scope.secret_env.as_deref(), url, may_create)
}

/// [`secret`] with `--secret-env`'s value given.
pub(super) fn secret_from(
    secret_env: Option<&str>,
    url: &gitlab_onboard::GitLabUrl,
    may_create: bool,
) -> Result<Secret, Error> {
    if let Some(var) = secret_env {
        let value = std::env::var(var).unwrap_or_default();
        return parse_token(&value).map_err(|_| {
            Error::TokenInput(gitlab_onboard::token::TokenInputError::MissingSecret(
                var.to_owned(),
            ))
        });
    }
    let keychain = Keychain::system()?;
    if let Some(s) = keychain.webhook_secret(url)? {
        return Ok(s);
    }
    if !may_create {
        // Nothing to compare a secret with: every hook's secret counts as not set by this tool.
        return Ok(webhooks::generate_secret());
    }
    let s = webhooks::generate_secret();
    keychain.store_webhook_secret(url, &s)?;
    eprintln!(
        "Generated a webhook secret and saved it in the keychain. Paste it into the crawler's \"Webhook secret token\" field:"
    );
    eprintln!("{}", s.expose());
    Ok(s)
}

/// The fingerprints of the hooks this tool set (for a self-managed group hook: set and proved
/// by a test delivery), for a check that writes nothing. Checks need no keychain: without the
/// key, or with an unreadable file, none counts as proved, and such a group hook is reported
/// as not proved rather than taken on trust.
pub(super) fn proved_fingerprints(url: &gitlab_onboard::GitLabUrl) -> Fingerprints {
    FingerprintKey::resolve(url, Keychain::system)
        .ok()
        .and_then(|key| load_fingerprints(&data_dir(), &key).ok())
        .unwrap_or_else(Fingerprints::in_memory)
}

/// Loads the data directory's fingerprints, warning when a damaged file was set aside.
fn load_fingerprints(dir: &Path, key: &FingerprintKey) -> Result<Fingerprints, Error> {
    let fingerprints = Fingerprints::load(dir, key.clone())?;
    if let Some(backup) = fingerprints.set_aside() {
        eprintln!(
            "warning: the hook fingerprints were damaged; kept them as {} and started afresh (each hook's secret is written once more)",
            backup.display()
        );
    }
    Ok(fingerprints)
}

fn label(a: &Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update { .. } => "update",
        Action::Unchanged => "unchanged",
        Action::Covered { .. } => "covered",
        Action::Manual { .. } => "manual",
        Action::Failed { .. } => "failed",
    }
}

fn detail(a: &Action) -> String {
    match a {
        Action::Update { reasons } => format!(" ({})", reasons.join(", ")),
        Action::Manual { reason } => format!(" ({reason})"),
        Action::Covered { group } => format!(" (by the group hook on {group})"),
        Action::Failed { message, .. } => format!(" ({message})"),
        _ => String::new(),
    }
}

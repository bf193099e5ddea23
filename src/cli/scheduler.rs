//! `schedule`: prints, installs or removes the periodic re-sync (`webhooks apply`, then
//! `status`) as a systemd user timer, or a crontab entry where systemd is not the init.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output, Stdio};
use std::time::{Duration, Instant};

use clap::{Args as ClapArgs, ValueEnum};

use gitlab_onboard::files::write_atomically;
use gitlab_onboard::instance::GitLabUrl;
use gitlab_onboard::webhooks::EventUrl;

use super::schedule::{
    Every, Job, ScheduleError, UNIT, cron_entry, crontab_with, crontab_without, service_unit,
    sh_quote, timer_unit,
};
use super::term;

/// Exit code of a bad `--every` (bad usage).
const USAGE: u8 = 2;

/// How long `systemctl` or `crontab` may take before it is stopped.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Which scheduler to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Via {
    /// systemd when it is the init (`/run/systemd/system` exists), else cron.
    Auto,
    /// A systemd user service and timer.
    Systemd,
    /// A crontab entry.
    Cron,
}

/// Options of `schedule`.
#[derive(Debug, ClapArgs)]
pub struct ScheduleArgs {
    /// GitLab's address, e.g. https://gitlab.example.com.
    #[arg(long, env = "GITLAB_URL", default_value = gitlab_onboard::instance::GITLAB_COM)]
    gitlab_url: String,
    /// The crawler's event URL.
    #[arg(long, env = "CRAWLER_EVENT_URL", required_unless_present = "remove")]
    event_url: Option<String>,
    /// Extra CA certificates (PEM) for a self-managed instance with a private CA.
    #[arg(long, value_name = "PEM")]
    ca_bundle: Option<PathBuf>,
    /// Only projects in this group and its subgroups (repeatable).
    #[arg(long = "group", value_name = "PATH")]
    groups: Vec<String>,
    /// Only this project, by ID or path (repeatable).
    #[arg(long = "project", value_name = "ID|PATH")]
    projects: Vec<String>,
    /// Include archived projects.
    #[arg(long)]
    include_archived: bool,
    /// The hook sends tag push events too.
    #[arg(long)]
    tag_push: bool,
    /// The hook sends confidential issues and comments too.
    #[arg(long)]
    confidential: bool,
    /// How often: 30m, 6h, 1d (15m to 7d; cron takes only even divisions of an hour or a day).
    #[arg(long, default_value = "6h", value_name = "INTERVAL")]
    every: String,
    /// systemd (user timer), cron, or auto.
    #[arg(long, value_enum, default_value = "auto")]
    via: Via,
    /// Install it (systemd: write the units and enable the timer; cron: add the entry).
    #[arg(long, conflicts_with = "remove")]
    install: bool,
    /// Undo an install: disable and delete the units, remove the crontab entry.
    #[arg(long)]
    remove: bool,
}

/// Runs `schedule`. Prints what it would install, or installs, or removes.
pub fn run(args: &ScheduleArgs) -> ExitCode {
    if args.remove {
        return finish(remove(&unit_dir()));
    }
    let every = match Every::parse(&args.every) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}", term(&e.to_string()));
            return ExitCode::from(USAGE);
        }
    };
    finish(schedule(args, every))
}

/// Prints the error of a run as one line and exits 1.
fn finish(result: Result<ExitCode, ScheduleError>) -> ExitCode {
    result.unwrap_or_else(|e| {
        eprintln!("error: {}", term(&e.to_string()));
        ExitCode::from(1)
    })
}

/// Where the user units go: `$XDG_CONFIG_HOME/systemd/user`, else `~/.config/systemd/user`.
fn unit_dir() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".config")))
        .unwrap_or_else(|| PathBuf::from(".config"))
        .join("systemd")
        .join("user")
}

/// The job for these options: this program's absolute path and the options, checked.
fn job(args: &ScheduleArgs) -> Result<Job, ScheduleError> {
    let invalid = |e: &dyn std::fmt::Display| ScheduleError::System(e.to_string());
    let url = GitLabUrl::parse(&args.gitlab_url).map_err(|e| invalid(&e))?;
    let event_url = args.event_url.as_deref().unwrap_or_default();
    EventUrl::parse(event_url).map_err(|e| invalid(&e))?;
    let exe = std::env::current_exe()
        .and_then(|p| std::fs::canonicalize(&p).or(Ok(p)))
        .map_err(|e| {
            ScheduleError::System(format!(
                "cannot tell where this program is ({e}): run it by its full path"
            ))
        })?;
    let exe = exe
        .to_str()
        .ok_or_else(|| ScheduleError::NotUtf8(exe.display().to_string()))?
        .to_owned();
    let mut options = vec![
        "--gitlab-url".to_owned(),
        url.to_string(),
        "--event-url".to_owned(),
        event_url.to_owned(),
    ];
    if let Some(pem) = &args.ca_bundle {
        let pem = std::path::absolute(pem).map_err(|e| {
            ScheduleError::System(format!(
                "cannot use the CA bundle path {}: {e}",
                pem.display()
            ))
        })?;
        let pem = pem
            .to_str()
            .ok_or_else(|| ScheduleError::NotUtf8(pem.display().to_string()))?;
        options.extend(["--ca-bundle".to_owned(), pem.to_owned()]);
    }
    for g in &args.groups {
        options.extend(["--group".to_owned(), g.clone()]);
    }
    for p in &args.projects {
        options.extend(["--project".to_owned(), p.clone()]);
    }
    for (on, flag) in [
        (args.include_archived, "--include-archived"),
        (args.tag_push, "--tag-push"),
        (args.confidential, "--confidential"),
    ] {
        if on {
            options.push(flag.to_owned());
        }
    }
    Job::new(exe, options)
}

/// Whether systemd is the init.
fn systemd_is_init() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// Prints or installs.
fn schedule(args: &ScheduleArgs, every: Every) -> Result<ExitCode, ScheduleError> {
    let job = job(args)?;
    let systemd = match args.via {
        Via::Systemd => true,
        Via::Cron => false,
        Via::Auto => systemd_is_init(),
    };
    let login = format!(
        "gitlab-onboard login --gitlab-url {}",
        sh_quote(&job.options[1])
    );
    if std::env::var_os("GITLAB_TOKEN").is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "note: GITLAB_TOKEN is set here, but the scheduled runs do not see it: they use the token saved in the OS keychain by `{}`",
            term(&login)
        );
    }
    let dir = unit_dir();
    if systemd {
        let service = service_unit(&job);
        let timer = timer_unit(every);
        let service_path = dir.join(format!("{UNIT}.service"));
        let timer_path = dir.join(format!("{UNIT}.timer"));
        if !args.install {
            println!("# {}\n{service}", shown(&service_path));
            println!("# {}\n{timer}", shown(&timer_path));
            println!(
                "# Install with --install (writes both, then `systemctl --user daemon-reload` and `systemctl --user enable --now {UNIT}.timer`)."
            );
            println!(
                "# The runs use the token saved by `{}`; on a server, `loginctl enable-linger` keeps the timer running without a login.",
                term(&login)
            );
            return Ok(ExitCode::SUCCESS);
        }
        for (path, text) in [(&service_path, &service), (&timer_path, &timer)] {
            write_private(path, text)?;
            println!("Wrote {}", shown(path));
        }
        let steps: [&[&str]; 2] = [
            &["--user", "daemon-reload"],
            &["--user", "enable", "--now", &format!("{UNIT}.timer")],
        ];
        for step in steps {
            if let Err(why) = systemctl(step) {
                eprintln!(
                    "error: `systemctl {}` failed ({}): the units are written; in your user session run: systemctl --user daemon-reload && systemctl --user enable --now {UNIT}.timer",
                    step.join(" "),
                    term(&why)
                );
                return Ok(ExitCode::from(1));
            }
        }
        println!(
            "Enabled {UNIT}.timer: every {every}, `webhooks apply` then `status` (see `systemctl --user list-timers`, `journalctl --user -u {UNIT}`)."
        );
        println!("The runs use the token saved by `{}`.", term(&login));
        return Ok(ExitCode::SUCCESS);
    }
    let entry = cron_entry(&job, every)?;
    if !args.install {
        print!("{entry}");
        println!(
            "# Install with --install (adds it to your crontab, keeping your other lines). The runs use the token saved by `{}`.",
            term(&login)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let current = crontab_read()?;
    crontab_write(&crontab_with(&current, &entry))?;
    println!(
        "Added to your crontab: every {every}, `webhooks apply` then `status` (the runs use the token saved by `{}`).",
        term(&login)
    );
    Ok(ExitCode::SUCCESS)
}

/// A path as printed: control characters escaped.
fn shown(path: &Path) -> String {
    term(&path.display().to_string()).into_owned()
}

/// Writes a unit file atomically, readable by its owner only.
fn write_private(path: &Path, text: &str) -> Result<(), ScheduleError> {
    let failed = |e: std::io::Error| {
        ScheduleError::System(format!(
            "cannot write {}: {e}. Check that the directory is writable, or set XDG_CONFIG_HOME",
            path.display()
        ))
    };
    write_atomically(path, text.as_bytes()).map_err(failed)?;
    // A replaced file keeps its mode: make it private like a new one.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(failed)?;
    }
    Ok(())
}

/// Undoes an install, wherever it is: the units (disabled, deleted) and the crontab entry.
fn remove(dir: &Path) -> Result<ExitCode, ScheduleError> {
    let mut removed = false;
    let mut code = ExitCode::SUCCESS;
    let service = dir.join(format!("{UNIT}.service"));
    let timer = dir.join(format!("{UNIT}.timer"));
    if service.exists() || timer.exists() {
        removed = true;
        let disabled = systemctl(&["--user", "disable", "--now", &format!("{UNIT}.timer")]);
        // Without a user session systemctl cannot disable: the link it made goes by hand.
        let wants = dir
            .join("timers.target.wants")
            .join(format!("{UNIT}.timer"));
        if std::fs::symlink_metadata(&wants).is_ok_and(|m| m.file_type().is_symlink()) {
            let _ = std::fs::remove_file(&wants);
        }
        for path in [&timer, &service] {
            match std::fs::remove_file(path) {
                Ok(()) => println!("Removed {}", shown(path)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(ScheduleError::System(format!(
                        "cannot delete {}: {e}. Delete it by hand",
                        path.display()
                    )));
                }
            }
        }
        match disabled.and_then(|()| systemctl(&["--user", "daemon-reload"])) {
            Ok(()) => println!("Disabled {UNIT}.timer."),
            Err(why) => {
                eprintln!(
                    "error: systemctl failed ({}): the units are deleted; in your user session run: systemctl --user stop {UNIT}.timer; systemctl --user daemon-reload",
                    term(&why)
                );
                code = ExitCode::from(1);
            }
        }
    }
    // A host without crontab has no entry of ours.
    if let Ok(current) = crontab_read() {
        let (rest, found) = crontab_without(&current);
        if found {
            crontab_write(&rest)?;
            println!("Removed the gitlab-onboard entry from your crontab.");
            removed = true;
        }
    }
    if !removed {
        println!(
            "Nothing to remove: no {UNIT} units in {} and no gitlab-onboard entry in the crontab.",
            shown(dir)
        );
    }
    Ok(code)
}

/// Runs `systemctl ARGS`; the reason when it is missing, fails or takes too long.
fn systemctl(args: &[&str]) -> Result<(), String> {
    let out = run_command("systemctl", args, None)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(reason(&out))
    }
}

/// The user's crontab (empty when there is none yet).
fn crontab_read() -> Result<String, ScheduleError> {
    let out = run_command("crontab", &["-l"], None).map_err(ScheduleError::System)?;
    if out.status.success() {
        return String::from_utf8(out.stdout).map_err(|_| {
            ScheduleError::System(
                "your crontab is not UTF-8 text: edit it with `crontab -e` and add the entry by hand"
                    .to_owned(),
            )
        });
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.to_lowercase().contains("no crontab") {
        return Ok(String::new());
    }
    Err(ScheduleError::System(format!(
        "`crontab -l` failed ({}): add the entry printed without --install by hand with `crontab -e`",
        reason(&out)
    )))
}

/// Replaces the user's crontab.
fn crontab_write(text: &str) -> Result<(), ScheduleError> {
    let out = run_command("crontab", &["-"], Some(text)).map_err(ScheduleError::System)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ScheduleError::System(format!(
            "`crontab -` failed ({}): edit your crontab by hand with `crontab -e`",
            reason(&out)
        )))
    }
}

/// The first line of a failed command's error output, else its exit status.
fn reason(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.chars().take(200).collect())
        .unwrap_or_else(|| out.status.to_string())
}

/// Runs a program found on PATH with `input` on its standard input, stopping it after
/// [`COMMAND_TIMEOUT`]; the reason when it cannot start or does not end. Input and output go
/// through threads, so a full pipe never stalls the wait.
fn run_command(program: &str, args: &[&str], input: Option<&str>) -> Result<Output, String> {
    use std::io::{Read, Write};
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let text = text.to_owned();
        std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    }
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{program} did not finish within {}s",
                    COMMAND_TIMEOUT.as_secs()
                ));
            }
            Err(e) => return Err(format!("cannot wait for {program}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

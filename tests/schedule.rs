//! `schedule`: the printed systemd units and crontab entry (exact arguments, no token), and
//! `--install` / `--remove` against fake `systemctl` and `crontab` scripts that record their
//! calls. PATH holds only the test's directory, so the real ones are never touched.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GITLAB: &str = "https://gitlab.example.com";
const EVENTS: &str = "https://crawler.example.com/instance/gitlab/events";
const TOKEN: &str = "glpat-schedulenevershowsthis12";

/// A test's private world: a bin directory for the fakes, a config home, a home.
struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn units(&self) -> PathBuf {
        self.path("config/systemd/user")
    }

    /// A fake program in the bin directory: records its arguments, one call a line, in
    /// `<name>.log`, then runs `body`.
    fn fake(&self, name: &str, body: &str) {
        let log = self.path(&format!("{name}.log"));
        let script = format!(
            "#!/bin/sh\nPATH=/usr/bin:/bin\nprintf '%s\\n' \"$*\" >> '{}'\n{body}\n",
            log.display()
        );
        let path = self.path("bin").join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A `crontab` keeping the table in `crontab.txt`.
    fn fake_crontab(&self) {
        let table = self.path("crontab.txt");
        self.fake(
            "crontab",
            &format!(
                "case \"$1\" in\n-l) [ -f '{t}' ] || {{ echo 'no crontab for tester' >&2; exit 1; }}; cat '{t}';;\n-) cat > '{t}';;\nesac",
                t = table.display()
            ),
        );
    }

    /// The calls a fake received.
    fn calls(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path(&format!("{name}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn run(&self, args: &[&str], token: Option<&str>) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_gitlab-onboard"));
        cmd.arg("schedule")
            .args(args)
            .env_clear()
            .env("PATH", self.path("bin"))
            .env("HOME", self.path("home"))
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("GITLAB_ONBOARD_DATA_DIR", self.path("data"));
        if let Some(t) = token {
            cmd.env("GITLAB_TOKEN", t);
        }
        cmd.output().unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The absolute path the units must name.
fn exe() -> String {
    std::fs::canonicalize(env!("CARGO_BIN_EXE_gitlab-onboard"))
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// The connection and scope options the tests schedule: a group with a space and a quote.
const SCOPE: &[&str] = &[
    "--gitlab-url",
    GITLAB,
    "--event-url",
    EVENTS,
    "--group",
    "team a's \"docs\"",
    "--group",
    "ops",
];

fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    SCOPE.iter().copied().chain(extra.iter().copied()).collect()
}

#[test]
fn print_shows_the_timer_and_the_exact_commands_without_the_token() {
    let host = Host::new();
    let out = host.run(&with(&["--via", "systemd", "--every", "30m"]), Some(TOKEN));
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"OnUnitActiveSec=30min"), "{text}");
    assert!(lines.contains(&"Unit=gitlab-onboard.service"));
    let options = format!(
        "--gitlab-url {GITLAB} --event-url {EVENTS} --group \"team a's \\\"docs\\\"\" --group ops"
    );
    let exe = exe();
    assert!(
        lines.contains(&format!("ExecStart=-{exe} webhooks apply {options}").as_str()),
        "{text}"
    );
    assert!(
        lines.contains(&format!("ExecStart={exe} status {options}").as_str()),
        "{text}"
    );
    assert!(lines.contains(&"UnsetEnvironment=GITLAB_TOKEN"));
    assert!(!text.contains(TOKEN) && !stderr(&out).contains(TOKEN));
    assert!(
        stderr(&out).contains("GITLAB_TOKEN is set here"),
        "{}",
        stderr(&out)
    );
    assert!(!host.units().exists(), "print mode writes nothing");
}

#[test]
fn print_without_systemd_shows_a_crontab_entry() {
    let host = Host::new();
    let out = host.run(&with(&["--via", "cron", "--every", "1d"]), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let exe = exe();
    let options = format!(
        "--gitlab-url {GITLAB} --event-url {EVENTS} --group 'team a'\\''s \"docs\"' --group ops"
    );
    let job = format!(
        "0 0 * * * unset GITLAB_TOKEN; out=$({exe} webhooks apply {options} 2>&1) || printf '\\%s\\n' \"$out\"; out=$({exe} status {options} 2>&1) || printf '\\%s\\n' \"$out\""
    );
    assert!(text.lines().any(|l| l == job), "{text}\nwanted {job}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("# gitlab-onboard schedule"))
    );
}

#[test]
fn install_writes_private_units_and_enables_the_timer_then_remove_undoes_it() {
    let host = Host::new();
    host.fake("systemctl", "exit 0");
    let printed = stdout(&host.run(&with(&["--via", "systemd"]), None));
    let out = host.run(&with(&["--via", "systemd", "--install"]), None);
    assert!(out.status.success(), "{}", stderr(&out));
    let service = host.units().join("gitlab-onboard.service");
    let timer = host.units().join("gitlab-onboard.timer");
    for unit in [&service, &timer] {
        assert_eq!(mode(unit), 0o600, "{}", unit.display());
        let text = std::fs::read_to_string(unit).unwrap();
        assert!(printed.contains(&text), "installed as printed");
    }
    assert!(
        std::fs::read_to_string(&timer)
            .unwrap()
            .contains("OnUnitActiveSec=6h")
    );
    assert_eq!(
        host.calls("systemctl"),
        [
            "--user daemon-reload",
            "--user enable --now gitlab-onboard.timer"
        ]
    );

    let out = host.run(&["--remove"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!service.exists() && !timer.exists());
    assert!(stdout(&out).contains("Removed"), "{}", stdout(&out));
    assert_eq!(
        host.calls("systemctl")[2..],
        [
            "--user disable --now gitlab-onboard.timer",
            "--user daemon-reload"
        ]
    );

    let out = host.run(&["--remove"], None);
    assert!(out.status.success());
    assert!(
        stdout(&out).starts_with("Nothing to remove"),
        "{}",
        stdout(&out)
    );
    assert_eq!(host.calls("systemctl").len(), 4, "nothing more to disable");
}

#[test]
fn install_without_a_user_session_keeps_the_units_and_says_what_to_run() {
    let host = Host::new();
    host.fake(
        "systemctl",
        "echo 'Failed to connect to bus: No medium found' >&2; exit 1",
    );
    let out = host.run(&with(&["--via", "systemd", "--install"]), None);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("Failed to connect to bus"), "{err}");
    assert!(
        err.contains(
            "systemctl --user daemon-reload && systemctl --user enable --now gitlab-onboard.timer"
        ),
        "{err}"
    );
    assert!(host.units().join("gitlab-onboard.service").exists());
    assert!(host.units().join("gitlab-onboard.timer").exists());

    // No systemctl at all: the same advice.
    std::fs::remove_file(host.path("bin/systemctl")).unwrap();
    let out = host.run(&with(&["--via", "systemd", "--install"]), None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot run systemctl"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn cron_install_keeps_other_lines_and_remove_restores_them() {
    let host = Host::new();
    host.fake_crontab();
    let mine = "MAILTO=admin@example.com\n*/5 * * * * /usr/local/bin/backup --quiet\n";
    std::fs::write(host.path("crontab.txt"), mine).unwrap();

    for _ in 0..2 {
        let out = host.run(&with(&["--via", "cron", "--install"]), None);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let table = std::fs::read_to_string(host.path("crontab.txt")).unwrap();
    assert!(table.starts_with(mine), "{table}");
    let ours: Vec<&str> = table.lines().skip(2).collect();
    assert_eq!(ours.len(), 2, "one entry after two installs: {table}");
    assert!(ours[1].starts_with("0 */6 * * * unset GITLAB_TOKEN; "));

    let out = host.run(&["--remove"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("crontab"), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(host.path("crontab.txt")).unwrap(),
        mine
    );
    let out = host.run(&["--remove"], None);
    assert!(stdout(&out).starts_with("Nothing to remove"));
    assert_eq!(
        std::fs::read_to_string(host.path("crontab.txt")).unwrap(),
        mine
    );
}

#[test]
fn cron_install_into_an_empty_crontab() {
    let host = Host::new();
    host.fake_crontab();
    let out = host.run(
        &with(&["--via", "cron", "--install", "--every", "30m"]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let table = std::fs::read_to_string(host.path("crontab.txt")).unwrap();
    assert_eq!(table.lines().count(), 2, "{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("*/30 * * * * "));
}

#[test]
fn a_bad_interval_is_one_line_and_writes_nothing() {
    let host = Host::new();
    host.fake("systemctl", "exit 0");
    for every in ["5m", "8d", "6 hours", "soon"] {
        let out = host.run(
            &with(&["--via", "systemd", "--install", "--every", every]),
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{every}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: --every"), "{err}");
    }
    assert!(!host.units().exists());
    assert!(host.calls("systemctl").is_empty());
}

#[test]
fn control_characters_are_refused() {
    let host = Host::new();
    let out = host.run(
        &[
            "--gitlab-url",
            GITLAB,
            "--event-url",
            EVENTS,
            "--group",
            "ops\nExecStart=/bin/evil",
            "--via",
            "systemd",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("control character"),
        "{}",
        stderr(&out)
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn remove_without_a_user_session_still_deletes_the_units_and_says_what_to_run() {
    let host = Host::new();
    host.fake("systemctl", "exit 0");
    assert!(
        host.run(&with(&["--via", "systemd", "--install"]), None)
            .status
            .success()
    );
    // What `enable` makes; a failed `disable` leaves it behind.
    let wants = host.units().join("timers.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(
        host.units().join("gitlab-onboard.timer"),
        wants.join("gitlab-onboard.timer"),
    )
    .unwrap();
    host.fake(
        "systemctl",
        "echo 'Failed to connect to bus: No medium found' >&2; exit 1",
    );
    let out = host.run(&["--remove"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(!host.units().join("gitlab-onboard.service").exists());
    assert!(!host.units().join("gitlab-onboard.timer").exists());
    assert!(std::fs::symlink_metadata(wants.join("gitlab-onboard.timer")).is_err());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("systemctl --user daemon-reload"), "{err}");
}

/// systemd's own checker accepts the units, odd arguments included (where it is installed).
#[test]
fn systemd_analyze_accepts_the_units() {
    let analyze = Path::new("/usr/bin/systemd-analyze");
    if !analyze.exists() {
        eprintln!("skipped: no systemd-analyze");
        return;
    }
    let host = Host::new();
    host.fake("systemctl", "exit 0");
    let out = host.run(
        &with(&["--via", "systemd", "--install", "--group", "$HOME %n ; \\"]),
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = Command::new(analyze)
        .args(["verify", "--man=no"])
        .arg(host.units().join("gitlab-onboard.service"))
        .arg(host.units().join("gitlab-onboard.timer"))
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        stderr(&out)
    );
}

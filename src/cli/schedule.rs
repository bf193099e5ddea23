//! The pure half of `schedule`: the interval, quoting for systemd and the shell, and the text
//! of the systemd user units and of the crontab entry. Nothing here reads or writes the system
//! (see `scheduler` for that), and nothing here knows a token: the scheduled runs take it from
//! the keychain.

use std::fmt;

/// Shortest interval: GitLab's hooks do not change faster, and each run costs requests.
const MIN_MINUTES: u64 = 15;

/// Longest interval: a week (new projects would wait longer for their hook).
const MAX_MINUTES: u64 = 7 * 24 * 60;

/// The name of the systemd units (`.service` and `.timer`).
pub const UNIT: &str = "gitlab-onboard";

/// The comment line above our crontab entry: how `--remove` finds it.
pub const CRON_MARKER: &str =
    "# gitlab-onboard schedule: managed entry, remove with `gitlab-onboard schedule --remove`";

/// Why a schedule cannot be made or changed. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// `--every` is not a number followed by m, h or d.
    #[error("--every '{0}' is not an interval: give minutes, hours or days, e.g. 30m, 6h or 1d")]
    NotAnInterval(String),
    /// `--every` is below 15 minutes or above 7 days.
    #[error("--every '{0}' is out of range: give between 15m and 7d")]
    OutOfRange(String),
    /// cron cannot run at this interval exactly.
    #[error(
        "cron cannot run every {0} evenly: give 15m, 20m or 30m, hours dividing 24 (1h, 2h, 3h, 4h, 6h, 8h, 12h), 1d or 7d"
    )]
    NotForCron(Every),
    /// An argument (URL, group, path) holds a control character, which no unit or crontab
    /// line can carry safely.
    #[error(
        "{0} holds a control character (line break, tab, escape): give it without, as the scheduled command cannot carry it"
    )]
    ControlCharacter(String),
    /// The path of this program is not valid UTF-8.
    #[error(
        "the path of this program ({0}) is not valid UTF-8: install gitlab-onboard under a plain path"
    )]
    NotUtf8(String),
    /// A file or command of the system failed.
    #[error("{0}")]
    System(String),
}

/// How often the scheduled run starts: 15 minutes to 7 days, in whole minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every {
    minutes: u64,
}

impl Every {
    /// Parses `30m`, `6h` or `1d` (a positive whole number and one unit letter).
    pub fn parse(input: &str) -> Result<Self, ScheduleError> {
        let s = input.trim();
        let bad = || ScheduleError::NotAnInterval(input.chars().take(40).collect());
        let unit = s.chars().last().ok_or_else(bad)?;
        let digits = &s[..s.len() - unit.len_utf8()];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 6 {
            return Err(bad());
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let minutes = match unit {
            'm' => n,
            'h' => n * 60,
            'd' => n * 24 * 60,
            _ => return Err(bad()),
        };
        if !(MIN_MINUTES..=MAX_MINUTES).contains(&minutes) {
            return Err(ScheduleError::OutOfRange(s.to_owned()));
        }
        Ok(Self { minutes })
    }

    /// The interval in its largest whole unit: (count, 'd' | 'h' | 'm').
    fn largest_unit(self) -> (u64, char) {
        let m = self.minutes;
        if m.is_multiple_of(24 * 60) {
            (m / (24 * 60), 'd')
        } else if m.is_multiple_of(60) {
            (m / 60, 'h')
        } else {
            (m, 'm')
        }
    }

    /// The interval as systemd writes time spans: `30min`, `6h`, `1d`.
    pub fn systemd(self) -> String {
        match self.largest_unit() {
            (n, 'm') => format!("{n}min"),
            (n, unit) => format!("{n}{unit}"),
        }
    }

    /// The five time fields of a crontab line, when cron can run at this interval evenly.
    pub fn cron(self) -> Result<String, ScheduleError> {
        let m = self.minutes;
        match m {
            15 | 20 | 30 => Ok(format!("*/{m} * * * *")),
            60 => Ok("0 * * * *".to_owned()),
            _ if m.is_multiple_of(60) && m < 24 * 60 && (24 * 60u64).is_multiple_of(m) => {
                Ok(format!("0 */{} * * *", m / 60))
            }
            1440 => Ok("0 0 * * *".to_owned()),
            10080 => Ok("0 0 * * 0".to_owned()),
            _ => Err(ScheduleError::NotForCron(self)),
        }
    }
}

impl fmt::Display for Every {
    /// As `--every` takes it: `30m`, `6h`, `1d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, unit) = self.largest_unit();
        write!(f, "{n}{unit}")
    }
}

/// Refuses control characters (line breaks would start a new unit directive or crontab line).
pub fn check_arg(what: &str, arg: &str) -> Result<(), ScheduleError> {
    if arg.chars().any(char::is_control) {
        return Err(ScheduleError::ControlCharacter(what.to_owned()));
    }
    Ok(())
}

/// Characters that need no quoting in the shell nor in a systemd command line.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ',' | ':' | '=' | '+' | '@')
}

/// One argument quoted for a POSIX shell: as is when plain, else in single quotes (a single
/// quote inside becomes `'\''`). The shell gives back exactly `arg`.
pub fn sh_quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(plain) {
        return arg.to_owned();
    }
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// One argument quoted for a systemd `ExecStart=` line: as is when plain, else in double
/// quotes with `\` and `"` escaped, and `%` and `$` doubled (systemd's specifiers and
/// environment variables). systemd gives back exactly `arg`.
pub fn systemd_quote(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(plain) {
        return arg.to_owned();
    }
    let mut out = String::with_capacity(arg.len() + 2);
    out.push('"');
    for c in arg.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the schedule runs: this program, with the arguments of `webhooks apply` and of
/// `status` (the same connection and scope; never a token or secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The absolute path of `gitlab-onboard`.
    pub exe: String,
    /// The connection and scope options, passed to both commands.
    pub options: Vec<String>,
}

impl Job {
    /// A job, refusing control characters in the program's path or any option.
    pub fn new(exe: String, options: Vec<String>) -> Result<Self, ScheduleError> {
        check_arg("the path of this program", &exe)?;
        for o in &options {
            check_arg(&format!("the argument '{}'", o.escape_debug()), o)?;
        }
        Ok(Self { exe, options })
    }

    /// The arguments of one command: `webhooks apply …` or `status …`.
    pub fn args(&self, command: &[&str]) -> Vec<String> {
        command
            .iter()
            .map(|s| (*s).to_owned())
            .chain(self.options.iter().cloned())
            .collect()
    }

    /// The two commands as systemd runs them: the program, then each argument quoted.
    fn exec(&self, command: &[&str]) -> String {
        std::iter::once(systemd_quote(&self.exe))
            .chain(self.args(command).iter().map(|a| systemd_quote(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The same as a shell command.
    fn sh(&self, command: &[&str]) -> String {
        std::iter::once(sh_quote(&self.exe))
            .chain(self.args(command).iter().map(|a| sh_quote(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The `webhooks apply` command's words.
const APPLY: &[&str] = &["webhooks", "apply"];

/// The `status` command's words.
const STATUS: &[&str] = &["status"];

/// The systemd user service: a oneshot that applies (its failure ignored, so the status still
/// runs) and then reports the status (exit 4 marks the unit failed: visible in
/// `systemctl --user status`). `GITLAB_TOKEN` is unset, so the keychain's token is used.
pub fn service_unit(job: &Job) -> String {
    format!(
        "[Unit]\n\
         Description=gitlab-onboard: re-sync the crawler's GitLab webhooks, then check the connection\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         UnsetEnvironment=GITLAB_TOKEN\n\
         ExecStart=-{}\n\
         ExecStart={}\n",
        job.exec(APPLY),
        job.exec(STATUS)
    )
}

/// The systemd user timer: a first run two minutes after it starts (at install and at each
/// login), then one `every` after the last run began.
pub fn timer_unit(every: Every) -> String {
    format!(
        "[Unit]\n\
         Description=gitlab-onboard: re-sync the crawler's GitLab webhooks every {every}\n\
         \n\
         [Timer]\n\
         OnActiveSec=2min\n\
         OnUnitActiveSec={}\n\
         RandomizedDelaySec=1min\n\
         Unit={UNIT}.service\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n",
        every.systemd()
    )
}

/// Our crontab entry, two lines: the marker comment, then the job: apply, then status, with
/// `GITLAB_TOKEN` unset, each printing its output only when it exits non-zero (cron mails
/// what a job prints: a mail when something needs attention, none for a healthy run). `%`,
/// special to cron, is escaped.
pub fn cron_entry(job: &Job, every: Every) -> Result<String, ScheduleError> {
    let on_failure = |command: String| format!("out=$({command} 2>&1) || printf '%s\\n' \"$out\"");
    let command = format!(
        "unset GITLAB_TOKEN; {}; {}",
        on_failure(job.sh(APPLY)),
        on_failure(job.sh(STATUS))
    );
    Ok(format!(
        "{CRON_MARKER}\n{} {}\n",
        every.cron()?,
        command.replace('%', r"\%")
    ))
}

/// `crontab` with our entry removed (the marker and the line after it), and whether there was
/// one. Other lines stay as they were.
pub fn crontab_without(crontab: &str) -> (String, bool) {
    let mut out = String::with_capacity(crontab.len());
    let mut found = false;
    let mut lines = crontab.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() == CRON_MARKER {
            found = true;
            // The job line follows the marker (unless someone removed it by hand).
            let mut rest = lines.clone();
            if rest
                .next()
                .is_some_and(|l| !l.trim_start().starts_with('#'))
            {
                lines = rest;
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    (out, found)
}

/// `crontab` with our entry in place of any previous one, at the end.
pub fn crontab_with(crontab: &str, entry: &str) -> String {
    let (mut out, _) = crontab_without(crontab);
    out.push_str(entry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn job() -> Job {
        Job::new(
            "/opt/gitlab onboard/bin/gitlab-onboard".to_owned(),
            vec![
                "--gitlab-url".into(),
                "https://gitlab.example.com/it's/".into(),
                "--group".into(),
                "a b$HOME%n\"x\\".into(),
            ],
        )
        .unwrap()
    }

    #[test]
    fn intervals_parse_within_bounds() {
        assert_eq!(Every::parse("30m").unwrap().minutes, 30);
        assert_eq!(Every::parse("6h").unwrap().minutes, 360);
        assert_eq!(Every::parse("1d").unwrap().minutes, 1440);
        assert_eq!(Every::parse("7d").unwrap().minutes, 7 * 1440);
        assert_eq!(Every::parse("15m").unwrap().minutes, 15);
        for bad in [
            "",
            "m",
            "6",
            "6 h",
            "6H",
            "-1h",
            "1.5h",
            "6hh",
            "1w",
            "99999999999d",
        ] {
            assert!(
                matches!(Every::parse(bad), Err(ScheduleError::NotAnInterval(_))),
                "{bad}"
            );
        }
        for out in ["14m", "0m", "8d", "169h"] {
            assert!(
                matches!(Every::parse(out), Err(ScheduleError::OutOfRange(_))),
                "{out}"
            );
        }
        let msg = Every::parse("5m").unwrap_err().to_string();
        assert!(!msg.contains('\n') && msg.contains("15m and 7d"), "{msg}");
    }

    #[test]
    fn intervals_print_for_systemd_and_cron() {
        let e = |s| Every::parse(s).unwrap();
        assert_eq!(e("30m").systemd(), "30min");
        assert_eq!(e("90m").systemd(), "90min");
        assert_eq!(e("120m").systemd(), "2h");
        assert_eq!(e("48h").systemd(), "2d");
        assert_eq!(e("90m").to_string(), "90m");
        assert_eq!(e("30m").cron().unwrap(), "*/30 * * * *");
        assert_eq!(e("1h").cron().unwrap(), "0 * * * *");
        assert_eq!(e("6h").cron().unwrap(), "0 */6 * * *");
        assert_eq!(e("1d").cron().unwrap(), "0 0 * * *");
        assert_eq!(e("7d").cron().unwrap(), "0 0 * * 0");
        for uneven in ["45m", "5h", "90m", "2d"] {
            assert!(e(uneven).cron().is_err(), "{uneven}");
        }
    }

    #[test]
    fn control_characters_are_refused() {
        for c in ["a\nb", "a\rb", "\t", "x\u{1b}[2J", "\u{85}"] {
            let err = Job::new("/bin/x".into(), vec![c.into()]).unwrap_err();
            assert!(matches!(err, ScheduleError::ControlCharacter(_)), "{c:?}");
            assert!(!err.to_string().contains('\n'));
        }
        assert!(Job::new("/a\nb".into(), vec![]).is_err());
    }

    #[test]
    fn units_carry_the_job_quoted_and_no_token() {
        let service = service_unit(&job());
        let lines: Vec<&str> = service.lines().collect();
        assert!(lines.contains(
            &"ExecStart=-\"/opt/gitlab onboard/bin/gitlab-onboard\" webhooks apply --gitlab-url \"https://gitlab.example.com/it's/\" --group \"a b$$HOME%%n\\\"x\\\\\""
        ), "{service}");
        assert!(lines.contains(&"UnsetEnvironment=GITLAB_TOKEN"));
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("ExecStart=")).count(),
            2
        );
        assert!(!service.to_lowercase().contains("token="));
        let timer = timer_unit(Every::parse("6h").unwrap());
        assert!(timer.lines().any(|l| l == "OnUnitActiveSec=6h"), "{timer}");
        assert!(timer.lines().any(|l| l == "Unit=gitlab-onboard.service"));
    }

    #[test]
    fn cron_entry_escapes_percent_and_is_found_again() {
        let entry = cron_entry(&job(), Every::parse("6h").unwrap()).unwrap();
        let lines: Vec<&str> = entry.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], CRON_MARKER);
        assert!(lines[1].starts_with("0 */6 * * * unset GITLAB_TOKEN; out=$('/opt/gitlab onboard/bin/gitlab-onboard' webhooks apply --gitlab-url 'https://gitlab.example.com/it'\\''s/'"), "{}", lines[1]);
        assert!(lines[1].contains(r"'a b$HOME\%n"));
        assert!(!lines[1].replace(r"\%", "").contains('%'));

        let mine = "MAILTO=me\n# keep\n*/5 * * * * backup\n";
        let with = crontab_with(mine, &entry);
        assert!(with.starts_with(mine));
        // Installing twice keeps one entry.
        let twice = crontab_with(&with, &entry);
        assert_eq!(twice, with);
        let (without, found) = crontab_without(&twice);
        assert!(found);
        assert_eq!(without, mine);
        let (again, found) = crontab_without(&without);
        assert!(!found);
        assert_eq!(again, mine);
    }

    /// The crontab line's command, run as cron does (`\%` back to `%`, by /bin/sh) with a
    /// stand-in program: quiet when apply and status succeed, status's output when it does not.
    #[test]
    fn the_cron_command_prints_only_what_needs_attention() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("stand in");
        let code = dir.path().join("status-code");
        std::fs::write(
            &exe,
            format!(
                "#!/bin/sh\necho \"ran $* (${{GITLAB_TOKEN:-no token}})\"\n[ \"$1\" = status ] && exit $(cat '{}')\nexit 0\n",
                code.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let job = Job::new(
            exe.to_str().unwrap().to_owned(),
            vec!["--group".into(), "100% it's".into()],
        )
        .unwrap();
        let entry = cron_entry(&job, Every::parse("1h").unwrap()).unwrap();
        let line = entry.lines().nth(1).unwrap();
        let command = line.splitn(6, ' ').nth(5).unwrap().replace(r"\%", "%");
        let run = |status: &str| {
            std::fs::write(&code, status).unwrap();
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&command)
                .env("GITLAB_TOKEN", "must-not-be-seen")
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(run("0"), "", "a healthy run prints nothing");
        assert_eq!(run("4"), "ran status --group 100% it's (no token)\n");
    }

    /// What a POSIX shell makes of a word made of plain characters and single-quoted parts
    /// joined by `\'` (the only forms `sh_quote` writes); `None` for anything else, such as an
    /// unquoted metacharacter.
    fn sh_unquote(word: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = word.chars();
        while let Some(c) = chars.next() {
            match c {
                '\'' => loop {
                    match chars.next()? {
                        '\'' => break,
                        c => out.push(c),
                    }
                },
                '\\' => out.push(chars.next().filter(|c| *c == '\'')?),
                c if plain(c) => out.push(c),
                _ => return None,
            }
        }
        Some(out)
    }

    /// What systemd makes of one `systemd_quote`d word: quotes removed, C escapes `\\` and
    /// `\"` undone, `%%` and `$$` halved; `None` for anything else.
    fn systemd_unquote(word: &str) -> Option<String> {
        if word.chars().all(plain) && !word.is_empty() {
            return Some(word.to_owned());
        }
        let inner = word.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push(chars.next().filter(|c| matches!(c, '\\' | '"'))?),
                '%' | '$' => out.push(chars.next().filter(|n| *n == c)?),
                '"' => return None,
                c => out.push(c),
            }
        }
        Some(out)
    }

    #[test]
    fn the_shell_reads_back_every_quoted_argument() {
        let args = [
            "plain",
            "",
            "it's",
            "a b",
            "$(rm -rf ~)",
            "`x`",
            "\"q\"",
            "back\\slash",
            "*?[]{}~#&;|<>!",
            "ü ñ 中",
        ];
        let script = format!(
            "printf '%s\\0' {}",
            args.iter()
                .map(|a| sh_quote(a))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh runs");
        let got: Vec<&str> = std::str::from_utf8(&out.stdout)
            .unwrap()
            .split_terminator('\0')
            .collect();
        assert_eq!(got, args);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// The real shell: `printf '%s\0' <quoted args>` gives back each argument.
        #[test]
        fn sh_reads_back_any_arguments(args in proptest::collection::vec("\\PC{0,12}", 1..5)) {
            let script = format!(
                "printf '%s\\0' {}",
                args.iter().map(|a| sh_quote(a)).collect::<Vec<_>>().join(" ")
            );
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&script)
                .output()
                .expect("sh runs");
            let text = String::from_utf8(out.stdout).expect("UTF-8 back");
            let got: Vec<&str> = text.split_terminator('\0').collect();
            prop_assert_eq!(got, args.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }

    proptest! {
        #[test]
        fn sh_quoting_round_trips(arg in "\\PC*") {
            let q = sh_quote(&arg);
            prop_assert_eq!(sh_unquote(&q), Some(arg.clone()));
            if q.chars().any(|c| !plain(c)) {
                prop_assert!(q.starts_with('\''));
            }
        }

        #[test]
        fn systemd_quoting_round_trips(arg in "\\PC*") {
            let q = systemd_quote(&arg);
            prop_assert_eq!(systemd_unquote(&q), Some(arg.clone()));
            prop_assert!(!q.contains('\n'));
        }

        #[test]
        fn any_crontab_keeps_its_other_lines(
            lines in proptest::collection::vec("[ -~]{0,30}", 0..8)
        ) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let entry = format!("{CRON_MARKER}\n0 * * * * x\n");
            let (back, found) = crontab_without(&crontab_with(&text, &entry));
            prop_assert!(found);
            prop_assert_eq!(back, text);
        }
    }
}

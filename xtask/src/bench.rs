//! `cargo xtask bench-dist`: the package's figures, printed as a table (not a timed test):
//! the `.deb` and release binary sizes, cold start to first paint under Xvfb, and idle memory
//! of the app's process and of WebKit's beside it, with the release build time of this run.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::services::Services;
use crate::{deps, dist};

/// Launches measured (the first is the coldest).
const RUNS: usize = 5;
/// How long the window stays idle before its memory is read.
const IDLE: Duration = Duration::from_secs(4);
/// How long a launch may take to paint before the run fails.
const PAINT_TIMEOUT: Duration = Duration::from_secs(30);
/// The app's marker (`src-tauri/src/paint.rs`): the variable that turns it on, and its line.
const MARKER_ENV: &str = "GITLAB_ONBOARD_PAINT_MARKER";
const MARKER: &str = "gitlab-onboard-app: first paint";

/// Builds the package unless `--app PATH` names a binary to measure instead, then measures.
pub fn run(args: &[String]) -> Result<(), String> {
    let app = match args {
        [] => None,
        [flag, path] if flag == "--app" => Some(PathBuf::from(path)),
        _ => return Err("usage: cargo xtask bench-dist [--app PATH]".into()),
    };
    let (binary, deb, build) = match app {
        Some(path) => (path, None, None),
        None => {
            let built = dist::dist()?;
            (
                built.binary,
                Some((built.deb_bytes, built.cli_deb_bytes)),
                Some((built.build_secs, built.rebuilt)),
            )
        }
    };
    deps::system(deps::RUN.iter().chain(deps::BENCH))?;
    let binary_bytes = dist::size(&binary)?;
    // Other work on the machine slows every launch: the table says how busy it was.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let services = Services::start()?;
    let mut runs = Vec::new();
    for i in 0..RUNS {
        let data = services.scratch().join(format!("data-{i}"));
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        runs.push(launch(&binary, &services.env(), &data)?);
        eprintln!(
            "xtask: run {}: first paint after {:.0} ms",
            i + 1,
            runs[i].paint.as_secs_f64() * 1e3
        );
    }
    drop(services);
    print!("{}", table(&binary, binary_bytes, deb, build, &runs));
    println!(
        "\nload average before the launches (1, 5, 15 min): {} on {} cores",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    Ok(())
}

/// One launch's figures.
struct Launch {
    paint: Duration,
    app: Memory,
    webkit: Memory,
    webkit_processes: usize,
}

/// Resident and proportional set sizes, in KiB.
#[derive(Default, Clone, Copy)]
struct Memory {
    rss: u64,
    pss: u64,
}

/// Starts the app, waits for its first paint, lets it idle, reads its memory, then stops it.
fn launch(binary: &Path, env: &[(String, String)], data: &Path) -> Result<Launch, String> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env(MARKER_ENV, "1")
        .env("GITLAB_ONBOARD_DATA_DIR", data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send((line, Instant::now())).is_err() {
                break;
            }
        }
    });
    let mut said = Vec::new();
    let paint = loop {
        match rx.recv_timeout(PAINT_TIMEOUT.saturating_sub(started.elapsed())) {
            Ok((line, at)) if line.trim() == MARKER => break at - started,
            Ok((line, _)) => said.push(line),
            Err(_) => {
                let exited = child.try_wait().ok().flatten();
                stop(&mut child);
                return Err(format!(
                    "{} did not report its first paint within {PAINT_TIMEOUT:?} (is it built \
                     with the marker of src-tauri/src/paint.rs?); {}; its last words: {:?}",
                    binary.display(),
                    exited.map_or("it was still running".to_owned(), |s| format!(
                        "it exited ({s})"
                    )),
                    &said[said.len().saturating_sub(5)..]
                ));
            }
        }
    };
    std::thread::sleep(IDLE);
    let app = memory(child.id());
    let helpers = descendants(child.id());
    let webkit = helpers.iter().fold(Memory::default(), |sum, pid| {
        let m = memory(*pid);
        Memory {
            rss: sum.rss + m.rss,
            pss: sum.pss + m.pss,
        }
    });
    stop(&mut child);
    Ok(Launch {
        paint,
        app,
        webkit,
        webkit_processes: helpers.len(),
    })
}

/// Stops the app (SIGTERM, then SIGKILL after 5 s) and waits for it.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// `Rss` and `Pss` of a process from `/proc/PID/smaps_rollup` (zero when it is gone).
fn memory(pid: u32) -> Memory {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    parse_rollup(&text)
}

fn parse_rollup(text: &str) -> Memory {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss: field("Rss"),
        pss: field("Pss"),
    }
}

/// Every process below `pid` (WebKit's web and network processes).
fn descendants(pid: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
            Some((p, parent_of(&stat)?))
        })
        .collect();
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found.remove(0);
    found
}

/// The parent PID from `/proc/PID/stat` (the field after the parenthesised command name).
fn parent_of(stat: &str) -> Option<u32> {
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(1)?.parse().ok()
}

/// `N.NN MiB`.
pub fn mib(bytes: u64) -> String {
    format!("{:.2} MiB", bytes as f64 / 1_048_576.0)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The figures as a Markdown table.
fn table(
    binary: &Path,
    binary_bytes: u64,
    deb: Option<(u64, u64)>,
    build: Option<(f64, bool)>,
    runs: &[Launch],
) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let paint = median(runs.iter().map(|r| ms(r.paint)).collect());
    let mem = |f: &dyn Fn(&Launch) -> u64| median(runs.iter().map(|r| f(r) as f64).collect());
    let kib = |k: f64| format!("{:.0} MiB", k / 1024.0);
    let mut out = String::new();
    out.push_str(&format!(
        "\n{} ({} launches under Xvfb, 2 figures: first launch / median)\n\n",
        binary.display(),
        runs.len()
    ));
    out.push_str("| figure | measured | goal |\n|---|---|---|\n");
    if let Some((deb, cli)) = deb {
        out.push_str(&format!(
            "| `.deb` | {} ({deb} bytes) | < 6 MB |\n",
            mib(deb)
        ));
        out.push_str(&format!(
            "| the command line's own `.deb` | {} ({cli} bytes) | — |\n",
            mib(cli)
        ));
    }
    out.push_str(&format!(
        "| release binary | {} ({binary_bytes} bytes) | — |\n",
        mib(binary_bytes)
    ));
    out.push_str(&format!(
        "| cold start to first paint | {:.0} ms / {paint:.0} ms | < 500 ms |\n",
        ms(runs[0].paint)
    ));
    out.push_str(&format!(
        "| idle memory, the app's process (RSS / PSS, median) | {} / {} | < 150 MB |\n",
        kib(mem(&|r| r.app.rss)),
        kib(mem(&|r| r.app.pss))
    ));
    out.push_str(&format!(
        "| idle memory, WebKit's {} processes beside it (RSS / PSS, median) | {} / {} | — |\n",
        runs[0].webkit_processes,
        kib(mem(&|r| r.webkit.rss)),
        kib(mem(&|r| r.webkit.pss))
    ));
    out.push_str(&format!(
        "| idle memory, all together (PSS, median) | {} | — |\n",
        kib(mem(&|r| r.app.pss + r.webkit.pss))
    ));
    match build {
        Some((secs, true)) => out.push_str(&format!(
            "| release build of this run (`dist` profile) | {secs:.0} s | — |\n"
        )),
        Some((secs, false)) => out.push_str(&format!(
            "| release build of this run | nothing to rebuild ({secs:.0} s) | — |\n"
        )),
        None => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_fields_are_read_in_kib() {
        let text = "55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:              163840 kB\n\
                    Pss:              120001 kB\nPss_Anon:          90000 kB\n";
        let m = parse_rollup(text);
        assert_eq!((m.rss, m.pss), (163_840, 120_001));
        let empty = parse_rollup("");
        assert_eq!((empty.rss, empty.pss), (0, 0));
    }

    #[test]
    fn the_parent_follows_the_command_name_even_with_spaces_and_parens() {
        assert_eq!(
            parent_of("4242 (WebKit (Web) Process) S 4100 4242 1"),
            Some(4100)
        );
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn this_process_is_a_descendant_of_its_parent() {
        let me = std::process::id();
        let stat = std::fs::read_to_string(format!("/proc/{me}/stat")).unwrap();
        let parent = parent_of(&stat).unwrap();
        assert!(descendants(parent).contains(&me));
    }
}

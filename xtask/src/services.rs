//! What the tests and the demo need running around them: a virtual display (Xvfb, tests only),
//! a private D-Bus session bus with an unlocked Secret Service keyring (gnome-keyring), and for
//! the demo the Google Cloud Storage emulator. All are stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Starts `gcp-storage-emulator`'s server in memory on 127.0.0.1 port 0 with one bucket
/// (`argv[1]`), prints the port it bound, then serves until killed (as `tests/gcs` does).
const STORAGE_LAUNCHER: &str = r#"
import sys, time
from gcp_storage_emulator.server import create_server
server = create_server("127.0.0.1", 0, in_memory=True, default_bucket=sys.argv[1])
server.start()
print(server._api._httpd.server_address[1], flush=True)
while True:
    time.sleep(3600)
"#;

/// How long the emulator may take to start (a cold Python import).
const STORAGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The running services and the environment that points tests at them.
pub struct Services {
    children: Vec<Child>,
    pids: Vec<u32>,
    env: Vec<(String, String)>,
    scratch: PathBuf,
}

impl Services {
    /// For the tests: Xvfb, a session bus and an unlocked keyring in a scratch directory.
    pub fn start() -> Result<Self, String> {
        let mut s = Self::empty("test")?;
        s.start_display()?;
        s.start_bus()?;
        s.start_keyring()?;
        Ok(s)
    }

    /// For the demo: a private session bus with an unlocked keyring of its own, in a scratch
    /// directory (the desktop's own display is used, its own keychain never touched).
    pub fn keychain_only() -> Result<Self, String> {
        let mut s = Self::empty("demo")?;
        s.start_bus()?;
        s.start_keyring()?;
        Ok(s)
    }

    fn empty(purpose: &str) -> Result<Self, String> {
        let scratch =
            std::env::temp_dir().join(format!("gitlab-onboard-{purpose}-{}", std::process::id()));
        std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
        set_private(&scratch);
        Ok(Self {
            children: Vec::new(),
            pids: Vec::new(),
            env: Vec::new(),
            scratch,
        })
    }

    /// The scratch directory (mode 0700), removed when this is dropped.
    pub fn scratch(&self) -> &Path {
        &self.scratch
    }

    /// Starts the GCS emulator with `bucket` on a loopback port it chose; returns its URL,
    /// `http://127.0.0.1:PORT`.
    pub fn start_storage(&mut self, python: &str, bucket: &str) -> Result<String, String> {
        let mut child = Command::new(python)
            .args(["-c", STORAGE_LAUNCHER, bucket])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start gcp-storage-emulator with {python}: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        self.children.push(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(STORAGE_TIMEOUT).map_err(|_| {
            format!("gcp-storage-emulator did not start within {STORAGE_TIMEOUT:?}")
        })?;
        let port: u16 = line.trim().parse().map_err(|_| {
            format!(
                "gcp-storage-emulator did not report its port (printed {line:?}): reinstall it with \
                 `{python} -m pip install gcp-storage-emulator`"
            )
        })?;
        Ok(format!("http://127.0.0.1:{port}"))
    }

    /// Environment variables for the test processes.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env.clone()
    }

    fn start_display(&mut self) -> Result<(), String> {
        let display = (90..200).find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        });
        let display = format!(":{}", display.ok_or("no free X display number")?);
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start Xvfb: {e}"))?;
        self.children.push(child);
        let socket = format!("/tmp/.X11-unix/X{}", &display[1..]);
        wait_for(|| Path::new(&socket).exists(), "Xvfb's socket")?;
        self.env.push(("DISPLAY".into(), display));
        Ok(())
    }

    fn start_bus(&mut self) -> Result<(), String> {
        let out = Command::new("dbus-daemon")
            .args([
                "--session",
                "--fork",
                "--print-address=1",
                "--print-pid=1",
                "--nosyslog",
            ])
            .output()
            .map_err(|e| format!("cannot start dbus-daemon: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let address = lines
            .next()
            .filter(|a| !a.is_empty())
            .ok_or("dbus-daemon printed no address")?
            .to_owned();
        if let Some(pid) = lines.next().and_then(|p| p.trim().parse().ok()) {
            self.pids.push(pid);
        }
        self.env.push(("DBUS_SESSION_BUS_ADDRESS".into(), address));
        Ok(())
    }

    fn start_keyring(&mut self) -> Result<(), String> {
        let home = self.scratch.join("home");
        let runtime = self.scratch.join("runtime");
        for dir in [&home, &runtime] {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        set_private(&runtime);
        let daemon_env = |cmd: &mut Command| {
            cmd.env("HOME", &home)
                .env("XDG_DATA_HOME", home.join(".local/share"))
                .env("XDG_RUNTIME_DIR", &runtime)
                .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        };
        // Creates and unlocks the login keyring with a throwaway password, then registers the
        // Secret Service on the bus.
        let mut unlock = Command::new("gnome-keyring-daemon");
        unlock
            .args(["--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        daemon_env(&mut unlock);
        let mut child = unlock
            .spawn()
            .map_err(|e| format!("cannot start gnome-keyring-daemon: {e}"))?;
        child
            .stdin
            .take()
            .ok_or("no stdin")?
            .write_all(b"test-password")
            .map_err(|e| e.to_string())?;
        let mut printed = String::new();
        child
            .stdout
            .take()
            .ok_or("no stdout")?
            .read_to_string(&mut printed)
            .map_err(|e| e.to_string())?;
        child.wait().map_err(|e| e.to_string())?;
        let mut start = Command::new("gnome-keyring-daemon");
        start
            .args(["--start", "--components=secrets"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        daemon_env(&mut start);
        let out = start
            .output()
            .map_err(|e| format!("cannot start gnome-keyring-daemon: {e}"))?;
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        for line in printed.lines() {
            if let Some((k, v)) = line.split_once('=')
                && k == "GNOME_KEYRING_CONTROL"
            {
                self.env.push((k.into(), v.into()));
            }
        }
        let bus = self
            .env
            .iter()
            .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        wait_for(
            || {
                let probe = Command::new("secret-tool")
                    .args([
                        "store",
                        "--label=gitlab-onboard probe",
                        "service",
                        "gitlab-onboard-probe",
                    ])
                    .env("DBUS_SESSION_BUS_ADDRESS", &bus)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn();
                probe.is_ok_and(|mut p| {
                    let wrote = p
                        .stdin
                        .take()
                        .is_some_and(|mut i| i.write_all(b"probe").is_ok());
                    wrote && p.wait().is_ok_and(|s| s.success())
                })
            },
            "the Secret Service",
        )?;
        self.pids.extend(processes_with_env(&format!(
            "XDG_RUNTIME_DIR={}",
            runtime.display()
        )));
        Ok(())
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        for pid in &self.pids {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// Mode 0700: only this user may enter (best effort; the tests and demo still run without).
pub fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

/// The processes whose environment holds `entry` exactly: the keyring daemons started here
/// (and only those, never a desktop session's own).
fn processes_with_env(entry: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == entry.as_bytes()))
        })
        .collect()
}

fn wait_for(mut ready: impl FnMut() -> bool, what: &str) -> Result<(), String> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("{what} did not come up within 15 s"))
}

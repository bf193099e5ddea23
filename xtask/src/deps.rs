//! Installing what the build, the app and the tests need, or saying exactly what is missing.

use std::path::Path;

use crate::sh::{root, run, succeeds};

/// Debian packages to build the Tauri app (WebKitGTK and friends).
pub const BUILD: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    "libjavascriptcoregtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "libxdo-dev",
    "libssl-dev",
    "pkg-config",
    "build-essential",
    "file",
];

/// Debian packages to run the app and keep its token (a Secret Service and its bus).
pub const RUN: &[&str] = &["gnome-keyring", "dbus", "dbus-x11"];

/// Debian packages for the demo's own keychain and upload target: `secret-tool` (to see the
/// private keyring answer) and Python's venv (for the GCS emulator).
pub const DEMO: &[&str] = &["libsecret-tools", "python3-venv"];

/// Debian packages for `bench-dist`'s launches: a virtual display, and `secret-tool` to see
/// its private keyring answer.
pub const BENCH: &[&str] = &["xvfb", "libsecret-tools"];

/// Debian packages for the tests: a virtual display, WebKit's WebDriver, Python's venv.
pub const TEST: &[&str] = &[
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "libsecret-tools",
    "python3-venv",
];

/// Installs missing Debian packages with apt-get when root; otherwise names the command to run.
pub fn system<'a>(packages: impl Iterator<Item = &'a &'a str>) -> Result<(), String> {
    let missing: Vec<&str> = packages.copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !Path::new("/usr/bin/apt-get").exists() {
        return Err(format!(
            "missing system packages (Debian names): {}; install their equivalents",
            missing.join(" ")
        ));
    }
    if !is_root() {
        return Err(format!(
            "missing system packages: run `sudo apt-get update && sudo apt-get install -y --no-install-recommends {}`, then this command again",
            missing.join(" ")
        ));
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    run("apt-get", &["update", "-qq"], &[])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    run("apt-get", &args, &[("DEBIAN_FRONTEND", "noninteractive")])
}

fn installed(package: &str) -> bool {
    std::process::Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

/// Installs the front end's npm packages from the lockfile (when they changed) and builds it
/// (when a source is newer than the last build: a new `ui/dist` makes cargo rebuild the app).
pub fn ui() -> Result<(), String> {
    npm_ci("ui")?;
    let ui = root().join("ui");
    let built = modified(&ui.join("dist/index.html"));
    let sources = [
        "src",
        "index.html",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ]
    .iter()
    .filter_map(|p| newest(&ui.join(p)))
    .max();
    if built.is_some() && built >= sources {
        eprintln!("xtask: ui/dist is newer than its sources: not rebuilt");
        return Ok(());
    }
    run("npm", &["run", "build", "--prefix", "ui"], &[])
}

/// The newest modification time of a file, or of any file below a directory.
fn newest(path: &Path) -> Option<std::time::SystemTime> {
    if !path.is_dir() {
        return modified(path);
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| newest(&e.path()))
        .max()
}

/// The Tauri CLI (prebuilt, from npm, pinned by `xtask/bundler/package-lock.json`) that makes
/// the `.deb`; installed from the lockfile when it changed.
pub fn bundler() -> Result<String, String> {
    npm_ci("xtask/bundler")?;
    let cli = root().join("xtask/bundler/node_modules/.bin/tauri");
    Ok(cli.to_str().ok_or("non-UTF-8 path")?.to_owned())
}

/// `npm ci` in `dir` (relative to the root) unless its `node_modules` matches its lockfile.
fn npm_ci(dir: &str) -> Result<(), String> {
    if !succeeds("npm", &["--version"]) {
        return Err("npm is missing: install Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)".into());
    }
    let dir_path = root().join(dir);
    let stamp = dir_path.join("node_modules/.package-lock.json");
    let lock = dir_path.join("package-lock.json");
    let fresh = modified(&stamp)
        .zip(modified(&lock))
        .is_some_and(|(s, l)| s >= l);
    if fresh {
        return Ok(());
    }
    run(
        "npm",
        &["ci", "--prefix", dir, "--no-audit", "--no-fund"],
        &[],
    )
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A Python virtual environment in `.venv` with the PyPI packages the tests drive.
pub fn python_venv() -> Result<String, String> {
    let venv = root().join(".venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(
            "python3",
            &["-m", "venv", venv.to_str().ok_or("non-UTF-8 path")?],
            &[],
        )?;
    }
    let py = python.to_str().ok_or("non-UTF-8 path")?.to_owned();
    if !succeeds(&py, &["-c", "import gitlab, gcp_storage_emulator"]) {
        run(
            &py,
            &[
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "python-gitlab>=4",
                "gcp-storage-emulator>=2024",
            ],
            &[],
        )?;
    }
    Ok(py)
}

/// `tauri-driver` (WebDriver for the real window), installed with cargo when missing.
pub fn tauri_driver() -> Result<String, String> {
    let home = std::env::var("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map_err(|_| "neither CARGO_HOME nor HOME is set".to_string())?;
    let driver = home.join("bin/tauri-driver");
    if !driver.exists() {
        run(
            "cargo",
            &["install", "tauri-driver", "--version", "^2", "--locked"],
            &[],
        )?;
    }
    Ok(driver.to_str().ok_or("non-UTF-8 path")?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn the_newest_file_below_a_directory_counts() {
        let dir = std::env::temp_dir().join(format!("xtask-newest-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let new = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000);
        for (file, time) in [("top.ts", old), ("a/b/deep.ts", new)] {
            let f = std::fs::File::create(dir.join(file)).unwrap();
            f.set_modified(time).unwrap();
        }
        assert_eq!(newest(&dir), Some(new));
        assert_eq!(newest(&dir.join("top.ts")), Some(old));
        assert_eq!(newest(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

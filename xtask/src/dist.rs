//! `cargo xtask dist`: the app's `.deb`, built offline with the Tauri bundler (the prebuilt CLI
//! from npm) from the size-tuned `dist` profile and without the demo's simulator; and the
//! command line's own `.deb` (`gitlab-onboard`, for `status` from cron), with `dpkg-deb`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::{deps, sh};

/// The cargo profile of the package (root `Cargo.toml`: size-tuned, LTO, stripped).
pub const PROFILE: &str = "dist";
/// The app's binary.
pub const BINARY: &str = "gitlab-onboard-app";
/// The command line's binary, and its package's name.
pub const CLI: &str = "gitlab-onboard";

/// What `dist` made.
pub struct Built {
    /// The `.deb`.
    pub deb: PathBuf,
    /// Its size in bytes.
    pub deb_bytes: u64,
    /// The release binary inside it.
    pub binary: PathBuf,
    /// The command line's `.deb`, and its size in bytes.
    pub cli_deb: PathBuf,
    pub cli_deb_bytes: u64,
    /// Wall time of the cargo build of this run.
    pub build_secs: f64,
    /// Whether that build made a new binary (false: nothing had changed).
    pub rebuilt: bool,
}

/// The release binary's path in the target directory.
pub fn binary() -> PathBuf {
    sh::root().join("target").join(PROFILE).join(BINARY)
}

/// Builds the UI, the release binary and the `.deb`; removes the bundler's staging files.
pub fn dist() -> Result<Built, String> {
    deps::system(deps::BUILD.iter())?;
    deps::ui()?;
    let cli = deps::bundler()?;
    write_app_config()?;
    let cargo_args = [
        "build",
        "-p",
        "gitlab-onboard-app",
        "--profile",
        PROFILE,
        "--no-default-features",
        "--features",
        "tauri/custom-protocol",
        // The costliest crates of the build, in target/cargo-timings/.
        "--timings",
    ];
    let before = modified(&binary());
    let started = Instant::now();
    sh::run("cargo", &cargo_args, &[])?;
    let build_secs = started.elapsed().as_secs_f64();
    let rebuilt = modified(&binary()) != before;

    let bundle = sh::root().join("target").join(PROFILE).join("bundle");
    let _ = std::fs::remove_dir_all(&bundle);
    // The CLI runs the same cargo build (nothing left to do), then bundles.
    let mut cli_args = vec!["build", "--ci", "--bundles", "deb", "--"];
    cli_args.extend(&cargo_args[1..]);
    sh::run(&cli, &cli_args, &[("TAURI_APP_PATH", "src-tauri")])?;

    let deb_dir = bundle.join("deb");
    let deb = std::fs::read_dir(&deb_dir)
        .map_err(|e| format!("{}: {e}", deb_dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .ok_or_else(|| format!("the bundler made no .deb in {}", deb_dir.display()))?;
    // Only the .deb is kept: the staging tree beside it is a second copy of its contents.
    for entry in std::fs::read_dir(&deb_dir).into_iter().flatten().flatten() {
        if entry.path() != deb && entry.path().is_dir() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    let deb_bytes = size(&deb)?;
    let cli_deb = cli_deb(&deb_dir)?;
    Ok(Built {
        deb,
        deb_bytes,
        binary: binary(),
        cli_deb_bytes: size(&cli_deb)?,
        cli_deb,
        build_secs,
        rebuilt,
    })
}

/// Builds the command line from the same profile and packages it alone into `dir`: a server
/// that runs `gitlab-onboard status` from cron needs neither GTK nor WebKit, which the app's
/// package depends on.
fn cli_deb(dir: &Path) -> Result<PathBuf, String> {
    sh::run(
        "cargo",
        &["build", "-p", CLI, "--bin", CLI, "--profile", PROFILE],
        &[],
    )?;
    let target = sh::root().join("target").join(PROFILE);
    let staging = target.join("cli-deb");
    let _ = std::fs::remove_dir_all(&staging);
    let bin_dir = staging.join("usr/bin");
    std::fs::create_dir_all(&bin_dir).map_err(|e| format!("{}: {e}", bin_dir.display()))?;
    std::fs::create_dir_all(staging.join("DEBIAN")).map_err(|e| e.to_string())?;
    let bin = bin_dir.join(CLI);
    std::fs::copy(target.join(CLI), &bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    let arch = sh::output("dpkg", &["--print-architecture"])?;
    let (version, arch) = (env!("CARGO_PKG_VERSION"), arch.trim());
    let control = cli_control(version, arch, size(&bin)?.div_ceil(1024));
    std::fs::write(staging.join("DEBIAN/control"), control).map_err(|e| e.to_string())?;
    let deb = dir.join(format!("{CLI}_{version}_{arch}.deb"));
    let (staged, out) = (staging.display().to_string(), deb.display().to_string());
    sh::run(
        "dpkg-deb",
        &["--root-owner-group", "--build", &staged, &out],
        &[],
    )?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(deb)
}

/// The command line package's control file.
fn cli_control(version: &str, arch: &str, installed_kib: u64) -> String {
    format!(
        "Package: {CLI}\n\
         Version: {version}\n\
         Architecture: {arch}\n\
         Maintainer: gitlab-onboard contributors\n\
         Installed-Size: {installed_kib}\n\
         Depends: libc6, libgcc-s1\n\
         Section: admin\n\
         Priority: optional\n\
         Description: Connects a GitLab instance to an enterprise-search crawler (command line)\n \
         The wizard's four steps as commands (login, scopes, webhooks, users), and\n \
         `gitlab-onboard status` to keep the connection healthy from cron or a systemd\n \
         timer (`gitlab-onboard schedule`). Needs no desktop: the token comes from the\n \
         Secret Service keychain or from GITLAB_TOKEN.\n"
    )
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The bytes of a file.
pub fn size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The CLI reads `tauri.conf.json` from the app crate's directory: a copy of the root one
/// with its paths rebased onto `src-tauri/` (the copy is git-ignored).
fn write_app_config() -> Result<(), String> {
    let root = sh::root();
    let text = std::fs::read_to_string(root.join("tauri.conf.json"))
        .map_err(|e| format!("tauri.conf.json: {e}"))?;
    let rebased = rebase_config(&text)?;
    std::fs::write(root.join("src-tauri/tauri.conf.json"), rebased)
        .map_err(|e| format!("src-tauri/tauri.conf.json: {e}"))
}

/// `tauri.conf.json` with `build.frontendDist` and `bundle.icon` rebased from the root onto
/// `src-tauri/`, and `$schema` dropped (a relative path, too).
fn rebase_config(text: &str) -> Result<String, String> {
    let mut config: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("tauri.conf.json: {e}"))?;
    let up = |v: &mut serde_json::Value| {
        if let Some(s) = v.as_str().filter(|s| !s.contains("://")) {
            *v = format!("../{s}").into();
        }
    };
    if let Some(dist) = config.pointer_mut("/build/frontendDist") {
        up(dist);
    }
    if let Some(icons) = config
        .pointer_mut("/bundle/icon")
        .and_then(|v| v.as_array_mut())
    {
        icons.iter_mut().for_each(up);
    }
    if let Some(map) = config.as_object_mut() {
        map.remove("$schema");
    }
    serde_json::to_string_pretty(&config).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_rebased_onto_the_app_crate() {
        let config = r#"{"$schema": "https://schema.tauri.app/config/2",
            "build": {"frontendDist": "ui/dist"},
            "bundle": {"icon": ["icons/32x32.png", "icons/icon.ico"], "targets": ["deb"]}}"#;
        let rebased: serde_json::Value =
            serde_json::from_str(&rebase_config(config).unwrap()).unwrap();
        assert_eq!(rebased["build"]["frontendDist"], "../ui/dist");
        assert_eq!(
            rebased["bundle"]["icon"],
            serde_json::json!(["../icons/32x32.png", "../icons/icon.ico"])
        );
        assert_eq!(rebased["bundle"]["targets"], serde_json::json!(["deb"]));
        assert!(rebased.get("$schema").is_none());
    }

    #[test]
    fn the_command_line_package_is_described_for_dpkg() {
        let control = cli_control("1.2.3", "amd64", 5510);
        let fields: Vec<&str> = control
            .lines()
            .filter(|l| !l.starts_with(' '))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(
            fields,
            [
                "Package",
                "Version",
                "Architecture",
                "Maintainer",
                "Installed-Size",
                "Depends",
                "Section",
                "Priority",
                "Description"
            ]
        );
        assert!(control.starts_with("Package: gitlab-onboard\nVersion: 1.2.3\n"));
        assert!(control.contains("\nInstalled-Size: 5510\n"));
        // The long description's lines each start with a space; the file ends with a newline.
        assert!(control.ends_with("GITLAB_TOKEN.\n"));
        assert_eq!(control.lines().filter(|l| l.starts_with(' ')).count(), 4);
    }

    #[test]
    fn the_repository_config_rebases() {
        let text = std::fs::read_to_string(sh::root().join("tauri.conf.json")).unwrap();
        let rebased: serde_json::Value =
            serde_json::from_str(&rebase_config(&text).unwrap()).unwrap();
        let dist = rebased["build"]["frontendDist"].as_str().unwrap();
        assert!(
            sh::root()
                .join("src-tauri")
                .join(dist)
                .ends_with("src-tauri/../ui/dist"),
            "{dist}"
        );
    }
}

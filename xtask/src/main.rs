//! Project automation, the README's commands:
//! - `cargo xtask run --demo`: install what is missing, build the UI and the app, open the
//!   wizard against the built-in GitLab simulator, with a keychain, an upload target (the GCS
//!   emulator) and a data directory of its own;
//! - `cargo xtask test`: install what is missing, then run every test (unit, integration,
//!   python-gitlab against the simulator, the UI's Vitest tests, and end-to-end tests in a real
//!   window under Xvfb with a real Secret Service keyring);
//! - `cargo xtask dist`: the `.deb` (size-tuned `dist` profile, no demo, the Tauri bundler);
//! - `cargo xtask bench-dist`: its figures (sizes, cold start to first paint, idle memory).

mod bench;
mod demo;
mod deps;
mod dist;
mod services;
mod sh;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("dist") => dist::dist().map(|built| {
            eprintln!(
                "xtask: {} ({}) and {} ({}); release build {:.0} s{}",
                built.deb.display(),
                bench::mib(built.deb_bytes),
                built.cli_deb.display(),
                bench::mib(built.cli_deb_bytes),
                built.build_secs,
                if built.rebuilt {
                    ""
                } else {
                    " (nothing to rebuild)"
                }
            );
        }),
        Some("bench-dist") => bench::run(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask run [--demo] | cargo xtask test [-- <cargo test filter>] \
                 | cargo xtask dist | cargo xtask bench-dist [--app PATH]"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the UI and the app, then runs it (`--demo`: against the in-process simulator, with
/// the demo's own keychain, upload target and data directory). Without a display it says so
/// before installing or building anything.
fn run(args: &[String]) -> Result<(), String> {
    let no_display = demo::no_display(
        std::env::var_os("DISPLAY").as_deref(),
        std::env::var_os("WAYLAND_DISPLAY").as_deref(),
    );
    let is_demo = args.iter().any(|a| a == "--demo");
    let (app, python) = before_building(no_display, || prepare_app(is_demo))?;
    let app_args: Vec<&str> = args.iter().map(String::as_str).collect();
    match python {
        Some(python) => demo::launch(&app, &python, &app_args),
        None => sh::run(app.to_str().ok_or("non-UTF-8 path")?, &app_args, &[]),
    }
}

/// `prepare` (install and build) runs only when nothing stops the window from opening.
fn before_building<T>(
    no_display: Option<String>,
    prepare: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    match no_display {
        Some(why) => Err(why),
        None => prepare(),
    }
}

/// Installs what the app (and the demo) need and builds the UI and the app: the app's path,
/// and for the demo the Python that runs the GCS emulator.
fn prepare_app(is_demo: bool) -> Result<(PathBuf, Option<String>), String> {
    let demo_packages = if is_demo { deps::DEMO } else { &[] };
    deps::system(deps::BUILD.iter().chain(deps::RUN).chain(demo_packages))?;
    let python = is_demo.then(deps::python_venv).transpose()?;
    deps::ui()?;
    sh::run("cargo", &["build", "-p", "gitlab-onboard-app"], &[])?;
    Ok((sh::root().join("target/debug/gitlab-onboard-app"), python))
}

/// Installs what the tests need, starts Xvfb, D-Bus and a keyring, and runs every test.
fn test(args: &[String]) -> Result<(), String> {
    deps::system(deps::BUILD.iter().chain(deps::RUN).chain(deps::TEST))?;
    deps::ui()?;
    sh::run("npm", &["test", "--prefix", "ui"], &[])?;
    let python = deps::python_venv()?;
    let driver = deps::tauri_driver()?;
    sh::run("cargo", &["build", "--workspace", "--all-targets"], &[])?;

    let services = services::Services::start()?;
    let mut env = services.env();
    env.push(("GITLAB_ONBOARD_PYTHON".into(), python));
    env.push(("TAURI_DRIVER".into(), driver));
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut cargo_args = vec!["test", "--workspace", "--", "--include-ignored"];
    // Windowed tests share one display and fixed driver ports: one test at a time per binary.
    cargo_args.push("--test-threads=1");
    cargo_args.extend(args.iter().map(String::as_str));
    let result = sh::run("cargo", &cargo_args, &env_ref);
    drop(services);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_display_nothing_is_built_and_the_message_says_why() {
        let mut built = false;
        let result = before_building(demo::no_display(None, None), || {
            built = true;
            Ok(())
        });
        let message = result.expect_err("no display");
        assert!(!built, "the build ran before the display check");
        assert!(message.contains("no display"), "{message}");
        assert!(message.contains("nothing was built"), "{message}");
    }

    #[test]
    fn with_a_display_the_build_runs() {
        let mut built = false;
        before_building(demo::no_display(Some(":0".as_ref()), None), || {
            built = true;
            Ok(())
        })
        .unwrap();
        assert!(built);
    }
}

//! Project automation, the README's two commands:
//! - `cargo xtask run --demo`: install what is missing, build the UI and the app, open the
//!   wizard against the built-in GitLab simulator;
//! - `cargo xtask test`: install what is missing, then run every test (unit, integration,
//!   python-gitlab against the simulator, the UI's Vitest tests, and end-to-end tests in a real
//!   window under Xvfb with a real Secret Service keyring).

mod deps;
mod services;
mod sh;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask run [--demo] | cargo xtask test [-- <cargo test filter>]"
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

/// Builds the UI and the app, then runs it (`--demo`: against the in-process simulator).
fn run(args: &[String]) -> Result<(), String> {
    deps::system(deps::BUILD.iter().chain(deps::RUN))?;
    deps::ui()?;
    sh::run("cargo", &["build", "-p", "gitlab-onboard-app"], &[])?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err(
            "no display (DISPLAY/WAYLAND_DISPLAY unset): run this from a desktop session, \
                    or under `xvfb-run -a cargo xtask run --demo` to check that it starts"
                .into(),
        );
    }
    let app = sh::root().join("target/debug/gitlab-onboard-app");
    let app_args: Vec<&str> = args.iter().map(String::as_str).collect();
    sh::run(app.to_str().ok_or("non-UTF-8 path")?, &app_args, &[])
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

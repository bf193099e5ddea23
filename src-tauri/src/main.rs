//! The gitlab-onboard desktop wizard. `--demo` (or `GITLAB_ONBOARD_DEMO=1`) runs it against a
//! simulated GitLab on this machine.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    gitlab_onboard_app::run()
}

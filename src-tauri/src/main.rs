//! The gitlab-onboard desktop wizard. `--demo` (or `GITLAB_ONBOARD_DEMO=1`) runs it against a
//! simulated GitLab on this machine (builds with the feature `demo`, the default; the release
//! package says plainly that the demo is not in it).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    // WebKit's shared-memory renderer and no GL in this process: a faster first paint and
    // less memory than with WebKit's GPU renderer (see `renderer`), unless the environment
    // already chose.
    // SAFETY: first thing in `main`, before any other thread exists.
    #[cfg(target_os = "linux")]
    unsafe {
        gitlab_onboard_app::renderer::use_shared_memory_unless_set()
    };
    #[cfg(not(feature = "demo"))]
    {
        use gitlab_onboard_app::demo;
        let env = std::env::var(demo::DEMO_ENV).ok();
        if demo::requested(std::env::args(), env.as_deref()) {
            eprintln!("gitlab-onboard-app: {}", demo::NOT_IN_THIS_BUILD);
            return ExitCode::from(2);
        }
    }
    gitlab_onboard_app::run()
}

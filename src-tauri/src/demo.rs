//! Demo mode: a simulated GitLab on loopback, so the wizard can be tried without an instance.
//! The simulator is in the build only with the feature `demo` (on by default; the release
//! package is built without it, and then says so when started with `--demo`).

#[cfg(feature = "demo")]
use gitlab_sim::{Simulator, World, tokens};
use serde::Serialize;

/// The environment variable that turns demo mode on (`1` or `true`), like `--demo`.
pub const DEMO_ENV: &str = "GITLAB_ONBOARD_DEMO";

/// The signed URL the demo's upload starts with (the variable the CLI's `upload` reads too);
/// `cargo xtask run --demo` points it at a bucket of the GCS emulator.
pub const SIGNED_URL_ENV: &str = "GITLAB_ONBOARD_SIGNED_URL";

/// What a build without the simulator says when asked for the demo.
pub const NOT_IN_THIS_BUILD: &str = "the demo is not in this build (it is left out of the \
     release package): build from source and run `cargo xtask run --demo`";

/// True when `--demo` is among the arguments (after the program name) or `env` is `1`/`true`.
pub fn requested(args: impl IntoIterator<Item = String>, env: Option<&str>) -> bool {
    args.into_iter().skip(1).any(|a| a == "--demo")
        || env.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A running simulated GitLab; it stops when this is dropped.
#[cfg(feature = "demo")]
pub struct Demo {
    sim: Simulator,
    signed_url: Option<String>,
}

/// A build without the simulator: no demo can exist (see [`NOT_IN_THIS_BUILD`]).
#[cfg(not(feature = "demo"))]
pub enum Demo {}

/// A fake token of the simulator, safe to show and to send to the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DemoToken {
    /// Button label: `"api"` or `"read-only"`.
    pub label: &'static str,
    /// The scopes it carries, for the button.
    pub scopes: &'static str,
    /// The token itself.
    pub value: &'static str,
}

/// What the Token screen shows in demo mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct DemoInfo {
    /// The simulator's base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    /// Tokens to fill in with one click.
    pub tokens: Vec<DemoToken>,
    /// The signed URL the upload starts with (from [`SIGNED_URL_ENV`]), if one was given.
    pub signed_url: Option<String>,
}

#[cfg(feature = "demo")]
impl Demo {
    /// Starts the simulator with the demo world on a free loopback port; the upload's signed
    /// URL comes from [`SIGNED_URL_ENV`] when set.
    pub async fn start() -> std::io::Result<Self> {
        let signed_url = std::env::var(SIGNED_URL_ENV)
            .ok()
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        Ok(Self {
            sim: Simulator::start(World::demo()).await?,
            signed_url,
        })
    }

    /// The URL and tokens for the Token screen.
    pub fn info(&self) -> DemoInfo {
        DemoInfo {
            url: self.sim.url(),
            tokens: vec![
                DemoToken {
                    label: "api",
                    scopes: "api",
                    value: tokens::API,
                },
                DemoToken {
                    label: "read-only",
                    scopes: "read_api, read_user, read_repository",
                    value: tokens::READ_ONLY,
                },
            ],
            signed_url: self.signed_url.clone(),
        }
    }
}

#[cfg(not(feature = "demo"))]
impl Demo {
    /// Always fails: the simulator is not in this build.
    pub async fn start() -> std::io::Result<Self> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            NOT_IN_THIS_BUILD,
        ))
    }

    /// Never called: no `Demo` exists without the feature.
    pub fn info(&self) -> DemoInfo {
        match *self {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn flag_or_env_turns_demo_on() {
        assert!(requested(args(&["app", "--demo"]), None));
        assert!(requested(args(&["app"]), Some("1")));
        assert!(requested(args(&["app"]), Some("TRUE")));
        assert!(!requested(args(&["app"]), None));
        assert!(!requested(args(&["app"]), Some("0")));
        assert!(
            !requested(args(&["--demo"]), None),
            "the program name is not a flag"
        );
    }

    #[cfg(feature = "demo")]
    #[tokio::test]
    async fn demo_offers_the_simulator_url_and_two_tokens() {
        let demo = Demo::start().await.unwrap();
        let info = demo.info();
        assert!(info.url.starts_with("http://127.0.0.1:"), "{}", info.url);
        let labels: Vec<_> = info.tokens.iter().map(|t| t.label).collect();
        assert_eq!(labels, ["api", "read-only"]);
    }

    #[cfg(not(feature = "demo"))]
    #[tokio::test]
    async fn a_build_without_the_simulator_says_the_demo_is_not_in_it() {
        let Err(e) = Demo::start().await;
        assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
        assert!(e.to_string().contains("not in this build"), "{e}");
    }
}

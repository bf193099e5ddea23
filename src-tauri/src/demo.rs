//! Demo mode: a simulated GitLab on loopback, so the wizard can be tried without an instance.

use gitlab_sim::{Simulator, World, tokens};
use serde::Serialize;

/// The environment variable that turns demo mode on (`1` or `true`), like `--demo`.
pub const DEMO_ENV: &str = "GITLAB_ONBOARD_DEMO";

/// True when `--demo` is among the arguments (after the program name) or `env` is `1`/`true`.
pub fn requested(args: impl IntoIterator<Item = String>, env: Option<&str>) -> bool {
    args.into_iter().skip(1).any(|a| a == "--demo")
        || env.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// A running simulated GitLab; it stops when this is dropped.
pub struct Demo {
    sim: Simulator,
}

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
}

impl Demo {
    /// Starts the simulator with the demo world on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Ok(Self {
            sim: Simulator::start(World::demo()).await?,
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
        }
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

    #[tokio::test]
    async fn demo_offers_the_simulator_url_and_two_tokens() {
        let demo = Demo::start().await.unwrap();
        let info = demo.info();
        assert!(info.url.starts_with("http://127.0.0.1:"), "{}", info.url);
        let labels: Vec<_> = info.tokens.iter().map(|t| t.label).collect();
        assert_eq!(labels, ["api", "read-only"]);
    }
}

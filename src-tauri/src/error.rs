//! The one error type every command returns, sent to the window as `{code, message}`.

use gitlab_onboard::keychain::KeychainError;
use serde::Serialize;

/// A failed command: a stable machine-readable `code` (the core's, plus the shell's own) and
/// one actionable line for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct CommandError {
    /// E.g. `"unauthorized"`, `"token_expired"`, `"keychain"`, `"not_signed_in"`.
    pub code: &'static str,
    /// What happened and what to do, in one line.
    pub message: String,
}

/// Where a message's plain words end and what the system said begins: the window shows the
/// words, and what follows only when the admin opens the error's details.
pub const DETAILS: &str = " Details: ";

/// What to do when no Secret Service answers, on Linux where that is the usual cause.
pub const KEYCHAIN_HELP: &str = "start and unlock your desktop's keyring (GNOME Keyring or KWallet); \
     without a desktop, install gnome-keyring and run it inside a D-Bus session";

impl CommandError {
    /// Step 2 or later was asked for before a token was accepted.
    pub fn not_signed_in() -> Self {
        Self {
            code: "not_signed_in",
            message: "no GitLab token yet: go back to the Token step and sign in".to_owned(),
        }
    }

    /// A step after 2 was asked for before step 2 looked at the token.
    pub fn no_report() -> Self {
        Self {
            code: "no_report",
            message: "the wizard has not looked at the token yet: open the Scopes step first"
                .to_owned(),
        }
    }

    /// A message in plain words, with what the system said (`detail`) after [`DETAILS`].
    pub fn with_details(code: &'static str, words: &str, detail: &str) -> Self {
        Self {
            code,
            message: format!("{words}{DETAILS}{detail}"),
        }
    }

    /// The OS keychain cannot be used; `detail` is what it said.
    pub fn keychain_unavailable(detail: &str) -> Self {
        Self::with_details(
            "keychain",
            &format!("No system keychain answered: {KEYCHAIN_HELP}, then restart the app."),
            detail,
        )
    }

    /// The OS keychain answered but refused; `detail` is what it said.
    pub fn keychain_failed(detail: &str) -> Self {
        Self::with_details(
            "keychain",
            "The system keychain refused the request: unlock your desktop's keyring (GNOME Keyring or KWallet) and try again.",
            detail,
        )
    }
}

impl From<gitlab_onboard::Error> for CommandError {
    fn from(e: gitlab_onboard::Error) -> Self {
        match e {
            // The core's own text points to the CLI's GITLAB_TOKEN; the window cannot use that.
            gitlab_onboard::Error::Keychain(KeychainError::Unavailable(detail)) => {
                Self::keychain_unavailable(&detail)
            }
            gitlab_onboard::Error::Keychain(KeychainError::Failed(detail)) => {
                Self::keychain_failed(&detail)
            }
            gitlab_onboard::Error::Api(gitlab_onboard::ApiError::Tls { host, detail }) => {
                Self::with_details(
                    "tls",
                    &format!(
                        "The secure connection to {host} failed: check the GitLab URL; if your instance uses a private certificate authority, install its certificate on this computer and try again."
                    ),
                    &detail,
                )
            }
            gitlab_onboard::Error::Api(gitlab_onboard::ApiError::RateLimited { attempts }) => {
                Self {
                    code: "rate_limited",
                    message: format!(
                        "GitLab's rate limit was still exceeded after {attempts} attempts: wait a few minutes and try again."
                    ),
                }
            }
            e => Self {
                code: e.code(),
                message: for_window(&e.to_string()),
            },
        }
    }
}

/// A core message as the window shows it: the CLI's quoting with backticks dropped (the
/// window shows no Markdown), and a trailing hint to run a CLI command left out.
fn for_window(message: &str) -> String {
    let plain = message.replace('`', "");
    match plain
        .find(", then gitlab-onboard ")
        .or_else(|| plain.find(", then run gitlab-onboard "))
    {
        Some(at) => plain[..at].to_owned(),
        None => plain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gitlab_onboard::ApiError;
    use gitlab_onboard::error::AuthFailure;
    use serde_json::json;

    #[test]
    fn wire_shape_is_code_and_message_only() {
        let e = CommandError::from(gitlab_onboard::Error::Api(ApiError::Unauthorized(
            AuthFailure::Expired,
        )));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "code": "token_expired",
                "message": "the token has expired: create a new personal access token in GitLab \
                            (Preferences > Access tokens) and enter it again",
            })
        );
    }

    #[test]
    fn keeps_the_core_code_and_message() {
        let core = gitlab_onboard::Error::Api(ApiError::Forbidden {
            path: "/projects/1/hooks".into(),
        });
        let (code, message) = (core.code(), core.to_string());
        assert_eq!(CommandError::from(core), CommandError { code, message });
    }

    #[test]
    fn keychain_unavailable_says_what_to_start() {
        let e = CommandError::from(gitlab_onboard::Error::Keychain(KeychainError::Unavailable(
            "no session bus".into(),
        )));
        assert_eq!(e.code, "keychain");
        assert!(
            e.message.contains("no session bus") && e.message.contains("gnome-keyring"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("GITLAB_TOKEN"), "{}", e.message);
        let (words, detail) = e.message.split_once(DETAILS).unwrap();
        assert!(!words.contains("no session bus"), "{words}");
        assert_eq!(detail, "no session bus");
    }

    #[test]
    fn a_keychain_refusal_says_what_to_do_and_keeps_the_detail_apart() {
        let e = CommandError::from(gitlab_onboard::Error::Keychain(KeychainError::Failed(
            "org.freedesktop.DBus.Error.ServiceUnknown".into(),
        )));
        let (words, detail) = e.message.split_once(DETAILS).unwrap();
        assert!(words.contains("unlock"), "{words}");
        assert!(!words.contains("DBus"), "{words}");
        assert_eq!(detail, "org.freedesktop.DBus.Error.ServiceUnknown");
    }

    #[test]
    fn no_backticks_nor_cli_flags_reach_the_window() {
        let scope = CommandError::from(gitlab_onboard::Error::Api(ApiError::InsufficientScope {
            scope: "api".into(),
        }));
        assert!(!scope.message.contains('`'), "{}", scope.message);
        assert!(scope.message.contains("api"), "{}", scope.message);
        let tls = CommandError::from(gitlab_onboard::Error::Api(ApiError::Tls {
            host: "git.corp.example".into(),
            detail: "invalid peer certificate: UnknownIssuer".into(),
        }));
        assert_eq!(tls.code, "tls");
        let (words, detail) = tls.message.split_once(DETAILS).unwrap();
        assert!(!words.contains("--"), "{words}");
        assert!(words.contains("git.corp.example"), "{words}");
        assert_eq!(detail, "invalid peer certificate: UnknownIssuer");
        let limited = CommandError::from(gitlab_onboard::Error::Api(ApiError::RateLimited {
            attempts: 5,
        }));
        assert!(!limited.message.contains("--"), "{}", limited.message);
        assert_eq!(
            for_window("create one by hand, then `gitlab-onboard login`"),
            "create one by hand"
        );
    }

    #[test]
    fn not_signed_in_has_its_own_code() {
        assert_eq!(
            serde_json::to_value(CommandError::not_signed_in()).unwrap()["code"],
            "not_signed_in"
        );
    }
}

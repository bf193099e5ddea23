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

    /// The OS keychain cannot be used; `detail` is what it said.
    pub fn keychain_unavailable(detail: &str) -> Self {
        Self {
            code: "keychain",
            message: format!(
                "the system keychain is not available ({detail}): {KEYCHAIN_HELP}, then restart the app"
            ),
        }
    }
}

impl From<gitlab_onboard::Error> for CommandError {
    fn from(e: gitlab_onboard::Error) -> Self {
        match e {
            // The core's own text points to the CLI's GITLAB_TOKEN; the window cannot use that.
            gitlab_onboard::Error::Keychain(KeychainError::Unavailable(detail)) => {
                Self::keychain_unavailable(&detail)
            }
            e => Self {
                code: e.code(),
                message: e.to_string(),
            },
        }
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
    }

    #[test]
    fn not_signed_in_has_its_own_code() {
        assert_eq!(
            serde_json::to_value(CommandError::not_signed_in()).unwrap()["code"],
            "not_signed_in"
        );
    }
}

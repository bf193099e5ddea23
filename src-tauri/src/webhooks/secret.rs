//! The crawler's webhook secret: kept in the keychain per instance, generated or typed once.
//! Only a freshly generated one is ever sent to the window (to be shown once).

use gitlab_onboard::keychain::Keychain;
use gitlab_onboard::token::parse_token;
use gitlab_onboard::webhooks::generate_secret;
use gitlab_onboard::{GitLabUrl, Secret};
use serde::Serialize;

use crate::error::CommandError;

/// Whether a webhook secret is saved for the signed-in instance (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SecretStatus {
    /// True when the keychain holds one.
    pub saved: bool,
}

/// A secret the app just made and saved: the one time the window sees a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct GeneratedSecret {
    /// 64 hex digits, to paste into the crawler's "Webhook secret token" field.
    pub secret: String,
}

/// The saved secret, if any.
pub fn saved(keychain: &Keychain, url: &GitLabUrl) -> Result<Option<Secret>, CommandError> {
    keychain
        .webhook_secret(url)
        .map_err(|e| gitlab_onboard::Error::Keychain(e).into())
}

/// The saved secret, or an error that says to make one first (apply sets it on every hook).
pub fn required(keychain: &Keychain, url: &GitLabUrl) -> Result<Secret, CommandError> {
    saved(keychain, url)?.ok_or_else(|| CommandError {
        code: "no_webhook_secret",
        message: "no webhook secret yet: generate one, or enter the crawler's, in the Webhook secret section"
            .to_owned(),
    })
}

/// The saved secret, else a throwaway one: reading hooks needs no real secret, and with none
/// saved no hook's secret can count as set by this tool anyway.
pub fn saved_or_throwaway(keychain: &Keychain, url: &GitLabUrl) -> Result<Secret, CommandError> {
    Ok(saved(keychain, url)?.unwrap_or_else(generate_secret))
}

/// Makes a new secret and saves it, replacing any earlier one.
pub fn generate(keychain: &Keychain, url: &GitLabUrl) -> Result<Secret, CommandError> {
    let secret = generate_secret();
    store(keychain, url, &secret)?;
    Ok(secret)
}

/// Saves a secret the admin typed (the crawler's existing one), after checking its shape.
pub fn save_typed(keychain: &Keychain, url: &GitLabUrl, input: &str) -> Result<(), CommandError> {
    let secret = parse_token(input).map_err(|_| CommandError {
        code: "invalid_input",
        message: "the webhook secret must be one word without spaces: paste the crawler's secret alone, or generate one"
            .to_owned(),
    })?;
    store(keychain, url, &secret)
}

fn store(keychain: &Keychain, url: &GitLabUrl, secret: &Secret) -> Result<(), CommandError> {
    keychain
        .store_webhook_secret(url, secret)
        .map_err(|e| gitlab_onboard::Error::Keychain(e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> GitLabUrl {
        GitLabUrl::parse("https://gitlab.example.com").unwrap()
    }

    #[test]
    fn generated_secret_is_saved_and_replaces_the_old_one() {
        let keychain = Keychain::in_memory();
        assert_eq!(saved(&keychain, &url()).unwrap(), None);
        assert_eq!(
            required(&keychain, &url()).unwrap_err().code,
            "no_webhook_secret"
        );
        let first = generate(&keychain, &url()).unwrap();
        let second = generate(&keychain, &url()).unwrap();
        assert_ne!(first, second);
        assert_eq!(required(&keychain, &url()).unwrap(), second);
    }

    #[test]
    fn typed_secret_is_trimmed_and_checked() {
        let keychain = Keychain::in_memory();
        save_typed(&keychain, &url(), "  crawler-secret \n").unwrap();
        assert_eq!(
            saved(&keychain, &url()).unwrap().unwrap().expose(),
            "crawler-secret"
        );
        let err = save_typed(&keychain, &url(), "two words").unwrap_err();
        assert_eq!(err.code, "invalid_input");
        assert!(!err.message.contains("two words"), "{}", err.message);
        assert_eq!(
            saved(&keychain, &url()).unwrap().unwrap().expose(),
            "crawler-secret",
            "a refused secret replaces nothing"
        );
    }
}

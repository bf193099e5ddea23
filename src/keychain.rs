//! The OS keychain, where the token lives (never a file, never a log).

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry};

use crate::instance::GitLabUrl;
use crate::secret::Secret;

/// The keychain service name under which every secret of this tool is kept.
pub const SERVICE: &str = "gitlab-onboard";

/// Why the keychain could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    /// No Secret Service / keychain is running or it is locked.
    #[error(
        "the OS keychain is not available ({0}): on Linux, start and unlock a Secret Service such as gnome-keyring, or use GITLAB_TOKEN"
    )]
    Unavailable(String),
    /// The keychain refused or failed an operation.
    #[error("the OS keychain failed: {0}")]
    Failed(String),
}

/// A handle on a credential store: the OS keychain, or an in-memory one for tests and a demo.
#[derive(Clone)]
pub struct Keychain {
    store: Arc<CredentialStore>,
    persistent: bool,
}

impl std::fmt::Debug for Keychain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keychain")
            .field("persistent", &self.persistent)
            .finish()
    }
}

impl Keychain {
    /// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
    pub fn system() -> Result<Self, KeychainError> {
        let store = platform_store().map_err(|e| KeychainError::Unavailable(e.to_string()))?;
        Ok(Self {
            store,
            persistent: true,
        })
    }

    /// A store that lives only as long as this process: for tests, and a demo without a keychain.
    pub fn in_memory() -> Self {
        let store: Arc<CredentialStore> =
            keyring_core::mock::Store::new().expect("the in-memory store always starts");
        Self {
            store,
            persistent: false,
        }
    }

    /// True for the OS keychain, false for the in-memory store.
    pub fn is_persistent(&self) -> bool {
        self.persistent
    }

    /// Saves (or replaces) the token for an instance.
    pub fn store_token(&self, url: &GitLabUrl, token: &Secret) -> Result<(), KeychainError> {
        self.store(Kind::Token, url, token)
    }

    /// The saved token for an instance, if any.
    pub fn token(&self, url: &GitLabUrl) -> Result<Option<Secret>, KeychainError> {
        self.load(Kind::Token, url)
    }

    /// Forgets the token for an instance; succeeds when there was none.
    pub fn delete_token(&self, url: &GitLabUrl) -> Result<(), KeychainError> {
        self.delete(Kind::Token, url)
    }

    /// Saves (or replaces) the crawler's webhook secret for an instance.
    pub fn store_webhook_secret(
        &self,
        url: &GitLabUrl,
        secret: &Secret,
    ) -> Result<(), KeychainError> {
        self.store(Kind::WebhookSecret, url, secret)
    }

    /// The saved webhook secret for an instance, if any.
    pub fn webhook_secret(&self, url: &GitLabUrl) -> Result<Option<Secret>, KeychainError> {
        self.load(Kind::WebhookSecret, url)
    }

    /// Forgets the webhook secret for an instance; succeeds when there was none.
    pub fn delete_webhook_secret(&self, url: &GitLabUrl) -> Result<(), KeychainError> {
        self.delete(Kind::WebhookSecret, url)
    }

    /// The key hook fingerprints are made with for an instance, if one was saved.
    pub fn fingerprint_key(&self, url: &GitLabUrl) -> Result<Option<Secret>, KeychainError> {
        self.load(Kind::FingerprintKey, url)
    }

    /// Saves (or replaces) the key hook fingerprints are made with for an instance.
    pub fn store_fingerprint_key(
        &self,
        url: &GitLabUrl,
        key: &Secret,
    ) -> Result<(), KeychainError> {
        self.store(Kind::FingerprintKey, url, key)
    }

    /// Forgets the fingerprint key for an instance; succeeds when there was none.
    pub fn delete_fingerprint_key(&self, url: &GitLabUrl) -> Result<(), KeychainError> {
        self.delete(Kind::FingerprintKey, url)
    }

    fn delete(&self, kind: Kind, url: &GitLabUrl) -> Result<(), KeychainError> {
        match self.entry(kind, url)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }

    fn store(&self, kind: Kind, url: &GitLabUrl, value: &Secret) -> Result<(), KeychainError> {
        self.entry(kind, url)?
            .set_password(value.expose())
            .map_err(classify)
    }

    fn load(&self, kind: Kind, url: &GitLabUrl) -> Result<Option<Secret>, KeychainError> {
        match self.entry(kind, url)?.get_password() {
            Ok(p) => Ok(Some(Secret::new(p))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify(e)),
        }
    }

    fn entry(&self, kind: Kind, url: &GitLabUrl) -> Result<Entry, KeychainError> {
        let name = match kind {
            Kind::Token => "token",
            Kind::WebhookSecret => "webhook-secret",
            Kind::FingerprintKey => "fingerprint-key",
        };
        Entry::new_in_store(
            &self.store,
            SERVICE,
            &format!("{name}@{}", url.keychain_account()),
        )
        .map_err(classify)
    }
}

/// What a keychain entry holds.
#[derive(Clone, Copy)]
enum Kind {
    Token,
    WebhookSecret,
    FingerprintKey,
}

fn classify(e: keyring_core::Error) -> KeychainError {
    match e {
        keyring_core::Error::NoStorageAccess(_) => KeychainError::Unavailable(e.to_string()),
        other => KeychainError::Failed(other.to_string()),
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_reads_and_deletes_per_instance() {
        let k = Keychain::in_memory();
        let a = GitLabUrl::parse("https://a.example.com").unwrap();
        let b = GitLabUrl::parse("https://b.example.com/gitlab").unwrap();
        assert!(k.token(&a).unwrap().is_none());
        k.store_token(&a, &Secret::new("one")).unwrap();
        k.store_token(&b, &Secret::new("two")).unwrap();
        assert_eq!(k.token(&a).unwrap().unwrap().expose(), "one");
        assert_eq!(k.token(&b).unwrap().unwrap().expose(), "two");
        k.store_webhook_secret(&a, &Secret::new("hook")).unwrap();
        k.store_webhook_secret(&a, &Secret::new("hook")).unwrap();
        k.delete_token(&a).unwrap();
        k.delete_token(&a).unwrap();
        assert_eq!(
            k.webhook_secret(&a).unwrap().unwrap().expose(),
            "hook",
            "kept apart from the token"
        );
        assert!(k.token(&a).unwrap().is_none());
        assert_eq!(
            k.webhook_secret(&a).unwrap().unwrap().expose(),
            "hook",
            "kept apart from the token"
        );
        assert!(!k.is_persistent());

        assert!(k.fingerprint_key(&a).unwrap().is_none());
        k.store_fingerprint_key(&a, &Secret::new("key")).unwrap();
        assert_eq!(k.fingerprint_key(&a).unwrap().unwrap().expose(), "key");
        assert_eq!(k.webhook_secret(&a).unwrap().unwrap().expose(), "hook");
        k.delete_fingerprint_key(&a).unwrap();
        k.delete_webhook_secret(&a).unwrap();
        assert!(k.fingerprint_key(&a).unwrap().is_none());
        assert!(k.webhook_secret(&a).unwrap().is_none());
    }
}

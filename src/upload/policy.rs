//! Where an upload may go when the destination comes from somewhere less trusted than the
//! admin's own command line (the desktop window's web view): Google's storage host, Google's
//! token endpoint, or an endpoint the admin configured outside the web view (for the app, an
//! environment variable read in Rust when it starts).

use url::Url;

use super::error::UploadError;
use super::{ServiceAccountKey, SignedUrl};

/// The storage endpoint the admin configured instead of Google's (an emulator, a private
/// endpoint), read by the app at start-up.
pub const STORAGE_URL_ENV: &str = "GITLAB_ONBOARD_STORAGE_URL";
/// The token endpoint the admin configured instead of Google's, read by the app at start-up.
pub const TOKEN_URI_ENV: &str = "GITLAB_ONBOARD_TOKEN_URI";

/// Google's storage host; signed URLs may also use a bucket's virtual host below it.
const STORAGE_HOST: &str = "storage.googleapis.com";
/// Google's token endpoint host.
const TOKEN_HOST: &str = "oauth2.googleapis.com";

/// The endpoints an upload may reach: Google's, plus the ones the admin configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadPolicy {
    storage_url: Option<Url>,
    token_uri: Option<Url>,
}

impl UploadPolicy {
    /// Google's endpoints, plus the configured ones (`None`: not configured). A configured URL
    /// must be HTTPS unless loopback.
    pub fn new(storage_url: Option<&str>, token_uri: Option<&str>) -> Result<Self, UploadError> {
        let parse = |what: &'static str, input: Option<&str>| {
            input
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    super::endpoint(
                        what,
                        s,
                        "set it to an http(s) endpoint, e.g. http://127.0.0.1:9023",
                    )
                })
                .transpose()
        };
        Ok(Self {
            storage_url: parse("storage URL", storage_url)?,
            token_uri: parse("token_uri", token_uri)?,
        })
    }

    /// From [`STORAGE_URL_ENV`] and [`TOKEN_URI_ENV`].
    pub fn from_env() -> Result<Self, UploadError> {
        Self::new(
            std::env::var(STORAGE_URL_ENV).ok().as_deref(),
            std::env::var(TOKEN_URI_ENV).ok().as_deref(),
        )
    }

    /// The configured storage endpoint, for a service-account upload (`None`: Google's).
    pub fn storage_url(&self) -> Option<&str> {
        self.storage_url.as_ref().map(Url::as_str)
    }

    /// A signed URL may go to `https://storage.googleapis.com` or a bucket's
    /// `https://*.storage.googleapis.com`, or to the configured storage endpoint's origin.
    pub fn check_signed_url(&self, url: &SignedUrl) -> Result<(), UploadError> {
        let shown = url.shown();
        let target = Url::parse(&shown).ok();
        let google = target.as_ref().is_some_and(|u| {
            u.scheme() == "https"
                && u.port().is_none()
                && u.host_str().is_some_and(|h| {
                    let h = h.to_ascii_lowercase();
                    h == STORAGE_HOST || h.ends_with(&format!(".{STORAGE_HOST}"))
                })
        });
        if google || same_origin(target.as_ref(), self.storage_url.as_ref()) {
            return Ok(());
        }
        Err(UploadError::NotAllowed {
            what: "signed URL",
            url: shown,
            allowed: "https://storage.googleapis.com",
            env: STORAGE_URL_ENV,
        })
    }

    /// A key's `token_uri` may be `https://oauth2.googleapis.com/…`, or the configured one.
    pub fn check_token_uri(&self, key: &ServiceAccountKey) -> Result<(), UploadError> {
        let uri = key.token_uri();
        let google = uri.scheme() == "https"
            && uri.port().is_none()
            && uri
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(TOKEN_HOST));
        if google || same_origin(Some(uri), self.token_uri.as_ref()) {
            return Ok(());
        }
        Err(UploadError::NotAllowed {
            what: "key's token_uri",
            url: uri.to_string(),
            allowed: "https://oauth2.googleapis.com",
            env: TOKEN_URI_ENV,
        })
    }
}

fn same_origin(a: Option<&Url>, b: Option<&Url>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../../tests/fixtures/upload/throwaway-test-key.pem");

    fn signed(base: &str) -> SignedUrl {
        SignedUrl::parse(&format!(
            "{base}/b/o.csv?X-Goog-Date=20260101T000000Z&X-Goog-Expires=900&X-Goog-Signature=ab"
        ))
        .unwrap()
    }

    fn key(token_uri: &str) -> ServiceAccountKey {
        let json = serde_json::json!({
            "type": "service_account",
            "private_key": KEY,
            "client_email": "u@p.iam.gserviceaccount.com",
            "token_uri": token_uri,
        });
        ServiceAccountKey::parse(&json.to_string(), "k.json").unwrap()
    }

    #[test]
    fn google_storage_and_its_bucket_hosts_only_unless_configured() {
        let google = UploadPolicy::default();
        for ok in [
            "https://storage.googleapis.com",
            "https://vendor-bucket.storage.googleapis.com",
            "https://STORAGE.googleapis.com",
        ] {
            assert!(google.check_signed_url(&signed(ok)).is_ok(), "{ok}");
        }
        for refused in [
            "https://storage.googleapis.com.evil.example",
            "https://evilstorage.googleapis.com",
            "https://storage.googleapis.com:8443",
            "https://attacker.example",
            "http://127.0.0.1:9023",
        ] {
            let e = google.check_signed_url(&signed(refused)).unwrap_err();
            assert_eq!(e.code(), "upload_target_refused", "{refused}");
            assert!(!e.to_string().contains("ab"), "no signature: {e}");
        }
        let configured = UploadPolicy::new(Some("http://127.0.0.1:9023"), None).unwrap();
        assert!(
            configured
                .check_signed_url(&signed("http://127.0.0.1:9023"))
                .is_ok()
        );
        assert!(
            configured
                .check_signed_url(&signed("http://127.0.0.1:9024"))
                .is_err()
        );
        assert_eq!(configured.storage_url(), Some("http://127.0.0.1:9023/"));
    }

    #[test]
    fn token_uri_is_googles_unless_configured() {
        let google = UploadPolicy::default();
        assert!(
            google
                .check_token_uri(&key("https://oauth2.googleapis.com/token"))
                .is_ok()
        );
        let e = google
            .check_token_uri(&key("https://collector.example/token"))
            .unwrap_err();
        assert!(
            e.to_string().contains("GITLAB_ONBOARD_TOKEN_URI"),
            "says how an admin allows another: {e}"
        );
        let configured = UploadPolicy::new(None, Some("http://127.0.0.1:4000/token")).unwrap();
        assert!(
            configured
                .check_token_uri(&key("http://127.0.0.1:4000/token"))
                .is_ok()
        );
        assert!(UploadPolicy::new(Some("http://gcs.example"), None).is_err());
        assert!(UploadPolicy::new(Some("not a url"), None).is_err());
        assert_eq!(UploadPolicy::new(Some("  "), None).unwrap(), google);
    }
}

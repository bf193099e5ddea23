//! The GitLab instance's address: GitLab.com or self-managed, possibly under a path prefix.

use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

/// GitLab.com, the default instance.
pub const GITLAB_COM: &str = "https://gitlab.com";

/// A checked GitLab base URL (`https://host[:port][/prefix]`), without a trailing slash.
///
/// HTTPS is required, except for loopback addresses (a local test instance or the simulator).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct GitLabUrl(Url);

/// Why a GitLab URL was refused. Each message says what to type instead.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL at all.
    #[error(
        "'{0}' is not a URL: type the address you open GitLab with, e.g. https://gitlab.example.com"
    )]
    Invalid(String),
    /// Plain HTTP to a non-loopback host.
    #[error("'{0}' is not HTTPS: use https:// (plain http is allowed only for localhost)")]
    NotHttps(String),
    /// The address has parts a GitLab base URL cannot have.
    #[error(
        "'{0}' has a query, fragment or credentials: give only the GitLab address, e.g. https://gitlab.example.com"
    )]
    Extra(String),
}

impl GitLabUrl {
    /// Parses what an admin typed: surrounding space is trimmed, a missing scheme means
    /// `https://`, and a pasted `/api/v4` or trailing slash is removed.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UrlError::Invalid(trimmed.to_owned()));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("https://{trimmed}")
        };
        let mut url =
            Url::parse(&with_scheme).map_err(|_| UrlError::Invalid(trimmed.to_owned()))?;
        if url.host().is_none() || !matches!(url.scheme(), "http" | "https") {
            return Err(UrlError::Invalid(trimmed.to_owned()));
        }
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(UrlError::Extra(trimmed.to_owned()));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(UrlError::NotHttps(trimmed.to_owned()));
        }
        let path = url.path().trim_end_matches('/');
        let path = path
            .strip_suffix("/api/v4")
            .unwrap_or(path)
            .trim_end_matches('/')
            .to_owned();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// The base URL as the admin would open it in a browser, without a trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The REST API root, `<base>/api/v4`.
    pub fn api_root(&self) -> String {
        format!("{}/api/v4", self.as_str())
    }

    /// The path prefix of a self-managed instance (`/gitlab`), empty for none.
    pub fn prefix(&self) -> &str {
        self.0.path().trim_end_matches('/')
    }

    /// The key under which this instance's token is kept in the keychain: host, port and prefix.
    pub fn keychain_account(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        let port = self.0.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!("{host}{port}{}", self.0.path().trim_end_matches('/'))
    }

    /// True for GitLab.com, where emails are hidden and customers are never administrators.
    pub fn is_gitlab_com(&self) -> bool {
        self.0.host_str() == Some("gitlab.com")
    }

    /// True when the host is a loopback address (`localhost`, 127.0.0.0/8, `::1`).
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }
}

impl Default for GitLabUrl {
    fn default() -> Self {
        Self::parse(GITLAB_COM).expect("GitLab.com is a valid URL")
    }
}

impl fmt::Display for GitLabUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for GitLabUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GitLabUrl({})", self.as_str())
    }
}

/// True when the URL's host is a loopback name or address.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_host_without_scheme_and_strips_api_suffix() {
        let u = GitLabUrl::parse("  gitlab.example.com/gitlab/api/v4/ ").unwrap();
        assert_eq!(u.as_str(), "https://gitlab.example.com/gitlab");
        assert_eq!(u.api_root(), "https://gitlab.example.com/gitlab/api/v4");
        assert_eq!(u.keychain_account(), "gitlab.example.com/gitlab");
    }

    #[test]
    fn default_is_gitlab_com() {
        let u = GitLabUrl::default();
        assert_eq!(u.as_str(), "https://gitlab.com");
        assert!(u.is_gitlab_com());
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(GitLabUrl::parse("http://127.0.0.1:8080").is_ok());
        assert!(GitLabUrl::parse("http://localhost:3000").is_ok());
        assert!(GitLabUrl::parse("http://[::1]:3000").is_ok());
        assert_eq!(
            GitLabUrl::parse("http://gitlab.example.com"),
            Err(UrlError::NotHttps("http://gitlab.example.com".into()))
        );
    }

    #[test]
    fn refuses_garbage_and_extras() {
        assert!(matches!(GitLabUrl::parse(""), Err(UrlError::Invalid(_))));
        assert!(matches!(
            GitLabUrl::parse("ftp://x.org"),
            Err(UrlError::Invalid(_))
        ));
        assert!(matches!(
            GitLabUrl::parse("https://x.org/?a=b"),
            Err(UrlError::Extra(_))
        ));
        assert!(matches!(
            GitLabUrl::parse("https://u:p@x.org"),
            Err(UrlError::Extra(_))
        ));
    }

    #[test]
    fn keychain_account_keeps_port() {
        let u = GitLabUrl::parse("http://127.0.0.1:4567").unwrap();
        assert_eq!(u.keychain_account(), "127.0.0.1:4567");
    }
}

//! The crawler's event URL, and the comparison that tells our hook from others.

use std::fmt;

use url::Url;

use crate::instance::is_loopback;

/// Why an event URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventUrlError {
    /// Not a URL.
    #[error(
        "'{0}' is not a URL: give the crawler's event URL, e.g. https://crawler.example.com/instance/gitlab/events"
    )]
    Invalid(String),
    /// Plain HTTP to a non-loopback host: the secret would travel in clear.
    #[error(
        "'{0}' is not HTTPS: GitLab would send the webhook secret in clear; use the crawler's https:// URL"
    )]
    NotHttps(String),
}

/// The crawler's webhook receiver URL, checked (HTTPS unless loopback) and normalised.
#[derive(Clone, PartialEq, Eq)]
pub struct EventUrl {
    original: String,
    normalised: String,
}

impl EventUrl {
    /// Parses and checks an event URL.
    pub fn parse(input: &str) -> Result<Self, EventUrlError> {
        let trimmed = input.trim();
        let url = Url::parse(trimmed).map_err(|_| EventUrlError::Invalid(trimmed.to_owned()))?;
        if url.host().is_none() || !matches!(url.scheme(), "http" | "https") {
            return Err(EventUrlError::Invalid(trimmed.to_owned()));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(EventUrlError::NotHttps(trimmed.to_owned()));
        }
        Ok(Self {
            original: trimmed.to_owned(),
            normalised: normalise(trimmed).expect("parsed above"),
        })
    }

    /// The URL as the admin gave it (what is sent to GitLab).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// True when a hook's URL points at this receiver: scheme and host compared without
    /// case, the default port implied, a trailing slash ignored.
    pub fn matches(&self, hook_url: &str) -> bool {
        normalise(hook_url).is_some_and(|n| n == self.normalised)
    }
}

impl fmt::Display for EventUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl fmt::Debug for EventUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventUrl({})", self.original)
    }
}

/// The comparable form of a URL: `url` lower-cases scheme and host and drops a default port;
/// a trailing slash on the path is removed. GitLab masks URL variables as `{name}`, kept as is.
fn normalise(input: &str) -> Option<String> {
    let url = Url::parse(input.trim()).ok()?;
    let mut s = format!("{}://{}", url.scheme(), url.host_str()?);
    if let Some(port) = url.port() {
        s.push_str(&format!(":{port}"));
    }
    s.push_str(url.path().trim_end_matches('/'));
    if let Some(q) = url.query() {
        s.push('?');
        s.push_str(q);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_receiver_despite_case_port_and_slash() {
        let ours = EventUrl::parse("https://Crawler.Example.com/instance/gitlab/events").unwrap();
        assert!(ours.matches("https://crawler.example.com/instance/gitlab/events"));
        assert!(ours.matches("HTTPS://crawler.example.com:443/instance/gitlab/events/"));
        assert!(!ours.matches("https://crawler.example.com:8443/instance/gitlab/events"));
        assert!(!ours.matches("http://crawler.example.com/instance/gitlab/events"));
        assert!(!ours.matches("https://crawler.example.com/instance/gitlab/Events"));
        assert!(!ours.matches("https://other.example.com/instance/gitlab/events"));
        assert!(!ours.matches("not a url"));
    }

    #[test]
    fn https_required_except_loopback() {
        assert!(EventUrl::parse("http://127.0.0.1:8080/events").is_ok());
        assert!(matches!(
            EventUrl::parse("http://crawler.example.com/e"),
            Err(EventUrlError::NotHttps(_))
        ));
        assert!(matches!(
            EventUrl::parse("crawler.example.com/e"),
            Err(EventUrlError::Invalid(_))
        ));
    }
}

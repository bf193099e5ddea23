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
    /// A user name or password in the URL: such a hook is never taken for ours.
    #[error(
        "'{0}' carries a user name or password: give the crawler's event URL without them (the webhook secret authenticates GitLab to the crawler)"
    )]
    Credentials(String),
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
        if carries_credentials(trimmed) {
            let mut shown = url.clone();
            let _ = shown.set_username("");
            let _ = shown.set_password(None);
            return Err(EventUrlError::Credentials(shown.to_string()));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(EventUrlError::NotHttps(trimmed.to_owned()));
        }
        let normalised =
            normalise(trimmed).ok_or_else(|| EventUrlError::Invalid(trimmed.to_owned()))?;
        Ok(Self {
            original: trimmed.to_owned(),
            normalised,
        })
    }

    /// The URL as the admin gave it (what is sent to GitLab).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// True when a hook's URL points at this receiver: scheme and host compared without
    /// case, the default port implied, a trailing slash ignored. A URL that carries
    /// credentials (`https://user:pw@…`, or GitLab's masked `{user}:{password}@…`) is
    /// another tenant's hook and never matches.
    pub fn matches(&self, hook_url: &str) -> bool {
        !carries_credentials(hook_url) && normalise(hook_url).is_some_and(|n| n == self.normalised)
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

/// True when a URL has a user-info part: a user name or password, masked or not. Both the
/// parsed URL and the raw authority are checked (an empty `@` parses to no user name). The
/// authority is what follows the scheme's `:` and any slashes: a special scheme such as
/// `https:` needs no `//` (`https:@host/x` has an empty user-info part).
fn carries_credentials(input: &str) -> bool {
    let input = input.trim();
    if let Ok(url) = Url::parse(input)
        && (!url.username().is_empty() || url.password().is_some())
    {
        return true;
    }
    let Some((_, rest)) = input.split_once(':') else {
        return false;
    };
    let rest = rest.trim_start_matches(['/', '\\']);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or(rest);
    authority.contains('@')
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
    fn a_url_with_credentials_is_never_ours() {
        let ours = EventUrl::parse("https://crawler.example.com/instance/gitlab/events").unwrap();
        for theirs in [
            "https://tenant:pw@crawler.example.com/instance/gitlab/events",
            "https://tenant@crawler.example.com/instance/gitlab/events",
            "https://:pw@crawler.example.com/instance/gitlab/events",
            "https://@crawler.example.com/instance/gitlab/events",
            "https://{user}:{password}@crawler.example.com/instance/gitlab/events",
            "https://{user}@crawler.example.com/instance/gitlab/events",
            "HTTPS://a:b@CRAWLER.example.com:443/instance/gitlab/events/",
            "https:@crawler.example.com/instance/gitlab/events",
            "https:/@crawler.example.com/instance/gitlab/events",
            "https:\\\\@crawler.example.com/instance/gitlab/events",
            "https:user@crawler.example.com/instance/gitlab/events",
        ] {
            assert!(!ours.matches(theirs), "{theirs}");
        }
        // An `@` after the authority is part of the path, not credentials.
        let at = EventUrl::parse("https://crawler.example.com/e/@team").unwrap();
        assert!(at.matches("https://crawler.example.com/e/@team"));
    }

    #[test]
    fn an_event_url_with_credentials_is_refused_without_showing_them() {
        let err = EventUrl::parse("https://u:hunter2@crawler.example.com/e").unwrap_err();
        assert!(matches!(err, EventUrlError::Credentials(_)), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn matches_never_panics(input in any::<String>(), url in "[a-zA-Z:/@{}%.?#\\\\0-9\\[\\] -]{0,80}") {
                let ours = EventUrl::parse("https://crawler.example.com/instance/gitlab/events").unwrap();
                let _ = ours.matches(&input);
                let _ = ours.matches(&url);
                let _ = EventUrl::parse(&input);
                let _ = EventUrl::parse(&url);
            }

            #[test]
            fn any_url_with_userinfo_never_matches(
                user in "[a-zA-Z0-9{}%._~-]{0,12}",
                password in proptest::option::of("[a-zA-Z0-9{}%._~!$-]{0,12}"),
                host_case in any::<bool>(),
                slash in any::<bool>(),
                slashes in 0usize..4,
            ) {
                let ours = EventUrl::parse("https://crawler.example.com/instance/gitlab/events").unwrap();
                let host = if host_case { "CRAWLER.example.com" } else { "crawler.example.com" };
                let userinfo = match &password {
                    Some(p) => format!("{user}:{p}"),
                    None => user.clone(),
                };
                let after_scheme = ["", "/", "//", "\\\\"][slashes];
                let url = format!(
                    "https:{after_scheme}{userinfo}@{host}/instance/gitlab/events{}",
                    if slash { "/" } else { "" }
                );
                prop_assert!(!ours.matches(&url), "{}", url);
            }
        }
    }
}

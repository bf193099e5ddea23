//! Where the token may go: the instance's scheme, host, port and path prefix.
//!
//! Every request that carries the token is checked against it ([`Origin::allows`]), and a
//! pagination link is followed only when it stays under the instance's API root
//! ([`Origin::next_page`]). URLs are compared after parsing with the `url` crate, never as text.

use url::{Host, Url};

use crate::instance::GitLabUrl;

/// The instance's origin and path prefix. See the module documentation.
#[derive(Debug, Clone)]
pub struct Origin {
    scheme: String,
    host: Host<String>,
    port: Option<u16>,
    /// `/gitlab/` for an instance under `/gitlab`, `/` for none.
    prefix: String,
    /// `<prefix>api/v4/`.
    api: String,
}

impl Origin {
    /// The origin of a checked GitLab URL.
    pub fn of(url: &GitLabUrl) -> Self {
        let parsed = Url::parse(url.as_str()).expect("a GitLabUrl is a valid URL");
        let prefix = format!("{}/", url.prefix());
        Self {
            scheme: parsed.scheme().to_owned(),
            host: parsed
                .host()
                .map_or(Host::Domain(String::new()), |h| h.to_owned()),
            port: parsed.port_or_known_default(),
            api: format!("{prefix}api/v4/"),
            prefix,
        }
    }

    /// Same scheme, host and port, and no credentials of its own.
    fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.scheme
            && url.host().map(|h| h.to_owned()).as_ref() == Some(&self.host)
            && url.port_or_known_default() == self.port
            && url.username().is_empty()
            && url.password().is_none()
    }

    /// Whether a request to `url` may carry the token: on the instance, under its prefix.
    pub fn allows(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|u| self.same_origin(&u) && u.path().starts_with(&self.prefix))
    }

    /// Resolves a `Link` target against the page it came with; `None` unless the result is
    /// under this instance's API root (`<base>/api/v4/`).
    pub fn next_page(&self, current: &str, target: &str) -> Option<String> {
        let next = Url::parse(current).ok()?.join(target).ok()?;
        (self.same_origin(&next) && next.path().starts_with(&self.api) && next.fragment().is_none())
            .then(|| next.into())
    }
}

/// A URL or link from an answer, fit for a one-line message: at most 200 characters, control
/// characters replaced.
pub fn shown(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > 200 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn origin(base: &str) -> Origin {
        Origin::of(&GitLabUrl::parse(base).unwrap())
    }

    #[test]
    fn links_on_the_instance_api_are_followed() {
        let o = origin("https://10.0.0.5/gitlab");
        let cur = "https://10.0.0.5/gitlab/api/v4/projects?page=1";
        assert_eq!(
            o.next_page(cur, "https://10.0.0.5:443/gitlab/api/v4/projects?page=2")
                .as_deref(),
            Some("https://10.0.0.5/gitlab/api/v4/projects?page=2")
        );
        assert_eq!(
            o.next_page(cur, "/gitlab/api/v4/groups?page=3").as_deref(),
            Some("https://10.0.0.5/gitlab/api/v4/groups?page=3"),
            "a relative link is resolved against the page"
        );
        assert_eq!(
            o.next_page(cur, "projects?page=4").as_deref(),
            Some("https://10.0.0.5/gitlab/api/v4/projects?page=4")
        );
    }

    #[test]
    fn links_anywhere_else_are_refused() {
        let o = origin("https://10.0.0.5/gitlab");
        let cur = "https://10.0.0.5/gitlab/api/v4/projects?page=1";
        for hostile in [
            "foo:@other-host/x",
            "https://other-host/gitlab/api/v4/projects?page=2",
            "https://gitlab.internal/gitlab/api/v4/projects?page=2",
            "http://10.0.0.5/gitlab/api/v4/projects?page=2",
            "https://10.0.0.5:8443/gitlab/api/v4/projects?page=2",
            "https://user:pw@10.0.0.5/gitlab/api/v4/projects?page=2",
            "https://10.0.0.5@other-host/gitlab/api/v4/projects",
            "//other-host/gitlab/api/v4/projects",
            "https://10.0.0.5/api/v4/projects?page=2",
            "https://10.0.0.5/gitlab/api/v4/../../steal",
            "https://10.0.0.5/gitlab/api/v4/%2e%2e/%2e%2e/steal",
            "https://10.0.0.5/gitlab/oauth/token/info",
            "https://10.0.0.5/gitlab/api/v4/projects#frag",
            "javascript:alert(1)",
        ] {
            assert_eq!(o.next_page(cur, hostile), None, "{hostile}");
        }
    }

    #[test]
    fn the_guard_allows_only_the_instance_under_its_prefix() {
        let o = origin("https://10.0.0.5/gitlab");
        assert!(o.allows("https://10.0.0.5/gitlab/api/v4/user"));
        assert!(o.allows("https://10.0.0.5/gitlab/oauth/token/info"));
        assert!(!o.allows("https://10.0.0.5/other/api/v4/user"));
        assert!(!o.allows("https://10.0.0.5@evil.example.com/gitlab/api/v4/user"));
        assert!(!o.allows("https://evil.example.com/gitlab/api/v4/user"));
        assert!(!o.allows("not a url"));
        let root = origin("http://127.0.0.1:4567");
        assert!(root.allows("http://127.0.0.1:4567/api/v4/user"));
        assert!(!root.allows("http://127.0.0.1:4568/api/v4/user"));
        assert!(!root.allows("http://localhost:4567/api/v4/user"));
    }

    #[test]
    fn shown_is_bounded_and_printable() {
        assert_eq!(shown("a\u{7}b"), "a?b");
        assert_eq!(shown(&"x".repeat(500)).chars().count(), 201);
    }

    proptest! {
        #[test]
        fn whatever_is_followed_is_on_the_instance_api(target in ".{0,120}") {
            let o = origin("https://gitlab.example.com/gitlab");
            let cur = "https://gitlab.example.com/gitlab/api/v4/projects?page=1";
            if let Some(next) = o.next_page(cur, &target) {
                let u = Url::parse(&next).unwrap();
                prop_assert_eq!(u.scheme(), "https");
                prop_assert_eq!(u.host_str(), Some("gitlab.example.com"));
                prop_assert_eq!(u.port_or_known_default(), Some(443));
                prop_assert!(u.username().is_empty() && u.password().is_none());
                prop_assert!(u.path().starts_with("/gitlab/api/v4/"));
                prop_assert!(o.allows(&next));
            }
        }

        #[test]
        fn urlish_targets_never_leave_the_instance(
            scheme in "(https?|foo|)",
            sep in "(://|:|//|)",
            user in "([a-z]{0,3}(:[a-z]{0,3})?@)?",
            host in "(gitlab\\.example\\.com|other-host|10\\.0\\.0\\.5|)",
            port in "(:443|:80|:8443|)",
            path in "(/gitlab)?(/api/v4)?(/\\.\\.)?/[a-z%.]{0,8}",
        ) {
            let target = format!("{scheme}{sep}{user}{host}{port}{path}");
            let o = origin("https://gitlab.example.com/gitlab");
            let cur = "https://gitlab.example.com/gitlab/api/v4/projects?page=1";
            if let Some(next) = o.next_page(cur, &target) {
                let u = Url::parse(&next).unwrap();
                prop_assert_eq!(u.host_str(), Some("gitlab.example.com"), "{}", target);
                prop_assert!(u.path().starts_with("/gitlab/api/v4/"), "{}", target);
            }
        }
    }
}

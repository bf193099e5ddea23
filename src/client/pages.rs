//! Pagination: follow `Link: <…>; rel="next"` (offset and keyset alike), else `X-Next-Page`.
//! `X-Total` is never relied on: GitLab omits it above 10,000 items.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::Client;
use crate::error::ApiError;

/// GitLab's largest page.
pub const PER_PAGE: &str = "100";

/// One page of a list.
#[derive(Debug)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The URL of the next page, on this client's instance; none on the last page.
    pub next: Option<String>,
}

impl Client {
    /// The first page's URL for a list endpoint (adds `per_page=100`).
    pub fn list_url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        if !q.iter().any(|(k, _)| *k == "per_page") {
            q.push(("per_page", PER_PAGE));
        }
        self.api_url(path, &q)
    }

    /// Fetches one page by URL (from [`Client::list_url`] or a previous page's `next`).
    pub async fn page<T: DeserializeOwned>(&self, url: &str) -> Result<Page<T>, ApiError> {
        let (items, ok) = self
            .send::<(), Vec<T>>(Method::GET, url.to_owned(), None)
            .await?;
        let next = next_url(&ok.headers, url).map(|n| self.rebase(&n));
        Ok(Page { items, next })
    }

    /// Every item of a list, page after page, calling `on_page` with the running count.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        mut on_page: impl FnMut(usize),
    ) -> Result<Vec<T>, ApiError> {
        let mut all = Vec::new();
        let mut url = Some(self.list_url(path, query));
        while let Some(current) = url {
            let page = self.page::<T>(&current).await?;
            all.extend(page.items);
            on_page(all.len());
            url = page.next;
        }
        Ok(all)
    }

    /// Keeps a next link on this client's instance: GitLab builds it from its own
    /// `external_url`, which may differ from the address used here (a proxy, an IP). The token
    /// must never follow a link to another host.
    fn rebase(&self, next: &str) -> String {
        let root = &self.inner.api_root;
        if next.starts_with(root.as_str()) {
            return next.to_owned();
        }
        let Ok(link) = url::Url::parse(next) else {
            return next.to_owned();
        };
        let rest = match link.query() {
            Some(q) => format!("{}?{q}", link.path()),
            None => link.path().to_owned(),
        };
        match rest.find("/api/v4/") {
            Some(i) => format!("{root}{}", &rest[i + "/api/v4".len()..]),
            None => format!(
                "{}{rest}",
                self.inner
                    .url
                    .as_str()
                    .trim_end_matches(self.inner.url.prefix())
            ),
        }
    }
}

/// The next page's URL: the `Link` header's `rel="next"`, else `X-Next-Page` applied to `current`.
pub fn next_url(headers: &HeaderMap, current: &str) -> Option<String> {
    for value in headers.get_all("link") {
        let Ok(value) = value.to_str() else { continue };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            if pieces.any(|p| {
                matches!(
                    p.trim().replace(' ', "").as_str(),
                    "rel=\"next\"" | "rel=next"
                )
            }) {
                return Some(
                    target
                        .trim_start_matches('<')
                        .trim_end_matches('>')
                        .to_owned(),
                );
            }
        }
    }
    let page = headers.get("x-next-page")?.to_str().ok()?.trim();
    if page.is_empty() {
        return None;
    }
    let mut url = url::Url::parse(current).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("page", page);
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn follows_the_documented_link_header() {
        let link = r#"<https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3>; rel="prev", <https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3>; rel="next", <https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3>; rel="first""#;
        assert_eq!(
            next_url(&with("link", link), "x").as_deref(),
            Some("https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3")
        );
    }

    #[test]
    fn keyset_link_and_last_page() {
        let link = r#"<https://h/api/v4/projects?id_after=42&order_by=id&pagination=keyset&per_page=100&sort=asc>; rel="next""#;
        assert!(
            next_url(&with("link", link), "x")
                .unwrap()
                .contains("id_after=42")
        );
        let last = r#"<https://h/api/v4/projects?page=1>; rel="first", <https://h/api/v4/projects?page=9>; rel="last""#;
        assert_eq!(next_url(&with("link", last), "x"), None);
        assert_eq!(next_url(&HeaderMap::new(), "x"), None);
    }

    #[test]
    fn links_to_another_host_are_rebased_onto_ours() {
        let url = crate::GitLabUrl::parse("https://10.0.0.5/gitlab").unwrap();
        let client = Client::new(crate::ClientConfig::new(url, crate::Secret::new("t"))).unwrap();
        assert_eq!(
            client.rebase("https://gitlab.internal/gitlab/api/v4/projects?page=2"),
            "https://10.0.0.5/gitlab/api/v4/projects?page=2"
        );
        assert_eq!(
            client.rebase("https://10.0.0.5/gitlab/api/v4/groups?page=3"),
            "https://10.0.0.5/gitlab/api/v4/groups?page=3"
        );
        assert_eq!(
            client.rebase("https://evil.example.com/steal?x=1"),
            "https://10.0.0.5/steal?x=1"
        );
    }

    #[test]
    fn falls_back_to_x_next_page() {
        let n = next_url(
            &with("x-next-page", "3"),
            "https://h/api/v4/groups?per_page=100&page=2",
        )
        .unwrap();
        assert_eq!(n, "https://h/api/v4/groups?per_page=100&page=3");
        assert_eq!(
            next_url(&with("x-next-page", ""), "https://h/api/v4/groups"),
            None
        );
    }
}

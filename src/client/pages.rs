//! Pagination: follow `Link: <…>; rel="next"` (offset and keyset alike), else `X-Next-Page`.
//! `X-Total` is never relied on: GitLab omits it above 10,000 items.
//!
//! A next link is followed only when it resolves under this instance's API root (same
//! scheme, host, port and `<prefix>/api/v4/`); anything else ends the list with
//! [`ApiError::ForeignLink`] before the token is sent anywhere.

use std::collections::HashSet;

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::Client;
use super::origin::shown;
use crate::error::ApiError;

/// The most pages one list may have (a million items at 100 per page); more, or a page
/// linking to one already read, is [`ApiError::EndlessPages`].
pub const MAX_PAGES: usize = 10_000;

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
        let next = match next_link(&ok.headers) {
            Some(target) => Some(
                self.inner
                    .origin
                    .next_page(url, &target)
                    .ok_or_else(|| self.foreign(&target))?,
            ),
            None => x_next_page(&ok.headers, url),
        };
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
        let mut seen = HashSet::new();
        while let Some(current) = url {
            if seen.len() >= MAX_PAGES || seen.contains(&current) {
                return Err(ApiError::EndlessPages {
                    path: self.shown_path(&current),
                    pages: seen.len(),
                });
            }
            let page = self.page::<T>(&current).await?;
            seen.insert(current);
            all.extend(page.items);
            on_page(all.len());
            url = page.next;
        }
        Ok(all)
    }

    /// How many items a list holds, from GitLab's `x-total` header (one request with
    /// `per_page=1`); `None` when GitLab leaves the header out (it does above 10,000 items).
    pub async fn total(&self, path: &str, query: &[(&str, &str)]) -> Result<Option<u64>, ApiError> {
        let mut q: Vec<(&str, &str)> = query.to_vec();
        q.push(("per_page", "1"));
        let url = self.api_url(path, &q);
        let (_, ok) = self
            .send::<(), serde::de::IgnoredAny>(Method::GET, url, None)
            .await?;
        Ok(x_total(&ok.headers))
    }

    /// The error for a URL off this instance: the token was not sent there.
    pub(super) fn foreign(&self, url: &str) -> ApiError {
        ApiError::ForeignLink {
            url: shown(url),
            instance: self.inner.url.as_str().to_owned(),
        }
    }
}

/// The target of the first `rel="next"` link in the `Link` headers (RFC 8288), as written.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers.get_all("link").iter().find_map(|value| {
        let text = String::from_utf8_lossy(value.as_bytes());
        parse_link(&text)
            .into_iter()
            .find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case("next")))
            .map(|(target, _)| target)
    })
}

/// The `x-total` header as a count: digits only, at most 18 of them.
fn x_total(headers: &HeaderMap) -> Option<u64> {
    let text = headers.get("x-total")?.to_str().ok()?.trim();
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `X-Next-Page` applied to `current` (a page number; anything else is ignored).
fn x_next_page(headers: &HeaderMap, current: &str) -> Option<String> {
    let page: u64 = headers
        .get("x-next-page")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let mut url = url::Url::parse(current).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("page", &page.to_string());
    Some(url.into())
}

/// The links of one `Link` header value: each target with its `rel` types. Malformed links
/// are skipped; commas and semicolons inside `<…>` and quoted strings are kept.
pub fn parse_link(value: &str) -> Vec<(String, Vec<String>)> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let Some(after) = rest.strip_prefix('<') else {
            if rest.is_empty() {
                return links;
            }
            // Not a link: skip to the next top-level comma.
            rest = skip_params(rest).1;
            continue;
        };
        let Some(end) = after.find('>') else {
            return links;
        };
        let target = after[..end].trim().to_owned();
        let (params, tail) = skip_params(&after[end + 1..]);
        let rels = params
            .into_iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case("rel"))
            .flat_map(|(_, v)| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        links.push((target, rels));
        rest = tail;
    }
}

/// Reads `; name=value; name="quoted, value"` up to the next top-level comma; returns the
/// parameters and what follows the comma.
fn skip_params(text: &str) -> (Vec<(String, String)>, &str) {
    let mut params = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut name = String::new();
    let mut value = String::new();
    let mut in_value = false;
    while let Some((i, c)) = chars.next() {
        match c {
            ',' => {
                if !name.trim().is_empty() {
                    params.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                return (params, &text[i + 1..]);
            }
            ';' => {
                if !name.trim().is_empty() {
                    params.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                name.clear();
                value.clear();
                in_value = false;
            }
            '=' if !in_value => in_value = true,
            '"' if in_value => {
                while let Some((_, q)) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        other => value.push(other),
                    }
                }
            }
            c if in_value => value.push(c),
            c => name.push(c),
        }
    }
    if !name.trim().is_empty() {
        params.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    (params, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn x_total_is_a_plain_count_or_nothing() {
        assert_eq!(x_total(&with("x-total", "42")), Some(42));
        assert_eq!(x_total(&with("x-total", " 7 ")), Some(7));
        for bad in ["", "-1", "1e3", "12a", "9999999999999999999999"] {
            assert_eq!(x_total(&with("x-total", bad)), None, "{bad}");
        }
        assert_eq!(x_total(&HeaderMap::new()), None);
    }

    #[test]
    fn follows_the_documented_link_header() {
        let link = r#"<https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3>; rel="prev", <https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3>; rel="next", <https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=1&per_page=3>; rel="first""#;
        assert_eq!(
            next_link(&with("link", link)).as_deref(),
            Some("https://gitlab.example.com/api/v4/projects/8/issues/8/notes?page=3&per_page=3")
        );
    }

    #[test]
    fn keyset_link_and_last_page() {
        let link = r#"<https://h/api/v4/projects?id_after=42&order_by=id&pagination=keyset&per_page=100&sort=asc>; rel="next""#;
        assert!(
            next_link(&with("link", link))
                .unwrap()
                .contains("id_after=42")
        );
        let last = r#"<https://h/api/v4/projects?page=1>; rel="first", <https://h/api/v4/projects?page=9>; rel="last""#;
        assert_eq!(next_link(&with("link", last)), None);
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn commas_quotes_and_rel_lists_are_parsed() {
        let link = r#"<https://h/api/v4/x?a=1,2;b>; title="a, b; c"; rel="prev", <https://h/api/v4/x?page=2>; REL="last  Next""#;
        assert_eq!(
            next_link(&with("link", link)).as_deref(),
            Some("https://h/api/v4/x?page=2")
        );
        assert_eq!(
            parse_link("garbage, <a>; rel=next"),
            vec![("a".to_owned(), vec!["next".to_owned()])]
        );
        assert_eq!(parse_link("<unterminated; rel=next"), vec![]);
        let hostile = r#"<foo:@other-host/x>; rel="next""#;
        assert_eq!(
            next_link(&with("link", hostile)).as_deref(),
            Some("foo:@other-host/x")
        );
    }

    #[test]
    fn a_hostile_next_link_is_an_error_not_a_request() {
        let url = crate::GitLabUrl::parse("https://10.0.0.5/gitlab").unwrap();
        let client = Client::new(crate::ClientConfig::new(url, crate::Secret::new("t"))).unwrap();
        let e = client.foreign("foo:@other-host/x");
        assert_eq!(e.code(), "foreign_link");
        let m = e.to_string();
        assert!(
            m.contains("not sent") && m.contains("https://10.0.0.5/gitlab"),
            "{m}"
        );
    }

    #[test]
    fn falls_back_to_x_next_page() {
        let n = x_next_page(
            &with("x-next-page", "3"),
            "https://h/api/v4/groups?per_page=100&page=2",
        )
        .unwrap();
        assert_eq!(n, "https://h/api/v4/groups?per_page=100&page=3");
        for v in ["", "3&x=@evil", "-1"] {
            assert_eq!(
                x_next_page(&with("x-next-page", v), "https://h/api/v4/groups"),
                None
            );
        }
    }

    proptest! {
        #[test]
        fn any_link_header_parses_without_panic(value in ".{0,200}") {
            let _ = parse_link(&value);
        }

        #[test]
        fn link_shaped_headers_yield_their_next_target(
            target in "[^<>]{0,40}",
            junk in "[ ;,=a-z]{0,20}",
        ) {
            let value = format!("{junk}, <{target}>; rel=\"next\"");
            let links = parse_link(&value);
            prop_assert!(links.iter().any(|(t, r)| t == target.trim() && r.iter().any(|x| x == "next")));
        }
    }
}

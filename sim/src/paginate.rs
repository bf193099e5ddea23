//! GitLab's pagination: offset (`page`/`per_page` with `x-*` headers and a `Link` header) and
//! keyset (`pagination=keyset`, only a `Link: …; rel="next"` header).

use crate::error::ApiError;
use crate::params::Query;
use axum::http::StatusCode;

/// Above this many records GitLab leaves out `x-total`, `x-total-pages` and `rel="last"`.
pub(crate) const COUNT_LIMIT: usize = 10_000;
/// Largest `per_page`.
pub(crate) const MAX_PER_PAGE: usize = 100;
/// Default `per_page`.
pub(crate) const DEFAULT_PER_PAGE: usize = 20;
/// Largest offset for resources that support keyset pagination (projects, users).
pub(crate) const MAX_OFFSET: usize = 50_000;

/// Where links point: the sim's base URL, the request path and its query.
pub(crate) struct LinkBase<'a> {
    pub(crate) base: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a Query,
}

impl LinkBase<'_> {
    /// The request URL with some parameters set (replacing, or appended when absent).
    fn with(&self, set: &[(&str, String)], sort_keys: bool) -> String {
        let mut pairs: Vec<(String, String)> = self
            .query
            .0
            .iter()
            .filter(|(k, _)| !set.iter().any(|(s, _)| s == k))
            .cloned()
            .collect();
        pairs.extend(set.iter().map(|(k, v)| (k.to_string(), v.clone())));
        if sort_keys {
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        format!("{}{}?{}", self.base, self.path, query)
    }
}

/// One page of items with the headers to send.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

/// `per_page` from the query: default 20, capped at 100, at least 1.
pub(crate) fn per_page(query: &Query) -> Result<usize, ApiError> {
    Ok(query
        .number("per_page")?
        .map_or(DEFAULT_PER_PAGE, |n| (n as usize).clamp(1, MAX_PER_PAGE)))
}

/// Whether the request asks for keyset pagination.
pub(crate) fn is_keyset(query: &Query) -> bool {
    query.get("pagination") == Some("keyset")
}

/// The offset-pagination headers (pure header maths). `total` is `None` when above
/// [`COUNT_LIMIT`]; `href(n)` gives the URL of page `n`.
pub(crate) fn offset_headers(
    page: usize,
    per_page: usize,
    total: Option<usize>,
    has_next: bool,
    href: impl Fn(usize) -> String,
) -> Vec<(&'static str, String)> {
    let prev = (page > 1).then(|| page - 1);
    let next = has_next.then(|| page + 1);
    let total_pages = total.map(|t| t.div_ceil(per_page).max(1));
    let mut links = Vec::new();
    if let Some(p) = prev {
        links.push(format!("<{}>; rel=\"prev\"", href(p)));
    }
    if let Some(n) = next {
        links.push(format!("<{}>; rel=\"next\"", href(n)));
    }
    links.push(format!("<{}>; rel=\"first\"", href(1)));
    if let Some(last) = total_pages {
        links.push(format!("<{}>; rel=\"last\"", href(last)));
    }
    let mut headers = vec![
        ("x-per-page", per_page.to_string()),
        ("x-page", page.to_string()),
        (
            "x-next-page",
            next.map(|n| n.to_string()).unwrap_or_default(),
        ),
        (
            "x-prev-page",
            prev.map(|p| p.to_string()).unwrap_or_default(),
        ),
        ("link", links.join(", ")),
    ];
    if let (Some(t), Some(pages)) = (total, total_pages) {
        headers.push(("x-total", t.to_string()));
        headers.push(("x-total-pages", pages.to_string()));
    }
    headers
}

/// Offset pagination over a re-creatable sequence: `items()` is called twice, once to count
/// (up to [`COUNT_LIMIT`] + 1) and once to take the page, so a page costs O(offset + per_page).
/// With `max_offset` the request fails with 405 beyond [`MAX_OFFSET`], as GitLab does for
/// types that support keyset pagination (`kind` names the type in the message).
pub(crate) fn offset<T, I>(
    link: &LinkBase<'_>,
    max_offset_kind: Option<&str>,
    items: impl Fn() -> I,
) -> Result<Page<T>, ApiError>
where
    I: Iterator<Item = T>,
{
    let per_page = per_page(link.query)?;
    let page = link
        .query
        .number("page")?
        .map_or(1, |p| (p as usize).max(1));
    if let Some(kind) = max_offset_kind
        && page.saturating_mul(per_page) > MAX_OFFSET
    {
        return Err(ApiError::error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "Offset pagination has a maximum allowed offset of {MAX_OFFSET} for requests that return objects of type {kind}. Remaining records can be retrieved using keyset pagination."
            ),
        ));
    }
    let counted = items().take(COUNT_LIMIT + 1).count();
    let total = (counted <= COUNT_LIMIT).then_some(counted);
    let mut page_items: Vec<T> = items()
        .skip((page - 1) * per_page)
        .take(per_page + 1)
        .collect();
    let has_next = page_items.len() > per_page;
    page_items.truncate(per_page);
    let href = |n: usize| {
        link.with(
            &[("page", n.to_string()), ("per_page", per_page.to_string())],
            true,
        )
    };
    Ok(Page {
        items: page_items,
        headers: offset_headers(page, per_page, total, has_next, href),
    })
}

/// Keyset pagination: `items` already starts after the cursor. A full page gets a
/// `rel="next"` link whose `cursor_param` is the cursor of its last item; the last page
/// (possibly empty) gets no header at all.
pub(crate) fn keyset<T>(
    link: &LinkBase<'_>,
    cursor_param: &str,
    items: impl Iterator<Item = T>,
    cursor_of: impl Fn(&T) -> String,
) -> Result<Page<T>, ApiError> {
    let per_page = per_page(link.query)?;
    let items: Vec<T> = items.take(per_page).collect();
    let mut headers = Vec::new();
    if items.len() == per_page
        && let Some(last) = items.last()
    {
        let url = link.with(&[(cursor_param, cursor_of(last))], false);
        headers.push(("link", format!("<{url}>; rel=\"next\"")));
    }
    Ok(Page { items, headers })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_query;

    fn header<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        h.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn offset_headers_follow_gitlabs_maths() {
        let h = offset_headers(2, 3, Some(8), true, |n| format!("u{n}"));
        assert_eq!(header(&h, "x-page"), Some("2"));
        assert_eq!(header(&h, "x-next-page"), Some("3"));
        assert_eq!(header(&h, "x-prev-page"), Some("1"));
        assert_eq!(header(&h, "x-total"), Some("8"));
        assert_eq!(header(&h, "x-total-pages"), Some("3"));
        assert_eq!(
            header(&h, "link"),
            Some(r#"<u1>; rel="prev", <u3>; rel="next", <u1>; rel="first", <u3>; rel="last""#)
        );
        let empty = offset_headers(1, 20, Some(0), false, |n| format!("u{n}"));
        assert_eq!(
            header(&empty, "x-total-pages"),
            Some("1"),
            "at least one page"
        );
        assert_eq!(header(&empty, "x-next-page"), Some(""));
        let big = offset_headers(7, 100, None, true, |n| format!("u{n}"));
        assert_eq!(header(&big, "x-total"), None);
        assert_eq!(header(&big, "x-total-pages"), None);
        assert!(!header(&big, "link").unwrap().contains("last"));
    }

    #[test]
    fn offset_pages_cover_everything_and_drop_totals_above_the_limit() {
        let q = Query(parse_query(Some("per_page=100&page=101&archived=false")));
        let link = LinkBase {
            base: "http://h",
            path: "/api/v4/projects",
            query: &q,
        };
        let page = offset(&link, None, || 0..10_050).unwrap();
        assert_eq!(page.items, (10_000..10_050).collect::<Vec<_>>());
        assert_eq!(header(&page.headers, "x-total"), None);
        assert_eq!(header(&page.headers, "x-next-page"), Some(""));
        assert!(header(&page.headers, "link").unwrap().starts_with(
            "<http://h/api/v4/projects?archived=false&page=100&per_page=100>; rel=\"prev\""
        ));
        let q = Query(parse_query(Some("per_page=100&page=501")));
        let link = LinkBase {
            base: "http://h",
            path: "/p",
            query: &q,
        };
        assert!(offset(&link, Some("Project"), || 0..10).is_err());
    }

    #[test]
    fn keyset_links_only_full_pages() {
        let q = Query(parse_query(Some(
            "pagination=keyset&per_page=2&order_by=id&sort=asc&id_after=4",
        )));
        let link = LinkBase {
            base: "http://h",
            path: "/p",
            query: &q,
        };
        let page = keyset(&link, "id_after", [5, 6, 7].into_iter(), |n| n.to_string()).unwrap();
        assert_eq!(page.items, vec![5, 6]);
        assert_eq!(
            page.headers,
            vec![("link", "<http://h/p?pagination=keyset&per_page=2&order_by=id&sort=asc&id_after=6>; rel=\"next\"".to_string())]
        );
        let last = keyset(&link, "id_after", [7].into_iter(), |n| n.to_string()).unwrap();
        assert!(last.headers.is_empty());
    }
}

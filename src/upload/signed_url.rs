//! A V4 (or V2) signed URL handed out by the crawler vendor: checked, its expiry read from the
//! query before anything is sent, then used for one XML-API `PUT`.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use url::Url;

use super::checksum::Reported;
use super::error::UploadError;
use super::{Body, FileData, Http, Progress};
use bytes::Bytes;

/// GCS's longest V4 signed-URL lifetime: 7 days.
pub const MAX_EXPIRES_SECS: i64 = 7 * 24 * 3600;

/// A signed URL for one object. Its `Debug` and every message show it without the query, which
/// holds the signature (a credential).
#[derive(Clone)]
pub struct SignedUrl {
    url: Url,
    expires_at: DateTime<Utc>,
    v4: bool,
}

impl SignedUrl {
    /// Checks a pasted signed URL: HTTPS (plain http only for loopback), a signature, and a
    /// lifetime — V4's `X-Goog-Date` (`YYYYMMDDTHHMMSSZ`) plus `X-Goog-Expires` (seconds), or
    /// V2's `Expires` (Unix seconds). It does not check that the lifetime is still running:
    /// see [`SignedUrl::check_fresh`].
    pub fn parse(input: &str) -> Result<Self, UploadError> {
        let input = input.trim();
        let url = Url::parse(input).map_err(|_| UploadError::BadUrl {
            what: "signed URL",
            input: without_query(input),
            hint: "paste the whole https://storage.googleapis.com/… URL the crawler vendor gave you",
        })?;
        super::require_https("signed URL", &url)?;
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.into_owned())
        };
        let shown = without_query(url.as_str());
        let not_signed = |detail: String| UploadError::NotSigned {
            url: shown.clone(),
            detail,
        };
        if param("X-Goog-Signature").is_some() {
            let date = param("X-Goog-Date").ok_or_else(|| not_signed("no X-Goog-Date".into()))?;
            let date = NaiveDateTime::parse_from_str(&date, "%Y%m%dT%H%M%SZ")
                .map_err(|_| not_signed(format!("X-Goog-Date '{date}' is not YYYYMMDDTHHMMSSZ")))?
                .and_utc();
            let expires =
                param("X-Goog-Expires").ok_or_else(|| not_signed("no X-Goog-Expires".into()))?;
            let secs: i64 = expires
                .parse()
                .map_err(|_| not_signed(format!("X-Goog-Expires '{expires}' is not a number")))?;
            if !(1..=MAX_EXPIRES_SECS).contains(&secs) {
                return Err(not_signed(format!(
                    "X-Goog-Expires '{expires}' is outside GCS's 1 to {MAX_EXPIRES_SECS} seconds (7 days)"
                )));
            }
            let expires_at = chrono::Duration::try_seconds(secs)
                .and_then(|d| date.checked_add_signed(d))
                .ok_or_else(|| {
                    not_signed(format!(
                        "X-Goog-Date '{}' plus {secs} seconds is past any date",
                        param("X-Goog-Date").unwrap_or_default()
                    ))
                })?;
            Ok(Self {
                expires_at,
                url,
                v4: true,
            })
        } else if param("Signature").is_some() {
            let expires = param("Expires").ok_or_else(|| not_signed("no Expires".into()))?;
            let expires_at = expires
                .parse()
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0))
                .ok_or_else(|| not_signed(format!("Expires '{expires}' is not a Unix time")))?;
            Ok(Self {
                expires_at,
                url,
                v4: false,
            })
        } else {
            Err(not_signed("no X-Goog-Signature".into()))
        }
    }

    /// When the URL stops working.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// [`UploadError::Expired`] when `now` is at or past the expiry.
    pub fn check_fresh(&self, now: DateTime<Utc>) -> Result<(), UploadError> {
        if now >= self.expires_at {
            return Err(UploadError::Expired {
                at: self.expires_at,
                now,
            });
        }
        Ok(())
    }

    /// The URL without its query, for messages.
    pub fn shown(&self) -> String {
        without_query(self.url.as_str())
    }

    /// The `Content-Type` to send. A V4 signature covers only the headers named in
    /// `X-Goog-SignedHeaders` (usually just `host`), so `text/csv` is safe to add; a V2
    /// signature covers `Content-Type` itself, signed empty unless the vendor said otherwise,
    /// so none is sent there.
    fn content_type(&self) -> Option<&'static str> {
        self.v4.then_some("text/csv")
    }

    /// Checks the expiry, then `PUT`s the data; returns what GCS reported about the object
    /// (its answer's `x-goog-hash`, `x-goog-stored-content-length` and `ETag`). No `x-goog-*`
    /// header is added: the vendor's signature would not cover it.
    pub(super) async fn send(
        &self,
        http: &Http,
        data: FileData,
        progress: &Progress<'_>,
    ) -> Result<Reported, UploadError> {
        self.check_fresh(Utc::now())?;
        let mut request = http.client.put(self.url.clone());
        if let Some(content_type) = self.content_type() {
            request = request.header(reqwest::header::CONTENT_TYPE, content_type);
        }
        let body = Body::new(Bytes::new(), data, Bytes::new());
        let response = http.send(request, body, &self.url, progress).await?;
        let status = response.status();
        let reported = Reported::from_headers(response.headers());
        if status.is_success() {
            return Ok(reported);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| http.transport(&e, &self.url))?;
        Err(super::error::refused(&self.shown(), status.as_u16(), &body))
    }
}

impl fmt::Debug for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedUrl")
            .field("url", &self.shown())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

fn without_query(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = "https://storage.googleapis.com/vendor-bucket/acme/users.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=crawler%40vendor.iam.gserviceaccount.com%2F20260101%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20260101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=0a1b2c";

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn v4_expiry_is_date_plus_expires() {
        let u = SignedUrl::parse(V4).unwrap();
        assert_eq!(u.expires_at(), at("2026-01-01T00:15:00Z"));
        assert!(u.check_fresh(at("2026-01-01T00:14:59Z")).is_ok());
        let e = u.check_fresh(at("2026-01-01T00:15:00Z")).unwrap_err();
        assert_eq!(e.code(), "signed_url_expired");
        assert!(
            e.to_string().contains("expired at 2026-01-01 00:15:00 UTC"),
            "{e}"
        );
        assert_eq!(u.content_type(), Some("text/csv"));
    }

    #[test]
    fn v2_expiry_is_unix_time() {
        let u = SignedUrl::parse(
            "https://storage.googleapis.com/b/o.csv?GoogleAccessId=a%40b&Expires=1767226500&Signature=abc%3D",
        )
        .unwrap();
        assert_eq!(u.expires_at(), at("2026-01-01T00:15:00Z"));
        assert_eq!(u.content_type(), None);
    }

    #[test]
    fn the_signature_never_shows() {
        let u = SignedUrl::parse(V4).unwrap();
        let debug = format!("{u:?}");
        assert!(
            !debug.contains("0a1b2c") && !debug.contains("Credential"),
            "{debug}"
        );
        assert_eq!(
            u.shown(),
            "https://storage.googleapis.com/vendor-bucket/acme/users.csv"
        );
        let e = SignedUrl::parse(&V4.replace("https:", "http:")).unwrap_err();
        assert!(!e.to_string().contains("0a1b2c"), "{e}");
    }

    #[test]
    fn huge_or_odd_lifetimes_are_errors_not_panics() {
        for expires in ["9223372036854775807", "-1", "0", "604801", "99999999999999"] {
            let e = SignedUrl::parse(
                &V4.replace("X-Goog-Expires=900", &format!("X-Goog-Expires={expires}")),
            )
            .unwrap_err();
            assert_eq!(e.code(), "invalid_input", "{expires}");
            assert!(
                e.to_string().contains("outside GCS's 1 to 604800 seconds"),
                "{e}"
            );
        }
        let max = V4.replace("X-Goog-Expires=900", "X-Goog-Expires=604800");
        assert!(SignedUrl::parse(&max).is_ok());
        let last = SignedUrl::parse(&max.replace("20260101T000000Z", "99991231T235959Z")).unwrap();
        assert_eq!(
            last.expires_at().to_rfc3339(),
            "+10000-01-07T23:59:59+00:00"
        );
        for expires in ["99999999999999999999", "1e9", ""] {
            let v2 = format!("https://storage.googleapis.com/b/o?Expires={expires}&Signature=x");
            assert_eq!(SignedUrl::parse(&v2).unwrap_err().code(), "invalid_input");
        }
    }

    proptest::proptest! {
        /// Any query string, and any values of the fields that matter: a URL or an error.
        #[test]
        fn arbitrary_queries_never_panic(query in "\\PC*") {
            let _ = SignedUrl::parse(&format!("https://storage.googleapis.com/b/o?{query}"));
        }

        #[test]
        fn arbitrary_lifetimes_never_panic(
            date in "[0-9+-]{0,20}(T[0-9]{0,8}Z?)?",
            expires in proptest::prelude::any::<i64>(),
            v2 in proptest::prelude::any::<i64>(),
        ) {
            let v4 = format!(
                "https://storage.googleapis.com/b/o?X-Goog-Date={date}&X-Goog-Expires={expires}&X-Goog-Signature=a"
            );
            if let Ok(u) = SignedUrl::parse(&v4) {
                let _ = u.check_fresh(Utc::now());
            }
            let v2 = format!("https://storage.googleapis.com/b/o?Expires={v2}&Signature=a");
            if let Ok(u) = SignedUrl::parse(&v2) {
                let _ = u.check_fresh(Utc::now());
            }
        }
    }

    #[test]
    fn incomplete_urls_are_refused_with_the_reason() {
        let cut = V4.split("&X-Goog-Signature").next().unwrap();
        let e = SignedUrl::parse(cut).unwrap_err();
        assert!(e.to_string().contains("no X-Goog-Signature"), "{e}");
        let e = SignedUrl::parse(&V4.replace("X-Goog-Expires=900&", "")).unwrap_err();
        assert!(e.to_string().contains("no X-Goog-Expires"), "{e}");
        let e = SignedUrl::parse(&V4.replace("20260101T000000Z", "2026-01-01")).unwrap_err();
        assert!(e.to_string().contains("X-Goog-Date '2026-01-01'"), "{e}");
        let e = SignedUrl::parse(&V4.replace("https:", "http:")).unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().contains("not HTTPS"), "{e}");
        assert!(SignedUrl::parse("http://127.0.0.1:9/b/o?X-Goog-Signature=a&X-Goog-Date=20260101T000000Z&X-Goog-Expires=1").is_ok());
        assert_eq!(
            SignedUrl::parse("not a url").unwrap_err().code(),
            "invalid_input"
        );
    }
}

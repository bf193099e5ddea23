//! Step 4's hand-over: the user-mapping CSV uploaded to Google Cloud Storage, either with a
//! signed URL from the crawler vendor ([`SignedUrl`], one XML-API `PUT`) or with a service
//! account's key JSON ([`ServiceAccountUpload`], the JWT-bearer flow then one JSON-API upload).
//!
//! The local file is only ever read, once, into memory (a user mapping is a few megabytes at
//! most), so the checksums describe exactly the bytes that were sent. After the upload the
//! stored object's size and checksums are compared with the file's, from what GCS answers to
//! the upload itself rather than from a second request: a signed URL grants the `PUT` and
//! nothing else, so the object could not be read back with it, and the JSON API answers with
//! the object's metadata anyway. Which values GCS confirmed is reported in [`Confirmed`]; a
//! value that differs is an error. GCS keeps nothing of a single-request upload that did not
//! complete, so a failure leaves no half-written object either.

mod checksum;
mod error;
mod service_account;
mod signed_url;

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;
use url::Url;

use checksum::Checksums;
pub use checksum::Confirmed;
pub use error::{Refusal, UploadError};
pub use service_account::{
    DEFAULT_STORAGE_URL, DEFAULT_TOKEN_URI, SCOPE, ServiceAccountKey, ServiceAccountUpload,
};
pub use signed_url::SignedUrl;

/// A progress callback: bytes of the file sent so far, and the file's size.
pub type Progress<'a> = dyn Fn(u64, u64) + Send + Sync + 'a;

/// Time allowed for one request, the upload included.
const TIMEOUT: Duration = Duration::from_secs(300);

/// Where the CSV goes.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A signed URL from the crawler vendor (HTTP `PUT`).
    SignedUrl(SignedUrl),
    /// A bucket and object, written with a service account's key.
    ServiceAccount(Box<ServiceAccountUpload>),
}

impl Destination {
    /// What is written, for messages: `gs://bucket/object`, or the signed URL without its query.
    pub fn target(&self) -> String {
        match self {
            Destination::SignedUrl(url) => url.shown(),
            Destination::ServiceAccount(sa) => sa.target(),
        }
    }
}

/// A finished upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uploaded {
    /// What was written ([`Destination::target`]).
    pub target: String,
    /// Bytes uploaded (the file's size).
    pub bytes: u64,
    /// The file's MD5, base64 (GCS's `md5Hash`).
    pub md5: String,
    /// The file's CRC32C, base64 (GCS's `crc32c`).
    pub crc32c: String,
    /// Which of them GCS reported back, each equal to the file's.
    pub confirmed: Confirmed,
}

/// Uploads `file` to `destination`, calling `progress(sent, total)` as the bytes go out, then
/// verifies what GCS stored (see the module's documentation). A signed URL is checked for
/// expiry before anything is sent.
pub async fn upload(
    file: &Path,
    destination: &Destination,
    progress: &Progress<'_>,
) -> Result<Uploaded, UploadError> {
    let shown = file.display().to_string();
    let data = tokio::fs::read(file).await.map_err(|e| UploadError::File {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    if data.is_empty() {
        return Err(UploadError::EmptyFile { path: shown });
    }
    let data = Bytes::from(data);
    let sums = Checksums::of(&data);
    let http = Http::new()?;
    let reported = match destination {
        Destination::SignedUrl(url) => url.send(&http, data, progress).await?,
        Destination::ServiceAccount(sa) => sa.send(&http, data, &sums, progress).await?,
    };
    let target = destination.target();
    let confirmed = checksum::compare(&sums, &reported).map_err(|(what, local, stored)| {
        UploadError::Mismatch {
            target: target.clone(),
            what,
            local,
            stored,
            deleted: false,
        }
    })?;
    Ok(Uploaded {
        target,
        bytes: sums.size,
        md5: sums.md5,
        crc32c: sums.crc32c,
        confirmed,
    })
}

/// HTTPS, or plain HTTP to a loopback address (an emulator or a test endpoint).
fn require_https(what: &'static str, url: &Url) -> Result<(), UploadError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if crate::instance::is_loopback(url) => Ok(()),
        _ => {
            let mut shown = url.clone();
            shown.set_query(None);
            shown.set_fragment(None);
            Err(UploadError::NotHttps {
                what,
                url: shown.to_string(),
            })
        }
    }
}

/// A request body: a head and a tail around the file's bytes, streamed in chunks so that
/// progress can follow the file.
struct Body {
    head: Bytes,
    data: Bytes,
    tail: Bytes,
}

/// Bytes handed to the connection at once.
const CHUNK: usize = 64 * 1024;

impl Body {
    fn new(head: Bytes, data: Bytes, tail: Bytes) -> Self {
        Self { head, data, tail }
    }

    fn len(&self) -> u64 {
        (self.head.len() + self.data.len() + self.tail.len()) as u64
    }

    /// The chunks; each sends the count of file bytes handed over once it is taken.
    fn into_stream(
        self,
        sent: tokio::sync::mpsc::UnboundedSender<u64>,
    ) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let mut chunks = vec![(self.head, 0)];
        let mut offset = 0;
        while offset < self.data.len() {
            let end = (offset + CHUNK).min(self.data.len());
            chunks.push((self.data.slice(offset..end), end as u64));
            offset = end;
        }
        chunks.push((self.tail, self.data.len() as u64));
        futures::stream::iter(
            chunks
                .into_iter()
                .filter(|(chunk, _)| !chunk.is_empty())
                .map(move |(chunk, done)| {
                    let _ = sent.send(done);
                    Ok(chunk)
                }),
        )
    }
}

/// The HTTP client for one upload: TLS verified, no redirects, a timeout.
struct Http {
    client: reqwest::Client,
}

impl Http {
    fn new() -> Result<Self, UploadError> {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("gitlab-onboard/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| UploadError::Tls {
                host: "(TLS set-up)".into(),
                detail: e.to_string(),
            })?;
        Ok(Self { client })
    }

    /// Sends `request` with `body` (its `Content-Length` set), reporting progress while the
    /// request is under way; returns the response whatever its status.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        body: Body,
        url: &Url,
        progress: &Progress<'_>,
    ) -> Result<reqwest::Response, UploadError> {
        let total = body.data.len() as u64;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sending = request
            .header(reqwest::header::CONTENT_LENGTH, body.len())
            .body(reqwest::Body::wrap_stream(body.into_stream(tx)))
            .send();
        tokio::pin!(sending);
        progress(0, total);
        let result = loop {
            tokio::select! {
                result = &mut sending => break result,
                Some(sent) = rx.recv() => progress(sent, total),
            }
        };
        while let Ok(sent) = rx.try_recv() {
            progress(sent, total);
        }
        result.map_err(|e| self.transport(&e, url))
    }

    /// What a transport failure means. The detail is the innermost cause, which never holds
    /// the URL (and so never a signed URL's signature).
    fn transport(&self, err: &reqwest::Error, url: &Url) -> UploadError {
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => url.scheme().to_owned(),
        };
        if err.is_timeout() {
            return UploadError::Timeout {
                host,
                secs: TIMEOUT.as_secs(),
            };
        }
        let mut chain = Vec::new();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        let detail = chain
            .last()
            .cloned()
            .unwrap_or_else(|| "the connection failed".to_owned());
        let lower = chain.join(": ").to_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            UploadError::Tls { host, detail }
        } else {
            UploadError::Unreachable { host, detail }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    #[test]
    fn https_is_required_except_for_loopback() {
        let ok = |u: &str| require_https("storage URL", &Url::parse(u).unwrap());
        assert!(ok("https://storage.googleapis.com").is_ok());
        assert!(ok("http://127.0.0.1:9023").is_ok());
        assert!(ok("http://localhost:9023").is_ok());
        let e = ok("http://gcs.example/b?secret=1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the storage URL http://gcs.example/b is not HTTPS: use https:// (plain http is allowed only for localhost)"
        );
        assert!(ok("ftp://127.0.0.1/").is_err());
    }

    #[tokio::test]
    async fn the_body_streams_whole_and_counts_only_the_files_bytes() {
        let data = Bytes::from(vec![7u8; CHUNK * 2 + 10]);
        let body = Body::new(
            Bytes::from_static(b"HEAD"),
            data.clone(),
            Bytes::from_static(b"TAIL"),
        );
        assert_eq!(body.len(), data.len() as u64 + 8);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let chunks: Vec<Bytes> = body.into_stream(tx).map(Result::unwrap).collect().await;
        let joined: Vec<u8> = chunks.concat();
        assert_eq!(&joined[..4], b"HEAD");
        assert_eq!(&joined[4..joined.len() - 4], &data[..]);
        assert_eq!(&joined[joined.len() - 4..], b"TAIL");
        let mut counts = Vec::new();
        while let Ok(n) = rx.try_recv() {
            counts.push(n);
        }
        let total = data.len() as u64;
        assert_eq!(counts, [0, CHUNK as u64, 2 * CHUNK as u64, total, total]);
    }

    #[tokio::test]
    async fn a_missing_or_empty_file_is_refused_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        let url = SignedUrl::parse(
            "http://127.0.0.1:9/b/o?X-Goog-Signature=a&X-Goog-Date=20260101T000000Z&X-Goog-Expires=1",
        )
        .unwrap();
        let dest = Destination::SignedUrl(url);
        let missing = dir.path().join("none.csv");
        let e = upload(&missing, &dest, &|_, _| {}).await.unwrap_err();
        assert!(matches!(e, UploadError::File { .. }), "{e:?}");
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, b"").unwrap();
        let e = upload(&empty, &dest, &|_, _| {}).await.unwrap_err();
        assert!(e.to_string().contains("is empty"), "{e}");
    }
}

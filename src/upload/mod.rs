//! Step 4's hand-over: the user-mapping CSV uploaded to Google Cloud Storage, either with a
//! signed URL from the crawler vendor ([`SignedUrl`], one XML-API `PUT`) or with a service
//! account's key JSON ([`ServiceAccountUpload`], the JWT-bearer flow then one JSON-API upload).
//!
//! The local file is only ever read, and never held whole: one streaming pass computes its size,
//! MD5 and CRC32C, and the request body is streamed from it again (a file that changes size in
//! between stops the upload; one that changes content is caught by the checksums). After the upload the
//! stored object's size and checksums are compared with the file's, from what GCS answers to
//! the upload itself rather than from a second request: a signed URL grants the `PUT` and
//! nothing else, so the object could not be read back with it, and the JSON API answers with
//! the object's metadata anyway. Which values GCS confirmed is reported in [`Confirmed`]; a
//! value that differs is an error. GCS keeps nothing of a single-request upload that did not
//! complete, so a failure leaves no half-written object either. A *completed* upload whose
//! stored copy differs does leave an object: with a service account it is deleted again (that
//! generation only); a signed URL can only write, so the object stays, and the error says so.

mod checksum;
mod error;
mod policy;
mod rs256;
mod service_account;
mod signed_url;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde::Serialize;
use tokio::io::AsyncReadExt;
use url::Url;

use checksum::Checksums;
pub use checksum::Confirmed;
pub use error::{Refusal, UploadError};
pub use policy::{STORAGE_URL_ENV, TOKEN_URI_ENV, UploadPolicy};
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
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    let file_error = |e: std::io::Error| UploadError::File {
        path: shown.clone(),
        detail: e.to_string(),
    };
    let (sums, boundary) = scan(file).await.map_err(file_error)?;
    if sums.size == 0 {
        return Err(UploadError::EmptyFile { path: shown });
    }
    let data = FileData {
        path: file.to_owned(),
        size: sums.size,
    };
    let http = Http::new()?;
    let reported = match destination {
        Destination::SignedUrl(url) => url.send(&http, data, progress).await?,
        Destination::ServiceAccount(sa) => sa.send(&http, data, &sums, &boundary, progress).await?,
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

/// An endpoint the admin gave (`what`, for messages): an http(s) URL with a host, HTTPS unless
/// loopback; `hint` says what to give instead.
fn endpoint(what: &'static str, input: &str, hint: &'static str) -> Result<Url, UploadError> {
    let url = Url::parse(input)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| UploadError::BadUrl {
            what,
            input: input.to_owned(),
            hint,
        })?;
    require_https(what, &url)?;
    Ok(url)
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

/// A multipart boundary for the service-account upload, and the file's checksums: one pass
/// over the file. The boundary is drawn again (and the file searched again) in the unlikely
/// case the file contains it.
async fn scan(file: &Path) -> std::io::Result<(Checksums, String)> {
    let mut boundary = new_boundary();
    let mut hasher = checksum::Hasher::default();
    let found = read_file(file, &boundary, |piece| hasher.update(piece)).await?;
    let sums = hasher.finish();
    let mut again = found;
    while again {
        boundary = new_boundary();
        again = read_file(file, &boundary, |_| {}).await?;
    }
    Ok((sums, boundary))
}

fn new_boundary() -> String {
    format!("gitlab-onboard-{:016x}", fastrand::u64(..))
}

/// Streams `file` through `each`, a piece at a time; true when `needle` occurs in it.
async fn read_file(
    file: &Path,
    needle: &str,
    mut each: impl FnMut(&[u8]),
) -> std::io::Result<bool> {
    let needle = needle.as_bytes();
    let mut f = tokio::fs::File::open(file).await?;
    let mut buf = vec![0u8; CHUNK];
    let mut window: Vec<u8> = Vec::with_capacity(CHUNK + needle.len());
    let mut found = false;
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            return Ok(found);
        }
        each(&buf[..n]);
        if !found {
            // The last needle-length-minus-one bytes carry over, so a needle across two pieces counts.
            let keep = window.len().min(needle.len().saturating_sub(1));
            window.drain(..window.len() - keep);
            window.extend_from_slice(&buf[..n]);
            found = window.windows(needle.len()).any(|w| w == needle);
        }
    }
}

/// The file a request body streams, and the size its checksums were computed for.
pub(crate) struct FileData {
    path: PathBuf,
    size: u64,
}

/// A request body: a head and a tail around the file's bytes, read from the file in chunks as
/// the connection takes them, so that neither memory nor progress depend on the file's size.
struct Body {
    head: Bytes,
    data: FileData,
    tail: Bytes,
}

/// Bytes handed to the connection at once.
const CHUNK: usize = 64 * 1024;

impl Body {
    fn new(head: Bytes, data: FileData, tail: Bytes) -> Self {
        Self { head, data, tail }
    }

    fn len(&self) -> u64 {
        self.head.len() as u64 + self.data.size + self.tail.len() as u64
    }

    /// Opens the file; then the chunks, each sending the count of file bytes handed over once
    /// it is taken. A file that is now shorter or longer than it was ends the stream with
    /// [`FileChanged`] (the request fails; GCS keeps nothing of it).
    async fn into_stream(
        self,
        sent: tokio::sync::mpsc::UnboundedSender<u64>,
    ) -> std::io::Result<impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static>
    {
        use futures::StreamExt;
        let file = tokio::fs::File::open(&self.data.path).await?;
        let size = self.data.size;
        let (at_head, at_data, at_tail) = (sent.clone(), sent.clone(), sent);
        let head = futures::stream::once(async move {
            let _ = at_head.send(0);
            Ok(self.head)
        });
        let data = futures::stream::try_unfold((file, 0u64), move |(mut file, done)| {
            let sent = at_data.clone();
            async move {
                let mut chunk = BytesMut::with_capacity(CHUNK);
                let n = file.read_buf(&mut chunk).await? as u64;
                let now = done + n;
                if (n == 0 && done != size) || now > size {
                    return Err(std::io::Error::other(FileChanged { size }));
                }
                if n == 0 {
                    return Ok(None);
                }
                let _ = sent.send(now);
                Ok(Some((chunk.freeze(), (file, now))))
            }
        });
        let tail = futures::stream::once(async move {
            let _ = at_tail.send(size);
            Ok(self.tail)
        });
        Ok(head
            .chain(data)
            .chain(tail)
            .filter(|chunk| futures::future::ready(!matches!(chunk, Ok(c) if c.is_empty()))))
    }
}

/// The file no longer has the size its checksums were computed for.
#[derive(Debug)]
struct FileChanged {
    size: u64,
}

impl std::fmt::Display for FileChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "it changed while it was being uploaded (it had {} bytes); nothing was stored. Upload it again once nothing writes to it",
            self.size
        )
    }
}

impl std::error::Error for FileChanged {}

/// The HTTP client for one upload: TLS verified, no redirects, a timeout.
struct Http {
    client: reqwest::Client,
}

impl Http {
    fn new() -> Result<Self, UploadError> {
        crate::tls::install_crypto();
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
        let total = body.data.size;
        let length = body.len();
        let path = body.data.path.display().to_string();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let stream = body.into_stream(tx).await.map_err(|e| UploadError::File {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let sending = request
            .header(reqwest::header::CONTENT_LENGTH, length)
            .body(reqwest::Body::wrap_stream(stream))
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
        result.map_err(|e| {
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                let changed = s.downcast_ref::<FileChanged>().or_else(|| {
                    s.downcast_ref::<std::io::Error>()
                        .and_then(|io| io.get_ref())
                        .and_then(|inner| inner.downcast_ref::<FileChanged>())
                });
                if let Some(changed) = changed {
                    return UploadError::File {
                        path: path.clone(),
                        detail: changed.to_string(),
                    };
                }
                source = s.source();
            }
            self.transport(&e, url)
        })
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
    async fn the_body_streams_from_the_file_and_counts_only_the_files_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let data: Vec<u8> = (0..CHUNK * 2 + 10).map(|i| (i % 253) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let body = Body::new(
            Bytes::from_static(b"HEAD"),
            FileData {
                path: path.clone(),
                size: data.len() as u64,
            },
            Bytes::from_static(b"TAIL"),
        );
        assert_eq!(body.len(), data.len() as u64 + 8);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let chunks: Vec<Bytes> = body
            .into_stream(tx)
            .await
            .unwrap()
            .map(Result::unwrap)
            .collect()
            .await;
        assert!(chunks.iter().all(|c| !c.is_empty() && c.len() <= CHUNK));
        let joined: Vec<u8> = chunks.concat();
        assert_eq!(&joined[..4], b"HEAD");
        assert_eq!(&joined[4..joined.len() - 4], &data[..]);
        assert_eq!(&joined[joined.len() - 4..], b"TAIL");
        let mut counts = Vec::new();
        while let Ok(n) = rx.try_recv() {
            counts.push(n);
        }
        let total = data.len() as u64;
        assert_eq!(counts.first(), Some(&0));
        assert_eq!(counts.last(), Some(&total));
        assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");

        // The same body after the file grew, or shrank: the stream ends in an error.
        for len in [data.len() + 1, data.len() - 1] {
            std::fs::write(&path, vec![1u8; len]).unwrap();
            let body = Body::new(
                Bytes::new(),
                FileData {
                    path: path.clone(),
                    size: data.len() as u64,
                },
                Bytes::new(),
            );
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let results: Vec<_> = body.into_stream(tx).await.unwrap().collect().await;
            let e = results.into_iter().find_map(Result::err).expect("an error");
            assert!(
                e.to_string()
                    .contains("changed while it was being uploaded"),
                "{e}"
            );
        }
    }

    #[tokio::test]
    async fn one_pass_gives_the_checksums_and_a_boundary_not_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.csv");
        std::fs::write(&path, b"12345,a@x.com\n").unwrap();
        let (sums, boundary) = scan(&path).await.unwrap();
        assert_eq!(sums, Checksums::of(b"12345,a@x.com\n"));
        assert!(boundary.starts_with("gitlab-onboard-"));
        // A needle across two pieces is found.
        let mut data = vec![b'x'; CHUNK - 3];
        data.extend_from_slice(b"NEEDLE");
        data.extend(vec![b'y'; 10]);
        std::fs::write(&path, &data).unwrap();
        assert!(read_file(&path, "NEEDLE", |_| {}).await.unwrap());
        assert!(!read_file(&path, "NEEDLF", |_| {}).await.unwrap());
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

//! The GitLab REST client: one per run, shared by every task of that run.
//!
//! It owns the token, the TLS and proxy settings, the timeout, one concurrency limit and the
//! rate-limit state ([`throttle`]), retries (`retry`) and pagination ([`pages`]). The token
//! goes only to the instance's own scheme, host, port and path prefix (`origin`): one guard
//! checks every request before it is sent. Answers are bounded: bodies to [`MAX_BODY`], lists
//! to [`pages::MAX_PAGES`], waits to [`throttle::MAX_RETRY_AFTER`].

mod classify;
pub mod origin;
pub mod pages;
mod retry;
pub mod throttle;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::error::{ApiError, Error};
use crate::instance::GitLabUrl;
use crate::secret::Secret;
use origin::Origin;
pub use pages::Page;
pub use throttle::Stats;
use throttle::{MAX_RETRY_AFTER, Throttle};

/// The largest answer body read (32 MiB); a larger one is [`ApiError::TooLarge`].
pub const MAX_BODY: usize = 32 << 20;

/// How to reach one GitLab instance.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The instance.
    pub url: GitLabUrl,
    /// The personal access (or OAuth) token.
    pub token: Secret,
    /// Extra CA certificates (PEM) for a self-managed instance with a private CA.
    pub ca_bundle: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Requests in flight at once, for the whole run.
    pub concurrency: usize,
    /// Attempts for one request on a 5xx or a timeout (reads only: a write whose answer was
    /// lost may have landed, so its caller re-reads before writing again).
    pub max_attempts: u32,
    /// How long one request may wait through 429s in all before it fails (any request; at
    /// most [`MAX_RETRY_AFTER`]). A 429 asks to wait, it is not a failure: a per-minute or
    /// per-ten-minutes limit spent early keeps refusing for that long.
    pub max_throttled_wait: Duration,
}

impl ClientConfig {
    /// Defaults: 30 s timeout, 16 requests at once, 6 attempts, 15 minutes of 429s.
    pub fn new(url: GitLabUrl, token: Secret) -> Self {
        Self {
            url,
            token,
            ca_bundle: None,
            timeout: Duration::from_secs(30),
            concurrency: 16,
            max_attempts: 6,
            max_throttled_wait: MAX_RETRY_AFTER,
        }
    }
}

/// A GitLab API client. Cheap to clone; clones share the concurrency limit and rate-limit state.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    cancel: CancellationToken,
}

struct Inner {
    http: reqwest::Client,
    url: GitLabUrl,
    origin: Origin,
    api_root: String,
    token: Secret,
    timeout: Duration,
    max_attempts: u32,
    max_throttled_wait: Duration,
    concurrency: usize,
    throttle: Throttle,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.url)
            .field("token", &self.inner.token)
            .finish()
    }
}

impl Client {
    /// Builds a client. Reads the CA bundle, if any; sends nothing yet.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        crate::tls::install_crypto();
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("gitlab-onboard/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .https_only(!config.url.is_loopback());
        if config.url.is_loopback() {
            // Plain HTTP is allowed only here: the token must not cross a proxy in clear.
            builder = builder.no_proxy();
        }
        if let Some(path) = &config.ca_bundle {
            let shown = path.display().to_string();
            let pem = std::fs::read(path).map_err(|e| Error::CaBundle {
                path: shown.clone(),
                detail: e.to_string(),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::CaBundle {
                    path: shown.clone(),
                    detail: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(Error::CaBundle {
                    path: shown,
                    detail: "no certificate found".into(),
                });
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| Error::CaBundle {
            path: "(TLS set-up)".into(),
            detail: e.to_string(),
        })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                api_root: config.url.api_root(),
                origin: Origin::of(&config.url),
                url: config.url,
                token: config.token,
                timeout: config.timeout,
                max_attempts: config.max_attempts.max(1),
                max_throttled_wait: config.max_throttled_wait.min(MAX_RETRY_AFTER),
                concurrency: config.concurrency.max(1),
                throttle: Throttle::new(config.concurrency),
            }),
            cancel: CancellationToken::new(),
        })
    }

    /// The instance this client talks to.
    pub fn url(&self) -> &GitLabUrl {
        &self.inner.url
    }

    /// The token this client sends (for the keychain; never log it).
    pub fn token(&self) -> &Secret {
        &self.inner.token
    }

    /// Cancels every request of this client, now and later (they end with [`ApiError::Cancelled`]).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A client for one run (an apply, a verify): same connection, limits and rate-limit
    /// state, but cancelling it stops only that run; cancelling this client stops it too.
    pub fn for_run(&self) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            cancel: self.cancel.child_token(),
        }
    }

    /// A token that fires when [`Client::cancel`] is called.
    pub fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Requests in flight at once (the throttle's width): how many tasks a run keeps busy.
    pub fn concurrency(&self) -> usize {
        self.inner.concurrency
    }

    /// Requests sent, retries, and rate-limit waits so far.
    pub fn stats(&self) -> Stats {
        self.inner.throttle.stats()
    }

    /// `GET <api>/<path>` and parse the JSON body.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, ApiError> {
        let url = self.api_url(path, query);
        self.send(Method::GET, url, None::<&()>)
            .await
            .map(|(v, _)| v)
    }

    /// `GET` an absolute URL on this instance outside `/api/v4` (e.g. `/oauth/token/info`).
    pub async fn get_outside_api<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        let url = format!("{}{path}", self.inner.url.as_str());
        self.send(Method::GET, url, None::<&()>)
            .await
            .map(|(v, _)| v)
    }

    /// `POST <api>/<path>` with a JSON body (retried on 429 only: GitLab did not process it).
    pub async fn post<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send(Method::POST, self.api_url(path, &[]), Some(body))
            .await
            .map(|(v, _)| v)
    }

    /// `PUT <api>/<path>` with a JSON body (retried on 429 only, like every write).
    pub async fn put<B: Serialize + Sync, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        self.send(Method::PUT, self.api_url(path, &[]), Some(body))
            .await
            .map(|(v, _)| v)
    }

    /// `DELETE <api>/<path>` (retried on 429 only); a 404 counts as done.
    pub async fn delete(&self, path: &str) -> Result<(), ApiError> {
        match self
            .send::<(), serde::de::IgnoredAny>(Method::DELETE, self.api_url(path, &[]), None)
            .await
        {
            Ok(_) | Err(ApiError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn api_url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}/{}", self.inner.api_root, path.trim_start_matches('/'));
        if !query.is_empty() {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                ser.append_pair(k, v);
            }
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&ser.finish());
        }
        url
    }

    /// The path shown in messages: the URL without the API root and query.
    fn shown_path(&self, url: &str) -> String {
        let rest = url.strip_prefix(&self.inner.api_root).unwrap_or(url);
        rest.split('?').next().unwrap_or(rest).to_owned()
    }
}

/// A response whose status was a success: the raw parts pagination needs.
struct Success {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: bytes::Bytes,
}

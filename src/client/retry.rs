//! Sending one request: the shared throttle, cancellation, retries with capped exponential
//! backoff and jitter, and classification of the final answer.

use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::classify::{is_json, status_error, transport_error};
use super::{Client, MAX_BODY, Success};
use crate::error::ApiError;

/// The most 429s one request meets before it fails, whatever their waits.
const MAX_REFUSED: u32 = 100;
/// First backoff step; doubles per attempt up to [`MAX_BACKOFF`].
const BASE_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// Capped exponential backoff with jitter: a random delay in `[d/2, d]`, `d = base·2^(n-1)`.
pub fn backoff(attempt: u32) -> Duration {
    let d = BASE_BACKOFF
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    d / 2 + d.mul_f64(fastrand::f64() / 2.0)
}

impl Client {
    /// Sends a request and parses its JSON answer.
    pub(super) async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
    ) -> Result<(T, Success), ApiError> {
        let ok = self.send_raw(method, url.clone(), body).await?;
        let content_type = ok
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes: &[u8] = if ok.status == reqwest::StatusCode::NO_CONTENT || ok.body.is_empty() {
            b"null"
        } else {
            &ok.body
        };
        if !is_json(content_type.as_deref(), bytes) {
            return Err(ApiError::NotGitLab {
                url: self.shown_path(&url),
                detail: "an HTML or text page instead of JSON".into(),
            });
        }
        let value = serde_json::from_slice(bytes).map_err(|e| ApiError::NotGitLab {
            url: self.shown_path(&url),
            detail: format!("unexpected JSON: {e}"),
        })?;
        Ok((value, ok))
    }

    /// Sends a request with retries; returns the successful answer's parts.
    pub(super) async fn send_raw<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: String,
        body: Option<&B>,
    ) -> Result<Success, ApiError> {
        let inner = &self.inner;
        // The one guard before every request that carries the token.
        if !inner.origin.allows(&url) {
            return Err(self.foreign(&url));
        }
        // Only reads are sent again by themselves. A write whose answer was lost (a 5xx, a
        // timeout) may have landed: the caller re-reads and decides (`webhooks::reconcile`).
        let resendable = matches!(method, Method::GET | Method::HEAD);
        // What this request has waited for 429s in all, and how many it met: a 429 asks to
        // wait, so it is bounded by time (and by count, against a server asking for no wait).
        let mut throttled_for = Duration::ZERO;
        let mut refused = 0;
        let host = inner.url.keychain_account();
        let path = self.shown_path(&url);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let slot = tokio::select! {
                _ = self.cancel.cancelled() => return Err(ApiError::Cancelled),
                slot = inner.throttle.acquire(attempt > 1) => slot,
            };
            let mut request = inner
                .http
                .request(method.clone(), &url)
                .bearer_auth(inner.token.expose())
                .header("accept", "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            let sent = async {
                let mut response = request.send().await?;
                let status = response.status();
                let headers = response.headers().clone();
                if response
                    .content_length()
                    .is_some_and(|n| n > MAX_BODY as u64)
                {
                    return Ok(None);
                }
                let mut body = bytes::BytesMut::new();
                while let Some(chunk) = response.chunk().await? {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Ok(None);
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok::<_, reqwest::Error>(Some(Success {
                    status,
                    headers,
                    body: body.freeze(),
                }))
            };
            let answer = tokio::select! {
                _ = self.cancel.cancelled() => return Err(ApiError::Cancelled),
                answer = sent => answer,
            };
            let epoch = slot.epoch;
            drop(slot);
            let answer = match answer {
                Ok(Some(answer)) => answer,
                Ok(None) => {
                    return Err(ApiError::TooLarge {
                        path,
                        limit_mib: MAX_BODY >> 20,
                    });
                }
                Err(e) => {
                    let (error, transient) = transport_error(&e, &host, inner.timeout);
                    let failed = attempt - refused;
                    if transient && resendable && failed < inner.max_attempts {
                        self.sleep(backoff(failed)).await?;
                        continue;
                    }
                    return Err(error);
                }
            };
            let status = answer.status.as_u16();
            if status == 429 {
                // Pauses every request of the run (this one's retry included).
                let wait = inner
                    .throttle
                    .throttled(&answer.headers, epoch)
                    .map_err(|asked| ApiError::RetryTooLong { asked })?;
                throttled_for = throttled_for.saturating_add(wait);
                refused += 1;
                if refused >= MAX_REFUSED || throttled_for > inner.max_throttled_wait {
                    return Err(ApiError::RateLimited { attempts: attempt });
                }
                continue;
            }
            inner.throttle.observe(&answer.headers, epoch);
            match status {
                200..=299 => return Ok(answer),
                500 | 502 | 503 | 504 if resendable => {
                    let failed = attempt - refused;
                    if failed >= inner.max_attempts {
                        return Err(ApiError::Server {
                            status,
                            attempts: attempt,
                        });
                    }
                    self.sleep(backoff(failed)).await?;
                }
                500..=599 => {
                    return Err(ApiError::Server {
                        status,
                        attempts: attempt,
                    });
                }
                _ => {
                    let content_type = answer
                        .headers
                        .get("content-type")
                        .and_then(|v| v.to_str().ok());
                    return Err(status_error(
                        answer.status,
                        &path,
                        content_type,
                        &answer.body,
                    ));
                }
            }
        }
    }

    async fn sleep(&self, wait: Duration) -> Result<(), ApiError> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(ApiError::Cancelled),
            _ = tokio::time::sleep(wait) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        for attempt in 1..30 {
            let d = backoff(attempt);
            let full = BASE_BACKOFF
                .saturating_mul(1 << (attempt - 1).min(16))
                .min(MAX_BACKOFF);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
        }
        assert!(backoff(40) <= MAX_BACKOFF);
    }
}

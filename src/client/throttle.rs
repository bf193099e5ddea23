//! One concurrency limit and one view of GitLab's rate limit, shared by every request of a run.
//!
//! GitLab sends `RateLimit-Remaining` and `RateLimit-Reset` (Unix seconds) on every response
//! when throttling is on. The throttle keeps a request budget for the current window: it
//! spends one per request sent, re-learns it from each response (minus what is still in flight),
//! and when it is spent, holds new requests until the window resets. A 429's `Retry-After`
//! pauses every request of the run, not just the one that got it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use reqwest::header::HeaderMap;
use serde::Serialize;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The longest a `RateLimit-Reset` is believed to be away (guards against clock skew).
const MAX_RESET_WAIT: Duration = Duration::from_secs(120);

/// The longest wait a 429's `Retry-After` may ask for: asking more (a daily limit, a hostile
/// answer) is an error for the admin, not a wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// Counters for a run, for progress displays and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// HTTP requests sent (attempts, not logical calls).
    pub requests: u64,
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 answers received.
    pub throttled: u64,
    /// Times requests were held back because the rate-limit budget was spent.
    pub budget_waits: u64,
}

#[derive(Default)]
struct Window {
    /// Hold every new request until then (a 429's Retry-After, or a spent budget).
    paused_until: Option<Instant>,
    /// Requests left in the current window, as far as we know.
    budget: Option<i64>,
    /// When the current window ends.
    reset_at: Option<Instant>,
    /// The server's reset stamp for the current window, to tell a new window.
    reset_stamp: Option<u64>,
    in_flight: i64,
}

/// The shared limiter. See the module documentation.
pub struct Throttle {
    permits: Semaphore,
    window: Mutex<Window>,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    budget_waits: AtomicU64,
}

/// A slot to send one request; dropping it frees the slot.
pub struct Slot<'a> {
    throttle: &'a Throttle,
    _permit: SemaphorePermit<'a>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.throttle
            .window
            .lock()
            .expect("throttle lock")
            .in_flight -= 1;
    }
}

impl Throttle {
    /// A throttle allowing `concurrency` requests in flight (at least one).
    pub fn new(concurrency: usize) -> Self {
        Self {
            permits: Semaphore::new(concurrency.max(1)),
            window: Mutex::new(Window::default()),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            budget_waits: AtomicU64::new(0),
        }
    }

    /// Waits for a free slot and for the rate limit to allow one more request.
    pub async fn acquire(&self, retry: bool) -> Slot<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        loop {
            let wait = {
                let mut w = self.window.lock().expect("throttle lock");
                let now = Instant::now();
                match w.paused_until {
                    Some(until) if until > now => Some(until - now),
                    _ => match (w.budget, w.reset_at) {
                        (Some(b), Some(reset)) if b <= 0 && reset > now => {
                            w.paused_until = Some(reset);
                            self.budget_waits.fetch_add(1, Ordering::Relaxed);
                            Some(reset - now)
                        }
                        (Some(b), _) if b <= 0 => {
                            // The window is over: the next answer tells the new budget.
                            w.budget = None;
                            None
                        }
                        _ => None,
                    },
                }
                .or_else(|| {
                    w.budget = w.budget.map(|b| b.saturating_sub(1));
                    w.in_flight += 1;
                    None
                })
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => break,
            }
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        if retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        Slot {
            throttle: self,
            _permit: permit,
        }
    }

    /// Learns the budget from a response's `RateLimit-Remaining` and `RateLimit-Reset`.
    pub fn observe(&self, headers: &HeaderMap) {
        let (Some(remaining), Some(reset)) = (
            header_u64(headers, "ratelimit-remaining"),
            header_u64(headers, "ratelimit-reset"),
        ) else {
            return;
        };
        let mut w = self.window.lock().expect("throttle lock");
        // This response's own request is still counted in flight until its slot drops.
        let others = (w.in_flight - 1).max(0);
        let learned = i64::try_from(remaining)
            .unwrap_or(i64::MAX)
            .saturating_sub(others);
        w.budget = Some(match (w.reset_stamp == Some(reset), w.budget) {
            (true, Some(b)) => b.min(learned),
            _ => learned,
        });
        w.reset_stamp = Some(reset);
        w.reset_at = Some(later(until_unix(reset)));
    }

    /// Pauses every request for `wait` (a 429's `Retry-After`).
    pub fn pause(&self, wait: Duration) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let mut w = self.window.lock().expect("throttle lock");
        let until = later(wait);
        w.paused_until = Some(w.paused_until.map_or(until, |p| p.max(until)));
        w.budget = None;
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            budget_waits: self.budget_waits.load(Ordering::Relaxed),
        }
    }
}

/// Now plus `wait` (at most [`MAX_RETRY_AFTER`]), without overflow.
fn later(wait: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(wait.min(MAX_RETRY_AFTER)).unwrap_or(now)
}

/// How long until a Unix time in seconds (zero if past), capped against clock skew.
fn until_unix(stamp: u64) -> Duration {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Duration::from_secs(stamp)
        .saturating_sub(now)
        .min(MAX_RESET_WAIT)
}

/// A header as a whole number, if present and well-formed.
pub fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else until
/// `RateLimit-Reset`; `Ok(None)` when it does not say. A wait beyond [`MAX_RETRY_AFTER`] is
/// `Err` with what was asked, for the message.
pub fn retry_after(headers: &HeaderMap) -> Result<Option<Duration>, String> {
    let Some(value) = headers.get("retry-after") else {
        return Ok(header_u64(headers, "ratelimit-reset").map(until_unix));
    };
    let text = String::from_utf8_lossy(value.as_bytes()).trim().to_owned();
    let asked = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is too long a wait, not a missing one.
        text.parse::<u64>()
            .map_or(Duration::MAX, Duration::from_secs)
    } else if let Ok(date) = chrono::DateTime::parse_from_rfc2822(&text) {
        (date.with_timezone(&chrono::Utc) - chrono::Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
    } else {
        return Ok(header_u64(headers, "ratelimit-reset").map(until_unix));
    };
    if asked > MAX_RETRY_AFTER {
        let shown: String = text.chars().take(40).collect();
        return Err(shown);
    }
    Ok(Some(asked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn retry_after_prefers_the_header_and_ignores_garbage() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")])),
            Ok(Some(Duration::from_secs(3)))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), Ok(None));
        let later = (unix_now() + 2).to_string();
        let d = retry_after(&headers(&[("ratelimit-reset", &later)]))
            .unwrap()
            .unwrap();
        assert!(
            d <= Duration::from_secs(2) && d >= Duration::from_secs(1),
            "{d:?}"
        );
        assert_eq!(retry_after(&HeaderMap::new()), Ok(None));
        let soon = (chrono::Utc::now() + chrono::Duration::seconds(30))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let d = retry_after(&headers(&[("retry-after", &soon)]))
            .unwrap()
            .unwrap();
        assert!(
            d <= Duration::from_secs(30) && d >= Duration::from_secs(28),
            "{d:?}"
        );
    }

    #[test]
    fn a_retry_after_beyond_fifteen_minutes_is_an_error() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "900")])),
            Ok(Some(MAX_RETRY_AFTER))
        );
        for huge in [
            "901",
            "86400",
            "18446744073709551615",
            "99999999999999999999999999",
        ] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", huge)])),
                Err(huge.to_owned())
            );
        }
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        assert!(retry_after(&headers(&[("retry-after", &tomorrow)])).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn huge_numbers_in_headers_neither_panic_nor_hang() {
        let t = Throttle::new(2);
        t.observe(&headers(&[
            ("ratelimit-remaining", "18446744073709551615"),
            ("ratelimit-reset", "18446744073709551615"),
        ]));
        t.pause(Duration::MAX);
        let start = Instant::now();
        drop(t.acquire(false).await);
        assert!(start.elapsed() <= MAX_RETRY_AFTER);
    }

    #[test]
    fn reset_far_in_the_future_is_capped() {
        assert_eq!(until_unix(unix_now() + 100_000), MAX_RESET_WAIT);
        assert_eq!(until_unix(1), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_spent_budget_holds_requests_until_reset() {
        let t = Throttle::new(4);
        let reset = (unix_now() + 1).to_string();
        {
            let _slot = t.acquire(false).await;
            t.observe(&headers(&[
                ("ratelimit-remaining", "1"),
                ("ratelimit-reset", &reset),
            ]));
        }
        // One request left in this window: the first goes at once, the second waits.
        let start = Instant::now();
        drop(t.acquire(false).await);
        assert!(start.elapsed() < Duration::from_millis(10));
        drop(t.acquire(false).await);
        assert!(
            start.elapsed() > Duration::ZERO,
            "held until the window reset"
        );
        assert_eq!(t.stats().budget_waits, 1);
        assert_eq!(t.stats().requests, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn missing_or_malformed_headers_change_nothing() {
        let t = Throttle::new(1);
        t.observe(&headers(&[
            ("ratelimit-remaining", "abc"),
            ("ratelimit-reset", "1"),
        ]));
        t.observe(&headers(&[("ratelimit-remaining", "0")]));
        let start = Instant::now();
        for _ in 0..3 {
            drop(t.acquire(false).await);
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(t.stats().budget_waits, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request() {
        let t = Throttle::new(2);
        t.pause(Duration::from_secs(5));
        let start = Instant::now();
        drop(t.acquire(true).await);
        assert!(start.elapsed() >= Duration::from_secs(5));
        assert_eq!(t.stats().throttled, 1);
        assert_eq!(t.stats().retries, 1);
    }

    /// Header text a hostile server might send: numbers of any size and sign, dates, garbage.
    fn header_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "-?[0-9]{0,30}",
            "[ -~]{0,40}",
            "(Mon|Sun), [0-9]{1,2} (Jan|Dec) [0-9]{1,6} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
        ]
    }

    proptest! {
        #[test]
        fn retry_after_never_panics_and_never_exceeds_the_cap(
            retry in proptest::option::of(header_text()),
            reset in proptest::option::of(header_text()),
        ) {
            let mut h = HeaderMap::new();
            if let Some(v) = retry.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                h.insert("retry-after", v);
            }
            if let Some(v) = reset.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
                h.insert("ratelimit-reset", v);
            }
            if let Ok(Some(d)) = retry_after(&h) {
                prop_assert!(d <= MAX_RETRY_AFTER);
            }
        }

        #[test]
        fn observe_never_panics_nor_holds_past_the_caps(
            remaining in header_text(),
            reset in header_text(),
            limit in header_text(),
        ) {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            rt.block_on(async {
                let t = Throttle::new(2);
                let mut h = HeaderMap::new();
                for (k, v) in [
                    ("ratelimit-remaining", &remaining),
                    ("ratelimit-reset", &reset),
                    ("ratelimit-limit", &limit),
                ] {
                    if let Ok(v) = HeaderValue::from_str(v) {
                        h.insert(k, v);
                    }
                }
                {
                    let _slot = t.acquire(false).await;
                    t.observe(&h);
                }
                let start = Instant::now();
                for _ in 0..3 {
                    drop(t.acquire(false).await);
                }
                assert!(start.elapsed() <= MAX_RETRY_AFTER, "{:?}", start.elapsed());
            });
        }
    }
}

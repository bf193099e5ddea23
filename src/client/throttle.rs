//! One concurrency limit and one view of GitLab's rate limit, shared by every request of a run.
//!
//! GitLab's rate limits come in three shapes, and the throttle handles each:
//!
//! 1. `RateLimit-Remaining` and `RateLimit-Reset` on every answer (newer GitLab, GitLab.com):
//!    the throttle keeps a request budget for the current window, spends one per request sent,
//!    re-learns it from each answer (minus what is still in flight) and, when it is spent,
//!    holds new requests until the window resets. No 429 is needed.
//! 2. Headers only on the 429 (Rack::Attack's default): the first 429 tells the limit per
//!    minute (`RateLimit-Limit`) and how many requests the window took (`RateLimit-Observed`);
//!    from then on every request of the run is paced by one token bucket just under that rate,
//!    so the later windows never overflow.
//! 3. No headers at all (per-endpoint application limits): a 429 halves the concurrency
//!    (multiplicative decrease) and probes with one request at a time until one succeeds.
//!    GitLab counts in fixed windows, so each spent window bounds the window's length (a probe
//!    refused after the spend was still in it; a whole window lies between a 429 before one
//!    reset and the first success after the next) and tells how many requests one lets
//!    through. The probes are timed from that: none before the window can have reset, then a
//!    quarter of the remaining uncertainty apart; before anything is known, the backoff, but
//!    at most half the time searched so far, so no window is missed and each is found at most
//!    a third late. Once the length is known within a quarter either way, the run is paced
//!    just under one window's requests per window. Each success adds back concurrency
//!    (additive increase) and lets the pace drift up slowly, to find a raised limit; a 429
//!    while paced lowers it.
//!
//! Until GitLab shows a limit (shape 1's headers, or any 429), nothing tells whether one is
//! there, and every request in flight when a window runs out is refused. So a run starts
//! [`RAMP_START`] wide and widens by one slot per [`RAMP_ANSWERS`] answers up to its full
//! width: a window of L requests meets at most `RAMP_START + L / RAMP_ANSWERS` requests in
//! flight (5 for a window of 100), while an instance without limits reaches full width after
//! 768 answers, at the cost of about 47 round-trips once per run. Shape 1's first answer ends
//! the ramp at once: its budget guards the width from then on.
//!
//! A 429's wait (`Retry-After`, at most [`MAX_RETRY_AFTER`]) pauses every request of the run,
//! not just the one that got it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use reqwest::header::HeaderMap;
use serde::Serialize;
use tokio::sync::{Notify, Semaphore, SemaphorePermit};

use super::retry::backoff;

/// The longest a `RateLimit-Reset` is believed to be away (guards against clock skew).
const MAX_RESET_WAIT: Duration = Duration::from_secs(120);

/// The longest wait a 429's `Retry-After` may ask for: asking more (a daily limit, a hostile
/// answer) is an error for the admin, not a wait.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// The width a run starts at, before GitLab has shown any limit.
pub const RAMP_START: f64 = 4.0;
/// Answers without a 429 that widen the starting ramp by one slot.
pub const RAMP_ANSWERS: f64 = 64.0;

/// Each success widens the concurrency by this share of one slot per slot: after a 429 without
/// headers the width grows by one for every two rounds of successes.
const WIDTH_INCREASE: f64 = 0.5;
/// A learned pace is lowered to this share of itself when it still meets a 429.
const PACE_DECREASE: f64 = 0.9;
/// Each success raises a pace learned without headers by this share of the learned rate.
const PACE_DRIFT: f64 = 0.001;
/// The closest two probes after a spent window follow each other once its reset is bracketed.
const MIN_PROBE_GAP: Duration = Duration::from_millis(50);

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

/// A token bucket holding one token: requests leave at most one per `interval`.
#[derive(Debug, Clone, Copy)]
struct Pace {
    interval: Duration,
    /// When the next request may leave.
    next: Instant,
    /// The rate learned (requests per second), the base of the upward drift.
    learned: f64,
    /// Learned from headers (shape 2): the server said the rate, so it does not drift.
    declared: bool,
}

impl Pace {
    /// A pace of `rate` requests per second, the first leaving at `now`.
    fn new(rate: f64, declared: bool, now: Instant) -> Self {
        let mut pace = Self {
            interval: Duration::ZERO,
            next: now,
            learned: rate,
            declared,
        };
        pace.set_rate(rate);
        pace
    }

    fn rate(&self) -> f64 {
        1.0 / self.interval.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    fn set_rate(&mut self, rate: f64) {
        if let Ok(interval) = Duration::try_from_secs_f64(1.0 / rate) {
            self.interval = interval.min(MAX_RETRY_AFTER);
        }
    }

    /// Paces at `rate` and takes it as the learned rate (the base of the drift).
    fn learn(&mut self, rate: f64) {
        self.set_rate(rate);
        self.learned = rate;
    }
}

struct Window {
    /// Hold every new request until then (a 429's Retry-After, or a spent budget).
    paused_until: Option<Instant>,
    /// Requests left in the current window, as far as we know.
    budget: Option<i64>,
    /// When the current window ends.
    reset_at: Option<Instant>,
    /// The server's reset stamp for the current window, to tell a new window; set only by an
    /// answer other than a 429 (shape 1).
    reset_stamp: Option<u64>,
    in_flight: i64,
    /// Requests allowed in flight (additive increase, multiplicative decrease), `1..=max`.
    width: f64,
    max: f64,
    /// No limit shown yet: the width grows by the starting ramp, not by additive increase.
    ramping: bool,
    /// Bumped by each decrease: a 429 to a request sent before it is the same congestion.
    epoch: u64,
    /// After a 429 without headers, one request at a time until one succeeds.
    probing: bool,
    /// 429s without headers in a row, for the backoff.
    failures: u32,
    /// Answers other than 429 since the last 429 without headers.
    ok_since: u64,
    /// What the spent windows tell of the limit.
    windows: Windows,
    pace: Option<Pace>,
}

/// What shape 3's spent windows tell of GitLab's window (fixed windows, as both Rack::Attack
/// and GitLab's application limiter count): its length, bracketed between what a refused and
/// an accepted request prove, and how many requests one lets through. From these the probes
/// after a spent window are timed (none before the window can have reset, at most a quarter of
/// the uncertainty apart after), and the pace is set just under the window's rate.
#[derive(Debug, Default)]
struct Windows {
    /// When the current window was spent (the first 429 after successes).
    spent_at: Option<Instant>,
    /// Whether it was spent in the window begun at `began` (not paced, or within `shortest`).
    spent_in_began: bool,
    /// The last 429 of the current spent window (the spend or a refused probe).
    refused_at: Option<Instant>,
    /// When the window after the last spent one began: after the last 429 before it, and no
    /// later than its first success.
    began: Option<(Instant, Instant)>,
    /// Successes since `began` (answers of requests sent before it included).
    ok: u64,
    /// The window is at least this long: a probe refused after the spend was in its window.
    shortest: Duration,
    /// The window is at most this long: a whole window lies between a 429 refused before a
    /// reset and the first success after the next one.
    longest: Option<Duration>,
    /// Requests one window let through, counted from its first success to the next reset.
    limit: Option<u64>,
}

impl Windows {
    /// A 429 after successes: the window begun at `began` (or a later one) is spent.
    fn spend(&mut self, now: Instant, paced: bool) {
        self.spent_at = Some(now);
        self.refused_at = Some(now);
        self.spent_in_began = self
            .began
            .is_some_and(|(_, b)| !paced || now.saturating_duration_since(b) < self.shortest);
    }

    /// A refused probe: the spent window lasts at least until now.
    fn refuse(&mut self, now: Instant) {
        self.refused_at = Some(now);
        let from = match self.began {
            Some((_, b)) if self.spent_in_began => Some(b),
            _ => self.spent_at,
        };
        if let Some(from) = from {
            self.shortest = self.shortest.max(now.saturating_duration_since(from));
        }
    }

    /// The first success after a spent window: a new window began since the last 429.
    fn reset(&mut self, now: Instant) {
        let Some(refused) = self.refused_at.take() else {
            return;
        };
        if let Some((a, _)) = self.began {
            let span = now.saturating_duration_since(a);
            self.longest = Some(self.longest.map_or(span, |l| l.min(span)));
            if self.spent_in_began {
                // Every success since the window began, the spend's own in-flight ones included.
                self.limit = Some(self.ok);
            }
        }
        if self.longest.is_some_and(|l| l < self.shortest) {
            // Not fixed windows after all: keep what the latest reset says.
            self.shortest = Duration::ZERO;
        }
        self.began = Some((refused, now));
        self.spent_at = None;
        self.ok = 0;
    }

    /// When the spent window can reset at the earliest, and at the latest if known.
    fn next_reset(&self) -> Option<(Instant, Option<Instant>)> {
        let (a, b) = self.began.filter(|_| self.spent_in_began)?;
        Some((
            a.checked_add(self.shortest).unwrap_or(a),
            self.longest.and_then(|l| b.checked_add(l)),
        ))
    }

    /// How long to wait before the next probe, the `n`th 429 in a row: not before the window
    /// can have reset; once the reset is bracketed, a quarter of the bracket apart; else the
    /// backoff, but at most half the time searched so far, so a reset is found at most a third
    /// of that late (the plain backoff doubles, and can miss a whole window).
    fn probe_wait(&self, now: Instant, n: u32) -> Duration {
        let next = self.next_reset();
        if let Some((earliest, latest)) = next {
            if earliest > now {
                return earliest - now;
            }
            if let Some(latest) = latest.filter(|l| *l >= now) {
                return ((latest - earliest) / 4).max(MIN_PROBE_GAP);
            }
        }
        let searched_from = match (next, self.spent_at) {
            (Some((earliest, _)), Some(spent)) => earliest.max(spent),
            (_, spent) => spent.unwrap_or(now),
        };
        let searched = now.saturating_duration_since(searched_from);
        backoff(n).min((searched / 2).max(backoff(1)))
    }

    /// The rate (per second) just under what one window lets through.
    fn rate(&self) -> Option<f64> {
        let limit = self.limit.filter(|l| *l >= 2)? as f64;
        let longest = self.longest?;
        let length = (self.shortest + longest) / 2;
        // Known to within a quarter either way.
        let known = longest.saturating_sub(self.shortest) <= length / 2;
        (known && length > Duration::ZERO).then(|| (limit - 1.0) / length.as_secs_f64())
    }
}

/// The shared limiter. See the module documentation.
pub struct Throttle {
    permits: Semaphore,
    window: Mutex<Window>,
    freed: Notify,
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    budget_waits: AtomicU64,
}

/// A slot to send one request; dropping it frees the slot.
pub struct Slot<'a> {
    throttle: &'a Throttle,
    /// The throttle's epoch when the request was let through.
    pub epoch: u64,
    _permit: SemaphorePermit<'a>,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.throttle.lock().in_flight -= 1;
        self.throttle.freed.notify_waiters();
    }
}

/// What a request waits for before it may leave.
enum Hold {
    Go(u64),
    For(Duration),
    Slot,
}

impl Throttle {
    /// A throttle allowing `concurrency` requests in flight (at least one).
    pub fn new(concurrency: usize) -> Self {
        let max = concurrency.max(1);
        Self {
            permits: Semaphore::new(max),
            window: Mutex::new(Window {
                paused_until: None,
                budget: None,
                reset_at: None,
                reset_stamp: None,
                in_flight: 0,
                width: (max as f64).min(RAMP_START),
                max: max as f64,
                ramping: true,
                epoch: 0,
                probing: false,
                failures: 0,
                ok_since: 0,
                windows: Windows::default(),
                pace: None,
            }),
            freed: Notify::new(),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            budget_waits: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a free slot and for the rate limit to allow one more request.
    pub async fn acquire(&self, retry: bool) -> Slot<'_> {
        let permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        let epoch = loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.hold() {
                Hold::Go(epoch) => break epoch,
                Hold::For(d) => tokio::time::sleep(d).await,
                Hold::Slot => freed.await,
            }
        };
        self.requests.fetch_add(1, Ordering::Relaxed);
        if retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
        Slot {
            throttle: self,
            epoch,
            _permit: permit,
        }
    }

    /// Whether a request may leave now; if so, counts it in flight and spends its budget.
    fn hold(&self) -> Hold {
        let mut w = self.lock();
        let now = Instant::now();
        if let Some(until) = w.paused_until.filter(|u| *u > now) {
            return Hold::For(until - now);
        }
        match (w.budget, w.reset_at) {
            (Some(b), Some(reset)) if b <= 0 && reset > now => {
                w.paused_until = Some(reset);
                self.budget_waits.fetch_add(1, Ordering::Relaxed);
                return Hold::For(reset - now);
            }
            // The window is over: the next answer tells the new budget.
            (Some(b), _) if b <= 0 => w.budget = None,
            _ => {}
        }
        let width = if w.probing { 1 } else { w.width as i64 };
        if w.in_flight >= width.max(1) {
            return Hold::Slot;
        }
        if let Some(pace) = &mut w.pace {
            if pace.next > now {
                return Hold::For(pace.next - now);
            }
            pace.next = now.checked_add(pace.interval).unwrap_or(now);
        }
        w.budget = w.budget.map(|b| b.saturating_sub(1));
        w.in_flight += 1;
        Hold::Go(w.epoch)
    }

    /// Learns from an answer other than a 429 to a request let through at `epoch`: the budget
    /// from `RateLimit-Remaining` and `RateLimit-Reset`, and one more success for the
    /// concurrency and the pace (counted for the pace only if sent since the last decrease).
    pub fn observe(&self, headers: &HeaderMap, epoch: u64) {
        let mut w = self.lock();
        if epoch == w.epoch {
            w.ok_since = w.ok_since.saturating_add(1);
            w.failures = 0;
            if w.probing {
                // The window reset between the last 429 and this answer.
                w.probing = false;
                let now = Instant::now();
                w.windows.reset(now);
                if let Some(rate) = w.windows.rate() {
                    let pace = w.pace.get_or_insert_with(|| Pace::new(rate, false, now));
                    // A pace already set only comes down to a new estimate; the drift raises it.
                    if !pace.declared && rate <= pace.rate() {
                        pace.learn(rate);
                    }
                }
            }
        }
        w.windows.ok = w.windows.ok.saturating_add(1);
        let step = if w.ramping {
            1.0 / RAMP_ANSWERS
        } else {
            WIDTH_INCREASE / w.width.max(1.0)
        };
        w.width = (w.width + step).min(w.max);
        if let Some(pace) = w.pace.as_mut().filter(|p| !p.declared) {
            let rate = pace.rate() + pace.learned * PACE_DRIFT;
            pace.set_rate(rate);
        }
        let (Some(remaining), Some(reset)) = (
            header_u64(headers, "ratelimit-remaining"),
            header_u64(headers, "ratelimit-reset"),
        ) else {
            return;
        };
        // Shape 1: the budget below holds the run within the limit at any width.
        if w.ramping {
            w.ramping = false;
            w.width = w.max;
        }
        // This response's own request was counted in flight until its slot dropped.
        let others = w.in_flight.max(0);
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

    /// Learns from a 429 to a request let through at `epoch`, and pauses every request for as
    /// long as it asks (or a backoff). `Err` carries a `Retry-After` beyond [`MAX_RETRY_AFTER`].
    pub fn throttled(&self, headers: &HeaderMap, epoch: u64) -> Result<Duration, String> {
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let asked = retry_after(headers)?;
        let mut w = self.lock();
        w.ramping = false;
        let now = Instant::now();
        let declared = declared_rate(headers);
        let wait = match declared {
            // Shape 2: the server said its rate; pace every request just under it.
            // Answers other than 429 carrying `RateLimit-Reset` (shape 1) leave it to the budget.
            Some(declared) if w.reset_stamp.is_none() => {
                let rate = match w.pace.filter(|p| p.declared) {
                    // Still a 429 while paced: lower the pace a little.
                    Some(p) if epoch == w.epoch => p.learned.min(declared) * PACE_DECREASE,
                    // A request sent before the pace: keep the lowest rate declared.
                    Some(p) => p.learned.min(declared),
                    None => declared,
                };
                if w.pace.is_none_or(|p| epoch == w.epoch || rate < p.learned) {
                    w.epoch += 1;
                }
                let pace = w.pace.get_or_insert_with(|| Pace::new(rate, true, now));
                pace.learn(rate);
                pace.declared = true;
                asked.unwrap_or_else(|| backoff(1))
            }
            Some(_) => asked.unwrap_or_else(|| backoff(1)),
            // Shape 3: nothing said; back off, narrow, probe, and learn a pace from the timing.
            None => {
                if epoch == w.epoch {
                    w.epoch += 1;
                    w.width = (w.width / 2.0).max(1.0);
                    w.probing = true;
                    if w.ok_since == 0 {
                        w.failures = w.failures.saturating_add(1);
                        w.windows.refuse(now);
                    } else {
                        w.failures = 1;
                        let paced = w.pace.is_some();
                        w.windows.spend(now, paced);
                        if let Some(pace) = w.pace.as_mut().filter(|p| !p.declared) {
                            // Still spent while paced: lower the pace a little.
                            pace.learn(pace.rate() * PACE_DECREASE);
                        }
                    }
                    w.ok_since = 0;
                    asked.unwrap_or_else(|| w.windows.probe_wait(now, w.failures))
                } else {
                    // Sent before the decrease: the pause already set holds it.
                    asked.unwrap_or_else(|| {
                        w.paused_until
                            .map_or(Duration::ZERO, |u| u.saturating_duration_since(now))
                    })
                }
            }
        };
        let until = later(wait);
        w.paused_until = Some(w.paused_until.map_or(until, |p| p.max(until)));
        if let Some(pace) = &mut w.pace {
            pace.next = pace.next.max(until);
        }
        w.budget = None;
        Ok(wait)
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

/// The rate a 429's headers declare, in requests per second, a little under the server's:
/// `RateLimit-Limit` is per minute; `RateLimit-Observed` on the first 429 of a window is one
/// more than the window allows, which gives the window's length. Pacing at `(limit - 1)` per
/// window keeps any window, however aligned, within the limit.
fn declared_rate(headers: &HeaderMap) -> Option<f64> {
    let per_minute = header_u64(headers, "ratelimit-limit").filter(|l| *l > 0)? as f64;
    let rate = per_minute / 60.0;
    let per_window = header_u64(headers, "ratelimit-observed")
        .filter(|o| *o > 1)
        .map_or(per_minute, |o| (o - 1) as f64);
    let share = if per_window >= 2.0 {
        (per_window - 1.0) / per_window
    } else {
        0.5
    };
    Some(rate * share)
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
    use futures::StreamExt;
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
        t.observe(
            &headers(&[
                ("ratelimit-remaining", "18446744073709551615"),
                ("ratelimit-reset", "18446744073709551615"),
            ]),
            0,
        );
        assert!(
            t.throttled(&headers(&[("retry-after", "99999999999999999999")]), 0)
                .is_err()
        );
        let huge = "18446744073709551615";
        t.throttled(
            &headers(&[
                ("ratelimit-limit", huge),
                ("ratelimit-observed", huge),
                ("ratelimit-reset", huge),
            ]),
            0,
        )
        .unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            drop(t.acquire(false).await);
        }
        assert!(start.elapsed() <= MAX_RESET_WAIT, "{:?}", start.elapsed());
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
        let e = t.acquire(false).await.epoch;
        t.observe(
            &headers(&[("ratelimit-remaining", "1"), ("ratelimit-reset", &reset)]),
            e,
        );
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
        t.observe(
            &headers(&[("ratelimit-remaining", "abc"), ("ratelimit-reset", "1")]),
            0,
        );
        t.observe(&headers(&[("ratelimit-remaining", "0")]), 0);
        let start = Instant::now();
        for _ in 0..3 {
            drop(t.acquire(false).await);
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(t.stats().budget_waits, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_every_request() {
        let t = Throttle::new(2);
        let wait = t.throttled(&headers(&[("retry-after", "5")]), 0).unwrap();
        assert_eq!(wait, Duration::from_secs(5));
        let start = Instant::now();
        drop(t.acquire(true).await);
        assert!(start.elapsed() >= Duration::from_secs(5));
        assert_eq!(t.stats().throttled, 1);
        assert_eq!(t.stats().retries, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn headers_only_on_the_429_pace_the_rest_of_the_run() {
        // 20 per second: RateLimit-Limit 1200 per minute, the 21st request was refused.
        let t = Throttle::new(16);
        let epoch = t.acquire(false).await.epoch;
        let h = headers(&[
            ("ratelimit-limit", "1200"),
            ("ratelimit-observed", "21"),
            ("ratelimit-remaining", "0"),
            ("retry-after", "1"),
        ]);
        t.throttled(&h, epoch).unwrap();
        // A 429 to a request sent before (observed higher) changes nothing.
        t.throttled(
            &headers(&[("ratelimit-limit", "1200"), ("ratelimit-observed", "30")]),
            epoch,
        )
        .unwrap();
        let start = Instant::now();
        for _ in 0..20 {
            drop(t.acquire(false).await);
        }
        // After the pause, 19 per second: the 20th leaves 19 intervals of 1/19 s later.
        let elapsed = start.elapsed().as_secs_f64();
        assert!((1.99..2.01).contains(&elapsed), "{elapsed}");
    }

    /// Sends as many requests as the throttle lets leave at once; returns how many left.
    async fn in_flight_at_once(t: &Throttle) -> usize {
        let mut slots = Vec::new();
        while let Ok(slot) = tokio::time::timeout(Duration::from_millis(1), t.acquire(false)).await
        {
            slots.push(slot);
        }
        slots.len()
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_starts_narrow_and_widens_until_a_limit_shows() {
        let none = HeaderMap::new();
        let t = Throttle::new(16);
        assert_eq!(in_flight_at_once(&t).await, 4);
        for _ in 0..64 {
            let e = t.acquire(false).await.epoch;
            t.observe(&none, e);
        }
        assert_eq!(in_flight_at_once(&t).await, 5, "one slot per 64 answers");
        for _ in 0..(64 * 11) {
            let e = t.acquire(false).await.epoch;
            t.observe(&none, e);
        }
        assert_eq!(
            in_flight_at_once(&t).await,
            16,
            "full width after 768 answers"
        );
        assert_eq!(
            in_flight_at_once(&Throttle::new(2)).await,
            2,
            "never above --concurrency"
        );

        // Shape 1: the first answer with a budget ends the ramp; the budget guards the width.
        let t = Throttle::new(16);
        let e = t.acquire(false).await.epoch;
        let reset = (unix_now() + 60).to_string();
        t.observe(
            &headers(&[("ratelimit-remaining", "500"), ("ratelimit-reset", &reset)]),
            e,
        );
        assert_eq!(in_flight_at_once(&t).await, 16);
    }

    #[tokio::test(start_paused = true)]
    async fn no_headers_narrow_probe_then_learn_a_pace() {
        let t = Throttle::new(8);
        let none = HeaderMap::new();
        // Run freely: 20 answers, then a 429 (the window is spent).
        for _ in 0..20 {
            let e = t.acquire(false).await.epoch;
            t.observe(&none, e);
        }
        // Still on the starting ramp: 4 wide, a 64th of a slot wider per answer.
        let ramped = RAMP_START + 20.0 / RAMP_ANSWERS;
        assert_eq!(t.lock().width, ramped);
        let slots: Vec<_> = futures::future::join_all((0..4).map(|_| t.acquire(false))).await;
        let epoch = slots[0].epoch;
        drop(slots);
        t.throttled(&none, epoch).unwrap();
        // The other three were sent before: one decrease only.
        for _ in 0..3 {
            t.throttled(&none, epoch).unwrap();
        }
        assert_eq!(t.lock().width, ramped / 2.0);
        assert!(!t.lock().ramping);
        assert!(t.lock().probing);
        // Probing: one request at a time until one succeeds.
        let first = t.acquire(true).await;
        let second = tokio::time::timeout(Duration::from_millis(100), t.acquire(true)).await;
        assert!(second.is_err(), "a second probe waits for the first");
        let e = first.epoch;
        drop(first);
        t.observe(&none, e);
        assert!(!t.lock().probing);
        assert!(t.lock().pace.is_none(), "one spent window tells no pace");
    }

    /// GitLab's fixed windows without headers, answering after 5 ms: `limit` requests per
    /// `window`, the run starting `offset` into one.
    struct FixedWindows {
        origin: Instant,
        window: Duration,
        limit: u32,
        counts: Mutex<(u64, u32)>,
        /// Each answer: when, and whether it was accepted.
        log: Mutex<Vec<(Instant, bool)>>,
    }

    impl FixedWindows {
        fn new(limit: u32, window: Duration, offset: Duration) -> Self {
            Self {
                origin: Instant::now() - offset,
                window,
                limit,
                counts: Mutex::new((0, 0)),
                log: Mutex::new(Vec::new()),
            }
        }

        fn index(&self, at: Instant) -> u64 {
            ((at - self.origin).as_secs_f64() / self.window.as_secs_f64()) as u64
        }

        /// One GET through the throttle, 429s retried as the client's retry loop does.
        async fn get(&self, t: &Throttle) {
            let none = HeaderMap::new();
            let mut retry = false;
            loop {
                let slot = t.acquire(retry).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
                let now = Instant::now();
                let ok = {
                    let mut c = self.counts.lock().unwrap();
                    let index = self.index(now);
                    if c.0 != index {
                        *c = (index, 0);
                    }
                    c.1 += 1;
                    c.1 <= self.limit
                };
                self.log.lock().unwrap().push((now, ok));
                let epoch = slot.epoch;
                drop(slot);
                if ok {
                    t.observe(&none, epoch);
                    return;
                }
                t.throttled(&none, epoch).unwrap();
                retry = true;
            }
        }

        /// For each window that began while the one before was spent: how long after its start
        /// the first request was accepted.
        fn lateness(&self) -> Vec<Duration> {
            let log = self.log.lock().unwrap();
            let mut late = Vec::new();
            for pair in log.windows(2) {
                let ((_, refused), (at, ok)) = (pair[0], pair[1]);
                if !refused && ok {
                    let start = self.origin + self.window * self.index(at) as u32;
                    late.push(at - start);
                }
            }
            late
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_headers_probes_find_each_reset_early_and_learn_the_windows_pace() {
        // The benchmark's case: 600 GETs, 100 per 5 s, the run starting 3 s into a window.
        let window = Duration::from_secs(5);
        let server = FixedWindows::new(100, window, Duration::from_secs(3));
        let t = Throttle::new(16);
        let start = Instant::now();
        futures::stream::iter(0..600)
            .for_each_concurrent(16, |_| server.get(&t))
            .await;
        let elapsed = start.elapsed();
        // Burst until the windows are known, then paced: within 1.15 × requests ÷ rate.
        let bound = Duration::from_secs(30);
        assert!(elapsed <= bound.mul_f64(1.15), "{elapsed:?}");
        // No window is missed, nor found more than a third of its length late (the plain
        // doubling backoff, 0.2 s, 0.4 s, ... 6.4 s, found them up to 3 s late); once a reset
        // was seen, the next ones are timed from it: found within an eighth.
        let late = server.lateness();
        assert!(late.len() >= 3, "{late:?}");
        assert!(late[0] <= window / 3, "{late:?}");
        assert!(late[1..].iter().all(|l| *l <= window / 8), "{late:?}");
        // A pace was learned once the window's length was known within a quarter either way:
        // 99 per 5 s, give or take a quarter.
        let pace = t.lock().pace.expect("a pace was learned");
        assert!((14.8..=24.8).contains(&pace.learned), "{}", pace.learned);
        assert!(!pace.declared);
        // A few 429s per spent window (the requests in flight at the spend, the probes).
        let refused = server
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, ok)| !ok)
            .count();
        assert!(refused <= 50, "{refused} x 429");
        assert_eq!(t.stats().throttled, refused as u64);
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
                    ("ratelimit-observed", &remaining),
                    ("retry-after", &reset),
                ] {
                    if let Ok(v) = HeaderValue::from_str(v) {
                        h.insert(k, v);
                    }
                }
                let e = t.acquire(false).await.epoch;
                t.observe(&h, e);
                let epoch = t.acquire(false).await.epoch;
                let _ = t.throttled(&h, epoch);
                let start = Instant::now();
                for _ in 0..3 {
                    drop(t.acquire(false).await);
                }
                assert!(start.elapsed() <= 2 * MAX_RETRY_AFTER, "{:?}", start.elapsed());
            });
        }
    }
}

//! Fixed-window counters aligned on Unix time, as Rack::Attack and GitLab's application rate
//! limiter use them, and the `RateLimit-*` headers GitLab derives from them.

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The authenticated-API throttle: at most `limit` requests per `window` and token user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length; rounded up to whole seconds (at least one), because GitLab's windows and
    /// `Retry-After` are whole seconds.
    pub window: Duration,
}

impl RateLimit {
    /// Window length in whole seconds.
    pub(crate) fn period_secs(&self) -> u64 {
        let secs = self.window.as_secs() + u64::from(self.window.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// Which answers carry the `RateLimit-*` headers: GitLab sends them in three shapes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeaderShape {
    /// On every authenticated answer (newer GitLab with
    /// `rate_limiting_headers_for_unthrottled_requests`, GitLab.com).
    #[default]
    Always,
    /// Only on the 429 (Rack::Attack's default): `RateLimit-*`, `Retry-After`.
    OnlyOn429,
    /// None at all, as per-endpoint application limits answer: a 429 with the JSON
    /// `{"message":{"error":"This endpoint has been requested too many times. Try again later."}}`.
    Never,
}

impl std::str::FromStr for HeaderShape {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(HeaderShape::Always),
            "only-on-429" => Ok(HeaderShape::OnlyOn429),
            "never" => Ok(HeaderShape::Never),
            other => Err(format!(
                "'{other}' is not a header shape: use always, only-on-429 or never"
            )),
        }
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Request counts per key in the current window. Windows are `[k·period, (k+1)·period)` in
/// Unix seconds, so every client sees the same reset instant.
#[derive(Debug)]
pub(crate) struct FixedWindow<K> {
    counts: HashMap<K, (u64, u32)>,
}

impl<K> Default for FixedWindow<K> {
    fn default() -> Self {
        FixedWindow {
            counts: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq> FixedWindow<K> {
    /// Counts one request for `key` at `now` (Unix seconds); returns the count in this window,
    /// this request included.
    pub(crate) fn hit(&mut self, key: K, period: u64, now: u64) -> u32 {
        let window = now / period;
        let entry = self.counts.entry(key).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

/// One throttle observation: what GitLab's `RequestThrottleData` holds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Observation {
    pub(crate) limit: u32,
    pub(crate) period: u64,
    pub(crate) observed: u32,
    pub(crate) now: u64,
}

impl Observation {
    /// Whether this request is over the limit.
    pub(crate) fn throttled(&self) -> bool {
        self.observed > self.limit
    }

    /// Seconds until the window resets (whole seconds, at least 1).
    pub(crate) fn retry_after(&self) -> u64 {
        self.period - self.now % self.period
    }

    /// Headers on every response: `RateLimit-Limit` is normalised to a minute as GitLab does;
    /// `RateLimit-Remaining` is the window's own quota minus the observed count.
    pub(crate) fn headers(&self) -> Vec<(&'static str, String)> {
        let per_minute = (f64::from(self.limit) * 60.0 / self.period as f64).ceil() as u64;
        vec![
            ("ratelimit-name", "throttle_authenticated_api".to_string()),
            ("ratelimit-limit", per_minute.to_string()),
            ("ratelimit-observed", self.observed.to_string()),
            (
                "ratelimit-remaining",
                self.limit.saturating_sub(self.observed).to_string(),
            ),
            (
                "ratelimit-reset",
                (self.now + self.retry_after()).to_string(),
            ),
        ]
    }

    /// Headers on a throttled (429) response: the common ones plus `Retry-After` and
    /// `RateLimit-ResetTime` (HTTP date).
    pub(crate) fn throttled_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = self.headers();
        let reset = DateTime::<Utc>::from_timestamp((self.now + self.retry_after()) as i64, 0)
            .unwrap_or_default();
        headers.push(("retry-after", self.retry_after().to_string()));
        headers.push((
            "ratelimit-resettime",
            reset.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ));
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_shapes_parse() {
        assert_eq!("always".parse(), Ok(HeaderShape::Always));
        assert_eq!("only-on-429".parse(), Ok(HeaderShape::OnlyOn429));
        assert_eq!("never".parse(), Ok(HeaderShape::Never));
        assert!("sometimes".parse::<HeaderShape>().is_err());
    }

    #[test]
    fn windows_are_aligned_and_reset() {
        let mut w = FixedWindow::default();
        assert_eq!(w.hit("u", 10, 1_000), 1);
        assert_eq!(w.hit("u", 10, 1_009), 2);
        assert_eq!(w.hit("v", 10, 1_009), 1, "keys are separate");
        assert_eq!(
            w.hit("u", 10, 1_010),
            1,
            "a new window starts at a multiple of the period"
        );
    }

    #[test]
    fn headers_match_gitlabs_request_throttle_data() {
        // GitLab's spec: 3,700 requests against 3,600/hour at 10:29:30 UTC.
        let o = Observation {
            limit: 3600,
            period: 3600,
            observed: 3700,
            now: 1_609_842_570,
        };
        assert!(o.throttled());
        let h = o.throttled_headers();
        let get = |k: &str| {
            h.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("ratelimit-limit"), "60");
        assert_eq!(get("ratelimit-remaining"), "0");
        assert_eq!(get("ratelimit-reset"), "1609844400");
        assert_eq!(get("ratelimit-resettime"), "Tue, 05 Jan 2021 11:00:00 GMT");
        assert_eq!(get("retry-after"), "1830");
        let ok = Observation {
            limit: 10,
            period: 1,
            observed: 4,
            now: 50,
        };
        assert!(!ok.throttled());
        assert_eq!(ok.retry_after(), 1);
        assert_eq!(ok.headers()[3].1, "6");
        assert_eq!(
            RateLimit {
                limit: 1,
                window: Duration::from_millis(1500)
            }
            .period_secs(),
            2
        );
        assert_eq!(
            RateLimit {
                limit: 1,
                window: Duration::ZERO
            }
            .period_secs(),
            1
        );
    }
}

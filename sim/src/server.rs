//! The running simulator: binding, serving, knobs (latency, throttling, failures), and the
//! log of requests served.

use crate::auth;
use crate::error::ApiError;
use crate::model::{HookOwner, Id, Member, Source};
use crate::params::{Query, parse_query};
use crate::ratelimit::{FixedWindow, HeaderShape, Observation, RateLimit, unix_now};
use crate::routes;
use crate::world::World;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Behaviour switches that can change while the simulator runs ([`Simulator::set_knobs`]).
#[derive(Clone, Debug, Default)]
pub struct Knobs {
    /// Added to every response.
    pub latency: Duration,
    /// The authenticated-API throttle per token user; `RateLimit-*` headers are sent on every
    /// authenticated response while it is set, and requests over the limit get 429
    /// `Retry later` with `Retry-After`.
    pub rate_limit: Option<RateLimit>,
    /// Which answers carry the `RateLimit-*` headers while `rate_limit` is set (default: all).
    pub rate_limit_headers: HeaderShape,
    /// Every Nth request that passes the throttle fails, in turn with 500, 502 and 503 and a
    /// JSON body such as `{"message":"500 Internal Server Error"}`. Deterministic.
    pub fail_every: Option<u64>,
    /// Behave like GitLab before 15.5: `/personal_access_tokens/self` answers
    /// 404 `{"error":"404 Not Found"}`.
    pub legacy_no_token_self: bool,
    /// Behave like GitLab before 16.10: `POST /personal_access_tokens/self/rotate` answers
    /// 404 `{"error":"404 Not Found"}` (so does `legacy_no_token_self`, GitLab before 15.5).
    pub legacy_no_token_rotate: bool,
    /// Refuse hook URLs on loopback or private hosts with 422 `{"error":"Invalid url given"}`,
    /// as GitLab does unless an administrator allows local network requests.
    pub block_local_hook_urls: bool,
    /// Serve `Link` headers with this text in place of the simulator's base URL
    /// (`http://127.0.0.1:PORT`): a GitLab whose `external_url` differs from the address
    /// used, or a hostile one pointing pages at another host (`http://other:1`,
    /// `foo:@other/x#`). An empty string makes the links relative.
    pub link_base: Option<String>,
    /// Every Nth write (`POST`, `PUT`, `DELETE` under `/api/v4`) that passes the throttle is
    /// carried out, then answered 502 `{"message":"502 Bad Gateway"}` as if a proxy lost
    /// GitLab's answer. Deterministic.
    pub lose_write_answers_every: Option<u64>,
    /// The first write (`POST`, `PUT`, `DELETE` under `/api/v4`) after this is set, then
    /// every Nth, is answered 504 `{"message":"504 Gateway Timeout"}` at once and carried out
    /// only afterwards: after [`Knobs::delay_write_commit_by`], or as soon as the next write
    /// arrives (before it), whichever comes first. GitLab still processing a write whose
    /// answer a proxy gave up on. Deterministic.
    pub delay_write_commits_every: Option<u64>,
    /// How long a delayed write ([`Knobs::delay_write_commits_every`]) waits at most.
    pub delay_write_commit_by: Duration,
    /// Someone else's change, made on the world whenever a knob loses a write's answer
    /// (`fail_every` on a write: instead of it; `lose_write_answers_every`: after it was carried
    /// out; `delay_write_commits_every`: before it is), before the 5xx is sent.
    pub meanwhile: Option<Meanwhile>,
    /// `GET /oauth/token/info` answers this `expires_in` (and `expires_in_seconds`) instead of
    /// the token's real lifetime: a broken or hostile instance's value.
    pub oauth_expires_in: Option<i64>,
}

/// A change to the world made "meanwhile" by someone else ([`Knobs::meanwhile`]).
#[derive(Clone)]
pub struct Meanwhile(Arc<dyn Fn(&mut World) + Send + Sync>);

impl Meanwhile {
    /// Wraps the change.
    pub fn new(change: impl Fn(&mut World) + Send + Sync + 'static) -> Self {
        Self(Arc::new(change))
    }

    fn run(&self, shared: &Shared) {
        (self.0)(&mut lock(&shared.world));
    }
}

impl std::fmt::Debug for Meanwhile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Meanwhile(..)")
    }
}

/// A delayed write's trigger (carry it out now) and its completion.
type Pending = (oneshot::Sender<()>, oneshot::Receiver<()>);

/// One request the simulator served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Path with query, e.g. `/api/v4/projects?per_page=100`.
    pub path: String,
    /// Response status.
    pub status: u16,
    /// Whether the request was refused by the rate-limit knob (429).
    pub throttled: bool,
    /// When the request arrived.
    pub at: Instant,
}

/// Cached member lists: (source, inherited?) → (membership generation, members).
pub(crate) type MembersCache = HashMap<(Source, bool), (u64, Arc<Vec<Member>>)>;

/// State shared by the request handlers and the [`Simulator`] handle.
pub(crate) struct Shared {
    pub(crate) world: Mutex<World>,
    pub(crate) knobs: Mutex<Knobs>,
    pub(crate) base: String,
    requests: Mutex<VecDeque<RequestRecord>>,
    limiter: Mutex<FixedWindow<Id>>,
    pub(crate) hook_tests: Mutex<FixedWindow<(HookOwner, Id)>>,
    /// Member lists by (source, inherited?), valid for one membership generation.
    pub(crate) members_cache: Mutex<MembersCache>,
    passed: AtomicU64,
    /// Writes that passed the throttle (for `lose_write_answers_every`).
    writes: AtomicU64,
    /// Writes that passed the throttle while `delay_write_commits_every` was set.
    delayed_writes: AtomicU64,
    /// Delayed writes not yet known to be carried out.
    pending: Mutex<Vec<Pending>>,
}

/// Locks a mutex, ignoring poisoning (a panicking test must not wedge the server).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running simulator. Dropping it (or calling [`Simulator::shutdown`]) stops accepting
/// connections.
///
/// It serves on the Tokio runtime that started it: in a current-thread runtime (plain
/// `#[tokio::test]`), do not block that thread while a client talks to the simulator (run
/// blocking clients with `spawn_blocking`, or use `flavor = "multi_thread"`).
pub struct Simulator {
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

impl Simulator {
    /// Binds `127.0.0.1` on a free port and serves `world` in a Tokio task.
    pub async fn start(world: World) -> std::io::Result<Simulator> {
        Simulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), world).await
    }

    /// Binds `addr` and serves `world` in a Tokio task. An unspecified address (`0.0.0.0`)
    /// is announced as `127.0.0.1` in [`Simulator::url`] and in the URLs the API returns.
    pub async fn start_on(addr: SocketAddr, world: World) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let host = if local.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            local.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            knobs: Mutex::new(Knobs::default()),
            base: format!("http://{host}:{}", local.port()),
            requests: Mutex::new(VecDeque::new()),
            limiter: Mutex::new(FixedWindow::default()),
            hook_tests: Mutex::new(FixedWindow::default()),
            members_cache: Mutex::new(HashMap::new()),
            passed: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            delayed_writes: AtomicU64::new(0),
            pending: Mutex::new(Vec::new()),
        });
        let app = routes::router(shared.clone())
            .layer(middleware::from_fn_with_state(shared.clone(), knobs_layer));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                eprintln!("gitlab-sim: server error: {e}");
            }
        });
        Ok(Simulator {
            shared,
            stop: Some(stop),
        })
    }

    /// Base URL without `/api/v4`, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    /// `<base>/api/v4`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v4", self.shared.base)
    }

    /// Reads or changes the world (requests wait meanwhile).
    pub fn state<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        f(&mut lock(&self.shared.world))
    }

    /// Replaces the knobs; applies to requests arriving from now on.
    pub fn set_knobs(&self, knobs: Knobs) {
        *lock(&self.shared.knobs) = knobs;
    }

    /// The current knobs.
    pub fn knobs(&self) -> Knobs {
        lock(&self.shared.knobs).clone()
    }

    /// The requests served so far (the last [`REQUEST_LOG`] of them), in the order they
    /// completed.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.shared.requests).iter().cloned().collect()
    }

    /// Forgets the requests served so far (e.g. between benchmark rounds).
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Stops accepting connections and lets open ones finish; returns at once.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.stop_now();
    }
}

fn add_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), v);
        }
    }
}

/// Applies the knobs around every request and records it.
async fn knobs_layer(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let at = Instant::now();
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().path().to_string(), |p| p.to_string());
    let knobs = lock(&shared.knobs).clone();
    if !knobs.latency.is_zero() {
        tokio::time::sleep(knobs.latency).await;
    }
    let observation = knobs.rate_limit.and_then(|limit| {
        let query = Query(parse_query(request.uri().query()));
        let secret = auth::token_of(request.headers(), &query);
        let user = auth::throttle_key(&lock(&shared.world), secret.as_deref())?;
        let now = unix_now();
        let period = limit.period_secs();
        let observed = lock(&shared.limiter).hit(user, period, now);
        Some(Observation {
            limit: limit.limit,
            period,
            observed,
            now,
        })
    });
    let throttled = observation.is_some_and(|o| o.throttled());
    let shape = knobs.rate_limit_headers;
    let response = if let Some(o) = observation.filter(|o| o.throttled()) {
        if shape == HeaderShape::Never {
            let body = serde_json::json!({"message": {
                "error": "This endpoint has been requested too many times. Try again later."
            }});
            (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
        } else {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::CONTENT_TYPE, "text/plain")],
                "Retry later\n",
            )
                .into_response();
            add_headers(&mut r, &o.throttled_headers());
            r
        }
    } else {
        let n = shared.passed.fetch_add(1, Ordering::SeqCst) + 1;
        let mut r = match knobs
            .fail_every
            .filter(|every| *every > 0 && n % every == 0)
        {
            Some(every) => {
                let (status, text) = [
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "500 Internal Server Error",
                    ),
                    (StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
                    (StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable"),
                ][((n / every - 1) % 3) as usize];
                if is_write(&method, &path)
                    && let Some(m) = &knobs.meanwhile
                {
                    m.run(&shared);
                }
                ApiError::message(status, text).into_response()
            }
            None => {
                let write = is_write(&method, &path);
                if write {
                    commit_pending(&shared).await;
                }
                let delay = write
                    && knobs
                        .delay_write_commits_every
                        .filter(|every| *every > 0)
                        .is_some_and(|every| {
                            shared.delayed_writes.fetch_add(1, Ordering::SeqCst) % every == 0
                        });
                let lose = write
                    && !delay
                    && knobs
                        .lose_write_answers_every
                        .filter(|every| *every > 0)
                        .is_some_and(|every| {
                            (shared.writes.fetch_add(1, Ordering::SeqCst) + 1) % every == 0
                        });
                if delay {
                    if let Some(m) = &knobs.meanwhile {
                        m.run(&shared);
                    }
                    delay_commit(&shared, next, request, knobs.delay_write_commit_by);
                    ApiError::message(StatusCode::GATEWAY_TIMEOUT, "504 Gateway Timeout")
                        .into_response()
                } else {
                    let answer = next.run(request).await;
                    if lose {
                        if let Some(m) = &knobs.meanwhile {
                            m.run(&shared);
                        }
                        ApiError::message(StatusCode::BAD_GATEWAY, "502 Bad Gateway")
                            .into_response()
                    } else {
                        answer
                    }
                }
            }
        };
        if let Some(o) = observation.filter(|_| shape == HeaderShape::Always) {
            add_headers(&mut r, &o.headers());
        }
        r
    };
    let mut response = response;
    if let Some(base) = &knobs.link_base {
        rewrite_links(&mut response, &shared.base, base);
    }
    let record = RequestRecord {
        method,
        path,
        status: response.status().as_u16(),
        throttled,
        at,
    };
    remember(&mut lock(&shared.requests), record, REQUEST_LOG);
    response
}

fn is_write(method: &str, path: &str) -> bool {
    matches!(method, "POST" | "PUT" | "DELETE") && path.starts_with("/api/v4/")
}

/// Carries out `request` after `by`, or when the next write arrives ([`commit_pending`]).
fn delay_commit(shared: &Arc<Shared>, next: Next, request: Request, by: Duration) {
    let (trigger, triggered) = oneshot::channel::<()>();
    let (done, finished) = oneshot::channel::<()>();
    lock(&shared.pending).push((trigger, finished));
    tokio::spawn(async move {
        tokio::select! {
            _ = tokio::time::sleep(by) => {}
            _ = triggered => {}
        }
        let _ = next.run(request).await;
        let _ = done.send(());
    });
}

/// Carries out every delayed write before the write that just arrived.
async fn commit_pending(shared: &Shared) {
    let pending = std::mem::take(&mut *lock(&shared.pending));
    for (trigger, finished) in pending {
        let _ = trigger.send(());
        let _ = finished.await;
    }
}

/// Replaces `ours` with `theirs` in the `Link` header (the [`Knobs::link_base`] knob).
fn rewrite_links(response: &mut Response, ours: &str, theirs: &str) {
    let Some(link) = response.headers().get(header::LINK) else {
        return;
    };
    let rewritten = String::from_utf8_lossy(link.as_bytes()).replace(ours, theirs);
    if let Ok(v) = HeaderValue::from_str(&rewritten) {
        response.headers_mut().insert(header::LINK, v);
    }
}

/// How many requests the log keeps: a long demo session must not grow it without bound.
pub const REQUEST_LOG: usize = 100_000;

/// Appends to the log, dropping the oldest records beyond `cap`.
fn remember(log: &mut VecDeque<RequestRecord>, record: RequestRecord, cap: usize) {
    log.push_back(record);
    while log.len() > cap {
        log.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_log_keeps_the_newest_records_up_to_its_cap() {
        let mut log = VecDeque::new();
        for n in 0..5u16 {
            let record = RequestRecord {
                method: "GET".into(),
                path: format!("/api/v4/projects?page={n}"),
                status: 200,
                throttled: false,
                at: Instant::now(),
            };
            remember(&mut log, record, 3);
        }
        let paths: Vec<&str> = log.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/api/v4/projects?page=2",
                "/api/v4/projects?page=3",
                "/api/v4/projects?page=4"
            ]
        );
    }
}

//! Drives the real app window through `tauri-driver` (WebDriver over WebKitWebDriver).
//!
//! Needs, on Linux: a display (`xvfb-run`), `tauri-driver` (`cargo install tauri-driver
//! --version "^2" --locked`), `WebKitWebDriver` (Debian: `webkit2gtk-driver`), and the built app
//! (`npm --prefix ui ci && npm --prefix ui run build && cargo build -p gitlab-onboard-app`).

// Each end-to-end test crate uses a different part of the harness.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use gitlab_onboard::GitLabUrl;
use gitlab_onboard::keychain::Keychain;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// The app's data directory (see `src/files.rs`).
const DATA_DIR_ENV: &str = "GITLAB_ONBOARD_DATA_DIR";

/// How long to wait for a screen to appear (a cold WebKit start plus GitLab calls).
const SCREEN_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one WebDriver command may take before the test fails instead of hanging (a
/// screenshot waits for WebKit to paint, which it may never do).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Keeps the page painting frames until [`REPAINT_STOP`], without changing a pixel: a
/// 1-pixel element switches between two fully transparent colours every 16 ms. WebKitWebDriver
/// answers a screenshot after the page's next painted frame; with the shared-memory renderer
/// the app picks (`src-tauri/src/renderer.rs`) WebKit paints only what changed, so a page at
/// rest paints no next frame and the screenshot would never come.
const REPAINT_START: &str = "if (!window.__e2eRepaint) { \
     const pixel = document.createElement('div'); \
     pixel.setAttribute('aria-hidden', 'true'); \
     pixel.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none'; \
     document.documentElement.appendChild(pixel); \
     let odd = false; \
     const timer = setInterval(() => { \
       odd = !odd; \
       pixel.style.backgroundColor = odd ? 'rgba(255, 255, 255, 0)' : 'rgba(0, 0, 0, 0)'; \
     }, 16); \
     window.__e2eRepaint = { pixel, timer }; \
   } \
   return true;";

/// Ends what [`REPAINT_START`] began: the page is as it was.
const REPAINT_STOP: &str = "const repaint = window.__e2eRepaint; \
   if (repaint) { clearInterval(repaint.timer); repaint.pixel.remove(); delete window.__e2eRepaint; } \
   return true;";

/// Awaits one WebDriver command, failing the test with `what` if it takes longer than
/// [`COMMAND_TIMEOUT`].
async fn bounded<T>(what: &str, command: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(COMMAND_TIMEOUT, command)
        .await
        .unwrap_or_else(|_| {
            panic!("{what}: no answer from the WebDriver within {COMMAND_TIMEOUT:?}")
        })
}

/// `tests/artifacts/` (git-ignored): screenshots and driver logs.
pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("artifacts");
    fs::create_dir_all(&dir).expect("create tests/artifacts");
    dir
}

/// The app binary: `GITLAB_ONBOARD_APP`, else `<target>/debug/gitlab-onboard-app`.
fn app_binary() -> PathBuf {
    let path = std::env::var_os("GITLAB_ONBOARD_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
            target.join("debug").join("gitlab-onboard-app")
        });
    assert!(
        path.is_file(),
        "no app at {}: build it with `npm --prefix ui ci && npm --prefix ui run build && cargo build -p \
         gitlab-onboard-app`, or set GITLAB_ONBOARD_APP",
        path.display()
    );
    fs::canonicalize(&path).expect("absolute app path")
}

/// A port that was free a moment ago. `tauri-driver` and `WebKitWebDriver` take their ports on
/// the command line and cannot bind port 0 and report it, so a port can be taken between this
/// check and their bind: [`Window::open_with`] notices that and starts again on other ports.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// How many times [`Window::open_with`] tries new ports before giving up.
const DRIVER_ATTEMPTS: u32 = 5;

/// `tauri-driver` in its own process group, so dropping it also ends WebKitWebDriver and the app.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Driver {
    /// Starts `tauri-driver` on two ports that are free now.
    fn try_start(name: &str, env: &[(&str, &OsStr)]) -> Result<Driver, String> {
        let (port, native_port) = (free_port(), free_port());
        let log = artifacts_dir().join(format!("{name}.tauri-driver.log"));
        let out = File::create(&log).expect("create the driver log");
        let program = std::env::var_os("TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
        let child = Command::new(&program)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            // The app must start in normal mode, whatever the developer's shell says.
            .env_remove("GITLAB_ONBOARD_DEMO")
            .envs(env.iter().copied())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program:?} ({e}): install it with `cargo install tauri-driver --version \"^2\" --locked`")
            });
        let mut driver = Driver { child, port, log };
        driver.wait_until_listening()?;
        Ok(driver)
    }

    /// Waits until this driver listens on its port; an error when it cannot (its port was
    /// taken, or it exited), so that another port is tried.
    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let log = fs::read_to_string(&self.log).unwrap_or_default();
            if log.contains("can not listen") {
                return Err(format!("port {} was taken", self.port));
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "tauri-driver exited with {status}; see {}",
                    self.log.display()
                ));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "tauri-driver did not listen within 10 s; see {}",
                    self.log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: tauri-driver, WebKitWebDriver and the app it launched.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deletes what a test left in the keychain for an instance (the token, the webhook secret and
/// the fingerprint key), even when the test fails.
pub struct ForgetInstance(pub Keychain, pub GitLabUrl);

impl Drop for ForgetInstance {
    fn drop(&mut self) {
        let _ = self.0.delete_token(&self.1);
        let _ = self.0.delete_webhook_secret(&self.1);
        let _ = self.0.delete_fingerprint_key(&self.1);
    }
}

/// The app's window in a WebDriver session. Dropping it ends everything it started.
pub struct Window {
    client: Option<Client>,
    // Declared after `client`: dropped last.
    driver: Driver,
    /// The app's own data directory, when the test gave none: no two windows share one.
    _data_dir: Option<tempfile::TempDir>,
}

impl Window {
    /// Starts tauri-driver and the app; `name` names the driver log in `tests/artifacts/`.
    pub async fn open(name: &str) -> Window {
        Self::open_with(name, &[]).await
    }

    /// [`Window::open`] with extra environment variables for the app (e.g. its data directory).
    /// Unless `env` names `GITLAB_ONBOARD_DATA_DIR`, the app gets a fresh one of its own.
    pub async fn open_with(name: &str, env: &[(&str, &OsStr)]) -> Window {
        Self::open_at(name, env, "token").await
    }

    /// [`Window::open_with`], waiting for `first` (a `data-testid`) instead of the Token
    /// screen: the app reopened where the admin was.
    pub async fn open_at(name: &str, env: &[(&str, &OsStr)], first: &str) -> Window {
        let own_data_dir = (!env.iter().any(|(k, _)| *k == DATA_DIR_ENV))
            .then(|| tempfile::tempdir().expect("a temporary data directory"));
        let mut env = env.to_vec();
        if let Some(dir) = &own_data_dir {
            env.push((DATA_DIR_ENV, dir.path().as_os_str()));
        }
        let env = env.as_slice();
        let app = app_binary();
        let caps = json!({ "browserName": "wry", "tauri:options": { "application": app } });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        // A port taken between its choice and its bind (by tauri-driver, or by WebKitWebDriver
        // when the session starts) fails this attempt only: the next one takes other ports.
        let mut attempt = 0;
        let (client, driver) = loop {
            attempt += 1;
            let driver = match Driver::try_start(name, env) {
                Ok(driver) => driver,
                Err(why) if attempt < DRIVER_ATTEMPTS => {
                    eprintln!("WebDriver attempt {attempt}: {why}; trying other ports");
                    continue;
                }
                Err(why) => panic!("{why}"),
            };
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", driver.port))
                .await
            {
                Ok(client) => break (client, driver),
                Err(e) if attempt < DRIVER_ATTEMPTS => {
                    eprintln!("WebDriver attempt {attempt}: no session ({e}); trying other ports");
                }
                Err(e) => panic!("no WebDriver session ({e}); see {}", driver.log.display()),
            }
        };
        let window = Window {
            client: Some(client),
            driver,
            _data_dir: own_data_dir,
        };
        window.wait_for(first).await;
        window
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    /// Waits for the element with `data-testid`.
    pub async fn wait_for(&self, test_id: &str) -> Element {
        let css = format!("[data-testid=\"{test_id}\"]");
        self.client()
            .wait()
            .at_most(SCREEN_TIMEOUT)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no [data-testid={test_id}] within {SCREEN_TIMEOUT:?}: {e}; see {}",
                    self.driver.log.display()
                )
            })
    }

    /// The element's text, once it is there.
    pub async fn text(&self, test_id: &str) -> String {
        self.wait_for(test_id)
            .await
            .text()
            .await
            .expect("element text")
    }

    /// Waits until the element's text is `expected`.
    pub async fn wait_for_text(&self, test_id: &str, expected: &str) {
        let deadline = Instant::now() + SCREEN_TIMEOUT;
        loop {
            let text = self.text(test_id).await;
            if text == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={test_id}] shows {text:?}, not {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the element is on screen and shows text for which `ok` holds (a run
    /// replaces its result when it ends); returns that text.
    pub async fn wait_until(&self, test_id: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + SCREEN_TIMEOUT;
        loop {
            if self.has(test_id).await {
                let text = self.text(test_id).await;
                if ok(&text) {
                    return text;
                }
                assert!(
                    Instant::now() < deadline,
                    "[data-testid={test_id}] still shows {text:?}"
                );
            }
            assert!(Instant::now() < deadline, "no [data-testid={test_id}]");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces an input's content, typing as a user does.
    pub async fn fill(&self, test_id: &str, value: &str) {
        let input = self.wait_for(test_id).await;
        input.clear().await.expect("clear");
        input.send_keys(value).await.expect("type");
    }

    /// What the system clipboard holds, read by pasting it (Ctrl+V, as a user does) into an
    /// input whose value is then put back: proves a copy button reached the clipboard.
    pub async fn clipboard_via(&self, test_id: &str) -> String {
        let before = self.value(test_id).await;
        let input = self.wait_for(test_id).await;
        input.clear().await.expect("clear");
        // Control down, v, then every modifier up (WebDriver's NULL key).
        bounded("paste", input.send_keys("\u{E009}v\u{E000}"))
            .await
            .expect("paste");
        let pasted = self.value(test_id).await;
        self.fill(test_id, &before).await;
        pasted
    }

    /// Clicks the element.
    pub async fn click(&self, test_id: &str) {
        let element = self.wait_for(test_id).await;
        bounded("click", element.click()).await.expect("click");
    }

    /// Whether the element is on screen now (no waiting).
    pub async fn has(&self, test_id: &str) -> bool {
        let css = format!("[data-testid=\"{test_id}\"]");
        self.client().find(Locator::Css(&css)).await.is_ok()
    }

    /// How many elements with `data-testid` are on screen now (no waiting).
    pub async fn count(&self, test_id: &str) -> usize {
        let css = format!("[data-testid=\"{test_id}\"]");
        self.client()
            .find_all(Locator::Css(&css))
            .await
            .map_or(0, |all| all.len())
    }

    /// Saves a PNG of the page in `tests/artifacts/` and returns its path.
    pub async fn screenshot(&self, file: &str) -> PathBuf {
        let png = self.png().await;
        let path = artifacts_dir().join(file);
        fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Runs `script` in the page; what it returns.
    pub async fn execute(&self, script: &str) -> serde_json::Value {
        bounded("script", self.client().execute(script, vec![]))
            .await
            .expect("run a script in the page")
    }

    /// Resizes the window (its inner size is what the page lays out in).
    pub async fn set_size(&self, width: u32, height: u32) {
        bounded("resize", self.client().set_window_size(width, height))
            .await
            .expect("resize the window");
    }

    /// An input's current value.
    pub async fn value(&self, test_id: &str) -> String {
        self.wait_for(test_id)
            .await
            .prop("value")
            .await
            .expect("the value")
            .unwrap_or_default()
    }

    /// The element's text content, shown or not (e.g. inside closed details).
    pub async fn content(&self, test_id: &str) -> String {
        self.wait_for(test_id)
            .await
            .prop("textContent")
            .await
            .expect("the text content")
            .unwrap_or_default()
    }

    /// Waits until the element's text content (shown or not) is `expected`.
    pub async fn wait_for_content(&self, test_id: &str, expected: &str) {
        let deadline = Instant::now() + SCREEN_TIMEOUT;
        loop {
            let text = self.content(test_id).await;
            if text.trim() == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "[data-testid={test_id}] holds {text:?}, not {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a PNG of the page at `path`.
    pub async fn screenshot_to(&self, path: &std::path::Path) {
        let png = self.png().await;
        fs::write(path, png).expect("write the screenshot");
    }

    /// The page as a PNG, taken while [`REPAINT_START`] keeps it painting.
    async fn png(&self) -> Vec<u8> {
        self.execute(REPAINT_START).await;
        let png = bounded("screenshot", self.client().screenshot())
            .await
            .expect("screenshot");
        self.execute(REPAINT_STOP).await;
        png
    }

    /// Ends the session (closing the app) before the driver is killed.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

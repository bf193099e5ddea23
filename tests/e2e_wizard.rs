//! End to end through the real window: all five steps for an `api` token against the GitLab
//! simulator, leaving and returning to steps, the window at its minimum size (nothing outside
//! the viewport, no sideways scroll), a restart that resumes where the admin was (the token
//! from the system keychain), and the system's dark setting. Saves a screenshot of every step,
//! light and dark, in `docs/screenshots/`.
//!
//! Run under a display and a D-Bus session with an unlocked keyring, as `tests/e2e_window.rs`
//! says (`cargo xtask test -- e2e_wizard` does it all).
#![cfg(target_os = "linux")]

mod e2e;

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

use e2e::{ForgetInstance, Window};
use gitlab_onboard::GitLabUrl;
use gitlab_onboard::keychain::Keychain;
use gitlab_sim::{Simulator, World, tokens};

/// The window's minimum size (tauri.conf.json).
const MIN: (u32, u32) = (900, 600);

/// Where the screenshots go: `docs/screenshots/` (the README's pictures) with `UPDATE_SCREENSHOTS=1`,
/// else `tests/artifacts/screenshots/`, so a test run leaves the tree as it was.
fn screenshots() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        root.join("docs/screenshots")
    } else {
        root.join("tests/artifacts/screenshots")
    };
    std::fs::create_dir_all(&dir).expect("create the screenshot folder");
    dir
}

/// What lies outside the viewport sideways, or scrolls sideways, on the screen shown (empty
/// when all fits); also whether the step list is where it belongs.
const OVERFLOW: &str = r#"
const vw = document.documentElement.clientWidth;
const vh = document.documentElement.clientHeight;
const bad = [];
if (document.documentElement.scrollWidth > vw + 1) bad.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + vw);
const main = document.querySelector('main');
if (main.scrollWidth > main.clientWidth + 1) bad.push('the main area scrolls sideways: ' + main.scrollWidth + ' > ' + main.clientWidth);
for (const e of document.querySelectorAll('aside *, main *')) {
  if (e.closest('[hidden], details:not([open]) > :not(summary), option')) continue;
  const r = e.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  if (r.right > vw + 1 || r.left < -1) {
    bad.push(e.tagName.toLowerCase() + '.' + String(e.className).trim().replace(/\s+/g, '.') + ' at ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
}
for (const c of document.querySelectorAll('main button, main input, main select, main a, aside button')) {
  if (c.closest('[hidden], details:not([open])')) continue;
  const r = c.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;
  for (let p = c.parentElement; p && p !== document.body; p = p.parentElement) {
    const st = getComputedStyle(p);
    if (st.overflowX !== 'hidden' && st.overflowX !== 'clip') continue;
    const q = p.getBoundingClientRect();
    if (r.right > q.right + 1 || r.left < q.left - 1) {
      bad.push('cut off: ' + c.tagName.toLowerCase() + ' ' + (c.dataset.testid || c.textContent.trim().slice(0, 30)));
      break;
    }
  }
}
const side = document.querySelector('aside').getBoundingClientRect();
if (side.top < -1 || side.left < -1 || side.bottom > vh + 1) bad.push('the step list moved: ' + JSON.stringify(side));
return bad.slice(0, 12);
"#;

/// Checks the screen on show fits the window sideways, and saves its screenshot.
async fn check_and_shoot(window: &Window, name: &str) {
    // Let layout and transitions settle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bad = window.execute(OVERFLOW).await;
    assert_eq!(bad, serde_json::json!([]), "{name}: outside the viewport");
    window
        .screenshot_to(&screenshots().join(format!("{name}.png")))
        .await;
}

/// Waits until the element with `data-testid` holds text containing `part`.
async fn wait_for_part(window: &Window, test_id: &str, part: &str) -> String {
    for _ in 0..300 {
        let text = window.content(test_id).await;
        if text.contains(part) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "[data-testid={test_id}] never contained {part:?}: {:?}",
        window.content(test_id).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
async fn e2e_wizard_api_token_walks_all_five_steps_and_resumes_after_a_restart() {
    let sim = Simulator::start(World::demo())
        .await
        .expect("start the simulator");
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let keychain = Keychain::system().expect("a Secret Service (see tests/e2e_window.rs)");
    let _forget = ForgetInstance(keychain.clone(), url.clone());
    let data = tempfile::tempdir().unwrap();
    let csv = data.path().join("user-mapping.csv");
    let env: Vec<(&str, &OsStr)> = vec![
        ("GITLAB_ONBOARD_DATA_DIR", data.path().as_os_str()),
        ("GITLAB_ONBOARD_TEST_SAVE_FILE", csv.as_os_str()),
    ];

    // Light, at the minimum size.
    let window = Window::open_with("wizard-light", &env).await;
    window.set_size(MIN.0, MIN.1).await;
    let inner = window
        .execute("return [window.innerWidth, window.innerHeight, matchMedia('(prefers-color-scheme: dark)').matches];")
        .await;
    println!("window inside: {inner}");
    assert!(inner[0].as_u64().unwrap() <= u64::from(MIN.0), "{inner}");
    assert_eq!(inner[2], false, "light by default");
    window.fill("gitlab-url", &sim.url()).await;
    check_and_shoot(&window, "1-token-light").await;
    window.fill("token", tokens::API).await;
    window.click("continue").await;

    window.wait_for("report").await;
    let focused = window.execute("return document.activeElement.id;").await;
    assert_eq!(
        focused, "scopes-title",
        "a new screen has focus on its heading"
    );
    check_and_shoot(&window, "2-scopes-light").await;

    window.click("continue-webhooks").await;
    window
        .fill("event-url", "https://crawler.example.com/gitlab/events")
        .await;
    window.click("generate-secret").await;
    window.click("secret-done").await;
    window.click("apply").await;
    let applied = wait_for_part(&window, "run-summary", "Created").await;
    println!("apply: {applied}");
    check_and_shoot(&window, "3-webhooks-light").await;
    // Leave and return: the step keeps its fields and its result.
    window.click("step-scopes").await;
    window.wait_for("report").await;
    window.click("step-webhooks").await;
    assert_eq!(
        window.value("event-url").await,
        "https://crawler.example.com/gitlab/events"
    );
    assert!(window.content("run-summary").await.contains("Created"));
    window.click("continue-mapping").await;

    window.fill("email-domain", "corp.example").await;
    window.click("build").await;
    window.wait_for("save-panel").await;
    window.click("step-webhooks").await;
    window.click("step-mapping").await;
    assert_eq!(window.value("email-domain").await, "corp.example");
    window.click("save").await;
    wait_for_part(&window, "saved", "user-mapping.csv").await;
    assert!(csv.is_file(), "the CSV was written");
    check_and_shoot(&window, "4-mapping-light").await;
    window.click("continue-summary").await;

    let hooks = wait_for_part(&window, "summary-hooks-line", "Apply ran on").await;
    println!("summary: {hooks}");
    assert!(
        window
            .content("summary-csv")
            .await
            .contains("user-mapping.csv")
    );
    check_and_shoot(&window, "5-summary-light").await;
    // The kept state is written once typing pauses.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    window.close().await;

    // Opened again, with the system set to dark: the apply finished the onboarding, so the app
    // opens on Health (not on a step); the Summary is one click away as it was left, signed in
    // with the token from the keychain; every step shot in dark.
    let mut dark_env = env.clone();
    dark_env.push(("GTK_THEME", OsStr::new("Adwaita:dark")));
    let window = Window::open_at("wizard-dark", &dark_env, "health").await;
    window.set_size(MIN.0, MIN.1).await;
    assert!(!window.has("token").await, "no Token step on reopening");
    window.wait_for("health-webhooks").await;
    check_and_shoot(&window, "0-health-dark").await;
    open_step(&window, "step-summary", "summary").await;
    let dark = window
        .execute("return matchMedia('(prefers-color-scheme: dark)').matches;")
        .await;
    assert_eq!(dark, true, "WebKit follows GTK_THEME=Adwaita:dark");
    assert!(window.content("connection").await.contains(&sim.url()));
    assert!(
        window
            .content("summary-hooks-line")
            .await
            .contains("Apply ran on")
    );
    check_and_shoot(&window, "5-summary-dark").await;
    window.click("step-token").await;
    window.wait_for("token").await;
    check_and_shoot(&window, "1-token-dark").await;
    window.click("step-scopes").await;
    window.wait_for("report").await;
    check_and_shoot(&window, "2-scopes-dark").await;
    window.click("step-webhooks").await;
    assert_eq!(
        window.value("event-url").await,
        "https://crawler.example.com/gitlab/events"
    );
    check_and_shoot(&window, "3-webhooks-dark").await;
    window.click("step-mapping").await;
    assert_eq!(window.value("email-domain").await, "corp.example");
    check_and_shoot(&window, "4-mapping-dark").await;
    window.close().await;

    // At 200% zoom (the window's 900×600 is then 450×300 CSS pixels): every screen still fits.
    let mut zoom_env = env.clone();
    zoom_env.push(("GITLAB_ONBOARD_TEST_ZOOM", OsStr::new("2")));
    // Onboarded: the app reopens on Health; the dark pass left the wizard on the User mapping
    // step, which opens as it was left.
    let window = Window::open_at("wizard-zoom", &zoom_env, "health").await;
    window.set_size(MIN.0, MIN.1).await;
    let inner = window.execute("return window.innerWidth;").await;
    println!("inner width at 200%: {inner}");
    assert!(inner.as_u64().unwrap() <= 460, "the zoom took: {inner}");
    window.wait_for("health-webhooks").await;
    fits(&window, "zoom-health").await;
    open_step(&window, "step-mapping", "build").await;
    fits(&window, "zoom-mapping").await;
    for (step, shown) in [
        ("step-summary", "summary"),
        ("step-token", "token"),
        ("step-scopes", "report"),
        ("step-webhooks", "event-url"),
    ] {
        // WebDriver's pointer misses at page zoom: a click from the page itself.
        window
            .execute(&format!(
                "document.querySelector('[data-testid={step}]').click(); return null;"
            ))
            .await;
        window.wait_for(shown).await;
        fits(&window, &format!("zoom-{step}")).await;
    }
    window.close().await;
}

/// Opens a step from the list once it can be opened (on reopening, the steps after Scopes wait
/// for GitLab's report, fetched behind Health), with a click from the page itself (WebDriver's
/// pointer misses at page zoom).
async fn open_step(window: &Window, step: &str, shown: &str) {
    let script = format!(
        "const b = document.querySelector('[data-testid={step}]'); if (!b || b.disabled) return false; b.click(); return true;"
    );
    for _ in 0..300 {
        if window.execute(&script).await == serde_json::json!(true) {
            window.wait_for(shown).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("[data-testid={step}] never became clickable");
}

/// Checks the screen on show fits the window sideways; its screenshot goes to
/// `tests/artifacts/` only.
async fn fits(window: &Window, name: &str) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let bad = window.execute(OVERFLOW).await;
    assert_eq!(bad, serde_json::json!([]), "{name}: outside the viewport");
    window.screenshot(&format!("{name}.png")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, tauri-driver and the built app; cargo xtask test runs it"]
async fn e2e_wizard_read_only_token_walks_all_five_steps_by_hand_and_resumes() {
    let sim = Simulator::start(World::demo())
        .await
        .expect("start the simulator");
    let url = GitLabUrl::parse(&sim.url()).unwrap();
    let keychain = Keychain::system().expect("a Secret Service (see tests/e2e_window.rs)");
    let _forget = ForgetInstance(keychain.clone(), url.clone());

    let data = tempfile::tempdir().expect("a data directory");
    let env = [("GITLAB_ONBOARD_DATA_DIR", data.path().as_os_str())];
    let window = Window::open_with("wizard-read-only", &env).await;
    window.set_size(MIN.0, MIN.1).await;
    window.fill("gitlab-url", &sim.url()).await;
    window.fill("token", tokens::READ_ONLY).await;
    window.click("continue").await;
    let mode = window.wait_for("mode").await;
    assert_eq!(
        mode.attr("data-mode").await.unwrap().as_deref(),
        Some("manual")
    );
    fits(&window, "read-only-scopes").await;

    window.click("continue-webhooks").await;
    window
        .fill("event-url", "https://crawler.example.com/gitlab/events")
        .await;
    assert!(
        !window.has("apply").await,
        "a read-only token offers no Apply"
    );
    window.click("plan").await;
    window.wait_for("manual-instructions").await;
    fits(&window, "read-only-webhooks").await;
    // Moving on from the instructions marks the step done (nothing is left to automation).
    window.click("continue-mapping").await;
    window.wait_for("build").await;
    let done = window
        .execute("return [...document.querySelectorAll('nav li.done button')].map((b) => b.dataset.testid);")
        .await;
    assert!(
        done.as_array()
            .unwrap()
            .iter()
            .any(|d| d == "step-webhooks"),
        "{done}"
    );
    // Leave and return.
    window.fill("email-domain", "corp.example").await;
    window.click("step-scopes").await;
    window.wait_for("report").await;
    window.click("step-mapping").await;
    assert_eq!(window.value("email-domain").await, "corp.example");
    fits(&window, "read-only-mapping").await;

    window.click("continue-summary").await;
    let hooks = wait_for_part(&window, "summary-hooks-line", "Nothing was written yet").await;
    println!("read-only summary: {hooks}");
    assert!(window.has("summary-export-instructions").await);
    fits(&window, "read-only-summary").await;
    // The kept state is written once typing pauses.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    window.close().await;

    // Opened again: nothing was applied, so no Health; the wizard resumes on the Summary,
    // signed in with the keychain's token, every step as it was left.
    let window = Window::open_at("wizard-read-only-again", &env, "summary").await;
    window.set_size(MIN.0, MIN.1).await;
    assert!(!window.has("health").await, "no onboarding, no Health");
    assert!(window.content("connection").await.contains(&sim.url()));
    wait_for_part(&window, "summary-hooks-line", "Nothing was written yet").await;
    open_step(&window, "step-mapping", "build").await;
    assert_eq!(window.value("email-domain").await, "corp.example");
    window.close().await;
}

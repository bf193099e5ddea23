//! The window's look in the real app: it follows the system's light or dark setting.
//! Run as `tests/e2e_window.rs` says (under a display, one test at a time).
#![cfg(target_os = "linux")]

mod e2e;

use std::ffi::OsStr;

use e2e::Window;

#[tokio::test]
#[ignore = "needs a display, tauri-driver and the built app: cargo xtask test runs it"]
async fn the_window_follows_the_systems_dark_setting() {
    let light = Window::open("look-light").await;
    assert!(
        !light.prefers_dark().await,
        "a light system theme shows a light page"
    );
    light.close().await;
    let dark = Window::open_with("look-dark", &[("GTK_THEME", OsStr::new("Adwaita:dark"))]).await;
    assert!(
        dark.prefers_dark().await,
        "a dark system theme shows a dark page"
    );
    dark.close().await;
}

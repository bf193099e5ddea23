//! Text to the system clipboard, from Rust: the window's copy buttons, and the secrets the
//! window never sees (the webhook secret, the token).
//!
//! On Linux through GTK's own clipboard, which the window already runs on, rather than a
//! plugin that brings an image codec and a second X11/Wayland clipboard stack for text alone
//! (43 crates of the package's build). GTK's clipboard lives on the main thread, so the
//! text is handed to it there; the app owns the clipboard until something else is copied or
//! it quits. Nothing asks a clipboard manager to keep the text after that: a token should not
//! outlive the app in a clipboard history.

use gitlab_onboard::Secret;
use tauri::{AppHandle, Runtime};

use crate::error::CommandError;

/// The most text the window may put on the clipboard (a link, instructions for one project).
pub const MAX_TEXT: usize = 64 << 10;

/// Puts a secret from the keychain on the clipboard, never through the window.
pub fn write_secret<R: Runtime>(app: &AppHandle<R>, secret: &Secret) -> Result<(), CommandError> {
    write_text(app, secret.expose().to_owned())
}

/// Puts `text` on the clipboard; fails only when the app's event loop is gone (it is closing).
fn write_text<R: Runtime>(app: &AppHandle<R>, text: String) -> Result<(), CommandError> {
    app.run_on_main_thread(move || set(&text))
        .map_err(|_| closing())
}

#[cfg(target_os = "linux")]
fn set(text: &str) {
    gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD).set_text(text);
}

#[cfg(not(target_os = "linux"))]
fn set(text: &str) {
    // Elsewhere the system clipboard needs no event loop of GTK's: arboard, text only.
    if let Ok(mut clipboard) = arboard::Clipboard::new() {
        let _ = clipboard.set_text(text);
    }
}

/// Puts text from the window on the clipboard: links and instructions, never a secret from
/// the keychain (those have commands of their own that never send them to the window).
#[tauri::command]
pub fn copy_text<R: Runtime>(app: AppHandle<R>, text: String) -> Result<(), CommandError> {
    if text.len() > MAX_TEXT {
        return Err(CommandError {
            code: "too_long",
            message: format!(
                "That text is too long to copy (more than {} KiB): save it to a file instead.",
                MAX_TEXT >> 10
            ),
        });
    }
    write_text(&app, text)
}

/// The clipboard cannot be reached because the app is closing.
fn closing() -> CommandError {
    CommandError {
        code: "clipboard",
        message: "Nothing was copied: the app is closing. Open it again and copy once more.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_over_the_bound_is_refused_before_the_clipboard() {
        let app = tauri::test::mock_app();
        let err = copy_text(app.handle().clone(), "x".repeat(MAX_TEXT + 1)).unwrap_err();
        assert_eq!(err.code, "too_long");
        assert_eq!(
            err.message,
            "That text is too long to copy (more than 64 KiB): save it to a file instead."
        );
    }
}

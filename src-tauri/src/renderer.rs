//! WebKitGTK's renderer, chosen before the window exists (Linux only).
//!
//! By default WebKitGTK composites the page on the GPU and hands frames to the window as
//! DMA-BUFs. For a wizard of forms and tables that costs more than it brings: the app's
//! process starts GL twice before the first frame (GTK checks GLX for its visuals, WebKit
//! starts EGL to find the GPU's render node for its web process), and with no GPU (a VM,
//! Xvfb) that means Mesa's software GL with LLVM, 44 MiB, in the app's process. So unless the
//! environment chose WebKit's renderer, the app picks WebKit's shared-memory one
//! (`WEBKIT_DISABLE_DMABUF_RENDERER=1`: the web process paints on the CPU and the window
//! shows its frames without GL, which also cures the blank window of some GPU drivers), and
//! then needs GL in neither place: `GDK_GL=disable` spares GTK's check, and naming the render
//! node (`WEBKIT_WEB_RENDER_DEVICE_FILE`, the first GPU's, which the shared-memory renderer
//! never opens) spares WebKit's search for it. Under Xvfb (`cargo xtask bench-dist`) this
//! brings cold start to first paint from about 560 ms to 370 ms, the app's process from 152
//! to 94 MiB and WebKit's two from 313 to 233 MiB. Each variable the environment already
//! names keeps its value.
//!
//! A browser the app starts (`open_in_browser`) inherits these variables: they only matter
//! to a WebKitGTK browser (which then uses the shared-memory renderer too) or a GTK one that
//! draws with GTK's own GL, and only when it was not running yet.

use std::ffi::OsString;

/// WebKitGTK's switch from its GPU (DMA-BUF) renderer to its shared-memory one.
pub const DMABUF_RENDERER_ENV: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// What the app sets with the shared-memory renderer, each variable unless the environment
/// names it: the renderer, the render node WebKit would otherwise search with EGL, and GTK
/// without GL.
const SETTINGS: [(&str, &str); 3] = [
    (DMABUF_RENDERER_ENV, "1"),
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD128"),
    ("GDK_GL", "disable"),
];

/// The variables to set, given how to read the environment: none when it already chose
/// WebKit's renderer (whichever it chose, GL stays as it was), else those of [`SETTINGS`]
/// it does not name.
fn settings(current: impl Fn(&str) -> Option<OsString>) -> Vec<(&'static str, &'static str)> {
    if current(DMABUF_RENDERER_ENV).is_some() {
        return Vec::new();
    }
    SETTINGS
        .into_iter()
        .filter(|(name, _)| current(name).is_none())
        .collect()
}

/// Picks WebKit's shared-memory renderer, and no GL in the app's process, unless the
/// environment already chose the renderer.
///
/// # Safety
///
/// Changes the process's environment: call it first thing in `main`, while no other thread
/// exists (none may read the environment at the same time).
pub unsafe fn use_shared_memory_unless_set() {
    for (name, value) in settings(|name| std::env::var_os(name)) {
        // SAFETY: the caller guarantees the process has a single thread.
        unsafe { std::env::set_var(name, value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.into())
    }

    #[test]
    fn with_nothing_chosen_the_shared_memory_renderer_and_no_gl_are_set() {
        assert_eq!(
            settings(env(&[])),
            vec![
                ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
                ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD128"),
                ("GDK_GL", "disable"),
            ]
        );
    }

    #[test]
    fn a_renderer_chosen_in_the_environment_is_kept_and_gl_left_alone() {
        for chosen in ["0", "1", ""] {
            assert_eq!(
                settings(env(&[(DMABUF_RENDERER_ENV, chosen)])),
                vec![],
                "{chosen:?}"
            );
        }
    }

    #[test]
    fn a_variable_the_environment_names_keeps_its_value() {
        assert_eq!(
            settings(env(&[
                ("GDK_GL", "always"),
                ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/renderD129"),
            ])),
            vec![(DMABUF_RENDERER_ENV, "1")]
        );
    }
}

//! WebKitGTK's renderer, chosen before the window exists (Linux only).
//!
//! By default WebKitGTK composites the page on the GPU and hands frames to the window as
//! DMA-BUFs. For a wizard of forms and tables that costs more than it brings: with no GPU
//! (a VM, Xvfb) it runs Mesa's software GL (LLVM compiled into the app's process), and even
//! with one it sets up a GL context before the first frame. WebKit's shared-memory renderer
//! (`WEBKIT_DISABLE_DMABUF_RENDERER=1`) paints on the CPU straight into the window: measured
//! by `cargo xtask bench-dist` under Xvfb it brings cold start to first paint from about
//! 560 ms to 380 ms, the app's process from 152 to 145 MiB and WebKit's two from 313 to
//! 233 MiB. It is also the usual cure for a blank window on some GPU drivers. An admin who
//! set the variable (to anything) keeps their choice.

/// WebKitGTK's switch from its GPU (DMA-BUF) renderer to its shared-memory one.
pub const DMABUF_RENDERER_ENV: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// The value [`DMABUF_RENDERER_ENV`] gets when the environment does not name it.
const SHARED_MEMORY: &str = "1";

/// What to set before WebKit starts, given the variable's current value: nothing when the
/// environment already names it.
fn setting(current: Option<&std::ffi::OsStr>) -> Option<(&'static str, &'static str)> {
    current
        .is_none()
        .then_some((DMABUF_RENDERER_ENV, SHARED_MEMORY))
}

/// Picks WebKit's shared-memory renderer unless the environment already chose.
///
/// # Safety
///
/// Changes the process's environment: call it first thing in `main`, while no other thread
/// exists (none may read the environment at the same time).
pub unsafe fn use_shared_memory_unless_set() {
    if let Some((name, value)) = setting(std::env::var_os(DMABUF_RENDERER_ENV).as_deref()) {
        // SAFETY: the caller guarantees the process has a single thread.
        unsafe { std::env::set_var(name, value) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shared_memory_renderer_is_set_only_when_the_environment_does_not_name_one() {
        assert_eq!(setting(None), Some((DMABUF_RENDERER_ENV, "1")));
        for chosen in ["0", "1", ""] {
            assert_eq!(setting(Some(chosen.as_ref())), None, "{chosen:?}");
        }
    }
}

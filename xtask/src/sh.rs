//! Running commands from the repository root, with their output passed through.

use std::path::PathBuf;
use std::process::{Command, ExitStatus};

/// The repository root (the workspace's directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command in the root; fails with the command line if it does not exit 0.
pub fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let status = status(program, args, env)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Runs a command in the root and returns how it ended.
pub fn status(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<ExitStatus, String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run {program}: {e}"))
}

/// What a command prints when it exits 0.
pub fn output(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`{program} {}` failed ({})",
            args.join(" "),
            out.status
        ));
    }
    String::from_utf8(out.stdout).map_err(|_| format!("`{program}` printed no text"))
}

/// True when a command runs and exits 0 (output discarded).
pub fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Lets Ctrl-C (and a closed terminal) reach the app while xtask waits to stop what it started:
/// xtask catches SIGINT and SIGHUP with a handler that does nothing. A caught signal, unlike an
/// ignored one, is reset to its default in the programs xtask starts, so the app still stops.
pub fn outlive_interrupts() {
    extern "C" fn nothing(_: i32) {}
    unsafe extern "C" {
        fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    }
    const SIGHUP: i32 = 1;
    const SIGINT: i32 = 2;
    // SAFETY: `signal` is async-signal-safe to install; the handler touches nothing.
    unsafe {
        signal(SIGINT, nothing);
        signal(SIGHUP, nothing);
    }
}

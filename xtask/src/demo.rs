//! `cargo xtask run --demo`: the wizard against the simulator, with a keychain, an upload target
//! and a data directory of its own, all started here and gone when the window closes.

use std::ffi::OsStr;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::services::{self, Services};

/// The bucket the demo's GCS emulator starts with.
pub const BUCKET: &str = "crawler";
/// The object the demo's signed URL writes.
pub const OBJECT: &str = "gitlab/users.csv";
/// How long the demo's signed URL is valid (V4's longest, seven days).
const SIGNED_URL_LIFETIME_SECS: u64 = 604_800;

/// Why the window cannot open here, checked before anything is installed or built; `None`
/// when a display is set.
pub fn no_display(display: Option<&OsStr>, wayland: Option<&OsStr>) -> Option<String> {
    let set = |v: Option<&OsStr>| v.is_some_and(|v| !v.is_empty());
    if set(display) || set(wayland) {
        return None;
    }
    Some(
        "no display (DISPLAY and WAYLAND_DISPLAY are unset), so the window cannot open: run \
         this from a desktop session, or `xvfb-run -a cargo xtask run --demo` to check that it \
         starts; nothing was built"
            .into(),
    )
}

/// The environment the app runs in for the demo: the private bus with its own keychain
/// (`bus`, from [`Services::env`]), a fresh data directory, and the emulator as the upload
/// target (allowed as the storage endpoint, and the signed URL the upload starts with).
pub fn app_env(
    bus: &[(String, String)],
    data_dir: &Path,
    storage_url: &str,
    signed_url: &str,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = bus.to_vec();
    env.extend([
        (
            "GITLAB_ONBOARD_DATA_DIR".to_owned(),
            data_dir.display().to_string(),
        ),
        (
            "GITLAB_ONBOARD_STORAGE_URL".to_owned(),
            storage_url.to_owned(),
        ),
        (
            "GITLAB_ONBOARD_SIGNED_URL".to_owned(),
            signed_url.to_owned(),
        ),
    ]);
    env
}

/// A V4-shaped signed URL for `object` in `bucket` at the emulator, dated `now` (seconds since
/// the epoch). The emulator checks no signature, so the signature is a placeholder.
pub fn signed_url(storage_url: &str, bucket: &str, object: &str, now: u64) -> String {
    format!(
        "{storage_url}/{bucket}/{object}?X-Goog-Algorithm=GOOG4-RSA-SHA256\
         &X-Goog-Credential=demo%40crawler.iam.gserviceaccount.com%2F{day}%2Fauto%2Fstorage%2Fgoog4_request\
         &X-Goog-Date={stamp}&X-Goog-Expires={SIGNED_URL_LIFETIME_SECS}&X-Goog-SignedHeaders=host\
         &X-Goog-Signature=00ff00ff",
        day = &utc_stamp(now)[..8],
        stamp = utc_stamp(now),
    )
}

/// `YYYYMMDDTHHMMSSZ` for `secs` since the epoch (UTC).
fn utc_stamp(secs: u64) -> String {
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Runs the built app in demo mode with a private keychain, the GCS emulator and a temporary
/// data directory; stops them and removes the directory when the window closes (or Ctrl-C).
pub fn launch(app: &Path, python: &str, args: &[&str]) -> Result<(), String> {
    let mut services = Services::keychain_only()?;
    let storage = services.start_storage(python, BUCKET)?;
    let data = services.scratch().join("data");
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    services::set_private(&data);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let env = app_env(
        &services.env(),
        &data,
        &storage,
        &signed_url(&storage, BUCKET, OBJECT, now),
    );
    eprintln!(
        "xtask: demo: the token goes to a keychain of its own (a private Secret Service, \
         discarded at exit); files go to {} (removed at exit); Upload writes to bucket \
         `{BUCKET}` of the GCS emulator at {storage}",
        data.display()
    );
    crate::sh::outlive_interrupts();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let ended = crate::sh::status(app.to_str().ok_or("non-UTF-8 path")?, args, &env_ref);
    drop(services);
    let status = ended?;
    // Closing the window, or Ctrl-C in this terminal, is how a demo ends.
    if status.success() || status.signal() == Some(SIGINT) {
        eprintln!("xtask: demo over: its keychain, emulator and data directory are gone");
        Ok(())
    } else {
        Err(format!("the app ended with {status}"))
    }
}

/// Ctrl-C.
const SIGINT: i32 = 2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_display_is_said_only_when_neither_is_set() {
        let none = no_display(None, None).expect("no display");
        assert!(none.contains("DISPLAY"), "{none}");
        assert!(no_display(Some(OsStr::new("")), Some(OsStr::new(""))).is_some());
        assert_eq!(no_display(Some(OsStr::new(":0")), None), None);
        assert_eq!(no_display(None, Some(OsStr::new("wayland-0"))), None);
    }

    #[test]
    fn the_app_gets_the_private_bus_a_temporary_data_dir_and_the_emulator() {
        let bus = vec![(
            "DBUS_SESSION_BUS_ADDRESS".to_owned(),
            "unix:path=/tmp/gitlab-onboard-demo-1/bus".to_owned(),
        )];
        let data = Path::new("/tmp/gitlab-onboard-demo-1/data");
        let storage = "http://127.0.0.1:4443";
        let url = signed_url(storage, BUCKET, OBJECT, 1_700_000_000);
        let env = app_env(&bus, data, storage, &url);
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("DBUS_SESSION_BUS_ADDRESS"),
            Some("unix:path=/tmp/gitlab-onboard-demo-1/bus")
        );
        assert_eq!(
            get("GITLAB_ONBOARD_DATA_DIR"),
            Some("/tmp/gitlab-onboard-demo-1/data")
        );
        assert_eq!(get("GITLAB_ONBOARD_STORAGE_URL"), Some(storage));
        assert_eq!(get("GITLAB_ONBOARD_SIGNED_URL"), Some(url.as_str()));
    }

    #[test]
    fn the_signed_url_points_at_the_bucket_and_is_dated_now() {
        let url = signed_url("http://127.0.0.1:4443", "b", "o/x.csv", 1_700_000_000);
        assert!(
            url.starts_with("http://127.0.0.1:4443/b/o/x.csv?X-Goog-Algorithm="),
            "{url}"
        );
        // 1 700 000 000 s after the epoch is 2023-11-14 22:13:20 UTC.
        assert!(url.contains("X-Goog-Date=20231114T221320Z"), "{url}");
        assert!(url.contains("%2F20231114%2F"), "{url}");
        assert!(url.contains("X-Goog-Expires=604800"), "{url}");
    }

    /// Real services: a private bus with gnome-keyring, and the emulator from the `.venv`
    /// (`GITLAB_ONBOARD_PYTHON` overrides it), as `cargo xtask test` provides.
    #[test]
    #[ignore = "needs dbus, gnome-keyring, secret-tool and the .venv; cargo xtask test runs it"]
    fn the_demo_services_answer_and_leave_nothing_behind() {
        let python = std::env::var("GITLAB_ONBOARD_PYTHON").unwrap_or_else(|_| {
            crate::sh::root()
                .join(".venv/bin/python")
                .display()
                .to_string()
        });
        let mut services = Services::keychain_only().unwrap();
        let storage = services.start_storage(&python, BUCKET).unwrap();
        let env = services.env();
        let bus = env
            .iter()
            .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
            .map(|(_, v)| v.clone())
            .unwrap();
        assert_ne!(
            Some(bus.as_str()),
            std::env::var("DBUS_SESSION_BUS_ADDRESS").ok().as_deref(),
            "the demo's bus is its own"
        );
        // The keyring answers on that bus: the readiness probe's secret is there.
        let found = std::process::Command::new("secret-tool")
            .args(["lookup", "service", "gitlab-onboard-probe"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&found.stdout), "probe");
        // The emulator has the bucket.
        let answer = http_get(&storage, &format!("/storage/v1/b/{BUCKET}"));
        assert!(
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
            "{answer}"
        );
        assert!(answer.contains(BUCKET), "{answer}");

        let scratch = services.scratch().to_owned();
        drop(services);
        assert!(!scratch.exists(), "{} is left", scratch.display());
        let gone = std::process::Command::new("secret-tool")
            .args(["lookup", "service", "gitlab-onboard-probe"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
            .output()
            .unwrap();
        assert!(!gone.status.success(), "the demo's bus still answers");
        let port = storage.rsplit(':').next().unwrap();
        assert!(std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_err());
    }

    /// A plain HTTP/1.1 GET on loopback (xtask has no HTTP client): the whole answer.
    fn http_get(base: &str, path: &str) -> String {
        use std::io::{Read, Write};
        let host = base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }

    #[test]
    fn utc_stamps_cross_leap_days_and_years() {
        assert_eq!(utc_stamp(0), "19700101T000000Z");
        assert_eq!(utc_stamp(951_782_400), "20000229T000000Z");
        assert_eq!(utc_stamp(1_767_225_599), "20251231T235959Z");
    }
}

//! The real Google Cloud Storage emulator (`gcp-storage-emulator`, from PyPI) for the tests.
//!
//! The emulator binds port 0 itself and reports the port it got on its first line of output,
//! so no port is chosen here and released for another process to take. It keeps its objects
//! in memory and is killed when the handle is dropped.
//!
//! Python: `$GITLAB_ONBOARD_PYTHON`, else `<workspace>/.venv/bin/python`, with
//! `gcp-storage-emulator` installed (`cargo xtask test` makes that venv).

// Each test crate uses a different part.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The bucket the emulator starts with.
pub const BUCKET: &str = "mappings";

/// How long the emulator may take to start (a cold Python import).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts the emulator's server on 127.0.0.1 port 0 and prints the bound port, then serves
/// until killed.
const LAUNCHER: &str = r#"
import sys, time
from gcp_storage_emulator.server import create_server
server = create_server("127.0.0.1", 0, in_memory=True, default_bucket=sys.argv[1])
server.start()
print(server._api._httpd.server_address[1], flush=True)
while True:
    time.sleep(3600)
"#;

/// The Python that has the emulator.
pub fn python() -> PathBuf {
    std::env::var_os("GITLAB_ONBOARD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

/// A running emulator with the bucket [`BUCKET`].
pub struct Emulator {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Emulator {
    /// Starts the emulator and waits until it listens.
    pub fn start() -> Self {
        let python = python();
        let mut child = Command::new(&python)
            .args(["-c", LAUNCHER, BUCKET])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start gcp-storage-emulator with {} ({e}): run `cargo xtask test`, \
                     which makes the .venv",
                    python.display()
                )
            });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let port: u16 = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line.trim().parse().unwrap_or_else(|_| {
                let _ = child.kill();
                panic!(
                    "gcp-storage-emulator did not report its port (got {line:?}): is it installed \
                     in {}?",
                    python.display()
                )
            }),
            Err(_) => {
                let _ = child.kill();
                panic!("gcp-storage-emulator did not start within {START_TIMEOUT:?}")
            }
        };
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A V4 signed URL for `object`, valid for 15 minutes from now. The emulator checks no
    /// signature, so the signature is a placeholder.
    pub fn signed_url(&self, object: &str) -> String {
        let date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        format!(
            "{}/{BUCKET}/{object}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=crawler%40vendor.iam.gserviceaccount.com%2F20260101%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date={date}&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=00ff00ff",
            self.url
        )
    }

    /// The stored object's bytes, read back through the JSON API.
    pub async fn read(&self, object: &str) -> Vec<u8> {
        let mut url = url::Url::parse(&self.url).expect("the emulator's URL");
        url.path_segments_mut()
            .expect("a base URL")
            .extend(["storage", "v1", "b", BUCKET, "o", object]);
        url.set_query(Some("alt=media"));
        gitlab_onboard::tls::install_crypto();
        let response = reqwest::get(url.clone())
            .await
            .expect("the emulator answers");
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.expect("the object").to_vec()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

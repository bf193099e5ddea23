//! The GCS upload against real parts: `gcp-storage-emulator` (PyPI) on loopback for both ways
//! of uploading, reading the object back; a token endpoint here that verifies the JWT's RS256
//! signature and claims; and a small GCS stand-in for what the emulator cannot show (it checks
//! no signature or token): GCS's XML error bodies, reported hashes, a wrong stored checksum.
//!
//! Python: `$GITLAB_ONBOARD_PYTHON`, else `<workspace>/.venv/bin/python`, with
//! `gcp-storage-emulator` installed (`cargo xtask test` makes that venv).

mod common;
mod gcs;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gcs::{BUCKET, Emulator};
use gitlab_onboard::upload::{
    self, Destination, SCOPE, ServiceAccountKey, ServiceAccountUpload, SignedUrl, UploadError,
};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

const EMAIL: &str = "uploader@test-project.iam.gserviceaccount.com";
const ACCESS_TOKEN: &str = "ya29.test-access-token";
const KEY: &str = include_str!("fixtures/upload/throwaway-test-key.pem");
const PUBLIC: &str = include_str!("fixtures/upload/throwaway-test-key.pub.pem");
const OTHER_KEY: &str = include_str!("fixtures/upload/throwaway-other-key.pem");
/// The one-line CSV whose MD5 and CRC32C GCS reports as below.
const ROW: &[u8] = b"12345,a@x.com\n";
const ROW_MD5: &str = "XuB8t7VY28+HXEBGLVx01g==";
const ROW_CRC32C: &str = "kdZwFA==";

// ---------------------------------------------------------------------------------------------
// The token endpoint and the GCS stand-in, one local server.

/// What the local server saw.
#[derive(Default)]
struct Seen {
    /// `METHOD path?query` of every request.
    requests: Vec<String>,
    /// Assertions whose signature and claims were right.
    good_assertions: usize,
    /// Why other assertions were refused.
    refused_assertions: Vec<String>,
}

#[derive(Clone)]
struct Stand {
    url: String,
    seen: Arc<Mutex<Seen>>,
}

impl Stand {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stand = Self {
            url,
            seen: Arc::default(),
        };
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(stand.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        stand
    }

    fn token_uri(&self) -> String {
        format!("{}/token", self.url)
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().requests.clone()
    }
}

async fn answer(
    axum::extract::State(stand): axum::extract::State<Stand>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    stand
        .seen
        .lock()
        .unwrap()
        .requests
        .push(format!("{method} {uri}"));
    let path = uri.path();
    let bearer_ok = headers
        .get("authorization")
        .is_some_and(|v| v == format!("Bearer {ACCESS_TOKEN}").as_str());
    let xml = |status: StatusCode, code: &str, message: &str| {
        let body = format!(
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
        );
        (status, [("content-type", "application/xml")], body).into_response()
    };
    match (method.as_str(), path.split('/').nth(1).unwrap_or_default()) {
        ("POST", "token") => token(&stand, &body),
        ("PUT", "expired") => xml(
            StatusCode::BAD_REQUEST,
            "ExpiredToken",
            "The provided token has expired.",
        ),
        ("PUT", "denied") => xml(StatusCode::FORBIDDEN, "AccessDenied", "Access denied."),
        ("PUT", "forged") => xml(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "Access denied.",
        ),
        ("PUT", "hashes") => {
            // As GCS answers an XML PUT: the stored object's hashes and length.
            let md5 = md5_base64(&body);
            let crc = crc32c_base64(&body);
            let headers = [
                ("x-goog-hash", format!("crc32c={crc},md5={md5}")),
                ("x-goog-stored-content-length", body.len().to_string()),
            ];
            (StatusCode::OK, headers).into_response()
        }
        ("PUT", "corrupted") => {
            let headers = [(
                "x-goog-hash",
                format!("crc32c={ROW_CRC32C},md5=AAAAAAAAAAAAAAAAAAAAAA=="),
            )];
            (StatusCode::OK, headers).into_response()
        }
        ("POST", "upload") if !bearer_ok => (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": 401, "message": "Invalid Credentials"}})),
        )
            .into_response(),
        // A JSON-API upload answered with a wrong MD5: the client must delete that generation.
        ("POST", "upload") => axum::Json(json!({
            "name": "users.csv", "bucket": BUCKET, "generation": "42", "size": "14",
            "md5Hash": "AAAAAAAAAAAAAAAAAAAAAA==", "crc32c": ROW_CRC32C,
        }))
        .into_response(),
        ("DELETE", "storage") if bearer_ok => StatusCode::NO_CONTENT.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The OAuth2 token endpoint: verifies the JWT-bearer assertion's RS256 signature with the
/// test key's public half, then its claims, as Google's endpoint does.
fn token(stand: &Stand, body: &[u8]) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let checked = (|| -> Result<(), String> {
        if field("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
            return Err(format!("grant_type {}", field("grant_type")));
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[stand.token_uri()]);
        validation.set_issuer(&[EMAIL]);
        validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
        let key = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        let data = jsonwebtoken::decode::<Value>(field("assertion"), &key, &validation)
            .map_err(|e| e.to_string())?;
        let claims = &data.claims;
        let iat = claims["iat"].as_i64().ok_or("no iat")?;
        let exp = claims["exp"].as_i64().ok_or("no exp")?;
        let now = chrono::Utc::now().timestamp();
        if (iat - now).abs() > 300 || exp <= iat || exp - iat > 3600 {
            return Err(format!("iat {iat} exp {exp} now {now}"));
        }
        if claims["scope"] != SCOPE {
            return Err(format!("scope {}", claims["scope"]));
        }
        if data.header.kid.as_deref() != Some("test-kid") {
            return Err(format!("kid {:?}", data.header.kid));
        }
        Ok(())
    })();
    let mut seen = stand.seen.lock().unwrap();
    match checked {
        Ok(()) => {
            seen.good_assertions += 1;
            axum::Json(
                json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}),
            )
            .into_response()
        }
        Err(why) => {
            seen.refused_assertions.push(why.clone());
            (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant", "error_description": format!("Invalid JWT: {why}")})),
            )
                .into_response()
        }
    }
}

fn md5_base64(bytes: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes))
}

fn crc32c_base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(crc32c::crc32c(bytes).to_be_bytes())
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/// A V4 signed URL for `base/path`, dated `age` ago, valid for `expires` seconds. Nothing here
/// checks the signature (the emulator ignores it), so it is a placeholder.
fn signed_url(base: &str, path: &str, age: chrono::Duration, expires: i64) -> String {
    let date = (chrono::Utc::now() - age).format("%Y%m%dT%H%M%SZ");
    format!(
        "{base}/{path}?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=crawler%40vendor.iam.gserviceaccount.com%2F20260101%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date={date}&X-Goog-Expires={expires}&X-Goog-SignedHeaders=host&X-Goog-Signature=00ff00ff"
    )
}

fn fresh(base: &str, path: &str) -> Destination {
    Destination::SignedUrl(
        SignedUrl::parse(&signed_url(base, path, chrono::Duration::zero(), 900)).unwrap(),
    )
}

/// A service-account key JSON as Google Cloud's console writes it.
fn key_json(private_key: &str, token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": "test-kid",
        "private_key": private_key,
        "client_email": EMAIL,
        "client_id": "1",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    })
    .to_string()
}

fn service_account(private_key: &str, stand: &Stand, object: &str, storage: &str) -> Destination {
    let key =
        ServiceAccountKey::parse(&key_json(private_key, &stand.token_uri()), "key.json").unwrap();
    Destination::ServiceAccount(Box::new(
        ServiceAccountUpload::new(BUCKET, object, key, Some(storage)).unwrap(),
    ))
}

/// A mapping CSV of `rows` rows in a temporary directory.
fn csv(dir: &Path, rows: u64) -> (PathBuf, Vec<u8>) {
    let body: String = (1..=rows)
        .map(|i| format!("{i},user{i}@corp.example\n"))
        .collect();
    let path = dir.join("users.csv");
    std::fs::write(&path, &body).unwrap();
    (path, body.into_bytes())
}

/// Progress calls, recorded.
#[derive(Default)]
struct Calls(Mutex<Vec<(u64, u64)>>);

impl Calls {
    fn record(&self) -> impl Fn(u64, u64) + Send + Sync + '_ {
        |sent, total| self.0.lock().unwrap().push((sent, total))
    }

    /// Asserts the calls rise from 0 to `total` through more than one step.
    fn assert_complete(&self, total: u64) {
        let calls = self.0.lock().unwrap();
        assert!(calls.iter().all(|&(_, t)| t == total), "{calls:?}");
        assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
        assert_eq!(calls.first(), Some(&(0, total)));
        assert_eq!(calls.last(), Some(&(total, total)));
        assert!(calls.len() > 3, "{calls:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Both ways, against the emulator.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the .venv with gcp-storage-emulator; cargo xtask test runs it"]
async fn a_signed_url_put_stores_the_file_in_the_emulator() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = csv(dir.path(), 10_000);
    let calls = Calls::default();
    let dest = fresh(&emulator.url, &format!("{BUCKET}/acme/users.csv"));
    let done = upload::upload(&file, &dest, &calls.record()).await.unwrap();
    assert_eq!(emulator.read("acme/users.csv").await, bytes);
    assert_eq!(done.bytes, bytes.len() as u64);
    assert_eq!(done.md5, md5_base64(&bytes));
    assert_eq!(
        done.target,
        format!("{}/{BUCKET}/acme/users.csv", emulator.url)
    );
    // The emulator's XML PUT reports no hash (GCS does; see `gcs_reported_hashes_are_checked`).
    assert!(!done.confirmed.any_checksum());
    calls.assert_complete(bytes.len() as u64);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        bytes,
        "the file is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the .venv with gcp-storage-emulator; cargo xtask test runs it"]
async fn a_service_account_upload_stores_and_verifies_the_file_in_the_emulator() {
    let emulator = Emulator::start();
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = csv(dir.path(), 10_000);
    let calls = Calls::default();
    let dest = service_account(KEY, &stand, "gitlab/users 1.csv", &emulator.url);
    let done = upload::upload(&file, &dest, &calls.record()).await.unwrap();
    assert_eq!(emulator.read("gitlab/users 1.csv").await, bytes);
    assert_eq!(done.target, format!("gs://{BUCKET}/gitlab/users 1.csv"));
    let c = done.confirmed;
    assert!(c.size && c.md5 && c.crc32c, "{c:?}");
    assert_eq!(done.crc32c, crc32c_base64(&bytes));
    calls.assert_complete(bytes.len() as u64);
    let seen = stand.seen.lock().unwrap();
    assert_eq!(seen.good_assertions, 1, "{:?}", seen.refused_assertions);
}

// ---------------------------------------------------------------------------------------------
// The token endpoint, GCS's refusals and reported hashes (no emulator needed).

#[tokio::test]
async fn a_key_the_endpoint_cannot_verify_is_refused_with_googles_reason() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = csv(dir.path(), 3);
    let dest = service_account(OTHER_KEY, &stand, "users.csv", &stand.url);
    let e = upload::upload(&file, &dest, &|_, _| {}).await.unwrap_err();
    assert_eq!(e.code(), "token_refused", "{e}");
    assert!(
        e.to_string()
            .contains("400 invalid_grant: Invalid JWT: InvalidSignature"),
        "{e}"
    );
    assert_eq!(stand.seen.lock().unwrap().good_assertions, 0);
    assert!(
        stand.requests().iter().all(|r| !r.contains("/upload/")),
        "nothing was uploaded"
    );
}

#[tokio::test]
async fn gcs_refusals_get_distinct_messages() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = csv(dir.path(), 3);
    let mut codes = Vec::new();
    for (path, code, says) in [
        (
            "expired/b/o.csv",
            "signed_url_expired",
            "has expired (400 ExpiredToken",
        ),
        ("denied/b/o.csv", "access_denied", "denied writing"),
        (
            "forged/b/o.csv",
            "signature_mismatch",
            "paste the URL again exactly",
        ),
        ("missing/b/o.csv", "no_such_bucket", "does not exist (404)"),
    ] {
        let e = upload::upload(&file, &fresh(&stand.url, path), &|_, _| {})
            .await
            .unwrap_err();
        let m = e.to_string();
        assert_eq!(e.code(), code, "{m}");
        assert!(
            m.contains(says) && !m.contains("X-Goog-Signature") && !m.contains('\n'),
            "{m}"
        );
        codes.push(e.code());
    }
    codes.dedup();
    assert_eq!(codes.len(), 4);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        bytes,
        "the file is untouched"
    );
}

#[tokio::test]
async fn an_expired_signed_url_is_refused_before_sending() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = csv(dir.path(), 3);
    let url = signed_url(
        &stand.url,
        "hashes/b/o.csv",
        chrono::Duration::hours(2),
        3600,
    );
    let dest = Destination::SignedUrl(SignedUrl::parse(&url).unwrap());
    let e = upload::upload(&file, &dest, &|_, _| {}).await.unwrap_err();
    assert!(matches!(e, UploadError::Expired { .. }), "{e:?}");
    assert!(e.to_string().contains("(60 minutes ago)"), "{e}");
    assert!(stand.requests().is_empty(), "{:?}", stand.requests());
}

#[tokio::test]
async fn gcs_reported_hashes_are_checked() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(&file, ROW).unwrap();
    let done = upload::upload(&file, &fresh(&stand.url, "hashes/b/o.csv"), &|_, _| {})
        .await
        .unwrap();
    let c = done.confirmed;
    assert!(c.size && c.md5 && c.crc32c, "{c:?}");
    assert_eq!(
        (done.md5.as_str(), done.crc32c.as_str()),
        (ROW_MD5, ROW_CRC32C)
    );

    let e = upload::upload(&file, &fresh(&stand.url, "corrupted/b/o.csv"), &|_, _| {})
        .await
        .unwrap_err();
    assert_eq!(e.code(), "checksum_mismatch");
    assert!(
        e.to_string().contains(&format!(
            "(MD5: file {ROW_MD5}, stored AAAAAAAAAAAAAAAAAAAAAA==)"
        )),
        "{e}"
    );
    // A signed URL cannot delete: the message says the object stayed, and who can remove it.
    assert!(
        matches!(e, UploadError::Mismatch { deleted: false, .. }),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("that object STAYED in the bucket")
            && e.to_string()
                .contains("ask the crawler vendor to delete it"),
        "{e}"
    );
    assert!(
        !stand.requests().iter().any(|r| r.starts_with("DELETE")),
        "{:?}",
        stand.requests()
    );
}

#[tokio::test]
async fn a_stored_object_that_differs_is_deleted_by_generation() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(&file, ROW).unwrap();
    let dest = service_account(KEY, &stand, "dir/users.csv", &stand.url);
    let e = upload::upload(&file, &dest, &|_, _| {}).await.unwrap_err();
    assert!(
        matches!(
            e,
            UploadError::Mismatch {
                deleted: true,
                what: "MD5",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("; it was deleted: upload again"),
        "{e}"
    );
    let requests = stand.requests();
    assert_eq!(
        requests,
        [
            "POST /token".to_owned(),
            "POST /upload/storage/v1/b/mappings/o?uploadType=multipart".to_owned(),
            "DELETE /storage/v1/b/mappings/o/dir%2Fusers.csv?ifGenerationMatch=42".to_owned(),
        ]
    );
}

#[tokio::test]
async fn a_network_failure_is_reported_and_leaves_the_file_alone() {
    let (_held, closed) = common::refusing_address();
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = csv(dir.path(), 3);
    let dest = fresh(&format!("http://{closed}"), "b/o.csv");
    let e = upload::upload(&file, &dest, &|_, _| {}).await.unwrap_err();
    assert_eq!(e.code(), "unreachable", "{e}");
    assert!(
        e.to_string()
            .starts_with(&format!("cannot reach {closed}: ")),
        "{e}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing else written"
    );
}

// ---------------------------------------------------------------------------------------------
// The CLI.

fn cli_path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[tokio::test]
async fn cli_names_the_file_and_line_of_a_broken_key() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = csv(dir.path(), 3);
    let key = dir.path().join("key.json");
    let broken =
        key_json(KEY, "https://oauth2.googleapis.com/token").replacen(",\"", ",\n\n,\"", 1);
    std::fs::write(&key, broken).unwrap();
    let args = [
        "upload",
        "--file",
        cli_path(&file),
        "--bucket",
        BUCKET,
        "--object",
        "u.csv",
    ];
    let out = common::cli(
        &[&args[..], &["--service-account", cli_path(&key)]].concat(),
        None,
        None,
    )
    .await;
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "{} is not valid JSON (line 3, column 1",
            key.display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn cli_names_a_missing_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = csv(dir.path(), 3);
    let key = dir.path().join("key.json");
    let mut v: Value =
        serde_json::from_str(&key_json(KEY, "https://oauth2.googleapis.com/token")).unwrap();
    v.as_object_mut().unwrap().remove("private_key");
    std::fs::write(&key, v.to_string()).unwrap();
    let args = [
        "upload",
        "--file",
        cli_path(&file),
        "--bucket",
        BUCKET,
        "--object",
        "u.csv",
    ];
    let out = common::cli(
        &[&args[..], &["--service-account", cli_path(&key)]].concat(),
        None,
        None,
    )
    .await;
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{}: `private_key` is missing", key.display())),
        "{err}"
    );
}

#[tokio::test]
async fn cli_refuses_an_expired_signed_url_and_says_when() {
    let dir = tempfile::tempdir().unwrap();
    let (file, bytes) = csv(dir.path(), 3);
    let url = signed_url(
        "https://storage.googleapis.com",
        "b/o.csv",
        chrono::Duration::days(3),
        900,
    );
    let out = common::cli(
        &["upload", "--file", cli_path(&file), "--signed-url", &url],
        None,
        None,
    )
    .await;
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error: the signed URL expired at ") && err.contains("(2 days ago)"),
        "{err}"
    );
    assert!(
        !err.contains("00ff00ff"),
        "the signature never shows: {err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), bytes);
}

#[tokio::test]
async fn cli_uploads_and_prints_one_json_object() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(&file, ROW).unwrap();
    let url = signed_url(
        &stand.url,
        "hashes/b/users.csv",
        chrono::Duration::zero(),
        900,
    );
    let out = common::cli(
        &[
            "upload",
            "--file",
            cli_path(&file),
            "--signed-url",
            &url,
            "--json",
        ],
        None,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["bytes"], 14);
    assert_eq!(report["md5"], ROW_MD5);
    assert_eq!(report["verified"], true);
    assert_eq!(
        report["confirmed"],
        json!({"size": true, "md5": true, "crc32c": true})
    );
    assert_eq!(
        report["target"],
        format!("{}/hashes/b/users.csv", stand.url)
    );
    assert_eq!(stand.requests().len(), 1);

    let out = common::cli(
        &["upload", "--file", cli_path(&file), "--signed-url", &url],
        None,
        None,
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    let shown = format!("{}/hashes/b/users.csv", stand.url);
    assert_eq!(
        text,
        format!(
            "Uploaded {} (14 bytes) to {shown}.\nGCS confirmed the size, MD5 and CRC32C of the stored copy.\n",
            file.display()
        )
    );
}

#[tokio::test]
async fn cli_requires_one_complete_destination() {
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = csv(dir.path(), 1);
    let out = common::cli(
        &["upload", "--file", cli_path(&file), "--bucket", BUCKET],
        None,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    let out = common::cli(&["upload", "--file", cli_path(&file)], None, None).await;
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
}

#[tokio::test]
async fn cli_takes_the_signed_url_from_a_file_or_the_environment_never_needing_argv() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(&file, ROW).unwrap();
    let url = signed_url(
        &stand.url,
        "hashes/b/from-file.csv",
        chrono::Duration::zero(),
        900,
    );
    let url_file = dir.path().join("signed-url.txt");
    std::fs::write(&url_file, format!("\n  {url}  \n")).unwrap();
    let out = common::cli(
        &[
            "upload",
            "--file",
            cli_path(&file),
            "--signed-url-file",
            cli_path(&url_file),
            "--json",
        ],
        None,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["target"],
        format!("{}/hashes/b/from-file.csv", stand.url)
    );

    let env_url = signed_url(
        &stand.url,
        "hashes/b/from-env.csv",
        chrono::Duration::zero(),
        900,
    );
    let out = common::cli_env(
        &["upload", "--file", cli_path(&file), "--json"],
        None,
        None,
        &[("GITLAB_ONBOARD_SIGNED_URL", &env_url)],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["target"],
        format!("{}/hashes/b/from-env.csv", stand.url)
    );
    // A flag wins over the environment.
    let out = common::cli_env(
        &[
            "upload",
            "--file",
            cli_path(&file),
            "--signed-url-file",
            cli_path(&url_file),
            "--json",
        ],
        None,
        None,
        &[("GITLAB_ONBOARD_SIGNED_URL", &env_url)],
    )
    .await;
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["target"],
        format!("{}/hashes/b/from-file.csv", stand.url)
    );
    let paths: Vec<String> = stand
        .requests()
        .iter()
        .map(|r| r.split('?').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        paths,
        [
            "PUT /hashes/b/from-file.csv",
            "PUT /hashes/b/from-env.csv",
            "PUT /hashes/b/from-file.csv",
        ]
    );

    // A missing or empty file is named; the signature never shows.
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n \n").unwrap();
    for (path, why) in [
        (dir.path().join("none.txt"), "No such file"),
        (empty, "it is empty"),
    ] {
        let out = common::cli(
            &[
                "upload",
                "--file",
                cli_path(&file),
                "--signed-url-file",
                cli_path(&path),
            ],
            None,
            None,
        )
        .await;
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!(
                "cannot read the signed URL from {}",
                path.display()
            )) && err.contains(why),
            "{err}"
        );
    }
    let out = common::cli(
        &[
            "upload",
            "--file",
            cli_path(&file),
            "--signed-url-file",
            cli_path(&url_file),
            "--bucket",
            BUCKET,
        ],
        None,
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
}

#[tokio::test]
async fn cli_says_a_mismatched_signed_url_upload_stayed_in_the_bucket() {
    let stand = Stand::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(&file, ROW).unwrap();
    let url = signed_url(
        &stand.url,
        "corrupted/b/o.csv",
        chrono::Duration::zero(),
        900,
    );
    let out = common::cli_env(
        &["upload", "--file", cli_path(&file)],
        None,
        None,
        &[("GITLAB_ONBOARD_SIGNED_URL", &url)],
    )
    .await;
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("that object STAYED in the bucket")
            && err.contains("ask the crawler vendor to delete it")
            && !err.contains("00ff00ff"),
        "{err}"
    );
}

/// Regression: a huge `X-Goog-Expires` made the CLI panic (exit 101).
#[tokio::test]
async fn cli_refuses_a_huge_lifetime_with_one_line_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("one.csv");
    std::fs::write(&file, ROW).unwrap();
    for expires in ["9223372036854775807", "604801", "-5"] {
        let url = format!(
            "https://storage.googleapis.com/b/o.csv?X-Goog-Date=20260101T000000Z&X-Goog-Expires={expires}&X-Goog-Signature=00ff00ff"
        );
        let out = common::cli(
            &["upload", "--file", cli_path(&file), "--signed-url", &url],
            None,
            None,
        )
        .await;
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{expires}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("outside GCS's 1 to 604800 seconds"), "{err}");
    }
}

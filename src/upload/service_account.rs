//! Uploading with a service-account key JSON: the OAuth2 JWT-bearer flow (an RS256 assertion
//! signed with the key, exchanged at the key's `token_uri` for an access token), then one
//! JSON-API multipart upload that carries the file's MD5 and CRC32C in the object's metadata.

use std::path::Path;

use bytes::Bytes;
use serde_json::{Value, json};
use url::Url;

use super::checksum::{Checksums, Reported};
use super::error::UploadError;
use super::{Body, FileData, Http};
use crate::secret::Secret;

/// The OAuth scope the access token is asked for: read and write objects, nothing more.
pub const SCOPE: &str = "https://www.googleapis.com/auth/devstorage.read_write";

/// Google's token endpoint, for a key without `token_uri`.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// GCS's endpoint, unless `--storage-url` says otherwise.
pub const DEFAULT_STORAGE_URL: &str = "https://storage.googleapis.com";

/// How long the signed assertion is valid (Google accepts at most one hour).
const ASSERTION_LIFETIME_SECS: i64 = 3600;

/// A service account's key, read from the JSON file Google Cloud's console gives out. The
/// private key is a [`Secret`]: `Debug` never shows it.
#[derive(Debug, Clone)]
pub struct ServiceAccountKey {
    path: String,
    client_email: String,
    private_key_id: Option<String>,
    private_key: Secret,
    token_uri: Url,
}

impl ServiceAccountKey {
    /// Reads and checks a key file (see [`ServiceAccountKey::parse`]).
    pub fn read(path: &Path) -> Result<Self, UploadError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| UploadError::KeyFile {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        Self::parse(&text, &shown)
    }

    /// Checks a key's JSON; `path` names it in messages. Requires `client_email` and an RSA
    /// `private_key` that can sign; `type`, when present, must be `service_account`;
    /// `token_uri` defaults to Google's and must be HTTPS unless loopback.
    pub fn parse(json: &str, path: &str) -> Result<Self, UploadError> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            let detail = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            UploadError::KeyJson {
                path: path.to_owned(),
                line: e.line(),
                column: e.column(),
                detail: detail.strip_suffix(&suffix).unwrap_or(&detail).to_owned(),
            }
        })?;
        let field_error = |field: &'static str, problem: &str| UploadError::KeyField {
            path: path.to_owned(),
            field,
            problem: problem.to_owned(),
        };
        let Some(object) = value.as_object() else {
            return Err(field_error(
                "private_key",
                "is missing (the file holds no JSON object)",
            ));
        };
        let text = |field: &'static str| -> Result<Option<String>, UploadError> {
            match object.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => {
                    Err(field_error(field, "is empty"))
                }
                Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
                Some(_) => Err(field_error(field, "is not a string")),
            }
        };
        if let Some(kind) = text("type")?
            && kind != "service_account"
        {
            return Err(field_error(
                "type",
                &format!("is '{kind}', not 'service_account'"),
            ));
        }
        let private_key =
            text("private_key")?.ok_or_else(|| field_error("private_key", "is missing"))?;
        let client_email =
            text("client_email")?.ok_or_else(|| field_error("client_email", "is missing"))?;
        let token_uri = text("token_uri")?.unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        let token_uri = Url::parse(&token_uri).map_err(|_| UploadError::BadUrl {
            what: "token_uri",
            input: token_uri.clone(),
            hint: "the key's token_uri should be https://oauth2.googleapis.com/token",
        })?;
        super::require_https("token_uri", &token_uri)?;
        let key = Self {
            path: path.to_owned(),
            client_email,
            private_key_id: text("private_key_id")?,
            private_key: Secret::new(private_key),
            token_uri,
        };
        // Sign once now, so that a damaged key fails here rather than after a request.
        key.assertion(0)?;
        Ok(key)
    }

    /// The service account's email (the JWT's issuer).
    pub fn client_email(&self) -> &str {
        &self.client_email
    }

    /// Where the assertion is exchanged for an access token.
    pub fn token_uri(&self) -> &Url {
        &self.token_uri
    }

    /// The signed JWT-bearer assertion: RS256, `kid` = `private_key_id`, claims `iss` =
    /// `client_email`, `scope` = [`SCOPE`], `aud` = `token_uri`, `iat` = `now`, `exp` one hour on.
    fn assertion(&self, now: i64) -> Result<String, UploadError> {
        let header = match &self.private_key_id {
            Some(kid) => json!({ "kid": kid }),
            None => json!({}),
        };
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri.as_str(),
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECS,
        });
        super::rs256::sign(header, &claims, self.private_key.expose()).map_err(|detail| {
            UploadError::PrivateKey {
                path: self.path.clone(),
                detail,
            }
        })
    }

    /// Exchanges a fresh assertion for an access token at `token_uri`.
    async fn access_token(&self, http: &Http) -> Result<Secret, UploadError> {
        let assertion = self.assertion(chrono::Utc::now().timestamp())?;
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
            .append_pair("assertion", &assertion)
            .finish();
        let response = http
            .client
            .post(self.token_uri.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| http.transport(&e, &self.token_uri))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| http.transport(&e, &self.token_uri))?;
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        let field = |name: &str| {
            json.as_ref()
                .and_then(|j| j.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        if !status.is_success() {
            return Err(UploadError::TokenRefused {
                status: status.as_u16(),
                error: field("error"),
                description: field("error_description"),
            });
        }
        match field("access_token") {
            token if !token.is_empty() => Ok(Secret::new(token)),
            _ => Err(UploadError::NotGcs {
                url: self.token_uri.to_string(),
                detail: format!("{status} without an access_token"),
            }),
        }
    }
}

/// Where a service account writes: a checked bucket and object name, the key, the endpoint.
#[derive(Debug, Clone)]
pub struct ServiceAccountUpload {
    bucket: String,
    object: String,
    key: ServiceAccountKey,
    storage_url: Url,
}

impl ServiceAccountUpload {
    /// Checks the names (GCS's rules: bucket 3–222 characters of `a-z 0-9 - _ .`, starting and
    /// ending with a letter or digit; object 1–1024 bytes without line breaks, not `.`/`..`)
    /// and the storage URL ([`DEFAULT_STORAGE_URL`] when `None`; HTTPS unless loopback).
    pub fn new(
        bucket: &str,
        object: &str,
        key: ServiceAccountKey,
        storage_url: Option<&str>,
    ) -> Result<Self, UploadError> {
        check_bucket(bucket)?;
        check_object(object)?;
        let input = storage_url.unwrap_or(DEFAULT_STORAGE_URL).trim();
        let storage_url = super::endpoint(
            "storage URL",
            input,
            "give the storage endpoint, e.g. https://storage.googleapis.com",
        )?;
        Ok(Self {
            bucket: bucket.to_owned(),
            object: object.to_owned(),
            key,
            storage_url,
        })
    }

    /// `gs://bucket/object`, for messages.
    pub fn target(&self) -> String {
        format!("gs://{}/{}", self.bucket, self.object)
    }

    /// `<storage>/<segments…>`, each segment percent-encoded (an object's `/` included).
    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.storage_url.clone();
        url.path_segments_mut()
            .expect("checked: an http(s) URL has a path")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// Token exchange, then the multipart upload. GCS checks the MD5 and CRC32C sent in the
    /// metadata against what it received and refuses the object on a difference, so a corrupted
    /// transfer never becomes an object; the metadata it answers (`size`, `md5Hash`, `crc32c`)
    /// is compared again here, and a differing object is deleted (that exact generation).
    pub(super) async fn send(
        &self,
        http: &Http,
        data: FileData,
        sums: &Checksums,
        boundary: &str,
        progress: &super::Progress<'_>,
    ) -> Result<Reported, UploadError> {
        let token = self.key.access_token(http).await?;
        let mut url = self.endpoint(&["upload", "storage", "v1", "b", &self.bucket, "o"]);
        url.query_pairs_mut().append_pair("uploadType", "multipart");
        let metadata = json!({
            "name": self.object,
            "contentType": "text/csv",
            "md5Hash": sums.md5,
            "crc32c": sums.crc32c,
        });
        let head = format!(
            "--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{metadata}\r\n--{boundary}\r\nContent-Type: text/csv\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        let body = Body::new(Bytes::from(head), data, Bytes::from(tail));
        let request = http
            .client
            .post(url.clone())
            .bearer_auth(token.expose())
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/related; boundary={boundary}"),
            );
        let response = http.send(request, body, &url, progress).await?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http.transport(&e, &url))?;
        if !status.is_success() {
            return Err(super::error::refused(
                &self.target(),
                status.as_u16(),
                &bytes,
            ));
        }
        let object: Value = serde_json::from_slice(&bytes).map_err(|_| UploadError::NotGcs {
            url: url.to_string(),
            detail: format!("{status} without the object's metadata"),
        })?;
        let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_owned);
        let reported = Reported {
            size: text("size").and_then(|s| s.parse().ok()),
            md5: text("md5Hash"),
            crc32c: text("crc32c"),
        };
        if let Err((what, local, stored)) = super::checksum::compare(sums, &reported) {
            let deleted = self.delete(http, &token, text("generation")).await;
            return Err(UploadError::Mismatch {
                target: self.target(),
                what,
                local,
                stored,
                deleted,
            });
        }
        Ok(reported)
    }

    /// Deletes the object's given generation (never a newer one someone else wrote).
    async fn delete(&self, http: &Http, token: &Secret, generation: Option<String>) -> bool {
        let Some(generation) = generation else {
            return false;
        };
        let mut url = self.endpoint(&["storage", "v1", "b", &self.bucket, "o", &self.object]);
        url.query_pairs_mut()
            .append_pair("ifGenerationMatch", &generation);
        http.client
            .delete(url)
            .bearer_auth(token.expose())
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }
}

fn check_bucket(name: &str) -> Result<(), UploadError> {
    let fail = |detail| {
        Err(UploadError::Name {
            what: "bucket",
            name: name.to_owned(),
            detail,
        })
    };
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=222).contains(&name.len()) {
        return fail("it must have 3 to 222 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
    {
        return fail("only lowercase letters, digits, '-', '_' and '.' are allowed");
    }
    if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        return fail("it must start and end with a letter or digit");
    }
    Ok(())
}

fn check_object(name: &str) -> Result<(), UploadError> {
    let detail = if name.is_empty() || name.len() > 1024 {
        "it must have 1 to 1024 bytes"
    } else if name.contains(['\r', '\n']) {
        "it must not contain line breaks"
    } else if name == "." || name == ".." {
        "'.' and '..' are not allowed"
    } else {
        return Ok(());
    };
    Err(UploadError::Name {
        what: "object",
        name: name.to_owned(),
        detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};

    const PRIVATE: &str = include_str!("../../tests/fixtures/upload/throwaway-test-key.pem");
    const PUBLIC: &str = include_str!("../../tests/fixtures/upload/throwaway-test-key.pub.pem");

    fn key_json(token_uri: &str) -> String {
        json!({
            "type": "service_account",
            "project_id": "p",
            "private_key_id": "kid-1",
            "private_key": PRIVATE,
            "client_email": "uploader@p.iam.gserviceaccount.com",
            "token_uri": token_uri,
        })
        .to_string()
    }

    #[test]
    fn the_assertion_is_signed_with_the_key_and_carries_googles_claims() {
        let key =
            ServiceAccountKey::parse(&key_json("https://oauth2.googleapis.com/token"), "k.json")
                .unwrap();
        let now = chrono::Utc::now().timestamp();
        let jwt = key.assertion(now).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["https://oauth2.googleapis.com/token"]);
        validation.set_issuer(&["uploader@p.iam.gserviceaccount.com"]);
        let data = jsonwebtoken::decode::<Value>(
            &jwt,
            &DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("kid-1"));
        assert_eq!(data.claims["scope"], SCOPE);
        assert_eq!(
            data.claims["exp"].as_i64().unwrap() - data.claims["iat"].as_i64().unwrap(),
            3600
        );
        assert!(!format!("{key:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn bad_json_names_file_line_and_column() {
        let broken = key_json("https://oauth2.googleapis.com/token").replacen(',', ",\n  ,", 1);
        let e = ServiceAccountKey::parse(&broken, "key.json").unwrap_err();
        assert!(matches!(e, UploadError::KeyJson { line: 2, .. }), "{e:?}");
        let m = e.to_string();
        assert!(
            m.starts_with("key.json is not valid JSON (line 2, column 3: "),
            "{m}"
        );
    }

    #[test]
    fn missing_or_wrong_fields_are_named() {
        let mut v: Value =
            serde_json::from_str(&key_json("https://oauth2.googleapis.com/token")).unwrap();
        v.as_object_mut().unwrap().remove("private_key");
        let e = ServiceAccountKey::parse(&v.to_string(), "key.json").unwrap_err();
        assert_eq!(e.to_string().split(':').next(), Some("key.json"));
        assert!(e.to_string().contains("`private_key` is missing"), "{e}");
        let user = r#"{"type":"authorized_user","client_id":"x","refresh_token":"y"}"#;
        let e = ServiceAccountKey::parse(user, "adc.json").unwrap_err();
        assert!(
            e.to_string()
                .contains("`type` is 'authorized_user', not 'service_account'"),
            "{e}"
        );
        let garbage = key_json("https://oauth2.googleapis.com/token").replace("MII", "XXX");
        let e = ServiceAccountKey::parse(&garbage, "key.json").unwrap_err();
        assert!(matches!(e, UploadError::PrivateKey { .. }), "{e:?}");
        let e = ServiceAccountKey::parse(&key_json("http://oauth.example/token"), "key.json")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("token_uri http://oauth.example/token is not HTTPS"),
            "{e}"
        );
        assert_eq!(
            ServiceAccountKey::parse("[1]", "k").unwrap_err().code(),
            "service_account_key"
        );
    }

    #[test]
    fn names_follow_gcs_rules_and_objects_are_one_path_segment() {
        let key = ServiceAccountKey::parse(&key_json("http://127.0.0.1:1/token"), "k").unwrap();
        for bad in ["ab", "Upper", "-dash", "sp ace"] {
            assert!(
                ServiceAccountUpload::new(bad, "o", key.clone(), None).is_err(),
                "{bad}"
            );
        }
        assert!(ServiceAccountUpload::new("b-1", "a\nb", key.clone(), None).is_err());
        assert!(
            ServiceAccountUpload::new("b-1", "o", key.clone(), Some("http://gcs.example")).is_err()
        );
        let up = ServiceAccountUpload::new(
            "b_1.x",
            "dir/users 1.csv",
            key,
            Some("http://127.0.0.1:4443/"),
        )
        .unwrap();
        assert_eq!(
            up.endpoint(&["storage", "v1", "b", "b_1.x", "o", "dir/users 1.csv"])
                .as_str(),
            "http://127.0.0.1:4443/storage/v1/b/b_1.x/o/dir%2Fusers%201.csv"
        );
        assert_eq!(up.target(), "gs://b_1.x/dir/users 1.csv");
    }
}

//! The upload's errors, and GCS's error bodies (XML for the XML API and signed URLs, JSON for
//! the JSON API) turned into them. Every message is one line that tells the admin what to do,
//! and never contains a signed URL's signature, a private key or an access token.

use chrono::{DateTime, Utc};

/// Why GCS refused a request, as far as it matters to the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `SignatureDoesNotMatch`: the signed URL was altered or truncated.
    SignatureDoesNotMatch,
    /// `ExpiredToken`, or a 400 saying the request has expired.
    Expired,
    /// 401: missing or invalid credentials.
    Unauthorized,
    /// 403 `AccessDenied` (or any other 403): the credentials may not write there.
    AccessDenied,
    /// 404 `NoSuchBucket`.
    NoSuchBucket,
    /// Anything else.
    Other,
}

/// What went wrong uploading the user-mapping CSV. The local file is only ever read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The CSV could not be read.
    #[error("cannot read {path}: {detail}. Check the path to the user-mapping CSV")]
    File {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// The CSV is empty.
    #[error(
        "{path} is empty: write the user mapping first (gitlab-onboard users --out {path}), then upload it"
    )]
    EmptyFile {
        /// The file.
        path: String,
    },
    /// The service-account key file could not be read.
    #[error("cannot read the service-account key {path}: {detail}. Check the path to the key file")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// The service-account key file is not JSON.
    #[error(
        "{path} is not valid JSON (line {line}, column {column}: {detail}): download the service account's key again (IAM > Service accounts > Keys > Add key > JSON)"
    )]
    KeyJson {
        /// The file.
        path: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What the parser said.
        detail: String,
    },
    /// A field the key needs is missing or wrong.
    #[error(
        "{path}: `{field}` {problem}: give the JSON key of a service account (IAM > Service accounts > Keys > Add key > JSON)"
    )]
    KeyField {
        /// The file.
        path: String,
        /// The JSON field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// `private_key` is not an RSA private key in PEM form.
    #[error(
        "the `private_key` in {path} is not a usable RSA key ({detail}): create a new JSON key for the service account"
    )]
    PrivateKey {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// A URL that must be HTTPS is plain HTTP to another host.
    #[error(
        "the {what} {url} is not HTTPS: use https:// (plain http is allowed only for localhost)"
    )]
    NotHttps {
        /// Which URL: "signed URL", "storage URL", "token_uri".
        what: &'static str,
        /// The URL without its query.
        url: String,
    },
    /// A URL could not be parsed.
    #[error("the {what} '{input}' is not a URL: {hint}")]
    BadUrl {
        /// Which URL.
        what: &'static str,
        /// What was given (a signed URL is cut before its query).
        input: String,
        /// What to give instead.
        hint: &'static str,
    },
    /// The URL is not a GCS signed URL.
    #[error(
        "{url} is not a complete signed URL ({detail}): paste the whole URL the crawler vendor gave you, including everything after '?'"
    )]
    NotSigned {
        /// The URL without its query.
        url: String,
        /// What is missing or malformed.
        detail: String,
    },
    /// The signed URL's lifetime (`X-Goog-Date` + `X-Goog-Expires`) is over; nothing was sent.
    #[error(
        "the signed URL expired at {} ({} ago): ask the crawler vendor for a new one; nothing was sent",
        .at.format("%Y-%m-%d %H:%M:%S UTC"), ago(.at, .now)
    )]
    Expired {
        /// When it expired.
        at: DateTime<Utc>,
        /// When this was checked.
        now: DateTime<Utc>,
    },
    /// The destination came from the window and is not one the admin allowed.
    #[error(
        "the {what} {url} is not Google Cloud Storage: the window sends the mapping only to {allowed}, or to an endpoint set in {env} before the app starts"
    )]
    NotAllowed {
        /// Which URL.
        what: &'static str,
        /// The URL without its query.
        url: String,
        /// Google's endpoint.
        allowed: &'static str,
        /// The environment variable that allows another.
        env: &'static str,
    },
    /// The file meant to hold the signed URL could not be used.
    #[error(
        "cannot read the signed URL from {path}: {detail}. Save the whole URL the crawler vendor gave you in that file"
    )]
    SignedUrlFile {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// A bucket or object name GCS would refuse.
    #[error("'{name}' is not a valid GCS {what} name ({detail}): check it with the crawler vendor")]
    Name {
        /// "bucket" or "object".
        what: &'static str,
        /// The name.
        name: String,
        /// Why.
        detail: &'static str,
    },
    /// DNS, connection refused, proxy failure, or the connection broke mid-upload.
    #[error(
        "cannot reach {host}: {detail}. Check your network (HTTPS_PROXY/NO_PROXY are honoured) and try again; GCS keeps nothing of an interrupted upload"
    )]
    Unreachable {
        /// The host.
        host: String,
        /// What the network layer said.
        detail: String,
    },
    /// The TLS handshake failed.
    #[error(
        "TLS with {host} failed: {detail}. Check the URL, and that no proxy intercepts HTTPS on this network"
    )]
    Tls {
        /// The host.
        host: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// No answer in time.
    #[error("{host} did not answer within {secs}s: try again later")]
    Timeout {
        /// The host.
        host: String,
        /// The timeout that ran out.
        secs: u64,
    },
    /// The token endpoint refused the service account's JWT.
    #[error(
        "Google refused the service-account key ({status} {error}: {description}): the key may be deleted or disabled, or this computer's clock is wrong; create a new key for the service account"
    )]
    TokenRefused {
        /// HTTP status.
        status: u16,
        /// OAuth error code, e.g. `invalid_grant`.
        error: String,
        /// Its description.
        description: String,
    },
    /// GCS refused the upload.
    #[error("{}", refused_message(*.refusal, .target, *.status, .code, .message))]
    Refused {
        /// What was being written: `gs://bucket/object`, or the signed URL without its query.
        target: String,
        /// HTTP status.
        status: u16,
        /// The class of refusal.
        refusal: Refusal,
        /// GCS's error code (`AccessDenied`, or the JSON API's `reason`), may be empty.
        code: String,
        /// GCS's message.
        message: String,
    },
    /// The server answered success with a body that is not what GCS (or Google's token
    /// endpoint) sends.
    #[error(
        "{url} answered {detail}, not as Google's API does: check the storage URL, or the key's token_uri"
    )]
    NotGcs {
        /// The URL without its query.
        url: String,
        /// What came back.
        detail: String,
    },
    /// The stored object differs from the file. With the service account it was deleted again
    /// (that generation); a signed URL can only write, so there the object stays, and the
    /// message says so.
    #[error(
        "the stored {target} does not match the file ({what}: file {local}, stored {stored}){}",
        if *.deleted {
            "; it was deleted: upload again"
        } else {
            "; that object STAYED in the bucket and the crawler may read it: upload again now to replace it, or ask the crawler vendor to delete it (a signed URL can write but not delete)"
        }
    )]
    Mismatch {
        /// The object.
        target: String,
        /// "size", "MD5" or "CRC32C".
        what: &'static str,
        /// The file's value.
        local: String,
        /// The stored object's value.
        stored: String,
        /// True when the bad object was deleted.
        deleted: bool,
    },
}

impl UploadError {
    /// A stable, machine-readable name for the class of failure.
    pub fn code(&self) -> &'static str {
        match self {
            UploadError::File { .. } | UploadError::EmptyFile { .. } => "upload_file",
            UploadError::KeyFile { .. }
            | UploadError::KeyJson { .. }
            | UploadError::KeyField { .. }
            | UploadError::PrivateKey { .. } => "service_account_key",
            UploadError::NotHttps { .. }
            | UploadError::BadUrl { .. }
            | UploadError::NotSigned { .. }
            | UploadError::SignedUrlFile { .. }
            | UploadError::Name { .. } => "invalid_input",
            UploadError::Expired { .. } => "signed_url_expired",
            UploadError::Unreachable { .. } => "unreachable",
            UploadError::Tls { .. } => "tls",
            UploadError::Timeout { .. } => "timeout",
            UploadError::TokenRefused { .. } => "token_refused",
            UploadError::Refused { refusal, .. } => match refusal {
                Refusal::SignatureDoesNotMatch => "signature_mismatch",
                Refusal::Expired => "signed_url_expired",
                Refusal::Unauthorized => "unauthorized",
                Refusal::AccessDenied => "access_denied",
                Refusal::NoSuchBucket => "no_such_bucket",
                Refusal::Other => "gcs_error",
            },
            UploadError::NotGcs { .. } => "not_gcs",
            UploadError::Mismatch { .. } => "checksum_mismatch",
            UploadError::NotAllowed { .. } => "upload_target_refused",
        }
    }
}

fn refused_message(
    refusal: Refusal,
    target: &str,
    status: u16,
    code: &str,
    message: &str,
) -> String {
    let said = match (code.is_empty(), message.is_empty()) {
        (true, true) => status.to_string(),
        (true, false) => format!("{status}: {message}"),
        (false, true) => format!("{status} {code}"),
        (false, false) => format!("{status} {code}: {message}"),
    };
    match refusal {
        Refusal::SignatureDoesNotMatch => format!(
            "GCS rejected the signed URL's signature for {target} ({said}): paste the URL again exactly as given, or ask the crawler vendor for a new one"
        ),
        Refusal::Expired => format!(
            "GCS says the signed URL for {target} has expired ({said}): ask the crawler vendor for a new one"
        ),
        Refusal::Unauthorized => format!(
            "GCS did not accept the credentials for {target} ({said}): check the service-account key, or ask the crawler vendor for new credentials"
        ),
        Refusal::AccessDenied => format!(
            "GCS denied writing {target} ({said}): the signed URL or service account lacks write access there; ask the crawler vendor to grant it (role Storage Object User on the bucket)"
        ),
        Refusal::NoSuchBucket => format!(
            "the bucket for {target} does not exist ({said}): check the bucket name with the crawler vendor"
        ),
        Refusal::Other => format!(
            "GCS refused {target} ({said}): try again, or show this message to the crawler vendor"
        ),
    }
}

fn ago(at: &DateTime<Utc>, now: &DateTime<Utc>) -> String {
    let secs = (*now - *at).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s} seconds"),
        s if s < 2 * 3600 => format!("{} minutes", s / 60),
        s if s < 2 * 86400 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86400),
    }
}

/// Turns a GCS error answer into [`UploadError::Refused`]: the XML API's
/// `<Error><Code>…</Code><Message>…</Message></Error>` or the JSON API's
/// `{"error":{"code":…,"message":…,"errors":[{"reason":…}]}}`; any other body is kept as text.
pub(super) fn refused(target: &str, status: u16, body: &[u8]) -> UploadError {
    let text = String::from_utf8_lossy(body);
    let (code, message) = parse_json_error(&text)
        .or_else(|| parse_xml_error(&text))
        .unwrap_or_else(|| (String::new(), first_line(&text)));
    let refusal = match (code.as_str(), status) {
        ("SignatureDoesNotMatch", _) => Refusal::SignatureDoesNotMatch,
        ("ExpiredToken", _) => Refusal::Expired,
        (_, 400) if message.to_lowercase().contains("expired") => Refusal::Expired,
        ("NoSuchBucket" | "notFound", _) | (_, 404) => Refusal::NoSuchBucket,
        (_, 401) => Refusal::Unauthorized,
        ("AccessDenied", _) | (_, 403) => Refusal::AccessDenied,
        _ => Refusal::Other,
    };
    UploadError::Refused {
        target: target.to_owned(),
        status,
        refusal,
        code,
        message,
    }
}

fn parse_json_error(text: &str) -> Option<(String, String)> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let error = value.get("error")?;
    let message = error
        .get("message")?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let reason = error
        .pointer("/errors/0/reason")
        .and_then(|r| r.as_str())
        .unwrap_or_default()
        .to_owned();
    Some((reason, one_line(&message)))
}

fn parse_xml_error(text: &str) -> Option<(String, String)> {
    let body = between(text, "<Error>", "</Error>")?;
    let code = between(body, "<Code>", "</Code>").unwrap_or_default();
    let message = between(body, "<Message>", "</Message>").unwrap_or_default();
    Some((unescape(code), one_line(&unescape(message))))
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(&text[start..start + len])
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_line(text: &str) -> String {
    let line = one_line(
        text.lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default(),
    );
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML_EXPIRED: &str = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Details>Request signature expired at: 2026-01-01T00:15:00+00:00</Details></Error>";
    const XML_SIGNATURE: &str = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>SignatureDoesNotMatch</Code><Message>Access denied.</Message><StringToSign>GOOG4-RSA-SHA256\n…</StringToSign></Error>";
    const XML_DENIED: &str = "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message><Details>crawler@vendor.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.</Details></Error>";
    const JSON_FORBIDDEN: &str = r#"{"error":{"code":403,"message":"sa@p.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object. Permission &#39;storage.objects.create&#39; denied.","errors":[{"message":"…","domain":"global","reason":"forbidden"}]}}"#;

    fn refusal(status: u16, body: &str) -> (Refusal, String) {
        match refused("gs://b/o", status, body.as_bytes()) {
            UploadError::Refused {
                refusal, message, ..
            } => (refusal, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn xml_error_codes_map_to_distinct_refusals() {
        assert_eq!(refusal(400, XML_EXPIRED).0, Refusal::Expired);
        assert_eq!(
            refusal(403, XML_SIGNATURE).0,
            Refusal::SignatureDoesNotMatch
        );
        let (r, message) = refusal(403, XML_DENIED);
        assert_eq!(r, Refusal::AccessDenied);
        assert_eq!(message, "Access denied.");
        let bucket = "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message></Error>";
        assert_eq!(refusal(404, bucket).0, Refusal::NoSuchBucket);
    }

    #[test]
    fn json_errors_and_plain_bodies_are_understood() {
        let (r, message) = refusal(403, JSON_FORBIDDEN);
        assert_eq!(r, Refusal::AccessDenied);
        assert!(message.starts_with("sa@p.iam"), "{message}");
        assert_eq!(
            refusal(
                401,
                r#"{"error":{"code":401,"message":"Invalid Credentials"}}"#
            )
            .0,
            Refusal::Unauthorized
        );
        let (r, message) = refusal(502, "<html>\n<body>Bad gateway</body></html>");
        assert_eq!(r, Refusal::Other);
        assert_eq!(message, "<html>");
    }

    #[test]
    fn messages_are_one_line_say_what_to_do_and_codes_differ_by_action() {
        let errors = [
            refused("gs://b/o", 400, XML_EXPIRED.as_bytes()),
            refused("gs://b/o", 403, XML_SIGNATURE.as_bytes()),
            refused("gs://b/o", 403, XML_DENIED.as_bytes()),
            refused("gs://b/o", 401, b""),
            refused("gs://b/o", 404, b""),
            refused("gs://b/o", 500, b"oops"),
        ];
        let mut codes: Vec<_> = errors.iter().map(UploadError::code).collect();
        for e in &errors {
            let m = e.to_string();
            assert!(!m.contains('\n') && m.contains("gs://b/o"), "{m}");
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(errors[1].to_string().contains("paste the URL again"));
        assert!(
            errors[2]
                .to_string()
                .contains("AccessDenied: Access denied.")
        );
    }

    #[test]
    fn expiry_message_says_when() {
        let at = DateTime::parse_from_rfc3339("2026-01-01T00:15:00Z")
            .unwrap()
            .to_utc();
        let now = at + chrono::Duration::minutes(90);
        let m = UploadError::Expired { at, now }.to_string();
        assert!(
            m.contains("2026-01-01 00:15:00 UTC (90 minutes ago)"),
            "{m}"
        );
    }
}

//! The file's size and checksums in GCS's notation (base64 of the MD5 digest and of the
//! big-endian CRC32C), and what GCS reports about the stored object.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest, Md5};

/// Size and checksums of some bytes, as GCS writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksums {
    /// Length in bytes.
    pub size: u64,
    /// Base64 of the 16-byte MD5 digest (GCS's `md5Hash`).
    pub md5: String,
    /// Base64 of the big-endian CRC32C (GCS's `crc32c`).
    pub crc32c: String,
}

impl Checksums {
    /// Computes them for bytes in memory.
    #[cfg(test)]
    pub fn of(bytes: &[u8]) -> Self {
        let mut h = Hasher::default();
        h.update(bytes);
        h.finish()
    }
}

/// Size, MD5 and CRC32C computed a piece at a time, for a file streamed once.
#[derive(Default)]
pub struct Hasher {
    size: u64,
    md5: Md5,
    crc32c: u32,
}

impl Hasher {
    /// Adds the next piece.
    pub fn update(&mut self, bytes: &[u8]) {
        self.size += bytes.len() as u64;
        self.md5.update(bytes);
        self.crc32c = crc32c::crc32c_append(self.crc32c, bytes);
    }

    /// The checksums of everything added.
    pub fn finish(self) -> Checksums {
        Checksums {
            size: self.size,
            md5: STANDARD.encode(self.md5.finalize()),
            crc32c: STANDARD.encode(self.crc32c.to_be_bytes()),
        }
    }
}

/// What the server said about the stored object; `None` where it said nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reported {
    /// Stored size.
    pub size: Option<u64>,
    /// Stored MD5, base64.
    pub md5: Option<String>,
    /// Stored CRC32C, base64.
    pub crc32c: Option<String>,
}

impl Reported {
    /// Reads the XML API's answer headers: `x-goog-hash: crc32c=…,md5=…` (possibly repeated),
    /// `x-goog-stored-content-length`, and, without an MD5 in `x-goog-hash`, an `ETag` that is a
    /// hex MD5 (as GCS gives non-composite objects).
    pub fn from_headers(headers: &reqwest::header::HeaderMap) -> Self {
        let mut reported = Self::default();
        for value in headers.get_all("x-goog-hash") {
            for part in value.to_str().unwrap_or_default().split(',') {
                match part.trim().split_once('=') {
                    Some(("md5", v)) => reported.md5 = Some(v.to_owned()),
                    Some(("crc32c", v)) => reported.crc32c = Some(v.to_owned()),
                    _ => {}
                }
            }
        }
        reported.size = headers
            .get("x-goog-stored-content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        if reported.md5.is_none() {
            reported.md5 = headers
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .and_then(md5_of_etag);
        }
        reported
    }
}

fn md5_of_etag(etag: &str) -> Option<String> {
    let hex = etag.trim().trim_start_matches("W/").trim_matches('"');
    if hex.len() != 32 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..16)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    bytes.map(|b| STANDARD.encode(b))
}

/// Which of size, MD5 and CRC32C the server reported, each equal to the file's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Confirmed {
    /// The stored size was reported and equals the file's.
    pub size: bool,
    /// The stored MD5 was reported and equals the file's.
    pub md5: bool,
    /// The stored CRC32C was reported and equals the file's.
    pub crc32c: bool,
}

impl Confirmed {
    /// True when the server confirmed at least one checksum.
    pub fn any_checksum(&self) -> bool {
        self.md5 || self.crc32c
    }
}

/// Compares what was reported with the file's checksums: the first difference, as
/// `(what, file's value, stored value)`, or what was confirmed.
pub fn compare(
    local: &Checksums,
    reported: &Reported,
) -> Result<Confirmed, (&'static str, String, String)> {
    if let Some(size) = reported.size
        && size != local.size
    {
        return Err(("size", local.size.to_string(), size.to_string()));
    }
    if let Some(md5) = &reported.md5
        && *md5 != local.md5
    {
        return Err(("MD5", local.md5.clone(), md5.clone()));
    }
    if let Some(crc) = &reported.crc32c
        && *crc != local.crc32c
    {
        return Err(("CRC32C", local.crc32c.clone(), crc.clone()));
    }
    Ok(Confirmed {
        size: reported.size.is_some(),
        md5: reported.md5.is_some(),
        crc32c: reported.crc32c.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn checksums_match_known_values() {
        // CRC32C's check value ("123456789" → 0xE3069283) and GCS's values for a one-line CSV.
        assert_eq!(
            Checksums::of(b"123456789").crc32c,
            STANDARD.encode(0xE306_9283_u32.to_be_bytes())
        );
        let c = Checksums::of(b"12345,a@x.com\n");
        assert_eq!(c.size, 14);
        assert_eq!(c.md5, "XuB8t7VY28+HXEBGLVx01g==");
        assert_eq!(c.crc32c, "kdZwFA==");
    }

    #[test]
    fn pieces_hash_as_the_whole() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut h = Hasher::default();
        for piece in data.chunks(333) {
            h.update(piece);
        }
        assert_eq!(h.finish(), Checksums::of(&data));
    }

    #[test]
    fn headers_are_read_whole_or_in_parts() {
        let mut h = HeaderMap::new();
        h.append("x-goog-hash", HeaderValue::from_static("crc32c=kdZwFA=="));
        h.append(
            "x-goog-hash",
            HeaderValue::from_static("md5=XuB8t7VY28+HXEBGLVx01g=="),
        );
        h.insert(
            "x-goog-stored-content-length",
            HeaderValue::from_static("14"),
        );
        let r = Reported::from_headers(&h);
        assert_eq!(r.md5.as_deref(), Some("XuB8t7VY28+HXEBGLVx01g=="));
        assert_eq!(r.crc32c.as_deref(), Some("kdZwFA=="));
        assert_eq!(r.size, Some(14));
        let c = compare(&Checksums::of(b"12345,a@x.com\n"), &r).unwrap();
        assert!(c.size && c.md5 && c.crc32c);

        let mut h = HeaderMap::new();
        h.insert(
            "etag",
            HeaderValue::from_static("\"5ee07cb7b558dbcf875c40462d5c74d6\""),
        );
        let r = Reported::from_headers(&h);
        assert_eq!(r.md5.as_deref(), Some("XuB8t7VY28+HXEBGLVx01g=="));
        assert_eq!(
            Reported::from_headers(&HeaderMap::new()),
            Reported::default()
        );
    }

    #[test]
    fn a_difference_is_named() {
        let local = Checksums::of(b"12345,a@x.com\n");
        let wrong = Reported {
            size: Some(14),
            md5: Some("AAAAAAAAAAAAAAAAAAAAAA==".into()),
            crc32c: None,
        };
        let (what, file, stored) = compare(&local, &wrong).unwrap_err();
        assert_eq!(
            (what, file.as_str(), stored.as_str()),
            (
                "MD5",
                "XuB8t7VY28+HXEBGLVx01g==",
                "AAAAAAAAAAAAAAAAAAAAAA=="
            )
        );
        let short = Reported {
            size: Some(13),
            ..Reported::default()
        };
        assert_eq!(compare(&local, &short).unwrap_err().0, "size");
        assert_eq!(
            compare(&local, &Reported::default()).unwrap(),
            Confirmed::default()
        );
    }
}

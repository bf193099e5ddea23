//! `upload`: step 4's user-mapping CSV handed to the crawler's Google Cloud Storage bucket.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgGroup, Args as ClapArgs};
use gitlab_onboard::Error;
use gitlab_onboard::upload::{
    self, Destination, ServiceAccountKey, ServiceAccountUpload, SignedUrl, UploadError, Uploaded,
};
use serde_json::json;

/// The environment variable a signed URL may come from instead of the command line.
pub const SIGNED_URL_ENV: &str = "GITLAB_ONBOARD_SIGNED_URL";

/// The largest signed-URL file read (a signed URL is a few kilobytes).
const MAX_SIGNED_URL_FILE: u64 = 64 * 1024;

/// Arguments of `upload`: a signed URL (on the command line, in a file, or in
/// `GITLAB_ONBOARD_SIGNED_URL`), or a bucket, object and service-account key.
#[derive(Debug, ClapArgs)]
#[command(group(
    ArgGroup::new("destination")
        .required(true)
        .multiple(true)
        .args(["signed_url", "signed_url_file", "signed_url_env", "bucket"])
))]
pub struct UploadArgs {
    /// The user-mapping CSV (as `users --out FILE` wrote it); it is only read.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// A signed URL from the crawler vendor, for an HTTP PUT (quote it: it contains '&'). Every
    /// local user can read a command line: prefer --signed-url-file or GITLAB_ONBOARD_SIGNED_URL.
    #[arg(long, value_name = "URL", conflicts_with_all = ["signed_url_file", "bucket", "object", "service_account", "storage_url"])]
    signed_url: Option<String>,
    /// A file holding the signed URL (its first line), kept out of the process list.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["bucket", "object", "service_account", "storage_url"])]
    signed_url_file: Option<PathBuf>,
    /// The signed URL from `GITLAB_ONBOARD_SIGNED_URL`, used when neither flag above nor
    /// --bucket is given.
    #[arg(long = "signed-url-from-env", env = SIGNED_URL_ENV, hide = true, hide_env_values = true)]
    signed_url_env: Option<String>,
    /// The bucket to write to, with --object and --service-account.
    #[arg(long, value_name = "B", requires_all = ["object", "service_account"])]
    bucket: Option<String>,
    /// The object's name in the bucket, e.g. gitlab/users.csv.
    #[arg(long, value_name = "NAME", requires = "bucket")]
    object: Option<String>,
    /// The service account's key file (JSON, from IAM > Service accounts > Keys).
    #[arg(long, value_name = "KEY.json", requires = "bucket")]
    service_account: Option<PathBuf>,
    /// Another GCS endpoint, e.g. an emulator (HTTPS unless loopback).
    #[arg(long, value_name = "URL", requires = "bucket")]
    storage_url: Option<String>,
    /// Print one JSON object instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Checks the destination (before reading the file or sending anything), uploads, and reports
/// what GCS confirmed.
pub async fn run(args: &UploadArgs) -> Result<ExitCode, Error> {
    let destination = destination(args)?;
    let show = std::io::stderr().is_terminal() && !args.json;
    let progress = move |sent: u64, total: u64| {
        if show {
            eprint!("\rUploading: {sent} of {total} bytes   ");
        }
    };
    let uploaded = upload::upload(&args.file, &destination, &progress).await?;
    if show {
        eprintln!();
    }
    let file = args.file.display().to_string();
    if args.json {
        println!("{}", to_json(&uploaded, &file));
    } else {
        print!("{}", summary(&uploaded, &file));
    }
    Ok(ExitCode::SUCCESS)
}

fn destination(args: &UploadArgs) -> Result<Destination, Error> {
    if let Some(url) = &args.signed_url {
        return Ok(Destination::SignedUrl(SignedUrl::parse(url)?));
    }
    if let Some(path) = &args.signed_url_file {
        return Ok(Destination::SignedUrl(SignedUrl::parse(&read_url_file(
            path,
        )?)?));
    }
    let (Some(bucket), Some(object), Some(key)) =
        (&args.bucket, &args.object, &args.service_account)
    else {
        // clap requires one destination: with no flag, the environment variable gave it.
        let url = args.signed_url_env.as_deref().unwrap_or_default();
        return Ok(Destination::SignedUrl(SignedUrl::parse(url)?));
    };
    let key = ServiceAccountKey::read(key)?;
    Ok(Destination::ServiceAccount(Box::new(
        ServiceAccountUpload::new(bucket, object, key, args.storage_url.as_deref())?,
    )))
}

/// The first non-blank line of a signed-URL file (at most [`MAX_SIGNED_URL_FILE`] bytes read).
fn read_url_file(path: &Path) -> Result<String, UploadError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let fail = |detail: String| UploadError::SignedUrlFile {
        path: shown.clone(),
        detail,
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_SIGNED_URL_FILE + 1).read_to_string(&mut text))
        .map_err(|e| fail(e.to_string()))?;
    if text.len() as u64 > MAX_SIGNED_URL_FILE {
        return Err(fail(format!(
            "it is larger than {} KiB, too large for a URL",
            MAX_SIGNED_URL_FILE / 1024
        )));
    }
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| fail("it is empty".into()))
}

fn to_json(u: &Uploaded, file: &str) -> String {
    json!({
        "file": file,
        "target": u.target,
        "bytes": u.bytes,
        "md5": u.md5,
        "crc32c": u.crc32c,
        "confirmed": u.confirmed,
        "verified": u.confirmed.any_checksum(),
    })
    .to_string()
}

fn summary(u: &Uploaded, file: &str) -> String {
    let mut out = format!("Uploaded {file} ({} bytes) to {}.\n", u.bytes, u.target);
    let c = u.confirmed;
    let confirmed: Vec<&str> = [(c.size, "size"), (c.md5, "MD5"), (c.crc32c, "CRC32C")]
        .into_iter()
        .filter_map(|(yes, name)| yes.then_some(name))
        .collect();
    if c.any_checksum() {
        out.push_str(&format!(
            "GCS confirmed the {} of the stored copy.\n",
            match confirmed.split_last() {
                Some((last, [])) => (*last).to_owned(),
                Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
                None => String::new(),
            }
        ));
    } else {
        out.push_str(&format!(
            "Warning: the server reported no checksum, so the stored copy is not verified: ask the crawler vendor to check MD5 {} (CRC32C {}).\n",
            u.md5, u.crc32c
        ));
    }
    out
}

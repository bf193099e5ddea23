//! `upload`: step 4's user-mapping CSV handed to the crawler's Google Cloud Storage bucket.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args as ClapArgs};
use gitlab_onboard::Error;
use gitlab_onboard::upload::{
    self, Destination, ServiceAccountKey, ServiceAccountUpload, SignedUrl, Uploaded,
};
use serde_json::json;

/// Arguments of `upload`: a signed URL, or a bucket, object and service-account key.
#[derive(Debug, ClapArgs)]
#[command(group(ArgGroup::new("destination").required(true).args(["signed_url", "bucket"])))]
pub struct UploadArgs {
    /// The user-mapping CSV (as `users --out FILE` wrote it); it is only read.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// A signed URL from the crawler vendor, for an HTTP PUT (quote it: it contains '&').
    #[arg(long, value_name = "URL", conflicts_with_all = ["bucket", "object", "service_account", "storage_url"])]
    signed_url: Option<String>,
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
    // clap guarantees --bucket with --object and --service-account here.
    let (Some(bucket), Some(object), Some(key)) =
        (&args.bucket, &args.object, &args.service_account)
    else {
        unreachable!("clap requires --signed-url, or --bucket with --object and --service-account")
    };
    let key = ServiceAccountKey::read(key)?;
    Ok(Destination::ServiceAccount(Box::new(
        ServiceAccountUpload::new(bucket, object, key, args.storage_url.as_deref())?,
    )))
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

//! TLS stays verified: an unknown CA is a TLS error; the same CA given with --ca-bundle works.

use std::sync::Arc;

use gitlab_onboard::{ApiError, Client, ClientConfig, Error, GitLabUrl, Secret};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

/// An HTTPS server on loopback whose certificate is signed by a fresh private CA. It answers
/// every request with `{"ok":true}`. Returns its URL and the CA's PEM.
async fn https_server() -> (String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "gitlab-onboard test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0; 8192];
                let mut read = 0;
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let body = r#"{"ok":true}"#;
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://{addr}"), ca.pem())
}

fn config(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(GitLabUrl::parse(url).unwrap(), Secret::new("x"));
    c.max_attempts = 1;
    c
}

#[tokio::test]
async fn unknown_ca_is_a_tls_error() {
    let (url, _) = https_server().await;
    let err = Client::new(config(&url))
        .unwrap()
        .get::<Value>("version", &[])
        .await
        .unwrap_err();
    assert!(matches!(err, ApiError::Tls { .. }), "{err:?}");
    assert!(err.to_string().contains("--ca-bundle"), "{err}");
}

#[tokio::test]
async fn ca_bundle_makes_the_private_ca_trusted() {
    let (url, ca_pem) = https_server().await;
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, ca_pem).unwrap();
    let mut c = config(&url);
    c.ca_bundle = Some(bundle);
    let answer: Value = Client::new(c).unwrap().get("version", &[]).await.unwrap();
    assert_eq!(answer["ok"], true);
}

#[test]
fn a_bad_bundle_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("not-a-cert.pem");
    std::fs::write(&bundle, "hello").unwrap();
    let mut c = config("https://gitlab.example.com");
    c.ca_bundle = Some(bundle);
    let err = Client::new(c).unwrap_err();
    assert!(matches!(err, Error::CaBundle { .. }), "{err:?}");
    assert_eq!(err.code(), "invalid_input");
    c = config("https://gitlab.example.com");
    c.ca_bundle = Some(dir.path().join("missing.pem"));
    assert!(matches!(
        Client::new(c).unwrap_err(),
        Error::CaBundle { .. }
    ));
}

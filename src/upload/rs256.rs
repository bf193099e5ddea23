//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256) JWTs signed with *ring*, the crypto rustls already
//! uses here: one small C/assembly build instead of a second, much larger one (aws-lc).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;
use zeroize::Zeroizing;

/// `header.claims.signature`, each part base64url without padding; `header` gets
/// `"alg": "RS256"` and `"typ": "JWT"`. `pem` is the RSA private key (PKCS#8 `PRIVATE KEY`, as
/// Google's key files have, or PKCS#1 `RSA PRIVATE KEY`). The error says what is wrong with
/// the key, in one line.
pub fn sign(mut header: Value, claims: &Value, pem: &str) -> Result<String, String> {
    if let Some(map) = header.as_object_mut() {
        map.insert("alg".into(), "RS256".into());
        map.insert("typ".into(), "JWT".into());
    }
    let key = key_pair(pem)?;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "the key could not sign (is it an RSA key of at least 2048 bits?)".to_owned())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The key pair from a PEM private key; the DER copy is wiped when dropped.
fn key_pair(pem: &str) -> Result<RsaKeyPair, String> {
    let der = Zeroizing::new(
        PrivateKeyDer::from_pem_slice(pem.as_bytes())
            .map_err(|e| format!("no PEM private key found ({e})"))?,
    );
    let pair = match &*der {
        PrivateKeyDer::Pkcs8(k) => RsaKeyPair::from_pkcs8(k.secret_pkcs8_der()),
        PrivateKeyDer::Pkcs1(k) => RsaKeyPair::from_der(k.secret_pkcs1_der()),
        _ => {
            return Err(
                "not an RSA private key (an EC key?): use the service account's RSA key".into(),
            );
        }
    };
    pair.map_err(|e| format!("not a usable RSA private key ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    use serde_json::json;

    const PRIVATE: &str = include_str!("../../tests/fixtures/upload/throwaway-test-key.pem");
    const PUBLIC: &str = include_str!("../../tests/fixtures/upload/throwaway-test-key.pub.pem");

    #[test]
    fn a_signed_token_verifies_with_the_public_key() {
        let claims = json!({"iss": "a@b", "aud": "x", "exp": 4_000_000_000_i64});
        let jwt = sign(json!({"kid": "k1"}), &claims, PRIVATE).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["x"]);
        let data = jsonwebtoken::decode::<Value>(
            &jwt,
            &DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(data.header.kid.as_deref(), Some("k1"));
        assert_eq!(data.header.typ.as_deref(), Some("JWT"));
        assert_eq!(data.claims, claims);
    }

    #[test]
    fn a_tampered_token_does_not_verify() {
        let jwt = sign(
            json!({}),
            &json!({"aud": "x", "exp": 4_000_000_000_i64}),
            PRIVATE,
        )
        .unwrap();
        let (rest, _) = jwt.rsplit_once('.').unwrap();
        let other = sign(
            json!({}),
            &json!({"aud": "y", "exp": 4_000_000_000_i64}),
            PRIVATE,
        )
        .unwrap();
        let forged = format!("{rest}.{}", other.rsplit_once('.').unwrap().1);
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["x"]);
        let key = DecodingKey::from_rsa_pem(PUBLIC.as_bytes()).unwrap();
        assert!(jsonwebtoken::decode::<Value>(&forged, &key, &validation).is_err());
    }

    #[test]
    fn keys_that_cannot_sign_say_why() {
        let e = sign(json!({}), &json!({}), "not a key").unwrap_err();
        assert!(e.starts_with("no PEM private key found"), "{e}");
        let broken = PRIVATE.replace("MII", "XXX");
        assert!(sign(json!({}), &json!({}), &broken).is_err());
        let ec = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n";
        let e = sign(json!({}), &json!({}), ec).unwrap_err();
        assert!(e.starts_with("not an RSA private key"), "{e}");
    }
}

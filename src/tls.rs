//! The TLS crypto of every HTTPS request: rustls with *ring* (a small C and assembly build;
//! aws-lc, reqwest's default, was a 130 s C build of a cold release build on two cores).

use std::sync::Once;

/// Makes *ring* the process's rustls crypto provider, once; every HTTP client is built after
/// this. A provider installed earlier by the embedding program is kept.
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn after_it_a_provider_is_installed_for_reqwest() {
        super::install_crypto();
        super::install_crypto();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        assert!(reqwest::Client::builder().build().is_ok());
    }
}

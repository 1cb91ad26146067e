//! TLS to PostgreSQL (rustls): only when the URL names the certificate authority to trust with
//! `sslrootcert=PATH` (a PEM file), and then always verified and required. There is no TLS
//! that does not verify the server: without `sslrootcert` the connection is plain, and
//! `sslmode=require` without it is refused.

use std::path::{Path, PathBuf};

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use super::{StoreError, StoreResult};

/// The URL without the parameters this module reads, and the CA file it names.
///
/// # Errors
/// `Backend` for a `sslrootcert` with an empty path.
pub fn split_url(url: &str) -> StoreResult<(String, Option<PathBuf>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut kept = Vec::new();
    let mut ca = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslrootcert", path)) if !path.is_empty() => ca = Some(PathBuf::from(path)),
            Some(("sslrootcert", _)) => {
                return Err(StoreError::Backend("sslrootcert needs a path".into()))
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, ca))
}

/// A client configuration trusting exactly the certificates in the PEM file `ca`.
///
/// # Errors
/// `Backend` when the file cannot be read or holds no certificate.
pub fn client_config(ca: &Path) -> StoreResult<ClientConfig> {
    let bad = |e: String| StoreError::Backend(format!("sslrootcert {}: {e}", ca.display()));
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| bad(e.to_string()))? {
        roots
            .add(cert.map_err(|e| bad(e.to_string()))?)
            .map_err(|e| bad(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(bad("no certificate".into()));
    }
    Ok(ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_parameter_is_taken_out_of_the_url() {
        let (url, ca) = split_url("postgres://u@h:1/db?sslrootcert=/etc/ca.pem&sslmode=require")
            .expect("split");
        assert_eq!(url, "postgres://u@h:1/db?sslmode=require");
        assert_eq!(ca, Some(PathBuf::from("/etc/ca.pem")));
        let (url, ca) = split_url("postgres://u@h:1/db").expect("split");
        assert_eq!((url.as_str(), ca), ("postgres://u@h:1/db", None));
        assert!(split_url("postgres://u@h/db?sslrootcert=").is_err());
        assert!(client_config(Path::new("/nonexistent/ca.pem")).is_err());
    }
}

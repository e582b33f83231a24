//! Client keys: generating one (PKCS#8 PEM, mode 0600, never over an existing file), its public
//! half as PEM, and key sets (JWKS) whose `kid` is the RFC 7638 thumbprint.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};

/// What went wrong with a key file: each names the file and what to do.
#[derive(Debug)]
pub(crate) enum KeyError {
    /// The file exists: keygen never overwrites a key.
    Exists(PathBuf),
    /// It could not be written.
    Write(PathBuf, std::io::Error),
    /// It could not be read.
    Read(PathBuf, std::io::Error),
    /// It is not an RSA private key in PEM form.
    NotAKey(PathBuf, String),
    /// Key generation failed.
    Generate,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::Exists(p) => write!(
                f,
                "{}: the file exists, and a key is never overwritten: choose another path, or move the old key away first",
                p.display()
            ),
            KeyError::Write(p, e) => {
                write!(f, "{}: cannot write it ({e}): check the directory exists and is writable", p.display())
            }
            KeyError::Read(p, e) => write!(f, "{}: cannot read it ({e}): check the path", p.display()),
            KeyError::NotAKey(p, why) => write!(
                f,
                "{}: not an RSA private key in PEM form ({why}): give the PKCS#8 or PKCS#1 file `govuk-one-login keygen` wrote",
                p.display()
            ),
            KeyError::Generate => f.write_str("the RSA key could not be generated"),
        }
    }
}

/// A generated key: its PKCS#8 PEM, its public key's PEM, and its JWK.
pub(crate) struct Generated {
    pub(crate) private_pem: String,
    pub(crate) public_pem: String,
    pub(crate) jwk: Value,
}

/// Generates an RSA key of `bits` (2048 or 3072).
pub(crate) fn generate(bits: u32) -> Result<Generated, KeyError> {
    let size = if bits == 3072 { KeySize::Rsa3072 } else { KeySize::Rsa2048 };
    let pair = KeyPair::generate(size).map_err(|_| KeyError::Generate)?;
    let pkcs8 = AsDer::<Pkcs8V1Der>::as_der(&pair).map_err(|_| KeyError::Generate)?;
    let spki = AsDer::<PublicKeyX509Der>::as_der(pair.public_key()).map_err(|_| KeyError::Generate)?;
    let private_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.as_ref().to_vec()));
    let public_pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki.as_ref().to_vec()));
    let jwk = public_jwk(private_pem.as_bytes()).map_err(|_| KeyError::Generate)?;
    Ok(Generated { private_pem, public_pem, jwk })
}

/// The public JWK of an RSA private key in PEM form (PKCS#8 or PKCS#1), with `kid` its RFC 7638
/// thumbprint, `use` `sig` and `alg` `RS256`.
pub(crate) fn public_jwk(pem: &[u8]) -> Result<Value, String> {
    let key = EncodingKey::from_rsa_pem(pem).map_err(|e| e.to_string())?;
    let jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).map_err(|e| e.to_string())?;
    let AlgorithmParameters::RSA(rsa) = &jwk.algorithm else { return Err("not an RSA key".into()) };
    let (n, e) = (rsa.n.clone(), rsa.e.clone());
    if URL_SAFE_NO_PAD.decode(&n).map_or(0, |n| n.len() * 8) < 2048 {
        return Err("shorter than 2048 bits, which One Login refuses".into());
    }
    Ok(json!({ "kty": "RSA", "n": n, "e": e, "kid": thumbprint(&n, &e), "use": "sig", "alg": "RS256" }))
}

/// The RFC 7638 thumbprint of an RSA public key: SHA-256 of `{"e":…,"kty":"RSA","n":…}` (the
/// required members in lexicographic order, no whitespace), base64url.
pub(crate) fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes()))
}

/// Reads a private key file's public JWK.
pub(crate) fn jwk_of_file(path: &Path) -> Result<Value, KeyError> {
    let pem = std::fs::read(path).map_err(|e| KeyError::Read(path.to_owned(), e))?;
    public_jwk(&pem).map_err(|why| KeyError::NotAKey(path.to_owned(), why))
}

/// Writes `text` to a new file at `path` with mode `mode` (never replacing one).
pub(crate) fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), KeyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => KeyError::Exists(path.to_owned()),
        _ => KeyError::Write(path.to_owned(), e),
    })?;
    file.write_all(text.as_bytes()).map_err(|e| KeyError::Write(path.to_owned(), e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_thumbprint_is_rfc_7638s_own_example() {
        // RFC 7638, section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(super::thumbprint(n, "AQAB"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}

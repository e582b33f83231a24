//! Newtypes for every protocol string, so that a nonce can never be passed where a state goes.
//! Secrets print `[redacted]` in `Debug`.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

macro_rules! public_string {
    ($(#[$m:meta])* $name:ident) => {
        public_string!(@type $(#[$m])* $name, String);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({:?})"), self.0)
            }
        }
    };
    // Personal data: `Debug` shows that it is there, not what it is. Held in an `Arc<str>`:
    // a subject is kept by every record and index entry of its sessions, as one copy.
    ($(#[$m:meta])* personal $name:ident) => {
        public_string!(@type $(#[$m])* $name, std::sync::Arc<str>);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
    (@type $(#[$m:meta])* $name:ident, $inner:ty) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name($inner);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(<$inner>::from(value.into()))
            }
            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

macro_rules! secret_string {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
            /// The secret value. Never log it.
            pub fn secret(&self) -> &str {
                &self.0
            }
            /// Compares in constant time.
            pub fn ct_eq(&self, other: &str) -> bool {
                ct_eq(self.0.as_bytes(), other.as_bytes())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

public_string!(
    /// The relying party's client id, issued by One Login.
    ClientId
);
public_string!(
    /// A user's pairwise subject identifier (`sub`). Opaque: never parse it.
    ///
    /// It is personal data in the sense that it identifies a user: this crate never logs it,
    /// and its `Debug` shows `Subject([redacted])`.
    personal Subject
);
secret_string!(
    /// The OAuth `state` of one pending login.
    State
);
secret_string!(
    /// The OIDC `nonce` of one pending login.
    Nonce
);
secret_string!(
    /// The PKCE code verifier of one pending login.
    PkceVerifier
);
secret_string!(
    /// A raw ID token, kept for `id_token_hint` at logout and re-authentication.
    IdToken
);
secret_string!(
    /// The opaque access token returned by the token endpoint.
    AccessToken
);

/// Compares two byte strings in constant time (for equal lengths).
/// A value from outside (a token header, One Login's query, a response) fit for a log line or
/// an error message: at most `max` characters, each visible ASCII or a space, anything else
/// (a newline that would forge a log line, a control character) shown as `?`.
pub(crate) fn loggable(value: &str, max: usize) -> String {
    value.chars().take(max).map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect()
}

pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// `n` random bytes from the operating system's CSPRNG, base64url without padding.
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256, base64url without padding.
pub(crate) fn sha256_b64(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(sha256(input))
}

/// The SHA-256 of `input`, as its 32 bytes.
pub(crate) fn sha256(input: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, input);
    let mut bytes = [0; 32];
    bytes.copy_from_slice(digest.as_ref());
    bytes
}

impl State {
    pub(crate) fn generate() -> Self {
        Self(random_token(16))
    }
}
impl Nonce {
    pub(crate) fn generate() -> Self {
        Self(random_token(16))
    }
}
impl PkceVerifier {
    pub(crate) fn generate() -> Self {
        // 32 bytes give a 43-character verifier, the RFC 7636 minimum length.
        Self(random_token(32))
    }
    /// The S256 code challenge for this verifier.
    pub fn challenge(&self) -> String {
        sha256_b64(self.0.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_in_debug() {
        let t = IdToken::new("eyJhbGciOi.secret.sig");
        assert_eq!(format!("{t:?}"), "IdToken([redacted])");
        assert_eq!(format!("{:?}", Nonce::generate()), "Nonce([redacted])");
    }

    #[test]
    fn pkce_challenge_matches_rfc7636_appendix_b() {
        let v = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn constant_time_compare() {
        let s = State::new("abc");
        assert!(s.ct_eq("abc"));
        assert!(!s.ct_eq("abd"));
        assert!(!s.ct_eq("ab"));
    }
}

//! Checks shared by every token this crate verifies: compact-JWS parsing, algorithm pinning,
//! key/algorithm agreement, signatures and time claims with leeway.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Header};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::TokenError;

/// Longest token accepted (a core identity JWT with its claims is a few KB).
const MAX_TOKEN_LEN: usize = 64 * 1024;

pub(crate) fn alg_name(alg: Algorithm) -> &'static str {
    match alg {
        Algorithm::ES256 => "ES256",
        Algorithm::RS256 => "RS256",
        Algorithm::PS256 => "PS256",
        _ => "other",
    }
}

/// A compact JWS whose header passed [`header`]: three parts, `alg` the pinned one, no `crit`.
/// The only input [`verify`] takes, so no token is verified without those checks.
pub(crate) struct Jws<'a> {
    token: &'a str,
    alg: Algorithm,
    /// The parsed header.
    pub(crate) header: Header,
}

/// Parses the header and checks `alg` against the pinned algorithm.
pub(crate) fn header(token: &str, pinned: Algorithm) -> Result<Jws<'_>, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed("token too long".into()));
    }
    if token.split('.').count() != 3 {
        return Err(TokenError::Malformed("not a compact JWS with three parts".into()));
    }
    let raw = raw_header_alg(token)?;
    if raw != alg_name(pinned) {
        return Err(TokenError::AlgorithmNotAllowed {
            expected: alg_name(pinned),
            found: crate::types::loggable(&raw, 16),
        });
    }
    let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(format!("header: {e}")))?;
    // RFC 7515 §4.1.11: a recipient must refuse a JWS whose `crit` lists an extension it does
    // not understand. This crate understands none, and `crit` may not be empty.
    if let Some(crit) = &header.crit {
        let names = crit.iter().map(|name| crate::types::loggable(name, 32)).collect::<Vec<_>>().join(",");
        return Err(TokenError::UnsupportedCritical(crate::types::loggable(&names, 128)));
    }
    Ok(Jws { token, alg: pinned, header })
}

/// The header's `alg` as written, so that `none` or `HS256` is reported as such.
pub(crate) fn raw_header_alg(token: &str) -> Result<String, TokenError> {
    use base64::Engine as _;
    #[derive(Deserialize)]
    struct Alg {
        alg: String,
    }
    let head = token.split('.').next().unwrap_or("");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(head)
        .map_err(|_| TokenError::Malformed("header is not base64url".into()))?;
    let alg: Alg = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed("header has no alg".into()))?;
    Ok(alg.alg)
}

/// Whether the key's type (and `alg`, if it names one) fits the algorithm.
pub(crate) fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let type_ok = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => ec.curve == EllipticCurve::P256,
        (AlgorithmParameters::RSA(_), Algorithm::RS256 | Algorithm::PS256) => true,
        _ => false,
    };
    let alg_ok = match jwk.common.key_algorithm {
        None => true,
        Some(ka) => ka == jsonwebtoken::jwk::KeyAlgorithm::from(alg),
    };
    type_ok && alg_ok
}

/// Verifies the signature with `jwk` and decodes the claims. Times and audiences are checked
/// by the caller, against this crate's clock.
///
/// The signature is checked with `jsonwebtoken::crypto::verify` and the claims decoded once,
/// into `T`: `jsonwebtoken::decode` would parse the header a third time and the claims twice
/// (into a JSON value for checks this crate makes itself, then into `T`).
pub(crate) fn verify<T: DeserializeOwned>(jws: &Jws<'_>, jwk: &Jwk) -> Result<T, TokenError> {
    use base64::Engine as _;
    let alg = jws.alg;
    let kid = jwk.common.key_id.clone().unwrap_or_default();
    if !key_fits(jwk, alg) {
        return Err(TokenError::KeyMismatch { kid });
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::KeyMismatch { kid })?;
    // `header` made sure of three parts.
    let malformed = || TokenError::Malformed("not a compact JWS with three parts".into());
    let (signed, signature) = jws.token.rsplit_once('.').ok_or_else(malformed)?;
    let claims = signed.split_once('.').ok_or_else(malformed)?.1;
    match jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &key, alg) {
        Ok(true) => {}
        Ok(false) => return Err(TokenError::BadSignature),
        Err(e) => {
            use jsonwebtoken::errors::ErrorKind;
            return Err(match e.kind() {
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    TokenError::BadSignature
                }
                _ => TokenError::Malformed(e.to_string()),
            });
        }
    }
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .map_err(|_| TokenError::Malformed("claims are not base64url".into()))?;
    serde_json::from_slice(&claims).map_err(|e| TokenError::Malformed(format!("claims: {e}")))
}

/// `exp`, `iat` and `nbf` against `now` with `leeway` seconds.
pub(crate) fn check_times(
    now: i64,
    leeway: i64,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
) -> Result<(), TokenError> {
    // A signed claim may hold any i64: every sum and difference saturates.
    let exp = exp.ok_or(TokenError::MissingClaim("exp"))?;
    let latest = exp.saturating_add(leeway);
    if now > latest {
        return Err(TokenError::Expired { by: seconds(now.saturating_sub(latest)) });
    }
    let earliest = now.saturating_add(leeway);
    for t in [iat, nbf].into_iter().flatten() {
        if t > earliest {
            return Err(TokenError::NotYetValid { by: seconds(t.saturating_sub(earliest)) });
        }
    }
    Ok(())
}

/// A positive number of seconds as a duration.
fn seconds(secs: i64) -> std::time::Duration {
    std::time::Duration::from_secs(secs.max(0) as u64)
}

/// An `aud` claim: a string or an array of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// Whether the audience is exactly our client (OIDC Core §3.1.3.7): it lists our client id
    /// and no other audience (this client trusts none), and an `azp`, when present, names us.
    pub(crate) fn is_for(&self, client_id: &str, azp: Option<&str>) -> bool {
        let aud_ok = match self {
            Audience::One(a) => a == client_id,
            Audience::Many(list) => !list.is_empty() && list.iter().all(|a| a == client_id),
        };
        aud_ok && azp.is_none_or(|azp| azp == client_id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_with_leeway() {
        assert_eq!(check_times(1000, 30, Some(1000), Some(900), None), Ok(()));
        assert_eq!(check_times(1030, 30, Some(1000), None, None), Ok(()));
        assert_eq!(
            check_times(1031, 30, Some(1000), None, None),
            Err(TokenError::Expired { by: Duration::from_secs(1) })
        );
        assert_eq!(
            check_times(1000, 30, Some(2000), Some(1040), None),
            Err(TokenError::NotYetValid { by: Duration::from_secs(10) })
        );
        assert_eq!(
            check_times(1000, 30, Some(2000), None, Some(1031)),
            Err(TokenError::NotYetValid { by: Duration::from_secs(1) })
        );
        assert_eq!(check_times(1000, 30, None, None, None), Err(TokenError::MissingClaim("exp")));
    }

    /// Found by the `jwt` fuzz target: a signed `exp` far in the past made the "expired by"
    /// subtraction overflow (a panic in debug builds, a wrong duration in release ones).
    #[test]
    fn times_at_the_ends_of_the_range_do_not_overflow() {
        let now = 1_800_000_000;
        assert_eq!(
            check_times(now, 30, Some(i64::MIN), None, None),
            Err(TokenError::Expired { by: Duration::from_secs(i64::MAX as u64) })
        );
        assert_eq!(
            check_times(-now, 30, Some(i64::MAX), Some(i64::MAX), None),
            Err(TokenError::NotYetValid { by: Duration::from_secs(i64::MAX as u64) })
        );
        assert_eq!(
            check_times(i64::MIN, 0, Some(0), None, Some(i64::MAX)),
            Err(TokenError::NotYetValid { by: Duration::from_secs(i64::MAX as u64) })
        );
    }

    #[test]
    fn audience_rules() {
        assert!(Audience::One("c".into()).is_for("c", None));
        assert!(!Audience::One("d".into()).is_for("c", None));
        assert!(Audience::Many(vec!["c".into()]).is_for("c", None));
        assert!(Audience::Many(vec!["c".into()]).is_for("c", Some("c")));
        assert!(!Audience::Many(vec![]).is_for("c", None));
        assert!(!Audience::Many(vec!["c".into(), "d".into()]).is_for("c", None));
        assert!(!Audience::Many(vec!["c".into(), "d".into()]).is_for("c", Some("c")), "an untrusted extra audience");
        assert!(!Audience::One("c".into()).is_for("c", Some("d")), "azp present and not us");
        assert!(!Audience::Many(vec!["c".into()]).is_for("c", Some("d")));
    }

    #[test]
    fn header_refuses_none_and_hs256_by_name() {
        use base64::Engine as _;
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let none = format!("{}.{}.", enc(r#"{"alg":"none"}"#), enc("{}"));
        assert_eq!(
            header(&none, Algorithm::ES256).err(),
            Some(TokenError::AlgorithmNotAllowed { expected: "ES256", found: "none".into() })
        );
        let hs = format!("{}.{}.sig", enc(r#"{"alg":"HS256","kid":"k"}"#), enc("{}"));
        assert!(matches!(header(&hs, Algorithm::ES256), Err(TokenError::AlgorithmNotAllowed { .. })));
        assert!(matches!(header("a.b", Algorithm::ES256), Err(TokenError::Malformed(_))));
        assert!(matches!(header("!!.b.c", Algorithm::ES256), Err(TokenError::Malformed(_))));
    }

    fn token_with_header(header: &serde_json::Value) -> String {
        use base64::Engine as _;
        let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
        format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(b"{}"), b64(b"sig"))
    }

    /// RFC 7515 §4.1.11: every token kind goes through `header`, which refuses `crit`.
    #[test]
    fn a_critical_header_extension_is_refused() {
        for crit in [serde_json::json!(["exp"]), serde_json::json!(["b64"]), serde_json::json!([])] {
            let token = token_with_header(&serde_json::json!({ "alg": "ES256", "kid": "k", "crit": crit, "exp": 1 }));
            match header(&token, Algorithm::ES256).map(|jws| jws.header) {
                Err(TokenError::UnsupportedCritical(_)) => {}
                other => panic!("crit {crit} must be refused, got {other:?}"),
            }
        }
        let plain = token_with_header(&serde_json::json!({ "alg": "ES256", "kid": "k" }));
        assert!(header(&plain, Algorithm::ES256).is_ok());
    }

    #[test]
    fn header_values_in_errors_cannot_forge_log_lines() {
        let token = token_with_header(&serde_json::json!({ "alg": "ES256", "crit": ["a\nlevel=ERROR forged"] }));
        let Err(error) = header(&token, Algorithm::ES256) else { panic!("refused") };
        assert!(!error.to_string().contains('\n'), "{error}");
        assert_eq!(crate::types::loggable("kid\r\nx\u{7f}\u{e9}", 128), "kid??x??");
        assert_eq!(crate::types::loggable(&"k".repeat(500), 128).len(), 128);
    }
}

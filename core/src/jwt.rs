//! Checks shared by every token this crate verifies: compact-JWS parsing, algorithm pinning,
//! key/algorithm agreement, signatures and time claims with leeway.

use std::fmt;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// Why a header could not be read, without the parser's message: serde's quotes what the
/// sender wrote (an unknown `jwk.alg` with a line break in it would forge a log line).
fn header_fault(e: &jsonwebtoken::errors::Error) -> String {
    match e.kind() {
        jsonwebtoken::errors::ErrorKind::Json(json) => format!("header: {}", crate::error::JsonFault::of(json)),
        jsonwebtoken::errors::ErrorKind::Base64(_) => "header: not base64url".into(),
        jsonwebtoken::errors::ErrorKind::Utf8(_) => "header: not UTF-8".into(),
        _ => "header: not readable".into(),
    }
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
    let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(header_fault(&e)))?;
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
    #[derive(Deserialize)]
    struct Alg {
        alg: String,
    }
    let head = token.split('.').next().unwrap_or("");
    let bytes = URL_SAFE_NO_PAD.decode(head).map_err(|_| TokenError::Malformed("header is not base64url".into()))?;
    let alg: Alg = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed("header has no alg".into()))?;
    Ok(alg.alg)
}

/// A public key to verify tokens with, read once: when the JWK set or DID document that holds
/// it is fetched, not at each token. A P-256 key is parsed for ES256 then (its point decoded
/// and checked to lie on the curve), so that verifying a signature is only the signature's
/// arithmetic; other keys are verified through `jsonwebtoken`.
#[derive(Clone)]
pub(crate) struct PublicKey {
    pub(crate) jwk: Jwk,
    /// The parsed ES256 key, for a P-256 key whose point aws-lc-rs accepts.
    es256: Option<ParsedPublicKey>,
}

impl PublicKey {
    pub(crate) fn new(jwk: Jwk) -> Self {
        let es256 = p256_point(&jwk).and_then(|point| ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).ok());
        Self { jwk, es256 }
    }

    /// The key's `kid`, if it has one.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.jwk.common.key_id.as_deref()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey").field("jwk", &self.jwk).field("parsed_es256", &self.es256.is_some()).finish()
    }
}

/// The uncompressed SEC1 point of a P-256 JWK (`0x04 || x || y`), as `jsonwebtoken` builds it
/// from the same members; `None` for any other key, or coordinates that are not 32 bytes of
/// base64url.
fn p256_point(jwk: &Jwk) -> Option<Vec<u8>> {
    let AlgorithmParameters::EllipticCurve(ec) = &jwk.algorithm else { return None };
    if ec.curve != EllipticCurve::P256 {
        return None;
    }
    let (x, y) = (URL_SAFE_NO_PAD.decode(&ec.x).ok()?, URL_SAFE_NO_PAD.decode(&ec.y).ok()?);
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut point = Vec::with_capacity(65);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    Some(point)
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
    // RFC 7517 §4.2: a key published for encryption is not one to verify signatures with.
    let use_ok = matches!(jwk.common.public_key_use, None | Some(jsonwebtoken::jwk::PublicKeyUse::Signature));
    type_ok && alg_ok && use_ok
}

/// Verifies the signature with `key` and decodes the claims. Times and audiences are checked
/// by the caller, against this crate's clock.
///
/// An ES256 signature is checked with the key parsed when it was fetched; any other with
/// `jsonwebtoken::crypto::verify`. The claims are decoded once, into `T`: `jsonwebtoken::decode`
/// would parse the header a third time and the claims twice (into a JSON value for checks this
/// crate makes itself, then into `T`).
pub(crate) fn verify<T: DeserializeOwned>(jws: &Jws<'_>, key: &PublicKey) -> Result<T, TokenError> {
    let alg = jws.alg;
    let jwk = &key.jwk;
    let kid = || key.kid().unwrap_or_default().to_owned();
    if !key_fits(jwk, alg) {
        return Err(TokenError::KeyMismatch { kid: kid() });
    }
    // `header` made sure of three parts.
    let malformed = || TokenError::Malformed("not a compact JWS with three parts".into());
    let (signed, signature) = jws.token.rsplit_once('.').ok_or_else(malformed)?;
    let claims = signed.split_once('.').ok_or_else(malformed)?.1;
    let valid = if alg == Algorithm::ES256 {
        // A P-256 key whose coordinates are not 32 bytes each, or whose point is not on the
        // curve, was not parsed: refused, not handed to `jsonwebtoken`, which would join
        // coordinates of other lengths (31 and 33 bytes) into a point (RFC 7518 §6.2.1.2).
        let Some(parsed) = &key.es256 else { return Err(TokenError::KeyMismatch { kid: kid() }) };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed("signature is not base64url".into()))?;
        parsed.verify_sig(signed.as_bytes(), &signature).is_ok()
    } else {
        let decoding = DecodingKey::from_jwk(jwk).map_err(|_| TokenError::KeyMismatch { kid: kid() })?;
        match jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &decoding, alg) {
            Ok(valid) => valid,
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
    };
    if !valid {
        return Err(TokenError::BadSignature);
    }
    let claims =
        URL_SAFE_NO_PAD.decode(claims).map_err(|_| TokenError::Malformed("claims are not base64url".into()))?;
    serde_json::from_slice(&claims)
        .map_err(|e| TokenError::Malformed(format!("claims: {}", crate::error::JsonFault::of(&e))))
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
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
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
        let b64 = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
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
        // A value the header parser refuses, with a line break in it: serde's message would
        // quote it (escaped here, but not every serde message escapes).
        let unknown = serde_json::json!({ "alg": "ES256", "x5c": "x\nlevel=ERROR forged" });
        let Err(error) = header(&token_with_header(&unknown), Algorithm::ES256) else { panic!("refused") };
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("forged") && !shown.contains('\n'), "{shown}");
        assert_eq!(crate::types::loggable("kid\r\nx\u{7f}\u{e9}", 128), "kid??x??");
        assert_eq!(crate::types::loggable(&"k".repeat(500), 128).len(), 128);
    }

    /// A P-256 key pair, its public half as a JWK, and a token it signed.
    fn es256_fixture() -> (Jwk, String) {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let point = pair.public_key().as_ref();
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "k1",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }))
        .unwrap();
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"k1"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"s"}"#)
        );
        let signature = pair.sign(&aws_lc_rs::rand::SystemRandom::new(), signed.as_bytes()).unwrap();
        (jwk, format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }

    fn outcome(token: &str, key: &PublicKey) -> Result<serde_json::Value, String> {
        let jws = header(token, Algorithm::ES256).map_err(|e| format!("header: {e:?}"))?;
        // The variant only: the two paths word a malformed signature differently.
        verify::<serde_json::Value>(&jws, key)
            .map_err(|e| format!("{e:?}").split(['(', ' ']).next().unwrap().to_owned())
    }

    /// What `jsonwebtoken` says of `token` with `jwk`, in the terms of [`outcome`].
    fn jsonwebtoken_says(token: &str, jwk: &Jwk) -> Result<(), String> {
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        match jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &key, Algorithm::ES256) {
            Ok(true) => Ok(()),
            Ok(false) => Err("BadSignature".into()),
            Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
                Err("BadSignature".into())
            }
            Err(_) => Err("Malformed".into()),
        }
    }

    /// A key parsed when its document is fetched gives the answer `jsonwebtoken` gives for
    /// every token: good, with changed claims, changed or cut signatures, a signature that is
    /// not base64url, and another key's.
    #[test]
    fn an_es256_key_parsed_once_verifies_as_jsonwebtoken_does() {
        let (jwk, good) = es256_fixture();
        let parsed = PublicKey::new(jwk.clone());
        assert!(parsed.es256.is_some(), "a P-256 key is parsed when it is read");
        let (signed, signature) = good.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(signature).unwrap();
        sig[10] ^= 1;
        let flipped = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&sig));
        let cut = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(&sig[..63]));
        let other_claims =
            good.replacen(&URL_SAFE_NO_PAD.encode(br#"{"sub":"s"}"#), &URL_SAFE_NO_PAD.encode(br#"{"sub":"t"}"#), 1);
        let not_base64 = format!("{signed}.!!!!");
        let (_, from_another_key) = es256_fixture();
        assert_eq!(outcome(&good, &parsed), Ok(serde_json::json!({"sub": "s"})));
        for (name, token) in [
            ("good", &good),
            ("signature changed", &flipped),
            ("signature cut", &cut),
            ("claims changed", &other_claims),
            ("signature not base64url", &not_base64),
            ("another key's", &from_another_key),
        ] {
            assert_eq!(outcome(token, &parsed).map(drop), jsonwebtoken_says(token, &jwk), "{name}");
            if name != "good" {
                assert!(outcome(token, &parsed).is_err(), "{name} must be refused");
            }
        }
        assert_eq!(outcome(&flipped, &parsed), Err("BadSignature".into()));
    }

    /// A JWK whose point is not on the curve, or is not 32-byte coordinates, is not parsed, and
    /// verifies nothing.
    #[test]
    fn a_key_off_the_curve_is_not_parsed_and_verifies_nothing() {
        let (jwk, good) = es256_fixture();
        let AlgorithmParameters::EllipticCurve(ec) = &jwk.algorithm else { unreachable!() };
        let mut y = URL_SAFE_NO_PAD.decode(&ec.y).unwrap();
        y[31] ^= 1;
        let mut off_curve = jwk.clone();
        let AlgorithmParameters::EllipticCurve(ec) = &mut off_curve.algorithm else { unreachable!() };
        ec.y = URL_SAFE_NO_PAD.encode(&y);
        let mut short = jwk.clone();
        let AlgorithmParameters::EllipticCurve(ec) = &mut short.algorithm else { unreachable!() };
        ec.y = URL_SAFE_NO_PAD.encode(&y[..31]);
        for jwk in [off_curve, short] {
            let key = PublicKey::new(jwk);
            assert!(key.es256.is_none());
            assert_eq!(outcome(&good, &key), Err("KeyMismatch".into()));
        }
    }

    /// RFC 7518 §6.2.1.2: each coordinate is exactly 32 bytes. Coordinates of 31 and 33 bytes
    /// whose concatenation is the signer's point (which `jsonwebtoken` would join and accept)
    /// are refused.
    #[test]
    fn coordinates_of_the_wrong_lengths_are_refused_even_when_they_join_into_the_point() {
        let (jwk, good) = es256_fixture();
        let AlgorithmParameters::EllipticCurve(ec) = &jwk.algorithm else { unreachable!() };
        let (x, y) = (URL_SAFE_NO_PAD.decode(&ec.x).unwrap(), URL_SAFE_NO_PAD.decode(&ec.y).unwrap());
        let mut split = jwk.clone();
        let AlgorithmParameters::EllipticCurve(ec) = &mut split.algorithm else { unreachable!() };
        ec.x = URL_SAFE_NO_PAD.encode(&x[..31]);
        ec.y = URL_SAFE_NO_PAD.encode([&x[31..], &y[..]].concat());
        let decoding = DecodingKey::from_jwk(&split).unwrap();
        let (signed, signature) = good.rsplit_once('.').unwrap();
        assert_eq!(
            jsonwebtoken::crypto::verify(signature, signed.as_bytes(), &decoding, Algorithm::ES256).ok(),
            Some(true),
            "jsonwebtoken joins the coordinates into the signer's point"
        );
        assert_eq!(outcome(&good, &PublicKey::new(split)), Err("KeyMismatch".into()));
    }

    /// A key published for encryption (`use: enc`) verifies no signature.
    #[test]
    fn a_key_for_encryption_verifies_nothing() {
        let (jwk, good) = es256_fixture();
        assert!(outcome(&good, &PublicKey::new(jwk.clone())).is_ok());
        let mut enc = jwk;
        enc.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Encryption);
        assert_eq!(outcome(&good, &PublicKey::new(enc)), Err("KeyMismatch".into()));
    }
}

//! Thin wrappers around the crate's internal parsers, for the cargo-fuzz targets in `fuzz/`.
//! Built only with the `fuzzing` feature and hidden from the documentation: not part of the
//! API, and it may change at any time.

pub use jsonwebtoken::jwk::Jwk;
pub use jsonwebtoken::{Algorithm, Header};

pub use crate::error::TokenError;

/// The longest value of our cookies that [`read_cookies`] reads.
pub const MAX_COOKIE_VALUE: usize = 128;

/// The JWS header check every token goes through (`jwt::header`): three parts, the `alg`
/// pinned to `pinned`, no `crit`.
pub fn jwt_header(token: &str, pinned: Algorithm) -> Result<Header, TokenError> {
    crate::jwt::header(token, pinned).map(|jws| jws.header)
}

/// The header check and then signature verification and claims decoding (`jwt::verify`),
/// decoding the claims as any JSON value.
pub fn jwt_verify(token: &str, jwk: &Jwk, alg: Algorithm) -> Result<serde_json::Value, TokenError> {
    crate::jwt::verify(&crate::jwt::header(token, alg)?, &crate::jwt::PublicKey::new(jwk.clone()))
}

/// Whether `jwk` fits `alg` (`jwt::key_fits`).
pub fn jwt_key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    crate::jwt::key_fits(jwk, alg)
}

/// The `exp`/`iat`/`nbf` check (`jwt::check_times`).
pub fn jwt_check_times(
    now: i64,
    leeway: i64,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
) -> Result<(), TokenError> {
    crate::jwt::check_times(now, leeway, exp, iat, nbf)
}

/// An `aud` claim decoded as the token checks decode it, then checked against `client_id`
/// (`jwt::Audience::is_for`); `None` when it is neither a string nor an array of strings.
pub fn audience_is_for(aud: &serde_json::Value, client_id: &str, azp: Option<&str>) -> Option<bool> {
    let aud: crate::jwt::Audience = serde_json::from_value(aud.clone()).ok()?;
    Some(aud.is_for(client_id, azp))
}

/// (session id, flow cookie) read from a `Cookie` header (`web::cookies::read`), with the
/// `__Host-` names when `secure`, else the plain-http loopback names.
pub fn read_cookies(header: Option<&str>, secure: bool) -> (Option<String>, Option<String>) {
    use crate::web::{FLOW_COOKIE, FLOW_COOKIE_INSECURE, SESSION_COOKIE, SESSION_COOKIE_INSECURE};
    let names = if secure {
        crate::web::cookies::Names { session: SESSION_COOKIE, flow: FLOW_COOKIE, secure }
    } else {
        crate::web::cookies::Names { session: SESSION_COOKIE_INSECURE, flow: FLOW_COOKIE_INSECURE, secure }
    };
    crate::web::cookies::read(header, &names)
}

//! The token endpoint One Login's transmitter authenticates at (the OAuth 2.0 client-credentials
//! grant, RFC 6749 §4.4), and the check of the access tokens it issues.
//!
//! Access tokens are JWTs signed with HS256 under a key derived from the client secret
//! ([`EventsConfig`]), so any instance configured with the same secret verifies any instance's
//! tokens with no shared state, and changing the secret ends every outstanding token.

use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::config::EventsConfig;
use super::error::TokenRequestError;
use crate::types::ct_eq;

/// The `iss` of our access tokens: they are only ever read by the receiver that issued them.
const TOKEN_ISSUER: &str = "urn:govuk-one-login-rs:events-token-endpoint";
/// The longest bearer token read (ours are a few hundred bytes).
const MAX_BEARER: usize = 4096;

#[derive(Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    aud: String,
    sub: String,
    iat: i64,
    exp: i64,
    jti: String,
}

/// A granted access token, as the token endpoint answers it.
pub(crate) struct Granted {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}

/// The assertion type of `private_key_jwt` (RFC 7523 §2.2).
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The longest a client assertion may be valid for.
const MAX_ASSERTION_LIFETIME: i64 = 300;

/// A client assertion's `jti`, to record before the token is handed over (one use only), and
/// until when.
pub(crate) struct AssertionUse {
    pub(crate) replay: crate::store::ReplayKey,
    pub(crate) until: i64,
}

/// Checks a token request (form body and `Authorization` header) and grants a token. With a
/// client assertion, the caller records its `jti` before answering.
pub(crate) fn grant(
    config: &EventsConfig,
    authorization: Option<&str>,
    form: &[u8],
    now: i64,
    leeway: i64,
) -> Result<(Granted, Option<AssertionUse>), TokenRequestError> {
    let params = form_params(form)?;
    let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    match param("grant_type") {
        None => return Err(TokenRequestError::InvalidRequest("grant_type is missing")),
        Some("client_credentials") => {}
        Some(_) => return Err(TokenRequestError::UnsupportedGrantType),
    }
    let assertion = match (param("client_assertion_type"), param("client_assertion")) {
        (None, None) => None,
        (Some(JWT_BEARER), Some(jwt)) => Some(jwt),
        _ => return Err(TokenRequestError::InvalidRequest("client_assertion and its type go together")),
    };
    let used = if let Some(jwt) = assertion {
        if authorization.is_some() || param("client_secret").is_some() {
            return Err(TokenRequestError::InvalidRequest("one client authentication method, not two"));
        }
        if param("client_id").is_some_and(|id| !same(id, &config.client_id)) {
            return Err(TokenRequestError::InvalidClient);
        }
        Some(check_assertion(config, jwt, now, leeway)?)
    } else {
        check_secret(config, authorization, &param)?;
        None
    };
    let lifetime = config.access_token_lifetime.as_secs();
    let claims = AccessClaims {
        iss: TOKEN_ISSUER.into(),
        aud: config.audience.clone(),
        sub: config.client_id.clone(),
        iat: now,
        exp: now.saturating_add(lifetime as i64),
        jti: crate::types::random_token(16),
    };
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("at+jwt".into());
    let access_token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&config.token_key))
        .map_err(|_| TokenRequestError::InvalidRequest("the token could not be made"))?;
    Ok((Granted { access_token, expires_in: lifetime }, used))
}

/// The client id and secret, by HTTP Basic or in the form (never both).
fn check_secret<'a>(
    config: &EventsConfig,
    authorization: Option<&str>,
    param: &dyn Fn(&str) -> Option<&'a str>,
) -> Result<(), TokenRequestError> {
    let from_header = authorization.map(basic_credentials).transpose()?;
    let basic = from_header.is_some();
    let from_form = match (param("client_id"), param("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
        (None, None) => None,
        (Some(_), None) if from_header.is_some() => None,
        _ => return Err(TokenRequestError::InvalidRequest("client_id and client_secret go together")),
    };
    let (id, secret) = match (from_header, from_form) {
        (Some(_), Some(_)) => {
            return Err(TokenRequestError::InvalidRequest("one client authentication method, not two"));
        }
        (Some(creds), None) | (None, Some(creds)) => creds,
        (None, None) => return Err(TokenRequestError::InvalidClient),
    };
    // Both compared in full, whatever the first answer, in constant time (of their digests, so
    // that not even their lengths show).
    let mut id_ok = same(&id, &config.client_id);
    let mut secret_ok = same(&secret, &config.client_secret);
    if basic {
        id_ok |= same(&form_decoded(&id), &config.client_id);
        secret_ok |= same(&form_decoded(&secret), &config.client_secret);
    }
    if !(id_ok & secret_ok) {
        return Err(TokenRequestError::InvalidClient);
    }
    Ok(())
}

/// What a client assertion's claims must hold.
#[derive(Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<crate::jwt::Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

/// A `private_key_jwt` client assertion (RFC 7523): signed by the transmitter's configured key
/// (its algorithm pinned by the key), `iss` and `sub` our client id, `aud` naming our token
/// endpoint's URL, `exp` in the future and at most five minutes away, and a `jti`.
fn check_assertion(config: &EventsConfig, jwt: &str, now: i64, leeway: i64) -> Result<AssertionUse, TokenRequestError> {
    let (Some(key), Some(endpoint)) = (&config.client_assertion_key, &config.token_endpoint_url) else {
        return Err(TokenRequestError::InvalidClient);
    };
    let alg = match key.algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
        _ => Algorithm::RS256,
    };
    let refused = |_| TokenRequestError::InvalidClient;
    let jws = crate::jwt::header(jwt, alg).map_err(refused)?;
    let key = crate::jwt::PublicKey::new(key.clone());
    let claims: AssertionClaims = crate::jwt::verify(&jws, &key).map_err(refused)?;
    let ours = |v: &Option<String>| v.as_deref().is_some_and(|v| same(v, &config.client_id));
    let aud_ok = match &claims.aud {
        Some(crate::jwt::Audience::One(a)) => a == endpoint,
        Some(crate::jwt::Audience::Many(list)) => list.contains(endpoint),
        None => false,
    };
    let exp = claims.exp.ok_or(TokenRequestError::InvalidClient)?;
    crate::jwt::check_times(now, leeway, Some(exp), claims.iat, None).map_err(refused)?;
    let jti = claims.jti.filter(|j| !j.is_empty() && j.len() <= 256).ok_or(TokenRequestError::InvalidClient)?;
    if !(ours(&claims.iss) && ours(&claims.sub) && aud_ok) || exp > now.saturating_add(MAX_ASSERTION_LIFETIME + leeway)
    {
        return Err(TokenRequestError::InvalidClient);
    }
    Ok(AssertionUse {
        replay: crate::store::ReplayKey::security_event("client-assertion", &format!("{}\0{jti}", config.client_id)),
        until: exp.saturating_add(leeway),
    })
}

/// Why a bearer token was refused (the `WWW-Authenticate` error and a log reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerRefusal {
    /// No `Authorization: Bearer` header: the challenge carries no error.
    Missing,
    /// Malformed, forged, for another audience or client, or expired.
    Invalid(&'static str),
}

/// Checks `Authorization: Bearer <token>` against our own access tokens.
pub(crate) fn check_bearer(
    config: &EventsConfig,
    authorization: Option<&str>,
    now: i64,
    leeway: i64,
) -> Result<(), BearerRefusal> {
    let header = authorization.ok_or(BearerRefusal::Missing)?;
    let header = header.trim();
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerRefusal::Missing);
    }
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_BEARER {
        return Err(BearerRefusal::Invalid("malformed"));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false; // checked below, by the engine's clock
    validation.set_required_spec_claims(&["iss", "aud", "sub", "exp"]);
    validation.set_audience(&[config.audience.as_str()]);
    validation.set_issuer(&[TOKEN_ISSUER]);
    let claims = jsonwebtoken::decode::<AccessClaims>(token, &DecodingKey::from_secret(&config.token_key), &validation)
        .map_err(|_| BearerRefusal::Invalid("not one this receiver issued"))?
        .claims;
    if !ct_eq(claims.sub.as_bytes(), config.client_id.as_bytes()) {
        return Err(BearerRefusal::Invalid("for another client"));
    }
    // No leeway on expiry: the token endpoint and the receiver share the clock.
    if now >= claims.exp {
        return Err(BearerRefusal::Invalid("expired"));
    }
    if claims.iat > now.saturating_add(leeway) {
        return Err(BearerRefusal::Invalid("issued in the future"));
    }
    Ok(())
}

/// Whether `given` is `expected`, compared in constant time whatever their lengths.
fn same(given: &str, expected: &str) -> bool {
    let digest = |s: &str| aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, s.as_bytes());
    ct_eq(digest(given).as_ref(), digest(expected).as_ref())
}

/// `Authorization: Basic` credentials. RFC 6749 §2.3.1 has each part form-encoded first; many
/// clients send them as they are, so a part that decodes to something else is tried both ways.
fn basic_credentials(header: &str) -> Result<(String, String), TokenRequestError> {
    let (scheme, value) = header.trim().split_once(' ').ok_or(TokenRequestError::InvalidClient)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(TokenRequestError::InvalidClient);
    }
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| TokenRequestError::InvalidClient)?;
    let decoded = String::from_utf8(decoded).map_err(|_| TokenRequestError::InvalidClient)?;
    let (id, secret) = decoded.split_once(':').ok_or(TokenRequestError::InvalidClient)?;
    Ok((id.to_owned(), secret.to_owned()))
}

/// A Basic credential part as RFC 6749 §2.3.1 encodes it (`application/x-www-form-urlencoded`).
fn form_decoded(part: &str) -> String {
    url::form_urlencoded::parse(format!("x={part}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default()
}

/// The most parameters a token request may have (it needs at most five).
const MAX_PARAMS: usize = 16;

/// The form's parameters; a repeated one is refused (RFC 6749 §3.2), and so are more than
/// [`MAX_PARAMS`] (each is compared with the others).
fn form_params(form: &[u8]) -> Result<Vec<(String, String)>, TokenRequestError> {
    let mut params: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(form) {
        if params.len() == MAX_PARAMS {
            return Err(TokenRequestError::InvalidRequest("too many parameters"));
        }
        if params.iter().any(|(seen, _)| *seen == k) {
            return Err(TokenRequestError::InvalidRequest("a parameter is repeated"));
        }
        params.push((k.into_owned(), v.into_owned()));
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;
    use crate::events::EventsSettings;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn config() -> EventsConfig {
        EventsSettings::new("aud", "ssf", SECRET).check(&Environment::Integration, &[1; 32]).unwrap()
    }

    /// A grant by secret (no assertion to record).
    fn granted(c: &EventsConfig, auth: Option<&str>, form: &[u8], now: i64) -> Result<Granted, TokenRequestError> {
        grant(c, auth, form, now, 30).map(|(granted, used)| {
            assert!(used.is_none());
            granted
        })
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_or_form_credentials_get_a_token_the_receiver_accepts_until_it_expires() {
        let c = config();
        let now = 1_800_000_000;
        let by_basic = granted(&c, Some(&basic("ssf", SECRET)), b"grant_type=client_credentials", now).unwrap();
        let form = format!("grant_type=client_credentials&client_id=ssf&client_secret={SECRET}");
        let by_form = granted(&c, None, form.as_bytes(), now).unwrap();
        assert_eq!(by_basic.expires_in, 900);
        for token in [by_basic.access_token, by_form.access_token] {
            let bearer = format!("Bearer {token}");
            assert_eq!(check_bearer(&c, Some(&bearer), now + 899, 30), Ok(()));
            assert_eq!(check_bearer(&c, Some(&bearer), now + 900, 30), Err(BearerRefusal::Invalid("expired")));
        }
    }

    /// A secret with `+`, `/` and `=` (base64) works in Basic whether the client form-encoded it
    /// (as RFC 6749 says) or not (as many do); so does one in the form.
    #[test]
    fn a_base64_secret_works_in_basic_encoded_or_not() {
        let secret = "ab+cd/ef==0123456789abcdef0123456789";
        let c = EventsSettings::new("aud", "ssf", secret).check(&Environment::Integration, &[1; 32]).unwrap();
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        for sent in [secret, encoded.as_str()] {
            assert!(granted(&c, Some(&basic("ssf", sent)), b"grant_type=client_credentials", 0).is_ok(), "{sent}");
        }
        assert!(
            granted(
                &c,
                Some(&basic("ssf", "ab cd/ef==0123456789abcdef0123456789")),
                b"grant_type=client_credentials",
                0
            )
            .is_err()
        );
        let many = (0..17).map(|i| format!("p{i}=x")).collect::<Vec<_>>().join("&");
        assert_eq!(
            granted(&c, Some(&basic("ssf", secret)), many.as_bytes(), 0).err(),
            Some(TokenRequestError::InvalidRequest("too many parameters"))
        );
    }

    #[test]
    fn bad_requests_get_their_oauth_errors() {
        let c = config();
        let ok = basic("ssf", SECRET);
        let cases: [(Option<&str>, &str, TokenRequestError); 7] = [
            (Some(&ok), "grant_type=authorization_code", TokenRequestError::UnsupportedGrantType),
            (Some(&ok), "", TokenRequestError::InvalidRequest("grant_type is missing")),
            (None, "grant_type=client_credentials", TokenRequestError::InvalidClient),
            (
                Some(&ok),
                "grant_type=client_credentials&grant_type=client_credentials",
                TokenRequestError::InvalidRequest("a parameter is repeated"),
            ),
            (
                None,
                "grant_type=client_credentials&client_id=ssf",
                TokenRequestError::InvalidRequest("client_id and client_secret go together"),
            ),
            (
                Some(&ok),
                "grant_type=client_credentials&client_id=ssf&client_secret=x",
                TokenRequestError::InvalidRequest("one client authentication method, not two"),
            ),
            (Some("Bearer abc"), "grant_type=client_credentials", TokenRequestError::InvalidClient),
        ];
        for (auth, body, expected) in cases {
            assert_eq!(granted(&c, auth, body.as_bytes(), 0).err(), Some(expected), "{body}");
        }
        for (id, secret) in [("ssf", "wrong"), ("other", SECRET), ("ssf", &SECRET[..31]), ("", "")] {
            assert_eq!(
                granted(&c, Some(&basic(id, secret)), b"grant_type=client_credentials", 0).err(),
                Some(TokenRequestError::InvalidClient)
            );
        }
    }

    #[test]
    fn forged_and_foreign_tokens_are_refused() {
        let c = config();
        let other = EventsSettings::new("aud", "ssf", "another-secret-of-thirty-two-chars!!")
            .check(&Environment::Integration, &[1; 32])
            .unwrap();
        // The same secret with another signing key: its tokens are not ours either.
        let other_key = EventsSettings::new("aud", "ssf", SECRET).check(&Environment::Integration, &[2; 32]).unwrap();
        let theirs = granted(&other_key, Some(&basic("ssf", SECRET)), b"grant_type=client_credentials", 0).unwrap();
        let bearer = format!("Bearer {}", theirs.access_token);
        assert!(matches!(check_bearer(&c, Some(&bearer), 1, 30), Err(BearerRefusal::Invalid(_))));
        let foreign = granted(&other, Some(&basic("ssf", &other.client_secret)), b"grant_type=client_credentials", 0)
            .unwrap()
            .access_token;
        let bearer = format!("Bearer {foreign}");
        assert!(matches!(check_bearer(&c, Some(&bearer), 1, 30), Err(BearerRefusal::Invalid(_))));
        assert_eq!(check_bearer(&c, None, 1, 30), Err(BearerRefusal::Missing));
        assert_eq!(check_bearer(&c, Some("Basic abc"), 1, 30), Err(BearerRefusal::Missing));
        assert!(matches!(check_bearer(&c, Some("Bearer "), 1, 30), Err(BearerRefusal::Invalid(_))));
        let none = format!(
            "Bearer {}.{}.",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"sub":"ssf"}"#)
        );
        assert!(matches!(check_bearer(&c, Some(&none), 1, 30), Err(BearerRefusal::Invalid(_))));
    }
}

//! Our signed JWTs: the `private_key_jwt` client assertion and the signed request object.

use jsonwebtoken::Header;
use serde::Serialize;

use crate::config::Config;
use crate::types::random_token;

/// Lifetime of our assertions and request objects (One Login recommends 5 minutes).
pub(crate) const LIFETIME: i64 = 300;

/// Signs `claims` with our RSA key, with `kid` when one is configured.
pub(crate) fn sign<T: Serialize>(config: &Config, claims: &T, typ: Option<&str>) -> String {
    let mut header = Header::new(config.client_signing_alg.jwt());
    header.kid.clone_from(&config.key_id);
    header.typ = typ.map(str::to_owned);
    // Signing with a key that parsed at start-up cannot fail for serialisable claims.
    jsonwebtoken::encode(&header, claims, &config.signing_key.key).expect("signing with a checked RSA key")
}

#[derive(Serialize)]
struct ClientAssertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

/// The `private_key_jwt` assertion: `iss` = `sub` = client id, `aud` = token endpoint, a short
/// `exp`, a random `jti`.
pub(crate) fn client_assertion(config: &Config, token_endpoint: &str, now: i64) -> String {
    let id = config.client_id.as_str();
    let claims =
        ClientAssertion { iss: id, sub: id, aud: token_endpoint, iat: now, exp: now + LIFETIME, jti: random_token(18) };
    sign(config, &claims, None)
}

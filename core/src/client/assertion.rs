//! Our signed JWTs: the `private_key_jwt` client assertion and the signed request object.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Header;
use serde::Serialize;

use crate::config::{ClientSigningAlgorithm, Config};
use crate::types::random_token;

/// Lifetime of our assertions and request objects (One Login recommends 5 minutes).
pub(crate) const LIFETIME: i64 = 300;

/// Signs `claims` with our RSA key, with `kid` when one is configured: a JWS in compact form.
///
/// Signed here with the key pair parsed at start-up, not with `jsonwebtoken::encode`, which
/// parses and checks the RSA private key again for every signature: that check cost more than
/// the signature itself (`bench/benches/login.rs`, `rsa/parse_key`), twice per sign-in.
pub(crate) fn sign<T: Serialize>(config: &Config, claims: &T, typ: Option<&str>) -> String {
    let mut header = Header::new(config.client_signing_alg.jwt());
    header.kid.clone_from(&config.key_id);
    header.typ = typ.map(str::to_owned);
    let mut jws = String::with_capacity(1024);
    // A header and claims of strings and numbers always serialise.
    URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(&header).expect("a JWS header serialises"), &mut jws);
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims).expect("the claims serialise"), &mut jws);
    let pair = &config.signing_key.pair;
    let mut signature = vec![0; pair.public_modulus_len()];
    let encoding: &'static dyn aws_lc_rs::signature::RsaEncoding = match config.client_signing_alg {
        ClientSigningAlgorithm::Rs256 => &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        ClientSigningAlgorithm::Ps256 => &aws_lc_rs::signature::RSA_PSS_SHA256,
    };
    // Signing fails only when the system random generator does (PSS salts), as `random_token`.
    pair.sign(encoding, &aws_lc_rs::rand::SystemRandom::new(), jws.as_bytes(), &mut signature)
        .expect("the system random generator failed");
    jws.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut jws);
    jws
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

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use jsonwebtoken::{DecodingKey, Validation};

    use super::*;
    use crate::Environment;

    const RP_KEY: &str = include_str!("../../../tests/mock-provider/keys/rp-rsa.pem");

    fn config(pem: &str, alg: ClientSigningAlgorithm) -> Config {
        // The stand-in's key signs for a loopback issuer only.
        Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9/".into() })
            .client_id("client-1")
            .redirect_uri("https://service.example/auth/callback")
            .client_signing_alg(alg)
            .key_id("rp-key-1")
            .signing_key_pem(pem)
            .unwrap()
            .build()
            .unwrap()
    }

    /// The same key as `RP_KEY`, as an RSAPrivateKey (PKCS#1) PEM.
    fn pkcs1_pem() -> String {
        let der = jsonwebtoken::EncodingKey::from_rsa_pem(RP_KEY.as_bytes()).unwrap().as_bytes().to_vec();
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----\n", lines.join("\n"))
    }

    #[test]
    fn our_jws_verifies_with_the_published_key_in_each_algorithm_and_key_form() {
        for pem in [RP_KEY.to_owned(), pkcs1_pem()] {
            for alg in [ClientSigningAlgorithm::Rs256, ClientSigningAlgorithm::Ps256] {
                let c = config(&pem, alg);
                let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(c.public_jwks()["keys"][0].clone()).unwrap();
                let jws = client_assertion(&c, "https://oidc.example/token", 1_000);
                let header = jsonwebtoken::decode_header(&jws).unwrap();
                assert_eq!((header.alg, header.kid.as_deref(), header.typ), (alg.jwt(), Some("rp-key-1"), None));
                let mut v = Validation::new(alg.jwt());
                v.validate_exp = false;
                v.set_audience(&["https://oidc.example/token"]);
                let claims = jsonwebtoken::decode::<serde_json::Value>(&jws, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
                    .unwrap()
                    .claims;
                assert_eq!((claims["iss"].as_str(), claims["exp"].as_i64()), (Some("client-1"), Some(1_300)));
                // One changed byte of the signed part, and the signature no longer verifies.
                let tampered = jws.replacen("eyJ", "eyK", 1);
                assert!(
                    jsonwebtoken::decode::<serde_json::Value>(&tampered, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
                        .is_err()
                );
            }
        }
    }

    #[test]
    fn a_request_object_carries_its_type() {
        let c = config(RP_KEY, ClientSigningAlgorithm::Rs256);
        let jws = sign(&c, &serde_json::json!({"a": 1}), Some("oauth-authz-req+jwt"));
        assert_eq!(jsonwebtoken::decode_header(&jws).unwrap().typ.as_deref(), Some("oauth-authz-req+jwt"));
    }
}

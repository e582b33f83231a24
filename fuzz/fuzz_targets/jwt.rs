//! JWS header and claims decoding (core's `jwt` module), which every token kind goes through.
//!
//! The first byte picks what the rest is:
//! - 0: a compact token as received;
//! - 1: header JSON, a 0 byte, claims JSON, signed here with a fixed P-256 key, so that hostile
//!   headers and claims get past the signature;
//! - 2: 40 bytes of times for `check_times`;
//! - 3: an `aud` claim (JSON), a 0 byte, a client id.
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use govuk_one_login::__fuzz::{self, Algorithm, Jwk, TokenError};
use libfuzzer_sys::fuzz_target;

const PINNED: [Algorithm; 3] = [Algorithm::ES256, Algorithm::RS256, Algorithm::PS256];

struct Key {
    encoding: jsonwebtoken::EncodingKey,
    jwk: Jwk,
}

static KEY: LazyLock<Key> = LazyLock::new(|| {
    let pem = govuk_one_login_mock::keys::EC_PRIVATE_KEY_PEM.as_bytes();
    let encoding = jsonwebtoken::EncodingKey::from_ec_pem(pem).expect("the fixture key");
    let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).expect("its JWK");
    jwk.common.key_id = Some("fuzz".into());
    Key { encoding, jwk }
});

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn raw_token(token: &str) {
    for pinned in PINNED {
        let Ok(header) = __fuzz::jwt_header(token, pinned) else { continue };
        assert_eq!(header.alg, pinned, "{token:?}");
        assert!(header.crit.is_none(), "{token:?}");
        assert_eq!(token.split('.').count(), 3);
        assert!(token.len() <= 64 * 1024);
    }
    if let Ok(claims) = __fuzz::jwt_verify(token, &KEY.jwk, Algorithm::ES256) {
        // Only a token this key signed verifies (the seeds hold some): its claims are its payload.
        let payload = token.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("payload is base64url");
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&bytes).ok(), Some(claims));
    }
    // A key of another type never verifies an ES256 token.
    assert!(!__fuzz::jwt_key_fits(&KEY.jwk, Algorithm::RS256));
}

fn signed(header: &[u8], claims: &[u8]) {
    let message = format!("{}.{}", b64(header), b64(claims));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &KEY.encoding, Algorithm::ES256).expect("sign");
    let token = format!("{message}.{signature}");
    raw_token(&token);
    if __fuzz::jwt_header(&token, Algorithm::ES256).is_err() {
        return;
    }
    match __fuzz::jwt_verify(&token, &KEY.jwk, Algorithm::ES256) {
        Ok(value) => {
            let parsed: serde_json::Value = serde_json::from_slice(claims).expect("decoded claims are JSON");
            assert_eq!(value, parsed);
        }
        Err(TokenError::BadSignature | TokenError::KeyMismatch { .. }) => {
            panic!("a token signed with the right key was refused for its signature: {token}")
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

fn times(bytes: &[u8]) {
    let n = |i: usize| i64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap());
    let (now, exp, iat, nbf) = (n(0), n(1), n(2), n(3));
    let flags = bytes[32];
    let leeway = i64::from(bytes[33]) * 4;
    let some = |bit: u8, v: i64| (flags & bit != 0).then_some(v);
    let (exp, iat, nbf) = (some(1, exp), some(2, iat), some(4, nbf));
    let result = __fuzz::jwt_check_times(now, leeway, exp, iat, nbf);
    let within = |t: i64| i128::from(t) <= i128::from(now) + i128::from(leeway);
    let expected_ok = exp.is_some_and(|e| i128::from(now) <= i128::from(e) + i128::from(leeway))
        && iat.is_none_or(within)
        && nbf.is_none_or(within);
    // Saturation at i64::MAX only moves answers at the edge of the range, where no real time is.
    let edge = [Some(now), exp, iat, nbf].into_iter().flatten().any(|t| t.unsigned_abs() > (i64::MAX as u64) - 1024);
    if !edge {
        assert_eq!(result.is_ok(), expected_ok, "{result:?} for now {now} exp {exp:?} iat {iat:?} nbf {nbf:?}");
    }
    if let Err(error) = result {
        let _ = error.to_string();
    }
}

fn audience(rest: &[u8]) {
    let (aud, client) = rest.split_at(rest.iter().position(|&b| b == 0).unwrap_or(rest.len()));
    let client = String::from_utf8_lossy(client.get(1..).unwrap_or_default());
    let Ok(aud) = serde_json::from_slice::<serde_json::Value>(aud) else { return };
    for azp in [None, Some(&*client), Some("other")] {
        let Some(ok) = __fuzz::audience_is_for(&aud, &client, azp) else { continue };
        // Only us, and nobody else: an audience of just our client id (alone or every element
        // of a non-empty list), and an `azp`, when present, that names us.
        let aud_ok = match &aud {
            serde_json::Value::String(a) => *a == client,
            serde_json::Value::Array(list) => !list.is_empty() && list.iter().all(|a| a.as_str() == Some(&*client)),
            _ => panic!("{aud} decoded as an audience"),
        };
        let expected = aud_ok && azp.is_none_or(|azp| azp == client);
        assert_eq!(ok, expected, "{aud} for {client:?} azp {azp:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 4 {
        0 => {
            if let Ok(token) = std::str::from_utf8(rest) {
                raw_token(token);
            }
        }
        1 => {
            let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            signed(&rest[..split], rest.get(split + 1..).unwrap_or_default());
        }
        2 => {
            if rest.len() >= 34 {
                times(rest);
            }
        }
        _ => audience(rest),
    }
});

//! Back-channel logout: `OneLogin::verify_logout_token` and `OneLogin::backchannel_logout`
//! against the local One Login stand-in (on loopback), whose key signs what the fuzzer writes.
//!
//! The first byte picks what the rest is:
//! - even: a `logout_token` as received;
//! - odd: header JSON, a 0 byte, claims JSON, signed here with the stand-in's current ES256
//!   key; `@ISS` in the claims is replaced by the stand-in's issuer, so that hostile claims
//!   get past the signature and the issuer check. Seeds are made for [`engine::NOW`].
#![no_main]

#[path = "engine.rs"]
mod engine;

use std::sync::{LazyLock, Mutex};

use base64::Engine as _;
use govuk_one_login::error::TokenError;
use govuk_one_login::{Error, OneLogin};
use govuk_one_login_mock::MockProvider;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The stand-in's current signing key and its `kid` (tests/mock-provider/keys).
const OP_KEY_PEM: &str = include_str!("../../tests/mock-provider/keys/op-ec-current.pem");
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

struct World {
    runtime: tokio::runtime::Runtime,
    mock: MockProvider,
    key: jsonwebtoken::EncodingKey,
    /// Two engines with their own stores: one verifies, the other handles the logout.
    engines: Mutex<(OneLogin, OneLogin, usize)>,
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let runtime = engine::runtime();
    let mock = runtime.block_on(MockProvider::start());
    let engines = Mutex::new((engine::engine(mock.issuer()), engine::engine(mock.issuer()), 0));
    let key = jsonwebtoken::EncodingKey::from_ec_pem(OP_KEY_PEM.as_bytes()).expect("the stand-in's key");
    World { runtime, mock, key, engines }
});

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn is_replay(result: &Result<impl std::fmt::Debug, Error>) -> bool {
    matches!(result, Err(Error::Token { source: TokenError::Replayed, .. }))
}

/// What a verified token must be, read again from its parts.
fn check_accepted(world: &World, token: &str, subject: &str) {
    let part = |i: usize| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap();
        serde_json::from_slice(&bytes).expect("an accepted token's parts are JSON")
    };
    let (header, claims) = (part(0), part(1));
    assert_eq!(header["alg"], "ES256", "{header}");
    assert!(header.get("crit").is_none(), "{header}");
    if let Some(typ) = header.get("typ") {
        let typ = typ.as_str().expect("typ is a string").to_ascii_lowercase();
        assert!(typ == "logout+jwt" || typ == "application/logout+jwt", "{header}");
    }
    assert_eq!(claims["iss"], world.mock.issuer(), "{claims}");
    assert_eq!(claims["sub"], subject, "{claims}");
    assert!(!subject.is_empty());
    let client = govuk_one_login_mock::CLIENT_ID;
    match &claims["aud"] {
        Value::String(aud) => assert_eq!(aud, client),
        Value::Array(list) => assert!(list.len() == 1 && list[0] == client, "{claims}"),
        other => panic!("aud {other}"),
    }
    let events = claims["events"].as_object().expect("events is an object");
    assert_eq!(events.len(), 1, "{claims}");
    assert_eq!(events[BACKCHANNEL_EVENT], Value::Object(serde_json::Map::new()), "{claims}");
    assert!(claims.get("nonce").is_none(), "{claims}");
    let jti = claims["jti"].as_str().expect("jti is a string");
    assert!(!jti.is_empty() && jti.len() <= 256);
    let leeway = 300; // the most clock skew a configuration allows
    let exp = claims["exp"].as_i64().expect("exp is an integer");
    let iat = claims["iat"].as_i64().expect("iat is an integer");
    assert!(engine::NOW <= exp.saturating_add(leeway) && iat <= engine::NOW + leeway, "{claims}");
}

fn check(world: &World, token: &str) {
    let (verifier, handler) = {
        let mut engines = world.engines.lock().unwrap();
        // Fresh stores now and then, so that replay records never fill the table.
        engines.2 += 1;
        if engines.2 % 20_000 == 0 {
            engines.0 = engine::engine(world.mock.issuer());
            engines.1 = engine::engine(world.mock.issuer());
        }
        (engines.0.clone(), engines.1.clone())
    };
    let verified = world.runtime.block_on(verifier.verify_logout_token(token));
    let handled = world.runtime.block_on(handler.backchannel_logout(token));
    // Both entry points take the same decision.
    assert_eq!(
        verified.as_ref().map(|_| ()).map_err(ToString::to_string),
        handled.as_ref().map(|_| ()).map_err(ToString::to_string),
        "verify_logout_token and backchannel_logout disagree on {token}"
    );
    match verified {
        Ok(subject) => {
            check_accepted(world, token, subject.as_str());
            // Once accepted, the same token is a replay, on both paths.
            assert!(is_replay(&world.runtime.block_on(verifier.verify_logout_token(token))), "{token}");
            assert!(is_replay(&world.runtime.block_on(handler.backchannel_logout(token))), "{token}");
        }
        Err(error) => {
            assert_eq!(error.http_status(), 400, "{error}");
            let message = error.to_string();
            assert!(!message.contains('\n') && !message.contains('\r'), "{message:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let world = &*WORLD;
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        if let Ok(token) = std::str::from_utf8(rest) {
            check(world, token);
        }
        return;
    }
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let header = &rest[..split];
    let claims =
        String::from_utf8_lossy(rest.get(split + 1..).unwrap_or_default()).replace("@ISS", world.mock.issuer());
    let message = format!("{}.{}", b64(header), b64(claims.as_bytes()));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &world.key, jsonwebtoken::Algorithm::ES256).expect("sign");
    check(world, &format!("{message}.{signature}"));
});

//! The security-event receiver: `OneLogin::events_route` end to end (the bearer token from the
//! engine's own token endpoint, the content type, the size, then the SET: header, key,
//! signature, claims, typed events, the replay record, the receiver's actions and a handler),
//! against the local One Login stand-in on loopback, whose OP key set the receiver is pointed at
//! as its transmitter's.
//!
//! The first byte picks what the rest is:
//! - even: the body as pushed;
//! - odd: header JSON, a 0 byte, claims JSON, signed here with the stand-in's current ES256
//!   key; `@ISS` in the claims is replaced by the transmitter issuer and `@AUD` by the audience,
//!   so that hostile claims and events get past the signature and the issuer check. Seeds are
//!   made for [`engine::NOW`].
#![no_main]

#[path = "engine.rs"]
#[allow(dead_code, reason = "this target builds an engine of its own, with the receiver on")]
mod engine;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use base64::Engine as _;
use govuk_one_login::events::{EventHandlers, EventRequest, EventsSettings};
use govuk_one_login::{Config, Environment, OneLogin};
use govuk_one_login_mock::MockProvider;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The stand-in's current signing key (tests/mock-provider/keys).
const OP_KEY_PEM: &str = include_str!("../../tests/mock-provider/keys/op-ec-current.pem");
const ISSUER: &str = "https://ssf.fuzz.example/";
const AUDIENCE: &str = "fuzz.example";
const CLIENT: &str = "ssf";
const SECRET: &str = "a-fuzzing-secret-of-at-least-32-characters";
/// The largest clock skew and event age the engine is configured with.
const LEEWAY: i64 = 30;
const MAX_AGE: i64 = 7 * 24 * 3600;

struct World {
    runtime: tokio::runtime::Runtime,
    mock: MockProvider,
    key: jsonwebtoken::EncodingKey,
    engine: Mutex<(OneLogin, String, usize)>,
    handled: Arc<AtomicUsize>,
}

async fn receiver(mock: &MockProvider, handled: &Arc<AtomicUsize>) -> (OneLogin, String) {
    let events = EventsSettings::new(AUDIENCE, CLIENT, SECRET)
        .issuer(ISSUER)
        .jwks_url(format!("{}.well-known/jwks.json", mock.issuer()));
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(govuk_one_login_mock::CLIENT_ID)
        .redirect_uri(engine::CALLBACK)
        .security_events(events)
        .signing_key_pem(govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM)
        .expect("the fixture key")
        .build()
        .expect("a valid configuration");
    let counter = handled.clone();
    let handlers = EventHandlers::new().on_any(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }
    });
    let ol =
        OneLogin::builder(config).clock(engine::FixedClock).security_event_handlers(handlers).build().expect("engine");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{SECRET}")));
    let answer = ol
        .events_token_route(
            &EventRequest::new(Some(b"grant_type=client_credentials"))
                .content_type(Some("application/x-www-form-urlencoded"))
                .authorization(Some(&basic)),
        )
        .await;
    let token: Value = serde_json::from_str(&answer.body).expect("a token answer");
    let bearer = format!("Bearer {}", token["access_token"].as_str().expect("an access token"));
    (ol, bearer)
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let runtime = engine::runtime();
    let mock = runtime.block_on(MockProvider::start());
    let handled = Arc::new(AtomicUsize::new(0));
    let (ol, bearer) = runtime.block_on(receiver(&mock, &handled));
    let key = jsonwebtoken::EncodingKey::from_ec_pem(OP_KEY_PEM.as_bytes()).expect("the stand-in's key");
    World { runtime, mock, key, engine: Mutex::new((ol, bearer, 0)), handled }
});

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What an accepted SET must be, read again from its parts.
fn check_accepted(body: &[u8]) {
    let token = std::str::from_utf8(body).expect("an accepted body is UTF-8").trim();
    let part = |i: usize| -> Option<Value> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').nth(i).unwrap()).unwrap();
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some(value),
            // A member the receiver ignores may hold a number too large for a JSON value here
            // (the receiver's typed claims skip it): nothing to read back.
            Err(e) if e.to_string().contains("number out of range") => None,
            Err(e) => panic!("an accepted SET's parts are JSON: {e}"),
        }
    };
    let (Some(header), Some(claims)) = (part(0), part(1)) else { return };
    assert_eq!(token.split('.').count(), 3);
    assert_eq!(header["alg"], "ES256", "{header}");
    assert_eq!(header["typ"], "secevent+jwt", "{header}");
    assert!(header.get("crit").is_none(), "{header}");
    assert!(header["kid"].is_string(), "{header}");
    assert_eq!(claims["iss"], ISSUER, "{claims}");
    match &claims["aud"] {
        Value::String(aud) => assert_eq!(aud, AUDIENCE),
        Value::Array(list) => assert!(list.iter().any(|a| a == AUDIENCE), "{claims}"),
        other => panic!("aud {other}"),
    }
    let iat = claims["iat"].as_i64().expect("iat is an integer");
    assert!(iat <= engine::NOW + LEEWAY && iat >= engine::NOW - MAX_AGE, "{claims}");
    if let Some(exp) = claims.get("exp") {
        assert!(exp.as_i64().expect("exp is an integer").saturating_add(LEEWAY) >= engine::NOW, "{claims}");
    }
    let jti = claims["jti"].as_str().expect("jti is a string");
    assert!(!jti.is_empty() && jti.len() <= 256);
    let events = claims["events"].as_object().expect("events is an object");
    assert!(!events.is_empty(), "{claims}");
}

/// The stand-in's current key id (tests/mock-provider/keys).
const OP_KID: &str = "0f6c5a1e-3b2d-4c8e-9a7f-1d2e3f4a5b6c";

/// Whether the body's JWS header names a `kid` other than the stand-in's.
fn names_another_key(body: &[u8]) -> bool {
    let Some(head) = std::str::from_utf8(body).ok().and_then(|t| t.trim().split('.').next()) else { return false };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head) else { return false };
    let header: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    header["kid"].as_str().is_some_and(|kid| kid != OP_KID)
}

fn check(world: &World, body: &[u8]) {
    let (ol, bearer) = {
        let mut engine_slot = world.engine.lock().unwrap();
        // A fresh store now and then, so that replay records never fill the table.
        engine_slot.2 += 1;
        if engine_slot.2 % 20_000 == 0 {
            let (ol, bearer) = world.runtime.block_on(receiver(&world.mock, &world.handled));
            engine_slot.0 = ol;
            engine_slot.1 = bearer;
        }
        (engine_slot.0.clone(), engine_slot.1.clone())
    };
    let request =
        EventRequest::new(Some(body)).content_type(Some("application/secevent+jwt")).authorization(Some(&bearer));
    let before = world.handled.load(Ordering::SeqCst);
    let answer = world.runtime.block_on(ol.events_route(&request));
    let handled = world.handled.load(Ordering::SeqCst) - before;
    match answer.status.as_u16() {
        202 => {
            assert!(answer.body.is_empty());
            check_accepted(body);
            // Once accepted, the same SET is a replay: accepted again, handed over no more.
            let again = world.runtime.block_on(ol.events_route(&request));
            assert_eq!(again.status, 202);
            assert_eq!(world.handled.load(Ordering::SeqCst) - before, handled, "a replay was handled again");
        }
        400 => {
            assert_eq!(handled, 0, "a refused SET was handled");
            let error: Value = serde_json::from_str(&answer.body).expect("a 400 has a JSON body");
            let code = error["err"].as_str().expect("err");
            assert!(["invalid_request", "invalid_key", "invalid_issuer", "invalid_audience"].contains(&code), "{code}");
            let description = error["description"].as_str().expect("description");
            assert!(!description.contains('\n') && !description.contains('\r'), "{description:?}");
        }
        413 => assert!(body.len() > govuk_one_login::events::MAX_SET_BODY),
        // A key id the stand-in does not publish, within the refetch interval: retried, not
        // refused for good (the transmitter may have rotated its key).
        503 if names_another_key(body) => assert_eq!(handled, 0, "a SET with an unknown key was handled"),
        other => panic!("unexpected status {other}: {}", answer.body),
    }
}

fuzz_target!(|data: &[u8]| {
    let world = &*WORLD;
    let Some((&mode, rest)) = data.split_first() else { return };
    if mode % 2 == 0 {
        check(world, rest);
        return;
    }
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let header = &rest[..split];
    let claims = String::from_utf8_lossy(rest.get(split + 1..).unwrap_or_default())
        .replace("@ISS", ISSUER)
        .replace("@AUD", AUDIENCE);
    let message = format!("{}.{}", b64(header), b64(claims.as_bytes()));
    let signature =
        jsonwebtoken::crypto::sign(message.as_bytes(), &world.key, jsonwebtoken::Algorithm::ES256).expect("sign");
    check(world, format!("{message}.{signature}").as_bytes());
});

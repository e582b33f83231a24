//! Client key rotation with no failed sign-in: the stand-in is registered with this service's
//! JWKS URL (keeping what it fetched for 300 ms, and fetching again for a kid it does not hold),
//! and the service rotates in three steps (publish the next key, sign with it, retire the old
//! one) while sign-ins keep coming. A key that was never published is refused.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use govuk_one_login::store::MemoryStore;
use govuk_one_login::{Config, Environment, OneLogin, Requirement};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

use crate::{REDIRECT_URI, authorize, serve_json};

const THIRD_KEY: &str = include_str!("../../../tests/mock-provider/keys/ssf-unpublished-rsa.pem");

/// The engine for one step: signing with `pem` as `kid`, publishing `also` beside it.
fn engine(mock: &MockProvider, store: &MemoryStore, pem: &str, kid: &str, also: &[String]) -> OneLogin {
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .key_id(kid)
        .publish_jwks_at("/.well-known/jwks.json")
        .publish_keys(also.to_vec())
        // A stream faster than the default limit of sign-in starts.
        .max_sign_in_starts_per_second(0)
        .signing_key_pem(pem)
        .unwrap()
        .build()
        .unwrap();
    OneLogin::builder(config).store(store.clone()).build().unwrap()
}

fn public_jwk(ol: &OneLogin) -> String {
    ol.config().public_jwks()["keys"][0].to_string()
}

async fn sign_in(ol: &OneLogin) -> Result<(), govuk_one_login::Error> {
    let start = ol
        .start_login(govuk_one_login::LoginRequest::new(Requirement::MEDIUM, govuk_one_login::ReturnPath::root()))
        .await?;
    let params = authorize(&start.url).await;
    ol.complete_login(params, Some(&start.flow_cookie), None).await.map(|_| ())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_in_three_steps_fails_no_sign_in() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    let store = MemoryStore::new();
    let jwks = Arc::new(Mutex::new(String::new()));
    mock.register_client_jwks_url(&serve_json(jwks.clone()).await, Duration::from_millis(300));

    let old = engine(&mock, &store, keys::RP_PRIVATE_KEY_PEM, "old", &[]);
    let next = engine(&mock, &store, keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM, "next", &[]);
    let (old_jwk, next_jwk) = (public_jwk(&old), public_jwk(&next));
    let steps = [
        // 0: as it was; 1: publish the next key; 2: sign with it, the old still published;
        // 3: retire the old key.
        engine(&mock, &store, keys::RP_PRIVATE_KEY_PEM, "old", &[]),
        engine(&mock, &store, keys::RP_PRIVATE_KEY_PEM, "old", std::slice::from_ref(&next_jwk)),
        engine(&mock, &store, keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM, "next", std::slice::from_ref(&old_jwk)),
        engine(&mock, &store, keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM, "next", &[]),
    ];
    let current = Arc::new(Mutex::new(steps[0].clone()));
    *jwks.lock().unwrap() = steps[0].jwks_route().body;

    let (stop, done, failed) =
        (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut stream = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let (current, stop, done, failed) = (current.clone(), stop.clone(), done.clone(), failed.clone());
        stream.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let ol = current.lock().unwrap().clone();
                match sign_in(&ol).await {
                    Ok(()) => done.fetch_add(1, Ordering::SeqCst),
                    Err(error) => {
                        eprintln!("rotation: a sign-in failed: {error}");
                        failed.fetch_add(1, Ordering::SeqCst)
                    }
                };
            }
        });
    }
    // Each step is rolled out as instances would be: the JWKS route first shows the step's
    // keys, and the step's engine takes the sign-ins; the stand-in keeps its copy 300 ms.
    for step in &steps[1..] {
        tokio::time::sleep(Duration::from_millis(700)).await;
        *jwks.lock().unwrap() = step.jwks_route().body;
        *current.lock().unwrap() = step.clone();
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::SeqCst);
    while stream.join_next().await.is_some() {}

    assert_eq!(failed.load(Ordering::SeqCst), 0, "no sign-in failed during the rotation");
    assert!(done.load(Ordering::SeqCst) >= 20, "a stream of sign-ins: {}", done.load(Ordering::SeqCst));
    assert!(mock.client_jwks_fetches() >= 2, "the stand-in fetched the keys again: {}", mock.client_jwks_fetches());
    let (kid, _) = mock.last_client_assertion().unwrap();
    assert_eq!(kid.as_deref(), Some("next"), "signing with the new key at the end");

    // Signing with a key that was never published fails: the steps' order is what saves it.
    let unpublished = engine(&mock, &store, THIRD_KEY, "third", &[]);
    let start = unpublished
        .start_login(govuk_one_login::LoginRequest::new(Requirement::MEDIUM, govuk_one_login::ReturnPath::root()))
        .await
        .unwrap();
    let refused = reqwest::get(start.url.as_str()).await.unwrap();
    assert_eq!(refused.status(), 400, "a request object signed with an unpublished key is refused");
    assert!(refused.text().await.unwrap().contains("kid"));
    drop((old, next));
}

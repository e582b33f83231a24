//! `rediss://`: the Redis store over TLS (rustls on aws-lc-rs), trusting a private CA only when
//! told to.

use govuk_one_login::store::{RedisSettings, StoreError, StoreSettings};
use govuk_one_login_test_redis::RedisServer;

use crate::*;

fn over_tls(server: &RedisServer, trust_ca: bool) -> StoreSettings {
    let settings = RedisSettings::new(server.tls_url()).prefix("tls-test:");
    StoreSettings::Redis(if trust_ca { settings.ca_file(server.ca_file()) } else { settings })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_travel_over_tls_to_a_redis_whose_ca_is_trusted() {
    let server = RedisServer::start_tls();
    let h = harness_with(|b| b.session_store(over_tls(&server, true))).await;
    let out = h.login(Requirement::MEDIUM).await.expect("a sign-in through Redis over TLS");
    let (_, record) = h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().expect("the session loads");
    assert_eq!(record.subject(), out.session.subject());
    let keys = server.command(&["KEYS", "tls-test:*"]);
    assert!(keys.contains("tls-test:s:"), "the session was written over the TLS port: {keys}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_redis_certificate_is_refused() {
    let server = RedisServer::start_tls();
    // The web PKI roots alone do not trust the test CA: the handshake fails and the store is
    // unavailable, never silently plain.
    let h = harness_with(|b| b.session_store(over_tls(&server, false))).await;
    let err = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Store(StoreError::Unavailable { .. })), "{err:?}");
    assert_eq!(err.http_status(), 503);
    assert_eq!(server.command(&["DBSIZE"]).trim(), ":0", "nothing reached Redis");
}

#[tokio::test]
async fn a_ca_file_without_tls_is_a_configuration_error() {
    let server = RedisServer::start();
    let mock = MockProvider::start().await;
    let settings = RedisSettings::new(server.url()).ca_file(std::env::temp_dir().join("ca.pem"));
    let config = config_for(&mock)
        .session_store(StoreSettings::Redis(settings))
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let err = OneLogin::new(config).unwrap_err();
    assert!(err.to_string().contains("ONE_LOGIN_REDIS_CA_FILE"), "{err}");
}

//! Transport faults: timeouts, outages and an unreachable provider. The hostile-token cases
//! are in `matrix`.

use std::time::Duration;

use govuk_one_login::error::{Endpoint, ProviderError};
use govuk_one_login::{Error, Requirement};

use crate::*;

#[tokio::test]
async fn slow_endpoint_times_out_with_a_typed_error() {
    let h = harness().await;
    h.mock.set_delay("/token", Duration::from_secs(4));
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::Timeout { endpoint: Endpoint::Token })), "{err:?}");
    assert_eq!(err.http_status(), 503);
}

#[tokio::test]
async fn down_endpoints_give_typed_errors() {
    let h = harness().await;
    h.mock.set_down("/token", true);
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Token, status: 503 })),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 503);

    let h = harness().await;
    h.mock.set_down("*", true);
    let err = h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Discovery, status: 503 })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unreachable_provider_is_a_typed_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = Config::builder(Environment::Custom { issuer: format!("http://127.0.0.1:{port}/") })
        .client_id(CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let ol = OneLogin::new(config).unwrap();
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Unreachable { endpoint: Endpoint::Discovery, .. })),
        "{err:?}"
    );
    assert_eq!(err.http_status(), 502);
}

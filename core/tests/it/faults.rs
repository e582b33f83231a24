//! Transport faults: timeouts, outages and an unreachable provider. The hostile-token cases
//! are in `matrix`.

use std::time::Duration;

use govuk_one_login::error::{Endpoint, ProviderError};
use govuk_one_login::{Error, Requirement};
use govuk_one_login_mock::MockProvider;

use crate::*;

#[tokio::test]
async fn slow_endpoint_times_out_with_a_typed_error() {
    let h = harness().await;
    h.mock.set_delay("/token", Duration::from_secs(4));
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::Timeout { endpoint: Endpoint::Token, .. })), "{err:?}");
    assert!(err.to_string().contains(&format!("{}token", h.mock.issuer())), "names the URL: {err}");
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

/// Every outbound endpoint, with the path the stand-in serves it at.
const ENDPOINTS: [(Endpoint, &str); 5] = [
    (Endpoint::Discovery, "/.well-known/openid-configuration"),
    (Endpoint::Jwks, "/.well-known/jwks.json"),
    (Endpoint::Token, "/token"),
    (Endpoint::Userinfo, "/userinfo"),
    (Endpoint::DidDocument, "/.well-known/did.json"),
];

/// An identity sign-in (it calls all five endpoints) against a stand-in with one endpoint
/// broken by `break_it`: the error, which must be typed and name that endpoint.
async fn login_with_broken(path: &str, break_it: impl Fn(&MockProvider, &str)) -> Error {
    let h = harness().await;
    break_it(&h.mock, path);
    match h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await {
        Err(err) => err,
        Ok(start) => {
            let params = authorize(&start.url).await;
            h.ol.complete_login(params, Some(&start.flow_cookie), None).await.unwrap_err()
        }
    }
}

#[tokio::test]
async fn every_endpoint_slow_is_a_typed_timeout() {
    for (endpoint, path) in ENDPOINTS {
        let err = login_with_broken(path, |m, p| m.set_delay(p, Duration::from_secs(5))).await;
        assert!(
            matches!(&err, Error::Provider(ProviderError::Timeout { endpoint: e, .. }) if *e == endpoint),
            "{path}: {err:?}"
        );
        assert_eq!(err.http_status(), 503, "{path}");
    }
}

#[tokio::test]
async fn every_endpoint_answering_500_is_a_typed_status() {
    for (endpoint, path) in ENDPOINTS {
        let err = login_with_broken(path, |m, p| m.set_status(p, Some(500))).await;
        assert!(
            matches!(&err, Error::Provider(ProviderError::Status { endpoint: e, status: 500 }) if *e == endpoint),
            "{path}: {err:?}"
        );
        assert_eq!(err.http_status(), 502, "{path}: a broken upstream is a bad gateway");
    }
}

#[tokio::test]
async fn an_endpoint_answering_429_is_a_service_unavailable_as_its_page_says() {
    let err = login_with_broken("/.well-known/openid-configuration", |m, p| m.set_status(p, Some(429))).await;
    assert_eq!(err.http_status(), 503, "{err:?}");
    assert_eq!(err.problem_kind(), govuk_one_login::web::ProblemKind::OneLoginUnavailable);
}

#[tokio::test]
async fn every_endpoint_sending_malformed_json_is_a_typed_invalid_response() {
    for (endpoint, path) in ENDPOINTS {
        let err = login_with_broken(path, |m, p| m.set_malformed_json(p, true)).await;
        assert!(
            matches!(&err, Error::Provider(ProviderError::InvalidResponse { endpoint: e, .. }) if *e == endpoint),
            "{path}: {err:?}"
        );
        assert!(err.to_string().contains("unexpected JSON"), "{path}: {err}");
    }
}

#[tokio::test]
async fn key_endpoints_down_with_keys_cached_sign_ins_keep_working() {
    let h = harness().await;
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    for (_, path) in [ENDPOINTS[0], ENDPOINTS[1], ENDPOINTS[4]] {
        h.mock.set_down(path, true);
    }
    for _ in 0..3 {
        h.login(Requirement::IDENTITY_P2).await.unwrap();
    }
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1, "served from the cache");
}

#[tokio::test]
async fn key_endpoints_down_before_any_good_copy_give_a_clear_503() {
    for (endpoint, path) in [ENDPOINTS[0], ENDPOINTS[1], ENDPOINTS[4]] {
        let err = login_with_broken(path, |m, p| m.set_down(p, true)).await;
        assert!(
            matches!(&err, Error::Provider(ProviderError::Status { endpoint: e, status: 503 }) if *e == endpoint),
            "{path}: {err:?}"
        );
        assert_eq!(err.http_status(), 503, "{path}");
    }
}

/// Runs `n` sign-in starts at once on their own tasks; their results and how long all took.
async fn concurrent_starts(ol: &OneLogin, n: usize) -> (Vec<Result<(), Error>>, Duration) {
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let ol = ol.clone();
            tokio::spawn(async move {
                ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.map(|_| ())
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    (results, started.elapsed())
}

#[tokio::test]
async fn an_outage_before_the_first_good_copy_is_remembered_and_answered_at_once() {
    let (logs, _guard) = opaque::Captured::install(tracing::Level::WARN);

    // A long timeout: whoever waited for it would show.
    let h = harness_with(|b| b.http_timeout(Duration::from_secs(30))).await;
    h.mock.set_delay("/.well-known/openid-configuration", Duration::from_millis(300));
    h.mock.set_down("/.well-known/openid-configuration", true);
    let (results, took) = concurrent_starts(&h.ol, 8).await;
    for r in &results {
        let err = r.as_ref().unwrap_err();
        assert!(
            matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Discovery, status: 503 })),
            "{err:?}"
        );
        assert_eq!(err.http_status(), 503);
    }
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1, "eight requests, one fetch");
    assert!(took < Duration::from_secs(10), "all answered well under the 30 s timeout: {took:?}");
    // Later requests in the next seconds are answered from the remembered failure.
    let (results, _) = concurrent_starts(&h.ol, 4).await;
    assert!(results.iter().all(Result::is_err));
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1, "no fetch while it is remembered");

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logged.lines().filter(|l| l.contains("there is no good copy")).collect();
    assert_eq!(lines.len(), 1, "the failure is logged once, not per request:\n{logged}");
    assert!(lines[0].contains("discovery document") && lines[0].contains("503"), "with its cause: {}", lines[0]);
}

#[tokio::test]
async fn a_slow_provider_before_the_first_good_copy_costs_one_timeout_not_one_per_request() {
    let h = harness().await; // a 2 s timeout
    h.mock.set_delay("/.well-known/openid-configuration", Duration::from_secs(30));
    let (results, took) = concurrent_starts(&h.ol, 6).await;
    for r in &results {
        let err = r.as_ref().unwrap_err();
        assert!(
            matches!(err, Error::Provider(ProviderError::Timeout { endpoint: Endpoint::Discovery, .. })),
            "{err:?}"
        );
    }
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1, "six requests queued behind one fetch");
    // Queued one after another, six timeouts would take 12 s.
    assert!(took < Duration::from_secs(6), "{took:?}");
}

#[tokio::test]
async fn a_remembered_jwks_failure_does_not_stop_a_later_recovery() {
    let h = harness().await;
    h.mock.set_down("/.well-known/jwks.json", true);
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Jwks, status: 503 })));
    let err = h.login(Requirement::MEDIUM).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::Status { endpoint: Endpoint::Jwks, status: 503 })));
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1, "the second sign-in was answered at once");
    h.mock.set_down("/.well-known/jwks.json", false);
    // The failure is remembered for five seconds, then the JWKS is fetched again.
    tokio::time::sleep(Duration::from_millis(5200)).await;
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2);
}

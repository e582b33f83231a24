use std::time::Duration;

use govuk_one_login::error::{TokenError, TokenKind};
use govuk_one_login::web::{RequestInfo, SessionContext};
use govuk_one_login::{Error, Requirement};

use crate::*;

#[tokio::test]
async fn documents_are_cached_and_fetched_once_under_concurrency() {
    let h = harness().await;
    let starts = (0..8).map(|_| h.ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())));
    for r in futures_join(starts).await {
        r.unwrap();
    }
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1, "single flight");
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1);
    assert_eq!(h.mock.hits("/.well-known/did.json"), 1);
}

async fn futures_join<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    // Poll them concurrently on this task.
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => all = false,
                }
            }
        }
        if all { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    out.extend(results.into_iter().map(|r| r.unwrap()));
    out
}

#[tokio::test]
async fn ttl_follows_cache_control_within_the_floor() {
    // A floor of a few seconds so that two logins fit inside it on a loaded machine.
    let h = harness_with(|b| b.key_cache_bounds(Duration::from_secs(3), Duration::from_secs(3600))).await;
    h.mock.set_max_age("/.well-known/jwks.json", 0);
    h.login(Requirement::MEDIUM).await.unwrap();
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1, "max-age=0 is raised to the 3s floor");
    tokio::time::sleep(Duration::from_millis(3300)).await;
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2, "refetched after the TTL");
}

#[tokio::test]
async fn ttl_is_capped_at_the_ceiling() {
    let h = harness_with(|b| b.key_cache_bounds(Duration::from_millis(100), Duration::from_secs(1))).await;
    h.login(Requirement::MEDIUM).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1300)).await;
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2, "max-age=86400 is lowered to the 1s ceiling");
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 2);
}

#[tokio::test]
async fn last_good_keys_are_kept_when_a_refresh_fails() {
    let h = harness_with(|b| b.key_cache_bounds(Duration::from_secs(1), Duration::from_secs(1))).await;
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    h.mock.set_down("/.well-known/jwks.json", true);
    h.mock.set_down("/.well-known/openid-configuration", true);
    h.mock.set_down("/.well-known/did.json", true);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    assert!(h.mock.hits("/.well-known/jwks.json") >= 2, "a refresh was tried");
}

#[tokio::test]
async fn a_forged_kid_is_refused_and_refetches_are_rate_limited() {
    let h = harness().await;
    h.login(Requirement::MEDIUM).await.unwrap();
    let forged = |kid: &str| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(kid.into());
        header.typ = Some("logout+jwt".into());
        h.mock.logout_token_with("urn:fdc:gov.uk:2022:x", |h2, _| *h2 = header)
    };
    for i in 0..5 {
        let err = h.ol.verify_logout_token(&forged(&format!("forged-{i}"))).await.unwrap_err();
        assert!(
            matches!(&err, Error::Token { kind: TokenKind::LogoutToken, source: TokenError::UnknownKey { kid } } if kid == &format!("forged-{i}")),
            "{err:?}"
        );
    }
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 2, "one refetch per interval, however many forged kids");
}

#[tokio::test]
async fn every_outbound_call_sends_the_user_agent() {
    // The stand-in answers 403 to any back-channel call without a User-Agent, as One Login does;
    // a complete identity login touches discovery, JWKS, token, userinfo and the DID document.
    let h = harness().await;
    h.login(Requirement::IDENTITY_P2).await.unwrap();
    for path in
        ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/token", "/userinfo", "/.well-known/did.json"]
    {
        assert_eq!(h.mock.hits(path), 1, "{path}");
    }
    let raw = reqwest::Client::builder().build().unwrap();
    let status = raw.get(format!("{}.well-known/jwks.json", h.mock.issuer())).send().await.unwrap().status();
    assert_eq!(status, 403, "the stand-in enforces the header, so the test above can fail");
}

/// A thousand callbacks at once on an instance whose caches are cold (the sign-ins were
/// started on another instance sharing the store) fetch the discovery document, the JWKS and
/// the DID document once each: one fetch in flight, everyone else waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_callbacks_on_a_cold_instance_fetch_each_document_once() {
    const CALLBACKS: usize = 1000;
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    // A thousand token and userinfo calls at once keep the stand-in (in this process) busy.
    let config = config_for(&mock)
        .http_timeout(Duration::from_secs(30))
        .max_sign_in_starts_per_second(0)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let store = govuk_one_login::store::MemoryStore::new();
    let starter = OneLogin::builder(config.clone()).store(store.clone()).build().unwrap();
    let user = govuk_one_login_mock::TestUser::default();
    let mut pending = Vec::with_capacity(CALLBACKS);
    for i in 0..CALLBACKS {
        mock.set_user(govuk_one_login_mock::TestUser { sub: format!("{}{i:06}", user.sub), ..user.clone() });
        let start = starter.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap();
        pending.push((authorize(&start.url).await, start.flow_cookie));
    }
    let discovery_before = mock.hits("/.well-known/openid-configuration");
    assert_eq!(mock.hits("/.well-known/jwks.json"), 0, "starting sign-ins needs no keys");
    assert_eq!(mock.hits("/.well-known/did.json"), 0);

    let cold = OneLogin::builder(config).store(store).build().unwrap();
    let mut callbacks = tokio::task::JoinSet::new();
    for (params, flow) in pending {
        let cold = cold.clone();
        callbacks.spawn(async move { cold.complete_login(params, Some(&flow), None).await.map(|o| o.session_id) });
    }
    let mut signed_in = 0;
    while let Some(done) = callbacks.join_next().await {
        done.unwrap().unwrap();
        signed_in += 1;
    }
    assert_eq!(signed_in, CALLBACKS);
    assert_eq!(mock.hits("/.well-known/openid-configuration") - discovery_before, 1, "one discovery fetch");
    assert_eq!(mock.hits("/.well-known/jwks.json"), 1, "one JWKS fetch");
    assert_eq!(mock.hits("/.well-known/did.json"), 1, "one DID document fetch");
}

/// `preflight` fetches discovery and the key set before any user arrives, so that a wrong
/// issuer, port or document is reported at start-up with its cause; what it fetched serves the
/// first sign-in.
#[tokio::test]
async fn preflight_fetches_discovery_and_keys_and_names_what_is_wrong() {
    use govuk_one_login::error::{Endpoint, ProviderError};
    let with_issuer = |issuer: String| {
        let config = Config::builder(Environment::Custom { issuer })
            .client_id(CLIENT_ID)
            .redirect_uri(REDIRECT_URI)
            .user_agent("govuk-one-login-tests/1.0 (https://service.example)")
            .http_timeout(Duration::from_secs(2))
            .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
            .unwrap()
            .build()
            .unwrap();
        OneLogin::new(config).unwrap()
    };
    let h = harness().await;
    h.ol.preflight().await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1);
    h.login(Requirement::MEDIUM).await.unwrap();
    assert_eq!(h.mock.hits("/.well-known/openid-configuration"), 1, "the sign-in used what preflight fetched");
    assert_eq!(h.mock.hits("/.well-known/jwks.json"), 1);

    // The issuer without its trailing `/`: discovery still answers, naming the other string.
    let issuer = h.mock.issuer().trim_end_matches('/').to_owned();
    let err = with_issuer(issuer.clone()).preflight().await.unwrap_err();
    match &err {
        Error::Provider(ProviderError::IssuerMismatch { expected, found }) => {
            assert_eq!((expected.as_str(), found.as_str()), (issuer.as_str(), h.mock.issuer()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains(h.mock.issuer()), "{err}");
    // A user who arrives anyway is told the service has a problem, not that One Login is down.
    let misconfigured = with_issuer(issuer.clone());
    let page = misconfigured.login_route(&RequestInfo::new("GET", "/auth/login"), &SessionContext::default()).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("there is a problem with this service"), "{}", page.body);
    assert!(!page.body.contains("could not be reached"), "{}", page.body);

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let err = with_issuer(format!("http://{closed}/")).preflight().await.unwrap_err();
    assert!(
        matches!(err, Error::Provider(ProviderError::Unreachable { endpoint: Endpoint::Discovery, .. })),
        "{err:?}"
    );
    let url = format!("http://{closed}/.well-known/openid-configuration");
    assert!(err.to_string().contains(&url), "the log names the URL that failed: {err}");

    // A key set that is not one.
    let h = harness().await;
    let did = format!("{}.well-known/did.json", h.mock.issuer());
    h.mock.set_discovery_edit(move |doc| {
        doc.insert("jwks_uri".into(), serde_json::Value::String(did.clone()));
    });
    let err = h.ol.preflight().await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::InvalidResponse { endpoint: Endpoint::Jwks, .. })), "{err:?}");
}

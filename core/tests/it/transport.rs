//! A transport given to the engine carries every call to One Login, and the engine keeps its own
//! checks (User-Agent, timeout, size, typed errors) whatever the transport does.

use std::error::Error as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use govuk_one_login::error::{Endpoint, ProviderError};
use govuk_one_login::transport::{HttpTransport, TransportError};
use govuk_one_login::{CallbackParams, Error, LoginRequest, OneLogin, Requirement, ReturnPath};
use govuk_one_login_mock::{MockProvider, keys};

use crate::{REDIRECT_URI, config_for};

/// What one request through the transport looked like.
#[derive(Debug, Clone)]
struct Seen {
    method: http::Method,
    path: String,
    user_agent: Option<String>,
    content_type: Option<String>,
    bearer: bool,
}

/// Answers in-process through the stand-in's routes, and records each request.
#[derive(Debug, Clone)]
struct InProcess {
    mock: Arc<MockProvider>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[async_trait::async_trait]
impl HttpTransport for InProcess {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        _max_body: usize,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let header = |name| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let seen = Seen {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            user_agent: header(http::header::USER_AGENT),
            content_type: header(http::header::CONTENT_TYPE),
            bearer: header(http::header::AUTHORIZATION).is_some_and(|v| v.starts_with("Bearer ")),
        };
        self.seen.lock().unwrap().push(seen);
        Ok(self.mock.answer(request).await)
    }
}

/// Whatever it is asked, answers with `answer`.
#[derive(Debug)]
struct Fixed(fn() -> Result<http::Response<Vec<u8>>, TransportError>);

#[async_trait::async_trait]
impl HttpTransport for Fixed {
    async fn send(&self, _: http::Request<Vec<u8>>, _: usize) -> Result<http::Response<Vec<u8>>, TransportError> {
        (self.0)()
    }
}

/// Never answers.
#[derive(Debug)]
struct Silent;

#[async_trait::async_trait]
impl HttpTransport for Silent {
    async fn send(&self, _: http::Request<Vec<u8>>, _: usize) -> Result<http::Response<Vec<u8>>, TransportError> {
        std::future::pending().await
    }
}

fn engine_with(mock: &MockProvider, transport: impl HttpTransport) -> OneLogin {
    let config = config_for(mock)
        .http_timeout(Duration::from_millis(300))
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    OneLogin::builder(config).http_transport(transport).build().unwrap()
}

#[tokio::test]
async fn a_whole_identity_sign_in_goes_through_the_given_transport() {
    let mock = Arc::new(MockProvider::start().await);
    mock.register_redirect_uri(REDIRECT_URI);
    let transport = InProcess { mock: mock.clone(), seen: Arc::default() };
    let ol = engine_with(&mock, transport.clone());
    let start = ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap();
    // The browser's visit is over loopback, as a browser's would be; the engine's calls are not.
    let back = mock.sign_in(start.url.as_str()).await;
    let query = url::Url::parse(&back).unwrap().query().unwrap_or_default().to_owned();
    let outcome = ol.complete_login(CallbackParams::from_query(&query), Some(&start.flow_cookie), None).await;
    assert!(outcome.is_ok(), "{outcome:?}");

    let seen = transport.seen.lock().unwrap().clone();
    let paths: Vec<&str> = seen.iter().map(|s| s.path.as_str()).collect();
    for path in ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/token", "/userinfo"] {
        assert!(paths.contains(&path), "{path} not sent through the transport: {paths:?}");
    }
    assert!(paths.iter().any(|p| p.ends_with("did.json")), "the DID document: {paths:?}");
    for s in &seen {
        assert_eq!(s.user_agent.as_deref(), Some("govuk-one-login-tests/1.0 (https://service.example)"), "{s:?}");
    }
    let token = seen.iter().find(|s| s.path == "/token").unwrap();
    assert_eq!(token.method, http::Method::POST);
    assert_eq!(token.content_type.as_deref(), Some("application/x-www-form-urlencoded"));
    assert!(seen.iter().find(|s| s.path == "/userinfo").unwrap().bearer, "userinfo carries the access token");
}

#[tokio::test]
async fn a_transport_that_never_answers_is_cut_at_the_timeout() {
    let mock = MockProvider::start().await;
    let ol = engine_with(&mock, Silent);
    let started = std::time::Instant::now();
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::Timeout { endpoint: Endpoint::Discovery, .. })), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "bounded by the configured timeout");
}

#[tokio::test]
async fn an_oversized_answer_is_refused_even_when_the_transport_reads_it() {
    let mock = MockProvider::start().await;
    let ol = engine_with(
        &mock,
        Fixed(|| {
            Ok(http::Response::builder()
                .header("content-type", "application/json")
                .body(format!("[{}1]", "1,".repeat(300 * 1024)).into_bytes())
                .unwrap())
        }),
    );
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(
        matches!(&err, Error::Provider(ProviderError::InvalidResponse { endpoint: Endpoint::Discovery, reason })
            if reason.contains("too large")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failure_in_transit_is_unreachable_with_its_cause() {
    let mock = MockProvider::start().await;
    let ol = engine_with(&mock, Fixed(|| Err(TransportError::failed("the egress proxy refused the tunnel"))));
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    let Error::Provider(provider @ ProviderError::Unreachable { endpoint: Endpoint::Discovery, .. }) = &err else {
        panic!("{err:?}")
    };
    let mut causes = Vec::new();
    let mut cause = provider.source();
    while let Some(c) = cause {
        causes.push(c.to_string());
        cause = c.source();
    }
    assert!(causes.iter().any(|c| c.contains("egress proxy refused")), "{causes:?}");
    assert_eq!(err.http_status(), 502);
    // The transport's own limit error maps to the same refusal as an oversized body.
    let ol = engine_with(&mock, Fixed(|| Err(TransportError::TooLarge { limit: 1 })));
    let err = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Provider(ProviderError::InvalidResponse { .. })), "{err:?}");
}

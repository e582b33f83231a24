//! The whole round trip against the local One Login stand-in, over loopback.

mod authorize;
mod decisions;
mod doctor;
mod events;
mod faults;
mod flood;
mod fuzz_findings;
mod hooks;
mod keys_and_caches;
mod logout;
mod matrix;
mod opaque;
mod redis_tls;
mod rotation;
mod round_trip;
mod store;
mod transport;
mod web;

use std::time::Duration;

use govuk_one_login::{
    CallbackParams, Config, ConfigBuilder, Environment, Error, LoginOutcome, LoginRequest, OneLogin, Requirement,
    ReturnPath, SessionId,
};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

/// `n` seconds, to move the times the store contract takes.
pub(crate) fn secs(n: i64) -> time::Duration {
    time::Duration::seconds(n)
}

pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/callback";
pub(crate) const POST_LOGOUT_URI: &str = "http://127.0.0.1:9/signed-out";

#[derive(Debug)]
pub(crate) struct Harness {
    pub(crate) mock: MockProvider,
    pub(crate) ol: OneLogin,
}

pub(crate) fn config_for(mock: &MockProvider) -> ConfigBuilder {
    Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .post_logout_redirect_uri(POST_LOGOUT_URI)
        .user_agent("govuk-one-login-tests/1.0 (https://service.example)")
        .http_timeout(Duration::from_secs(2))
        .identity_claims(govuk_one_login::IdentityClaim::ALL)
}

pub(crate) async fn harness() -> Harness {
    harness_with(|b| b).await
}

pub(crate) async fn harness_with(edit: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Harness {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    mock.register_post_logout_redirect_uri(POST_LOGOUT_URI);
    let config = edit(config_for(&mock)).signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
    let ol = OneLogin::new(config).unwrap();
    Harness { mock, ol }
}

/// Follows the authorize URL to the stand-in and returns the callback parameters.
pub(crate) async fn authorize(url: &url::Url) -> CallbackParams {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(url.as_str()).send().await.unwrap();
    assert_eq!(
        response.status(),
        303,
        "the stand-in should redirect back: {}",
        response.text().await.unwrap_or_default()
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let back = url::Url::parse(&location).unwrap();
    assert_eq!(&back[..url::Position::AfterPath], REDIRECT_URI);
    CallbackParams::from_query(back.query().unwrap_or_default())
}

impl Harness {
    /// Starts a login, passes the stand-in, and completes it.
    pub(crate) async fn login(&self, requirement: Requirement) -> Result<LoginOutcome, Error> {
        self.login_from(requirement, None).await
    }

    pub(crate) async fn login_from(
        &self,
        requirement: Requirement,
        current: Option<SessionId>,
    ) -> Result<LoginOutcome, Error> {
        let start = self.ol.start_login(LoginRequest::new(requirement, ReturnPath::parse_or_root("/next?x=1"))).await?;
        let params = authorize(&start.url).await;
        self.ol.complete_login(params, Some(&start.flow_cookie), current).await
    }
}

/// Serves, on a loopback port, what `body` holds when each request comes (so a test can
/// change it), as JSON; returns the URL of its `/.well-known/jwks.json`.
pub(crate) async fn serve_json(body: std::sync::Arc<std::sync::Mutex<String>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.lock().unwrap().clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/.well-known/jwks.json")
}

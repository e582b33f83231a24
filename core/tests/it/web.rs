//! The framework-free routes, with a store that fails.

use govuk_one_login::Requirement;
use govuk_one_login::web::SessionContext;
use tower_sessions_core::SessionStore;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Error as StoreFailure, Result as StoreResult};

use crate::*;

#[derive(Debug, Clone)]
struct BrokenStore;

#[async_trait::async_trait]
impl SessionStore for BrokenStore {
    async fn save(&self, _: &Record) -> StoreResult<()> {
        Err(StoreFailure::Backend("connection refused".into()))
    }
    async fn load(&self, _: &Id) -> StoreResult<Option<Record>> {
        Err(StoreFailure::Backend("connection refused".into()))
    }
    async fn delete(&self, _: &Id) -> StoreResult<()> {
        Err(StoreFailure::Backend("connection refused".into()))
    }
}

async fn broken() -> Harness {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    let config = config_for(&mock).signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
    Harness { ol: OneLogin::builder(config).store(BrokenStore).build().unwrap(), mock }
}

#[tokio::test]
async fn a_failing_store_is_an_error_not_a_lost_session() {
    let h = broken().await;
    let err = h.ol.session_context(Some("one-login-session=AAAAAAAAAAAAAAAAAAAAAA")).await.unwrap_err();
    assert_eq!(err.http_status(), 500);
    let page = h.ol.error_response(&err, true);
    assert_eq!(page.status, 500);
    assert!(!page.body.contains("connection refused"), "store errors never reach the response");
}

#[tokio::test]
async fn backchannel_logout_answers_501_when_sessions_cannot_be_ended() {
    let h = broken().await;
    let token = h.mock.logout_token("urn:fdc:gov.uk:2022:abc");
    let body = format!("logout_token={token}");
    let r = h.ol.backchannel_logout_route(Some("application/x-www-form-urlencoded"), body.as_bytes()).await;
    assert_eq!(r.status, 501, "One Login's docs: 501 when the user could not be logged out");
    let r = h.ol.backchannel_logout_route(Some("application/x-www-form-urlencoded"), b"logout_token=bad").await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn login_route_sanitises_and_starts_the_flow() {
    let h = harness().await;
    let r = h.ol.login_route("level=Cl.Cm.P2&return_to=https://evil.example/", &SessionContext::default()).await;
    assert_eq!(r.status, 302);
    assert!(r.header_value("location").unwrap().starts_with(&format!("{}authorize?", h.mock.issuer())));
    assert!(r.header_value("set-cookie").unwrap().starts_with("one-login-flow="));
    let link = h.ol.login_link(&Requirement::IDENTITY_P2, &ReturnPath::parse_or_root("/apply?x=1"));
    assert_eq!(link, "/auth/login?level=Cl.Cm.P2&return_to=%2Fapply%3Fx%3D1");
}

#[tokio::test]
async fn pending_logins_can_live_apart_from_sessions() {
    let h = harness().await;
    let sessions = tower_sessions_moka_store::MokaStore::new(Some(100));
    let ol = OneLogin::builder(h.ol.config().clone()).store(sessions.clone()).build().unwrap();
    let out = {
        let start = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
        ol.complete_login(authorize(&start.url).await, Some(&start.flow_cookie), None).await.unwrap()
    };
    // Same session store, pending logins elsewhere (here: a store that fails).
    let split = OneLogin::builder(h.ol.config().clone()).store(sessions).pending_store(BrokenStore).build().unwrap();
    let err = split.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, govuk_one_login::Error::Store(_)), "pending logins go to the pending store: {err:?}");
    assert!(split.session(&out.session_id.to_cookie_value()).await.unwrap().is_some(), "sessions are untouched");
}

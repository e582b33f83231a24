//! The framework-free routes, with a store that fails.

use std::sync::Arc;

use govuk_one_login::Requirement;
use govuk_one_login::SessionRecord;
use govuk_one_login::store::{LoadedSession, MemoryStore, PendingLogin, ReplayKey, Store, StoreError};
use govuk_one_login::store::{SessionData, SessionDataStore};
use govuk_one_login::web::{RequestInfo, SessionContext};
use govuk_one_login::{State, Subject};
use time::OffsetDateTime;

use crate::*;

/// A store whose backend is down.
#[derive(Debug, Clone)]
pub(crate) struct BrokenStore;

fn down() -> StoreError {
    StoreError::unavailable("broken", "any", "connection refused")
}

#[async_trait::async_trait]
impl Store for BrokenStore {
    fn backend(&self) -> &'static str {
        "broken"
    }
    async fn put_pending(&self, _: &PendingLogin, _: OffsetDateTime, _: OffsetDateTime) -> Result<(), StoreError> {
        Err(down())
    }
    async fn take_pending(&self, _: &State) -> Result<Option<PendingLogin>, StoreError> {
        Err(down())
    }
    async fn insert_if_absent(&self, _: &ReplayKey, _: OffsetDateTime, _: OffsetDateTime) -> Result<bool, StoreError> {
        Err(down())
    }
    async fn remove_replay(&self, _: &ReplayKey) -> Result<(), StoreError> {
        Err(down())
    }
    async fn drop_identity(&self, _: &Subject, _: OffsetDateTime) -> Result<usize, StoreError> {
        Err(down())
    }
    async fn create_session(
        &self,
        _: &SessionId,
        _: Arc<SessionRecord>,
        _: OffsetDateTime,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        Err(down())
    }
    async fn load_session(&self, _: &SessionId, _: OffsetDateTime) -> Result<Option<LoadedSession>, StoreError> {
        Err(down())
    }
    async fn touch_session(
        &self,
        _: &SessionId,
        _: &SessionRecord,
        _: OffsetDateTime,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        Err(down())
    }
    async fn delete_session(&self, _: &SessionId, _: &Subject) -> Result<(), StoreError> {
        Err(down())
    }
    async fn count_sessions(&self, _: &Subject, _: OffsetDateTime) -> Result<usize, StoreError> {
        Err(down())
    }
    async fn revoke_subject(
        &self,
        _: &Subject,
        _: OffsetDateTime,
        _: OffsetDateTime,
        _: OffsetDateTime,
        _: Option<(&ReplayKey, OffsetDateTime)>,
    ) -> Result<Option<usize>, StoreError> {
        Err(down())
    }
}

#[async_trait::async_trait]
impl SessionDataStore for BrokenStore {
    async fn load_data(&self, _: &SessionId, _: &Subject, _: OffsetDateTime) -> Result<SessionData, StoreError> {
        Err(down())
    }
    async fn write_data(
        &self,
        _: &SessionId,
        _: &Subject,
        _: &str,
        _: Option<&str>,
        _: OffsetDateTime,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        Err(down())
    }
    async fn move_data(
        &self,
        _: &SessionId,
        _: &SessionId,
        _: &Subject,
        _: OffsetDateTime,
        _: OffsetDateTime,
    ) -> Result<(), StoreError> {
        Err(down())
    }
    async fn delete_data(&self, _: &SessionId, _: &Subject) -> Result<(), StoreError> {
        Err(down())
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
    let id = "A".repeat(43);
    let err = h.ol.session_context(Some(&format!("one-login-session={id}"))).await.unwrap_err();
    assert_eq!(err.http_status(), 503, "an unreachable store fails closed with 503");
    let page = h.ol.error_response(&err, &RequestInfo::new("GET", "/").accept(Some("application/json")));
    assert_eq!(page.status, 503);
    assert!(!page.body.contains("connection refused"), "store errors never reach the response");
}

#[tokio::test]
async fn backchannel_logout_answers_501_when_sessions_cannot_be_ended() {
    let h = broken().await;
    let token = h.mock.logout_token("urn:fdc:gov.uk:2022:abc");
    let body = format!("logout_token={token}");
    let post =
        RequestInfo::new("POST", "/auth/backchannel-logout").content_type(Some("application/x-www-form-urlencoded"));
    let r = h.ol.backchannel_logout_route(&post, body.as_bytes()).await;
    assert_eq!(r.status, 501, "One Login's docs: 501 when the user could not be logged out");
    let r = h.ol.backchannel_logout_route(&post, b"logout_token=bad").await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn login_route_sanitises_and_starts_the_flow() {
    let h = harness().await;
    let login = RequestInfo::new("GET", "/auth/login?level=Cl.Cm.P2&return_to=https://evil.example/");
    let r = h.ol.login_route(&login, &SessionContext::default()).await;
    assert_eq!(r.status, 302);
    assert!(r.header_value("location").unwrap().starts_with(&format!("{}authorize?", h.mock.issuer())));
    assert!(r.header_value("set-cookie").unwrap().starts_with("one-login-flow="));
    let link = h.ol.login_link(&Requirement::IDENTITY_P2, &ReturnPath::parse_or_root("/apply?x=1"));
    assert_eq!(link, "/auth/login?level=Cl.Cm.P2&return_to=%2Fapply%3Fx%3D1");
}

#[tokio::test]
async fn engines_sharing_a_memory_store_behave_as_one() {
    let h = harness().await;
    let shared = MemoryStore::new();
    let a = OneLogin::builder(h.ol.config().clone()).store(shared.clone()).build().unwrap();
    let b = OneLogin::builder(h.ol.config().clone()).store(shared).build().unwrap();
    let start = a.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let out = b.complete_login(authorize(&start.url).await, Some(&start.flow_cookie), None).await.unwrap();
    assert!(a.session(&out.session_id.to_cookie_value()).await.unwrap().is_some(), "made on B, seen on A");
    let broken = OneLogin::builder(h.ol.config().clone()).store(BrokenStore).build().unwrap();
    let err = broken.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap_err();
    assert!(matches!(err, Error::Store(_)), "pending logins go to the store: {err:?}");
}

/// A request the browser marks as from another site may change session data only as a GET
/// or HEAD navigation (the user's first page after One Login's redirect is one); it never ends
/// sessions.
#[tokio::test]
async fn a_cross_site_navigation_may_write_data_but_not_end_sessions() {
    let h = harness().await;
    let signed_in = h.login(Requirement::MEDIUM).await.unwrap();
    let cookie = format!("one-login-session={}", signed_in.session_id.to_cookie_value());
    let handle_in = |method: &str, site: &str, mode: &str| {
        let ol = h.ol.clone();
        let cookie = cookie.clone();
        let (method, site, mode) = (method.to_owned(), site.to_owned(), mode.to_owned());
        async move {
            let ctx = ol.session_context(Some(&cookie)).await.unwrap();
            let request = RequestInfo::new(&method, "/account").fetch_site(Some(&site)).fetch_mode(Some(&mode));
            govuk_one_login::web::SessionHandle::new(ol.clone(), ctx, &request)
        }
    };
    let handle = |method: &str, site: &str| handle_in(method, site, "navigate");
    for site in ["cross-site", "same-site"] {
        handle("GET", site).await.insert("visits", &1).await.expect("a navigation may write");
        handle("HEAD", site).await.remove("visits").await.expect("a navigation may remove");
        let post = handle("POST", site).await.insert("visits", &2).await.unwrap_err();
        assert!(matches!(post, Error::SessionData(govuk_one_login::error::SessionDataError::CrossSite)), "{post:?}");
        // An image or a script of a sibling site carries the cookie too: no navigation.
        for mode in ["no-cors", "cors", ""] {
            let sub = handle_in("GET", site, mode).await.insert("visits", &3).await.unwrap_err();
            assert!(matches!(sub, Error::SessionData(govuk_one_login::error::SessionDataError::CrossSite)), "{mode}");
        }
        let ending = handle("GET", site).await.sign_out_everywhere().await.unwrap_err();
        assert!(
            matches!(ending, Error::SessionData(govuk_one_login::error::SessionDataError::CrossSite)),
            "{ending:?}"
        );
    }
    assert_eq!(handle("GET", "same-origin").await.get::<u32>("visits").await.unwrap(), None);
    assert_eq!(handle("POST", "same-origin").await.sign_out_everywhere().await.unwrap(), 1);
}

/// The JWKS route serves the signing key, then the further keys to publish (a rotation's next
/// key), with a cache lifetime One Login can keep.
#[tokio::test]
async fn the_jwks_route_serves_every_published_key() {
    let next = Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9/".into() })
        .client_id("c")
        .redirect_uri(REDIRECT_URI)
        .key_id("next")
        .signing_key_pem(keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap()
        .public_jwks()["keys"][0]
        .to_string();
    let h = harness_with(|b| b.key_id("current").publish_jwks_at("/.well-known/jwks.json").publish_keys([next])).await;
    let r = h.ol.jwks_route();
    assert_eq!(r.status, 200);
    assert_eq!(r.header_value("cache-control"), Some("max-age=300"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let kids: Vec<&str> = body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, ["current", "next"]);
    assert!(body["keys"].as_array().unwrap().iter().all(|k| k.get("d").is_none()), "public keys only");
    // The client assertion names the current key.
    h.login(Requirement::MEDIUM).await.unwrap();
    let (kid, _) = h.mock.last_client_assertion().expect("a client assertion");
    assert_eq!(kid.as_deref(), Some("current"));
}

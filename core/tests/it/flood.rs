//! What an anonymous flood of guarded pages can cost: sign-in starts are held to the
//! configured rate before any signing or storing, with 503 and `Retry-After` over it, a single
//! log line for the lot, and signed-in users untouched.

use govuk_one_login::store::MemoryStore;
use govuk_one_login::web::{RequestInfo, SessionContext};

use crate::opaque::Captured;
use crate::*;

#[tokio::test]
async fn a_flood_of_anonymous_guarded_hits_is_held_to_the_start_rate() {
    let (logs, _guard) = Captured::install(tracing::Level::WARN);

    let mock = harness().await.mock;
    let store = MemoryStore::new();
    let config = config_for(&mock).max_sign_in_starts_per_second(10).signing_key_pem(keys::RP_PRIVATE_KEY_PEM);
    let ol = OneLogin::builder(config.unwrap().build().unwrap()).store(store.clone()).build().unwrap();
    let h = Harness { mock, ol: ol.clone() };
    let signed_in = h.login(Requirement::MEDIUM).await.unwrap();
    // The quota refills: the flood below starts with a full burst.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let page = RequestInfo::new("GET", "/account").accept(Some("text/html"));
    let (mut started, mut refused) = (0u64, 0u64);
    for _ in 0..200 {
        let r = ol.guard(&Requirement::MEDIUM, &SessionContext::default(), &page).await.unwrap_err();
        match r.status.as_u16() {
            302 => started += 1,
            503 => {
                refused += 1;
                assert_eq!(r.header_value("retry-after"), Some("1"));
                assert!(r.header_value("set-cookie").is_none(), "no flow cookie, nothing stored");
                assert!(r.body.contains("<html"), "a page: {}", r.body);
            }
            other => panic!("unexpected status {other}"),
        }
    }
    // A burst of 10, and one more for each 100 ms the loop took.
    assert!((10..=30).contains(&started), "{started} started");
    assert_eq!(started + refused, 200);
    store.run_pending_tasks();
    assert_eq!(store.pending_login_count(), started, "a refused start stores nothing");
    // Signed-in users never start a sign-in, so the flood does not touch them.
    let cookie = format!("one-login-session={}", signed_in.session_id.to_cookie_value());
    let ctx = ol.session_context(Some(&cookie)).await.unwrap();
    assert!(ol.guard(&Requirement::MEDIUM, &ctx, &page).await.is_ok());
    // Nor their step-ups, which are not anonymous: still redirected while the flood is refused.
    let step_up = ol.guard(&Requirement::IDENTITY_P2, &ctx, &page).await.unwrap_err();
    assert_eq!(step_up.status, 302, "{}", step_up.body);
    let anonymous = ol.guard(&Requirement::MEDIUM, &SessionContext::default(), &page).await.unwrap_err();
    assert_eq!(anonymous.status, 503, "the bucket is still empty");
    // An API caller gets the JSON form.
    let api = RequestInfo::new("GET", "/auth/login?return_to=%2F").accept(Some("application/json"));
    let r = ol.login_route(&api, &SessionContext::default()).await;
    assert!(r.status == 503 || r.status == 302, "{}", r.status);

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logged.matches("sign-in starts over the limit were refused").count(), 1, "{logged}");
    assert!(!logged.contains("could not start a One Login sign-in"), "{logged}");
}

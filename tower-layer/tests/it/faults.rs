//! One Login down, slow or broken, through the tower adapter: a clear 503 page (or JSON), an
//! existing session keeps working on guarded routes during the outage and after it, nothing
//! panics.

use super::*;

const PATHS: [&str; 5] =
    ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/token", "/userinfo", "/.well-known/did.json"];

/// The existing session still reaches every kind of guard.
async fn still_signed_in(router: &Router, cookie: &str) {
    for (path, body) in [("/guarded", "guarded"), ("/declared", "declared")] {
        let r = page(router, path, Some(cookie)).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, body), "{path}: {r:?}");
    }
    assert!(page(router, "/extracted", Some(cookie)).await.body.starts_with("user "));
}

#[tokio::test]
async fn one_login_down_gives_a_clear_503_and_sessions_keep_working() {
    let app = app().await;
    let router = router(&app);
    let session = sign_in(&app, &router, "/guarded").await;
    let cookie = session_cookie(&session);
    app.mock.set_down("*", true);
    still_signed_in(&router, &cookie).await;

    // A sign-in started before the outage fails at the token endpoint: a 503 page, and the
    // session the browser already had stays.
    app.mock.set_down("*", false);
    let started = through_the_mock(&app, &page(&router, "/id-guarded", Some(&cookie)).await).await;
    app.mock.set_down("*", true);
    let cookies = format!("one-login-flow={}; {cookie}", started.flow);
    let r = page(&router, &started.callback, Some(&cookies)).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.body.contains("GOV.UK One Login is temporarily unavailable"), "{}", r.body);
    assert!(r.headers.get("set-cookie").is_none(), "the session cookie is not touched");
    still_signed_in(&router, &cookie).await;

    // An engine that has never reached One Login: a 503 page at once for pages, JSON for APIs.
    let fresh = app_with(|b| b).await;
    fresh.mock.set_down("*", true);
    let fresh_router = router_for(&fresh.ol);
    let r = page(&fresh_router, "/guarded", None).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert!(r.body.contains("GOV.UK One Login is temporarily unavailable"), "{}", r.body);
    let r = call(&fresh_router, request("/guarded", JSON, None)).await;
    assert_eq!(r.status, 401, "an API without a session is told to sign in, with no call out: {r:?}");
    let hits = fresh.mock.hits("/.well-known/openid-configuration");
    for _ in 0..5 {
        assert_eq!(page(&fresh_router, "/guarded", None).await.status, 503);
    }
    assert_eq!(fresh.mock.hits("/.well-known/openid-configuration"), hits, "answered from the remembered failure");

    app.mock.set_down("*", false);
    still_signed_in(&router, &cookie).await;
}

#[tokio::test]
async fn a_slow_500_or_malformed_endpoint_fails_the_sign_in_with_a_page_and_keeps_the_session() {
    for path in PATHS {
        for fault in ["slow", "500", "malformed"] {
            let app = app().await;
            let router = router(&app);
            let session = sign_in(&app, &router, "/guarded").await;
            let cookie = session_cookie(&session);
            // A fresh engine on the same store would have no cached documents: use a step-up
            // on this one, which calls discovery/JWKS only from its cache, and a new engine for
            // the document endpoints.
            let fresh = OneLogin::builder(app.ol.config().clone()).store(app.store.clone()).build().unwrap();
            let target = if path.starts_with("/.well-known") { router_for(&fresh) } else { router.clone() };
            match fault {
                "slow" => app.mock.set_delay(path, Duration::from_secs(5)),
                "500" => app.mock.set_status(path, Some(500)),
                _ => app.mock.set_malformed_json(path, true),
            }
            let r = step_up(&app, &target, &cookie, path).await;
            let expected = if fault == "slow" { 503 } else { 502 };
            assert_eq!(r.status.as_u16(), expected, "{path} {fault}: {r:?}");
            assert_eq!(r.header("cache-control"), Some("no-store"));
            assert!(r.body.contains("<html"), "{path} {fault}: a page");
            still_signed_in(&target, &cookie).await;
            app.mock.set_delay(path, Duration::ZERO);
            app.mock.set_status(path, None);
            app.mock.set_malformed_json(path, false);
            still_signed_in(&router, &cookie).await;
        }
    }
}

fn router_for(ol: &OneLogin) -> Router {
    pages().with_one_login(ol.clone())
}

/// Steps the session up to `P2` (every endpoint is called) and returns the first error page on
/// the way: the redirect's, or the callback's.
async fn step_up(app: &App, router: &Router, cookie: &str, path: &str) -> Resp {
    let redirect = page(router, "/id-guarded", Some(cookie)).await;
    if redirect.status != 302 {
        assert_eq!(path, "/.well-known/openid-configuration", "only discovery fails before the redirect");
        return redirect;
    }
    let started = through_the_mock(app, &redirect).await;
    let cookies = format!("one-login-flow={}; {cookie}", started.flow);
    page(router, &started.callback, Some(&cookies)).await
}

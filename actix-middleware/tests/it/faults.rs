//! One Login down, slow or broken, through the actix adapter: a clear 503 page (or JSON), an
//! existing session keeps working on guarded routes during the outage and after it, nothing
//! panics.

use super::headers::Client;
use super::*;

const PATHS: [&str; 5] =
    ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/token", "/userinfo", "/.well-known/did.json"];

impl<S, R, B> Client<'_, S, R>
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    /// The existing session still reaches every kind of guard.
    async fn still_signed_in(&self, cookie: &str) {
        for (path, body) in [("/guarded", "guarded"), ("/declared", "declared")] {
            let r = self.page(path, Some(cookie)).await;
            assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, body), "{path}: {r:?}");
        }
        assert!(self.page("/extracted", Some(cookie)).await.body.starts_with("user "));
    }

    /// Steps the session up to `P2` (every endpoint is called) and returns the first error
    /// page on the way: the redirect's, or the callback's.
    async fn step_up(&self, f: &Fixture, cookie: &str, path: &str) -> Resp {
        let redirect = self.page("/id-guarded", Some(cookie)).await;
        if redirect.status != 302 {
            assert_eq!(path, "/.well-known/openid-configuration", "only discovery fails before the redirect");
            return redirect;
        }
        let started = through_the_mock(f, &redirect).await;
        let cookies = format!("one-login-flow={}; {cookie}", started.flow);
        self.page(&started.callback, Some(&cookies)).await
    }
}

#[test]
fn one_login_down_gives_a_clear_503_and_sessions_keep_working() {
    run(async {
        let f = fixture().await;
        let app = app!(f.ol);
        let c = Client { app: &app, to_request: TestRequest::to_request };
        let session = sign_in!(f, app, "/guarded");
        let cookie = session_cookie(&session);
        f.mock.set_down("*", true);
        c.still_signed_in(&cookie).await;

        f.mock.set_down("*", false);
        let started = through_the_mock(&f, &c.page("/id-guarded", Some(&cookie)).await).await;
        f.mock.set_down("*", true);
        let r = c.page(&started.callback, Some(&format!("one-login-flow={}; {cookie}", started.flow))).await;
        assert_eq!(r.status, 503, "{r:?}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(r.body.contains("GOV.UK One Login is temporarily unavailable"), "{}", r.body);
        assert!(r.header("set-cookie").is_none(), "the session cookie is not touched");
        c.still_signed_in(&cookie).await;

        let fresh = fixture().await;
        fresh.mock.set_down("*", true);
        let fresh_app = app!(fresh.ol);
        let fc = Client { app: &fresh_app, to_request: TestRequest::to_request };
        let r = fc.page("/extracted", None).await;
        assert_eq!(r.status, 503, "{r:?}");
        assert!(r.body.contains("GOV.UK One Login is temporarily unavailable"), "{}", r.body);
        let hits = fresh.mock.hits("/.well-known/openid-configuration");
        for _ in 0..5 {
            assert_eq!(fc.page("/guarded", None).await.status, 503);
        }
        assert_eq!(fresh.mock.hits("/.well-known/openid-configuration"), hits, "answered from the remembered failure");

        f.mock.set_down("*", false);
        c.still_signed_in(&cookie).await;
    });
}

#[test]
fn a_slow_500_or_malformed_endpoint_fails_the_sign_in_with_a_page_and_keeps_the_session() {
    run(async {
        for path in PATHS {
            for fault in ["slow", "500", "malformed"] {
                let f = fixture().await;
                let app = app!(f.ol);
                let c = Client { app: &app, to_request: TestRequest::to_request };
                let session = sign_in!(f, app, "/guarded");
                let cookie = session_cookie(&session);
                // The document endpoints are cached by now: a new engine on the same store
                // fetches them again.
                let fresh = OneLogin::builder(f.ol.config().clone()).store(f.store.clone()).build().unwrap();
                let fresh_app = app!(fresh);
                let fc = Client { app: &fresh_app, to_request: TestRequest::to_request };
                match fault {
                    "slow" => f.mock.set_delay(path, Duration::from_secs(5)),
                    "500" => f.mock.set_status(path, Some(500)),
                    _ => f.mock.set_malformed_json(path, true),
                }
                let r = if path.starts_with("/.well-known") {
                    fc.step_up(&f, &cookie, path).await
                } else {
                    c.step_up(&f, &cookie, path).await
                };
                let expected = if fault == "slow" { 503 } else { 502 };
                assert_eq!(r.status.as_u16(), expected, "{path} {fault}: {r:?}");
                assert_eq!(r.header("cache-control"), Some("no-store"));
                assert!(r.body.contains("<html"), "{path} {fault}: a page");
                fc.still_signed_in(&cookie).await;
                f.mock.set_delay(path, Duration::ZERO);
                f.mock.set_status(path, None);
                f.mock.set_malformed_json(path, false);
                c.still_signed_in(&cookie).await;
            }
        }
    });
}

//! Security headers through the actix adapter, on https (so with `__Host-` cookies): every
//! cookie's flags, `Cache-Control: no-store` on the library's routes and on guarded pages,
//! CSRF refusals on the state-changing routes, and return paths kept local.

use actix_web::HttpResponse;

use super::*;

const SECURE_REDIRECT: &str = "https://service.example/auth/callback";
const SESSION: &str = "__Host-one-login-session";
const FLOW: &str = "__Host-one-login-flow";

pub(crate) async fn secure_fixture() -> Fixture {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(SECURE_REDIRECT);
    mock.register_post_logout_redirect_uri("https://service.example/signed-out");
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(SECURE_REDIRECT)
        .post_logout_redirect_uri("https://service.example/signed-out")
        .user_agent("govuk-one-login-actix-tests/1.0 (https://service.example)")
        .http_timeout(Duration::from_secs(2))
        .identity_claims(IdentityClaim::ALL)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let store = CountingStore::default();
    let ol = OneLogin::builder(config).store(store.clone()).build().unwrap();
    Fixture { mock, ol, store }
}

async fn write_data(s: OneLoginSession) -> HttpResponse {
    match s.insert("note", "kept").await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => Rejection::from(s.handle().error_response(&e)).error_response(),
    }
}

async fn read_data(s: OneLoginSession) -> String {
    format!("{:?}", s.get::<String>("note").await.ok().flatten())
}

async fn everywhere(s: OneLoginSession) -> HttpResponse {
    match s.sign_out_everywhere().await {
        Ok(ended) => HttpResponse::Ok().body(ended.to_string()),
        Err(e) => Rejection::from(s.handle().error_response(&e)).error_response(),
    }
}

/// Routes that write session data, set their own caching, or are public.
fn extra(cfg: &mut ServiceConfig) {
    cfg.service(web::resource("/data").route(web::post().to(write_data)).route(web::get().to(read_data)))
        .service(web::resource("/everywhere").route(web::post().to(everywhere)))
        .service(
            web::resource("/own-cache").wrap(require(Requirement::MEDIUM)).to(|| async {
                HttpResponse::Ok().insert_header(("cache-control", "private, max-age=60")).body("mine")
            }),
        )
        .service(web::resource("/public").to(|| async { "public" }));
}

/// Sends test requests to an app (the app's request type is actix-http's, named here through
/// `TestRequest::to_request`).
pub(crate) struct Client<'a, S, R> {
    pub(crate) app: &'a S,
    pub(crate) to_request: fn(TestRequest) -> R,
}

impl<S, R, B> Client<'_, S, R>
where
    S: Service<R, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    pub(crate) async fn send(&self, request: TestRequest) -> Resp {
        call(self.app, (self.to_request)(request)).await
    }
    pub(crate) async fn page(&self, path: &str, cookies: Option<&str>) -> Resp {
        self.send(request(path, HTML, cookies)).await
    }
    async fn form(&self, path: &str, body: &str, cookie: Option<&str>, fetch_site: Option<&str>) -> Resp {
        let mut r = TestRequest::post()
            .uri(path)
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload(body.to_owned());
        if let Some(c) = cookie {
            r = r.insert_header(("cookie", c));
        }
        if let Some(s) = fetch_site {
            r = r.insert_header(("sec-fetch-site", s));
        }
        self.send(r).await
    }
    /// Signs in through `start`; every response on the way, and the session cookie's value.
    async fn sign_in(&self, start: &str, session: Option<&str>) -> (Vec<Resp>, String) {
        let cookie = session.map(|s| format!("{SESSION}={s}"));
        let redirect = self.page(start, cookie.as_deref()).await;
        let flow = redirect.cookie(FLOW).expect("a flow cookie");
        let callback = via_mock(&redirect).await;
        let cookies = match session {
            Some(s) => format!("{FLOW}={flow}; {SESSION}={s}"),
            None => format!("{FLOW}={flow}"),
        };
        let done = self.page(&callback, Some(&cookies)).await;
        assert_eq!(done.status, 303, "{done:?}");
        let value = done.cookie(SESSION).expect("a session cookie");
        (vec![redirect, done], value)
    }
}

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers.iter().filter(|(n, _)| n == "set-cookie").map(|(_, v)| v.clone()).collect()
}

fn assert_our_cookie_flags(r: &Resp) {
    for c in set_cookies(r) {
        assert!(c.starts_with("__Host-"), "{c}");
        let attributes: Vec<String> = c.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
        for needed in ["secure", "httponly", "samesite=lax", "path=/"] {
            assert!(attributes.iter().any(|a| a == needed), "{c} lacks {needed}");
        }
        assert!(!attributes.iter().any(|a| a.starts_with("domain")), "{c} has a Domain");
    }
}

/// Passes the stand-in for a redirect to it; the callback's path and query.
async fn via_mock(redirect: &Resp) -> String {
    assert_eq!(redirect.status, 302, "{redirect:?}");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = client.get(redirect.location()).send().await.unwrap();
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    back[url::Position::BeforePath..].to_owned()
}

async fn csrf_token(f: &Fixture, session: &str) -> String {
    f.ol.session(session).await.unwrap().expect("a live session").1.csrf_token().to_owned()
}

macro_rules! secure_app {
    ($ol:expr) => {
        test::init_service(
            App::new()
                .wrap(OneLoginMiddleware::new($ol.clone()))
                .configure(configure($ol.clone()))
                .configure(pages)
                .configure(extra),
        )
        .await
    };
}

#[test]
fn every_cookie_we_set_is_host_prefixed_secure_http_only_lax_and_host_only() {
    run(async {
        let f = secure_fixture().await;
        let app = secure_app!(f.ol);
        let c = Client { app: &app, to_request: TestRequest::to_request };
        let mut seen = Vec::new();
        let (responses, session) = c.sign_in("/guarded", None).await;
        seen.extend(responses);
        let (responses, stepped) = c.sign_in("/id-guarded", Some(&session)).await;
        seen.extend(responses);
        let (responses, _) = c.sign_in("/extracted", None).await;
        seen.extend(responses);
        let (responses, _) = c.sign_in("/auth/login?return_to=%2Fguarded", None).await;
        seen.extend(responses);
        let token = csrf_token(&f, &stepped).await;
        let cookie = format!("{SESSION}={stepped}");
        seen.push(c.form("/auth/logout", &format!("csrf_token={token}"), Some(&cookie), None).await);
        let (_, session) = c.sign_in("/guarded", None).await;
        f.mock.set_fault(govuk_one_login_mock::Fault::LoginRequired);
        let cookie = format!("{SESSION}={session}");
        let redirect = c.page("/id-guarded", Some(&cookie)).await;
        let callback = via_mock(&redirect).await;
        let flow = redirect.cookie(FLOW).unwrap();
        let refused = c.page(&callback, Some(&format!("{FLOW}={flow}; {cookie}"))).await;
        assert_eq!(refused.status, 401, "{refused:?}");
        seen.push(redirect);
        seen.push(refused);

        let all: Vec<String> = seen.iter().flat_map(set_cookies).collect();
        assert!(all.iter().any(|c| c.starts_with(&format!("{FLOW}="))), "flow cookies were set");
        assert!(all.iter().any(|c| c.starts_with(&format!("{SESSION}=")) && !c.contains("Max-Age=0")));
        assert!(all.iter().filter(|c| c.starts_with(&format!("{SESSION}=;")) && c.contains("Max-Age=0")).count() >= 2);
        for r in &seen {
            assert_our_cookie_flags(r);
        }
    });
}

#[test]
fn library_routes_and_guarded_pages_answer_no_store() {
    run(async {
        let f = secure_fixture().await;
        let app = secure_app!(f.ol);
        let c = Client { app: &app, to_request: TestRequest::to_request };
        let mut library = Vec::new();
        let (responses, session) = c.sign_in("/auth/login?return_to=%2Fguarded", None).await;
        library.extend(responses);
        let cookie = format!("{SESSION}={session}");
        library.push(c.page("/auth/login?return_to=%2Fguarded", Some(&cookie)).await);
        library.push(c.page("/auth/callback?code=x&state=forged", None).await);
        library.push(c.send(request("/auth/callback?code=x&state=forged", JSON, None)).await);
        library.push(c.form("/auth/logout", "csrf_token=wrong", Some(&cookie), None).await);
        library.push(c.form("/auth/backchannel-logout", "logout_token=not-a-token", None, None).await);
        let sub = f.ol.session(&session).await.unwrap().unwrap().1.subject().as_str().to_owned();

        let mut guarded = Vec::new();
        for path in ["/guarded", "/extracted", "/session", "/maybe", "/declared"] {
            let r = c.page(path, Some(&cookie)).await;
            assert_eq!(r.status, 200, "{path}: {r:?}");
            guarded.push((path, r));
        }
        let own = c.page("/own-cache", Some(&cookie)).await;
        let token = csrf_token(&f, &session).await;
        let signed_out = c.form("/auth/logout", &format!("csrf_token={token}"), Some(&cookie), None).await;
        assert_eq!(signed_out.status, 303);
        library.push(signed_out);
        let good = format!("logout_token={}", f.mock.logout_token(&sub));
        let r = c.form("/auth/backchannel-logout", &good, None, None).await;
        assert_eq!(r.status, 200, "{r:?}");
        library.push(r);

        for r in &library {
            assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
        }
        for (path, r) in &guarded {
            assert_eq!(r.header("cache-control"), Some("no-store"), "{path}: a page with the user's data");
        }
        assert_eq!((own.status, own.header("cache-control")), (StatusCode::OK, Some("private, max-age=60")));
        assert_eq!(c.page("/public", None).await.header("cache-control"), None);

        let fresh = secure_fixture().await;
        fresh.mock.set_down("*", true);
        let fresh_app = secure_app!(fresh.ol);
        let r = Client { app: &fresh_app, to_request: TestRequest::to_request }.page("/guarded", None).await;
        assert_eq!(r.status, 503, "{r:?}");
        assert_eq!(r.header("cache-control"), Some("no-store"));
    });
}

#[test]
fn state_changing_routes_refuse_forged_and_cross_site_requests() {
    run(async {
        let f = secure_fixture().await;
        let app = secure_app!(f.ol);
        let c = Client { app: &app, to_request: TestRequest::to_request };
        let (_, session) = c.sign_in("/guarded", None).await;
        let cookie = format!("{SESSION}={session}");
        for body in ["", "csrf_token=", "csrf_token=forged", "other=1"] {
            let r = c.form("/auth/logout", body, Some(&cookie), Some("same-origin")).await;
            assert_eq!(r.status, 403, "{body:?}: {r:?}");
            assert!(set_cookies(&r).is_empty(), "the session cookie is not cleared");
        }
        let r = c.form("/auth/logout", "", None, Some("cross-site")).await;
        assert_eq!(r.status, 403);
        assert!(f.mock.end_sessions().is_empty(), "One Login's sign-out was not called");
        assert_eq!(c.page("/guarded", Some(&cookie)).await.body, "guarded", "still signed in");

        let sub = f.ol.session(&session).await.unwrap().unwrap().1.subject().as_str().to_owned();
        let forged = f.mock.logout_token_with(&sub, |h, _| h.kid = Some("forged".into()));
        for body in [String::new(), "logout_token=x.y.z".into(), format!("logout_token={forged}")] {
            let r = c.form("/auth/backchannel-logout", &body, None, None).await;
            assert_eq!(r.status, 400, "{body}: {r:?}");
        }
        assert_eq!(c.page("/guarded", Some(&cookie)).await.body, "guarded", "still signed in");

        for path in ["/data", "/everywhere"] {
            let r = c.form(path, "", None, None).await;
            assert_eq!(r.status, 401, "{path}: {r:?}");
            for site in ["cross-site", "same-site"] {
                let r = c.form(path, "", Some(&cookie), Some(site)).await;
                assert_eq!(r.status, 403, "{path} {site}: {r:?}");
                assert_eq!(r.json()["error"], "service_error", "{path}");
            }
        }
        assert_eq!(c.page("/data", Some(&cookie)).await.body, "None", "nothing was written");
        assert_eq!(c.page("/guarded", Some(&cookie)).await.body, "guarded", "still signed in");
        let r = c.form("/data", "", Some(&cookie), Some("same-origin")).await;
        assert_eq!(r.status, 204, "{r:?}");
        assert_eq!(c.page("/data", Some(&cookie)).await.body, "Some(\"kept\")");
        let r = c.form("/everywhere", "", Some(&cookie), None).await;
        assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "1"), "{r:?}");
        assert_eq!(c.page("/guarded", Some(&cookie)).await.status, 302, "signed out");
    });
}

/// Every trick for leaving the site, as `return_to`.
const TRICKS: [&str; 16] = [
    "//evil.example",
    "//evil.example/%2e%2e",
    "/\\evil.example",
    "\\/evil.example",
    "/%2f%2fevil.example",
    "/%2F%2Fevil.example",
    "/%5cevil.example",
    "https://evil.example/",
    "/\t/evil.example",
    "/\r\nLocation: https://evil.example",
    "/\n/evil.example",
    "/\u{ff0f}evil.example",
    "/\u{2215}evil.example",
    "/\u{ff3c}evil.example",
    "\u{3002}/evil.example",
    " //evil.example",
];

#[test]
fn return_paths_stay_local_at_the_sign_in_route_and_the_callback() {
    run(async {
        let f = secure_fixture().await;
        let app = secure_app!(f.ol);
        let c = Client { app: &app, to_request: TestRequest::to_request };
        let (_, session) = c.sign_in("/guarded", None).await;
        let cookie = format!("{SESSION}={session}");
        for trick in TRICKS {
            let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", trick).finish();
            let login = format!("/auth/login?{q}");
            let r = c.page(&login, Some(&cookie)).await;
            assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/"), "{trick:?}");
            let (responses, _) = c.sign_in(&login, None).await;
            assert_eq!(responses[1].location(), "/", "{trick:?}");
        }
        let (responses, _) = c.sign_in("/auth/login?return_to=%2Fapply%3Fstep%3D2", None).await;
        assert_eq!(responses[1].location(), "/apply?step=2");
    });
}

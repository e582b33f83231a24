//! The actix middleware, guards and extractors, driven in process with `actix_web::test`
//! against the local One Login stand-in: the guards agree, the `Option` forms start nothing
//! (the sign-in an extractor asks for is started by the middleware, so a dropped rejection
//! starts none), API declarations answer JSON, and a missing middleware is one clear 500.

// The same counting store as the tower adapter's tests: one file, two test binaries.
#[path = "../../../tower-layer/tests/it/counting.rs"]
mod counting;
// The negative matrix's cases, shared with the tower adapter's tests in the same way.
#[path = "../../../tower-layer/tests/it/cases.rs"]
mod cases;

use std::future::Future;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, ResponseError};
use govuk_one_login::IdentityClaim;
use govuk_one_login::OneLoginBuilder;
use govuk_one_login::web::Denial;
use govuk_one_login_actix::{
    AuthenticatedUser, Config, Environment, OneLogin, OneLoginMiddleware, OneLoginSession, Rejection, Requirement,
    VerifiedIdentity, configure, require,
};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
use serde_json::{Value, json};

use counting::CountingStore;

const REDIRECT_URI: &str = "http://127.0.0.1:9/auth/callback";
const HTML: &str = "text/html,application/xhtml+xml";
const JSON: &str = "application/json";

/// Runs a test on an actix system (a current-thread Tokio runtime with a local set).
fn run<F: Future>(test: F) -> F::Output {
    actix_web::rt::System::new().block_on(test)
}

struct Fixture {
    mock: MockProvider,
    ol: OneLogin,
    store: CountingStore,
}

async fn fixture() -> Fixture {
    fixture_with(|b| b).await
}

async fn fixture_with(edit: impl FnOnce(OneLoginBuilder) -> OneLoginBuilder) -> Fixture {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(REDIRECT_URI)
        .user_agent("govuk-one-login-actix-tests/1.0 (https://service.example)")
        .http_timeout(Duration::from_secs(2))
        .identity_claims(IdentityClaim::ALL)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let store = CountingStore::default();
    let ol = edit(OneLogin::builder(config).store(store.clone())).build().unwrap();
    Fixture { mock, ol, store }
}

async fn user(u: AuthenticatedUser) -> String {
    format!("user {}", u.subject().as_str())
}

async fn identity(v: VerifiedIdentity) -> String {
    format!("identity {}", v.level())
}

async fn maybe(u: Option<AuthenticatedUser>) -> &'static str {
    if u.is_some() { "some" } else { "none" }
}

async fn maybe_identity(v: Option<VerifiedIdentity>) -> &'static str {
    if v.is_some() { "some" } else { "none" }
}

async fn session(s: OneLoginSession) -> String {
    format!("signed in: {}", s.is_signed_in())
}

async fn own_401() -> Result<&'static str, Rejection> {
    Err(Rejection::from(Denial::unauthenticated(&Requirement::MEDIUM)))
}

/// Every kind of guard, on its own path.
fn pages(cfg: &mut ServiceConfig) {
    cfg.service(web::resource("/guarded").wrap(require(Requirement::MEDIUM)).to(|| async { "guarded" }))
        .service(web::resource("/extracted").to(user))
        .service(web::resource("/id-guarded").wrap(require(Requirement::IDENTITY_P2)).to(|| async { "id-guarded" }))
        .service(web::resource("/id-extracted").to(identity))
        .service(web::resource("/maybe").to(maybe))
        .service(web::resource("/maybe-id").to(maybe_identity))
        .service(web::resource("/declared").wrap(require(Requirement::MEDIUM).api()).to(|| async { "declared" }))
        .service(web::resource("/api/x").wrap(require(Requirement::MEDIUM)).to(|| async { "api" }))
        .service(web::resource("/api/extracted").to(user))
        .service(web::resource("/apis").wrap(require(Requirement::MEDIUM)).to(|| async { "apis" }))
        .service(web::resource("/session").to(session))
        .service(web::resource("/own-401").to(own_401));
}

/// The app as a service would build it: the middleware, One Login's routes and the pages.
macro_rules! app {
    ($ol:expr) => {
        test::init_service(
            App::new().wrap(OneLoginMiddleware::new($ol.clone())).configure(configure($ol.clone())).configure(pages),
        )
        .await
    };
}

#[derive(Debug)]
struct Resp {
    status: StatusCode,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    fn location(&self) -> &str {
        self.header("location").unwrap_or_else(|| panic!("a location: {self:?}"))
    }
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers.iter().filter(|(n, _)| n == "set-cookie").find_map(|(_, c)| {
            let pair = c.split(';').next()?;
            pair.strip_prefix(name)?.strip_prefix('=').map(str::to_owned)
        })
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn request(path: &str, accept: &str, cookies: Option<&str>) -> TestRequest {
    let r = TestRequest::get().uri(path).insert_header(("accept", accept));
    match cookies {
        Some(c) => r.insert_header(("cookie", c)),
        None => r,
    }
}

async fn call<S, R, B, E>(app: &S, request: R) -> Resp
where
    S: Service<R, Response = ServiceResponse<B>, Error = E>,
    B: MessageBody,
    E: std::fmt::Debug,
{
    let response = test::call_service(app, request).await;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = test::read_body(response).await;
    Resp { status, headers, body: String::from_utf8(body.to_vec()).unwrap() }
}

/// A page request (the browser's `Accept`).
macro_rules! page {
    ($app:expr, $path:expr) => {
        call(&$app, request($path, HTML, None).to_request()).await
    };
    ($app:expr, $path:expr, $cookies:expr) => {
        call(&$app, request($path, HTML, Some($cookies)).to_request()).await
    };
}

struct Started {
    flow: String,
    vtr: Value,
    callback: String,
}

/// Follows a redirect to One Login through the stand-in (which approves at once).
async fn through_the_mock(f: &Fixture, redirect: &Resp) -> Started {
    assert_eq!(redirect.status, 302, "{redirect:?}");
    let location = redirect.location();
    assert!(location.starts_with(&format!("{}authorize?", f.mock.issuer())), "{location}");
    let flow = redirect.cookie("one-login-flow").expect("the flow cookie is set with the redirect");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let back = client.get(location).send().await.unwrap();
    assert_eq!(back.status(), 303);
    let back = url::Url::parse(back.headers()["location"].to_str().unwrap()).unwrap();
    let vtr = f.mock.last_authorize().expect("the stand-in saw /authorize").params["vtr"].clone();
    Started { flow, vtr, callback: back[url::Position::BeforePath..].to_owned() }
}

fn callback_cookies(started: &Started, session: Option<&str>) -> String {
    match session {
        Some(s) => format!("one-login-flow={}; one-login-session={s}", started.flow),
        None => format!("one-login-flow={}", started.flow),
    }
}

/// Completes a started sign-in through the app's callback route; the answer and the session.
macro_rules! finish {
    ($app:expr, $started:expr, $session:expr) => {{
        let done = page!($app, &$started.callback, &callback_cookies(&$started, $session));
        assert_eq!(done.status, 303, "{done:?}");
        let session = done.cookie("one-login-session").expect("a session cookie");
        (done, session)
    }};
}

/// Signs in through a guarded page; the session cookie's value.
macro_rules! sign_in {
    ($f:expr, $app:expr, $path:expr) => {{
        let redirect = page!($app, $path);
        let started = through_the_mock(&$f, &redirect).await;
        finish!($app, started, None).1
    }};
}

fn session_cookie(value: &str) -> String {
    format!("one-login-session={value}")
}

#[test]
fn require_and_the_extractors_start_the_same_sign_in() {
    run(async {
        let f = fixture().await;
        let app = app!(f.ol);
        for (guarded, extracted, vtr) in
            [("/guarded", "/extracted", json!(["Cl.Cm"])), ("/id-guarded", "/id-extracted", json!(["Cl.Cm.P2"]))]
        {
            let mut seen = Vec::new();
            for path in [guarded, extracted] {
                let target = format!("{path}?from=a&b=%2F");
                let redirect = page!(app, &target);
                assert_eq!(redirect.header("cache-control"), Some("no-store"));
                let started = through_the_mock(&f, &redirect).await;
                assert_eq!(started.vtr, vtr, "{path}");
                let (done, _) = finish!(app, started, None);
                assert_eq!(done.location(), target, "back to the same path and query");
                let cookie = redirect.header("set-cookie").unwrap();
                let attributes: Vec<&str> = cookie.split("; ").skip(1).collect();
                seen.push((redirect.status, attributes.join("; "), started.vtr));
            }
            assert_eq!(seen[0], seen[1], "{guarded} and {extracted} answer alike");
            let a = call(&app, request(guarded, JSON, None).to_request()).await;
            let b = call(&app, request(extracted, JSON, None).to_request()).await;
            assert_eq!((a.status, &a.body), (b.status, &b.body));
            assert_eq!(a.status, 401);
        }

        let session = sign_in!(f, app, "/guarded");
        let cookie = session_cookie(&session);
        assert_eq!(page!(app, "/guarded", &cookie).body, "guarded");
        let user = page!(app, "/extracted", &cookie);
        assert_eq!(user.status, 200);
        assert!(user.body.starts_with("user urn:fdc:gov.uk:2022:"), "{}", user.body);
        let mut steps = Vec::new();
        for path in ["/id-guarded?s=1", "/id-extracted?s=1"] {
            let r = page!(app, path, &cookie);
            let started = through_the_mock(&f, &r).await;
            let (done, stepped) = finish!(app, started, Some(session.as_str()));
            assert_eq!(done.location(), path);
            steps.push((r.status, started.vtr));
            let after = page!(app, path, &session_cookie(&stepped));
            assert_eq!(after.status, 200, "{after:?}");
        }
        assert_eq!(steps[0], steps[1]);
        assert_eq!(steps[0].1, json!(["Cl.Cm.P2"]));
    });
}

#[test]
fn an_optional_extractor_without_a_session_starts_nothing() {
    run(async {
        let f = fixture().await;
        let app = app!(f.ol);
        for path in ["/maybe", "/maybe-id", "/maybe?next=/x"] {
            let r = page!(app, path);
            assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "none"), "{path}");
            assert!(r.header("set-cookie").is_none(), "no flow cookie: {path}");
            assert!(r.header("location").is_none());
        }
        assert_eq!(f.store.pending_logins(), 0, "no pending login was stored");
        assert_eq!(f.mock.hits("/.well-known/openid-configuration"), 0, "One Login was not even asked");
        assert_eq!(f.mock.hits("/authorize"), 0);

        // The plain extractor does start one, through the middleware.
        let started = page!(app, "/extracted");
        assert_eq!(started.status, 302);
        assert!(started.cookie("one-login-flow").is_some());
        assert_eq!(f.store.pending_logins(), 1);

        // With the flow cookie of that start, the optional extractor still starts nothing.
        let flow = format!("one-login-flow={}", started.cookie("one-login-flow").unwrap());
        let r = page!(app, "/maybe", &flow);
        assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "none"));
        assert!(r.header("set-cookie").is_none());
        assert_eq!(f.store.pending_logins(), 1);

        let session = sign_in!(f, app, "/guarded");
        let before = f.store.pending_logins();
        let cookie = session_cookie(&session);
        assert_eq!(page!(app, "/maybe", &cookie).body, "some");
        let id = page!(app, "/maybe-id", &cookie);
        assert_eq!((id.status, id.body.as_str()), (StatusCode::OK, "none"));
        assert!(id.header("set-cookie").is_none());
        assert_eq!(f.store.pending_logins(), before);
    });
}

#[test]
fn api_routes_answer_json_and_never_redirect() {
    run(async {
        let f = fixture_with(|b| b.api_paths(["/api"])).await;
        let app = app!(f.ol);
        let expected = Denial::unauthenticated(&Requirement::MEDIUM).to_json();
        for path in ["/declared", "/api/x", "/api/extracted", "/api/x?y=1"] {
            let r = page!(app, path);
            assert_eq!(r.status, 401, "{path}: {r:?}");
            assert_eq!(r.json(), expected, "{path}");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert!(r.header("location").is_none() && r.header("set-cookie").is_none(), "{path}");
        }
        assert_eq!(f.store.pending_logins(), 0);
        assert_eq!(page!(app, "/apis").status, 302, "`/apis` is not under `/api`");

        let session = sign_in!(f, app, "/apis");
        let strict = test::init_service(App::new().wrap(OneLoginMiddleware::new(f.ol.clone())).service(
            web::resource("/declared-p2").wrap(require(Requirement::IDENTITY_P2).api()).to(|| async { "p2" }),
        ))
        .await;
        let r = page!(strict, "/declared-p2", &session_cookie(&session));
        assert_eq!(r.status, 403);
        assert_eq!(r.json(), Denial::insufficient_level(&Requirement::IDENTITY_P2).to_json());
        assert_eq!(page!(app, "/declared", &session_cookie(&session)).body, "declared");
    });
}

#[test]
fn without_the_middleware_every_guard_answers_the_same_500() {
    run(async {
        let f = fixture().await;
        let bare = test::init_service(App::new().configure(pages)).await;
        let mut bodies = Vec::new();
        for path in ["/guarded", "/extracted", "/id-extracted", "/session", "/declared"] {
            let r = page!(bare, path);
            assert_eq!(r.status, 500, "{path}: {r:?}");
            assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
            assert!(r.body.contains("OneLoginMiddleware::new"), "the message says how to install it: {}", r.body);
            bodies.push(r.body);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]), "one message: {bodies:?}");

        // One Login's routes carry their own middleware: without the app-wide one they work.
        let routes_only = test::init_service(App::new().configure(configure(f.ol.clone())).configure(pages)).await;
        let r = page!(routes_only, "/auth/login?return_to=%2Fguarded");
        assert_eq!(r.status, 302, "{r:?}");
        let started = through_the_mock(&f, &r).await;
        let (done, session) = finish!(routes_only, started, None);
        assert_eq!(done.location(), "/guarded");
        assert_eq!(page!(routes_only, "/guarded", &session_cookie(&session)).body, bodies[0]);

        // Under the app-wide middleware the routes' own passes the request on: one load.
        let app = app!(f.ol);
        let cookie = session_cookie(&session);
        let before = f.store.session_loads();
        let r = page!(app, "/auth/login?return_to=%2Fguarded", &cookie);
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/guarded"), "signed in already");
        assert_eq!(f.store.session_loads() - before, 1, "the session was loaded once");
    });
}

#[test]
fn a_rejection_from_a_denial_is_the_guards_401() {
    run(async {
        let f = fixture().await;
        let app = app!(f.ol);
        let own = page!(app, "/own-401");
        let guard = page!(app, "/declared");
        assert_eq!(own.status, 401);
        assert_eq!((own.status, &own.body), (guard.status, &guard.body));
        for name in ["content-type", "cache-control"] {
            assert_eq!(own.header(name), guard.header(name), "{name}");
        }
        let names = |r: &Resp| r.headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        let (mut a, mut b) = (names(&own), names(&guard));
        a.sort();
        b.sort();
        assert_eq!(a, b);
        // Rendered directly, without any middleware.
        let direct = Rejection::from(Denial::unauthenticated(&Requirement::MEDIUM)).error_response();
        assert_eq!(direct.status(), 401);
        let body = actix_web::body::to_bytes(direct.into_body()).await.unwrap();
        assert_eq!(body, guard.body.as_bytes());
    });
}

/// Known gap (as in the tower adapter): `require(..).api()` marks only its own decision; an
/// extractor behind it decides again from the headers, so a `VerifiedIdentity` on a resource
/// declared an API redirects a `Cl.Cm` session to One Login instead of answering 403 JSON.
#[test]
fn an_extractor_behind_a_declared_api_answers_json() {
    run(async {
        let f = fixture().await;
        let app = test::init_service(
            App::new()
                .wrap(OneLoginMiddleware::new(f.ol.clone()))
                .configure(configure(f.ol.clone()))
                .service(web::resource("/declared-id").wrap(require(Requirement::MEDIUM).api()).to(identity))
                .configure(pages),
        )
        .await;
        let session = sign_in!(f, app, "/guarded");
        let r = page!(app, "/declared-id", &session_cookie(&session));
        assert_eq!(r.status, 403, "{r:?}");
        assert!(r.header("location").is_none());
    });
}

/// A middleware inside `OneLoginMiddleware` that rebuilds error responses (a branded 500
/// page) does not turn an extractor's sign-in into an error: the placeholder is a redirect,
/// which the middleware then replaces with the start at One Login.
#[test]
fn an_error_page_middleware_inside_does_not_swallow_a_sign_in() {
    use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
    run(async {
        let f = fixture().await;
        let branded = |res: ServiceResponse| {
            let (req, _) = res.into_parts();
            let page = actix_web::HttpResponse::InternalServerError().body("<h1>Sorry</h1>");
            Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, page).map_into_right_body()))
        };
        let app = test::init_service(
            App::new()
                .wrap(ErrorHandlers::new().handler(StatusCode::INTERNAL_SERVER_ERROR, branded))
                .wrap(OneLoginMiddleware::new(f.ol.clone()))
                .configure(configure(f.ol.clone()))
                .configure(pages),
        )
        .await;
        let r = page!(app, "/extracted");
        assert_eq!(r.status, 302, "{r:?}");
        assert!(r.location().starts_with(&format!("{}authorize?", f.mock.issuer())), "{r:?}");
    });
}

// After the macros above, which they use.
mod faults;
mod headers;
mod matrix;

/// Another site's cookie with bytes that are not ASCII (or not even UTF-8), in the same header
/// as ours or in a header of its own, hides nothing: the session is still read, on a guarded
/// resource (the hot path) as through an extractor. Several `Cookie` headers read as one.
#[test]
fn other_sites_cookies_with_any_bytes_hide_no_session() {
    run(async {
        let f = fixture().await;
        let app = app!(f.ol);
        let ours = session_cookie(&sign_in!(f, app, "/guarded"));
        let sibling_utf8 = "theme=caf\u{e9}".as_bytes().to_vec();
        let latin1 = b"theme=caf\xe9".to_vec();
        let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
            ("UTF-8 in our header", vec![[sibling_utf8.clone(), format!("; {ours}").into_bytes()].concat()]),
            ("UTF-8 in a header of its own", vec![sibling_utf8, ours.clone().into_bytes()]),
            ("not UTF-8 in a header of its own", vec![latin1.clone(), ours.clone().into_bytes()]),
            ("not UTF-8 in our header", vec![[latin1, format!("; {ours}").into_bytes()].concat()]),
            ("ours first, then others", vec![ours.clone().into_bytes(), b"a=1; b=2".to_vec()]),
        ];
        for (what, headers) in cases {
            for path in ["/guarded", "/extracted"] {
                let mut request = TestRequest::get().uri(path).insert_header(("accept", HTML)).to_request();
                for h in &headers {
                    request.headers_mut().append(
                        actix_web::http::header::COOKIE,
                        actix_web::http::header::HeaderValue::from_bytes(h).unwrap(),
                    );
                }
                let r = call(&app, request).await;
                assert_eq!(r.status, 200, "{what}, {path}: {r:?}");
            }
        }
    });
}

//! Security headers through the tower adapter, on https (so with `__Host-` cookies): every
//! cookie's flags, `Cache-Control: no-store` on the library's routes and on guarded pages,
//! CSRF refusals on the state-changing routes, and return paths kept local.

use axum::routing::post;

use super::*;

const SECURE_REDIRECT: &str = "https://service.example/auth/callback";
const SESSION: &str = "__Host-one-login-session";
const FLOW: &str = "__Host-one-login-flow";

async fn secure_app() -> App {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(SECURE_REDIRECT);
    mock.register_post_logout_redirect_uri("https://service.example/signed-out");
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(SECURE_REDIRECT)
        .post_logout_redirect_uri("https://service.example/signed-out")
        .user_agent("govuk-one-login-tower-tests/1.0 (https://service.example)")
        .http_timeout(Duration::from_secs(2))
        .identity_claims(IdentityClaim::ALL)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let store = CountingStore::default();
    let ol = OneLogin::builder(config).store(store.clone()).build().unwrap();
    App { mock, ol, store }
}

/// `pages()` and routes that write session data, set their own caching, or are public.
fn secure_router(app: &App) -> Router {
    let extra = Router::new()
        .route(
            "/data",
            post(|s: OneLoginSession| async move {
                match s.insert("note", "kept").await {
                    Ok(()) => StatusCode::NO_CONTENT.into_response(),
                    Err(e) => Rejection::from(s.handle().error_response(&e)).into_response(),
                }
            })
            .get(|s: OneLoginSession| async move { format!("{:?}", s.get::<String>("note").await.ok().flatten()) }),
        )
        .route(
            "/everywhere",
            post(|s: OneLoginSession| async move {
                match s.sign_out_everywhere().await {
                    Ok(ended) => ended.to_string().into_response(),
                    Err(e) => Rejection::from(s.handle().error_response(&e)).into_response(),
                }
            }),
        )
        .route(
            "/own-cache",
            get(|| async { ([("cache-control", "private, max-age=60")], "mine") })
                .route_layer(require(Requirement::MEDIUM)),
        )
        .route("/public", get(|| async { "public" }));
    pages().merge(extra).with_one_login(app.ol.clone())
}

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect()
}

fn cookie_value(r: &Resp, name: &str) -> Option<String> {
    r.cookie(name)
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

/// Signs in through `start` (a guarded page or the sign-in route); every response on the way,
/// and the session cookie's value.
async fn secure_sign_in(router: &Router, start: &str, session: Option<&str>) -> (Vec<Resp>, String) {
    let cookie = session.map(|s| format!("{SESSION}={s}"));
    let redirect = page(router, start, cookie.as_deref()).await;
    let flow = cookie_value(&redirect, FLOW).expect("a flow cookie");
    let callback = via_mock(&redirect).await;
    let cookies = match session {
        Some(s) => format!("{FLOW}={flow}; {SESSION}={s}"),
        None => format!("{FLOW}={flow}"),
    };
    let done = page(router, &callback, Some(&cookies)).await;
    assert_eq!(done.status, 303, "{done:?}");
    let value = cookie_value(&done, SESSION).expect("a session cookie");
    (vec![redirect, done], value)
}

fn form_post(path: &str, body: String, cookie: Option<&str>, fetch_site: Option<&str>) -> Request<Body> {
    let mut r = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    if let Some(s) = fetch_site {
        r = r.header("sec-fetch-site", s);
    }
    r.body(Body::from(body)).unwrap()
}

async fn csrf_token(app: &App, session: &str) -> String {
    app.ol.session(session).await.unwrap().expect("a live session").1.csrf_token().to_owned()
}

#[tokio::test]
async fn every_cookie_we_set_is_host_prefixed_secure_http_only_lax_and_host_only() {
    let app = secure_app().await;
    let router = secure_router(&app);
    let mut seen = Vec::new();
    let (responses, session) = secure_sign_in(&router, "/guarded", None).await;
    seen.extend(responses);
    // A step-up from a session, and a sign-in from the sign-in route.
    let (responses, stepped) = secure_sign_in(&router, "/id-guarded", Some(&session)).await;
    seen.extend(responses);
    let (responses, _) = secure_sign_in(&router, "/auth/login?return_to=%2Fguarded", None).await;
    seen.extend(responses);
    // Sign-out clears the cookie.
    let token = csrf_token(&app, &stepped).await;
    let cookie = format!("{SESSION}={stepped}");
    seen.push(call(&router, form_post("/auth/logout", format!("csrf_token={token}"), Some(&cookie), None)).await);
    // One Login's login_required clears it too.
    let (_, session) = secure_sign_in(&router, "/guarded", None).await;
    app.mock.set_fault(govuk_one_login_mock::Fault::LoginRequired);
    let cookie = format!("{SESSION}={session}");
    let redirect = page(&router, "/id-guarded", Some(&cookie)).await;
    let callback = via_mock(&redirect).await;
    let flow = cookie_value(&redirect, FLOW).unwrap();
    let refused = page(&router, &callback, Some(&format!("{FLOW}={flow}; {cookie}"))).await;
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
}

#[tokio::test]
async fn library_routes_and_guarded_pages_answer_no_store() {
    let app = secure_app().await;
    let router = secure_router(&app);
    let mut library = Vec::new();
    let (responses, session) = secure_sign_in(&router, "/auth/login?return_to=%2Fguarded", None).await;
    library.extend(responses);
    let cookie = format!("{SESSION}={session}");
    library.push(page(&router, "/auth/login?return_to=%2Fguarded", Some(&cookie)).await); // 303, signed in
    library.push(page(&router, "/auth/callback?code=x&state=forged", None).await); // 400 page
    library.push(call(&router, request("/auth/callback?code=x&state=forged", JSON, None)).await); // 400 JSON
    library.push(call(&router, form_post("/auth/logout", "csrf_token=wrong".into(), Some(&cookie), None)).await);
    let bad = "logout_token=not-a-token".to_owned();
    library.push(call(&router, form_post("/auth/backchannel-logout", bad, None, None)).await);
    let sub = app.ol.session(&session).await.unwrap().unwrap().1.subject().as_str().to_owned();

    let mut guarded = Vec::new();
    for path in ["/guarded", "/extracted", "/session", "/maybe", "/declared"] {
        let r = page(&router, path, Some(&cookie)).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        guarded.push((path, r));
    }
    let own_cache = page(&router, "/own-cache", Some(&cookie)).await;
    let token = csrf_token(&app, &session).await;
    let signed_out = call(&router, form_post("/auth/logout", format!("csrf_token={token}"), Some(&cookie), None)).await;
    assert_eq!(signed_out.status, 303);
    library.push(signed_out);
    // Last, as it ends every session of the user.
    let good = format!("logout_token={}", app.mock.logout_token(&sub));
    let r = call(&router, form_post("/auth/backchannel-logout", good, None, None)).await;
    assert_eq!(r.status, 200, "{r:?}");
    library.push(r);

    for r in &library {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
    }
    for (path, r) in &guarded {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}: a page with the user's data");
    }
    // A handler's own choice is kept; a public page without a session is left alone.
    let own = own_cache;
    assert_eq!((own.status, own.header("cache-control")), (StatusCode::OK, Some("private, max-age=60")));
    assert_eq!(page(&router, "/public", None).await.header("cache-control"), None);

    // The error page when One Login cannot be reached.
    let fresh = secure_app().await;
    fresh.mock.set_down("*", true);
    let r = page(&secure_router(&fresh), "/guarded", None).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn state_changing_routes_refuse_forged_and_cross_site_requests() {
    let app = secure_app().await;
    let router = secure_router(&app);
    let (_, session) = secure_sign_in(&router, "/guarded", None).await;
    let cookie = format!("{SESSION}={session}");

    // Sign-out: a missing or wrong token is refused and the session stays.
    for body in ["", "csrf_token=", "csrf_token=forged", "other=1"] {
        let r = call(&router, form_post("/auth/logout", body.into(), Some(&cookie), Some("same-origin"))).await;
        assert_eq!(r.status, 403, "{body:?}: {r:?}");
        assert!(set_cookies(&r).is_empty(), "the session cookie is not cleared");
    }
    // Without a session (what a cross-site post carries under SameSite=Lax), a post the browser
    // marks cross-site does not reach One Login's sign-out either.
    let r = call(&router, form_post("/auth/logout", String::new(), None, Some("cross-site"))).await;
    assert_eq!(r.status, 403);
    assert!(app.mock.end_sessions().is_empty(), "One Login's sign-out was not called");
    assert_eq!(page(&router, "/guarded", Some(&cookie)).await.body, "guarded", "still signed in");

    // Back-channel logout is authenticated by its token: a missing, bad, or forged one is refused.
    let sub = app.ol.session(&session).await.unwrap().unwrap().1.subject().as_str().to_owned();
    let forged = app.mock.logout_token_with(&sub, |h, _| h.kid = Some("forged".into()));
    for body in [String::new(), "logout_token=x.y.z".into(), format!("logout_token={forged}")] {
        let r = call(&router, form_post("/auth/backchannel-logout", body.clone(), None, None)).await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
    }
    assert_eq!(page(&router, "/guarded", Some(&cookie)).await.body, "guarded", "still signed in");

    // Session data writes and sign-out everywhere: a post without the session cookie (what a
    // cross-site post carries under SameSite=Lax) is told to sign in; one the browser marks as
    // from another site is refused even with the cookie; nothing is written or ended.
    for path in ["/data", "/everywhere"] {
        let r = call(&router, form_post(path, String::new(), None, None)).await;
        assert_eq!(r.status, 401, "{path}: {r:?}");
        for site in ["cross-site", "same-site"] {
            let r = call(&router, form_post(path, String::new(), Some(&cookie), Some(site))).await;
            assert_eq!(r.status, 403, "{path} {site}: {r:?}");
            assert_eq!(r.json()["error"], "service_error", "{path}");
        }
    }
    assert_eq!(page(&router, "/data", Some(&cookie)).await.body, "None", "nothing was written");
    assert_eq!(page(&router, "/guarded", Some(&cookie)).await.body, "guarded", "still signed in");
    let r = call(&router, form_post("/data", String::new(), Some(&cookie), Some("same-origin"))).await;
    assert_eq!(r.status, 204, "{r:?}");
    assert_eq!(page(&router, "/data", Some(&cookie)).await.body, "Some(\"kept\")");
    let r = call(&router, form_post("/everywhere", String::new(), Some(&cookie), None)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "1"), "{r:?}");
    assert_eq!(page(&router, "/guarded", Some(&cookie)).await.status, 302, "signed out");
}

/// Every trick for leaving the site, as `return_to`.
pub(crate) const TRICKS: [&str; 16] = [
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

#[tokio::test]
async fn return_paths_stay_local_at_the_sign_in_route_and_the_callback() {
    let app = secure_app().await;
    let router = secure_router(&app);
    let (_, session) = secure_sign_in(&router, "/guarded", None).await;
    let cookie = format!("{SESSION}={session}");
    for trick in TRICKS {
        let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", trick).finish();
        let login = format!("/auth/login?{q}");
        // Signed in: straight back, to `/`.
        let r = page(&router, &login, Some(&cookie)).await;
        assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/"), "{trick:?}");
        // Signed out: through One Login, and the callback lands on `/`.
        let (responses, _) = secure_sign_in(&router, &login, None).await;
        assert_eq!(responses[1].location(), "/", "{trick:?}");
    }
    // A local path is kept, through both.
    let (responses, _) = secure_sign_in(&router, "/auth/login?return_to=%2Fapply%3Fstep%3D2", None).await;
    assert_eq!(responses[1].location(), "/apply?step=2");
}

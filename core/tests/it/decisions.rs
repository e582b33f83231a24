//! The guard's decisions (`OneLogin::decide`), what makes a request an API call, the denial
//! bodies, the pages hook and the sign-in route's bounds, through the framework-free web API.

use std::time::Duration;

use govuk_one_login::store::MemoryStore;
use govuk_one_login::web::{
    self, Decision, Denial, DenialCode, IdentityNotProvenPage, Pages, ProblemKind, ProblemPage, RequestInfo,
    SessionContext, WebResponse,
};
use govuk_one_login_mock::Fault;

use crate::*;

/// Pages that show the facts they were given, so a test can read them back.
#[derive(Debug)]
struct FactPages;

impl Pages for FactPages {
    fn problem(&self, page: &ProblemPage<'_>) -> String {
        format!(
            "custom-problem kind={:?} status={} locale={} retry={} return_to={}",
            page.kind(),
            page.status().as_u16(),
            page.locale(),
            page.retry().unwrap_or("-"),
            page.return_to().map_or("-", |r| r.as_str()),
        )
    }
    fn identity_not_proven(&self, page: &IdentityNotProvenPage<'_>) -> String {
        format!(
            "custom-identity locale={} retry={} return_to={} codes={}",
            page.locale(),
            page.retry(),
            page.return_to(),
            page.return_codes().len(),
        )
    }
}

/// The harness's engine rebuilt with `FactPages` and `api_paths(["/api"])`.
async fn custom() -> Harness {
    let h = harness().await;
    let ol = OneLogin::builder(h.ol.config().clone())
        .store(MemoryStore::new())
        .pages(FactPages)
        .api_paths(["/api"])
        .build()
        .unwrap();
    Harness { mock: h.mock, ol }
}

async fn ctx_for(ol: &OneLogin, id: &SessionId) -> SessionContext {
    let ctx = ol.session_context(Some(&format!("one-login-session={}", id.to_cookie_value()))).await.unwrap();
    assert!(ctx.record().is_some(), "the session loads");
    ctx
}

fn page(path: &str) -> RequestInfo<'_> {
    RequestInfo::new("GET", path).accept(Some("text/html"))
}

fn api(path: &str) -> RequestInfo<'_> {
    RequestInfo::new("GET", path).accept(Some("application/json"))
}

/// The flow cookie's value from a `set-cookie` header.
fn flow_cookie(r: &WebResponse) -> String {
    let set = r.header_value("set-cookie").expect("a set-cookie header");
    let pair = set.split(';').next().unwrap();
    pair.strip_prefix("one-login-flow=").unwrap_or_else(|| panic!("the flow cookie: {set}")).to_owned()
}

/// Follows a guard's redirect to the stand-in and sends its answer to the callback route, with
/// the flow cookie the redirect set (and the given session, if any).
async fn complete_via_callback(
    ol: &OneLogin,
    redirect: &WebResponse,
    session: Option<&SessionId>,
    accept_language: Option<&str>,
) -> WebResponse {
    assert_eq!(redirect.status, 302, "a redirect to One Login");
    let url = url::Url::parse(redirect.header_value("location").unwrap()).unwrap();
    let params = authorize(&url).await;
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [("code", &params.code), ("state", &params.state), ("error", &params.error)] {
        if let Some(v) = v {
            q.append_pair(k, v);
        }
    }
    let path = format!("/auth/callback?{}", q.finish());
    let mut cookies = format!("one-login-flow={}", flow_cookie(redirect));
    if let Some(id) = session {
        cookies.push_str("; one-login-session=");
        cookies.push_str(&id.to_cookie_value());
    }
    let ctx = ol.session_context(Some(&cookies)).await.unwrap();
    ol.callback_route(&page(&path).accept_language(accept_language), &ctx).await
}

/// The session id a callback's `set-cookie` names.
fn session_from(r: &WebResponse) -> SessionId {
    let set = r.header_value("set-cookie").expect("a session cookie");
    let value = set.split(';').next().unwrap().strip_prefix("one-login-session=").expect("the session cookie");
    SessionId::parse(value).expect("a session id")
}

#[tokio::test]
async fn no_session_signs_a_page_in_and_denies_an_api_401() {
    let h = harness().await;
    let none = SessionContext::default();
    match h.ol.decide(&Requirement::MEDIUM, &none, &page("/account?tab=1")) {
        Decision::SignIn(login) => {
            assert_eq!(login.requirement, Requirement::MEDIUM);
            assert_eq!(login.return_to.as_str(), "/account?tab=1", "back to the same path and query");
            assert!(login.reauthenticate.is_none());
        }
        other => panic!("expected SignIn, got {other:?}"),
    }
    match h.ol.decide(&Requirement::IDENTITY_P2, &none, &api("/account")) {
        Decision::Deny(denial) => {
            assert_eq!(denial, Denial::unauthenticated(&Requirement::IDENTITY_P2));
            assert_eq!(denial.status(), 401);
            assert_eq!(denial.code(), DenialCode::Unauthenticated);
            assert_eq!(denial.to_json()["error"], "unauthenticated");
            assert_eq!(denial.to_json()["required"], "Cl.Cm.P2");
        }
        other => panic!("expected Deny, got {other:?}"),
    }
    // A POST is an API call whatever it accepts: a redirect could not replay it.
    let post = RequestInfo::new("POST", "/account").accept(Some("text/html"));
    assert!(matches!(h.ol.decide(&Requirement::MEDIUM, &none, &post), Decision::Deny(_)));
    assert_eq!(h.mock.hits("/authorize"), 0, "deciding starts nothing");
}

#[tokio::test]
async fn a_session_below_the_level_steps_up_a_page_and_denies_an_api_403() {
    let h = harness().await;
    let low = h.login(Requirement::LOW).await.unwrap();
    let ctx = ctx_for(&h.ol, &low.session_id).await;
    match h.ol.decide(&Requirement::MEDIUM, &ctx, &page("/account?x=1")) {
        Decision::StepUp(login) => {
            assert_eq!(login.requirement, Requirement::MEDIUM);
            assert_eq!(login.return_to.as_str(), "/account?x=1");
        }
        other => panic!("expected StepUp, got {other:?}"),
    }
    let medium = h.login(Requirement::MEDIUM).await.unwrap();
    let ctx = ctx_for(&h.ol, &medium.session_id).await;
    assert!(matches!(h.ol.decide(&Requirement::IDENTITY_P2, &ctx, &page("/apply")), Decision::StepUp(_)));
    match h.ol.decide(&Requirement::IDENTITY_P2, &ctx, &api("/apply")) {
        Decision::Deny(denial) => {
            assert_eq!(denial, Denial::insufficient_level(&Requirement::IDENTITY_P2));
            assert_eq!(denial.status(), 403);
            assert_eq!(denial.to_json()["error"], "insufficient_level");
            assert_eq!(denial.to_json()["required"], "Cl.Cm.P2");
        }
        other => panic!("expected Deny, got {other:?}"),
    }
}

#[tokio::test]
async fn a_stale_sign_in_reauthenticates_a_page_and_denies_an_api_403() {
    let h = harness().await;
    h.mock.set_auth_time_offset(-3600);
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let ctx = ctx_for(&h.ol, &out.session_id).await;
    let fresh = Requirement::MEDIUM.with_max_age(Duration::from_secs(60));
    match h.ol.decide(&fresh, &ctx, &page("/settings")) {
        Decision::Reauthenticate(login) => {
            assert_eq!(login.requirement, fresh);
            assert_eq!(login.return_to.as_str(), "/settings");
            assert!(login.reauthenticate.is_some(), "prompt=login with the session's ID token as the hint");
        }
        other => panic!("expected Reauthenticate, got {other:?}"),
    }
    match h.ol.decide(&fresh, &ctx, &api("/settings")) {
        Decision::Deny(denial) => {
            assert_eq!(denial, Denial::reauthentication_required(&fresh));
            assert_eq!(denial.status(), 403);
            assert_eq!(denial.to_json()["error"], "reauthentication_required");
            assert_eq!(denial.to_json()["required"], "Cl.Cm");
        }
        other => panic!("expected Deny, got {other:?}"),
    }
    // With the callback's clock-skew leeway: a sign-in the callback accepts is not bounced.
    let within_leeway = Requirement::MEDIUM.with_max_age(Duration::from_secs(3600 - 10));
    assert!(matches!(h.ol.decide(&within_leeway, &ctx, &page("/settings")), Decision::Allow(_)));
    // Within an hour and a bit it is fresh enough; without max_age, always.
    let hour = Requirement::MEDIUM.with_max_age(Duration::from_secs(3700));
    assert!(matches!(h.ol.decide(&hour, &ctx, &page("/settings")), Decision::Allow(_)));
    assert!(matches!(h.ol.decide(&Requirement::MEDIUM, &ctx, &api("/settings")), Decision::Allow(_)));
}

#[tokio::test]
async fn a_session_that_meets_the_requirement_is_allowed_for_pages_and_apis() {
    let h = harness().await;
    let out = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let ctx = ctx_for(&h.ol, &out.session_id).await;
    for request in [page("/apply"), api("/apply"), RequestInfo::new("POST", "/apply")] {
        for requirement in [Requirement::LOW, Requirement::MEDIUM, Requirement::IDENTITY_P2] {
            match h.ol.decide(&requirement, &ctx, &request) {
                Decision::Allow(record) => assert_eq!(record.subject(), out.session.subject()),
                other => panic!("expected Allow for {requirement} on {request:?}, got {other:?}"),
            }
        }
    }
    let (record, identity) = h.ol.decide_identity(&ctx, &page("/apply")).expect("a verified identity");
    assert_eq!(record.subject(), out.session.subject());
    assert_eq!(identity.level(), govuk_one_login::IdentityLevel::P2);
}

#[tokio::test]
async fn api_paths_and_headers_make_api_calls() {
    let h = custom().await;
    let ol = &h.ol;
    assert!(ol.is_api(&page("/api")));
    assert!(ol.is_api(&page("/api/me")));
    assert!(ol.is_api(&page("/api/me?x=1")));
    assert!(!ol.is_api(&page("/apis")), "a prefix covers a path segment, not a string prefix");
    assert!(!ol.is_api(&page("/account")));
    let browser = RequestInfo::new("GET", "/account").accept(Some("text/html, application/json"));
    assert!(!ol.is_api(&browser), "a browser that lists HTML first asks for a page");
    assert!(ol.is_api(&RequestInfo::new("GET", "/account").accept(Some("application/json, text/html"))));
    assert!(ol.is_api(&RequestInfo::new("GET", "/account").api(true)));
    assert!(ol.is_api(&RequestInfo::new("PUT", "/account")));
    assert!(ol.is_api(&RequestInfo::new("HEAD", "/api/x")));
    assert!(!ol.is_api(&RequestInfo::new("HEAD", "/account")));

    // The engine without api_paths treats `/api/me` as a page.
    let plain = harness().await;
    assert!(!plain.ol.is_api(&page("/api/me")));

    // And the decision follows: a page under /api is denied, not redirected.
    let none = SessionContext::default();
    assert!(matches!(ol.decide(&Requirement::MEDIUM, &none, &page("/api/me")), Decision::Deny(_)));
    assert!(matches!(ol.decide(&Requirement::MEDIUM, &none, &page("/apis")), Decision::SignIn(_)));
}

#[tokio::test]
async fn a_handler_built_denial_is_the_guards_byte_for_byte() {
    let h = harness().await;
    let none = SessionContext::default();
    let guard = h.ol.guard(&Requirement::MEDIUM, &none, &api("/x")).await.unwrap_err();
    let own = Denial::unauthenticated(&Requirement::MEDIUM).to_response();
    assert_eq!(guard, own, "status and headers");
    assert_eq!(guard.body.as_bytes(), own.body.as_bytes());
    assert_eq!(guard.status, 401);
    assert_eq!(guard.header_value("content-type"), Some("application/json"));
    assert_eq!(guard.header_value("cache-control"), Some("no-store"));
    let body: serde_json::Value = serde_json::from_str(&guard.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "error": "unauthenticated", "message": "Sign in to continue.", "required": "Cl.Cm" })
    );
    // deny_response gives the same for every level denial of an API call.
    let medium = h.login(Requirement::MEDIUM).await.unwrap();
    let ctx = ctx_for(&h.ol, &medium.session_id).await;
    let guard = h.ol.guard(&Requirement::IDENTITY_P2, &ctx, &api("/x")).await.unwrap_err();
    let own = Denial::insufficient_level(&Requirement::IDENTITY_P2);
    assert_eq!(guard, own.to_response());
    assert_eq!(guard, h.ol.deny_response(&own, &api("/x")));
    // A problem has no `required`.
    let problem = Denial::problem(ProblemKind::ServiceUnavailable, http::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(problem.to_json(), serde_json::json!({ "error": "service_unavailable", "message": problem.message() }));
}

#[tokio::test]
async fn a_page_guard_redirects_to_one_login_and_keeps_the_flow_cookie() {
    let h = harness().await;
    let none = SessionContext::default();
    let r = h.ol.guard(&Requirement::MEDIUM, &none, &page("/account?tab=2")).await.unwrap_err();
    assert_eq!(r.status, 302);
    assert!(r.header_value("location").unwrap().starts_with(&format!("{}authorize?", h.mock.issuer())));
    let flow = flow_cookie(&r);
    // A second guarded page in the same browser shares the flow cookie (parallel tabs).
    let ctx = h.ol.session_context(Some(&format!("one-login-flow={flow}"))).await.unwrap();
    let again = h.ol.guard(&Requirement::MEDIUM, &ctx, &page("/other")).await.unwrap_err();
    assert_eq!(flow_cookie(&again), flow);
    let done = complete_via_callback(&h.ol, &r, None, None).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.header_value("location"), Some("/account?tab=2"));
}

#[tokio::test]
async fn the_callback_shows_custom_pages_for_a_refused_or_cancelled_sign_in() {
    let h = custom().await;
    // An unknown state: the link expired.
    let ctx = h.ol.session_context(Some("one-login-flow=abcdefghijklmnopqrstuv")).await.unwrap();
    let r = h.ol.callback_route(&page("/auth/callback?code=c&state=nobody-made-this"), &ctx).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header_value("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        r.body.starts_with("custom-problem kind=LinkExpired status=400 locale=en retry=/auth/login?"),
        "{}",
        r.body
    );

    // One Login's access_denied: the user cancelled.
    h.mock.set_fault(Fault::AccessDenied);
    let start = h.ol.guard(&Requirement::MEDIUM, &SessionContext::default(), &page("/account")).await.unwrap_err();
    let r = complete_via_callback(&h.ol, &start, None, Some("cy")).await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.starts_with("custom-problem kind=SignInCancelled status=403 locale=cy retry=/auth/login?"),
        "{}",
        r.body
    );
    assert!(r.header_value("set-cookie").is_none(), "no session is set");
}

#[tokio::test]
async fn an_unproven_identity_gets_the_custom_page_from_the_callback_and_deny_response() {
    let h = custom().await;
    h.mock.set_fault(Fault::CoreIdentityMissing);
    let none = SessionContext::default();
    let start = h.ol.guard_identity(&none, &page("/apply?step=2")).await.unwrap_err();
    let r = complete_via_callback(&h.ol, &start, None, Some("cy-GB, en;q=0.5")).await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.body,
        "custom-identity locale=cy retry=/auth/login?level=Cl.Cm.P2&return_to=%2Fapply%3Fstep%3D2 \
         return_to=/apply?step=2 codes=1"
    );
    // The user is signed in, without an identity.
    let id = session_from(&r);
    let ctx = ctx_for(&h.ol, &id).await;
    assert!(ctx.record().unwrap().identity().is_none());
    // A handler's own identity_not_proven denial shows the same page to pages, JSON to APIs.
    let denial = Denial::identity_not_proven(&Requirement::IDENTITY_P2);
    let own = h.ol.deny_response(&denial, &page("/apply?step=2").accept_language(Some("cy")));
    assert_eq!(own.status, 403);
    assert_eq!(own.body, r.body.replace(" codes=1", " codes=0"));
    assert_eq!(h.ol.deny_response(&denial, &api("/apply")), denial.to_response());
}

/// A session whose identity One Login could not confirm gets the page again (not a silent
/// loop back to One Login), and the page's "try again" link starts verification again.
#[tokio::test]
async fn the_identity_guard_shows_the_page_to_a_session_whose_identity_was_not_proven() {
    let h = custom().await;
    h.mock.set_fault(Fault::CoreIdentityMissing);
    let start = h.ol.guard_identity(&SessionContext::default(), &page("/apply")).await.unwrap_err();
    let r = complete_via_callback(&h.ol, &start, None, None).await;
    assert_eq!(r.status, 403);
    let ctx = ctx_for(&h.ol, &session_from(&r)).await;
    match h.ol.decide_identity(&ctx, &page("/apply")) {
        Err(Decision::Deny(denial)) => assert_eq!(denial.code(), DenialCode::IdentityNotProven),
        other => panic!("expected identity_not_proven, got {:?}", other.map(|_| ())),
    }
    let again = h.ol.guard_identity(&ctx, &page("/apply")).await.unwrap_err();
    assert!(again.body.starts_with("custom-identity "), "{}", again.body);
    // The retry link goes through the sign-in route, which tries again.
    let retry = h.ol.login_link(&Requirement::IDENTITY_P2, &ReturnPath::parse("/apply").unwrap());
    let r = h.ol.login_route(&page(&retry), &ctx).await;
    assert_eq!(r.status, 302, "{}", r.body);
    assert!(r.header_value("location").unwrap().starts_with(&format!("{}authorize?", h.mock.issuer())));
}

/// A sign-out form posted without a session (a cross-site post carries no SameSite=Lax
/// cookie) does not clear the browser's session cookie.
#[tokio::test]
async fn a_sign_out_without_a_session_leaves_the_cookie_alone() {
    let h = custom().await;
    let post = RequestInfo::new("POST", "/auth/logout").content_type(Some("application/x-www-form-urlencoded"));
    let r = h.ol.logout_route(&post, &SessionContext::default(), b"").await;
    assert_eq!(r.status, 303);
    assert!(r.header_value("set-cookie").is_none(), "no cookie change without a session");
    // A post the browser marks cross-site, without a session, ends nothing at One Login either.
    for site in ["cross-site", "same-site"] {
        let r = h.ol.logout_route(&post.fetch_site(Some(site)), &SessionContext::default(), b"").await;
        assert_eq!(r.status, 403, "{site}");
        assert!(r.header_value("location").is_none());
    }
    let r = h.ol.logout_route(&post.fetch_site(Some("same-origin")), &SessionContext::default(), b"").await;
    assert_eq!(r.status, 303);
    // With a session and its token, the cookie is cleared.
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let ctx = ctx_for(&h.ol, &out.session_id).await;
    let body = format!("csrf_token={}", out.session.csrf_token());
    let r = h.ol.logout_route(&post, &ctx, body.as_bytes()).await;
    assert!(r.header_value("set-cookie").unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn a_wrong_csrf_token_gets_the_custom_page_and_the_session_stays() {
    let h = custom().await;
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let ctx = ctx_for(&h.ol, &out.session_id).await;
    let post = RequestInfo::new("POST", "/auth/logout")
        .content_type(Some("application/x-www-form-urlencoded"))
        .accept_language(Some("cy"));
    for body in [&b"csrf_token=wrong"[..], b"", b"other=1"] {
        let r = h.ol.logout_route(&post, &ctx, body).await;
        assert_eq!(r.status, 403);
        assert_eq!(r.body, "custom-problem kind=SignOutFormExpired status=403 locale=cy retry=- return_to=-");
        assert!(r.header_value("set-cookie").is_none(), "the session cookie is kept");
        assert!(h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().is_some(), "the session stays");
    }
    // The right token signs out.
    let body = format!("csrf_token={}", out.session.csrf_token());
    let r = h.ol.logout_route(&post, &ctx, body.as_bytes()).await;
    assert_eq!(r.status, 303);
    assert!(h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().is_none());
}

#[tokio::test]
async fn start_login_failures_use_the_pages_and_default_pages_escape() {
    let h = harness().await;
    h.mock.set_down("/.well-known/openid-configuration", true);
    // A path with characters that mean something in HTML is not kept as a return path.
    let tricky = "/a?q=\"<b>'&x=1";
    let r = h.ol.guard(&Requirement::MEDIUM, &SessionContext::default(), &page(tricky)).await.unwrap_err();
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.header_value("set-cookie").is_none());
    assert!(r.body.contains("<p><a href=\"/\">Try again</a></p>"), "{}", r.body);
    assert!(!r.body.contains("<b>") && !r.body.contains("\"<"), "{}", r.body);
    assert!(r.body.contains("<html lang=\"en\">"));
    // An ampersand is kept, and escaped in the attribute.
    let amp = "/a?q=1&x=2";
    let r = h.ol.guard(&Requirement::MEDIUM, &SessionContext::default(), &page(amp)).await.unwrap_err();
    assert!(r.body.contains("href=\"/a?q=1&amp;x=2\""), "{}", r.body);

    // The same failure on a custom engine reaches its pages, with the retry link and return path.
    // One Login answered 503: it is unavailable (not unreachable).
    let ol = OneLogin::builder(h.ol.config().clone()).pages(FactPages).build().unwrap();
    let r = ol.guard(&Requirement::MEDIUM, &SessionContext::default(), &page(amp)).await.unwrap_err();
    assert_eq!(
        r.body,
        format!("custom-problem kind=OneLoginUnavailable status=503 locale=en retry={amp} return_to={amp}")
    );

    // The default identity-not-proven page escapes its retry link.
    // (On a new engine: this one remembers the discovery failure for a few seconds.)
    h.mock.set_down("/.well-known/openid-configuration", false);
    h.mock.set_fault(Fault::CoreIdentityMissing);
    let ol = OneLogin::new(h.ol.config().clone()).unwrap();
    let start = ol.guard_identity(&SessionContext::default(), &page("/apply")).await.unwrap_err();
    let r = complete_via_callback(&ol, &start, None, None).await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("href=\"/auth/login?level=Cl.Cm.P2&amp;return_to=%2Fapply\""), "{}", r.body);
    assert!(r.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn the_sign_in_route_caps_max_age() {
    let h = harness().await;
    // The largest a JSON integer (and the OpenAPI document) allows; one more is refused (see
    // the test below).
    for max_age in ["9223372036854775807", "31622401"] {
        let path = format!("/auth/login?level=Cl.Cm&max_age={max_age}&return_to=%2Fdeep");
        let r = h.ol.login_route(&page(&path), &SessionContext::default()).await;
        assert_eq!(r.status, 302, "the guard's redirect is sent");
        assert!(r.header_value("location").unwrap().starts_with(&format!("{}authorize?", h.mock.issuer())));
        // The capped max_age survives the callback's freshness check (no overflow).
        let done = complete_via_callback(&h.ol, &r, None, None).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.header_value("location"), Some("/deep"));
        // Signed in, the route lets the fresh session through.
        let ctx = ctx_for(&h.ol, &session_from(&done)).await;
        let r = h.ol.login_route(&page(&path), &ctx).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.header_value("location"), Some("/deep"));
    }
}

/// The `prompt` and `id_token_hint` the redirect's request object carries.
async fn prompt_of(h: &Harness, redirect: &WebResponse) -> (Option<String>, bool) {
    let url = url::Url::parse(redirect.header_value("location").unwrap()).unwrap();
    let _ = authorize(&url).await;
    let seen = h.mock.last_authorize().unwrap();
    assert!(seen.request_object);
    (seen.params.get("prompt").and_then(|p| p.as_str()).map(str::to_owned), seen.params.contains_key("id_token_hint"))
}

#[tokio::test]
async fn a_step_up_of_a_stale_session_makes_one_login_ask_for_credentials_again() {
    // The defect: a session below the level whose One Login sign-in is older than max_age was
    // sent to step up without prompt=login, came back with the old auth_time, and was refused
    // at every retry.
    let h = harness().await;
    h.mock.set_auth_time_offset(-3600);
    let low = h.login(Requirement::LOW).await.unwrap();
    let ctx = ctx_for(&h.ol, &low.session_id).await;
    let fresh = Requirement::MEDIUM.with_max_age(Duration::from_secs(300));
    let Decision::StepUp(login) = h.ol.decide(&fresh, &ctx, &page("/settings")) else { panic!("a step-up") };
    assert!(login.reauthenticate.is_some(), "the stale session's ID token is the hint");
    let redirect = h.ol.login_redirect(login, &page("/settings")).await;
    assert_eq!(prompt_of(&h, &redirect).await, (Some("login".into()), true));
    let done = complete_via_callback(&h.ol, &redirect, Some(&low.session_id), None).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let ctx = ctx_for(&h.ol, &session_from(&done)).await;
    assert!(matches!(h.ol.decide(&fresh, &ctx, &page("/settings")), Decision::Allow(_)));
    // A fresh session below the level steps up without forcing credentials.
    let Decision::StepUp(login) =
        h.ol.decide(&Requirement::IDENTITY_P2.with_max_age(Duration::from_secs(300)), &ctx, &page("/apply"))
    else {
        panic!("a step-up")
    };
    assert!(login.reauthenticate.is_none());
}

#[tokio::test]
async fn a_sign_in_too_old_for_max_age_is_retried_once_with_prompt_login() {
    let h = harness().await;
    // One Login's own session is an hour old, and it ignores max_age (not enabled for the client).
    h.mock.set_auth_time_offset(-3600);
    let fresh = Requirement::MEDIUM.with_max_age(Duration::from_secs(300));
    let start = h.ol.guard(&fresh, &SessionContext::default(), &page("/settings")).await.unwrap_err();
    assert_eq!(prompt_of(&h, &start).await, (None, false), "no session, no hint: max_age only");
    assert_eq!(h.mock.last_authorize().unwrap().params["max_age"], 300);
    assert_eq!(h.mock.reauthentications(), 0, "max_age alone is ignored");
    // The callback finds the sign-in too old and asks once more, with prompt=login.
    let retry = complete_via_callback(&h.ol, &start, None, None).await;
    assert_eq!(retry.status, 302, "{}", retry.body);
    assert!(retry.header_value("set-cookie").unwrap().starts_with("one-login-flow="), "no session was created");
    assert_eq!(prompt_of(&h, &retry).await, (Some("login".into()), true));
    let done = complete_via_callback(&h.ol, &retry, None, None).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.header_value("location"), Some("/settings"));
    assert_eq!(h.mock.reauthentications(), 2, "the retry's redirect, followed twice (once to read it)");
    let ctx = ctx_for(&h.ol, &session_from(&done)).await;
    assert!(matches!(h.ol.decide(&fresh, &ctx, &page("/settings")), Decision::Allow(_)));
}

#[tokio::test]
async fn a_retry_that_is_still_too_old_is_refused_not_repeated() {
    let h = harness().await;
    h.mock.set_auth_time_offset(-3600);
    let fresh = Requirement::MEDIUM.with_max_age(Duration::from_secs(300));
    let start = h.ol.guard(&fresh, &SessionContext::default(), &page("/settings")).await.unwrap_err();
    let retry = complete_via_callback(&h.ol, &start, None, None).await;
    assert_eq!(retry.status, 302);
    // One Login signs the user in again (auth_time now), then the clock of its token is old
    // again: the second too-old answer ends the loop.
    let url = url::Url::parse(retry.header_value("location").unwrap()).unwrap();
    let params = authorize(&url).await;
    h.mock.set_auth_time_offset(-3600);
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("code", params.code.as_deref().unwrap()).append_pair("state", params.state.as_deref().unwrap());
    let path = format!("/auth/callback?{}", q.finish());
    let ctx = h.ol.session_context(Some(&format!("one-login-flow={}", flow_cookie(&retry)))).await.unwrap();
    let refused = h.ol.callback_route(&page(&path), &ctx).await;
    assert_eq!(refused.status, 502, "{}", refused.body);
    assert!(refused.header_value("location").is_none(), "no third trip to One Login");
    assert!(refused.header_value("set-cookie").is_none_or(|c| !c.starts_with("one-login-session=")));
}

#[tokio::test]
async fn the_sign_in_route_refuses_max_age_without_request_objects() {
    let h = harness_with(|b| b.request_objects(false)).await;
    let r =
        h.ol.login_route(&page("/auth/login?level=Cl.Cm&max_age=300&return_to=%2Fdeep"), &SessionContext::default())
            .await;
    assert_eq!(r.status, 500, "a configuration error, shown as a service problem");
    assert_eq!(h.mock.hits("/authorize"), 0);
}

#[test]
fn missing_layer_is_a_500_with_its_message() {
    let r = web::missing_layer("install the session layer");
    assert_eq!(r.status, 500);
    assert_eq!(r.body, "install the session layer");
    assert_eq!(r.header_value("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(web::missing_layer("install the session layer"), r, "the same every time");
}

#[tokio::test]
async fn a_sign_in_link_with_a_bad_level_or_max_age_is_refused_not_read_as_another_level() {
    let h = harness().await;
    for query in [
        "level=Cl.Cm.P9",
        "level=",
        "level=Cl.P2",
        "level=Cl.Cm&max_age=-1",
        "level=Cl.Cm&max_age=%2B5",
        "level=Cl.Cm&max_age=abc",
        "level=Cl.Cm&max_age=",
        "level=Cl.Cm&max_age=9223372036854775808",
    ] {
        let path = format!("/auth/login?{query}&return_to=%2Faccount");
        let r = h.ol.login_route(&page(&path), &SessionContext::default()).await;
        assert_eq!(r.status, 400, "{query}");
        assert!(r.header_value("location").is_none() && r.header_value("set-cookie").is_none(), "{query}");
        assert!(r.body.contains("expired"), "{query}: {}", r.body);
    }
    // A link the library makes is never refused, however long the requirement's max_age.
    let link = h.ol.login_link(&Requirement::MEDIUM.with_max_age(std::time::Duration::MAX), &ReturnPath::root());
    assert!(link.contains("max_age=31622400"), "{link}");
    assert_eq!(h.ol.login_route(&page(&link), &SessionContext::default()).await.status, 302);
    // Components in any order, as the parser reads them, and no level at all, still sign in.
    for query in ["level=Cm.Cl", "level=P2.Cm.Cl", "return_to=%2F", "level=Cl&max_age=0"] {
        let path = format!("/auth/login?{query}");
        let r = h.ol.login_route(&page(&path), &SessionContext::default()).await;
        assert_eq!(r.status, 302, "{query}: {}", r.body);
    }
}

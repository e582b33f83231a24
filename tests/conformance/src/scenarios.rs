//! Every scenario, written once. Each takes the adapter under test.

use govuk_one_login_mock::{Fault, PushRequest, TestUser, samples};
use serde_json::Value;

use crate::{Adapter, Browser, Env, Page};

fn csrf_token(page: &Page) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.body.find(marker).unwrap_or_else(|| panic!("no sign-out form on {}", page.url)) + marker.len();
    page.body[start..].split('"').next().unwrap_or_default().to_owned()
}

fn vtr_sent(env: &Env) -> Value {
    env.mock.last_authorize().expect("an authorize request").params["vtr"].clone()
}

async fn json_status(env: &Env, b: &mut Browser, path: &str) -> u16 {
    b.accept = Some("application/json".into());
    let status = b.get(&env.url(path)).await.status;
    b.accept = None;
    status
}

/// Signs in at `Cl.Cm` through `/account`.
pub async fn sign_in_medium(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let first = b.get(&env.url("/account")).await;
    assert_eq!(first.status, 302, "{}: a page request without a session is sent to One Login", a.name());
    assert!(first.location.as_deref().unwrap().starts_with(&format!("{}authorize?", env.mock.issuer())));
    let page = b.follow(first).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.path(), "/account");
    assert!(page.body.contains("test@example.com"));
    assert!(page.body.contains(TestUser::default().sub.as_str()));
    assert!(page.body.contains("Cl.Cm"));
    assert_eq!(vtr_sent(&env), serde_json::json!(["Cl.Cm"]));
}

/// Signs in at `Cl` through the local sign-in route.
pub async fn sign_in_low(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let page = b.visit(&env.url("/auth/login?level=Cl&return_to=/")).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.path(), "/");
    assert!(page.body.contains("You are signed in. Level achieved: <strong>Cl</strong>"), "{}", page.body);
    assert_eq!(vtr_sent(&env), serde_json::json!(["Cl"]));
    assert_eq!(json_status(&env, &mut b, "/account").await, 403, "Cl does not meet Cl.Cm: APIs get 403");
    let page = b.get(&env.url("/account")).await;
    assert_eq!(page.status, 302, "and pages step up");
}

/// Signs in straight at `Cl.Cm.P2` and sees the verified name and birth date.
pub async fn sign_in_identity(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let page = b.visit(&env.url("/identity")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Kenneth Decerqueira"));
    assert!(page.body.contains("1965-07-08"));
    assert_eq!(vtr_sent(&env), serde_json::json!(["Cl.Cm.P2"]));
    // Inside the request object, as a JSON string: as One Login's own tools send it.
    let claims = env.mock.last_authorize().unwrap().params["claims"].clone();
    let claims: Value = serde_json::from_str(claims.as_str().unwrap_or_else(|| panic!("not a string: {claims}")))
        .expect("claims holds JSON");
    assert!(claims["userinfo"].get("https://vocab.account.gov.uk/v1/coreIdentityJWT").is_some(), "{claims}");
}

/// APIs without a session get 401 JSON, not a redirect.
pub async fn api_without_session_gets_401(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    b.accept = Some("application/json".into());
    for path in ["/account", "/identity"] {
        let page = b.get(&env.url(path)).await;
        assert_eq!(page.status, 401, "{}: {path}", a.name());
        assert!(page.content_type.as_deref().unwrap_or("").starts_with("application/json"));
        assert_eq!(page.json()["error"], "unauthenticated");
    }
    b.accept = None;
    let post = b.post_form(&env.url("/account"), &[("x", "1")]).await;
    assert_eq!(post.status, 401, "{}: a non-GET request is an API request", a.name());
    assert_eq!(post.json()["error"], "unauthenticated");
    assert_eq!(env.mock.hits("/authorize"), 0);
    b.visit(&env.url("/account")).await;
    let signed_in = b.post_form(&env.url("/account"), &[("x", "1")]).await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(signed_in.json()["auth_level"], "Cl.Cm");
}

/// A `Cl.Cm` session steps up to P2 and comes back to the page, with a new session id.
pub async fn step_up_to_identity(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    assert_eq!(b.visit(&env.url("/account")).await.status, 200);
    let before = b.session_cookie().expect("session cookie");
    b.accept = Some("application/json".into());
    let api = b.get(&env.url("/identity")).await;
    assert_eq!(api.status, 403, "APIs below the level get 403");
    assert_eq!(api.json()["error"], "insufficient_level");
    b.accept = None;
    let page = b.visit(&env.url("/identity?x=1&y=two")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.path(), "/identity?x=1&y=two", "path and query preserved");
    assert!(page.body.contains("Kenneth Decerqueira"));
    assert_eq!(vtr_sent(&env), serde_json::json!(["Cl.Cm.P2"]));
    let after = b.session_cookie().expect("session cookie");
    assert_ne!(before.1, after.1, "the session id rotates at step-up");
    let mut old = env.browser();
    old.jar.insert(before.0, before.1);
    assert_eq!(json_status(&env, &mut old, "/account").await, 401, "the old session id is dead");
}

/// A session that meets the level reaches the handler without calling One Login.
pub async fn level_met_needs_no_round_trip(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    b.visit(&env.url("/identity")).await;
    let hits = (env.mock.hits("/authorize"), env.mock.hits("/token"));
    for path in ["/account", "/identity", "/"] {
        assert_eq!(b.get(&env.url(path)).await.status, 200, "{path}");
    }
    assert_eq!((env.mock.hits("/authorize"), env.mock.hits("/token")), hits);
}

/// `/account` and `/identity` answer JSON with the same data.
pub async fn json_views(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    b.visit(&env.url("/identity")).await;
    b.accept = Some("application/json".into());
    let account = b.get(&env.url("/account")).await.json();
    assert_eq!(account["sub"], TestUser::default().sub);
    assert_eq!(account["email"], "test@example.com");
    assert_eq!(account["auth_level"], "Cl.Cm");
    assert_eq!(account["identity_level"], "P2");
    let identity = b.get(&env.url("/identity")).await.json();
    assert_eq!(identity["name"], "Kenneth Decerqueira");
    assert_eq!(identity["birth_date"], "1965-07-08");
}

/// Cancelling at One Login (`access_denied`) gets a friendly 403 page.
pub async fn cancel_gets_a_friendly_page(a: &dyn Adapter) {
    let env = Env::start(a).await;
    env.mock.set_fault(Fault::AccessDenied);
    let mut b = env.browser();
    let page = b.visit(&env.url("/account")).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("You did not finish signing in"), "{}", page.body);
    assert!(!page.body.contains("fault switch"), "error_description is never shown");
    assert!(b.session_cookie().is_none());
}

/// One Login errors map to statuses: `temporarily_unavailable` is 503.
pub async fn provider_errors_map_to_statuses(a: &dyn Adapter) {
    let env = Env::start(a).await;
    env.mock.set_fault(Fault::TemporarilyUnavailable);
    let page = env.browser().visit(&env.url("/account")).await;
    assert_eq!(page.status, 503);
    assert!(page.body.contains("temporarily unavailable"));
}

/// Every token fault of the stand-in gives a safe 502 page and no session.
pub async fn every_token_fault_is_refused(a: &dyn Adapter) {
    let env = Env::start(a).await;
    for (fault, path) in [
        (Fault::IdTokenBadSignature, "/account"),
        (Fault::IdTokenWrongIssuer, "/account"),
        (Fault::IdTokenWrongAudience, "/account"),
        (Fault::IdTokenExpired, "/account"),
        (Fault::IdTokenNotYetValid, "/account"),
        (Fault::IdTokenWrongNonce, "/account"),
        (Fault::IdTokenWrongVot, "/account"),
        (Fault::IdTokenMissingVtm, "/account"),
        (Fault::UserinfoWrongSubject, "/account"),
        (Fault::CoreIdentityWrongSubject, "/identity"),
        (Fault::CoreIdentityWrongAudience, "/identity"),
        (Fault::CoreIdentityWrongIssuer, "/identity"),
        (Fault::CoreIdentityBadSignature, "/identity"),
        (Fault::CoreIdentityExpired, "/identity"),
    ] {
        env.mock.clear_faults();
        env.mock.set_fault(fault);
        let mut b = env.browser();
        let page = b.visit(&env.url(path)).await;
        assert_eq!(page.status, 502, "{}: {fault:?}", a.name());
        assert!(!page.body.contains("eyJ"), "no token in the page");
        assert!(b.session_cookie().is_none(), "{fault:?} must not create a session");
    }
}

/// No core identity (with a return code): signed in, but a clear 403, and no identity.
pub async fn identity_not_proven(a: &dyn Adapter) {
    let env = Env::start(a).await;
    env.mock.set_fault(Fault::CoreIdentityMissing);
    let mut b = env.browser();
    let page = b.visit(&env.url("/identity")).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("could not confirm your identity"));
    assert_eq!(json_status(&env, &mut b, "/account").await, 200, "signed in at Cl.Cm");
    assert_eq!(json_status(&env, &mut b, "/identity").await, 403, "identity is never defaulted");
}

/// Sign-out ends the local session, then goes to One Login's end-session endpoint.
pub async fn sign_out(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let account = b.visit(&env.url("/account")).await;
    let token = csrf_token(&account);
    let out = b.post_form(&env.url("/auth/logout"), &[("csrf_token", &token)]).await;
    assert_eq!(out.status, 303);
    let to = url::Url::parse(out.location.as_deref().unwrap()).unwrap();
    assert!(to.as_str().starts_with(&format!("{}logout?", env.mock.issuer())));
    let q: std::collections::HashMap<_, _> = to.query_pairs().into_owned().collect();
    assert_eq!(q["post_logout_redirect_uri"], env.url("/signed-out"));
    assert!(q["id_token_hint"].starts_with("eyJ"));
    assert!(b.session_cookie().is_none(), "the session cookie is cleared");
    let landed = b.follow(out).await;
    assert_eq!(landed.path(), "/signed-out");
    assert!(env.mock.end_sessions()[0].valid_hint);
    assert_eq!(json_status(&env, &mut b, "/account").await, 401);
}

/// Sign-out without the CSRF token is refused and keeps the session.
pub async fn sign_out_needs_csrf(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    b.visit(&env.url("/account")).await;
    for form in [vec![], vec![("csrf_token", "forged")]] {
        let page = b.post_form(&env.url("/auth/logout"), &form).await;
        assert_eq!(page.status, 403);
    }
    assert_eq!(json_status(&env, &mut b, "/account").await, 200);
}

/// Back-channel logout ends a live session; replays and bad tokens get 400.
pub async fn backchannel_logout(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    b.visit(&env.url("/account")).await;
    assert_eq!(json_status(&env, &mut b, "/account").await, 200);
    let token = env.mock.logout_token(&TestUser::default().sub);
    let mut op = Browser::new(&env.base);
    let ok = op.post_form(&env.url("/auth/backchannel-logout"), &[("logout_token", &token)]).await;
    assert_eq!(ok.status, 200, "exactly 200: {}", ok.body);
    assert_eq!(ok.cache_control.as_deref(), Some("no-store"));
    assert_eq!(json_status(&env, &mut b, "/account").await, 401, "the live session has ended");
    let replay = op.post_form(&env.url("/auth/backchannel-logout"), &[("logout_token", &token)]).await;
    assert_eq!(replay.status, 400);
    let bad = op.post_form(&env.url("/auth/backchannel-logout"), &[("logout_token", "not.a.jwt")]).await;
    assert_eq!(bad.status, 400);
    let wrong_type = op.send("POST", &env.url("/auth/backchannel-logout"), None).await;
    assert_eq!(wrong_type.status, 400);
}

/// A form over 16 KiB to any POST route the library mounts gets an answer that says
/// `Connection: close` (a refusal, but for a sign-out without a session, which reads no form):
/// the rest of the body was left unread, so a client reusing the connection would otherwise
/// find it closed under its next request.
pub async fn oversized_forms_are_refused_and_close_the_connection(a: &dyn Adapter) {
    let env = Env::start_with_events(a).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let big = format!("logout_token={}", "a".repeat(24 * 1024));
    for path in ["/auth/logout", "/auth/backchannel-logout", "/auth/events/token"] {
        let answer = client
            .post(env.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big.clone())
            .send()
            .await
            .expect("an answer");
        let expected = if path == "/auth/logout" { 303 } else { 400 };
        assert_eq!(answer.status().as_u16(), expected, "{} {path}", a.name());
        let connection = answer.headers().get("connection").and_then(|v| v.to_str().ok()).map(str::to_lowercase);
        assert_eq!(connection.as_deref(), Some("close"), "{} {path}", a.name());
    }
    // A form within the limit still gets its ordinary answer, on a connection kept open.
    let small = client
        .post(env.url("/auth/backchannel-logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("logout_token=not.a.jwt")
        .send()
        .await
        .expect("an answer");
    assert_eq!(small.status(), 400);
    assert_ne!(small.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"));
}

/// A guarded route's denial, answered before the handler reads the body: a request that
/// carries a body (here 1 MiB, with no session) gets `Connection: close`, so that the unread
/// rest cannot be taken for the client's next request; one without a body keeps the
/// connection.
pub async fn a_denial_with_an_unread_body_closes_the_connection(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let big = vec![b'x'; 1024 * 1024];
    for (method, path) in [(reqwest::Method::POST, "/account"), (reqwest::Method::GET, "/api/me")] {
        let answer = client
            .request(method, env.url(path))
            .header("content-type", "application/json")
            .body(big.clone())
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status().as_u16(), 401, "{} {path}", a.name());
        let connection = answer.headers().get("connection").and_then(|v| v.to_str().ok()).map(str::to_lowercase);
        assert_eq!(connection.as_deref(), Some("close"), "{} {path}", a.name());
    }
    let bodiless = client.get(env.url("/api/me")).send().await.expect("an answer");
    assert_eq!(bodiless.status(), 401);
    assert_ne!(bodiless.headers().get("connection").and_then(|v| v.to_str().ok()), Some("close"), "{}", a.name());
}

/// Sign-out on every device: two browsers signed in as one person; the account page's form in
/// one ends both sessions (and goes to One Login's end-session endpoint), while a wrong CSRF
/// token ends nothing. Another person's session lives on.
pub async fn sign_out_on_every_device(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let (mut first, mut second) = (env.browser(), env.browser());
    let account = first.visit(&env.url("/account")).await;
    assert!(account.body.contains("id=\"sign-out-everywhere\""), "{}: the account page offers it", a.name());
    assert_eq!(second.visit(&env.url("/account")).await.status, 200);
    env.mock.set_user(TestUser { sub: "urn:fdc:gov.uk:2022:someone-else".into(), ..TestUser::default() });
    let mut other = env.browser();
    assert_eq!(other.visit(&env.url("/account")).await.status, 200);

    let forged = first.post_form(&env.url("/auth/sign-out-everywhere"), &[("csrf_token", "forged")]).await;
    assert_eq!(forged.status, 403, "{}", a.name());
    assert_eq!(json_status(&env, &mut second, "/account").await, 200, "a wrong token ends nothing");

    let token = csrf_token(&account);
    let out = first.post_form(&env.url("/auth/sign-out-everywhere"), &[("csrf_token", &token)]).await;
    assert_eq!(out.status, 303, "{}", a.name());
    let to = out.location.as_deref().unwrap();
    assert!(to.starts_with(&format!("{}logout?", env.mock.issuer())), "{to}");
    assert!(first.session_cookie().is_none(), "this browser's cookie is cleared");
    assert_eq!(json_status(&env, &mut first, "/account").await, 401);
    assert_eq!(json_status(&env, &mut second, "/account").await, 401, "{}: the other device is signed out", a.name());
    assert_eq!(json_status(&env, &mut other, "/account").await, 200, "another person is not");
}

/// A callback URL used twice is refused the second time.
pub async fn replayed_callback(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let to_op = b.get(&env.url("/account")).await;
    let back = b.get(to_op.location.as_deref().unwrap()).await;
    let callback = back.location.clone().unwrap();
    assert!(callback.starts_with(&env.url("/auth/callback?")));
    assert_eq!(b.follow(back).await.status, 200);
    let again = b.get(&callback).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("expired or was already used"));
    let mut other = env.browser();
    assert_eq!(other.get(&callback).await.status, 400, "from another browser too");
}

/// Tampered or garbage session cookies count as no session, and never crash the service.
pub async fn tampered_cookie(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    b.visit(&env.url("/account")).await;
    let (name, value) = b.session_cookie().unwrap();
    let mut flipped: Vec<char> = value.chars().collect();
    flipped[3] = if flipped[3] == 'A' { 'B' } else { 'A' };
    for bad in [flipped.into_iter().collect::<String>(), "garbage".into(), "%%%".into(), "A".repeat(5000)] {
        let mut t = env.browser();
        t.jar.insert(name.clone(), bad);
        assert_eq!(json_status(&env, &mut t, "/account").await, 401);
    }
    assert_eq!(json_status(&env, &mut b, "/account").await, 200, "the real cookie still works");
}

/// Return paths that leave the site are replaced by `/`.
pub async fn open_redirects_are_refused(a: &dyn Adapter) {
    let env = Env::start(a).await;
    for evil in ["https://evil.example/", "//evil.example/", "/\\evil.example", "/%2F%2Fevil.example"] {
        let mut b = env.browser();
        let q = url::form_urlencoded::Serializer::new(String::new()).append_pair("return_to", evil).finish();
        let page = b.visit(&env.url(&format!("/auth/login?level=Cl.Cm&{q}"))).await;
        assert_eq!(page.status, 200, "{evil}");
        assert!(page.url.starts_with(&env.base), "{evil} led to {}", page.url);
        assert_eq!(page.path(), "/", "{evil}");
    }
}

/// With One Login down, signed-in users keep working; new sign-ins get a clear 5xx page.
pub async fn outage_keeps_signed_in_users_working(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    assert_eq!(b.visit(&env.url("/identity")).await.status, 200);
    env.mock.set_down("*", true);
    for path in ["/account", "/identity", "/"] {
        assert_eq!(b.get(&env.url(path)).await.status, 200, "{path} during an outage");
    }
    let fresh = Env::start(a).await;
    fresh.mock.set_down("*", true);
    let page = fresh.browser().get(&fresh.url("/account")).await;
    assert!(page.status == 502 || page.status == 503, "{}", page.status);
    // The stand-in answers 503 while down: One Login is unavailable, not unreachable.
    assert!(page.body.contains("temporarily unavailable"), "{}", page.body);
}

/// Two tabs starting logins in parallel both complete.
pub async fn parallel_tabs(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let tab1 = b.get(&env.url("/account")).await;
    let tab2 = b.get(&env.url("/identity")).await;
    let done2 = b.follow(tab2).await;
    let done1 = b.follow(tab1).await;
    assert_eq!((done1.status, done1.path()), (200, "/account".to_owned()));
    assert_eq!((done2.status, done2.path()), (200, "/identity".to_owned()));
}

/// Session cookies are HttpOnly, SameSite=Lax, Path=/; `__Host-` and Secure on https.
pub async fn cookie_attributes(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let to_op = b.get(&env.url("/account")).await;
    let flow = to_op.set_cookies.iter().find(|c| c.starts_with("one-login-flow=")).expect("flow cookie");
    let back = b.get(to_op.location.as_deref().unwrap()).await;
    let cb = b.get(back.location.as_deref().unwrap()).await;
    let session = cb.set_cookies.iter().find(|c| c.starts_with("one-login-session=")).expect("session cookie");
    for c in [flow, session] {
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(c.contains(attr), "{c} lacks {attr}");
        }
        assert!(!c.contains("Secure"), "plain http loopback development");
    }

    let https =
        Env::start_with(a, |c, base| c.redirect_uri(base.replacen("http://", "https://", 1) + "/auth/callback")).await;
    let mut b = https.browser();
    let to_op = b.get(&https.url("/account")).await;
    assert!(to_op.set_cookies.iter().any(|c| c.starts_with("__Host-one-login-flow=") && c.contains("Secure")));
    let back = b.get(to_op.location.as_deref().unwrap()).await;
    let cb = b.get(back.location.as_deref().unwrap()).await;
    let session =
        cb.set_cookies.iter().find(|c| c.starts_with("__Host-one-login-session=")).expect("__Host- session cookie");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{session} lacks {attr}");
    }
    assert!(!session.contains("Domain"));
}

/// With publishing on, our public keys are served as a JWKS for One Login to fetch.
pub async fn publishes_rp_jwks(a: &dyn Adapter) {
    let env = Env::start_with(a, |c, _| c.publish_jwks_at("/.well-known/jwks.json").key_id("rp-key-1")).await;
    let page = env.browser().get(&env.url("/.well-known/jwks.json")).await;
    assert_eq!(page.status, 200);
    let key = &page.json()["keys"][0];
    assert_eq!(
        (key["kty"].as_str(), key["kid"].as_str(), key["use"].as_str()),
        (Some("RSA"), Some("rp-key-1"), Some("sig"))
    );
    assert!(key.get("d").is_none() && key.get("p").is_none(), "never the private parts");
    let off = Env::start(a).await;
    assert_eq!(off.browser().get(&off.url("/.well-known/jwks.json")).await.status, 404, "off by default");
}

const PURGED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-purged";

/// Every event type the stand-in's transmitter pushes is accepted with 202 and an empty body;
/// events about someone else leave the signed-in user's session be.
pub async fn security_events_of_every_type(a: &dyn Adapter) {
    let env = Env::start_with_events(a).await;
    let mut b = env.browser();
    assert_eq!(b.visit(&env.url("/identity")).await.status, 200);
    for events in samples::every_event("urn:fdc:gov.uk:2022:someone-else") {
        let pushed = env.mock.push_event(events.clone()).await;
        assert_eq!(pushed.status, 202, "{}: {events}: {}", a.name(), pushed.body);
        assert!(pushed.body.is_empty(), "{}", pushed.body);
    }
    assert_eq!(json_status(&env, &mut b, "/identity").await, 200);
    // What a person trying the demo does: fire one from the stand-in, about its signed-in user.
    let fired = reqwest::Client::new()
        .post(format!("{}ssf/fire?event=account-purged", env.mock.issuer()))
        .header("user-agent", "curl/8")
        .send()
        .await
        .expect("the stand-in answers");
    assert_eq!(fired.json::<Value>().await.expect("JSON")["receiver_status"], 202);
    assert_eq!(json_status(&env, &mut b, "/identity").await, 401, "{}: the fired event ended the session", a.name());
}

/// A pushed account-purged event ends the user's live session; pushed again after the user
/// signed in anew, it is accepted (202) and not acted on twice.
pub async fn security_event_ends_a_live_session(a: &dyn Adapter) {
    let env = Env::start_with_events(a).await;
    let mut b = env.browser();
    b.visit(&env.url("/account")).await;
    assert_eq!(json_status(&env, &mut b, "/account").await, 200);
    let set = env.mock.security_event_token(samples::user_event(PURGED, &TestUser::default().sub, Value::Null));
    assert_eq!(env.mock.push_security_event(&set).await.status, 202);
    assert_eq!(json_status(&env, &mut b, "/account").await, 401, "{}: the live session has ended", a.name());
    b.visit(&env.url("/account")).await;
    assert_eq!(json_status(&env, &mut b, "/account").await, 200);
    assert_eq!(env.mock.push_security_event(&set).await.status, 202, "a replay is accepted");
    assert_eq!(json_status(&env, &mut b, "/account").await, 200, "and not acted on again");
}

/// After a pushed assurance-level change, the identity route asks again (403 for an API) and
/// the user stays signed in.
pub async fn security_event_assurance_change_steps_up(a: &dyn Adapter) {
    let env = Env::start_with_events(a).await;
    let mut b = env.browser();
    assert_eq!(b.visit(&env.url("/identity")).await.status, 200);
    let change = samples::user_event(
        "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change",
        &TestUser::default().sub,
        serde_json::json!({ "namespace": "RFC8176", "current_level": "P0" }),
    );
    assert_eq!(env.mock.push_event(change).await.status, 202);
    assert_eq!(json_status(&env, &mut b, "/identity").await, 403, "{}: the identity route steps up", a.name());
    assert_eq!(json_status(&env, &mut b, "/account").await, 200, "still signed in");
}

/// What the receiver refuses, with RFC 8935's codes and statuses.
pub async fn security_events_refused(a: &dyn Adapter) {
    let env = Env::start_with_events(a).await;
    let event = || samples::user_event(PURGED, "urn:fdc:gov.uk:2022:someone", Value::Null);
    let err = |pushed: &govuk_one_login_mock::Pushed| -> String {
        serde_json::from_str::<Value>(&pushed.body)
            .ok()
            .and_then(|v| v["err"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let unpublished = env.mock.security_event_token_unpublished(event());
    let wrong_iss = env.mock.security_event_token_with(event(), |_, c| {
        c.insert("iss".into(), "https://ssf.account.gov.uk/".into());
    });
    let wrong_aud = env.mock.security_event_token_with(event(), |_, c| {
        c.insert("aud".into(), "another.example".into());
    });
    for (set, status, code) in
        [(unpublished, 400, "invalid_key"), (wrong_iss, 400, "invalid_issuer"), (wrong_aud, 400, "invalid_audience")]
    {
        let pushed = env.mock.push_security_event(&set).await;
        assert_eq!((pushed.status, err(&pushed).as_str()), (status, code), "{}: {}", a.name(), pushed.body);
        assert_eq!(pushed.content_type.as_deref(), Some("application/json"));
    }
    let set = env.mock.security_event_token(event());
    let no_token = env.mock.push_security_event_with(&set, PushRequest::default().without_token()).await;
    assert_eq!(no_token.status, 401);
    assert!(no_token.www_authenticate.as_deref().is_some_and(|c| c.starts_with("Bearer")), "{no_token:?}");
    // A token its own endpoint issued 20 minutes ago (tokens last 15).
    let behind = govuk_one_login::OneLogin::builder(env.one_login.config().clone())
        .clock(govuk_one_login::clock::OffsetClock::new(time::Duration::minutes(-20)))
        .build()
        .expect("engine");
    let expired =
        env.mock.push_security_event_with(&set, PushRequest::default().token(stale_token(&behind).await)).await;
    assert_eq!(expired.status, 401, "an expired token");
    let json = env.mock.push_security_event_with(&set, PushRequest::default().content_type("application/json")).await;
    assert_eq!(json.status, 415, "another content type");
    // Both are refused before the body is read whole, so the receiver may close the connection
    // while the client is still sending: then no answer can be read, which is a refusal too.
    let big = env.mock.push_security_event_with(&set, PushRequest::default().body(vec![b'a'; 1024 * 1024])).await;
    assert!(big.status == 413 || big.closed_while_sending(), "a body of 1 MB: {big:?}");
    let anonymous_big = PushRequest::default().without_token().body(vec![b'a'; 1024 * 1024]);
    let anonymous_big = env.mock.push_security_event_with(&set, anonymous_big).await;
    assert!(
        anonymous_big.status == 401 || anonymous_big.closed_while_sending(),
        "the headers first: {anonymous_big:?}"
    );
    let ok = env.mock.push_security_event(&set).await;
    assert_eq!(ok.status, 202, "{}", ok.body);
    let token = reqwest::Client::new()
        .post(env.url("/auth/events/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", crate::EVENTS_CLIENT_ID),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .expect("token endpoint");
    assert_eq!(token.status(), 401);
    assert_eq!(token.json::<Value>().await.expect("JSON")["error"], "invalid_client");
}

/// An access token from `ol`'s own token endpoint.
async fn stale_token(ol: &govuk_one_login::OneLogin) -> String {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        crate::EVENTS_CLIENT_ID,
        crate::EVENTS_SECRET
    ));
    let basic = format!("Basic {basic}");
    let answer = ol
        .events_token_route(
            &govuk_one_login::events::EventRequest::new(Some(b"grant_type=client_credentials"))
                .content_type(Some("application/x-www-form-urlencoded"))
                .authorization(Some(&basic)),
        )
        .await;
    serde_json::from_str::<Value>(&answer.body).expect("JSON")["access_token"].as_str().expect("a token").to_owned()
}

/// The verification client: the app asks the stand-in for a verification event, the event
/// that follows carries its `state` and is accepted, and the next round confirms it; a `state`
/// the app never made, and an unsolicited event, are accepted (202) and confirm nothing.
pub async fn security_event_stream_verification(a: &dyn Adapter) {
    let env = Env::start_with_events(a).await;
    env.one_login.verify_event_stream().await.expect("the transmitter answered 204");
    let pushed =
        env.mock.wait_for_verification_pushes(1).await.first().cloned().expect("a verification event was pushed");
    assert_eq!(pushed.status, 202, "{}: {}", a.name(), pushed.body);
    assert!(env.one_login.events_verification_status().last_confirmed.is_none());
    env.one_login.verify_event_stream().await.expect("a second round");
    let status = env.one_login.events_verification_status();
    assert!(status.last_confirmed.is_some() && status.last_failure.is_none(), "{status:?}");
    let sse = "https://schemas.openid.net/secevent/sse/event-type/verification";
    let forged = env.mock.push_event(serde_json::json!({ sse: { "state": "v1.1.x.forged" } })).await;
    assert_eq!(forged.status, 202);
    let unsolicited = env.mock.push_event(serde_json::json!({ sse: {} })).await;
    assert_eq!(unsolicited.status, 202);
}

/// The page as a browser reads its attributes: minijinja writes `/` as `&#x2f;` too.
fn decoded(page: &Page) -> String {
    page.body.replace("&#x2f;", "/").replace("&#x27;", "'")
}

/// The language switch: `?lang=cy` sets the `lang` cookie and comes back; every page is then
/// Welsh (`<html lang="cy">`), core's error pages included, and a sign-in started then asks One
/// Login for Welsh (`ui_locales=cy`); `?lang=en` switches back.
pub async fn welsh_language_switch(a: &dyn Adapter) {
    let env = Env::start(a).await;
    let mut b = env.browser();
    let home = b.get(&env.url("/")).await;
    let body = decoded(&home);
    assert!(body.contains("<html lang=\"en\""), "{}: {body}", a.name());
    assert!(body.contains("href=\"/?lang=cy\" hreflang=\"cy\" lang=\"cy\" rel=\"alternate\">Cymraeg</a>"), "{body}");
    let switched = b.get(&env.url("/?lang=cy")).await;
    assert_eq!(switched.status, 303, "{}", a.name());
    assert_eq!(switched.location.as_deref(), Some(env.url("/").as_str()));
    assert_eq!(switched.set_cookies, ["lang=cy; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"]);
    let home = b.follow(switched).await;
    let body = decoded(&home);
    assert!(body.contains("<html lang=\"cy\"") && body.contains("Dechrau nawr"), "{body}");
    assert!(body.contains("hreflang=\"en\"") && body.contains(">English</a>"));

    let account = b.visit(&env.url("/account")).await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert_eq!(env.mock.last_authorize().unwrap().params["ui_locales"], "cy", "{}: a Welsh sign-in", a.name());
    let body = decoded(&account);
    assert!(body.contains("<html lang=\"cy\"") && body.contains("Eich cyfrif"), "{body}");
    assert!(body.contains("class=\"one-login-header__button\">Allgofnodi</button>"), "the sign-out button: {body}");
    assert!(body.contains("href=\"/account?lang=en\" hreflang=\"en\""));

    // Core's own page, in Welsh too: a cancelled step-up.
    env.mock.set_fault(Fault::AccessDenied);
    let cancelled = b.visit(&env.url("/identity")).await;
    assert_eq!(cancelled.status, 403);
    let body = decoded(&cancelled);
    assert!(body.contains("<html lang=\"cy\"") && body.contains("Ni wnaethoch orffen mewngofnodi"), "{body}");
    env.mock.clear_faults();

    let back = b.get(&env.url("/account?lang=en")).await;
    assert_eq!(back.status, 303);
    assert_eq!(back.location.as_deref(), Some(env.url("/account").as_str()));
    let account = b.follow(back).await;
    assert!(account.body.contains("<html lang=\"en\"") && account.body.contains(">Sign out</button>"));
}

/// What One Login says about the user is shown escaped on every page.
pub async fn user_data_is_escaped(a: &dyn Adapter) {
    let env = Env::start(a).await;
    env.mock.set_user(TestUser {
        given_name: "<script>alert(1)</script>".into(),
        email: "\"><img src=x onerror=alert(2)>@example.com".into(),
        ..TestUser::default()
    });
    let mut b = env.browser();
    let identity = b.visit(&env.url("/identity")).await;
    assert_eq!(identity.status, 200, "{}", identity.body);
    assert!(!identity.body.contains("<script>alert"), "{}: {}", a.name(), identity.body);
    assert!(identity.body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; Decerqueira"), "{}", identity.body);
    let account = b.visit(&env.url("/account")).await;
    assert!(!account.body.contains("<img") && account.body.contains("&quot;&gt;&lt;img src=x"), "{}", account.body);
}

/// `/assets/…` serves the embedded GOV.UK Frontend files with their types and a long cache,
/// and nothing else (`../` included).
pub async fn assets_are_served_and_nothing_else(a: &dyn Adapter) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env = Env::start(a).await;
    let mut b = env.browser();
    let css = b.get(&env.url("/assets/govuk-frontend.min.css")).await;
    assert_eq!(css.status, 200, "{}", a.name());
    assert_eq!(css.content_type.as_deref(), Some("text/css; charset=utf-8"));
    assert_eq!(css.cache_control.as_deref(), Some("public, max-age=31536000, immutable"));
    assert!(css.body.contains(".govuk-template"));
    let font = b.get(&env.url("/assets/fonts/bold-b542beb274-v2.woff2")).await;
    assert_eq!((font.status, font.content_type.as_deref()), (200, Some("font/woff2")));
    for bad in
        ["/assets/", "/assets/fonts", "/assets/VERSION", "/assets/%2e%2e%2fCargo.toml", "/assets/fonts%2f..%2f..%2fsrc"]
    {
        assert_eq!(b.get(&env.url(bad)).await.status, 404, "{}: {bad}", a.name());
    }
    // A raw `../`, which an HTTP client would resolve before sending.
    let addr = env.base.trim_start_matches("http://");
    for raw in ["/assets/../Cargo.toml", "/assets/fonts/../../src/lib.rs", "/assets/..%2f..%2fCargo.toml"] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {raw} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 404"), "{}: {raw}: {answer}", a.name());
    }
}

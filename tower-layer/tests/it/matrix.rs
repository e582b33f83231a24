//! The negative matrix through the axum app: each hostile case met at the callback answers
//! its status, sets no session cookie and leaves the session the browser had; discovery
//! cases stop the sign-in from starting; hostile logout tokens get the back-channel route's
//! 400 JSON and end no session.

use govuk_one_login_mock::Tripwire;

use super::cases::{callback_cases, callback_of_100_kb, discovery_cases, logout_cases, sign_in_cases};
use super::*;

/// The session cookie still lets its holder in.
async fn still_signed_in(router: &Router, session: &str) -> bool {
    page(router, "/guarded", Some(&session_cookie(session))).await.body == "guarded"
}

fn callback_cookies(flow: &str, session: &str) -> String {
    format!("one-login-flow={flow}; one-login-session={session}")
}

#[tokio::test]
async fn hostile_tokens_at_the_callback_answer_their_status_and_keep_the_session() {
    for case in sign_in_cases() {
        let app = app().await;
        let router = router(&app);
        let tripwire = Tripwire::start().await;
        let session = sign_in(&app, &router, "/guarded").await;
        (case.setup)(&app.mock, &tripwire);
        let started =
            through_the_mock(&app, &page(&router, "/id-guarded", Some(&session_cookie(&session))).await).await;
        let done = page(&router, &started.callback, Some(&callback_cookies(&started.flow, &session))).await;
        assert_eq!(done.status.as_u16(), case.status, "{}: {done:?}", case.name);
        if case.status == 303 {
            let new = done.cookie("one-login-session").expect("a new session");
            assert!(still_signed_in(&router, &new).await, "{}", case.name);
        } else {
            assert_eq!(done.cookie("one-login-session"), None, "{}: no session cookie", case.name);
            assert_eq!(done.header("content-type"), Some("text/html; charset=utf-8"), "{}", case.name);
            assert!(still_signed_in(&router, &session).await, "{}: the session is kept", case.name);
        }
        assert_eq!(tripwire.hits(), 0, "{}: nothing fetched from the tripwire", case.name);
    }
}

#[tokio::test]
async fn hostile_callbacks_answer_their_status_and_keep_the_session() {
    for (name, build, status) in callback_cases() {
        let app = app().await;
        let router = router(&app);
        let first = through_the_mock(&app, &page(&router, "/guarded", None).await).await;
        let (_, session) = finish(&router, &first, None).await;
        let fresh = through_the_mock(&app, &page(&router, "/id-guarded", Some(&session_cookie(&session))).await).await;
        let target = build(&fresh.callback, &first.callback);
        let done = page(&router, &target, Some(&callback_cookies(&fresh.flow, &session))).await;
        assert_eq!(done.status.as_u16(), status, "{name}: {}", done.body);
        assert_eq!(done.cookie("one-login-session"), None, "{name}: no session cookie");
        assert!(still_signed_in(&router, &session).await, "{name}: the session is kept");
    }
}

#[tokio::test]
async fn hostile_discovery_documents_start_no_sign_in() {
    for (name, setup) in discovery_cases() {
        let app = app().await;
        let router = router(&app);
        let tripwire = Tripwire::start().await;
        setup(&app.mock, &tripwire);
        let r = page(&router, "/guarded", None).await;
        assert_eq!(r.status, 502, "{name}: {r:?}");
        assert!(r.header("location").is_none(), "{name}: no redirect");
        assert_eq!(app.mock.hits("/authorize"), 0, "{name}");
        assert_eq!(tripwire.hits(), 0, "{name}");
    }
}

async fn post_logout_token(router: &Router, token: &str) -> Resp {
    let request = Request::post("/auth/backchannel-logout")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(format!("logout_token={token}")))
        .unwrap();
    call(router, request).await
}

#[tokio::test]
async fn hostile_logout_tokens_get_400_and_end_no_session() {
    let app = app().await;
    let router = router(&app);
    let session = sign_in(&app, &router, "/guarded").await;
    let sub = govuk_one_login_mock::TestUser::default().sub;
    for (name, token) in logout_cases() {
        let r = post_logout_token(&router, &token(&app.mock, &sub)).await;
        assert_eq!(r.status, 400, "{name}: {r:?}");
        assert_eq!(r.json(), json!({ "error": "invalid_request" }), "{name}");
        assert!(still_signed_in(&router, &session).await, "{name}: the session is kept");
    }
    // A replayed jti: the first delivery ends the session, the replay is refused.
    let token = app.mock.logout_token(&sub);
    assert_eq!(post_logout_token(&router, &token).await.status, 200);
    assert!(!still_signed_in(&router, &session).await, "the good token ended the session");
    let replay = post_logout_token(&router, &token).await;
    assert_eq!((replay.status, replay.json()), (StatusCode::BAD_REQUEST, json!({ "error": "invalid_request" })));
}

/// A 100 KB callback cannot be an in-process request (`http::Uri` stops at 64 KiB): sent raw
/// to the app served on loopback, the HTTP layer refuses it before the library sees it, and
/// no cookie is set.
#[tokio::test]
async fn a_callback_of_100_kb_is_refused_by_the_served_app() {
    let app = app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = router(&app);
    let server = tokio::spawn(async move { axum::serve(listener, served).await });
    let head = raw_get(addr, &callback_of_100_kb("/auth/callback")).await;
    assert!(head.starts_with("HTTP/1.1 414"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
    assert_eq!(app.store.session_loads(), 0, "the library never saw it");
    server.abort();
}

/// Sends a GET with `target` as written (no URI type bounds it) and returns the answer's head.
async fn raw_get(addr: std::net::SocketAddr, target: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nAccept: {HTML}\r\nConnection: close\r\n\r\n");
    // The server may answer and close before reading the whole request.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

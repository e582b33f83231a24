//! The negative matrix through the actix app: each hostile case met at the callback answers
//! its status, sets no session cookie and leaves the session the browser had; discovery
//! cases stop the sign-in from starting; hostile logout tokens get the back-channel route's
//! 400 JSON and end no session.

use actix_web::HttpServer;
use govuk_one_login_mock::Tripwire;

use super::cases::{callback_cases, callback_of_100_kb, discovery_cases, logout_cases, sign_in_cases};
use super::*;

fn both_cookies(flow: &str, session: &str) -> String {
    format!("one-login-flow={flow}; one-login-session={session}")
}

/// The session cookie still lets its holder in.
macro_rules! still_signed_in {
    ($app:expr, $session:expr) => {
        page!($app, "/guarded", &session_cookie($session)).body == "guarded"
    };
}

#[test]
fn hostile_tokens_at_the_callback_answer_their_status_and_keep_the_session() {
    run(async {
        for case in sign_in_cases() {
            let f = fixture().await;
            let app = app!(f.ol);
            let tripwire = Tripwire::start().await;
            let session = sign_in!(f, app, "/guarded");
            (case.setup)(&f.mock, &tripwire);
            let started = through_the_mock(&f, &page!(app, "/id-guarded", &session_cookie(&session))).await;
            let done = page!(app, &started.callback, &both_cookies(&started.flow, &session));
            assert_eq!(done.status.as_u16(), case.status, "{}: {done:?}", case.name);
            if case.status == 303 {
                let new = done.cookie("one-login-session").expect("a new session");
                assert!(still_signed_in!(app, &new), "{}", case.name);
            } else {
                assert_eq!(done.cookie("one-login-session"), None, "{}: no session cookie", case.name);
                assert_eq!(done.header("content-type"), Some("text/html; charset=utf-8"), "{}", case.name);
                assert!(still_signed_in!(app, &session), "{}: the session is kept", case.name);
            }
            assert_eq!(tripwire.hits(), 0, "{}: nothing fetched from the tripwire", case.name);
        }
    });
}

#[test]
fn hostile_callbacks_answer_their_status_and_keep_the_session() {
    run(async {
        for (name, build, status) in callback_cases() {
            let f = fixture().await;
            let app = app!(f.ol);
            let first = through_the_mock(&f, &page!(app, "/guarded")).await;
            let (_, session) = finish!(app, first, None);
            let fresh = through_the_mock(&f, &page!(app, "/id-guarded", &session_cookie(&session))).await;
            let target = build(&fresh.callback, &first.callback);
            let done = page!(app, &target, &both_cookies(&fresh.flow, &session));
            assert_eq!(done.status.as_u16(), status, "{name}: {}", done.body);
            assert_eq!(done.cookie("one-login-session"), None, "{name}: no session cookie");
            assert!(still_signed_in!(app, &session), "{name}: the session is kept");
        }
    });
}

#[test]
fn hostile_discovery_documents_start_no_sign_in() {
    run(async {
        for (name, setup) in discovery_cases() {
            let f = fixture().await;
            let app = app!(f.ol);
            let tripwire = Tripwire::start().await;
            setup(&f.mock, &tripwire);
            let r = page!(app, "/guarded");
            assert_eq!(r.status, 502, "{name}: {r:?}");
            assert!(r.header("location").is_none(), "{name}: no redirect");
            assert_eq!(f.mock.hits("/authorize"), 0, "{name}");
            assert_eq!(tripwire.hits(), 0, "{name}");
        }
    });
}

fn logout_post(token: &str) -> TestRequest {
    TestRequest::post()
        .uri("/auth/backchannel-logout")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload(format!("logout_token={token}"))
}

#[test]
fn hostile_logout_tokens_get_400_and_end_no_session() {
    run(async {
        let f = fixture().await;
        let app = app!(f.ol);
        let session = sign_in!(f, app, "/guarded");
        let sub = govuk_one_login_mock::TestUser::default().sub;
        for (name, token) in logout_cases() {
            let r = call(&app, logout_post(&token(&f.mock, &sub)).to_request()).await;
            assert_eq!(r.status, 400, "{name}: {r:?}");
            assert_eq!(r.json(), json!({ "error": "invalid_request" }), "{name}");
            assert!(still_signed_in!(app, &session), "{name}: the session is kept");
        }
        // A replayed jti: the first delivery ends the session, the replay is refused.
        let token = f.mock.logout_token(&sub);
        assert_eq!(call(&app, logout_post(&token).to_request()).await.status, 200);
        assert!(!still_signed_in!(app, &session), "the good token ended the session");
        let replay = call(&app, logout_post(&token).to_request()).await;
        assert_eq!((replay.status, replay.json()), (StatusCode::BAD_REQUEST, json!({ "error": "invalid_request" })));
    });
}

/// A 100 KB callback cannot be an in-process request (`http::Uri` stops at 64 KiB): sent raw
/// to the app served on loopback, the HTTP layer refuses it before the library sees it, and
/// no cookie is set.
#[test]
fn a_callback_of_100_kb_is_refused_by_the_served_app() {
    run(async {
        let f = fixture().await;
        let ol = f.ol.clone();
        let server = HttpServer::new(move || {
            App::new().wrap(OneLoginMiddleware::new(ol.clone())).configure(configure(ol.clone())).configure(pages)
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .unwrap();
        let addr = server.addrs()[0];
        let running = server.run();
        let handle = running.handle();
        actix_web::rt::spawn(running);
        let head = raw_get(addr, &callback_of_100_kb("/auth/callback")).await;
        // actix's request parser answers 400 (hyper, under axum, answers 414).
        assert!(head.starts_with("HTTP/1.1 400"), "{head}");
        assert!(!head.to_ascii_lowercase().contains("set-cookie"), "{head}");
        assert_eq!(f.store.session_loads(), 0, "the library never saw it");
        handle.stop(false).await;
    });
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

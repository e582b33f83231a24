//! Reading the `Cookie` header (core's `web::cookies::read`, and `OneLogin::session_context`).
//!
//! The input is other cookies (any text), a 0 byte, and one of our values: ours is always
//! found after any amount of other cookies that do not name it first.
#![no_main]

#[path = "engine.rs"]
mod engine;

use std::sync::LazyLock;

use govuk_one_login::__fuzz::{self, MAX_COOKIE_VALUE};
use govuk_one_login::OneLogin;
use govuk_one_login::web::{FLOW_COOKIE, FLOW_COOKIE_INSECURE, SESSION_COOKIE, SESSION_COOKIE_INSECURE};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<(tokio::runtime::Runtime, OneLogin)> =
    LazyLock::new(|| (engine::runtime(), engine::engine("http://127.0.0.1:9")));

fn check(header: &str) {
    for secure in [true, false] {
        let (session, flow) = __fuzz::read_cookies(Some(header), secure);
        for value in [&session, &flow].into_iter().flatten() {
            assert!(value.len() <= MAX_COOKIE_VALUE, "{value:?}");
            assert!(header.contains(value.as_str()), "{value:?} is not in {header:?}");
        }
    }
    // The engine (plain http loopback) looks the session id up, and finds no session for any
    // id (it has none).
    let (runtime, engine) = &*ENGINE;
    let ctx = runtime.block_on(engine.session_context(Some(header))).expect("the memory store answers");
    assert!(ctx.id().is_none() && ctx.record().is_none());
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    check(&text);
    let (others, ours) = text.split_once('\0').unwrap_or((&text, "abcDEF-123_x"));
    let ours: String = ours.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(128).collect();
    if ours.is_empty() {
        return;
    }
    let names = [SESSION_COOKIE, FLOW_COOKIE, SESSION_COOKIE_INSECURE, FLOW_COOKIE_INSECURE];
    if names.iter().any(|name| others.contains(name)) {
        return;
    }
    for (secure, name, is_session) in [
        (true, SESSION_COOKIE, true),
        (true, FLOW_COOKIE, false),
        (false, SESSION_COOKIE_INSECURE, true),
        (false, FLOW_COOKIE_INSECURE, false),
    ] {
        let header = format!("{others}; {name}={ours}");
        check(&header);
        let (session, flow) = __fuzz::read_cookies(Some(&header), secure);
        let found = if is_session { session } else { flow };
        assert_eq!(found.as_deref(), Some(&*ours), "{name} not found in {header:?}");
    }
});

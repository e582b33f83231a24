//! The callback's query: `CallbackParams::from_query`, and the callback route refusing a
//! return it has no pending login for, without echoing the code, state or error description.
//!
//! The input is up to five parts split by 0 bytes: code, state, error, error_description, and
//! more query text; the raw input is also read as a query on its own.
#![no_main]

#[path = "engine.rs"]
mod engine;

use std::sync::LazyLock;

use govuk_one_login::web::RequestInfo;
use govuk_one_login::{CallbackParams, OneLogin};
use libfuzzer_sys::fuzz_target;

static ENGINE: LazyLock<(tokio::runtime::Runtime, OneLogin)> =
    LazyLock::new(|| (engine::runtime(), engine::engine("http://127.0.0.1:9")));

/// Whether `secret` is long and distinctive enough that finding it in a page means it leaked.
fn distinctive(secret: &str) -> bool {
    secret.len() >= 12 && secret.chars().all(|c| c.is_ascii_alphanumeric())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = CallbackParams::from_query(&text);

    let mut parts = text.split('\0');
    let mut next = || parts.next().unwrap_or_default().to_owned();
    let (code, state, error, description, more) = (next(), next(), next(), next(), next());

    // Ours first, then anything else: the first of a repeated parameter counts, others are ignored.
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", &code).append_pair("state", &state);
    query.append_pair("error", &error).append_pair("error_description", &description);
    let query = format!("{}&{more}", query.finish());
    let params = CallbackParams::from_query(&query);
    assert_eq!(params.code.as_deref(), Some(&*code));
    assert_eq!(params.state.as_deref(), Some(&*state));
    assert_eq!(params.error.as_deref(), Some(&*error));
    assert_eq!(params.error_description.as_deref(), Some(&*description));

    // Debug never shows the code or the state.
    let mut only_secrets = url::form_urlencoded::Serializer::new(String::new());
    let only_secrets = only_secrets.append_pair("code", &code).append_pair("state", &state).finish();
    let shown = format!("{:?}", CallbackParams::from_query(&only_secrets));
    for secret in [&code, &state] {
        assert!(!distinctive(secret) || !shown.contains(secret.as_str()), "{shown}");
    }

    // Without a pending login for the state, the route refuses, and its page shows none of it.
    let (runtime, engine) = &*ENGINE;
    let path = format!("/auth/callback?{query}");
    let cookie = format!("one-login-flow={more}");
    let ctx = runtime.block_on(engine.session_context(Some(&cookie))).expect("the memory store answers");
    let response = runtime.block_on(engine.callback_route(&RequestInfo::new("GET", &path), &ctx));
    assert!(response.status.as_u16() >= 400, "{} for a callback without a pending login", response.status);
    for secret in [&code, &state, &description] {
        assert!(!distinctive(secret) || !response.body.contains(secret.as_str()), "{} shows {secret:?}", response.body);
    }
    if let Some(location) = response.header_value("location") {
        assert!(!distinctive(&code) || !location.contains(code.as_str()));
    }
});

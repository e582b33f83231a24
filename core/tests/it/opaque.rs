//! No token, `sub` or personal data reaches a response body or a log line, whatever fails.

use std::io::Write;
use std::sync::{Arc, Mutex};

use govuk_one_login::Requirement;
use govuk_one_login::web::RequestInfo;
use govuk_one_login_mock::{Fault, TestUser};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;

use crate::*;

/// Log output, captured.
#[derive(Clone, Default)]
pub(crate) struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn secrets() -> Vec<String> {
    let u = TestUser::default();
    vec![u.sub, u.email, u.given_name, u.family_name, u.birth_date, "eyJ".into()]
}

#[tokio::test]
async fn failures_leave_no_token_or_personal_data_in_logs_or_bodies() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writer.clone()))
        .with(Targets::new().with_target("govuk_one_login", tracing::Level::TRACE));
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = harness().await;
    let mut bodies = Vec::new();
    for fault in [
        Fault::IdTokenBadSignature,
        Fault::IdTokenWrongIssuer,
        Fault::IdTokenWrongAudience,
        Fault::IdTokenExpired,
        Fault::IdTokenWrongNonce,
        Fault::IdTokenWrongVot,
        Fault::UserinfoWrongSubject,
        Fault::CoreIdentityWrongSubject,
        Fault::CoreIdentityBadSignature,
        Fault::CoreIdentityExpired,
        Fault::CoreIdentityMissing,
        Fault::AccessDenied,
        Fault::LoginRequired,
    ] {
        h.mock.clear_faults();
        h.mock.set_fault(fault);
        let start = h.ol.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await.unwrap();
        let params = authorize(&start.url).await;
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.code.iter().map(|c| ("code", c.as_str())))
            .extend_pairs(params.state.iter().map(|s| ("state", s.as_str())))
            .extend_pairs(params.error.iter().map(|e| ("error", e.as_str())))
            .finish();
        let ctx = h.ol.session_context(Some(&format!("one-login-flow={}", start.flow_cookie))).await.unwrap();
        let path = format!("/auth/callback?{query}");
        bodies.push(h.ol.callback_route(&RequestInfo::new("GET", &path), &ctx).await.body);
    }
    let bad_logout = h.mock.logout_token_with(&TestUser::default().sub, |_, c| {
        c.insert("nonce".into(), serde_json::json!("n"));
    });
    let form = format!("logout_token={bad_logout}");
    let post =
        RequestInfo::new("POST", "/auth/backchannel-logout").content_type(Some("application/x-www-form-urlencoded"));
    bodies.push(h.ol.backchannel_logout_route(&post, form.as_bytes()).await.body);

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("rejected"), "the failures were logged: {logged}");
    for secret in secrets() {
        assert!(!logged.contains(&secret), "log contains {secret:?}:\n{logged}");
        for body in &bodies {
            assert!(!body.contains(&secret), "a response body contains {secret:?}");
        }
    }
}

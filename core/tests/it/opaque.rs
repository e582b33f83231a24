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

impl Captured {
    /// Captures the library's log lines at `level` and above (as text, without colours) for as
    /// long as the returned guard lives on this thread.
    pub(crate) fn install(level: tracing::Level) -> (Captured, tracing::subscriber::DefaultGuard) {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writer.clone()))
            .with(Targets::new().with_target("govuk_one_login", level));
        (logs, tracing::subscriber::set_default(subscriber))
    }
}

fn secrets() -> Vec<String> {
    let u = TestUser::default();
    vec![u.sub, u.email, u.given_name, u.family_name, u.birth_date, "eyJ".into()]
}

#[tokio::test]
async fn failures_leave_no_token_or_personal_data_in_logs_or_bodies() {
    let (logs, _guard) = Captured::install(tracing::Level::TRACE);

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

#[tokio::test]
async fn debug_of_every_public_value_shows_no_token_secret_or_personal_data() {
    use govuk_one_login::web::SessionHandle;
    use govuk_one_login::{CallbackParams, Subject};

    let h = harness().await;
    let mut request = LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root());
    request.login_hint = Some(TestUser::default().email);
    let printed_request = format!("{request:?}");
    let start = h.ol.start_login(request).await.unwrap();
    let params = authorize(&start.url).await;
    let (code, state) = (params.code.clone().unwrap(), params.state.clone().unwrap());
    let printed_params = format!("{params:?}");
    let query = format!("code={code}&state={state}");
    let ctx = h.ol.session_context(Some(&format!("one-login-flow={}", start.flow_cookie))).await.unwrap();
    let printed_flow_ctx = format!("{ctx:?}");
    let response = h.ol.callback_route(&RequestInfo::new("GET", &format!("/auth/callback?{query}")), &ctx).await;
    assert_eq!(response.status, 303, "{}", response.body);
    let cookie = response.header_value("set-cookie").unwrap().split(';').next().unwrap().to_owned();
    let session_id = cookie.strip_prefix("one-login-session=").unwrap().to_owned();
    let (_, record) = h.ol.session(&session_id).await.unwrap().unwrap();
    let ctx = h.ol.session_context(Some(&cookie)).await.unwrap();
    let handle = SessionHandle::new(h.ol.clone(), ctx.clone(), &RequestInfo::new("GET", "/"));
    let form = handle.sign_out_form().unwrap();
    let outcome = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let replayed = h.ol.complete_login(CallbackParams::from_query(&query), Some(&start.flow_cookie), None).await;

    let printed = [
        printed_request,
        format!("{start:?}"),
        printed_params,
        printed_flow_ctx,
        format!("{response:?}"),
        format!("{record:?}"),
        format!("{:?}", record.identity().unwrap()),
        format!("{:?}", record.subject()),
        format!("{:?}", Subject::new(TestUser::default().sub)),
        format!("{:?}", record.id_token()),
        format!("{ctx:?}"),
        format!("{handle:?}"),
        format!("{form:?}"),
        format!("{outcome:?}"),
        format!("{replayed:?}"),
        format!("{:?}", h.ol),
    ];
    let mut secrets = secrets();
    secrets.extend([
        code,
        state,
        start.flow_cookie.clone(),
        session_id,
        record.csrf_token().to_owned(),
        record.id_token().secret().to_owned(),
        outcome.session_id.to_cookie_value(),
        record.email().unwrap().to_owned(),
        record.phone_number().unwrap().to_owned(),
    ]);
    for text in &printed {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "Debug shows {secret:?}: {text}");
        }
    }
    assert!(printed[8].contains("[redacted]"), "{}", printed[8]);
}

//! What each demo logs when a sign-in fails: one line at `warn` or `error` per failure, with
//! its cause, in the request's span (its id and path), and no token, code or personal data;
//! as JSON with `LOG_FORMAT=json`, and filtered by `RUST_LOG`.

use std::time::Duration;

use govuk_one_login_conformance::Browser;
use govuk_one_login_conformance::process::{DemoKind, DemoProcess, env_for, free_port};
use govuk_one_login_mock::{Fault, MockProvider, TestUser};
use serde_json::Value;

/// Starts `kind` against `mock` with `extra` variables, and signs in through `/account`.
async fn failed_sign_in(mock: &MockProvider, kind: DemoKind, extra: &[(&str, &str)]) -> (DemoProcess, u16) {
    let listen = free_port();
    let base = format!("http://{listen}");
    let mut env = env_for(mock, &base);
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let demo = tokio::task::block_in_place(|| DemoProcess::spawn(kind, listen, &env));
    let page = Browser::new(&base).visit(&format!("{base}/account")).await;
    // The reader threads take in what the process wrote.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (demo, page.status)
}

/// What no log line may hold: a JWT, the test user's `sub`, email or phone number, the
/// callback's query.
fn assert_nothing_secret(output: &str) {
    let user = TestUser::default();
    for secret in ["eyJ", &user.sub, &user.email, user.phone_number.as_deref().unwrap_or("+44"), "code=", "state="] {
        assert!(!output.contains(secret), "the log holds `{secret}`:\n{output}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sign_in_is_logged_once_as_json_with_its_cause_and_request_id() {
    let mock = MockProvider::start().await;
    mock.set_fault(Fault::IdTokenWrongIssuer);
    for kind in [DemoKind::Axum, DemoKind::Actix] {
        let (demo, status) = failed_sign_in(&mock, kind, &[("LOG_FORMAT", "json")]).await;
        assert_eq!(status, 502, "{}", kind.binary_name());
        let output = demo.output();
        // stdout's start-up lines are plain text; every line on stderr is one JSON object.
        let lines: Vec<Value> = output.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        assert!(lines.iter().any(|l| l["fields"]["message"] == "session store"), "{output}");
        // The preflight doctor's start-up findings (plain http on loopback is a warning) are
        // not the failure's.
        let loud: Vec<&Value> = lines
            .iter()
            .filter(|l| l["target"] != "govuk_one_login::doctor")
            .filter(|l| l["level"] == "WARN" || l["level"] == "ERROR")
            .collect();
        assert!(lines.iter().any(|l| l["target"] == "govuk_one_login::doctor"), "the preflight ran: {output}");
        assert_eq!(loud.len(), 1, "{}: one line for one failure:\n{output}", kind.binary_name());
        let line = loud[0];
        assert_eq!(line["fields"]["message"], "sign-in callback refused", "{line}");
        let cause = line["fields"]["error"].as_str().unwrap_or_default();
        assert!(cause.contains("ID token") && cause.contains("iss"), "the typed cause: {line}");
        // The request's span is the outermost of those the line was written in.
        let request = &line["spans"][0];
        assert_eq!(request["path"], "/auth/callback", "{line}");
        let request_id = request["request_id"].as_str().unwrap_or_default();
        assert_eq!(request_id.len(), 36, "a request id: {line}");
        assert_nothing_secret(&output);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_logs_name_the_unreachable_endpoint_and_rust_log_filters_them() {
    let mock = MockProvider::start().await;
    mock.set_down("/userinfo", true);
    for kind in [DemoKind::Axum, DemoKind::Actix] {
        let (demo, status) = failed_sign_in(&mock, kind, &[]).await;
        assert_eq!(status, 503, "{}", kind.binary_name());
        let output = demo.output();
        let loud: Vec<&str> = output
            .lines()
            .filter(|l| !l.contains("preflight:"))
            .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
            .collect();
        assert_eq!(loud.len(), 1, "{}: one line for one failure:\n{output}", kind.binary_name());
        assert!(loud[0].contains("userinfo") && loud[0].contains("503"), "{}", loud[0]);
        assert!(loud[0].contains("request_id="), "{}", loud[0]);
        assert_nothing_secret(&output);

        // RUST_LOG turns the library's warnings off, and leaves the start-up line of the
        // session store (`info`) out too.
        let (quiet, _) = failed_sign_in(&mock, kind, &[("RUST_LOG", "error")]).await;
        let output = quiet.output();
        assert!(!output.contains(" WARN ") && !output.contains("session store"), "{output}");
    }
}

//! `govuk-one-login doctor` as a process, against the stand-in: a good configuration exits 0,
//! a misconfiguration exits 1 naming its cause and fix, a refused configuration exits 3 and a
//! bad command line 2.

use std::process::{Command, Output};

use govuk_one_login_mock::{CLIENT_ID, MockProvider};

const CALLBACK: &str = "http://127.0.0.1:3000/auth/callback";

fn doctor(env: &[(&str, String)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_govuk-one-login"));
    command.arg("doctor").args(args);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("ONE_LOGIN_") || k == "REDIS_URL") {
        command.env_remove(k);
    }
    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    command.output().expect("run govuk-one-login doctor")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn env_for(issuer: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ONE_LOGIN_ISSUER", issuer.to_owned()),
        ("ONE_LOGIN_CLIENT_ID", CLIENT_ID.to_owned()),
        ("ONE_LOGIN_REDIRECT_URI", CALLBACK.to_owned()),
        ("ONE_LOGIN_PRIVATE_KEY", govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM.to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_configuration_exits_0_and_says_what_it_checked() {
    let mock = MockProvider::start().await;
    let out = doctor(&env_for(mock.issuer()), &["--service-url", "http://127.0.0.1:3000/"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for line in ["[ok] discovery", "[ok] algorithms", "[ok] provider keys", "[ok] DID document", "[ok] clock"] {
        assert!(said.contains(line), "{line}: {said}");
    }
    assert!(said.contains("[warning] redirect URI"), "{said}");
    assert!(said.contains("no errors, 1 warning(s)"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_issuer_exits_1_with_its_cause_and_fix() {
    let mock = MockProvider::start().await;
    let wrong = mock.issuer().trim_end_matches('/').to_owned();
    let out = doctor(&env_for(&wrong), &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("[error] discovery"), "{said}");
    assert!(said.contains("IssuerMismatch"), "{said}");
    assert!(said.contains("trailing / included"), "the fix: {said}");
    assert!(said.contains("1 error(s)"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_output_lists_each_finding() {
    let mock = MockProvider::start().await;
    let out = doctor(&env_for(mock.issuer()), &["--json", "--service-url", "http://localhost:3000/"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["ok"], false);
    let other_origin = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"] == "RedirectUriOtherOrigin")
        .expect("the origin finding");
    assert_eq!(other_origin["severity"], "error");
    assert!(other_origin["fix"].as_str().unwrap().contains("localhost and 127.0.0.1"));
}

#[test]
fn a_refused_configuration_exits_3_naming_the_variable() {
    let out = doctor(&[("ONE_LOGIN_ISSUER", "http://127.0.0.1:9/".into())], &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("ONE_LOGIN_"), "{said}");
}

#[test]
fn a_key_file_that_cannot_be_read_exits_3_naming_the_file() {
    let mut env = env_for("http://127.0.0.1:9/");
    env.retain(|(k, _)| *k != "ONE_LOGIN_PRIVATE_KEY");
    env.push(("ONE_LOGIN_PRIVATE_KEY_FILE", "/nonexistent/one-login-key.pem".into()));
    let out = doctor(&env, &[]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("/nonexistent/one-login-key.pem"), "{said}");
}

#[test]
fn a_bad_command_line_exits_2() {
    let out = doctor(&[], &["--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

//! "Local development in your own app": the stand-in run as its own process prints the
//! `ONE_LOGIN_*` lines, and a service binary started with just those (here each demo, as an
//! operator would start any service) signs in against it with no code change.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use govuk_one_login_conformance::Browser;
use govuk_one_login_conformance::process::{DemoKind, DemoProcess, free_port, mock_binary};

/// A stand-in process, killed when dropped.
struct StandIn(Child);

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the stand-in's binary with `args`, and reads the variables it prints up to `# ready`.
fn stand_in(args: &[&str]) -> (StandIn, Vec<(String, String)>) {
    let mut child = Command::new(mock_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the stand-in");
    let stdout = child.stdout.take().expect("stdout");
    let child = StandIn(child);
    let mut vars = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if line == "# ready" {
            return (child, vars);
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("not a variable: {line}"));
        vars.push((key.to_owned(), value.to_owned()));
    }
    panic!("the stand-in stopped before it was ready: {vars:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_started_with_the_printed_variables_signs_in_with_no_code_change() {
    for kind in [DemoKind::Axum, DemoKind::Actix] {
        let listen = free_port();
        let callback = format!("http://{listen}/auth/callback");
        let signed_out = format!("http://{listen}/signed-out");
        let args = ["--port", "0", "--auto-approve", "--redirect-uri", &callback];
        let (_stand_in, vars) = tokio::task::block_in_place(|| {
            stand_in(&[&args[..], &["--post-logout-redirect-uri", &signed_out]].concat())
        });
        let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "ONE_LOGIN_ISSUER",
                "ONE_LOGIN_CLIENT_ID",
                "ONE_LOGIN_PRIVATE_KEY_FILE",
                "ONE_LOGIN_REDIRECT_URI",
                "ONE_LOGIN_POST_LOGOUT_REDIRECT_URI"
            ]
        );
        let key_file = &vars[2].1;
        assert!(std::fs::read_to_string(key_file).is_ok_and(|k| k.contains("PRIVATE KEY")), "{key_file}");
        let demo = tokio::task::block_in_place(|| DemoProcess::spawn(kind, listen, &vars));
        let mut browser = Browser::new(&demo.base());
        let account = browser.visit(&format!("{}/account", demo.base())).await;
        assert_eq!(account.status, 200, "{}: {}", kind.binary_name(), account.body);
        let identity = browser.visit(&format!("{}/identity", demo.base())).await;
        assert_eq!(identity.status, 200, "{}: the P2 step-up: {}", kind.binary_name(), identity.body);
        assert!(identity.body.contains("Kenneth"), "{}", identity.body);
    }
}

#[test]
fn a_bad_command_line_exits_2_and_says_why() {
    for (args, says) in [
        (&["--port", "0"][..], "--redirect-uri"),
        (&["--port", "0", "--redirect-uri", "not a url"][..], "is not a URL"),
        (&["--port", "many", "--redirect-uri", "http://127.0.0.1:1/cb"][..], "--port"),
    ] {
        let out = Command::new(mock_binary()).args(args).stdin(Stdio::null()).output().expect("run the stand-in");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "no variables printed: {args:?}");
    }
}

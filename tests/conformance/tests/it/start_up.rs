//! A demo configured through `ONE_LOGIN_*` checks One Login before it listens: an issuer that
//! the discovery document does not name stops it at start-up, with both issuers in what it
//! prints, rather than showing the first user an error page.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use govuk_one_login_conformance::process::{DemoKind, demo_binary, free_port};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

/// How long a demo may take to give up.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_issuer_stops_each_demo_at_start_up_and_names_both_issuers() {
    let mock = MockProvider::start().await;
    // The trailing `/` left off: discovery still answers, and names `http://127.0.0.1:<port>/`.
    let configured = mock.issuer().trim_end_matches('/').to_owned();
    for kind in [DemoKind::Axum, DemoKind::Actix] {
        let listen = free_port();
        let mut child = Command::new(demo_binary(kind))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LISTEN_ADDR", listen.to_string())
            .env("ONE_LOGIN_ISSUER", &configured)
            .env("ONE_LOGIN_CLIENT_ID", CLIENT_ID)
            .env("ONE_LOGIN_PRIVATE_KEY", keys::RP_PRIVATE_KEY_PEM)
            .env("ONE_LOGIN_REDIRECT_URI", format!("http://{listen}/auth/callback"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + EXIT_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::net::TcpStream::connect_timeout(&listen, Duration::from_millis(50)).is_err(),
                "{} listened with an issuer discovery does not name",
                kind.binary_name()
            );
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{} did not stop within {} s", kind.binary_name(), EXIT_TIMEOUT.as_secs());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        };
        let output = child.wait_with_output().unwrap();
        let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        assert!(!status.success(), "{}: {printed}", kind.binary_name());
        assert!(printed.contains("does not answer as configured"), "{}: {printed}", kind.binary_name());
        assert!(printed.contains(&format!("`{}`", mock.issuer())), "the discovered issuer: {printed}");
        assert!(printed.contains(&format!("`{configured}`")), "the configured issuer: {printed}");
    }
}

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

mod keys {
    use std::process::{Command, Output};

    use govuk_one_login::{CallbackParams, Config, Environment, LoginRequest, OneLogin, Requirement, ReturnPath};
    use govuk_one_login_mock::{CLIENT_ID, MockProvider};

    fn run(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_govuk-one-login")).args(args).output().expect("run govuk-one-login")
    }

    fn said(out: &Output) -> String {
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    }

    fn dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("govuk-one-login-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keygen_writes_a_private_key_only_its_owner_reads_and_one_login_accepts_it() {
        let dir = dir("keygen");
        let key = dir.join("key.pem");
        let out = run(&["keygen", "--out", key.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        let pem = std::fs::read_to_string(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8: {}", &pem[..40]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let public = std::fs::read_to_string(dir.join("key.public.pem")).unwrap();
        assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
        let set: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("key.jwks.json")).unwrap()).unwrap();
        let kid = set["keys"][0]["kid"].as_str().unwrap().to_owned();
        assert_eq!(kid.len(), 43, "a SHA-256 thumbprint, base64url");
        assert!(said(&out).contains(&kid));
        assert!(set["keys"][0].get("d").is_none(), "no private member in the JWKS");

        // The library signs with it, and a provider that has its public key accepts it.
        let mock = MockProvider::start().await;
        mock.register_redirect_uri("http://127.0.0.1:9/auth/callback");
        mock.register_client_key_pem(&pem);
        let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
            .client_id(CLIENT_ID)
            .redirect_uri("http://127.0.0.1:9/auth/callback")
            .key_id(kid)
            .signing_key_pem(&pem)
            .unwrap()
            .build()
            .unwrap();
        let ol = OneLogin::new(config).unwrap();
        let start = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
        let back = url::Url::parse(&mock.sign_in(start.url.as_str()).await).unwrap();
        let params = CallbackParams::from_query(back.query().unwrap_or_default());
        ol.complete_login(params, Some(&start.flow_cookie), None).await.expect("signed in with the new key");

        // Never over an existing key: the file is left as it was.
        let again = run(&["keygen", "--out", key.to_str().unwrap()]);
        assert_eq!(again.status.code(), Some(4), "{}", said(&again));
        assert!(said(&again).contains("key.pem") && said(&again).contains("never overwritten"), "{}", said(&again));
        assert_eq!(std::fs::read_to_string(&key).unwrap(), pem);
        assert_eq!(run(&["keygen", "--out", key.to_str().unwrap(), "--bits", "1024"]).status.code(), Some(2));
    }

    #[test]
    fn jwks_lists_the_current_and_next_keys_under_their_thumbprints() {
        let dir = dir("jwks");
        for name in ["current", "next"] {
            let out = run(&["keygen", "--out", dir.join(format!("{name}.pem")).to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        }
        let (current, next) = (dir.join("current.pem"), dir.join("next.pem"));
        let out = run(&["jwks", current.to_str().unwrap(), next.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        let set: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let kid = |file: &str| -> String {
            let written: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
            written["keys"][0]["kid"].as_str().unwrap().to_owned()
        };
        assert_eq!(set["keys"][0]["kid"], kid("current.jwks.json"));
        assert_eq!(set["keys"][1]["kid"], kid("next.jwks.json"));
        assert_ne!(set["keys"][0]["kid"], set["keys"][1]["kid"]);

        let not_a_key = dir.join("current.public.pem");
        let out = run(&["jwks", not_a_key.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(4));
        assert!(
            said(&out).contains("current.public.pem") && said(&out).contains("not an RSA private key"),
            "{}",
            said(&out)
        );
        let out = run(&["jwks", dir.join("missing.pem").to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(4));
        assert!(said(&out).contains("missing.pem"), "{}", said(&out));
    }

    #[test]
    fn a_closed_output_ends_with_exit_code_5_not_a_panic() {
        let dir = dir("closed-output");
        let key = dir.join("key.pem");
        assert_eq!(run(&["keygen", "--out", key.to_str().unwrap()]).status.code(), Some(0));
        for args in [vec!["jwks", key.to_str().unwrap()], vec!["register", "--base-url", "https://service.example"]] {
            // Standard output is a pipe whose reading end is already closed, as under `| head`
            // once it has read enough: every write fails with EPIPE.
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let out = Command::new(env!("CARGO_BIN_EXE_govuk-one-login"))
                .args(&args)
                .stdout(writer)
                .stderr(std::process::Stdio::piped())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(5), "{args:?}: {stderr}");
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        }
    }

    #[test]
    fn register_derives_the_values_from_the_mounted_routes() {
        let dir = dir("register");
        let key = dir.join("key.pem");
        assert_eq!(run(&["keygen", "--out", key.to_str().unwrap()]).status.code(), Some(0));
        let out = run(&[
            "register",
            "--base-url",
            "https://service.example",
            "--key",
            key.to_str().unwrap(),
            "--level",
            "Cl.Cm",
            "--level",
            "Cl.Cm.P2",
            "--claim",
            "coreIdentityJWT",
            "--claim",
            "address",
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", said(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["redirect_uris"], serde_json::json!(["https://service.example/auth/callback"]));
        assert_eq!(v["post_logout_redirect_uris"], serde_json::json!(["https://service.example/signed-out"]));
        assert_eq!(v["back_channel_logout_uri"], "https://service.example/auth/backchannel-logout");
        assert_eq!(v["token_endpoint_auth_method"], "private_key_jwt");
        assert_eq!(v["levels_of_confidence_and_authentication"], serde_json::json!(["Cl.Cm", "Cl.Cm.P2"]));
        assert_eq!(
            v["claims"],
            serde_json::json!([
                "https://vocab.account.gov.uk/v1/coreIdentityJWT",
                "https://vocab.account.gov.uk/v1/address"
            ])
        );
        assert_eq!(v["public_key"]["type"], "static");
        assert_eq!(v["environment_variables"]["ONE_LOGIN_IDENTITY_CLAIMS"], "coreIdentityJWT address");

        let text = run(&["register", "--base-url", "https://service.example", "--jwks-path", "/.well-known/jwks.json"]);
        let text = said(&text);
        assert!(text.contains("Redirect URIs: https://service.example/auth/callback"), "{text}");
        assert!(text.contains("Public key: JWKS URL https://service.example/.well-known/jwks.json"), "{text}");
        assert!(text.contains("Identity claims: (none: no identity level)"), "{text}");

        for bad in [
            vec!["register", "--base-url", "http://service.example"],
            vec!["register", "--base-url", "https://service.example", "--level", "Cl.P2"],
            vec!["register", "--base-url", "https://service.example", "--claim", "shoeSize"],
        ] {
            let out = run(&bad);
            assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", said(&out));
        }
    }
}

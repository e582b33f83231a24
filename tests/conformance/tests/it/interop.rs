//! The library against a provider nobody here wrote: `oidc-provider`, the OpenID Certified
//! Node.js provider, set up the way One Login is by `tests/interop/provider.js` (see
//! `docs/interop.md`). Each demo binary, configured only by `ONE_LOGIN_*` variables, signs in
//! at `Cl.Cm`, signs out through the end-session endpoint, asks for an identity (the `claims`
//! request inside the request object, in the standard form this provider reads), and has its
//! session ended by a back-channel logout when the user signs out at the provider.
//!
//! It fails, never skips, without `node` or without `tests/interop/node_modules`
//! (`./scripts/test` runs `npm ci` there).

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use govuk_one_login_conformance::process::{DemoKind, DemoProcess, free_port};
use govuk_one_login_conformance::{Browser, Page};
use serde_json::{Value, json};

/// The fixed test account `provider.js` signs in.
const SUB: &str = "urn:fdc:gov.uk:2022:interop-test-user";
const EMAIL: &str = "interop@example.com";
const CORE_IDENTITY: &str = "https://vocab.account.gov.uk/v1/coreIdentityJWT";

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

/// The `oidc-provider` version `tests/interop/package-lock.json` pins, after checking that the
/// same version is installed.
fn pinned_provider_version() -> String {
    let dir = interop_dir();
    let read = |path: PathBuf| -> Value {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}. The interop test needs oidc-provider installed: \
                 run ./scripts/test, or `npm ci` in tests/interop",
                path.display()
            )
        });
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let lock = read(dir.join("package-lock.json"));
    let wanted = lock["packages"]["node_modules/oidc-provider"]["version"].as_str().expect("a pinned version");
    let installed = read(dir.join("node_modules/oidc-provider/package.json"));
    assert_eq!(
        installed["version"].as_str(),
        Some(wanted),
        "tests/interop/node_modules holds another oidc-provider than package-lock.json pins: run `npm ci` there"
    );
    wanted.to_owned()
}

/// The `node provider.js` process, killed when dropped.
struct Provider {
    child: Child,
    issuer: String,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Provider {
    /// Starts the provider with a client for each `(client id, demo base URL)`, and waits for it
    /// to print its issuer and `# ready`.
    fn start(clients: &[(&str, &str)]) -> Provider {
        let clients: Vec<Value> = clients
            .iter()
            .map(|(id, base)| {
                json!({
                    "client_id": id,
                    "redirect_uri": format!("{base}/auth/callback"),
                    "post_logout_redirect_uri": format!("{base}/signed-out"),
                    "backchannel_logout_uri": format!("{base}/auth/backchannel-logout"),
                    "jwks_uri": format!("{base}/.well-known/jwks.json"),
                })
            })
            .collect();
        let mut child = Command::new("node")
            .arg("provider.js")
            .current_dir(interop_dir())
            .env("INTEROP_CLIENTS", Value::Array(clients).to_string())
            .env("NODE_ENV", "test")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start `node provider.js` (is Node.js installed?): {e}"));
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let collected = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n) = pipe.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                collected.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push_str(&text);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let mut provider = Provider { child, issuer: String::new(), stderr, http: reqwest::Client::new() };
        let mut lines = BufReader::new(stdout).lines();
        while let Some(line) = lines.next() {
            let line = line.expect("a line from provider.js");
            if line == "# ready" {
                assert!(provider.issuer.starts_with("http://127.0.0.1:"), "{}", provider.issuer);
                // What it prints later goes with its stderr: a closed pipe would end it.
                let collected = Arc::clone(&provider.stderr);
                std::thread::spawn(move || {
                    for line in lines.map_while(Result::ok) {
                        let mut out = collected.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        out.push_str(&line);
                        out.push('\n');
                    }
                });
                return provider;
            }
            if let Some(issuer) = line.strip_prefix("ONE_LOGIN_ISSUER=") {
                issuer.clone_into(&mut provider.issuer);
            }
        }
        let _ = provider.child.wait();
        panic!("provider.js stopped before it was ready:\n{}", provider.stderr());
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// One of the provider's own records (`/interop/authorizations`, `/interop/logouts`).
    async fn records(&self, which: &str) -> Vec<Value> {
        let url = format!("{}/interop/{which}", self.issuer);
        let response = self.http.get(&url).send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
        response.json().await.unwrap_or_else(|e| panic!("{url}: {e}"))
    }
}

impl Drop for Provider {
    /// Kills the process; when the test is failing, shows what it printed to stderr.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("provider.js stderr:\n{}", self.stderr());
        }
    }
}

/// The `ONE_LOGIN_*` variables pointing a demo at `base` at the provider, as an operator would.
fn demo_env(provider: &Provider, client_id: &str, base: &str) -> Vec<(String, String)> {
    [
        ("ONE_LOGIN_ISSUER", provider.issuer.as_str()),
        ("ONE_LOGIN_CLIENT_ID", client_id),
        ("ONE_LOGIN_PRIVATE_KEY", govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM),
        // The provider fetches our key from the demo's JWKS route, and picks it by `kid`.
        ("ONE_LOGIN_PRIVATE_KEY_ID", "interop-rp-key"),
        ("ONE_LOGIN_JWKS_PATH", "/.well-known/jwks.json"),
        ("ONE_LOGIN_REDIRECT_URI", &format!("{base}/auth/callback")),
        ("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", &format!("{base}/signed-out")),
        // `claims` as a JSON object, `vtr` as JSON text, the issuer as `aud` (docs/interop.md).
        ("ONE_LOGIN_REQUEST_OBJECT_FORM", "standard"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// The value of the hidden field `name` in the page's form.
fn hidden_field(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&marker).unwrap_or_else(|| panic!("no {name} field on {}:\n{}", page.url, page.body));
    page.body[start + marker.len()..].split('"').next().unwrap_or_default().to_owned()
}

/// Confirms the provider's sign-out page as a browser would: its form, with `logout=yes`.
async fn confirm_sign_out(b: &mut Browser, provider: &Provider, page: &Page) -> Page {
    assert_eq!(page.status, 200, "the provider's sign-out page: {}", page.body);
    assert!(page.url.starts_with(&format!("{}/session/end", provider.issuer)), "{}", page.url);
    let xsrf = hidden_field(page, "xsrf");
    let confirmed =
        b.post_form(&format!("{}/session/end/confirm", provider.issuer), &[("xsrf", &xsrf), ("logout", "yes")]).await;
    b.follow(confirmed).await
}

/// Signs in at `Cl.Cm` through `/account`, with the provider's own session kept in `b`.
async fn sign_in(b: &mut Browser, demo: &DemoProcess, provider: &Provider, name: &str) -> Page {
    let first = b.get(&format!("{}/account", demo.base())).await;
    assert_eq!(first.status, 302, "{name}: a page request without a session is sent to the provider");
    let location = first.location.clone().unwrap_or_default();
    assert!(location.starts_with(&format!("{}/auth?", provider.issuer)), "{name}: {location}");
    let account = b.follow(first).await;
    assert_eq!(
        (account.status, account.path()),
        (200, "/account".to_owned()),
        "{name}: {}\n{}\n{}",
        account.body,
        demo.output(),
        provider.stderr()
    );
    assert!(account.body.contains(EMAIL), "{name}: userinfo's email: {}", account.body);
    assert!(account.body.contains(SUB), "{name}: {}", account.body);
    assert!(account.body.contains("Cl.Cm"), "{name}: the ID token's vot: {}", account.body);
    account
}

async fn json_status(b: &mut Browser, url: &str) -> u16 {
    b.accept = Some("application/json".into());
    let status = b.get(url).await.status;
    b.accept = None;
    status
}

/// Waits up to 5 s for the provider to record a back-channel logout to `client_id`.
async fn delivered_logout(provider: &Provider, client_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let logouts = provider.records("logouts").await;
        if let Some(found) = logouts.into_iter().find(|l| l["client_id"] == client_id) {
            return found;
        }
        assert!(Instant::now() < deadline, "no back-channel logout to {client_id}:\n{}", provider.stderr());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_demo_signs_in_and_out_against_oidc_provider() {
    let version = pinned_provider_version();
    let started = Instant::now();
    // reqwest is built without a TLS provider of its own (see Cargo.toml); nothing here speaks
    // TLS, but building a client needs one, and no engine in this process installed it.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let demos = [(DemoKind::Axum, "interop-axum-demo"), (DemoKind::Actix, "interop-actix-demo")];
    let listens: Vec<_> = demos.iter().map(|_| free_port()).collect();
    let bases: Vec<String> = listens.iter().map(|l| format!("http://{l}")).collect();
    let clients: Vec<(&str, &str)> = demos.iter().zip(&bases).map(|((_, id), base)| (*id, base.as_str())).collect();
    let provider = tokio::task::block_in_place(|| Provider::start(&clients));

    for ((kind, client_id), listen) in demos.into_iter().zip(listens) {
        let name = format!("{} against oidc-provider {version}", kind.binary_name());
        let env = demo_env(&provider, client_id, &format!("http://{listen}"));
        let demo = tokio::task::block_in_place(|| DemoProcess::spawn(kind, listen, &env));
        let base = demo.base();

        // Sign in at Cl.Cm, then sign out through the provider's end-session endpoint.
        let mut b = Browser::new(&base);
        b.keep_other_sites_cookies();
        let account = sign_in(&mut b, &demo, &provider, &name).await;
        let csrf = hidden_field(&account, "csrf_token");
        let out = b.post_form(&format!("{base}/auth/logout"), &[("csrf_token", &csrf)]).await;
        let location = out.location.clone().unwrap_or_default();
        assert!(location.starts_with(&format!("{}/session/end?", provider.issuer)), "{name}: {location}");
        assert!(location.contains("id_token_hint="), "{name}: {location}");
        let page = b.follow(out).await;
        let signed_out = confirm_sign_out(&mut b, &provider, &page).await;
        assert_eq!((signed_out.status, signed_out.path()), (200, "/signed-out".to_owned()), "{name}");
        assert_eq!(json_status(&mut b, &format!("{base}/account")).await, 401, "{name}: signed out");

        // An identity sign-in: the provider reads the `claims` request inside the request
        // object, and the user comes back without an identity (it proves none).
        let _ = sign_in(&mut b, &demo, &provider, &name).await;
        let identity = b.visit(&format!("{base}/identity")).await;
        assert!(
            identity.url.starts_with(&base),
            "{name}: back at the demo, not stopped at the provider: {} {}",
            identity.url,
            identity.body
        );
        assert_ne!(identity.status, 500, "{name}: {}", identity.body);
        let asked = provider.records("authorizations").await;
        let last = asked.iter().rev().find(|a| a["client_id"] == client_id).expect("an authorization");
        assert_eq!(last["vtr"], r#"["Cl.Cm.P2"]"#, "{name}: the provider read the vtr");
        assert_eq!(
            last["claims"]["userinfo"].get(CORE_IDENTITY),
            Some(&Value::Null),
            "{name}: the provider read the claims request: {last}"
        );

        // Signing out at the provider, not at the demo, ends the demo's session through a
        // back-channel logout.
        let mut c = Browser::new(&base);
        c.keep_other_sites_cookies();
        let _ = sign_in(&mut c, &demo, &provider, &name).await;
        assert_eq!(json_status(&mut c, &format!("{base}/account")).await, 200, "{name}");
        let page = c.visit(&format!("{}/session/end", provider.issuer)).await;
        let done = confirm_sign_out(&mut c, &provider, &page).await;
        assert_eq!(done.status, 200, "{name}: the provider's signed-out page");
        let logout = delivered_logout(&provider, client_id).await;
        assert_eq!(logout["ok"], true, "{name}: the demo accepted the logout token: {logout}\n{}", demo.output());
        assert_eq!(logout["sub"], SUB, "{name}");
        assert_eq!(json_status(&mut c, &format!("{base}/account")).await, 401, "{name}: the session is gone");
    }
    println!("interop: both demos against oidc-provider {version} in {:.1} s", started.elapsed().as_secs_f64());
}

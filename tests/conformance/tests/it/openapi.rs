//! The OpenAPI document each demo serves at `/openapi.json`: every route the library mounts is
//! in it, everything in it is mounted, each at the path the configuration gives, and
//! schemathesis (installed by `./scripts/test`) finds no 5xx answer and none that breaks it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use govuk_one_login_conformance::{ActixAdapter, Adapter, AxumAdapter, Env};
use serde_json::Value;

/// Every optional route on, and two routes moved from their default paths.
async fn start(adapter: &dyn Adapter) -> Env {
    Env::start_with_events_and(adapter, |b, _| {
        b.publish_jwks_at("/.well-known/jwks.json").login_path("/sign-in").sign_out_everywhere_path("/sign-out/all")
    })
    .await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn document(env: &Env) -> Value {
    let response = client().get(env.url("/openapi.json")).send().await.expect("GET /openapi.json");
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    response.json().await.expect("the document is JSON")
}

const METHODS: [&str; 6] = ["get", "post", "put", "delete", "patch", "options"];

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.keys().filter(|m| METHODS.contains(&m.as_str())).map(|m| (m.to_uppercase(), path.clone()))
        })
        .collect()
}

async fn mounted_and_documented_agree(adapter: &dyn Adapter) {
    let env = start(adapter).await;
    let document = document(&env).await;
    assert_eq!(document["openapi"], "3.1.0");

    // The routes this configuration mounts, read from the configuration itself (not from the
    // library's list, which the document is built from), and the demo's own two.
    let config = env.one_login.config();
    let routes = config.routes();
    let events = config.security_events().expect("events on");
    let expected: BTreeSet<(String, String)> = [
        ("GET", "/sign-in"),
        ("GET", config.callback_path()),
        ("POST", routes.logout.as_str()),
        ("POST", "/sign-out/all"),
        ("POST", routes.backchannel_logout.as_str()),
        ("GET", "/.well-known/jwks.json"),
        ("POST", events.receiver_path()),
        ("POST", events.token_path()),
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(operations(&document), expected, "{}: documented operations", adapter.name());

    let client = client();
    for (method, path) in &expected {
        // Mounted: an empty request gets the route's own answer, never 404 or 405.
        let answer = client.request(method.parse().expect("method"), env.url(path)).send().await.expect("request");
        let status = answer.status().as_u16();
        assert!(status != 404 && status != 405, "{}: {method} {path} answered {status}", adapter.name());
        // And nothing else on that path: every other method is 405.
        for other in METHODS.iter().map(|m| m.to_uppercase()).filter(|m| m != method) {
            let answer = client.request(other.parse().expect("method"), env.url(path)).send().await.expect("request");
            assert_eq!(answer.status(), 405, "{}: {other} {path}", adapter.name());
        }
    }
    // The routes moved by the configuration are not at their default paths any more.
    for path in ["/auth/login", "/auth/sign-out-everywhere"] {
        let answer = client.request(http_method(path), env.url(path)).send().await.expect("request");
        assert_eq!(answer.status(), 404, "{}: {path} is still mounted", adapter.name());
    }

    // Every answer with a body says what it holds: a page, JSON or text, with a schema.
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let response = resolve(&document, response);
                assert!(response["description"].is_string(), "{method} {path} {status}: no description");
                if let Some(content) = response["content"].as_object() {
                    for (media, body) in content {
                        assert!(body["schema"].is_object(), "{method} {path} {status} {media}: no schema");
                    }
                }
            }
        }
    }
}

fn http_method(path: &str) -> reqwest::Method {
    if path.contains("login") { reqwest::Method::GET } else { reqwest::Method::POST }
}

/// A response, or the component response its `$ref` names.
fn resolve<'a>(document: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/responses/")) {
        Some(name) => &document["components"]["responses"][name],
        None => response,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_mounts_what_it_documents() {
    mounted_and_documented_agree(&AxumAdapter).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actix_mounts_what_it_documents() {
    mounted_and_documented_agree(&ActixAdapter).await;
}

/// The directory of schemathesis's configuration and hooks.
fn settings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi")
}

/// The schemathesis command `./scripts/test` installed (`GOVUK_ONE_LOGIN_SCHEMATHESIS`).
fn schemathesis() -> PathBuf {
    let path = std::env::var_os("GOVUK_ONE_LOGIN_SCHEMATHESIS").map_or_else(
        || {
            panic!(
                "GOVUK_ONE_LOGIN_SCHEMATHESIS is not set: run the tests with ./scripts/test, which installs \
                 schemathesis (pinned by tests/openapi/requirements.txt) and sets it"
            )
        },
        PathBuf::from,
    );
    assert!(path.is_file(), "{} (GOVUK_ONE_LOGIN_SCHEMATHESIS) is not a file: run ./scripts/test", path.display());
    path
}

async fn schemathesis_finds_nothing(adapter: &dyn Adapter) {
    let program = schemathesis();
    let env = start(adapter).await;
    // Schemathesis tests every operation but the document's own.
    let operations = operations(&document(&env).await).len() - 1;
    let url = env.url("/openapi.json");
    // Its database of examples and its reports stay out of the source tree.
    let work =
        std::env::temp_dir().join(format!("govuk-one-login-schemathesis-{}-{}", adapter.name(), std::process::id()));
    std::fs::create_dir_all(&work).expect("a working directory");
    let settings = settings_dir();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(program)
            .arg("--config-file")
            .arg(settings.join("schemathesis.toml"))
            .arg("--no-color")
            .args([
                "run",
                &url,
                "--max-examples",
                "100",
                "--seed",
                "20261208",
                "--max-redirects",
                "0",
                "--workers",
                "1",
            ])
            .args(["--request-timeout", "10"])
            .env("SCHEMATHESIS_HOOKS", "hooks")
            .env("PYTHONPATH", &settings)
            .current_dir(&work)
            .output()
    })
    .await
    .expect("schemathesis ran")
    .expect("schemathesis started");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}: schemathesis failed ({}):\n{stdout}\n{}",
        adapter.name(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // It tested every operation (none was skipped for want of a serializer).
    let tested = format!("Tested: {operations}\n");
    assert!(stdout.contains(&tested), "{}: not every operation was tested:\n{stdout}", adapter.name());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_on_axum() {
    schemathesis_finds_nothing(&AxumAdapter).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_on_actix() {
    schemathesis_finds_nothing(&ActixAdapter).await;
}

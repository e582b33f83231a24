//! Cost of loading the session a guarded request carries (`session_context`: one cookie parse
//! and one store lookup), after one genuine P2 sign-in through the local stand-in, for the
//! default in-memory store and, when `REDIS_URL` is set, for the Redis store with its local
//! cache warm. Prints nanoseconds per request, median of 5 rounds.
//!
//! `cargo run --release -p govuk-one-login --example session_load` (add `REDIS_URL=redis://…`)

use std::time::Instant;

use govuk_one_login::{CallbackParams, Config, Environment, LoginRequest, OneLogin, Requirement, ReturnPath};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockProvider::start().await;
    let redirect = "http://127.0.0.1:9/auth/callback";
    mock.register_redirect_uri(redirect);
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(redirect)
        .identity_claims(govuk_one_login::config::IdentityClaim::ALL)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
        .build()?;
    let mut engines = vec![("memory store", OneLogin::new(config.clone())?)];
    if let Ok(url) = std::env::var("REDIS_URL") {
        let settings = govuk_one_login::store::RedisSettings::new(url).prefix("session-load-example:");
        let store = govuk_one_login::store::RedisStore::connect(settings)?;
        store.wait_connected().await?;
        while !store.local_cache_trusted() {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        engines.push(("Redis store, local cache warm", OneLogin::builder(config).store(store).build()?));
    }
    for (name, engine) in engines {
        measure(name, &mock, &engine).await?;
    }
    Ok(())
}

/// One genuine sign-in through `mock` (kept running by the caller), then the timed loads.
async fn measure(name: &str, _mock: &MockProvider, engine: &OneLogin) -> Result<(), Box<dyn std::error::Error>> {
    let start = engine.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await?;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let back = client.get(start.url.as_str()).send().await?;
    let location = url::Url::parse(back.headers()["location"].to_str()?)?;
    let get = |k: &str| location.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    let params = CallbackParams { code: get("code"), state: get("state"), error: None, error_description: None };
    let outcome = engine.complete_login(params, Some(&start.flow_cookie), None).await?;
    let header = format!("one-login-session={}; other=1", outcome.session_id.to_cookie_value());
    let n = 200_000;
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..n {
            let ctx = engine.session_context(Some(&header)).await?;
            assert!(ctx.record.is_some());
        }
        rounds.push(t.elapsed().as_nanos() as f64 / n as f64);
    }
    rounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("session_context with a P2 session ({name}): {:.0} ns per request (median of 5)", rounds[2]);
    Ok(())
}

//! Cost of loading the session a guarded request carries (`session_context`: one cookie parse
//! and one store lookup), after one genuine P2 sign-in through the local stand-in, for the
//! default in-memory store and, when `REDIS_URL` is set, for the Redis store with its local
//! cache warm. Prints nanoseconds per request, median of 5 rounds.
//!
//! `cargo run --release -p govuk-one-login --example session_load` (add `REDIS_URL=redis://…`)

use std::time::Instant;

use govuk_one_login::OneLogin;
use govuk_one_login_mock::MockProvider;

mod support;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock = MockProvider::start().await;
    let config = support::config_for(&mock)?;
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
        measure(name, &engine).await?;
    }
    Ok(())
}

/// One genuine sign-in (the stand-in kept running by the caller), then the timed loads.
async fn measure(name: &str, engine: &OneLogin) -> Result<(), Box<dyn std::error::Error>> {
    let outcome = support::sign_in(engine).await?;
    let header = format!("one-login-session={}; other=1", outcome.session_id.to_cookie_value());
    let n = 200_000;
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..n {
            let ctx = engine.session_context(Some(&header)).await?;
            assert!(ctx.record().is_some());
        }
        rounds.push(t.elapsed().as_nanos() as f64 / f64::from(n));
    }
    rounds.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("session_context with a P2 session ({name}): {:.0} ns per request (median of 5)", rounds[2]);
    Ok(())
}

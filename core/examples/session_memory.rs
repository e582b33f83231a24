//! Resident memory per live session in the in-memory store: one genuine sign-in through the
//! local stand-in (with a verified P2 identity), decoded into N separate records and stored
//! under N ids; prints the RSS growth divided by N, and the size of one record as JSON (what
//! Redis holds).
//!
//! `cargo run --release -p govuk-one-login --example session_memory -- 100000`

use std::sync::Arc;

use govuk_one_login::store::{MemoryStore, MemoryStoreLimits, Store};
use govuk_one_login::{OneLogin, SessionId};
use govuk_one_login_mock::MockProvider;

mod support;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let mock = MockProvider::start().await;
    let config = support::config_for(&mock)?;
    let store = MemoryStore::with_limits(MemoryStoreLimits::default().sessions(n as u64 + 1));
    let engine = OneLogin::builder(config).store(store.clone()).build()?;
    let outcome = support::sign_in(&engine).await?;
    let json = serde_json::to_vec(&outcome.session)?;
    println!("one session record as JSON (what Redis holds): {} bytes", json.len());

    let now = engine.now();
    let before = rss_bytes();
    let template: serde_json::Value = serde_json::from_slice(&json)?;
    let subject = template["subject"].as_str().unwrap_or_default().to_owned();
    let text = template.to_string();
    for i in 0..n {
        // Each record decoded on its own, for its own user, as each real sign-in makes its own
        // (one user keeps at most 32 sessions).
        let own = text.replace(&subject, &format!("{subject}{i:08}"));
        let record: govuk_one_login::SessionRecord = serde_json::from_str(&own)?;
        let id = SessionId::parse(&random_id()).expect("id");
        store.create_session(&id, Arc::new(record), now + time::Duration::minutes(30), now).await?;
    }
    store.run_pending_tasks();
    let after = rss_bytes();
    println!(
        "{n} sessions in memory: RSS grew by {} KiB, {} bytes per session",
        (after - before) / 1024,
        (after - before) / n as u64
    );
    Ok(())
}

fn random_id() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("random");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

//! Resident memory per live session in the in-memory store: N genuine sign-ins of distinct
//! users through the local stand-in (each with a verified P2 identity and every identity
//! claim), each kept by the store under its own id; prints the RSS growth divided by N. Every
//! session comes from a real sign-in (records cannot be built any other way), so 100,000 take
//! some minutes.
//!
//! `cargo run --release -p govuk-one-login --example session_memory -- 100000`

use govuk_one_login::OneLogin;
use govuk_one_login::store::{MemoryStore, MemoryStoreLimits};
use govuk_one_login_mock::{MockProvider, TestUser};

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
    let user = TestUser::default();
    // One sign-in first, so that the documents, keys and connections are cached before the
    // measurement starts.
    support::sign_in(&engine).await?;

    let before = rss_bytes();
    for i in 0..n {
        // Each session for its own user, as each real sign-in makes its own (one user keeps at
        // most 32 sessions).
        mock.set_user(TestUser { sub: format!("{}{i:08}", user.sub), ..user.clone() });
        support::sign_in(&engine).await?;
    }
    store.run_pending_tasks();
    let after = rss_bytes();
    println!(
        "{n} sessions in memory ({} kept): RSS grew by {} KiB, {} bytes per session",
        store.session_count(),
        (after - before) / 1024,
        (after - before) / n as u64
    );
    Ok(())
}

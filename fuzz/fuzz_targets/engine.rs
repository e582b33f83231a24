//! The engine the targets that need one share: a fixed clock, the in-memory store, and the
//! local One Login stand-in when `provider` is given (only that target talks to it, on
//! loopback).

use govuk_one_login::clock::Clock;
use govuk_one_login::{Config, Environment, OneLogin};

/// 2027-01-15T08:00:00Z, the time every target's tokens are made for.
pub const NOW: i64 = 1_800_000_000;

/// A clock that always reads [`NOW`].
#[derive(Debug)]
pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(NOW).expect("a valid time")
    }
}

/// The callback URL the engine is configured with.
pub const CALLBACK: &str = "http://127.0.0.1:8080/auth/callback";

/// An engine for `issuer` on plain http loopback, with the stand-in's registered RP key.
pub fn engine(issuer: &str) -> OneLogin {
    let config = Config::builder(Environment::Custom { issuer: issuer.to_owned() })
        .client_id(govuk_one_login_mock::CLIENT_ID)
        .redirect_uri(CALLBACK)
        .signing_key_pem(govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM)
        .expect("the fixture key")
        .build()
        .expect("a valid configuration");
    OneLogin::builder(config).clock(FixedClock).build().expect("an engine")
}

/// A single-threaded runtime for the engine's async calls.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

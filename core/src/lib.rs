//! # govuk-one-login
//!
//! The framework-free core of a GOV.UK One Login relying party. A web service normally uses it
//! through an adapter, `govuk-one-login-tower` (tower and axum) or `govuk-one-login-actix`,
//! which re-export what it needs from here; this crate holds every protocol check, once.
//!
//! - **Configuration**: [`Config::from_env`] or [`Config::builder`], checked at start-up
//!   (see [`Config`] for every variable).
//! - **Levels**: what a route needs is a [`Requirement`] (a [`VectorOfTrust`] such as `Cl.Cm`
//!   or `Cl.Cm.P2`, and optionally a `max_age`).
//! - **The round trip**: signed request objects, PKCE, `private_key_jwt`, the ID token,
//!   userinfo and the `coreIdentityJWT` (verified against the DID document), in
//!   [`OneLogin::start_login`] and [`OneLogin::complete_login`].
//! - **Decisions**: [`OneLogin::decide`] says, without I/O, whether a request may go on, and
//!   if not, what to do ([`web::Decision`]); [`OneLogin::guard`] acts on it. The application
//!   chooses how pages look ([`web::Pages`]).
//! - **Sessions**: server-side, behind the [`store::Store`] contract (in memory, or Redis and
//!   Redis Cluster for many instances), with revocation by subject and back-channel logout.
//!   Handlers act through [`web::SessionHandle`] (sign-in links, the sign-out form, the
//!   application's own data, sign-out everywhere).
//!
//! ## A whole sign-in, framework-free
//!
//! What an adapter does for a guarded page, step by step, against the local One Login
//! stand-in:
//!
//! ```
//! use govuk_one_login::web::{RequestInfo, SessionContext};
//! use govuk_one_login::{Config, Environment, OneLogin, Requirement};
//! # use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mock = MockProvider::start().await;
//! let callback = "http://127.0.0.1:8080/auth/callback";
//! # mock.register_redirect_uri(callback);
//! let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
//!     .client_id(CLIENT_ID)
//!     .redirect_uri(callback)
//!     .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
//!     .build()?;
//! let one_login = OneLogin::new(config)?;
//!
//! // A page that needs `Cl.Cm`, and no session: the guard starts a sign-in.
//! let page = RequestInfo::new("GET", "/account");
//! let no_session = SessionContext::default();
//! let to_one_login = one_login.guard(&Requirement::MEDIUM, &no_session, &page).await.unwrap_err();
//! assert_eq!(to_one_login.status, 302);
//! let flow_cookie = to_one_login.header_value("set-cookie").unwrap().split(';').next().unwrap();
//!
//! // The user signs in at One Login and comes back to the callback with the flow cookie.
//! let back = url::Url::parse(&mock.sign_in(to_one_login.header_value("location").unwrap()).await)?;
//! let ctx = one_login.session_context(Some(flow_cookie)).await?;
//! let path = format!("{}?{}", back.path(), back.query().unwrap_or(""));
//! let signed_in = one_login.callback_route(&RequestInfo::new("GET", &path), &ctx).await;
//! assert_eq!(signed_in.status, 303);
//! assert_eq!(signed_in.header_value("location"), Some("/account"));
//!
//! // The next request carries the new session cookie, and the guard lets it through.
//! let session_cookie = signed_in.header_value("set-cookie").unwrap().split(';').next().unwrap();
//! let ctx = one_login.session_context(Some(session_cookie)).await?;
//! let session = one_login.guard(&Requirement::MEDIUM, &ctx, &page).await.unwrap();
//! assert_eq!(session.achieved().to_string(), "Cl.Cm");
//!
//! // An adapter's hot path asks first for an answer from memory alone: here the in-memory
//! // store always gives one (`None` would mean "ask the store": `session_context` then).
//! let ctx = one_login.session_context_now([session_cookie]).expect("answered from memory")?;
//! assert!(ctx.record().is_some());
//! # Ok(()) }
//! ```
//!
//! ## What is checked
//!
//! Every check One Login expects of a relying party is listed on
//! [`OneLogin::complete_login`] (the callback: state, browser binding, ID token, userinfo,
//! core identity), [`OneLogin::verify_logout_token`] (back-channel logout) and
//! [`Config::from_env`] (start-up).
//!
//! ## Features
//!
//! - `redis` (default): [`store::RedisStore`], for Redis and Redis Cluster.
//! - `fuzzing`: internal parsers for the fuzz targets in `fuzz/`; not part of the API.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Each public item has one path: what a service names every day is at the root (from private
// modules), the rest in its public module.
mod client;
pub mod clock;
mod config;
pub mod doctor;
pub mod error;
pub mod events;
mod fetch;
pub mod hooks;
pub mod identity;
mod jwt;
mod keys;
mod levels;
#[cfg(feature = "openapi")]
mod openapi;
mod return_path;
mod session;
pub mod store;
pub mod telemetry;
pub mod transport;
mod types;
pub mod web;

pub use client::{CallbackParams, LoginOutcome, LoginRedirect, LoginRequest, OneLogin, OneLoginBuilder};
pub use config::{
    ClientSigningAlgorithm, Config, ConfigBuilder, ConfigError, ConfigSource, Environment, IdTokenAlgorithm,
    IdentityClaim, MAX_CLOCK_SKEW, NoKey, RequestObjectForm, Routes, WithKey,
};
pub use error::top::Error;
pub use identity::verified::{CoreIdentity, IdentityOutcome};
pub use levels::{AuthLevel, IdentityLevel, Requirement, VectorOfTrust};
pub use return_path::ReturnPath;
pub use session::{SessionId, SessionRecord};
pub use types::{AccessToken, ClientId, IdToken, Nonce, PkceVerifier, State, Subject};

/// Internal parsers for the fuzz targets in `fuzz/` (the `fuzzing` feature); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod __fuzz;

/// What the adapters' macro-defined types name; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use serde::Serialize;
    pub use serde::de::DeserializeOwned;
}

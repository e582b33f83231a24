//! # govuk-one-login
//!
//! The framework-agnostic core of a GOV.UK One Login relying party: configuration, levels of
//! authentication and identity confidence, the OIDC round trip (signed request objects, PKCE,
//! `private_key_jwt`, ID token, userinfo), core identity verification against the DID
//! document, server-side sessions with per-user revocation, and logout.
//!
//! Web frameworks use it through an adapter: `govuk-one-login-tower` (tower/axum) or
//! `govuk-one-login-actix`. Protocol checks live here, once.
//!
//! ```no_run
//! use govuk_one_login::{Config, LoginRequest, OneLogin, Requirement, ReturnPath};
//! # async fn demo() -> Result<(), govuk_one_login::Error> {
//! let one_login = OneLogin::new(Config::from_env()?)?;
//! let start = one_login
//!     .start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::parse_or_root("/apply")))
//!     .await?;
//! // set the flow cookie `start.flow_cookie`, then redirect the browser to `start.url`
//! # Ok(()) }
//! ```
//!
//! What every part checks is listed on [`OneLogin::complete_login`],
//! [`OneLogin::verify_logout_token`] and [`Config::from_env`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Each public item has one path: what a service names every day is at the root (from private
// modules), the rest in its public module.
mod client;
pub mod clock;
pub mod config;
pub mod error;
mod fetch;
pub mod identity;
mod jwt;
mod keys;
mod levels;
mod return_path;
mod session;
pub mod store;
mod types;
pub mod web;

pub use client::{CallbackParams, LoginOutcome, LoginRedirect, LoginRequest, OneLogin, OneLoginBuilder};
pub use config::{Config, ConfigBuilder, ConfigError, Environment};
pub use error::top::Error;
pub use identity::verified::{CoreIdentity, IdentityOutcome};
pub use levels::{AuthLevel, IdentityLevel, Requirement, VectorOfTrust};
pub use return_path::ReturnPath;
pub use session::{SessionId, SessionRecord};
pub use types::{AccessToken, ClientId, IdToken, Nonce, PkceVerifier, State, Subject};

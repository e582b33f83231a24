//! # govuk-one-login-tower
//!
//! GOV.UK One Login for tower and axum. One layer loads the session, one line guards a route,
//! and handlers receive typed values. All protocol logic lives in [`govuk_one_login`]; this
//! crate only translates.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use govuk_one_login::{Config, IdentityLevel, OneLogin, Requirement};
//! use govuk_one_login_tower::{AuthenticatedUser, OneLoginRouterExt, VerifiedIdentity, require};
//!
//! async fn account(user: AuthenticatedUser) -> String {
//!     format!("signed in at {}", user.auth_level())
//! }
//! async fn apply(identity: VerifiedIdentity) -> String {
//!     identity.current_name().map(|n| n.full()).unwrap_or_default()
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let one_login = OneLogin::new(Config::from_env()?)?;
//! let app: Router = Router::new()
//!     .route("/account", get(account).route_layer(require(Requirement::MEDIUM)))
//!     .route("/apply", get(apply).route_layer(require(Requirement::IDENTITY_P2)))
//!     .route("/", get(|| async { "public" }))
//!     // mounts the callback, sign-out and back-channel logout routes, and loads sessions:
//!     .with_one_login(one_login);
//! # Ok(()) }
//! ```
//!
//! Guard behaviour (from [`OneLogin::guard`](govuk_one_login::OneLogin::guard)): no session gives
//! a redirect to One Login for pages and 401 JSON for APIs (`Accept: application/json` or a
//! non-GET method); a session below the requirement steps up and comes back to the same path
//! and query; a session that meets it reaches the handler with no call to One Login.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
mod layer;
mod render;
mod require;
mod routes;

pub use extract::{AuthenticatedUser, Rejection, VerifiedIdentity};
pub use layer::{OneLoginLayer, OneLoginService};
pub use require::{RequireLayer, RequireService, require};
pub use routes::{OneLoginRouterExt, routes};

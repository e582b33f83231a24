//! # govuk-one-login-tower
//!
//! GOV.UK One Login for tower and axum. One layer loads the session, one line guards a route,
//! and handlers receive typed values. All protocol logic lives in [`govuk_one_login`]; this
//! crate only translates, and re-exports what a service needs, so it is the only One Login
//! crate an axum service depends on.
//!
//! The layers ([`OneLoginLayer`], [`require`]) are plain tower middleware, generic over the
//! request and response bodies (any `http` service whose response body is `From<String>`).
//! The extractors ([`AuthenticatedUser`], [`VerifiedIdentity`], [`OneLoginSession`]) and the
//! routes ([`routes`], [`OneLoginRouterExt`]) are axum's.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use govuk_one_login_tower::{
//!     AuthenticatedUser, Config, OneLogin, OneLoginRouterExt, Requirement, VerifiedIdentity, require,
//! };
//!
//! async fn account(user: AuthenticatedUser) -> String {
//!     format!("signed in at {}", user.auth_level())
//! }
//! async fn apply(identity: VerifiedIdentity) -> String {
//!     identity.identity().current_name().map(|n| n.full()).unwrap_or_default()
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let one_login = OneLogin::new(Config::from_env()?)?;
//! let app: Router = Router::new()
//!     .route("/account", get(account).route_layer(require(Requirement::MEDIUM)))
//!     .route("/apply", get(apply).route_layer(require(Requirement::IDENTITY_P2)))
//!     .route("/", get(|| async { "public" }))
//!     // mounts the sign-in, callback, sign-out and back-channel logout routes, and loads sessions:
//!     .with_one_login(one_login);
//! # Ok(()) }
//! ```
//!
//! Guard behaviour (from [`OneLogin::guard`]): no session gives a redirect to One Login for
//! pages and 401 JSON for APIs; a session below the requirement steps up and comes back to the
//! same path and query; a session that meets it reaches the handler with no call to One
//! Login. The `require` layer and the extractors behave identically.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
mod layer;
mod render;
mod require;
mod routes;

pub use extract::{AuthenticatedUser, OneLoginSession, Rejection, VerifiedIdentity};
pub use layer::{OneLoginLayer, OneLoginService};
pub use require::{RequireLayer, RequireService, require};
pub use routes::{OneLoginRouterExt, routes};

/// Everything of the core crate, so that a service depends on this crate alone.
#[doc(no_inline)]
pub use govuk_one_login::*;

//! # govuk-one-login-tower
//!
//! GOV.UK One Login for tower and axum. One layer loads the session, one line guards a route,
//! and handlers receive typed values. All protocol logic lives in the core crate
//! (`govuk-one-login`); this crate only translates, and re-exports all of core, so it is the
//! only One Login crate an axum service depends on.
//!
//! - [`OneLoginRouterExt::with_one_login`]: mounts the sign-in, callback, sign-out and
//!   back-channel logout routes and loads the session of every request ([`OneLoginLayer`]).
//! - [`require`]: guards a route or group with a [`Requirement`]; `require(..).api()` makes it
//!   an API (401/403 JSON, never a redirect).
//! - Extractors: [`AuthenticatedUser`] (`Cl.Cm`), [`VerifiedIdentity`] (`Cl.Cm.P2` with a
//!   verified core identity), and [`OneLoginSession`], the handle for actions (sign-in links,
//!   the sign-out form, the application's own data, sign-out everywhere).
//! - [`Rejection`]: what guards answer instead of the handler; `Rejection::from(Denial::…)`
//!   for a handler's own refusal in the same shape.
//!
//! The layers are plain tower middleware, generic over the request and response bodies (any
//! `http` service whose response body is `From<String>`); the extractors and routes are axum's.
//!
//! ## A service
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
//!     .with_one_login(one_login);
//! # Ok(()) }
//! ```
//!
//! ## What a guarded page does, against the local stand-in
//!
//! ```
//! use axum::{Router, body::Body, routing::get};
//! use govuk_one_login_tower::{AuthenticatedUser, Config, Environment, OneLogin, OneLoginRouterExt};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! # use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mock = MockProvider::start().await;
//! # mock.register_redirect_uri("http://127.0.0.1:8080/auth/callback");
//! let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
//!     .client_id(CLIENT_ID)
//!     .redirect_uri("http://127.0.0.1:8080/auth/callback")
//!     .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
//!     .build()?;
//! let app = Router::new()
//!     .route("/account", get(|user: AuthenticatedUser| async move { user.subject().as_str().to_owned() }))
//!     .with_one_login(OneLogin::new(config)?);
//!
//! // No session: the page is sent to One Login at once, with the flow cookie.
//! let page = app.clone().oneshot(Request::get("/account").body(Body::empty())?).await?;
//! assert_eq!(page.status(), StatusCode::FOUND);
//! assert!(page.headers()["location"].to_str()?.starts_with(&format!("{}authorize?", mock.issuer())));
//! assert!(page.headers().contains_key("set-cookie"));
//!
//! // The same route called as an API: 401 JSON, no redirect.
//! let api = Request::get("/account").header("accept", "application/json").body(Body::empty())?;
//! assert_eq!(app.oneshot(api).await?.status(), StatusCode::UNAUTHORIZED);
//! # Ok(()) }
//! ```
//!
//! Guard behaviour (from [`OneLogin::guard`]): no session gives a redirect to One Login for
//! pages and 401 JSON for APIs; a session below the requirement steps up and comes back to the
//! same path and query; a session that meets it reaches the handler with no call to One
//! Login. The `require` layer and the extractors behave identically; `Option<AuthenticatedUser>`
//! is `None` instead, and starts nothing.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
pub mod future;
mod layer;
mod render;
mod require;
mod routes;

pub use extract::{AuthenticatedUser, OneLoginSession, Rejection, VerifiedIdentity};
pub use layer::{OneLoginLayer, OneLoginService};
pub use render::session_context;
pub use require::{RequireLayer, RequireService, require};
pub use routes::{OneLoginRouterExt, routes};

/// Everything of the core crate, so that a service depends on this crate alone.
#[doc(no_inline)]
pub use govuk_one_login::*;

//! # govuk-one-login-actix
//!
//! GOV.UK One Login for actix-web. One middleware loads the session, one `.wrap()` guards a
//! resource or scope, and handlers receive typed values. All protocol logic lives in the core
//! crate (`govuk-one-login`); this crate only translates, and re-exports all of core, so it is
//! the only One Login crate an actix service depends on.
//!
//! - [`OneLoginMiddleware`]: loads the session of every request; wrap the whole `App`.
//! - [`configure`]: mounts the sign-in, callback, sign-out and back-channel logout routes.
//! - [`require`]: guards a resource or scope with a [`Requirement`]; `require(..).api()` makes
//!   it an API (401/403 JSON, never a redirect).
//! - Extractors: [`AuthenticatedUser`] (`Cl.Cm`), [`VerifiedIdentity`] (`Cl.Cm.P2` with a
//!   verified core identity), and [`OneLoginSession`], the handle for actions.
//! - [`Rejection`]: what guards answer instead of the handler; `Rejection::from(Denial::…)`
//!   for a handler's own refusal in the same shape.
//!
//! ## A service
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use govuk_one_login_actix::{
//!     AuthenticatedUser, Config, OneLogin, OneLoginMiddleware, Requirement, VerifiedIdentity, configure, require,
//! };
//!
//! async fn account(user: AuthenticatedUser) -> String {
//!     format!("signed in at {}", user.auth_level())
//! }
//! async fn apply(identity: VerifiedIdentity) -> String {
//!     identity.identity().current_name().map(|n| n.full()).unwrap_or_default()
//! }
//!
//! async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//!     let one_login = OneLogin::new(Config::from_env()?)?;
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(OneLoginMiddleware::new(one_login.clone())) // loads the session
//!             .configure(configure(one_login.clone())) // sign-in, callback, sign-out, back-channel logout
//!             .service(web::resource("/account").wrap(require(Requirement::MEDIUM)).to(account))
//!             .service(web::resource("/apply").wrap(require(Requirement::IDENTITY_P2)).to(apply))
//!     })
//!     .bind("127.0.0.1:8080")?
//!     .run()
//!     .await?;
//!     Ok(())
//! }
//! # fn main() { let _ = actix_web::rt::System::new().block_on(serve()); }
//! ```
//!
//! ## What a guarded page does, against the local stand-in
//!
//! ```
//! use actix_web::{App, test, web};
//! use govuk_one_login_actix::{AuthenticatedUser, Config, Environment, OneLogin, OneLoginMiddleware, configure};
//! # use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # actix_web::rt::System::new().block_on(async {
//! # let mock = MockProvider::start().await;
//! # mock.register_redirect_uri("http://127.0.0.1:8080/auth/callback");
//! let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
//!     .client_id(CLIENT_ID)
//!     .redirect_uri("http://127.0.0.1:8080/auth/callback")
//!     .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
//!     .build()?;
//! let one_login = OneLogin::new(config)?;
//! let app = test::init_service(
//!     App::new()
//!         .wrap(OneLoginMiddleware::new(one_login.clone()))
//!         .configure(configure(one_login))
//!         .route("/account", web::get().to(|user: AuthenticatedUser| async move { user.subject().as_str().to_owned() })),
//! )
//! .await;
//!
//! // No session: the page is sent to One Login at once, with the flow cookie.
//! let page = test::call_service(&app, test::TestRequest::get().uri("/account").to_request()).await;
//! assert_eq!(page.status(), 302);
//! assert!(page.headers().get("location").unwrap().to_str()?.starts_with(&format!("{}authorize?", mock.issuer())));
//! assert!(page.headers().contains_key("set-cookie"));
//! # Ok::<(), Box<dyn std::error::Error>>(()) })
//! # }
//! ```
//!
//! The guard behaves exactly as the tower adapter's, because both call
//! [`OneLogin::decide`] and only render its answer. `Option<AuthenticatedUser>` is `None`
//! instead of a redirect, and starts nothing: the sign-in an extractor asks for is started by
//! [`OneLoginMiddleware`] once the handler's rejection reaches it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
pub mod future;
mod middleware;
mod render;
mod require;
mod routes;

pub use extract::{AuthenticatedUser, OneLoginSession, Rejection, VerifiedIdentity};
pub use middleware::{OneLoginMiddleware, OneLoginMiddlewareService};
pub use render::session_context;
pub use require::{RequireLevel, RequireLevelService, require};
pub use routes::configure;

/// Everything of the core crate, so that a service depends on this crate alone.
#[doc(no_inline)]
pub use govuk_one_login::*;

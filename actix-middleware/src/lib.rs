//! # govuk-one-login-actix
//!
//! GOV.UK One Login for actix-web. One middleware loads the session, one `.wrap()` guards a
//! resource or scope, and handlers receive typed values. All protocol logic lives in
//! [`govuk_one_login`]; this crate only translates.
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use govuk_one_login::{Config, IdentityLevel, OneLogin, Requirement};
//! use govuk_one_login_actix::{AuthenticatedUser, OneLoginMiddleware, VerifiedIdentity, configure, require};
//!
//! async fn account(user: AuthenticatedUser) -> String {
//!     format!("signed in at {}", user.auth_level())
//! }
//! async fn apply(identity: VerifiedIdentity) -> String {
//!     identity.current_name().map(|n| n.full()).unwrap_or_default()
//! }
//!
//! async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//!     let one_login = OneLogin::new(Config::from_env()?)?;
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(OneLoginMiddleware::new(one_login.clone())) // loads the session
//!             .configure(configure(one_login.clone())) // callback, sign-in, sign-out, back-channel logout
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
//! The guard behaves exactly as the tower adapter's, because both call
//! [`OneLogin::guard`](govuk_one_login::OneLogin::guard) and only render its answer.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod extract;
mod middleware;
mod render;
mod require;
mod routes;

pub use extract::{AuthenticatedUser, OneLoginSession, Rejection, VerifiedIdentity};
pub use middleware::{OneLoginMiddleware, OneLoginMiddlewareService};
pub use require::{RequireLevel, RequireLevelService, require};
pub use routes::configure;

/// Everything of the core crate, so that a service depends on this crate alone.
#[doc(no_inline)]
pub use govuk_one_login::*;

//! [`require`]: a per-route guard.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use govuk_one_login::web::{GuardOutcome, RequestInfo, SessionContext};
use govuk_one_login::{OneLogin, Requirement};
use http::Request;
use tower::{Layer, Service};

use crate::render::{header, not_installed, render};

/// Guards a route or group with a [`Requirement`]. Use it with axum's `route_layer`:
///
/// ```no_run
/// # use axum::{Router, routing::get};
/// # use govuk_one_login::Requirement;
/// # use govuk_one_login_tower::require;
/// let app: Router = Router::new().route("/account", get(|| async { "ok" })).route_layer(require(Requirement::MEDIUM));
/// ```
pub fn require(requirement: Requirement) -> RequireLayer {
    RequireLayer { requirement }
}

/// The layer [`require`] returns.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct RequireLayer {
    requirement: Requirement,
}

impl<S> Layer<S> for RequireLayer {
    type Service = RequireService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireService { inner, requirement: self.requirement }
    }
}

/// The service [`RequireLayer`] builds.
#[derive(Clone, Debug)]
pub struct RequireService<S> {
    inner: S,
    requirement: Requirement,
}

impl<S> Service<Request<Body>> for RequireService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let requirement = self.requirement;
        Box::pin(async move {
            let (Some(one_login), Some(ctx)) = (
                request.extensions().get::<OneLogin>().cloned(),
                request.extensions().get::<SessionContext>().cloned(),
            ) else {
                return Ok(not_installed());
            };
            let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
            let info = RequestInfo {
                method: request.method().as_str(),
                path_and_query: &path,
                accept: header(request.headers(), http::header::ACCEPT),
            };
            match one_login.guard(&requirement, &ctx, &info).await {
                GuardOutcome::Allow(_) => inner.call(request).await,
                GuardOutcome::Respond(web) => Ok(render(web)),
            }
        })
    }
}

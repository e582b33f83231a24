//! [`require`]: a per-route guard.

use std::task::{Context, Poll};

use govuk_one_login::Requirement;
use http::{Request, Response};
use tower::{Layer, Service};

use crate::future::{NoStore, ResponseFuture};
use crate::render::{has_body, installed, no_store, not_installed, render, request_info};

/// Guards a route or group with a [`Requirement`], through
/// [`OneLogin::guard`](govuk_one_login::OneLogin::guard). The guarded handler's responses get
/// `Cache-Control: no-store` unless the handler set its own. Use it with axum's `route_layer`:
///
/// ```
/// # use axum::{Router, routing::get};
/// use govuk_one_login_tower::{Requirement, require};
/// let app: Router = Router::new()
///     .route("/account", get(|| async { "ok" }))
///     .route_layer(require(Requirement::MEDIUM));
/// let api: Router = Router::new()
///     .route("/api/me", get(|| async { "{}" }))
///     .route_layer(require(Requirement::MEDIUM).api()); // always 401/403 JSON, never a redirect
/// ```
pub fn require(requirement: Requirement) -> RequireLayer {
    RequireLayer { requirement, api: false }
}

/// The layer [`require`] returns.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct RequireLayer {
    requirement: Requirement,
    api: bool,
}

impl RequireLayer {
    /// Declares the guarded routes an API: a request that does not meet the requirement
    /// always gets 401/403 JSON ([`Denial`](govuk_one_login::web::Denial)), whatever its
    /// `Accept` header, never a redirect to One Login.
    pub fn api(mut self) -> Self {
        self.api = true;
        self
    }
}

impl<S> Layer<S> for RequireLayer {
    type Service = RequireService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequireService { inner, layer: *self }
    }
}

/// The service [`RequireLayer`] builds.
#[derive(Clone, Debug)]
pub struct RequireService<S> {
    inner: S,
    layer: RequireLayer,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let RequireLayer { requirement, api } = self.layer;
        let Some(installed) = installed(request.extensions()) else {
            return ResponseFuture::ready(not_installed());
        };
        if api {
            installed.mark_api();
        }
        // The hot path: allowed as it is, decided without reading the request; the handler's
        // answer carries the user's data, so no cache keeps it.
        if installed.one_login().allowed(&requirement, installed.ctx()).is_some() {
            return ResponseFuture::inner(self.inner.call(request), NoStore::Always);
        }
        let (one_login, ctx) = (installed.one_login().clone(), installed.ctx().clone());
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::boxed(async move {
            let info = request_info(request.method(), request.uri(), request.headers(), request.extensions()).api(api);
            let outcome = one_login.guard(&requirement, &ctx, &info).await;
            match outcome {
                Ok(_) => {
                    let mut response = inner.call(request).await?;
                    no_store(response.headers_mut());
                    Ok(response)
                }
                Err(web) => Ok(render(web.closing_unless(!has_body(request.headers())))),
            }
        })
    }
}

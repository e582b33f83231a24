//! The routes One Login needs, mounted in one call.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, RawQuery};
use axum::response::Response;
use axum::routing::{get, post};
use govuk_one_login::OneLogin;
use govuk_one_login::web::SessionContext;
use http::HeaderMap;

use crate::layer::OneLoginLayer;
use crate::render::{header, render};

/// The callback, sign-in, sign-out and back-channel logout routes (and the JWKS route when the config
/// publishes one), at the paths the [`Config`](govuk_one_login::Config) gives. They need
/// [`OneLoginLayer`] around them; [`OneLoginRouterExt::with_one_login`] does both.
pub fn routes<S: Clone + Send + Sync + 'static>(one_login: &OneLogin) -> Router<S> {
    let config = one_login.config();
    let r = config.routes();
    let mut router = Router::new()
        .route(config.callback_path(), get(callback))
        .route(&r.login, get(login))
        .route(&r.logout, post(logout))
        .route(&r.backchannel_logout, post(backchannel_logout));
    if let Some(jwks) = &r.jwks {
        router = router.route(jwks, get(jwks_route));
    }
    router
}

async fn callback(
    Extension(ol): Extension<OneLogin>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(q): RawQuery,
) -> Response {
    render(ol.callback_route(q.as_deref().unwrap_or(""), &ctx).await)
}

async fn login(
    Extension(ol): Extension<OneLogin>,
    Extension(ctx): Extension<SessionContext>,
    RawQuery(q): RawQuery,
) -> Response {
    render(ol.login_route(q.as_deref().unwrap_or(""), &ctx).await)
}

async fn logout(
    Extension(ol): Extension<OneLogin>,
    Extension(ctx): Extension<SessionContext>,
    body: Bytes,
) -> Response {
    render(ol.logout_route(&ctx, &body).await)
}

async fn backchannel_logout(Extension(ol): Extension<OneLogin>, headers: HeaderMap, body: Bytes) -> Response {
    render(ol.backchannel_logout_route(header(&headers, http::header::CONTENT_TYPE), &body).await)
}

async fn jwks_route(Extension(ol): Extension<OneLogin>) -> Response {
    render(ol.jwks_route())
}

/// Adds One Login to a router in one call.
pub trait OneLoginRouterExt {
    /// Mounts [`routes`] and wraps everything in [`OneLoginLayer`]. Call it after adding your
    /// routes: axum layers apply to the routes added before them.
    fn with_one_login(self, one_login: OneLogin) -> Self;
}

impl<S: Clone + Send + Sync + 'static> OneLoginRouterExt for Router<S> {
    fn with_one_login(self, one_login: OneLogin) -> Self {
        self.merge(routes(&one_login)).layer(OneLoginLayer::new(one_login))
    }
}

//! The routes One Login needs, mounted in one call.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::{get, post};
use govuk_one_login::OneLogin;
use govuk_one_login::events::{EventRequest, MAX_SET_BODY};
use govuk_one_login::web::{RouteKind, SessionContext};

use crate::layer::OneLoginLayer;
use crate::render::{installed, not_installed, render, request_info};

/// The sign-in, callback, sign-out and back-channel logout routes (and the JWKS route when the
/// config publishes one, and the security-event receiver and its token endpoint when the
/// config enables them), at the paths the [`Config`](govuk_one_login::Config) gives, with
/// their own [`OneLoginLayer`] (so they work wherever they are merged, with or without an
/// app-wide layer). [`OneLoginRouterExt::with_one_login`] mounts them and layers your routes
/// too: use one or the other, not both (axum refuses a route added twice).
pub fn routes<S: Clone + Send + Sync + 'static>(one_login: &OneLogin) -> Router<S> {
    unlayered(one_login).layer(OneLoginLayer::new(one_login.clone()))
}

fn unlayered<S: Clone + Send + Sync + 'static>(one_login: &OneLogin) -> Router<S> {
    one_login.mounted_routes().into_iter().fold(Router::new(), |router, route| {
        let handler = match route.kind {
            RouteKind::Login => get(login),
            RouteKind::Callback => get(callback),
            RouteKind::Logout => post(logout),
            RouteKind::SignOutEverywhere => post(sign_out_everywhere),
            RouteKind::BackchannelLogout => post(backchannel_logout),
            RouteKind::Jwks => get(jwks_route),
            RouteKind::SecurityEvents => post(events_receiver),
            RouteKind::SecurityEventsToken => post(events_token),
            // Not reached: this crate requires exactly its own core version, whose kinds are all above.
            other => {
                tracing::error!(route = ?other, path = route.path, "this adapter has no handler for a library route");
                return router;
            }
        };
        router.route(route.path, handler)
    })
}

/// The engine and session context the layer put on the request.
fn context(request: &Request) -> Option<(OneLogin, SessionContext)> {
    let installed = installed(request.extensions())?;
    Some((installed.one_login().clone(), installed.ctx().clone()))
}

async fn callback(request: Request) -> Response {
    let Some((ol, ctx)) = context(&request) else { return not_installed() };
    let info = request_info(request.method(), request.uri(), request.headers(), request.extensions());
    render(ol.callback_route(&info, &ctx).await)
}

async fn login(request: Request) -> Response {
    let Some((ol, ctx)) = context(&request) else { return not_installed() };
    let info = request_info(request.method(), request.uri(), request.headers(), request.extensions());
    render(ol.login_route(&info, &ctx).await)
}

/// The most of a form body read (core reads at most this much too).
const MAX_BODY: usize = govuk_one_login::web::MAX_FORM_BODY + 1;

/// A form's body, `None` when it is larger than the limit or could not be read: then core sees
/// an empty form, and the answer closes the connection, whose rest of the body is unread.
async fn form(request: Request) -> (http::request::Parts, Option<Bytes>) {
    let (parts, body) = request.into_parts();
    (parts, axum::body::to_bytes(body, MAX_BODY).await.ok())
}

async fn logout(request: Request) -> Response {
    sign_out_form(request, false).await
}

async fn sign_out_everywhere(request: Request) -> Response {
    sign_out_form(request, true).await
}

/// A sign-out form's post: this browser's session, or every session of the user.
async fn sign_out_form(request: Request, everywhere: bool) -> Response {
    let Some((ol, ctx)) = context(&request) else { return not_installed() };
    let (parts, body) = form(request).await;
    let info = request_info(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
    let form = body.as_deref().unwrap_or_default();
    let answer = if everywhere {
        ol.sign_out_everywhere_route(&info, &ctx, form).await
    } else {
        ol.logout_route(&info, &ctx, form).await
    };
    render(answer.closing_unless(body.is_some()))
}

async fn backchannel_logout(request: Request) -> Response {
    let Some((ol, _)) = context(&request) else { return not_installed() };
    let (parts, body) = form(request).await;
    let info = request_info(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
    let answer = ol.backchannel_logout_route(&info, body.as_deref().unwrap_or_default()).await;
    render(answer.closing_unless(body.is_some()))
}

/// The request facts the security-event routes read: the body, cut at `limit` (`None` past it).
async fn event_request(request: Request, limit: usize) -> (http::request::Parts, Option<Bytes>) {
    let (parts, body) = request.into_parts();
    (parts, axum::body::to_bytes(body, limit).await.ok())
}

fn event_info<'a>(parts: &'a http::request::Parts, body: Option<&'a Bytes>) -> EventRequest<'a> {
    let header = |name| parts.headers.get(name).and_then(|v: &http::HeaderValue| v.to_str().ok());
    EventRequest::new(body.map(|b| &b[..]))
        .content_type(header(http::header::CONTENT_TYPE))
        .authorization(header(http::header::AUTHORIZATION))
}

async fn events_receiver(request: Request) -> Response {
    let Some((ol, _)) = context(&request) else { return not_installed() };
    let (parts, body) = request.into_parts();
    // Headers that refuse the push are answered before a byte of the body is read.
    if let Some(refused) = ol.events_refusal(&event_info(&parts, None)) {
        return render(refused);
    }
    let body = axum::body::to_bytes(body, MAX_SET_BODY).await.ok();
    render(ol.events_route(&event_info(&parts, body.as_ref())).await)
}

async fn events_token(request: Request) -> Response {
    let Some((ol, _)) = context(&request) else { return not_installed() };
    let (parts, body) = event_request(request, govuk_one_login::web::MAX_FORM_BODY).await;
    render(ol.events_token_route(&event_info(&parts, body.as_ref())).await)
}

async fn jwks_route(request: Request) -> Response {
    let Some((ol, _)) = context(&request) else { return not_installed() };
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
        self.merge(unlayered(&one_login)).layer(OneLoginLayer::new(one_login))
    }
}

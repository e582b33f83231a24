//! The routes One Login needs, mounted in one call.

use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use govuk_one_login::OneLogin;
use govuk_one_login::events::{EventRequest, MAX_SET_BODY};
use govuk_one_login::web::{RouteKind, SessionContext};

use crate::middleware::OneLoginMiddleware;
use crate::render::{installed, not_installed, render, request_info};

/// Mounts the sign-in, callback, sign-out and back-channel logout routes (and the JWKS route
/// when the config publishes one, and the security-event receiver and its token endpoint when
/// the config enables them) at the paths the [`Config`](govuk_one_login::Config) gives:
/// `App::new().configure(configure(one_login))`. Each carries its own
/// [`OneLoginMiddleware`], so they work even where the app's is missing (an app-wide one is
/// not run twice).
pub fn configure(one_login: OneLogin) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        let mw = || OneLoginMiddleware::new(one_login.clone());
        for route in one_login.mounted_routes() {
            let handler = match route.kind {
                RouteKind::Login => web::get().to(login),
                RouteKind::Callback => web::get().to(callback),
                RouteKind::Logout => web::post().to(logout),
                RouteKind::SignOutEverywhere => web::post().to(sign_out_everywhere),
                RouteKind::BackchannelLogout => web::post().to(backchannel_logout),
                RouteKind::Jwks => web::get().to(jwks_route),
                RouteKind::SecurityEvents => web::post().to(events_receiver),
                RouteKind::SecurityEventsToken => web::post().to(events_token),
                // Not reached: this crate requires exactly its own core version, whose kinds are all above.
                other => {
                    tracing::error!(route = ?other, path = route.path, "this adapter has no handler for a library route");
                    continue;
                }
            };
            cfg.service(web::resource(route.path).wrap(mw()).route(handler));
        }
    }
}

fn context(req: &HttpRequest) -> Option<(OneLogin, SessionContext)> {
    let installed = installed(&req.extensions())?;
    Some((installed.one_login().clone(), installed.ctx().clone()))
}

async fn callback(req: HttpRequest) -> HttpResponse {
    let Some((ol, ctx)) = context(&req) else { return not_installed() };
    render(ol.callback_route(&request_info(req.method(), req.uri(), req.headers()), &ctx).await)
}

async fn login(req: HttpRequest) -> HttpResponse {
    let Some((ol, ctx)) = context(&req) else { return not_installed() };
    render(ol.login_route(&request_info(req.method(), req.uri(), req.headers()), &ctx).await)
}

/// The most of a form body read (core reads at most this much too). A larger one, or one that
/// could not be read, reaches core as an empty form, and the answer closes the connection,
/// whose rest of the body is unread.
const MAX_FORM: usize = govuk_one_login::web::MAX_FORM_BODY + 1;

async fn logout(req: HttpRequest, payload: web::Payload) -> HttpResponse {
    sign_out_form(req, payload, false).await
}

async fn sign_out_everywhere(req: HttpRequest, payload: web::Payload) -> HttpResponse {
    sign_out_form(req, payload, true).await
}

/// A sign-out form's post: this browser's session, or every session of the user.
async fn sign_out_form(req: HttpRequest, payload: web::Payload, everywhere: bool) -> HttpResponse {
    let Some((ol, ctx)) = context(&req) else { return not_installed() };
    let body = read_limited(payload, MAX_FORM).await;
    let info = request_info(req.method(), req.uri(), req.headers());
    let form = body.as_deref().unwrap_or_default();
    let answer = if everywhere {
        ol.sign_out_everywhere_route(&info, &ctx, form).await
    } else {
        ol.logout_route(&info, &ctx, form).await
    };
    render(answer.closing_unless(body.is_some()))
}

async fn backchannel_logout(req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let Some((ol, _)) = context(&req) else { return not_installed() };
    let body = read_limited(payload, MAX_FORM).await;
    let info = request_info(req.method(), req.uri(), req.headers());
    let answer = ol.backchannel_logout_route(&info, body.as_deref().unwrap_or_default()).await;
    render(answer.closing_unless(body.is_some()))
}

fn event_info<'a>(req: &'a HttpRequest, body: Option<&'a Bytes>) -> EventRequest<'a> {
    let header = |name| req.headers().get(name).and_then(|v: &actix_web::http::header::HeaderValue| v.to_str().ok());
    EventRequest::new(body.map(|b| &b[..]))
        .content_type(header(actix_web::http::header::CONTENT_TYPE))
        .authorization(header(actix_web::http::header::AUTHORIZATION))
}

/// The body, read up to `limit` bytes (`None` past it, or when it could not be read).
async fn read_limited(payload: web::Payload, limit: usize) -> Option<Bytes> {
    payload.to_bytes_limited(limit).await.ok().and_then(Result::ok)
}

async fn events_receiver(req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let Some((ol, _)) = context(&req) else { return not_installed() };
    // Headers that refuse the push are answered before a byte of the body is read.
    if let Some(refused) = ol.events_refusal(&event_info(&req, None)) {
        return render(refused);
    }
    let body = read_limited(payload, MAX_SET_BODY).await;
    render(ol.events_route(&event_info(&req, body.as_ref())).await)
}

async fn events_token(req: HttpRequest, payload: web::Payload) -> HttpResponse {
    let Some((ol, _)) = context(&req) else { return not_installed() };
    let body = read_limited(payload, govuk_one_login::web::MAX_FORM_BODY).await;
    render(ol.events_token_route(&event_info(&req, body.as_ref())).await)
}

async fn jwks_route(req: HttpRequest) -> HttpResponse {
    let Some((ol, _)) = context(&req) else { return not_installed() };
    render(ol.jwks_route())
}

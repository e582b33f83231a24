//! The routes One Login needs, mounted in one call.

use actix_web::web::{self, Bytes, ServiceConfig};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use govuk_one_login::OneLogin;
use govuk_one_login::web::SessionContext;

use crate::render::{header, not_installed, render};

/// Mounts the callback, sign-in, sign-out and back-channel logout routes (and the JWKS route
/// when the config publishes one) at the paths the [`Config`](govuk_one_login::Config) gives:
/// `App::new().configure(configure(one_login))`. They need [`OneLoginMiddleware`](crate::OneLoginMiddleware)
/// on the app.
pub fn configure(one_login: OneLogin) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        let config = one_login.config();
        let r = config.routes();
        cfg.route(config.callback_path(), web::get().to(callback))
            .route(&r.login, web::get().to(login))
            .route(&r.logout, web::post().to(logout))
            .route(&r.backchannel_logout, web::post().to(backchannel_logout));
        if let Some(jwks) = &r.jwks {
            cfg.route(jwks, web::get().to(jwks_route));
        }
    }
}

fn context(req: &HttpRequest) -> Option<(OneLogin, SessionContext)> {
    let ext = req.extensions();
    Some((ext.get::<OneLogin>()?.clone(), ext.get::<SessionContext>()?.clone()))
}

async fn callback(req: HttpRequest) -> HttpResponse {
    let Some((ol, ctx)) = context(&req) else { return not_installed() };
    render(ol.callback_route(req.query_string(), &ctx).await)
}

async fn login(req: HttpRequest) -> HttpResponse {
    let Some((ol, ctx)) = context(&req) else { return not_installed() };
    render(ol.login_route(req.query_string(), &ctx).await)
}

async fn logout(req: HttpRequest, body: Bytes) -> HttpResponse {
    let Some((ol, ctx)) = context(&req) else { return not_installed() };
    render(ol.logout_route(&ctx, &body).await)
}

async fn backchannel_logout(req: HttpRequest, body: Bytes) -> HttpResponse {
    let Some((ol, _)) = context(&req) else { return not_installed() };
    render(ol.backchannel_logout_route(header(req.headers(), &actix_web::http::header::CONTENT_TYPE), &body).await)
}

async fn jwks_route(req: HttpRequest) -> HttpResponse {
    let Some((ol, _)) = context(&req) else { return not_installed() };
    render(ol.jwks_route())
}

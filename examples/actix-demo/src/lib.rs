//! The actix demo service's routes, shared by its binary and the tests. Same routes, pages,
//! JSON and configuration as the axum demo.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use govuk_one_login_actix::{
    AuthenticatedUser, OneLogin, OneLoginSession, Rejection, Requirement, VerifiedIdentity, configure, require,
};

fn accept(req: &HttpRequest) -> Option<&str> {
    req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok())
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

async fn home(session: OneLoginSession) -> HttpResponse {
    html(demo_support::home(session.handle()))
}

async fn account(user: AuthenticatedUser, session: OneLoginSession, req: HttpRequest) -> HttpResponse {
    if demo_support::wants_json(accept(&req)) {
        return HttpResponse::Ok().json(demo_support::account_json(user.session()));
    }
    match demo_support::count_visit(session.handle()).await {
        Ok(visits) => html(demo_support::account(session.handle(), user.session(), visits)),
        Err(error) => Rejection::from(session.handle().error_response(&error)).error_response(),
    }
}

/// `POST /account` and `GET /api/me`: API calls (always JSON), guarded like the page.
async fn account_api(user: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(demo_support::account_json(user.session()))
}

async fn identity(id: VerifiedIdentity, session: OneLoginSession, req: HttpRequest) -> HttpResponse {
    if demo_support::wants_json(accept(&req)) {
        return HttpResponse::Ok().json(demo_support::identity_json(id.session()));
    }
    html(demo_support::identity(session.handle(), id.session()))
}

async fn signed_out(session: OneLoginSession) -> HttpResponse {
    html(demo_support::signed_out(session.handle()))
}

/// The demo's routes plus One Login's. Wrap the `App` in
/// [`OneLoginMiddleware`](govuk_one_login_actix::OneLoginMiddleware).
pub fn routes(one_login: OneLogin) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        configure(one_login)(cfg);
        cfg.service(
            web::resource("/account")
                .wrap(require(Requirement::MEDIUM))
                .route(web::get().to(account))
                .route(web::post().to(account_api)),
        )
        .service(web::resource("/identity").wrap(require(Requirement::IDENTITY_P2)).route(web::get().to(identity)))
        .service(web::resource("/api/me").wrap(require(Requirement::MEDIUM).api()).route(web::get().to(account_api)))
        .route("/", web::get().to(home))
        .route("/signed-out", web::get().to(signed_out));
    }
}

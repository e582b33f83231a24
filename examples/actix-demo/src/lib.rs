//! The actix demo service's routes, shared by its binary and the tests. Same routes, pages,
//! JSON and configuration as the axum demo.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use actix_web::web::{self, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use govuk_one_login::{OneLogin, Requirement};
use govuk_one_login_actix::{AuthenticatedUser, VerifiedIdentity, configure, require};

fn accept(req: &HttpRequest) -> Option<&str> {
    req.headers().get(actix_web::http::header::ACCEPT).and_then(|v| v.to_str().ok())
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}

async fn home(user: Option<AuthenticatedUser>) -> HttpResponse {
    html(demo_support::home(user.as_deref()))
}

async fn account(user: AuthenticatedUser, req: HttpRequest) -> HttpResponse {
    if demo_support::wants_json(accept(&req)) {
        return HttpResponse::Ok().json(demo_support::account_json(&user));
    }
    html(demo_support::account(&user))
}

/// `POST /account`: an API call (always JSON), guarded like the page.
async fn account_api(user: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(demo_support::account_json(&user))
}

async fn identity(id: VerifiedIdentity, req: HttpRequest) -> HttpResponse {
    if demo_support::wants_json(accept(&req)) {
        return HttpResponse::Ok().json(demo_support::identity_json(id.session()));
    }
    html(demo_support::identity(id.session()))
}

async fn signed_out() -> HttpResponse {
    html(demo_support::signed_out())
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
        .route("/", web::get().to(home))
        .route("/signed-out", web::get().to(signed_out));
    }
}

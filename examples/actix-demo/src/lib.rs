//! The actix demo service's routes, shared by its binary and the tests. Same routes, pages,
//! JSON, assets (`/assets/…`), language switch (`?lang=cy`) and configuration as the axum demo.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::web::{self, ServiceConfig};
use actix_web::{App, HttpRequest, HttpResponse, ResponseError};
use govuk_one_login_actix::{
    AuthenticatedUser, OneLogin, OneLoginMiddleware, OneLoginSession, Rejection, Requirement, VerifiedIdentity,
    configure, require,
};
use tracing::Instrument;

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

/// `GET /assets/…`: one of the embedded files, by its exact path (nothing else is reachable).
async fn asset(req: HttpRequest) -> HttpResponse {
    match demo_support::assets::for_request_path(req.path()) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.content_type)
            .insert_header((actix_web::http::header::CACHE_CONTROL, demo_support::assets::CACHE_CONTROL))
            .body(a.bytes),
        None => HttpResponse::NotFound().finish(),
    }
}

/// `?lang=cy` / `?lang=en` on any page: sets the `lang` cookie and comes back without it
/// ([`demo_support::lang::switch`]).
async fn language(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
    if let Some(s) = demo_support::lang::switch(request.method().as_str(), path_and_query) {
        let response = HttpResponse::SeeOther()
            .insert_header((actix_web::http::header::LOCATION, s.location))
            .insert_header((actix_web::http::header::SET_COOKIE, s.set_cookie))
            .finish();
        return Ok(request.into_response(response).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}

async fn metrics() -> HttpResponse {
    HttpResponse::Ok().content_type(demo_support::METRICS_CONTENT_TYPE).body(demo_support::metrics_text())
}

/// The demo's app: its routes and One Login's, inside the One Login middleware, inside the
/// request span ([`demo_support::request_span`]).
pub fn app(
    one_login: OneLogin,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(OneLoginMiddleware::new(one_login.clone()))
        .configure(routes(one_login))
        .wrap(from_fn(language))
        .wrap(from_fn(traced))
}

/// Runs the request in its span, and logs its answer.
async fn traced(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let incoming = request.headers().get("x-request-id").and_then(|v| v.to_str().ok());
    let span = demo_support::request_span(request.method().as_str(), request.path(), incoming);
    let started = std::time::Instant::now();
    let response = next.call(request).instrument(span.clone()).await;
    if let Ok(response) = &response {
        demo_support::log_answer(&span, response.status().as_u16(), started);
    }
    response
}

/// The demo's routes plus One Login's. Wrap the `App` in
/// [`OneLoginMiddleware`].
pub fn routes(one_login: OneLogin) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        let openapi = std::sync::Arc::<str>::from(demo_support::openapi::document(&one_login));
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
        .route("/signed-out", web::get().to(signed_out))
        // Resources, not `.route(…)`, so that another method gets 405 as /openapi.json says.
        .service(web::resource("/metrics").route(web::get().to(metrics)))
        .service(web::resource("/openapi.json").route(web::get().to(move || {
            let body = openapi.to_string();
            async move { HttpResponse::Ok().content_type(demo_support::openapi::CONTENT_TYPE).body(body) }
        })))
        .route("/assets/{path:.*}", web::get().to(asset));
    }
}

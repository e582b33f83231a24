//! The axum demo service's router, shared by its binary and the tests.
//!
//! Routes: `/` public; `/account` needs `Cl.Cm`; `/identity` needs `Cl.Cm.P2`; `/api/me` is an
//! API (401/403 JSON, never a redirect); `/signed-out`; `/metrics` (Prometheus text); and the One Login routes
//! `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/backchannel-logout`; `/assets/…` (the
//! GOV.UK Frontend files, embedded); and on any page `?lang=cy` or `?lang=en`, the language
//! switch. `/account` and
//! `/identity` answer JSON to `Accept: application/json`; `POST /account` is a JSON API call
//! guarded like the page.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn};
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use govuk_one_login_tower::{
    AuthenticatedUser, OneLogin, OneLoginRouterExt, OneLoginSession, Rejection, Requirement, VerifiedIdentity, require,
};
use tracing::Instrument;

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

async fn home(session: OneLoginSession) -> Html<String> {
    Html(demo_support::home(session.handle()))
}

async fn account(user: AuthenticatedUser, session: OneLoginSession, headers: HeaderMap) -> Response {
    if demo_support::wants_json(accept(&headers)) {
        return Json(demo_support::account_json(user.session())).into_response();
    }
    match demo_support::count_visit(session.handle()).await {
        Ok(visits) => Html(demo_support::account(session.handle(), user.session(), visits)).into_response(),
        Err(error) => Rejection::from(session.handle().error_response(&error)).into_response(),
    }
}

/// `POST /account` and `GET /api/me`: API calls (always JSON), guarded like the page.
async fn account_api(user: AuthenticatedUser) -> Response {
    Json(demo_support::account_json(user.session())).into_response()
}

async fn identity(id: VerifiedIdentity, session: OneLoginSession, headers: HeaderMap) -> Response {
    if demo_support::wants_json(accept(&headers)) {
        return Json(demo_support::identity_json(id.session())).into_response();
    }
    Html(demo_support::identity(session.handle(), id.session())).into_response()
}

async fn signed_out(session: OneLoginSession) -> Html<String> {
    Html(demo_support::signed_out(session.handle()))
}

/// `GET /assets/…`: one of the embedded files, by its exact path (nothing else is reachable).
async fn asset(uri: Uri) -> Response {
    match demo_support::assets::for_request_path(uri.path()) {
        Some(a) => (
            [(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, demo_support::assets::CACHE_CONTROL)],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `?lang=cy` / `?lang=en` on any page: sets the `lang` cookie and comes back without it
/// ([`demo_support::lang::switch`]).
async fn language(request: Request, next: Next) -> Response {
    let path_and_query = request.uri().path_and_query().map_or("/", |p| p.as_str());
    match demo_support::lang::switch(request.method().as_str(), path_and_query) {
        Some(s) => (StatusCode::SEE_OTHER, [(header::LOCATION, s.location), (header::SET_COOKIE, s.set_cookie)])
            .into_response(),
        None => next.run(request).await,
    }
}

async fn metrics() -> Response {
    ([(header::CONTENT_TYPE, demo_support::METRICS_CONTENT_TYPE)], demo_support::metrics_text()).into_response()
}

/// Runs the request in its span ([`demo_support::request_span`]), and logs its answer.
async fn traced(request: Request, next: Next) -> Response {
    let incoming = request.headers().get("x-request-id").and_then(|v| v.to_str().ok());
    let span = demo_support::request_span(request.method().as_str(), request.uri().path(), incoming);
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    demo_support::log_answer(&span, response.status().as_u16(), started);
    response
}

/// The demo's router: its routes and One Login's, inside the request span.
pub fn app(one_login: OneLogin) -> Router {
    let openapi = std::sync::Arc::<str>::from(demo_support::openapi::document(&one_login));
    Router::new()
        .route("/account", get(account).post(account_api).route_layer(require(Requirement::MEDIUM)))
        .route("/identity", get(identity).route_layer(require(Requirement::IDENTITY_P2)))
        .route("/api/me", get(account_api).route_layer(require(Requirement::MEDIUM).api()))
        .route("/", get(home))
        .route("/signed-out", get(signed_out))
        .route("/metrics", get(metrics))
        .route(
            "/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, demo_support::openapi::CONTENT_TYPE)], openapi.to_string()) }),
        )
        .route("/assets/{*path}", get(asset))
        .with_one_login(one_login)
        .layer(from_fn(language))
        .layer(from_fn(traced))
}

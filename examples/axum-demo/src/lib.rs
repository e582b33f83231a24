//! The axum demo service's router, shared by its binary and the tests.
//!
//! Routes: `/` public; `/account` needs `Cl.Cm`; `/identity` needs `Cl.Cm.P2`; `/signed-out`;
//! and the One Login routes `/auth/callback`, `/auth/logout`, `/auth/backchannel-logout`.
//! `/account` and `/identity` answer JSON to `Accept: application/json`; `POST /account` is a
//! JSON API call guarded like the page.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Json, Response};
use axum::routing::get;
use govuk_one_login::{OneLogin, Requirement};
use govuk_one_login_tower::{AuthenticatedUser, OneLoginRouterExt, VerifiedIdentity, require};

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok())
}

async fn home(user: Option<AuthenticatedUser>) -> Html<String> {
    Html(demo_support::home(user.as_deref()))
}

async fn account(user: AuthenticatedUser, headers: HeaderMap) -> Response {
    if demo_support::wants_json(accept(&headers)) {
        return Json(demo_support::account_json(&user)).into_response();
    }
    Html(demo_support::account(&user)).into_response()
}

/// `POST /account`: an API call (always JSON), guarded like the page.
async fn account_api(user: AuthenticatedUser) -> Response {
    Json(demo_support::account_json(&user)).into_response()
}

async fn identity(id: VerifiedIdentity, headers: HeaderMap) -> Response {
    if demo_support::wants_json(accept(&headers)) {
        return Json(demo_support::identity_json(id.session())).into_response();
    }
    Html(demo_support::identity(id.session())).into_response()
}

async fn signed_out() -> Html<String> {
    Html(demo_support::signed_out())
}

/// The demo's router.
pub fn app(one_login: OneLogin) -> Router {
    Router::new()
        .route("/account", get(account).post(account_api).route_layer(require(Requirement::MEDIUM)))
        .route("/identity", get(identity).route_layer(require(Requirement::IDENTITY_P2)))
        .route("/", get(home))
        .route("/signed-out", get(signed_out))
        .with_one_login(one_login)
}

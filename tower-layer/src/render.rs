//! The one place that turns core's [`WebResponse`] into an axum response.

use axum::body::Body;
use axum::response::Response;
use govuk_one_login::web::WebResponse;
use http::{HeaderName, HeaderValue, StatusCode};

pub(crate) fn render(web: WebResponse) -> Response {
    let mut response = Response::new(Body::from(web.body));
    *response.status_mut() = StatusCode::from_u16(web.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in web.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(HeaderName::from_static(name), value);
        }
    }
    response
}

/// Joins every `Cookie` header (HTTP/2 may split them).
pub(crate) fn cookie_header(headers: &http::HeaderMap) -> Option<String> {
    let parts: Vec<&str> = headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub(crate) fn header(headers: &http::HeaderMap, name: http::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn not_installed() -> Response {
    let mut r = Response::new(Body::from(
        "govuk-one-login: no session context: is `OneLoginLayer` installed (use `.with_one_login(one_login)` on the router, after adding routes)?",
    ));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

//! The one place that turns core's [`WebResponse`] into an actix response.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use govuk_one_login::web::WebResponse;

pub(crate) fn render(web: WebResponse) -> HttpResponse {
    let status = StatusCode::from_u16(web.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, web.body).map_into_boxed_body();
    for (name, value) in web.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(HeaderName::from_static(name), value);
        }
    }
    response
}

/// Joins every `Cookie` header.
pub(crate) fn cookie_header(headers: &HeaderMap) -> Option<String> {
    let parts: Vec<&str> = headers.get_all(actix_web::http::header::COOKIE).filter_map(|v| v.to_str().ok()).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn not_installed() -> HttpResponse {
    HttpResponse::InternalServerError()
        .body("govuk-one-login: no session context: is `OneLoginMiddleware` installed (`App::new().wrap(OneLoginMiddleware::new(one_login))`)?")
}

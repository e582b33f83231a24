//! The one place that turns core's [`WebResponse`] into an actix response and reads the
//! request facts core needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::HttpResponse;
use actix_web::dev::Extensions;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use govuk_one_login::web::{RequestInfo, WebResponse, missing_layer};

/// What the middleware, guards, extractors and routes answer when
/// [`OneLoginMiddleware`](crate::OneLoginMiddleware) is not installed around them.
const NOT_INSTALLED: &str = "govuk-one-login: this request has no session context: install the session \
     middleware (`App::new().wrap(OneLoginMiddleware::new(one_login))`)";

pub(crate) fn render(web: WebResponse) -> HttpResponse {
    let status = StatusCode::from_u16(web.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, web.body).map_into_boxed_body();
    for (name, value) in web.headers {
        // Core's names are lower-case ASCII; anything else an application put there is skipped.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

pub(crate) fn not_installed() -> HttpResponse {
    render(missing_layer(NOT_INSTALLED))
}

/// Logs the missing middleware (once per process) where no response will be sent.
pub(crate) fn missing_layer_logged() {
    let _ = missing_layer(NOT_INSTALLED);
}

/// Joins every `Cookie` header.
pub(crate) fn cookie_header(headers: &HeaderMap) -> Option<String> {
    let parts: Vec<&str> = headers.get_all(header::COOKIE).filter_map(|v| v.to_str().ok()).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn get<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Left on a request by a `require(..).api()` guard, so that the extractors and the handle
/// behind it treat the request as an API call too.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiRoute;

/// The request facts core reads.
pub(crate) fn request_info<'a>(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> RequestInfo<'a> {
    RequestInfo::new(method.as_str(), uri.path_and_query().map_or("/", |p| p.as_str()))
        .accept(get(headers, &header::ACCEPT))
        .accept_language(get(headers, &header::ACCEPT_LANGUAGE))
        .content_type(get(headers, &header::CONTENT_TYPE))
        .fetch_site(get(headers, &HeaderName::from_static("sec-fetch-site")))
}

/// Put on each request by [`OneLoginMiddleware`](crate::OneLoginMiddleware). A guard or
/// extractor that lets a signed-in session through marks it, and the middleware then gives the
/// response `Cache-Control: no-store` ([`no_store`]): the page carries the user's data.
#[derive(Debug, Clone, Default)]
pub(crate) struct Personal(Arc<AtomicBool>);

impl Personal {
    /// Marks the request's response as carrying a signed-in user's data.
    pub(crate) fn mark(extensions: &Extensions) {
        if let Some(personal) = extensions.get::<Personal>() {
            personal.0.store(true, Ordering::Relaxed);
        }
    }
    pub(crate) fn is_marked(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// `Cache-Control: no-store` on a response that carries a signed-in user's data, so that no
/// shared or browser cache keeps it; a `Cache-Control` the handler set itself is its choice.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

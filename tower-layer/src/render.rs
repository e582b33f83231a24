//! The one place that turns core's [`WebResponse`] into an `http` response and reads the
//! request facts core needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use govuk_one_login::web::{RequestInfo, WebResponse, missing_layer};
use http::{Extensions, HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// What the layers and extractors answer when [`OneLoginLayer`](crate::OneLoginLayer) is not
/// installed around them.
const NOT_INSTALLED: &str = "govuk-one-login: this request has no session context: install the session layer \
     (`router.with_one_login(one_login)` after adding your routes, or `.layer(OneLoginLayer::new(one_login))`)";

pub(crate) fn render<B: From<String>>(web: WebResponse) -> http::Response<B> {
    let mut response = http::Response::new(B::from(web.body));
    *response.status_mut() = web.status;
    for (name, value) in web.headers {
        // Core's names are lower-case ASCII; anything else an application put there is skipped.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

pub(crate) fn not_installed<B: From<String>>() -> http::Response<B> {
    render(missing_layer(NOT_INSTALLED))
}

/// Joins every `Cookie` header (HTTP/2 may split them).
pub(crate) fn cookie_header(headers: &HeaderMap) -> Option<String> {
    let parts: Vec<&str> = headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Left on a request by a `require(..).api()` guard, so that the extractors and the handle
/// behind it treat the request as an API call too.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ApiRoute;

/// The request facts core reads. The path is the one the client sent (axum's `OriginalUri`,
/// when a `Router::nest` stripped a prefix), so return paths and API paths see the whole path;
/// a `require(..).api()` in front marks the request an API call.
pub(crate) fn request_info<'a>(
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    extensions: &'a Extensions,
) -> RequestInfo<'a> {
    let uri = extensions.get::<axum::extract::OriginalUri>().map_or(uri, |original| &original.0);
    RequestInfo::new(method.as_str(), uri.path_and_query().map_or("/", |p| p.as_str()))
        .accept(header(headers, http::header::ACCEPT))
        .accept_language(header(headers, http::header::ACCEPT_LANGUAGE))
        .content_type(header(headers, http::header::CONTENT_TYPE))
        .fetch_site(header(headers, HeaderName::from_static("sec-fetch-site")))
        .api(extensions.get::<ApiRoute>().is_some())
}

/// Put on each request by [`OneLoginLayer`](crate::OneLoginLayer). A guard or extractor that
/// lets a signed-in session through marks it, and the layer then gives the response
/// `Cache-Control: no-store` ([`no_store`]): the page carries the user's data.
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
    if !headers.contains_key(http::header::CACHE_CONTROL) {
        headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

//! The one place that turns core's [`WebResponse`] into an `http` response and reads the
//! request facts core needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use govuk_one_login::OneLogin;
use govuk_one_login::web::{RequestInfo, SessionContext, WebResponse, lang_preference, missing_layer};
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

/// The answer where the layer is missing. It closes the connection: a route's request body
/// is left unread.
pub(crate) fn not_installed<B: From<String>>() -> http::Response<B> {
    render(missing_layer(NOT_INSTALLED).closing_unless(false))
}

/// Whether the request says it has a body (a non-zero `Content-Length`, or any
/// `Transfer-Encoding`): an answer given without reading it closes the connection
/// ([`WebResponse::closing_unless`]).
pub(crate) fn has_body(headers: &HeaderMap) -> bool {
    headers.contains_key(http::header::TRANSFER_ENCODING)
        || headers.get(http::header::CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
}

/// Joins every `Cookie` header (HTTP/2 may split them).
pub(crate) fn cookie_header(headers: &HeaderMap) -> Option<String> {
    with_cookie_texts(headers, |texts| {
        let parts: Vec<&str> = texts.collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    })
}

/// Gives `read` every `Cookie` header's text, in order. A header that is not UTF-8 (another
/// site's cookie with other bytes in it) is read with those bytes replaced, so that it cannot
/// hide ours; only then is anything copied.
pub(crate) fn with_cookie_texts<R>(headers: &HeaderMap, read: impl FnOnce(&mut dyn Iterator<Item = &str>) -> R) -> R {
    if headers.get_all(http::header::COOKIE).iter().all(|v| std::str::from_utf8(v.as_bytes()).is_ok()) {
        read(&mut headers.get_all(http::header::COOKIE).iter().filter_map(|v| std::str::from_utf8(v.as_bytes()).ok()))
    } else {
        let lossy: Vec<String> = headers
            .get_all(http::header::COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        read(&mut lossy.iter().map(String::as_str))
    }
}

fn header(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

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
        .lang(lang_preference(headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok())))
        .content_type(header(headers, http::header::CONTENT_TYPE))
        .fetch_site(header(headers, HeaderName::from_static("sec-fetch-site")))
        .fetch_mode(header(headers, HeaderName::from_static("sec-fetch-mode")))
        .api(installed(extensions).is_some_and(Installed::is_api))
}

/// What [`OneLoginLayer`](crate::OneLoginLayer) puts on each request, as one extension: the
/// engine, the session context, whether the route is an API's, and whether a guard or
/// extractor let a signed-in session through (then the layer gives the response
/// `Cache-Control: no-store`, [`no_store`]: the page carries the user's data).
#[derive(Clone)]
pub(crate) struct Installed(Arc<InstalledState>);

struct InstalledState {
    one_login: OneLogin,
    ctx: SessionContext,
    api: AtomicBool,
    personal: AtomicBool,
}

impl Installed {
    pub(crate) fn new(one_login: OneLogin, ctx: SessionContext) -> Self {
        Self(Arc::new(InstalledState { one_login, ctx, api: AtomicBool::new(false), personal: AtomicBool::new(false) }))
    }
    pub(crate) fn one_login(&self) -> &OneLogin {
        &self.0.one_login
    }
    pub(crate) fn ctx(&self) -> &SessionContext {
        &self.0.ctx
    }
    /// Marks the response as carrying the user's data.
    pub(crate) fn mark_personal(&self) {
        self.0.personal.store(true, Ordering::Relaxed);
    }
    pub(crate) fn is_personal(&self) -> bool {
        self.0.personal.load(Ordering::Relaxed)
    }
    /// Marks the route as an API's (JSON errors, no redirects), as `require(..).api()` does.
    pub(crate) fn mark_api(&self) {
        self.0.api.store(true, Ordering::Relaxed);
    }
    fn is_api(&self) -> bool {
        self.0.api.load(Ordering::Relaxed)
    }
}

/// What the layer put on the request, if it is installed.
pub(crate) fn installed(extensions: &Extensions) -> Option<&Installed> {
    extensions.get::<Installed>()
}

/// The session context [`OneLoginLayer`](crate::OneLoginLayer) put on a request, for a plain
/// `http` service behind the layer (axum handlers use the extractors). `None` without the
/// layer. Reading it does not mark the response as personal: a service that answers with the
/// user's data sets its own `Cache-Control`, or sits behind [`require`](crate::require).
///
/// ```
/// use govuk_one_login_tower::session_context;
/// let request = http::Request::new(());
/// assert!(session_context(request.extensions()).is_none(), "no layer, no context");
/// ```
pub fn session_context(extensions: &Extensions) -> Option<&SessionContext> {
    installed(extensions).map(Installed::ctx)
}

/// Marks the response as carrying the user's data (see [`Installed`]).
pub(crate) fn mark_personal(extensions: &Extensions) {
    if let Some(installed) = installed(extensions) {
        installed.mark_personal();
    }
}

/// `Cache-Control: no-store` on a response that carries a signed-in user's data, so that no
/// shared or browser cache keeps it; a `Cache-Control` the handler set itself is its choice.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    if !headers.contains_key(http::header::CACHE_CONTROL) {
        headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

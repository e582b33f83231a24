//! The one place that turns core's [`WebResponse`] into an actix response and reads the
//! request facts core needs.

use std::cell::Cell;
use std::rc::Rc;

use actix_web::HttpResponse;
use actix_web::dev::Extensions;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use govuk_one_login::OneLogin;
use govuk_one_login::web::{RequestInfo, SessionContext, WebResponse, lang_preference, missing_layer};

/// What the middleware, guards, extractors and routes answer when
/// [`OneLoginMiddleware`](crate::OneLoginMiddleware) is not installed around them.
const NOT_INSTALLED: &str = "govuk-one-login: this request has no session context: install the session \
     middleware (`App::new().wrap(OneLoginMiddleware::new(one_login))`)";

pub(crate) fn render(web: WebResponse) -> HttpResponse {
    let status = StatusCode::from_u16(web.status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, web.body).map_into_boxed_body();
    for (name, value) in web.headers {
        // actix-web writes the `Connection` header itself, from the response's connection type.
        if name == "connection" && value.eq_ignore_ascii_case("close") {
            response.head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
            continue;
        }
        // Core's names are lower-case ASCII; anything else an application put there is skipped.
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The answer where the middleware is missing. It closes the connection: a route's request
/// body is left unread.
pub(crate) fn not_installed() -> HttpResponse {
    render(missing_layer(NOT_INSTALLED).closing_unless(false))
}

/// Logs the missing middleware (once per process) where no response will be sent.
pub(crate) fn missing_layer_logged() {
    let _ = missing_layer(NOT_INSTALLED);
}

/// Joins every `Cookie` header.
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
    if headers.get_all(header::COOKIE).all(|v| std::str::from_utf8(v.as_bytes()).is_ok()) {
        read(&mut headers.get_all(header::COOKIE).filter_map(|v| std::str::from_utf8(v.as_bytes()).ok()))
    } else {
        let lossy: Vec<String> =
            headers.get_all(header::COOKIE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).collect();
        read(&mut lossy.iter().map(String::as_str))
    }
}

fn get<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The request facts core reads.
pub(crate) fn request_info<'a>(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> RequestInfo<'a> {
    RequestInfo::new(method.as_str(), uri.path_and_query().map_or("/", |p| p.as_str()))
        .accept(get(headers, &header::ACCEPT))
        .accept_language(get(headers, &header::ACCEPT_LANGUAGE))
        .lang(lang_preference(headers.get_all(header::COOKIE).filter_map(|v| v.to_str().ok())))
        .content_type(get(headers, &header::CONTENT_TYPE))
        .fetch_site(get(headers, &HeaderName::from_static("sec-fetch-site")))
        .fetch_mode(get(headers, &HeaderName::from_static("sec-fetch-mode")))
}

/// What [`OneLoginMiddleware`](crate::OneLoginMiddleware) puts on each request, as one
/// extension: the engine, the session context, whether the route is an API's, and whether a
/// guard or extractor let a signed-in session through (then the middleware gives the response
/// `Cache-Control: no-store`, [`no_store`]: the page carries the user's data).
#[derive(Clone)]
pub(crate) struct Installed(Rc<InstalledState>);

struct InstalledState {
    one_login: OneLogin,
    ctx: SessionContext,
    api: Cell<bool>,
    personal: Cell<bool>,
}

impl Installed {
    pub(crate) fn new(one_login: OneLogin, ctx: SessionContext) -> Self {
        Self(Rc::new(InstalledState { one_login, ctx, api: Cell::new(false), personal: Cell::new(false) }))
    }
    pub(crate) fn one_login(&self) -> &OneLogin {
        &self.0.one_login
    }
    pub(crate) fn ctx(&self) -> &SessionContext {
        &self.0.ctx
    }
    pub(crate) fn mark_personal(&self) {
        self.0.personal.set(true);
    }
    pub(crate) fn is_personal(&self) -> bool {
        self.0.personal.get()
    }
    /// Marks the route as an API's (JSON errors, no redirects), as `require(..).api()` does.
    pub(crate) fn mark_api(&self) {
        self.0.api.set(true);
    }
}

/// What the middleware put on the request, if it is installed.
pub(crate) fn installed(extensions: &Extensions) -> Option<Installed> {
    extensions.get::<Installed>().cloned()
}

/// Whether a `require(..).api()` guard marked the request's route as an API's.
pub(crate) fn is_api(extensions: &Extensions) -> bool {
    extensions.get::<Installed>().is_some_and(|i| i.0.api.get())
}

/// Marks the response as carrying the user's data (see [`Installed`]).
pub(crate) fn mark_personal(extensions: &Extensions) {
    if let Some(installed) = extensions.get::<Installed>() {
        installed.mark_personal();
    }
}

/// The session context [`OneLoginMiddleware`](crate::OneLoginMiddleware) put on a request, for
/// middleware of the application's own (handlers use the extractors). `None` without the
/// middleware. Reading it does not mark the response as personal.
///
/// ```
/// use actix_web::HttpMessage;
/// use govuk_one_login_actix::session_context;
/// let request = actix_web::test::TestRequest::default().to_http_request();
/// assert!(session_context(&request.extensions()).is_none(), "no middleware, no context");
/// ```
pub fn session_context(extensions: &Extensions) -> Option<SessionContext> {
    extensions.get::<Installed>().map(|i| i.ctx().clone())
}

/// `Cache-Control: no-store` on a response that carries a signed-in user's data, so that no
/// shared or browser cache keeps it; a `Cache-Control` the handler set itself is its choice.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::ConnectionType;

    use super::*;

    /// Core's `Connection: close` (an answer whose request body was left unread) becomes
    /// actix-web's own connection type, which writes the header and closes the connection.
    #[test]
    fn connection_close_becomes_the_response_connection_type() {
        let mut web = missing_layer("a test");
        web.headers.push(("connection", "close".into()));
        let closing = render(web);
        assert_eq!(closing.head().connection_type(), ConnectionType::Close);
        assert!(closing.headers().get(header::CONNECTION).is_none(), "written by actix-web, once");
        let kept = render(missing_layer("a test"));
        assert_ne!(kept.head().connection_type(), ConnectionType::Close);
    }
}

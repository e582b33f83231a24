//! What a web adapter needs, framework-free: reading the session from cookies, the guard's
//! [`Decision`], the pages hook ([`Pages`]), the handle handlers act through
//! ([`SessionHandle`]), and the routes the adapters mount (sign-in, callback, sign-out,
//! back-channel logout, JWKS), each taking plain request facts ([`RequestInfo`]) and giving a
//! [`WebResponse`] to render.
//!
//! Core decides; the application renders. Adapters (tower/axum, actix-web) only translate
//! their request into these inputs and the [`WebResponse`] into their response type. Every
//! check lives here, once.

pub(crate) mod cookies;
mod decision;
mod extractors;
mod guard;
mod handle;
mod pages;
mod request;
mod routes;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::StatusCode;

pub use cookies::{FLOW_COOKIE, FLOW_COOKIE_INSECURE, SESSION_COOKIE, SESSION_COOKIE_INSECURE};
pub use decision::{Decision, Denial, DenialCode};
pub use handle::{SessionHandle, SignOutForm};
pub use pages::{
    DefaultPages, IdentityNotProvenPage, Locale, Pages, ProblemKind, ProblemPage, default_identity_not_proven,
    default_problem, escape_html,
};
pub use request::{LANG_COOKIE, RequestInfo, lang_preference};
pub use routes::{CSRF_FIELD, MAX_FORM_BODY, MountedRoute, RouteKind};
#[cfg(feature = "openapi")]
pub(crate) use {
    decision::DenialBody,
    routes::{BackchannelLogoutError, BackchannelLogoutErrorBody},
};

use crate::client::OneLogin;
use crate::error::Error;
use crate::session::{SessionId, SessionRecord};

/// A response to render: status, headers and body. Header names are lower-case ASCII.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebResponse {
    /// The HTTP status code.
    pub status: StatusCode,
    /// Headers, in order (`set-cookie` may repeat).
    pub headers: Vec<(&'static str, String)>,
    /// The body (HTML, JSON, or empty).
    pub body: String,
}

impl std::fmt::Debug for WebResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A `set-cookie` value is a session id or flow binding: only the names are shown.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("WebResponse")
            .field("status", &self.status)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl WebResponse {
    pub(crate) fn new(status: StatusCode) -> Self {
        Self { status, headers: vec![("cache-control", "no-store".into())], body: String::new() }
    }
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    pub(crate) fn html(self, body: String) -> Self {
        Self { body, ..self }.header("content-type", "text/html; charset=utf-8")
    }
    pub(crate) fn json(self, body: &impl serde::Serialize) -> Self {
        match serde_json::to_string(body) {
            Ok(body) => Self { body, ..self }.header("content-type", "application/json"),
            // The bodies are the library's own types, which serialize; were one not to, the
            // answer says so rather than send an empty JSON body with the intended status.
            Err(error) => {
                tracing::error!(%error, "a response body could not be serialized");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        Self::new(StatusCode::from_u16(status).unwrap_or(StatusCode::SEE_OTHER)).header("location", location)
    }
    /// This answer, saying `Connection: close` unless `body_read` (the request's body was read
    /// to its end, or it had none): with a body left unread, the connection cannot carry the
    /// client's next request. Adapters call it on every answer given without reading the body
    /// (a refusal, a denial, a failure).
    pub fn closing_unless(self, body_read: bool) -> Self {
        if body_read || self.header_value("connection").is_some() { self } else { self.header("connection", "close") }
    }
    /// The value of the first header with this name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The session a request carries, loaded once per request by the adapter's middleware.
/// `Debug` shows whether there is a session, never its id or the flow cookie.
#[derive(Clone, Default)]
pub struct SessionContext {
    pub(crate) id: Option<SessionId>,
    pub(crate) record: Option<Arc<SessionRecord>>,
    pub(crate) flow_cookie: Option<String>,
}

impl std::fmt::Debug for SessionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionContext")
            .field("session", &self.record)
            .field("flow_cookie", &self.flow_cookie.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

impl SessionContext {
    /// The live session, if the request has one.
    pub fn record(&self) -> Option<&Arc<SessionRecord>> {
        self.record.as_ref()
    }
    /// The live session's id, if the request has one.
    pub fn id(&self) -> Option<&SessionId> {
        self.id.as_ref()
    }
}

impl OneLogin {
    /// [`OneLogin::session_context`] from memory alone, for an adapter's hot path: reads the
    /// cookies from every `Cookie` header of the request as they are (no joining, no copy),
    /// and answers when the store can from this process (the memory store always; the Redis
    /// store when its trusted local copy has the session). `None` when the answer needs the
    /// store's I/O (the session not at hand, an idle deadline due to move, an ended session
    /// to delete): then call [`OneLogin::session_context`]. Both make the same checks.
    /// The crate's front page shows it beside [`OneLogin::session_context`].
    pub fn session_context_now<'a>(
        &self,
        cookie_headers: impl IntoIterator<Item = &'a str>,
    ) -> Option<Result<SessionContext, Error>> {
        let names = cookies::Names::for_config(self.config());
        let (session, flow) = cookies::read_headers(cookie_headers, &names);
        let mut ctx = SessionContext { flow_cookie: flow.map(str::to_owned), ..Default::default() };
        if let Some(id) = session.and_then(SessionId::parse) {
            match self.load_session_now(&id, self.unix_now())? {
                Ok(Some(record)) => (ctx.id, ctx.record) = (Some(id), Some(record)),
                Ok(None) => {}
                Err(error) => return Some(Err(error)),
            }
        }
        Some(Ok(ctx))
    }

    /// Reads the session and flow cookies from a `Cookie` header and loads the session: one
    /// cookie parse and one store lookup. An unknown, expired or tampered id gives an empty
    /// context; a store failure is an error (the session is not silently dropped).
    pub async fn session_context(&self, cookie_header: Option<&str>) -> Result<SessionContext, Error> {
        let names = cookies::Names::for_config(self.config());
        let (session, flow) = cookies::read(cookie_header, &names);
        let mut ctx = SessionContext { flow_cookie: flow, ..Default::default() };
        if let Some(value) = session
            && let Some((id, record)) = self.session(&value).await?
        {
            ctx.id = Some(id);
            ctx.record = Some(record);
        }
        Ok(ctx)
    }
}

/// The answer every guard, extractor and route gives when the adapter's session layer is not
/// installed around it: 500 with `message` (which names the layer and how to install it). The
/// first time in a process it is also logged, once, as an error.
pub fn missing_layer(message: &'static str) -> WebResponse {
    static LOGGED: AtomicBool = AtomicBool::new(false);
    if !LOGGED.swap(true, Ordering::Relaxed) {
        tracing::error!("{message}");
    }
    let mut response = WebResponse::new(StatusCode::INTERNAL_SERVER_ERROR);
    message.clone_into(&mut response.body);
    response.header("content-type", "text/plain; charset=utf-8")
}

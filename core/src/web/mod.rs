//! What a web adapter needs, framework-free: reading the session from cookies, the guard's
//! decision, and the routes the adapters mount (callback, sign-out, back-channel logout,
//! JWKS), each taking plain request facts and giving a [`WebResponse`] to render.
//!
//! Adapters (tower/axum, actix-web) only translate their request into these inputs and the
//! [`WebResponse`] into their response type. Every check lives here, once.

mod cookies;
mod extractors;
mod guard;
mod pages;
mod routes;

use std::sync::Arc;

pub use cookies::{FLOW_COOKIE, FLOW_COOKIE_INSECURE, SESSION_COOKIE, SESSION_COOKIE_INSECURE};
pub use guard::{GuardOutcome, Needs, RequestInfo};

use crate::client::OneLogin;
use crate::error::Error;
use crate::session::{SessionId, SessionRecord};

/// A response to render: status, headers and body. Header names are lower-case ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Headers, in order (`set-cookie` may repeat).
    pub headers: Vec<(&'static str, String)>,
    /// The body (HTML, JSON, or empty).
    pub body: String,
}

impl WebResponse {
    pub(crate) fn new(status: u16) -> Self {
        Self { status, headers: vec![("cache-control", "no-store".into())], body: String::new() }
    }
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    pub(crate) fn html(self, body: String) -> Self {
        Self { body, ..self }.header("content-type", "text/html; charset=utf-8")
    }
    pub(crate) fn json(self, body: &serde_json::Value) -> Self {
        Self { body: body.to_string(), ..self }.header("content-type", "application/json")
    }
    pub(crate) fn redirect(status: u16, location: &str) -> Self {
        Self::new(status).header("location", location)
    }
    /// The value of the first header with this name.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The session a request carries, loaded once per request by the adapter's middleware.
#[derive(Debug, Clone, Default)]
pub struct SessionContext {
    /// The session id from the cookie, when it names a live session.
    pub id: Option<SessionId>,
    /// The live session.
    pub record: Option<Arc<SessionRecord>>,
    /// The browser's flow cookie, if any (binds logins to this browser).
    pub flow_cookie: Option<String>,
}

impl OneLogin {
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

    /// A page or JSON body for an error, with its status. Never shows internals.
    pub fn error_response(&self, error: &Error, wants_json: bool) -> WebResponse {
        pages::problem(error.http_status().as_u16(), error.public_message(), wants_json)
    }
}

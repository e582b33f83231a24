//! Extractors: [`AuthenticatedUser`] and [`VerifiedIdentity`]. `Option<…>` of either is `None`
//! instead of a rejection.

use std::fmt;
use std::future::{Ready, ready};
use std::ops::Deref;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use govuk_one_login::web::{GuardOutcome, RequestInfo, SessionContext, WebResponse};
use govuk_one_login::{OneLogin, Requirement, SessionRecord};

use crate::render::{header, not_installed, render};

/// A signed-in user: the session record (sub, email, phone, levels, ID token for logout, CSRF
/// token for the sign-out form). Without a session, pages are sent to the sign-in route (at
/// `Cl.Cm`) and APIs get 401.
#[derive(Clone, Debug)]
pub struct AuthenticatedUser(pub Arc<SessionRecord>);

impl Deref for AuthenticatedUser {
    type Target = SessionRecord;
    fn deref(&self) -> &SessionRecord {
        &self.0
    }
}

/// A verified core identity. It exists only when the session holds a verified
/// `coreIdentityJWT`; otherwise the request is rejected with a step-up to `Cl.Cm.P2` (pages)
/// or 401/403 (APIs), never defaulted.
#[derive(Clone, Debug)]
pub struct VerifiedIdentity(pub Arc<SessionRecord>);

impl Deref for VerifiedIdentity {
    type Target = govuk_one_login::VerifiedIdentity;
    fn deref(&self) -> &govuk_one_login::VerifiedIdentity {
        self.0.identity().expect("VerifiedIdentity is only built with an identity")
    }
}

impl VerifiedIdentity {
    /// The whole session (sub, levels, contact claims).
    pub fn session(&self) -> &SessionRecord {
        &self.0
    }
}

/// An extractor's rejection: the sign-in redirect, step-up, or a JSON error.
#[derive(Debug)]
pub struct Rejection(Option<WebResponse>);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GOV.UK One Login: this request needs a sign-in or a higher level")
    }
}

impl ResponseError for Rejection {
    fn error_response(&self) -> HttpResponse {
        match &self.0 {
            Some(web) => render(web.clone()),
            None => not_installed(),
        }
    }
}

fn guarded(req: &HttpRequest, requirement: Requirement, need_identity: bool) -> Result<Arc<SessionRecord>, Rejection> {
    let ext = req.extensions();
    let (Some(one_login), Some(ctx)) = (ext.get::<OneLogin>(), ext.get::<SessionContext>()) else {
        return Err(Rejection(None));
    };
    if let Some(record) = ctx.record.as_ref().filter(|r| !need_identity || r.identity().is_some()) {
        return Ok(record.clone());
    }
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let info = RequestInfo {
        method: req.method().as_str(),
        path_and_query: path,
        accept: header(req.headers(), &actix_web::http::header::ACCEPT),
    };
    match one_login.guard_now(&requirement, ctx, &info) {
        // Allowed at an identity level means a verified identity is in the session.
        GuardOutcome::Allow(record) => Ok(record),
        GuardOutcome::Respond(web) => Err(Rejection(Some(web))),
    }
}

impl FromRequest for AuthenticatedUser {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(guarded(req, Requirement::MEDIUM, false).map(Self))
    }
}

impl FromRequest for VerifiedIdentity {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(guarded(req, Requirement::IDENTITY_P2, true).map(Self))
    }
}

//! Extractors: [`AuthenticatedUser`] and [`VerifiedIdentity`], and their `Option` forms.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use govuk_one_login::web::{GuardOutcome, RequestInfo, SessionContext};
use govuk_one_login::{OneLogin, Requirement, SessionRecord};
use http::request::Parts;

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

/// A verified core identity (name, birth dates, and the address, passport and driving-permit
/// claims). It exists only when the session holds a verified `coreIdentityJWT`; otherwise the
/// request is rejected with a step-up to `Cl.Cm.P2` (pages) or 401/403 (APIs), never defaulted.
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
pub struct Rejection(Box<Response>);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

fn context(parts: &Parts) -> Result<(OneLogin, SessionContext), Rejection> {
    match (parts.extensions.get::<OneLogin>(), parts.extensions.get::<SessionContext>()) {
        (Some(o), Some(c)) => Ok((o.clone(), c.clone())),
        _ => Err(Rejection(Box::new(not_installed()))),
    }
}

/// Runs the core guard for `requirement` without I/O; `Ok` when allowed.
fn guarded(parts: &Parts, requirement: Requirement) -> Result<Arc<SessionRecord>, Rejection> {
    let (one_login, ctx) = context(parts)?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let info = RequestInfo {
        method: parts.method.as_str(),
        path_and_query: path,
        accept: header(&parts.headers, http::header::ACCEPT),
    };
    match one_login.guard_now(&requirement, &ctx, &info) {
        GuardOutcome::Allow(record) => Ok(record),
        GuardOutcome::Respond(web) => Err(Rejection(Box::new(render(web)))),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        if let Some(record) = context(parts)?.1.record {
            return Ok(Self(record));
        }
        guarded(parts, Requirement::MEDIUM).map(Self)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthenticatedUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        Ok(context(parts)?.1.record.map(Self))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedIdentity {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        if let Some(record) = context(parts)?.1.record.filter(|r| r.identity().is_some()) {
            return Ok(Self(record));
        }
        // Allowed at an identity level means a verified identity is in the session.
        guarded(parts, Requirement::IDENTITY_P2).map(Self)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedIdentity {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        Ok(context(parts)?.1.record.filter(|r| r.identity().is_some()).map(Self))
    }
}

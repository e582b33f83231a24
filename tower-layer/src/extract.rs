//! Extractors: [`AuthenticatedUser`], [`VerifiedIdentity`] and their `Option` forms, and
//! [`OneLoginSession`], the handle for actions.

use axum::body::Body;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use govuk_one_login::web::{Decision, Denial, SessionContext, SessionHandle, WebResponse};
use govuk_one_login::{OneLogin, Requirement};
use http::request::Parts;

use crate::render::{has_body, installed, mark_personal, not_installed, render, request_info};

govuk_one_login::extractor_types!();

/// An extractor's rejection: the redirect that starts a sign-in or step-up, a JSON
/// [`Denial`], or a page. Build one from a [`Denial`] so that a handler's own refusal matches
/// the library's:
///
/// ```
/// use govuk_one_login_tower::Rejection;
/// use govuk_one_login_tower::Requirement;
/// use govuk_one_login_tower::web::Denial;
/// let rejection = Rejection::from(Denial::unauthenticated(&Requirement::MEDIUM));
/// # let _ = rejection;
/// ```
pub struct Rejection(Box<Response>);

impl std::fmt::Debug for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The headers carry the flow cookie and the authorize URL: names only.
        let names: Vec<&str> = self.0.headers().keys().map(http::HeaderName::as_str).collect();
        f.debug_struct("Rejection").field("status", &self.0.status()).field("headers", &names).finish_non_exhaustive()
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Denial> for Rejection {
    fn from(denial: Denial) -> Self {
        Self::from(denial.to_response())
    }
}

impl From<WebResponse> for Rejection {
    fn from(web: WebResponse) -> Self {
        Self(Box::new(render::<Body>(web)))
    }
}

fn context(parts: &Parts) -> Result<(&OneLogin, &SessionContext), Rejection> {
    match installed(&parts.extensions) {
        Some(installed) => Ok((installed.one_login(), installed.ctx())),
        None => Err(Rejection(Box::new(not_installed()))),
    }
}

/// A denial given before the handler read the body: it closes a connection that carries one.
fn unread(parts: &Parts, web: WebResponse) -> Rejection {
    Rejection::from(web.closing_unless(!has_body(&parts.headers)))
}

/// The decision alone (no I/O): for the `Option` forms, which never start a sign-in.
fn allowed(
    parts: &Parts,
    requirement: &Requirement,
) -> Result<Option<std::sync::Arc<govuk_one_login::SessionRecord>>, Rejection> {
    let (one_login, ctx) = context(parts)?;
    let info = request_info(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
    Ok(match one_login.decide(requirement, ctx, &info) {
        Decision::Allow(record) => {
            mark_personal(&parts.extensions);
            Some(record)
        }
        _ => None,
    })
}

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let (one_login, ctx) = context(parts)?;
        let info = request_info(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
        let session = one_login.guard(&Requirement::MEDIUM, ctx, &info).await.map_err(|web| unread(parts, web))?;
        mark_personal(&parts.extensions);
        Ok(Self(session))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthenticatedUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        Ok(allowed(parts, &Requirement::MEDIUM)?.map(Self))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedIdentity {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let (one_login, ctx) = context(parts)?;
        let info = request_info(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
        let (session, identity) = one_login.guard_identity(ctx, &info).await.map_err(|web| unread(parts, web))?;
        mark_personal(&parts.extensions);
        Ok(Self { session, identity })
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedIdentity {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        let session = allowed(parts, &Requirement::IDENTITY_P2)?;
        Ok(session.and_then(|session| {
            let identity = session.identity()?.clone();
            Some(Self { session, identity })
        }))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for OneLoginSession {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        let (one_login, ctx) = context(parts)?;
        let info = request_info(&parts.method, &parts.uri, &parts.headers, &parts.extensions);
        if ctx.record().is_some() {
            mark_personal(&parts.extensions);
        }
        Ok(Self(SessionHandle::new(one_login.clone(), ctx.clone(), &info)))
    }
}

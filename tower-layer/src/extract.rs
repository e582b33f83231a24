//! Extractors: [`AuthenticatedUser`] and [`VerifiedIdentity`], and their `Option` forms.

use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use govuk_one_login::web::{Needs, RequestInfo, SessionContext};
use govuk_one_login::{OneLogin, SessionRecord};
use http::request::Parts;

use crate::render::{header, not_installed, render};

govuk_one_login::extractor_types!();

/// An extractor's rejection: the sign-in redirect, step-up, or a JSON error.
#[derive(Debug)]
pub struct Rejection(Box<Response>);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

fn extract(parts: &Parts, needs: Needs) -> Result<Arc<SessionRecord>, Rejection> {
    let (Some(one_login), Some(ctx)) = (parts.extensions.get::<OneLogin>(), parts.extensions.get::<SessionContext>())
    else {
        return Err(Rejection(Box::new(not_installed())));
    };
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let info = RequestInfo {
        method: parts.method.as_str(),
        path_and_query: path,
        accept: header(&parts.headers, http::header::ACCEPT),
    };
    one_login.extract(needs, ctx, &info).map_err(|web| Rejection(Box::new(render(web))))
}

fn optional(parts: &Parts, needs: Needs) -> Result<Option<Arc<SessionRecord>>, Rejection> {
    match extract(parts, needs) {
        Ok(record) => Ok(Some(record)),
        Err(_) if parts.extensions.get::<SessionContext>().is_some() => Ok(None),
        Err(rejection) => Err(rejection),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        extract(parts, Needs::Session).map(Self)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthenticatedUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        Ok(optional(parts, Needs::Session)?.map(Self))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedIdentity {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Rejection> {
        extract(parts, Needs::Identity).map(Self)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for VerifiedIdentity {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Rejection> {
        Ok(optional(parts, Needs::Identity)?.map(Self))
    }
}

//! Extractors: [`AuthenticatedUser`] and [`VerifiedIdentity`]. `Option<…>` of either is `None`
//! instead of a rejection.

use std::fmt;
use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use govuk_one_login::web::{Needs, RequestInfo, SessionContext, WebResponse};
use govuk_one_login::{OneLogin, SessionRecord};

use crate::render::{header, not_installed, render};

govuk_one_login::extractor_types!();

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

fn extract(req: &HttpRequest, needs: Needs) -> Result<Arc<SessionRecord>, Rejection> {
    let ext = req.extensions();
    let (Some(one_login), Some(ctx)) = (ext.get::<OneLogin>(), ext.get::<SessionContext>()) else {
        return Err(Rejection(None));
    };
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let info = RequestInfo {
        method: req.method().as_str(),
        path_and_query: path,
        accept: header(req.headers(), &actix_web::http::header::ACCEPT),
    };
    one_login.extract(needs, ctx, &info).map_err(|web| Rejection(Some(web)))
}

impl FromRequest for AuthenticatedUser {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req, Needs::Session).map(Self))
    }
}

impl FromRequest for VerifiedIdentity {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(extract(req, Needs::Identity).map(Self))
    }
}

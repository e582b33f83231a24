//! Extractors: [`AuthenticatedUser`], [`VerifiedIdentity`] (`Option<…>` of either is `None`
//! instead of a rejection) and [`OneLoginSession`], the handle for actions.

use std::fmt;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use govuk_one_login::web::{Decision, Denial, SessionContext, SessionHandle, WebResponse};
use govuk_one_login::{LoginRequest, OneLogin, Requirement};

use crate::render::{installed, is_api, mark_personal, missing_layer_logged, not_installed, render, request_info};

govuk_one_login::extractor_types!();

/// An extractor's rejection: the redirect that starts a sign-in or step-up, a JSON
/// [`Denial`], or a page. Build one from a [`Denial`] so that a handler's own refusal matches
/// the library's:
///
/// ```
/// use govuk_one_login_actix::{Rejection, Requirement};
/// use govuk_one_login_actix::web::Denial;
/// let rejection = Rejection::from(Denial::unauthenticated(&Requirement::MEDIUM));
/// # let _ = rejection;
/// ```
#[derive(Debug)]
pub struct Rejection(Refusal);

#[derive(Debug)]
enum Refusal {
    Respond(Box<WebResponse>),
    /// Started by [`OneLoginMiddleware`](crate::OneLoginMiddleware) once the handler has
    /// answered, so that an `Option<…>` extractor, which drops its rejection, starts nothing.
    /// Until then the response is a redirect to the local sign-in route for the same level and
    /// path, so that a middleware in between that rebuilds responses still gets the user
    /// signed in (one hop later) rather than an error page.
    SignIn(Box<(LoginRequest, String)>),
    NotInstalled,
}

/// The marker a sign-in rejection leaves on its response for the middleware.
#[derive(Debug, Clone)]
pub(crate) struct StartSignIn(pub(crate) LoginRequest);

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GOV.UK One Login: this request needs a sign-in or a higher level")
    }
}

impl ResponseError for Rejection {
    fn error_response(&self) -> HttpResponse {
        match &self.0 {
            Refusal::Respond(web) => render((**web).clone()),
            Refusal::SignIn(start) => {
                let (login, fallback) = &**start;
                // Replaced by the middleware with the redirect to One Login.
                let mut response = HttpResponse::Found()
                    .insert_header((actix_web::http::header::LOCATION, fallback.as_str()))
                    .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                    .finish();
                response.extensions_mut().insert(StartSignIn(login.clone()));
                response
            }
            Refusal::NotInstalled => not_installed(),
        }
    }
}

impl From<Denial> for Rejection {
    fn from(denial: Denial) -> Self {
        Self(Refusal::Respond(Box::new(denial.to_response())))
    }
}

impl From<WebResponse> for Rejection {
    fn from(web: WebResponse) -> Self {
        Self(Refusal::Respond(Box::new(web)))
    }
}

fn context(req: &HttpRequest) -> Result<(OneLogin, SessionContext), Rejection> {
    if let Some(installed) = installed(&req.extensions()) {
        Ok((installed.one_login().clone(), installed.ctx().clone()))
    } else {
        // `Option<…>` drops this rejection (actix's own `Option` extractor): log it here.
        missing_layer_logged();
        Err(Rejection(Refusal::NotInstalled))
    }
}

/// A decision that did not allow the request, as a rejection (no I/O).
fn refuse(one_login: &OneLogin, decision: Decision, req: &HttpRequest) -> Rejection {
    match decision {
        Decision::SignIn(login) | Decision::StepUp(login) | Decision::Reauthenticate(login) => {
            let fallback = one_login.login_link(&login.requirement, &login.return_to);
            Rejection(Refusal::SignIn(Box::new((login, fallback))))
        }
        Decision::Deny(denial) => {
            let info = request_info(req.method(), req.uri(), req.headers()).api(is_api(&req.extensions()));
            Rejection(Refusal::Respond(Box::new(one_login.deny_response(&denial, &info))))
        }
        // Allowed decisions are not refusals; treat one as a 403 rather than let it through.
        _ => Rejection::from(Denial::insufficient_level(&Requirement::MEDIUM)),
    }
}

/// Without a session at `Cl.Cm`, pages start a sign-in and APIs get 401 JSON. As
/// `Option<AuthenticatedUser>`, `None` instead (nothing is started).
impl FromRequest for AuthenticatedUser {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(context(req).and_then(|(one_login, ctx)| {
            let info = request_info(req.method(), req.uri(), req.headers()).api(is_api(&req.extensions()));
            match one_login.decide(&Requirement::MEDIUM, &ctx, &info) {
                Decision::Allow(record) => {
                    mark_personal(&req.extensions());
                    Ok(Self(record))
                }
                other => Err(refuse(&one_login, other, req)),
            }
        }))
    }
}

/// Without a verified identity at `P2`, pages start identity verification and APIs get
/// 401/403 JSON. As `Option<VerifiedIdentity>`, `None` instead.
impl FromRequest for VerifiedIdentity {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(context(req).and_then(|(one_login, ctx)| {
            let info = request_info(req.method(), req.uri(), req.headers()).api(is_api(&req.extensions()));
            match one_login.decide_identity(&ctx, &info) {
                Ok((session, identity)) => {
                    mark_personal(&req.extensions());
                    Ok(Self { session, identity })
                }
                Err(decision) => Err(refuse(&one_login, decision, req)),
            }
        }))
    }
}

impl FromRequest for OneLoginSession {
    type Error = Rejection;
    type Future = Ready<Result<Self, Rejection>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(context(req).map(|(one_login, ctx)| {
            let info = request_info(req.method(), req.uri(), req.headers()).api(is_api(&req.extensions()));
            if ctx.record().is_some() {
                mark_personal(&req.extensions());
            }
            Self(SessionHandle::new(one_login, ctx, &info))
        }))
    }
}

//! [`require`]: a guard for a resource or scope.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use govuk_one_login::web::{GuardOutcome, RequestInfo, SessionContext};
use govuk_one_login::{OneLogin, Requirement};

use crate::render::{header, not_installed, render};

/// Guards a resource or scope with a [`Requirement`]:
/// `web::resource("/account").wrap(require(Requirement::MEDIUM))`.
pub fn require(requirement: Requirement) -> RequireLevel {
    RequireLevel { requirement }
}

/// The middleware [`require`] returns.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct RequireLevel {
    requirement: Requirement,
}

impl<S, B> Transform<S, ServiceRequest> for RequireLevel
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequireLevelService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireLevelService { service: Rc::new(service), requirement: self.requirement }))
    }
}

/// The service [`RequireLevel`] builds.
pub struct RequireLevelService<S> {
    service: Rc<S>,
    requirement: Requirement,
}

impl<S, B> Service<ServiceRequest> for RequireLevelService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let requirement = self.requirement;
        Box::pin(async move {
            let found = {
                let ext = req.extensions();
                (ext.get::<OneLogin>().cloned(), ext.get::<SessionContext>().cloned())
            };
            let (Some(one_login), Some(ctx)) = found else {
                return Ok(req.into_response(not_installed()).map_into_right_body());
            };
            let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
            let info = RequestInfo {
                method: req.method().as_str(),
                path_and_query: &path,
                accept: header(req.headers(), &actix_web::http::header::ACCEPT),
            };
            match one_login.guard(&requirement, &ctx, &info).await {
                GuardOutcome::Allow(_) => service.call(req).await.map(ServiceResponse::map_into_left_body),
                GuardOutcome::Respond(web) => Ok(req.into_response(render(web)).map_into_right_body()),
            }
        })
    }
}

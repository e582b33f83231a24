//! [`require`]: a guard for a resource or scope.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use govuk_one_login::Requirement;

use crate::future::{After, ResponseFuture};
use crate::render::{installed, not_installed, render, request_info};

/// Guards a resource or scope with a [`Requirement`], through
/// [`OneLogin::guard`](govuk_one_login::OneLogin::guard):
/// `web::resource("/account").wrap(require(Requirement::MEDIUM))`, or
/// `web::scope("/api").wrap(require(Requirement::MEDIUM).api())` for routes that always answer
/// 401/403 JSON. The guarded handler's responses get `Cache-Control: no-store` unless the
/// handler set its own.
pub fn require(requirement: Requirement) -> RequireLevel {
    RequireLevel { requirement, api: false }
}

/// The middleware [`require`] returns.
#[derive(Clone, Copy, Debug)]
#[must_use]
pub struct RequireLevel {
    requirement: Requirement,
    api: bool,
}

impl RequireLevel {
    /// Declares the guarded routes an API: a request that does not meet the requirement
    /// always gets 401/403 JSON ([`Denial`](govuk_one_login::web::Denial)), whatever its
    /// `Accept` header, never a redirect to One Login.
    pub fn api(mut self) -> Self {
        self.api = true;
        self
    }
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
        ready(Ok(RequireLevelService { service: Rc::new(service), layer: *self }))
    }
}

/// The service [`RequireLevel`] builds.
#[derive(Debug)]
pub struct RequireLevelService<S> {
    service: Rc<S>,
    layer: RequireLevel,
}

impl<S, B> Service<ServiceRequest> for RequireLevelService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = ResponseFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let RequireLevel { requirement, api } = self.layer;
        let Some(installed) = installed(&req.extensions()) else {
            return ResponseFuture::ready(req.into_response(not_installed()).map_into_right_body());
        };
        if api {
            installed.mark_api();
        }
        // The hot path: allowed as it is, decided without reading the request; the handler's
        // answer carries the user's data, so no cache keeps it.
        if installed.one_login().allowed(&requirement, installed.ctx()).is_some() {
            return ResponseFuture::inner(self.service.call(req), After::NoStore);
        }
        let service = self.service.clone();
        ResponseFuture::boxed(async move {
            let outcome = {
                let info = request_info(req.method(), req.uri(), req.headers()).api(api);
                installed.one_login().guard(&requirement, installed.ctx(), &info).await
            };
            match outcome {
                Ok(_) => ResponseFuture::inner(service.call(req), After::NoStore).await,
                Err(web) => Ok(req.into_response(render(web)).map_into_right_body()),
            }
        })
    }
}

//! [`OneLoginMiddleware`]: loads the session once per request into the request extensions.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use govuk_one_login::OneLogin;
use govuk_one_login::web::SessionContext;

use crate::extract::StartSignIn;
use crate::render::{Personal, cookie_header, no_store, render, request_info};

/// Loads the session (one cookie parse, one store lookup) and puts it, with the
/// [`OneLogin`] engine, into the request extensions for guards and extractors. Wrap the whole
/// `App` with it. A request that already carries a session context (an outer
/// `OneLoginMiddleware`) is passed on as it is. A response for which a guard or an extractor
/// let a signed-in session through gets `Cache-Control: no-store` unless the handler set its
/// own. When the store fails, the request is answered
/// 503 (fail closed) and the failure is logged with its cause.
#[derive(Clone, Debug)]
#[must_use]
pub struct OneLoginMiddleware {
    one_login: Rc<OneLogin>,
}

impl OneLoginMiddleware {
    /// A middleware for this engine.
    pub fn new(one_login: OneLogin) -> Self {
        Self { one_login: Rc::new(one_login) }
    }
}

impl<S, B> Transform<S, ServiceRequest> for OneLoginMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = OneLoginMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(OneLoginMiddlewareService { service: Rc::new(service), one_login: self.one_login.clone() }))
    }
}

/// The service [`OneLoginMiddleware`] builds.
#[derive(Debug)]
pub struct OneLoginMiddlewareService<S> {
    service: Rc<S>,
    one_login: Rc<OneLogin>,
}

impl<S, B> Service<ServiceRequest> for OneLoginMiddlewareService<S>
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
        let one_login = self.one_login.clone();
        Box::pin(async move {
            if req.extensions().get::<SessionContext>().is_some() {
                return service.call(req).await.map(ServiceResponse::map_into_left_body);
            }
            let cookies = cookie_header(req.headers());
            match one_login.session_context(cookies.as_deref()).await {
                Ok(ctx) => {
                    req.extensions_mut().insert(ctx);
                    req.extensions_mut().insert((*one_login).clone());
                    let personal = Personal::default();
                    req.extensions_mut().insert(personal.clone());
                    let mut response = service.call(req).await?;
                    if personal.is_marked() {
                        no_store(response.headers_mut());
                    }
                    // An extractor asked for a sign-in: start it now (see `Rejection`).
                    let start = response.response_mut().extensions_mut().remove::<StartSignIn>();
                    let Some(StartSignIn(login)) = start else {
                        return Ok(response.map_into_left_body());
                    };
                    let request = response.request().clone();
                    let web = {
                        let info = request_info(request.method(), request.uri(), request.headers());
                        one_login.login_redirect(login, &info).await
                    };
                    Ok(ServiceResponse::new(request, render(web)).map_into_right_body())
                }
                Err(error) => {
                    tracing::error!(%error, "session store failed");
                    let info = request_info(req.method(), req.uri(), req.headers());
                    let response = render(one_login.error_response(&error, &info));
                    Ok(req.into_response(response).map_into_right_body())
                }
            }
        })
    }
}

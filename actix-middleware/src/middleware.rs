//! [`OneLoginMiddleware`]: loads the session once per request into the request extensions.

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use govuk_one_login::OneLogin;

use crate::future::{After, ResponseFuture};
use crate::render::{Installed, cookie_header, render, request_info, with_cookie_texts};

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
    type Future = ResponseFuture<S::Future, B>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if req.extensions().get::<Installed>().is_some() {
            // An outer middleware already loaded the session.
            return ResponseFuture::inner(self.service.call(req), After::Nothing);
        }
        // The hot path: the session at hand (or none), answered without I/O.
        let answer = with_cookie_texts(req.headers(), |texts| self.one_login.session_context_now(texts));
        match answer {
            Some(Ok(ctx)) => {
                let installed = Installed::new((*self.one_login).clone(), ctx);
                req.extensions_mut().insert(installed.clone());
                ResponseFuture::inner(self.service.call(req), After::Middleware(installed))
            }
            Some(Err(error)) => ResponseFuture::ready(failed(&self.one_login, &error, req)),
            None => {
                // The session needs the store's I/O: loaded first, then the inner service.
                let service = self.service.clone();
                let one_login = self.one_login.clone();
                ResponseFuture::boxed(async move {
                    let cookies = cookie_header(req.headers());
                    match one_login.session_context(cookies.as_deref()).await {
                        Ok(ctx) => {
                            let installed = Installed::new((*one_login).clone(), ctx);
                            req.extensions_mut().insert(installed.clone());
                            ResponseFuture::inner(service.call(req), After::Middleware(installed)).await
                        }
                        Err(error) => Ok(failed(&one_login, &error, req)),
                    }
                })
            }
        }
    }
}

/// The store failed: answered with the engine's error page, which logs it.
fn failed<B>(
    one_login: &OneLogin,
    error: &govuk_one_login::Error,
    req: ServiceRequest,
) -> ServiceResponse<EitherBody<B>> {
    let info = request_info(req.method(), req.uri(), req.headers());
    let response = render(one_login.error_response(error, &info));
    req.into_response(response).map_into_right_body()
}

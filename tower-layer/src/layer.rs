//! [`OneLoginLayer`]: loads the session once per request into the request extensions.

use std::task::{Context, Poll};

use govuk_one_login::OneLogin;
use http::{Request, Response};
use tower::{Layer, Service};

use crate::future::{NoStore, ResponseFuture};
use crate::render::{Installed, cookie_header, has_body, installed, no_store, render, request_info, with_cookie_texts};

/// Loads the session (one cookie parse, one store lookup) and puts it, with the
/// [`OneLogin`] engine, into the request extensions for guards and extractors (a plain
/// `http` service reads it with [`session_context`](crate::session_context)). A request that
/// already carries a session context (an outer `OneLoginLayer`) is passed on as it is, so
/// layering twice costs nothing. When the store can answer from memory (always for the
/// memory store, for a trusted local copy with Redis) the inner service is called at once and
/// its own future is returned: nothing is boxed or cloned on that path. A response for which a guard or an extractor let a signed-in
/// session through gets `Cache-Control: no-store` unless the handler set its own. When the store fails, the request is answered 503 (fail
/// closed) and the failure is logged with its cause.
///
/// Generic over the request and response bodies (any `http` service); usually installed by
/// [`OneLoginRouterExt::with_one_login`](crate::OneLoginRouterExt).
#[derive(Clone, Debug)]
#[must_use]
pub struct OneLoginLayer {
    one_login: OneLogin,
}

impl OneLoginLayer {
    /// A layer for this engine.
    pub fn new(one_login: OneLogin) -> Self {
        Self { one_login }
    }
}

impl<S> Layer<S> for OneLoginLayer {
    type Service = OneLoginService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        OneLoginService { inner, one_login: self.one_login.clone() }
    }
}

/// The service [`OneLoginLayer`] builds.
#[derive(Clone, Debug)]
pub struct OneLoginService<S> {
    inner: S,
    one_login: OneLogin,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for OneLoginService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        if installed(request.extensions()).is_some() {
            // An outer layer already loaded the session.
            return ResponseFuture::inner(self.inner.call(request), NoStore::Never);
        }
        // The hot path: the session at hand (or none), answered without I/O; the inner
        // service is called at once, on the readiness `poll_ready` gave.
        match with_cookie_texts(request.headers(), |texts| self.one_login.session_context_now(texts)) {
            Some(Ok(ctx)) => {
                let installed = Installed::new(self.one_login.clone(), ctx);
                request.extensions_mut().insert(installed.clone());
                ResponseFuture::inner(self.inner.call(request), NoStore::IfPersonal(installed))
            }
            Some(Err(error)) => {
                let response = failed(&self.one_login, &error, &request);
                ResponseFuture::ready(response)
            }
            None => self.load_then_call(request),
        }
    }
}

impl<S> OneLoginService<S> {
    /// The session needs the store's I/O: loaded in a future of its own, with the inner
    /// service (made ready by `poll_ready`) taken along.
    fn load_then_call<ReqBody, ResBody>(
        &mut self,
        mut request: Request<ReqBody>,
    ) -> ResponseFuture<S::Future, ResBody, S::Error>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        ReqBody: Send + 'static,
        ResBody: From<String> + Send + 'static,
    {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let one_login = self.one_login.clone();
        ResponseFuture::boxed(async move {
            let cookies = cookie_header(request.headers());
            match one_login.session_context(cookies.as_deref()).await {
                Ok(ctx) => {
                    let installed = Installed::new(one_login, ctx);
                    request.extensions_mut().insert(installed.clone());
                    let mut response = inner.call(request).await?;
                    if installed.is_personal() {
                        no_store(response.headers_mut());
                    }
                    Ok(response)
                }
                Err(error) => Ok(failed(&one_login, &error, &request)),
            }
        })
    }
}

/// The store failed: answered with the engine's error page, which logs it.
fn failed<ReqBody, ResBody: From<String>>(
    one_login: &OneLogin,
    error: &govuk_one_login::Error,
    request: &Request<ReqBody>,
) -> Response<ResBody> {
    let info = request_info(request.method(), request.uri(), request.headers(), request.extensions());
    render(one_login.error_response(error, &info).closing_unless(!has_body(request.headers())))
}

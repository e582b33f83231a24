//! [`OneLoginLayer`]: loads the session once per request into the request extensions.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use govuk_one_login::OneLogin;
use govuk_one_login::web::SessionContext;
use http::{Request, Response};
use tower::{Layer, Service};

use crate::render::{Personal, cookie_header, no_store, render, request_info};

/// Loads the session (one cookie parse, one store lookup) and puts it, with the
/// [`OneLogin`] engine, into the request extensions for guards and extractors. A request that
/// already carries a session context (an outer `OneLoginLayer`) is passed on as it is, so
/// layering twice costs nothing. A response for which a guard or an extractor let a signed-in
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
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let one_login = self.one_login.clone();
        Box::pin(async move {
            if request.extensions().get::<SessionContext>().is_some() {
                return inner.call(request).await;
            }
            let cookies = cookie_header(request.headers());
            match one_login.session_context(cookies.as_deref()).await {
                Ok(ctx) => {
                    let personal = Personal::default();
                    request.extensions_mut().insert(ctx);
                    request.extensions_mut().insert(one_login);
                    request.extensions_mut().insert(personal.clone());
                    let mut response = inner.call(request).await?;
                    if personal.is_marked() {
                        no_store(response.headers_mut());
                    }
                    Ok(response)
                }
                Err(error) => {
                    tracing::error!(%error, "session store failed");
                    let info = request_info(request.method(), request.uri(), request.headers(), request.extensions());
                    Ok(render(one_login.error_response(&error, &info)))
                }
            }
        })
    }
}

//! [`ResponseFuture`]: what both services answer with. On the hot path (the session at hand,
//! the request allowed) it is the inner service's own future, with at most a header added:
//! nothing boxed. Only a request that needs the store's I/O or a sign-in goes through a boxed
//! future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use pin_project_lite::pin_project;

use crate::extract::StartSignIn;
use crate::render::{Installed, no_store, render, request_info};

type Answer<B> = Result<ServiceResponse<EitherBody<B>>, actix_web::Error>;
type Boxed<B> = Pin<Box<dyn Future<Output = Answer<B>>>>;

pin_project! {
    /// The response future of [`OneLoginMiddlewareService`](crate::OneLoginMiddlewareService)
    /// and [`RequireLevelService`](crate::RequireLevelService).
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Inner { #[pin] future: F, after: After },
        Boxed { future: Boxed<B> },
        // Answered without the inner service (a store failure, a missing middleware).
        Ready { response: Option<ServiceResponse<EitherBody<B>>> },
    }
}

/// What is done to the inner service's response.
pub(crate) enum After {
    /// Nothing (an outer middleware does it).
    Nothing,
    /// `Cache-Control: no-store` (behind a guard).
    NoStore,
    /// The middleware's work: `no-store` when a handler read personal data, and the sign-in
    /// an extractor asked for started (see `Rejection`).
    Middleware(Installed),
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn inner(future: F, after: After) -> Self {
        Self { kind: Kind::Inner { future, after } }
    }
    pub(crate) fn ready(response: ServiceResponse<EitherBody<B>>) -> Self {
        Self { kind: Kind::Ready { response: Some(response) } }
    }
    pub(crate) fn boxed(future: impl Future<Output = Answer<B>> + 'static) -> Self {
        Self { kind: Kind::Boxed { future: Box::pin(future) } }
    }
}

impl<F, B> std::fmt::Debug for ResponseFuture<F, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<ServiceResponse<B>, actix_web::Error>>,
    B: 'static,
{
    type Output = Answer<B>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let installed = match self.as_mut().project().kind.project() {
                KindProj::Inner { future, after } => {
                    let mut response = ready!(future.poll(cx))?;
                    let installed = match after {
                        After::Nothing => return Poll::Ready(Ok(response.map_into_left_body())),
                        After::NoStore => {
                            no_store(response.headers_mut());
                            return Poll::Ready(Ok(response.map_into_left_body()));
                        }
                        After::Middleware(installed) => installed.clone(),
                    };
                    if installed.is_personal() {
                        no_store(response.headers_mut());
                    }
                    let start = response.response_mut().extensions_mut().remove::<StartSignIn>();
                    let Some(StartSignIn(login)) = start else {
                        return Poll::Ready(Ok(response.map_into_left_body()));
                    };
                    (installed, response, login)
                }
                KindProj::Boxed { future } => return future.as_mut().poll(cx),
                KindProj::Ready { response } => {
                    return Poll::Ready(Ok(response.take().expect("polled after it completed")));
                }
            };
            // An extractor asked for a sign-in: start it now, in a future of its own.
            let (installed, response, login) = installed;
            let one_login = installed.one_login().clone();
            let future = Box::pin(async move {
                let request = response.request().clone();
                let web = {
                    let info = request_info(request.method(), request.uri(), request.headers());
                    one_login.login_redirect(login, &info).await
                };
                Ok(ServiceResponse::new(request, render(web)).map_into_right_body())
            });
            self.as_mut().project().kind.set(Kind::Boxed { future });
        }
    }
}

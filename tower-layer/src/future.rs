//! [`ResponseFuture`]: what both services answer with. On the hot path (the session at hand,
//! the request allowed) it is the inner service's own future, with at most a header added:
//! nothing boxed, nothing cloned. Only a request that needs the store's I/O or a sign-in
//! goes through a boxed future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use http::Response;
use pin_project_lite::pin_project;

use crate::render::{Installed, no_store};

pin_project! {
    /// The response future of [`OneLoginService`](crate::OneLoginService) and
    /// [`RequireService`](crate::RequireService).
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        kind: Kind<F, B, E>,
    }
}

type Boxed<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

pin_project! {
    #[project = KindProj]
    enum Kind<F, B, E> {
        // The inner service's future; its response gets `Cache-Control: no-store` when it
        // always should (behind a guard) or when a handler read personal data.
        Inner { #[pin] future: F, no_store: NoStore },
        Boxed { future: Boxed<B, E> },
        // Answered without the inner service (a store failure, a missing layer).
        Ready { response: Option<Response<B>> },
    }
}

/// When the inner service's response gets `Cache-Control: no-store`.
pub(crate) enum NoStore {
    Never,
    Always,
    IfPersonal(Installed),
}

impl<F, B, E> ResponseFuture<F, B, E> {
    pub(crate) fn inner(future: F, no_store: NoStore) -> Self {
        Self { kind: Kind::Inner { future, no_store } }
    }
    pub(crate) fn ready(response: Response<B>) -> Self {
        Self { kind: Kind::Ready { response: Some(response) } }
    }
    pub(crate) fn boxed(future: impl Future<Output = Result<Response<B>, E>> + Send + 'static) -> Self {
        Self { kind: Kind::Boxed { future: Box::pin(future) } }
    }
}

impl<F, B, E> std::fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future, no_store: when } => {
                let mut response = ready!(future.poll(cx))?;
                let add = match when {
                    NoStore::Never => false,
                    NoStore::Always => true,
                    NoStore::IfPersonal(installed) => installed.is_personal(),
                };
                if add {
                    no_store(response.headers_mut());
                }
                Poll::Ready(Ok(response))
            }
            KindProj::Boxed { future } => future.as_mut().poll(cx),
            KindProj::Ready { response } => Poll::Ready(Ok(response.take().expect("polled after it completed"))),
        }
    }
}

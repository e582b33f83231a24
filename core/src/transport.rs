//! How the engine's HTTP requests reach One Login: the [`HttpTransport`] trait.
//!
//! The engine sends its requests (discovery, JWKS, the DID document, the token request, userinfo)
//! through one transport. By default that is a reqwest client on rustls, trusting the web PKI
//! roots, following no redirects and reading at most a bounded answer. A service that must route
//! its calls through an egress proxy, pin a CA, or answer them in-process (benchmarks, tests)
//! gives [`OneLoginBuilder::http_transport`](crate::OneLoginBuilder::http_transport) its own.
//!
//! Whatever the transport, the engine sets the `User-Agent` (One Login refuses requests without
//! one), bounds every call by [`ConfigBuilder::http_timeout`](crate::ConfigBuilder::http_timeout), and checks
//! the answer's status, content type, size and JSON itself.
//!
//! ```
//! use govuk_one_login::transport::{HttpTransport, TransportError};
//!
//! /// Answers every request with 503, as an unreachable One Login would be seen.
//! #[derive(Debug)]
//! struct Unavailable;
//!
//! #[async_trait::async_trait]
//! impl HttpTransport for Unavailable {
//!     async fn send(
//!         &self,
//!         _request: http::Request<Vec<u8>>,
//!         _max_body: usize,
//!     ) -> Result<http::Response<Vec<u8>>, TransportError> {
//!         Ok(http::Response::builder().status(503).body(Vec::new()).expect("a response"))
//!     }
//! }
//! ```

use std::fmt;

/// Sends one request to One Login and returns its whole answer.
///
/// An implementation must not follow redirects (a redirect is an answer, which the engine
/// refuses), must send the request's method, URI, headers and body as given, and should stop
/// reading a body longer than `max_body` bytes with [`TransportError::TooLarge`] (the engine
/// refuses a longer one anyway, but only after the transport has held it in memory).
///
/// Requests carry secrets: the token request's body holds the authorization code, the PKCE
/// verifier and the client assertion, and userinfo's `Authorization` header the access token
/// (marked sensitive). `http::Request`'s `Debug` prints the body, so a transport must never log
/// a request or its body.
///
/// The engine bounds each call with a Tokio timer, so it must run on a Tokio runtime with time
/// enabled (as axum's and actix-web's are), and `send` must not block its thread: a blocking
/// call cannot be cut by the timeout.
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync + fmt::Debug + 'static {
    /// Sends `request`; the answer's body is read whole.
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        max_body: usize,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

/// Why a request got no usable answer from the transport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No answer in time.
    #[error("no answer within the timeout")]
    Timeout,
    /// The answer's body is longer than the engine reads.
    #[error("the answer is longer than {limit} bytes")]
    TooLarge {
        /// The limit it broke.
        limit: usize,
    },
    /// The connection failed or broke: DNS, TCP, TLS, or the body stopped mid-way.
    #[error("the request failed in transit")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl TransportError {
    /// A failure in transit, from any error.
    pub fn failed(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Failed(source.into())
    }
}

/// The default transport: one reqwest client (rustls on aws-lc-rs, no redirects).
#[derive(Debug)]
pub(crate) struct Reqwest {
    client: reqwest::Client,
}

impl Reqwest {
    pub(crate) fn new(client: reqwest::Client) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl HttpTransport for Reqwest {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
        max_body: usize,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        // reqwest's errors name the whole URL, credentials and query included: the error kept
        // (and logged through the chain of causes) names none of it; the caller adds the URL as
        // it may be shown.
        let in_transit = |source: reqwest::Error| {
            if source.is_timeout() { TransportError::Timeout } else { TransportError::failed(source.without_url()) }
        };
        let request = reqwest::Request::try_from(request).map_err(|e| TransportError::failed(e.without_url()))?;
        let mut response = self.client.execute(request).await.map_err(in_transit)?;
        if response.content_length().is_some_and(|l| l > max_body as u64) {
            return Err(TransportError::TooLarge { limit: max_body });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(in_transit)? {
            if body.len() + chunk.len() > max_body {
                return Err(TransportError::TooLarge { limit: max_body });
            }
            body.extend_from_slice(&chunk);
        }
        let mut answer = http::Response::new(body);
        *answer.status_mut() = response.status();
        *answer.headers_mut() = std::mem::take(response.headers_mut());
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failure_in_transit_names_no_credentials_or_query() {
        // A listener that accepts and hangs up at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(1) {
                drop(stream);
            }
        });
        let url = format!("http://user:s3cret@{addr}/token?api_key=s3cret");
        let request = http::Request::builder().uri(url).body(Vec::new()).unwrap();
        let tls = crate::fetch::tls_client_config(Vec::new()).unwrap();
        let client = reqwest::Client::builder().use_preconfigured_tls(tls).build().unwrap();
        let error = Reqwest::new(client).send(request, 1024).await.unwrap_err();
        let mut chain = format!("{error} {error:?}");
        let mut cause = std::error::Error::source(&error);
        while let Some(c) = cause {
            chain = format!("{chain} {c} {c:?}");
            cause = c.source();
        }
        assert!(matches!(error, TransportError::Failed(_)), "{chain}");
        assert!(!chain.contains("s3cret"), "{chain}");
    }
}

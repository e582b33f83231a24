//! Outbound HTTP to One Login: every call through the transport with the configured User-Agent
//! and timeout, bounded and checked JSON answers, and `Cache-Control` parsing.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use serde::de::DeserializeOwned;

use crate::config::{Config, ConfigError};
use crate::error::{Endpoint, ProviderError};
use crate::transport::{HttpTransport, TransportError};

/// Largest JSON answer accepted from One Login.
const MAX_BODY: usize = 512 * 1024;

/// The engine's way out: the transport, with the User-Agent and timeout every call gets.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    transport: Arc<dyn HttpTransport>,
    user_agent: HeaderValue,
    timeout: Duration,
}

/// A JSON document with the lifetime its `Cache-Control` header asked for.
pub(crate) struct Fetched<T> {
    pub(crate) value: T,
    pub(crate) max_age: Option<Duration>,
}

/// TLS through rustls on aws-lc-rs (the crypto jsonwebtoken uses), trusting the web PKI roots
/// and `extra` (a private CA).
pub(crate) fn tls_client_config(
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for cert in extra {
        roots.add(cert).map_err(|e| format!("unusable CA certificate ({e})"))?;
    }
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The default transport: reqwest on rustls, no redirects, the configured timeouts.
pub(crate) fn default_transport(config: &Config) -> Result<Arc<dyn HttpTransport>, ConfigError> {
    let tls = tls_client_config(Vec::new()).map_err(|e| ConfigError::invalid("tls", e))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(config.http_timeout)
        .connect_timeout(config.http_timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ConfigError::HttpClient(TransportError::failed(e)))?;
    Ok(Arc::new(crate::transport::Reqwest::new(client)))
}

/// A request to One Login, before the User-Agent is added.
pub(crate) fn request(method: http::Method, url: &str) -> http::request::Builder {
    http::Request::builder().method(method).uri(url)
}

impl Http {
    pub(crate) fn new(config: &Config, transport: Arc<dyn HttpTransport>) -> Result<Self, ConfigError> {
        let user_agent = HeaderValue::from_str(&config.user_agent)
            .map_err(|_| ConfigError::invalid("ONE_LOGIN_USER_AGENT", "not a valid header value"))?;
        Ok(Self { transport, user_agent, timeout: config.http_timeout })
    }

    /// Sends a request (adding the User-Agent, within the timeout) and maps transport failures.
    pub(crate) async fn send(
        &self,
        endpoint: Endpoint,
        request: http::request::Builder,
        body: Vec<u8>,
    ) -> Result<http::Response<Vec<u8>>, ProviderError> {
        let url = request.uri_ref().map(shown_url).unwrap_or_default();
        let mut request = request.body(body).map_err(|e| ProviderError::Unreachable {
            endpoint,
            url: url.clone(),
            source: Arc::new(TransportError::failed(e)),
        })?;
        request.headers_mut().insert(http::header::USER_AGENT, self.user_agent.clone());
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(self.timeout, self.transport.send(request, MAX_BODY)).await;
        let answered = matches!(&answer, Ok(Ok(response)) if response.body().len() <= MAX_BODY);
        crate::telemetry::outbound(endpoint, started.elapsed(), answered);
        match answer {
            Ok(Ok(response)) if response.body().len() > MAX_BODY => Err(too_large(endpoint)),
            Ok(Ok(response)) => Ok(response),
            Err(_) | Ok(Err(TransportError::Timeout)) => Err(ProviderError::Timeout { endpoint, url }),
            Ok(Err(TransportError::TooLarge { .. })) => Err(too_large(endpoint)),
            Ok(Err(error)) => Err(ProviderError::Unreachable { endpoint, url, source: Arc::new(error) }),
        }
    }

    /// GETs a JSON document and its cache lifetime.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        url: &str,
    ) -> Result<Fetched<T>, ProviderError> {
        let fetched = self.fetch_json(endpoint, url).await;
        crate::telemetry::document_fetched(endpoint, fetched.is_ok());
        fetched
    }

    async fn fetch_json<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        url: &str,
    ) -> Result<Fetched<T>, ProviderError> {
        let response = self.send(endpoint, request(http::Method::GET, url), Vec::new()).await?;
        if !response.status().is_success() {
            return Err(ProviderError::Status { endpoint, status: response.status().as_u16() });
        }
        let max_age =
            response.headers().get(http::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).and_then(parse_max_age);
        let value = read_json(endpoint, &response)?;
        Ok(Fetched { value, max_age })
    }
}

/// A URL as errors and logs show it: scheme, host, port and path. Credentials and the query
/// are left out (a query is shown as `?…`): a URL learnt from discovery is the provider's to
/// choose, and one may carry a key.
fn shown_url(uri: &http::Uri) -> String {
    let mut shown = match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => match authority.port_u16() {
            Some(port) => format!("{scheme}://{}:{port}", authority.host()),
            None => format!("{scheme}://{}", authority.host()),
        },
        _ => String::new(),
    };
    shown.push_str(uri.path());
    if uri.query().is_some() {
        shown.push_str("?…");
    }
    shown
}

fn too_large(endpoint: Endpoint) -> ProviderError {
    ProviderError::InvalidResponse { endpoint, reason: "body too large".into() }
}

/// Reads a JSON body: checks the content type and the size, parses.
pub(crate) fn read_json<T: DeserializeOwned>(
    endpoint: Endpoint,
    response: &http::Response<Vec<u8>>,
) -> Result<T, ProviderError> {
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !(essence == "application/json" || essence.ends_with("+json")) {
        return Err(ProviderError::InvalidResponse {
            endpoint,
            reason: format!("content type `{}` is not JSON", crate::types::loggable(essence, 64)),
        });
    }
    if response.body().len() > MAX_BODY {
        return Err(too_large(endpoint));
    }
    serde_json::from_slice(response.body()).map_err(|e| ProviderError::InvalidResponse {
        endpoint,
        reason: format!("unexpected JSON: {}", crate::error::JsonFault::of(&e)),
    })
}

/// `max-age` from a `Cache-Control` header; `no-store`/`no-cache` count as zero.
pub(crate) fn parse_max_age(header: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            max_age = v.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        assert_eq!(parse_max_age("max-age=86400"), Some(Duration::from_secs(86400)));
        assert_eq!(parse_max_age("max-age=3600, private"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_max_age("private, MAX-AGE=\"60\""), Some(Duration::from_secs(60)));
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("public"), None);
        assert_eq!(parse_max_age("max-age=abc"), None);
    }

    #[test]
    fn a_url_is_shown_without_credentials_or_query() {
        let shown = |u: &str| shown_url(&u.parse().unwrap());
        assert_eq!(shown("https://user:s3cret@op.example:8443/token?key=s3cret"), "https://op.example:8443/token?…");
        assert_eq!(shown("http://127.0.0.1:3000/.well-known/jwks.json"), "http://127.0.0.1:3000/.well-known/jwks.json");
        assert_eq!(shown("https://op.example/"), "https://op.example/");
    }
}

#[cfg(test)]
mod body_tests {
    use super::*;

    fn response(content_type: &str, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder().header("content-type", content_type).body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn wrong_content_types_and_bad_json_are_typed_errors() {
        let ok: serde_json::Value =
            read_json(Endpoint::Jwks, &response("application/jwk-set+json", "{\"keys\":[]}")).unwrap();
        assert_eq!(ok["keys"], serde_json::json!([]));
        for (ct, body) in [("text/html", "<html>"), ("application/json", "{not json"), ("", "{}")] {
            let err = read_json::<serde_json::Value>(Endpoint::Token, &response(ct, body)).unwrap_err();
            assert!(matches!(err, ProviderError::InvalidResponse { endpoint: Endpoint::Token, .. }), "{ct}: {err:?}");
        }
        let huge = format!("[{}1]", "1,".repeat(MAX_BODY));
        let err = read_json::<serde_json::Value>(Endpoint::Userinfo, &response("application/json", &huge)).unwrap_err();
        assert!(matches!(err, ProviderError::InvalidResponse { .. }));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_not_quoted_into_the_error() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Info {
            email: u32,
        }
        let body = r#"{"email": "jane.doe@example.com"}"#;
        let err = read_json::<Info>(Endpoint::Userinfo, &response("application/json", body)).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains("jane.doe"), "{shown}");
        assert!(shown.contains("a JSON data error at line 1"), "{shown}");
    }
}

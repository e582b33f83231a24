//! Outbound HTTP to One Login: one client with the configured User-Agent and timeouts, bounded
//! response sizes, and `Cache-Control` parsing.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::config::{Config, ConfigError};
use crate::error::{Endpoint, ProviderError};

/// Largest JSON answer accepted from One Login.
const MAX_BODY: usize = 512 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
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
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
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

impl Http {
    pub(crate) fn new(config: &Config) -> Result<Self, ConfigError> {
        let tls = tls_client_config(Vec::new()).map_err(|e| ConfigError::invalid("tls", e))?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .user_agent(config.user_agent.clone())
            .timeout(config.http_timeout)
            .connect_timeout(config.http_timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ConfigError::HttpClient)?;
        Ok(Self { client })
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and maps transport failures.
    pub(crate) async fn send(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ProviderError> {
        request.send().await.map_err(|source| {
            if source.is_timeout() {
                ProviderError::Timeout { endpoint }
            } else {
                ProviderError::Unreachable { endpoint, source: std::sync::Arc::new(source) }
            }
        })
    }

    /// GETs a JSON document and its cache lifetime.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        url: &str,
    ) -> Result<Fetched<T>, ProviderError> {
        let response = self.send(endpoint, self.client.get(url)).await?;
        if !response.status().is_success() {
            return Err(ProviderError::Status { endpoint, status: response.status().as_u16() });
        }
        let max_age =
            response.headers().get(http::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).and_then(parse_max_age);
        let value = read_json(endpoint, response).await?;
        Ok(Fetched { value, max_age })
    }
}

/// Reads a JSON body: checks the content type, bounds the size, parses.
pub(crate) async fn read_json<T: DeserializeOwned>(
    endpoint: Endpoint,
    mut response: reqwest::Response,
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
    if response.content_length().is_some_and(|l| l > MAX_BODY as u64) {
        return Err(ProviderError::InvalidResponse { endpoint, reason: "body too large".into() });
    }
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|source| {
            if source.is_timeout() {
                ProviderError::Timeout { endpoint }
            } else {
                ProviderError::Unreachable { endpoint, source: std::sync::Arc::new(source) }
            }
        })?;
        let Some(chunk) = chunk else { break };
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ProviderError::InvalidResponse { endpoint, reason: "body too large".into() });
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|e| ProviderError::InvalidResponse { endpoint, reason: format!("unexpected JSON: {e}") })
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
}

#[cfg(test)]
mod body_tests {
    use super::*;

    fn response(content_type: &str, body: &str) -> reqwest::Response {
        reqwest::Response::from(
            http::Response::builder().header("content-type", content_type).body(body.to_owned()).unwrap(),
        )
    }

    #[tokio::test]
    async fn wrong_content_types_and_bad_json_are_typed_errors() {
        let ok: serde_json::Value =
            read_json(Endpoint::Jwks, response("application/jwk-set+json", "{\"keys\":[]}")).await.unwrap();
        assert_eq!(ok["keys"], serde_json::json!([]));
        for (ct, body) in [("text/html", "<html>"), ("application/json", "{not json"), ("", "{}")] {
            let err = read_json::<serde_json::Value>(Endpoint::Token, response(ct, body)).await.unwrap_err();
            assert!(matches!(err, ProviderError::InvalidResponse { endpoint: Endpoint::Token, .. }), "{ct}: {err:?}");
        }
        let huge = format!("[{}1]", "1,".repeat(MAX_BODY));
        let err =
            read_json::<serde_json::Value>(Endpoint::Userinfo, response("application/json", &huge)).await.unwrap_err();
        assert!(matches!(err, ProviderError::InvalidResponse { .. }));
    }
}

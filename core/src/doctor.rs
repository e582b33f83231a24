//! The preflight doctor: checks a configuration against the One Login it names before users
//! arrive, and says, for each problem, what it is and how to fix it.
//!
//! [`OneLogin::doctor`] fetches the discovery document and checks the issuer, the endpoints and
//! the algorithms this configuration needs; fetches One Login's keys and the DID document;
//! estimates the clock's skew from One Login's `Date` header; checks that this service's
//! signing key is in the key set it publishes (when its URL is given); and warns about a
//! redirect URI the callback's cookie will not reach. The same checks are the
//! `govuk-one-login doctor` command (the `govuk-one-login-cli` package).
//!
//! ```
//! # use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};
//! use govuk_one_login::doctor::Severity;
//! use govuk_one_login::{Config, Environment, OneLogin};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mock = MockProvider::start().await;
//! let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
//!     .client_id(CLIENT_ID)
//!     .redirect_uri("http://127.0.0.1:8080/auth/callback")
//!     .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
//!     .build()?;
//! let one_login = OneLogin::new(config)?;
//! let report = one_login.doctor().run().await;
//! report.log(); // one line per finding, at info, warn or error
//! assert!(report.is_ok(), "{report}");
//! // Plain http on loopback is for local development only: said as a warning.
//! assert!(report.findings().iter().any(|f| f.severity() == Severity::Warning));
//! # Ok(()) }
//! ```

use std::fmt;

use serde_json::Value;
use url::Url;

use crate::OneLogin;
use crate::config::Environment;
use crate::error::{Endpoint, Error, ProviderError};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The check passed.
    Pass,
    /// It works, but not as it should in production, or it may stop working.
    Warning,
    /// Sign-in will fail (or some sign-ins will).
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Pass => "ok",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// What a check looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The discovery document: reachable, naming the configured issuer, endpoints on its origin.
    Discovery,
    /// The algorithms and methods discovery says One Login supports, against this configuration.
    Algorithms,
    /// One Login's key set (the ID token's keys).
    ProviderKeys,
    /// The DID document (the core identity's keys).
    DidDocument,
    /// This machine's clock against One Login's.
    Clock,
    /// This service's published key set, against its signing key.
    PublishedKeys,
    /// The redirect URI, for the callback's cookie.
    RedirectUri,
}

impl Check {
    /// A short name, such as `discovery`.
    pub fn name(self) -> &'static str {
        match self {
            Check::Discovery => "discovery",
            Check::Algorithms => "algorithms",
            Check::ProviderKeys => "provider keys",
            Check::DidDocument => "DID document",
            Check::Clock => "clock",
            Check::PublishedKeys => "published keys",
            Check::RedirectUri => "redirect URI",
        }
    }
}

/// A problem's named cause. [`fix`](Self::fix) says what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cause {
    /// The discovery document could not be fetched (unreachable, timed out, not 2xx).
    DiscoveryUnreachable,
    /// Discovery names another issuer than the one configured.
    IssuerMismatch,
    /// The discovery document is not usable (not JSON, an endpoint missing or on another
    /// origin).
    DiscoveryInvalid,
    /// Discovery does not list the ID token algorithm configured.
    IdTokenAlgorithmNotOffered,
    /// Discovery does not list `private_key_jwt` for the token endpoint.
    ClientAuthenticationNotOffered,
    /// Discovery does not list the client assertion's signing algorithm.
    ClientSigningAlgorithmNotOffered,
    /// Request objects are on, and discovery does not list their algorithm.
    RequestObjectsNotOffered,
    /// Discovery does not list PKCE's `S256`.
    PkceNotOffered,
    /// A post-logout redirect URI is configured, and discovery has no end-session endpoint.
    EndSessionNotOffered,
    /// One Login's key set could not be fetched, or holds no key for the ID token algorithm.
    ProviderKeysUnavailable,
    /// The DID document could not be fetched or read.
    DidDocumentUnavailable,
    /// This clock differs from One Login's by more than the configured skew allowance.
    ClockSkew,
    /// One Login's answer had no `Date` header, so the skew could not be estimated.
    ClockUnknown,
    /// This service's published key set could not be fetched.
    PublishedKeysUnreachable,
    /// This service's published key set does not hold its signing key.
    SigningKeyNotPublished,
    /// The published key carrying the signing key has another `kid` than the one configured.
    KeyIdMismatch,
    /// The redirect URI is plain http: cookies go without `Secure` and `__Host-`.
    RedirectUriPlainHttp,
    /// The service is opened on another origin than its redirect URI's: the flow cookie set
    /// when sign-in starts is not sent to the callback.
    RedirectUriOtherOrigin,
}

impl Cause {
    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            Cause::DiscoveryUnreachable => {
                "check the issuer (ONE_LOGIN_ENVIRONMENT, or ONE_LOGIN_ISSUER's scheme, host and port), DNS and any egress proxy; the discovery URL is the issuer followed by .well-known/openid-configuration"
            }
            Cause::IssuerMismatch => {
                "set ONE_LOGIN_ISSUER to exactly the issuer the discovery document names, trailing / included (or ONE_LOGIN_ENVIRONMENT, for One Login's own)"
            }
            Cause::DiscoveryInvalid => {
                "check that ONE_LOGIN_ISSUER names a One Login (or a compatible provider's) issuer"
            }
            Cause::IdTokenAlgorithmNotOffered => {
                "set ONE_LOGIN_ID_TOKEN_ALG to an algorithm the provider lists (One Login signs with ES256)"
            }
            Cause::ClientAuthenticationNotOffered => {
                "this library authenticates with private_key_jwt only: use a provider that accepts it, as One Login does"
            }
            Cause::ClientSigningAlgorithmNotOffered => {
                "set ONE_LOGIN_CLIENT_ASSERTION_ALG to one the provider lists for token_endpoint_auth_signing_alg_values_supported"
            }
            Cause::RequestObjectsNotOffered => {
                "set ONE_LOGIN_REQUEST_OBJECT=false for this provider, or use one that takes signed request objects"
            }
            Cause::PkceNotOffered => "use a provider that supports PKCE with S256, as One Login does",
            Cause::EndSessionNotOffered => {
                "remove ONE_LOGIN_POST_LOGOUT_REDIRECT_URI, or use a provider with an end-session endpoint"
            }
            Cause::ProviderKeysUnavailable => {
                "check that the provider's jwks_uri answers from this machine with a key for the ID token algorithm"
            }
            Cause::DidDocumentUnavailable => {
                "identity sign-ins (P1 and above) need it: check ONE_LOGIN_DID_URL, or the environment's default, answers from this machine"
            }
            Cause::ClockSkew => {
                "synchronise this machine's clock (NTP): ID tokens and client assertions are checked against it"
            }
            Cause::ClockUnknown => "nothing to fix here, but check the machine's clock is synchronised (NTP)",
            Cause::PublishedKeysUnreachable => {
                "check that the JWKS URL given to One Login answers from the internet with your key set"
            }
            Cause::SigningKeyNotPublished => {
                "publish the current signing key's public JWK (govuk-one-login jwks) at the JWKS URL registered with One Login"
            }
            Cause::KeyIdMismatch => {
                "set ONE_LOGIN_PRIVATE_KEY_ID to the kid the published key carries, or publish the key under the configured kid"
            }
            Cause::RedirectUriPlainHttp => {
                "use an https redirect URI (register it with One Login) for anything but local development"
            }
            Cause::RedirectUriOtherOrigin => {
                "open the service on the redirect URI's scheme, host and port (localhost and 127.0.0.1 are different hosts to a browser)"
            }
        }
    }
}

/// One finding: the check, how it went, why, and the facts it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    check: Check,
    severity: Severity,
    cause: Option<Cause>,
    detail: String,
}

impl Finding {
    fn pass(check: Check, detail: impl Into<String>) -> Self {
        Self { check, severity: Severity::Pass, cause: None, detail: detail.into() }
    }
    fn problem(check: Check, severity: Severity, cause: Cause, detail: impl Into<String>) -> Self {
        Self { check, severity, cause: Some(cause), detail: detail.into() }
    }
    /// What was checked.
    pub fn check(&self) -> Check {
        self.check
    }
    /// How it went.
    pub fn severity(&self) -> Severity {
        self.severity
    }
    /// The problem's cause (`None` when it passed).
    pub fn cause(&self) -> Option<Cause> {
        self.cause
    }
    /// What the check saw (URLs without credentials or query, algorithm names, seconds).
    pub fn detail(&self) -> &str {
        &self.detail
    }
    /// What to do (`None` when it passed).
    pub fn fix(&self) -> Option<&'static str> {
        self.cause.map(Cause::fix)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}: {}", self.severity, self.check.name(), self.detail)?;
        if let Some(cause) = self.cause {
            write!(f, " ({cause:?}). Fix: {}", cause.fix())?;
        }
        Ok(())
    }
}

/// Every finding of one run, in the order checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    findings: Vec<Finding>,
}

impl Report {
    /// The findings.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }
    /// Whether no finding is an [`Severity::Error`].
    pub fn is_ok(&self) -> bool {
        self.worst() < Severity::Error
    }
    /// The most serious finding's severity.
    pub fn worst(&self) -> Severity {
        self.findings.iter().map(Finding::severity).max().unwrap_or(Severity::Pass)
    }
    /// The finding with this cause, if any.
    pub fn find(&self, cause: Cause) -> Option<&Finding> {
        self.findings.iter().find(|f| f.cause == Some(cause))
    }
    /// Logs each finding once: passes at `info`, warnings at `warn`, errors at `error`, with
    /// the check, the cause and the fix as fields.
    pub fn log(&self) {
        for f in &self.findings {
            let (check, detail, cause, fix) = (f.check.name(), f.detail.as_str(), f.cause, f.fix().unwrap_or(""));
            match f.severity {
                Severity::Pass => tracing::info!(check, detail, "preflight: ok"),
                Severity::Warning => tracing::warn!(check, detail, ?cause, fix, "preflight: warning"),
                Severity::Error => tracing::error!(check, detail, ?cause, fix, "preflight: error"),
            }
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// One doctor's run, built by [`OneLogin::doctor`].
#[derive(Debug)]
#[must_use]
pub struct Doctor<'a> {
    one_login: &'a OneLogin,
    published_keys: Option<String>,
    service_url: Option<String>,
}

impl OneLogin {
    /// The preflight doctor for this engine's configuration (see [`crate::doctor`]). Its
    /// fetches go through the engine's transport and fill its caches.
    pub fn doctor(&self) -> Doctor<'_> {
        Doctor { one_login: self, published_keys: None, service_url: None }
    }
}

impl Doctor<'_> {
    /// Also checks the key set this service publishes for One Login (the JWKS URL registered
    /// with it) holds the signing key, under the configured `kid`.
    pub fn published_keys(mut self, jwks_url: impl Into<String>) -> Self {
        self.published_keys = Some(jwks_url.into());
        self
    }
    /// Also checks that the address users open the service at (such as
    /// `http://localhost:8080/`) is on the redirect URI's origin.
    pub fn service_url(mut self, url: impl Into<String>) -> Self {
        self.service_url = Some(url.into());
        self
    }

    /// Runs every check. It never fails: what went wrong is in the report.
    pub async fn run(self) -> Report {
        let ol = self.one_login;
        let mut findings = Vec::new();
        let discovery_url = ol.config().discovery_url.clone();
        let started = ol.precise_now();
        let raw = ol
            .http()
            .send(Endpoint::Discovery, crate::fetch::request(http::Method::GET, &discovery_url), Vec::new())
            .await;
        let finished = ol.precise_now();
        if let Ok(response) = &raw {
            let allowed = time::Duration::try_from(ol.config().clock_skew()).unwrap_or(time::Duration::MAX);
            findings.push(clock(allowed, response, started, finished));
        }
        let document: Option<Value> =
            raw.ok().filter(|r| r.status().is_success()).and_then(|r| serde_json::from_slice(r.body()).ok());
        match ol.metadata().await {
            Ok(meta) => {
                findings.push(Finding::pass(
                    Check::Discovery,
                    format!("issuer {} at {}", meta.issuer, shown(&discovery_url)),
                ));
                if let Some(document) = &document {
                    findings.extend(algorithms(ol, document));
                }
                findings.push(provider_keys(ol).await);
            }
            Err(error) => findings.push(discovery_problem(&error, &discovery_url)),
        }
        findings.push(did_document(ol).await);
        if let Some(url) = &self.published_keys {
            findings.push(published_keys(ol, url).await);
        }
        findings.extend(redirect_uri(ol, self.service_url.as_deref()));
        Report { findings }
    }
}

/// A URL as findings show it: without credentials or query.
fn shown(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "(not a URL)".into(),
    }
}

fn discovery_problem(error: &Error, url: &str) -> Finding {
    let (cause, detail) = match error {
        Error::Provider(ProviderError::IssuerMismatch { .. }) => (Cause::IssuerMismatch, error.to_string()),
        Error::Provider(ProviderError::InvalidResponse { reason, .. }) => {
            (Cause::DiscoveryInvalid, format!("{} is not usable: {reason}", shown(url)))
        }
        other => (Cause::DiscoveryUnreachable, other.to_string()),
    };
    Finding::problem(Check::Discovery, Severity::Error, cause, detail)
}

/// The names in discovery's `field` array, or `None` when the field is absent (a provider
/// need not list them: absence is no proof of missing support).
fn listed<'a>(document: &'a Value, field: &str) -> Option<Vec<&'a str>> {
    document.get(field)?.as_array().map(|list| list.iter().filter_map(Value::as_str).collect())
}

fn algorithms(ol: &OneLogin, document: &Value) -> Vec<Finding> {
    let c = ol.config();
    let id_alg = crate::jwt::alg_name(c.id_token_alg.jwt());
    let client_alg = crate::jwt::alg_name(c.client_signing_alg.jwt());
    let mut checks: Vec<(&str, &str, Cause, Severity)> = vec![
        ("id_token_signing_alg_values_supported", id_alg, Cause::IdTokenAlgorithmNotOffered, Severity::Error),
        (
            "token_endpoint_auth_methods_supported",
            "private_key_jwt",
            Cause::ClientAuthenticationNotOffered,
            Severity::Error,
        ),
        (
            "token_endpoint_auth_signing_alg_values_supported",
            client_alg,
            Cause::ClientSigningAlgorithmNotOffered,
            Severity::Error,
        ),
        ("code_challenge_methods_supported", "S256", Cause::PkceNotOffered, Severity::Error),
    ];
    if c.request_objects() {
        checks.push((
            "request_object_signing_alg_values_supported",
            client_alg,
            Cause::RequestObjectsNotOffered,
            Severity::Error,
        ));
    }
    let mut findings = Vec::new();
    let mut seen = Vec::new();
    for (field, wanted, cause, severity) in checks {
        match listed(document, field) {
            Some(list) if !list.contains(&wanted) => {
                let shown: Vec<String> = list.iter().take(12).map(|v| crate::types::loggable(v, 32)).collect();
                let more = if list.len() > 12 { ", …" } else { "" };
                findings.push(Finding::problem(
                    Check::Algorithms,
                    severity,
                    cause,
                    format!("{field} lists {}{more} and not {wanted}", shown.join(", ")),
                ));
            }
            Some(_) => seen.push(format!("{wanted} ({field})")),
            None => {}
        }
    }
    if c.request_objects() && document.get("request_parameter_supported") == Some(&Value::Bool(false)) {
        findings.push(Finding::problem(
            Check::Algorithms,
            Severity::Error,
            Cause::RequestObjectsNotOffered,
            "request_parameter_supported is false",
        ));
    }
    if c.post_logout_redirect_uri().is_some() && document.get("end_session_endpoint").and_then(Value::as_str).is_none()
    {
        findings.push(Finding::problem(
            Check::Algorithms,
            Severity::Warning,
            Cause::EndSessionNotOffered,
            "discovery has no end_session_endpoint: sign-out ends the local session only",
        ));
    }
    if findings.is_empty() {
        let detail = if seen.is_empty() {
            "discovery lists no algorithms or methods to compare with (none is required to)".to_owned()
        } else {
            format!("listed: {}", seen.join(", "))
        };
        findings.push(Finding::pass(Check::Algorithms, detail));
    }
    findings
}

async fn provider_keys(ol: &OneLogin) -> Finding {
    let alg = ol.config().id_token_alg.jwt();
    match ol.provider_keys().await {
        Ok(keys) if keys.keys.iter().any(|k| crate::jwt::key_fits(&k.jwk, alg)) => {
            Finding::pass(Check::ProviderKeys, format!("{} key(s), one for {alg:?} at least", keys.keys.len()))
        }
        Ok(keys) => Finding::problem(
            Check::ProviderKeys,
            Severity::Error,
            Cause::ProviderKeysUnavailable,
            format!("{} key(s), none usable for {alg:?}", keys.keys.len()),
        ),
        Err(error) => {
            Finding::problem(Check::ProviderKeys, Severity::Error, Cause::ProviderKeysUnavailable, error.to_string())
        }
    }
}

async fn did_document(ol: &OneLogin) -> Finding {
    let url = ol.config().did_url().to_owned();
    match ol.did_document().await {
        Ok(()) => Finding::pass(Check::DidDocument, shown(&url)),
        // Only identity sign-ins (P1 and above) need it: a warning, as the configuration does
        // not say whether the service asks for one.
        Err(error) => Finding::problem(
            Check::DidDocument,
            Severity::Warning,
            Cause::DidDocumentUnavailable,
            format!("{error}: identity sign-ins will fail until it answers"),
        ),
    }
}

/// The HTTP date format (IMF-fixdate, RFC 9110 §5.6.7).
const HTTP_DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

fn clock(
    allowed: time::Duration,
    response: &http::Response<Vec<u8>>,
    started: time::OffsetDateTime,
    finished: time::OffsetDateTime,
) -> Finding {
    let date = response.headers().get(http::header::DATE).and_then(|d| d.to_str().ok());
    let Some(theirs) =
        date.and_then(|d| time::PrimitiveDateTime::parse(d, HTTP_DATE).ok()).map(time::PrimitiveDateTime::assume_utc)
    else {
        return Finding::problem(
            Check::Clock,
            Severity::Warning,
            Cause::ClockUnknown,
            "One Login's answer had no readable Date header",
        );
    };
    // A cache between here and One Login keeps the origin's `Date` and says how long it has
    // kept the answer in `Age` (RFC 9111 §5.1).
    let age = response
        .headers()
        .get(http::header::AGE)
        .and_then(|a| a.to_str().ok())
        .and_then(|a| a.trim().parse::<u32>().ok())
        .map_or(time::Duration::ZERO, |a| time::Duration::seconds(i64::from(a)));
    let theirs = theirs + age;
    let ours = started + (finished - started) / 2;
    // The header has whole seconds, and the answer took its time: within that, no skew can be
    // told.
    let slack: time::Duration = time::Duration::seconds(1) + (finished - started) / 2;
    let skew: time::Duration = theirs - ours;
    let seconds = skew.whole_seconds();
    if skew.abs() <= slack {
        Finding::pass(Check::Clock, format!("within {} ms of One Login's", slack.whole_milliseconds()))
    } else if skew.abs() > allowed {
        let way = if seconds > 0 { "behind" } else { "ahead of" };
        Finding::problem(
            Check::Clock,
            Severity::Error,
            Cause::ClockSkew,
            format!(
                "this clock is about {} s {way} One Login's, over the {} s allowed",
                seconds.abs(),
                allowed.whole_seconds()
            ),
        )
    } else if skew.abs() * 2 > allowed {
        Finding::problem(
            Check::Clock,
            Severity::Warning,
            Cause::ClockSkew,
            format!(
                "this clock differs from One Login's by about {} s, over half the {} s allowed",
                seconds.abs(),
                allowed.whole_seconds()
            ),
        )
    } else {
        Finding::pass(Check::Clock, format!("within {} s of One Login's", seconds.abs().max(1)))
    }
}

async fn published_keys(ol: &OneLogin, url: &str) -> Finding {
    let ours = ol.config().public_jwks();
    let ours = &ours["keys"][0];
    let fetched = ol.http().get_json::<Value>(Endpoint::PublishedKeys, url).await;
    let set = match fetched {
        Ok(fetched) => fetched.value,
        Err(error) => {
            let why = match &error {
                ProviderError::Status { status, .. } => format!("answered HTTP {status}"),
                ProviderError::Timeout { .. } => "did not answer in time".to_owned(),
                ProviderError::InvalidResponse { reason, .. } => format!("is not a key set ({reason})"),
                _ => "could not be reached".to_owned(),
            };
            return Finding::problem(
                Check::PublishedKeys,
                Severity::Error,
                Cause::PublishedKeysUnreachable,
                format!("{} {why}", shown(url)),
            );
        }
    };
    let keys = set.get("keys").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let same = |k: &&Value| k.get("n").is_some() && k.get("n") == ours.get("n") && k.get("e") == ours.get("e");
    let Some(published) = keys.iter().find(same) else {
        return Finding::problem(
            Check::PublishedKeys,
            Severity::Error,
            Cause::SigningKeyNotPublished,
            format!("{} holds {} key(s), none of them the signing key", shown(url), keys.len()),
        );
    };
    match (ours.get("kid").and_then(Value::as_str), published.get("kid").and_then(Value::as_str)) {
        (Some(configured), found) if found != Some(configured) => Finding::problem(
            Check::PublishedKeys,
            Severity::Error,
            Cause::KeyIdMismatch,
            format!(
                "the signing key is published with kid {}, configured as {configured}",
                found.map_or_else(|| "(none)".to_owned(), |k| crate::types::loggable(k, 64))
            ),
        ),
        _ => Finding::pass(Check::PublishedKeys, format!("{} holds the signing key", shown(url))),
    }
}

fn redirect_uri(ol: &OneLogin, service_url: Option<&str>) -> Vec<Finding> {
    let c = ol.config();
    let redirect = c.redirect_uri();
    let mut findings = Vec::new();
    if redirect.scheme() == "http" {
        let production = matches!(c.environment(), Environment::Production);
        findings.push(Finding::problem(
            Check::RedirectUri,
            if production { Severity::Error } else { Severity::Warning },
            Cause::RedirectUriPlainHttp,
            format!(
                "{redirect} is plain http (loopback): cookies go without Secure and __Host-; local development only"
            ),
        ));
    }
    if let Some(service) = service_url {
        match Url::parse(service) {
            Ok(service) if service.origin() != redirect.origin() => findings.push(Finding::problem(
                Check::RedirectUri,
                Severity::Error,
                Cause::RedirectUriOtherOrigin,
                format!(
                    "the service is opened at {} and its redirect URI is {}: the flow cookie is not sent to the callback",
                    service.origin().ascii_serialization(),
                    redirect.origin().ascii_serialization()
                ),
            )),
            Ok(_) => {}
            Err(_) => findings.push(Finding::problem(
                Check::RedirectUri,
                Severity::Error,
                Cause::RedirectUriOtherOrigin,
                "the service URL given is not a URL",
            )),
        }
    }
    if findings.is_empty() {
        findings.push(Finding::pass(Check::RedirectUri, format!("{redirect}")));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::Cause;

    const EVERY_CAUSE: [Cause; 19] = [
        Cause::DiscoveryUnreachable,
        Cause::IssuerMismatch,
        Cause::DiscoveryInvalid,
        Cause::IdTokenAlgorithmNotOffered,
        Cause::ClientAuthenticationNotOffered,
        Cause::ClientSigningAlgorithmNotOffered,
        Cause::RequestObjectsNotOffered,
        Cause::PkceNotOffered,
        Cause::EndSessionNotOffered,
        Cause::ProviderKeysUnavailable,
        Cause::DidDocumentUnavailable,
        Cause::ClockSkew,
        Cause::ClockUnknown,
        Cause::PublishedKeysUnreachable,
        Cause::SigningKeyNotPublished,
        Cause::KeyIdMismatch,
        Cause::RedirectUriPlainHttp,
        Cause::RedirectUriOtherOrigin,
        Cause::ClockSkew,
    ];

    #[test]
    fn a_cached_answers_age_is_no_skew() {
        let now = time::OffsetDateTime::now_utc();
        let answer = |date: time::OffsetDateTime, age: Option<&str>| {
            let mut b = http::Response::builder().header("date", date.format(super::HTTP_DATE).unwrap());
            if let Some(age) = age {
                b = b.header("age", age);
            }
            b.body(Vec::new()).unwrap()
        };
        let allowed = time::Duration::seconds(30);
        let five_minutes_ago = now - time::Duration::seconds(300);
        let cached = super::clock(allowed, &answer(five_minutes_ago, Some("300")), now, now);
        assert_eq!(cached.cause(), None, "{cached}");
        let stale = super::clock(allowed, &answer(five_minutes_ago, None), now, now);
        assert_eq!(stale.cause(), Some(Cause::ClockSkew), "{stale}");
        assert!(stale.detail().contains("ahead of"), "{stale}");
        let unreadable = super::clock(allowed, &answer(now, Some("x")), now, now);
        assert_eq!(unreadable.cause(), None, "an unreadable Age counts as none: {unreadable}");
    }

    #[test]
    fn every_variable_a_fix_names_is_one_the_configuration_reads() {
        for cause in EVERY_CAUSE {
            let fix = cause.fix();
            for word in
                fix.split(|c: char| !(c.is_ascii_uppercase() || c == '_')).filter(|w| w.starts_with("ONE_LOGIN_"))
            {
                assert!(crate::config::env::is_read(word), "{cause:?} names {word}, which nothing reads");
            }
        }
    }
}

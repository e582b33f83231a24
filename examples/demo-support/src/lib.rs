//! What the axum and actix demo services share, so that they serve the same pages, JSON and
//! configuration: [`boot`], the pages ([`home`], [`account`], [`identity`], [`signed_out`], and
//! [`GovukPages`] for core's), their [`assets`], and the language [`lang::switch`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod assets;
pub mod lang;
pub mod openapi;
mod pages;
mod texts;

pub use pages::{GovukPages, account, account_home, home, identity, signed_out};

use std::net::SocketAddr;

use govuk_one_login::events::{EventHandlers, EventsSettings};
use govuk_one_login::web::SessionHandle;
use govuk_one_login::{Config, Environment, OneLogin, SessionRecord};
use govuk_one_login_mock::MockProvider;
use serde_json::{Value, json};

/// A running demo's engine, and the embedded stand-in when no `ONE_LOGIN_*` is set.
#[derive(Debug)]
pub struct Demo {
    /// The engine.
    pub one_login: OneLogin,
    /// The address to listen on (`LISTEN_ADDR`, default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// The embedded stand-in, kept alive for the demo's lifetime.
    pub mock: Option<MockProvider>,
}

/// Reads `LISTEN_ADDR`, then either `ONE_LOGIN_*` (integration, production, a simulator) or,
/// with none set, starts the local One Login stand-in on loopback with a person-facing
/// sign-in page and registers this service with it.
pub async fn boot() -> Result<Demo, Box<dyn std::error::Error>> {
    init_logging();
    let _ = prometheus();
    let listen: SocketAddr = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into()).parse()?;
    // The store variables alone keep the embedded stand-in (a local multi-instance trial).
    let store_var = |k: &str| k == "ONE_LOGIN_SESSION_STORE" || k.starts_with("ONE_LOGIN_REDIS_");
    let configured = std::env::vars().any(|(k, _)| k.starts_with("ONE_LOGIN_") && !store_var(&k));
    if configured {
        let config = Config::from_env()?;
        let pages = GovukPages::new(&config);
        let one_login =
            OneLogin::builder(config).pages(pages).security_event_handlers(event_handlers()).hooks(hooks()).build()?;
        // The preflight doctor: a wrong issuer, port or trailing `/`, a skewed clock or an
        // algorithm One Login does not offer stops the demo here, with its cause and fix,
        // rather than showing the first user an error page.
        let report = one_login.doctor().run().await;
        report.log();
        if !report.is_ok() {
            let errors: Vec<String> = report
                .findings()
                .iter()
                .filter(|f| f.severity() == govuk_one_login::doctor::Severity::Error)
                .map(ToString::to_string)
                .collect();
            return Err(format!("One Login does not answer as configured:\n{}", errors.join("\n")).into());
        }
        return Ok(Demo { one_login, listen, mock: None });
    }
    let mock = MockProvider::start().await;
    mock.set_auto_approve(false);
    let base = format!("http://{listen}");
    mock.register_redirect_uri(&format!("{base}/auth/callback"));
    mock.register_post_logout_redirect_uri(&format!("{base}/signed-out"));
    mock.register_backchannel_logout_uri(&format!("{base}/auth/backchannel-logout"));
    // The receiver for security events, wired to the stand-in's transmitter, with a secret of
    // this run's own.
    let secret = govuk_one_login_mock::random_secret();
    mock.register_events_receiver(govuk_one_login_mock::EventsReceiver::new(
        format!("{base}/auth/events"),
        format!("{base}/auth/events/token"),
        EVENTS_CLIENT_ID,
        &secret,
        EVENTS_AUDIENCE,
    ));
    let events = EventsSettings::new(EVENTS_AUDIENCE, EVENTS_CLIENT_ID, secret)
        .issuer(mock.events_issuer())
        .jwks_url(mock.events_jwks_url());
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .security_events(events)
        .client_id(govuk_one_login_mock::CLIENT_ID)
        .redirect_uri(format!("{base}/auth/callback"))
        .post_logout_redirect_uri(format!("{base}/signed-out"))
        .identity_claims(govuk_one_login::IdentityClaim::ALL)
        .session_store(govuk_one_login::store::StoreSettings::from_env()?)
        .signing_key_pem(govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM)?
        .build()?;
    let pages = GovukPages::new(&config);
    let one_login =
        OneLogin::builder(config).pages(pages).security_event_handlers(event_handlers()).hooks(hooks()).build()?;
    Ok(Demo { one_login, listen, mock: Some(mock) })
}

/// Installs the demos' log output on stderr: `RUST_LOG` filters it (default `info`: warnings
/// and errors, such as an unreachable Redis or a refused callback, and start-up facts), and
/// `LOG_FORMAT=json` writes one JSON object per line, with every span it was written in
/// (`spans`: the request's, with its id, method and path, then the library's).
pub fn init_logging() {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::LevelFilter;
    // A directive that does not parse is skipped (and reported by the filter), not fatal.
    let filter = EnvFilter::builder().with_default_directive(LevelFilter::INFO.into()).from_env_lossy();
    let fmt = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false);
    let json = std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ = if json { fmt.json().with_current_span(true).with_span_list(true).try_init() } else { fmt.try_init() };
}

/// The process's Prometheus recorder, installed on first use (by [`boot`]), so that the
/// library's counters and histograms ([`govuk_one_login::telemetry`]) are kept from then on.
fn prometheus() -> Option<&'static metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder();
            match handle {
                Ok(handle) => {
                    govuk_one_login::telemetry::describe();
                    Some(handle)
                }
                Err(error) => {
                    tracing::warn!(%error, "no metrics: a recorder is installed already");
                    None
                }
            }
        })
        .as_ref()
}

/// `GET /metrics`: the library's metrics in Prometheus text (an empty text before any was
/// recorded). A real service serves this on an internal port or behind authentication: it
/// tells how many people sign in, and how often One Login fails.
pub fn metrics_text() -> String {
    prometheus().map(metrics_exporter_prometheus::PrometheusHandle::render).unwrap_or_default()
}

/// The `Content-Type` of [`metrics_text`].
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The span each request of a demo runs in: its method, its path (never the query, which
/// carries the callback's `code` and `state`) and a request id, kept from an incoming
/// `X-Request-Id` of at most 64 letters, digits, `-`, `_` or `.` (as a load balancer sets),
/// otherwise a new UUID. Every log line the library writes while answering carries it.
pub fn request_span(method: &str, path: &str, incoming_id: Option<&str>) -> tracing::Span {
    let id = incoming_id
        .filter(|id| {
            !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    tracing::info_span!("request", request_id = %id, method = %method, path = %loggable_path(path))
}

/// A path as the log shows it: at most 256 characters, each outside printable ASCII as `?`
/// (a path may carry raw UTF-8, control characters included).
fn loggable_path(path: &str) -> String {
    path.chars().take(256).map(|c| if c.is_ascii_graphic() { c } else { '?' }).collect()
}

/// Logs, in `span`, that a request was answered (at `debug`: `RUST_LOG=debug` shows each).
pub fn log_answer(span: &tracing::Span, status: u16, started: std::time::Instant) {
    span.in_scope(|| tracing::debug!(status, elapsed_us = started.elapsed().as_micros() as u64, "answered"));
}

/// The audience the demo's receiver expects when it runs on the embedded stand-in.
pub const EVENTS_AUDIENCE: &str = "govuk-one-login-rs-demo";
/// The client id the stand-in's transmitter uses at the demo's token endpoint.
pub const EVENTS_CLIENT_ID: &str = "one-login-ssf";

/// What the demo does with security events beyond the receiver's own actions: it logs each
/// one (its kind and what the receiver did, never its subject).
fn event_handlers() -> EventHandlers {
    EventHandlers::new().on_any(|delivery| async move {
        tracing::info!(event = delivery.event().name(), action = ?delivery.action_taken(), "security event");
        Ok(())
    })
}

/// What the demo does on sign-in, step-up, sign-out and revocation: it logs each, with its
/// kind and levels (never the subject or other personal data). A service would find or create
/// its user on a first sign-in, and keep an audit record of each.
fn hooks() -> govuk_one_login::hooks::Hooks {
    use govuk_one_login::hooks::Hooks;
    Hooks::new()
        .on_sign_in(|sign_in| async move {
            let from = sign_in.previous().map(|v| v.to_string());
            tracing::info!(kind = ?sign_in.kind(), level = %sign_in.session().achieved(), from, "signed in");
            Ok(())
        })
        .on_sign_out(|sign_out| async move {
            tracing::info!(level = %sign_out.achieved(), "signed out");
            Ok(())
        })
        .on_revocation(|revocation| async move {
            tracing::info!(cause = ?revocation.cause(), sessions = revocation.sessions(), "sessions ended");
            Ok(())
        })
}

impl Demo {
    /// Prints where the demo runs.
    pub fn announce(&self, framework: &str) {
        println!("{framework} demo: open http://{}/", self.listen);
        match &self.mock {
            Some(m) => {
                println!("signing in with the local One Login stand-in at {}", m.issuer());
                println!("security events from its transmitter: POST {}ssf/fire (see the README)", m.issuer());
            }
            None => println!("signing in with {}", self.one_login.config().issuer()),
        }
        match self.one_login.config().session_store() {
            govuk_one_login::store::StoreSettings::Redis(redis) => {
                println!("state in Redis at {} (prefix {})", redis.redacted_url(), redis.prefix);
            }
            _ => println!("state in memory (one instance; set REDIS_URL to share it between instances)"),
        }
    }
}

/// Counts the user's views of `/account` in the application's own session data (kept in the
/// same store as the session, so every instance sees the same count).
pub async fn count_visit(handle: &SessionHandle) -> Result<u32, govuk_one_login::Error> {
    let visits = handle.get::<u32>("account_visits").await?.unwrap_or(0).saturating_add(1);
    handle.insert("account_visits", &visits).await?;
    Ok(visits)
}

/// `/account` as JSON: sub, email, phone and levels.
pub fn account_json(s: &SessionRecord) -> Value {
    json!({
        "sub": s.subject().as_str(),
        "email": s.email(),
        "phone_number": s.phone_number(),
        "auth_level": s.auth_level().to_string(),
        "identity_level": s.identity_level().to_string(),
        "achieved": s.achieved().to_string(),
    })
}

/// `/identity` as JSON: verified name, birth date and level.
pub fn identity_json(s: &SessionRecord) -> Value {
    let id = s.identity();
    json!({
        "name": id.and_then(|i| i.current_name()).map(govuk_one_login::identity::Name::full),
        "birth_date": id.and_then(|i| i.birth_date()).and_then(govuk_one_login::identity::BirthDate::date).map(|d| d.to_string()),
        "identity_level": s.identity_level().to_string(),
    })
}

/// Whether an `Accept` header asks for JSON.
pub fn wants_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/json"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_logged_path_is_printable_ascii_and_short() {
        assert_eq!(super::loggable_path("/x\u{9b}31m\u{7f}é"), "/x?31m??");
        assert_eq!(super::loggable_path(&"/a".repeat(1000)).len(), 256);
        assert_eq!(super::loggable_path("/auth/callback"), "/auth/callback");
    }
}

//! The cross-adapter conformance suite: an [`Adapter`] trait implemented for the axum and
//! the actix demo services, a small cookie-keeping [`Browser`], and the [`scenarios`], each
//! written once and run against both adapters (see `tests/it/main.rs`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod adapters;
mod browser;
pub mod process;
pub mod scenarios;

use std::net::TcpListener;
use std::sync::Arc;

pub use adapters::{ActixAdapter, AxumAdapter};
pub use browser::{Browser, Page};
use govuk_one_login::{Config, ConfigBuilder, Environment, OneLogin};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

/// A web framework adapter under test: serves its demo app on a loopback listener.
pub trait Adapter: Sync {
    /// Its name, for messages.
    fn name(&self) -> &'static str;
    /// Serves the demo app for `one_login` on `listener` until the returned guard drops.
    fn serve(&self, listener: TcpListener, one_login: OneLogin) -> Server;
}

/// A running app; stops when dropped.
pub struct Server {
    _running: Box<dyn Send>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").finish_non_exhaustive()
    }
}

impl Server {
    pub(crate) fn new(running: impl Send + 'static) -> Self {
        Self { _running: Box::new(running) }
    }
}

/// A running app with its own stand-in.
#[derive(Debug)]
pub struct Env {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The stand-in (shared when two apps use one).
    pub mock: Arc<MockProvider>,
    /// The engine the app uses.
    pub one_login: OneLogin,
    _server: Server,
}

impl Env {
    /// Starts `adapter`'s app with a fresh stand-in.
    pub async fn start(adapter: &dyn Adapter) -> Env {
        Self::start_with(adapter, |b, _| b).await
    }

    /// Starts with a changed configuration; `edit` also gets the app's base URL. The redirect
    /// URI may be switched to https: the browser maps it back to http for the app.
    pub async fn start_with(adapter: &dyn Adapter, edit: impl FnOnce(ConfigBuilder, &str) -> ConfigBuilder) -> Env {
        Self::start_on_mock(adapter, MockProvider::start().await, edit)
    }

    /// Starts with the security-event receiver on, its transmitter the stand-in's: the
    /// stand-in's pushes reach the app's receiver, with a token from the app's token endpoint.
    pub async fn start_with_events(adapter: &dyn Adapter) -> Env {
        Self::start_with_events_and(adapter, |b, _| b).await
    }

    /// [`Env::start_with_events`] with a changed configuration, as [`Env::start_with`] has.
    pub async fn start_with_events_and(
        adapter: &dyn Adapter,
        edit: impl FnOnce(ConfigBuilder, &str) -> ConfigBuilder,
    ) -> Env {
        let mock = MockProvider::start().await;
        let verification = govuk_one_login::events::VerificationSettings::new(
            mock.events_verification_url(),
            VERIFICATION_CLIENT_ID,
            VERIFICATION_SECRET,
        );
        mock.set_verification_credentials(VERIFICATION_CLIENT_ID, VERIFICATION_SECRET);
        let events = govuk_one_login::events::EventsSettings::new(EVENTS_AUDIENCE, EVENTS_CLIENT_ID, EVENTS_SECRET)
            .issuer(mock.events_issuer())
            .jwks_url(mock.events_jwks_url())
            .verification(verification);
        let env = Self::start_on_mock(adapter, mock, |b, base| edit(b.security_events(events), base));
        env.mock.register_events_receiver(govuk_one_login_mock::EventsReceiver::new(
            env.url("/auth/events"),
            env.url("/auth/events/token"),
            EVENTS_CLIENT_ID,
            EVENTS_SECRET,
            EVENTS_AUDIENCE,
        ));
        env
    }

    fn start_on_mock(
        adapter: &dyn Adapter,
        mock: MockProvider,
        edit: impl FnOnce(ConfigBuilder, &str) -> ConfigBuilder,
    ) -> Env {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let config = edit(config_for(&mock, &base), &base)
            .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
            .expect("key")
            .build()
            .expect("config");
        Self::register(&mock, &config, &base);
        let pages = demo_support::GovukPages::new(&config);
        let one_login = OneLogin::builder(config).pages(pages).build().expect("engine");
        let server = adapter.serve(listener, one_login.clone());
        Env { base, mock: Arc::new(mock), one_login, _server: server }
    }

    /// Starts `adapter`'s app against an existing stand-in and session store.
    #[allow(clippy::unused_async, reason = "awaited like `Env::start`, so that the two read alike")]
    pub async fn start_sharing(
        adapter: &dyn Adapter,
        mock: Arc<MockProvider>,
        store: govuk_one_login::store::MemoryStore,
    ) -> Env {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let config =
            config_for(&mock, &base).signing_key_pem(keys::RP_PRIVATE_KEY_PEM).expect("key").build().expect("config");
        Self::register(&mock, &config, &base);
        let pages = demo_support::GovukPages::new(&config);
        let one_login = OneLogin::builder(config).pages(pages).store(store).build().expect("engine");
        let server = adapter.serve(listener, one_login.clone());
        Env { base, mock, one_login, _server: server }
    }

    fn register(mock: &MockProvider, config: &Config, base: &str) {
        mock.register_redirect_uri(config.redirect_uri().as_str());
        if let Some(p) = config.post_logout_redirect_uri() {
            mock.register_post_logout_redirect_uri(p.as_str());
        }
        mock.register_backchannel_logout_uri(&format!("{base}/auth/backchannel-logout"));
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser for this app.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }
}

/// The audience of the security events the stand-in pushes in [`Env::start_with_events`].
pub const EVENTS_AUDIENCE: &str = "conformance.example";
/// The client id the stand-in's transmitter uses at the app's token endpoint.
pub const EVENTS_CLIENT_ID: &str = "one-login-ssf";
/// Its secret.
pub const EVENTS_SECRET: &str = "conformance-secret-of-at-least-32-characters";
/// The app's credentials at the stand-in's verification endpoint.
pub const VERIFICATION_CLIENT_ID: &str = "conformance-rp";
/// Their secret.
pub const VERIFICATION_SECRET: &str = "conformance-verification-secret";

fn config_for(mock: &MockProvider, base: &str) -> ConfigBuilder {
    Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(format!("{base}/auth/callback"))
        .post_logout_redirect_uri(format!("{base}/signed-out"))
        .user_agent("govuk-one-login-conformance/1.0")
        .identity_claims(govuk_one_login::IdentityClaim::ALL)
}

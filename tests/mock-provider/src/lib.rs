//! A local GOV.UK One Login stand-in, served on loopback, for tests and the demo services.
//!
//! It serves discovery, JWKS, `/authorize` (auto-approving, or with a page where a person picks
//! the level), `/token` (checking the client assertion, PKCE, redirect URI and one-time codes
//! as One Login does), `/userinfo`, the DID document, `/logout` and `/trustmark`. It issues
//! ES256 (or RS256) ID tokens and ES256 core identities, and has [`Fault`] switches for every
//! check a relying party must make.
//!
//! It also plays One Login's Signal Exchange: a security-event transmitter with a key of its
//! own (`/ssf/jwks.json`), which builds security event tokens and pushes them to a registered
//! [`EventsReceiver`] with a bearer token from the receiver's token endpoint, and the
//! verification endpoint (`/ssf/verify`, with `/ssf/token`) a relying party calls.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let mock = govuk_one_login_mock::MockProvider::start().await;
//! assert!(mock.issuer().starts_with("http://127.0.0.1:"));
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod events;
mod faults;
pub mod keys;
mod routes;
pub mod samples;
mod sign_in_page;
mod ssf;
mod tokens;
mod tripwire;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Map, Value};

pub use events::{ClientAuth, EventsReceiver, PushRequest, Pushed};
pub use faults::Fault;
pub use tripwire::Tripwire;

/// An edit of a token's header and claims, made just before the stand-in signs it.
pub type TokenEdit = Arc<dyn Fn(&mut Header, &mut Map<String, Value>) + Send + Sync>;
/// An edit of the discovery document, made just before the stand-in serves it.
pub type DocumentEdit = Arc<dyn Fn(&mut Map<String, Value>) + Send + Sync>;

/// The default client id registered with the stand-in.
pub const CLIENT_ID: &str = "test-client-id";
/// The client id the relying party calls the verification endpoint with, by default.
pub const VERIFICATION_CLIENT_ID: &str = "ssf-client";
/// The client secret the relying party calls the verification endpoint with, by default.
pub const VERIFICATION_CLIENT_SECRET: &str = "ssf-secret";

/// A fresh random secret (32 bytes, base64url: 43 characters), such as a receiver's client
/// secret for one run.
pub fn random_secret() -> String {
    tokens::random(32)
}

/// The user the stand-in signs in.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Pairwise subject.
    pub sub: String,
    /// Email.
    pub email: String,
    /// Phone number (E.164), or none when the user's second factor is an app.
    pub phone_number: Option<String>,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
}

impl Default for TestUser {
    fn default() -> Self {
        Self {
            sub: "urn:fdc:gov.uk:2022:56P4CMsGh_02YOlWpd8PAOI-2sVlB2nsNU7mcLZYhYw=".into(),
            email: "test@example.com".into(),
            phone_number: Some("+447123456789".into()),
            given_name: "Kenneth".into(),
            family_name: "Decerqueira".into(),
            birth_date: "1965-07-08".into(),
        }
    }
}

/// A code or access token's context.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) code_challenge: Option<String>,
    pub(crate) nonce: Option<String>,
    pub(crate) vtr: String,
    pub(crate) identity: Option<String>,
    pub(crate) claims: Vec<String>,
    pub(crate) scopes: Vec<String>,
    pub(crate) user: TestUser,
    /// The person chose "identity check fails" on the sign-in page.
    pub(crate) identity_fails: bool,
    /// The level of confidence the person chose on the sign-in page (`P1` to `P3`), when it
    /// is not the one asked for.
    pub(crate) proven_at: Option<String>,
}

/// A client's keys by `kid`, as fetched from its JWKS URL.
pub(crate) type ClientKeys = Vec<(Option<String>, DecodingKey)>;

/// A client registered by JWKS URL.
pub(crate) struct ClientJwks {
    pub(crate) url: String,
    pub(crate) cache_for: Duration,
    pub(crate) fetched: Option<(Instant, ClientKeys)>,
    pub(crate) fetches: usize,
}

/// What the stand-in saw of the last `/authorize` request.
#[derive(Debug, Clone)]
pub struct AuthorizeSeen {
    /// Whether the parameters came in a signed request object.
    pub request_object: bool,
    /// The parameters (from the request object, or the query).
    pub params: Map<String, Value>,
    /// The raw query string's length.
    pub query_len: usize,
    /// The request object's header `kid`, if any.
    pub request_object_kid: Option<String>,
}

/// A call to `/logout` the stand-in saw.
#[derive(Debug, Clone)]
pub struct EndSessionSeen {
    /// Whether `id_token_hint` verified.
    pub valid_hint: bool,
    /// The `post_logout_redirect_uri`.
    pub post_logout_redirect_uri: Option<String>,
    /// The `state`.
    pub state: Option<String>,
}

#[allow(clippy::struct_excessive_bools, reason = "each is one independent switch of the stand-in")]
pub(crate) struct State {
    pub(crate) client_id: String,
    pub(crate) client_key: DecodingKey,
    /// The client's keys by URL instead of `client_key`, as One Login allows: the URL, how
    /// long a fetched set is kept, and the set with when it was fetched.
    pub(crate) client_jwks: Option<ClientJwks>,
    pub(crate) redirect_uris: HashSet<String>,
    pub(crate) post_logout_uris: HashSet<String>,
    pub(crate) user: TestUser,
    pub(crate) identity_level: Option<String>,
    pub(crate) faults: HashSet<Fault>,
    pub(crate) auto_approve: bool,
    pub(crate) codes: HashMap<String, Grant>,
    pub(crate) access_tokens: HashMap<String, Grant>,
    pub(crate) pending_decisions: HashMap<String, (Grant, String, Option<String>)>,
    pub(crate) hits: HashMap<String, usize>,
    pub(crate) rotated: bool,
    pub(crate) id_token_alg: Algorithm,
    pub(crate) auth_time_offset: i64,
    pub(crate) max_age_enabled: bool,
    pub(crate) reauthentications: usize,
    pub(crate) max_age: HashMap<String, u64>,
    pub(crate) down: HashSet<String>,
    pub(crate) status: HashMap<String, u16>,
    pub(crate) malformed: HashSet<String>,
    pub(crate) delay: HashMap<String, Duration>,
    pub(crate) last_authorize: Option<AuthorizeSeen>,
    pub(crate) end_sessions: Vec<EndSessionSeen>,
    pub(crate) require_user_agent: bool,
    /// Sign-ins so far when each gets a subject of its own (`sub-<n>`), else `None`.
    pub(crate) subjects_given: Option<u64>,
    pub(crate) backchannel_uris: Vec<String>,
    pub(crate) last_assertion: Option<(Option<String>, Map<String, Value>)>,
    pub(crate) id_token_edit: Option<TokenEdit>,
    pub(crate) core_identity_edit: Option<TokenEdit>,
    pub(crate) discovery_edit: Option<DocumentEdit>,
    pub(crate) next_key_published: bool,
    pub(crate) token_redirect: Option<(u16, String)>,
    /// The relying party's security-event receiver.
    pub(crate) events_receiver: Option<EventsReceiver>,
    /// The receiver's bearer token, until 30 s before it expires.
    pub(crate) events_token: Option<events::CachedToken>,
    /// Every push's outcome, verification pushes included.
    pub(crate) pushes: Vec<Pushed>,
    /// The client id and secret of `/ssf/token` and `/ssf/verify`.
    pub(crate) verification_credentials: (String, String),
    /// Access tokens `/ssf/token` issued, and when each expires.
    pub(crate) ssf_tokens: HashMap<String, Instant>,
    /// Verification SETs use the SSF 1.0 URI and a `sub_id` (else the pre-1.0 URI).
    pub(crate) verification_ssf: bool,
    /// Verification requests answered 204.
    pub(crate) verification_requests: usize,
    /// The outcome of each verification push.
    pub(crate) verification_pushes: Vec<Pushed>,
}

pub(crate) struct Shared {
    pub(crate) issuer: String,
    pub(crate) did: String,
    pub(crate) state: Mutex<State>,
    /// The transmitter's HTTP client: no redirects, no proxy.
    pub(crate) http: reqwest::Client,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running stand-in. Stops when dropped.
pub struct MockProvider {
    shared: Arc<Shared>,
    router: axum::Router,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockProvider").field("issuer", &self.shared.issuer).finish_non_exhaustive()
    }
}

/// The transmitter's client: it follows no redirects, ignores proxy settings, and gives up
/// after ten seconds.
fn transmitter_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .user_agent("govuk-one-login-mock ssf-transmitter")
        .build()
        .expect("an HTTP client")
}

impl MockProvider {
    /// Starts on `127.0.0.1` on a free port, auto-approving, with [`CLIENT_ID`] registered
    /// with [`keys::RP_PRIVATE_KEY_PEM`]'s public key.
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0".parse().expect("loopback address")).await
    }

    /// Starts on the given loopback address.
    pub async fn start_on(addr: SocketAddr) -> Self {
        // reqwest is built without a default TLS provider (the library passes its own rustls
        // configuration); test clients in this process get aws-lc-rs as the default.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        assert!(addr.ip().is_loopback(), "the stand-in serves loopback only");
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind the stand-in's port");
        let addr = listener.local_addr().expect("local address");
        let issuer = format!("http://{addr}/");
        let did = format!("did:web:{}%3A{}", addr.ip(), addr.port());
        let rp = EncodingKey::from_rsa_pem(keys::RP_PRIVATE_KEY_PEM.as_bytes()).expect("RP key");
        let rp_jwk = Jwk::from_encoding_key(&rp, Algorithm::RS256).expect("RP public key");
        let shared = Arc::new(Shared {
            issuer,
            did,
            state: Mutex::new(State {
                client_id: CLIENT_ID.into(),
                client_key: DecodingKey::from_jwk(&rp_jwk).expect("RP decoding key"),
                client_jwks: None,
                redirect_uris: HashSet::new(),
                post_logout_uris: HashSet::new(),
                user: TestUser::default(),
                identity_level: None,
                faults: HashSet::new(),
                auto_approve: true,
                codes: HashMap::new(),
                access_tokens: HashMap::new(),
                pending_decisions: HashMap::new(),
                hits: HashMap::new(),
                rotated: false,
                id_token_alg: Algorithm::ES256,
                auth_time_offset: 0,
                max_age_enabled: false,
                reauthentications: 0,
                max_age: HashMap::new(),
                down: HashSet::new(),
                status: HashMap::new(),
                malformed: HashSet::new(),
                delay: HashMap::new(),
                last_authorize: None,
                end_sessions: Vec::new(),
                require_user_agent: true,
                subjects_given: None,
                backchannel_uris: Vec::new(),
                last_assertion: None,
                id_token_edit: None,
                core_identity_edit: None,
                discovery_edit: None,
                next_key_published: false,
                token_redirect: None,
                events_receiver: None,
                events_token: None,
                pushes: Vec::new(),
                verification_credentials: (VERIFICATION_CLIENT_ID.into(), VERIFICATION_CLIENT_SECRET.into()),
                ssf_tokens: HashMap::new(),
                verification_ssf: false,
                verification_requests: 0,
                verification_pushes: Vec::new(),
            }),
            http: transmitter_client(),
        });
        let router = routes::router(shared.clone());
        let app = router.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, router, addr, task }
    }

    /// Plays the user at One Login: follows an `/authorize` URL (auto-approving) and returns
    /// where the stand-in sends the browser back: the callback URL with `code` and `state` (or
    /// `error`). For examples and tests that drive a whole sign-in without a browser.
    pub async fn sign_in(&self, authorize_url: &str) -> String {
        let client =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
        let response = client.get(authorize_url).send().await.expect("the stand-in answers /authorize");
        let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        location.unwrap_or_else(|| panic!("the stand-in did not redirect back ({})", response.status()))
    }

    /// Answers `request` in-process, as the stand-in would over HTTP (the same routes and
    /// state), for a client's transport that should not touch a socket.
    pub async fn answer(&self, request: http::Request<Vec<u8>>) -> http::Response<Vec<u8>> {
        use tower::ServiceExt as _;
        let response = self.router.clone().oneshot(request.map(axum::body::Body::from)).await;
        let response = match response {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.expect("the stand-in's answer");
        http::Response::from_parts(parts, body.to_vec())
    }

    /// The issuer, `http://127.0.0.1:<port>/`.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }
    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The DID of the core identity keys, `did:web:127.0.0.1%3A<port>`.
    pub fn did(&self) -> &str {
        &self.shared.did
    }
    /// Registers a redirect URI for the client (One Login's `RedirectUrls`).
    pub fn register_redirect_uri(&self, uri: &str) {
        self.shared.lock().redirect_uris.insert(uri.into());
    }
    /// Registers a post-logout redirect URI (`PostLogoutRedirectUrls`).
    pub fn register_post_logout_redirect_uri(&self, uri: &str) {
        self.shared.lock().post_logout_uris.insert(uri.into());
    }
    /// Registers a back-channel logout URI (`BackChannelLogoutUri`): `/logout` with a valid
    /// `id_token_hint` then POSTs a `logout_token` for the hint's `sub` there, as One Login does.
    pub fn register_backchannel_logout_uri(&self, uri: &str) {
        self.shared.lock().backchannel_uris.push(uri.into());
    }
    /// Registers the client with a JWKS URL instead of a static key, as One Login allows: its
    /// keys are fetched from `url` and kept for `cache_for`, and fetched again at once for a
    /// `kid` the kept set does not hold.
    pub fn register_client_jwks_url(&self, url: &str, cache_for: Duration) {
        self.shared.lock().client_jwks = Some(ClientJwks { url: url.into(), cache_for, fetched: None, fetches: 0 });
    }
    /// How many times the client's JWKS URL was fetched.
    pub fn client_jwks_fetches(&self) -> usize {
        self.shared.lock().client_jwks.as_ref().map_or(0, |j| j.fetches)
    }
    /// Registers the client's public key from a private key PEM (RSA).
    pub fn register_client_key_pem(&self, pem: &str) {
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("an RSA PEM");
        let jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).expect("RSA public key");
        self.shared.lock().client_key = DecodingKey::from_jwk(&jwk).expect("decoding key");
    }
    /// The user to sign in next.
    pub fn set_user(&self, user: TestUser) {
        self.shared.lock().user = user;
    }
    /// Gives every sign-in from now on a subject of its own (the user's with `-<n>` after
    /// it), as many people signing in would have: for load runs.
    pub fn give_each_sign_in_its_own_subject(&self) {
        self.shared.lock().subjects_given.get_or_insert(0);
    }
    /// The identity level the user achieves (`None`: what was requested).
    pub fn set_identity_level(&self, level: Option<&str>) {
        self.shared.lock().identity_level = level.map(str::to_owned);
    }
    /// Turns a fault on.
    pub fn set_fault(&self, fault: Fault) {
        self.shared.lock().faults.insert(fault);
    }
    /// Turns every fault off, and drops the token and discovery edits.
    pub fn clear_faults(&self) {
        let mut s = self.shared.lock();
        s.faults.clear();
        s.id_token_edit = None;
        s.core_identity_edit = None;
        s.discovery_edit = None;
        s.token_redirect = None;
    }
    /// Edits every ID token's header and claims before it is signed (negative tests). The
    /// [`Fault`]s that choose the key or the algorithm still apply after the edit.
    pub fn set_id_token_edit(&self, edit: impl Fn(&mut Header, &mut Map<String, Value>) + Send + Sync + 'static) {
        self.shared.lock().id_token_edit = Some(Arc::new(edit));
    }
    /// Edits every core identity JWT's header and claims before it is signed (negative tests).
    pub fn set_core_identity_edit(&self, edit: impl Fn(&mut Header, &mut Map<String, Value>) + Send + Sync + 'static) {
        self.shared.lock().core_identity_edit = Some(Arc::new(edit));
    }
    /// Edits the discovery document before it is served (negative tests), such as endpoints on
    /// another host.
    pub fn set_discovery_edit(&self, edit: impl Fn(&mut Map<String, Value>) + Send + Sync + 'static) {
        self.shared.lock().discovery_edit = Some(Arc::new(edit));
    }
    /// Publishes the next ID token signing key beside the current one, without signing with
    /// it yet: the JWKS then holds two EC keys, so a token without `kid` is ambiguous.
    pub fn publish_next_signing_key(&self, publish: bool) {
        self.shared.lock().next_key_published = publish;
    }
    /// Makes `/token` answer `status` (such as 302 or 307) with `Location: location` instead of
    /// tokens (`None`: answer normally).
    pub fn set_token_redirect(&self, redirect: Option<(u16, &str)>) {
        self.shared.lock().token_redirect = redirect.map(|(status, location)| (status, location.to_owned()));
    }
    /// Whether `/authorize` approves at once (tests) or shows a page (people).
    pub fn set_auto_approve(&self, auto: bool) {
        self.shared.lock().auto_approve = auto;
    }
    /// Publishes a new ID token signing key and signs with it from now on.
    pub fn rotate_signing_key(&self) {
        self.shared.lock().rotated = true;
    }
    /// Signs ID tokens with RS256 instead of ES256.
    pub fn set_id_token_alg_rs256(&self, rs256: bool) {
        self.shared.lock().id_token_alg = if rs256 { Algorithm::RS256 } else { Algorithm::ES256 };
    }
    /// Moves `auth_time` by this many seconds (negative: the user signed in earlier), until
    /// the user signs in again (`prompt=login` with a hint in a request object, or `max_age`
    /// with [`set_max_age_enabled`](Self::set_max_age_enabled)), which makes it now.
    pub fn set_auth_time_offset(&self, secs: i64) {
        self.shared.lock().auth_time_offset = secs;
    }

    /// Whether `max_age` is honoured, as One Login does only for clients it has enabled it
    /// for (`MaxAgeEnabled`, off by default).
    pub fn set_max_age_enabled(&self, enabled: bool) {
        self.shared.lock().max_age_enabled = enabled;
    }

    /// How many times a user was made to sign in again (see
    /// [`set_auth_time_offset`](Self::set_auth_time_offset)).
    pub fn reauthentications(&self) -> usize {
        self.shared.lock().reauthentications
    }
    /// Sets the `Cache-Control: max-age` of a document path (such as `/.well-known/jwks.json`).
    pub fn set_max_age(&self, path: &str, secs: u64) {
        self.shared.lock().max_age.insert(path.into(), secs);
    }
    /// Makes a path answer 503 (or every path, with `"*"`).
    pub fn set_down(&self, path: &str, down: bool) {
        let mut s = self.shared.lock();
        if down {
            s.down.insert(path.into());
        } else {
            s.down.remove(path);
        }
    }
    /// Makes a path answer with this HTTP status (such as 500) and a short text body (or
    /// every path, with `"*"`); `None` restores it.
    pub fn set_status(&self, path: &str, status: Option<u16>) {
        let mut s = self.shared.lock();
        match status {
            Some(code) => s.status.insert(path.into(), code),
            None => s.status.remove(path),
        };
    }
    /// Makes a path answer 200 with `Content-Type: application/json` and a body that is not
    /// JSON (or every path, with `"*"`).
    pub fn set_malformed_json(&self, path: &str, malformed: bool) {
        let mut s = self.shared.lock();
        if malformed {
            s.malformed.insert(path.into());
        } else {
            s.malformed.remove(path);
        }
    }
    /// Delays a path's answers (or every path's, with `"*"`).
    pub fn set_delay(&self, path: &str, delay: Duration) {
        self.shared.lock().delay.insert(path.into(), delay);
    }
    /// How many requests a path has had.
    pub fn hits(&self, path: &str) -> usize {
        self.shared.lock().hits.get(path).copied().unwrap_or(0)
    }
    /// The last `/authorize` request.
    pub fn last_authorize(&self) -> Option<AuthorizeSeen> {
        self.shared.lock().last_authorize.clone()
    }
    /// The header `kid` and the claims of the last client assertion the token endpoint
    /// verified.
    pub fn last_client_assertion(&self) -> Option<(Option<String>, Map<String, Value>)> {
        self.shared.lock().last_assertion.clone()
    }
    /// The `/logout` calls seen.
    pub fn end_sessions(&self) -> Vec<EndSessionSeen> {
        self.shared.lock().end_sessions.clone()
    }
    /// A signed back-channel `logout_token` for `sub`, as One Login sends it.
    pub fn logout_token(&self, sub: &str) -> String {
        self.logout_token_with(sub, |_, _| {})
    }
    /// A `logout_token` for `sub`, after `edit` changes its header or claims (negative tests).
    pub fn logout_token_with(&self, sub: &str, edit: impl FnOnce(&mut Header, &mut Map<String, Value>)) -> String {
        tokens::logout_token(&self.shared, sub, edit)
    }
    /// Signs arbitrary claims with the OP's current ES256 key (negative tests).
    pub fn sign_with_op_key(&self, header: Header, claims: &Value) -> String {
        tokens::sign_op(&self.shared, header, claims)
    }
}

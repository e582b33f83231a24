//! The store contract (`govuk_one_login::store::Store`), driven through the engine and through
//! the store directly, against every backend: `MemoryStore`, `RedisStore` on one `redis-server`,
//! and `RedisStore` on a three-node Redis Cluster.
//!
//! `once` and `sessions` run each test once per backend; `memory` and `redis` hold what only
//! one backend has. Tests that share a server each use their own key prefix; tests that list
//! every key, kill connections or stop the server start a server of their own. Shared
//! servers live as long as some test holds them (a `Weak` in a static), so none outlives the
//! test binary.

mod data;
mod memory;
mod once;
mod redis;
mod sessions;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use govuk_one_login::clock::Clock;
use govuk_one_login::store::{MemoryStore, RedisSettings, RedisStore, Store, StoreSettings};
use govuk_one_login::{ConfigBuilder, LoginOutcome, LoginRequest, OneLogin, Requirement, ReturnPath, SessionId};
use govuk_one_login_mock::{MockProvider, TestUser, keys};
use govuk_one_login_test_redis::{RedisCluster, RedisServer};
use time::OffsetDateTime;

pub(crate) use crate::secs;
use crate::{POST_LOGOUT_URI, REDIRECT_URI, authorize, config_for};

/// Instantiates each named `async fn name(backend: Backend)` of the enclosing module once per
/// backend, as `memory::name`, `redis::name` and `cluster::name`.
macro_rules! each_backend {
    ($($name:ident),* $(,)?) => {
        crate::store::for_backends!(memory, Memory, [$($name),*]);
        crate::store::for_backends!(redis, Redis, [$($name),*]);
        crate::store::for_backends!(cluster, Cluster, [$($name),*]);
    };
}

/// As [`each_backend!`], for the Redis backends only.
macro_rules! redis_backends {
    ($($name:ident),* $(,)?) => {
        crate::store::for_backends!(redis, Redis, [$($name),*]);
        crate::store::for_backends!(cluster, Cluster, [$($name),*]);
    };
}

macro_rules! for_backends {
    ($module:ident, $backend:ident, [$($name:ident),*]) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(crate::store::Backend::$backend).await;
                }
            )*
        }
    };
}

pub(crate) use {each_backend, for_backends, redis_backends};

/// Where a deployment keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Memory,
    Redis,
    Cluster,
}

impl Backend {
    /// How long another engine may keep honouring a session after a revocation or sign-out
    /// returned: at once in one process; the Redis store's stated bound (1 s) otherwise.
    pub(crate) fn bound(self) -> Duration {
        match self {
            Backend::Memory => Duration::ZERO,
            Backend::Redis | Backend::Cluster => Duration::from_secs(1),
        }
    }
}

/// A Redis server kept alive by the deployments using it.
pub(crate) enum Server {
    Single(Arc<RedisServer>),
    Cluster(Arc<RedisCluster>),
}

static SHARED_SERVER: Mutex<Weak<RedisServer>> = Mutex::new(Weak::new());
static SHARED_CLUSTER: Mutex<Weak<RedisCluster>> = Mutex::new(Weak::new());

/// The server (or cluster) in `slot` if some test still holds it, else a new one. Starting
/// happens under the lock, so tests arriving meanwhile wait for it and share it.
async fn shared<T: Send + Sync + 'static>(slot: &'static Mutex<Weak<T>>, start: fn() -> T) -> Arc<T> {
    tokio::task::spawn_blocking(move || {
        let mut held = slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(server) = held.upgrade() {
            return server;
        }
        let server = Arc::new(start());
        *held = Arc::downgrade(&server);
        server
    })
    .await
    .expect("start redis")
}

/// A prefix no other test uses.
pub(crate) fn unique(tag: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{tag}{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A subject no other test signs in.
pub(crate) fn unique_sub() -> String {
    format!("urn:fdc:gov.uk:2022:{}", unique("sub-"))
}

/// A session id nobody was given (32 bytes from a unique string).
pub(crate) fn fresh_session_id() -> SessionId {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    let text = unique("id-");
    bytes[..text.len().min(32)].copy_from_slice(&text.as_bytes()[..text.len().min(32)]);
    SessionId::parse(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)).expect("32 bytes")
}

/// A stand-in provider with the test redirect URIs registered.
pub(crate) async fn start_mock() -> MockProvider {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    mock.register_post_logout_redirect_uri(POST_LOGOUT_URI);
    mock
}

/// One shared store and a stand-in provider: every engine it makes behaves as another instance
/// of one service (for Redis, each with a `RedisStore` of its own on the same prefix).
pub(crate) struct Deployment {
    pub backend: Backend,
    pub mock: MockProvider,
    pub prefix: String,
    memory: MemoryStore,
    url: Option<String>,
    server: Option<Server>,
    engines: AtomicUsize,
}

impl Deployment {
    /// On the shared server (or cluster) for `backend`, with a prefix of its own.
    pub(crate) async fn new(backend: Backend) -> Self {
        let server = match backend {
            Backend::Memory => None,
            Backend::Redis => Some(Server::Single(shared(&SHARED_SERVER, RedisServer::start).await)),
            Backend::Cluster => Some(Server::Cluster(shared(&SHARED_CLUSTER, RedisCluster::start).await)),
        };
        Self::on(backend, server).await
    }

    /// On a server (or cluster) of its own, for tests that list keys, kill connections or stop
    /// the server.
    pub(crate) async fn private(backend: Backend) -> Self {
        let server = match backend {
            Backend::Memory => None,
            Backend::Redis => {
                Some(Server::Single(Arc::new(tokio::task::spawn_blocking(RedisServer::start).await.unwrap())))
            }
            Backend::Cluster => {
                Some(Server::Cluster(Arc::new(tokio::task::spawn_blocking(RedisCluster::start).await.unwrap())))
            }
        };
        Self::on(backend, server).await
    }

    /// Over this memory store (tests of its limits).
    pub(crate) async fn with_memory(memory: MemoryStore) -> Self {
        let mut d = Self::on(Backend::Memory, None).await;
        d.memory = memory;
        d
    }

    async fn on(backend: Backend, server: Option<Server>) -> Self {
        let url = server.as_ref().map(|s| match s {
            Server::Single(s) => s.url(),
            Server::Cluster(c) => c.url(),
        });
        Deployment {
            backend,
            mock: start_mock().await,
            prefix: format!("{}:", unique("t")),
            memory: MemoryStore::new(),
            url,
            server,
            engines: AtomicUsize::new(0),
        }
    }

    /// The single server, for deployments on one.
    pub(crate) fn server(&self) -> &RedisServer {
        match &self.server {
            Some(Server::Single(s)) => s,
            _ => panic!("{:?} has no single server", self.backend),
        }
    }

    /// The cluster, for deployments on one.
    pub(crate) fn cluster(&self) -> &RedisCluster {
        match &self.server {
            Some(Server::Cluster(c)) => c,
            _ => panic!("{:?} has no cluster", self.backend),
        }
    }

    pub(crate) fn redis_settings(&self) -> RedisSettings {
        RedisSettings::new(self.url.clone().expect("a Redis deployment")).prefix(self.prefix.clone())
    }

    /// A `RedisStore` of its own on the deployment's server and prefix, connected.
    pub(crate) async fn redis_store(&self) -> RedisStore {
        let store = RedisStore::connect(self.redis_settings()).expect("valid Redis settings");
        tokio::time::timeout(Duration::from_secs(10), store.wait_connected())
            .await
            .expect("Redis connects within 10 s")
            .expect("Redis connects");
        store
    }

    /// Another instance with the default test configuration.
    pub(crate) async fn engine(&self) -> OneLogin {
        self.engine_with(|b| b).await
    }

    /// `n` instances.
    pub(crate) async fn engines(&self, n: usize) -> Vec<OneLogin> {
        let mut engines = Vec::with_capacity(n);
        for _ in 0..n {
            engines.push(self.engine().await);
        }
        engines
    }

    /// Another instance, its configuration edited.
    pub(crate) async fn engine_with(&self, edit: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> OneLogin {
        self.engine_on(&self.mock, edit).await
    }

    /// Another instance over the same store, configured for another provider.
    pub(crate) async fn engine_on(
        &self,
        mock: &MockProvider,
        edit: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
    ) -> OneLogin {
        let builder = edit(config_for(mock));
        let build = |b: ConfigBuilder| b.signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
        match self.backend {
            Backend::Memory => OneLogin::builder(build(builder)).store(self.memory.clone()).build().unwrap(),
            Backend::Redis | Backend::Cluster => {
                // Every other instance is built from its configuration, as a service would.
                if self.engines.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
                    let config = build(builder.session_store(StoreSettings::Redis(self.redis_settings())));
                    let ol = OneLogin::new(config).unwrap();
                    // Built this way there is no handle to wait on; on a cluster, commands
                    // fail ("missing cluster routing state") until the pool has connected.
                    wait_ready(&ol).await;
                    ol
                } else {
                    let store = self.redis_store().await;
                    OneLogin::builder(build(builder)).store(store).build().unwrap()
                }
            }
        }
    }
}

/// A clock that stands still.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

impl Deployment {
    /// Another instance over the deployment's store whose clock stands still at `at`, so that
    /// its sign-ins begin exactly then.
    pub(crate) async fn engine_at(&self, at: OffsetDateTime) -> OneLogin {
        let config = config_for(&self.mock).signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
        let builder = OneLogin::builder(config).clock(FixedClock(at));
        match self.backend {
            Backend::Memory => builder.store(self.memory.clone()),
            Backend::Redis | Backend::Cluster => builder.store(self.redis_store().await),
        }
        .build()
        .unwrap()
    }

    /// An instance over `store` (the caller keeps a handle on it).
    pub(crate) fn engine_over(&self, store: impl Store, edit: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> OneLogin {
        let config = edit(config_for(&self.mock)).signing_key_pem(keys::RP_PRIVATE_KEY_PEM).unwrap().build().unwrap();
        OneLogin::builder(config).store(store).build().unwrap()
    }

    /// The single server, shared with blocking tasks.
    pub(crate) fn server_arc(&self) -> Arc<RedisServer> {
        match &self.server {
            Some(Server::Single(s)) => s.clone(),
            _ => panic!("{:?} has no single server", self.backend),
        }
    }

    /// Sends a command to every node (one for a single server), returning each reply.
    pub(crate) fn command_everywhere(&self, args: &[&str]) -> Vec<String> {
        match &self.server {
            Some(Server::Single(s)) => vec![s.command(args)],
            Some(Server::Cluster(c)) => (0..3).map(|i| c.command_on(i, args)).collect(),
            None => panic!("a memory deployment has no server"),
        }
    }
}

/// Waits until an engine's store answers, through every pooled connection (a Redis store
/// connects in the background, and the pool hands out its connections in turn).
async fn wait_ready(ol: &OneLogin) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let probe = fresh_session_id();
    let (mut answered, mut failed) = (0, 0);
    while answered < 16 {
        match ol.store().load_session(&probe, ol.now()).await {
            Ok(found) => {
                assert!(found.is_none(), "a fresh id names no session");
                answered += 1;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "the store did not become ready within 10 s: {e}");
                (answered, failed) = (0, failed + 1);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    if failed > 0 {
        eprintln!("a store built from its configuration failed {failed} probes before it had connected");
    }
}

/// Starts a login on `start`, passes the stand-in, and completes it on `finish`.
pub(crate) async fn sign_in_across(
    start: &OneLogin,
    finish: &OneLogin,
    requirement: Requirement,
    current: Option<SessionId>,
) -> LoginOutcome {
    let login = start.start_login(LoginRequest::new(requirement, ReturnPath::root())).await.unwrap();
    let params = authorize(&login.url).await;
    finish.complete_login(params, Some(&login.flow_cookie), current).await.unwrap()
}

/// A medium-level sign-in on one engine.
pub(crate) async fn sign_in(ol: &OneLogin) -> LoginOutcome {
    sign_in_across(ol, ol, Requirement::MEDIUM, None).await
}

/// Signs `sub` in on `ol` (the stand-in's user is set first).
pub(crate) async fn sign_in_as(mock: &MockProvider, ol: &OneLogin, sub: &str) -> LoginOutcome {
    mock.set_user(TestUser { sub: sub.to_owned(), ..TestUser::default() });
    sign_in(ol).await
}

/// Whether `ol` honours the session. A store failure fails the test.
pub(crate) async fn loads(ol: &OneLogin, id: &SessionId) -> bool {
    ol.session(&id.to_cookie_value()).await.expect("the store answers").is_some()
}

/// Waits until every engine refuses every session, failing after `bound`; returns how long
/// it took. Then checks once more that none came back.
pub(crate) async fn refused_within(engines: &[OneLogin], ids: &[SessionId], bound: Duration, what: &str) -> Duration {
    let started = Instant::now();
    loop {
        // A load is judged by when it asked: under load a later load in the same round may
        // take long to answer, and that wait is not the store honouring the session.
        let (mut live, mut latest) = (0, Duration::ZERO);
        for ol in engines {
            for id in ids {
                let asked = started.elapsed();
                if loads(ol, id).await {
                    (live, latest) = (live + 1, asked);
                }
            }
        }
        if live == 0 {
            break;
        }
        assert!(
            latest <= bound,
            "{what}: {live} (engine, session) pairs still honoured, the last asked {latest:?} after the change \
             (bound {bound:?})"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = started.elapsed();
    for (e, ol) in engines.iter().enumerate() {
        for (i, id) in ids.iter().enumerate() {
            assert!(!loads(ol, id).await, "{what}: session {i} came back on engine {e}");
        }
    }
    took
}

/// Waits until `ol`'s clock has passed `at`, so that a sign-in starts after a revocation made
/// at `at` (times are whole seconds).
pub(crate) async fn wait_past(ol: &OneLogin, at: OffsetDateTime) {
    while ol.now() <= at {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The back-channel logout route, as One Login calls it.
pub(crate) async fn post_logout_token(ol: &OneLogin, token: &str) -> u16 {
    let body = format!("logout_token={token}");
    let post = govuk_one_login::web::RequestInfo::new("POST", "/auth/backchannel-logout")
        .content_type(Some("application/x-www-form-urlencoded"));
    ol.backchannel_logout_route(&post, body.as_bytes()).await.status.as_u16()
}

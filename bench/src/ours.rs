//! Our sessions, made as the issue asks: one genuine sign-in through the local stand-in at
//! `Cl.Cm.P2` with every identity claim, then that record cloned into N records through the
//! store's own wire form, each for its own subject (one subject keeps at most 32 sessions) and
//! under its own random id, as N sign-ins would leave them.

use std::sync::Arc;
use std::time::Duration;

use govuk_one_login::store::{
    MemoryStore, MemoryStoreLimits, RedisSettings, RedisStore, Store, decode_session, encode_session,
};
use govuk_one_login::{
    CallbackParams, Config, Environment, IdentityClaim, LoginRequest, OneLogin, Requirement, ReturnPath, SessionId,
};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, keys};

type Error = Box<dyn std::error::Error>;

/// The engine, with its live sessions made.
pub(crate) struct Sessions {
    pub(crate) one_login: OneLogin,
    /// This process's RSS after the genuine sign-in and before the clones: the engine, the
    /// stand-in and the HTTP clients are not counted as the sessions' memory.
    pub(crate) rss_before_kib: u64,
    /// Kept alive: the engine's discovery and keys came from it.
    _mock: MockProvider,
}

/// Signs in once and clones the session into `n`, writing each one's cookie to `cookies`.
/// `store` is `memory` or a `redis://` URL; with Redis, every session is loaded once as it is
/// made, so the local cache is warm (and trusted, which is checked). Each clone's idle deadline
/// is set as if it were last used up to a minute ago, so the guard moves it (a store write)
/// about once a minute per session under load, as it does for real sessions.
pub(crate) async fn sessions(store: &str, n: usize, cookies: &mut crate::Cookies) -> Result<Sessions, Error> {
    let mock = MockProvider::start().await;
    let redirect = "http://127.0.0.1:9/auth/callback";
    mock.register_redirect_uri(redirect);
    let config = Config::builder(Environment::Custom { issuer: mock.issuer().to_owned() })
        .client_id(CLIENT_ID)
        .redirect_uri(redirect)
        .identity_claims(IdentityClaim::ALL)
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)?
        .build()?;
    let (one_login, shared, redis): (OneLogin, Arc<dyn Store>, _) = if store == "memory" {
        let store = MemoryStore::with_limits(MemoryStoreLimits::default().sessions(n as u64 + 16));
        (OneLogin::builder(config).store(store.clone()).build()?, Arc::new(store), None)
    } else {
        let mut settings = RedisSettings::new(store).prefix("bench:");
        settings.local_cache_capacity = n as u64 + 16;
        let redis = RedisStore::connect(settings)?;
        redis.wait_connected().await?;
        while !redis.local_cache_trusted() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (OneLogin::builder(config).store(redis.clone()).build()?, Arc::new(redis.clone()), Some(redis))
    };

    let start = one_login.start_login(LoginRequest::new(Requirement::IDENTITY_P2, ReturnPath::root())).await?;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let back = client.get(start.url.as_str()).send().await?;
    let location = url::Url::parse(back.headers()["location"].to_str()?)?;
    let params = CallbackParams::from_query(location.query().unwrap_or_default());
    let outcome = one_login.complete_login(params, Some(&start.flow_cookie), None).await?;
    let (_, record) =
        one_login.session(&outcome.session_id.to_cookie_value()).await?.ok_or("the genuine sign-in left no session")?;
    if record.identity().is_none() {
        return Err("the genuine sign-in has no verified identity".into());
    }

    let mut wire: serde_json::Value = serde_json::from_slice(&encode_session(&record)?)?;
    let subject = record.subject().as_str().to_owned();
    let now = time::OffsetDateTime::now_utc();
    let idle = time::Duration::try_from(one_login.config().session_idle_timeout())?;
    let name = govuk_one_login::web::SESSION_COOKIE_INSECURE;
    let rss_before_kib = crate::rss_kib();
    cookies.push(&format!("{name}={}", outcome.session_id.to_cookie_value()))?;
    for i in 1..n {
        wire["subject"] = format!("{subject}-{i:07}").into();
        let copy = decode_session(&serde_json::to_vec(&wire)?)?;
        let id = SessionId::parse(&crate::random_token()).ok_or("a random token is a session id")?;
        let last_used = time::Duration::milliseconds(rand::random_range(0..60_000));
        shared.create_session(&id, Arc::new(copy), now - last_used + idle, now).await?;
        let value = id.to_cookie_value();
        if redis.is_some() {
            one_login.session(&value).await?.ok_or("a cloned session did not load")?;
        }
        cookies.push(&format!("{name}={value}"))?;
    }
    if redis.is_some_and(|r| !r.local_cache_trusted()) {
        return Err("the Redis store's local cache is not trusted after warming".into());
    }
    Ok(Sessions { one_login, rss_before_kib, _mock: mock })
}

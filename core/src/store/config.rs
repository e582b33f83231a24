//! Which store to use, and the Redis settings: set on the builder or read from
//! `ONE_LOGIN_SESSION_STORE`, `REDIS_URL` and `ONE_LOGIN_REDIS_*`.

use std::fmt;
use std::time::Duration;

use super::MemoryStoreLimits;
use crate::config::{ConfigError, ConfigSource};

/// Where the engine keeps its state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreSettings {
    /// In this process ([`super::MemoryStore`]): one instance only.
    Memory(MemoryStoreLimits),
    /// In Redis or Redis Cluster (`RedisStore`, the `redis` feature): any number of instances.
    Redis(RedisSettings),
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self::Memory(MemoryStoreLimits::default())
    }
}

impl StoreSettings {
    /// Reads `ONE_LOGIN_SESSION_STORE`, `REDIS_URL` and `ONE_LOGIN_REDIS_*` alone (also read by
    /// [`crate::Config::from_env`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        from_vars(&|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// `memory` or `redis`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
        }
    }
}

/// How to reach Redis. `Debug` hides the URL's credentials.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RedisSettings {
    /// `redis://`, `rediss://` (TLS with rustls), or `redis-cluster://host:port?node=host:port…`
    /// (`rediss-cluster://` with TLS). Credentials may be in the URL.
    pub url: String,
    /// Every key starts with this (`ONE_LOGIN_REDIS_PREFIX`, default `govuk-one-login:`).
    pub prefix: String,
    /// The longest any command may take, queueing included, before the request fails closed
    /// (`ONE_LOGIN_REDIS_TIMEOUT_MS`, default 1000).
    pub command_timeout: Duration,
    /// The longest a connection attempt may take (`ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS`,
    /// default 1000).
    pub connect_timeout: Duration,
    /// Pooled connections (`ONE_LOGIN_REDIS_POOL_SIZE`, default 4).
    pub pool_size: usize,
    /// Decoded sessions kept in this process (default 100,000). Source of truth stays Redis.
    pub local_cache_capacity: u64,
    /// A PEM file of CA certificates to trust for `rediss://`, beside the web PKI roots
    /// (`ONE_LOGIN_REDIS_CA_FILE`): for a Redis whose certificate a private CA issued.
    pub ca_file: Option<std::path::PathBuf>,
}

impl RedisSettings {
    /// Settings for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "govuk-one-login:".into(),
            command_timeout: Duration::from_millis(1000),
            connect_timeout: Duration::from_millis(1000),
            pool_size: 4,
            local_cache_capacity: 100_000,
            ca_file: None,
        }
    }
    /// Trusts the CA certificates in this PEM file for `rediss://`.
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ca_file = Some(path.into());
        self
    }
    /// Sets the key prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
    /// Sets the command timeout.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }
    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Sets the pool size.
    pub fn pool_size(mut self, size: usize) -> Self {
        self.pool_size = size;
        self
    }

    /// The URL with any password replaced by `***`, for logs.
    pub fn redacted_url(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                u.to_string()
            }
            Err(_) => "[unparsable URL]".into(),
        }
    }

    /// Checks settings given to the builder, naming the field to fix (`RedisSettings::prefix`).
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        self.check_as(|_, field| ConfigSource::Builder(field))
    }

    /// `origin(variable, field)` says where each value came from.
    fn check_as(&self, origin: impl Fn(&'static str, &'static str) -> ConfigSource) -> Result<(), ConfigError> {
        let url_origin = origin("REDIS_URL", "RedisSettings::url");
        let url =
            url::Url::parse(&self.url).map_err(|e| ConfigError::invalid_at(url_origin, format!("not a URL ({e})")))?;
        if !matches!(url.scheme(), "redis" | "rediss" | "redis-cluster" | "rediss-cluster") {
            return Err(ConfigError::invalid_at(
                url_origin,
                format!("scheme `{}` is not redis, rediss, redis-cluster or rediss-cluster", url.scheme()),
            ));
        }
        if self.prefix.is_empty() || !self.prefix.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ConfigError::invalid_at(
                origin("ONE_LOGIN_REDIS_PREFIX", "RedisSettings::prefix"),
                "must be non-empty visible ASCII",
            ));
        }
        for (var, field, d) in [
            ("ONE_LOGIN_REDIS_TIMEOUT_MS", "RedisSettings::command_timeout", self.command_timeout),
            ("ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS", "RedisSettings::connect_timeout", self.connect_timeout),
        ] {
            if d.is_zero() || d > Duration::from_secs(30) {
                return Err(ConfigError::invalid_at(origin(var, field), "must be between 1 ms and 30 s"));
            }
        }
        if !(1..=64).contains(&self.pool_size) {
            return Err(ConfigError::invalid_at(
                origin("ONE_LOGIN_REDIS_POOL_SIZE", "RedisSettings::pool_size"),
                "must be between 1 and 64",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &self.redacted_url())
            .field("prefix", &self.prefix)
            .field("command_timeout", &self.command_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("pool_size", &self.pool_size)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// Reads the store variables. With `REDIS_URL` set and `ONE_LOGIN_SESSION_STORE` unset, Redis
/// is used: a service that has a shared Redis configured almost always runs more than one
/// instance, and in-process state would then be silently wrong.
pub(crate) fn from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<StoreSettings, ConfigError> {
    let redis_url = get("REDIS_URL");
    let choice = get("ONE_LOGIN_SESSION_STORE").map(|v| v.trim().to_ascii_lowercase());
    let use_redis = match choice.as_deref() {
        None => redis_url.is_some(),
        Some("memory") => false,
        Some("redis") => true,
        Some(other) => {
            return Err(ConfigError::invalid(
                "ONE_LOGIN_SESSION_STORE",
                format!("`{other}` is not `memory` or `redis`"),
            ));
        }
    };
    if !use_redis {
        return Ok(StoreSettings::default());
    }
    let url = redis_url.ok_or(ConfigError::Missing {
        origin: ConfigSource::Env("REDIS_URL"),
        hint: "ONE_LOGIN_SESSION_STORE=redis needs REDIS_URL, such as redis://127.0.0.1:6379",
    })?;
    let mut s = RedisSettings::new(url.trim());
    if let Some(p) = get("ONE_LOGIN_REDIS_PREFIX") {
        p.trim().clone_into(&mut s.prefix);
    }
    if let Some(v) = get("ONE_LOGIN_REDIS_TIMEOUT_MS") {
        s.command_timeout = Duration::from_millis(number("ONE_LOGIN_REDIS_TIMEOUT_MS", &v)?);
    }
    if let Some(v) = get("ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS") {
        s.connect_timeout = Duration::from_millis(number("ONE_LOGIN_REDIS_CONNECT_TIMEOUT_MS", &v)?);
    }
    if let Some(v) = get("ONE_LOGIN_REDIS_CA_FILE") {
        s.ca_file = Some(v.trim().into());
    }
    if let Some(v) = get("ONE_LOGIN_REDIS_POOL_SIZE") {
        s.pool_size = number("ONE_LOGIN_REDIS_POOL_SIZE", &v)? as usize;
    }
    s.check_as(|var, _| ConfigSource::Env(var))?;
    Ok(StoreSettings::Redis(s))
}

fn number(var: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.trim().parse().map_err(|_| ConfigError::invalid(var, format!("`{}` is not a whole number", v.trim())))
}

/// A duration such as `1800`, `1800s`, `30m` or `8h`; the error is the reason.
pub(crate) fn duration(v: &str) -> Result<Duration, String> {
    let v = v.trim();
    let bad = || format!("`{v}` is not a duration such as 1800, 1800s, 30m or 8h");
    let (digits, unit) = match v.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => v.split_at(i),
        None => (v, "s"),
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => None,
    };
    secs.map(Duration::from_secs).ok_or_else(bad)
}

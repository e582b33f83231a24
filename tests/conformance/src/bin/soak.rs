//! Load and soak driver: for each demo service (axum, actix) and each store (memory, Redis),
//! starts the One Login stand-in (in this process), a real `redis-server` on loopback when the
//! store is Redis, and the demo binary as its own process; signs in N distinct users (10,000 by
//! default) with a bounded concurrency; then runs a mixed workload for a set time: guarded
//! requests over all live sessions, step-ups to P2, RP-initiated sign-outs (with the CSRF form),
//! back-channel logouts, and fresh sign-ins replacing the ended sessions, so the live count stays
//! at N.
//!
//! Every session's expected state is kept here, and every response is classified: an
//! unexpected status, a live session refused (lost), or an ended one still honoured (not
//! revoked) is a failure. The demo's RSS (and Redis's `INFO memory` and key count) is sampled
//! every few seconds; memory is "flat" when the RSS at the end of the steady phase is within
//! the stated bound of the RSS at its start. Prints a summary table (markdown) and exits
//! non-zero on any failure. Loopback only; it stops by itself (a hard deadline per run) and
//! kills what it started.
//!
//! `scripts/soak` builds the release binaries and runs it; `soak --help` lists the options.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use govuk_one_login_conformance::process::{DemoKind, DemoProcess, free_port};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, TestUser, keys};
use govuk_one_login_test_redis::RedisServer;

/// The longest one HTTP request may take before it counts as a failure.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ended sessions are kept to probe that they stay ended.
const ENDED_KEPT: usize = 4000;
/// How many failures are shown in full.
const FAILURES_SHOWN: usize = 20;

const USAGE: &str = "\
usage: soak [--quick] [--demo axum|actix|both] [--store memory|redis|both] [--sessions N]
            [--duration SECS] [--concurrency N] [--sample-every SECS] [--max-rss-growth PCT]
            [--same-user-rejoins]

  --quick            20 s of mixed traffic per run (default: 180 s)
  --demo             which demo service(s) (default: both)
  --store            which store(s) (default: both)
  --sessions N       live sessions to keep (default: 10000)
  --duration SECS    seconds of mixed traffic per run, after the sign-ins
  --concurrency N    requests in flight at once (default: 12)
  --sample-every S   seconds between memory samples (default: 5; 2 with --quick)
  --max-rss-growth P bound on RSS growth over the steady phase, in per cent (default: 5)
  --same-user-rejoins
                     an ended session is replaced by the same person signing straight back in
                     (default: by a person not seen before)";

#[derive(Debug, Clone)]
struct Options {
    demos: Vec<DemoKind>,
    stores: Vec<StoreKind>,
    sessions: usize,
    duration: Duration,
    concurrency: usize,
    sample_every: Duration,
    max_rss_growth: f64,
    same_user_rejoins: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Memory,
    Redis,
}

impl StoreKind {
    fn name(self) -> &'static str {
        match self {
            StoreKind::Memory => "memory",
            StoreKind::Redis => "redis",
        }
    }
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        demos: vec![DemoKind::Axum, DemoKind::Actix],
        stores: vec![StoreKind::Memory, StoreKind::Redis],
        sessions: 10_000,
        duration: Duration::from_secs(180),
        concurrency: 12,
        sample_every: Duration::from_secs(5),
        max_rss_growth: 5.0,
        same_user_rejoins: false,
    };
    let (mut duration, mut sample_every) = (None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{arg} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{arg} {v}: {e}"));
        match arg.as_str() {
            "--quick" => {
                duration.get_or_insert(20);
                sample_every.get_or_insert(2);
            }
            "--demo" => {
                o.demos = match value()?.as_str() {
                    "axum" => vec![DemoKind::Axum],
                    "actix" => vec![DemoKind::Actix],
                    "both" => vec![DemoKind::Axum, DemoKind::Actix],
                    other => return Err(format!("--demo {other}: axum, actix or both")),
                }
            }
            "--store" => {
                o.stores = match value()?.as_str() {
                    "memory" => vec![StoreKind::Memory],
                    "redis" => vec![StoreKind::Redis],
                    "both" => vec![StoreKind::Memory, StoreKind::Redis],
                    other => return Err(format!("--store {other}: memory, redis or both")),
                }
            }
            "--sessions" => o.sessions = number(value()?)?.max(1) as usize,
            "--duration" => duration = Some(number(value()?)?.max(1)),
            "--concurrency" => o.concurrency = number(value()?)?.clamp(1, 512) as usize,
            "--sample-every" => sample_every = Some(number(value()?)?.max(1)),
            "--max-rss-growth" => {
                let v = value()?;
                o.max_rss_growth = v.parse().map_err(|e| format!("--max-rss-growth {v}: {e}"))?;
            }
            "--same-user-rejoins" => o.same_user_rejoins = true,
            "--help" | "-h" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if let Some(d) = duration {
        o.duration = Duration::from_secs(d);
    }
    if let Some(s) = sample_every {
        o.sample_every = Duration::from_secs(s);
    }
    Ok(o)
}

/// A small xorshift generator: the workload needs spread, not cryptographic quality.
struct Rng(u64);

impl Rng {
    fn seeded(salt: u64) -> Rng {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        Rng((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// What a session is expected to allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Medium,
    Identity,
}

/// One live session, as the browser holding it knows it.
#[derive(Debug)]
struct Live {
    user: u64,
    cookie: String,
    level: Level,
}

/// The kinds of work, for counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SignIn,
    Guarded,
    Page,
    StepUp,
    SignOut,
    Backchannel,
    EndedProbe,
    FinalCheck,
}

const KINDS: [Kind; 8] = [
    Kind::SignIn,
    Kind::Guarded,
    Kind::Page,
    Kind::StepUp,
    Kind::SignOut,
    Kind::Backchannel,
    Kind::EndedProbe,
    Kind::FinalCheck,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::SignIn => "sign-in",
            Kind::Guarded => "guarded request (JSON)",
            Kind::Page => "guarded page (HTML, session data write)",
            Kind::StepUp => "step-up to P2",
            Kind::SignOut => "sign-out (RP-initiated)",
            Kind::Backchannel => "back-channel logout",
            Kind::EndedProbe => "ended session probed",
            Kind::FinalCheck => "final check of a live session",
        }
    }
    fn index(self) -> usize {
        KINDS.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// How a response went wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Unexpected,
    Lost,
    NotRevoked,
}

#[derive(Debug)]
struct Failure {
    class: Class,
    kind: Kind,
    at: Duration,
    what: String,
}

/// Counters shared by every worker.
#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    ops: [AtomicU64; KINDS.len()],
    unexpected: AtomicU64,
    lost: AtomicU64,
    not_revoked: AtomicU64,
    failures: Mutex<Vec<Failure>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a response did to the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CookieChange {
    Kept,
    Set(String),
    Cleared,
}

/// A response as far as the driver needs it.
#[derive(Debug)]
struct Resp {
    status: u16,
    location: Option<String>,
    session_cookie: CookieChange,
    flow_cookies: Vec<(String, String)>,
    body: String,
}

/// The shared state of one run.
struct Ctx {
    client: reqwest::Client,
    base: String,
    mock: MockProvider,
    /// The stand-in signs in one user at a time: set the user, then visit `/authorize`.
    sign_in_lock: tokio::sync::Mutex<()>,
    run_tag: String,
    next_user: AtomicU64,
    slots: Vec<Mutex<Option<Live>>>,
    busy: Vec<AtomicBool>,
    ended: Mutex<VecDeque<(u64, String)>>,
    counters: Counters,
    started: Instant,
    same_user_rejoins: bool,
}

const SESSION_COOKIE: &str = "one-login-session";

impl Ctx {
    fn user(&self, n: u64) -> TestUser {
        TestUser {
            sub: format!("urn:fdc:gov.uk:2022:soak-{}-{n}", self.run_tag),
            email: format!("soak-{n}@example.com"),
            phone_number: Some("+447123456789".into()),
            given_name: "Soak".into(),
            family_name: format!("User{n}"),
            birth_date: "1970-01-01".into(),
        }
    }

    fn fail(&self, class: Class, kind: Kind, what: String) {
        let counter = match class {
            Class::Unexpected => &self.counters.unexpected,
            Class::Lost => &self.counters.lost,
            Class::NotRevoked => &self.counters.not_revoked,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut failures = lock(&self.counters.failures);
        if failures.len() < FAILURES_SHOWN {
            failures.push(Failure { class, kind, at: self.started.elapsed(), what });
        }
    }

    fn count(&self, kind: Kind) {
        self.counters.ops[kind.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// One request, without following redirects. `cookies`: the `Cookie` header's pairs.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        cookies: &[(String, String)],
        accept: Option<&str>,
        form: Option<&[(&str, &str)]>,
    ) -> Result<Resp, String> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let mut req = self.client.request(method.clone(), url);
        if !cookies.is_empty() && url.starts_with(&self.base) {
            let header = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header("cookie", header);
        }
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        if let Some(f) = form {
            req = req.form(f);
        }
        let path = url.split('?').next().unwrap_or(url);
        let resp = req.send().await.map_err(|e| format!("{method} {path}: {}", error_chain(&e)))?;
        let status = resp.status().as_u16();
        let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).map(|l| absolute(url, l));
        let mut session_cookie = CookieChange::Kept;
        let mut flow_cookies = Vec::new();
        for c in resp.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let cleared = value.is_empty() || c.contains("Max-Age=0");
            if name.ends_with(SESSION_COOKIE) {
                session_cookie = if cleared { CookieChange::Cleared } else { CookieChange::Set(value.to_owned()) };
            } else if !cleared {
                flow_cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = resp.text().await.map_err(|e| format!("{method} {path} body: {}", error_chain(&e)))?;
        Ok(Resp { status, location, session_cookie, flow_cookies, body })
    }

    async fn get(&self, url: &str, cookies: &[(String, String)], accept: Option<&str>) -> Result<Resp, String> {
        self.send(reqwest::Method::GET, url, cookies, accept, None).await
    }

    /// Signs user `n` in from scratch, or steps `current` (its session cookie) up, by visiting
    /// `path`: the app redirects to the stand-in, which (as user `n`) redirects to the
    /// callback, which redirects back to `path`, which then answers 200 as user `n`.
    async fn flow(&self, n: u64, path: &str, current: Option<&str>) -> Result<String, (Class, String)> {
        let unexpected = |what: String| (Class::Unexpected, what);
        let mut jar: Vec<(String, String)> = Vec::new();
        if let Some(c) = current {
            jar.push((SESSION_COOKIE.to_owned(), c.to_owned()));
        }
        let first = self.get(&format!("{}{path}", self.base), &jar, None).await.map_err(unexpected)?;
        let to_op = match (first.status, &first.location) {
            (302 | 303, Some(l)) if l.starts_with(self.mock.issuer()) => l.clone(),
            (200, _) if current.is_some() => {
                return Err(unexpected(format!("{path} answered 200 before the step-up")));
            }
            (s, l) => {
                let what = format!(
                    "{path}: {s}, Location {:?}, expected a redirect to One Login",
                    l.as_deref().map(strip_query)
                );
                return Err(unexpected(what));
            }
        };
        jar.extend(first.flow_cookies);
        let back = {
            let _one_at_a_time = self.sign_in_lock.lock().await;
            self.mock.set_user(self.user(n));
            self.get(&to_op, &[], None).await.map_err(unexpected)?
        };
        let callback = match (back.status, back.location) {
            (302 | 303, Some(l)) if l.starts_with(&format!("{}/auth/callback?", self.base)) && l.contains("code=") => l,
            (s, l) => return Err(unexpected(format!("/authorize: {s}, Location {:?}", l.as_deref().map(strip_query)))),
        };
        let done = self.get(&callback, &jar, None).await.map_err(unexpected)?;
        let cookie = match (&done.session_cookie, done.status, &done.location) {
            (CookieChange::Set(c), 303, Some(l)) if *l == format!("{}{path}", self.base) => c.clone(),
            (c, s, l) => {
                return Err(unexpected(format!(
                    "callback: {s}, Location {:?}, session cookie set: {}: {}",
                    l.as_deref().map(strip_query),
                    matches!(c, CookieChange::Set(_)),
                    snippet(&done.body)
                )));
            }
        };
        if current == Some(cookie.as_str()) {
            return Err(unexpected("the session id did not rotate at step-up".into()));
        }
        let session = [(SESSION_COOKIE.to_owned(), cookie.clone())];
        let page = self.get(&format!("{}{path}", self.base), &session, None).await.map_err(unexpected)?;
        let expected = if path == "/identity" { format!("User{n}") } else { self.user(n).sub };
        if page.status != 200 || !page.body.contains(&expected) {
            let class = if page.status == 200 { Class::Unexpected } else { Class::Lost };
            return Err((class, format!("{path} right after sign-in: {} {}", page.status, snippet(&page.body))));
        }
        Ok(cookie)
    }

    /// Signs a user into slot `i`: `rejoining` when the session it replaces ended, else one
    /// never seen before.
    async fn sign_in_into(&self, i: usize, rejoining: Option<u64>) -> bool {
        let n = rejoining.unwrap_or_else(|| self.next_user.fetch_add(1, Ordering::Relaxed));
        self.count(Kind::SignIn);
        match self.flow(n, "/account", None).await {
            Ok(cookie) => {
                *lock(&self.slots[i]) = Some(Live { user: n, cookie, level: Level::Medium });
                true
            }
            Err((class, what)) => {
                self.fail(class, Kind::SignIn, format!("user {n}: {what}"));
                *lock(&self.slots[i]) = None;
                false
            }
        }
    }

    /// Checks a guarded JSON call for a live session: 200 with this user's `sub`, or 403 on
    /// `/identity` below P2. A 401 is a lost session.
    async fn guarded(&self, live: &Live, pick: usize, kind: Kind) {
        self.count(kind);
        let (path, expect) = match (pick % 3, live.level) {
            (0, _) => ("/account", 200),
            (1, _) => ("/api/me", 200),
            (_, Level::Identity) => ("/identity", 200),
            (_, Level::Medium) => ("/identity", 403),
        };
        let jar = [(SESSION_COOKIE.to_owned(), live.cookie.clone())];
        let resp = match self.get(&format!("{}{path}", self.base), &jar, Some("application/json")).await {
            Ok(r) => r,
            Err(e) => return self.fail(Class::Unexpected, kind, e),
        };
        let n = live.user;
        if resp.status == 401 {
            return self.fail(
                Class::Lost,
                kind,
                format!("user {n} ({:?}) {path}: 401 {}", live.level, snippet(&resp.body)),
            );
        }
        if resp.status != expect {
            return self.fail(
                Class::Unexpected,
                kind,
                format!("user {n} {path}: {} not {expect}: {}", resp.status, snippet(&resp.body)),
            );
        }
        if resp.session_cookie == CookieChange::Cleared {
            return self.fail(Class::Unexpected, kind, format!("user {n} {path}: the session cookie was cleared"));
        }
        let body: serde_json::Value = serde_json::from_str(&resp.body).unwrap_or_default();
        let right = match (path, expect) {
            ("/identity", 200) => body["name"].as_str().is_some_and(|name| name.ends_with(&format!("User{n}"))),
            ("/identity", _) => body["error"] == "insufficient_level",
            _ => body["sub"].as_str() == Some(self.user(n).sub.as_str()),
        };
        if !right {
            self.fail(
                Class::Unexpected,
                kind,
                format!("user {n} {path}: another user's data or a wrong body: {}", snippet(&resp.body)),
            );
        }
    }

    /// The account page (HTML): 200 with this user, counting a visit in the session's data.
    /// Returns the sign-out form's CSRF token.
    async fn page(&self, live: &Live, kind: Kind) -> Option<String> {
        let jar = [(SESSION_COOKIE.to_owned(), live.cookie.clone())];
        let resp = match self.get(&format!("{}/account", self.base), &jar, Some("text/html")).await {
            Ok(r) => r,
            Err(e) => {
                self.fail(Class::Unexpected, kind, e);
                return None;
            }
        };
        let n = live.user;
        if resp.status != 200 {
            let class = if matches!(resp.status, 302 | 303) { Class::Lost } else { Class::Unexpected };
            self.fail(class, kind, format!("user {n} /account page: {} {}", resp.status, snippet(&resp.body)));
            return None;
        }
        if !resp.body.contains(&self.user(n).sub) {
            self.fail(Class::Unexpected, kind, format!("user {n} /account page shows someone else"));
            return None;
        }
        let marker = "name=\"csrf_token\" value=\"";
        let Some(start) = resp.body.find(marker) else {
            self.fail(Class::Unexpected, kind, format!("user {n} /account page has no sign-out form"));
            return None;
        };
        Some(resp.body[start + marker.len()..].split('"').next().unwrap_or_default().to_owned())
    }

    /// RP-initiated sign-out through the form, One Login's `/logout` (which posts the
    /// back-channel logout to the app before answering) and back to `/signed-out`.
    async fn sign_out(&self, live: &Live) -> bool {
        self.count(Kind::SignOut);
        let Some(csrf) = self.page(live, Kind::SignOut).await else { return false };
        let jar = [(SESSION_COOKIE.to_owned(), live.cookie.clone())];
        let url = format!("{}/auth/logout", self.base);
        let form = [("csrf_token", csrf.as_str())];
        let out = match self.send(reqwest::Method::POST, &url, &jar, None, Some(&form)).await {
            Ok(r) => r,
            Err(e) => {
                self.fail(Class::Unexpected, Kind::SignOut, e);
                return false;
            }
        };
        let n = live.user;
        let to_op = match (out.status, out.location, &out.session_cookie) {
            (303, Some(l), CookieChange::Cleared) if l.starts_with(&format!("{}logout?", self.mock.issuer())) => l,
            (s, l, c) => {
                self.fail(
                    Class::Unexpected,
                    Kind::SignOut,
                    format!(
                        "user {n} POST /auth/logout: {s}, Location {:?}, cookie {c:?}",
                        l.as_deref().map(strip_query)
                    ),
                );
                return false;
            }
        };
        let back = match self.get(&to_op, &[], None).await {
            Ok(r) => r,
            Err(e) => {
                self.fail(Class::Unexpected, Kind::SignOut, e);
                return false;
            }
        };
        let landing = format!("{}/signed-out", self.base);
        match (back.status, back.location) {
            (302 | 303, Some(l)) if l.starts_with(&landing) => match self.get(&l, &[], None).await {
                Ok(r) if r.status == 200 => true,
                Ok(r) => {
                    self.fail(Class::Unexpected, Kind::SignOut, format!("user {n} /signed-out: {}", r.status));
                    false
                }
                Err(e) => {
                    self.fail(Class::Unexpected, Kind::SignOut, e);
                    false
                }
            },
            (s, l) => {
                self.fail(
                    Class::Unexpected,
                    Kind::SignOut,
                    format!("user {n} One Login /logout: {s}, Location {:?}", l.as_deref().map(strip_query)),
                );
                false
            }
        }
    }

    /// One Login's back-channel logout for the user, posted to the app: exactly 200.
    async fn backchannel(&self, live: &Live) -> bool {
        self.count(Kind::Backchannel);
        let token = self.mock.logout_token(&self.user(live.user).sub);
        let url = format!("{}/auth/backchannel-logout", self.base);
        match self.send(reqwest::Method::POST, &url, &[], None, Some(&[("logout_token", &token)])).await {
            Ok(r) if r.status == 200 => true,
            Ok(r) => {
                self.fail(
                    Class::Unexpected,
                    Kind::Backchannel,
                    format!("user {}: {} {}", live.user, r.status, snippet(&r.body)),
                );
                false
            }
            Err(e) => {
                self.fail(Class::Unexpected, Kind::Backchannel, e);
                false
            }
        }
    }

    /// An ended session must be refused: 401 to a JSON call, and never 200.
    async fn probe_ended(&self, user: u64, cookie: &str, kind: Kind) {
        self.count(kind);
        let jar = [(SESSION_COOKIE.to_owned(), cookie.to_owned())];
        match self.get(&format!("{}/api/me", self.base), &jar, Some("application/json")).await {
            Ok(r) if r.status == 401 => {}
            Ok(r) if r.status == 200 => {
                self.fail(Class::NotRevoked, kind, format!("user {user}: an ended session still answers 200"));
            }
            Ok(r) => {
                self.fail(Class::Unexpected, kind, format!("user {user} ended: {} {}", r.status, snippet(&r.body)));
            }
            Err(e) => self.fail(Class::Unexpected, kind, e),
        }
    }

    fn remember_ended(&self, user: u64, cookie: String) {
        let mut ended = lock(&self.ended);
        if ended.len() >= ENDED_KEPT {
            ended.pop_front();
        }
        ended.push_back((user, cookie));
    }

    /// Claims slot `i` for one worker (one browser does one thing at a time).
    fn claim(&self, i: usize) -> bool {
        self.busy[i].compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed).is_ok()
    }
    fn release(&self, i: usize) {
        self.busy[i].store(false, Ordering::Release);
    }

    fn live_count(&self) -> usize {
        self.slots.iter().filter(|s| lock(s).is_some()).count()
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let _ = write!(s, ": {inner}");
        source = inner.source();
    }
    s
}

fn absolute(base: &str, location: &str) -> String {
    url::Url::parse(base).and_then(|b| b.join(location)).map_or_else(|_| location.to_owned(), |u| u.to_string())
}

/// A URL without its query (which may hold codes or tokens).
fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}

fn snippet(body: &str) -> String {
    body.chars().take(160).collect::<String>().replace('\n', " ")
}

/// One step of the mixed workload on slot `i`, which this worker has claimed.
async fn mixed_step(ctx: &Ctx, rng: &mut Rng, i: usize) {
    let Some((user, cookie, level)) = lock(&ctx.slots[i]).as_ref().map(|l| (l.user, l.cookie.clone(), l.level)) else {
        ctx.sign_in_into(i, None).await;
        return;
    };
    let live = Live { user, cookie, level };
    let roll = rng.below(1000);
    match roll {
        // 2 % step-ups (of sessions still at Cl.Cm; the others get a guarded request).
        0..20 if level == Level::Medium => {
            ctx.count(Kind::StepUp);
            match ctx.flow(user, "/identity", Some(&live.cookie)).await {
                Ok(cookie) => {
                    *lock(&ctx.slots[i]) = Some(Live { user, cookie, level: Level::Identity });
                    // The session id before the step-up is dead.
                    ctx.probe_ended(user, &live.cookie, Kind::EndedProbe).await;
                    ctx.remember_ended(user, live.cookie);
                }
                Err((class, what)) => ctx.fail(class, Kind::StepUp, format!("user {user}: {what}")),
            }
        }
        // 1.5 % RP-initiated sign-outs, 1.5 % back-channel logouts; each replaced by a fresh sign-in.
        20..50 => {
            let ended = if roll < 35 { ctx.sign_out(&live).await } else { ctx.backchannel(&live).await };
            if ended {
                ctx.probe_ended(user, &live.cookie, Kind::EndedProbe).await;
                ctx.remember_ended(user, live.cookie);
                ctx.sign_in_into(i, ctx.same_user_rejoins.then_some(user)).await;
            }
        }
        // 5 % probes of a recently ended session.
        50..100 => {
            let picked = {
                let ended = lock(&ctx.ended);
                if ended.is_empty() { None } else { ended.get(rng.below(ended.len())).cloned() }
            };
            match picked {
                Some((u, c)) => ctx.probe_ended(u, &c, Kind::EndedProbe).await,
                None => ctx.guarded(&live, rng.below(3), Kind::Guarded).await,
            }
        }
        // 5 % account pages (HTML, a write to the session's data).
        100..150 => {
            ctx.count(Kind::Page);
            let _ = ctx.page(&live, Kind::Page).await;
        }
        _ => ctx.guarded(&live, rng.below(3), Kind::Guarded).await,
    }
}

/// A memory sample.
#[derive(Debug, Clone)]
struct Sample {
    at: Duration,
    phase: &'static str,
    rss_kib: Option<u64>,
    redis_used: Option<u64>,
    redis_keys: Option<u64>,
    requests: u64,
    live: usize,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `used_memory` from `INFO memory`, and `DBSIZE`.
fn redis_memory(redis: &RedisServer) -> (Option<u64>, Option<u64>) {
    let used = redis
        .try_command(&["INFO", "memory"])
        .ok()
        .and_then(|info| info.lines().find_map(|l| l.strip_prefix("used_memory:")).and_then(|v| v.trim().parse().ok()));
    let keys =
        redis.try_command(&["DBSIZE"]).ok().and_then(|r| r.trim().strip_prefix(':').and_then(|v| v.parse().ok()));
    (used, keys)
}

/// The figures of one run.
#[derive(Debug)]
struct Report {
    demo: DemoKind,
    store: StoreKind,
    sessions: usize,
    sign_in_secs: f64,
    mixed_secs: f64,
    requests: u64,
    mixed_requests: u64,
    ops: [u64; KINDS.len()],
    unexpected: u64,
    lost: u64,
    not_revoked: u64,
    live_at_end: usize,
    failures: Vec<Failure>,
    samples: Vec<Sample>,
    rss_growth: Option<f64>,
    flat: bool,
    demo_warnings: usize,
    deadline_hit: bool,
}

impl Report {
    fn ok(&self) -> bool {
        self.unexpected == 0
            && self.lost == 0
            && self.not_revoked == 0
            && self.flat
            && !self.deadline_hit
            && self.live_at_end == self.sessions
    }
}

fn redis_env(redis: &RedisServer, tag: &str) -> Vec<(String, String)> {
    vec![("REDIS_URL".into(), redis.url()), ("ONE_LOGIN_REDIS_PREFIX".into(), format!("soak-{tag}:"))]
}

async fn run_one(o: &Options, demo: DemoKind, store: StoreKind) -> Report {
    let tag = format!("{}-{}-{}", demo.binary_name(), store.name(), std::process::id());
    let redis = match store {
        StoreKind::Memory => None,
        StoreKind::Redis => {
            let r = tokio::task::block_in_place(RedisServer::start);
            // The test server fsyncs every write (for the restart tests); the soak measures the
            // library, not the disk: once a second, as production Redis is usually run.
            let _ = r.try_command(&["CONFIG", "SET", "appendfsync", "everysec"]);
            Some(Arc::new(r))
        }
    };
    let mock = MockProvider::start().await;
    let addr = free_port();
    let base = format!("http://{addr}");
    mock.register_redirect_uri(&format!("{base}/auth/callback"));
    mock.register_post_logout_redirect_uri(&format!("{base}/signed-out"));
    mock.register_backchannel_logout_uri(&format!("{base}/auth/backchannel-logout"));
    let mut env: Vec<(String, String)> = [
        ("ONE_LOGIN_ISSUER", mock.issuer().to_owned()),
        ("ONE_LOGIN_CLIENT_ID", CLIENT_ID.to_owned()),
        ("ONE_LOGIN_PRIVATE_KEY", keys::RP_PRIVATE_KEY_PEM.to_owned()),
        ("ONE_LOGIN_REDIRECT_URI", format!("{base}/auth/callback")),
        ("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", format!("{base}/signed-out")),
        ("ONE_LOGIN_IDENTITY_CLAIMS", "coreIdentityJWT address passport drivingPermit returnCode".to_owned()),
        ("ONE_LOGIN_SESSION_STORE", store.name().to_owned()),
        // The soak signs users in faster than the default flood bound of 100 starts a second
        // (which the core tests cover): lift it, so that every 503 is unexpected.
        ("ONE_LOGIN_MAX_SIGN_IN_STARTS_PER_SECOND", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(r) = &redis {
        env.extend(redis_env(r, &tag));
    }
    let mut process = tokio::task::block_in_place(|| DemoProcess::spawn(demo, addr, &env));
    let pid = process.pid().expect("a running demo");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .pool_max_idle_per_host(o.concurrency * 2)
        .build()
        .expect("an HTTP client");
    let ctx = Arc::new(Ctx {
        client,
        base,
        mock,
        sign_in_lock: tokio::sync::Mutex::new(()),
        run_tag: tag.clone(),
        next_user: AtomicU64::new(0),
        slots: (0..o.sessions).map(|_| Mutex::new(None)).collect(),
        busy: (0..o.sessions).map(|_| AtomicBool::new(false)).collect(),
        ended: Mutex::new(VecDeque::new()),
        counters: Counters::default(),
        started: Instant::now(),
        same_user_rejoins: o.same_user_rejoins,
    });
    eprintln!(
        "soak: {} with the {} store on {}: signing in {} users, {} at a time",
        demo.binary_name(),
        store.name(),
        ctx.base,
        o.sessions,
        o.concurrency
    );

    let phase = Arc::new(Mutex::new("sign-in"));
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (ctx, phase, samples, stop, redis, every) =
            (ctx.clone(), phase.clone(), samples.clone(), stop_sampling.clone(), redis.clone(), o.sample_every);
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let (redis_used, redis_keys) = match &redis {
                    Some(r) => {
                        let r = r.clone();
                        tokio::task::spawn_blocking(move || redis_memory(&r)).await.unwrap_or((None, None))
                    }
                    None => (None, None),
                };
                let sample = Sample {
                    at: ctx.started.elapsed(),
                    phase: *lock(&phase),
                    rss_kib: rss_kib(pid),
                    redis_used,
                    redis_keys,
                    requests: ctx.counters.requests.load(Ordering::Relaxed),
                    live: ctx.live_count(),
                };
                lock(&samples).push(sample);
                tokio::time::sleep(every).await;
            }
        })
    };

    // Sign-in phase: every slot gets a user.
    let next_slot = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..o.concurrency)
        .map(|_| {
            let (ctx, next_slot) = (ctx.clone(), next_slot.clone());
            tokio::spawn(async move {
                loop {
                    let i = next_slot.fetch_add(1, Ordering::Relaxed);
                    if i >= ctx.slots.len() {
                        break;
                    }
                    ctx.sign_in_into(i, None).await;
                    if i % 1000 == 999 {
                        eprintln!("soak:   {} signed in after {:.0?}", i + 1, ctx.started.elapsed());
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let sign_in_secs = ctx.started.elapsed().as_secs_f64();
    let requests_before_mix = ctx.counters.requests.load(Ordering::Relaxed);

    // Mixed phase.
    *lock(&phase) = "mixed";
    let mixed_start = Instant::now();
    let mix_until = mixed_start + o.duration;
    eprintln!("soak:   sign-ins took {sign_in_secs:.1} s; mixed traffic for {:?}", o.duration);
    let workers: Vec<_> = (0..o.concurrency)
        .map(|w| {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let mut rng = Rng::seeded(w as u64 + 1);
                while Instant::now() < mix_until {
                    let i = rng.below(ctx.slots.len());
                    if !ctx.claim(i) {
                        continue;
                    }
                    mixed_step(&ctx, &mut rng, i).await;
                    ctx.release(i);
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let mixed_secs = mixed_start.elapsed().as_secs_f64();
    let mixed_requests = ctx.counters.requests.load(Ordering::Relaxed) - requests_before_mix;
    *lock(&phase) = "final check";

    // Final check: every session that should be live is, and every ended one kept is refused.
    let live: Vec<(usize, u64, String, Level)> = ctx
        .slots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| lock(s).as_ref().map(|l| (i, l.user, l.cookie.clone(), l.level)))
        .collect();
    let live_at_end = live.len();
    let ended: Vec<(u64, String)> = lock(&ctx.ended).iter().cloned().collect();
    let queue = Arc::new(Mutex::new((live, ended)));
    let workers: Vec<_> = (0..o.concurrency)
        .map(|_| {
            let (ctx, queue) = (ctx.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let (next_live, next_ended) = {
                        let mut q = lock(&queue);
                        let l = q.0.pop();
                        let e = if l.is_none() { q.1.pop() } else { None };
                        (l, e)
                    };
                    if let Some((_, user, cookie, level)) = next_live {
                        ctx.guarded(&Live { user, cookie, level }, 1, Kind::FinalCheck).await;
                    } else if let Some((user, cookie)) = next_ended {
                        ctx.probe_ended(user, &cookie, Kind::EndedProbe).await;
                    } else {
                        break;
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    stop_sampling.store(true, Ordering::Relaxed);
    let _ = sampler.await;
    // A last sample after the run.
    let (redis_used, redis_keys) =
        redis.as_ref().map_or((None, None), |r| tokio::task::block_in_place(|| redis_memory(r)));
    lock(&samples).push(Sample {
        at: ctx.started.elapsed(),
        phase: "end",
        rss_kib: rss_kib(pid),
        redis_used,
        redis_keys,
        requests: ctx.counters.requests.load(Ordering::Relaxed),
        live: ctx.live_count(),
    });
    let output = process.output();
    let demo_warnings = output.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).count();
    if demo_warnings > 0 {
        let shown: Vec<&str> = output.lines().filter(|l| l.contains("WARN") || l.contains("ERROR")).take(5).collect();
        eprintln!("soak:   the demo logged {demo_warnings} warnings or errors, first: {shown:#?}");
    }
    let still_running = process.is_running();
    process.stop();
    if !still_running {
        eprintln!("soak:   the demo exited during the run:\n{output}");
    }

    let samples = lock(&samples).clone();
    let (rss_growth, flat) = rss_flatness(&samples, o.max_rss_growth);
    let c = &ctx.counters;
    let mut ops = [0; KINDS.len()];
    for (i, op) in c.ops.iter().enumerate() {
        ops[i] = op.load(Ordering::Relaxed);
    }
    let failures = std::mem::take(&mut *lock(&c.failures));
    Report {
        demo,
        store,
        sessions: o.sessions,
        sign_in_secs,
        mixed_secs,
        requests: c.requests.load(Ordering::Relaxed),
        mixed_requests,
        ops,
        unexpected: c.unexpected.load(Ordering::Relaxed) + u64::from(!still_running),
        lost: c.lost.load(Ordering::Relaxed),
        not_revoked: c.not_revoked.load(Ordering::Relaxed),
        live_at_end,
        failures,
        samples,
        rss_growth,
        flat,
        demo_warnings,
        deadline_hit: false,
    }
}

/// The steady phase is the mixed phase after its first third (warm-up). Growth: the mean RSS of
/// the steady phase's last three samples over the mean of its first three.
fn rss_flatness(samples: &[Sample], bound_pct: f64) -> (Option<f64>, bool) {
    let mixed: Vec<&Sample> = samples.iter().filter(|s| s.phase == "mixed" && s.rss_kib.is_some()).collect();
    let steady = &mixed[mixed.len() / 3..];
    if steady.len() < 4 {
        return (None, false);
    }
    let mean = |xs: &[&Sample]| xs.iter().filter_map(|s| s.rss_kib).sum::<u64>() as f64 / xs.len() as f64;
    let k = 3.min(steady.len() / 2);
    let growth = (mean(&steady[steady.len() - k..]) / mean(&steady[..k]) - 1.0) * 100.0;
    (Some(growth), growth < bound_pct)
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "-".into(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn mib_bytes(b: Option<u64>) -> String {
    b.map_or_else(|| "-".into(), |b| format!("{:.1}", b as f64 / 1_048_576.0))
}

fn summary(o: &Options, reports: &[Report]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n## Load and soak\n");
    let _ = writeln!(
        s,
        "{} live sessions per run, {} requests in flight, {:.0} s of mixed traffic per run after the sign-ins; \
         memory sampled every {} s; flat = RSS growth over the steady phase (the mixed phase after its first \
         third) below {} %; an ended session is replaced by {}.\n",
        o.sessions,
        o.concurrency,
        o.duration.as_secs_f64(),
        o.sample_every.as_secs(),
        o.max_rss_growth,
        if o.same_user_rejoins { "the same person signing straight back in" } else { "a person not seen before" }
    );
    let _ = writeln!(
        s,
        "| | {} |",
        reports
            .iter()
            .map(|r| format!("{} / {}", r.demo.binary_name(), r.store.name()))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(s, "|---|{}", "---|".repeat(reports.len()));
    let row = |s: &mut String, name: &str, f: &dyn Fn(&Report) -> String| {
        let _ = writeln!(s, "| {name} | {} |", reports.iter().map(f).collect::<Vec<_>>().join(" | "));
    };
    row(&mut s, "result", &|r| if r.ok() { "pass".into() } else { "**FAIL**".into() });
    row(&mut s, "initial sign-ins (s)", &|r| {
        format!("{:.1} ({:.0}/s)", r.sign_in_secs, r.sessions as f64 / r.sign_in_secs)
    });
    row(&mut s, "mixed phase (s)", &|r| format!("{:.0}", r.mixed_secs));
    row(&mut s, "HTTP requests, all", &|r| r.requests.to_string());
    row(&mut s, "requests/s in the mixed phase", &|r| format!("{:.0}", r.mixed_requests as f64 / r.mixed_secs));
    for kind in KINDS {
        row(&mut s, kind.name(), &|r| r.ops[kind.index()].to_string());
    }
    row(&mut s, "unexpected statuses", &|r| r.unexpected.to_string());
    row(&mut s, "lost sessions", &|r| r.lost.to_string());
    row(&mut s, "ended but still honoured", &|r| r.not_revoked.to_string());
    row(&mut s, "live sessions at the end", &|r| r.live_at_end.to_string());
    let at = |r: &Report, phase: &str, first: bool| {
        let xs: Vec<&Sample> = r.samples.iter().filter(|x| x.phase == phase).collect();
        if first { xs.first().copied().cloned() } else { xs.last().copied().cloned() }
    };
    let steady_start = |r: &Report| {
        let mixed: Vec<&Sample> = r.samples.iter().filter(|x| x.phase == "mixed").collect();
        mixed.get(mixed.len() / 3).copied().cloned()
    };
    row(&mut s, "RSS at start (MiB)", &|r| mib(r.samples.first().and_then(|x| x.rss_kib)));
    row(&mut s, "RSS after the sign-ins (MiB)", &|r| mib(at(r, "mixed", true).and_then(|x| x.rss_kib)));
    row(&mut s, "RSS at steady start (MiB)", &|r| mib(steady_start(r).and_then(|x| x.rss_kib)));
    row(&mut s, "RSS at the end of the mix (MiB)", &|r| mib(at(r, "mixed", false).and_then(|x| x.rss_kib)));
    row(&mut s, "RSS max (MiB)", &|r| mib(r.samples.iter().filter_map(|x| x.rss_kib).max()));
    row(&mut s, "RSS growth, steady phase", &|r| {
        r.rss_growth.map_or_else(|| "-".into(), |g| format!("{g:+.1} %{}", if r.flat { "" } else { " (not flat)" }))
    });
    if reports.iter().any(|r| r.store == StoreKind::Redis) {
        row(&mut s, "Redis used_memory after sign-ins / end (MiB)", &|r| {
            if r.store == StoreKind::Memory {
                return "-".into();
            }
            format!(
                "{} / {}",
                mib_bytes(at(r, "mixed", true).and_then(|x| x.redis_used)),
                mib_bytes(r.samples.last().and_then(|x| x.redis_used))
            )
        });
        row(&mut s, "Redis keys after sign-ins / end", &|r| {
            if r.store == StoreKind::Memory {
                return "-".into();
            }
            let k = |x: Option<Sample>| x.and_then(|x| x.redis_keys).map_or_else(|| "-".into(), |k| k.to_string());
            format!("{} / {}", k(at(r, "mixed", true)), k(r.samples.last().cloned()))
        });
    }
    row(&mut s, "demo warnings/errors logged", &|r| r.demo_warnings.to_string());
    for r in reports {
        if !r.failures.is_empty() {
            let _ = writeln!(s, "\nFirst failures, {} / {}:", r.demo.binary_name(), r.store.name());
            for f in &r.failures {
                let _ = writeln!(s, "- {:?} in {} at {:.1} s: {}", f.class, f.kind.name(), f.at.as_secs_f64(), f.what);
            }
        }
        if r.deadline_hit {
            let _ = writeln!(s, "\n{} / {}: stopped by the hard deadline", r.demo.binary_name(), r.store.name());
        }
    }
    let _ = writeln!(
        s,
        "\nMemory samples (seconds from the start, phase s/m/f/e, RSS MiB[/Redis used MiB/Redis keys], live \
         sessions, requests so far):\n"
    );
    for r in reports {
        let line: Vec<String> = r
            .samples
            .iter()
            .map(|x| {
                let redis = x.redis_keys.map_or_else(String::new, |k| format!("/{}/{k}", mib_bytes(x.redis_used)));
                format!(
                    "{:.0}:{} {}{redis} {} {}",
                    x.at.as_secs_f64(),
                    &x.phase[..1],
                    mib(x.rss_kib),
                    x.live,
                    x.requests
                )
            })
            .collect();
        let _ = writeln!(s, "- {} / {}: {}", r.demo.binary_name(), r.store.name(), line.join(", "));
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_options(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("soak: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if e.is_empty() { 0 } else { 2 });
        }
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a runtime");
    let mut reports = Vec::new();
    for demo in options.demos.clone() {
        for store in options.stores.clone() {
            // Hard deadline: sign-ins at 10/s at worst, the mixed phase, and two minutes more.
            let deadline = Duration::from_secs(options.sessions as u64 / 10 + 120) + options.duration;
            let run = runtime.block_on(async { tokio::time::timeout(deadline, run_one(&options, demo, store)).await });
            if let Ok(report) = run {
                eprintln!(
                    "soak:   {} / {}: {} requests, {} unexpected, {} lost, {} not revoked",
                    demo.binary_name(),
                    store.name(),
                    report.requests,
                    report.unexpected,
                    report.lost,
                    report.not_revoked
                );
                reports.push(report);
            } else {
                eprintln!(
                    "soak: {} / {} did not finish within {deadline:?}; stopped",
                    demo.binary_name(),
                    store.name()
                );
                reports.push(Report {
                    demo,
                    store,
                    sessions: options.sessions,
                    sign_in_secs: 0.0,
                    mixed_secs: 0.0,
                    requests: 0,
                    mixed_requests: 0,
                    ops: [0; KINDS.len()],
                    unexpected: 0,
                    lost: 0,
                    not_revoked: 0,
                    live_at_end: 0,
                    failures: Vec::new(),
                    samples: Vec::new(),
                    rss_growth: None,
                    flat: false,
                    demo_warnings: 0,
                    deadline_hit: true,
                });
            }
        }
    }
    // Dropping the runtime ends the stand-ins and any task left by a stopped run.
    runtime.shutdown_timeout(Duration::from_secs(5));
    println!("{}", summary(&options, &reports));
    if reports.iter().all(Report::ok) { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

//! Two instances of a service behind one real `redis-server`, as operators run them: A is the
//! axum demo and B the actix demo, each its own OS process configured only through
//! environment variables, sharing one Redis and one One Login stand-in (in this process).
//!
//! Cookies are per host, not per port, so one person's cookie jar is sent to both instances
//! (both listen on 127.0.0.1): [`Person`] keeps that one jar.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use govuk_one_login_conformance::process::{DemoKind, DemoProcess, free_port};
use govuk_one_login_conformance::{Browser, Page};
use govuk_one_login_mock::{CLIENT_ID, MockProvider, TestUser, keys};
use govuk_one_login_test_redis::RedisServer;

/// The longest any single request to a demo may take before the test fails.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How soon a change made through one instance must be seen by the other (the store's stated
/// bound for revocations).
const PROPAGATION_BOUND: Duration = Duration::from_secs(1);
/// How soon after Redis stops every guarded request must fail closed.
const FAIL_CLOSED_BOUND: Duration = Duration::from_secs(3);
/// How long Redis stays down in the fault test.
const OUTAGE: Duration = Duration::from_secs(6);
/// How soon after Redis is back sessions must work again.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// The pause between two polls.
const POLL_EVERY: Duration = Duration::from_millis(10);

const JSON: &str = "application/json";
const HTML: &str = "text/html";
const SESSION_COOKIE: &str = "one-login-session";

/// One Redis, one stand-in, and the two instances A (axum) and B (actix).
struct Deployment {
    mock: MockProvider,
    redis: RedisServer,
    prefix: String,
    a: DemoProcess,
    b: DemoProcess,
}

impl Deployment {
    async fn start(test: &str) -> Deployment {
        let redis = tokio::task::block_in_place(RedisServer::start);
        let mock = MockProvider::start().await;
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let prefix = format!("mi-{test}-{}-{nanos}:", std::process::id());
        let a_addr = free_port();
        let b_addr = loop {
            let addr = free_port();
            if addr != a_addr {
                break addr;
            }
        };
        let env = |base: &str| -> Vec<(String, String)> {
            [
                ("ONE_LOGIN_ISSUER", mock.issuer().to_owned()),
                ("ONE_LOGIN_CLIENT_ID", CLIENT_ID.to_owned()),
                ("ONE_LOGIN_PRIVATE_KEY", keys::RP_PRIVATE_KEY_PEM.to_owned()),
                ("ONE_LOGIN_REDIRECT_URI", format!("{base}/auth/callback")),
                ("ONE_LOGIN_POST_LOGOUT_REDIRECT_URI", format!("{base}/signed-out")),
                ("ONE_LOGIN_IDENTITY_CLAIMS", "coreIdentityJWT address passport drivingPermit returnCode".to_owned()),
                ("REDIS_URL", redis.url()),
                ("ONE_LOGIN_REDIS_PREFIX", prefix.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
        };
        for addr in [a_addr, b_addr] {
            let base = format!("http://{addr}");
            mock.register_redirect_uri(&format!("{base}/auth/callback"));
            mock.register_post_logout_redirect_uri(&format!("{base}/signed-out"));
            mock.register_backchannel_logout_uri(&format!("{base}/auth/backchannel-logout"));
        }
        let (a_env, b_env) = (env(&format!("http://{a_addr}")), env(&format!("http://{b_addr}")));
        let a = tokio::task::block_in_place(|| DemoProcess::spawn(DemoKind::Axum, a_addr, &a_env));
        let b = tokio::task::block_in_place(|| DemoProcess::spawn(DemoKind::Actix, b_addr, &b_env));
        Deployment { mock, redis, prefix, a, b }
    }

    fn a(&self) -> String {
        self.a.base()
    }

    fn b(&self) -> String {
        self.b.base()
    }

    /// The keys under this test's prefix.
    fn redis_keys(&self) -> String {
        let pattern = format!("{}*", self.prefix);
        tokio::task::block_in_place(|| self.redis.command(&["KEYS", &pattern]))
    }

    /// Checks that neither instance printed a secret: the given session cookie values, ID
    /// tokens and logout tokens, or anything that looks like a JWT. Also checks that the output
    /// is captured at all (it holds the start-up line), so that the check is not vacuous.
    fn assert_output_has_no_secrets(&self, secrets: &[&str]) {
        for (demo, announce) in [(&self.a, "axum demo: open"), (&self.b, "actix demo: open")] {
            let output = demo.output();
            assert!(output.contains(announce), "{demo:?}: its output is not captured:\n{output}");
            for secret in secrets {
                assert!(!secret.is_empty());
                assert!(!output.contains(secret), "{demo:?} printed a secret ({}…):\n{output}", &secret[..8]);
            }
            assert!(!output.contains("eyJ"), "{demo:?} printed something like a JWT:\n{output}");
        }
    }
}

/// One person with one browser: one cookie jar for 127.0.0.1, sent to whichever instance.
#[derive(Default)]
struct Person {
    jar: BTreeMap<String, String>,
}

impl Person {
    fn with_session(cookie: &str) -> Person {
        Person { jar: BTreeMap::from([(SESSION_COOKIE.to_owned(), cookie.to_owned())]) }
    }

    fn browser(&self, base: &str, accept: Option<&str>) -> Browser {
        let mut b = Browser::new(base);
        b.jar = self.jar.clone();
        b.accept = accept.map(str::to_owned);
        b
    }

    /// GET without following redirects; keeps the cookies the instance sets.
    async fn get(&mut self, base: &str, path: &str, accept: Option<&str>) -> Page {
        let mut b = self.browser(base, accept);
        let page = within(&format!("GET {base}{path}"), b.get(&format!("{base}{path}"))).await;
        self.jar = b.jar;
        page
    }

    /// GET and follow redirects (through the stand-in and back); keeps the cookies.
    async fn visit(&mut self, base: &str, path: &str) -> Page {
        let mut b = self.browser(base, None);
        let page = within(&format!("visit {base}{path}"), b.visit(&format!("{base}{path}"))).await;
        self.jar = b.jar;
        page
    }

    async fn json_status(&mut self, base: &str, path: &str) -> u16 {
        self.get(base, path, Some(JSON)).await.status
    }

    fn session_cookie(&self) -> String {
        self.jar.get(SESSION_COOKIE).cloned().unwrap_or_else(|| panic!("no session cookie in {:?}", self.jar.keys()))
    }
}

async fn within<T>(what: &str, work: impl Future<Output = T>) -> T {
    tokio::time::timeout(REQUEST_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {REQUEST_TIMEOUT:?}"))
}

fn csrf_token(page: &Page) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = page.body.find(marker).unwrap_or_else(|| panic!("no sign-out form on {}", page.url)) + marker.len();
    page.body[start..].split('"').next().unwrap_or_default().to_owned()
}

/// Whether any `Set-Cookie` of `page` gives the session cookie a value.
fn sets_session_cookie(page: &Page) -> bool {
    page.set_cookies.iter().any(|c| {
        let pair = c.split(';').next().unwrap_or("");
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        name.trim().ends_with(SESSION_COOKIE) && !value.trim().is_empty() && !c.contains("Max-Age=0")
    })
}

/// Posts `logout_token` to `base`'s back-channel route, as One Login does (no cookies).
async fn backchannel_logout(base: &str, token: &str) -> Page {
    let url = format!("{base}/auth/backchannel-logout");
    within(&format!("POST {url}"), Browser::new(base).post_form(&url, &[("logout_token", token)])).await
}

/// Polls `path` as JSON on `base` with `cookie` every 10 ms until it answers 401, allowing only
/// 200 before; returns how long that took from `since`, or panics after `bound`.
async fn until_unauthenticated(base: &str, cookie: &str, since: Instant, bound: Duration, what: &str) -> Duration {
    let mut person = Person::with_session(cookie);
    loop {
        let page = person.get(base, "/account", Some(JSON)).await;
        match page.status {
            401 => return since.elapsed(),
            200 => {}
            other => panic!("{what}: {base}/account answered {other} while the session was ending: {}", page.body),
        }
        assert!(since.elapsed() < bound, "{what}: {base} still honours the session after {:?}", since.elapsed());
        person.jar.insert(SESSION_COOKIE.to_owned(), cookie.to_owned());
        tokio::time::sleep(POLL_EVERY).await;
    }
}

fn default_sub() -> String {
    TestUser::default().sub
}

/// 1. A user signs in on A and is recognised on B (page and JSON); and the other way round.
///    Signing out on B ends that session on A too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_on_a_is_recognised_on_b() {
    let d = Deployment::start("recognised").await;
    let mut person = Person::default();
    let page = person.visit(&d.a(), "/account").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.url.starts_with(&d.a()), "signed in on A: {}", page.url);
    let cookie = person.session_cookie();
    let keys = d.redis_keys();
    assert!(keys.contains(&format!("{}s:", d.prefix)), "A keeps its session in Redis under the prefix: {keys}");
    assert!(!keys.contains(&cookie), "no raw session id in a key: {keys}");
    let authorizes = d.mock.hits("/authorize");

    let api = person.get(&d.b(), "/account", Some(JSON)).await;
    assert_eq!(api.status, 200, "B recognises A's session: {}", api.body);
    assert!(api.content_type.as_deref().unwrap_or("").starts_with(JSON), "{:?}", api.content_type);
    let json = api.json();
    assert_eq!(json["sub"], default_sub());
    assert_eq!(json["email"], "test@example.com");
    assert_eq!(json["auth_level"], "Cl.Cm");
    let page = person.get(&d.b(), "/account", Some(HTML)).await;
    assert_eq!(page.status, 200, "B's page: {}", page.body);
    assert!(page.body.contains("test@example.com") && page.body.contains(&default_sub()));
    assert_eq!(d.mock.hits("/authorize"), authorizes, "B sent nobody to One Login");
    assert_eq!(person.session_cookie(), cookie, "B keeps the cookie as it is");

    let mut other = Person::default();
    assert_eq!(other.visit(&d.b(), "/account").await.status, 200, "signed in on B");
    let other_cookie = other.session_cookie();
    assert_ne!(other_cookie, cookie);
    let api = other.get(&d.a(), "/account", Some(JSON)).await;
    assert_eq!(api.status, 200, "A recognises B's session: {}", api.body);
    assert_eq!(api.json()["sub"], default_sub());

    // Signing out on B ends the session A made, on A too.
    let account = person.get(&d.b(), "/account", Some(HTML)).await;
    let out = within(
        "sign out on B",
        person
            .browser(&d.b(), None)
            .post_form(&format!("{}/auth/logout", d.b()), &[("csrf_token", &csrf_token(&account))]),
    )
    .await;
    let signed_out = Instant::now();
    assert_eq!(out.status, 303, "{}", out.body);
    let to = url::Url::parse(out.location.as_deref().expect("a Location")).expect("a URL");
    assert!(to.as_str().starts_with(&format!("{}logout?", d.mock.issuer())), "{to}");
    let id_token = to.query_pairs().find(|(k, _)| k == "id_token_hint").map(|(_, v)| v.into_owned()).expect("a hint");
    let took = until_unauthenticated(&d.a(), &cookie, signed_out, PROPAGATION_BOUND, "sign-out on B").await;
    eprintln!("multi_instance: a sign-out on B (actix) ended the session on A (axum) {took:?} after B answered");
    assert_eq!(other.json_status(&d.a(), "/account").await, 200, "a sign-out ends one session, not the other");

    d.assert_output_has_no_secrets(&[&cookie, &other_cookie, &id_token]);
}

/// Sign-out on every device, with the Redis store: one person signed in in two browsers, one
/// on A (axum) and one on B (actix); the form on B ends both sessions, A's included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_on_every_device_on_b_ends_the_session_on_a() {
    let d = Deployment::start("everywhere").await;
    let mut on_a = Person::default();
    assert_eq!(on_a.visit(&d.a(), "/account").await.status, 200);
    let cookie = on_a.session_cookie();
    let mut on_b = Person::default();
    let account = on_b.visit(&d.b(), "/account").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("id=\"sign-out-everywhere\""), "B's account page offers it");
    let out = within(
        "sign out everywhere on B",
        on_b.browser(&d.b(), None)
            .post_form(&format!("{}/auth/sign-out-everywhere", d.b()), &[("csrf_token", &csrf_token(&account))]),
    )
    .await;
    let signed_out = Instant::now();
    assert_eq!(out.status, 303, "{}", out.body);
    assert!(out.location.as_deref().unwrap_or("").starts_with(&format!("{}logout?", d.mock.issuer())));
    let took = until_unauthenticated(&d.a(), &cookie, signed_out, PROPAGATION_BOUND, "sign-out everywhere on B").await;
    eprintln!("multi_instance: a sign-out on every device on B ended A's session {took:?} after B answered");
    assert_eq!(on_b.json_status(&d.b(), "/account").await, 401, "B's own session ended too");
}

/// 2. A step-up on B (through the stand-in and B's callback, with a new cookie) is seen on A;
///    the pre-step-up cookie no longer works on either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_up_on_b_is_seen_on_a() {
    let d = Deployment::start("step-up").await;
    let mut person = Person::default();
    assert_eq!(person.visit(&d.a(), "/account").await.status, 200);
    let before = person.session_cookie();
    assert_eq!(person.json_status(&d.a(), "/identity").await, 403, "Cl.Cm does not reach /identity yet");
    assert_eq!(person.json_status(&d.b(), "/account").await, 200, "B has the session too");

    let page = person.visit(&d.b(), "/identity").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.url, format!("{}/identity", d.b()), "back on B's page");
    assert!(page.body.contains("Kenneth Decerqueira"), "{}", page.body);
    let seen = d.mock.last_authorize().expect("an authorize request");
    assert_eq!(seen.params["vtr"], serde_json::json!(["Cl.Cm.P2"]));
    assert_eq!(seen.params["redirect_uri"], format!("{}/auth/callback", d.b()), "the step-up went through B");
    let after = person.session_cookie();
    assert_ne!(before, after, "the session id rotates at step-up");

    let page = person.get(&d.a(), "/identity", Some(HTML)).await;
    assert_eq!(page.status, 200, "A honours the stepped-up session: {}", page.body);
    assert!(page.body.contains("Kenneth Decerqueira") && page.body.contains("1965-07-08"), "{}", page.body);
    let api = person.get(&d.a(), "/identity", Some(JSON)).await;
    assert_eq!(api.status, 200, "{}", api.body);
    assert_eq!(api.json()["name"], "Kenneth Decerqueira");
    assert_eq!(api.json()["identity_level"], "P2");
    assert_eq!(person.get(&d.a(), "/account", Some(JSON)).await.json()["identity_level"], "P2");

    let stepped_up = Instant::now();
    let mut old = Person::with_session(&before);
    assert_eq!(old.json_status(&d.b(), "/account").await, 401, "B ended the old session itself");
    let took = until_unauthenticated(&d.a(), &before, stepped_up, PROPAGATION_BOUND, "step-up on B").await;
    eprintln!("multi_instance: the pre-step-up session id stopped working on A {took:?} after the step-up on B");
    let mut old = Person::with_session(&before);
    assert_eq!(old.json_status(&d.a(), "/identity").await, 401);
    assert_eq!(old.get(&d.b(), "/account", Some(HTML)).await.status, 302, "a page without a session signs in");

    d.assert_output_has_no_secrets(&[&before, &after]);
}

/// 3. A back-channel logout delivered to A ends the session on B within 1 s (measured over
///    five users, each signed in on A and warm in B's local cache).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backchannel_logout_on_a_ends_the_session_on_b() {
    let d = Deployment::start("backchannel").await;
    let mut secrets = Vec::new();
    let mut took = Vec::new();
    for round in 0..5 {
        let user = TestUser { sub: format!("urn:fdc:gov.uk:2022:multi-instance-{round}"), ..TestUser::default() };
        d.mock.set_user(user.clone());
        let mut person = Person::default();
        assert_eq!(person.visit(&d.a(), "/account").await.status, 200);
        let cookie = person.session_cookie();
        for _ in 0..3 {
            let api = person.get(&d.b(), "/account", Some(JSON)).await;
            assert_eq!(api.status, 200, "{}", api.body);
            assert_eq!(api.json()["sub"], user.sub);
        }
        let token = d.mock.logout_token(&user.sub);
        let ok = backchannel_logout(&d.a(), &token).await;
        let answered = Instant::now();
        assert_eq!(ok.status, 200, "A accepts the logout token: {}", ok.body);
        took.push(until_unauthenticated(&d.b(), &cookie, answered, PROPAGATION_BOUND, "back-channel logout").await);
        assert_eq!(person.json_status(&d.a(), "/account").await, 401, "A ended it too");
        secrets.push(cookie);
        secrets.push(token);
    }
    eprintln!(
        "multi_instance: a back-channel logout on A (axum) ended the session on B (actix) within {:?} (max of {took:?})",
        took.iter().max().expect("five rounds")
    );
    d.assert_output_has_no_secrets(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
}

/// 4. A `logout_token` replayed on B after A accepted it is refused (400); B accepts a fresh one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_token_replayed_on_b_is_refused() {
    let d = Deployment::start("replay").await;
    let mut person = Person::default();
    assert_eq!(person.visit(&d.a(), "/account").await.status, 200);
    let cookie = person.session_cookie();
    let token = d.mock.logout_token(&default_sub());
    let ok = backchannel_logout(&d.a(), &token).await;
    assert_eq!(ok.status, 200, "A accepts it: {}", ok.body);
    let replay = backchannel_logout(&d.b(), &token).await;
    assert_eq!(replay.status, 400, "B refuses the replay: {}", replay.body);
    let again = backchannel_logout(&d.a(), &token).await;
    assert_eq!(again.status, 400, "and so does A: {}", again.body);
    let fresh = d.mock.logout_token(&default_sub());
    let ok = backchannel_logout(&d.b(), &fresh).await;
    assert_eq!(ok.status, 200, "B accepts a token it has not seen: {}", ok.body);
    d.assert_output_has_no_secrets(&[&cookie, &token, &fresh]);
}

/// 5. A callback completed on A and replayed on B (same code and state) is refused with a 4xx
///    page and no session cookie, with the person's cookies and from another browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_completed_on_a_is_refused_on_b() {
    let d = Deployment::start("callback").await;
    let mut person = Person::default();
    let callback_prefix = format!("{}/auth/callback?", d.a());
    let mut page = person.get(&d.a(), "/account", None).await;
    let callback = loop {
        assert!(matches!(page.status, 302 | 303), "on the way to the callback: {} {}", page.status, page.url);
        let next = page.location.clone().expect("a Location");
        if next.starts_with(&callback_prefix) {
            break next;
        }
        let mut b = person.browser(&d.a(), None);
        page = within(&format!("GET {next}"), b.get(&next)).await;
        person.jar = b.jar;
    };
    let done = person.visit(&d.a(), &callback[d.a().len()..]).await;
    assert_eq!(done.status, 200, "A completes the callback: {}", done.body);
    assert_eq!(done.path(), "/account");
    let cookie = person.session_cookie();
    let query = &callback[callback_prefix.len()..];
    assert!(query.contains("code=") && query.contains("state="), "{query}");
    let tokens = d.mock.hits("/token");

    let replayed = format!("/auth/callback?{query}");
    let mut same_browser = Person { jar: person.jar.clone() };
    for (who, replayer) in [("the same browser", &mut same_browser), ("another browser", &mut Person::default())] {
        let page = replayer.get(&d.b(), &replayed, Some(HTML)).await;
        assert!((400..500).contains(&page.status), "B refuses the replay from {who}: {} {}", page.status, page.body);
        assert!(page.content_type.as_deref().unwrap_or("").starts_with("text/html"), "a page: {:?}", page.content_type);
        assert!(!sets_session_cookie(&page), "B sets no session cookie for {who}: {:?}", page.set_cookies);
    }
    assert_eq!(d.mock.hits("/token"), tokens, "B did not redeem the code again");
    assert_eq!(same_browser.session_cookie(), cookie);
    assert_eq!(person.json_status(&d.a(), "/account").await, 200, "the session A made is untouched");
    d.assert_output_has_no_secrets(&[&cookie]);
}

/// 6. Restarting an instance loses no session: the cookie still works on both, after A is
///    restarted and after B is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_an_instance_loses_no_session() {
    let mut d = Deployment::start("restart").await;
    let mut person = Person::default();
    assert_eq!(person.visit(&d.a(), "/identity").await.status, 200);
    let cookie = person.session_cookie();
    assert_eq!(person.json_status(&d.b(), "/account").await, 200);
    for restarted in ["A", "B"] {
        let started = Instant::now();
        tokio::task::block_in_place(|| if restarted == "A" { d.a.restart() } else { d.b.restart() });
        eprintln!("multi_instance: restarting {restarted} took {:?}", started.elapsed());
        assert!(d.a.is_running() && d.b.is_running());
        for base in [d.a(), d.b()] {
            let api = person.get(&base, "/account", Some(JSON)).await;
            assert_eq!(api.status, 200, "after restarting {restarted}, {base}/account: {}", api.body);
            assert_eq!(api.json()["sub"], default_sub());
            let identity = person.get(&base, "/identity", Some(JSON)).await;
            assert_eq!(identity.status, 200, "after restarting {restarted}, {base}/identity: {}", identity.body);
            assert_eq!(identity.json()["name"], "Kenneth Decerqueira");
            assert_eq!(person.session_cookie(), cookie);
        }
    }
    assert!(d.a.output().contains("--- axum-demo restarted ---"));
    d.assert_output_has_no_secrets(&[&cookie]);
}

/// One answer a poller saw.
#[derive(Debug, Clone)]
struct Sample {
    poller: &'static str,
    sent: Instant,
    answered: Instant,
    /// 0: no answer within the request timeout.
    status: u16,
    location: Option<String>,
    content_type: Option<String>,
    sets_session_cookie: bool,
    clears_session_cookie: bool,
    body: String,
}

/// Polls `base`/account with `Accept: accept` and the session cookie until `stop`.
fn spawn_poller(
    poller: &'static str,
    base: String,
    accept: &'static str,
    cookie: String,
    samples: Arc<Mutex<Vec<Sample>>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let url = format!("{base}/account");
        while !stop.load(Ordering::SeqCst) {
            let mut b = Person::with_session(&cookie).browser(&base, Some(accept));
            let sent = Instant::now();
            let page = tokio::time::timeout(REQUEST_TIMEOUT, b.get(&url)).await.ok();
            let answered = Instant::now();
            let sample = match page {
                Some(p) => Sample {
                    poller,
                    sent,
                    answered,
                    status: p.status,
                    sets_session_cookie: sets_session_cookie(&p),
                    clears_session_cookie: p
                        .set_cookies
                        .iter()
                        .any(|c| c.contains(SESSION_COOKIE) && !sets_session_cookie_value(c)),
                    location: p.location,
                    content_type: p.content_type,
                    body: p.body.chars().take(300).collect(),
                },
                None => Sample {
                    poller,
                    sent,
                    answered,
                    status: 0,
                    location: None,
                    content_type: None,
                    sets_session_cookie: false,
                    clears_session_cookie: false,
                    body: String::new(),
                },
            };
            samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(sample);
            tokio::time::sleep(POLL_EVERY).await;
        }
    })
}

fn sets_session_cookie_value(set_cookie: &str) -> bool {
    let pair = set_cookie.split(';').next().unwrap_or("");
    let value = pair.split_once('=').map_or("", |(_, v)| v.trim());
    !value.is_empty() && !set_cookie.contains("Max-Age=0")
}

/// Checks one sample of the fault test: only 200 or a well-formed 503, never a redirect to
/// sign-in, never another 5xx, never a change to the session cookie.
fn assert_fail_closed_shape(s: &Sample) {
    let at = |s: &Sample| format!("{} ({} ms after sending): {s:?}", s.poller, (s.answered - s.sent).as_millis());
    assert!(s.status != 0, "no answer within {REQUEST_TIMEOUT:?}: {}", at(s));
    assert!(
        !(300..400).contains(&s.status),
        "a redirect to {:?} instead of failing closed: {}",
        s.location.as_deref().unwrap_or("?"),
        at(s)
    );
    assert!(s.status == 200 || s.status == 503, "only 200 or 503 may be seen: {}", at(s));
    assert!(!s.sets_session_cookie && !s.clears_session_cookie, "the session cookie was changed: {}", at(s));
    if s.status == 503 {
        let content_type = s.content_type.as_deref().unwrap_or("");
        if s.poller.ends_with("json") {
            assert!(content_type.starts_with(JSON), "a JSON 503 for Accept: application/json: {}", at(s));
            let body: serde_json::Value =
                serde_json::from_str(&s.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", at(s)));
            assert!(body["error"].is_string(), "an error code: {}", at(s));
        } else {
            assert!(content_type.starts_with("text/html"), "an HTML 503 for Accept: text/html: {}", at(s));
            assert!(s.body.to_ascii_lowercase().contains("<html"), "an HTML page: {}", at(s));
        }
    }
}

/// 7. Faults with the real redis-server: stopping Redis makes every guarded request fail
///    closed (503, page or JSON) within 3 s, with no redirect to sign-in and no exit; a
///    back-channel logout meanwhile answers 5xx; once Redis is back, the same cookie works
///    on both within 10 s, and One Login's retry of that logout is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_closed_and_recovers() {
    let mut d = Deployment::start("outage").await;
    let mut person = Person::default();
    assert_eq!(person.visit(&d.a(), "/account").await.status, 200);
    let cookie = person.session_cookie();
    assert_eq!(person.json_status(&d.b(), "/account").await, 200);

    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let pollers: Vec<_> =
        [("A html", d.a(), HTML), ("A json", d.a(), JSON), ("B html", d.b(), HTML), ("B json", d.b(), JSON)]
            .into_iter()
            .map(|(name, base, accept)| spawn_poller(name, base, accept, cookie.clone(), samples.clone(), stop.clone()))
            .collect();
    let names = ["A html", "A json", "B html", "B json"];
    let snapshot = || samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let down_at = Instant::now();
    tokio::task::block_in_place(|| d.redis.stop());
    let stopped = Instant::now();
    assert!(!d.redis.is_running());

    // While Redis is down, One Login's back-channel logout must get a 5xx so that it retries.
    tokio::time::sleep_until((down_at + FAIL_CLOSED_BOUND + Duration::from_millis(200)).into()).await;
    let token = d.mock.logout_token(&default_sub());
    for base in [d.a(), d.b()] {
        let page = backchannel_logout(&base, &token).await;
        assert!(
            (500..600).contains(&page.status),
            "{base}: a back-channel logout while Redis is down answers 5xx, not {}: {}",
            page.status,
            page.body
        );
        eprintln!("multi_instance: back-channel logout on {base} while Redis was down: {}", page.status);
    }
    tokio::time::sleep_until((down_at + OUTAGE).into()).await;
    assert!(d.a.is_running(), "A exited while Redis was down:\n{}", d.a.output());
    assert!(d.b.is_running(), "B exited while Redis was down:\n{}", d.b.output());

    let up_at = Instant::now();
    tokio::task::block_in_place(|| d.redis.start_again());
    let ready = Instant::now();
    let recovered = loop {
        let seen = snapshot();
        let firsts: Vec<Option<Instant>> = names
            .iter()
            .map(|n| seen.iter().find(|s| s.poller == *n && s.answered >= ready && s.status == 200).map(|s| s.answered))
            .collect();
        if firsts.iter().all(Option::is_some) {
            break firsts.into_iter().flatten().collect::<Vec<_>>();
        }
        assert!(
            up_at.elapsed() < RECOVERY_BOUND,
            "sessions do not work again {RECOVERY_BOUND:?} after Redis is back; last answers: {:?}",
            names.iter().map(|n| seen.iter().rev().find(|s| s.poller == *n)).collect::<Vec<_>>()
        );
        tokio::time::sleep(POLL_EVERY).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for poller in pollers {
        poller.await.expect("a poller panicked (did a demo stop answering?)");
    }
    let seen = snapshot();

    // Every answer, before, during and after the outage, has the right shape.
    for s in &seen {
        assert_fail_closed_shape(s);
    }
    for name in names {
        let mine: Vec<&Sample> = seen.iter().filter(|s| s.poller == name).collect();
        let before: Vec<&&Sample> = mine.iter().filter(|s| s.answered < down_at).collect();
        assert!(!before.is_empty() && before.iter().all(|s| s.status == 200), "{name} before the outage: {before:?}");
        let late: Vec<&&Sample> =
            mine.iter().filter(|s| s.sent >= down_at + FAIL_CLOSED_BOUND && s.answered < up_at).collect();
        assert!(!late.is_empty(), "{name}: no request was answered between 3 s into the outage and its end");
        assert!(
            late.iter().all(|s| s.status == 503),
            "{name}: every request sent 3 s or more after Redis stopped answers 503: {:?}",
            late.iter().filter(|s| s.status != 503).collect::<Vec<_>>()
        );
        let last = mine.last().expect("samples");
        assert_eq!(last.status, 200, "{name} settles on 200 after Redis is back: {last:?}");
    }
    let first_503 = seen.iter().filter(|s| s.status == 503).map(|s| s.answered).min().expect("a 503");
    let per_poller_503: Vec<String> = names
        .iter()
        .map(|n| {
            let first = seen.iter().filter(|s| s.poller == *n && s.status == 503).map(|s| s.answered).min();
            format!("{n} {:?}", first.map(|t| t - down_at))
        })
        .collect();
    let last_200_in_outage: Vec<String> = names
        .iter()
        .map(|n| {
            let last = seen
                .iter()
                .filter(|s| s.poller == *n && s.status == 200 && s.answered >= down_at && s.answered < up_at)
                .map(|s| s.answered)
                .max();
            format!("{n} {:?}", last.map(|t| t - down_at))
        })
        .collect();
    let flaps: Vec<String> = names
        .iter()
        .zip(&recovered)
        .filter_map(|(n, first_200)| {
            let after = seen.iter().filter(|s| s.poller == *n && s.sent > *first_200 && s.status != 200).count();
            (after > 0).then(|| format!("{n}: {after}"))
        })
        .collect();
    let mut latencies: Vec<Duration> = seen.iter().filter(|s| s.status == 503).map(|s| s.answered - s.sent).collect();
    latencies.sort();
    eprintln!(
        "multi_instance: Redis stop took {:?}; first 503 {:?} after the stop began (per poller: {}); \
         last 200 served from the local cache during the outage: {}; a 503 took {:?} to {:?} (median {:?}, {} of them)",
        stopped - down_at,
        first_503 - down_at,
        per_poller_503.join(", "),
        last_200_in_outage.join(", "),
        latencies.first().expect("a 503"),
        latencies.last().expect("a 503"),
        latencies[latencies.len() / 2],
        latencies.len()
    );
    eprintln!(
        "multi_instance: Redis start took {:?}; first 200 after Redis was ready: {}; non-200 answers after the first \
         200: {}; {} samples in all",
        ready - up_at,
        names.iter().zip(&recovered).map(|(n, t)| format!("{n} {:?}", *t - ready)).collect::<Vec<_>>().join(", "),
        if flaps.is_empty() { "none".to_owned() } else { flaps.join(", ") },
        seen.len()
    );
    assert!(first_503 - down_at <= FAIL_CLOSED_BOUND, "the first 503 came {:?} after the stop", first_503 - down_at);
    for t in &recovered {
        assert!(*t - up_at <= RECOVERY_BOUND);
    }

    // Sessions are intact, on both.
    for base in [d.a(), d.b()] {
        let api = person.get(&base, "/account", Some(JSON)).await;
        assert_eq!(api.status, 200, "{base} after the outage: {}", api.body);
        assert_eq!(api.json()["sub"], default_sub());
    }
    assert!(d.a.is_running() && d.b.is_running());

    // One Login retries the logout it could not deliver: now it is accepted and ends the
    // session everywhere.
    let retry = backchannel_logout(&d.b(), &token).await;
    let answered = Instant::now();
    assert_eq!(
        retry.status, 200,
        "the retried logout token (refused with 5xx during the outage) is accepted: {}",
        retry.body
    );
    let took = until_unauthenticated(&d.a(), &cookie, answered, PROPAGATION_BOUND, "retried back-channel logout").await;
    eprintln!("multi_instance: the retried back-channel logout on B ended the session on A {took:?} after B answered");

    d.assert_output_has_no_secrets(&[&cookie, &token]);
}

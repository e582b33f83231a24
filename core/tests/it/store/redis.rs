//! `RedisStore` only: what is in Redis, how fast other instances learn of a change, and what an
//! outage does. Each test has a server (or cluster) of its own.

use std::time::{Duration, Instant};

use govuk_one_login::store::{RedisStore, StoreError};
use govuk_one_login::{Error, IdentityLevel, LoginRequest, Requirement, ReturnPath, Subject};

use super::*;
use crate::authorize;

redis_backends!(every_key_is_prefixed_digested_and_expires, other_instances_stop_honouring_within_a_second);

/// The bulk strings of a RESP array reply, such as `KEYS`'.
fn strings(reply: &str) -> Vec<String> {
    assert!(reply.starts_with('*'), "an array reply: {reply:?}");
    let mut lines = reply.split("\r\n").skip(1);
    let mut out = Vec::new();
    while let Some(line) = lines.next() {
        if line.starts_with('$') {
            out.push(lines.next().expect("a bulk string's body").to_owned());
        }
    }
    out
}

/// An integer reply, or `None` for any other (such as `-MOVED` from a cluster node).
fn integer(reply: &str) -> Option<i64> {
    reply.trim_end().strip_prefix(':')?.parse().ok()
}

impl Deployment {
    fn command_on(&self, node: usize, args: &[&str]) -> String {
        match self.backend {
            Backend::Cluster => self.cluster().command_on(node, args),
            _ => self.server().command(args),
        }
    }

    /// Every key, with the node that holds it.
    fn all_keys(&self) -> Vec<(usize, String)> {
        let replies = self.command_everywhere(&["KEYS", "*"]);
        replies.iter().enumerate().flat_map(|(node, r)| strings(r).into_iter().map(move |k| (node, k))).collect()
    }
}

/// Waits until the store trusts its local cache (its heartbeat has come back); returns how long.
async fn wait_trusted(store: &RedisStore) -> Duration {
    let started = Instant::now();
    while !store.local_cache_trusted() {
        assert!(started.elapsed() < Duration::from_secs(5), "the local cache is not trusted after 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

/// After a sign-in, a step-up to P2, a revocation, a back-channel logout, a verified logout
/// token and a started login,
/// every key starts with the prefix, has a TTL, and names no session id, `state` or `sub`.
async fn every_key_is_prefixed_digested_and_expires(backend: Backend) {
    let d = Deployment::private(backend).await;
    let store = d.redis_store().await;
    let ol = d.engine_over(store.clone(), |b| b);
    let (sub, revoked_sub, logged_out_sub) = (unique_sub(), unique_sub(), unique_sub());

    let revoked = sign_in_as(&d.mock, &ol, &revoked_sub).await;
    ol.revoke_subject(&Subject::new(revoked_sub.clone())).await.unwrap();
    let first = sign_in_as(&d.mock, &ol, &sub).await;
    let stepped = sign_in_across(&ol, &ol, Requirement::IDENTITY_P2, Some(first.session_id)).await;
    assert_eq!(stepped.session.identity_level(), IdentityLevel::P2);
    assert!(!loads(&ol, &first.session_id).await, "step-up ended the first session");
    assert_eq!(post_logout_token(&ol, &d.mock.logout_token(&logged_out_sub)).await, 200);
    ol.verify_logout_token(&d.mock.logout_token(&logged_out_sub)).await.expect("a fresh token verifies");
    let pending = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let state = authorize(&pending.url).await.state.unwrap();

    let keys = d.all_keys();
    let secrets = [
        first.session_id.to_cookie_value(),
        stepped.session_id.to_cookie_value(),
        revoked.session_id.to_cookie_value(),
        state,
        pending.flow_cookie.clone(),
        sub.clone(),
        revoked_sub,
        logged_out_sub,
    ];
    for (node, key) in &keys {
        assert!(key.starts_with(&d.prefix), "{key} does not start with {}", d.prefix);
        let ttl = integer(&d.command_on(*node, &["TTL", key])).expect("TTL answers an integer");
        assert!(ttl > 0, "{key} has no expiry (TTL {ttl})");
        for secret in &secrets {
            assert!(!key.contains(secret.as_str()), "{key} contains a raw id, state or sub");
        }
    }
    let count = |what: &str| keys.iter().filter(|(_, k)| k.contains(what)).count();
    let prefixed = |kind: &str| keys.iter().filter(|(_, k)| k.starts_with(&format!("{}{kind}", d.prefix))).count();
    assert_eq!(prefixed("s:"), 1, "only the stepped-up session is left: {keys:?}");
    assert_eq!(prefixed("p:"), 1, "the started login: {keys:?}");
    assert_eq!(prefixed("r:"), 0, "logout tokens' jtis are kept beside their subject: {keys:?}");
    assert_eq!(count("}:once:"), 2, "the back-channel logout's and the verified token's jti: {keys:?}");
    let ends = |what: &str| keys.iter().filter(|(_, k)| k.ends_with(what)).count();
    assert_eq!(ends("}:revoked"), 2, "the revoked and the logged-out subjects: {keys:?}");
    assert_eq!(ends("}:revoked-us"), 2, "and the same times to the microsecond: {keys:?}");
    assert_eq!(count("}:index"), 1, "the signed-in subject's index: {keys:?}");

    let key = store.session_key(&stepped.session_id);
    let (node, _) = keys.iter().find(|(_, k)| *k == key).expect("the session's key is listed");
    let usage = integer(&d.command_on(*node, &["MEMORY", "USAGE", &key])).expect("MEMORY USAGE");
    let length = integer(&d.command_on(*node, &["STRLEN", &key])).expect("STRLEN");
    eprintln!(
        "{backend:?}: a session with a verified P2 identity: MEMORY USAGE {usage} bytes, value {length} bytes \
         ({} keys in all)",
        keys.len()
    );
    assert!(length > 0 && usage >= length);
    let value = d.command_on(*node, &["GET", &key]);
    assert!(!value.contains(&stepped.session_id.to_cookie_value()), "the value holds no session id");
}

/// Two instances on one Redis: after a revocation or a sign-out on A, B stops honouring the
/// session it had cached within 1 s; so it does when its subscription was just lost, and it
/// trusts its cache again once the subscription is back.
async fn other_instances_stop_honouring_within_a_second(backend: Backend) {
    let d = Deployment::private(backend).await;
    let (store_a, store_b) = (d.redis_store().await, d.redis_store().await);
    let a = d.engine_over(store_a.clone(), |b| b);
    let b = d.engine_over(store_b.clone(), |b| b);
    // On one server the local cache is trusted while the heartbeat comes back. On a cluster
    // messages from different nodes have no promised order, so the heartbeat is never trusted
    // there, and a copy is served for at most 0.8 s after it was read.
    let caching = backend == Backend::Redis;
    let trusted = |store: &RedisStore| store.local_cache_trusted() == caching;
    if caching {
        wait_trusted(&store_a).await;
        wait_trusted(&store_b).await;
    } else {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!store_b.local_cache_trusted(), "a cluster store never trusts its local cache");
    }
    let bound = Duration::from_secs(1);

    // B answers from its local copy (so what follows measures the invalidation): a key deleted
    // behind the store's back is not seen at once. On a cluster the copy ages out within 0.8 s.
    let probe = sign_in_as(&d.mock, &a, &unique_sub()).await;
    assert!(loads(&b, &probe.session_id).await);
    let key = store_a.session_key(&probe.session_id);
    let deleted: i64 = d.command_everywhere(&["DEL", &key]).iter().filter_map(|r| integer(r)).sum();
    assert_eq!(deleted, 1);
    assert!(loads(&b, &probe.session_id).await, "B serves its local copy without asking Redis");
    if !caching {
        tokio::time::sleep(Duration::from_millis(850)).await;
        assert!(!loads(&b, &probe.session_id).await, "on a cluster the copy is read again after 0.8 s");
    }

    let sub = unique_sub();
    let session = sign_in_as(&d.mock, &a, &sub).await;
    assert!(loads(&b, &session.session_id).await);
    assert!(trusted(&store_b));
    a.revoke_subject(&Subject::new(sub)).await.unwrap();
    let took = refused_within(std::slice::from_ref(&b), &[session.session_id], bound, "revocation on A").await;
    eprintln!("{backend:?}: B refused a revoked session {took:?} after A's revoke_subject returned");

    let session = sign_in_as(&d.mock, &a, &unique_sub()).await;
    assert!(loads(&b, &session.session_id).await);
    a.sign_out(Some(session.session_id)).await.unwrap();
    let took = refused_within(std::slice::from_ref(&b), &[session.session_id], bound, "sign-out on A").await;
    eprintln!("{backend:?}: B refused a signed-out session {took:?} after A's sign_out returned");

    let sub = unique_sub();
    let session = sign_in_as(&d.mock, &a, &sub).await;
    assert!(loads(&b, &session.session_id).await);
    assert!(trusted(&store_b));
    let killed: i64 =
        d.command_everywhere(&["CLIENT", "KILL", "TYPE", "pubsub"]).iter().filter_map(|r| integer(r)).sum();
    a.revoke_subject(&Subject::new(sub)).await.unwrap();
    let took =
        refused_within(std::slice::from_ref(&b), &[session.session_id], bound, "revocation, subscription lost").await;
    eprintln!(
        "{backend:?}: with its subscription killed ({killed} pub/sub connections), B refused a revoked session {took:?} after A's call returned"
    );
    assert!(killed >= 2, "both instances' subscriptions were killed ({killed})");

    if caching {
        let back = wait_trusted(&store_b).await;
        eprintln!("{backend:?}: B trusts its local cache again {back:?} later");
    }
    let sub = unique_sub();
    let session = sign_in_as(&d.mock, &a, &sub).await;
    assert!(loads(&b, &session.session_id).await);
    a.revoke_subject(&Subject::new(sub)).await.unwrap();
    let took = refused_within(std::slice::from_ref(&b), &[session.session_id], bound, "revocation, resubscribed").await;
    eprintln!("{backend:?}: resubscribed, B refused a revoked session {took:?} after A's call returned");
}

/// Redis stops under a signed-in session: within 3 s loads fail with `StoreError::Unavailable`
/// (never "signed out"), the back-channel route answers 5xx; once Redis is back the same
/// cookie loads the same session within 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_outage_fails_closed_and_service_resumes() {
    let d = Deployment::private(Backend::Redis).await;
    let store = d.redis_store().await;
    let ol = d.engine_over(store.clone(), |b| b);
    let sub = unique_sub();
    let out = sign_in_as(&d.mock, &ol, &sub).await;
    let cookie = out.session_id.to_cookie_value();
    wait_trusted(&store).await;
    assert!(ol.session(&cookie).await.unwrap().is_some());

    let server = d.server_arc();
    tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    let stopped = Instant::now();
    let mut from_cache = 0;
    let failed_after = loop {
        match ol.session(&cookie).await {
            Ok(Some(_)) => from_cache += 1,
            Ok(None) => panic!("Redis down looked like 'signed out' {:?} after it stopped", stopped.elapsed()),
            Err(Error::Store(StoreError::Unavailable { .. })) => break stopped.elapsed(),
            Err(other) => panic!("expected StoreError::Unavailable, got {other:?}"),
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(3),
            "still honoured {:?} after Redis stopped",
            stopped.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    eprintln!(
        "Redis stopped: loads failed closed after {failed_after:?} ({from_cache} loads served from the local copy before)"
    );
    assert!(failed_after < Duration::from_secs(3));
    for _ in 0..3 {
        let r = ol.session(&cookie).await;
        assert!(matches!(r, Err(Error::Store(StoreError::Unavailable { .. }))), "it keeps failing closed: {r:?}");
    }
    let status = post_logout_token(&ol, &d.mock.logout_token(&sub)).await;
    assert!((500..600).contains(&status), "a logout that cannot be recorded answers 5xx, not {status}");
    let r = ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await;
    assert!(matches!(r, Err(Error::Store(_))), "a sign-in cannot start: {r:?}");

    let server = d.server_arc();
    tokio::task::spawn_blocking(move || server.start_again()).await.unwrap();
    let restarted = Instant::now();
    loop {
        match ol.session(&cookie).await {
            Ok(Some((id, record))) => {
                assert_eq!(id, out.session_id);
                assert_eq!(record.subject().as_str(), sub);
                assert_eq!(record.csrf_token(), out.session.csrf_token(), "the same session");
                break;
            }
            Ok(None) => panic!("the session was lost across the restart"),
            Err(Error::Store(StoreError::Unavailable { .. })) => {}
            Err(other) => panic!("expected StoreError::Unavailable while reconnecting, got {other:?}"),
        }
        assert!(restarted.elapsed() < Duration::from_secs(10), "the session is not back 10 s after Redis");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("Redis back: the same cookie loaded the same session after {:?}", restarted.elapsed());
    assert_eq!(post_logout_token(&ol, &d.mock.logout_token(&sub)).await, 200, "and logouts are taken again");
    assert!(!loads(&ol, &out.session_id).await);
}

/// A session record this version cannot read (written by another version, or not by this
/// crate) is no session: its cookie loads as signed out, not as an error, and the record is
/// deleted. The warning it logs quotes nothing of the record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_session_record_is_no_session() {
    let d = Deployment::new(Backend::Redis).await;
    let store = d.redis_store().await;
    let ol = d.engine_over(store.clone(), |b| b);
    let out = sign_in(&ol).await;
    let key = store.session_key(&out.session_id);
    assert!(loads(&ol, &out.session_id).await);
    let logs = crate::opaque::Captured::default();
    let writer = logs.clone();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::layer::SubscriberExt::with(
        tracing_subscriber::registry(),
        tracing_subscriber::fmt::layer().with_ansi(false).with_writer(move || writer.clone()),
    ));
    for unreadable in [
        r#"{"format":"another"}"#,
        "not json",
        r#"{"subject":"","auth_level":"Cl"}"#,
        r#"{"subject":"x","email":"a@example.com","email_verified":"secret@example.com"}"#,
    ] {
        let other = sign_in(&ol).await;
        let key = store.session_key(&other.session_id);
        assert_eq!(d.server().command(&["SET", &key, unreadable, "KEEPTTL"]), "+OK\r\n");
        let fresh = d.engine_over(d.redis_store().await, |b| b);
        let found = {
            let _guard = tracing::dispatcher::set_default(&dispatch);
            fresh.session(&other.session_id.to_cookie_value()).await
        };
        assert!(matches!(found, Ok(None)), "{unreadable:?} is no session: {found:?}");
        assert_eq!(d.server().command(&["EXISTS", &key]), ":0\r\n", "and it was deleted");
        assert!(!loads(&ol, &other.session_id).await);
    }
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logged.matches("could not be read").count(), 4, "{logged}");
    assert!(!logged.contains("secret"), "the log quotes the record: {logged}");
    assert_eq!(d.server().command(&["EXISTS", &key]), ":1\r\n", "a readable record stays");
    assert!(loads(&ol, &out.session_id).await);
}

/// The calls of each command Redis has answered (`INFO commandstats`).
fn command_calls(d: &Deployment) -> std::collections::HashMap<String, i64> {
    let info = d.server().command(&["INFO", "commandstats"]);
    info.lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let calls = rest.strip_prefix("calls=")?.split(',').next()?.parse().ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

/// The hot path stays in process: while the local cache is trusted, loading a cached session
/// sends Redis no command at all (only the heartbeat's PUBLISH goes on meanwhile).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_session_loads_without_a_round_trip() {
    let d = Deployment::private(Backend::Redis).await;
    let store = d.redis_store().await;
    let ol = d.engine_over(store.clone(), |b| b);
    let out = sign_in(&ol).await;
    let cookie = out.session_id.to_cookie_value();
    wait_trusted(&store).await;
    assert!(ol.session(&cookie).await.unwrap().is_some(), "the first load reads Redis and caches");
    let before = command_calls(&d);
    for _ in 0..200 {
        assert!(ol.session(&cookie).await.unwrap().is_some());
    }
    let after = command_calls(&d);
    let sent: Vec<_> = after
        .iter()
        .filter(|(name, calls)| {
            name.as_str() != "publish" && name.as_str() != "info" && before.get(*name) != Some(calls)
        })
        .collect();
    assert!(store.local_cache_trusted(), "the cache stayed trusted throughout");
    assert!(sent.is_empty(), "200 cached loads sent commands to Redis: {sent:?}");
}

/// On Redis Cluster, where pub/sub has no order across nodes, a copy read from Redis is served
/// for a short time (at most 0.8 s) with no command sent; after that it is read again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_serves_a_fresh_copy_without_a_round_trip_then_reads_again() {
    let d = Deployment::private(Backend::Cluster).await;
    let store = d.redis_store().await;
    let ol = d.engine_over(store.clone(), |b| b);
    let out = sign_in(&ol).await;
    let cookie = out.session_id.to_cookie_value();
    let calls = |d: &Deployment| -> i64 {
        d.command_everywhere(&["INFO", "commandstats"])
            .iter()
            .flat_map(|info| info.lines().map(str::to_owned).collect::<Vec<_>>())
            .filter(|l| l.starts_with("cmdstat_evalsha:") || l.starts_with("cmdstat_get:"))
            .filter_map(|l| l.split("calls=").nth(1)?.split(',').next()?.parse::<i64>().ok())
            .sum()
    };
    assert!(ol.session(&cookie).await.unwrap().is_some(), "the first load reads Redis and caches");
    let before = calls(&d);
    let started = Instant::now();
    for _ in 0..100 {
        assert!(ol.session(&cookie).await.unwrap().is_some());
    }
    assert!(started.elapsed() < Duration::from_millis(500), "the loads ran well inside the window");
    assert_eq!(calls(&d), before, "100 loads of a fresh copy sent Redis no command");
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(ol.session(&cookie).await.unwrap().is_some());
    assert!(calls(&d) > before, "after 0.8 s the copy is read again");
}

/// On Redis Cluster a copy ages from when the session was read, not from when the read of its
/// subject's revocation (on another node, perhaps slower) answered: a session deleted just
/// after it was read stops being honoured within the 1 s bound even when that second read is
/// held up for half a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_copy_ages_from_when_the_session_was_read() {
    let d = Deployment::private(Backend::Cluster).await;
    let store = d.redis_store().await;
    let ol = d.engine_over(store.clone(), |b| b);
    let node_of = |d: &Deployment, wanted: &dyn Fn(&str) -> bool| {
        d.all_keys().into_iter().find(|(_, k)| wanted(k)).map(|(node, _)| node).expect("the key is stored")
    };
    // A session whose key is on another node than its subject's keys.
    let (out, session_node, subject_node) = loop {
        let out = sign_in(&ol).await;
        let key = store.session_key(&out.session_id);
        let session_node = node_of(&d, &|k| k == key);
        let subject_node = node_of(&d, &|k| k.contains("{u:"));
        if session_node != subject_node {
            break (out, session_node, subject_node);
        }
    };
    let cookie = out.session_id.to_cookie_value();
    let key = store.session_key(&out.session_id);

    // The subject's node answers nothing for 600 ms: the load reads the session, then waits.
    assert_eq!(d.command_on(subject_node, &["CLIENT", "PAUSE", "600", "ALL"]), "+OK\r\n");
    let load = tokio::spawn({
        let ol = ol.clone();
        let cookie = cookie.clone();
        async move { ol.session(&cookie).await.unwrap().is_some() }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(d.command_on(session_node, &["DEL", &key]), ":1\r\n", "another instance ends the session");
    let deleted = Instant::now();
    assert!(load.await.unwrap(), "the load read the session before it was deleted");
    assert!(deleted.elapsed() > Duration::from_millis(300), "the revocation read was held up");

    let mut last_honoured = None;
    loop {
        let asked = deleted.elapsed();
        if ol.session(&cookie).await.unwrap().is_none() {
            break;
        }
        last_honoured = Some(asked);
        assert!(asked < Duration::from_secs(3), "still honoured 3 s after it was deleted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let last = last_honoured.expect("the copy was served at least once after the load");
    assert!(last <= Duration::from_secs(1), "honoured {last:?} after it was deleted (bound 1 s)");
}

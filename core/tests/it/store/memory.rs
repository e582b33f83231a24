//! `MemoryStore` with full tables: what gives way, and what is refused.

use govuk_one_login::store::{MemoryStore, MemoryStoreLimits, ReplayKey, StoreError};
use govuk_one_login::{Error, LoginRequest, Requirement, ReturnPath, Subject};

use super::*;
use crate::authorize;

fn full(r: &Result<usize, Error>, table: &str) -> bool {
    matches!(r, Err(Error::Store(StoreError::Full { what, capacity: 3 })) if *what == table)
}

/// When the session table is full the least recently used session ends, and its index entry
/// goes with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_recently_used_session_ends_when_the_table_is_full() {
    let store = MemoryStore::with_limits(MemoryStoreLimits::all(3));
    let d = Deployment::with_memory(store.clone()).await;
    let ol = d.engine().await;
    let mut outs = Vec::new();
    for _ in 0..3 {
        outs.push(sign_in_as(&d.mock, &ol, &unique_sub()).await);
        store.run_pending_tasks();
    }
    assert_eq!(store.session_count(), 3);
    assert!(loads(&ol, &outs[0].session_id).await, "the first is used, so the second is least recent");
    store.run_pending_tasks();

    outs.push(sign_in_as(&d.mock, &ol, &unique_sub()).await);
    store.run_pending_tasks();
    assert_eq!(store.session_count(), 3, "the table keeps its limit");
    assert!(!loads(&ol, &outs[1].session_id).await, "the least recently used session ended");
    assert_eq!(store.indexed_sessions(outs[1].session.subject()), 0, "its index entry went with it");
    for i in [0, 2, 3] {
        assert!(loads(&ol, &outs[i].session_id).await, "session {i} is live");
        assert_eq!(store.indexed_sessions(outs[i].session.subject()), 1, "session {i} is indexed");
    }
}

/// A flood of sign-in starts pushes out only other pending logins: every session stays, and
/// the oldest start's callback is an unknown state while the newest completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_logins_never_push_out_sessions() {
    let store = MemoryStore::with_limits(MemoryStoreLimits::all(3));
    let d = Deployment::with_memory(store.clone()).await;
    let ol = d.engine().await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        sessions.push(sign_in_as(&d.mock, &ol, &unique_sub()).await.session_id);
        store.run_pending_tasks();
    }
    let mut logins = Vec::new();
    for _ in 0..10 {
        logins.push(ol.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap());
        store.run_pending_tasks();
    }
    assert_eq!(store.session_count(), 3);
    for (i, id) in sessions.iter().enumerate() {
        assert!(loads(&ol, id).await, "session {i} outlived 10 sign-in starts");
    }
    let oldest = &logins[0];
    let r = ol.complete_login(authorize(&oldest.url).await, Some(&oldest.flow_cookie), None).await;
    assert!(
        matches!(r, Err(Error::Callback(govuk_one_login::error::CallbackError::UnknownState))),
        "the oldest pending login was pushed out: {r:?}"
    );
    let newest = logins.last().unwrap();
    ol.complete_login(authorize(&newest.url).await, Some(&newest.flow_cookie), None).await.expect("newest completes");
}

/// A full revocation table refuses a new subject's revocation (never forgets an old one), and
/// the back-channel route then answers 5xx so that One Login retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_revocation_table_refuses_and_the_route_answers_5xx() {
    let mut limits = MemoryStoreLimits::default();
    limits.revocations = 3;
    let store = MemoryStore::with_limits(limits);
    let d = Deployment::with_memory(store.clone()).await;
    let ol = d.engine().await;
    let subs: Vec<Subject> = (0..5).map(|_| Subject::new(unique_sub())).collect();
    let victim = sign_in_as(&d.mock, &ol, subs[0].as_str()).await;
    for sub in &subs[..3] {
        ol.revoke_subject(sub).await.expect("room for three revocations");
    }
    assert!(!loads(&ol, &victim.session_id).await);
    let r = ol.revoke_subject(&subs[3]).await;
    assert!(full(&r, "revocation"), "a fourth subject's revocation is refused: {r:?}");
    assert_eq!(r.unwrap_err().http_status(), 503);
    ol.revoke_subject(&subs[0]).await.expect("a subject already revoked can be revoked again");

    let status = post_logout_token(&ol, &d.mock.logout_token(subs[4].as_str())).await;
    assert!((500..600).contains(&status), "a logout that could not be recorded answers 5xx, not {status}");

    // Expired revocations make room (the store is told the time; nothing waits).
    let now = ol.now();
    let later = now + secs(10 * 24 * 3600);
    ol.store().revoke_subject(&subs[3], later, later + secs(60), later, None).await.expect("swept when full");
}

/// A back-channel logout answered 5xx because its revocation was refused can be retried with
/// the same token: the `jti` is recorded with the revocation or not at all, so the retry is
/// not taken for a replay (which would answer 400 and lose the revocation for good).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_refused_with_5xx_can_be_retried() {
    let mut limits = MemoryStoreLimits::default();
    limits.revocations = 1;
    let store = MemoryStore::with_limits(limits);
    let d = Deployment::with_memory(store.clone()).await;
    let ol = d.engine().await;
    ol.revoke_subject(&Subject::new(unique_sub())).await.unwrap();

    let sub = unique_sub();
    let victim = sign_in_as(&d.mock, &ol, &sub).await;
    let token = d.mock.logout_token(&sub);
    let first = post_logout_token(&ol, &token).await;
    assert_eq!(first, 501, "the revocation table is full");
    assert!(loads(&ol, &victim.session_id).await, "the session is still live: the retry has to end it");
    let retry = post_logout_token(&ol, &token).await;
    assert_eq!(
        retry, 501,
        "One Login's retry of a logout answered 5xx must not be refused as a replay, or the user is never \
         signed out"
    );
}

/// A full replay table refuses new records (never evicts one), still spots replays, and the
/// back-channel route answers 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_replay_table_refuses_and_the_route_answers_5xx() {
    let mut limits = MemoryStoreLimits::default();
    limits.replay_records = 3;
    let store = MemoryStore::with_limits(limits);
    let d = Deployment::with_memory(store.clone()).await;
    let ol = d.engine().await;
    let now = ol.now();
    let key = |n: usize| ReplayKey::logout_token(d.mock.issuer(), &format!("jti-{n}"));
    for n in 0..3 {
        assert!(ol.store().insert_if_absent(&key(n), now + secs(300), now).await.unwrap());
    }
    let r = ol.store().insert_if_absent(&key(3), now + secs(300), now).await;
    assert!(
        matches!(r, Err(StoreError::Full { what: "replay record", capacity: 3 })),
        "a fourth record is refused: {r:?}"
    );
    assert!(!ol.store().insert_if_absent(&key(0), now + secs(300), now).await.unwrap(), "a replay is still spotted");

    let sub = unique_sub();
    let victim = sign_in_as(&d.mock, &ol, &sub).await;
    let status = post_logout_token(&ol, &d.mock.logout_token(&sub)).await;
    assert!((500..600).contains(&status), "a logout whose jti cannot be recorded answers 5xx, not {status}");
    assert!(loads(&ol, &victim.session_id).await, "nothing was revoked (One Login will retry)");

    let later = now + secs(301);
    assert!(ol.store().insert_if_absent(&key(3), later + secs(300), later).await.unwrap(), "expired records are swept");
}

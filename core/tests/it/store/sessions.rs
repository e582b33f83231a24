//! The contract's sessions across instances: revocation against racing sign-ins, the
//! per-subject limit, issuer and client checks, idle time, touches and the revocation time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use govuk_one_login::store::MAX_SESSIONS_PER_SUBJECT;
use govuk_one_login::{LoginRequest, Requirement, ReturnPath, SessionId, Subject};
use govuk_one_login_mock::TestUser;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::*;
use crate::authorize;

each_backend!(
    parallel_sign_ins_racing_revocations_never_outlive_them,
    a_callback_racing_a_backchannel_logout_never_yields_a_live_session,
    the_newest_sessions_of_a_subject_live,
    sessions_of_another_issuer_or_client_are_refused,
    sessions_end_when_idle_and_live_while_used,
    a_touch_never_recreates_an_ended_session,
    the_revocation_time_only_grows_and_comes_with_every_load,
    a_sign_in_right_after_a_revocation_lives_on_every_instance,
    the_answer_from_memory_never_honours_what_the_store_refuses,
    an_ended_session_is_left_to_the_store_and_deleted,
    the_count_of_a_subjects_sessions_is_the_same_on_every_instance,
);

/// "Signed in on N devices": three sign-ins of one person, counted alike by two instances;
/// one ended, then all revoked; another person's are not counted.
async fn the_count_of_a_subjects_sessions_is_the_same_on_every_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(2).await;
    let (sub, other) = (unique_sub(), unique_sub());
    let subject = Subject::new(sub.clone());
    assert_eq!(engines[0].session_count(&subject).await.unwrap(), 0);
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(sign_in_as(&d.mock, &engines[0], &sub).await.session_id);
    }
    sign_in_as(&d.mock, &engines[1], &other).await;
    for engine in &engines {
        assert_eq!(engine.session_count(&subject).await.unwrap(), 3, "{backend:?}");
    }
    engines[1].sign_out(Some(ids[0])).await.unwrap();
    assert_eq!(engines[0].session_count(&subject).await.unwrap(), 2, "{backend:?}: one signed out");
    engines[0].revoke_subject(&subject).await.unwrap();
    assert_eq!(engines[1].session_count(&subject).await.unwrap(), 0, "{backend:?}: all revoked");
    assert_eq!(engines[1].session_count(&Subject::new(other)).await.unwrap(), 1, "{backend:?}: another person's");
}

const N: usize = 20;

/// 20 sign-ins of one `sub` across four instances, staggered over about 2.9 s (each waiting
/// 100 ms at `/token`), with a revocation fired in the middle of them and another after.
/// After each revocation no session whose sign-in began before it loads on any instance, while
/// sessions signed in after the middle one stay live until the last.
async fn parallel_sign_ins_racing_revocations_never_outlive_them(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(4).await;
    let sub = unique_sub();
    d.mock.set_user(TestUser { sub: sub.clone(), ..TestUser::default() });
    d.mock.set_delay("/token", Duration::from_millis(100));
    let subject = Subject::new(sub.clone());

    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (start, finish, done) = (engines[i % 4].clone(), engines[(i + 1) % 4].clone(), done.clone());
        tasks.spawn(async move {
            tokio::time::sleep(Duration::from_millis(150 * i as u64)).await;
            let out = sign_in_across(&start, &finish, Requirement::MEDIUM, None).await;
            done.fetch_add(1, Ordering::SeqCst);
            (out.session_id, out.session.signed_in_at())
        });
    }

    tokio::time::sleep(Duration::from_millis(1000)).await;
    // The system clock the engines read, to the microsecond as sign-in and revocation times are.
    let mid_before = OffsetDateTime::now_utc();
    engines[2].revoke_subject(&subject).await.unwrap();
    let mid_after = OffsetDateTime::now_utc();
    let in_flight = N - done.load(Ordering::SeqCst);

    let sessions: Vec<(SessionId, OffsetDateTime)> = tasks.join_all().await;
    let early: Vec<SessionId> = sessions.iter().filter(|(_, at)| *at <= mid_before).map(|(id, _)| *id).collect();
    let late: Vec<SessionId> = sessions.iter().filter(|(_, at)| *at > mid_after).map(|(id, _)| *id).collect();
    eprintln!(
        "{backend:?}: {} sign-ins began before the middle revocation, {} after it, {in_flight} were in flight",
        early.len(),
        late.len()
    );
    assert!(!early.is_empty() && !late.is_empty(), "the revocation must fall in the middle of the sign-ins");
    let took = refused_within(&engines, &early, backend.bound(), "after the middle revocation").await;
    eprintln!("{backend:?}: sessions begun before the middle revocation refused everywhere after {took:?}");
    for (e, ol) in engines.iter().enumerate() {
        for id in &late {
            assert!(loads(ol, id).await, "a sign-in after the middle revocation is live (engine {e})");
        }
    }

    let last = engines[3].now();
    engines[3].revoke_subject(&subject).await.unwrap();
    let all: Vec<SessionId> = sessions.iter().map(|(id, _)| *id).collect();
    refused_within(&engines, &all, backend.bound(), "after the last revocation").await;

    // A revocation ends what began before it, not the subject: a later sign-in lives.
    d.mock.set_delay("/token", Duration::ZERO);
    wait_past(&engines[0], last).await;
    let after = sign_in_across(&engines[0], &engines[1], Requirement::MEDIUM, None).await;
    for ol in &engines {
        assert!(loads(ol, &after.session_id).await, "a sign-in begun after the last revocation is live");
    }
}

/// A callback waits 400 ms at `/token` while One Login's back-channel logout for the same `sub`
/// reaches another instance. The callback may complete, but its session never loads: the
/// revocation deleted only what the index listed, so this is the "revoked at" check's work.
async fn a_callback_racing_a_backchannel_logout_never_yields_a_live_session(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b, c) = (d.engine().await, d.engine().await, d.engine().await);
    let sub = unique_sub();
    d.mock.set_user(TestUser { sub: sub.clone(), ..TestUser::default() });
    let earlier = sign_in(&a).await;
    assert!(loads(&c, &earlier.session_id).await);

    let login = a.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = authorize(&login.url).await;
    d.mock.set_delay("/token", Duration::from_millis(400));
    let hits = d.mock.hits("/token");
    let callback = {
        let a = a.clone();
        tokio::spawn(async move { a.complete_login(params, Some(&login.flow_cookie), None).await })
    };
    let deadline = Instant::now() + Duration::from_secs(2);
    while d.mock.hits("/token") == hits {
        assert!(Instant::now() < deadline, "the callback never reached /token");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(post_logout_token(&b, &d.mock.logout_token(&sub)).await, 200, "B accepts the logout");
    assert!(!callback.is_finished(), "the logout must land while the callback waits at /token");

    let out = callback.await.unwrap().expect("the callback itself completes");
    // The earlier session goes within the stated bound (a cluster instance may serve its copy
    // for up to 0.8 s); the racing callback's session never loads anywhere, not even once.
    let engines = [a.clone(), b.clone(), c.clone()];
    refused_within(&engines, &[earlier.session_id], backend.bound(), "the earlier session").await;
    let started = Instant::now();
    while started.elapsed() < backend.bound() + Duration::from_millis(300) {
        for (name, ol) in [("A", &a), ("B", &b), ("C", &c)] {
            assert!(
                !loads(ol, &out.session_id).await,
                "a session whose sign-in began before the logout loads on {name}, {:?} after the callback",
                started.elapsed()
            );
            assert!(!loads(ol, &earlier.session_id).await, "the earlier session loads on {name}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Beyond `MAX_SESSIONS_PER_SUBJECT` sign-ins of one `sub`, the oldest end and the newest 32
/// live; the session just made is never the one ended.
async fn the_newest_sessions_of_a_subject_live(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(2).await;
    let sub = unique_sub();
    d.mock.set_user(TestUser { sub, ..TestUser::default() });
    let extra = 2;
    let mut ids = Vec::new();
    for i in 0..MAX_SESSIONS_PER_SUBJECT + extra {
        let out = sign_in_across(&engines[i % 2], &engines[(i + 1) % 2], Requirement::MEDIUM, None).await;
        assert!(loads(&engines[i % 2], &out.session_id).await, "sign-in {i} is live at once");
        ids.push(out.session_id);
    }
    let (oldest, newest) = ids.split_at(extra);
    refused_within(&engines, oldest, backend.bound(), "the oldest sessions").await;
    for (e, ol) in engines.iter().enumerate() {
        for (i, id) in newest.iter().enumerate() {
            assert!(loads(ol, id).await, "of the newest {MAX_SESSIONS_PER_SUBJECT}, session {i} is gone on engine {e}");
        }
    }
}

/// An instance of another client id, or of another provider, sharing the store refuses the
/// sessions it did not make, and leaves them in place for their own service.
async fn sessions_of_another_issuer_or_client_are_refused(backend: Backend) {
    let d = Deployment::new(backend).await;
    let ours = d.engine().await;
    let other_client = d.engine_with(|b| b.client_id("another-client-id")).await;
    let elsewhere_mock = start_mock().await;
    let elsewhere = d.engine_on(&elsewhere_mock, |b| b).await;

    let out = sign_in(&ours).await;
    assert!(!loads(&other_client, &out.session_id).await, "another client id's instance refuses it");
    assert!(!loads(&elsewhere, &out.session_id).await, "another issuer's instance refuses it");
    assert!(loads(&ours, &out.session_id).await, "refusing it did not delete it");

    let theirs = sign_in(&elsewhere).await;
    assert!(loads(&elsewhere, &theirs.session_id).await);
    assert!(!loads(&ours, &theirs.session_id).await, "a session of another issuer is refused");
    assert!(loads(&elsewhere, &theirs.session_id).await);
}

/// With a 3 s idle timeout, a session used every second for 5 s lives; one left for 4 s is
/// gone, on every instance.
async fn sessions_end_when_idle_and_live_while_used(backend: Backend) {
    let d = Deployment::new(backend).await;
    let idle = |b: ConfigBuilder| b.session_idle_timeout(Duration::from_secs(3));
    let (a, b) = (d.engine_with(idle).await, d.engine_with(idle).await);
    let used = sign_in(&a).await;
    let left = sign_in(&a).await;
    let started = Instant::now();
    for second in 1..=5 {
        tokio::time::sleep_until((started + Duration::from_secs(second)).into()).await;
        assert!(loads(&a, &used.session_id).await, "a session used every second is live after {second} s");
    }
    assert!(!loads(&a, &left.session_id).await, "a session unused for {:?} is gone", started.elapsed());
    assert!(!loads(&b, &left.session_id).await, "and gone on another instance");
    assert!(loads(&b, &used.session_id).await, "the used session is live on another instance too");
}

/// A touch after a sign-out does not bring the session back.
async fn a_touch_never_recreates_an_ended_session(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    let out = sign_in(&a).await;
    assert!(loads(&b, &out.session_id).await);
    a.sign_out(Some(out.session_id)).await.unwrap();
    let now = b.now();
    b.store().touch_session(&out.session_id, &out.session, now + secs(600), now).await.unwrap();
    refused_within(&[a.clone(), b.clone()], &[out.session_id], backend.bound(), "after sign-out and a touch").await;
    assert!(a.store().load_session(&out.session_id, now).await.unwrap().is_none());
    let fresh = d.engine().await;
    assert!(fresh.store().load_session(&out.session_id, now).await.unwrap().is_none(), "not in the store either");
}

/// `revoke_subject` lists and deletes the indexed sessions; its time never goes down; every
/// load, on every instance, returns it; the engine refuses a session begun at or before it.
async fn the_revocation_time_only_grows_and_comes_with_every_load(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    let out = sign_in(&a).await;
    let subject = out.session.subject().clone();
    let now = a.now();
    // Close enough to the real time for the stand-in to take the requests of an engine whose
    // clock reads it (it allows 30 s of skew).
    let later = now + secs(5);

    let listed = a.store().revoke_subject(&subject, later, now + secs(900), now, None).await.unwrap();
    assert_eq!(listed, Some(1), "it lists the session");
    assert!(a.store().load_session(&out.session_id, now).await.unwrap().is_none(), "and deletes it");
    assert_eq!(b.store().revoke_subject(&subject, now, now + secs(900), now, None).await.unwrap(), Some(0));

    let id = sign_in(&d.engine_at(later + secs(1)).await).await.session_id;
    for (name, ol) in [("A", &a), ("B", &b), ("a new instance", &d.engine().await)] {
        let found = ol.store().load_session(&id, now).await.unwrap().expect("the session is stored");
        assert_eq!(found.revoked_at, Some(later), "{name} sees the highest revocation time, not the last");
        assert_eq!(found.record.subject(), &subject);
    }
    assert!(loads(&a, &id).await, "a session begun after the revocation time is honoured");

    let before = sign_in(&d.engine_at(later).await).await;
    assert_eq!(before.session.signed_in_at(), later);
    let before = before.session_id;
    assert!(!loads(&a, &before).await, "a session begun at the revocation time is refused");
    let fresh = d.engine().await;
    assert!(fresh.store().load_session(&before, now).await.unwrap().is_none(), "and deleted from the store");
    let started = Instant::now();
    while b.store().load_session(&before, now).await.unwrap().is_some() {
        assert!(started.elapsed() <= backend.bound(), "B still has a copy of the deleted session");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(loads(&b, &id).await, "the other session of the subject is untouched");
}

/// A revocation ends the sessions whose sign-in began before it, not one that begins right
/// after it, even in the same second: the times are kept to the microsecond by every backend
/// and reach every instance so.
async fn a_sign_in_right_after_a_revocation_lives_on_every_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    for round in 0..3 {
        let before = sign_in(&a).await;
        let subject = before.session.subject().clone();
        a.revoke_subject(&subject).await.unwrap();
        let again = sign_in(&b).await;
        assert_eq!(again.session.subject(), &subject);
        for (name, ol) in [("A", &a), ("B", &b), ("a new instance", &d.engine().await)] {
            assert!(
                loads(ol, &again.session_id).await,
                "round {round}: {name} honours the sign-in after the revocation"
            );
            assert!(!loads(ol, &before.session_id).await, "round {round}: {name} refuses the one before it");
        }
        let found = a.store().load_session(&again.session_id, a.now()).await.unwrap().expect("stored");
        let at = found.revoked_at.expect("the revocation time comes with the load");
        assert!(at < again.session.signed_in_at(), "round {round}: {at} before {}", again.session.signed_in_at());
        assert!(at > before.session.signed_in_at(), "round {round}");
    }
}

/// `session_context_now` (the adapters' hot path) answers from memory or not at all: where it
/// answers, it agrees with `session_context`; a due touch or an ended session is left to the
/// store (`None`), and after a revocation it never honours the session.
async fn the_answer_from_memory_never_honours_what_the_store_refuses(backend: Backend) {
    let d = Deployment::new(backend).await;
    let idle = |b: ConfigBuilder| b.session_idle_timeout(Duration::from_secs(4));
    let (a, b) = (d.engine_with(idle).await, d.engine_with(idle).await);
    let sub = unique_sub();
    let out = sign_in_as(&d.mock, &a, &sub).await;
    let cookie = format!("one-login-session={}", out.session_id.to_cookie_value());
    let now = |ol: &OneLogin| ol.session_context_now(["theme=dark", cookie.as_str()]).map(|r| r.unwrap());
    let honoured = |ol: &OneLogin| now(ol).is_some_and(|ctx| ctx.record().is_some());

    // No session cookie: answered at once, on every backend.
    assert!(a.session_context_now(["theme=dark"]).unwrap().unwrap().record().is_none());
    // Once the store has read the session, it is at hand (Redis: once the local copy is trusted).
    let started = Instant::now();
    while !honoured(&b) {
        assert!(now(&b).is_none(), "before it is at hand it is not refused either");
        let ctx = b.session_context(Some(&cookie)).await.unwrap();
        assert!(ctx.record().is_some());
        assert!(started.elapsed() < Duration::from_secs(3), "never answered from memory");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(now(&b).unwrap().id(), Some(&out.session_id));
    if backend == Backend::Memory {
        assert!(honoured(&a), "the memory store always answers");
    }

    // Idle for more than half the timeout: the touch is due, which takes the store.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for ol in [&a, &b] {
        assert!(now(ol).is_none(), "a due touch is left to the store");
    }
    assert!(b.session_context(Some(&cookie)).await.unwrap().record().is_some(), "touched");

    // Revoked: never honoured from memory after the bound, on either instance, and left to the
    // store (which deletes it) rather than answered as signed out.
    b.revoke_subject(&Subject::new(sub)).await.unwrap();
    tokio::time::sleep(backend.bound()).await;
    for ol in [&a, &b] {
        left_to_the_store_or_gone(&d, now(ol));
        assert!(ol.session_context(Some(&cookie)).await.unwrap().record().is_none());
        assert!(!honoured(ol), "honoured from memory after the store refused it");
    }
    if backend == Backend::Memory {
        // Deleted: now answered from memory, as signed out.
        assert!(now(&a).is_some_and(|ctx| ctx.record().is_none()), "the store deleted it");
    }
}

/// An expired or idle session is, like a revoked one, left to the store by the hot path, and
/// the store deletes it.
async fn an_ended_session_is_left_to_the_store_and_deleted(backend: Backend) {
    let d = Deployment::new(backend).await;
    let ol = d.engine_with(|b| b.session_idle_timeout(Duration::from_secs(2))).await;
    let out = sign_in(&ol).await;
    let cookie = format!("one-login-session={}", out.session_id.to_cookie_value());
    // Loaded once, so that a Redis store holds a local copy.
    assert!(ol.session_context(Some(&cookie)).await.unwrap().record().is_some());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let now = || ol.session_context_now([cookie.as_str()]).map(|r| r.unwrap());
    left_to_the_store_or_gone(&d, now());
    assert!(ol.session_context(Some(&cookie)).await.unwrap().record().is_none());
    if backend == Backend::Memory {
        assert!(now().is_some_and(|ctx| ctx.record().is_none()), "the store deleted it");
        d.memory.run_pending_tasks();
        assert_eq!(d.memory.session_count(), 0, "nothing is left in the table");
    } else {
        let pattern = format!("{}s:*", d.prefix);
        for reply in d.command_everywhere(&["KEYS", &pattern]) {
            assert_eq!(reply, "*0\r\n", "the session's key is gone");
        }
    }
}

/// What the hot path may answer for an ended session: nothing (the store must delete it), or
/// "signed out" only when the store holds the session no more (the memory store ends a revoked
/// or idle session itself).
fn left_to_the_store_or_gone(d: &Deployment, answer: Option<govuk_one_login::web::SessionContext>) {
    let Some(ctx) = answer else { return };
    assert!(ctx.record().is_none(), "an ended session was honoured from memory");
    assert_eq!(d.backend, Backend::Memory, "a Redis local copy of an ended session was answered as signed out");
    d.memory.run_pending_tasks();
    assert_eq!(d.memory.session_count(), 0, "answered as signed out while the store still holds it");
}

//! The application's own data in a session (`SessionDataStore`), through `SessionHandle` and
//! through the store directly: round trips across instances, the limits, what follows a
//! step-up, what a sign-in of another subject, a sign-out and sign-out-everywhere remove, and
//! (Redis) that the data hash expires.

use govuk_one_login::error::SessionDataError;
use govuk_one_login::store::{MAX_DATA_ENTRIES, MAX_DATA_NAME, MAX_DATA_VALUE, SessionData, StoreError};
use govuk_one_login::web::{RequestInfo, SessionContext, SessionHandle};
use govuk_one_login::{Error, IdentityLevel, Subject};
use govuk_one_login_mock::TestUser;
use serde_json::{Value, json};

use super::*;

each_backend!(
    values_round_trip_through_a_handle_and_across_engines,
    a_full_session_refuses_a_new_name_and_changes_nothing,
    bad_names_and_large_values_are_refused_before_any_store_call,
    data_follows_a_step_up_and_is_gone_when_another_subject_signs_in,
    sign_out_deletes_the_data,
    sign_out_everywhere_ends_every_session_on_every_engine,
);

/// Redis only (a module of its own: `each_backend!` already made `redis` and `cluster` here).
mod in_redis {
    use super::*;
    redis_backends!(the_data_hash_has_a_ttl_and_moves_with_the_session);
}

/// A handle on the session `id` names, as an adapter builds one for `GET /`.
async fn handle(ol: &OneLogin, id: &SessionId) -> SessionHandle {
    let ctx = ol.session_context(Some(&format!("one-login-session={}", id.to_cookie_value()))).await.unwrap();
    assert!(ctx.record().is_some(), "the session loads");
    SessionHandle::new(ol.clone(), ctx, &RequestInfo::new("GET", "/"))
}

/// What the store holds for `id`, read directly (the session may be gone).
async fn stored(ol: &OneLogin, id: &SessionId, subject: &Subject) -> SessionData {
    ol.store().load_data(id, subject, ol.now()).await.expect("the store answers")
}

/// An engine like `ol` whose store fails every call.
fn broken_like(ol: &OneLogin) -> OneLogin {
    OneLogin::builder(ol.config().clone()).store(crate::web::BrokenStore).build().unwrap()
}

async fn values_round_trip_through_a_handle_and_across_engines(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    let sub = unique_sub();
    let out = sign_in_as(&d.mock, &a, &sub).await;
    let on_a = handle(&a, &out.session_id).await;
    assert_eq!(on_a.get::<Value>("basket").await.unwrap(), None);
    on_a.insert("basket", &json!({ "items": [1, 2], "note": "tea \"and\" cake" })).await.unwrap();
    assert_eq!(
        on_a.get::<Value>("basket").await.unwrap(),
        Some(json!({ "items": [1, 2], "note": "tea \"and\" cake" }))
    );

    // Another instance sharing the store reads it, and its writes are read back here.
    let on_b = handle(&b, &out.session_id).await;
    assert_eq!(on_b.get::<Value>("basket").await.unwrap().unwrap()["items"], json!([1, 2]));
    on_b.insert("step", &3u32).await.unwrap();
    on_b.insert("basket", &json!({ "items": [] })).await.unwrap();
    assert_eq!(on_a.get::<u32>("step").await.unwrap(), Some(3));
    assert_eq!(on_a.get::<Value>("basket").await.unwrap(), Some(json!({ "items": [] })), "replaced");

    // A value of another type is a conversion error, not a panic or a None.
    match on_a.get::<u32>("basket").await {
        Err(Error::SessionData(SessionDataError::Convert { .. })) => {}
        other => panic!("expected a conversion error, got {other:?}"),
    }
    // Its message never quotes the value kept (it may be personal data).
    on_a.insert("name", "Ada Lovelace").await.unwrap();
    let error = on_a.get::<u32>("name").await.unwrap_err();
    assert!(!error.to_string().contains("Lovelace") && !format!("{error:?}").contains("Lovelace"), "{error}");
    on_a.remove("name").await.unwrap();

    on_a.remove("basket").await.unwrap();
    on_a.remove("never-set").await.unwrap();
    assert_eq!(on_b.get::<Value>("basket").await.unwrap(), None);
    let subject = Subject::new(sub);
    let left = stored(&b, &out.session_id, &subject).await;
    assert_eq!(left.into_iter().collect::<Vec<_>>(), vec![("step".to_owned(), "3".to_owned())]);

    // Another subject's name on the same id sees nothing.
    assert!(stored(&a, &out.session_id, &Subject::new(unique_sub())).await.is_empty());

    // Without a session there is nowhere to keep data.
    let none = SessionHandle::new(a.clone(), SessionContext::default(), &RequestInfo::new("GET", "/"));
    match none.insert("x", &1).await {
        Err(e @ Error::SessionData(SessionDataError::NoSession)) => assert_eq!(e.http_status(), 401),
        other => panic!("expected NoSession, got {other:?}"),
    }
    assert!(matches!(none.get::<u32>("x").await, Err(Error::SessionData(SessionDataError::NoSession))));
}

async fn a_full_session_refuses_a_new_name_and_changes_nothing(backend: Backend) {
    let d = Deployment::new(backend).await;
    let ol = d.engine().await;
    let sub = unique_sub();
    let out = sign_in_as(&d.mock, &ol, &sub).await;
    let subject = Subject::new(sub);
    let h = handle(&ol, &out.session_id).await;
    for i in 0..MAX_DATA_ENTRIES {
        h.insert(&format!("k{i:02}"), &i).await.unwrap();
    }
    let full = stored(&ol, &out.session_id, &subject).await;
    assert_eq!(full.len(), MAX_DATA_ENTRIES);

    let extra = format!("k{MAX_DATA_ENTRIES:02}");
    match h.insert(&extra, &"one too many").await {
        Err(Error::Store(StoreError::Full { capacity, .. })) => assert_eq!(capacity, MAX_DATA_ENTRIES),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(stored(&ol, &out.session_id, &subject).await, full, "nothing changed");
    assert_eq!(h.get::<String>(&extra).await.unwrap(), None);

    // An existing name can still be replaced; a freed slot can be reused.
    h.insert("k00", &"replaced").await.unwrap();
    assert_eq!(h.get::<String>("k00").await.unwrap().as_deref(), Some("replaced"));
    h.remove("k01").await.unwrap();
    h.insert(&extra, &"fits now").await.unwrap();
    let after = stored(&ol, &out.session_id, &subject).await;
    assert_eq!(after.len(), MAX_DATA_ENTRIES);
    assert!(after.contains_key(&extra) && !after.contains_key("k01"));
}

async fn bad_names_and_large_values_are_refused_before_any_store_call(backend: Backend) {
    let d = Deployment::new(backend).await;
    let ol = d.engine().await;
    let sub = unique_sub();
    let out = sign_in_as(&d.mock, &ol, &sub).await;
    let good = handle(&ol, &out.session_id).await;
    // The same session, over a store that fails every call: any store call would be
    // `Error::Store`, so an `Error::SessionData` shows the call was refused before it.
    let ctx = ol.session_context(Some(&format!("one-login-session={}", out.session_id.to_cookie_value()))).await;
    let broken = SessionHandle::new(broken_like(&ol), ctx.unwrap(), &RequestInfo::new("GET", "/"));
    assert!(matches!(broken.insert("fine", &1).await, Err(Error::Store(StoreError::Unavailable { .. }))));

    let long = "n".repeat(MAX_DATA_NAME + 1);
    for name in ["", "two words", "tab\t", "caf\u{e9}", "new\nline", long.as_str()] {
        for h in [&good, &broken] {
            let bad = |r: Result<(), Error>| match r {
                Err(Error::SessionData(SessionDataError::BadName { max })) => assert_eq!(max, MAX_DATA_NAME),
                other => panic!("{name:?}: expected BadName, got {other:?}"),
            };
            bad(h.insert(name, &1).await);
            bad(h.remove(name).await);
            bad(h.get::<u32>(name).await.map(|_| ()));
        }
    }
    // JSON of a string of n characters is n + 2 bytes.
    let too_large = "x".repeat(MAX_DATA_VALUE - 1);
    for h in [&good, &broken] {
        match h.insert("big", &too_large).await {
            Err(Error::SessionData(SessionDataError::TooLarge { length, max })) => {
                assert_eq!((length, max), (MAX_DATA_VALUE + 1, MAX_DATA_VALUE));
            }
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
    let subject = Subject::new(sub);
    assert!(stored(&ol, &out.session_id, &subject).await.is_empty(), "nothing was written");

    // The limits themselves are accepted.
    let longest = "n".repeat(MAX_DATA_NAME);
    let largest = "x".repeat(MAX_DATA_VALUE - 2);
    good.insert(&longest, &largest).await.unwrap();
    assert_eq!(good.get::<String>(&longest).await.unwrap().as_deref(), Some(largest.as_str()));
    assert_eq!(stored(&ol, &out.session_id, &subject).await.len(), 1);
}

async fn data_follows_a_step_up_and_is_gone_when_another_subject_signs_in(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    let sub = unique_sub();
    let subject = Subject::new(sub.clone());
    let first = sign_in_as(&d.mock, &a, &sub).await;
    handle(&a, &first.session_id).await.insert("draft", &json!({ "page": 4 })).await.unwrap();

    // A step-up of the same subject, started on A and completed on B with the old session.
    let stepped = sign_in_across(&a, &b, Requirement::IDENTITY_P2, Some(first.session_id)).await;
    assert_eq!(stepped.session.identity_level(), IdentityLevel::P2);
    assert_ne!(stepped.session_id, first.session_id, "a sign-in rotates the id");
    let both = [a.clone(), b.clone()];
    refused_within(&both, &[first.session_id], backend.bound(), "the step-up ended the first session").await;
    for ol in [&a, &b] {
        let h = handle(ol, &stepped.session_id).await;
        assert_eq!(h.get::<Value>("draft").await.unwrap(), Some(json!({ "page": 4 })), "the data followed");
    }
    assert!(stored(&a, &first.session_id, &subject).await.is_empty(), "moved, not copied");

    // Another person signs in on this browser, over the stepped-up session.
    let other = unique_sub();
    d.mock.set_user(TestUser { sub: other.clone(), ..TestUser::default() });
    let theirs = sign_in_across(&b, &a, Requirement::MEDIUM, Some(stepped.session_id)).await;
    assert_eq!(theirs.session.subject().as_str(), other);
    assert_eq!(handle(&a, &theirs.session_id).await.get::<Value>("draft").await.unwrap(), None);
    assert!(stored(&a, &stepped.session_id, &subject).await.is_empty(), "deleted, not left behind");
    assert!(stored(&b, &theirs.session_id, &Subject::new(other)).await.is_empty());
}

async fn sign_out_deletes_the_data(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    let sub = unique_sub();
    let subject = Subject::new(sub.clone());
    let out = sign_in_as(&d.mock, &a, &sub).await;
    let h = handle(&a, &out.session_id).await;
    h.insert("a", &1).await.unwrap();
    h.insert("b", &2).await.unwrap();
    assert_eq!(stored(&b, &out.session_id, &subject).await.len(), 2);

    b.sign_out(Some(out.session_id)).await.unwrap();
    refused_within(&[a.clone(), b.clone()], &[out.session_id], backend.bound(), "after sign-out").await;
    for ol in [&a, &b] {
        assert!(stored(ol, &out.session_id, &subject).await.is_empty(), "sign-out deleted the data");
    }
}

async fn sign_out_everywhere_ends_every_session_on_every_engine(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(2).await;
    let (a, b) = (&engines[0], &engines[1]);
    let sub = unique_sub();
    let subject = Subject::new(sub.clone());
    let one = sign_in_as(&d.mock, a, &sub).await;
    let two = sign_in(b).await;
    let three = sign_in_across(a, b, Requirement::MEDIUM, None).await;
    let bystander = sign_in_as(&d.mock, b, &unique_sub()).await;
    let ids = [one.session_id, two.session_id, three.session_id];
    for (ol, id) in [(a, &ids[0]), (b, &ids[1]), (a, &ids[2])] {
        assert!(loads(ol, id).await);
    }
    let h = handle(b, &one.session_id).await;
    h.insert("k", &"v").await.unwrap();

    let listed = h.sign_out_everywhere().await.unwrap();
    assert_eq!(listed, 3, "the index listed the subject's three sessions");
    refused_within(&engines, &ids, backend.bound(), "after sign-out everywhere").await;
    assert!(stored(a, &one.session_id, &subject).await.is_empty(), "this session's data went too");
    for ol in &engines {
        assert!(loads(ol, &bystander.session_id).await, "another subject's session lives");
    }
    // The handle's session is gone: nothing more is kept for it.
    assert!(handle_fails(a, &one.session_id).await);
}

/// Whether the session `id` names no longer loads (so no handle can write to it).
async fn handle_fails(ol: &OneLogin, id: &SessionId) -> bool {
    let ctx = ol.session_context(Some(&format!("one-login-session={}", id.to_cookie_value()))).await.unwrap();
    let h = SessionHandle::new(ol.clone(), ctx, &RequestInfo::new("GET", "/"));
    matches!(h.insert("k", &1).await, Err(Error::SessionData(SessionDataError::NoSession)))
}

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

/// The deployment's data hashes (`…{u:<subject>}:d:<session>`), each with its TTL.
fn data_keys(d: &Deployment) -> Vec<(String, i64)> {
    let pattern = format!("{}*", d.prefix);
    let mut found = Vec::new();
    for (node, reply) in d.command_everywhere(&["KEYS", &pattern]).iter().enumerate() {
        for key in strings(reply).into_iter().filter(|k| k.contains("}:d:")) {
            let ttl = match d.backend {
                Backend::Cluster => d.cluster().command_on(node, &["TTL", &key]),
                _ => d.server().command(&["TTL", &key]),
            };
            let ttl = ttl.trim_end().strip_prefix(':').and_then(|t| t.parse().ok()).expect("an integer TTL");
            found.push((key, ttl));
        }
    }
    found
}

async fn the_data_hash_has_a_ttl_and_moves_with_the_session(backend: Backend) {
    let d = Deployment::new(backend).await;
    let ol = d.engine().await;
    let ttl = ol.config().session_ttl().as_secs() as i64;
    let sub = unique_sub();
    let first = sign_in_as(&d.mock, &ol, &sub).await;
    assert!(data_keys(&d).is_empty(), "no hash before any data");
    handle(&ol, &first.session_id).await.insert("k", &1).await.unwrap();
    let keys = data_keys(&d);
    assert_eq!(keys.len(), 1, "{keys:?}");
    let (key, left) = &keys[0];
    assert!(key.starts_with(&d.prefix), "{key}");
    assert!(!key.contains(&sub) && !key.contains(&first.session_id.to_cookie_value()), "digests only: {key}");
    assert!((ttl - 60..=ttl).contains(left), "the hash lives as long as the session: {left} of {ttl}");

    let stepped = sign_in_across(&ol, &ol, Requirement::IDENTITY_P2, Some(first.session_id)).await;
    let moved = data_keys(&d);
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_ne!(&moved[0].0, key, "renamed to the new session's key");
    assert!((ttl - 60..=ttl).contains(&moved[0].1), "the moved hash keeps a TTL: {}", moved[0].1);

    handle(&ol, &stepped.session_id).await.remove("k").await.unwrap();
    assert!(data_keys(&d).is_empty(), "an empty hash is no key");
}

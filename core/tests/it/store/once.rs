//! The contract's atomic steps, which every backend keeps across instances: take-once for
//! pending logins, insert-if-absent for replay records.

use std::sync::Arc;

use govuk_one_login::error::{CallbackError, TokenError, TokenKind};
use govuk_one_login::store::ReplayKey;
use govuk_one_login::{Error, LoginRequest, Requirement, ReturnPath, State};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

use super::*;
use crate::authorize;

each_backend!(
    pending_logins_are_taken_once,
    a_callback_completes_once_on_any_instance,
    replay_records_are_inserted_once,
    a_logout_token_is_accepted_once_on_any_instance,
    a_logout_token_is_one_replay_record_whichever_path_takes_it,
);

const N: usize = 20;

fn is_unknown_state(r: &Result<LoginOutcome, Error>) -> bool {
    matches!(r, Err(Error::Callback(CallbackError::UnknownState)))
}

fn is_replayed(r: &Result<usize, Error>) -> bool {
    matches!(r, Err(Error::Token { kind: TokenKind::LogoutToken, source: TokenError::Replayed }))
}

/// 20 instances' worth of `take_pending` of one pending login, at once: one gets it.
async fn pending_logins_are_taken_once(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(4).await;
    let login = engines[0].start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = authorize(&login.url).await;
    let state = State::new(params.state.clone().unwrap());

    let barrier = Arc::new(Barrier::new(N));
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (ol, state, barrier) = (engines[i % engines.len()].clone(), state.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            ol.store().take_pending(&state).await.expect("the store answers").is_some()
        });
    }
    let got = tasks.join_all().await.into_iter().filter(|got| *got).count();
    assert_eq!(got, 1, "exactly one of {N} concurrent take_pending gets the pending login");

    let r = engines[1].complete_login(params, Some(&login.flow_cookie), None).await;
    assert!(is_unknown_state(&r), "a taken pending login cannot complete a callback: {r:?}");
}

/// A callback completed on A and replayed on B is refused; 20 copies of one callback sent to
/// four instances at once complete exactly once.
async fn a_callback_completes_once_on_any_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(4).await;
    let (a, b) = (&engines[0], &engines[1]);

    let login = a.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = authorize(&login.url).await;
    let out = a.complete_login(params.clone(), Some(&login.flow_cookie), None).await.unwrap();
    let replay = b.complete_login(params.clone(), Some(&login.flow_cookie), None).await;
    assert!(is_unknown_state(&replay), "replayed on B: {replay:?}");
    assert!(loads(b, &out.session_id).await, "the replay leaves the first session alone");

    let login = b.start_login(LoginRequest::new(Requirement::MEDIUM, ReturnPath::root())).await.unwrap();
    let params = authorize(&login.url).await;
    let barrier = Arc::new(Barrier::new(N));
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (ol, params, flow, barrier) =
            (engines[i % engines.len()].clone(), params.clone(), login.flow_cookie.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            ol.complete_login(params, Some(&flow), None).await
        });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let unknown = results.iter().filter(|r| is_unknown_state(r)).count();
    assert_eq!((ok, unknown), (1, N - 1), "one completes, the rest are unknown states: {results:?}");
}

/// 20 concurrent `insert_if_absent` of one key: one `true`.
async fn replay_records_are_inserted_once(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(4).await;
    let now = engines[0].now();
    let jti = unique("jti-");
    let key = ReplayKey::logout_token(d.mock.issuer(), &jti);

    let barrier = Arc::new(Barrier::new(N));
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (ol, key, barrier) = (engines[i % engines.len()].clone(), key.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            ol.store().insert_if_absent(&key, now + secs(300), now).await.expect("the store answers")
        });
    }
    let inserted = tasks.join_all().await.into_iter().filter(|i| *i).count();
    assert_eq!(inserted, 1, "exactly one of {N} concurrent insert_if_absent records the key");

    // Another issuer's token with the same jti is another record.
    let other = ReplayKey::logout_token("https://elsewhere.example/", &jti);
    assert_ne!(other.digest(), key.digest());
    assert!(engines[2].store().insert_if_absent(&other, now + secs(300), now).await.unwrap());
    assert!(!engines[3].store().insert_if_absent(&other, now + secs(300), now).await.unwrap());
}

/// A `logout_token` accepted by A is refused by B; 20 copies delivered at once to four
/// instances are accepted once.
async fn a_logout_token_is_accepted_once_on_any_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = d.engines(4).await;
    let (a, b) = (&engines[0], &engines[1]);
    let sub = unique_sub();

    let token = d.mock.logout_token(&sub);
    a.backchannel_logout(&token).await.expect("A accepts a fresh logout token");
    let replay = b.backchannel_logout(&token).await;
    assert!(is_replayed(&replay), "replayed on B: {replay:?}");
    assert_eq!(post_logout_token(&engines[2], &token).await, 400, "the route refuses a replay with 400");

    let token = d.mock.logout_token(&sub);
    let barrier = Arc::new(Barrier::new(N));
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let (ol, token, barrier) = (engines[i % engines.len()].clone(), token.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            ol.backchannel_logout(&token).await
        });
    }
    let results = tasks.join_all().await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let replayed = results.iter().filter(|r| is_replayed(r)).count();
    assert_eq!((ok, replayed), (1, N - 1), "one accepted, the rest replays: {results:?}");
}

/// One token, one replay record: a `logout_token` the back-channel route took on A is a
/// replay to `verify_logout_token` on B, and one `verify_logout_token` took is a replay to the
/// route (as `logout::backchannel_logout_ends_every_session_of_the_subject_and_refuses_replays`
/// expects of the default store). Both paths key the record beside the token's subject
/// (`ReplayKey::for_subject`), so on Redis they name the same key.
async fn a_logout_token_is_one_replay_record_whichever_path_takes_it(backend: Backend) {
    let d = Deployment::new(backend).await;
    let (a, b) = (d.engine().await, d.engine().await);
    let sub = unique_sub();

    let token = d.mock.logout_token(&sub);
    assert_eq!(post_logout_token(&a, &token).await, 200);
    let r = b.verify_logout_token(&token).await;
    assert!(
        matches!(r, Err(Error::Token { kind: TokenKind::LogoutToken, source: TokenError::Replayed })),
        "a logout token the back-channel route took verifies again on another path: {r:?}"
    );

    let token = d.mock.logout_token(&sub);
    b.verify_logout_token(&token).await.expect("a fresh token verifies");
    assert_eq!(
        post_logout_token(&a, &token).await,
        400,
        "a logout token verify_logout_token took is accepted again by the back-channel route"
    );
}

//! The application's hooks: which run on a sign-in, a step-up, a re-authentication, another
//! person's sign-in in the same browser, a sign-out, a back-channel logout (once, not for its
//! replay), a security event and a sign-out on every device; and a failing hook changes no
//! answer.

use std::sync::{Arc, Mutex};

use govuk_one_login::hooks::{HookError, Hooks};
use govuk_one_login::store::MemoryStore;
use govuk_one_login::web::{RequestInfo, SessionHandle};
use govuk_one_login::{LoginRequest, OneLogin, Requirement, ReturnPath, SessionId};
use govuk_one_login_mock::samples::user_event;
use govuk_one_login_mock::{MockProvider, TestUser, keys};
use serde_json::json;

use crate::store::unique_sub;
use crate::{REDIRECT_URI, authorize, config_for};

type Seen = Arc<Mutex<Vec<String>>>;

/// Hooks that write one line per call into the returned list.
fn recording() -> (Hooks, Seen) {
    let seen: Seen = Arc::default();
    let (a, b, c, d) = (seen.clone(), seen.clone(), seen.clone(), seen.clone());
    let hooks = Hooks::new()
        .on_sign_in(move |s| {
            let from = s.previous().map(|v| v.to_string());
            let line = format!("sign_in {:?} from {from:?} to {}", s.kind(), s.session().achieved());
            a.lock().unwrap().push(line);
            async { Ok(()) }
        })
        .on_step_up(move |s| {
            b.lock().unwrap().push(format!("step_up to {}", s.session().achieved()));
            async { Ok(()) }
        })
        .on_sign_out(move |s| {
            c.lock().unwrap().push(format!("sign_out at {}", s.achieved()));
            async { Ok(()) }
        })
        .on_revocation(move |r| {
            d.lock().unwrap().push(format!("revocation {:?} of {}", r.cause(), r.sessions()));
            async { Ok(()) }
        });
    (hooks, seen)
}

fn take(seen: &Seen) -> Vec<String> {
    std::mem::take(&mut *seen.lock().unwrap())
}

/// What the hooks wrote once `n` lines are there: revocation hooks run in the background. A
/// short wait more shows that nothing else comes.
async fn settled(seen: &Seen, n: usize) -> Vec<String> {
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    take(seen)
}

fn engine(mock: &MockProvider, hooks: Hooks) -> OneLogin {
    let config = config_for(mock)
        .security_events(crate::events::settings(mock))
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    OneLogin::builder(config).store(MemoryStore::new()).hooks(hooks).build().unwrap()
}

async fn sign_in(
    mock: &MockProvider,
    ol: &OneLogin,
    sub: &str,
    req: Requirement,
    current: Option<SessionId>,
) -> SessionId {
    mock.set_user(TestUser { sub: sub.into(), ..TestUser::default() });
    let start = ol.start_login(LoginRequest::new(req, ReturnPath::root())).await.unwrap();
    let params = authorize(&start.url).await;
    ol.complete_login(params, Some(&start.flow_cookie), current).await.unwrap().session_id
}

#[tokio::test]
async fn each_hook_runs_once_for_what_happened() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    mock.set_identity_level(Some("P2"));
    let (hooks, seen) = recording();
    let ol = engine(&mock, hooks);
    let (me, other) = (unique_sub(), unique_sub());

    let first = sign_in(&mock, &ol, &me, Requirement::MEDIUM, None).await;
    assert_eq!(take(&seen), ["sign_in SignIn from None to Cl.Cm"]);
    let stepped = sign_in(&mock, &ol, &me, Requirement::IDENTITY_P2, Some(first)).await;
    assert_eq!(take(&seen), ["sign_in StepUp from Some(\"Cl.Cm\") to Cl.Cm.P2", "step_up to Cl.Cm.P2"]);
    let again = sign_in(&mock, &ol, &me, Requirement::MEDIUM, Some(stepped)).await;
    assert_eq!(
        take(&seen),
        ["sign_in Reauthentication from Some(\"Cl.Cm.P2\") to Cl.Cm.P2"],
        "a re-authentication keeps the recent identity, and is no step-up"
    );
    let theirs = sign_in(&mock, &ol, &other, Requirement::MEDIUM, Some(again)).await;
    assert_eq!(take(&seen), ["sign_in SignIn from None to Cl.Cm"], "another person in the same browser");

    ol.sign_out(Some(theirs)).await.unwrap();
    assert_eq!(take(&seen), ["sign_out at Cl.Cm"]);
    ol.sign_out(None).await.unwrap();
    assert!(take(&seen).is_empty(), "a sign-out with no session ends nothing");

    sign_in(&mock, &ol, &me, Requirement::MEDIUM, None).await;
    sign_in(&mock, &ol, &me, Requirement::MEDIUM, None).await;
    take(&seen);
    let token = mock.logout_token(&me);
    assert_eq!(ol.backchannel_logout(&token).await.unwrap(), 2);
    assert_eq!(settled(&seen, 1).await, ["revocation BackChannelLogout of 2"]);
    assert!(ol.backchannel_logout(&token).await.is_err());
    assert!(settled(&seen, 0).await.is_empty(), "a replayed logout token is not acted on again");

    sign_in(&mock, &ol, &me, Requirement::IDENTITY_P2, None).await;
    take(&seen);
    let change = user_event(
        "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change",
        &me,
        json!({"namespace": "x", "current_level": "P0"}),
    );
    ol.receive_security_event(&mock.security_event_token(change)).await.unwrap();
    assert_eq!(
        settled(&seen, 1).await,
        ["revocation SecurityEvent { event: AssuranceLevelChange, action: DropIdentity } of 1"]
    );
    let purged = user_event("https://schemas.openid.net/secevent/risc/event-type/account-purged", &me, json!({}));
    ol.receive_security_event(&mock.security_event_token(purged)).await.unwrap();
    assert_eq!(
        settled(&seen, 1).await,
        ["revocation SecurityEvent { event: AccountPurged, action: EndSessions } of 1"]
    );
    let nobody =
        user_event("https://schemas.openid.net/secevent/risc/event-type/account-purged", &unique_sub(), json!({}));
    ol.receive_security_event(&mock.security_event_token(nobody)).await.unwrap();
    assert_eq!(
        settled(&seen, 1).await,
        ["revocation SecurityEvent { event: AccountPurged, action: EndSessions } of 0"]
    );

    let id = sign_in(&mock, &ol, &other, Requirement::MEDIUM, None).await;
    take(&seen);
    let ctx = ol.session_context(Some(&format!("one-login-session={}", id.to_cookie_value()))).await.unwrap();
    let handle = SessionHandle::new(ol.clone(), ctx, &RequestInfo::new("POST", "/account/sign-out-everywhere"));
    assert_eq!(handle.sign_out_everywhere().await.unwrap(), 1);
    assert_eq!(settled(&seen, 1).await, ["revocation SignOutEverywhere of 1"]);

    // The sign-out-everywhere route's own step: this browser signed out, every device revoked.
    let here = sign_in(&mock, &ol, &other, Requirement::MEDIUM, None).await;
    sign_in(&mock, &ol, &other, Requirement::MEDIUM, None).await;
    take(&seen);
    ol.sign_out_everywhere(Some(here)).await.unwrap();
    assert_eq!(settled(&seen, 2).await, ["sign_out at Cl.Cm", "revocation SignOutEverywhere of 2"]);
}

#[tokio::test]
async fn a_failing_hook_leaves_the_sign_in_and_the_sign_out_as_they_were() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    let hooks = Hooks::new()
        .on_sign_in(|_| async { Err::<(), HookError>("the user database is down".into()) })
        .on_sign_out(|_| async { panic!("a bug in the application's hook") });
    let ol = engine(&mock, hooks);
    let id = sign_in(&mock, &ol, &unique_sub(), Requirement::MEDIUM, None).await;
    assert!(ol.session(&id.to_cookie_value()).await.unwrap().is_some(), "signed in all the same");
    ol.sign_out(Some(id)).await.unwrap();
    assert!(ol.session(&id.to_cookie_value()).await.unwrap().is_none(), "signed out all the same");
}

#[tokio::test]
async fn a_slow_revocation_hook_does_not_hold_up_the_answer_to_one_login() {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    let hooks = Hooks::new().on_revocation(|_| async {
        tokio::time::sleep(std::time::Duration::from_secs(8)).await;
        Ok(())
    });
    let ol = engine(&mock, hooks);
    let me = unique_sub();
    sign_in(&mock, &ol, &me, Requirement::MEDIUM, None).await;
    let started = std::time::Instant::now();
    assert_eq!(ol.backchannel_logout(&mock.logout_token(&me)).await.unwrap(), 1);
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "answered at once: {:?}", started.elapsed());
}

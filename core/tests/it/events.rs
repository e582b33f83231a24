//! The security-event receiver against the stand-in's transmitter: every event type, the
//! receiver's own actions, replays, handler failures, the negative matrix of RFC 8417/8935 and
//! SSF, the token endpoint, and the configuration.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use govuk_one_login::events::{
    EventAction, EventError, EventHandlers, EventRequest, EventType, EventsSettings, Receipt, UnknownEvents,
};
use govuk_one_login::store::MemoryStore;
use govuk_one_login::{Config, ConfigError, ConfigSource, OneLogin, Requirement};
use govuk_one_login_mock::samples::user_event;
use govuk_one_login_mock::{EventsReceiver, MockProvider, TestUser, keys};
use serde_json::{Value, json};

use crate::store::{Backend, Deployment, each_backend, unique_sub};
use crate::{REDIRECT_URI, authorize, config_for};

pub(crate) const AUDIENCE: &str = "service.example";
pub(crate) const CLIENT: &str = "one-login-ssf";
pub(crate) const SECRET: &str = "test-secret-of-at-least-thirty-two-characters";

const CAEP: &str = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC: &str = "https://schemas.openid.net/secevent/risc/event-type/";

/// The receiver's settings for `mock`'s transmitter.
pub(crate) fn settings(mock: &MockProvider) -> EventsSettings {
    mock.register_events_receiver(EventsReceiver::new(
        "http://127.0.0.1:9/auth/events",
        "http://127.0.0.1:9/auth/events/token",
        CLIENT,
        SECRET,
        AUDIENCE,
    ));
    EventsSettings::new(AUDIENCE, CLIENT, SECRET).issuer(mock.events_issuer()).jwks_url(mock.events_jwks_url())
}

/// An engine receiving `mock`'s events into `store`, with `handlers`.
fn engine(mock: &MockProvider, store: &MemoryStore, edit: impl FnOnce(EventsSettings) -> EventsSettings) -> OneLogin {
    engine_with(mock, store, edit, EventHandlers::new())
}

fn engine_with(
    mock: &MockProvider,
    store: &MemoryStore,
    edit: impl FnOnce(EventsSettings) -> EventsSettings,
    handlers: EventHandlers,
) -> OneLogin {
    let config = config_for(mock)
        .security_events(edit(settings(mock)))
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    OneLogin::builder(config).store(store.clone()).security_event_handlers(handlers).build().unwrap()
}

async fn start() -> MockProvider {
    let mock = MockProvider::start().await;
    mock.register_redirect_uri(REDIRECT_URI);
    mock
}

/// Signs in on `ol` as `sub` at `requirement` and returns the session id's cookie value.
async fn sign_in(mock: &MockProvider, ol: &OneLogin, sub: &str, requirement: Requirement) -> String {
    mock.set_user(TestUser { sub: sub.into(), ..TestUser::default() });
    let start = ol
        .start_login(govuk_one_login::LoginRequest::new(requirement, govuk_one_login::ReturnPath::root()))
        .await
        .unwrap();
    let params = authorize(&start.url).await;
    ol.complete_login(params, Some(&start.flow_cookie), None).await.unwrap().session_id.to_cookie_value()
}

/// Records each delivery's kind, subject and the receiver's action.
type Seen = Arc<std::sync::Mutex<Vec<(EventType, Option<String>, Option<EventAction>)>>>;

fn recording() -> (EventHandlers, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let handlers = EventHandlers::new().on_any(move |d| {
        let log = log.clone();
        async move {
            log.lock().unwrap().push((d.event_type(), d.subject().map(|s| s.as_str().to_owned()), d.action_taken()));
            Ok(())
        }
    });
    (handlers, seen)
}

#[tokio::test]
async fn every_event_type_is_typed_acted_on_by_default_and_handed_to_the_handlers() {
    let mock = start().await;
    let (handlers, seen) = recording();
    let ol = engine_with(&mock, &MemoryStore::new(), |s| s, handlers);
    let samples = govuk_one_login_mock::samples::every_event("urn:fdc:gov.uk:2022:nobody-here");
    for events in &samples {
        let set = mock.security_event_token(events.clone());
        assert_eq!(ol.receive_security_event(&set).await.unwrap(), Receipt::Accepted { events: 1 }, "{events}");
        let (kind, subject, action) = seen.lock().unwrap().last().cloned().unwrap();
        let about_a_user = !matches!(kind, EventType::Verification | EventType::StreamUpdated);
        assert_eq!(subject.is_some(), about_a_user, "{kind:?}: the subject is the event's own `subject.uri`");
        assert_eq!(action, about_a_user.then(|| kind.default_action()), "{kind:?}");
    }
    let kinds: std::collections::HashSet<EventType> = seen.lock().unwrap().iter().map(|(k, _, _)| *k).collect();
    assert_eq!(seen.lock().unwrap().len(), samples.len(), "one delivery each: a companion entry is no event");
    assert_eq!(kinds.len(), 27, "every kind, Unknown included: {kinds:?}");
}

#[tokio::test]
async fn a_revocation_event_ends_every_session_of_its_subject_and_no_other() {
    let mock = start().await;
    let store = MemoryStore::new();
    let ol = engine(&mock, &store, |s| s);
    let (sub, other) = (unique_sub(), unique_sub());
    let mine =
        [sign_in(&mock, &ol, &sub, Requirement::MEDIUM).await, sign_in(&mock, &ol, &sub, Requirement::MEDIUM).await];
    let theirs = sign_in(&mock, &ol, &other, Requirement::MEDIUM).await;
    let set = mock.security_event_token(user_event(&format!("{RISC}account-purged"), &sub, json!({})));
    assert_eq!(ol.receive_security_event(&set).await.unwrap(), Receipt::Accepted { events: 1 });
    for cookie in &mine {
        assert!(ol.session(cookie).await.unwrap().is_none(), "the subject's sessions have ended");
    }
    assert!(ol.session(&theirs).await.unwrap().is_some(), "another person's session lives on");
}

#[tokio::test]
async fn the_default_actions_can_be_changed() {
    let mock = start().await;
    let store = MemoryStore::new();
    let ol = engine(&mock, &store, |s| {
        s.action(EventType::AccountPurged, EventAction::Nothing)
            .action(EventType::AccountEnabled, EventAction::EndSessions)
    });
    let sub = unique_sub();
    let cookie = sign_in(&mock, &ol, &sub, Requirement::MEDIUM).await;
    let purged = mock.security_event_token(user_event(&format!("{RISC}account-purged"), &sub, json!({})));
    ol.receive_security_event(&purged).await.unwrap();
    assert!(ol.session(&cookie).await.unwrap().is_some(), "account-purged set to do nothing");
    let enabled = mock.security_event_token(user_event(&format!("{RISC}account-enabled"), &sub, json!({})));
    ol.receive_security_event(&enabled).await.unwrap();
    assert!(ol.session(&cookie).await.unwrap().is_none(), "account-enabled set to end sessions");
}

#[tokio::test]
async fn an_assurance_level_change_drops_the_identity_and_keeps_the_session() {
    let mock = start().await;
    mock.set_identity_level(Some("P2"));
    let store = MemoryStore::new();
    let ol = engine(&mock, &store, |s| s);
    let sub = unique_sub();
    let cookie = sign_in(&mock, &ol, &sub, Requirement::IDENTITY_P2).await;
    let (_, before) = ol.session(&cookie).await.unwrap().unwrap();
    assert!(before.identity().is_some());
    let change =
        user_event(&format!("{CAEP}assurance-level-change"), &sub, json!({"namespace": "x", "current_level": "P0"}));
    ol.receive_security_event(&mock.security_event_token(change)).await.unwrap();
    let (_, after) = ol.session(&cookie).await.unwrap().expect("still signed in");
    assert!(after.identity().is_none(), "the verified identity is gone");
    assert_eq!(after.auth_level(), before.auth_level());
    let now = ol.now();
    assert!(
        !Requirement::IDENTITY_P2.is_met_by(after.achieved(), after.auth_time(), now),
        "an identity route steps up"
    );
    assert!(Requirement::MEDIUM.is_met_by(after.achieved(), after.auth_time(), now));
}

#[tokio::test]
async fn a_replayed_set_is_accepted_and_not_acted_on_twice() {
    let mock = start().await;
    let store = MemoryStore::new();
    let (handlers, seen) = recording();
    let a = engine_with(&mock, &store, |s| s, handlers);
    let (b_handlers, b_seen) = recording();
    let b = engine_with(&mock, &store, |s| s, b_handlers);
    let sub = unique_sub();
    let set = mock.security_event_token(user_event(&format!("{RISC}account-purged"), &sub, json!({})));
    assert_eq!(a.receive_security_event(&set).await.unwrap(), Receipt::Accepted { events: 1 });
    // Signed in again after the event: a replay must not end the new session.
    let cookie = sign_in(&mock, &a, &sub, Requirement::MEDIUM).await;
    assert_eq!(a.receive_security_event(&set).await.unwrap(), Receipt::Replay);
    assert_eq!(b.receive_security_event(&set).await.unwrap(), Receipt::Replay, "on another instance too");
    assert!(a.session(&cookie).await.unwrap().is_some());
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert!(b_seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_handler_answers_5xx_and_the_retry_is_acted_on() {
    let mock = start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let handlers = EventHandlers::new().on(EventType::CredentialChange, move |_| {
        let n = counted.fetch_add(1, Ordering::SeqCst);
        async move { if n == 0 { Err("the database is down".into()) } else { Ok(()) } }
    });
    let ol = engine_with(&mock, &MemoryStore::new(), |s| s, handlers);
    let event = user_event(
        &format!("{CAEP}credential-change"),
        &unique_sub(),
        json!({"change_type": "update", "credential_type": "email"}),
    );
    let set = mock.security_event_token(event);
    let first = ol.events_route(&push(&ol, &set).await).await;
    assert_eq!(first.status, 500, "a handler failure asks the transmitter to retry");
    let retry = ol.events_route(&push(&ol, &set).await).await;
    assert_eq!(retry.status, 202);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the retry was acted on, not taken for a replay");
    let again = ol.events_route(&push(&ol, &set).await).await;
    assert_eq!(again.status, 202);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "a replay after success is not");
}

/// An access token from the engine's own token endpoint.
async fn access_token(ol: &OneLogin) -> String {
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{SECRET}")));
    let form = b"grant_type=client_credentials";
    let answer = ol
        .events_token_route(
            &EventRequest::new(Some(form))
                .content_type(Some("application/x-www-form-urlencoded"))
                .authorization(Some(&basic)),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body: Value = serde_json::from_str(&answer.body).unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// A push of `set` with a good token.
async fn push<'a>(ol: &OneLogin, set: &'a str) -> EventRequest<'a> {
    EventRequest::new(Some(set.as_bytes()))
        .content_type(Some("application/secevent+jwt"))
        .authorization(Some(good_auth(ol).await))
}

fn err_of(body: &str) -> String {
    serde_json::from_str::<Value>(body).unwrap()["err"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn refused_sets_get_their_rfc_8935_errors() {
    let mock = start().await;
    // Every unknown key id refetches the key set, so that each case gets its own answer.
    let config = config_for(&mock)
        .unknown_kid_refetch_interval(std::time::Duration::ZERO)
        .security_events(settings(&mock))
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap();
    let ol = OneLogin::builder(config).build().unwrap();
    let sub = unique_sub();
    let event = || user_event(&format!("{RISC}account-purged"), &sub, json!({}));
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let edited = |edit: &dyn Fn(&mut jsonwebtoken::Header, &mut serde_json::Map<String, Value>)| {
        mock.security_event_token_with(event(), |h, c| edit(h, c))
    };
    let valid = mock.security_event_token(event());
    let (head, rest) = valid.split_once('.').unwrap();
    let (claims, _) = rest.split_once('.').unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("not a JWS", "abc".into(), "invalid_request"),
        ("alg none", format!("{}.{claims}.", b64(&json!({"alg": "none", "typ": "secevent+jwt"}))), "invalid_request"),
        (
            "HS256 keyed with anything",
            format!("{}.{claims}.c2ln", b64(&json!({"alg": "HS256", "typ": "secevent+jwt", "kid": "k"}))),
            "invalid_request",
        ),
        ("typ missing", edited(&|h, _| h.typ = None), "invalid_request"),
        ("typ JWT", edited(&|h, _| h.typ = Some("JWT".into())), "invalid_request"),
        ("typ with a prefix", edited(&|h, _| h.typ = Some("application/secevent+jwt".into())), "invalid_request"),
        ("crit", edited(&|h, _| h.crit = Some(vec!["exp".into()])), "invalid_request"),
        ("kid missing", edited(&|h, _| h.kid = None), "invalid_key"),
        ("kid unknown", edited(&|h, _| h.kid = Some("nobody".into())), "invalid_key"),
        ("unpublished key", mock.security_event_token_unpublished(event()), "invalid_key"),
        (
            "tampered claims",
            format!("{head}.{}.{}", b64(&json!({"iss": "x"})), valid.rsplit('.').next().unwrap()),
            "invalid_key",
        ),
        (
            "iss missing its slash",
            edited(&|_, c| {
                c.insert("iss".into(), json!(mock.events_issuer().trim_end_matches('/')));
            }),
            "invalid_issuer",
        ),
        (
            "iss another",
            edited(&|_, c| {
                c.insert("iss".into(), json!("https://ssf.account.gov.uk/"));
            }),
            "invalid_issuer",
        ),
        (
            "aud another",
            edited(&|_, c| {
                c.insert("aud".into(), json!("another.example"));
            }),
            "invalid_audience",
        ),
        (
            "aud missing",
            edited(&|_, c| {
                c.remove("aud");
            }),
            "invalid_audience",
        ),
        (
            "iat missing",
            edited(&|_, c| {
                c.remove("iat");
            }),
            "invalid_request",
        ),
        (
            "iat in the future",
            edited(&|_, c| {
                c.insert("iat".into(), json!(now + 600));
            }),
            "invalid_request",
        ),
        (
            "iat too old",
            edited(&|_, c| {
                c.insert("iat".into(), json!(now - 8 * 24 * 3600));
            }),
            "invalid_request",
        ),
        (
            "exp past",
            edited(&|_, c| {
                c.insert("exp".into(), json!(now - 600));
            }),
            "invalid_request",
        ),
        (
            "jti missing",
            edited(&|_, c| {
                c.remove("jti");
            }),
            "invalid_request",
        ),
        (
            "events missing",
            edited(&|_, c| {
                c.remove("events");
            }),
            "invalid_request",
        ),
        (
            "events empty",
            edited(&|_, c| {
                c.insert("events".into(), json!({}));
            }),
            "invalid_request",
        ),
        (
            "a known event that does not fit",
            edited(&|_, c| {
                c.insert(
                    "events".into(),
                    json!({ format!("{CAEP}credential-change"): {"credential_type": "password"} }),
                );
            }),
            "invalid_request",
        ),
        (
            "sub_id not a subject",
            edited(&|_, c| {
                c.insert("sub_id".into(), json!("me"));
            }),
            "invalid_request",
        ),
    ];
    for (what, set, code) in cases {
        let answer = ol.events_route(&push(&ol, &set).await).await;
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
        assert_eq!(err_of(&answer.body), code, "{what}: {}", answer.body);
        assert_eq!(answer.header_value("content-type"), Some("application/json"));
    }
    // Accepted: an audience list naming us, an unexpired `exp`, a `sub_id` with the subject.
    for set in [
        edited(&|_, c| {
            c.insert("aud".into(), json!(["another.example", AUDIENCE]));
        }),
        edited(&|_, c| {
            c.insert("exp".into(), json!(now + 600));
        }),
        edited(&|_, c| {
            c.insert("sub_id".into(), json!({"format": "opaque", "id": "stream"}));
            c.insert("txn".into(), json!("t"));
        }),
    ] {
        assert_eq!(ol.events_route(&push(&ol, &set).await).await.status, 202);
    }
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_keys_once() {
    let mock = start().await;
    let ol = engine(&mock, &MemoryStore::new(), |s| s);
    let sub = unique_sub();
    let event = || user_event(&format!("{RISC}account-purged"), &sub, json!({}));
    ol.receive_security_event(&mock.security_event_token(event())).await.unwrap();
    assert_eq!(mock.hits("/ssf/jwks.json"), 1);
    let forged = || mock.security_event_token_with(event(), |h, _| h.kid = Some("rotated?".into()));
    assert!(matches!(ol.receive_security_event(&forged()).await, Err(EventError::InvalidKey(_))), "refetched: unknown");
    for _ in 0..3 {
        // Within the refetch interval the set cannot be refreshed: 503, so that a rotated key
        // is found at the transmitter's retry rather than the event refused for good.
        let answer = ol.receive_security_event(&forged()).await;
        assert!(matches!(answer, Err(EventError::KeysNotRefreshed)), "{answer:?}");
        assert_eq!(answer.unwrap_err().http_status(), 503);
    }
    assert_eq!(mock.hits("/ssf/jwks.json"), 2, "one refetch for unknown key ids, rate-limited");
}

#[tokio::test]
async fn unknown_event_types_can_be_refused() {
    let mock = start().await;
    let ol = engine(&mock, &MemoryStore::new(), |s| s.unknown_events(UnknownEvents::Refuse));
    let set = mock.security_event_token(user_event("https://example.com/new", &unique_sub(), json!({})));
    let answer = ol.events_route(&push(&ol, &set).await).await;
    assert_eq!((answer.status.as_u16(), err_of(&answer.body).as_str()), (400, "invalid_request"));
}

#[tokio::test]
async fn the_transport_is_checked_before_the_set() {
    let mock = start().await;
    let ol = engine(&mock, &MemoryStore::new(), |s| s);
    let set = mock.security_event_token(user_event(&format!("{RISC}account-purged"), &unique_sub(), json!({})));
    let good = push(&ol, &set).await;
    let base = || EventRequest::new(Some(set.as_bytes())).content_type(Some("application/secevent+jwt"));

    let missing = ol.events_route(&base()).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header_value("www-authenticate"), Some("Bearer realm=\"security events\""));
    for bad in ["Bearer not-a-token", "Basic abc", "Bearer "] {
        let answer = ol.events_route(&base().authorization(Some(bad))).await;
        assert_eq!(answer.status, 401, "{bad}");
        assert!(answer.header_value("www-authenticate").unwrap().starts_with("Bearer"), "{bad}");
    }
    // A token from an engine whose clock is 20 minutes behind has expired (15-minute tokens).
    let behind = OneLogin::builder(ol.config().clone())
        .clock(govuk_one_login::clock::OffsetClock::new(time::Duration::minutes(-20)))
        .build()
        .unwrap();
    let stale = format!("Bearer {}", access_token(&behind).await);
    let expired = ol.events_route(&base().authorization(Some(&stale))).await;
    assert_eq!(expired.status, 401);
    assert!(expired.header_value("www-authenticate").unwrap().contains("invalid_token"));
    // A token of another receiver (another secret) is refused.
    let other_mock = start().await;
    let other = engine(&other_mock, &MemoryStore::new(), |_| {
        EventsSettings::new(AUDIENCE, CLIENT, "another-secret-of-thirty-two-characters!")
            .issuer(other_mock.events_issuer())
            .jwks_url(other_mock.events_jwks_url())
    });
    let foreign = {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{CLIENT}:another-secret-of-thirty-two-characters!"))
        );
        let answer = other
            .events_token_route(
                &EventRequest::new(Some(b"grant_type=client_credentials"))
                    .content_type(Some("application/x-www-form-urlencoded"))
                    .authorization(Some(&basic)),
            )
            .await;
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        format!("Bearer {}", body["access_token"].as_str().unwrap())
    };
    assert_eq!(ol.events_route(&base().authorization(Some(&foreign))).await.status, 401);

    for content_type in [None, Some("application/json"), Some("text/plain"), Some("application/jwt")] {
        let answer = ol.events_route(&good.content_type(content_type)).await;
        assert_eq!(answer.status, 415, "{content_type:?}");
    }
    let with_params = ol.events_route(&good.content_type(Some("Application/SecEvent+JWT; charset=utf-8"))).await;
    assert_eq!(with_params.status, 202, "the media type's parameters and case do not matter");
    let too_large = ol
        .events_route(
            &EventRequest::new(None)
                .content_type(Some("application/secevent+jwt"))
                .authorization(Some(good_auth(&ol).await)),
        )
        .await;
    assert_eq!(too_large.status, 413);
    let big = vec![b'a'; govuk_one_login::events::MAX_SET_BODY + 1];
    let too_large = ol
        .events_route(
            &EventRequest::new(Some(&big))
                .content_type(Some("application/secevent+jwt"))
                .authorization(Some(good_auth(&ol).await)),
        )
        .await;
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.header_value("connection"), Some("close"), "its body was not read to the end");
    // Refused on the headers, before the body is read: the connection cannot carry another
    // request, and the answer says so, so that the transmitter does not push on it again.
    let refused = ol
        .events_refusal(&base().authorization(Some(good_auth(&ol).await)).content_type(Some("application/json")))
        .expect("refused on the headers");
    assert_eq!((refused.status.as_u16(), refused.header_value("connection")), (415, Some("close")));
    assert_eq!(ol.events_refusal(&EventRequest::new(None)).unwrap().header_value("connection"), Some("close"));
    let accepted = ol.events_route(&push(&ol, &set).await).await;
    assert_eq!(accepted.status, 202);
    assert!(accepted.body.is_empty());
    assert_eq!(accepted.header_value("cache-control"), Some("no-store"));
    assert_eq!(accepted.header_value("connection"), None, "a push read whole keeps its connection");
}

/// `Bearer <a good token>`, leaked so that a request can borrow it.
async fn good_auth(ol: &OneLogin) -> &'static str {
    Box::leak(format!("Bearer {}", access_token(ol).await).into_boxed_str())
}

#[tokio::test]
async fn the_token_endpoint_answers_as_rfc_6749_says() {
    let mock = start().await;
    let ol = engine(&mock, &MemoryStore::new(), |s| s);
    let form = Some("application/x-www-form-urlencoded");
    let basic = |id: &str, secret: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
    };
    let ok = ol
        .events_token_route(
            &EventRequest::new(Some(b"grant_type=client_credentials"))
                .content_type(form)
                .authorization(Some(&basic(CLIENT, SECRET))),
        )
        .await;
    assert_eq!(ok.status, 200);
    let body: Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(ok.header_value("cache-control"), Some("no-store"));
    let in_form = format!("grant_type=client_credentials&client_id={CLIENT}&client_secret={SECRET}");
    assert_eq!(
        ol.events_token_route(&EventRequest::new(Some(in_form.as_bytes())).content_type(form)).await.status,
        200
    );

    let wrong = ol
        .events_token_route(
            &EventRequest::new(Some(b"grant_type=client_credentials"))
                .content_type(form)
                .authorization(Some(&basic(CLIENT, "wrong"))),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(serde_json::from_str::<Value>(&wrong.body).unwrap()["error"], "invalid_client");
    assert!(wrong.header_value("www-authenticate").unwrap().starts_with("Basic"));
    let grant = ol
        .events_token_route(
            &EventRequest::new(Some(b"grant_type=password"))
                .content_type(form)
                .authorization(Some(&basic(CLIENT, SECRET))),
        )
        .await;
    assert_eq!(
        (grant.status.as_u16(), serde_json::from_str::<Value>(&grant.body).unwrap()["error"].clone()),
        (400, json!("unsupported_grant_type"))
    );
    let json_body = ol
        .events_token_route(
            &EventRequest::new(Some(b"{}"))
                .content_type(Some("application/json"))
                .authorization(Some(&basic(CLIENT, SECRET))),
        )
        .await;
    assert_eq!(json_body.status, 400);
}

#[test]
fn the_receiver_is_configured_from_the_environment_with_presets() {
    let base = [
        ("ONE_LOGIN_ENVIRONMENT", "integration"),
        ("ONE_LOGIN_CLIENT_ID", "c"),
        ("ONE_LOGIN_REDIRECT_URI", "https://service.example/auth/callback"),
        ("ONE_LOGIN_PRIVATE_KEY", keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM),
    ];
    let from = |extra: &[(&str, &str)]| {
        let vars: Vec<(String, String)> =
            base.iter().chain(extra).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };
    assert!(from(&[]).unwrap().security_events().is_none(), "off by default");
    let on = [
        ("ONE_LOGIN_EVENTS_ENABLED", "true"),
        ("ONE_LOGIN_EVENTS_AUDIENCE", "service.example"),
        ("ONE_LOGIN_EVENTS_CLIENT_ID", "ssf"),
        ("ONE_LOGIN_EVENTS_CLIENT_SECRET", SECRET),
    ];
    let config = from(&on).unwrap();
    let events = config.security_events().unwrap();
    assert_eq!(events.issuer(), "https://ssf.account.gov.uk/");
    assert_eq!(events.jwks_url(), "https://ssf-transmitter.transaction.integration.account.gov.uk/jwks.json");
    assert_eq!((events.receiver_path(), events.token_path()), ("/auth/events", "/auth/events/token"));
    assert!(!format!("{events:?}").contains(SECRET), "Debug hides the secret");
    let custom = [
        on.as_slice(),
        &[
            ("ONE_LOGIN_EVENTS_ISSUER", "https://ssf.example/"),
            ("ONE_LOGIN_EVENTS_JWKS_URL", "https://ssf.example/jwks.json"),
        ],
    ]
    .concat();
    let config = from(&custom).unwrap();
    assert_eq!(
        config.security_events().unwrap().issuer(),
        "https://ssf.example/",
        "a custom issuer replaces the preset"
    );

    let origin = |e: ConfigError| e.origin();
    assert_eq!(
        from(&[("ONE_LOGIN_EVENTS_AUDIENCE", "a")]).map(drop).map_err(origin),
        Err(Some(ConfigSource::Env("ONE_LOGIN_EVENTS_ENABLED"))),
        "a variable without the switch is a mistake"
    );
    assert!(
        from(&[("ONE_LOGIN_EVENTS_ENABLED", "false"), ("ONE_LOGIN_EVENTS_AUDIENCE", "a")])
            .unwrap()
            .security_events()
            .is_none()
    );
    let short = [&on[..3], &[("ONE_LOGIN_EVENTS_CLIENT_SECRET", "short")]].concat();
    assert_eq!(from(&short).map(drop).map_err(origin), Err(Some(ConfigSource::Env("ONE_LOGIN_EVENTS_CLIENT_SECRET"))));
    assert_eq!(
        from(&on[..3]).map(drop).map_err(origin),
        Err(Some(ConfigSource::Env("ONE_LOGIN_EVENTS_CLIENT_SECRET")))
    );
    let http = [on.as_slice(), &[("ONE_LOGIN_EVENTS_JWKS_URL", "http://ssf.example/jwks.json")]].concat();
    assert_eq!(from(&http).map(drop).map_err(origin), Err(Some(ConfigSource::Env("ONE_LOGIN_EVENTS_JWKS_URL"))));
    let production = [&[("ONE_LOGIN_ENVIRONMENT", "production")], on.as_slice()].concat();
    let vars: Vec<(String, String)> =
        base[1..].iter().chain(&production).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let config = Config::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).unwrap();
    assert_eq!(
        config.security_events().unwrap().jwks_url(),
        "https://shared-signals-transmitter.transaction.account.gov.uk/jwks.json"
    );
}

#[tokio::test]
async fn the_event_routes_cannot_take_another_routes_path() {
    let mock = start().await;
    for path in ["/auth/login", "/auth/backchannel-logout", "/auth/callback"] {
        let err = config_for(&mock)
            .security_events(settings(&mock).receiver_path(path))
            .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
            .unwrap()
            .build()
            .unwrap_err();
        assert_eq!(err.origin(), Some(ConfigSource::Builder("EventsSettings::receiver_path")), "{path}");
    }
}

#[tokio::test]
async fn a_custom_environment_needs_the_transmitter_named() {
    let mock = start().await;
    let err = config_for(&mock)
        .security_events(EventsSettings::new(AUDIENCE, CLIENT, SECRET))
        .signing_key_pem(keys::RP_PRIVATE_KEY_PEM)
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(err.origin(), Some(ConfigSource::Builder("EventsSettings::issuer")));
}

// The receiver across instances, on every backend.
each_backend!(
    a_security_event_is_acted_on_once_on_any_instance,
    a_revocation_event_ends_sessions_on_every_instance,
    an_assurance_level_change_drops_the_identity_on_every_instance,
);

async fn events_engines(d: &Deployment, n: usize) -> Vec<OneLogin> {
    let mut engines = Vec::new();
    for _ in 0..n {
        engines.push(d.engine_with(|b| b.security_events(settings(&d.mock))).await);
    }
    engines
}

async fn a_security_event_is_acted_on_once_on_any_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = events_engines(&d, 3).await;
    let set = d.mock.security_event_token(user_event(&format!("{RISC}account-purged"), &unique_sub(), json!({})));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..12 {
        let (ol, set) = (engines[i % 3].clone(), set.clone());
        tasks.spawn(async move { ol.receive_security_event(&set).await.unwrap() });
    }
    let receipts = tasks.join_all().await;
    assert_eq!(receipts.iter().filter(|r| matches!(r, Receipt::Accepted { .. })).count(), 1, "{receipts:?}");
    assert_eq!(receipts.iter().filter(|r| **r == Receipt::Replay).count(), 11);
}

async fn a_revocation_event_ends_sessions_on_every_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    let engines = events_engines(&d, 2).await;
    let sub = unique_sub();
    let cookie = sign_in(&d.mock, &engines[0], &sub, Requirement::MEDIUM).await;
    assert!(engines[1].session(&cookie).await.unwrap().is_some());
    let set = d.mock.security_event_token(user_event(&format!("{CAEP}session-revoked"), &sub, json!({})));
    engines[1].receive_security_event(&set).await.unwrap();
    let id = govuk_one_login::SessionId::parse(&cookie).unwrap();
    crate::store::refused_within(&engines, &[id], backend.bound(), "a session-revoked event").await;
}

async fn an_assurance_level_change_drops_the_identity_on_every_instance(backend: Backend) {
    let d = Deployment::new(backend).await;
    d.mock.set_identity_level(Some("P2"));
    let engines = events_engines(&d, 2).await;
    let sub = unique_sub();
    let p2 = Requirement::IDENTITY_P2;
    let cookie = sign_in(&d.mock, &engines[0], &sub, p2).await;
    for ol in &engines {
        assert!(ol.session(&cookie).await.unwrap().unwrap().1.identity().is_some(), "both instances hold it");
    }
    let change =
        user_event(&format!("{CAEP}assurance-level-change"), &sub, json!({"namespace": "x", "current_level": "P0"}));
    engines[1].receive_security_event(&d.mock.security_event_token(change)).await.unwrap();
    let deadline = std::time::Instant::now() + backend.bound() + std::time::Duration::from_millis(500);
    for ol in &engines {
        loop {
            let (_, record) = ol.session(&cookie).await.unwrap().expect("still signed in");
            if record.identity().is_none() {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the identity was dropped on every instance within the bound"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test]
async fn the_transmitter_may_authenticate_with_a_client_assertion_once() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let mock = start().await;
    let endpoint = "https://service.example/auth/events/token";
    let key = EncodingKey::from_rsa_pem(keys::RP_PRIVATE_KEY_PEM.as_bytes()).unwrap();
    let jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    let ol = engine(&mock, &MemoryStore::new(), |s| s.private_key_jwt(endpoint, serde_json::to_string(&jwk).unwrap()));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let assertion = |edit: &dyn Fn(&mut serde_json::Map<String, Value>)| {
        let mut claims = serde_json::Map::new();
        for (k, v) in
            [("iss", json!(CLIENT)), ("sub", json!(CLIENT)), ("aud", json!(endpoint)), ("exp", json!(now + 60))]
        {
            claims.insert(k.into(), v);
        }
        claims.insert("jti".into(), json!(unique_sub()));
        edit(&mut claims);
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key).unwrap()
    };
    let form = |jwt: &str| {
        format!(
            "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={jwt}"
        )
    };
    let ask = |body: String, auth: Option<&'static str>| {
        let ol = ol.clone();
        async move {
            let request = EventRequest::new(Some(body.as_bytes()))
                .content_type(Some("application/x-www-form-urlencoded"))
                .authorization(auth);
            let answer = ol.events_token_route(&request).await;
            (answer.status.as_u16(), serde_json::from_str::<Value>(&answer.body).unwrap())
        }
    };
    let good = assertion(&|_| {});
    let (status, body) = ask(form(&good), None).await;
    assert_eq!(status, 200, "{body}");
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let set = mock.security_event_token(user_event(&format!("{RISC}account-purged"), &unique_sub(), json!({})));
    let pushed = EventRequest::new(Some(set.as_bytes()))
        .content_type(Some("application/secevent+jwt"))
        .authorization(Some(&bearer));
    assert_eq!(ol.events_route(&pushed).await.status, 202, "its token is good at the receiver");
    assert_eq!(ask(form(&good), None).await, (401, json!({"error": "invalid_client"})), "an assertion is good once");

    let other_key = EncodingKey::from_rsa_pem(keys::UNREGISTERED_RSA_PRIVATE_KEY_PEM.as_bytes()).unwrap();
    let foreign = {
        let claims = json!({"iss": CLIENT, "sub": CLIENT, "aud": endpoint, "exp": now + 60, "jti": unique_sub()});
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &other_key).unwrap()
    };
    let refused = [
        ("another key", foreign),
        (
            "another audience",
            assertion(&|c| {
                c.insert("aud".into(), json!("https://elsewhere.example/token"));
            }),
        ),
        (
            "another issuer",
            assertion(&|c| {
                c.insert("iss".into(), json!("someone"));
            }),
        ),
        (
            "another subject",
            assertion(&|c| {
                c.insert("sub".into(), json!("someone"));
            }),
        ),
        (
            "expired",
            assertion(&|c| {
                c.insert("exp".into(), json!(now - 120));
            }),
        ),
        (
            "valid too long",
            assertion(&|c| {
                c.insert("exp".into(), json!(now + 3600));
            }),
        ),
        (
            "no jti",
            assertion(&|c| {
                c.remove("jti");
            }),
        ),
    ];
    for (what, jwt) in refused {
        assert_eq!(ask(form(&jwt), None).await.0, 401, "{what}");
    }
    let basic: &'static str = Box::leak(
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT}:{SECRET}")))
            .into_boxed_str(),
    );
    assert_eq!(ask(form(&assertion(&|_| {})), Some(basic)).await.0, 400, "an assertion and a secret at once");
    let without = engine(&mock, &MemoryStore::new(), |s| s);
    let request = form(&assertion(&|_| {}));
    let answer = without
        .events_token_route(
            &EventRequest::new(Some(request.as_bytes())).content_type(Some("application/x-www-form-urlencoded")),
        )
        .await;
    assert_eq!(answer.status, 401, "not configured: refused");
}

use govuk_one_login::error::{TokenError, TokenKind};
use govuk_one_login::{Error, Requirement};
use serde_json::json;

use crate::*;

type Edit = dyn FnOnce(&mut jsonwebtoken::Header, &mut serde_json::Map<String, serde_json::Value>);

fn token_err(r: Result<govuk_one_login::Subject, Error>) -> TokenError {
    match r {
        Err(Error::Token { kind: TokenKind::LogoutToken, source }) => source,
        other => panic!("expected a logout token error, got {other:?}"),
    }
}

#[tokio::test]
async fn end_session_url_carries_hint_redirect_and_state() {
    let h = harness().await;
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let url = h.ol.end_session_url(Some(&out.session.id_token()), Some("abc")).await.unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert!(url.as_str().starts_with(&format!("{}logout?", h.mock.issuer())));
    assert_eq!(q["id_token_hint"], out.session.id_token().secret());
    assert_eq!(q["post_logout_redirect_uri"], POST_LOGOUT_URI);
    assert_eq!(q["state"], "abc");
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], format!("{POST_LOGOUT_URI}?state=abc"));
    assert!(h.mock.end_sessions()[0].valid_hint);
}

#[tokio::test]
async fn sign_out_ends_the_local_session_first() {
    let h = harness().await;
    let out = h.login(Requirement::MEDIUM).await.unwrap();
    let url = h.ol.sign_out(Some(out.session_id)).await.unwrap();
    assert!(url.query_pairs().any(|(k, v)| k == "id_token_hint" && v == out.session.id_token().secret()));
    assert!(h.ol.session(&out.session_id.to_cookie_value()).await.unwrap().is_none());
}

#[tokio::test]
async fn backchannel_logout_ends_every_session_of_the_subject_and_refuses_replays() {
    let h = harness().await;
    let a = h.login(Requirement::MEDIUM).await.unwrap();
    let b = h.login(Requirement::IDENTITY_P2).await.unwrap();
    let token = h.mock.logout_token(a.session.subject().as_str());
    assert_eq!(h.ol.backchannel_logout(&token).await.unwrap(), 2);
    for id in [a.session_id, b.session_id] {
        assert!(h.ol.session(&id.to_cookie_value()).await.unwrap().is_none());
    }
    assert_eq!(token_err(h.ol.verify_logout_token(&token).await), TokenError::Replayed);
    let err = h.ol.backchannel_logout(&token).await.unwrap_err();
    assert_eq!(err.http_status(), 400);
}

#[tokio::test]
async fn another_subjects_logout_leaves_sessions_alone() {
    let h = harness().await;
    let a = h.login(Requirement::MEDIUM).await.unwrap();
    let token = h.mock.logout_token("urn:fdc:gov.uk:2022:someone-else");
    assert_eq!(h.ol.backchannel_logout(&token).await.unwrap(), 0);
    assert!(h.ol.session(&a.session_id.to_cookie_value()).await.unwrap().is_some());
}

#[tokio::test]
async fn logout_token_checks() {
    let h = harness().await;
    let sub = "urn:fdc:gov.uk:2022:abc";
    assert_eq!(h.ol.verify_logout_token(&h.mock.logout_token(sub)).await.unwrap().as_str(), sub);
    // A missing typ is accepted (One Login's docs example has none).
    assert!(h.ol.verify_logout_token(&h.mock.logout_token_with(sub, |hd, _| hd.typ = None)).await.is_ok());

    // Nonce, missing or extra events, expiry, `sid` only and replays are in `matrix`.
    let cases: Vec<(Box<Edit>, TokenError)> = vec![
        (Box::new(|hd, _| hd.typ = Some("JWT".into())), TokenError::WrongType("JWT".into())),
        (
            Box::new(|_, c| {
                c.insert("events".into(), json!({"http://schemas.openid.net/event/backchannel-logout": {"x": 1}}));
            }),
            TokenError::BadEvents,
        ),
        (
            Box::new(|_, c| {
                c.remove("sub");
            }),
            TokenError::MissingClaim("sub"),
        ),
        (
            Box::new(|_, c| {
                c.remove("jti");
            }),
            TokenError::MissingClaim("jti"),
        ),
        (
            Box::new(|_, c| {
                c.remove("iat");
            }),
            TokenError::MissingClaim("iat"),
        ),
        (
            Box::new(|_, c| {
                c.insert("aud".into(), json!("another-client"));
            }),
            TokenError::WrongAudience { expected: CLIENT_ID.into() },
        ),
        (
            Box::new(|_, c| {
                c.insert("iss".into(), json!("https://evil.example/"));
            }),
            TokenError::WrongIssuer { expected: String::new(), found: String::new() },
        ),
        (
            Box::new(|_, c| {
                let now = c["iat"].as_i64().unwrap();
                c.insert("iat".into(), json!(now + 3600));
                c.insert("exp".into(), json!(now + 3700));
            }),
            TokenError::NotYetValid { by: Duration::ZERO },
        ),
    ];
    for (edit, expected) in cases {
        let got = token_err(h.ol.verify_logout_token(&h.mock.logout_token_with(sub, edit)).await);
        assert_eq!(
            std::mem::discriminant(&got),
            std::mem::discriminant(&expected),
            "got {got:?}, expected {expected:?}"
        );
        if matches!(
            expected,
            TokenError::WrongType(_)
                | TokenError::WrongAudience { .. }
                | TokenError::MissingClaim(_)
                | TokenError::NonceForbidden
                | TokenError::BadEvents
        ) {
            assert_eq!(got, expected);
        }
    }
}

#[tokio::test]
async fn forged_and_malformed_logout_tokens() {
    use base64::Engine as _;
    let h = harness().await;
    let good = h.mock.logout_token("urn:fdc:gov.uk:2022:abc");
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value = serde_json::from_slice(&engine.decode(&parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("urn:fdc:gov.uk:2022:victim");
    parts[1] = engine.encode(claims.to_string());
    assert_eq!(token_err(h.ol.verify_logout_token(&parts.join(".")).await), TokenError::BadSignature);

    for junk in ["", "abc", "a.b.c", "....", &"x".repeat(100_000)] {
        assert!(matches!(token_err(h.ol.verify_logout_token(junk).await), TokenError::Malformed(_)), "{junk:.10}");
    }
    let rs = {
        let mut hd = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        hd.kid = Some("k".into());
        jsonwebtoken::encode(&hd, &json!({"sub": "x"}), &jsonwebtoken::EncodingKey::from_secret(b"secret")).unwrap()
    };
    assert!(matches!(token_err(h.ol.verify_logout_token(&rs).await), TokenError::AlgorithmNotAllowed { .. }));
}

#[tokio::test]
async fn each_subject_keeps_a_bounded_number_of_sessions_and_all_are_revoked() {
    use govuk_one_login::store::MAX_SESSIONS_PER_SUBJECT;
    let h = harness_with(|b| b.request_objects(false)).await;
    let mut ids = Vec::new();
    for _ in 0..MAX_SESSIONS_PER_SUBJECT + 2 {
        ids.push(h.login(Requirement::LOW).await.unwrap().session_id);
    }
    let live = |id: SessionId| {
        let ol = h.ol.clone();
        async move { ol.session(&id.to_cookie_value()).await.unwrap().is_some() }
    };
    assert!(!live(ids[0]).await && !live(ids[1]).await, "the oldest sessions were ended");
    assert!(live(ids[2]).await && live(*ids.last().unwrap()).await);
    let sub = govuk_one_login_mock::TestUser::default().sub;
    assert_eq!(h.ol.backchannel_logout(&h.mock.logout_token(&sub)).await.unwrap(), MAX_SESSIONS_PER_SUBJECT);
    for id in ids {
        assert!(!live(id).await);
    }
}

/// A logout token marking an extension critical (RFC 7515 §4.1.11) is refused, through the
/// route as 400; a forged `kid` with a newline reaches the error only as visible ASCII.
#[tokio::test]
async fn critical_extensions_and_forged_header_values_are_refused() {
    let h = harness().await;
    let sub = "urn:fdc:gov.uk:2022:crit";
    let token = h.mock.logout_token_with(sub, |hd, _| hd.crit = Some(vec!["exp".into()]));
    assert!(matches!(token_err(h.ol.verify_logout_token(&token).await), TokenError::UnsupportedCritical(_)));
    let post = govuk_one_login::web::RequestInfo::new("POST", "/auth/backchannel-logout")
        .content_type(Some("application/x-www-form-urlencoded"));
    let r = h.ol.backchannel_logout_route(&post, format!("logout_token={token}").as_bytes()).await;
    assert_eq!(r.status, 400);

    let forged = h.mock.logout_token_with(sub, |hd, _| hd.kid = Some("k\nlevel=ERROR forged line".into()));
    let error = h.ol.verify_logout_token(&forged).await.unwrap_err();
    assert!(!error.to_string().contains('\n') && error.to_string().contains("k?level"), "{error}");
}

/// A person signed out by a back-channel logout who signs straight back in gets a session that
/// works, even within the same second: the revocation ends the sessions whose sign-in began
/// before it, not the one that follows it.
/// (Both times were whole seconds, so such a sign-in was refused at once and the browser sent
/// to One Login again; they are microseconds now.)
#[tokio::test]
async fn signing_back_in_right_after_a_backchannel_logout_gives_a_working_session() {
    let h = harness().await;
    for round in 0..3 {
        let before = h.login(Requirement::MEDIUM).await.unwrap();
        let token = h.mock.logout_token(before.session.subject().as_str());
        // With the previous round's second session, which this logout ends too.
        assert_eq!(h.ol.backchannel_logout(&token).await.unwrap(), round.min(1) + 1, "round {round}");
        let again = h.login(Requirement::MEDIUM).await.unwrap();
        assert!(
            h.ol.session(&again.session_id.to_cookie_value()).await.unwrap().is_some(),
            "round {round}: the sign-in completed after the logout gives a live session"
        );
        assert!(h.ol.session(&before.session_id.to_cookie_value()).await.unwrap().is_none(), "round {round}");
    }
}

/// A store whose `take_pending` is slow enough for a back-channel logout of `subject` to land
/// while the callback waits for it (as a round trip to Redis can be).
#[derive(Debug, Clone)]
struct RevokesWhileTaking {
    inner: govuk_one_login::store::MemoryStore,
    subject: govuk_one_login::Subject,
}

#[async_trait::async_trait]
impl govuk_one_login::store::Store for RevokesWhileTaking {
    fn backend(&self) -> &'static str {
        "revokes-while-taking"
    }
    async fn put_pending(
        &self,
        login: &govuk_one_login::store::PendingLogin,
        expires_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.put_pending(login, expires_at, now).await
    }
    async fn take_pending(
        &self,
        state: &govuk_one_login::State,
    ) -> Result<Option<govuk_one_login::store::PendingLogin>, govuk_one_login::store::StoreError> {
        let taken = self.inner.take_pending(state).await?;
        tokio::time::sleep(Duration::from_millis(5)).await;
        let at = time::OffsetDateTime::now_utc();
        self.inner.revoke_subject(&self.subject, at, at + secs(3600), at, None).await?;
        tokio::time::sleep(Duration::from_millis(5)).await;
        Ok(taken)
    }
    async fn insert_if_absent(
        &self,
        key: &govuk_one_login::store::ReplayKey,
        expires_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<bool, govuk_one_login::store::StoreError> {
        self.inner.insert_if_absent(key, expires_at, now).await
    }
    async fn remove_replay(
        &self,
        key: &govuk_one_login::store::ReplayKey,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.remove_replay(key).await
    }
    async fn drop_identity(
        &self,
        subject: &govuk_one_login::Subject,
        now: time::OffsetDateTime,
    ) -> Result<usize, govuk_one_login::store::StoreError> {
        self.inner.drop_identity(subject, now).await
    }
    async fn create_session(
        &self,
        id: &SessionId,
        record: std::sync::Arc<govuk_one_login::SessionRecord>,
        idle_until: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.create_session(id, record, idle_until, now).await
    }
    async fn load_session(
        &self,
        id: &SessionId,
        now: time::OffsetDateTime,
    ) -> Result<Option<govuk_one_login::store::LoadedSession>, govuk_one_login::store::StoreError> {
        self.inner.load_session(id, now).await
    }
    async fn touch_session(
        &self,
        id: &SessionId,
        record: &govuk_one_login::SessionRecord,
        idle_until: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.touch_session(id, record, idle_until, now).await
    }
    async fn delete_session(
        &self,
        id: &SessionId,
        subject: &govuk_one_login::Subject,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.delete_session(id, subject).await
    }
    async fn count_sessions(
        &self,
        subject: &govuk_one_login::Subject,
        now: time::OffsetDateTime,
    ) -> Result<usize, govuk_one_login::store::StoreError> {
        self.inner.count_sessions(subject, now).await
    }
    async fn revoke_subject(
        &self,
        subject: &govuk_one_login::Subject,
        at: time::OffsetDateTime,
        keep_until: time::OffsetDateTime,
        now: time::OffsetDateTime,
        once: Option<(&govuk_one_login::store::ReplayKey, time::OffsetDateTime)>,
    ) -> Result<Option<usize>, govuk_one_login::store::StoreError> {
        self.inner.revoke_subject(subject, at, keep_until, now, once).await
    }
}

#[async_trait::async_trait]
impl govuk_one_login::store::SessionDataStore for RevokesWhileTaking {
    async fn load_data(
        &self,
        id: &SessionId,
        subject: &govuk_one_login::Subject,
        now: time::OffsetDateTime,
    ) -> Result<govuk_one_login::store::SessionData, govuk_one_login::store::StoreError> {
        self.inner.load_data(id, subject, now).await
    }
    async fn write_data(
        &self,
        id: &SessionId,
        subject: &govuk_one_login::Subject,
        name: &str,
        value: Option<&str>,
        expires_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.write_data(id, subject, name, value, expires_at, now).await
    }
    async fn move_data(
        &self,
        from: &SessionId,
        to: &SessionId,
        subject: &govuk_one_login::Subject,
        expires_at: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.move_data(from, to, subject, expires_at, now).await
    }
    async fn delete_data(
        &self,
        id: &SessionId,
        subject: &govuk_one_login::Subject,
    ) -> Result<(), govuk_one_login::store::StoreError> {
        self.inner.delete_data(id, subject).await
    }
}

/// A callback already under way when a back-channel logout of its user is recorded (here,
/// while the pending login is taken from the store) gives no session that outlives the logout:
/// the sign-in began when the callback arrived, before the revocation.
/// (It began only after the pending login was taken, so such a session lived.)
#[tokio::test]
async fn a_callback_under_way_when_a_logout_lands_gives_no_session() {
    let plain = harness().await;
    let subject = plain.login(Requirement::MEDIUM).await.unwrap().session.subject().clone();
    let store = RevokesWhileTaking { inner: govuk_one_login::store::MemoryStore::new(), subject };
    let h =
        Harness { ol: OneLogin::builder(plain.ol.config().clone()).store(store).build().unwrap(), mock: plain.mock };
    let outcome = h.login(Requirement::MEDIUM).await.unwrap();
    assert!(
        h.ol.session(&outcome.session_id.to_cookie_value()).await.unwrap().is_none(),
        "the sign-in under way when the logout was recorded must not live"
    );
}

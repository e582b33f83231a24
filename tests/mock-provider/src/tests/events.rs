//! The transmitter against a tiny receiver of the test's own, and the verification endpoint.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::{Map, Value, json};

use super::client;
use crate::events::{VERIFICATION_SSE, VERIFICATION_SSF};
use crate::{
    ClientAuth, EventsReceiver, MockProvider, PushRequest, VERIFICATION_CLIENT_ID, VERIFICATION_CLIENT_SECRET,
};

const RP_CLIENT: &str = "rp-ssf-client";
const RP_SECRET: &str = "rp-ssf-secret-of-a-good-length";
const AUDIENCE: &str = "receiver.example";
const PURGED: &str = "https://schemas.openid.net/secevent/risc/event-type/account-purged";
const SUB: &str = "urn:fdc:gov.uk:2022:someone";

/// What the test's receiver saw.
#[derive(Default)]
struct Seen {
    token_calls: usize,
    tokens: Vec<String>,
    sets: Vec<String>,
}

#[derive(Clone)]
struct Rp {
    auth: ClientAuth,
    key: Arc<DecodingKey>,
    issuer: String,
    seen: Arc<Mutex<Seen>>,
}

/// A receiver on loopback: a token endpoint taking the client only as `auth` says, and a push
/// endpoint checking the bearer token and the content type, then the SET (the transmitter's
/// published key, `iss`, `aud`): 202, else 400 `invalid_key` or 401/415.
struct Receiver {
    base: String,
    seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    async fn start(mock: &MockProvider, auth: ClientAuth) -> Receiver {
        let rp =
            Rp { auth, key: Arc::new(transmitter_key(mock).await), issuer: mock.events_issuer(), seen: Arc::default() };
        let seen = rp.seen.clone();
        let app = Router::new().route("/token", post(rp_token)).route("/events", post(rp_events)).with_state(rp);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, seen, task }
    }

    fn registration(&self, secret: &str) -> EventsReceiver {
        EventsReceiver::new(
            format!("{}/events", self.base),
            format!("{}/token", self.base),
            RP_CLIENT,
            secret,
            AUDIENCE,
        )
    }

    fn token_calls(&self) -> usize {
        self.seen.lock().unwrap().token_calls
    }

    /// Forgets every token issued, as a receiver whose secret or signing key changed would.
    fn revoke_tokens(&self) {
        self.seen.lock().unwrap().tokens.clear();
    }

    fn sets(&self) -> Vec<String> {
        self.seen.lock().unwrap().sets.clone()
    }
}

async fn rp_token(State(rp): State<Rp>, headers: HeaderMap, body: Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.iter().find(|(name, _)| name == k).map(|(_, v)| v.as_str());
    let basic =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{RP_CLIENT}:{RP_SECRET}")));
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let client_ok = match rp.auth {
        ClientAuth::Basic => authorization == Some(basic.as_str()) && field("client_secret").is_none(),
        ClientAuth::Form => {
            authorization.is_none()
                && field("client_id") == Some(RP_CLIENT)
                && field("client_secret") == Some(RP_SECRET)
        }
    };
    let is_form = headers.get(header::CONTENT_TYPE).is_some_and(|v| v == "application/x-www-form-urlencoded");
    let mut seen = rp.seen.lock().unwrap();
    seen.token_calls += 1;
    if !client_ok || !is_form {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"error": "invalid_client"}))).into_response();
    }
    if field("grant_type") != Some("client_credentials") {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "unsupported_grant_type"}))).into_response();
    }
    let token = format!("token-{}", seen.token_calls);
    seen.tokens.push(token.clone());
    axum::Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600})).into_response()
}

async fn rp_events(State(rp): State<Rp>, headers: HeaderMap, body: String) -> Response {
    let get = |name| headers.get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    let token = get(header::AUTHORIZATION).and_then(|a| a.strip_prefix("Bearer "));
    if !token.is_some_and(|t| rp.seen.lock().unwrap().tokens.iter().any(|known| known == t)) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")])
            .into_response();
    }
    if get(header::CONTENT_TYPE) != Some("application/secevent+jwt") || get(header::ACCEPT) != Some("application/json")
    {
        return StatusCode::UNSUPPORTED_MEDIA_TYPE.into_response();
    }
    rp.seen.lock().unwrap().sets.push(body.clone());
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[AUDIENCE]);
    v.set_issuer(&[&rp.issuer]);
    v.required_spec_claims.clear();
    match jsonwebtoken::decode::<Value>(&body, &rp.key, &v) {
        Ok(_) => StatusCode::ACCEPTED.into_response(),
        Err(e) => {
            let body = json!({"err": "invalid_key", "description": e.to_string()});
            (StatusCode::BAD_REQUEST, axum::Json(body)).into_response()
        }
    }
}

/// The mock's transmitter key set, fetched as a receiver would.
async fn transmitter_jwks(mock: &MockProvider) -> JwkSet {
    client().get(mock.events_jwks_url()).send().await.unwrap().json().await.unwrap()
}

async fn transmitter_key(mock: &MockProvider) -> DecodingKey {
    let set = transmitter_jwks(mock).await;
    DecodingKey::from_jwk(&set.keys[0]).unwrap()
}

fn decode(set: &str, key: &DecodingKey, aud: &str) -> jsonwebtoken::errors::Result<jsonwebtoken::TokenData<Value>> {
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[aud]);
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(set, key, &v)
}

/// A compact JWS's header and claims, unverified.
fn parts(jws: &str) -> (Value, Value) {
    let b64 = |s: &str| -> Value {
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap()
    };
    let mut it = jws.split('.');
    (b64(it.next().unwrap()), b64(it.next().unwrap()))
}

fn event() -> Value {
    json!({ PURGED: { "subject": { "format": "uri", "uri": SUB } } })
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

#[tokio::test]
async fn the_transmitter_key_set_holds_its_own_key_and_its_sets_verify_with_it() {
    let mock = MockProvider::start().await;
    let r = client().get(mock.events_jwks_url()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "max-age=300");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let set: Value = r.json().await.unwrap();
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{set}");
    assert_eq!((keys[0]["kty"].as_str(), keys[0]["alg"].as_str()), (Some("RSA"), Some("RS256")));
    assert!(keys[0].get("d").is_none() && keys[0].get("p").is_none(), "never the private parts");
    let op: Value =
        client().get(format!("{}.well-known/jwks.json", mock.issuer())).send().await.unwrap().json().await.unwrap();
    let kid = keys[0]["kid"].as_str().unwrap();
    assert!(op["keys"].as_array().unwrap().iter().all(|k| k["kid"] != kid && k.get("n") != keys[0].get("n")));
    assert_eq!(mock.hits("/ssf/jwks.json"), 1);
    assert_eq!(mock.events_issuer(), format!("{}ssf/", mock.issuer()));

    let key = transmitter_key(&mock).await;
    let token = mock.security_event_token(event());
    let data = decode(&token, &key, "test-audience").expect("verifies with the published key");
    assert_eq!(data.header.typ.as_deref(), Some("secevent+jwt"));
    assert_eq!(data.header.kid.as_deref(), Some(kid));
    assert_eq!(data.header.alg, Algorithm::RS256);
    let claims = data.claims;
    assert_eq!(claims["iss"], mock.events_issuer());
    assert_eq!(claims["events"], event());
    assert!((claims["iat"].as_i64().unwrap() - crate::tokens::now()).abs() <= 5);
    assert!(claims.get("sub").is_none() && claims.get("exp").is_none());
    let again = parts(&mock.security_event_token(event())).1;
    assert!(!claims["jti"].as_str().unwrap().is_empty());
    assert_ne!(claims["jti"], again["jti"], "a fresh jti each time");

    mock.register_events_receiver(EventsReceiver::new(
        "http://127.0.0.1:9/e",
        "http://127.0.0.1:9/t",
        "c",
        "s",
        AUDIENCE,
    ));
    assert_eq!(parts(&mock.security_event_token(event())).1["aud"], AUDIENCE, "the registered audience");
    assert_eq!(mock.user_event(PURGED, SUB, json!({ "reason": "x" }))[PURGED]["reason"], "x");
    assert_eq!(mock.user_event(PURGED, SUB, json!({})), event());
}

#[tokio::test]
async fn the_unpublished_transmitter_key_does_not_verify() {
    let mock = MockProvider::start().await;
    let key = transmitter_key(&mock).await;
    let published = transmitter_jwks(&mock).await.keys[0].common.key_id.clone().unwrap();
    let unpublished = mock.security_event_token_unpublished(event());
    let (header, _) = parts(&unpublished);
    assert_ne!(header["kid"], published.as_str(), "a kid not in the key set either");
    assert!(decode(&unpublished, &key, "test-audience").is_err());

    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(published);
    let claims = parts(&mock.security_event_token(event())).1;
    let forged = mock.sign_with_unpublished_transmitter_key(header.clone(), &claims);
    let err = decode(&forged, &key, "test-audience").unwrap_err();
    assert_eq!(*err.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature);
    assert!(decode(&mock.sign_with_transmitter_key(header, &claims), &key, "test-audience").is_ok());
}

#[tokio::test]
async fn edits_of_a_set_take_effect_before_it_is_signed() {
    let mock = MockProvider::start().await;
    let key = transmitter_key(&mock).await;
    let edited = mock.security_event_token_with(event(), |h, c: &mut Map<String, Value>| {
        h.typ = None;
        h.kid = Some("someone-else".into());
        c.insert("iss".into(), json!("https://ssf.account.gov.uk/"));
        c.remove("jti");
    });
    let (header, claims) = parts(&edited);
    assert!(header.get("typ").is_none(), "{header}");
    assert_eq!(header["kid"], "someone-else");
    assert_eq!(claims["iss"], "https://ssf.account.gov.uk/");
    assert!(claims.get("jti").is_none());
    assert!(decode(&edited, &key, "test-audience").is_ok(), "still signed with the published key");

    let hs = mock.security_event_token_with(event(), |h, _| h.alg = Algorithm::HS256);
    assert_eq!(parts(&hs).0["alg"], "HS256");
}

#[tokio::test]
async fn pushes_reach_the_receiver_with_either_client_auth_and_reuse_the_token() {
    for auth in [ClientAuth::Basic, ClientAuth::Form] {
        let mock = MockProvider::start().await;
        let rp = Receiver::start(&mock, auth).await;
        mock.register_events_receiver(rp.registration(RP_SECRET).auth(auth));
        let first = mock.push_event(event()).await;
        assert_eq!((first.status, first.body.as_str()), (202, ""), "{auth:?}: {first:?}");
        let set = mock.security_event_token(event());
        assert_eq!(mock.push_security_event(&set).await.status, 202);
        assert_eq!(rp.token_calls(), 1, "{auth:?}: the cached token is used again");
        assert_eq!(rp.sets().last(), Some(&set), "the SET is the body");
        mock.forget_events_token();
        assert_eq!(mock.push_event(event()).await.status, 202);
        assert_eq!(rp.token_calls(), 2, "{auth:?}: a new token once forgotten");

        let refused = mock.push_security_event(&mock.security_event_token_unpublished(event())).await;
        assert_eq!(refused.status, 400);
        assert_eq!(serde_json::from_str::<Value>(&refused.body).unwrap()["err"], "invalid_key", "{refused:?}");
        assert_eq!(refused.content_type.as_deref(), Some("application/json"));
        assert_eq!(mock.pushes().iter().map(|p| p.status).collect::<Vec<_>>(), [202, 202, 202, 400]);

        let (status, body) = mock.events_token().await.unwrap();
        assert_eq!((status, body["token_type"].as_str()), (200, Some("Bearer")));
        assert_eq!(rp.token_calls(), 3, "the raw token request leaves the cache be");
        assert_eq!(mock.push_event(event()).await.status, 202);
        assert_eq!(rp.token_calls(), 3);

        rp.revoke_tokens();
        assert_eq!(mock.push_event(event()).await.status, 401, "the cached token is refused, not retried");
        assert_eq!(mock.push_event(event()).await.status, 202, "and dropped: a new one is asked for");
        assert_eq!(rp.token_calls(), 4);
    }
}

#[tokio::test]
async fn a_refused_token_request_is_the_push_outcome() {
    let mock = MockProvider::start().await;
    let rp = Receiver::start(&mock, ClientAuth::Basic).await;
    mock.register_events_receiver(rp.registration("not-the-secret"));
    let pushed = mock.push_event(event()).await;
    assert_eq!(pushed.status, 401, "{pushed:?}");
    assert_eq!(serde_json::from_str::<Value>(&pushed.body).unwrap()["error"], "invalid_client");
    assert!(rp.sets().is_empty(), "no SET without a token");
    assert_eq!(mock.events_token().await.unwrap().0, 401);
    assert!(!format!("{:?}", rp.registration("not-the-secret")).contains("not-the-secret"), "Debug hides the secret");

    let nobody = MockProvider::start().await;
    let pushed = nobody.push_event(event()).await;
    assert_eq!(pushed.status, 0, "no receiver: {pushed:?}");
}

#[tokio::test]
async fn push_requests_override_the_token_the_content_type_and_the_body() {
    let mock = MockProvider::start().await;
    let rp = Receiver::start(&mock, ClientAuth::Basic).await;
    mock.register_events_receiver(rp.registration(RP_SECRET));
    let set = mock.security_event_token(event());
    let none = mock.push_security_event_with(&set, PushRequest::default().without_token()).await;
    assert_eq!(none.status, 401);
    assert!(none.www_authenticate.as_deref().is_some_and(|c| c.starts_with("Bearer")), "{none:?}");
    assert_eq!(rp.token_calls(), 0, "no token asked for");
    let other = mock.push_security_event_with(&set, PushRequest::default().token("made-up")).await;
    assert_eq!(other.status, 401);
    assert!(!format!("{:?}", PushRequest::default().token("made-up")).contains("made-up"), "Debug hides the token");
    let json = mock.push_security_event_with(&set, PushRequest::default().content_type("application/json")).await;
    assert_eq!(json.status, 415);
    let body = mock.push_security_event_with(&set, PushRequest::default().body(b"not a SET".to_vec())).await;
    assert_eq!(body.status, 400);
    assert_eq!(rp.sets().last().map(String::as_str), Some("not a SET"));
}

#[tokio::test]
async fn verification_requests_get_204_then_a_verification_set_with_the_state() {
    let mock = MockProvider::start().await;
    let rp = Receiver::start(&mock, ClientAuth::Basic).await;
    mock.register_events_receiver(rp.registration(RP_SECRET));
    let verify = |auth: String, body: &'static str| {
        client()
            .post(mock.events_verification_url())
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let good = || basic(VERIFICATION_CLIENT_ID, VERIFICATION_CLIENT_SECRET);
    let r = verify(good(), r#"{"state":"state-1"}"#).await.unwrap();
    assert_eq!(r.status(), 204);
    let pushes = mock.wait_for_verification_pushes(1).await;
    assert_eq!(pushes.iter().map(|p| p.status).collect::<Vec<_>>(), [202], "{pushes:?}");
    let (header, claims) = parts(rp.sets().last().unwrap());
    assert_eq!(header["typ"], "secevent+jwt");
    assert_eq!(claims["events"], json!({ VERIFICATION_SSE: { "state": "state-1" } }));
    assert!(claims.get("sub_id").is_none(), "as One Login sends it");
    assert_eq!(claims["aud"], AUDIENCE);

    let wrong = verify(basic(VERIFICATION_CLIENT_ID, "wrong"), r#"{"state":"s"}"#).await.unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(client().post(mock.events_verification_url()).body("{}").send().await.unwrap().status(), 401);
    let bad = verify(good(), "{not json").await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["err"], "invalid_request");
    let long: &'static str = Box::leak(format!(r#"{{"state":"{}"}}"#, "s".repeat(1025)).into_boxed_str());
    assert_eq!(verify(good(), long).await.unwrap().status(), 400, "state of more than 1,024 characters");
    assert_eq!(verify(good(), r#"{"state":"s","stream_id":"no spaces"}"#).await.unwrap().status(), 400);
    assert_eq!(mock.verification_requests(), 1);

    mock.set_verification_uri_ssf(true);
    mock.set_verification_credentials("mine", "my-secret");
    assert_eq!(verify(good(), "{}").await.unwrap().status(), 401, "the old credentials no longer do");
    assert_eq!(verify(basic("mine", "my-secret"), r#"{"stream_id":"stream-7"}"#).await.unwrap().status(), 204);
    assert_eq!(mock.wait_for_verification_pushes(2).await.len(), 2);
    let (_, claims) = parts(rp.sets().last().unwrap());
    assert_eq!(claims["events"], json!({ VERIFICATION_SSF: {} }), "no state asked, none sent");
    assert_eq!(claims["sub_id"], json!({ "format": "opaque", "id": "stream-7" }));
    assert_eq!(mock.verification_requests(), 2);
    assert_eq!(mock.pushes().len(), 2, "verification pushes are pushes too");
}

#[tokio::test]
async fn the_verification_token_endpoint_issues_bearer_tokens_verify_takes() {
    let mock = MockProvider::start().await;
    let rp = Receiver::start(&mock, ClientAuth::Basic).await;
    mock.register_events_receiver(rp.registration(RP_SECRET));
    let token = |auth: Option<String>, form: &[(&str, &str)]| {
        let mut request = client().post(mock.events_token_url()).form(form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move {
            let r = request.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let grant = [("grant_type", "client_credentials")];
    let (status, body) = token(Some(basic(VERIFICATION_CLIENT_ID, VERIFICATION_CLIENT_SECRET)), &grant).await;
    assert_eq!((status, body["token_type"].as_str(), body["expires_in"].as_u64()), (200, Some("Bearer"), Some(3600)));
    let access = body["access_token"].as_str().unwrap().to_owned();
    let in_form = [
        ("grant_type", "client_credentials"),
        ("client_id", VERIFICATION_CLIENT_ID),
        ("client_secret", VERIFICATION_CLIENT_SECRET),
    ];
    assert_eq!(token(None, &in_form).await.0, 200, "client_secret_post");
    let (status, body) = token(Some(basic(VERIFICATION_CLIENT_ID, "wrong")), &grant).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(token(None, &grant).await.0, 401, "no client authentication");
    let password = [("grant_type", "password")];
    let (status, body) = token(Some(basic(VERIFICATION_CLIENT_ID, VERIFICATION_CLIENT_SECRET)), &password).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));

    let verify = |auth: String| {
        client().post(mock.events_verification_url()).header("authorization", auth).body(r#"{"state":"b"}"#).send()
    };
    assert_eq!(verify(format!("Bearer {access}")).await.unwrap().status(), 204);
    assert_eq!(verify("Bearer not-issued".into()).await.unwrap().status(), 401);
    assert_eq!(mock.wait_for_verification_pushes(1).await[0].status, 202);
    assert_eq!(parts(rp.sets().last().unwrap()).1["events"][VERIFICATION_SSE]["state"], "b");
}

#[tokio::test]
async fn the_signal_exchange_routes_answer_in_process_too() {
    let mock = MockProvider::start().await;
    let request = http::Request::get("/ssf/jwks.json").header("user-agent", "t").body(Vec::new()).unwrap();
    let answer = mock.answer(request).await;
    assert_eq!(answer.status(), 200);
    let set: Value = serde_json::from_slice(answer.body()).unwrap();
    assert_eq!(set, crate::tokens::ssf_jwks());
}

#[test]
#[should_panic(expected = "loopback only")]
fn receivers_are_on_loopback_only() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mock = runtime.block_on(MockProvider::start());
    mock.register_events_receiver(EventsReceiver::new(
        "https://rp.example/events",
        "http://127.0.0.1:9/t",
        "c",
        "s",
        "a",
    ));
}

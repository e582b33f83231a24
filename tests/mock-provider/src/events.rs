//! The security-event transmitter: One Login's Signal Exchange toward a relying party's
//! receiver. Security event tokens (RFC 8417) signed with the transmitter's own RS256 key,
//! pushed (RFC 8935) with a bearer token from the receiver's client-credentials token endpoint
//! (RFC 6749 §4.4).

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, Header};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE};
use serde_json::{Map, Value, json};

use crate::Shared;
use crate::tokens::{self, now, random};

/// The content type of a pushed SET (RFC 8935 §2).
const SET_CONTENT_TYPE: &str = "application/secevent+jwt";
/// The audience of SETs built before a receiver is registered.
const DEFAULT_AUDIENCE: &str = "test-audience";
/// A cached access token is dropped this long before the token endpoint said it expires.
const EARLY: Duration = Duration::from_secs(30);
/// The verification event type One Login sends (the pre-1.0 "SSE" URI).
pub(crate) const VERIFICATION_SSE: &str = "https://schemas.openid.net/secevent/sse/event-type/verification";
/// The SSF 1.0 verification event type.
pub(crate) const VERIFICATION_SSF: &str = "https://schemas.openid.net/secevent/ssf/event-type/verification";
/// The stream id a 1.0-style verification names when the request named none.
const DEFAULT_STREAM: &str = "default-stream";

/// How the transmitter authenticates at the receiver's token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// HTTP Basic (`client_secret_basic`), the default.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Form,
}

/// A relying party's security-event receiver, as its team registers it with One Login's Signal
/// Exchange: where SETs are pushed, where the transmitter gets its bearer token, with which
/// client credentials, and the audience SETs carry. Debug leaves the secret out.
#[derive(Clone)]
#[non_exhaustive]
pub struct EventsReceiver {
    /// Where SETs are POSTed (the receiver's push endpoint).
    pub push_url: String,
    /// The receiver's OAuth 2.0 token endpoint (client-credentials grant).
    pub token_url: String,
    /// The client id the transmitter authenticates with.
    pub client_id: String,
    /// The client secret the transmitter authenticates with.
    pub client_secret: String,
    /// The `aud` of every SET built for this receiver.
    pub audience: String,
    /// How the transmitter authenticates at `token_url`.
    pub auth: ClientAuth,
}

impl EventsReceiver {
    /// A receiver whose token endpoint takes HTTP Basic client authentication.
    pub fn new(
        push_url: impl Into<String>,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            push_url: push_url.into(),
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            audience: audience.into(),
            auth: ClientAuth::Basic,
        }
    }

    /// Chooses how the transmitter authenticates at the token endpoint.
    pub fn auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }
}

impl std::fmt::Debug for EventsReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventsReceiver")
            .field("push_url", &self.push_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("audience", &self.audience)
            .field("auth", &self.auth)
            .finish()
    }
}

/// What a push got back: the receiver's answer to the SET, or, when no bearer token could be
/// had, the token endpoint's answer instead.
///
/// `status` 0 means no usable HTTP answer: no receiver registered, the connection failed, or
/// the token endpoint answered 200 with something that is not a bearer token answer (JSON with
/// `access_token`, `token_type` Bearer and a positive `expires_in`); `body` then says why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pushed {
    /// The HTTP status (0: none, see above).
    pub status: u16,
    /// The answer's body, as text.
    pub body: String,
    /// The answer's `Content-Type`.
    pub content_type: Option<String>,
    /// The answer's `WWW-Authenticate`.
    pub www_authenticate: Option<String>,
}

/// An error and its sources, as one line (reqwest's own message names only the request).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl Pushed {
    /// Whether the receiver answered and closed the connection while this push's body was
    /// still being sent, so that the client could read no answer: the kernel resets a
    /// connection closed with unread data, which can discard an answer already sent. What a
    /// receiver that refuses on the headers alone, before reading a large body, may cause.
    pub fn closed_while_sending(&self) -> bool {
        self.status == 0
            && ["Connection reset", "Broken pipe", "connection closed before message completed"]
                .iter()
                .any(|sign| self.body.contains(sign))
    }

    /// No usable answer, and why.
    fn none(why: impl Into<String>) -> Self {
        Self { status: 0, body: why.into(), content_type: None, www_authenticate: None }
    }

    async fn from_response(response: reqwest::Response) -> Self {
        let header = |name| response.headers().get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
        let (content_type, www_authenticate) = (header(CONTENT_TYPE), header(WWW_AUTHENTICATE));
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_else(|e| format!("<unreadable body: {e}>"));
        Self { status, body, content_type, www_authenticate }
    }
}

/// Overrides for one push (negative tests): another bearer token or none, another content
/// type, another body. Debug leaves the token out.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct PushRequest {
    /// Sends this bearer token instead of one from the receiver's token endpoint.
    pub token: Option<String>,
    /// Sends no `Authorization` header at all (wins over `token`).
    pub no_token: bool,
    /// Sends this `Content-Type` instead of `application/secevent+jwt`.
    pub content_type: Option<String>,
    /// Sends this body instead of the SET.
    pub body: Option<Vec<u8>>,
}

impl PushRequest {
    /// Sends this bearer token instead of one from the receiver's token endpoint.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }
    /// Sends no `Authorization` header.
    pub fn without_token(mut self) -> Self {
        self.no_token = true;
        self
    }
    /// Sends this `Content-Type`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }
    /// Sends this body instead of the SET.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }
}

impl std::fmt::Debug for PushRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushRequest")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("no_token", &self.no_token)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// A bearer token from the receiver's token endpoint, kept until shortly before it expires.
pub(crate) struct CachedToken {
    token: String,
    until: Instant,
}

/// The transmitter's issuer, `<issuer>ssf/`.
pub(crate) fn issuer(shared: &Shared) -> String {
    format!("{}ssf/", shared.issuer)
}

/// A SET carrying `events`, after `edit`, signed with the published transmitter key or not.
pub(crate) fn security_event_token(
    shared: &Shared,
    events: Value,
    published: bool,
    edit: impl FnOnce(&mut Header, &mut Map<String, Value>),
) -> String {
    let audience = shared.lock().events_receiver.as_ref().map(|r| r.audience.clone());
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some("secevent+jwt".into());
    header.kid = Some(tokens::transmitter_kid(published).into());
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(issuer(shared)));
    claims.insert("aud".into(), json!(audience.as_deref().unwrap_or(DEFAULT_AUDIENCE)));
    claims.insert("iat".into(), json!(now()));
    claims.insert("jti".into(), json!(random(16)));
    claims.insert("events".into(), events);
    edit(&mut header, &mut claims);
    tokens::sign_transmitter(&header, &Value::Object(claims), published)
}

/// The verification SET answering a verification request: the pre-1.0 URI with the `state`, as
/// One Login sends it, or (`ssf`) the 1.0 URI with a top-level `sub_id` naming the stream.
pub(crate) fn verification_set(shared: &Shared, state: Option<&str>, stream_id: Option<&str>) -> String {
    let ssf = shared.lock().verification_ssf;
    let mut event = Map::new();
    if let Some(state) = state {
        event.insert("state".into(), json!(state));
    }
    let uri = if ssf { VERIFICATION_SSF } else { VERIFICATION_SSE };
    security_event_token(shared, json!({ uri: event }), true, |_, claims| {
        if ssf {
            let id = stream_id.unwrap_or(DEFAULT_STREAM);
            claims.insert("sub_id".into(), json!({ "format": "opaque", "id": id }));
        }
    })
}

/// Pushes `set` (or what `request` says instead) to the registered receiver, and records the
/// outcome.
pub(crate) async fn push(shared: &Shared, set: &str, request: PushRequest) -> Pushed {
    let pushed = deliver(shared, set, request).await;
    shared.lock().pushes.push(pushed.clone());
    pushed
}

async fn deliver(shared: &Shared, set: &str, request: PushRequest) -> Pushed {
    let Some(receiver) = shared.lock().events_receiver.clone() else {
        return Pushed::none("no events receiver is registered: call register_events_receiver first");
    };
    let own_token = !request.no_token && request.token.is_none();
    let bearer = match (request.no_token, request.token) {
        (true, _) => None,
        (false, Some(token)) => Some(token),
        (false, None) => match bearer_token(shared, &receiver).await {
            Ok(token) => Some(token),
            Err(pushed) => return pushed,
        },
    };
    let content_type = request.content_type.unwrap_or_else(|| SET_CONTENT_TYPE.into());
    let mut post =
        shared.http.post(&receiver.push_url).header(CONTENT_TYPE, content_type).header(ACCEPT, "application/json");
    if let Some(token) = bearer {
        post = post.bearer_auth(token);
    }
    let body = request.body.unwrap_or_else(|| set.as_bytes().to_vec());
    let pushed = match post.body(body).send().await {
        Ok(response) => Pushed::from_response(response).await,
        Err(e) => Pushed::none(format!("the push to {} failed: {}", receiver.push_url, error_chain(&e))),
    };
    if own_token && pushed.status == 401 {
        // The receiver no longer takes the token: the next push asks for a new one.
        shared.lock().events_token = None;
    }
    pushed
}

/// The cached bearer token, or a new one from the token endpoint (then cached until 30 s
/// before its `expires_in` runs out). A refusal comes back as the token endpoint's answer.
async fn bearer_token(shared: &Shared, receiver: &EventsReceiver) -> Result<String, Pushed> {
    if let Some(token) = cached_token(shared) {
        return Ok(token);
    }
    let response = token_request(shared, receiver)
        .send()
        .await
        .map_err(|e| Pushed::none(format!("the token request to {} failed: {e}", receiver.token_url)))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(Pushed::from_response(response).await);
    }
    let body = response.bytes().await.map_err(|e| Pushed::none(format!("the token answer is unreadable: {e}")))?;
    let (token, expires_in) =
        bearer_answer(&body).map_err(|why| Pushed::none(format!("the token endpoint's 200 is not usable: {why}")))?;
    if let Some(lifetime) = Duration::from_secs(expires_in).checked_sub(EARLY).filter(|d| !d.is_zero()) {
        shared.lock().events_token = Some(CachedToken { token: token.clone(), until: Instant::now() + lifetime });
    }
    Ok(token)
}

fn cached_token(shared: &Shared) -> Option<String> {
    let s = shared.lock();
    s.events_token.as_ref().filter(|c| c.until > Instant::now()).map(|c| c.token.clone())
}

/// The access token and its lifetime from a token endpoint's 200, which must be a bearer token
/// answer (RFC 6749 §5.1) with `expires_in`. Never echoes the token in an error.
fn bearer_answer(body: &[u8]) -> Result<(String, u64), String> {
    let answer: Value = serde_json::from_slice(body).map_err(|_| "not JSON".to_owned())?;
    let token = answer.get("access_token").and_then(Value::as_str).filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err("no access_token string".into());
    };
    if !answer.get("token_type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
        return Err(format!("token_type is {}, not Bearer", answer.get("token_type").unwrap_or(&Value::Null)));
    }
    match answer.get("expires_in").and_then(Value::as_u64) {
        Some(secs) if secs > 0 => Ok((token.to_owned(), secs)),
        _ => Err(format!("expires_in is {}, not a positive integer", answer.get("expires_in").unwrap_or(&Value::Null))),
    }
}

/// The client-credentials token request, with the client authenticated as `receiver.auth` says.
fn token_request(shared: &Shared, receiver: &EventsReceiver) -> reqwest::RequestBuilder {
    let request = shared.http.post(&receiver.token_url).header(ACCEPT, "application/json");
    match receiver.auth {
        ClientAuth::Basic => request
            .header(AUTHORIZATION, basic_authorization(&receiver.client_id, &receiver.client_secret))
            .form(&[("grant_type", "client_credentials")]),
        ClientAuth::Form => request.form(&[
            ("grant_type", "client_credentials"),
            ("client_id", receiver.client_id.as_str()),
            ("client_secret", receiver.client_secret.as_str()),
        ]),
    }
}

/// `Basic base64(id:secret)`, each part form-encoded first (RFC 6749 §2.3.1), marked sensitive.
pub(crate) fn basic_authorization(client_id: &str, client_secret: &str) -> HeaderValue {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let credentials = STANDARD.encode(format!("{}:{}", encode(client_id), encode(client_secret)));
    let mut value = HeaderValue::from_str(&format!("Basic {credentials}")).expect("base64 is a header value");
    value.set_sensitive(true);
    value
}

/// The token endpoint's raw answer: its status and its JSON body.
pub(crate) async fn events_token(shared: &Shared) -> Result<(u16, Value), String> {
    let Some(receiver) = shared.lock().events_receiver.clone() else {
        return Err("no events receiver is registered".into());
    };
    let response =
        token_request(shared, &receiver).send().await.map_err(|e| format!("the token request failed: {e}"))?;
    let status = response.status().as_u16();
    let body = response.bytes().await.map_err(|e| format!("the token answer is unreadable: {e}"))?;
    let body = serde_json::from_slice(&body).map_err(|e| format!("the token answer ({status}) is not JSON: {e}"))?;
    Ok((status, body))
}

/// Panics unless `url` is an `http(s)` URL on loopback: the stand-in pushes nowhere else.
fn assert_loopback(url: &str) {
    let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("{url} is not a URL: {e}"));
    let local = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    assert!(
        local && matches!(parsed.scheme(), "http" | "https"),
        "the stand-in's transmitter pushes to loopback only, not {url}"
    );
}

/// The Signal Exchange: the transmitter toward the relying party's receiver, and the
/// verification endpoint the relying party calls.
impl crate::MockProvider {
    /// The transmitter's issuer, the SETs' `iss`: `http://127.0.0.1:<port>/ssf/`.
    pub fn events_issuer(&self) -> String {
        issuer(&self.shared)
    }
    /// The transmitter's key set, `http://127.0.0.1:<port>/ssf/jwks.json`.
    pub fn events_jwks_url(&self) -> String {
        format!("{}ssf/jwks.json", self.shared.issuer)
    }
    /// The token endpoint for the verification credentials, `…/ssf/token`.
    pub fn events_token_url(&self) -> String {
        format!("{}ssf/token", self.shared.issuer)
    }
    /// The verification endpoint, `…/ssf/verify`.
    pub fn events_verification_url(&self) -> String {
        format!("{}ssf/verify", self.shared.issuer)
    }

    /// Registers the relying party's receiver (replacing any before it, and dropping the
    /// cached bearer token). Panics unless its URLs are on loopback.
    pub fn register_events_receiver(&self, receiver: EventsReceiver) {
        assert_loopback(&receiver.push_url);
        assert_loopback(&receiver.token_url);
        let mut s = self.shared.lock();
        s.events_receiver = Some(receiver);
        s.events_token = None;
    }

    /// A SET carrying `events`, as One Login's transmitter signs it: header `alg` RS256, `typ`
    /// `secevent+jwt` and the published key's `kid`; claims `iss` (the
    /// [`events_issuer`](Self::events_issuer)), `aud` (the registered receiver's audience, or
    /// `test-audience`), `iat` now, a fresh `jti`, and `events`.
    pub fn security_event_token(&self, events: Value) -> String {
        self.security_event_token_with(events, |_, _| {})
    }
    /// A SET carrying `events`, after `edit` changes its header or claims (negative tests).
    /// Signed as the header then says: `RS*`/`PS*` with the transmitter key, `HS*` with the
    /// published public key (as JSON) as the secret.
    pub fn security_event_token_with(
        &self,
        events: Value,
        edit: impl FnOnce(&mut Header, &mut Map<String, Value>),
    ) -> String {
        security_event_token(&self.shared, events, true, edit)
    }
    /// A SET carrying `events`, signed with a transmitter key that is not published, under a
    /// `kid` that is not either: it must not verify.
    pub fn security_event_token_unpublished(&self, events: Value) -> String {
        security_event_token(&self.shared, events, false, |_, _| {})
    }
    /// Signs arbitrary claims with the transmitter's published key (its `kid` unless the header
    /// names one).
    pub fn sign_with_transmitter_key(&self, mut header: Header, claims: &Value) -> String {
        header.kid.get_or_insert_with(|| tokens::transmitter_kid(true).into());
        tokens::sign_transmitter(&header, claims, true)
    }
    /// Signs arbitrary claims with the transmitter key that is not published (its own
    /// unpublished `kid` unless the header names one, such as the published key's).
    pub fn sign_with_unpublished_transmitter_key(&self, mut header: Header, claims: &Value) -> String {
        header.kid.get_or_insert_with(|| tokens::transmitter_kid(false).into());
        tokens::sign_transmitter(&header, claims, false)
    }
    /// `{uri: {"subject": {"format": "uri", "uri": sub}, ...extra}}`: a user event about `sub`
    /// (`extra`, an object, merged in), as [`samples::user_event`](crate::samples::user_event).
    pub fn user_event(&self, uri: &str, sub: &str, extra: Value) -> Value {
        crate::samples::user_event(uri, sub, extra)
    }

    /// Pushes a SET to the registered receiver as One Login does (RFC 8935): a POST with
    /// `Content-Type: application/secevent+jwt`, `Accept: application/json` and a bearer token
    /// from the receiver's token endpoint (client-credentials grant, client authenticated as
    /// [`EventsReceiver::auth`] says), cached until 30 s before its `expires_in` runs out.
    ///
    /// Returns the receiver's answer. When the token endpoint refuses (not 200), returns its
    /// answer instead (its status and body) and pushes nothing; see [`Pushed`] for status 0.
    /// A 401 to a push drops the cached token (that push is not retried): the next push asks
    /// for a new one.
    pub async fn push_security_event(&self, set: &str) -> Pushed {
        push(&self.shared, set, PushRequest::default()).await
    }
    /// Pushes a SET with `request`'s overrides: another bearer token or none, another content
    /// type, or another body.
    pub async fn push_security_event_with(&self, set: &str, request: PushRequest) -> Pushed {
        push(&self.shared, set, request).await
    }
    /// Builds a SET carrying `events` and pushes it.
    pub async fn push_event(&self, events: Value) -> Pushed {
        let set = self.security_event_token(events);
        self.push_security_event(&set).await
    }
    /// Asks the receiver's token endpoint for a token, as a push would (neither using nor
    /// filling the cache), and returns its raw answer: the status and the JSON body.
    pub async fn events_token(&self) -> Result<(u16, Value), String> {
        events_token(&self.shared).await
    }
    /// Drops the cached bearer token: the next push asks the token endpoint again.
    pub fn forget_events_token(&self) {
        self.shared.lock().events_token = None;
    }
    /// Every push's outcome so far, verification pushes included, oldest first.
    pub fn pushes(&self) -> Vec<Pushed> {
        self.shared.lock().pushes.clone()
    }

    /// The client id and secret `/ssf/token` and `/ssf/verify` take (by default
    /// [`VERIFICATION_CLIENT_ID`](crate::VERIFICATION_CLIENT_ID) and
    /// [`VERIFICATION_CLIENT_SECRET`](crate::VERIFICATION_CLIENT_SECRET)).
    pub fn set_verification_credentials(&self, client_id: &str, client_secret: &str) {
        self.shared.lock().verification_credentials = (client_id.into(), client_secret.into());
    }
    /// Whether verification SETs use the SSF 1.0 event type with a top-level `sub_id`
    /// (`{"format": "opaque", "id": <stream_id, or "default-stream">}`), as the SSF text and the
    /// accelerator's mock do, instead of the pre-1.0 `sse` type One Login sends (the default).
    pub fn set_verification_uri_ssf(&self, ssf: bool) {
        self.shared.lock().verification_ssf = ssf;
    }
    /// How many verification requests were answered 204 (each then pushes a verification SET).
    pub fn verification_requests(&self) -> usize {
        self.shared.lock().verification_requests
    }
    /// The outcome of each verification push so far, in the order they finished. The pushes
    /// run in tasks of their own after the 204: see
    /// [`wait_for_verification_pushes`](Self::wait_for_verification_pushes).
    pub fn verification_pushes(&self) -> Vec<Pushed> {
        self.shared.lock().verification_pushes.clone()
    }
    /// Waits (up to five seconds) until at least `count` verification pushes have finished,
    /// and returns them all.
    pub async fn wait_for_verification_pushes(&self, count: usize) -> Vec<Pushed> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let pushes = self.verification_pushes();
            if pushes.len() >= count || Instant::now() >= deadline {
                return pushes;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};

    use super::*;

    /// A receiver that answers 401 on the request line and closes without reading the body:
    /// a client sending a large body either reads the 401 or finds the connection closed, and
    /// [`Pushed::closed_while_sending`] tells the second from any other failure.
    #[tokio::test]
    async fn an_answer_before_the_body_is_a_401_or_a_connection_closed_while_sending() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/push", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().take(20) {
                let mut stream = stream.unwrap();
                let _ = stream.read(&mut [0; 512]);
                let _ =
                    stream.write_all(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            }
        });
        // As `MockProvider::start` does: built with core (reqwest without a provider of its
        // own), a client made before any stand-in started would panic.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let client = reqwest::Client::new();
        let (mut answered, mut closed) = (0, 0);
        for _ in 0..20 {
            let pushed = match client.post(&url).body(vec![b'a'; 4 * 1024 * 1024]).send().await {
                Ok(response) => Pushed::from_response(response).await,
                Err(e) => Pushed::none(format!("the push to {url} failed: {}", error_chain(&e))),
            };
            if pushed.status == 401 {
                answered += 1;
            } else {
                assert!(pushed.closed_while_sending(), "{pushed:?}");
                closed += 1;
            }
        }
        assert!(closed > 0, "a 4 MB body unread by a closed connection is reset ({answered} answers read)");
        let refused = Pushed::none(
            "the push to http://127.0.0.1:1/ failed: error sending request: client error (Connect): tcp connect error: Connection refused (os error 111)",
        );
        assert!(!refused.closed_while_sending(), "a receiver that is not there is not one that answered");
    }
}

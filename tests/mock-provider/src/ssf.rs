//! One Login's side of the Signal Exchange the relying party calls: the transmitter's key set,
//! its client-credentials token endpoint, and the verification endpoint (SSF 1.0 §8.1.4),
//! which answers 204 and then pushes a verification SET to the registered receiver.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::Shared;
use crate::events::{self, PushRequest};
use crate::routes::cached;
use crate::tokens::{self, random};

type S = AxState<Arc<Shared>>;

/// How long `/ssf/token`'s access tokens last.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// The longest `state` a verification request may carry.
const MAX_STATE: usize = 1024;
/// The longest `stream_id` a verification request may carry.
const MAX_STREAM_ID: usize = 256;

/// `GET /ssf/jwks.json`: the transmitter's public key, cached for five minutes.
pub(crate) async fn jwks(AxState(shared): S) -> Response {
    cached(&shared, "/ssf/jwks.json", 300, tokens::ssf_jwks())
}

/// `POST /ssf/token`: the client-credentials grant for the verification credentials, with the
/// client authenticated by HTTP Basic or in the form (not both).
pub(crate) async fn token(AxState(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "the body must be form-encoded");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let basic = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(basic_credentials);
    let in_form = form.get("client_id").zip(form.get("client_secret")).map(|(i, s)| (i.clone(), s.clone()));
    let credentials = match (basic, in_form) {
        (Some(_), Some(_)) => {
            return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "more than one client authentication");
        }
        (basic, in_form) => basic.or(in_form),
    };
    if !credentials.is_some_and(|(id, secret)| verification_client(&shared, &id, &secret)) {
        let mut answer = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client or wrong secret");
        answer.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Basic realm=\"ssf\""));
        return answer;
    }
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "client_credentials only");
    }
    let access_token = random(32);
    shared.lock().ssf_tokens.insert(access_token.clone(), Instant::now() + TOKEN_LIFETIME);
    let body = json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME.as_secs() });
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// `POST /ssf/verify`: with the verification credentials (HTTP Basic) or a bearer token from
/// `/ssf/token`, and a JSON body `{"state"?, "stream_id"?}`, answers 204 and then pushes a
/// verification SET carrying the `state` to the registered receiver, in a task of its own.
pub(crate) async fn verify(AxState(shared): S, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !authorization.is_some_and(|a| authorized(&shared, a)) {
        let challenge = "Bearer realm=\"ssf\", Basic realm=\"ssf\"";
        let body = json!({ "err": "authentication_failed", "description": "no valid credentials" });
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, challenge)], Json(body)).into_response();
    }
    let (state, stream_id) = match verification_request(&body) {
        Ok(request) => request,
        Err(why) => {
            let body = json!({ "err": "invalid_request", "description": why });
            return (StatusCode::BAD_REQUEST, Json(body)).into_response();
        }
    };
    shared.lock().verification_requests += 1;
    let set = events::verification_set(&shared, state.as_deref(), stream_id.as_deref());
    tokio::spawn(async move {
        // Let the 204 go first, as a transmitter queueing the event would.
        tokio::task::yield_now().await;
        let pushed = events::push(&shared, &set, PushRequest::default()).await;
        shared.lock().verification_pushes.push(pushed);
    });
    StatusCode::NO_CONTENT.into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

/// The client id and secret of a `Basic` authorization, as sent.
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// Whether these are the verification credentials, as given or form-decoded (RFC 6749 §2.3.1
/// has Basic credentials form-encoded first; many clients skip that).
fn verification_client(shared: &Shared, client_id: &str, client_secret: &str) -> bool {
    let s = shared.lock();
    let (id, secret) = &s.verification_credentials;
    let same = |got: &str, want: &str| got == want || form_decode(got).is_some_and(|d| d == want);
    same(client_id, id) && same(client_secret, secret)
}

/// `application/x-www-form-urlencoded` decoding of one value (`+` is a space).
fn form_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(std::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// Whether an `Authorization` header carries the verification credentials or a live token
/// from `/ssf/token`.
fn authorized(shared: &Shared, authorization: &str) -> bool {
    if let Some((id, secret)) = basic_credentials(authorization) {
        return verification_client(shared, &id, &secret);
    }
    let Some((scheme, token)) = authorization.split_once(' ') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("bearer") {
        return false;
    }
    shared.lock().ssf_tokens.get(token.trim()).is_some_and(|until| *until > Instant::now())
}

/// The `state` and `stream_id` of a verification request's JSON body, each optional: `state` at
/// most 1,024 characters, `stream_id` 1 to 256 of `[A-Za-z0-9_-]` (as the accelerator's mock
/// transmitter checks). Other members are tolerated.
fn verification_request(body: &[u8]) -> Result<(Option<String>, Option<String>), String> {
    let body: Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let Some(body) = body.as_object() else {
        return Err("the body is not a JSON object".into());
    };
    let member = |name: &str| match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{name} is not a string")),
    };
    let state = member("state")?;
    if state.as_ref().is_some_and(|s| s.chars().count() > MAX_STATE) {
        return Err(format!("state is longer than {MAX_STATE} characters"));
    }
    let stream_id = member("stream_id")?;
    let stream_ok = |s: &str| {
        (1..=MAX_STREAM_ID).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if stream_id.as_deref().is_some_and(|s| !stream_ok(s)) {
        return Err(format!("stream_id is not 1 to {MAX_STREAM_ID} of [A-Za-z0-9_-]"));
    }
    Ok((state, stream_id))
}

/// `POST /ssf/fire?event=<type>&sub=<sub>`: for a person trying the demo, pushes one event of
/// the named type (the last part of its URI, such as `account-purged`, `credential-change` or
/// `accountBlock`) about `sub` (default: the stand-in's user) to the registered receiver, from
/// [`crate::samples::every_event`], and answers with what the receiver answered.
pub(crate) async fn fire(
    AxState(shared): S,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let sub = query.get("sub").cloned().unwrap_or_else(|| shared.lock().user.sub.clone());
    let Some(name) = query.get("event") else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "add ?event=<type>, such as account-purged" })))
            .into_response();
    };
    let suffix = format!("/{name}");
    let events = crate::samples::every_event(&sub)
        .into_iter()
        .find(|events| events.as_object().is_some_and(|o| o.keys().any(|uri| uri.ends_with(&suffix))));
    let Some(events) = events else {
        return (StatusCode::NOT_FOUND, Json(json!({ "error": "no event type of that name" }))).into_response();
    };
    let set = events::security_event_token(&shared, events, true, |_, _| {});
    let pushed = events::push(&shared, &set, PushRequest::default()).await;
    Json(json!({ "receiver_status": pushed.status, "receiver_body": pushed.body })).into_response()
}

//! Receiving a pushed SET (RFC 8935): the transport checks, the replay record, the receiver's
//! own actions, the application's handlers, and the answer. Also the token endpoint's route.

use std::sync::Arc;

use http::StatusCode;
use serde::Serialize;

use super::actions::{EventAction, EventType};
use super::error::{EventError, TokenRequestError};
use super::handler::Delivery;
use super::set::ReceivedSet;
use super::token::{self, BearerRefusal};
use super::types::SecurityEvent;
use crate::client::OneLogin;
use crate::store::ReplayKey;
use crate::types::loggable;
use crate::web::WebResponse;

/// The largest SET body read (One Login's SETs are a few KB); a larger body is refused with 413
/// before anything of it is parsed.
pub const MAX_SET_BODY: usize = 64 * 1024;

/// The longest the receiver's actions and the application's handlers may take for one SET:
/// past it the delivery fails (503) and the transmitter's retry is acted on.
pub const ACT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The content type of a pushed SET.
pub const SET_CONTENT_TYPE: &str = "application/secevent+jwt";

/// The facts of a request to the receiver or its token endpoint that core reads. Adapters fill
/// it from their framework's request. `Debug` hides the `Authorization` header and the body.
#[derive(Clone, Copy)]
pub struct EventRequest<'a> {
    content_type: Option<&'a str>,
    authorization: Option<&'a str>,
    body: Option<&'a [u8]>,
}

impl std::fmt::Debug for EventRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRequest")
            .field("content_type", &self.content_type)
            .field("authorization", &self.authorization.map(|_| "[redacted]"))
            .field("body_len", &self.body.map(<[u8]>::len))
            .finish()
    }
}

impl<'a> EventRequest<'a> {
    /// A request with this body; `None` when the adapter stopped reading it past the limit
    /// (or could not read it), which is refused with 413.
    pub fn new(body: Option<&'a [u8]>) -> Self {
        Self { content_type: None, authorization: None, body }
    }
    /// The `Content-Type` header.
    pub fn content_type(mut self, content_type: Option<&'a str>) -> Self {
        self.content_type = content_type;
        self
    }
    /// The `Authorization` header.
    pub fn authorization(mut self, authorization: Option<&'a str>) -> Self {
        self.authorization = authorization;
        self
    }
}

/// What became of an accepted SET.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Receipt {
    /// Acted on: the receiver's actions and the handlers ran for each of its events.
    Accepted {
        /// How many events it held.
        events: usize,
    },
    /// Its `jti` was seen before: accepted again and not acted on twice.
    Replay,
}

/// The media type's essence, lower-cased.
fn essence(content_type: Option<&str>) -> String {
    content_type.unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

impl OneLogin {
    /// Acts on a verified-to-be SET: verifies it ([`OneLogin::verify_security_event`]),
    /// records its `jti` (an atomic insert-if-absent in the store, so one delivery wins on every
    /// instance), then for each event takes the receiver's own action on the person it names
    /// ([`EventAction`]: ending their sessions through the same revocation as back-channel
    /// logout) and runs the application's handlers. If an action or a handler fails, panics or
    /// takes longer than [`ACT_TIMEOUT`], the record of the `jti` is removed again, so that the
    /// transmitter's retry is acted on. The acting runs in a task of its own: a transmitter that
    /// hangs up does not cut it short. Needs a Tokio runtime.
    pub async fn receive_security_event(&self, token: &str) -> Result<Receipt, EventError> {
        let set = Arc::new(self.verify_security_event(token).await?);
        let config = self.events_config().ok_or_else(|| EventError::InvalidRequest("no receiver".into()))?;
        let key = ReplayKey::security_event(&set.issuer, &set.jti);
        let now = self.unix_now();
        let leeway = self.config().clock_skew().as_secs() as i64;
        // Remembered as long as the SET could be acted on: a later replay is refused as too old.
        let until = crate::clock::unix(set.issued_at)
            .saturating_add(config.max_event_age.as_secs() as i64)
            .saturating_add(leeway)
            .max(now.saturating_add(60));
        if !self.store().insert_if_absent(&key, crate::clock::from_unix(until), self.now()).await? {
            tracing::info!(jti = %loggable(&set.jti, 64), "security event replayed: accepted, not acted on again");
            return Ok(Receipt::Replay);
        }
        let events = set.events.len();
        // Acted on in a task of its own, so that a transmitter that hangs up (which drops this
        // future) cannot stop it half-way with the record kept; a panicking or hanging handler
        // counts as a failure, and every failure removes the record again.
        let engine = self.clone();
        let outcome = tokio::spawn(async move {
            let acting = {
                let (engine, set) = (engine.clone(), set.clone());
                tokio::spawn(async move { engine.act_on(&set).await })
            };
            let mut acting = acting;
            let result = match tokio::time::timeout(ACT_TIMEOUT, &mut acting).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(EventError::Interrupted("a handler panicked")),
                Err(_) => {
                    acting.abort();
                    Err(EventError::Interrupted("acting on it took longer than 30 seconds"))
                }
            };
            if result.is_err()
                && let Err(store_error) = engine.store().remove_replay(&key).await
            {
                tracing::error!(
                    error = %store_error,
                    jti = %loggable(&set.jti, 64),
                    "a security event failed and its replay record could not be removed: the transmitter's retry will be taken for a replay"
                );
            }
            result
        })
        .await;
        match outcome {
            Ok(result) => result.map(|()| Receipt::Accepted { events }),
            Err(_) => Err(EventError::Interrupted("the runtime stopped")),
        }
    }

    async fn act_on(&self, set: &Arc<ReceivedSet>) -> Result<(), EventError> {
        let config = self.events_config().ok_or_else(|| EventError::InvalidRequest("no receiver".into()))?;
        for (index, event) in set.events.iter().enumerate() {
            if let SecurityEvent::Verification(verification) = event {
                self.receive_verification(verification.state.as_deref()).await?;
            }
            let subject = set.subject_of(event).and_then(|s| s.subject_for(self.config().issuer()));
            let action = subject.as_ref().map(|_| config.action(EventType::of(event)));
            if let Some(subject) = &subject {
                let sessions = match action {
                    Some(EventAction::EndSessions) => {
                        let ended = self.revoke_subject(subject).await.map_err(|e| EventError::Action(Box::new(e)))?;
                        tracing::info!(event = event.name(), sessions = ended, "security event: sessions ended");
                        Some(ended)
                    }
                    Some(EventAction::DropIdentity) => {
                        let dropped = self.drop_identity(subject).await.map_err(|e| EventError::Action(Box::new(e)))?;
                        tracing::info!(
                            event = event.name(),
                            sessions = dropped,
                            "security event: verified identity dropped"
                        );
                        Some(dropped)
                    }
                    _ => None,
                };
                if let (Some(sessions), Some(action)) = (sessions, action) {
                    let cause = crate::hooks::RevocationCause::SecurityEvent { event: EventType::of(event), action };
                    self.hooks().revoked(crate::hooks::Revocation { subject: subject.clone(), cause, sessions });
                }
            } else if config.action(EventType::of(event)) == EventAction::EndSessions {
                tracing::warn!(
                    event = event.name(),
                    "a security event that ends sessions names no user this service can resolve: nothing was ended"
                );
            } else {
                tracing::info!(event = event.name(), "security event names no user of this service");
            }
            let delivery = Delivery { set: set.clone(), index, subject, action };
            self.event_handlers().run(&delivery).await.map_err(EventError::Handler)?;
        }
        Ok(())
    }

    /// `POST <receiver>` from the transmitter: checks the bearer token (401 with
    /// `WWW-Authenticate: Bearer` without a good one), the content type (415 unless
    /// `application/secevent+jwt`) and the size (413 over [`MAX_SET_BODY`]) before the body is
    /// parsed, then [`OneLogin::receive_security_event`]. Answers 202 with an empty body for
    /// an accepted SET (a replay too), 400 with an RFC 8935 error
    /// (`{"err": ..., "description": ...}`) for a refused one, and 5xx when the keys, the store,
    /// an action or a handler failed, so that the transmitter retries. Each refusal is logged
    /// once with its cause.
    pub async fn events_route(&self, request: &EventRequest<'_>) -> WebResponse {
        match self.events_route_inner(request).await {
            Ok(receipt) => {
                tracing::debug!(?receipt, "security event accepted");
                WebResponse::new(StatusCode::ACCEPTED)
            }
            // The body was not read to its end: the connection cannot carry another request.
            Err(error @ EventError::TooLarge { .. }) => event_error_response(&error).header("connection", "close"),
            Err(error) => event_error_response(&error),
        }
    }

    /// The answer to a push whose headers alone refuse it (no good bearer token, another
    /// content type), so that an adapter need not read the body of one: `None` when the body is
    /// to be read and given to [`OneLogin::events_route`] (which checks the headers again).
    ///
    /// The answer says `Connection: close` (RFC 9112 §9.6): its request's body is left unread,
    /// so the connection cannot carry another request, and a client that reused it would find
    /// it closed under its next push.
    pub fn events_refusal(&self, request: &EventRequest<'_>) -> Option<WebResponse> {
        self.check_push_headers(request).err().map(|error| event_error_response(&error).header("connection", "close"))
    }

    fn check_push_headers(&self, request: &EventRequest<'_>) -> Result<(), EventError> {
        let config = self.events_config().ok_or_else(|| EventError::InvalidRequest("no receiver".into()))?;
        let leeway = self.config().clock_skew().as_secs() as i64;
        token::check_bearer(config, request.authorization, self.unix_now(), leeway).map_err(
            |refusal| match refusal {
                BearerRefusal::Missing => EventError::Unauthenticated("missing"),
                BearerRefusal::Invalid(why) => EventError::Unauthenticated(why),
            },
        )?;
        let content_type = essence(request.content_type);
        if content_type != SET_CONTENT_TYPE {
            return Err(EventError::WrongContentType(loggable(&content_type, 64)));
        }
        Ok(())
    }

    async fn events_route_inner(&self, request: &EventRequest<'_>) -> Result<Receipt, EventError> {
        self.check_push_headers(request)?;
        let body =
            request.body.filter(|b| b.len() <= MAX_SET_BODY).ok_or(EventError::TooLarge { max: MAX_SET_BODY })?;
        let token =
            std::str::from_utf8(body).map_err(|_| EventError::InvalidRequest("the body is not UTF-8".into()))?;
        self.receive_security_event(token).await
    }

    /// `POST <token endpoint>`: the client-credentials grant for the transmitter, with its
    /// credentials by HTTP Basic or in the form, or (when configured) a `private_key_jwt`
    /// client assertion, good once. Answers 200 with
    /// `{"access_token", "token_type": "Bearer", "expires_in"}`, or the RFC 6749 error
    /// (`invalid_request`, `invalid_client` with 401 and `WWW-Authenticate: Basic`,
    /// `unsupported_grant_type`). A body cut at the adapter's limit (`request.body` is `None`)
    /// was left partly unread, so that answer says `Connection: close`.
    pub async fn events_token_route(&self, request: &EventRequest<'_>) -> WebResponse {
        let response = self.events_token_answer(request).await;
        if request.body.is_none() { response.header("connection", "close") } else { response }
    }

    async fn events_token_answer(&self, request: &EventRequest<'_>) -> WebResponse {
        let Some(config) = self.events_config() else {
            return token_error_response(&TokenRequestError::InvalidRequest("no receiver"));
        };
        let is_form = essence(request.content_type) == "application/x-www-form-urlencoded";
        let body = request.body.filter(|b| b.len() <= crate::web::MAX_FORM_BODY);
        let leeway = self.config().clock_skew().as_secs() as i64;
        let granted = match (is_form, body) {
            (true, Some(body)) => token::grant(config, request.authorization, body, self.unix_now(), leeway),
            _ => Err(TokenRequestError::InvalidRequest("the body must be a form of at most 16 KiB")),
        };
        let granted = match granted {
            Ok((granted, Some(assertion))) => {
                // A client assertion is good once, on any instance.
                let until = crate::clock::from_unix(assertion.until);
                match self.store().insert_if_absent(&assertion.replay, until, self.now()).await {
                    Ok(true) => Ok(granted),
                    Ok(false) => Err(TokenRequestError::InvalidClient),
                    Err(error) => {
                        tracing::error!(%error, "a client assertion could not be recorded: token refused");
                        return WebResponse::new(StatusCode::SERVICE_UNAVAILABLE)
                            .json(&TokenErrorBody { error: "temporarily_unavailable" });
                    }
                }
            }
            Ok((granted, None)) => Ok(granted),
            Err(error) => Err(error),
        };
        match granted {
            Ok(granted) => WebResponse::new(StatusCode::OK)
                .json(&TokenGrantedBody {
                    access_token: granted.access_token,
                    token_type: "Bearer",
                    expires_in: granted.expires_in,
                })
                .header("pragma", "no-cache"),
            Err(error) => {
                tracing::warn!(%error, "security events token request refused");
                token_error_response(&error)
            }
        }
    }
}

/// The token endpoint's answer to a granted request (RFC 6749 §5.1). The fields are in the
/// order the body had when it was a `json!` literal (sorted), so that it stays byte for byte.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct TokenGrantedBody {
    /// The bearer token for the receiver.
    pub(crate) access_token: String,
    /// Its lifetime, in seconds.
    pub(crate) expires_in: u64,
    /// Always `Bearer`.
    #[cfg_attr(feature = "openapi", schema(schema_with = bearer))]
    pub(crate) token_type: &'static str,
}

#[cfg(feature = "openapi")]
fn bearer() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(["Bearer"]))
        .build()
}

/// The token endpoint's refusal (RFC 6749 §5.2).
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct TokenErrorBody {
    /// The OAuth error code.
    #[cfg_attr(feature = "openapi", schema(schema_with = token_error_codes))]
    pub(crate) error: &'static str,
}

#[cfg(feature = "openapi")]
fn token_error_codes() -> utoipa::openapi::Object {
    let codes = TokenRequestError::ALL.iter().map(TokenRequestError::code).chain(["temporarily_unavailable"]);
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String).enum_values(Some(codes)).build()
}

/// The receiver's refusal of a push (RFC 8935 §2.3), its fields sorted as before.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct SetErrorBody {
    /// Why, in English (no token content).
    pub(crate) description: String,
    /// The error code.
    #[cfg_attr(feature = "openapi", schema(schema_with = set_error_codes))]
    pub(crate) err: &'static str,
}

#[cfg(feature = "openapi")]
fn set_error_codes() -> utoipa::openapi::Object {
    let codes = ["authentication_failed"].into_iter().chain(EventError::CODES);
    utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String).enum_values(Some(codes)).build()
}

fn token_error_response(error: &TokenRequestError) -> WebResponse {
    let response = WebResponse::new(error.http_status()).json(&TokenErrorBody { error: error.code() });
    if *error == TokenRequestError::InvalidClient {
        response.header("www-authenticate", "Basic realm=\"security events\"")
    } else {
        response
    }
}

fn event_error_response(error: &EventError) -> WebResponse {
    let status = error.http_status();
    if status.is_server_error() {
        tracing::error!(%error, "security event not accepted: the transmitter will retry");
    } else {
        tracing::warn!(%error, "security event refused");
    }
    match error {
        EventError::Unauthenticated(why) => {
            let challenge = if *why == "missing" {
                "Bearer realm=\"security events\"".to_owned()
            } else {
                "Bearer realm=\"security events\", error=\"invalid_token\"".to_owned()
            };
            WebResponse::new(status)
                .json(&SetErrorBody { err: "authentication_failed", description: error.to_string() })
                .header("www-authenticate", challenge)
        }
        _ if status.is_server_error() => WebResponse::new(status),
        _ => WebResponse::new(status).json(&SetErrorBody {
            err: error.code().unwrap_or("invalid_request"),
            description: loggable(&error.to_string(), 300),
        }),
    }
}

#[cfg(test)]
mod body_tests {
    use super::{SetErrorBody, TokenErrorBody, TokenGrantedBody};

    #[test]
    fn the_json_bodies_keep_the_bytes_they_had() {
        let granted = TokenGrantedBody { access_token: "t".into(), expires_in: 300, token_type: "Bearer" };
        assert_eq!(
            serde_json::to_string(&granted).unwrap(),
            r#"{"access_token":"t","expires_in":300,"token_type":"Bearer"}"#
        );
        let refused = SetErrorBody { description: "why".into(), err: "invalid_key" };
        assert_eq!(serde_json::to_string(&refused).unwrap(), r#"{"description":"why","err":"invalid_key"}"#);
        let token = TokenErrorBody { error: "invalid_client" };
        assert_eq!(serde_json::to_string(&token).unwrap(), r#"{"error":"invalid_client"}"#);
    }
}

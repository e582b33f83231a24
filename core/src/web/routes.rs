//! The routes adapters mount: sign-in, callback, sign-out, back-channel logout and
//! (optionally) our JWKS. Their pages go through the engine's [`Pages`](super::Pages).

use http::StatusCode;
use serde::Serialize;

use super::cookies::{self, Names};
use super::pages::{ProblemKind, ProblemPage};
use super::request::RequestInfo;
use super::{SessionContext, WebResponse};
use crate::client::{CallbackParams, Completion, LoginRequest, OneLogin, Start};
use crate::error::{Error, TokenError, TokenKind};
use crate::identity::IdentityOutcome;
use crate::levels::Requirement;
use crate::return_path::ReturnPath;
use crate::types::ct_eq;

/// Largest form body the sign-out and back-channel routes read.
pub const MAX_FORM_BODY: usize = 16 * 1024;

/// The sign-out form's field that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// One of the routes the library mounts. Adapters mount [`OneLogin::mounted_routes`], matching
/// on this to pick each route's handler, and the OpenAPI document (the `openapi` feature)
/// describes the same list, so the two cannot disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RouteKind {
    /// `GET`: starts a sign-in ([`OneLogin::login_route`]).
    Login,
    /// `GET`: One Login's redirect back ([`OneLogin::callback_route`]).
    Callback,
    /// `POST`: sign-out ([`OneLogin::logout_route`]).
    Logout,
    /// `POST`: sign-out on every device ([`OneLogin::sign_out_everywhere_route`]).
    SignOutEverywhere,
    /// `POST`: One Login's back-channel logout ([`OneLogin::backchannel_logout_route`]).
    BackchannelLogout,
    /// `GET`: our public key set ([`OneLogin::jwks_route`]), when published.
    Jwks,
    /// `POST`: the security-event receiver ([`OneLogin::events_route`]), when enabled.
    SecurityEvents,
    /// `POST`: the security-event transmitter's token endpoint
    /// ([`OneLogin::events_token_route`]), when the receiver is enabled.
    SecurityEventsToken,
}

impl RouteKind {
    /// The one method the route answers (any other gets 405).
    pub fn method(self) -> http::Method {
        match self {
            RouteKind::Login | RouteKind::Callback | RouteKind::Jwks => http::Method::GET,
            RouteKind::Logout
            | RouteKind::SignOutEverywhere
            | RouteKind::BackchannelLogout
            | RouteKind::SecurityEvents
            | RouteKind::SecurityEventsToken => http::Method::POST,
        }
    }
}

/// A route the library mounts: what it is, and the path this configuration gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MountedRoute<'a> {
    /// Which route.
    pub kind: RouteKind,
    /// Its path.
    pub path: &'a str,
}

/// Why a back-channel logout was refused: the `error` of its JSON body.
#[derive(Clone, Copy, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub(crate) enum BackchannelLogoutError {
    /// 400: no form, no `logout_token`, or a token that is not valid.
    InvalidRequest,
    /// 501: the token could not be checked, or the sessions could not be ended (One Login's
    /// "you have not been able to log the user out").
    LogoutFailed,
}

/// The JSON body of a refused back-channel logout.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct BackchannelLogoutErrorBody {
    /// Why.
    pub(crate) error: BackchannelLogoutError,
}

impl BackchannelLogoutError {
    fn response(self) -> WebResponse {
        let status = match self {
            BackchannelLogoutError::InvalidRequest => StatusCode::BAD_REQUEST,
            BackchannelLogoutError::LogoutFailed => StatusCode::NOT_IMPLEMENTED,
        };
        WebResponse::new(status).json(&BackchannelLogoutErrorBody { error: self })
    }
}

/// Which sessions a sign-out form ends.
#[derive(Clone, Copy)]
enum SignOutScope {
    ThisBrowser,
    EveryDevice,
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

impl OneLogin {
    /// Every route the library mounts for this configuration, in a stable order: sign-in,
    /// callback, sign-out, sign-out on every device and back-channel logout always; the JWKS
    /// route when the configuration publishes one; the security-event receiver and its token
    /// endpoint when it enables them.
    ///
    /// ```
    /// # use govuk_one_login::{Config, Environment, OneLogin};
    /// # let config = Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9".into() })
    /// #     .client_id(govuk_one_login_mock::CLIENT_ID)
    /// #     .redirect_uri("http://127.0.0.1:8080/auth/callback")
    /// #     .signing_key_pem(govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM).unwrap()
    /// #     .build().unwrap();
    /// # let one_login = OneLogin::new(config).unwrap();
    /// use govuk_one_login::web::RouteKind;
    /// let routes = one_login.mounted_routes();
    /// assert_eq!(routes[0].kind, RouteKind::Login);
    /// assert_eq!(routes[0].path, "/auth/login");
    /// assert_eq!(routes[0].kind.method(), http::Method::GET);
    /// ```
    pub fn mounted_routes(&self) -> Vec<MountedRoute<'_>> {
        let config = self.config();
        let r = config.routes();
        let mut routes = vec![
            MountedRoute { kind: RouteKind::Login, path: &r.login },
            MountedRoute { kind: RouteKind::Callback, path: config.callback_path() },
            MountedRoute { kind: RouteKind::Logout, path: &r.logout },
            MountedRoute { kind: RouteKind::SignOutEverywhere, path: &r.sign_out_everywhere },
            MountedRoute { kind: RouteKind::BackchannelLogout, path: &r.backchannel_logout },
        ];
        if let Some(jwks) = &r.jwks {
            routes.push(MountedRoute { kind: RouteKind::Jwks, path: jwks });
        }
        if let Some(events) = config.security_events() {
            routes.push(MountedRoute { kind: RouteKind::SecurityEvents, path: events.receiver_path() });
            routes.push(MountedRoute { kind: RouteKind::SecurityEventsToken, path: events.token_path() });
        }
        routes
    }

    fn clear_session_cookie(&self) -> String {
        let names = Names::for_config(self.config());
        cookies::set(names.session, "", 0, names.secure)
    }

    /// `GET <callback>?code=…&state=…`: completes the login, sets a new session cookie (the
    /// session id changes at every login) and redirects to the return path. One Login errors
    /// and refused callbacks get a [`Pages::problem`](super::Pages::problem) page with the
    /// right status and a link to sign in again; `login_required` also clears the local
    /// session. An identity that could not be confirmed gets
    /// [`Pages::identity_not_proven`](super::Pages::identity_not_proven) (signed in).
    ///
    /// A sign-in older than the requirement's `max_age` (One Login did not apply it) is asked
    /// for once more, with `prompt=login` and the ID token just verified as the hint; if that
    /// one is too old too, the callback is refused with [`TokenError::NotFresh`].
    ///
    /// [`TokenError::NotFresh`]: crate::error::TokenError::NotFresh
    pub async fn callback_route(&self, request: &RequestInfo<'_>, ctx: &SessionContext) -> WebResponse {
        let params = CallbackParams::from_query(request.query());
        let completed = match self.complete(params, ctx.flow_cookie.as_deref(), ctx.id).await {
            Ok(Completion::SignedIn(outcome)) => Ok(*outcome),
            Ok(Completion::Stale { by, id_token, pending }) if !pending.freshness_retry => {
                tracing::info!(
                    too_old_by_secs = by.as_secs(),
                    "the One Login sign-in is older than max_age: asking One Login to re-authenticate once"
                );
                let mut requirement = Requirement::vector_of_trust(pending.vector);
                if let Some(max_age) = pending.max_age {
                    requirement = requirement.with_max_age(std::time::Duration::from_secs(max_age));
                }
                let mut login = LoginRequest::new(requirement, pending.return_to);
                login.flow_cookie.clone_from(&ctx.flow_cookie);
                login.reauthenticate = Some(id_token);
                login.ui_locale = request.lang_choice();
                return self.redirect_to_start(login, request, Start::FreshnessRetry).await;
            }
            Ok(Completion::Stale { by, .. }) => {
                Err(Error::Token { kind: TokenKind::IdToken, source: TokenError::NotFresh { by } })
            }
            Err(error) => Err(error),
        };
        match completed {
            Ok(outcome) => {
                let names = Names::for_config(self.config());
                let cookie = cookies::set(
                    names.session,
                    &outcome.session_id.to_cookie_value(),
                    self.config().session_ttl.as_secs() as i64,
                    names.secure,
                );
                if let IdentityOutcome::NotProven { return_codes } = &outcome.identity {
                    tracing::info!(return_codes = return_codes.len(), "identity was not proven");
                    return self
                        .identity_not_proven_page(request, &outcome.return_to, return_codes)
                        .header("set-cookie", cookie);
                }
                WebResponse::redirect(303, outcome.return_to.as_str()).header("set-cookie", cookie)
            }
            Err(error) => {
                tracing::warn!(?error, "sign-in callback refused");
                let retry = self.login_link(&Requirement::MEDIUM, &ReturnPath::root());
                let retry = match error.problem_kind() {
                    ProblemKind::ServiceError | ProblemKind::ServiceUnavailable => None,
                    _ => Some(retry.as_str()),
                };
                let response = self.problem(&error, request, retry, None);
                if error.ends_session() { response.header("set-cookie", self.clear_session_cookie()) } else { response }
            }
        }
    }

    /// `POST <logout>` with the form field [`CSRF_FIELD`]: ends the local session, then sends
    /// the browser to One Login's end-session endpoint with `id_token_hint` and
    /// `post_logout_redirect_uri`. A missing or wrong CSRF token gets 403 and the session stays;
    /// without a session, a post the browser marks cross-site (`Sec-Fetch-Site`) gets 403 too.
    pub async fn logout_route(&self, request: &RequestInfo<'_>, ctx: &SessionContext, body: &[u8]) -> WebResponse {
        self.sign_out_route(request, ctx, body, SignOutScope::ThisBrowser).await
    }

    /// `POST <sign-out-everywhere>` with the form field [`CSRF_FIELD`]: ends every session of
    /// the user, on every device and instance (as a back-channel logout does), then sends the
    /// browser to One Login's end-session endpoint, as [`logout_route`](Self::logout_route)
    /// does. The CSRF token and cross-site rules are the sign-out route's.
    pub async fn sign_out_everywhere_route(
        &self,
        request: &RequestInfo<'_>,
        ctx: &SessionContext,
        body: &[u8],
    ) -> WebResponse {
        self.sign_out_route(request, ctx, body, SignOutScope::EveryDevice).await
    }

    async fn sign_out_route(
        &self,
        request: &RequestInfo<'_>,
        ctx: &SessionContext,
        body: &[u8],
        scope: SignOutScope,
    ) -> WebResponse {
        let token_ok = match &ctx.record {
            Some(record) => {
                let token = form_value(&body[..body.len().min(MAX_FORM_BODY)], CSRF_FIELD).unwrap_or_default();
                ct_eq(token.as_bytes(), record.csrf_token().as_bytes())
            }
            // No session to check a token against: a post from another site (which carries no
            // SameSite=Lax cookie) must not end the user's One Login session either.
            None => !request.is_cross_site(),
        };
        if !token_ok {
            let page = ProblemPage {
                kind: ProblemKind::SignOutFormExpired,
                status: StatusCode::FORBIDDEN,
                locale: request.locale(),
                retry: None,
                return_to: None,
            };
            // A form post is a page, whatever its method says.
            return WebResponse::new(StatusCode::FORBIDDEN).html(self.pages().problem(&page));
        }
        let page =
            RequestInfo::new("GET", "/").accept_language(request.accept_language_header()).lang(request.lang_choice());
        let signed_out = match scope {
            SignOutScope::ThisBrowser => self.sign_out(ctx.id).await,
            SignOutScope::EveryDevice => self.sign_out_everywhere(ctx.id).await,
        };
        match signed_out {
            // Without a session there is no cookie to clear: a cross-site form post (which
            // carries no SameSite=Lax cookie) must not sign the browser out of this service.
            Ok(url) if ctx.record.is_none() => WebResponse::redirect(303, url.as_str()),
            Ok(url) => WebResponse::redirect(303, url.as_str()).header("set-cookie", self.clear_session_cookie()),
            Err(error) => {
                if matches!(error, Error::Store(_)) {
                    tracing::error!(?error, "sign-out failed: the session could not be ended in the store");
                } else {
                    tracing::warn!(?error, "sign-out could not reach One Login; the local session was ended");
                }
                self.problem(&error, &page, None, None).header("set-cookie", self.clear_session_cookie())
            }
        }
    }

    /// `POST <backchannel-logout>` from One Login with a form-encoded `logout_token`: verifies
    /// it, ends every session of its `sub` and answers exactly 200 (One Login treats any other
    /// status as a failure). An invalid token gets 400. When the token could not be checked or
    /// the sessions could not be ended (store or key-fetch failure) the answer is 501, as One
    /// Login's documentation asks ("you have not been able to log the user out").
    pub async fn backchannel_logout_route(&self, request: &RequestInfo<'_>, body: &[u8]) -> WebResponse {
        let is_form = request
            .content_type_header()
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        let token = (is_form && body.len() <= MAX_FORM_BODY).then(|| form_value(body, "logout_token")).flatten();
        let Some(token) = token else {
            return BackchannelLogoutError::InvalidRequest.response();
        };
        match self.backchannel_logout(&token).await {
            Ok(_) => WebResponse::new(StatusCode::OK),
            Err(error) => {
                tracing::warn!(?error, "back-channel logout refused");
                if error.http_status() == StatusCode::BAD_REQUEST {
                    BackchannelLogoutError::InvalidRequest.response()
                } else {
                    BackchannelLogoutError::LogoutFailed.response()
                }
            }
        }
    }

    /// `GET <jwks>`: our public key set.
    pub fn jwks_route(&self) -> WebResponse {
        let mut r = WebResponse::new(StatusCode::OK).json(&self.config().public_jwks());
        r.headers.retain(|(n, _)| *n != "cache-control");
        r.header("cache-control", "max-age=300")
    }
}

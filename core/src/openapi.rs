//! The OpenAPI 3.1 document of every route the library mounts ([`OneLogin::openapi`]), built
//! with [utoipa](https://docs.rs/utoipa) from the operations declared here and the body types
//! the routes serialize. Enabled by the `openapi` feature.
//!
//! The document follows the configuration: each route sits at the path the configuration gives
//! it, and the optional routes (the JWKS, the security-event receiver and its token endpoint)
//! appear only when they are mounted, since it is built from [`OneLogin::mounted_routes`], the
//! list the adapters mount. An application adds its own routes by merging its document into
//! this one ([`utoipa::openapi::OpenApi::merge`]).

// The functions below only carry the operations' declarations: utoipa reads their attributes
// and doc comments; nothing calls them.
#![allow(dead_code, reason = "declarations for utoipa's `path` macro, never called")]

use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToResponse, ToSchema};

use crate::client::OneLogin;
use crate::events::{SetErrorBody, TokenErrorBody, TokenGrantedBody};
use crate::levels::VectorOfTrust;
use crate::web::{BackchannelLogoutError, BackchannelLogoutErrorBody, DenialBody, MountedRoute, RouteKind};

/// An error page, or its JSON body when the route answers as to an API call (`Accept:
/// application/json`, a method other than GET or HEAD, or a path under the application's API
/// paths; the sign-in route goes by its return path). The status says which problem.
#[derive(ToResponse)]
enum Problem {
    /// The page, in the language the request chose (English or Welsh).
    Page(#[content("text/html")] String),
    /// The JSON body.
    Json(#[content("application/json")] DenialBody),
}

/// The sign-in route's query.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SignInQuery {
    /// The vector of trust to sign in at: `Cl.Cm` (the default), `Cl`, or `Cl.Cm.P2` and the
    /// like (components in any order). Anything else is refused with 400.
    #[param(schema_with = vector_of_trust_spellings, required = false)]
    level: Option<String>,
    /// The oldest sign-in accepted, in seconds (needs request objects; more than a year counts
    /// as a year). Anything but digits is refused with 400.
    #[param(minimum = 0)]
    max_age: Option<i64>,
    /// Where to go afterwards: a path on this service (anything else goes to `/`).
    return_to: Option<String>,
}

/// Every spelling of a vector of trust that the sign-in route reads: each order of its
/// components that [`VectorOfTrust`]'s parser accepts.
fn vector_of_trust_spellings() -> utoipa::openapi::Object {
    let parts = ["Cl", "Cm", "P0", "P1", "P2", "P3"];
    let mut spellings: Vec<String> = Vec::new();
    let mut candidates: Vec<Vec<&str>> = parts.iter().map(|p| vec![*p]).collect();
    while !candidates.is_empty() {
        let mut longer = Vec::new();
        for candidate in candidates {
            let spelling = candidate.join(".");
            if spelling.parse::<VectorOfTrust>().is_ok() {
                spellings.push(spelling);
            }
            if candidate.len() < 3 {
                longer
                    .extend(parts.iter().filter(|p| !candidate.contains(p)).map(|p| [&candidate[..], &[*p]].concat()));
            }
        }
        candidates = longer;
    }
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(spellings))
        .build()
}

/// A sign-out form's fields.
#[derive(ToSchema)]
struct SignOutFormFields {
    /// The session's CSRF token, from the page's sign-out form: needed when the request has a
    /// session (without it, or with another, the answer is 403 and the session stays).
    csrf_token: Option<String>,
}

/// What a sign-out form's post (this browser's, or every device's) answers.
#[derive(utoipa::IntoResponses)]
enum SignOutAnswers {
    /// To One Login's end-session endpoint; clears the session cookie.
    #[response(status = 303, headers(("location" = String)))]
    ToOneLogin,
    /// The sign-out form's CSRF token is missing or wrong, or a post from another site without a
    /// session: the sessions stay.
    #[response(status = 403, content_type = "text/html")]
    FormExpired(String),
    /// The session store failed.
    #[response(status = 500)]
    ServiceError(#[ref_response] Problem),
    /// One Login's end-session endpoint could not be found (the local session is ended).
    #[response(status = 502)]
    OneLoginUnreachable(#[ref_response] Problem),
    /// The session store or One Login is unavailable.
    #[response(status = 503)]
    Unavailable(#[ref_response] Problem),
}

/// One Login's back-channel logout request.
#[derive(ToSchema)]
struct BackchannelLogoutForm {
    /// The logout token: a JWT signed by One Login (OpenID Connect Back-Channel Logout 1.0).
    logout_token: String,
}

/// The grant the token endpoint accepts.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
enum GrantType {
    /// The only one.
    ClientCredentials,
}

/// A client-credentials token request from the security-event transmitter (RFC 6749 §4.4),
/// with its credentials by HTTP Basic, in the form, or as a `private_key_jwt` client assertion.
#[derive(ToSchema)]
struct TokenRequestForm {
    /// `client_credentials`.
    grant_type: GrantType,
    /// The transmitter's client id, when not sent by HTTP Basic.
    client_id: Option<String>,
    /// Its secret, when not sent by HTTP Basic.
    client_secret: Option<String>,
    /// `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, with a client assertion.
    client_assertion_type: Option<String>,
    /// A client assertion (a JWT), when the configuration accepts them.
    client_assertion: Option<String>,
    /// Ignored.
    scope: Option<String>,
}

/// An RSA public key.
#[derive(ToSchema)]
struct PublicJwk {
    /// `RSA`.
    kty: String,
    /// The modulus, base64url.
    n: String,
    /// The exponent, base64url.
    e: String,
    /// The key id the client assertions and request objects carry.
    kid: Option<String>,
    /// `RS256` or `PS256`.
    alg: Option<String>,
    /// `sig`.
    #[schema(rename = "use")]
    key_use: Option<String>,
}

/// This service's public keys: the signing key first, then any published beside it (the next
/// key, during a rotation).
#[derive(ToSchema)]
struct Jwks {
    /// The keys.
    keys: Vec<PublicJwk>,
}

/// Starts a sign-in, a step-up or a re-authentication at the level asked for, or goes straight
/// to `return_to` when the session already meets it.
#[utoipa::path(
    get,
    path = "/auth/login",
    operation_id = "sign_in",
    tag = "sign-in",
    params(SignInQuery),
    responses(
        (status = 302, description = "To One Login's authorization endpoint; sets the flow cookie.",
            headers(("location" = String), ("set-cookie" = String))),
        (status = 303, description = "The session already meets the level: to `return_to`.",
            headers(("location" = String))),
        (status = 400, response = Problem),
        (status = 401, response = Problem),
        (status = 403, response = Problem),
        (status = 500, response = Problem),
        (status = 502, response = Problem),
        (status = 503, response = Problem),
    )
)]
fn sign_in() {}

/// One Login's redirect back after a sign-in: checks the state, the flow cookie, the tokens
/// and the identity, starts a new session (a new id) and goes to the return path.
#[utoipa::path(
    get,
    path = "/auth/callback",
    operation_id = "callback",
    tag = "sign-in",
    params(
        ("code" = Option<String>, Query, description = "The authorization code."),
        ("state" = Option<String>, Query, description = "The state the sign-in was started with."),
        ("error" = Option<String>, Query, description = "One Login's error code, instead of a code."),
        ("error_description" = Option<String>, Query, description = "One Login's description of it (never shown)."),
    ),
    responses(
        (status = 302, description = "One Login is asked once more for a fresher sign-in.",
            headers(("location" = String), ("set-cookie" = String))),
        (status = 303, description = "Signed in: to the return path, with the new session cookie.",
            headers(("location" = String), ("set-cookie" = String))),
        (status = 400, response = Problem),
        (status = 401, response = Problem),
        (status = 403, description = "Signed in, but One Login could not confirm the identity (the \
            identity-not-proven page); or the sign-in was cancelled or refused.", content(
            (String = "text/html"), (DenialBody = "application/json"))),
        (status = 500, response = Problem),
        (status = 502, response = Problem),
        (status = 503, response = Problem),
    )
)]
fn callback() {}

/// Ends this browser's session, then goes to One Login's end-session endpoint.
#[utoipa::path(
    post,
    path = "/auth/logout",
    operation_id = "sign_out",
    tag = "sign-out",
    request_body(content = Option<SignOutFormFields>, content_type = "application/x-www-form-urlencoded"),
    responses(SignOutAnswers)
)]
fn sign_out() {}

/// Ends every session of the signed-in user, on every device and instance (as a back-channel
/// logout does), then goes to One Login's end-session endpoint.
#[utoipa::path(
    post,
    path = "/auth/sign-out-everywhere",
    operation_id = "sign_out_everywhere",
    tag = "sign-out",
    request_body(content = Option<SignOutFormFields>, content_type = "application/x-www-form-urlencoded"),
    responses(SignOutAnswers)
)]
fn sign_out_everywhere() {}

/// One Login's back-channel logout: ends every session of the logout token's `sub`.
#[utoipa::path(
    post,
    path = "/auth/backchannel-logout",
    operation_id = "backchannel_logout",
    tag = "sign-out",
    request_body(content = BackchannelLogoutForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The sessions are ended (One Login treats any other status as a failure)."),
        (status = 400, description = "No form, no `logout_token`, or a token that is not valid.",
            body = BackchannelLogoutErrorBody),
        (status = 501, description = "The token could not be checked or the sessions could not be ended \
            (as One Login's documentation asks).", body = BackchannelLogoutErrorBody),
        (status = 503, response = Problem),
    )
)]
fn backchannel_logout() {}

/// This service's public keys, for One Login to check its client assertions and request
/// objects.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    tag = "keys",
    responses(
        (status = 200, description = "The key set.", body = Jwks, headers(("cache-control" = String))),
        (status = 503, response = Problem),
    )
)]
fn jwks() {}

/// The security-event receiver (RFC 8935 push delivery): a Security Event Token from One
/// Login's transmitter, with the bearer token from the token endpoint.
#[utoipa::path(
    post,
    path = "/auth/events",
    operation_id = "security_events",
    tag = "security-events",
    request_body(content = String, content_type = "application/secevent+jwt",
        description = "The Security Event Token (a signed JWT)."),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Accepted (a replay too)."),
        (status = 400, description = "The SET is refused.", body = SetErrorBody),
        (status = 401, description = "No bearer token, or not a good one.", body = SetErrorBody,
            headers(("www-authenticate" = String))),
        (status = 413, description = "The body is larger than 64 KiB.", body = SetErrorBody),
        (status = 415, description = "The content type is not `application/secevent+jwt`.", body = SetErrorBody),
        (status = 500, description = "An application handler failed: the transmitter retries."),
        (status = 503, description = "The keys, the store or an action failed: the transmitter retries."),
    )
)]
fn security_events() {}

/// The client-credentials token endpoint for the security-event transmitter.
#[utoipa::path(
    post,
    path = "/auth/events/token",
    operation_id = "security_events_token",
    tag = "security-events",
    request_body(content = TokenRequestForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "The access token.", body = TokenGrantedBody,
            headers(("cache-control" = String), ("pragma" = String))),
        (status = 400, description = "A malformed request or another grant.", body = TokenErrorBody),
        (status = 401, description = "The client could not be authenticated.", body = TokenErrorBody,
            headers(("www-authenticate" = String))),
        (status = 503, description = "A client assertion could not be recorded.", body = TokenErrorBody),
    )
)]
fn security_events_token() {}

/// The operations, at their default paths; [`OneLogin::openapi`] moves each to its configured
/// path and drops the ones not mounted.
#[derive(OpenApi)]
#[openapi(
    info(title = "GOV.UK One Login routes", description = "The routes govuk-one-login mounts."),
    paths(
        sign_in,
        callback,
        sign_out,
        sign_out_everywhere,
        backchannel_logout,
        jwks,
        security_events,
        security_events_token
    ),
    components(
        responses(Problem),
        schemas(DenialBody, BackchannelLogoutError, BackchannelLogoutErrorBody, SetErrorBody, TokenErrorBody)
    ),
    modifiers(&SecuritySchemes)
)]
struct Operations;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
    }
}

/// The operation id [`Operations`] gives each route.
fn operation_id(kind: RouteKind) -> &'static str {
    match kind {
        RouteKind::Login => "sign_in",
        RouteKind::Callback => "callback",
        RouteKind::Logout => "sign_out",
        RouteKind::SignOutEverywhere => "sign_out_everywhere",
        RouteKind::BackchannelLogout => "backchannel_logout",
        RouteKind::Jwks => "jwks",
        RouteKind::SecurityEvents => "security_events",
        RouteKind::SecurityEventsToken => "security_events_token",
    }
}

fn method(kind: RouteKind) -> HttpMethod {
    if kind.method() == http::Method::GET { HttpMethod::Get } else { HttpMethod::Post }
}

/// Takes the operation with this id out of `document`.
fn take_operation(document: &mut Document, id: &str) -> Option<Operation> {
    document.paths.paths.values_mut().find_map(|item| {
        [&mut item.get, &mut item.post]
            .into_iter()
            .find(|op| op.as_ref().is_some_and(|op| op.operation_id.as_deref() == Some(id)))
            .and_then(Option::take)
    })
}

impl OneLogin {
    /// The OpenAPI 3.1 document of every route this configuration mounts
    /// ([`OneLogin::mounted_routes`]), each at its configured path, with its parameters, request
    /// body and every response, error bodies included. Serve it with
    /// [`to_json`](utoipa::openapi::OpenApi::to_json); merge the application's own routes into
    /// it with [`merge`](utoipa::openapi::OpenApi::merge).
    ///
    /// ```
    /// # use govuk_one_login::{Config, Environment, OneLogin};
    /// # let config = Config::builder(Environment::Custom { issuer: "http://127.0.0.1:9".into() })
    /// #     .client_id(govuk_one_login_mock::CLIENT_ID)
    /// #     .redirect_uri("http://127.0.0.1:8080/auth/callback")
    /// #     .signing_key_pem(govuk_one_login_mock::keys::RP_PRIVATE_KEY_PEM).unwrap()
    /// #     .build().unwrap();
    /// # let one_login = OneLogin::new(config).unwrap();
    /// let document = one_login.openapi();
    /// let json = document.to_json().unwrap();
    /// assert!(json.contains("\"/auth/callback\""));
    /// assert!(document.paths.paths["/auth/logout"].post.is_some());
    /// ```
    pub fn openapi(&self) -> Document {
        document_for(&self.mounted_routes())
    }
}

/// [`Operations`]'s operations at these routes' paths.
fn document_for(routes: &[MountedRoute<'_>]) -> Document {
    let mut template = Operations::openapi();
    let mut document = template.clone();
    document.paths.paths.clear();
    env!("CARGO_PKG_VERSION").clone_into(&mut document.info.version);
    for route in routes {
        let Some(operation) = take_operation(&mut template, operation_id(route.kind)) else { continue };
        let item = document.paths.paths.entry(route.path.to_owned()).or_insert_with(PathItem::default);
        match method(route.kind) {
            HttpMethod::Get => item.get = Some(operation),
            _ => item.post = Some(operation),
        }
    }
    document
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::{RefOr, Response};

    use super::*;

    #[test]
    fn every_route_kind_has_an_operation() {
        let all = [
            RouteKind::Login,
            RouteKind::Callback,
            RouteKind::Logout,
            RouteKind::SignOutEverywhere,
            RouteKind::BackchannelLogout,
            RouteKind::Jwks,
            RouteKind::SecurityEvents,
            RouteKind::SecurityEventsToken,
        ];
        let mut template = Operations::openapi();
        for kind in all {
            let operation = take_operation(&mut template, operation_id(kind));
            assert!(operation.is_some(), "no operation for {kind:?}");
        }
        let left: usize =
            template.paths.paths.values().map(|i| usize::from(i.get.is_some()) + usize::from(i.post.is_some())).sum();
        assert_eq!(left, 0, "an operation that no route kind names");
    }

    #[test]
    fn the_level_spellings_are_every_order_the_parser_reads() {
        let schema = serde_json::to_value(vector_of_trust_spellings()).unwrap();
        let spellings: Vec<&str> = schema["enum"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        for expected in ["Cl", "Cl.Cm", "Cm.Cl", "Cl.Cm.P2", "P2.Cm.Cl", "Cl.P0", "Cl.Cm.P0", "Cl.Cm.P3"] {
            assert!(spellings.contains(&expected), "{expected} missing from {spellings:?}");
        }
        for refused in ["Cm", "P2", "Cl.P2", "Cl.Cl", "Cl.Cm.P2.P1", ""] {
            assert!(!spellings.contains(&refused), "{refused} listed");
            assert!(refused.parse::<VectorOfTrust>().is_err(), "{refused} parses");
        }
        assert_eq!(spellings.len(), 1 + 2 + 2 + 4 * 6, "Cl; Cl.Cm twice; Cl.P0 twice; Cl.Cm.Pn in 6 orders each");
    }

    #[test]
    fn problem_responses_name_both_bodies() {
        let (name, response) = Problem::response();
        assert_eq!(name, "Problem");
        let RefOr::T(Response { content, .. }) = response else { panic!("an inline response") };
        assert!(content.contains_key("text/html") && content.contains_key("application/json"));
    }
}

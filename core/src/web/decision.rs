//! The guard's typed decision, and [`Denial`], the answer an API call gets instead of a
//! redirect: one body, whoever builds it (the guard, an extractor or a handler).

use std::sync::Arc;

use http::StatusCode;
use serde::Serialize;

use super::WebResponse;
use super::pages::ProblemKind;
use crate::client::LoginRequest;
use crate::levels::{Requirement, VectorOfTrust};
use crate::session::SessionRecord;

/// The JSON body of a denial or an error: what an API call (or a request that asked for
/// JSON) gets instead of a redirect or an error page. (Its doc comments are the OpenAPI
/// document's descriptions: no links.)
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub(crate) struct DenialBody {
    /// Why, machine-readable.
    #[cfg_attr(feature = "openapi", schema(schema_with = denial_codes))]
    pub(crate) error: &'static str,
    /// A sentence safe to show, in English.
    pub(crate) message: &'static str,
    /// The vector of trust that would be accepted, when the denial is about a level
    /// (`Cl.Cm`, `Cl.Cm.P2`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) required: Option<String>,
}

/// Every [`DenialCode`]'s `error`, as a string enumeration.
#[cfg(feature = "openapi")]
fn denial_codes() -> utoipa::openapi::Object {
    let codes = DenialCode::ALL.iter().copied().chain(ProblemKind::ALL.iter().map(|k| DenialCode::Problem(*k)));
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(codes.map(DenialCode::as_str)))
        .build()
}

/// What the guard decided for one request. [`OneLogin::decide`](crate::OneLogin::decide) gives
/// it without I/O; [`OneLogin::guard`](crate::OneLogin::guard) acts on it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Decision {
    /// The session meets the requirement: run the handler.
    Allow(Arc<SessionRecord>),
    /// No session, and the request is a page: start this sign-in.
    SignIn(LoginRequest),
    /// A session below the requirement, and the request is a page: start this step-up.
    StepUp(LoginRequest),
    /// A session at the level but signed in longer ago than the requirement's `max_age`, and
    /// the request is a page: start this re-authentication.
    Reauthenticate(LoginRequest),
    /// An API call that does not meet the requirement: answer with this.
    Deny(Denial),
}

/// Why an API call (or a handler) refuses a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenialCode {
    /// No session (401, `unauthenticated`).
    Unauthenticated,
    /// A session below the required level (403, `insufficient_level`).
    InsufficientLevel,
    /// A session at the level whose sign-in is older than the requirement allows (403,
    /// `reauthentication_required`).
    ReauthenticationRequired,
    /// A session at an identity level without a verified core identity (403,
    /// `identity_not_proven`).
    IdentityNotProven,
    /// An error (its own status and code).
    Problem(ProblemKind),
}

impl DenialCode {
    /// Every code but [`DenialCode::Problem`] (whose kinds are [`ProblemKind::ALL`]).
    pub const ALL: &'static [DenialCode] = &[
        DenialCode::Unauthenticated,
        DenialCode::InsufficientLevel,
        DenialCode::ReauthenticationRequired,
        DenialCode::IdentityNotProven,
    ];

    /// The machine-readable `error` of the JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            DenialCode::Unauthenticated => "unauthenticated",
            DenialCode::InsufficientLevel => "insufficient_level",
            DenialCode::ReauthenticationRequired => "reauthentication_required",
            DenialCode::IdentityNotProven => "identity_not_proven",
            DenialCode::Problem(kind) => kind.code(),
        }
    }
}

/// A refusal for API calls: a status and a JSON body
/// `{"error": code, "message": …, "required": vtr}`. The guard and the extractors build these;
/// so can a handler, so that its own 401 matches theirs:
///
/// ```
/// use govuk_one_login::Requirement;
/// use govuk_one_login::web::Denial;
/// let denial = Denial::unauthenticated(&Requirement::MEDIUM);
/// assert_eq!(denial.status(), 401);
/// assert_eq!(denial.to_json()["error"], "unauthenticated");
/// assert_eq!(denial.to_json()["required"], "Cl.Cm");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    status: StatusCode,
    code: DenialCode,
    required: Option<VectorOfTrust>,
}

impl Denial {
    /// 401: sign in at `required` first.
    pub fn unauthenticated(required: &Requirement) -> Self {
        Self { status: StatusCode::UNAUTHORIZED, code: DenialCode::Unauthenticated, required: Some(required.vector()) }
    }
    /// 403: the session is below `required`.
    pub fn insufficient_level(required: &Requirement) -> Self {
        Self { status: StatusCode::FORBIDDEN, code: DenialCode::InsufficientLevel, required: Some(required.vector()) }
    }
    /// 403: the session's sign-in is older than `required` allows.
    pub fn reauthentication_required(required: &Requirement) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            code: DenialCode::ReauthenticationRequired,
            required: Some(required.vector()),
        }
    }
    /// 403: no verified core identity in the session.
    pub fn identity_not_proven(required: &Requirement) -> Self {
        Self { status: StatusCode::FORBIDDEN, code: DenialCode::IdentityNotProven, required: Some(required.vector()) }
    }
    /// An error, with its status.
    pub fn problem(kind: ProblemKind, status: StatusCode) -> Self {
        Self { status, code: DenialCode::Problem(kind), required: None }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// Why.
    pub fn code(&self) -> DenialCode {
        self.code
    }
    /// The level that would be accepted, when the denial is about a level.
    pub fn required(&self) -> Option<&VectorOfTrust> {
        self.required.as_ref()
    }
    /// A sentence safe to show, in English.
    pub fn message(&self) -> &'static str {
        match self.code {
            DenialCode::Unauthenticated => "Sign in to continue.",
            DenialCode::InsufficientLevel => "A higher level of assurance is needed.",
            DenialCode::ReauthenticationRequired => "Sign in again to continue.",
            DenialCode::IdentityNotProven => "Your identity has not been confirmed.",
            DenialCode::Problem(kind) => kind.message(),
        }
    }
    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).unwrap_or_default()
    }
    /// The JSON body, as the type the OpenAPI document describes.
    pub(crate) fn body(&self) -> DenialBody {
        DenialBody {
            error: self.code.as_str(),
            message: self.message(),
            required: self.required.as_ref().map(ToString::to_string),
        }
    }
    /// The whole response: status, `cache-control: no-store` and the JSON body.
    pub fn to_response(&self) -> WebResponse {
        WebResponse::new(self.status).json(&self.body())
    }
}

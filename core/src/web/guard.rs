//! The guard: the one place that decides whether a request may reach a protected handler.

use std::sync::Arc;

use serde_json::json;

use super::cookies::{self, Names};
use super::{SessionContext, WebResponse};
use crate::client::{LoginRequest, OneLogin};
use crate::levels::Requirement;
use crate::return_path::ReturnPath;
use crate::session::SessionRecord;

/// The request facts the guard needs.
#[derive(Debug, Clone, Copy)]
pub struct RequestInfo<'a> {
    /// The method, such as `GET`.
    pub method: &'a str,
    /// The path and query, such as `/apply?step=2`: where to return after sign-in.
    pub path_and_query: &'a str,
    /// The `Accept` header.
    pub accept: Option<&'a str>,
}

impl RequestInfo<'_> {
    /// Whether this is an API request: `Accept: application/json`, or a method other than
    /// GET/HEAD (which a redirect to One Login could not complete).
    pub fn wants_json(&self) -> bool {
        self.accept.is_some_and(|a| a.to_ascii_lowercase().contains("application/json"))
            || !(self.method.eq_ignore_ascii_case("GET") || self.method.eq_ignore_ascii_case("HEAD"))
    }
}

/// The guard's decision.
#[derive(Debug)]
pub enum GuardOutcome {
    /// The session meets the requirement: run the handler.
    Allow(Arc<SessionRecord>),
    /// Answer with this instead: a redirect to One Login (sign-in or step-up) for pages, or a
    /// 401/403 JSON body for APIs, or an error page when One Login cannot be reached.
    Respond(WebResponse),
}

/// What an extractor asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Needs {
    /// A signed-in session at any level; without one, sign-in at `Cl.Cm`.
    Session,
    /// A session with a verified core identity; without one, step-up to `Cl.Cm.P2`.
    Identity,
}

/// What the guard found when it did not allow the request.
enum Challenge {
    /// An API request: answer with this JSON error.
    Json(WebResponse),
    /// A page request: start this login.
    Login(LoginRequest),
}

impl OneLogin {
    fn challenge(
        &self,
        requirement: &Requirement,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> Result<Arc<SessionRecord>, Challenge> {
        let reauthenticate = match &ctx.record {
            Some(s) if requirement.is_met_by(s.achieved(), s.auth_time(), self.now()) => return Ok(s.clone()),
            Some(s) if s.achieved().meets(requirement.vector()) => Some(s.id_token().clone()),
            _ => None,
        };
        if request.wants_json() {
            let (status, error) =
                if ctx.record.is_some() { (403, "insufficient_level") } else { (401, "unauthenticated") };
            return Err(Challenge::Json(WebResponse::new(status).json(&json!({
                "error": error,
                "required": requirement.vector().to_string(),
                "message": if status == 401 { "Sign in to continue." } else { "A higher level of assurance is needed." },
            }))));
        }
        let mut login = LoginRequest::new(*requirement, ReturnPath::parse_or_root(request.path_and_query));
        login.flow_cookie = ctx.flow_cookie.clone();
        login.reauthenticate = reauthenticate.filter(|_| self.config().request_objects());
        Err(Challenge::Login(login))
    }

    /// Checks `requirement` against the request's session.
    ///
    /// - No session: pages get a redirect to One Login with the requirement's `vtr`; APIs get
    ///   401 with a JSON body.
    /// - A session below the requirement, or signed in longer ago than its `max_age`: pages
    ///   step up (back to the same path and query afterwards; re-authentication when only
    ///   freshness is missing); APIs get 403 with a JSON body.
    /// - Otherwise: [`GuardOutcome::Allow`], with no call to One Login.
    pub async fn guard(
        &self,
        requirement: &Requirement,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> GuardOutcome {
        match self.challenge(requirement, ctx, request) {
            Ok(record) => GuardOutcome::Allow(record),
            Err(Challenge::Json(response)) => GuardOutcome::Respond(response),
            Err(Challenge::Login(login)) => GuardOutcome::Respond(self.login_redirect(login).await),
        }
    }

    /// Like [`OneLogin::guard`] but without I/O, for extractors: a page that needs a sign-in
    /// is sent to the local login route (`/auth/login?level=…&return_to=…`), which starts it.
    /// Nothing is stored until the browser follows that link.
    pub fn guard_now(
        &self,
        requirement: &Requirement,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> GuardOutcome {
        match self.challenge(requirement, ctx, request) {
            Ok(record) => GuardOutcome::Allow(record),
            Err(Challenge::Json(response)) => GuardOutcome::Respond(response),
            Err(Challenge::Login(login)) => GuardOutcome::Respond(WebResponse::redirect(
                302,
                &self.login_link(&login.requirement, &login.return_to),
            )),
        }
    }

    /// The decision behind the adapters' extractors (`AuthenticatedUser`, `VerifiedIdentity`):
    /// the session when it has what `needs` asks for, else the response to reject with (a
    /// redirect to the local sign-in route for pages, 401/403 JSON for APIs). No I/O.
    pub fn extract(
        &self,
        needs: Needs,
        ctx: &SessionContext,
        request: &RequestInfo<'_>,
    ) -> Result<Arc<SessionRecord>, WebResponse> {
        let identity = needs == Needs::Identity;
        if let Some(record) = ctx.record.as_ref().filter(|r| !identity || r.identity().is_some()) {
            return Ok(record.clone());
        }
        let requirement = if identity { Requirement::IDENTITY_P2 } else { Requirement::MEDIUM };
        // Allowed at an identity level means a verified identity is in the session.
        match self.guard_now(&requirement, ctx, request) {
            GuardOutcome::Allow(record) => Ok(record),
            GuardOutcome::Respond(response) => Err(response),
        }
    }

    /// A link to the local login route that signs in at `requirement` and returns to
    /// `return_to`: use it for "Sign in" links.
    pub fn login_link(&self, requirement: &Requirement, return_to: &ReturnPath) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("level", &requirement.vector().to_string());
        if let Some(max_age) = requirement.max_age() {
            q.append_pair("max_age", &max_age.as_secs().to_string());
        }
        q.append_pair("return_to", return_to.as_str());
        format!("{}?{}", self.config().routes().login, q.finish())
    }

    /// `GET <login>?level=…&max_age=…&return_to=…`: starts a sign-in (or step-up) and
    /// redirects to One Login; when the session already meets the level, goes straight to
    /// `return_to` (local paths only).
    pub async fn login_route(&self, query: &str, ctx: &SessionContext) -> WebResponse {
        let (mut level, mut max_age, mut return_to) = (None, None, None);
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "level" => level = v.parse::<crate::levels::VectorOfTrust>().ok(),
                "max_age" => max_age = v.parse::<u64>().ok(),
                "return_to" => return_to = Some(ReturnPath::parse_or_root(&v)),
                _ => {}
            }
        }
        let mut requirement = Requirement::vector_of_trust(level.unwrap_or(crate::levels::VectorOfTrust::MEDIUM));
        if let Some(m) = max_age {
            requirement = requirement.with_max_age(std::time::Duration::from_secs(m));
        }
        let return_to = return_to.unwrap_or_else(ReturnPath::root);
        let info = RequestInfo { method: "GET", path_and_query: return_to.as_str(), accept: None };
        match self.guard(&requirement, ctx, &info).await {
            GuardOutcome::Allow(_) => WebResponse::redirect(303, return_to.as_str()),
            GuardOutcome::Respond(response) => response,
        }
    }

    /// Starts a login and answers with the redirect to One Login (and the flow cookie), or an
    /// error page when it cannot be started.
    pub async fn login_redirect(&self, login: LoginRequest) -> WebResponse {
        match self.start_login(login).await {
            Ok(start) => {
                let names = Names::for_config(self.config());
                let max_age = self.config().pending_login_ttl.as_secs() as i64;
                WebResponse::redirect(302, start.url.as_str())
                    .header("set-cookie", cookies::set(names.flow, &start.flow_cookie, max_age, names.secure))
            }
            Err(error) => {
                tracing::warn!(%error, "could not start a One Login sign-in");
                self.error_response(&error, false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_requests_are_json_or_non_get() {
        let info = |method, accept| RequestInfo { method, path_and_query: "/", accept };
        assert!(!info("GET", None).wants_json());
        assert!(!info("HEAD", Some("text/html")).wants_json());
        assert!(info("GET", Some("application/json")).wants_json());
        assert!(info("GET", Some("text/html, Application/JSON;q=0.9")).wants_json());
        assert!(info("POST", None).wants_json(), "a redirect could not replay a POST");
        assert!(info("DELETE", Some("text/html")).wants_json());
    }
}

//! What the library counts and times, through the [`metrics`](https://docs.rs/metrics)
//! facade: nothing is recorded until the application installs a recorder (such as
//! `metrics-exporter-prometheus`, as the demos do on `/metrics`). Labels are drawn from
//! fixed sets (levels, reasons, endpoints), never from a user, a token or a URL, so no
//! personal data reaches a label and their number stays bounded. Nothing is recorded per
//! guarded request: only sign-ins, sign-outs and calls to One Login.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `govuk_one_login_sign_ins_started_total` | counter | `level` (asked for, such as `Cl.Cm.P2`), `kind` (`sign_in`, `step_up`, `freshness_retry`) |
//! | `govuk_one_login_sign_ins_completed_total` | counter | `level` (achieved) |
//! | `govuk_one_login_sign_ins_failed_total` | counter | `reason` (a [`ProblemKind`](crate::web::ProblemKind) code, such as `sign_in_cancelled` or `sign_in_failed`) |
//! | `govuk_one_login_sign_outs_total` | counter | |
//! | `govuk_one_login_backchannel_logouts_total` | counter | `outcome` (`ended`, `refused`, `failed`) |
//! | `govuk_one_login_document_fetches_total` | counter | `document` (`discovery`, `jwks`, `did_document`, `events_jwks`), `outcome` (`ok`, `failed`) |
//! | `govuk_one_login_outbound_request_duration_seconds` | histogram | `endpoint` (`discovery`, `jwks`, `did_document`, `token`, `userinfo`, `events_jwks`, `events_verification`), `outcome` (`ok`, `failed`) |
//!
//! [`describe`] gives each its description and unit, for exporters that show them.

use std::time::Duration;

use crate::Error;
use crate::error::Endpoint;
use crate::levels::VectorOfTrust;

/// Sign-ins started, by level asked for and kind.
pub const SIGN_INS_STARTED: &str = "govuk_one_login_sign_ins_started_total";
/// Sign-ins completed (a session created), by level achieved.
pub const SIGN_INS_COMPLETED: &str = "govuk_one_login_sign_ins_completed_total";
/// Sign-ins that failed at the callback, by reason.
pub const SIGN_INS_FAILED: &str = "govuk_one_login_sign_ins_failed_total";
/// Sign-outs through the library's sign-out route or `OneLogin::sign_out`.
pub const SIGN_OUTS: &str = "govuk_one_login_sign_outs_total";
/// Back-channel logouts received, by outcome.
pub const BACKCHANNEL_LOGOUTS: &str = "govuk_one_login_backchannel_logouts_total";
/// Fetches of One Login's documents (discovery, key sets, the DID document), by outcome.
pub const DOCUMENT_FETCHES: &str = "govuk_one_login_document_fetches_total";
/// How long each call to One Login took, by endpoint and outcome.
pub const OUTBOUND_DURATION: &str = "govuk_one_login_outbound_request_duration_seconds";

/// Registers each metric's description (and the histogram's unit) with the installed
/// recorder. Optional: metrics are recorded without it.
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(SIGN_INS_STARTED, "Sign-ins sent to GOV.UK One Login, by level asked for and kind");
    describe_counter!(SIGN_INS_COMPLETED, "Sign-ins completed with a new session, by level achieved");
    describe_counter!(SIGN_INS_FAILED, "Sign-ins that failed at the callback, by reason");
    describe_counter!(SIGN_OUTS, "Sign-outs");
    describe_counter!(BACKCHANNEL_LOGOUTS, "Back-channel logouts received, by outcome");
    describe_counter!(DOCUMENT_FETCHES, "Fetches of One Login's discovery document, key sets and DID document");
    describe_histogram!(OUTBOUND_DURATION, Unit::Seconds, "Calls to GOV.UK One Login, by endpoint and outcome");
}

/// `kind`: `sign_in`, `step_up` or `freshness_retry`.
pub(crate) fn sign_in_started(level: VectorOfTrust, kind: &'static str) {
    metrics::counter!(SIGN_INS_STARTED, "level" => level.to_string(), "kind" => kind).increment(1);
}

pub(crate) fn sign_in_completed(level: VectorOfTrust) {
    metrics::counter!(SIGN_INS_COMPLETED, "level" => level.to_string()).increment(1);
}

pub(crate) fn sign_in_failed(error: &Error) {
    metrics::counter!(SIGN_INS_FAILED, "reason" => error.problem_kind().code()).increment(1);
}

pub(crate) fn signed_out() {
    metrics::counter!(SIGN_OUTS).increment(1);
}

/// `outcome`: `ended`, `refused` (a bad token) or `failed` (the check or the store failed).
pub(crate) fn backchannel_logout(outcome: &'static str) {
    metrics::counter!(BACKCHANNEL_LOGOUTS, "outcome" => outcome).increment(1);
}

pub(crate) fn document_fetched(endpoint: Endpoint, ok: bool) {
    metrics::counter!(DOCUMENT_FETCHES, "document" => label(endpoint), "outcome" => outcome(ok)).increment(1);
}

pub(crate) fn outbound(endpoint: Endpoint, took: Duration, ok: bool) {
    metrics::histogram!(OUTBOUND_DURATION, "endpoint" => label(endpoint), "outcome" => outcome(ok))
        .record(took.as_secs_f64());
}

fn outcome(ok: bool) -> &'static str {
    if ok { "ok" } else { "failed" }
}

fn label(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Discovery => "discovery",
        Endpoint::Jwks => "jwks",
        Endpoint::DidDocument => "did_document",
        Endpoint::Token => "token",
        Endpoint::Userinfo => "userinfo",
        Endpoint::EventsJwks => "events_jwks",
        Endpoint::EventsVerification => "events_verification",
        Endpoint::PublishedKeys => "published_keys",
    }
}

//! The demos' `GET /openapi.json`: the OpenAPI document of the library's routes
//! ([`OneLogin::openapi`]) with the demo's own operations routes (`/metrics` and this document)
//! merged in.

#![allow(dead_code, reason = "declarations for utoipa's `path` macro, never called")]

use govuk_one_login::OneLogin;
use utoipa::OpenApi;

/// The library's counters and histograms, in Prometheus text.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.", content_type = "text/plain",
        body = String))
)]
fn metrics() {}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document.", content_type = "application/json",
        body = Object))
)]
fn openapi_json() {}

#[derive(OpenApi)]
#[openapi(paths(metrics, openapi_json))]
struct DemoRoutes;

/// The `Content-Type` of [`document`].
pub const CONTENT_TYPE: &str = "application/json";

/// The document `GET /openapi.json` serves, as JSON: the library's routes for this engine's
/// configuration, then the demo's.
pub fn document(one_login: &OneLogin) -> String {
    let mut document = one_login.openapi();
    "GOV.UK One Login demo service".clone_into(&mut document.info.title);
    document.merge(DemoRoutes::openapi());
    document.to_json().unwrap_or_default()
}

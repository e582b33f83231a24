//! Plain, safe pages and JSON bodies for errors and outcomes. No internals, no tokens, no
//! personal data.

use serde_json::json;

use super::WebResponse;

pub(crate) fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub(crate) fn page(status: u16, title: &str, body_html: &str) -> WebResponse {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body><main><h1>{t}</h1>{body_html}</main></body></html>",
        t = escape(title)
    );
    WebResponse::new(status).html(html)
}

fn title_for(status: u16) -> &'static str {
    match status {
        400 => "Sorry, there is a problem",
        401 => "You need to sign in",
        403 => "You cannot continue",
        502..=504 => "Sorry, the service is unavailable",
        _ => "Sorry, there is a problem with the service",
    }
}

fn code_for(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        502 => "bad_gateway",
        503 | 504 => "unavailable",
        _ => "internal_error",
    }
}

/// An error as a page (with a link back to the start) or as JSON `{"error", "message"}`.
pub(crate) fn problem(status: u16, message: &str, wants_json: bool) -> WebResponse {
    if wants_json {
        return WebResponse::new(status).json(&json!({ "error": code_for(status), "message": message }));
    }
    page(status, title_for(status), &format!("<p>{}</p><p><a href=\"/\">Go to the start page</a></p>", escape(message)))
}

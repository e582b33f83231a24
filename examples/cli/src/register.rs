//! The values One Login's registration asks for, derived from the routes the library mounts
//! (their defaults, `govuk_one_login::Routes`) under the service's base URL.

use govuk_one_login::{IdentityClaim, Routes, VectorOfTrust};
use serde_json::{Value, json};
use url::Url;

/// What `register` was told.
pub(crate) struct Service {
    pub(crate) base: Url,
    pub(crate) callback_path: String,
    pub(crate) post_logout_path: String,
    pub(crate) public_jwk: Option<Value>,
    pub(crate) jwks_path: Option<String>,
    pub(crate) levels: Vec<VectorOfTrust>,
    pub(crate) claims: Vec<IdentityClaim>,
    pub(crate) scopes: Vec<String>,
}

/// The registration values as JSON (`--json`); the text form prints the same fields.
pub(crate) fn values(s: &Service) -> Result<Value, String> {
    let routes = Routes::default();
    let at = |path: &str| s.base.join(path).map(|u| u.to_string()).map_err(|e| format!("`{path}`: {e}"));
    let identity = s.levels.iter().any(|v| v.needs_identity());
    let claims: Vec<String> = if identity { s.claims.iter().map(|c| c.uri()).collect() } else { Vec::new() };
    let mut public_key = json!(null);
    if let Some(jwk) = &s.public_jwk {
        public_key = json!({ "type": "static", "jwk": jwk });
    }
    if let Some(path) = &s.jwks_path {
        public_key = json!({ "type": "jwks_uri", "jwks_uri": at(path)? });
    }
    Ok(json!({
        "redirect_uris": [at(&s.callback_path)?],
        "post_logout_redirect_uris": [at(&s.post_logout_path)?],
        "back_channel_logout_uri": at(&routes.backchannel_logout)?,
        "public_key": public_key,
        "token_endpoint_auth_method": "private_key_jwt",
        "id_token_signing_algorithm": "ES256",
        "scopes": s.scopes,
        "levels_of_confidence_and_authentication": s.levels.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "identity_verification_required": identity,
        "claims": claims,
        "subject_type": "pairwise",
        "environment_variables": {
            "ONE_LOGIN_REDIRECT_URI": at(&s.callback_path)?,
            "ONE_LOGIN_POST_LOGOUT_REDIRECT_URI": at(&s.post_logout_path)?,
            "ONE_LOGIN_SCOPES": s.scopes.join(" "),
            "ONE_LOGIN_IDENTITY_CLAIMS": s.claims.iter().map(|c| c.uri().rsplit('/').next().unwrap_or_default().to_owned()).collect::<Vec<_>>().join(" "),
        },
    }))
}

/// The same values as text, one per line, for pasting into the registration form.
pub(crate) fn text(v: &Value) -> String {
    let list = |k: &str| {
        v[k].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()
    };
    let key = match v["public_key"]["type"].as_str() {
        Some("static") => format!(
            "static key, kid {} (its PEM: govuk-one-login keygen wrote it beside the key)",
            v["public_key"]["jwk"]["kid"].as_str().unwrap_or("")
        ),
        Some("jwks_uri") => format!("JWKS URL {}", v["public_key"]["jwks_uri"].as_str().unwrap_or("")),
        _ => "(give --key FILE or --jwks-path PATH)".to_owned(),
    };
    let mut out = String::new();
    for (label, value) in [
        ("Redirect URIs", list("redirect_uris")),
        ("Post-logout redirect URIs", list("post_logout_redirect_uris")),
        ("Back-channel logout URI", v["back_channel_logout_uri"].as_str().unwrap_or("").to_owned()),
        ("Public key", key),
        ("Client authentication", "private_key_jwt".to_owned()),
        ("ID token signing algorithm", "ES256".to_owned()),
        ("Scopes", list("scopes")),
        ("Levels", list("levels_of_confidence_and_authentication")),
        (
            "Identity claims",
            if v["claims"].as_array().is_some_and(|c| !c.is_empty()) {
                list("claims")
            } else {
                "(none: no identity level)".to_owned()
            },
        ),
        ("Subject type", "pairwise".to_owned()),
    ] {
        out.push_str(label);
        out.push_str(": ");
        out.push_str(&value);
        out.push('\n');
    }
    out
}

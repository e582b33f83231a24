//! The stand-in's HTTP endpoints.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Form, Query, Request, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

use crate::tokens::{self, now, random};
use crate::{AuthorizeSeen, EndSessionSeen, Fault, Grant, Shared};
use crate::{sign_in_page, ssf};

type S = AxState<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/.well-known/did.json", get(did))
        .route("/authorize", get(authorize))
        .route("/authorize/decision", post(decision))
        .route("/assets/govuk-frontend.min.css", get(sign_in_page::css))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .route("/logout", get(logout))
        .route("/trustmark", get(trustmark))
        .route("/ssf/jwks.json", get(ssf::jwks))
        .route("/ssf/token", post(ssf::token))
        .route("/ssf/verify", post(ssf::verify))
        .route("/ssf/fire", post(ssf::fire))
        .layer(middleware::from_fn_with_state(shared.clone(), switches))
        .with_state(shared)
}

/// Counts hits, applies delays and outages, and refuses calls without a User-Agent on the
/// back-channel endpoints, as One Login does.
async fn switches(AxState(shared): S, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let (down, status, malformed, delay, need_ua) = {
        let mut s = shared.lock();
        *s.hits.entry(path.clone()).or_default() += 1;
        let down = s.down.contains(&path) || s.down.contains("*");
        let status = s.status.get(&path).or_else(|| s.status.get("*")).copied();
        let malformed = s.malformed.contains(&path) || s.malformed.contains("*");
        let delay = s.delay.get(&path).or_else(|| s.delay.get("*")).copied();
        (down, status, malformed, delay, s.require_user_agent)
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    if down {
        return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
    }
    if let Some(code) = status.and_then(|c| StatusCode::from_u16(c).ok()) {
        return (code, "stand-in status switch").into_response();
    }
    if malformed {
        return ([(header::CONTENT_TYPE, "application/json")], "{\"keys\": [ not json").into_response();
    }
    let back_channel = !matches!(path.as_str(), "/authorize" | "/authorize/decision" | "/logout");
    let ua = request.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if need_ua && back_channel && ua.trim().is_empty() {
        return (StatusCode::FORBIDDEN, "Forbidden").into_response();
    }
    next.run(request).await
}

pub(crate) fn cached(shared: &Shared, path: &str, default: u64, body: Value) -> Response {
    let max_age = shared.lock().max_age.get(path).copied().unwrap_or(default);
    ([(header::CACHE_CONTROL, format!("max-age={max_age}"))], Json(body)).into_response()
}

async fn discovery(AxState(shared): S) -> Response {
    let i = &shared.issuer;
    let body = json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}authorize"),
        "token_endpoint": format!("{i}token"),
        "userinfo_endpoint": format!("{i}userinfo"),
        "end_session_endpoint": format!("{i}logout"),
        "jwks_uri": format!("{i}.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public", "pairwise"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": ["en", "cy"],
        "request_parameter_supported": true,
        "request_uri_parameter_supported": false,
        "backchannel_logout_supported": true,
        "trustmarks": format!("{i}trustmark"),
        "scopes_supported": ["openid", "email", "phone"],
    });
    let edit = shared.lock().discovery_edit.clone();
    let mut body = body;
    if let (Some(edit), Some(map)) = (edit, body.as_object_mut()) {
        edit(map);
    }
    cached(&shared, "/.well-known/openid-configuration", 86_400, body)
}

async fn jwks(AxState(shared): S) -> Response {
    cached(&shared, "/.well-known/jwks.json", 86_400, tokens::jwks(&shared))
}

async fn did(AxState(shared): S) -> Response {
    cached(&shared, "/.well-known/did.json", 3600, tokens::did_document(&shared))
}

async fn trustmark(AxState(shared): S) -> Json<Value> {
    Json(
        json!({"idp": shared.issuer, "trustmark_provider": shared.issuer, "C": ["Cl", "Cl.Cm"], "P": ["P0", "P1", "P2", "P3"]}),
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    // The callers' bodies are `<p>…</p>` with escaped text.
    sign_in_page::page(status, sign_in_page::Lang::En, title, &body.replace("<p>", "<p class=\"govuk-body\">"))
}

use crate::sign_in_page::esc;

fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let mut url = url::Url::parse(uri).expect("registered redirect URI");
    for (k, v) in pairs {
        url.query_pairs_mut().append_pair(k, v);
    }
    Redirect::to(url.as_str()).into_response()
}

fn param_str(params: &Map<String, Value>, k: &str) -> Option<String> {
    match params.get(k)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

const CLIENT_ALGS: [Algorithm; 6] =
    [Algorithm::RS256, Algorithm::RS384, Algorithm::RS512, Algorithm::PS256, Algorithm::PS384, Algorithm::PS512];

/// The key to check a client JWT with: the registered one, or for a client registered by JWKS
/// URL the kept set's key with the token's `kid` (the set fetched again when it is older than
/// its keeping time, or does not hold that `kid`).
async fn client_key_for(shared: &Shared, token: &str) -> Result<DecodingKey, String> {
    let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid);
    let (url, kept) = {
        let s = shared.lock();
        let Some(jwks) = &s.client_jwks else { return Ok(s.client_key.clone()) };
        let fresh = jwks.fetched.as_ref().filter(|(at, _)| at.elapsed() < jwks.cache_for);
        let kept = fresh.and_then(|(_, keys)| keys.iter().find(|(k, _)| *k == kid).map(|(_, key)| key.clone()));
        (jwks.url.clone(), kept)
    };
    if let Some(key) = kept {
        return Ok(key);
    }
    let set: Value = reqwest::get(&url)
        .await
        .map_err(|e| format!("the client's JWKS URL could not be fetched: {e}"))?
        .json()
        .await
        .map_err(|e| format!("the client's JWKS is not JSON: {e}"))?;
    let keys: crate::ClientKeys = set["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| {
            let jwk: Jwk = serde_json::from_value(k.clone()).ok()?;
            Some((jwk.common.key_id.clone(), DecodingKey::from_jwk(&jwk).ok()?))
        })
        .collect();
    let found = keys.iter().find(|(k, _)| *k == kid).map(|(_, key)| key.clone());
    if let Some(jwks) = shared.lock().client_jwks.as_mut() {
        jwks.fetched = Some((Instant::now(), keys));
        jwks.fetches += 1;
    }
    found.ok_or_else(|| "no key in the client's JWKS has the JWT's kid".into())
}

fn verify_client_jwt(key: &DecodingKey, token: &str) -> Result<(Option<String>, Map<String, Value>), String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| format!("unparseable JWT: {e}"))?;
    if !CLIENT_ALGS.contains(&header.alg) {
        return Err("client JWTs must be RSA-signed".into());
    }
    let mut v = Validation::new(header.alg);
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, key, &v).map_err(|e| format!("signature: {e}"))?;
    Ok((header.kid, data.claims))
}

async fn authorize(AxState(shared): S, Query(query): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let _ = headers;
    let query_len: usize = query.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let client_id = shared.lock().client_id.clone();
    if query.get("client_id") != Some(&client_id) {
        return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>Unknown client.</p>");
    }
    let (params, request_object, kid) = if let Some(jar) = query.get("request") {
        let verified = match client_key_for(&shared, jar).await {
            Ok(key) => verify_client_jwt(&key, jar),
            Err(e) => Err(e),
        };
        let (kid, claims) = match verified {
            Ok(ok) => ok,
            Err(e) => {
                return page(StatusCode::BAD_REQUEST, "Invalid request", &format!("<p>{}</p>", esc(&e)));
            }
        };
        let now = now();
        let exp = claims.get("exp").and_then(Value::as_i64);
        if exp.is_some_and(|e| e + 30 < now) || claims.get("nbf").and_then(Value::as_i64).is_some_and(|n| n - 30 > now)
        {
            return page(StatusCode::BAD_REQUEST, "Request expired", "<p>Request expired.</p>");
        }
        let aud_ok = param_str(&claims, "aud").as_deref() == Some(&format!("{}authorize", shared.issuer));
        let same = |k: &str| param_str(&claims, k).as_deref() == query.get(k).map(String::as_str);
        if !(same("client_id") && same("response_type") && same("scope"))
            || param_str(&claims, "iss").as_deref() != Some(&client_id)
        {
            return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>unauthorized_client</p>");
        }
        if query.keys().any(|k| !matches!(k.as_str(), "client_id" | "response_type" | "scope" | "request")) {
            return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>Parameters outside the request object.</p>");
        }
        if !aud_ok {
            let uri = param_str(&claims, "redirect_uri").unwrap_or_default();
            if shared.lock().redirect_uris.contains(&uri) {
                let state = param_str(&claims, "state").unwrap_or_default();
                return redirect_with(&uri, &[("error", "access_denied"), ("state", &state)]);
            }
            return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>Bad aud.</p>");
        }
        (claims, true, kid)
    } else {
        // One Login strips these from plain queries.
        let params: Map<String, Value> = query
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "id_token_hint" | "login_hint"))
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        (params, false, None)
    };
    shared.lock().last_authorize =
        Some(AuthorizeSeen { request_object, params: params.clone(), query_len, request_object_kid: kid });

    let redirect_uri = param_str(&params, "redirect_uri").unwrap_or_default();
    if !shared.lock().redirect_uris.contains(&redirect_uri) {
        return page(StatusCode::BAD_REQUEST, "Invalid request", "<p>Redirect URI not registered.</p>");
    }
    let Some(state) = param_str(&params, "state") else {
        return redirect_with(
            &redirect_uri,
            &[("error", "invalid_request"), ("error_description", "Request is missing state parameter")],
        );
    };
    let fail = |code: &str, desc: &str| {
        redirect_with(&redirect_uri, &[("error", code), ("error_description", desc), ("state", &state)])
    };
    if param_str(&params, "response_type").as_deref() != Some("code") {
        return fail("unsupported_response_type", "Unsupported response type");
    }
    let scopes: Vec<String> = param_str(&params, "scope").unwrap_or_default().split(' ').map(str::to_owned).collect();
    if !scopes.iter().any(|s| s == "openid") {
        return fail("invalid_scope", "Invalid scope");
    }
    let Some(nonce) = param_str(&params, "nonce") else {
        return fail("invalid_request", "Request is missing nonce parameter");
    };
    let vtr = match params.get("vtr") {
        None => "Cl.Cm".to_string(),
        Some(Value::Array(list)) if list.len() == 1 => list[0].as_str().unwrap_or_default().to_owned(),
        Some(Value::String(s)) => match serde_json::from_str::<Vec<String>>(s) {
            Ok(list) if list.len() == 1 => list[0].clone(),
            _ => return fail("invalid_request", "Request vtr not valid"),
        },
        _ => return fail("invalid_request", "Request vtr not valid"),
    };
    let mut parts: Vec<&str> = vtr.split('.').collect();
    parts.sort_unstable();
    let identity = parts.iter().find(|p| p.starts_with('P')).map(ToString::to_string);
    let creds: Vec<&&str> = parts.iter().filter(|p| p.starts_with('C')).collect();
    let valid = match creds.as_slice() {
        [c] => **c == "Cl" && identity.as_deref().is_none_or(|p| p == "P0"),
        [a, b] => **a == "Cl" && **b == "Cm",
        _ => false,
    } && identity.as_deref().is_none_or(|p| matches!(p, "P0" | "P1" | "P2" | "P3"));
    if !valid {
        return fail("invalid_request", "Request vtr not valid");
    }
    let code_challenge = param_str(&params, "code_challenge");
    if code_challenge.is_some() && param_str(&params, "code_challenge_method").as_deref() != Some("S256") {
        return fail("invalid_request", "Invalid value for code_challenge_method parameter.");
    }
    let claims: Vec<String> = match params.get("claims") {
        Some(Value::Object(o)) => {
            o.get("userinfo").and_then(Value::as_object).map(|u| u.keys().cloned().collect()).unwrap_or_default()
        }
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .and_then(|v| v.get("userinfo").and_then(Value::as_object).map(|u| u.keys().cloned().collect()))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    {
        let s = shared.lock();
        for (fault, code) in [
            (Fault::AccessDenied, "access_denied"),
            (Fault::TemporarilyUnavailable, "temporarily_unavailable"),
            (Fault::LoginRequired, "login_required"),
        ] {
            if s.faults.contains(&fault) {
                drop(s);
                return fail(code, "Stand-in fault switch");
            }
        }
    }
    {
        // One Login's own session: `prompt=login` with a hint inside a request object makes the
        // user sign in again, and so does `max_age` where the client has `MaxAgeEnabled`; either
        // way the sign-in, and so `auth_time`, is new from here on.
        let mut s = shared.lock();
        let prompted = request_object
            && param_str(&params, "prompt").as_deref() == Some("login")
            && params.get("id_token_hint").is_some();
        let max_age = params.get("max_age").and_then(|m| m.as_i64().or_else(|| m.as_str()?.parse().ok()));
        let too_old = s.max_age_enabled && max_age.is_some_and(|m| -s.auth_time_offset > m);
        if prompted || too_old {
            s.auth_time_offset = 0;
            s.reauthentications += 1;
        }
    }
    let (auto, user) = {
        let mut s = shared.lock();
        let mut user = s.user.clone();
        if let Some(n) = s.subjects_given.as_mut() {
            *n += 1;
            user.sub = format!("{}-{n}", user.sub);
        }
        (s.auto_approve, user)
    };
    let grant = Grant {
        client_id,
        redirect_uri: redirect_uri.clone(),
        code_challenge,
        nonce: Some(nonce),
        vtr: vtr.clone(),
        identity: identity.filter(|p| p != "P0"),
        claims,
        scopes,
        user,
        identity_fails: false,
        proven_at: None,
    };
    if auto {
        return issue_code(&shared, grant, &state);
    }
    let id = random(16);
    let lang = sign_in_page::Lang::from_ui_locales(param_str(&params, "ui_locales").as_deref());
    let users = [grant.user.clone(), sign_in_page::second_user()];
    let response = sign_in_page::sign_in(lang, &vtr, &id, &users, grant.identity.as_deref());
    shared.lock().pending_decisions.insert(id, (grant, state, None));
    response
}

async fn decision(AxState(shared): S, Form(form): Form<HashMap<String, String>>) -> Response {
    let entry = form.get("id").and_then(|id| shared.lock().pending_decisions.remove(id));
    let Some((grant, state, _)) = entry else {
        return page(StatusCode::BAD_REQUEST, "Session expired", "<p>Start again from the service.</p>");
    };
    if form.get("decision").map(String::as_str) != Some("approve") {
        return redirect_with(&grant.redirect_uri, &[("error", "access_denied"), ("state", &state)]);
    }
    let mut grant = grant;
    // The second test user, when the person chose them (the first is the configured user).
    if form.get("user").map(String::as_str) == Some("2") {
        grant.user = sign_in_page::second_user();
    }
    if grant.identity.is_some() && form.get("level").map(String::as_str) == Some("fail") {
        // As One Login does: a return code when the client asked for one, else access_denied.
        if !grant.claims.iter().any(|c| c.ends_with("/returnCode")) {
            return redirect_with(&grant.redirect_uri, &[("error", "access_denied"), ("state", &state)]);
        }
        grant.identity_fails = true;
    }
    // The level of confidence chosen on the page: a lower one than asked shows the service's
    // refusal of an identity below its route's level.
    if grant.identity.is_some()
        && let Some(level) = form.get("confidence").filter(|l| matches!(l.as_str(), "P1" | "P2" | "P3"))
    {
        grant.proven_at = Some(level.clone());
    }
    issue_code(&shared, grant, &state)
}

fn issue_code(shared: &Shared, grant: Grant, state: &str) -> Response {
    let code = random(24);
    let uri = grant.redirect_uri.clone();
    shared.lock().codes.insert(code.clone(), grant);
    redirect_with(&uri, &[("code", &code), ("state", state)])
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({ "error": error, "error_description": description }))).into_response()
}

async fn token(AxState(shared): S, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let bad = |e: &str, d: &str| token_error(StatusCode::BAD_REQUEST, e, d);
    let redirect = shared.lock().token_redirect.clone();
    if let Some((status, location)) = redirect {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FOUND);
        return (status, [(header::LOCATION, location)]).into_response();
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return bad("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return bad("unsupported_grant_type", "Unsupported grant type");
    }
    if form.get("client_assertion_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return bad("invalid_request", "Invalid token authentication method used");
    }
    let client_id = shared.lock().client_id.clone();
    let Some(assertion) = form.get("client_assertion") else {
        return bad("invalid_request", "Invalid private_key_jwt");
    };
    let verified = match client_key_for(&shared, assertion).await {
        Ok(key) => verify_client_jwt(&key, assertion),
        Err(e) => Err(e),
    };
    let claims = match verified {
        Ok((kid, c)) => {
            shared.lock().last_assertion = Some((kid, c.clone()));
            c
        }
        Err(e) => return bad("invalid_client", &e),
    };
    let get = |k: &str| param_str(&claims, k);
    if get("iss").as_deref() != Some(&client_id) || get("sub") != get("iss") {
        return bad("invalid_client", "iss and sub must both be the client id");
    }
    let aud = get("aud").unwrap_or_default();
    if aud != format!("{}token", shared.issuer) && aud != shared.issuer {
        return bad("invalid_client", "aud is not the token endpoint");
    }
    if claims.get("exp").and_then(Value::as_i64).is_none_or(|e| e <= now()) {
        return bad("invalid_grant", "private_key_jwt has expired");
    }
    if get("jti").is_none_or(|j| j.is_empty()) {
        return bad("invalid_client", "jti is missing");
    }
    if form.get("client_id").is_some_and(|c| *c != client_id) {
        return bad("invalid_client", "client_id differs from the assertion");
    }
    let Some(grant) = form.get("code").and_then(|c| shared.lock().codes.remove(c)) else {
        return bad("invalid_grant", "Invalid code");
    };
    if form.get("redirect_uri") != Some(&grant.redirect_uri) {
        return bad("invalid_grant", "Redirect URI mismatch");
    }
    let pkce_ok = match (&grant.code_challenge, form.get("code_verifier")) {
        (None, None) => true,
        (Some(ch), Some(v)) => {
            use base64::Engine as _;
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, v.as_bytes());
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d) == *ch
        }
        _ => false,
    };
    if !pkce_ok {
        return bad("invalid_grant", "PKCE code verification failed");
    }
    let access_token = random(32);
    let id_token = tokens::id_token(&shared, &grant, &access_token);
    shared.lock().access_tokens.insert(access_token.clone(), grant);
    Json(json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": 180, "id_token": id_token }))
        .into_response()
}

async fn userinfo(AxState(shared): S, headers: HeaderMap) -> Response {
    let token =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let Some(grant) = token.and_then(|t| shared.lock().access_tokens.get(t).cloned()) else {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")])
            .into_response();
    };
    let (faults, level_override) = {
        let s = shared.lock();
        (s.faults.clone(), s.identity_level.clone())
    };
    let u = &grant.user;
    let mut body = json!({ "sub": if faults.contains(&Fault::UserinfoWrongSubject) { "urn:fdc:gov.uk:2022:other" } else { u.sub.as_str() } });
    if grant.scopes.iter().any(|s| s == "email") {
        body["email"] = json!(u.email);
        body["email_verified"] = json!(true);
    }
    if grant.scopes.iter().any(|s| s == "phone") {
        body["phone_number"] = json!(u.phone_number);
        body["phone_number_verified"] = json!(u.phone_number.is_some());
    }
    if let Some(requested) = &grant.identity {
        let unasked = faults.contains(&Fault::UserinfoUnrequestedClaims);
        let wants = |c: &str| {
            (unasked && matches!(c, "address" | "passport" | "drivingPermit"))
                || grant.claims.iter().any(|x| x == &format!("https://vocab.account.gov.uk/v1/{c}"))
        };
        let level = level_override.or_else(|| grant.proven_at.clone()).unwrap_or_else(|| requested.clone());
        let fails = grant.identity_fails || faults.contains(&Fault::CoreIdentityMissing);
        if wants("coreIdentityJWT") && !fails {
            body["https://vocab.account.gov.uk/v1/coreIdentityJWT"] =
                json!(tokens::core_identity(&shared, &grant, &level));
        } else if wants("returnCode") {
            body["https://vocab.account.gov.uk/v1/returnCode"] = json!([{ "code": "X" }]);
        }
        if wants("address") {
            body["https://vocab.account.gov.uk/v1/address"] = json!([{
                "uprn": 10_022_812_929u64, "buildingNumber": "8", "streetName": "HADLEY ROAD",
                "addressLocality": "BATH", "postalCode": "BA2 5AA", "addressCountry": "GB", "validFrom": "2000-01-01"
            }]);
        }
        if wants("passport") {
            body["https://vocab.account.gov.uk/v1/passport"] =
                json!([{ "documentNumber": "321654987", "icaoIssuerCode": "GBR", "expiryDate": "2030-01-01" }]);
        }
        if wants("drivingPermit") {
            body["https://vocab.account.gov.uk/v1/drivingPermit"] = json!([{
                "personalNumber": "DECER607085K99AE", "expiryDate": "2031-06-01", "issuedBy": "DVLA", "issueNumber": "17"
            }]);
        }
    }
    Json(body).into_response()
}

async fn logout(AxState(shared): S, Query(q): Query<HashMap<String, String>>) -> Response {
    let hint_sub = q.get("id_token_hint").and_then(|hint| {
        let k = tokens::keys();
        let mut v = Validation::new(Algorithm::ES256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        [&k.current, &k.rotated].iter().find_map(|key| {
            let jwk: Jwk = serde_json::from_value(key.public_jwk("x")).expect("jwk");
            let d = DecodingKey::from_jwk(&jwk).ok()?;
            let claims = jsonwebtoken::decode::<Value>(hint, &d, &v).ok()?.claims;
            claims.get("sub").and_then(Value::as_str).map(str::to_owned)
        })
    });
    let valid_hint = hint_sub.is_some();
    let post = q.get("post_logout_redirect_uri").cloned();
    let state = q.get("state").cloned();
    let (registered, backchannel) = {
        let s = shared.lock();
        (post.as_ref().is_some_and(|p| s.post_logout_uris.contains(p)), s.backchannel_uris.clone())
    };
    shared.lock().end_sessions.push(EndSessionSeen {
        valid_hint,
        post_logout_redirect_uri: post.clone(),
        state: state.clone(),
    });
    if let Some(sub) = &hint_sub {
        // One Login queues a back-channel logout for every client of the session, including the
        // one that signed out; delivered before answering here, so tests can rely on it.
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().expect("client");
        for uri in backchannel {
            let token = tokens::logout_token(&shared, sub, |_, _| {});
            let _ = client.post(&uri).form(&[("logout_token", token)]).send().await;
        }
    }
    match (valid_hint, registered, post) {
        (true, true, Some(uri)) => {
            let pairs: Vec<(&str, &str)> = state.as_deref().map(|s| vec![("state", s)]).unwrap_or_default();
            redirect_with(&uri, &pairs)
        }
        _ => page(StatusCode::OK, "You have signed out", "<p>You have signed out of GOV.UK One Login.</p>"),
    }
}

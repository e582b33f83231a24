//! Keys and the tokens the stand-in issues.

use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::{Fault, Grant, Shared, keys};

pub(crate) const KID_CURRENT: &str = "0f6c5a1e-3b2d-4c8e-9a7f-1d2e3f4a5b6c";
pub(crate) const KID_ROTATED: &str = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
pub(crate) const KID_RSA: &str = "rsa-2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
pub(crate) const DID_KEY_ID: &str = "c4a0e3f2b1d94e8f";
/// A key id the stand-in never publishes.
pub(crate) const KID_UNPUBLISHED: &str = "unpublished-5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a";
/// The security-event transmitter's key id, published at `/ssf/jwks.json`.
pub(crate) const KID_SSF: &str = "ssf-8e1f2a3b-4c5d-4e6f-9a0b-1c2d3e4f5a6b";
/// The unpublished transmitter key's id (in no key set either).
pub(crate) const KID_SSF_UNPUBLISHED: &str = "ssf-unpublished-3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";

pub(crate) struct Key {
    pub(crate) enc: EncodingKey,
    pub(crate) alg: Algorithm,
}

impl Key {
    fn load(pem: &str, alg: Algorithm) -> Key {
        let enc = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
            _ => EncodingKey::from_rsa_pem(pem.as_bytes()),
        }
        .expect("fixture key");
        Key { enc, alg }
    }

    pub(crate) fn public_jwk(&self, kid: &str) -> Value {
        let jwk = Jwk::from_encoding_key(&self.enc, self.alg).expect("public key");
        let mut v = serde_json::to_value(jwk).expect("jwk json");
        v["kid"] = json!(kid);
        v["use"] = json!("sig");
        v
    }
}

pub(crate) struct Keys {
    pub(crate) current: Key,
    pub(crate) rotated: Key,
    pub(crate) rsa: Key,
    pub(crate) rogue: Key,
    pub(crate) did: Key,
    /// The security-event transmitter's key.
    pub(crate) ssf: Key,
    /// A transmitter key that is never published.
    pub(crate) ssf_unpublished: Key,
}

pub(crate) fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        current: Key::load(keys::OP_EC_CURRENT, Algorithm::ES256),
        rotated: Key::load(keys::OP_EC_ROTATED, Algorithm::ES256),
        rsa: Key::load(keys::OP_RSA, Algorithm::RS256),
        rogue: Key::load(keys::ROGUE_EC, Algorithm::ES256),
        did: Key::load(keys::DID_EC, Algorithm::ES256),
        ssf: Key::load(keys::SSF_TRANSMITTER_RSA, Algorithm::RS256),
        ssf_unpublished: Key::load(keys::SSF_UNPUBLISHED_RSA, Algorithm::RS256),
    })
}

pub(crate) fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn random(n: usize) -> String {
    let mut b = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut b).expect("random");
    URL_SAFE_NO_PAD.encode(b)
}

pub(crate) fn sign_op(shared: &Shared, mut header: Header, claims: &Value) -> String {
    let k = keys();
    let rotated = shared.lock().rotated;
    let (key, kid) = if rotated { (&k.rotated, KID_ROTATED) } else { (&k.current, KID_CURRENT) };
    header.kid.get_or_insert_with(|| kid.into());
    jsonwebtoken::encode(&header, claims, &key.enc).expect("sign")
}

/// The ID token for a grant.
pub(crate) fn id_token(shared: &Shared, grant: &Grant, access_token: &str) -> String {
    let s = shared.lock();
    let k = keys();
    let now = now();
    let lowest_credential = grant.vtr.split('.').filter(|c| c.starts_with('C')).count();
    let mut vot = if lowest_credential >= 2 { "Cl.Cm" } else { "Cl" };
    if s.faults.contains(&Fault::IdTokenWrongVot) {
        vot = if vot == "Cl" { "Cl.Cm" } else { "Cl" };
    }
    let (mut iat, mut exp) = (now, now + 120);
    if s.faults.contains(&Fault::IdTokenExpired) {
        (iat, exp) = (now - 720, now - 600);
    }
    if s.faults.contains(&Fault::IdTokenNotYetValid) {
        (iat, exp) = (now + 86_400, now + 86_520);
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    let mut claims = json!({
        "iss": if s.faults.contains(&Fault::IdTokenWrongIssuer) { "https://evil.example/".to_string() } else { shared.issuer.clone() },
        "sub": grant.user.sub,
        "aud": if s.faults.contains(&Fault::IdTokenWrongAudience) { "another-client" } else { grant.client_id.as_str() },
        "iat": iat,
        "exp": exp,
        "vot": vot,
        "vtm": format!("{}trustmark", shared.issuer),
        "sid": "dX5xv0XgHh6yfD1xy-ss_1EDK0I",
        "auth_time": now + s.auth_time_offset,
        "at_hash": URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]),
    });
    if let Some(n) = &grant.nonce {
        claims["nonce"] =
            json!(if s.faults.contains(&Fault::IdTokenWrongNonce) { "not-the-nonce" } else { n.as_str() });
    }
    if s.faults.contains(&Fault::IdTokenMissingVtm) {
        claims.as_object_mut().expect("object").remove("vtm");
    }
    let (key, kid) = if s.id_token_alg == Algorithm::RS256 {
        (&k.rsa, KID_RSA)
    } else if s.rotated {
        (&k.rotated, KID_ROTATED)
    } else {
        (&k.current, KID_CURRENT)
    };
    let (key, kid) = if s.faults.contains(&Fault::IdTokenUnknownKey) {
        (&k.rogue, KID_UNPUBLISHED)
    } else if s.faults.contains(&Fault::IdTokenBadSignature) {
        (&k.rogue, kid)
    } else {
        (key, kid)
    };
    let mut header = Header::new(key.alg);
    header.kid = Some(kid.into());
    let mut claims = claims.as_object().cloned().expect("object");
    if let Some(edit) = &s.id_token_edit {
        edit(&mut header, &mut claims);
    }
    if s.faults.contains(&Fault::IdTokenAlgNone) {
        return unsigned(&header, &claims);
    }
    if s.faults.contains(&Fault::IdTokenHs256WithPublicKey) {
        // The classic confusion attack: the public key, as published, as an HMAC secret.
        header.alg = Algorithm::HS256;
        let secret = serde_json::to_vec(&k.current.public_jwk(KID_CURRENT)).expect("jwk json");
        return jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&secret)).expect("sign");
    }
    jsonwebtoken::encode(&header, &claims, &key.enc).expect("sign")
}

/// A compact JWS with `alg: none` and an empty signature, built by hand (jsonwebtoken refuses
/// to make one).
fn unsigned(header: &Header, claims: &Map<String, Value>) -> String {
    let mut head = serde_json::to_value(header).expect("header json");
    head["alg"] = json!("none");
    let head = URL_SAFE_NO_PAD.encode(head.to_string());
    let body = URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string());
    format!("{head}.{body}.")
}

/// The core identity JWT for a grant.
pub(crate) fn core_identity(shared: &Shared, grant: &Grant, level: &str) -> String {
    let s = shared.lock();
    let k = keys();
    let now = now();
    let f = |fault| s.faults.contains(&fault);
    let (iat, exp) = if f(Fault::CoreIdentityExpired) { (now - 4000, now - 2200) } else { (now, now + 1800) };
    let claims = json!({
        "sub": if f(Fault::CoreIdentityWrongSubject) { "urn:fdc:gov.uk:2022:someone-else" } else { grant.user.sub.as_str() },
        "iss": if f(Fault::CoreIdentityWrongIssuer) { "https://identity.evil.example/".to_string() } else { shared.issuer.clone() },
        "aud": if f(Fault::CoreIdentityWrongAudience) { "another-client" } else { grant.client_id.as_str() },
        "nbf": iat,
        "iat": iat,
        "exp": exp,
        "vot": level,
        "vtm": format!("{}trustmark", shared.issuer),
        "vc": {
            "type": ["VerifiableCredential", "VerifiableIdentityCredential"],
            "credentialSubject": {
                "name": [{ "nameParts": [
                    { "value": grant.user.given_name, "type": "GivenName" },
                    { "value": grant.user.family_name, "type": "FamilyName" }
                ]}],
                "birthDate": [{ "value": grant.user.birth_date }]
            }
        }
    });
    let (key, kid) = if f(Fault::CoreIdentityUnknownKey) {
        (&k.rogue, format!("{}#{KID_UNPUBLISHED}", shared.did))
    } else if f(Fault::CoreIdentityForeignController) {
        (&k.rogue, format!("did:web:identity.evil.example#{DID_KEY_ID}"))
    } else if f(Fault::CoreIdentityBadSignature) {
        (&k.rogue, format!("{}#{DID_KEY_ID}", shared.did))
    } else {
        (&k.did, format!("{}#{DID_KEY_ID}", shared.did))
    };
    let mut header = Header::new(key.alg);
    header.kid = Some(kid);
    header.typ = Some("JWT".into());
    let mut claims = claims.as_object().cloned().expect("object");
    if let Some(edit) = &s.core_identity_edit {
        edit(&mut header, &mut claims);
    }
    jsonwebtoken::encode(&header, &claims, &key.enc).expect("sign")
}

pub(crate) fn logout_token(
    shared: &Shared,
    sub: &str,
    edit: impl FnOnce(&mut Header, &mut Map<String, Value>),
) -> String {
    let now = now();
    let client_id = shared.lock().client_id.clone();
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("logout+jwt".into());
    let mut claims = json!({
        "iss": shared.issuer,
        "sub": sub,
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": random(16),
        "events": { "http://schemas.openid.net/event/backchannel-logout": {} }
    })
    .as_object()
    .cloned()
    .expect("object");
    edit(&mut header, &mut claims);
    sign_op(shared, header, &Value::Object(claims))
}

pub(crate) fn jwks(shared: &Shared) -> Value {
    let k = keys();
    let mut list = vec![k.current.public_jwk(KID_CURRENT), k.rsa.public_jwk(KID_RSA)];
    let s = shared.lock();
    if s.rotated || s.next_key_published {
        list.push(k.rotated.public_jwk(KID_ROTATED));
    }
    json!({ "keys": list })
}

pub(crate) fn did_document(shared: &Shared) -> Value {
    let kid = format!("{}#{DID_KEY_ID}", shared.did);
    let mut jwk = keys().did.public_jwk(DID_KEY_ID);
    let obj = jwk.as_object_mut().expect("object");
    obj.remove("kid");
    obj.remove("use");
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/jwk/v1"],
        "id": shared.did,
        "assertionMethod": [{ "type": "JsonWebKey", "id": kid, "controller": shared.did, "publicKeyJwk": jwk }]
    })
}

/// The transmitter's key set: its one published key.
pub(crate) fn ssf_jwks() -> Value {
    json!({ "keys": [keys().ssf.public_jwk(KID_SSF)] })
}

/// The transmitter's key id: the published key's, or the unpublished one's.
pub(crate) fn transmitter_kid(published: bool) -> &'static str {
    if published { KID_SSF } else { KID_SSF_UNPUBLISHED }
}

/// Signs with the transmitter's key (or the unpublished one), the header as it is. An `HS*`
/// header gets the classic confusion: the published public key, as JSON, as the HMAC secret.
pub(crate) fn sign_transmitter(header: &Header, claims: &Value, published: bool) -> String {
    let k = keys();
    if matches!(header.alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
        let secret = serde_json::to_vec(&k.ssf.public_jwk(KID_SSF)).expect("jwk json");
        return jsonwebtoken::encode(header, claims, &EncodingKey::from_secret(&secret)).expect("sign");
    }
    let key = if published { &k.ssf } else { &k.ssf_unpublished };
    jsonwebtoken::encode(header, claims, &key.enc).expect("the transmitter's keys are RSA: RS* or PS* only")
}

//! `coreIdentityJWT` verification against the DID document.

use serde::Deserialize;

use super::{BirthDate, CoreIdentity, Name, wire};
use crate::error::TokenError;
use crate::jwt::{self, Audience};
use crate::keys::DidDocument;
use crate::levels::IdentityLevel;

#[derive(Deserialize)]
pub(crate) struct CoreIdentityClaims {
    iss: Option<String>,
    sub: Option<String>,
    aud: Option<Audience>,
    exp: Option<i64>,
    iat: Option<i64>,
    nbf: Option<i64>,
    vot: Option<String>,
    vc: Option<Vc>,
}

#[derive(Deserialize)]
struct Vc {
    #[serde(rename = "credentialSubject")]
    credential_subject: Option<CredentialSubject>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CredentialSubject {
    name: Vec<wire::Name>,
    birth_date: Vec<wire::BirthDate>,
}

/// The header `kid` split into the DID controller and the full key id.
pub(crate) fn split_kid(kid: &str) -> Result<(&str, &str), TokenError> {
    match kid.split_once('#') {
        Some((controller, frag)) if !controller.is_empty() && !frag.is_empty() => Ok((controller, kid)),
        _ => Err(TokenError::Malformed("kid is not `<did>#<key id>`".into())),
    }
}

/// `did:web:` + the DID URL's host (and `%3A` + port), as the controller must read.
pub(crate) fn expected_controller(did_url: &url::Url) -> String {
    let host = did_url.host_str().unwrap_or_default();
    match did_url.port() {
        Some(p) => format!("did:web:{host}%3A{p}"),
        None => format!("did:web:{host}"),
    }
}

pub(crate) struct Expectations<'a> {
    pub(crate) identity_issuer: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) subject: &'a str,
    pub(crate) required: IdentityLevel,
    pub(crate) now: i64,
    pub(crate) leeway: i64,
}

/// Checks the key entry against the DID document; returns the JWK to verify with, or `None`
/// when the document has no such key (the caller refetches once).
pub(crate) fn select_key(
    doc: &DidDocument,
    kid: &str,
    did_url: &url::Url,
) -> Result<Option<std::sync::Arc<jwt::PublicKey>>, TokenError> {
    let (controller, full) = split_kid(kid)?;
    let want = expected_controller(did_url);
    for (expected, found) in [(doc.id.as_str(), controller), (want.as_str(), controller)] {
        if expected != found {
            return Err(TokenError::WrongController { expected: expected.into(), found: found.into() });
        }
    }
    let Some(key) = doc.find(full) else {
        return Ok(None);
    };
    if let Some(c) = key.controller.as_deref()
        && c != controller
    {
        return Err(TokenError::WrongController { expected: controller.into(), found: c.into() });
    }
    Ok(Some(key.key))
}

/// Verifies signature and claims; builds the typed identity (addresses and documents are added
/// by the caller from userinfo).
pub(crate) fn verify(
    jws: &jwt::Jws<'_>,
    key: &jwt::PublicKey,
    ex: &Expectations<'_>,
) -> Result<CoreIdentity, TokenError> {
    let claims: CoreIdentityClaims = jwt::verify(jws, key)?;
    let iss = claims.iss.ok_or(TokenError::MissingClaim("iss"))?;
    if iss != ex.identity_issuer {
        return Err(TokenError::WrongIssuer { expected: ex.identity_issuer.into(), found: iss });
    }
    let aud = claims.aud.ok_or(TokenError::MissingClaim("aud"))?;
    if !aud.is_for(ex.client_id, None) {
        return Err(TokenError::WrongAudience { expected: ex.client_id.into() });
    }
    let sub = claims.sub.ok_or(TokenError::MissingClaim("sub"))?;
    if !crate::types::ct_eq(sub.as_bytes(), ex.subject.as_bytes()) {
        return Err(TokenError::SubjectMismatch);
    }
    jwt::check_times(ex.now, ex.leeway, claims.exp, claims.iat, claims.nbf)?;
    let vot = claims.vot.ok_or(TokenError::MissingClaim("vot"))?;
    let level: IdentityLevel =
        vot.parse().map_err(|_| TokenError::LevelTooLow { required: ex.required.to_string(), found: vot.clone() })?;
    if level < ex.required {
        return Err(TokenError::LevelTooLow { required: ex.required.to_string(), found: vot });
    }
    let subject = claims.vc.and_then(|vc| vc.credential_subject).unwrap_or_default();
    if subject.name.is_empty() {
        return Err(TokenError::MissingClaim("vc.credentialSubject.name"));
    }
    Ok(CoreIdentity {
        level,
        names: subject.name.into_iter().map(Name::from_wire).collect(),
        birth_dates: subject.birth_date.into_iter().map(BirthDate::from_wire).collect(),
        addresses: Box::default(),
        passports: Box::default(),
        driving_permits: Box::default(),
        verified_at: ex.now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kid_splits_at_the_first_hash() {
        assert_eq!(split_kid("did:web:a.example#k1").unwrap(), ("did:web:a.example", "did:web:a.example#k1"));
        assert!(split_kid("no-hash").is_err());
        assert!(split_kid("#k").is_err());
        assert!(split_kid("did:web:a#").is_err());
    }

    #[test]
    fn controller_from_did_url() {
        let u = url::Url::parse("https://identity.integration.account.gov.uk/.well-known/did.json").unwrap();
        assert_eq!(expected_controller(&u), "did:web:identity.integration.account.gov.uk");
        let u = url::Url::parse("http://localhost:3000/.well-known/did.json").unwrap();
        assert_eq!(expected_controller(&u), "did:web:localhost%3A3000");
    }
}

#[cfg(test)]
mod did_tests {
    use serde_json::json;

    use super::*;

    fn doc(id: &str, controller: &str) -> DidDocument {
        serde_json::from_value(json!({
            "id": id,
            "assertionMethod": [{
                "type": "JsonWebKey", "id": format!("{id}#k1"), "controller": controller,
                "publicKeyJwk": { "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }
            }]
        }))
        .unwrap()
    }

    #[test]
    fn key_selection_checks_every_controller() {
        let url = url::Url::parse("https://identity.integration.account.gov.uk/.well-known/did.json").unwrap();
        let good = "did:web:identity.integration.account.gov.uk";
        assert!(select_key(&doc(good, good), &format!("{good}#k1"), &url).unwrap().is_some());
        assert!(
            select_key(&doc(good, good), &format!("{good}#other"), &url).unwrap().is_none(),
            "unknown key: refetch"
        );
        let evil = "did:web:evil.example";
        assert!(matches!(
            select_key(&doc(good, good), &format!("{evil}#k1"), &url),
            Err(TokenError::WrongController { .. })
        ));
        assert!(
            matches!(
                select_key(&doc(evil, evil), &format!("{evil}#k1"), &url),
                Err(TokenError::WrongController { .. })
            ),
            "the DID document must be the configured one's"
        );
        assert!(
            matches!(
                select_key(&doc(good, evil), &format!("{good}#k1"), &url),
                Err(TokenError::WrongController { .. })
            ),
            "entry controller"
        );
    }
}

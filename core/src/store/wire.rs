//! The form a session record is stored in (JSON, in Redis): private to this crate, so that
//! [`SessionRecord`] itself needs no public `Serialize` or `Deserialize` and no JSON from
//! elsewhere can become a session.
//!
//! The fields, their names and their order are the stored format: records written by earlier
//! versions read back unchanged, and a change here is a change of format.

use serde::{Deserialize, Serialize};

use crate::clock::from_unix_micros;
use crate::identity::wire::{ReturnCode, StoredIdentity};
use crate::identity::{self, CoreIdentity};
use crate::levels::{AuthLevel, IdentityLevel, VectorOfTrust};
use crate::session::{KeptToken, MadeFor, SessionRecord};
use crate::types::{ClientId, IdToken, Subject};

/// A [`SessionRecord`] as stored.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredSession {
    subject: Subject,
    email: Option<Box<str>>,
    #[serde(default)]
    email_verified: bool,
    phone_number: Option<Box<str>>,
    #[serde(default)]
    phone_number_verified: bool,
    auth_level: AuthLevel,
    identity: Option<StoredIdentity>,
    #[serde(default)]
    return_codes: Vec<ReturnCode>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    identity_not_proven: bool,
    auth_time: Option<i64>,
    signed_in_at: i64,
    /// The microseconds of `signed_in_at`'s second (absent in records of earlier versions,
    /// which then count from the start of that second: revoked at least as readily).
    #[serde(default, skip_serializing_if = "is_zero")]
    signed_in_at_us: u32,
    expires_at: i64,
    issuer: String,
    client_id: ClientId,
    sid: Option<Box<str>>,
    id_token: IdToken,
    csrf_token: Box<str>,
}

impl From<&SessionRecord> for StoredSession {
    fn from(r: &SessionRecord) -> Self {
        Self {
            subject: r.subject.clone(),
            email: r.email.clone(),
            email_verified: r.email_verified,
            phone_number: r.phone_number.clone(),
            phone_number_verified: r.phone_number_verified,
            auth_level: r.auth_level,
            identity: r.identity.as_ref().map(StoredIdentity::from),
            return_codes: r.return_codes.iter().map(identity::ReturnCode::to_wire).collect(),
            identity_not_proven: r.identity_not_proven,
            auth_time: r.auth_time,
            signed_in_at: r.signed_in_at.unix_timestamp(),
            signed_in_at_us: r.signed_in_at.microsecond(),
            expires_at: r.expires_at,
            issuer: r.made_for.issuer.clone(),
            client_id: r.made_for.client_id.clone(),
            sid: r.sid.clone(),
            id_token: r.id_token.token(),
            csrf_token: r.csrf_token.clone(),
        }
    }
}

impl TryFrom<StoredSession> for SessionRecord {
    type Error = &'static str;

    /// Refuses what no sign-in makes: an empty subject, an identity with low authentication.
    fn try_from(s: StoredSession) -> Result<Self, Self::Error> {
        if s.subject.as_str().is_empty() {
            return Err("a stored session has no subject");
        }
        let level = s.identity.as_ref().map_or(IdentityLevel::P0, |i| i.level);
        if VectorOfTrust::new(s.auth_level, level).is_err() {
            return Err("a stored session has an identity level its authentication level cannot have");
        }
        Ok(SessionRecord {
            subject: s.subject,
            email: s.email,
            email_verified: s.email_verified,
            phone_number: s.phone_number,
            phone_number_verified: s.phone_number_verified,
            auth_level: s.auth_level,
            identity_not_proven: s.identity_not_proven && s.identity.is_none(),
            identity: s.identity.map(CoreIdentity::from),
            return_codes: s.return_codes.into_iter().map(identity::ReturnCode::from_wire).collect(),
            auth_time: s.auth_time,
            signed_in_at: from_unix_micros(
                s.signed_in_at.saturating_mul(1_000_000).saturating_add(i64::from(s.signed_in_at_us.min(999_999))),
            ),
            expires_at: s.expires_at,
            made_for: MadeFor::shared(&s.issuer, &s.client_id),
            sid: s.sid,
            id_token: KeptToken::new(s.id_token.secret()),
            csrf_token: s.csrf_token,
        })
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A session record as stored bytes.
pub(crate) fn encode_session(record: &SessionRecord) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&StoredSession::from(record))
}

/// A session record from stored bytes.
pub(crate) fn decode_session(bytes: &[u8]) -> Result<SessionRecord, serde_json::Error> {
    let stored: StoredSession = serde_json::from_slice(bytes)?;
    SessionRecord::try_from(stored).map_err(<serde_json::Error as serde::de::Error>::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as the previous version stored it (its derived `Serialize`), with an identity
    /// and every claim.
    const STORED: &str = include_str!("wire/stored_session.json");

    #[test]
    fn the_sign_in_time_keeps_its_microseconds() {
        let mut record = decode_session(STORED.trim_end().as_bytes()).unwrap();
        record.signed_in_at = from_unix_micros(1_700_000_000_654_321);
        let bytes = encode_session(&record).unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains(r#""signed_in_at":1700000000,"signed_in_at_us":654321,"#));
        assert_eq!(decode_session(&bytes).unwrap().signed_in_at(), record.signed_in_at);
    }

    #[test]
    fn a_stored_record_reads_back_and_writes_the_same_bytes() {
        let record = decode_session(STORED.trim_end().as_bytes()).expect("the stored format reads");
        assert_eq!(String::from_utf8(encode_session(&record).unwrap()).unwrap(), STORED.trim_end());

        assert_eq!(record.subject().as_str(), "urn:fdc:gov.uk:2022:abc");
        assert_eq!(record.achieved().to_string(), "Cl.Cm.P2");
        assert_eq!(record.signed_in_at().unix_timestamp(), 1_700_000_000);
        assert_eq!(record.auth_time().map(time::OffsetDateTime::unix_timestamp), Some(1_699_999_990));
        assert_eq!(record.return_codes()[0].code(), "X");
        let id = record.identity().expect("the identity is kept");
        assert_eq!(id.current_name().unwrap().full(), "Kenneth Decerqueira");
        assert_eq!(id.birth_date().unwrap().date().unwrap().to_string(), "1965-07-08");
        assert_eq!(id.addresses()[0].uprn(), Some("10022812929"));
        assert_eq!(id.passports()[0].document_number(), Some("321654987"));
        assert_eq!(id.driving_permits()[0].issued_by(), Some("DVLA"));
        assert_eq!(id.verified_at().unix_timestamp(), 1_700_000_000);
        assert_eq!(record.id_token().secret(), "h.p.s");
        assert_eq!(record.csrf_token(), "csrf");
    }

    #[test]
    fn records_no_sign_in_makes_are_refused() {
        let mut json: serde_json::Value = serde_json::from_str(STORED).unwrap();
        json["auth_level"] = "Cl".into();
        let low_with_identity = serde_json::to_vec(&json).unwrap();
        assert!(decode_session(&low_with_identity).is_err(), "P2 with Cl is refused");
        json["identity"] = serde_json::Value::Null;
        assert!(decode_session(&serde_json::to_vec(&json).unwrap()).is_ok());
        json["subject"] = "".into();
        assert!(decode_session(&serde_json::to_vec(&json).unwrap()).is_err(), "an empty subject is refused");
        assert!(decode_session(b"{\"subject\":1}").is_err());
    }
}

//! One `events` claim of every event type a relying party's receiver may meet, as One Login's
//! transmitter (or the SSF, CAEP and RISC specifications) shape them, for tests that push each.

use serde_json::{Value, json};

const CAEP: &str = "https://schemas.openid.net/secevent/caep/event-type/";
const RISC: &str = "https://schemas.openid.net/secevent/risc/event-type/";
const NOTIFICATION: &str = "https://vocab.account.gov.uk/secevent/v1/notification/";

/// `{uri: {"subject": {"format": "uri", "uri": sub}, ...extra}}`: a user event about `sub`.
pub fn user_event(uri: &str, sub: &str, extra: Value) -> Value {
    let mut event = json!({ "subject": { "format": "uri", "uri": sub } });
    if let (Some(event), Value::Object(extra)) = (event.as_object_mut(), extra) {
        event.extend(extra);
    }
    json!({ uri: event })
}

/// One `events` claim per event type: every CAEP and RISC type, One Login's notifications and
/// activity, both verification URIs, stream-updated, and one unknown type. User events are about
/// `sub`; One Login's credential change comes with its companion entry, as it sends it.
pub fn every_event(sub: &str) -> Vec<Value> {
    let caep = |name: &str, extra: Value| user_event(&format!("{CAEP}{name}"), sub, extra);
    let risc = |name: &str, extra: Value| user_event(&format!("{RISC}{name}"), sub, extra);
    let notification = |name: &str| user_event(&format!("{NOTIFICATION}{name}"), sub, json!({}));
    let mut credential_change = caep(
        "credential-change",
        json!({ "change_type": "update", "credential_type": "password", "initiating_entity": "user" }),
    );
    credential_change["https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation"] =
        json!({ "email": "new@example.com" });
    vec![
        caep("session-revoked", json!({})),
        credential_change,
        caep("assurance-level-change", json!({ "namespace": "RFC8176", "current_level": "P1" })),
        caep("token-claims-change", json!({ "claims": { "role": "x" } })),
        caep("device-compliance-change", json!({ "previous_status": "compliant", "current_status": "not-compliant" })),
        risc("account-purged", json!({})),
        risc("account-disabled", json!({ "reason": "hijacking" })),
        risc("account-enabled", json!({})),
        risc("account-credential-change-required", json!({})),
        risc("credential-compromise", json!({ "credential_type": "password" })),
        risc("identifier-changed", json!({ "new-value": "new@example.com" })),
        risc("identifier-recycled", json!({})),
        risc("opt-in", json!({})),
        risc("opt-out-initiated", json!({})),
        risc("opt-out-cancelled", json!({})),
        risc("opt-out-effective", json!({})),
        risc("recovery-activated", json!({})),
        risc("recovery-information-changed", json!({})),
        risc("sessions-revoked", json!({})),
        notification("accountBlock"),
        notification("accountConcern"),
        notification("credentialConcern"),
        notification("deviceConcern"),
        user_event("https://vocab.account.gov.uk/secevent/v1/activity/sessionRecovered", sub, json!({})),
        json!({ "https://schemas.openid.net/secevent/sse/event-type/verification": { "state": "s" } }),
        json!({ "https://schemas.openid.net/secevent/ssf/event-type/verification": {} }),
        json!({ "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": { "status": "paused" } }),
        user_event("https://example.com/event-type/not-yet-invented", sub, json!({})),
    ]
}

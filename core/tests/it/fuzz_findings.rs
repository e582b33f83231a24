//! What the fuzz targets in `fuzz/` found, replayed through the public API.

use govuk_one_login::Error;
use govuk_one_login::error::{TokenError, TokenKind};
use serde_json::json;

use crate::*;

/// Found by the `jwt` and `logout_token` targets: a signed `exp` at the bottom of the i64 range
/// made the "expired by" subtraction overflow, a panic in debug builds. It is refused as
/// expired.
#[tokio::test]
async fn a_logout_token_with_the_smallest_exp_is_refused_as_expired() {
    let h = harness().await;
    let token = h.mock.logout_token_with("urn:fdc:gov.uk:2022:fuzz", |_, claims| {
        claims.insert("exp".into(), json!(i64::MIN));
    });
    match h.ol.verify_logout_token(&token).await {
        Err(Error::Token { kind: TokenKind::LogoutToken, source: TokenError::Expired { by } }) => {
            assert_eq!(by.as_secs(), i64::MAX as u64);
        }
        other => panic!("expected an expired logout token, got {other:?}"),
    }
    let handled = h.ol.backchannel_logout(&token).await.unwrap_err();
    assert_eq!(handled.http_status(), 400);
}

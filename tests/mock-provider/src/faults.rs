//! Fault switches: each makes the stand-in misbehave in one way One Login (or an attacker)
//! could.

/// One way to misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fault {
    /// ID token signed by a key not in the JWKS (but naming a published `kid`).
    IdTokenBadSignature,
    /// ID token `iss` is another issuer.
    IdTokenWrongIssuer,
    /// ID token `aud` is another client.
    IdTokenWrongAudience,
    /// ID token expired ten minutes ago.
    IdTokenExpired,
    /// ID token `iat` a day ahead.
    IdTokenNotYetValid,
    /// ID token `nonce` is not the one sent.
    IdTokenWrongNonce,
    /// ID token `vot` flipped between `Cl` and `Cl.Cm`.
    IdTokenWrongVot,
    /// ID token without `vtm`.
    IdTokenMissingVtm,
    /// ID token with `alg: none` and an empty signature (the claims are otherwise right).
    IdTokenAlgNone,
    /// ID token HMAC-signed (`HS256`) with the OP's published public key as the secret.
    IdTokenHs256WithPublicKey,
    /// ID token signed by a key that is not published, under a `kid` that is not either.
    IdTokenUnknownKey,
    /// Core identity `sub` is another user's.
    CoreIdentityWrongSubject,
    /// Core identity `aud` is another client.
    CoreIdentityWrongAudience,
    /// Core identity `iss` is another issuer.
    CoreIdentityWrongIssuer,
    /// Core identity signed by a key not in the DID document (naming a published `kid`).
    CoreIdentityBadSignature,
    /// Core identity signed by a key the DID document does not hold, under a `kid` (of the
    /// right controller) that it does not list either.
    CoreIdentityUnknownKey,
    /// Core identity signed by another key, under a `kid` of another DID controller
    /// (`did:web:identity.evil.example#…`).
    CoreIdentityForeignController,
    /// Core identity expired.
    CoreIdentityExpired,
    /// No core identity, with return code `X` (when `returnCode` was requested).
    CoreIdentityMissing,
    /// Userinfo `sub` is another user's.
    UserinfoWrongSubject,
    /// Userinfo carries the address, passport and driving-permit claims whether or not they
    /// were requested.
    UserinfoUnrequestedClaims,
    /// `/authorize` redirects back with `error=access_denied`.
    AccessDenied,
    /// `/authorize` redirects back with `error=temporarily_unavailable`.
    TemporarilyUnavailable,
    /// `/authorize` redirects back with `error=login_required` (failed re-authentication).
    LoginRequired,
}

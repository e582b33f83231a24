//! Key material of the stand-in. These keys are public test fixtures, like the key pair One
//! Login's simulator publishes: never use them outside tests and local demos.

/// The relying party's RSA private key registered with the stand-in by default.
pub const RP_PRIVATE_KEY_PEM: &str = include_str!("../keys/rp-rsa.pem");
/// Another RSA private key, not registered: client assertions signed with it are refused.
pub const UNREGISTERED_RSA_PRIVATE_KEY_PEM: &str = include_str!("../keys/other-rsa.pem");
/// An EC private key, for checking that relying parties refuse it.
pub const EC_PRIVATE_KEY_PEM: &str = include_str!("../keys/rogue-ec.pem");

pub(crate) const OP_EC_CURRENT: &str = include_str!("../keys/op-ec-current.pem");
pub(crate) const OP_EC_ROTATED: &str = include_str!("../keys/op-ec-rotated.pem");
pub(crate) const OP_RSA: &str = include_str!("../keys/op-rsa.pem");
pub(crate) const ROGUE_EC: &str = include_str!("../keys/rogue-ec.pem");
pub(crate) const DID_EC: &str = include_str!("../keys/did-ec.pem");
/// The security-event transmitter's RSA key (RS256), published at `/ssf/jwks.json`. A test key
/// made for the stand-in: never use it outside tests and local demos.
pub(crate) const SSF_TRANSMITTER_RSA: &str = include_str!("../keys/ssf-transmitter-rsa.pem");
/// Another transmitter RSA key, never published: security event tokens signed with it must be
/// refused. A test key, like the rest.
pub(crate) const SSF_UNPUBLISHED_RSA: &str = include_str!("../keys/ssf-unpublished-rsa.pem");

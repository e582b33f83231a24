//! The extractor types both adapters expose, defined once. Each adapter expands
//! [`extractor_types!`](crate::extractor_types) and implements its framework's extractor
//! traits on them (the orphan rule keeps those impls in the adapter crates).

/// Defines `AuthenticatedUser` and `VerifiedIdentity` in the calling adapter crate. Their
/// fields are private to that crate, so a `VerifiedIdentity` can only come from a session with
/// a verified core identity.
#[doc(hidden)]
#[macro_export]
macro_rules! extractor_types {
    () => {
        /// A signed-in user at any level: the session record (sub, email, phone, levels, ID
        /// token for logout, CSRF token for the sign-out form). Without a session, pages are
        /// sent to the sign-in route (at `Cl.Cm`) and APIs get 401. `Option<AuthenticatedUser>`
        /// is `None` instead.
        #[derive(Clone, Debug)]
        pub struct AuthenticatedUser(::std::sync::Arc<$crate::SessionRecord>);

        impl ::std::ops::Deref for AuthenticatedUser {
            type Target = $crate::SessionRecord;
            fn deref(&self) -> &$crate::SessionRecord {
                &self.0
            }
        }

        /// A verified core identity (name, birth dates, and the address, passport and
        /// driving-permit claims). It exists only when the session holds a verified
        /// `coreIdentityJWT`; otherwise the request is rejected with a step-up to `Cl.Cm.P2`
        /// (pages) or 401/403 (APIs), never defaulted. `Option<VerifiedIdentity>` is `None`
        /// instead.
        // Built only from `OneLogin::extract(Needs::Identity, ..)`, which returns sessions with
        // a verified identity.
        #[derive(Clone, Debug)]
        pub struct VerifiedIdentity(::std::sync::Arc<$crate::SessionRecord>);

        impl VerifiedIdentity {
            /// The whole session (sub, levels, contact claims).
            pub fn session(&self) -> &$crate::SessionRecord {
                &self.0
            }
        }

        impl ::std::ops::Deref for VerifiedIdentity {
            type Target = $crate::CoreIdentity;
            fn deref(&self) -> &$crate::CoreIdentity {
                self.0.identity().expect("built only from a session with a verified identity")
            }
        }
    };
}

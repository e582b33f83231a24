//! The extractor types both adapters expose, defined once. Each adapter expands
//! [`extractor_types!`](crate::extractor_types) and implements its framework's extractor
//! traits on them (the orphan rule keeps those impls in the adapter crates).

/// Defines `AuthenticatedUser`, `VerifiedIdentity` and `OneLoginSession` in the calling
/// adapter crate. Their fields are private to that crate: an `AuthenticatedUser` comes only
/// from [`OneLogin::guard`](crate::OneLogin::guard), a `VerifiedIdentity` only from
/// [`OneLogin::guard_identity`](crate::OneLogin::guard_identity).
#[doc(hidden)]
#[macro_export]
macro_rules! extractor_types {
    () => {
        /// A signed-in user at `Cl.Cm` or higher. Without such a session, pages start a sign-in
        /// with One Login (the same redirect as `require(Requirement::MEDIUM)`) and API calls
        /// get 401 JSON. `Option<AuthenticatedUser>` is `None` instead of either.
        #[derive(Clone, Debug)]
        pub struct AuthenticatedUser(::std::sync::Arc<$crate::SessionRecord>);

        impl AuthenticatedUser {
            /// The session: subject, contact claims, levels.
            pub fn session(&self) -> &$crate::SessionRecord {
                &self.0
            }
            /// The user's pairwise subject identifier.
            pub fn subject(&self) -> &$crate::Subject {
                self.0.subject()
            }
            /// The email address, when the `email` scope was asked for.
            pub fn email(&self) -> ::std::option::Option<&str> {
                self.0.email()
            }
            /// The authentication level.
            pub fn auth_level(&self) -> $crate::AuthLevel {
                self.0.auth_level()
            }
            /// The levels the session achieved.
            pub fn achieved(&self) -> $crate::VectorOfTrust {
                self.0.achieved()
            }
        }

        /// A verified core identity at `P2` or higher (name, birth dates, and the address,
        /// passport and driving-permit claims that were asked for). Without one, pages start
        /// identity verification at `Cl.Cm.P2` (the same redirect as
        /// `require(Requirement::IDENTITY_P2)`) and API calls get 401/403 JSON; a session whose
        /// identity One Login could not confirm gets the identity-not-proven page (with a link
        /// that tries again). Never defaulted. `Option<VerifiedIdentity>` is `None` instead.
        #[derive(Clone)]
        pub struct VerifiedIdentity {
            session: ::std::sync::Arc<$crate::SessionRecord>,
            identity: $crate::CoreIdentity,
        }

        impl ::std::fmt::Debug for VerifiedIdentity {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct("VerifiedIdentity").field("level", &self.identity.level()).finish_non_exhaustive()
            }
        }

        impl VerifiedIdentity {
            /// The verified core identity.
            pub fn identity(&self) -> &$crate::CoreIdentity {
                &self.identity
            }
            /// The verified level of confidence (`P2` or higher).
            pub fn level(&self) -> $crate::IdentityLevel {
                self.identity.level()
            }
            /// The whole session (subject, levels, contact claims).
            pub fn session(&self) -> &$crate::SessionRecord {
                &self.session
            }
        }

        /// The handle for actions in a handler: the session or none, sign-in links, the
        /// sign-out form, the application's own data in the session, and sign-out everywhere.
        /// It never rejects a request.
        #[derive(Clone, Debug)]
        pub struct OneLoginSession($crate::web::SessionHandle);

        impl OneLoginSession {
            /// The signed-in session, if any (at any level).
            pub fn session(&self) -> ::std::option::Option<&$crate::SessionRecord> {
                self.0.session()
            }
            /// Whether the request has a live session.
            pub fn is_signed_in(&self) -> bool {
                self.0.is_signed_in()
            }
            /// A link that signs in (or steps up) to `requirement`, back to `return_to`.
            pub fn sign_in_link(&self, requirement: &$crate::Requirement, return_to: &$crate::ReturnPath) -> String {
                self.0.sign_in_link(requirement, return_to)
            }
            /// The sign-out form's action, field name and CSRF token, when signed in.
            pub fn sign_out_form(&self) -> ::std::option::Option<$crate::web::SignOutForm<'_>> {
                self.0.sign_out_form()
            }
            /// The form that signs the user out on every device, when there is a session.
            pub fn sign_out_everywhere_form(&self) -> ::std::option::Option<$crate::web::SignOutForm<'_>> {
                self.0.sign_out_everywhere_form()
            }
            /// The application's value named `name` in this session.
            pub async fn get<T: $crate::__private::DeserializeOwned>(
                &self,
                name: &str,
            ) -> ::std::result::Result<::std::option::Option<T>, $crate::Error> {
                self.0.get(name).await
            }
            /// Keeps `value` under `name` in this session (one atomic store step).
            pub async fn insert<T: $crate::__private::Serialize + ?Sized>(
                &self,
                name: &str,
                value: &T,
            ) -> ::std::result::Result<(), $crate::Error> {
                self.0.insert(name, value).await
            }
            /// Removes the value named `name`.
            pub async fn remove(&self, name: &str) -> ::std::result::Result<(), $crate::Error> {
                self.0.remove(name).await
            }
            /// Ends every session of this user on every device (this one included).
            pub async fn sign_out_everywhere(&self) -> ::std::result::Result<usize, $crate::Error> {
                self.0.sign_out_everywhere().await
            }
            /// The handle itself (and through it the engine).
            pub fn handle(&self) -> &$crate::web::SessionHandle {
                &self.0
            }
        }
    };
}

//! Hooks: the application's own code, run when a user signs in, steps up, signs out, or has
//! their sessions ended by someone else (a revocation). Give them to
//! [`OneLoginBuilder::hooks`](crate::OneLoginBuilder::hooks).
//!
//! A hook is told what happened; it cannot change it. It runs once the library has done its
//! part (the session exists, or is gone, on every instance sharing the store). Sign-in and
//! sign-out hooks run before the user's browser gets its answer, so that what the hook writes
//! (an audit record, a user row) is there when the next page loads; revocation hooks run in
//! the background, as their notices come from servers that must not wait. A hook that fails, panics or takes longer than
//! [`HOOK_TIMEOUT`] is logged, once, at `error`, and the user's journey goes on: to refuse a
//! user, check in the route ([`Requirement`](crate::Requirement), or the handler). Hooks carry
//! the session record, so they see personal data: keep it out of your logs as the library
//! does.
//!
//! ```
//! use govuk_one_login::hooks::{Hooks, SignInKind};
//!
//! let hooks = Hooks::new()
//!     .on_sign_in(|sign_in| async move {
//!         if sign_in.kind() == SignInKind::SignIn {
//!             // First sign-in in this browser: find or create the service's user for
//!             // sign_in.session().subject().
//!         }
//!         Ok(())
//!     })
//!     .on_step_up(|step_up| async move {
//!         tracing::info!(from = ?step_up.previous(), to = %step_up.session().achieved(), "step-up");
//!         Ok(())
//!     })
//!     .on_revocation(|revocation| async move {
//!         tracing::info!(cause = ?revocation.cause(), sessions = revocation.sessions(), "sessions ended");
//!         Ok(())
//!     });
//! # let _ = hooks;
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument as _;

use crate::events::{EventAction, EventType};
use crate::levels::VectorOfTrust;
use crate::session::SessionRecord;
use crate::types::Subject;

/// What a hook may fail with: logged with its kind, never shown to the user.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// The longest one hook may take: after it, the hook is abandoned (its task aborted) and
/// logged as failed, and the user's answer goes out.
pub const HOOK_TIMEOUT: Duration = Duration::from_secs(10);

type HookFuture = Pin<Box<dyn Future<Output = Result<(), HookError>> + Send>>;
type Hook<E> = Arc<dyn Fn(E) -> HookFuture + Send + Sync>;

/// How a completed sign-in relates to the session the browser had before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignInKind {
    /// A new session: the browser had none, or had another person's (which ended).
    SignIn,
    /// The same person, now at a higher level than their previous session's (a higher
    /// credential level, or a verified identity, or a higher identity level).
    StepUp,
    /// The same person at no higher level: a re-authentication (`max_age`, `prompt=login`).
    Reauthentication,
}

/// A completed sign-in, as [`Hooks::on_sign_in`] and [`Hooks::on_step_up`] get it.
#[derive(Clone)]
pub struct SignIn {
    pub(crate) session: Arc<SessionRecord>,
    pub(crate) previous: Option<VectorOfTrust>,
    pub(crate) kind: SignInKind,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("kind", &self.kind)
            .field("achieved", &self.session.achieved())
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl SignIn {
    /// The new session (its subject, email, levels, and verified identity).
    pub fn session(&self) -> &SessionRecord {
        &self.session
    }
    /// Whether it is a first sign-in, a step-up or a re-authentication.
    pub fn kind(&self) -> SignInKind {
        self.kind
    }
    /// The level of the same person's session this one replaced (`None` for a
    /// [`SignInKind::SignIn`]).
    pub fn previous(&self) -> Option<VectorOfTrust> {
        self.previous
    }
}

/// A user signed out through the library's sign-out route ([`OneLogin::sign_out`](crate::OneLogin::sign_out)).
#[derive(Clone)]
pub struct SignOut {
    pub(crate) subject: Subject,
    pub(crate) achieved: VectorOfTrust,
}

impl std::fmt::Debug for SignOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOut").field("subject", &self.subject).field("achieved", &self.achieved).finish()
    }
}

impl SignOut {
    /// Who signed out.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }
    /// The level the ended session had.
    pub fn achieved(&self) -> VectorOfTrust {
        self.achieved
    }
}

/// Why a person's sessions were ended (or their verified identity dropped) by other means than
/// their own sign-out in this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RevocationCause {
    /// One Login's back-channel logout: the user signed out of One Login elsewhere.
    BackChannelLogout,
    /// A security event, and what the receiver did about it ([`EventAction::EndSessions`], or
    /// [`EventAction::DropIdentity`]: signed in still, without the verified identity).
    SecurityEvent {
        /// The event's kind.
        event: EventType,
        /// What the receiver did.
        action: EventAction,
    },
    /// The user asked this service to sign them out on every device
    /// ([`SessionHandle::sign_out_everywhere`](crate::web::SessionHandle::sign_out_everywhere)).
    SignOutEverywhere,
}

/// A person's sessions ended, or their verified identity dropped, on every instance.
#[derive(Clone)]
pub struct Revocation {
    pub(crate) subject: Subject,
    pub(crate) cause: RevocationCause,
    pub(crate) sessions: usize,
}

impl std::fmt::Debug for Revocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocation")
            .field("subject", &self.subject)
            .field("cause", &self.cause)
            .field("sessions", &self.sessions)
            .finish()
    }
}

impl Revocation {
    /// Whose sessions.
    pub fn subject(&self) -> &Subject {
        &self.subject
    }
    /// Why.
    pub fn cause(&self) -> RevocationCause {
        self.cause
    }
    /// How many sessions the store listed for the person (ended, or stripped of their
    /// identity); 0 when they had none here.
    pub fn sessions(&self) -> usize {
        self.sessions
    }
}

/// The application's hooks, given to [`OneLoginBuilder::hooks`](crate::OneLoginBuilder::hooks).
/// Each kind may have several; they run in the order added, each whatever the others did.
#[derive(Clone, Default)]
#[must_use]
pub struct Hooks {
    sign_in: Vec<Hook<SignIn>>,
    step_up: Vec<Hook<SignIn>>,
    sign_out: Vec<Hook<SignOut>>,
    revocation: Vec<Hook<Revocation>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("sign_in", &self.sign_in.len())
            .field("step_up", &self.step_up.len())
            .field("sign_out", &self.sign_out.len())
            .field("revocation", &self.revocation.len())
            .finish()
    }
}

fn boxed<E, F, Fut>(f: F) -> Hook<E>
where
    F: Fn(E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HookError>> + Send + 'static,
{
    Arc::new(move |event| Box::pin(f(event)))
}

impl Hooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }
    /// Runs `hook` after every completed sign-in: first sign-ins, step-ups and
    /// re-authentications alike ([`SignIn::kind`] tells which).
    pub fn on_sign_in<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SignIn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HookError>> + Send + 'static,
    {
        self.sign_in.push(boxed(hook));
        self
    }
    /// Runs `hook` after a sign-in that raised the same person's level ([`SignInKind::StepUp`]),
    /// after the [`on_sign_in`](Self::on_sign_in) hooks.
    pub fn on_step_up<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SignIn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HookError>> + Send + 'static,
    {
        self.step_up.push(boxed(hook));
        self
    }
    /// Runs `hook` after a user's sign-out ended their session here, before the browser goes
    /// to One Login's end-session endpoint.
    pub fn on_sign_out<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(SignOut) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HookError>> + Send + 'static,
    {
        self.sign_out.push(boxed(hook));
        self
    }
    /// Runs `hook` after a person's sessions were ended, or their identity dropped, by a
    /// back-channel logout, a security event or a sign-out on every device. It runs on the
    /// instance that received the notice, in the background: the answer to One Login (or to
    /// the browser) does not wait for it, and cannot fail because of it. A replayed notice is
    /// not acted on again; a security event that the transmitter delivers again because an
    /// [event handler](crate::events::EventHandlers) failed is, and runs the hook again.
    pub fn on_revocation<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Revocation) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HookError>> + Send + 'static,
    {
        self.revocation.push(boxed(hook));
        self
    }

    /// Whether a sign-in has anything to run (so that its event is built only then).
    pub(crate) fn has_sign_in_hooks(&self) -> bool {
        !self.sign_in.is_empty() || !self.step_up.is_empty()
    }

    pub(crate) async fn signed_in(&self, event: SignIn) {
        let step_up = if event.kind == SignInKind::StepUp { self.step_up.clone() } else { Vec::new() };
        let hooks = [(self.sign_in.clone(), "sign_in"), (step_up, "step_up")];
        run_all(hooks, event).await;
    }

    pub(crate) async fn signed_out(&self, event: SignOut) {
        run_all([(self.sign_out.clone(), "sign_out")], event).await;
    }

    /// Runs the revocation hooks in the background: a revocation comes from a server (One
    /// Login's back-channel logout, the security-event transmitter) whose answer must not wait
    /// for the application, nor fail, and so be retried, because of it.
    pub(crate) fn revoked(&self, event: Revocation) {
        if self.revocation.is_empty() {
            return;
        }
        let hooks = [(self.revocation.clone(), "revocation")];
        tokio::spawn(run_all(hooks, event).in_current_span());
    }
}

/// Runs every hook of each list in order, in a task of its own (a client that hangs up, which
/// drops the request's future, does not cut the sequence short), each hook in a task within it
/// (so that a panic, even in the hook's synchronous part, stays in it), bounded by
/// [`HOOK_TIMEOUT`]; a failure is logged and nothing more. The tasks keep the caller's span.
async fn run_all<E: Clone + Send + 'static, const N: usize>(lists: [(Vec<Hook<E>>, &'static str); N], event: E) {
    if lists.iter().all(|(hooks, _)| hooks.is_empty()) {
        return;
    }
    let sequence = async move {
        for (hooks, kind) in lists {
            for hook in hooks {
                let event = event.clone();
                let mut task = tokio::spawn(async move { hook(event).await }.in_current_span());
                match tokio::time::timeout(HOOK_TIMEOUT, &mut task).await {
                    Ok(Ok(Ok(()))) => {}
                    Ok(Ok(Err(error))) => tracing::error!(hook = kind, %error, "an application hook failed"),
                    Ok(Err(_)) => tracing::error!(hook = kind, "an application hook panicked"),
                    Err(_) => {
                        task.abort();
                        tracing::error!(
                            hook = kind,
                            timeout_secs = HOOK_TIMEOUT.as_secs(),
                            "an application hook took too long"
                        );
                    }
                }
            }
        }
    };
    let _ = tokio::spawn(sequence.in_current_span()).await;
}

/// The kind of a sign-in by `subject` at `achieved`, given the session it replaces.
pub(crate) fn sign_in_kind(
    previous: Option<(&Subject, VectorOfTrust)>,
    subject: &Subject,
    achieved: VectorOfTrust,
) -> (SignInKind, Option<VectorOfTrust>) {
    match previous {
        Some((before, level)) if before == subject => {
            if raises(level, achieved) {
                (SignInKind::StepUp, Some(level))
            } else {
                (SignInKind::Reauthentication, Some(level))
            }
        }
        _ => (SignInKind::SignIn, None),
    }
}

/// Whether `now` is higher than `before` in either part (credential or identity level).
fn raises(before: VectorOfTrust, now: VectorOfTrust) -> bool {
    now.auth() > before.auth() || now.identity_level() > before.identity_level()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> VectorOfTrust {
        s.parse().unwrap()
    }

    #[test]
    fn a_sign_in_is_a_step_up_only_for_the_same_person_at_a_higher_level() {
        let (me, other) = (Subject::new("me"), Subject::new("other"));
        assert_eq!(sign_in_kind(None, &me, v("Cl.Cm")), (SignInKind::SignIn, None));
        assert_eq!(sign_in_kind(Some((&other, v("Cl.Cm"))), &me, v("Cl.Cm.P2")), (SignInKind::SignIn, None));
        assert_eq!(sign_in_kind(Some((&me, v("Cl.Cm"))), &me, v("Cl.Cm.P2")), (SignInKind::StepUp, Some(v("Cl.Cm"))));
        assert_eq!(sign_in_kind(Some((&me, v("Cl"))), &me, v("Cl.Cm")), (SignInKind::StepUp, Some(v("Cl"))));
        assert_eq!(
            sign_in_kind(Some((&me, v("Cl.Cm.P1"))), &me, v("Cl.Cm.P2")),
            (SignInKind::StepUp, Some(v("Cl.Cm.P1")))
        );
        assert_eq!(
            sign_in_kind(Some((&me, v("Cl.Cm"))), &me, v("Cl.Cm")),
            (SignInKind::Reauthentication, Some(v("Cl.Cm")))
        );
        assert_eq!(
            sign_in_kind(Some((&me, v("Cl.Cm.P2"))), &me, v("Cl.Cm")),
            (SignInKind::Reauthentication, Some(v("Cl.Cm.P2")))
        );
    }

    #[tokio::test]
    async fn a_failing_panicking_or_slow_hook_is_logged_and_the_next_still_runs() {
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = ran.clone();
        let hooks = Hooks::new()
            .on_sign_out(|_| async { Err::<(), HookError>("the audit database is down".into()) })
            .on_sign_out(|_| async { panic!("a bug in the application") })
            .on_sign_out(|_| -> std::future::Ready<Result<(), HookError>> { panic!("a bug before the hook's future") })
            .on_sign_out(move |_| {
                let count = count.clone();
                async move {
                    count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                }
            });
        let event = SignOut { subject: Subject::new("me"), achieved: v("Cl.Cm") };
        hooks.signed_out(event).await;
        assert_eq!(ran.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hook_past_its_time_is_abandoned() {
        let hooks = Hooks::new().on_sign_out(|_| async {
            tokio::time::sleep(HOOK_TIMEOUT * 2).await;
            Ok(())
        });
        let started = tokio::time::Instant::now();
        hooks.signed_out(SignOut { subject: Subject::new("me"), achieved: v("Cl.Cm") }).await;
        assert_eq!(tokio::time::Instant::now() - started, HOOK_TIMEOUT);
    }
}

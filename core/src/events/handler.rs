//! The application's handlers for security events: an async function per event kind, or one
//! for every event ([`EventHandlers`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::actions::{EventAction, EventType};
use super::set::ReceivedSet;
use super::types::SecurityEvent;
use crate::types::Subject;

/// What a handler may fail with. A failure answers the transmitter with 500, so that it
/// delivers the SET again; the event is never taken as handled.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send>>;
type Handler = Arc<dyn Fn(Delivery) -> HandlerFuture + Send + Sync>;

/// One event of a verified SET, as a handler gets it.
#[derive(Clone)]
pub struct Delivery {
    pub(crate) set: Arc<ReceivedSet>,
    pub(crate) index: usize,
    pub(crate) subject: Option<Subject>,
    pub(crate) action: Option<EventAction>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event().name())
            .field("subject", &self.subject)
            .field("action", &self.action)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// The event.
    pub fn event(&self) -> &SecurityEvent {
        &self.set.events[self.index]
    }
    /// Its kind.
    pub fn event_type(&self) -> EventType {
        EventType::of(self.event())
    }
    /// The whole SET it came in.
    pub fn set(&self) -> &ReceivedSet {
        &self.set
    }
    /// The person it is about, as the pairwise `sub` this service's sessions carry: `None`
    /// when the event names no user of this service (a stream, an email address, another
    /// issuer's subject).
    pub fn subject(&self) -> Option<&Subject> {
        self.subject.as_ref()
    }
    /// What the receiver did by itself before calling the handler ([`EventAction`]), when the
    /// event named a person of this service.
    pub fn action_taken(&self) -> Option<EventAction> {
        self.action
    }
}

/// The application's handlers, given to
/// [`OneLoginBuilder::security_event_handlers`](crate::OneLoginBuilder::security_event_handlers).
///
/// Events arrive in no particular order and may arrive more than once over time (a replay of
/// the same SET is never handed over twice): make handlers idempotent, and prefer "sign the
/// user out", "fetch the account again" to applying the event's data.
///
/// ```
/// use govuk_one_login::events::{EventHandlers, EventType};
/// let handlers = EventHandlers::new()
///     .on(EventType::AccountPurged, |delivery| async move {
///         // Delete what the service keeps about delivery.subject().
///         let _ = delivery.subject();
///         Ok(())
///     })
///     .on_any(|delivery| async move {
///         tracing::info!(event = delivery.event().name(), "security event");
///         Ok(())
///     });
/// # let _ = handlers;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct EventHandlers {
    by_type: HashMap<EventType, Vec<Handler>>,
    any: Vec<Handler>,
}

impl std::fmt::Debug for EventHandlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHandlers")
            .field("kinds", &self.by_type.keys().collect::<Vec<_>>())
            .field("any", &self.any.len())
            .finish()
    }
}

fn boxed<F, Fut>(f: F) -> Handler
where
    F: Fn(Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
{
    Arc::new(move |delivery| Box::pin(f(delivery)))
}

impl EventHandlers {
    /// No handlers: the receiver's own actions alone.
    pub fn new() -> Self {
        Self::default()
    }
    /// Calls `handler` for every event of kind `event`, after the receiver's own action.
    pub fn on<F, Fut>(mut self, event: EventType, handler: F) -> Self
    where
        F: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.by_type.entry(event).or_default().push(boxed(handler));
        self
    }
    /// Calls `handler` for every event, after the handlers for its kind.
    pub fn on_any<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Delivery) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        self.any.push(boxed(handler));
        self
    }

    /// Runs the handlers for `delivery`'s event in order, stopping at the first failure.
    pub(crate) async fn run(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        let kind = self.by_type.get(&delivery.event_type()).into_iter().flatten();
        for handler in kind.chain(&self.any) {
            handler(delivery.clone()).await?;
        }
        Ok(())
    }
}

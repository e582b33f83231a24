//! The application's own data in a session: a few named JSON values kept beside the session
//! record, under the same contract (every change one atomic step, every record with a TTL).
//! Handlers reach it through [`SessionHandle`](crate::web::SessionHandle).

use std::collections::BTreeMap;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::StoreError;
use crate::session::SessionId;
use crate::types::Subject;

/// The most entries one session's data holds.
pub const MAX_DATA_ENTRIES: usize = 32;
/// The longest entry name, in bytes.
pub const MAX_DATA_NAME: usize = 64;
/// The longest entry value (its JSON text), in bytes.
pub const MAX_DATA_VALUE: usize = 8 * 1024;

/// A session's data: entry name to JSON text.
pub type SessionData = BTreeMap<String, String>;

/// The data part of the store contract. Data belongs to one session of one subject: every
/// call names both, and a backend keeps a subject's data where its other keys are (one slot
/// on a cluster), so moving it at a sign-in is one atomic step.
#[async_trait]
pub trait SessionDataStore: Send + Sync + 'static {
    /// The session's data; empty when it has none (or it expired).
    async fn load_data(
        &self,
        id: &SessionId,
        subject: &Subject,
        now: OffsetDateTime,
    ) -> Result<SessionData, StoreError>;

    /// Sets (`Some`) or removes (`None`) one entry in one atomic step, and keeps the data until
    /// `expires_at` (the session's end). Adding an entry to data that already holds
    /// [`MAX_DATA_ENTRIES`] is refused with [`StoreError::Full`].
    async fn write_data(
        &self,
        id: &SessionId,
        subject: &Subject,
        name: &str,
        value: Option<&str>,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Moves the data of session `from` to session `to` of the same subject, in one atomic
    /// step (a sign-in rotates the session id; the data follows). Nothing to move is not an
    /// error.
    async fn move_data(
        &self,
        from: &SessionId,
        to: &SessionId,
        subject: &Subject,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Deletes the session's data (sign-out).
    async fn delete_data(&self, id: &SessionId, subject: &Subject) -> Result<(), StoreError>;
}

//! What the operator's desk keeps of its own: sessions, known by a hash of their id and
//! shared by every instance on the database, and the audit trail read back (the latest
//! actions, and the one a request key carried out).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, AuditRow, StoreResult};

/// A signed-in operator's session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Hex SHA-256 of the session id the cookie holds.
    pub id_hash: String,
    /// The operator's name, as the audit log records it.
    pub operator: String,
    pub created_at: DateTime<Utc>,
    /// When it was last used (written at most once a minute).
    pub seen_at: DateTime<Utc>,
}

#[async_trait]
pub trait DeskStore: Send + Sync {
    /// Stores a new session with the audit entry of the sign-in, in one transaction.
    async fn open_session(&self, session: &SessionRow, audit: &AuditEntry) -> StoreResult<()>;

    /// The session whose id hashes to `id_hash`, alive or not: whether it still is, is the
    /// desk's rule (`web/desk/session.rs`).
    async fn session(&self, id_hash: &str) -> StoreResult<Option<SessionRow>>;

    /// Moves the session's last use to `at` (never back); false when there is none.
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> StoreResult<bool>;

    /// Ends a session, with the audit entry of a sign-out (none for one found expired), in
    /// one transaction; false when there was none.
    async fn close_session(&self, id_hash: &str, audit: Option<&AuditEntry>) -> StoreResult<bool>;

    /// Deletes the sessions last used before `idle_before` or opened before
    /// `opened_before`; how many.
    async fn purge_sessions(
        &self,
        idle_before: DateTime<Utc>,
        opened_before: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// The audit entry written under request key `key`, if an action was carried out
    /// under it.
    async fn audit_by_request(&self, key: &str) -> StoreResult<Option<AuditRow>>;

    /// The latest audit entries, newest first.
    async fn audit_entries(&self, limit: u32) -> StoreResult<Vec<AuditRow>>;
}

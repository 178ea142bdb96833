//! The audit trail of operator actions. An entry is written in the transaction of the
//! action it records, so an action is never on the record without its author or the other
//! way round; its request key (a form's idempotency key, an API client's
//! `Idempotency-Key`) is unique there, so one request carries out one action.

use chrono::{DateTime, Utc};

/// One operator action, for the audit table.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The operator's name: `admin` for `BANKSTATUS_ADMIN_TOKEN`, else its `[[operators]]`
    /// name. Never shown to the public.
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    /// The idempotency key of the request that asked for it; a second action under the same
    /// key is refused with [`super::StoreError::Repeated`] and leaves nothing behind.
    pub request: Option<String>,
}

/// An audit entry as stored, with the target the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
    pub request: Option<String>,
}

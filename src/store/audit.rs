//! The audit trail of operator actions. An entry is written in the transaction of the
//! action it records, so an action is never on the record without its author or the other
//! way round.

use chrono::{DateTime, Utc};

/// One operator action, for the audit table.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub detail: Option<String>,
}

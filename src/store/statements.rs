//! The banks' statements: each stored once with the incidents it speaks of, its alert event
//! and the operator's audit entry, in one transaction; read back by bank, time or incident.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditEntry, StoreResult};
use crate::domain::{Channel, Names, SourceKind, Statement};

/// A statement to put on the record.
#[derive(Debug, Clone)]
pub struct NewStatement {
    pub bank: String,
    pub channels: Vec<Channel>,
    pub words: Names,
    pub translations: Names,
    pub source_url: String,
    pub source_kind: SourceKind,
    pub said_at: DateTime<Utc>,
    pub expected_back_at: Option<DateTime<Utc>>,
    pub recorded_at: DateTime<Utc>,
    /// The incidents it speaks of; the first is the one its alert is sent under. Without
    /// any, it alerts nobody: subscriptions follow incidents.
    pub incidents: Vec<i64>,
    pub audit: AuditEntry,
}

/// Which statements to read, newest said first.
#[derive(Debug, Clone, Default)]
pub struct StatementFilter {
    pub bank: Option<String>,
    /// Any of these channels; empty means all.
    pub channels: Vec<Channel>,
    /// Only those said at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Only those said before this.
    pub until: Option<DateTime<Utc>>,
    /// Only those about this incident.
    pub incident: Option<i64>,
    /// Only those about an incident still open.
    pub open_incidents: bool,
    /// Newest recorded first instead of newest said first (the feeds' order).
    pub by_recorded: bool,
    pub limit: u32,
}

#[async_trait]
pub trait StatementStore: Send + Sync {
    /// Stores a statement, its links to incidents, its alert event and the audit entry in
    /// one transaction; returns its id.
    async fn add_statement(&self, new: &NewStatement) -> StoreResult<i64>;

    async fn statement(&self, id: i64) -> StoreResult<Option<Statement>>;

    async fn statements(&self, filter: &StatementFilter) -> StoreResult<Vec<Statement>>;
}

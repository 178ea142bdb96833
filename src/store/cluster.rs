//! What several instances on one database share: the probe schedule they claim from, the
//! leases, and small shared values (the engine's snapshot, each instance's network).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A probe as the shared schedule knows it.
#[derive(Debug, Clone)]
pub struct ScheduledProbe {
    pub id: String,
    pub interval: std::time::Duration,
    pub first_at: DateTime<Utc>,
}

#[async_trait]
pub trait ClusterStore: Send + Sync {
    /// True when several instances may run on this database (PostgreSQL): they then claim
    /// probes, one of them runs the engine, and the others follow its snapshot.
    fn shared(&self) -> bool;

    /// Makes these probes claimable with their intervals, first due at the given times;
    /// probes already known keep their schedule, and probes left out are forgotten.
    async fn register_probes(&self, probes: &[ScheduledProbe]) -> StoreResult<()>;

    /// Claims for `holder` up to `limit` probes due before `horizon`, with the time each is
    /// due (never before `now`); each is due again one interval after. No probe is claimed
    /// twice for one turn, whatever runs concurrently.
    async fn claim_due(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>>;

    /// Takes the lease `name` for `holder` until `until`, or renews it; false while another
    /// holder's lease has not expired at `now`.
    async fn hold_lease(
        &self,
        name: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Gives the lease up, so another instance takes it at once.
    async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()>;

    /// Stores `value` under `key` with a new version.
    async fn put_shared(&self, key: &str, value: &str) -> StoreResult<()>;

    /// Every key starting with `prefix`, with its value.
    async fn shared_with_prefix(&self, prefix: &str) -> StoreResult<Vec<(String, String)>>;

    /// Forgets `key`.
    async fn delete_shared(&self, key: &str) -> StoreResult<()>;

    /// The value under `key` when its version is not `seen`, with its version.
    async fn shared_since(&self, key: &str, seen: i64) -> StoreResult<Option<(i64, String)>>;
}

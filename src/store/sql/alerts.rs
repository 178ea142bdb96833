//! Subscriptions, alert events and the delivery outbox.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Backend, Db, DbRow, KEY_SHARE, SKIP_LOCKED};
use super::{Tx, INSERT_CHUNK};
use crate::domain::MailAddress;
use crate::store::alerts::{
    AlertEvent, AlertStats, AlertStore, Delivery, FanOut, Finish, MailCounts, NewDelivery, Purpose,
    Subscription, Via,
};
use crate::store::decode::{get, time, time_opt, word};
use crate::store::{to_ms, Lock, StoreError, StoreResult};

const SUBSCRIPTION_COLUMNS: &str = "id, kind, target, secret, manage_hash, banks, channels, \
     incident_kinds, incident_id, lang, base_url, state, created_at, expires_at, quarantined_at";

/// Records that a timeline entry was written, for the dispatcher to fan out.
pub(super) async fn insert_event(
    tx: &mut Tx,
    incident_id: i64,
    update_id: i64,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO alert_events (incident_id, update_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(incident_id)
    .bind(update_id)
    .bind(to_ms(at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Records that a statement was published under `incident_id`, the first incident it
/// speaks of, for the dispatcher to fan out like a timeline entry.
pub(super) async fn insert_statement_event(
    tx: &mut Tx,
    incident_id: i64,
    statement_id: i64,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO alert_events (incident_id, update_id, statement_id, created_at) \
         VALUES ($1, 0, $2, $3)",
    )
    .bind(incident_id)
    .bind(statement_id)
    .bind(to_ms(at))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

fn list<T: std::str::FromStr>(raw: &str, col: &str) -> StoreResult<Vec<T>> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|_| StoreError::Malformed(format!("`{s}` in subscriptions.{col}")))
        })
        .collect()
}

fn joined<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn subscription_from(row: &DbRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: get(row, "id")?,
        via: word(row, "kind")?,
        target: get(row, "target")?,
        secret: get(row, "secret")?,
        manage_hash: get(row, "manage_hash")?,
        banks: list(&get::<String, _>(row, "banks")?, "banks")?,
        channels: list(&get::<String, _>(row, "channels")?, "channels")?,
        incident_kinds: list(&get::<String, _>(row, "incident_kinds")?, "incident_kinds")?,
        incident_id: get(row, "incident_id")?,
        lang: word(row, "lang")?,
        base_url: get(row, "base_url")?,
        state: word(row, "state")?,
        created_at: time(row, "created_at")?,
        expires_at: time_opt(row, "expires_at")?,
        quarantined_at: time_opt(row, "quarantined_at")?,
    })
}

fn event_from(r: &DbRow) -> StoreResult<AlertEvent> {
    Ok(AlertEvent {
        id: get(r, "id")?,
        incident_id: get(r, "incident_id")?,
        update_id: get(r, "update_id")?,
        statement_id: get(r, "statement_id")?,
        cursor: get(r, "fanout_cursor")?,
    })
}

fn delivery_from(row: &DbRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: get(row, "id")?,
        subscription_id: get(row, "subscription_id")?,
        purpose: word(row, "purpose")?,
        event_id: get(row, "event_id")?,
        ends_it: get::<i64, _>(row, "ends_it")? != 0,
        created_at: time(row, "created_at")?,
        attempts: u32::try_from(get::<i64, _>(row, "attempts")?).unwrap_or(u32::MAX),
    })
}

async fn insert_deliveries(
    tx: &mut Tx,
    deliveries: &[NewDelivery],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for chunk in deliveries.chunks(INSERT_CHUNK) {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(
            "INSERT INTO deliveries (id, subscription_id, purpose, event_id, ends_it, \
             created_at, due_at) ",
        );
        q.push_values(chunk, |mut b, d| {
            b.push_bind(&d.id)
                .push_bind(&d.subscription_id)
                .push_bind(d.purpose.as_str())
                .push_bind(d.event_id)
                .push_bind(i64::from(d.ends_it))
                .push_bind(to_ms(now))
                .push_bind(to_ms(d.due_at));
        });
        q.push(" ON CONFLICT (id) DO NOTHING");
        q.build().execute(&mut *tx).await?;
    }
    Ok(())
}

/// Takes the subscriptions of `finished`, in id order, before any of their deliveries.
/// Deleting a subscription (an unsubscribe) locks it and then its deliveries (`ON DELETE
/// CASCADE`); recording an outcome locked the delivery and then its subscription, and the
/// two deadlocked on PostgreSQL, the unsubscribe answered 503 and counted as the storage
/// failing. Now the recording waits for the delete, or the delete for the recording.
async fn lock_subscriptions_of(tx: &mut Tx, finished: &[(Delivery, Finish)]) -> StoreResult<()> {
    if KEY_SHARE.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<&str> = finished
        .iter()
        .map(|(d, _)| d.subscription_id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(INSERT_CHUNK) {
        let mut q: QueryBuilder<Db> =
            QueryBuilder::new("SELECT id FROM subscriptions WHERE id IN (");
        let mut sep = q.separated(", ");
        for id in chunk {
            sep.push_bind(*id);
        }
        q.push(") ORDER BY id");
        q.push(KEY_SHARE);
        q.build().fetch_all(&mut *tx).await?;
    }
    Ok(())
}

/// Records how one attempt ended, inside the caller's transaction.
async fn finish_in(
    tx: &mut Tx,
    d: &Delivery,
    finish: &Finish,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (outcome, due, error) = match finish {
        Finish::Delivered => ("delivered", None, None),
        Finish::Retry { due, error } => ("retry", Some(*due), Some(error.as_str())),
        Finish::GiveUp { error } => ("failed", None, Some(error.as_str())),
        Finish::Gone => ("gone", None, None),
    };
    match due {
        Some(due) => {
            sqlx::query(
                "UPDATE deliveries SET due_at = $1, lease_until = NULL, outcome = $2, \
                 last_error = $3 WHERE id = $4",
            )
            .bind(to_ms(due))
            .bind(outcome)
            .bind(error)
            .bind(&d.id)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "UPDATE deliveries SET done_at = $1, lease_until = NULL, outcome = $2, \
                 last_error = $3 WHERE id = $4",
            )
            .bind(to_ms(now))
            .bind(outcome)
            .bind(error)
            .bind(&d.id)
            .execute(&mut *tx)
            .await?;
        }
    }
    match finish {
        Finish::GiveUp { .. } => {
            sqlx::query(
                "UPDATE subscriptions SET state = 'quarantined', quarantined_at = $1 \
                 WHERE id = $2",
            )
            .bind(to_ms(now))
            .bind(&d.subscription_id)
            .execute(&mut *tx)
            .await?;
        }
        Finish::Gone => {
            sqlx::query("DELETE FROM subscriptions WHERE id = $1")
                .bind(&d.subscription_id)
                .execute(&mut *tx)
                .await?;
        }
        Finish::Delivered if d.ends_it => {
            sqlx::query("DELETE FROM subscriptions WHERE id = $1")
                .bind(&d.subscription_id)
                .execute(&mut *tx)
                .await?;
        }
        // A webhook that answered its challenge is live.
        Finish::Delivered if d.purpose == Purpose::Verify => {
            sqlx::query(
                "UPDATE subscriptions SET state = 'active', expires_at = NULL \
                 WHERE id = $1 AND state = 'pending'",
            )
            .bind(&d.subscription_id)
            .execute(&mut *tx)
            .await?;
        }
        _ => {}
    }
    Ok(())
}

#[async_trait]
impl AlertStore for Backend {
    async fn add_subscription(
        &self,
        s: &Subscription,
        first: Option<&NewDelivery>,
    ) -> StoreResult<()> {
        let mail = (s.via == Via::Email)
            .then(|| crate::domain::mail_address(&s.target))
            .flatten();
        let mut tx = self.begin_write(Lock::Rows).await?;
        sqlx::query(
            "INSERT INTO subscriptions (id, kind, target, secret, manage_hash, banks, channels, \
             incident_kinds, incident_id, lang, base_url, state, created_at, expires_at, \
             mailbox, mail_domain) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&s.id)
        .bind(s.via.as_str())
        .bind(&s.target)
        .bind(&s.secret)
        .bind(&s.manage_hash)
        .bind(s.banks.join(","))
        .bind(joined(&s.channels))
        .bind(joined(&s.incident_kinds))
        .bind(s.incident_id)
        .bind(s.lang.as_str())
        .bind(&s.base_url)
        .bind(s.state.as_str())
        .bind(to_ms(s.created_at))
        .bind(s.expires_at.map(to_ms))
        .bind(mail.as_ref().map(|m| m.mailbox.as_str()))
        .bind(mail.as_ref().map(|m| m.domain.as_str()))
        .execute(&mut tx)
        .await?;
        if let Some(d) = first {
            insert_deliveries(&mut tx, std::slice::from_ref(d), s.created_at).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn mail_counts(
        &self,
        mail: &MailAddress,
        hour: DateTime<Utc>,
        day: DateTime<Utc>,
    ) -> StoreResult<MailCounts> {
        let row = sqlx::query(
            "SELECT \
               COUNT(CASE WHEN mailbox = $1 AND created_at >= $3 THEN 1 END) AS mailbox_hour, \
               COUNT(CASE WHEN mailbox = $1 THEN 1 END) AS mailbox_day, \
               COUNT(*) AS domain_day \
             FROM subscriptions WHERE kind = 'email' AND mail_domain = $2 AND created_at >= $4",
        )
        .bind(&mail.mailbox)
        .bind(&mail.domain)
        .bind(to_ms(hour))
        .bind(to_ms(day))
        .fetch_one(&self.pool)
        .await?;
        Ok(MailCounts {
            mailbox_hour: get(&row, "mailbox_hour")?,
            mailbox_day: get(&row, "mailbox_day")?,
            domain_day: get(&row, "domain_day")?,
        })
    }

    async fn subscription(&self, id: &str) -> StoreResult<Option<Subscription>> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(subscription_from).transpose()
    }

    async fn activate(&self, id: &str) -> StoreResult<bool> {
        let n = super::write::watch(
            &self.health,
            sqlx::query(
                "UPDATE subscriptions SET state = 'active', expires_at = NULL \
             WHERE id = $1 AND state = 'pending'",
            )
            .bind(id)
            .execute(&self.pool),
        )
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn delete_subscription(&self, id: &str) -> StoreResult<bool> {
        let n = super::write::watch(
            &self.health,
            sqlx::query("DELETE FROM subscriptions WHERE id = $1")
                .bind(id)
                .execute(&self.pool),
        )
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn alert_event(&self, id: i64) -> StoreResult<Option<AlertEvent>> {
        let row = sqlx::query(
            "SELECT id, incident_id, update_id, statement_id, fanout_cursor FROM alert_events WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(event_from).transpose()
    }

    async fn pending_events(&self, limit: i64) -> StoreResult<Vec<AlertEvent>> {
        let rows = sqlx::query(
            "SELECT id, incident_id, update_id, statement_id, fanout_cursor FROM alert_events \
             WHERE fanned_out = 0 ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from).collect()
    }

    async fn active_subscriptions(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<Subscription>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE state = 'active' \
             AND id > $1 ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(subscription_from).collect()
    }

    async fn last_updates(
        &self,
        subscriptions: &[String],
        incident_id: i64,
    ) -> StoreResult<Vec<(String, DateTime<Utc>)>> {
        let mut out = Vec::new();
        for chunk in subscriptions.chunks(INSERT_CHUNK) {
            let mut q: QueryBuilder<Db> = QueryBuilder::new(
                "SELECT subscription_id, last_at FROM alert_throttle WHERE incident_id = ",
            );
            q.push_bind(incident_id);
            q.push(" AND subscription_id IN (");
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                out.push((get(&r, "subscription_id")?, time(&r, "last_at")?));
            }
        }
        Ok(out)
    }

    async fn fan_out(&self, step: &FanOut, now: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        for (subscription, incident, due) in &step.throttled {
            if *due > now {
                // The email held before for this incident is replaced: one goes at the
                // gap's end, with the latest news.
                sqlx::query(
                    "UPDATE deliveries SET done_at = $1, outcome = 'superseded' \
                     WHERE subscription_id = $2 AND purpose = 'event' AND done_at IS NULL \
                     AND attempts = 0 AND due_at > $1 AND event_id IN \
                     (SELECT id FROM alert_events WHERE incident_id = $3)",
                )
                .bind(to_ms(now))
                .bind(subscription)
                .bind(incident)
                .execute(&mut tx)
                .await?;
            }
        }
        insert_deliveries(&mut tx, &step.deliveries, now).await?;
        for (subscription, incident, due) in &step.throttled {
            // Never earlier than an email already due: a statement sent at once leaves a
            // held email's slot as it was.
            sqlx::query(
                "INSERT INTO alert_throttle (subscription_id, incident_id, last_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (subscription_id, incident_id) \
                 DO UPDATE SET last_at = CASE WHEN excluded.last_at > alert_throttle.last_at \
                 THEN excluded.last_at ELSE alert_throttle.last_at END",
            )
            .bind(subscription)
            .bind(incident)
            .bind(to_ms(*due))
            .execute(&mut tx)
            .await?;
        }
        sqlx::query("UPDATE alert_events SET fanout_cursor = $1, fanned_out = $2 WHERE id = $3")
            .bind(&step.cursor)
            .bind(i64::from(step.done))
            .bind(step.event_id)
            .execute(&mut tx)
            .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> StoreResult<Vec<Delivery>> {
        // Deliveries of quarantined or unconfirmed subscriptions wait; their own challenge
        // or confirmation does not.
        let skip = if SKIP_LOCKED.is_empty() {
            ""
        } else {
            " FOR UPDATE OF d SKIP LOCKED"
        };
        let sql = format!(
            "UPDATE deliveries SET lease_until = $1, attempts = attempts + 1 \
             WHERE id IN (SELECT d.id FROM deliveries d JOIN subscriptions s \
             ON s.id = d.subscription_id WHERE d.done_at IS NULL AND d.due_at <= $2 \
             AND (d.lease_until IS NULL OR d.lease_until <= $2) \
             AND (s.state = 'active' OR (s.state = 'pending' AND d.purpose <> 'event')) \
             ORDER BY d.due_at LIMIT $3{skip}) \
             RETURNING id, subscription_id, purpose, event_id, ends_it, created_at, attempts"
        );
        let rows = sqlx::query(&sql)
            .bind(to_ms(now + lease))
            .bind(to_ms(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(delivery_from).collect()
    }

    async fn subscriptions(&self, ids: &[String]) -> StoreResult<Vec<Subscription>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(INSERT_CHUNK) {
            let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id IN ("
            ));
            let mut sep = q.separated(", ");
            for id in chunk {
                sep.push_bind(id);
            }
            q.push(")");
            for r in q.build().fetch_all(&self.pool).await? {
                out.push(subscription_from(&r)?);
            }
        }
        Ok(out)
    }

    async fn finish_deliveries(
        &self,
        finished: &[(Delivery, Finish)],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        lock_subscriptions_of(&mut tx, finished).await?;
        for (d, finish) in finished {
            finish_in(&mut tx, d, finish, now).await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn sweep_alerts(
        &self,
        now: DateTime<Utc>,
        keep_done: chrono::Duration,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write(Lock::Rows).await?;
        let mut n = sqlx::query(
            "DELETE FROM subscriptions WHERE state = 'pending' AND expires_at IS NOT NULL \
             AND expires_at < $1",
        )
        .bind(to_ms(now))
        .execute(&mut tx)
        .await?
        .rows_affected();
        let before = to_ms(now - keep_done);
        n += sqlx::query("DELETE FROM deliveries WHERE done_at IS NOT NULL AND done_at < $1")
            .bind(before)
            .execute(&mut tx)
            .await?
            .rows_affected();
        n += sqlx::query(
            "DELETE FROM alert_events WHERE fanned_out = 1 AND created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = alert_events.id)",
        )
        .bind(before)
        .execute(&mut tx)
        .await?
        .rows_affected();
        self.commit(tx).await?;
        Ok(n)
    }

    async fn alert_stats(&self) -> StoreResult<AlertStats> {
        let mut stats = AlertStats::default();
        for r in sqlx::query(
            "SELECT kind, state, COUNT(*) AS n FROM subscriptions GROUP BY kind, state \
             ORDER BY kind, state",
        )
        .fetch_all(&self.pool)
        .await?
        {
            stats
                .by_kind
                .push((get(&r, "kind")?, get(&r, "state")?, get(&r, "n")?));
        }
        for r in sqlx::query(
            "SELECT banks, COUNT(*) AS n FROM subscriptions GROUP BY banks ORDER BY banks",
        )
        .fetch_all(&self.pool)
        .await?
        {
            let banks: String = get(&r, "banks")?;
            let n: i64 = get(&r, "n")?;
            if banks.is_empty() {
                stats.by_bank.push(("*".to_owned(), n));
            } else {
                for b in banks.split(',') {
                    match stats.by_bank.iter_mut().find(|(k, _)| k == b) {
                        Some((_, c)) => *c += n,
                        None => stats.by_bank.push((b.to_owned(), n)),
                    }
                }
            }
        }
        stats.by_bank.sort();
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE state = 'quarantined' \
             ORDER BY quarantined_at LIMIT 1000"
        );
        for r in sqlx::query(&sql).fetch_all(&self.pool).await? {
            stats.quarantined.push(subscription_from(&r)?);
        }
        // An email held back by the gap is owed from when it falls due, not from when it
        // was written, so a flapping bank's held email does not read as a stuck outbox.
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(CASE WHEN attempts = 0 THEN due_at ELSE created_at END) \
             AS oldest FROM deliveries WHERE done_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        stats.queue_depth = get(&r, "n")?;
        stats.oldest_undelivered = time_opt(&r, "oldest")?;
        Ok(stats)
    }
}

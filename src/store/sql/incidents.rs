//! Incidents, their scopes, sources and timelines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Backend, Db};
use super::{
    corrections, incident_from, insert_audit, insert_update, load_scopes_and_sources, scope_filter,
    Tx, INCIDENT_COLUMNS,
};
use crate::domain::fact::Step;
use crate::domain::IncidentState;
use crate::store::decode::{get, names, time, time_opt, word};
use crate::store::{
    to_ms, AuditEntry, CorrectionEntry, FeedEntry, FeedFilter, IncidentFilter, IncidentRow,
    IncidentStore, Lock, NewCorrection, NewIncident, NewUpdate, Opened, OperatorUpdate, OutageSpan,
    StoreResult, UpdateRow,
};

/// Moves the incident to the entry's state and appends it; see [`IncidentStore::add_update`].
async fn update_in(
    tx: &mut Tx,
    incident_id: i64,
    update: &NewUpdate,
    step: Step,
) -> StoreResult<()> {
    let at = to_ms(update.at);
    let closed = update.state.is_closed();
    sqlx::query(
        "UPDATE incidents SET state = $1, \
         updated_at = CASE WHEN updated_at > $2 THEN updated_at ELSE $2 END, \
         resolved_at = CASE WHEN $3 THEN $4 ELSE NULL END, \
         open_key = CASE WHEN $5 THEN NULL ELSE open_key END WHERE id = $6",
    )
    .bind(update.state.as_str())
    .bind(at)
    .bind(closed)
    .bind(at)
    .bind(closed)
    .bind(incident_id)
    .execute(&mut *tx)
    .await?;
    insert_update(tx, incident_id, update, step).await
}

#[async_trait]
impl IncidentStore for Backend {
    async fn open_incident(&self, new: &NewIncident) -> StoreResult<Opened> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        if let Some(key) = &new.open_key {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT id FROM incidents WHERE open_key = $1")
                    .bind(key.to_string())
                    .fetch_optional(&mut tx)
                    .await?;
            if let Some(id) = existing {
                // Opened meanwhile by another instance: this signal joins it.
                update_in(&mut tx, id, &new.first_update, Step::Update).await?;
                self.commit(tx).await?;
                return Ok(Opened::Existing(id));
            }
            if let Some(id) = new.reopen {
                let reopened = sqlx::query(
                    "UPDATE incidents SET open_key = $1, reopens = reopens + 1 \
                     WHERE id = $2 AND open_key IS NULL AND resolved_at IS NOT NULL \
                     AND state <> 'withdrawn'",
                )
                .bind(key.to_string())
                .bind(id)
                .execute(&mut tx)
                .await?
                .rows_affected();
                if reopened == 1 {
                    update_in(&mut tx, id, &new.first_update, Step::Reopened).await?;
                    self.commit(tx).await?;
                    return Ok(Opened::Existing(id));
                }
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (kind, state, title_ar, title_fr, title_en, started_at, \
             created_at, updated_at, open_key, overrun_of, channel_key, alerted) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, 0) RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(new.first_update.state.as_str())
        .bind(&new.title.ar)
        .bind(&new.title.fr)
        .bind(&new.title.en)
        .bind(to_ms(new.started_at))
        .bind(to_ms(new.recorded_at))
        .bind(to_ms(new.first_update.at))
        .bind(new.open_key.as_ref().map(ToString::to_string))
        .bind(new.overrun_of)
        .fetch_one(&mut tx)
        .await?;
        for (bank, channel) in &new.scopes {
            sqlx::query(
                "INSERT INTO incident_scopes (incident_id, bank, channel) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(bank)
            .bind(channel.as_str())
            .execute(&mut tx)
            .await?;
        }
        insert_update(&mut tx, id, &new.first_update, Step::Opened).await?;
        for later in &new.later {
            update_in(&mut tx, id, later, Step::Update).await?;
        }
        if let Some(audit) = &new.audit {
            insert_audit(&mut tx, audit, Some(format!("incident:{id}"))).await?;
        }
        self.commit(tx).await?;
        Ok(Opened::New(id))
    }

    async fn add_update(&self, incident_id: i64, update: &NewUpdate) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        update_in(&mut tx, incident_id, update, Step::Update).await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn operator_update(&self, incident_id: i64, change: &OperatorUpdate) -> StoreResult<()> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        if let Some(title) = &change.title {
            sqlx::query(
                "UPDATE incidents SET title_ar = COALESCE($1, title_ar), \
                 title_fr = COALESCE($2, title_fr), title_en = COALESCE($3, title_en), \
                 updated_at = CASE WHEN updated_at > $4 THEN updated_at ELSE $4 END WHERE id = $5",
            )
            .bind(&title.ar)
            .bind(&title.fr)
            .bind(&title.en)
            .bind(to_ms(change.update.at))
            .bind(incident_id)
            .execute(&mut tx)
            .await?;
        }
        let mut step = Step::Update;
        if let Some(closed_at) = change.window {
            // Calendars see the change; closing a window before its end cancels the rest.
            sqlx::query(
                "UPDATE maintenance_windows SET sequence = sequence + 1, \
                 cancelled_at = CASE WHEN $1 < ends THEN COALESCE(cancelled_at, $2) \
                 ELSE cancelled_at END WHERE incident_id = $3",
            )
            .bind(closed_at.map(to_ms))
            .bind(closed_at.map(to_ms))
            .bind(incident_id)
            .execute(&mut tx)
            .await?;
            if let Some(at) = closed_at {
                let cancelled: Option<i64> = sqlx::query_scalar(
                    "SELECT cancelled_at FROM maintenance_windows WHERE incident_id = $1",
                )
                .bind(incident_id)
                .fetch_optional(&mut tx)
                .await?
                .flatten();
                if cancelled == Some(to_ms(at)) {
                    step = Step::Cancelled;
                }
            }
        }
        update_in(&mut tx, incident_id, &change.update, step).await?;
        insert_audit(&mut tx, &change.audit, None).await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn withdraw_incident(
        &self,
        incident_id: i64,
        entry: &NewUpdate,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        let alerted: Option<i64> = sqlx::query_scalar(
            "SELECT alerted FROM incidents WHERE id = $1 AND kind <> 'maintenance' \
             AND state <> 'withdrawn'",
        )
        .bind(incident_id)
        .fetch_optional(&mut tx)
        .await?;
        let Some(alerted) = alerted else {
            return Ok(false);
        };
        let at = to_ms(entry.at);
        sqlx::query(
            "UPDATE incidents SET state = 'withdrawn', open_key = NULL, \
             resolved_at = COALESCE(resolved_at, $1), \
             updated_at = CASE WHEN updated_at > $1 THEN updated_at ELSE $1 END WHERE id = $2",
        )
        .bind(at)
        .bind(incident_id)
        .execute(&mut tx)
        .await?;
        let entry = NewUpdate {
            state: IncidentState::Withdrawn,
            alert: alerted == 1,
            ..entry.clone()
        };
        insert_update(&mut tx, incident_id, &entry, Step::Update).await?;
        insert_audit(&mut tx, audit, Some(format!("incident:{incident_id}"))).await?;
        self.commit(tx).await?;
        Ok(true)
    }

    async fn correct_update(&self, c: &NewCorrection) -> StoreResult<Option<i64>> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        let Some(id) = corrections::insert(&mut tx, c).await? else {
            return Ok(None);
        };
        super::log::append_correction(&mut tx, id).await?;
        insert_audit(
            &mut tx,
            &c.audit,
            Some(format!("incident:{}", c.incident_id)),
        )
        .await?;
        self.commit(tx).await?;
        Ok(Some(id))
    }

    async fn correction_entries(&self, filter: &FeedFilter) -> StoreResult<Vec<CorrectionEntry>> {
        corrections::entries(&self.pool, filter).await
    }

    async fn incident(&self, id: i64) -> StoreResult<Option<(IncidentRow, Vec<UpdateRow>)>> {
        let row = sqlx::query(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut incident = [incident_from(&row)?];
        load_scopes_and_sources(&self.pool, &mut incident).await?;
        let updates = sqlx::query(
            "SELECT id, at, state, source, message_ar, message_fr, message_en, title_ar, \
             title_fr, title_en, alerted FROM incident_updates WHERE incident_id = $1 \
             ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(UpdateRow {
                id: get(r, "id")?,
                at: time(r, "at")?,
                state: word(r, "state")?,
                source: word(r, "source")?,
                message: names(r, "message")?,
                title: names(r, "title")?,
                alerted: get::<i64, _>(r, "alerted")? == 1,
                corrections: Vec::new(),
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
        let mut updates = updates;
        corrections::attach(&self.pool, &mut updates, None).await?;
        let [incident] = incident;
        Ok(Some((incident, updates)))
    }

    async fn incidents(&self, filter: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE 1 = 1"
        ));
        if filter.bank.is_some() || filter.channel.is_some() {
            q.push(" AND EXISTS (SELECT 1 FROM incident_scopes s WHERE s.incident_id = i.id");
            if let Some(bank) = &filter.bank {
                q.push(" AND s.bank = ").push_bind(bank);
            }
            if let Some(channel) = filter.channel {
                q.push(" AND s.channel = ").push_bind(channel.as_str());
            }
            q.push(")");
        }
        if let Some(kind) = filter.kind {
            q.push(" AND i.kind = ").push_bind(kind.as_str());
        }
        if let Some(state) = filter.state {
            q.push(" AND i.state = ").push_bind(state.as_str());
        } else if !filter.include_withdrawn {
            q.push(" AND i.state <> 'withdrawn'");
        }
        if let Some(since) = filter.since {
            q.push(" AND (i.started_at >= ")
                .push_bind(to_ms(since))
                .push(" OR i.resolved_at IS NULL OR i.resolved_at >= ")
                .push_bind(to_ms(since))
                .push(")");
        }
        if let Some(until) = filter.until {
            q.push(" AND i.started_at < ").push_bind(to_ms(until));
        }
        if let Some(of) = filter.overrun_of {
            q.push(" AND i.overrun_of = ").push_bind(of);
        }
        if let Some((at, id)) = filter.before {
            q.push(" AND (i.started_at < ")
                .push_bind(to_ms(at))
                .push(" OR (i.started_at = ")
                .push_bind(to_ms(at))
                .push(" AND i.id < ")
                .push_bind(id)
                .push("))");
        }
        if filter.open_only {
            q.push(" AND i.resolved_at IS NULL");
        }
        q.push(" ORDER BY i.started_at DESC, i.id DESC LIMIT ")
            .push_bind(i64::from(filter.limit.max(1)));
        let mut rows = q
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(incident_from)
            .collect::<StoreResult<Vec<_>>>()?;
        load_scopes_and_sources(&self.pool, &mut rows).await?;
        Ok(rows)
    }

    async fn feed_entries(&self, filter: &FeedFilter) -> StoreResult<Vec<FeedEntry>> {
        // Incidents only customers report are read apart and held to a share of the feed,
        // so a flood of them cannot push advisories and probe incidents out of it.
        let limit = filter.limit.max(1);
        let mut entries = feed_page(&self.pool, filter, false, limit).await?;
        entries.extend(feed_page(&self.pool, filter, true, limit.min(CROWD_FEED_SHARE)).await?);
        entries.sort_by_key(|e| std::cmp::Reverse((e.update.at, e.update.id)));
        entries.truncate(limit as usize);
        Ok(entries)
    }

    async fn outage_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<OutageSpan>> {
        let rows = sqlx::query(
            "SELECT i.id AS id, s.bank AS bank, s.channel AS channel, i.started_at AS started_at, \
             i.resolved_at AS resolved_at, i.overrun_of AS overrun_of, i.reopens AS reopens \
             FROM incidents i JOIN incident_scopes s ON s.incident_id = i.id \
             WHERE i.kind = 'outage' AND i.state <> 'withdrawn' AND i.started_at < $1 \
             AND (i.resolved_at IS NULL OR i.resolved_at > $2) ORDER BY i.started_at, i.id",
        )
        .bind(to_ms(to))
        .bind(to_ms(from))
        .fetch_all(&self.pool)
        .await?;
        let mut spans = Vec::with_capacity(rows.len());
        for r in &rows {
            let span = OutageSpan {
                incident_id: get(r, "id")?,
                bank: get(r, "bank")?,
                channel: word(r, "channel")?,
                started_at: time(r, "started_at")?,
                resolved_at: time_opt(r, "resolved_at")?,
                overrun_of: get(r, "overrun_of")?,
            };
            let reopens: i64 = get(r, "reopens")?;
            if reopens == 0 {
                spans.push(span);
                continue;
            }
            // A reopened incident was not down between a resolution and its reopening.
            let timeline: Vec<(DateTime<Utc>, IncidentState)> = sqlx::query(
                "SELECT at, state FROM incident_updates WHERE incident_id = $1 ORDER BY at, id",
            )
            .bind(span.incident_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|u| Ok((time(u, "at")?, word(u, "state")?)))
            .collect::<StoreResult<_>>()?;
            spans.extend(span.split_at_gaps(&timeline));
        }
        Ok(spans)
    }
}

/// The most entries of incidents only customers report that one feed carries.
pub(crate) const CROWD_FEED_SHARE: u32 = 10;

/// Backed by reports alone: no probe and no operator has spoken for it.
const CROWD_ONLY: &str = "EXISTS (SELECT 1 FROM incident_sources cs WHERE cs.incident_id = i.id \
     AND cs.source = 'reports') AND NOT EXISTS (SELECT 1 FROM incident_sources cs \
     WHERE cs.incident_id = i.id AND cs.source <> 'reports')";

/// The newest feed entries of incidents backed by reports alone (`crowd`) or not. A
/// withdrawn incident keeps only the entry that withdrew it: what readers already have stays
/// as it was, and they are told it was a false alarm.
async fn feed_page(
    pool: &sqlx::Pool<Db>,
    filter: &FeedFilter,
    crowd: bool,
    limit: u32,
) -> StoreResult<Vec<FeedEntry>> {
    let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
        "SELECT {INCIDENT_COLUMNS}, u.id AS update_id, u.at AS update_at, \
         u.state AS update_state, u.source AS update_source, u.message_ar AS message_ar, \
         u.message_fr AS message_fr, u.message_en AS message_en, \
         u.title_ar AS update_title_ar, u.title_fr AS update_title_fr, \
         u.title_en AS update_title_en, u.alerted AS update_alerted \
         FROM incident_updates u JOIN incidents i ON i.id = u.incident_id \
         WHERE (i.state <> 'withdrawn' OR u.state = 'withdrawn') AND {}({CROWD_ONLY})",
        if crowd { "" } else { "NOT " }
    ));
    scope_filter(&mut q, filter);
    q.push(" ORDER BY u.at DESC, u.id DESC LIMIT ")
        .push_bind(i64::from(limit));
    let rows = q.build().fetch_all(pool).await?;
    let mut incidents = Vec::with_capacity(rows.len());
    let mut updates = Vec::with_capacity(rows.len());
    for r in &rows {
        incidents.push(incident_from(r)?);
        updates.push(UpdateRow {
            id: get(r, "update_id")?,
            at: time(r, "update_at")?,
            state: word(r, "update_state")?,
            source: word(r, "update_source")?,
            message: names(r, "message")?,
            title: names(r, "update_title")?,
            alerted: get::<i64, _>(r, "update_alerted")? == 1,
            corrections: Vec::new(),
        });
    }
    load_scopes_and_sources(pool, &mut incidents).await?;
    Ok(incidents
        .into_iter()
        .zip(updates)
        .map(|(incident, update)| FeedEntry { incident, update })
        .collect())
}

//! Maintenance windows and their incidents.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::super::{Backend, Db, CHANNEL_LIST};
use super::{insert_audit, insert_update, log};
use crate::domain::fact::Step;
use crate::domain::{Channel, IncidentKind, IncidentState, Names, Source};
use crate::store::decode::{get, names, parse, time, time_opt, word};
use crate::store::{
    to_ms, AuditEntry, Lock, NewUpdate, NewWindow, StoreResult, WindowChange, WindowChanged,
    WindowFilter, WindowRow, WindowStore,
};

#[async_trait]
impl WindowStore for Backend {
    async fn upsert_window(
        &self,
        w: &NewWindow,
        now: DateTime<Utc>,
        audit: Option<&AuditEntry>,
    ) -> StoreResult<i64> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        if let Some(key) = &w.config_key {
            let existing = sqlx::query(
                "SELECT w.incident_id AS id, w.source_url AS source_url, i.title_ar AS title_ar, \
                 i.title_fr AS title_fr, i.title_en AS title_en \
                 FROM maintenance_windows w JOIN incidents i ON i.id = w.incident_id \
                 WHERE w.config_key = $1",
            )
            .bind(key)
            .fetch_optional(&mut tx)
            .await?;
            if let Some(row) = existing {
                let id: i64 = get(&row, "id")?;
                let source: Option<String> = get(&row, "source_url")?;
                // Calendars see the change: a new sequence and a new last change, so that a
                // client asking whether it changed since its copy is told so.
                if names(&row, "title")? != w.title || source != w.source {
                    sqlx::query(
                        "UPDATE incidents SET title_ar = $1, title_fr = $2, title_en = $3, \
                         updated_at = CASE WHEN updated_at > $4 THEN updated_at ELSE $4 END \
                         WHERE id = $5",
                    )
                    .bind(&w.title.ar)
                    .bind(&w.title.fr)
                    .bind(&w.title.en)
                    .bind(to_ms(now))
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                    sqlx::query(
                        "UPDATE maintenance_windows SET source_url = $1, sequence = sequence + 1 \
                         WHERE incident_id = $2",
                    )
                    .bind(&w.source)
                    .bind(id)
                    .execute(&mut tx)
                    .await?;
                    // A new title or source is a new fact; the window's entries stay.
                    let state: String =
                        sqlx::query_scalar("SELECT state FROM incidents WHERE id = $1")
                            .bind(id)
                            .fetch_one(&mut tx)
                            .await?;
                    log::append_incident(
                        &mut tx,
                        id,
                        Step::Changed,
                        &log::Written {
                            update: None,
                            at: now,
                            state: crate::store::decode::parse(&state, "state")?,
                            source: Source::Operator,
                            message: &Names::default(),
                            title: None,
                        },
                    )
                    .await?;
                }
                self.commit(tx).await?;
                return Ok(id);
            }
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incidents (kind, state, title_ar, title_fr, title_en, started_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(IncidentKind::Maintenance.as_str())
        .bind(IncidentState::Scheduled.as_str())
        .bind(&w.title.ar)
        .bind(&w.title.fr)
        .bind(&w.title.en)
        .bind(to_ms(w.starts))
        .bind(to_ms(now))
        .bind(to_ms(now))
        .fetch_one(&mut tx)
        .await?;
        for channel in &w.channels {
            sqlx::query(
                "INSERT INTO incident_scopes (incident_id, bank, channel) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(&w.bank)
            .bind(channel.as_str())
            .execute(&mut tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO maintenance_windows (incident_id, starts, ends, source_url, config_key) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(to_ms(w.starts))
        .bind(to_ms(w.ends))
        .bind(&w.source)
        .bind(&w.config_key)
        .execute(&mut tx)
        .await?;
        // A window recorded after it began is put on the timeline as announced at its start.
        let announced = NewUpdate {
            at: now.min(w.starts),
            state: IncidentState::Scheduled,
            source: Source::Operator,
            message: w.title.clone(),
            alert: true,
        };
        insert_update(&mut tx, id, &announced, Step::Opened).await?;
        if let Some(audit) = audit {
            insert_audit(&mut tx, audit, Some(format!("incident:{id}"))).await?;
        }
        self.commit(tx).await?;
        Ok(id)
    }

    async fn change_window(
        &self,
        id: i64,
        change: &WindowChange,
        audit: &AuditEntry,
    ) -> StoreResult<WindowChanged> {
        let mut tx = self.begin_write(Lock::Incidents).await?;
        let row = sqlx::query(
            "SELECT i.state AS state, w.config_key AS config_key, w.cancelled_at AS cancelled_at, \
             (SELECT s.bank FROM incident_scopes s WHERE s.incident_id = i.id LIMIT 1) AS bank \
             FROM maintenance_windows w JOIN incidents i ON i.id = w.incident_id \
             WHERE w.incident_id = $1",
        )
        .bind(id)
        .fetch_optional(&mut tx)
        .await?;
        let Some(row) = row else {
            return Ok(WindowChanged::Missing);
        };
        if get::<Option<String>, _>(&row, "config_key")?.is_some() {
            return Ok(WindowChanged::FromConfig);
        }
        let state: IncidentState = word(&row, "state")?;
        if state != IncidentState::Scheduled || time_opt(&row, "cancelled_at")?.is_some() {
            return Ok(WindowChanged::Begun);
        }
        let bank: String = get::<Option<String>, _>(&row, "bank")?.unwrap_or_default();
        let at = to_ms(change.entry.at);
        sqlx::query(
            "UPDATE incidents SET title_ar = $1, title_fr = $2, title_en = $3, started_at = $4, \
             updated_at = CASE WHEN updated_at > $5 THEN updated_at ELSE $5 END WHERE id = $6",
        )
        .bind(&change.title.ar)
        .bind(&change.title.fr)
        .bind(&change.title.en)
        .bind(to_ms(change.starts))
        .bind(at)
        .bind(id)
        .execute(&mut tx)
        .await?;
        sqlx::query(
            "UPDATE maintenance_windows SET starts = $1, ends = $2, source_url = $3, \
             sequence = sequence + 1 WHERE incident_id = $4",
        )
        .bind(to_ms(change.starts))
        .bind(to_ms(change.ends))
        .bind(&change.source)
        .bind(id)
        .execute(&mut tx)
        .await?;
        sqlx::query("DELETE FROM incident_scopes WHERE incident_id = $1")
            .bind(id)
            .execute(&mut tx)
            .await?;
        for channel in &change.channels {
            sqlx::query(
                "INSERT INTO incident_scopes (incident_id, bank, channel) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(&bank)
            .bind(channel.as_str())
            .execute(&mut tx)
            .await?;
        }
        // Announced anew: the log's entry carries the new times and channels.
        insert_update(&mut tx, id, &change.entry, Step::Update).await?;
        insert_audit(&mut tx, audit, Some(format!("incident:{id}"))).await?;
        self.commit(tx).await?;
        Ok(WindowChanged::Changed)
    }

    async fn windows(&self, filter: &WindowFilter) -> StoreResult<Vec<WindowRow>> {
        let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
            "SELECT i.id AS id, i.state AS state, i.title_ar AS title_ar, i.title_fr AS title_fr, \
             i.title_en AS title_en, w.starts AS starts, w.ends AS ends, \
             w.source_url AS source_url, w.sequence AS sequence, i.updated_at AS updated_at, \
             w.cancelled_at AS cancelled_at, \
             (SELECT s.bank FROM incident_scopes s WHERE s.incident_id = i.id LIMIT 1) AS bank, \
             (SELECT {CHANNEL_LIST} FROM incident_scopes s WHERE s.incident_id = i.id) AS channels \
             FROM maintenance_windows w JOIN incidents i ON i.id = w.incident_id WHERE 1 = 1"
        ));
        if let Some(id) = filter.id {
            q.push(" AND i.id = ").push_bind(id);
        }
        if let Some(bank) = &filter.bank {
            q.push(
                " AND EXISTS (SELECT 1 FROM incident_scopes s WHERE s.incident_id = i.id \
                 AND s.bank = ",
            )
            .push_bind(bank)
            .push(")");
        }
        if filter.open_only {
            q.push(" AND i.resolved_at IS NULL");
        }
        if let Some(after) = filter.ended_after {
            q.push(" AND w.ends > ").push_bind(to_ms(after));
        }
        if let Some(before) = filter.starts_before {
            q.push(" AND w.starts < ").push_bind(to_ms(before));
        }
        q.push(if filter.newest_first {
            " ORDER BY w.starts DESC, i.id DESC LIMIT "
        } else {
            " ORDER BY w.starts, i.id LIMIT "
        })
        .push_bind(i64::from(filter.limit.max(1)));
        let rows = q.build().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let listed: Option<String> = get(r, "channels")?;
                let mut channels = listed
                    .unwrap_or_default()
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(|c| parse::<Channel>(c, "window channel"))
                    .collect::<StoreResult<Vec<_>>>()?;
                channels.sort();
                Ok(WindowRow {
                    incident_id: get(r, "id")?,
                    state: word(r, "state")?,
                    title: names(r, "title")?,
                    starts: time(r, "starts")?,
                    ends: time(r, "ends")?,
                    source: get(r, "source_url")?,
                    sequence: get(r, "sequence")?,
                    updated_at: time(r, "updated_at")?,
                    cancelled_at: time_opt(r, "cancelled_at")?,
                    bank: get::<Option<String>, _>(r, "bank")?.unwrap_or_default(),
                    channels,
                })
            })
            .collect()
    }

    async fn window(&self, incident_id: i64) -> StoreResult<Option<WindowRow>> {
        let filter = WindowFilter {
            id: Some(incident_id),
            limit: 1,
            ..WindowFilter::default()
        };
        Ok(self.windows(&filter).await?.into_iter().next())
    }
}

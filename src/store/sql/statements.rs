//! The banks' statements and the incidents they speak of.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::QueryBuilder;

use super::super::{Backend, Db, DbRow};
use super::{alerts, insert_audit, Tx};
use crate::domain::{Channel, Statement};
use crate::store::decode::{get, names, parse, time, time_opt, word};
use crate::store::{to_ms, Lock, NewStatement, StatementFilter, StatementStore, StoreResult};

const COLUMNS: &str = "s.id AS id, s.bank AS bank, s.channels AS channels, \
     s.words_ar AS words_ar, s.words_fr AS words_fr, s.words_en AS words_en, \
     s.translation_ar AS translation_ar, s.translation_fr AS translation_fr, \
     s.translation_en AS translation_en, s.source_url AS source_url, \
     s.source_kind AS source_kind, s.said_at AS said_at, \
     s.expected_back_at AS expected_back_at, s.recorded_at AS recorded_at";

/// Writes a statement, its incidents, its alert event and its log entry inside `tx`: the
/// one place a statement is put on the record.
pub(super) async fn insert_statement(tx: &mut Tx, s: &NewStatement) -> StoreResult<i64> {
    let channels: Vec<&str> = s.channels.iter().map(|c| c.as_str()).collect();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO statements (bank, channels, words_ar, words_fr, words_en, \
         translation_ar, translation_fr, translation_en, source_url, source_kind, said_at, \
         expected_back_at, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(&s.bank)
    .bind(channels.join(","))
    .bind(&s.words.ar)
    .bind(&s.words.fr)
    .bind(&s.words.en)
    .bind(&s.translations.ar)
    .bind(&s.translations.fr)
    .bind(&s.translations.en)
    .bind(&s.source_url)
    .bind(s.source_kind.as_str())
    .bind(to_ms(s.said_at))
    .bind(s.expected_back_at.map(to_ms))
    .bind(to_ms(s.recorded_at))
    .fetch_one(&mut *tx)
    .await?;
    let mut incidents = s.incidents.clone();
    incidents.sort_unstable();
    incidents.dedup();
    for incident in &incidents {
        sqlx::query("INSERT INTO statement_incidents (statement_id, incident_id) VALUES ($1, $2)")
            .bind(id)
            .bind(incident)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(first) = incidents.first() {
        alerts::insert_statement_event(tx, *first, id, s.recorded_at).await?;
    }
    super::log::append_statement(tx, id).await?;
    Ok(id)
}

fn statement_from(row: &DbRow) -> StoreResult<Statement> {
    let listed: String = get(row, "channels")?;
    let mut channels = listed
        .split(',')
        .filter(|c| !c.is_empty())
        .map(|c| parse::<Channel>(c, "statement channel"))
        .collect::<StoreResult<Vec<_>>>()?;
    channels.sort();
    Ok(Statement {
        id: get(row, "id")?,
        bank: get(row, "bank")?,
        channels,
        words: names(row, "words")?,
        translations: names(row, "translation")?,
        source_url: get(row, "source_url")?,
        source_kind: word(row, "source_kind")?,
        said_at: time(row, "said_at")?,
        expected_back_at: time_opt(row, "expected_back_at")?,
        recorded_at: time(row, "recorded_at")?,
        incidents: Vec::new(),
    })
}

/// Fills in the incidents each statement speaks of.
async fn load_incidents(pool: &sqlx::Pool<Db>, rows: &mut [Statement]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT statement_id, incident_id FROM statement_incidents WHERE statement_id IN (",
    );
    let mut sep = q.separated(", ");
    for r in rows.iter() {
        sep.push_bind(r.id);
    }
    q.push(") ORDER BY incident_id");
    let links = q.build().fetch_all(pool).await?;
    let index: HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    for l in &links {
        let statement: i64 = get(l, "statement_id")?;
        if let Some(&i) = index.get(&statement) {
            rows[i].incidents.push(get(l, "incident_id")?);
        }
    }
    Ok(())
}

#[async_trait]
impl StatementStore for Backend {
    async fn add_statement(&self, new: &NewStatement) -> StoreResult<i64> {
        // The incidents' lock: a statement joins their timelines, and the record keeps one
        // order of what was published.
        let mut tx = self.begin_write(Lock::Incidents).await?;
        let id = insert_statement(&mut tx, new).await?;
        insert_audit(&mut tx, &new.audit, Some(format!("statement:{id}"))).await?;
        self.commit(tx).await?;
        Ok(id)
    }

    async fn statement(&self, id: i64) -> StoreResult<Option<Statement>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM statements s WHERE s.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let mut one = [statement_from(&row)?];
        load_incidents(&self.pool, &mut one).await?;
        let [s] = one;
        Ok(Some(s))
    }

    async fn statements(&self, filter: &StatementFilter) -> StoreResult<Vec<Statement>> {
        let mut q: QueryBuilder<Db> =
            QueryBuilder::new(format!("SELECT {COLUMNS} FROM statements s WHERE 1 = 1"));
        if let Some(bank) = &filter.bank {
            q.push(" AND s.bank = ").push_bind(bank);
        }
        if !filter.channels.is_empty() {
            q.push(" AND (");
            for (i, c) in filter.channels.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                q.push("(',' || s.channels || ',') LIKE ")
                    .push_bind(format!("%,{},%", c.as_str()));
            }
            q.push(")");
        }
        if let Some(since) = filter.since {
            q.push(" AND s.said_at >= ").push_bind(to_ms(since));
        }
        if let Some(until) = filter.until {
            q.push(" AND s.said_at < ").push_bind(to_ms(until));
        }
        if let Some(incident) = filter.incident {
            q.push(
                " AND EXISTS (SELECT 1 FROM statement_incidents l \
                 WHERE l.statement_id = s.id AND l.incident_id = ",
            )
            .push_bind(incident)
            .push(")");
        }
        if filter.open_incidents {
            q.push(
                " AND EXISTS (SELECT 1 FROM statement_incidents l JOIN incidents i \
                 ON i.id = l.incident_id WHERE l.statement_id = s.id \
                 AND i.resolved_at IS NULL)",
            );
        }
        q.push(if filter.by_recorded {
            " ORDER BY s.recorded_at DESC, s.id DESC LIMIT "
        } else {
            " ORDER BY s.said_at DESC, s.id DESC LIMIT "
        })
        .push_bind(i64::from(filter.limit.max(1)));
        let mut rows = q
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(statement_from)
            .collect::<StoreResult<Vec<_>>>()?;
        load_incidents(&self.pool, &mut rows).await?;
        Ok(rows)
    }
}

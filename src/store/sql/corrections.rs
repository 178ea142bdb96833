//! Corrections of timeline entries: appended beside the entry they correct, read back with
//! it, and listed as feed entries of their own.

use std::collections::HashMap;

use sqlx::QueryBuilder;

use super::super::{Db, DbRow};
use super::{incident_from, load_scopes_and_sources, scope_filter, Tx, INCIDENT_COLUMNS};
use crate::domain::Correction;
use crate::store::decode::{get, names, time, word};
use crate::store::{to_ms, CorrectionEntry, FeedFilter, NewCorrection, StoreResult, UpdateRow};

fn correction_from(row: &DbRow) -> StoreResult<Correction> {
    Ok(Correction {
        id: get(row, "id")?,
        update_id: get(row, "update_id")?,
        at: time(row, "at")?,
        message: names(row, "message")?,
    })
}

/// Appends `c` when its entry belongs to its incident; its id.
pub(super) async fn insert(tx: &mut Tx, c: &NewCorrection) -> StoreResult<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO update_corrections (incident_id, update_id, at, message_ar, message_fr, \
         message_en) SELECT u.incident_id, u.id, $1, $2, $3, $4 FROM incident_updates u \
         WHERE u.id = $5 AND u.incident_id = $6 RETURNING id",
    )
    .bind(to_ms(c.at))
    .bind(&c.message.ar)
    .bind(&c.message.fr)
    .bind(&c.message.en)
    .bind(c.update_id)
    .bind(c.incident_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(Into::into)
}

/// Gives each of `updates` its corrections, oldest first; with `upto`, only those up to
/// each entry's own correction (a feed entry of a correction shows no later one).
pub(super) async fn attach(
    pool: &sqlx::Pool<Db>,
    updates: &mut [UpdateRow],
    upto: Option<&[i64]>,
) -> StoreResult<()> {
    if updates.is_empty() {
        return Ok(());
    }
    let mut q: QueryBuilder<Db> = QueryBuilder::new(
        "SELECT id, update_id, at, message_ar, message_fr, message_en FROM update_corrections \
         WHERE update_id IN (",
    );
    let mut sep = q.separated(", ");
    for u in updates.iter() {
        sep.push_bind(u.id);
    }
    q.push(") ORDER BY id");
    let mut by_update: HashMap<i64, Vec<Correction>> = HashMap::new();
    for row in q.build().fetch_all(pool).await? {
        let c = correction_from(&row)?;
        by_update.entry(c.update_id).or_default().push(c);
    }
    for (i, u) in updates.iter_mut().enumerate() {
        let all = by_update.get(&u.id).map(Vec::as_slice).unwrap_or_default();
        let last = upto.and_then(|ids| ids.get(i)).copied();
        u.corrections = all
            .iter()
            .filter(|c| last.is_none_or(|last| c.id <= last))
            .cloned()
            .collect();
    }
    Ok(())
}

/// The newest corrections as feed entries.
pub(super) async fn entries(
    pool: &sqlx::Pool<Db>,
    filter: &FeedFilter,
) -> StoreResult<Vec<CorrectionEntry>> {
    let mut q: QueryBuilder<Db> = QueryBuilder::new(format!(
        "SELECT {INCIDENT_COLUMNS}, c.id AS correction_id, u.id AS update_id, \
         u.at AS update_at, u.state AS update_state, u.source AS update_source, \
         u.message_ar AS message_ar, u.message_fr AS message_fr, u.message_en AS message_en, \
         u.title_ar AS update_title_ar, u.title_fr AS update_title_fr, \
         u.title_en AS update_title_en, u.alerted AS update_alerted \
         FROM update_corrections c JOIN incident_updates u ON u.id = c.update_id \
         JOIN incidents i ON i.id = c.incident_id WHERE i.state <> 'withdrawn'"
    ));
    scope_filter(&mut q, filter);
    q.push(" ORDER BY c.at DESC, c.id DESC LIMIT ")
        .push_bind(i64::from(filter.limit.max(1)));
    let rows = q.build().fetch_all(pool).await?;
    let mut incidents = Vec::with_capacity(rows.len());
    let mut updates = Vec::with_capacity(rows.len());
    let mut upto = Vec::with_capacity(rows.len());
    for r in &rows {
        incidents.push(incident_from(r)?);
        upto.push(get::<i64, _>(r, "correction_id")?);
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
    attach(pool, &mut updates, Some(&upto)).await?;
    Ok(incidents
        .into_iter()
        .zip(updates)
        .map(|(incident, update)| CorrectionEntry { incident, update })
        .collect())
}

//! The agents' API: an agent asks which probes to run and sends back what it found, in
//! numbered batches that are stored once however often they arrive.

use super::auth::AgentAuth;
use super::error::AppError;
use super::input::{self, bounded_query, query_param};

use super::AppState;
use crate::agent::{Assignment, Batch, BatchReceipt, MAX_BATCH};
use crate::domain::{region_name_ok, Outcome, ProbeResult};
use crate::i18n::Msg;
use axum::extract::{RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Large enough for [`MAX_BATCH`] results with long failure details.
const MAX_BATCH_BODY: usize = 2 * 1024 * 1024;

const NAME_RULE: &str = "1 to 32 characters among a-z, 0-9 and -";
/// A failure's detail is kept to this many characters, as long as the service's own are.
const MAX_DETAIL: usize = 500;

/// `GET /api/v1/agents/assignment?region=NAME`: every bank probe and every control.
#[utoipa::path(get, path = "/api/v1/agents/assignment", tag = "agents", security(("bearer" = [])),
    params(("region" = String, Query, description = "The agent's region, 1 to 32 characters among a-z, 0-9 and -")),
    responses((status = 200, description = "The probes and controls to run, as the server runs them"),
              (status = 401, description = "Missing or wrong agent token"),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After"),
              (status = 403, description = "No agent token configured (BANKSTATUS_AGENT_TOKEN)"),
              (status = 422, description = "Bad region")))]
pub async fn assignment(
    State(state): State<AppState>,
    _agent: AgentAuth,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let q = bounded_query(q.as_deref())?;
    check_region(&state, &query_param(Some(q), "region").unwrap_or_default())?;
    let config = &state.config;
    Ok(Json(Assignment {
        probes: config
            .banks
            .iter()
            .flat_map(|b| b.probes.iter().cloned())
            .collect(),
        controls: config.controls.clone(),
        max_concurrent: config.probing.max_concurrent,
        max_body_bytes: config.probing.max_body_bytes,
        maintenance_phrases: config.probing.maintenance_phrases.clone(),
    })
    .into_response())
}

/// `POST /api/v1/agents/results`: one batch, stored with the record of its arrival in one
/// transaction, then judged by the engine with the service's own results.
#[utoipa::path(post, path = "/api/v1/agents/results", tag = "agents", security(("bearer" = [])),
    request_body(content = String, content_type = "application/json",
        description = "{agent, region, seq, results}: a numbered batch of one agent process"),
    responses((status = 200, description = "Stored, or a duplicate of a batch stored before"),
              (status = 401, description = "Missing or wrong agent token"),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After"),
              (status = 403, description = "No agent token configured (BANKSTATUS_AGENT_TOKEN)"),
              (status = 413, description = "Body over 2 MiB"),
              (status = 422, description = "Bad region, agent, seq, or too many results")))]
pub async fn results(
    State(state): State<AppState>,
    _agent: AgentAuth,
    req: Request,
) -> Result<Response, AppError> {
    let batch: Batch = input::json_up_to(req, MAX_BATCH_BODY).await?;
    check_region(&state, &batch.region)?;
    if !(1..=64).contains(&batch.agent.len())
        || !batch
            .agent
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(invalid("agent", &batch.agent));
    }
    if batch.seq < 1 {
        return Err(invalid("seq", &batch.seq.to_string()));
    }
    if batch.results.len() > MAX_BATCH {
        return Err(AppError::Unprocessable(
            Msg::new("err-batch-too-large")
                .arg("max", MAX_BATCH)
                .arg("count", batch.results.len()),
        ));
    }
    let now = state.clock.now();
    // Raw results older than this would be purged at once; they would only rewrite the
    // roll-ups of the past.
    let oldest = now - chrono::Duration::days(i64::from(state.config.storage.raw_retention_days));
    let total = batch.results.len();
    let results: Vec<ProbeResult> = batch
        .results
        .into_iter()
        // Only results of probes this server has, as it configured them.
        .filter(|r| state.config.probe_target(&r.probe_id) == Some(&r.target))
        .filter(|r| r.at >= oldest)
        .map(|mut r| {
            // `counted` is the agent's verdict from its own controls. A clock ahead of the
            // server's would make the other regions look silent: never later than now.
            r.region = Some(batch.region.clone());
            r.at = r.at.min(now);
            if let Outcome::Down { detail, .. } = &mut r.outcome {
                if let Some((cut, _)) = detail.char_indices().nth(MAX_DETAIL) {
                    detail.truncate(cut);
                }
            }
            r
        })
        .collect();
    let stored = results.len();
    let new = state
        .store
        .insert_batch(
            &batch.agent,
            batch.seq,
            &results,
            state.config.timezone,
            now,
        )
        .await?;
    if !new {
        return Ok(Json(BatchReceipt {
            stored: 0,
            ignored: 0,
            duplicate: true,
        })
        .into_response());
    }
    // Stored and marked as arrived together. On a database of its own, the engine here
    // judges them now; with several instances, the one running the engine reads them back.
    if !state.store.shared() {
        if let Some(engine) = state.results.upgrade() {
            for r in results {
                if engine.send(r).await.is_err() {
                    break;
                }
            }
        }
    }
    Ok(Json(BatchReceipt {
        stored,
        ignored: total - stored,
        duplicate: false,
    })
    .into_response())
}

fn check_region(state: &AppState, region: &str) -> Result<(), AppError> {
    if !region_name_ok(region) {
        return Err(invalid("region", region));
    }
    if region == state.config.probing.region {
        return Err(AppError::Unprocessable(
            Msg::new("err-region-own").arg("value", region),
        ));
    }
    Ok(())
}

fn invalid(field: &str, value: &str) -> AppError {
    AppError::Unprocessable(
        Msg::new("err-invalid-value")
            .arg("field", field)
            .arg("value", value)
            .arg("allowed", NAME_RULE),
    )
}

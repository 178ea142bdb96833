//! The JSON API of alerts: subscribe (`POST`), unsubscribe (`DELETE`, with the manage
//! token or the operator's), the operator's counts, and the VAPID public key a browser
//! needs to subscribe to Web Push.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::access::{given_token, managed, well_formed};
use super::create::{create, Created};
use super::request::SubscriptionBody;
use crate::i18n::Msg;
use crate::store::alerts::Via;
use crate::web::auth::{bearer, Operator};
use crate::web::client::Client;
use crate::web::error::AppError;
use crate::web::feeds::base_url;
use crate::web::input;
use crate::web::AppState;

/// `POST /api/v1/subscriptions`: 201 for a webhook (with its secret, shown once) or a push
/// subscription, 202 for an email address, which is sent a confirmation.
#[utoipa::path(post, path = "/api/v1/subscriptions", tag = "alerts",
    request_body = SubscriptionBody,
    responses((status = 201, description = "Webhook or push: `{\"id\", \"secret\", \"manage_url\", \"state\"}`"),
              (status = 202, description = "Email: a confirmation is sent"),
              (status = 400, description = "Malformed JSON", body = crate::web::error::ErrorBody),
              (status = 415, description = "Not JSON", body = crate::web::error::ErrorBody),
              (status = 422, description = "Unknown bank, channel or kind; a refused target", body = crate::web::error::ErrorBody),
              (status = 429, description = "Too many subscriptions from this address", body = crate::web::error::ErrorBody)))]
pub async fn post_subscription(
    State(state): State<AppState>,
    client: Client,
    req: Request,
) -> Result<Response, AppError> {
    let headers = req.headers().clone();
    let client = client.reporter(&state);
    let body: SubscriptionBody = input::json(req).await?;
    let base = base_url(&state, &headers);
    let lang = state.config.default_language;
    Ok(match create(&state, &client, body, base, lang).await? {
        Created::Webhook {
            id,
            secret,
            manage_url,
        } => (
            StatusCode::CREATED,
            Json(serde_json::json!({
                "id": id, "secret": secret, "manage_url": manage_url, "state": "pending",
            })),
        )
            .into_response(),
        Created::Email => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "state": "pending" })),
        )
            .into_response(),
        Created::Push { id, manage_url } => (
            StatusCode::CREATED,
            Json(serde_json::json!({ "id": id, "manage_url": manage_url, "state": "active" })),
        )
            .into_response(),
    })
}

/// `GET /api/v1/push/vapid-public-key`.
#[utoipa::path(get, path = "/api/v1/push/vapid-public-key", tag = "alerts",
    responses((status = 200, description = "`{\"key\": \"<base64url>\"}`")))]
pub async fn vapid_public_key(State(state): State<AppState>) -> Response {
    Json(serde_json::json!({ "key": state.alerts.vapid.public })).into_response()
}

/// Whether the request carries the operator's token, which may delete any subscription.
fn is_admin(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(admin) = &state.tokens.admin else {
        return false;
    };
    bearer(headers).is_some_and(|t| admin.matches(t))
}

/// `DELETE /api/v1/subscriptions/{id}`: with its manage token, or the operator's (for a
/// quarantined webhook). The address goes with it.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "alerts",
    params(("id" = String, Path, description = "The subscription's id"), ("token" = Option<String>, Query, description = "Its manage token")),
    responses((status = 204, description = "Deleted"),
              (status = 403, description = "Not its token", body = crate::web::error::ErrorBody),
              (status = 404, description = "No such subscription", body = crate::web::error::ErrorBody)))]
pub async fn delete_subscription(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    well_formed(&id)?;
    if !is_admin(&state, &headers) {
        managed(&state, &id, given_token(&uri, &headers).as_deref()).await?;
    }
    if !state.store.delete_subscription(&id).await? {
        return Err(AppError::NotFound(
            Msg::new("err-sub-not-found").arg("id", &id),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/subscriptions/stats` (operator): counts by kind, state and bank, the queue,
/// and the quarantined targets.
#[utoipa::path(get, path = "/api/v1/subscriptions/stats", tag = "operator",
    security(("bearer" = [])),
    responses((status = 200, description = "Counts and quarantined subscriptions"),
              (status = 401, description = "No or wrong token", body = crate::web::error::ErrorBody),
              (status = 429, description = "Too many wrong tokens from this address; see Retry-After", body = crate::web::error::ErrorBody),
              (status = 403, description = "No operator token configured", body = crate::web::error::ErrorBody)))]
pub async fn subscription_stats(
    State(state): State<AppState>,
    _op: Operator,
) -> Result<Response, AppError> {
    let stats = state.store.alert_stats().await?;
    let by_kind: Vec<serde_json::Value> = stats
        .by_kind
        .iter()
        .map(|(k, s, n)| serde_json::json!({ "kind": k, "state": s, "count": n }))
        .collect();
    let by_bank: Vec<serde_json::Value> = stats
        .by_bank
        .iter()
        .map(|(b, n)| serde_json::json!({ "bank": b, "count": n }))
        .collect();
    let quarantined: Vec<serde_json::Value> = stats
        .quarantined
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id, "kind": s.via.as_str(),
                "target": if s.via == Via::Webhook { Some(&s.target) } else { None },
                "quarantined_at": s.quarantined_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "by_kind": by_kind,
        "by_bank": by_bank,
        "quarantined": quarantined,
        "queue_depth": stats.queue_depth,
        "oldest_undelivered": stats.oldest_undelivered.map(|t| t.to_rfc3339()),
    }))
    .into_response())
}

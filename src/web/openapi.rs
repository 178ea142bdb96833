//! The API described in OpenAPI 3, generated from the handlers' annotations, and the table
//! of API routes the router is built from, so the two cannot drift apart.

use std::sync::LazyLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, MethodRouter};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::AppState;
use super::{agents, api, operator, reports, subscriptions};

/// Every API route as (method, path). The router is built from this table.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/status"),
    ("get", "/api/v1/banks/{slug}"),
    ("get", "/api/v1/incidents"),
    ("post", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{id}"),
    ("post", "/api/v1/incidents/{id}/updates"),
    ("get", "/api/v1/maintenance"),
    ("post", "/api/v1/maintenance"),
    ("post", "/api/v1/reports"),
    ("delete", "/api/v1/reports/{id}"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/agents/assignment"),
    ("post", "/api/v1/agents/results"),
    ("post", "/api/v1/subscriptions"),
    ("get", "/api/v1/subscriptions/stats"),
    ("delete", "/api/v1/subscriptions/{id}"),
    ("get", "/api/v1/push/vapid-public-key"),
];

/// The handler of one row of [`API_ROUTES`]; `None` for a row without one.
pub fn handler(method: &str, path: &str) -> Option<MethodRouter<AppState>> {
    Some(match (method, path) {
        ("get", "/api/v1/status") => get(api::status),
        ("get", "/api/v1/banks/{slug}") => get(api::bank),
        ("get", "/api/v1/incidents") => get(api::list_incidents),
        ("post", "/api/v1/incidents") => post(operator::create_incident),
        ("get", "/api/v1/incidents/{id}") => get(api::incident),
        ("post", "/api/v1/incidents/{id}/updates") => post(operator::add_update),
        ("get", "/api/v1/maintenance") => get(api::maintenance),
        ("post", "/api/v1/maintenance") => post(operator::create_window),
        ("post", "/api/v1/reports") => post(reports::post_report),
        ("delete", "/api/v1/reports/{id}") => delete(operator::delete_report),
        ("get", "/api/v1/openapi.json") => get(openapi_json),
        ("get", "/api/v1/agents/assignment") => get(agents::assignment),
        ("post", "/api/v1/agents/results") => post(agents::results),
        ("post", "/api/v1/subscriptions") => post(subscriptions::post_subscription),
        ("get", "/api/v1/subscriptions/stats") => get(subscriptions::subscription_stats),
        ("delete", "/api/v1/subscriptions/{id}") => delete(subscriptions::delete_subscription),
        ("get", "/api/v1/push/vapid-public-key") => get(subscriptions::vapid_public_key),
        _ => return None,
    })
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "bankstatus", description = "Bank status: statuses, incidents, maintenance and crowd reports."),
    paths(
        api::status,
        api::bank,
        api::list_incidents,
        api::incident,
        api::maintenance,
        operator::create_incident,
        operator::add_update,
        operator::create_window,
        operator::delete_report,
        reports::post_report,
        agents::assignment,
        agents::results,
        subscriptions::post_subscription,
        subscriptions::subscription_stats,
        subscriptions::delete_subscription,
        subscriptions::vapid_public_key,
        openapi_json,
    ),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
});

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI 3 document of this API")))]
pub async fn openapi_json() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        DOCUMENT.as_str(),
    )
        .into_response()
}
